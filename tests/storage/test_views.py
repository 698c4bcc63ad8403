"""The views file over a lake whose daily_summary counts the causes of another taxonomy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from causa.storage.lake import Lake
from causa.storage.schemas import daily_summary_spec
from causa.storage.views import write_views

CAUSES = ("late_parcel", "rude_agent")


def summary_row(channel: str, language: str, n_feedback: int, late: int, rude: int) -> dict:
    return {"source": "shop", "channel": channel, "language": language, "n_feedback": n_feedback,
            "cause_late_parcel": late, "cause_rude_agent": rude,
            "cause_late_parcel_pct": 100 * late / n_feedback, "cause_rude_agent_pct": 100 * rude / n_feedback}


def test_complaints_weekly_takes_the_causes_the_summary_counts(tmp_path: Path) -> None:
    spec = daily_summary_spec(CAUSES)
    lake = Lake(tmp_path / "lake")
    days = {
        date(2026, 11, 2): [summary_row("review", "en", 10, 3, 1), summary_row("review", "pt", 5, 2, 0)],
        date(2026, 11, 8): [summary_row("review", "en", 4, 0, 4), summary_row("chat", "en", 2, 1, 1)],
        date(2026, 11, 9): [summary_row("review", "en", 6, 6, 0)],
    }
    for day, rows in days.items():
        lake.overwrite(spec, day, pa.Table.from_pylist(rows, schema=spec.schema))

    written = write_views(lake.root)

    with duckdb.connect(str(written.path), read_only=True) as db:
        rows = db.execute("select week, channel, cause, complaints, items, share from complaints_weekly "
                          "order by all").fetchall()
        comment = db.execute("select comment from duckdb_columns() where table_name = 'daily_summary' "
                             "and column_name = 'n_feedback'").fetchone()
    week_1, week_2 = date(2026, 11, 2), date(2026, 11, 9)
    assert rows == [
        (week_1, "chat", "late_parcel", 1, 2, 0.5),
        (week_1, "chat", "rude_agent", 1, 2, 0.5),
        (week_1, "review", "late_parcel", 5, 19, 5 / 19),
        (week_1, "review", "rude_agent", 5, 19, 5 / 19),
        (week_2, "review", "late_parcel", 6, 6, 1.0),
        (week_2, "review", "rude_agent", 0, 6, 0.0),
    ]
    assert comment == ("items",)
    assert written.empty_tables == ("feedback", "scored", "runs", "quarantine", "alerts")
