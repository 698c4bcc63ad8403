"""The lake: Hive-partitioned Parquet tables under one root, written atomically and merged by key."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from causa.storage.disk_full import refused_writes_named
from causa.storage.errors import StorageError
from causa.storage.filesystem import (
    LakePath, RemotePath, dataset, default_scratch, lake_path, parquet_file, parquet_schema, publish_parquet,
    read_parquet, write_bytes_atomically,
)
from causa.storage.layout import (
    PARTITION_FILE, moved_from_path, partition_day, partition_file, staging_dir, staging_prefix, staging_writer,
    table_dir,
)
from causa.storage.schemas import TableSpec, table_spec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteStats:
    """What one upsert did: rows offered, rows new or changed, partitions rewritten, and the rows removed from the
    partition of their old date because they moved to another one (`moved_from`: those dates)."""

    rows_offered: int
    rows_changed: int
    partitions_written: int
    rows_moved: int = 0
    moved_from: tuple[date, ...] = ()


class Lake:
    """A folder of tables; each table is a folder of `<partition_column>=<date>/part-0.parquet` files (see
    causa.storage.layout).

    `root` is a local folder, or an object-store URL / RemotePath (s3://bucket/prefix; see causa.storage.filesystem).
    Batches being staged and files being written wait in `<root>/.staging` for a local lake, and in the local
    folder `scratch` (default: one per lake in the temp folder) for a remote one.
    """

    def __init__(self, root: str | os.PathLike[str] | RemotePath, scratch: str | os.PathLike[str] | None = None) -> None:
        self.root: LakePath = lake_path(root)
        if scratch is not None:
            self.staging_dir = Path(scratch)
        elif isinstance(self.root, RemotePath):
            self.staging_dir = default_scratch(self.root)
        else:
            self.staging_dir = staging_dir(self.root)

    def table_path(self, spec: TableSpec) -> LakePath:
        return table_dir(self.root, spec.name)

    def partition_path(self, spec: TableSpec, day: date) -> LakePath:
        return partition_file(self.root, spec.name, spec.partition_column, day)

    def partitions(self, spec: TableSpec) -> list[date]:
        """The dates that have a partition file, oldest first."""
        folder = self.table_path(spec)
        column = spec.partition_column
        if isinstance(folder, RemotePath):  # one listing instead of a request per partition
            found = [str(path)[len(str(folder)) + 1 :].split("/") for path in folder.files()]
            days = [partition_day(column, parts[0]) for parts in found if parts[1:] == [PARTITION_FILE]]
        elif folder.is_dir():
            days = [partition_day(column, child.name) for child in folder.iterdir() if (child / PARTITION_FILE).is_file()]
        else:
            days = []
        return sorted(day for day in days if day is not None)

    def read_partition(self, spec: TableSpec, day: date, columns: Sequence[str] | None = None) -> pa.Table:
        """One partition's rows (only `columns` when given); a missing partition reads as no rows."""
        schema = spec.schema if columns is None else pa.schema([spec.schema.field(name) for name in columns])
        path = self.partition_path(spec, day)
        if not path.is_file():
            return schema.empty_table()
        stored = parquet_schema(path).names
        table = read_parquet(path, columns=[name for name in schema.names if name in stored])
        return _conform(table, schema, fill_missing=True)

    def row_count(self, spec: TableSpec, day: date) -> int:
        """Rows in one partition, from its file's footer (0 when there is none)."""
        path = self.partition_path(spec, day)
        return parquet_file(path).metadata.num_rows if path.is_file() else 0

    def read(self, spec: TableSpec | str, days: Iterable[date] | None = None,
             columns: Sequence[str] | None = None) -> pa.Table:
        """Rows of a table (its spec or its name) with its partition column, for the given dates (all when None),
        `columns` only if given."""
        if isinstance(spec, str):
            spec = table_spec(spec)
        wanted = self.partitions(spec) if days is None else sorted(set(days))
        parts = []
        for day in wanted:
            table = self.read_partition(spec, day, columns)
            column = pa.array([day] * table.num_rows, type=pa.date32())
            parts.append(table.append_column(spec.partition_column, column))
        if not parts:
            empty = self.read_partition(spec, date.min, columns)
            return empty.append_column(spec.partition_column, pa.array([], type=pa.date32()))
        return pa.concat_tables(parts)

    def dataset(self, spec: TableSpec) -> ds.Dataset:
        """The table as a pyarrow dataset, the way report consumers read it."""
        return dataset(self.table_path(spec), format="parquet", partitioning="hive")

    def upsert(self, spec: TableSpec, rows: pa.Table, partition_values: pa.Array) -> WriteStats:
        """Merge rows into their partitions by key: new keys are added, changed rows replaced, equal rows kept.

        `partition_values` gives each row's partition date. A partition whose content would not change is not
        rewritten, so repeating a write leaves the files exactly as they were. Rows with a null key are refused
        (NullKeyError) before anything is written.
        """
        staged = self.stage(spec)
        try:
            staged.add(rows, partition_values)
            return staged.commit()
        finally:
            staged.discard()

    def stage(self, spec: TableSpec, one_partition_per_key: bool = False) -> StagedRows:
        """A place to add rows in bounded batches before merging them all into the table at once.

        `one_partition_per_key`: a key lives in one partition only, so a row staged for another date than the one
        its key is stored under moves there (see `StagedRows.commit`).
        """
        return StagedRows(self, spec, one_partition_per_key)

    def moved_from(self) -> set[date]:
        """Dates rows moved away from (see `StagedRows.commit`) whose derived tables are not yet recomputed: noted
        before the rows are removed, cleared by `clear_moved_from` once they are, so a killed run leaves them."""
        path = moved_from_path(self.root)
        if not path.is_file():
            return set()
        return {date.fromisoformat(day) for day in json.loads(path.read_text(encoding="utf-8"))["days"]}

    def note_moved_from(self, days: Iterable[date]) -> None:
        new = set(days) - self.moved_from()
        if new:
            known = sorted(self.moved_from() | new)
            write_bytes_atomically(
                moved_from_path(self.root), json.dumps({"days": [day.isoformat() for day in known]}).encode("utf-8")
            )

    def clear_moved_from(self, days: Iterable[date]) -> None:
        """Forgets dates whose derived tables are recomputed."""
        left = self.moved_from() - set(days)
        path = moved_from_path(self.root)
        if left:
            write_bytes_atomically(path, json.dumps({"days": [day.isoformat() for day in sorted(left)]}).encode("utf-8"))
        elif path.is_file():
            path.unlink()

    def discard_staging(self) -> int:
        """Removes temporary files and staged batches a killed run left in `.staging` (call only while holding the lake lock)."""
        staging = self.staging_dir
        if not staging.is_dir():
            return 0
        leftovers = [path for path in staging.iterdir() if not _writer_alive(path)]
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if leftovers:
            logger.warning("removed %d unfinished files a killed run left in %s", len(leftovers), staging)
        return len(leftovers)

    def overwrite(self, spec: TableSpec, day: date, rows: pa.Table) -> bool:
        """Make one partition hold exactly `rows` (for derived tables whose rows can disappear, such as alerts).

        No rows removes the partition. A partition already equal to `rows` (but for volatile columns) is left as it
        is, so repeating a write changes no file. Returns whether anything changed.
        """
        refuse_null_keys(rows, spec)
        rows = _conform(rows, spec.schema)
        target = self.partition_path(spec, day)
        if rows.num_rows == 0:
            if not target.is_file():
                return False
            target.unlink()
            if not any(target.parent.iterdir()):
                target.parent.rmdir()
            return True
        merged = latest_by_key(rows, spec)
        if target.is_file():
            existing = self.read_partition(spec, day).to_pylist()
            wanted = merged.to_pylist()
            if [_comparable(r, spec) for r in existing] == [_comparable(r, spec) for r in wanted]:
                return False
        self._replace_partition(spec, day, merged.to_batches())
        return True

    def _replace_partition(self, spec: TableSpec, day: date, batches: Iterable[pa.RecordBatch]) -> None:
        """Write the partition in staging, then publish it whole (local: one atomic rename; object store: one upload)."""
        target = self.partition_path(spec, day)
        with refused_writes_named(f"{spec.name} partition {target}"):
            publish_parquet(target, spec.schema, batches, self.staging_dir, prefix=staging_prefix(spec.name))


class StagedRows:
    """Rows of one table added in bounded batches, then merged into the lake's partitions by `commit`.

    Batches wait in `.staging` as small Parquet files (one per batch and date), so memory holds one batch at a
    time; `commit` merges each date's files with its partition in one pass and one atomic swap.
    """

    def __init__(self, lake: Lake, spec: TableSpec, one_partition_per_key: bool = False) -> None:
        self.lake = lake
        self.spec = spec
        self.one_partition_per_key = one_partition_per_key
        self.folder = lake.staging_dir / f"{staging_prefix(spec.name)}{uuid.uuid4().hex[:12]}"
        self.files: dict[date, list[Path]] = {}
        self.order: list[tuple[date, Path]] = []
        self.rows_offered = 0

    def add(self, rows: pa.Table, partition_values: pa.Array) -> None:
        """Stage rows; `partition_values` gives each row's partition date."""
        spec = self.spec
        refuse_null_keys(rows, spec)
        rows = _conform(rows, spec.schema)
        if len(partition_values) != rows.num_rows:
            raise ValueError(f"{spec.name}: {len(partition_values)} partition values for {rows.num_rows} rows")
        days = pc.cast(partition_values, pa.date32())
        if days.null_count:
            raise ValueError(f"{spec.name}: {days.null_count} of {rows.num_rows} rows have no {spec.partition_column}")
        for day in sorted(set(days.unique().to_pylist())):
            files = self.files.setdefault(day, [])
            path = self.folder / day.isoformat() / f"{len(files):06d}.parquet"
            with refused_writes_named(f"{spec.name} rows for {day} staged in {path}"):
                path.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(rows.filter(pc.equal(days, pa.scalar(day, pa.date32()))), path)
            files.append(path)
            self.order.append((day, path))
        self.rows_offered += rows.num_rows

    def commit(self) -> WriteStats:
        """Merge every staged date into its partition; a partition that would not change is not rewritten.

        With `one_partition_per_key`, the last staged copy of a key decides its date: the key's rows under any other
        date (stored, or staged earlier in this commit) are removed, in partitions rewritten by this same commit;
        those dates are noted in `Lake.moved_from` before any row is removed.
        """
        evicted = self._evicted() if self.one_partition_per_key and self.files else {}
        moved_from = sorted(day for day, keys in evicted.items() if keys[1])
        if moved_from:
            self.lake.note_moved_from(moved_from)
        changed = written = moved = 0
        for day in sorted(set(self.files) | set(evicted)):
            leaving = evicted[day][0] if day in evicted else None
            n_changed, n_removed = _merge_partition(self.lake, self.spec, day, self.files.get(day, []), leaving)
            changed += n_changed
            moved += n_removed
            written += n_changed > 0 or n_removed > 0
        logger.info(
            "%s: %d rows offered, %d new or changed, %d moved to another date, %d partitions written",
            self.spec.name, self.rows_offered, changed, moved, written,
        )
        stats = WriteStats(rows_offered=self.rows_offered, rows_changed=changed, partitions_written=written,
                           rows_moved=moved, moved_from=tuple(moved_from))
        self.discard()
        return stats

    def _evicted(self) -> dict[date, tuple[pa.Array, bool]]:
        """Per date, the keys whose last staged copy is under another date, and whether any of them is stored there.

        Reads the key columns of the staged files and of every stored partition (not their other columns).
        """
        keys = [_keys(pq.read_table(path, columns=list(self.spec.key)), self.spec) for _, path in self.order]
        days = [pa.array([day] * len(part), pa.date32()) for (day, _), part in zip(self.order, keys)]
        staged = pa.table({"key": pa.chunked_array(keys, pa.string()), "day": pa.chunked_array(days, pa.date32()),
                           "at": pa.array(np.arange(sum(len(part) for part in keys)))})
        last = staged.group_by("key").aggregate([("at", "max")])
        home_keys = last["key"].combine_chunks()
        home_days = staged["day"].take(last["at_max"]).combine_chunks()
        evicted: dict[date, tuple[pa.Array, bool]] = {}
        superseded = staged.filter(pc.invert(pc.is_in(staged["at"], value_set=last["at_max"])))
        for day in set(superseded["day"].to_pylist()):
            chosen = superseded.filter(pc.equal(superseded["day"], pa.scalar(day, pa.date32())))
            evicted[day] = (chosen["key"].combine_chunks(), False)
        for day in self.lake.partitions(self.spec):
            stored = _keys(read_parquet(self.lake.partition_path(self.spec, day), columns=list(self.spec.key)), self.spec)
            found = pc.index_in(stored, value_set=home_keys)
            if found.null_count == len(found):
                continue
            present = pc.is_valid(found)
            elsewhere = pc.not_equal(home_days.take(found.filter(present)), pa.scalar(day, pa.date32()))
            leaving = stored.filter(present).filter(elsewhere)
            if len(leaving):
                earlier = evicted.get(day, (pa.array([], pa.string()), False))[0]
                evicted[day] = (pa.concat_arrays([earlier, leaving.cast(pa.string())]), True)
        return evicted

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.files = {}
        self.order = []
        self.rows_offered = 0


READ_BATCH_ROWS = 65_536


def _merge_partition(
    lake: Lake, spec: TableSpec, day: date, staged: list[Path], leaving: pa.Array | None = None
) -> tuple[int, int]:
    """Merge staged files into one partition by key (the last staged copy of a key wins), without the `leaving`
    keys (rows that moved to another date); returns rows new or changed, and stored rows removed.

    Only key columns are held for the whole partition; rows stream through in batches. Stored rows keep their
    order, new rows follow in staging order; a stored row equal to its incoming copy but for the volatile columns
    is kept, so a rerun changes nothing. A partition left with no row is removed.
    """
    leaving = pa.array([], pa.string()) if leaving is None else leaving
    incoming = pa.chunked_array(
        [_keys(pq.read_table(path, columns=list(spec.key)), spec) for path in staged], type=pa.string()
    ).combine_chunks()
    winners = pa.table({"key": incoming, "at": pa.array(np.arange(len(incoming)))}).group_by("key").aggregate(
        [("at", "max")]
    )
    winners = winners.filter(pc.invert(pc.is_in(winners["key"], value_set=leaving)))
    target = lake.partition_path(spec, day)
    exists = target.is_file()
    stored = _keys(read_parquet(target, columns=list(spec.key)), spec) if exists else pa.array([], pa.string())
    known = pc.is_in(winners["key"], value_set=stored)
    rewritten = _changed_keys(
        _fingerprints(_staged_batches(staged, spec), winners.filter(known), spec),
        _fingerprints(_stored_batches(target, spec) if exists else iter(()), winners.filter(known), spec),
    )
    taken = pc.or_(pc.invert(known), pc.is_in(winners["key"], value_set=rewritten))
    n_changed = pc.sum(pc.cast(taken, pa.int64())).as_py() or 0
    n_removed = pc.sum(pc.cast(pc.is_in(stored, value_set=leaving), pa.int64())).as_py() or 0
    if not n_changed and not n_removed:
        return 0, 0
    if len(stored) - n_removed + (pc.sum(pc.cast(pc.invert(known), pa.int64())).as_py() or 0) == 0:
        target.unlink()
        if isinstance(target, Path) and not any(target.parent.iterdir()):
            target.parent.rmdir()
        return n_changed, n_removed
    keep = np.zeros(len(incoming), dtype=bool)
    keep[winners["at_max"].filter(taken).to_numpy()] = True
    dropped = pa.concat_arrays([rewritten, leaving.cast(pa.string())])

    def merged() -> Iterable[pa.RecordBatch]:
        if exists:
            for keys, batch in _stored_batches(target, spec):
                yield batch.filter(pc.invert(pc.is_in(keys, value_set=dropped)))
        offset = 0
        for keys, batch in _staged_batches(staged, spec):
            yield batch.filter(pa.array(keep[offset : offset + batch.num_rows]))
            offset += batch.num_rows

    lake._replace_partition(spec, day, merged())
    return n_changed, n_removed


def _stored_batches(path: LakePath, spec: TableSpec) -> Iterable[tuple[pa.Array, pa.RecordBatch]]:
    for batch in parquet_file(path).iter_batches(batch_size=READ_BATCH_ROWS):
        yield from _keyed_batches(_conform(pa.Table.from_batches([batch]), spec.schema, fill_missing=True), spec)


def _staged_batches(paths: list[Path], spec: TableSpec) -> Iterable[tuple[pa.Array, pa.RecordBatch]]:
    for path in paths:
        yield from _keyed_batches(pq.read_table(path), spec)


def _keyed_batches(table: pa.Table, spec: TableSpec) -> Iterable[tuple[pa.Array, pa.RecordBatch]]:
    for batch in table.combine_chunks().to_batches():
        yield _keys(pa.Table.from_batches([batch]), spec), batch


def _fingerprints(
    batches: Iterable[tuple[pa.Array, pa.RecordBatch]], wanted: pa.Table, spec: TableSpec
) -> dict[str, int]:
    """Hashes of the comparable content of the rows whose key is in `wanted` (the last copy of a key counts)."""
    if wanted.num_rows == 0:
        return {}
    found: dict[str, int] = {}
    for keys, batch in batches:
        chosen = pc.is_in(keys, value_set=wanted["key"])
        if not pc.any(chosen).as_py():
            continue
        for key, row in zip(keys.filter(chosen).to_pylist(), batch.filter(chosen).to_pylist()):
            found[key] = hash(_comparable(row, spec))
    return found


def _changed_keys(incoming: dict[str, int], stored: dict[str, int]) -> pa.Array:
    return pa.array([key for key, value in incoming.items() if stored.get(key) != value], type=pa.string())


def _keys(table: pa.Table, spec: TableSpec) -> pa.Array:
    """Each row's key as one string (key columns joined by a unit separator; they hold no nulls, see
    `refuse_null_keys`)."""
    parts = [pc.cast(table.column(name), pa.string()) for name in spec.key]
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def latest_by_key(rows: pa.Table, spec: TableSpec) -> pa.Table:
    """The last row of each key, sorted by key (for a partition written whole, such as an alerts day)."""
    latest = {_key(row, spec): row for row in rows.to_pylist()}
    return pa.Table.from_pylist([latest[key] for key in sorted(latest)], schema=spec.schema)


def _key(row: dict, spec: TableSpec) -> tuple[str, ...]:
    return tuple(str(row[column]) for column in spec.key)


def _comparable(row: dict, spec: TableSpec) -> str:
    kept = {name: value for name, value in row.items() if name not in spec.volatile_columns}
    return json.dumps(kept, sort_keys=True, default=str)


def _conform(table: pa.Table, schema: pa.Schema, fill_missing: bool = False) -> pa.Table:
    """The table with exactly the schema's columns, in order.

    A missing column is an error naming it, unless `fill_missing` (reading a partition written by an older
    schema), where it reads as nulls.
    """
    missing = [name for name in schema.names if name not in table.column_names]
    if missing and not fill_missing:
        raise ValueError(f"table is missing columns {missing}; it has {table.column_names}")
    for name in missing:
        table = table.append_column(name, pa.nulls(table.num_rows, type=schema.field(name).type))
    for field in schema:
        if not field.nullable and table.column(field.name).null_count:
            raise ValueError(f"column {field.name} is declared not null but {table.column(field.name).null_count} "
                             f"of {table.num_rows} rows have none")
    return table.select(schema.names).cast(schema)


class NullKeyError(StorageError, ValueError):
    """Rows offered to the lake with a null in a key column; the message names the table, the column and the count."""


def refuse_null_keys(rows: pa.Table, spec: TableSpec) -> None:
    """Raises NullKeyError when a key column of `rows` holds a null: a row without its key cannot be merged."""
    for column in spec.key:
        if column in rows.column_names and rows.column(column).null_count:
            count = rows.column(column).null_count
            raise NullKeyError(f"{spec.name}: {count} of {rows.num_rows} rows have no {column}, a key column: "
                               "refused, nothing was written")


def _writer_alive(path: Path) -> bool:
    """Whether the process writing this staging file or folder (its pid is in the name) still runs."""
    from causa.storage.lock import _process_alive

    writer = staging_writer(path.name)
    if writer is None:
        return time.time() - path.stat().st_mtime < 3600
    return _process_alive(writer)

