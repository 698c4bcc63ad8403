"""Late rows merge into their own date, repeats are stored once, an edited review updates its rows."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.flows import nightly
from causa.storage.repeats import repeated_texts
from tests.reliability.lakes import write_config

pytestmark = pytest.mark.reliability

NIGHT_1, NIGHT_2 = date(2026, 11, 10), date(2026, 11, 20)


def drop(folder: Path, name: str, records: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def item(item_id: str, text: str, at: str, who: str | None = "ana") -> dict:
    return {"id": item_id, "body": text, "at": at, "who": who, "stars": 3}


def query(lake: Path, sql: str) -> list[tuple]:
    with duckdb.connect() as db:
        sql = sql.replace("{feedback}", f"read_parquet('{lake}/feedback/*/*.parquet', hive_partitioning=true)")
        sql = sql.replace("{scored}", f"read_parquet('{lake}/scored/*/*.parquet', hive_partitioning=true)")
        sql = sql.replace("{summary}", f"read_parquet('{lake}/daily_summary/*/*.parquet', hive_partitioning=true, union_by_name=true)")
        return db.execute(sql).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_late_repeated_and_edited_items_across_nights(prefect_server, tmp_path: Path, fault_report) -> None:
    night_1 = [
        item("a1", "Great service, thank you", "2026-11-08T09:00:00Z", "ana"),
        item("a2", "Lovely shop, quick delivery", "2026-11-09T09:00:00Z", "bob"),
        item("a3", "My parcel is late again", "2026-11-10T08:00:00Z", "cid"),
    ]
    night_2 = [
        item("a1", "Great service, thank you", "2026-11-08T09:00:00Z", "ana"),  # the same item again
        item("a2", "The courier was rude and the parcel came a week late", "2026-11-09T09:00:00Z", "bob"),  # edited
        item("b1", "my parcel is LATE again", "2026-11-10T10:00:00Z", "CID"),  # repost within 24 h
        item("b2", "My parcel is late again", "2026-11-13T10:00:00Z", "cid"),  # same text 3 days later: new
        item("b3", "My parcel is late again", "2026-11-10T09:00:00Z", "dan"),  # same text, other author
        item("b4", "Paid twice and still no refund", "2026-11-02T12:00:00Z", "eve"),  # 18 days late
        item("b5", "Paid twice and still no refund", "2026-11-02T13:00:00Z", "eve"),  # repeat inside the batch
        item("b6", "Muito bom", "2026-11-19T12:00:00Z", None),
        item("b7", "Muito bom", "2026-11-19T12:30:00Z", None),  # no author: never a repeat
    ]
    config = write_config(tmp_path)
    lake = tmp_path / "lake"
    drop(tmp_path / "drops", "night1.jsonl", night_1)
    first = nightly(config_path=str(config), run_date=NIGHT_1)
    old_partition = lake / "feedback" / "created_date=2026-11-08" / "part-0.parquet"
    before = digest(old_partition)
    [(a2_sentiment_before, a2_scored_run)] = query(
        lake, "select s.sentiment, s.run_id from {scored} s join {feedback} f using (feedback_id) where f.source_item_id = 'a2'"
    )

    (tmp_path / "drops" / "night1.jsonl").unlink()
    drop(tmp_path / "drops", "night2.jsonl", night_2)
    second = nightly(config_path=str(config), run_date=NIGHT_2)
    assert first.status == second.status == "success"

    ids = sorted(row[0] for row in query(lake, "select source_item_id from {feedback}"))
    assert ids == ["a1", "a2", "a3", "b2", "b3", "b4", "b6", "b7"]
    assert query(lake, "select cast(created_date as varchar) from {feedback} where source_item_id = 'b4'") == [("2026-11-02",)]
    assert digest(old_partition) == before, "an unchanged partition was rewritten"
    [(text, run_id)] = query(lake, "select text, run_id from {feedback} where source_item_id = 'a2'")
    assert text.startswith("The courier was rude") and run_id == second.run_id
    [(sentiment, scored_run)] = query(
        lake, "select s.sentiment, s.run_id from {scored} s join {feedback} f using (feedback_id) where f.source_item_id = 'a2'"
    )
    assert scored_run == second.run_id != a2_scored_run and sentiment == "negative"
    assert query(lake, "select count(*), count(distinct feedback_id) from {scored}") == [(8, 8)]
    assert query(lake, "select sum(n_feedback) from {summary}") == [(8,)]
    assert query(lake, "select n_negative from {summary} where created_date = '2026-11-09'") == [(1,)]

    files = {p: digest(p) for p in lake.glob("[!r]*/*/*.parquet")}
    third = nightly(config_path=str(config), run_date=NIGHT_2)
    assert sum(o.changed for o in third.outcomes) == 0
    assert {p: digest(p) for p in lake.glob("[!r]*/*/*.parquet")} == files

    rows_in = len(night_1) + len(night_2)
    repeats = 4  # a1 again, a2's superseded first version, b1 (repost), b5 (repeat in batch)
    assert fault_report.record("late, repeated and edited items over two nights", rows_in, len(ids), 0, repeats) == 0


def summary_counts(lake: Path) -> dict[str, tuple[int, int]]:
    """Per created_date: items and negative items, summed over the day's groups."""
    rows = query(lake, "select cast(created_date as varchar), sum(n_feedback), sum(n_negative) from {summary} group by 1")
    return {day: (int(items), int(negative)) for day, items, negative in rows}


def test_an_item_whose_created_at_changes_moves_to_its_new_date(prefect_server, tmp_path: Path, fault_report) -> None:
    complaint = "The courier was rude and my parcel came a week late"
    night_1 = [
        item("m1", complaint, "2026-11-08T09:00:00Z", "ana"),
        item("m2", "Lovely shop, quick delivery", "2026-11-08T10:00:00Z", "bob"),
        item("m3", "Great service, thank you", "2026-11-12T09:00:00Z", "cid"),
        item("m4", "Muito bom, recomendo", "2026-11-05T09:00:00Z", "dan"),  # alone on its date
    ]
    config = write_config(tmp_path)
    lake = tmp_path / "lake"
    drop(tmp_path / "drops", "reviews.jsonl", night_1)
    nightly(config_path=str(config), run_date=NIGHT_1 + timedelta(days=2))
    assert summary_counts(lake) == {"2026-11-05": (1, 0), "2026-11-08": (2, 1), "2026-11-12": (1, 0)}

    night_2 = [dict(night_1[0], at="2026-11-12T18:00:00Z"), night_1[1], night_1[2],
               dict(night_1[3], at="2026-11-06T09:00:00Z")]  # the source re-stamps two edited items
    drop(tmp_path / "drops", "reviews.jsonl", night_2)
    second = nightly(config_path=str(config), run_date=NIGHT_2)
    assert second.status == "success"

    for table in ("feedback", "scored"):
        assert query(lake, f"select count(*), count(distinct feedback_id) from {{{table}}}") == [(4, 4)]
    placed = query(lake, "select f.source_item_id, cast(f.created_date as varchar), cast(s.created_date as varchar) "
                         "from {feedback} f join {scored} s using (feedback_id) order by 1")
    assert placed == [("m1", "2026-11-12", "2026-11-12"), ("m2", "2026-11-08", "2026-11-08"),
                      ("m3", "2026-11-12", "2026-11-12"), ("m4", "2026-11-06", "2026-11-06")]
    assert summary_counts(lake) == {"2026-11-06": (1, 0), "2026-11-08": (1, 0), "2026-11-12": (2, 1)}
    for table in ("feedback", "scored", "daily_summary"):
        assert not (lake / table / "created_date=2026-11-05").exists()
    assert not (lake / "_state" / "moved_from.json").exists()

    files = {p: digest(p) for p in lake.glob("[!r]*/*/*.parquet")}
    assert sum(o.changed for o in nightly(config_path=str(config), run_date=NIGHT_2).outcomes) == 0
    assert {p: digest(p) for p in lake.glob("[!r]*/*/*.parquet")} == files
    stored = query(lake, "select count(*) from {feedback}")[0][0]
    assert fault_report.record("an edited item moving to another date", len(night_1) + len(night_2), stored, 0,
                               len(night_2)) == 0


AT = datetime(2026, 11, 10, 8, tzinfo=timezone.utc)


def test_repeated_text_window_is_configurable_and_order_independent() -> None:
    items = [("x1", "h", "Late again", AT), ("x2", "h", "late again", AT + timedelta(hours=20)),
             ("x3", "h", "Late again", AT + timedelta(hours=30))]
    assert repeated_texts(items, [], timedelta(hours=24)) == {"x2"}
    assert repeated_texts(items, [], timedelta(hours=0)) == set()
    assert repeated_texts(items, [], timedelta(hours=48)) == {"x2", "x3"}
    # completing an interrupted run: x1 and x3 already stored, the batch comes again whole
    assert repeated_texts(items, [items[0], items[2]], timedelta(hours=24)) == {"x2"}
    # an item stored earlier is kept; the same text under another id within the window is not
    assert repeated_texts([("y1", "h", "Late again", AT + timedelta(hours=3))], [items[0]], timedelta(hours=24)) == {"y1"}
    assert repeated_texts([("y1", None, "Late again", AT)], [("x1", None, "Late again", AT)], timedelta(hours=24)) == set()


def test_duplicate_window_setting_is_validated(tmp_path: Path) -> None:
    from causa.pipelines.settings import SettingsError, load_settings

    config = write_config(tmp_path, extra_lake="duplicate_window_hours = 6\nlock_wait_seconds = 5")
    settings = load_settings(config)
    assert settings.duplicate_window_hours == 6.0 and settings.lock_wait_seconds == 5.0
    bad = write_config(tmp_path, extra_lake="duplicate_window_hours = -1")
    with pytest.raises(SettingsError, match="lake.duplicate_window_hours must be a number >= 0, got -1"):
        load_settings(bad)
