"""Per-source state kept with the lake: the watermark and the ledger of processed files, as small JSON files.

Everything lives under `<lake root>/_state/<source>/` and is written atomically (temp file, then os.replace),
so a crash leaves the previous state. The flow writes state only after a source's rows are committed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from causa.storage.errors import StorageError
from causa.storage.files import write_json_atomically
from causa.storage.filesystem import LakePath, RemotePath, lake_path
from causa.storage.layout import LEDGER_FILE, WATERMARK_FILE, state_dir
from typing import Any, Mapping

logger = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,80}")

Watermark = datetime | date | int | float | str
"""A watermark value as the source gave it: a time, a date, a number or text; compared within its own type."""


class StateError(StorageError, ValueError):
    """A state file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class FileFingerprint:
    """What identifies one version of a file: its size, modification time and content hash."""

    size: int
    mtime_ns: int
    sha256: str


def fingerprint(path: Path, known: FileFingerprint | None = None) -> FileFingerprint:
    """The file's fingerprint; the hash is reused from `known` when size and mtime are unchanged."""
    stat = path.stat()
    if known is not None and known.size == stat.st_size and known.mtime_ns == stat.st_mtime_ns:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return FileFingerprint(size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=digest.hexdigest())


def encode_watermark(value: Watermark) -> dict[str, Any]:
    """A watermark as JSON: its type and its value (times as ISO 8601)."""
    if isinstance(value, datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, bool):
        raise TypeError(f"a watermark cannot be a boolean, got {value!r}")
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    raise TypeError(f"a watermark must be a time, a date, a number or text, got {type(value).__name__}: {value!r}")


def decode_watermark(raw: Mapping[str, Any]) -> Watermark:
    kind, value = raw.get("type"), raw.get("value")
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "str":
        return str(value)
    raise StateError(f"unknown watermark type {kind!r}")


def later(current: Watermark | None, candidate: Watermark | None) -> Watermark | None:
    """The higher of two watermarks; a watermark of another type than the stored one replaces it."""
    if candidate is None:
        return current
    if current is None:
        return candidate
    try:
        return candidate if _comparable(candidate) > _comparable(current) else current
    except TypeError:
        logger.warning("watermark type changed from %s to %s: keeping the new one", type(current).__name__,
                       type(candidate).__name__)
        return candidate


def _comparable(value: Watermark) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class StateStore:
    """Watermarks and file ledgers of the sources that feed one lake."""

    def __init__(self, lake_root: str | os.PathLike[str] | RemotePath) -> None:
        self.root: LakePath = state_dir(lake_path(lake_root))

    def source_dir(self, source: str) -> LakePath:
        """The folder of one source's state; names that are not safe file names are slugged and hashed."""
        if _SAFE_NAME.fullmatch(source):
            return self.root / source
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", source).strip("._")[:40] or "source"
        return self.root / f"{slug}-{hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}"

    def watermark(self, source: str) -> Watermark | None:
        """The source's committed watermark, or None before its first committed run."""
        raw = self._read(self.source_dir(source) / WATERMARK_FILE)
        return None if raw is None else decode_watermark(raw)

    def advance_watermark(self, source: str, value: Watermark | None, run_id: str) -> Watermark | None:
        """Stores the higher of the stored watermark and `value` (never moves back); returns what is stored."""
        current = self.watermark(source)
        new = later(current, value)
        if new is None or (current is not None and new == current and type(new) is type(current)):
            return current
        record = {"source": source, **encode_watermark(new), "run_id": run_id,
                  "updated_at": datetime.now(timezone.utc).isoformat()}
        write_json_atomically(self.source_dir(source) / WATERMARK_FILE, record)
        logger.info("source %s: watermark advanced to %s", source, record["value"])
        return new

    def ledger(self, source: str) -> dict[str, FileFingerprint]:
        """The files already processed for a source: absolute path to fingerprint."""
        raw = self._read(self.source_dir(source) / LEDGER_FILE)
        if raw is None:
            return {}
        try:
            return {path: FileFingerprint(**entry["fingerprint"]) for path, entry in raw["files"].items()}
        except (KeyError, TypeError) as error:
            raise StateError(f"{self.source_dir(source) / LEDGER_FILE} is not a file ledger: {error}") from error

    def record_files(self, source: str, files: Mapping[str, FileFingerprint], run_id: str) -> None:
        """Adds (or updates) processed files in the source's ledger."""
        if not files:
            return
        path = self.source_dir(source) / LEDGER_FILE
        raw = self._read(path) or {"source": source, "files": {}}
        now = datetime.now(timezone.utc).isoformat()
        for name, seen in files.items():
            raw["files"][name] = {"fingerprint": asdict(seen), "run_id": run_id, "recorded_at": now}
        write_json_atomically(path, raw)
        logger.info("source %s: %d files recorded in the ledger", source, len(files))

    def _read(self, path: LakePath) -> dict[str, Any] | None:
        if not path.is_file():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise StateError(f"state file {path} is not valid JSON: {error}") from error
        if not isinstance(raw, dict):
            raise StateError(f"state file {path} must hold a JSON object")
        return raw
