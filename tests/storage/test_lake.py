"""The lake merges by key, keeps unchanged rows as they were, and reads back through pyarrow and DuckDB."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pytest

from causa.storage.lake import Lake, NullKeyError
from causa.storage.schemas import TableSpec

SPEC = TableSpec(
    name="items",
    schema=pa.schema([("item_id", pa.string()), ("value", pa.int64()), ("run_id", pa.string())]),
    key=("item_id",),
    partition_column="created_date",
    volatile_columns=("run_id",),
)
DAY_1, DAY_2 = date(2026, 10, 1), date(2026, 10, 2)


def rows(*items: tuple[str, int, str]) -> pa.Table:
    return pa.Table.from_pylist([{"item_id": i, "value": v, "run_id": r} for i, v, r in items], schema=SPEC.schema)


def days(*values: date) -> pa.Array:
    return pa.array(values, type=pa.date32())


def test_rows_land_in_their_date_partition(tmp_path) -> None:
    lake = Lake(tmp_path)
    stats = lake.upsert(SPEC, rows(("a", 1, "r1"), ("b", 2, "r1")), days(DAY_1, DAY_2))
    assert stats.rows_changed == 2 and stats.partitions_written == 2
    assert lake.partitions(SPEC) == [DAY_1, DAY_2]
    assert (tmp_path / "items" / "created_date=2026-10-01" / "part-0.parquet").is_file()


def test_repeating_a_write_changes_no_file(tmp_path) -> None:
    lake = Lake(tmp_path)
    lake.upsert(SPEC, rows(("a", 1, "r1")), days(DAY_1))
    path = lake.partition_path(SPEC, DAY_1)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    stats = lake.upsert(SPEC, rows(("a", 1, "r2")), days(DAY_1))
    assert stats.rows_changed == 0
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert lake.read(SPEC).column("run_id").to_pylist() == ["r1"]


def test_changed_row_replaces_and_late_row_merges(tmp_path) -> None:
    lake = Lake(tmp_path)
    lake.upsert(SPEC, rows(("a", 1, "r1"), ("b", 2, "r1")), days(DAY_1, DAY_1))
    stats = lake.upsert(SPEC, rows(("b", 5, "r2"), ("c", 3, "r2")), days(DAY_1, DAY_1))
    assert stats.rows_changed == 2
    table = lake.read(SPEC).to_pylist()
    assert [(r["item_id"], r["value"], r["run_id"]) for r in table] == [("a", 1, "r1"), ("b", 5, "r2"), ("c", 3, "r2")]


def test_last_copy_of_a_key_in_one_write_wins(tmp_path) -> None:
    lake = Lake(tmp_path)
    lake.upsert(SPEC, rows(("a", 1, "r1"), ("a", 9, "r1")), days(DAY_1, DAY_1))
    assert lake.read(SPEC).column("value").to_pylist() == [9]


def test_duckdb_and_pyarrow_read_the_partitioned_table(tmp_path) -> None:
    lake = Lake(tmp_path)
    lake.upsert(SPEC, rows(("a", 1, "r1"), ("b", 2, "r1"), ("c", 3, "r1")), days(DAY_1, DAY_2, DAY_2))
    assert lake.dataset(SPEC).to_table().num_rows == 3
    result = duckdb.execute(
        f"select created_date, sum(value) from read_parquet('{tmp_path}/items/*/*.parquet', hive_partitioning=true) "
        "group by 1 order by 1"
    ).fetchall()
    assert result == [(DAY_1, 1), (DAY_2, 5)]


def test_old_partition_without_a_new_column_reads_as_nulls(tmp_path) -> None:
    lake = Lake(tmp_path)
    lake.upsert(SPEC, rows(("a", 1, "r1")), days(DAY_1))
    wider = TableSpec(
        name="items", schema=SPEC.schema.append(pa.field("note", pa.string())), key=SPEC.key,
        partition_column=SPEC.partition_column,
    )
    assert lake.read(wider).column("note").to_pylist() == [None]


def test_missing_column_and_missing_date_are_named(tmp_path) -> None:
    lake = Lake(tmp_path)
    with pytest.raises(ValueError, match="value"):
        lake.upsert(SPEC, pa.table({"item_id": ["a"], "run_id": ["r"]}), days(DAY_1))
    with pytest.raises(ValueError, match="created_date"):
        lake.upsert(SPEC, rows(("a", 1, "r1")), pa.array([None], type=pa.date32()))


def test_no_staging_file_is_left_behind(tmp_path) -> None:
    lake = Lake(tmp_path)
    lake.upsert(SPEC, rows(("a", 1, "r1")), days(DAY_1))
    assert list((tmp_path / ".staging").iterdir()) == []


def test_staged_batches_merge_once_with_the_last_copy_of_a_key_winning(tmp_path) -> None:
    lake = Lake(tmp_path)
    lake.upsert(SPEC, rows(("a", 1, "r1"), ("b", 2, "r1")), days(DAY_1, DAY_1))
    staged = lake.stage(SPEC)
    staged.add(rows(("b", 7, "r2"), ("c", 3, "r2")), days(DAY_1, DAY_1))
    staged.add(rows(("c", 4, "r2"), ("d", 5, "r2"), ("a", 1, "r2")), days(DAY_1, DAY_2, DAY_1))
    assert lake.read(SPEC).num_rows == 2  # nothing is visible before the commit
    stats = staged.commit()
    assert (stats.rows_offered, stats.rows_changed, stats.partitions_written) == (5, 3, 2)
    table = lake.read(SPEC).to_pylist()
    assert sorted((r["item_id"], r["value"], r["run_id"]) for r in table) == [
        ("a", 1, "r1"), ("b", 7, "r2"), ("c", 4, "r2"), ("d", 5, "r2")
    ]
    assert list((tmp_path / ".staging").iterdir()) == []


def test_rerun_of_a_many_batch_partition_rewrites_nothing(tmp_path) -> None:
    lake = Lake(tmp_path)
    values = [(f"k{i:05d}", i, "r1") for i in range(150_000)]
    staged = lake.stage(SPEC)
    for start in range(0, len(values), 40_000):
        chunk = values[start : start + 40_000]
        staged.add(rows(*chunk), days(*[DAY_1] * len(chunk)))
    assert staged.commit().rows_changed == 150_000
    before = lake.partition_path(SPEC, DAY_1).stat().st_mtime_ns
    again = [(key, value, "r2") for key, value, _ in values]
    assert lake.upsert(SPEC, rows(*again), days(*[DAY_1] * len(again))).rows_changed == 0
    assert lake.partition_path(SPEC, DAY_1).stat().st_mtime_ns == before
    changed = lake.upsert(SPEC, rows(("k00007", -7, "r3")), days(DAY_1))
    assert changed.rows_changed == 1 and lake.row_count(SPEC, DAY_1) == 150_000
    assert duckdb.execute(
        f"select value from read_parquet('{tmp_path}/items/*/*.parquet') where item_id = 'k00007'"
    ).fetchall() == [(-7,)]


def test_discarded_staging_leaves_the_table_untouched(tmp_path) -> None:
    lake = Lake(tmp_path)
    staged = lake.stage(SPEC)
    staged.add(rows(("a", 1, "r1")), days(DAY_1))
    staged.discard()
    assert lake.partitions(SPEC) == [] and staged.commit().rows_changed == 0


def test_rows_with_a_null_key_are_refused_and_the_table_is_left_as_it_was(tmp_path) -> None:
    lake = Lake(tmp_path)
    lake.upsert(SPEC, rows(("a", 1, "r1")), days(DAY_1))
    path = lake.partition_path(SPEC, DAY_1)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    offered = pa.Table.from_pylist(
        [{"item_id": None, "value": 2, "run_id": "r2"}, {"item_id": "b", "value": 3, "run_id": "r2"},
         {"item_id": None, "value": 4, "run_id": "r2"}],
        schema=SPEC.schema,
    )
    message = "items: 2 of 3 rows have no item_id"
    with pytest.raises(NullKeyError, match=message):
        lake.upsert(SPEC, offered, days(DAY_1, DAY_1, DAY_2))
    staged = lake.stage(SPEC)
    with pytest.raises(NullKeyError, match=message):
        staged.add(offered, days(DAY_1, DAY_1, DAY_2))
    assert staged.commit().rows_changed == 0
    with pytest.raises(NullKeyError, match=message):
        lake.overwrite(SPEC, DAY_1, offered)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert lake.partitions(SPEC) == [DAY_1] and lake.read(SPEC).column("item_id").to_pylist() == ["a"]
    assert list((tmp_path / ".staging").iterdir()) == []


def test_a_key_staged_for_another_date_moves_there_when_keys_live_in_one_partition(tmp_path) -> None:
    lake = Lake(tmp_path)
    DAY_3, DAY_4 = date(2026, 10, 3), date(2026, 10, 4)
    lake.upsert(SPEC, rows(("a", 1, "r1"), ("b", 2, "r1"), ("c", 3, "r1")), days(DAY_1, DAY_1, DAY_2))

    staged = lake.stage(SPEC, one_partition_per_key=True)
    staged.add(rows(("a", 1, "r2"), ("c", 3, "r2")), days(DAY_2, DAY_3))  # a: day 1 -> 2; c: day 2 -> 3 ...
    staged.add(rows(("c", 4, "r2")), days(DAY_4))  # ... then, later in the same commit, day 4
    stats = staged.commit()

    placed = {day: lake.read_partition(SPEC, day).column("item_id").to_pylist() for day in lake.partitions(SPEC)}
    assert placed == {DAY_1: ["b"], DAY_2: ["a"], DAY_4: ["c"]}  # day 3 never written, day 2 kept for a
    assert (stats.rows_changed, stats.rows_moved, stats.moved_from) == (2, 2, (DAY_1, DAY_2))
    assert lake.moved_from() == {DAY_1, DAY_2}
    lake.clear_moved_from([DAY_1])
    assert lake.moved_from() == {DAY_2}

    staged = lake.stage(SPEC, one_partition_per_key=True)
    staged.add(rows(("b", 2, "r3")), days(DAY_3))  # the last row of day 1 leaves: the partition goes
    assert staged.commit().moved_from == (DAY_1,)
    assert lake.partitions(SPEC) == [DAY_2, DAY_3, DAY_4]
    assert not (tmp_path / "items" / "created_date=2026-10-01").exists()

    lake.upsert(SPEC, rows(("a", 9, "r4")), days(DAY_1))  # without the option a key may sit under two dates
    assert sorted(lake.read(SPEC).column("item_id").to_pylist()) == ["a", "a", "b", "c"]
