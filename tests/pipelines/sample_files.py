"""The bundled sample's rows as its files and database hold them, to check what a night over it lands."""

from __future__ import annotations

import csv
import json
import sqlite3
from contextlib import closing

from causa.pipelines.settings import sample_root


def sample_rows() -> dict[str, list[tuple[str | None, str | None]]]:
    """(author, text) of every row of the sample, per source: its CSV and JSONL files and its SQLite tickets."""
    root = sample_root()

    def csv_rows(pattern: str) -> list[dict]:
        return [row for p in sorted(root.glob(pattern)) for row in csv.DictReader(p.open(encoding="utf-8-sig"))]

    social = [json.loads(line) for p in sorted(root.glob("social/*.jsonl")) for line in p.read_text().splitlines()
              if line.strip()]
    with closing(sqlite3.connect(root / "support" / "tickets.sqlite")) as db:
        tickets = db.execute("select customer, body from tickets").fetchall()
    return {
        "store_reviews": [(row["author"], row["text"]) for row in csv_rows("store_reviews/*.csv")],
        "social": [(row["handle"], row["body"]) for row in social],
        "surveys": [(None, row["comment"]) for row in csv_rows("surveys/*.csv")],
        "support_tickets": tickets,
    }


def repeated(rows: list[tuple[str | None, str | None]]) -> int:
    """Rows whose author wrote the same text before: the night keeps the first (the sample's repeats are minutes
    apart)."""
    seen: set[tuple[str, str]] = set()
    count = 0
    for author, text in rows:
        if author and text:
            key = (author, text.casefold())
            count += key in seen
            seen.add(key)
    return count
