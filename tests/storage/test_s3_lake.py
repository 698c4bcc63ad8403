"""The lake in an object store: moto's S3 server on 127.0.0.1 holds s3://bucket/lake; the same merge, idempotence
and all-or-nothing partition writes as on a local disk, read back with pyarrow and DuckDB."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from causa.storage.files import write_json_atomically
from causa.storage.filesystem import RemotePath
from causa.storage.lake import Lake
from causa.storage.layout import PARTITION_FILE
from causa.storage.state import StateStore
from tests.storage.test_lake import DAY_1, DAY_2, SPEC, days, rows

@pytest.fixture()
def bucket(s3_server) -> str:
    return s3_server.new_bucket()


@pytest.fixture()
def lake(s3_server, bucket, tmp_path) -> Lake:
    return Lake(RemotePath(f"s3://{bucket}/lake", s3_server.options), scratch=tmp_path / "scratch")


def test_upserts_land_as_hive_partitions_read_back_by_pyarrow_and_duckdb(lake, s3_server, bucket) -> None:
    stats = lake.upsert(SPEC, rows(("a", 1, "r1"), ("b", 2, "r1"), ("c", 3, "r1")), days(DAY_1, DAY_2, DAY_2))
    assert stats.rows_changed == 3 and stats.partitions_written == 2
    assert sorted(s3_server.objects(bucket)) == [
        "lake/items/created_date=2026-10-01/part-0.parquet",
        "lake/items/created_date=2026-10-02/part-0.parquet",
    ], "nothing but the partitions is written to the bucket (staging stays local)"
    assert lake.partitions(SPEC) == [DAY_1, DAY_2]
    assert lake.row_count(SPEC, DAY_2) == 2
    assert sorted(lake.read(SPEC).column("item_id").to_pylist()) == ["a", "b", "c"]

    # A report consumer's view: pyarrow's own S3 client over the hive layout, and DuckDB over that dataset.
    filesystem = pafs.S3FileSystem(endpoint_override=s3_server.endpoint, region="us-east-1")
    dataset = ds.dataset(f"{bucket}/lake/items", filesystem=filesystem, format="parquet", partitioning="hive")
    assert dataset.to_table().num_rows == 3
    with duckdb.connect() as con:
        con.register("items", dataset)
        by_day = con.execute("select created_date, count(*), sum(value) from items group by 1 order by 1").fetchall()
    assert [(str(day), n, total) for day, n, total in by_day] == [("2026-10-01", 1, 1), ("2026-10-02", 2, 5)]


def test_repeating_a_write_changes_no_object_and_a_change_rewrites_one_partition(lake, s3_server, bucket) -> None:
    lake.upsert(SPEC, rows(("a", 1, "r1"), ("b", 2, "r1")), days(DAY_1, DAY_2))
    before = s3_server.versions(bucket)
    stats = lake.upsert(SPEC, rows(("a", 1, "r2"), ("b", 2, "r2")), days(DAY_1, DAY_2))
    assert stats.rows_changed == 0 and stats.partitions_written == 0
    assert s3_server.versions(bucket) == before, "an identical rerun must not write any object"

    stats = lake.upsert(SPEC, rows(("b", 7, "r3"), ("c", 3, "r3")), days(DAY_2, DAY_2))
    assert (stats.rows_changed, stats.partitions_written) == (2, 1)
    after = s3_server.versions(bucket)
    day_1 = "lake/items/created_date=2026-10-01/part-0.parquet"
    day_2 = "lake/items/created_date=2026-10-02/part-0.parquet"
    assert after[day_1] == before[day_1]
    assert len(after[day_2]) == 2
    assert [(r["item_id"], r["value"], r["run_id"]) for r in lake.read(SPEC, [DAY_2]).to_pylist()] == [
        ("b", 7, "r3"), ("c", 3, "r3")
    ]


def test_a_failed_write_leaves_the_previous_partition_readable(lake, s3_server, bucket, tmp_path) -> None:
    lake.upsert(SPEC, rows(("a", 1, "r1"), ("b", 2, "r1")), days(DAY_1, DAY_1))
    before = s3_server.versions(bucket)

    def failing_batches():
        yield rows(("a", 10, "r2")).to_batches()[0]
        raise OSError("disk full while writing the partition")

    with pytest.raises(OSError, match="disk full"):
        lake._replace_partition(SPEC, DAY_1, failing_batches())
    assert s3_server.versions(bucket) == before, "a failed write must publish nothing"
    assert [(r["item_id"], r["value"]) for r in lake.read(SPEC).to_pylist()] == [("a", 1), ("b", 2)]
    assert not any(path.is_file() for path in (tmp_path / "scratch").rglob("*")), "scratch files are removed"

    # A failure while merging (the incoming batch does not fit the schema) leaves the table as it was, too.
    staged = lake.stage(SPEC)
    with pytest.raises(ValueError, match="missing columns"):
        staged.add(pa.table({"item_id": ["c"]}), days(DAY_1))
    staged.discard()
    assert lake.read(SPEC).num_rows == 2 and s3_server.versions(bucket) == before


def test_overwrite_replaces_and_removes_a_partition(lake, s3_server, bucket) -> None:
    assert lake.overwrite(SPEC, DAY_1, rows(("a", 1, "r1")))
    assert not lake.overwrite(SPEC, DAY_1, rows(("a", 1, "r2"))), "an equal partition is left as it is"
    assert lake.overwrite(SPEC, DAY_1, SPEC.schema.empty_table())
    assert lake.partitions(SPEC) == []
    assert not [key for key in s3_server.objects(bucket) if key.endswith(PARTITION_FILE)]


def test_state_and_json_files_round_trip_through_the_object_store(s3_server, bucket) -> None:
    root = RemotePath(f"s3://{bucket}/lake", s3_server.options)
    state = StateStore(root)
    assert state.watermark("reviews") is None
    state.advance_watermark("reviews", date(2026, 10, 2), "run-1")
    version = s3_server.versions(bucket)["lake/_state/reviews/watermark.json"]
    state.advance_watermark("reviews", date(2026, 10, 1), "run-2")  # never moves back: no write
    assert StateStore(root).watermark("reviews") == date(2026, 10, 2)
    assert s3_server.versions(bucket)["lake/_state/reviews/watermark.json"] == version
    write_json_atomically(root / "notes" / "x.json", {"k": [1, 2]})
    assert (root / "notes" / "x.json").read_text() == '{\n "k": [\n  1,\n  2\n ]\n}\n'
