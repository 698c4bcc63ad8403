"""Schema evolution: partitions written before a column or a cause existed still read, as nulls, through the lake,
DuckDB and pyarrow; every table says which schema version wrote it."""

from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import causa.storage.schemas as schemas
from causa.storage.lake import Lake
from causa.nlp.taxonomy import DEFAULT_CAUSES
from causa.storage.schemas import FEEDBACK, SCHEMA_VERSION, SCORED, TableSpec, daily_summary_spec
from causa.storage.summary import daily_summary

pytestmark = pytest.mark.reliability

OLD_DAY, NEW_DAY = date(2026, 1, 5), date(2026, 11, 5)
NEW_COLUMNS = ("product", "ces", "response_seconds")


def feedback_row(item_id: str, day: date, **extra) -> dict:
    return {
        "feedback_id": item_id, "source": "shop", "source_item_id": item_id, "channel": "review",
        "created_at": datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc), "text": f"text {item_id}",
        "redactions": [], "language": "en", "rating": 2.0, "rating_scale": 5, "nps": None, "csat": None,
        "author_hash": None, "run_id": "r", "schema_version": SCHEMA_VERSION, **extra,
    }


def write_old_feedback_partition(lake: Lake) -> None:
    """A feedback partition as an older causa wrote it: without the `product`, `ces` and `response_seconds` columns,
    schema version 0."""
    old_schema = pa.schema([field for field in FEEDBACK.schema if field.name not in NEW_COLUMNS])
    row = feedback_row("old-1", OLD_DAY, schema_version=0)
    path = lake.partition_path(FEEDBACK, OLD_DAY)
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in row.items() if k in old_schema.names}], schema=old_schema), path)


def test_old_partition_without_new_columns_reads_as_nulls_everywhere(tmp_path) -> None:
    lake = Lake(tmp_path)
    write_old_feedback_partition(lake)
    new = pa.Table.from_pylist([feedback_row("new-1", NEW_DAY, product="router", ces=3)], schema=FEEDBACK.schema)
    lake.upsert(FEEDBACK, new, pa.array([NEW_DAY], type=pa.date32()))

    by_lake = {row["feedback_id"]: row for row in lake.read(FEEDBACK).to_pylist()}
    assert (by_lake["old-1"]["product"], by_lake["old-1"]["ces"], by_lake["old-1"]["response_seconds"]) == (None,) * 3
    assert (by_lake["new-1"]["product"], by_lake["new-1"]["ces"]) == ("router", 3)

    with duckdb.connect() as db:
        rows = db.execute(
            f"select feedback_id, product, ces, schema_version, created_date from read_parquet("
            f"'{tmp_path}/feedback/*/*.parquet', hive_partitioning=true, union_by_name=true) order by feedback_id"
        ).fetchall()
    assert rows == [("new-1", "router", 3, SCHEMA_VERSION, NEW_DAY), ("old-1", None, None, 0, OLD_DAY)]

    unified = FEEDBACK.schema.append(pa.field("created_date", pa.date32()))
    dataset = ds.dataset(tmp_path / "feedback", format="parquet", partitioning="hive", schema=unified)
    table = dataset.to_table(columns=["feedback_id", "product", "ces", "schema_version"]).sort_by("feedback_id")
    assert table.to_pylist() == [
        {"feedback_id": "new-1", "product": "router", "ces": 3, "schema_version": SCHEMA_VERSION},
        {"feedback_id": "old-1", "product": None, "ces": None, "schema_version": 0},
    ]

    # merging into the old partition upgrades its file to the current schema, keeping the old row
    lake.upsert(FEEDBACK, pa.Table.from_pylist([feedback_row("late-1", OLD_DAY, ces=7)], schema=FEEDBACK.schema),
                pa.array([OLD_DAY], type=pa.date32()))
    upgraded = pq.read_table(lake.partition_path(FEEDBACK, OLD_DAY))
    assert upgraded.schema.names == FEEDBACK.schema.names
    assert sorted(upgraded.column("feedback_id").to_pylist()) == ["late-1", "old-1"]


def summary_for(day: date, causes: tuple[str, ...], found: list[str]) -> pa.Table:
    feedback = pa.Table.from_pylist([feedback_row("f1", day), feedback_row("f2", day)], schema=FEEDBACK.schema)
    feedback = feedback.append_column("created_date", pa.array([day, day], type=pa.date32()))
    scored = pa.Table.from_pylist(
        [{"feedback_id": "f1", "sentiment": "negative", "causes": found},
         {"feedback_id": "f2", "sentiment": "positive", "causes": []}],
        schema=pa.schema([("feedback_id", pa.string()), ("sentiment", pa.string()), ("causes", pa.list_(pa.string()))]),
    )
    return pa.Table.from_pandas(daily_summary(feedback, scored, causes), preserve_index=False)


def test_a_new_cause_adds_a_summary_column_without_breaking_old_partitions(tmp_path) -> None:
    lake = Lake(tmp_path)
    old_spec = daily_summary_spec(DEFAULT_CAUSES)
    old = summary_for(OLD_DAY, DEFAULT_CAUSES, ["delay"])
    lake.upsert(old_spec, old, old.column("created_date"))
    causes = (*DEFAULT_CAUSES, "wrong_item")
    new_spec = daily_summary_spec(causes)
    assert "cause_wrong_item" in new_spec.schema.names and "cause_wrong_item" not in old_spec.schema.names
    new = summary_for(NEW_DAY, causes, ["wrong_item", "delay"])
    lake.upsert(new_spec, new, new.column("created_date"))

    rows = {row["created_date"]: row for row in lake.read(new_spec).to_pylist()}
    assert rows[OLD_DAY]["cause_wrong_item"] is None and rows[OLD_DAY]["cause_delay"] == 1
    assert rows[NEW_DAY]["cause_wrong_item"] == 1 and rows[NEW_DAY]["cause_delay"] == 1

    with duckdb.connect() as db:
        by_day = db.execute(
            f"select created_date, cause_delay, cause_wrong_item from read_parquet('{tmp_path}/daily_summary/*/*.parquet',"
            " hive_partitioning=true, union_by_name=true) order by 1"
        ).fetchall()
        total = db.execute(
            f"select sum(cause_delay), sum(cause_wrong_item) from read_parquet('{tmp_path}/daily_summary/*/*.parquet',"
            " union_by_name=true)"
        ).fetchall()
    assert by_day == [(OLD_DAY, 1, None), (NEW_DAY, 1, 1)] and total == [(2, 1)]
    unified = new_spec.schema.append(pa.field("created_date", pa.date32()))
    table = ds.dataset(tmp_path / "daily_summary", format="parquet", partitioning="hive", schema=unified).to_table()
    assert sorted(table.column("cause_wrong_item").to_pylist(), key=str) == [1, None]


def test_every_table_carries_the_schema_version() -> None:
    specs = [value for value in vars(schemas).values() if isinstance(value, TableSpec)]
    specs += [daily_summary_spec(), SCORED]
    assert {spec.name for spec in specs} >= {"feedback", "scored", "daily_summary", "runs", "quarantine"}
    for spec in specs:
        assert spec.schema.field("schema_version").type == pa.int16(), spec.name


SUMMARY_NEW_COLUMNS = ("n_responded", "response_p50_s", "response_p90_s", "n_csi", "csi")


def test_summary_partitions_from_before_response_times_and_the_csi_read_as_nulls(tmp_path) -> None:
    lake = Lake(tmp_path)
    spec = daily_summary_spec(DEFAULT_CAUSES)
    old_schema = pa.schema([field for field in spec.schema if field.name not in SUMMARY_NEW_COLUMNS])
    old = summary_for(OLD_DAY, DEFAULT_CAUSES, ["delay"]).select(old_schema.names).cast(old_schema)
    path = lake.partition_path(spec, OLD_DAY)
    path.parent.mkdir(parents=True)
    pq.write_table(old, path)
    feedback = pa.Table.from_pylist(
        [feedback_row("n1", NEW_DAY, response_seconds=60.0, csat=5), feedback_row("n2", NEW_DAY, response_seconds=180.0)],
        schema=FEEDBACK.schema,
    ).append_column("created_date", pa.array([NEW_DAY, NEW_DAY], type=pa.date32()))
    scored = pa.Table.from_pylist([{"feedback_id": key, "sentiment": "neutral", "causes": []} for key in ("n1", "n2")])
    new = pa.Table.from_pandas(daily_summary(feedback, scored, DEFAULT_CAUSES, {"csat": 1.0}), preserve_index=False)
    lake.upsert(spec, new, new.column("created_date"))

    rows = {row["created_date"]: row for row in lake.read(spec).to_pylist()}
    assert [rows[OLD_DAY][name] for name in SUMMARY_NEW_COLUMNS] == [None] * 5 and rows[OLD_DAY]["cause_delay"] == 1
    assert [rows[NEW_DAY][name] for name in SUMMARY_NEW_COLUMNS] == [2, 120.0, 168.0, 1, 100.0]
    with duckdb.connect() as db:
        by_day = db.execute(
            f"select created_date, n_responded, response_p50_s, csi from read_parquet('{tmp_path}/daily_summary/*/*.parquet',"
            " hive_partitioning=true, union_by_name=true) order by 1"
        ).fetchall()
    assert by_day == [(OLD_DAY, None, None, None), (NEW_DAY, 2, 120.0, 100.0)]
