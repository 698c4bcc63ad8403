"""Atomic JSON writes for the lake's side stores, local or in an object store."""

from __future__ import annotations

from typing import Any

from causa.storage.filesystem import LakePath, write_bytes_atomically
from causa.table_files import json_text


def write_json_atomically(path: LakePath, data: Any) -> None:
    """Writes JSON so that readers see the old or the new file, never a part (see write_bytes_atomically)."""
    write_bytes_atomically(path, json_text(data).encode("utf-8"))
