"""File helpers shared by the lake's side stores: atomic JSON writes and sha256 manifests of a folder."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

from storage.filesystem import LakePath, RemotePath

MANIFEST_FILE = "manifest.json"


def write_json_atomically(path: LakePath, data: Any) -> None:
    """Writes JSON beside the target, fsyncs it, then renames it over the target: readers see old or new.

    In an object store (a RemotePath) the whole object is written in one PUT, which is atomic per object.
    """
    if isinstance(path, RemotePath):
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
