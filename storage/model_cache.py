"""Local copies of model versions kept in an object store: downloaded once per machine, hash-verified, reused.

A remote version `<registry>/<version>/` is copied to `<cache root>/<scheme>-<registry hash>/<version>/`. The copy
is reused while its manifest is the remote manifest byte for byte (then only the manifest is read from the store);
otherwise every file is downloaded into a temporary folder beside it, checked against the manifest's sha256, and
the folder renamed into place. A copy that fails the check is never put in place: the error names the remote
folder. Loading the model checks the copy's files again, so a copy changed on the local disk is refused too.

The cache root is `$CAUSA_MODEL_CACHE`, else `$XDG_CACHE_HOME/causa/models`, else `~/.cache/causa/models`: a
per-machine folder, so each machine (and each Dask worker host) keeps its own copy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from causa.nlp.model_store import MANIFEST_FILE, ModelIntegrityError, verify_files
from causa.storage.filesystem import RemotePath

logger = logging.getLogger(__name__)

CACHE_ENV = "CAUSA_MODEL_CACHE"


def default_cache_root() -> Path:
    """Where local copies of remote model versions live on this machine (see the module's docstring)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(os.path.expanduser(configured))
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "causa" / "models"


def registry_cache(registry: RemotePath, cache_root: Path | None = None) -> Path:
    """The cache folder of one remote registry: `<cache root>/<scheme>-<16 hex digits of its URL's sha256>`."""
    digest = hashlib.sha256(registry.uri.encode("utf-8")).hexdigest()[:16]
    return (cache_root or default_cache_root()) / f"{registry.scheme}-{digest}"


def local_copy(folder: RemotePath, cache: Path, reuse: bool = True) -> Path:
    """The verified local copy of the version folder `folder` under `cache`, downloaded unless a copy with the same
    manifest is there already (and `reuse`). Raises ModelIntegrityError naming `folder` and each file that is
    missing, extra or changed."""
    manifest_path = folder / MANIFEST_FILE
    try:
        manifest_bytes = manifest_path.read_bytes()
    except FileNotFoundError:
        raise ModelIntegrityError(f"no model manifest at {manifest_path}") from None
    target = cache / folder.name
    if reuse and _same_manifest(target, manifest_bytes):
        logger.debug("using the cached copy %s of %s", target, folder)
        return target
    cache.mkdir(parents=True, exist_ok=True)
    download = Path(tempfile.mkdtemp(prefix=f".download-{folder.name}-", dir=cache))
    try:
        _download(folder, download, manifest_bytes)
        verify_files(download, _parsed(manifest_bytes, manifest_path), shown_as=str(folder))
        _put_in_place(download, target, manifest_bytes)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    logger.info("downloaded model version %s to %s", folder, target)
    return target


def _download(folder: RemotePath, into: Path, manifest_bytes: bytes) -> None:
    """Every file under `folder` (the manifest as already read) into the local folder `into`."""
    base = folder.key.rstrip("/") + "/"
    for remote in folder.files():
        relative = remote.key[len(base) :]
        if relative == MANIFEST_FILE:
            continue
        local = into / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(remote.read_bytes())
    (into / MANIFEST_FILE).write_bytes(manifest_bytes)


def _put_in_place(download: Path, target: Path, manifest_bytes: bytes) -> None:
    """Renames the verified download to `target`, replacing an older copy; a copy with the same manifest that
    another process put there first is kept."""
    if target.exists():
        if _same_manifest(target, manifest_bytes):
            return
        retired = target.with_name(f".retired-{target.name}-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            os.rename(target, retired)
        except FileNotFoundError:
            pass
        else:
            shutil.rmtree(retired, ignore_errors=True)
    try:
        os.rename(download, target)
    except OSError:  # another process put its copy in place between our check and the rename
        if not _same_manifest(target, manifest_bytes):
            raise


def _same_manifest(copy: Path, manifest_bytes: bytes) -> bool:
    try:
        return (copy / MANIFEST_FILE).read_bytes() == manifest_bytes
    except (FileNotFoundError, NotADirectoryError):
        return False


def _parsed(manifest_bytes: bytes, where: RemotePath) -> dict:
    try:
        return json.loads(manifest_bytes.decode("utf-8"))
    except ValueError as error:
        raise ModelIntegrityError(f"model manifest {where} is not valid JSON: {error}") from error
