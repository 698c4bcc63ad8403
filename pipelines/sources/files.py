"""File source: a glob of CSV, JSONL or Parquet drops read into raw records."""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import logging
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from causa.errors import EXIT_FAILED
from causa.pipelines.errors import PipelineError
from causa.pipelines.settings import FILE_FORMATS, SourceSettings
from causa.pipelines.sources.fields import FieldPresence
from causa.pipelines.sources.progress import Checkpoint, Start
from causa.pipelines.sources.records import RawRecord
from causa.storage.state import FileFingerprint

logger = logging.getLogger(__name__)

SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


class SourceError(PipelineError, RuntimeError):
    """A source could not be read at all (as opposed to one bad row, which goes to quarantine).

    `transient` says whether the failure can pass on its own (the source unreachable, timing out, answering 5xx or
    429), so that reading the source again later may succeed; an unreadable file or a 4xx cannot.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient

    def __reduce__(self) -> tuple[type[SourceError], tuple[str, bool]]:
        return type(self), (str(self), self.transient)

    exit_code = EXIT_FAILED


class FileSource:
    """Reads the files matching the source's glob, in name order, skipping those its ledger holds unchanged.

    A file is known by path, size, mtime and sha256: a touched but identical file is not read again, a changed one
    is (its rows merge by feedback_id). `checkpoint()` gives the files read, for the ledger once committed.
    """

    def __init__(self, settings: SourceSettings, base_dir: Path, start: Start | None = None) -> None:
        self.settings = settings
        self.pattern = settings.resolved_path(base_dir)
        self.start = start or Start()
        self._seen: dict[str, FileFingerprint] = {}
        self.skipped: list[Path] = []

    def files(self) -> list[Path]:
        paths = sorted(Path(name) for name in glob.glob(self.pattern, recursive=True) if Path(name).is_file())
        if not paths:
            raise SourceError(f"source {self.settings.name!r}: no file matches {self.pattern!r}")
        return paths

    def extract(self) -> Iterator[RawRecord]:
        since = (
            datetime.combine(self.start.since, time(), tzinfo=timezone.utc).timestamp() * 1e9
            if self.start.since else None
        )
        for path in self.files():
            key = str(path.resolve())
            known = self.start.ledger.get(key)
            stat = path.stat()
            forced = since is not None and stat.st_mtime_ns >= since
            if not forced and known and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                self.skipped.append(path)
                continue
            payload = path.read_bytes()
            seen = FileFingerprint(size=len(payload), mtime_ns=stat.st_mtime_ns, sha256=hashlib.sha256(payload).hexdigest())
            if not forced and known and known.sha256 == seen.sha256:
                logger.info("source %s: %s was touched but is unchanged, not read again", self.settings.name, path)
                self.skipped.append(path)
                self._seen[key] = seen
                continue
            file_format = self.settings.file_format or format_of(path)
            logger.info("source %s: reading %s as %s", self.settings.name, path, file_format)
            records = records_from_bytes(payload, path, file_format, self.settings.encoding)
            yield from with_required_fields(records, self.settings, str(path), uniform=file_format != "jsonl")
            self._seen[key] = seen
        if self.skipped:
            logger.info("source %s: %d files already processed, skipped", self.settings.name, len(self.skipped))

    def checkpoint(self) -> Checkpoint:
        """The files read so far (with their fingerprints), to add to the ledger once their rows are committed."""
        return Checkpoint(files=dict(self._seen))


def with_required_fields(
    records: Iterator[RawRecord], settings: SourceSettings, where: str, uniform: bool
) -> Iterator[RawRecord]:
    """The records of one file as they come; a SourceError when they lack a mapped required field altogether, a
    warning when they lack a mapped optional one.

    `uniform`: every record has the same field names (a CSV header, a Parquet schema), so the first readable
    record decides before any is yielded; JSON lines are judged once the whole file is read.
    """
    presence = FieldPresence(settings, where)
    for record in records:
        first = not presence.readable
        presence.see(record)
        if uniform and first and presence.readable and (problem := presence.lacking()):
            raise SourceError(problem)
        yield record
    if problem := presence.lacking():
        raise SourceError(problem)
    presence.warn_of_missing_optional()


def format_of(path: Path) -> str:
    """The file format named by a file's suffix."""
    try:
        return SUFFIX_FORMATS[path.suffix.lower()]
    except KeyError:
        raise SourceError(f"cannot tell the format of {path}: use a suffix in {sorted(SUFFIX_FORMATS)} or set format") from None


def read_records(path: Path, file_format: str, encoding: str = "utf-8-sig") -> Iterator[RawRecord]:
    """Raw records of one file; a line that cannot be parsed becomes a record carrying its error."""
    return records_from_bytes(path.read_bytes(), path, file_format, encoding)


def records_from_bytes(payload: bytes, path: Path, file_format: str, encoding: str = "utf-8-sig") -> Iterator[RawRecord]:
    """Raw records of a file's bytes (read once, so the records match the fingerprint taken of them)."""
    if file_format == "parquet":
        try:
            table = pq.read_table(pa.BufferReader(payload))
        except (pa.ArrowInvalid, OSError) as error:
            raise SourceError(f"{path} is not a readable Parquet file: {error}") from error
        for index, row in enumerate(table.to_pylist(), start=1):
            yield RawRecord(origin=f"{path.name}:{index}", data=row)
        return
    if file_format not in FILE_FORMATS:
        raise SourceError(f"unknown file format {file_format!r} for {path}; expected one of {list(FILE_FORMATS)}")
    text = decode(payload, encoding, path)
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


CSV_FIELD_LIMIT = 64 * 1024 * 1024
"""Largest CSV cell read (the csv module's default, 128 KiB, would fail a whole file on one long review)."""


def _csv_records(text: str, path: Path) -> Iterator[RawRecord]:
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
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
    # only "\n" ends a JSON line: str.splitlines would also split at U+2028, U+0085 and other separators, which
    # JSON writers leave unescaped inside strings
    for number, line in enumerate(text.split("\n"), start=1):
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
