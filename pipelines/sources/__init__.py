"""Connectors that pull raw feedback records from where customers write them."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Protocol

from causa.pipelines.settings import SourceSettings
from causa.pipelines.sources.files import FileSource, SourceError
from causa.pipelines.sources.progress import Checkpoint, Start
from causa.pipelines.sources.records import RawRecord

__all__ = ["Checkpoint", "Connector", "FileSource", "RawRecord", "SourceError", "Start", "open_source"]


class Connector(Protocol):
    """What every source kind offers: its records, then the checkpoint they reached."""

    def extract(self) -> Iterator[RawRecord]: ...

    def checkpoint(self) -> Checkpoint: ...


def open_source(settings: SourceSettings, base_dir: Path, start: Start | None = None) -> Connector:
    """The connector for a configured source, starting where `start` says (from the beginning when None)."""
    if settings.kind == "files":
        return FileSource(settings, base_dir, start)
    if settings.kind == "http":
        from causa.pipelines.sources.http import HttpSource

        return HttpSource(settings, start)
    if settings.kind == "sql":
        from causa.pipelines.sources.sql import SqlSource

        return SqlSource(settings, start, base_dir)
    raise SourceError(f"source {settings.name!r}: unsupported kind {settings.kind!r}")
