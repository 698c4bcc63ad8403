"""Local files: the CLI's CSV, JSONL or Parquet tables, and the atomic write (with fsync) every local file goes through."""

from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from causa.errors import EXIT_BAD_INPUT, CausaError

READERS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


class TableFileError(CausaError, ValueError):
    """A user's CSV, JSONL or Parquet file that cannot be read as a table, or lacks a column; the message names it."""

    exit_code = EXIT_BAD_INPUT


class TableFileNotFound(CausaError, FileNotFoundError):
    """A user's table file that does not exist."""

    exit_code = EXIT_BAD_INPUT


def read_table_file(path: Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """A CSV, JSONL or Parquet file as a DataFrame; a missing file, a file that does not parse or a missing required
    column is named."""
    kind = _table_kind(path)
    try:
        if kind == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif kind == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            frame = pq.read_table(path).to_pandas()
    except ValueError as error:  # pandas' and pyarrow's parse errors, and text that is not UTF-8, are ValueErrors
        raise TableFileError(f"cannot read {path} as {kind}: {error}") from error
    _check_columns(path, list(frame.columns), required)
    return frame


def iter_table_file(path: Path, batch_rows: int, required: tuple[str, ...] = (),
                    columns: tuple[str, ...] | None = None) -> Iterator[pd.DataFrame]:
    """A CSV, JSONL or Parquet file as DataFrames of at most `batch_rows` rows, read as `read_table_file` reads the
    whole file (same values, same errors) but one batch at a time, so memory does not grow with the file.

    `columns` limits a Parquet read to those of them the file has; a file with no rows gives one empty batch.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
    kind = _table_kind(path)
    try:
        batches = _batches(path, kind, batch_rows, required, columns)
        first = next(batches, None)
        for batch in _with_first(first, batches):
            _check_columns(path, list(batch.columns), required)
            yield batch
    except ValueError as error:  # pandas' and pyarrow's parse errors, and text that is not UTF-8, are ValueErrors
        if isinstance(error, TableFileError):
            raise
        raise TableFileError(f"cannot read {path} as {kind}: {error}") from error


def known_row_count(path: Path) -> int | None:
    """The rows of a Parquet file (from its footer); None for other files, or one that cannot be read."""
    if path.suffix.lower() != ".parquet" or not path.is_file():
        return None
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError):
        return None


def _table_kind(path: Path) -> str:
    """csv, jsonl or parquet, from the suffix of a file that exists; else the error that names what is wrong."""
    if not path.is_file():
        raise TableFileNotFound(f"input file not found: {path}")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise TableFileError(f"cannot read {path}: expected a suffix in {sorted(READERS)}")
    return kind


def _check_columns(path: Path, present: list[str], required: tuple[str, ...]) -> None:
    missing = [column for column in required if column not in present]
    if missing:
        raise TableFileError(f"{path} has no column {missing[0]!r}; its columns are {present}")


def _with_first(first: pd.DataFrame | None, rest: Iterator[pd.DataFrame]) -> Iterable[pd.DataFrame]:
    """The batches, or one empty batch (no columns) when the reader gave none."""
    if first is None:
        yield pd.DataFrame()
        return
    yield first
    yield from rest


def _batches(path: Path, kind: str, batch_rows: int, required: tuple[str, ...],
             columns: tuple[str, ...] | None) -> Iterator[pd.DataFrame]:
    if kind == "csv":
        yield from pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", chunksize=batch_rows)
    elif kind == "jsonl":
        with pd.read_json(path, lines=True, dtype=False, chunksize=batch_rows) as reader:
            yield from reader
    else:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
        _check_columns(path, names, required)
        chosen = names if columns is None else [name for name in names if name in columns]
        if parquet.metadata.num_rows == 0:
            yield parquet.schema_arrow.empty_table().select(chosen).to_pandas()
            return
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=chosen):
            yield pa.Table.from_batches([batch]).to_pandas()


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` to write; on success it is published whole (see `publish_file`).

    The temporary file is created empty with the usual permissions (0666 less the umask); on an error it is removed
    and `path` is left as it was, so a reader sees the old or the new file, never a part of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temporary
        publish_file(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def publish_file(temporary: Path | str, path: Path) -> None:
    """Moves a finished file over `path` durably: fsync of the file, one atomic rename, fsync of the folder."""
    with open(temporary, "rb") as written:
        os.fsync(written.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Flushes a folder's entries (a rename in it) to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Writes a local file so that readers see the old or the new content, never a part (see `atomic_path`)."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def write_text_atomically(path: Path, text: str) -> None:
    """`write_bytes_atomically` of UTF-8 text."""
    write_bytes_atomically(path, text.encode("utf-8"))


def json_text(data: Any) -> str:
    """The JSON causa's side files hold: sorted keys, one-space indent, UTF-8 as is, a final newline."""
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write_json_atomically(path: Path, data: Any) -> None:
    """Writes `json_text(data)` to a local file atomically."""
    write_text_atomically(path, json_text(data))


def write_parquet(table: pa.Table, path: Path) -> None:
    """Writes a Parquet file atomically, so a reader never sees half a file."""
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ tab or CR gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame | pa.Table, path: Path) -> None:
    """Writes a CSV (UTF-8) every causa CSV goes through: formula-like cells are neutralised, the swap is atomic."""
    if isinstance(frame, pa.Table):
        frame = frame.to_pandas()
    safe = frame.copy()
    safe.columns = [neutralise_cell(str(column)) for column in safe.columns]
    for column in safe.columns:
        if pd.api.types.is_object_dtype(safe[column]) or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    with atomic_path(path) as temporary:
        safe.to_csv(temporary, index=False, encoding="utf-8", lineterminator="\r\n")  # RFC 4180: a bare CR is quoted
