"""The lake lock as an object in an S3 bucket, safe across machines: created only if absent, removed only if unchanged.

Taking the lock is one PutObject with `If-None-Match: *`: the store creates the object only when no object has
that key, and answers 412 Precondition Failed otherwise, so of two runs on any two machines exactly one succeeds.
The holder record (pid, host, start time, purpose, token) and the stale rules are those of the local lock
(causa.storage.lock.LakeLock). A stale lock is removed with DeleteObject `If-Match: <the ETag read>`, so a lock
another waiter has meanwhile recovered and retaken is never removed; a release removes the object the same way.

pyarrow's S3 client sends neither header, so these requests go through boto3 (`pip install "causa-feedback[s3]"`),
reaching the same endpoint with the same credentials as the lake (lake.storage_options, else the AWS_* variables).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from typing import Any, Mapping

from causa.storage.filesystem import LakeLocationError, LakePath, RemotePath
from causa.storage.lock import DEFAULT_STALE_AFTER_SECONDS, DEFAULT_WAIT_SECONDS, LakeLock, LockHolder

logger = logging.getLogger(__name__)

CONDITIONAL_SCHEMES = frozenset({"s3"})
"""Stores whose objects causa can create only if absent (S3 and S3-compatible stores: MinIO, Ceph, moto...)."""

PRECONDITION_FAILED = "PreconditionFailed"
CONDITIONAL_CONFLICT = "ConditionalRequestConflict"
"""S3's 409 to a conditional write racing another one on the same key: the other may win, try again."""
NOT_FOUND = ("NoSuchKey", "404", "NotFound")


def conditional_create(root: LakePath) -> bool:
    """Whether the lock of a lake at `root` can be an object created only if absent (an S3 URL)."""
    return isinstance(root, RemotePath) and root.scheme in CONDITIONAL_SCHEMES


def lake_lock(
    root: str | os.PathLike[str] | RemotePath,
    purpose: str = "causa run",
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    stale_after_seconds: float = DEFAULT_STALE_AFTER_SECONDS,
) -> LakeLock:
    """The lock of the lake (or lock folder) at `root`: an object in the bucket for an S3 root, else a local file."""
    if isinstance(root, RemotePath):
        if not conditional_create(root):
            raise LakeLocationError(f"cannot lock {root}: {root.scheme}:// has no create-if-absent; "
                                    "set lake.lock_dir to a local or shared folder")
        return ObjectStoreLock(root, purpose, wait_seconds, stale_after_seconds)
    return LakeLock(root, purpose, wait_seconds, stale_after_seconds)


class ObjectStoreLock(LakeLock):
    """The lake lock as the object `<root>/.causa.lock` in an S3 bucket (see the module's docstring)."""

    def __init__(
        self,
        root: RemotePath,
        purpose: str = "causa run",
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        stale_after_seconds: float = DEFAULT_STALE_AFTER_SECONDS,
    ) -> None:
        if not conditional_create(root):
            raise LakeLocationError(f"an object-store lock needs an s3:// root, not {root}")
        super().__init__(root, purpose, wait_seconds, stale_after_seconds)
        self.bucket, _, self.key = self.path.key.partition("/")
        self._client: Any = None
        self._etag: str | None = None
        self._modified: datetime | None = None

    @property
    def client(self) -> Any:
        """The boto3 S3 client (made on first use, from the lake's storage options)."""
        if self._client is None:
            self._client = s3_client(self.root.options)
        return self._client

    def _try_create(self, me: LockHolder) -> bool:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key, Body=me.to_json().encode("utf-8"),
                                   IfNoneMatch="*", ContentType="application/json")
        except self.client.exceptions.ClientError as error:
            if _code(error) in (PRECONDITION_FAILED, CONDITIONAL_CONFLICT):
                return False
            raise
        return True

    def _read_lock(self) -> str | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except self.client.exceptions.ClientError as error:
            if _code(error) in NOT_FOUND:
                self._etag = self._modified = None
                return None
            raise
        self._etag, self._modified = found["ETag"], found["LastModified"]
        return found["Body"].read().decode("utf-8", errors="replace")

    def _mtime(self) -> datetime | None:
        return self._modified.astimezone(timezone.utc) if self._modified is not None else None

    def _remove_if_unchanged(self, seen: LockHolder) -> None:
        """Deletes the lock only if it is still the object last read (If-Match on its ETag)."""
        self._delete_read()

    def _remove_own(self) -> None:
        self._delete_read()

    def _delete_read(self) -> None:
        if self._etag is None:
            return
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=self._etag)
        except self.client.exceptions.ClientError as error:
            if _code(error) in (PRECONDITION_FAILED, CONDITIONAL_CONFLICT, *NOT_FOUND):
                logger.info("lake lock %s changed since it was read; left as it is", self.path)
                return
            raise


def s3_client(options: Mapping[str, Any]) -> Any:
    """A boto3 S3 client for the lake's storage options (pyarrow.fs.S3FileSystem's names), else the AWS chain."""
    try:
        import boto3
    except ImportError as error:
        raise LakeLocationError("the lake lock on s3:// needs boto3 (pip install 'causa-feedback[s3]'), "
                                "or set lake.lock_dir to a local or shared folder") from error
    endpoint = options.get("endpoint_override")
    if endpoint and "://" not in str(endpoint):
        endpoint = f"{options.get('scheme', 'https')}://{endpoint}"
    arguments = {
        "endpoint_url": endpoint,
        "region_name": options.get("region"),
        "aws_access_key_id": options.get("access_key"),
        "aws_secret_access_key": options.get("secret_key"),
        "aws_session_token": options.get("session_token"),
    }
    return boto3.client("s3", **{name: value for name, value in arguments.items() if value})


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
