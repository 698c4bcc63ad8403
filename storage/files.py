"""File helpers shared by the lake's side stores: atomic JSON writes and sha256 manifests of a folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

from storage.filesystem import LakePath, write_bytes_atomically

MANIFEST_FILE = "manifest.json"


def write_json_atomically(path: LakePath, data: Any) -> None:
    """Writes JSON so that readers see the old or the new file, never a part (see write_bytes_atomically)."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_bytes_atomically(path, text.encode("utf-8"))


def file_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file under `directory` except the manifest, by relative path."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != MANIFEST_FILE and "__pycache__" not in path.parts
    }


def manifest_problems(directory: Path, recorded: Mapping[str, str]) -> list[str]:
    """Each file of `directory` that is missing, extra or changed against the recorded hashes, sorted."""
    actual = file_hashes(directory)
    problems = [f"{name} changed" for name in recorded if name in actual and actual[name] != recorded[name]]
    problems += [f"{name} missing" for name in recorded if name not in actual]
    problems += [f"{name} not in the manifest" for name in actual if name not in recorded]
    return sorted(problems)
