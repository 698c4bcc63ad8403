"""The model registry on disk: one folder per version, a manifest with the sha256 of every file, a promoted pointer.

The registry knows folders, manifests and pointers, not models: causa.nlp.model_store writes and loads the model files.
Layout under the root (by default `<lake root>/models`):

    <version>/manifest.json   version, created, training data, parameters, code and library versions, file hashes
    <version>/metrics.json    metrics on the held-out split
    <version>/README.md       the model card
    <version>/...             the model files as causa.nlp.model_store.save_model writes them
    PROMOTED                  {"version": ..., "action": ..., "user": ..., "at": ..., "reason": ..., "previous": ...},
                              replaced atomically; version "default" after a rollback (the shipped model)
    promotions.jsonl          every promotion and rollback, appended

The root may be a folder in an object store (`s3://bucket/prefix/models`, a RemotePath): the same layout, written
through causa.storage.filesystem. A new version is staged in a local folder and uploaded file by file, its manifest
last, so it exists (has a manifest) only once complete. Loading a remote version goes through a hash-verified local
copy (causa.storage.model_cache).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from causa.nlp.model_store import MANIFEST_FILE, ModelIntegrityError, file_hashes, manifest_problems
from causa.storage.errors import StorageError
from causa.storage.filesystem import LakePath, RemotePath, default_scratch, lake_path
from causa.storage.model_cache import local_copy, registry_cache
from causa.table_files import json_text, write_json_atomically, write_text_atomically

METRICS_FILE = "metrics.json"
CARD_FILE = "README.md"
POINTER_FILE = "PROMOTED"
HISTORY_FILE = "promotions.jsonl"
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SHIPPED = "default"
"""The version name of the model shipped with causa; the pointer names it after a rollback."""
RESERVED_NAMES = frozenset({SHIPPED, "promoted"})
STAGING_PREFIX = ".staging-"


class RegistryError(StorageError, ValueError):
    """A version that is missing, badly named, already taken, or whose files do not match the manifest."""


@dataclass(frozen=True)
class VersionInfo:
    version: str
    path: LakePath
    manifest: dict[str, Any]
    metrics: dict[str, Any]
    promoted: bool


def check_version_name(version: str) -> str:
    """The name itself if it can name a folder safely and is not a reserved word."""
    if not VERSION_PATTERN.match(version) or version in RESERVED_NAMES:
        raise RegistryError(
            f"model version name {version!r} is not allowed: use letters, digits, '.', '_' or '-' "
            f"(starting with a letter or digit), not {sorted(RESERVED_NAMES)}"
        )
    return version


class ModelRegistry:
    """Versions of trained models under one root folder, local or in an object store.

    `cache_root` is where local copies of remote versions are kept (default: causa.storage.model_cache's).
    """

    def __init__(self, root: str | os.PathLike[str] | RemotePath, cache_root: Path | None = None) -> None:
        self.root: LakePath = lake_path(root)
        self.cache_root = cache_root

    @property
    def remote(self) -> bool:
        return isinstance(self.root, RemotePath)

    def path(self, version: str) -> LakePath:
        """The folder of an existing version."""
        folder = self.root / check_version_name(version)
        if not (folder / MANIFEST_FILE).is_file():
            known = ", ".join(self.versions()) or "none"
            raise RegistryError(f"model version {version!r} is not in the registry at {self.root} (versions: {known})")
        return folder

    def local_folder(self, version: str, reuse: bool = True) -> Path:
        """A local folder holding the version's files to load: its own folder, or for a remote registry a local
        copy, hash-verified when downloaded and reused while its manifest matches the remote one."""
        folder = self.path(version)
        if isinstance(folder, RemotePath):
            return local_copy(folder, registry_cache(folder.parent, self.cache_root), reuse=reuse)
        return folder

    def exists(self, version: str) -> bool:
        return (self.root / check_version_name(version) / MANIFEST_FILE).is_file()

    def versions(self) -> list[str]:
        """Registered versions, oldest first (by the created time in their manifests)."""
        if not self.root.is_dir():
            return []
        found = [
            (self._manifest(folder).get("created", ""), folder.name)
            for folder in self.root.iterdir()
            if folder.is_dir() and not folder.name.startswith(".") and (folder / MANIFEST_FILE).is_file()
        ]
        return [name for _, name in sorted(found)]

    def staging(self, version: str) -> Path:
        """An empty private local folder to write a new version into before `register` moves (or uploads) it."""
        check_version_name(version)
        if self.exists(version):
            raise RegistryError(f"model version {version!r} already exists in {self.root}; choose another --name")
        parent = self._staging_parent()
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{version}-", dir=parent))

    def register(
        self,
        staging: Path,
        version: str,
        metadata: Mapping[str, Any],
        metrics: Mapping[str, Any],
        card: str,
    ) -> LakePath:
        """Adds metrics and card to a staged folder, extends its manifest and renames (or uploads) it to
        `<root>/<version>`."""
        check_version_name(version)
        target = self.root / version
        if target.exists():
            raise RegistryError(f"model version {version!r} already exists in {self.root}; choose another --name")
        write_json_atomically(staging / METRICS_FILE, dict(metrics))
        write_text_atomically(staging / CARD_FILE, card)
        manifest_path = staging / MANIFEST_FILE
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
        manifest.update(metadata)
        manifest["version"] = version
        manifest["files"] = file_hashes(staging)
        write_json_atomically(manifest_path, manifest)
        if isinstance(target, RemotePath):
            _upload_folder(staging, target)
            self.discard(staging)
        else:
            os.rename(staging, target)
        return target

    def discard(self, staging: Path) -> None:
        """Removes a staged folder that will not be registered."""
        if staging.parent == self._staging_parent() and staging.name.startswith(STAGING_PREFIX):
            shutil.rmtree(staging, ignore_errors=True)

    def _staging_parent(self) -> Path:
        """The registry folder itself when local (so that `register` is one rename), else a local scratch folder."""
        return default_scratch(self.root) if isinstance(self.root, RemotePath) else self.root

    def info(self, version: str) -> VersionInfo:
        folder = self.path(version)
        metrics_path = folder / METRICS_FILE
        metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
        return VersionInfo(version, folder, self._manifest(folder), metrics, self.promoted() == version)

    def verify(self, version: str) -> None:
        """Raises RegistryError naming each file of the version that is missing, extra or changed (a remote
        version is downloaded afresh to check it, which also refreshes its local copy)."""
        if self.remote:
            try:
                self.local_folder(version, reuse=False)
            except ModelIntegrityError as error:
                raise RegistryError(f"model version {version!r}: {error}") from error
            return
        folder = self.path(version)
        problems = manifest_problems(folder, self._manifest(folder).get("files", {}))
        if problems:
            raise RegistryError(f"model version {version!r} failed verification: {', '.join(sorted(problems))}")

    def promoted(self) -> str | None:
        """The promoted version, or None when none is (never promoted, or rolled back: the shipped model is used)."""
        pointer = self.root / POINTER_FILE
        if not pointer.is_file():
            return None
        version = json.loads(pointer.read_text(encoding="utf-8"))["version"]
        return None if version == SHIPPED else version

    def promote(self, version: str, details: Mapping[str, Any] | None = None, reason: str | None = None
                ) -> dict[str, Any]:
        """Points PROMOTED at `version` (written to a temporary file, then renamed) and logs it to the history."""
        self.path(version)
        return self._point_at(version, "promote", reason, details)

    def rollback(self, reason: str | None = None) -> dict[str, Any]:
        """Points PROMOTED at the shipped model, so that "promoted" means it again, and logs it to the history."""
        return self._point_at(SHIPPED, "rollback", reason)

    def _point_at(self, version: str, action: str, reason: str | None,
                  details: Mapping[str, Any] | None = None) -> dict[str, Any]:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = {
            "version": version,
            "action": action,
            "user": os_user(),
            "at": now,
            "reason": reason,
            "previous": self.promoted(),
            **({"promoted_at": now} if action == "promote" else {}),
            **(details or {}),
        }
        line = json.dumps(record, sort_keys=True) + "\n"
        if isinstance(self.root, RemotePath):
            (self.root / POINTER_FILE).write_text(json_text(record))
            history = self.root / HISTORY_FILE
            earlier = history.read_text(encoding="utf-8") if history.is_file() else ""
            history.write_text(earlier + line)
            return record
        self.root.mkdir(parents=True, exist_ok=True)
        write_json_atomically(self.root / POINTER_FILE, record)
        with (self.root / HISTORY_FILE).open("a", encoding="utf-8") as history:
            history.write(line)
        return record

    def history(self) -> list[dict[str, Any]]:
        path = self.root / HISTORY_FILE
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    @staticmethod
    def _manifest(folder: LakePath) -> dict[str, Any]:
        path = folder / MANIFEST_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:  # not UTF-8 or not JSON
            raise RegistryError(f"model manifest {path} is not valid JSON: {error}") from error


def _upload_folder(staging: Path, target: RemotePath) -> None:
    """Uploads every file of a staged version, the manifest last: the version exists once its manifest does."""
    files = sorted(path for path in staging.rglob("*") if path.is_file() and path.name != MANIFEST_FILE)
    for path in [*files, staging / MANIFEST_FILE]:
        (target / path.relative_to(staging).as_posix()).write_bytes(path.read_bytes())


def os_user() -> str:
    """The login name of the user running this process (recorded with each promotion and rollback)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment and no passwd entry (some containers)
        return f"uid {os.getuid()}"
