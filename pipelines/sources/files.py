"""File source: a glob of CSV, JSONL or Parquet drops read into raw records."""

from __future__ import annotations

import csv
import glob
import io
import json
import logging
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq

from pipelines.settings import FILE_FORMATS, SourceSettings
from pipelines.sources.records import RawRecord

logger = logging.getLogger(__name__)

SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


class SourceError(RuntimeError):
    """A source could not be read at all (as opposed to one bad row, which goes to quarantine)."""


class FileSource:
    """Reads every file matching the source's glob, in name order."""

    def __init__(self, settings: SourceSettings, base_dir: Path) -> None:
        self.settings = settings
        self.pattern = settings.resolved_path(base_dir)

    def files(self) -> list[Path]:
        paths = sorted(Path(name) for name in glob.glob(self.pattern, recursive=True) if Path(name).is_file())
        if not paths:
            raise SourceError(f"source {self.settings.name!r}: no file matches {self.pattern!r}")
        return paths

    def extract(self) -> Iterator[RawRecord]:
        for path in self.files():
            file_format = self.settings.file_format or format_of(path)
            logger.info("source %s: reading %s as %s", self.settings.name, path, file_format)
            yield from read_records(path, file_format, self.settings.encoding)


def format_of(path: Path) -> str:
    """The file format named by a file's suffix."""
    try:
        return SUFFIX_FORMATS[path.suffix.lower()]
    except KeyError:
        raise SourceError(f"cannot tell the format of {path}: use a suffix in {sorted(SUFFIX_FORMATS)} or set format") from None


def read_records(path: Path, file_format: str, encoding: str = "utf-8-sig") -> Iterator[RawRecord]:
    """Raw records of one file; a line that cannot be parsed becomes a record carrying its error."""
    if file_format == "parquet":
        for index, row in enumerate(pq.read_table(path).to_pylist(), start=1):
            yield RawRecord(origin=f"{path.name}:{index}", data=row)
        return
    if file_format not in FILE_FORMATS:
        raise SourceError(f"unknown file format {file_format!r} for {path}; expected one of {list(FILE_FORMATS)}")
    text = decode(path.read_bytes(), encoding, path)
    if file_format == "csv":
        yield from _csv_records(text, path)
    else:
        yield from _jsonl_records(text, path)


def decode(payload: bytes, encoding: str, path: Path) -> str:
    """File bytes as text: a UTF-16 or UTF-8 byte-order mark wins over the configured encoding."""
    if payload.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif payload.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    try:
        return payload.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"{path} cannot be decoded as {encoding}: {error}") from error


def _csv_records(text: str, path: Path) -> Iterator[RawRecord]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise SourceError(f"{path} has no CSV header row")
    for row in reader:
        origin = f"{path.name}:{reader.line_num}"
        if None in row:
            yield RawRecord(origin=origin, data=_clean_csv_row(row), error=f"more cells than the header's {len(reader.fieldnames)} columns")
        else:
            yield RawRecord(origin=origin, data=_clean_csv_row(row))


def _clean_csv_row(row: dict) -> dict:
    cleaned = {key: value for key, value in row.items() if key is not None}
    if None in row:
        cleaned["_extra_cells"] = row[None]
    return cleaned


def _jsonl_records(text: str, path: Path) -> Iterator[RawRecord]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        origin = f"{path.name}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield RawRecord(origin=origin, data={"line": line}, error=f"invalid JSON: {error.msg} at column {error.colno}")
            continue
        if not isinstance(data, dict):
            yield RawRecord(origin=origin, data={"line": line}, error=f"a JSON object was expected, got {type(data).__name__}")
            continue
        yield RawRecord(origin=origin, data=data)
