"""Atomic JSON writes for the lake's side stores."""

from __future__ import annotations

import json
from typing import Any

from causa.storage.filesystem import LakePath, write_bytes_atomically


def write_json_atomically(path: LakePath, data: Any) -> None:
    """Writes JSON so that readers see the old or the new file, never a part (see write_bytes_atomically)."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_bytes_atomically(path, text.encode("utf-8"))
