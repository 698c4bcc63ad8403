"""Connectors that pull raw feedback records from where customers write them."""

from __future__ import annotations

from pathlib import Path

from pipelines.settings import SourceSettings
from pipelines.sources.files import FileSource, SourceError
from pipelines.sources.records import RawRecord

__all__ = ["FileSource", "RawRecord", "SourceError", "open_source"]


def open_source(settings: SourceSettings, base_dir: Path) -> FileSource:
    """The connector for a configured source."""
    if settings.kind == "files":
        return FileSource(settings, base_dir)
    raise SourceError(f"source {settings.name!r}: unsupported kind {settings.kind!r}")
