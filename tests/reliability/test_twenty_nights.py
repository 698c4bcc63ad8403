"""Twenty nights over a drop folder that gains a file each night, with late, repeated and edited items: the lake
equals a model of the inputs computed in plain Python (the rule of causa.storage.repeats, restated)."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.flows import nightly
from causa.storage.identity import feedback_id
from tests.reliability.lakes import write_config

pytestmark = pytest.mark.reliability

FIRST_NIGHT, NIGHTS, NEW_PER_NIGHT = date(2026, 10, 1), 20, 6
WINDOW = timedelta(hours=24)
SOURCE = "drops"
PHRASES = [
    "The courier was late and nobody answered",
    "Great service, the staff were kind",
    "I was charged twice and still no refund",
    "A entrega atrasou e o atendente foi grosseiro",
    "Me cobraron de más en la factura",
    "Comanda a întârziat și nimeni nu răspunde",
    "Доставка задержалась, оператор бросил трубку",
]


@dataclass(frozen=True)
class Item:
    item_id: str
    text: str
    at: datetime
    author: str

    def record(self) -> dict[str, str]:
        return {"id": self.item_id, "body": self.text, "at": self.at.isoformat(), "who": self.author, "stars": "3"}


class Drops:
    """The seeded source: each night a new file of fresh, late, repeated and edited items."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.latest: dict[str, Item] = {}
        self.serial = 0

    def night(self, run_date: date) -> tuple[list[Item], dict[str, int]]:
        rng, kinds = self.rng, {"new": 0, "late": 0, "same id again": 0, "same text": 0, "edited text": 0, "moved": 0}
        day_start = datetime.combine(run_date - timedelta(days=1), time(), tzinfo=timezone.utc)
        items = []
        for _ in range(NEW_PER_NIGHT):
            items.append(self.fresh(day_start + timedelta(seconds=rng.randint(0, 30 * 3600))))
            kinds["new"] += 1
        for _ in range(rng.randint(1, 2)):
            items.append(self.fresh(day_start - timedelta(days=rng.randint(2, 6), seconds=rng.randint(0, 86_399))))
            kinds["late"] += 1
        earlier = sorted(self.latest.values(), key=lambda item: item.item_id)
        if earlier:
            for _ in range(rng.randint(0, 2)):
                items.append(rng.choice(earlier))
                kinds["same id again"] += 1
            for _ in range(rng.randint(1, 2)):
                original = rng.choice(earlier + items[:NEW_PER_NIGHT])
                repost = Item(self.next_id(), rng.choice([original.text, original.text.upper()]),
                              min(original.at + timedelta(minutes=rng.randint(1, 90)), day_start + timedelta(hours=47)),
                              rng.choice([original.author, original.author.upper()]))
                items.append(repost)
                kinds["same text"] += 1
            if rng.random() < 0.7:
                items.append(replace(rng.choice(earlier), text=f"{rng.choice(PHRASES)}, edited n{self.serial}"))
                self.serial += 1
                kinds["edited text"] += 1
            if rng.random() < 0.6:
                moved = rng.choice(earlier)
                shift = timedelta(days=rng.choice([-3, -2, -1, 1, 2]), minutes=rng.randint(0, 600))
                items.append(replace(moved, at=min(moved.at + shift, day_start + timedelta(hours=47))))
                kinds["moved"] += 1
        rng.shuffle(items)
        for item in items:
            self.latest[item.item_id] = item
        return items, kinds

    def fresh(self, at: datetime) -> Item:
        item_id = self.next_id()
        return Item(item_id, f"{self.rng.choice(PHRASES)} n{self.serial}", at, f"user{self.rng.randint(0, 9)}")

    def next_id(self) -> str:
        self.serial += 1
        return f"item-{self.serial}"


def write_night(folder: Path, night: int, items: list[Item]) -> None:
    """Odd nights drop JSONL, even nights CSV; the folder keeps every earlier file."""
    folder.mkdir(parents=True, exist_ok=True)
    if night % 2:
        lines = "".join(json.dumps(item.record(), ensure_ascii=False) + "\n" for item in items)
        (folder / f"night-{night:02d}.jsonl").write_text(lines, encoding="utf-8")
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["id", "body", "at", "who", "stars"])
    writer.writeheader()
    writer.writerows(item.record() for item in items)
    (folder / f"night-{night:02d}.csv").write_text(buffer.getvalue(), encoding="utf-8")


def model_night(lake: dict[str, Item], batch: list[Item]) -> None:
    """One night on the model lake: the last copy of an id wins; taken oldest first, an item whose case-folded text
    an item by the same (case-folded) author, under another id, already kept, has within the window is dropped."""
    incoming = {item.item_id: item for item in batch}
    kept = [item for key, item in lake.items() if key not in incoming]
    for key, item in sorted(incoming.items(), key=lambda pair: (pair[1].at, feedback_id(SOURCE, pair[0]))):
        if any(other.author.lower() == item.author.lower() and other.text.casefold() == item.text.casefold()
               and abs(other.at - item.at) <= WINDOW for other in kept):
            continue
        kept.append(item)
        lake[key] = item


def query(lake: Path, sql: str) -> list[tuple]:
    tables = {name: f"read_parquet('{lake}/{name}/*/*.parquet', hive_partitioning=true, union_by_name=true)"
              for name in ("feedback", "scored", "daily_summary", "quarantine")}
    with duckdb.connect() as db:
        return db.execute(sql.format(**tables)).fetchall()


def test_twenty_nights_of_a_growing_drop_folder_equal_the_model(prefect_server, tmp_path: Path, fault_report) -> None:
    drops, model, rows_in = Drops(seed=15), {}, 0
    totals: dict[str, int] = {}
    config = write_config(tmp_path, source_glob="drops/night-*")
    lake = tmp_path / "lake"
    for night in range(1, NIGHTS + 1):
        run_date = FIRST_NIGHT + timedelta(days=night - 1)
        items, kinds = drops.night(run_date)
        totals = {kind: totals.get(kind, 0) + count for kind, count in kinds.items()}
        rows_in += len(items)
        write_night(tmp_path / "drops", night, items)
        result = nightly(config_path=str(config), run_date=run_date)
        assert result.status == "success", (night, result)
        model_night(model, items)
    assert min(totals.values()) >= 5, totals  # every kind of item occurred often enough to matter

    expected = {feedback_id(SOURCE, key): (key, item.text, item.at.date()) for key, item in model.items()}
    stored = query(lake, "select feedback_id, source_item_id, text, created_date from {feedback}")
    doubled = len(stored) - len({row[0] for row in stored})
    assert doubled == 0, "a feedback_id is stored in more than one row"
    assert {row[0]: (row[1], row[2], row[3]) for row in stored} == expected
    assert {row[0] for row in query(lake, "select feedback_id from {scored}")} == set(expected)
    days = query(lake, "select cast(created_date as varchar), source, sum(n_feedback) from {daily_summary} group by 1, 2")
    model_days: dict[tuple[str, str], int] = {}
    for _, _, day in expected.values():
        model_days[(day.isoformat(), SOURCE)] = model_days.get((day.isoformat(), SOURCE), 0) + 1
    assert {(day, source): int(count) for day, source, count in days} == model_days
    quarantined = query(lake, "select count(*) from {quarantine}")[0][0] if list(lake.glob("quarantine/*/*")) else 0
    assert quarantined == 0
    assert fault_report.record(f"{NIGHTS} nights of a growing drop folder vs a model", rows_in, len(stored),
                               quarantined, rows_in - len(model)) == 0
