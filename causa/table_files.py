"""Reading and writing the user-facing files of the CLI: CSV, JSONL or Parquet by suffix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

READERS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def read_table_file(path: Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """A CSV, JSONL or Parquet file as a DataFrame; a missing file or required column is named."""
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"cannot read {path}: expected a suffix in {sorted(READERS)}")
    if kind == "csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif kind == "jsonl":
        frame = pd.read_json(path, lines=True, dtype=False)
    else:
        frame = pq.read_table(path).to_pandas()
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(f"{path} has no column {missing[0]!r}; its columns are {list(frame.columns)}")
    return frame


def write_parquet(table: pa.Table, path: Path) -> None:
    """Writes a Parquet file through a temporary name, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary)
    temporary.replace(path)


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
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    safe.to_csv(temporary, index=False, encoding="utf-8", lineterminator="\r\n")  # RFC 4180: a bare CR is quoted
    temporary.replace(path)
