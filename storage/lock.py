"""The lake lock: one run at a time per lake root, with stale-lock recovery (a lock file in a local folder; see
causa.storage.object_lock for the same lock as an object in a store)."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from causa.errors import EXIT_LOCKED
from causa.storage.errors import StorageError
from causa.storage.filesystem import LakePath, RemotePath
from causa.storage.layout import LOCK_FILE, lock_path

logger = logging.getLogger(__name__)

DEFAULT_WAIT_SECONDS = 60.0
DEFAULT_STALE_AFTER_SECONDS = 12 * 3600.0
POLL_SECONDS = 0.2


class LakeLockedError(StorageError, RuntimeError):
    """Another live run holds the lake; the message names the holder."""

    exit_code = EXIT_LOCKED


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock: process id, host, when it took the lock, and what for."""

    pid: int
    host: str
    started_at: datetime
    purpose: str
    token: str

    def describe(self) -> str:
        return (
            f"pid {self.pid} on {self.host} ({self.purpose}) since {self.started_at.isoformat(timespec='seconds')}"
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "pid": self.pid,
                "host": self.host,
                "started_at": self.started_at.isoformat(),
                "purpose": self.purpose,
                "token": self.token,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> "LockHolder":
        data = json.loads(text)
        return cls(
            pid=int(data["pid"]),
            host=str(data["host"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            purpose=str(data.get("purpose", "")),
            token=str(data.get("token", "")),
        )


class LakeLock:
    """An exclusive lock file under the lake root, held for a whole run.

    Taking it waits up to `wait_seconds` for a live holder and then raises LakeLockedError naming the holder.
    A lock is stale, and is taken over with a warning, when its process is dead on this host or when it is
    older than `stale_after_seconds` (a run on another host that died). The lock file is created complete with
    one atomic link, so a reader never sees a half-written lock.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | RemotePath,
        purpose: str = "causa run",
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        stale_after_seconds: float = DEFAULT_STALE_AFTER_SECONDS,
    ) -> None:
        if wait_seconds < 0:
            raise ValueError(f"wait_seconds must be >= 0, got {wait_seconds!r}")
        if stale_after_seconds <= 0:
            raise ValueError(f"stale_after_seconds must be > 0, got {stale_after_seconds!r}")
        self.root: LakePath = root if isinstance(root, RemotePath) else Path(root)
        self.path = lock_path(self.root)
        self.purpose = purpose
        self.wait_seconds = wait_seconds
        self.stale_after_seconds = stale_after_seconds
        self.holder: LockHolder | None = None

    def acquire(self) -> LockHolder:
        """Takes the lock, waiting for a live holder up to wait_seconds; returns this process's holder record."""
        if self.holder is not None:
            raise RuntimeError(f"lock {self.path} is already held by this object")
        self.root.mkdir(parents=True, exist_ok=True)
        me = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=datetime.now(timezone.utc),
            purpose=self.purpose,
            token=uuid.uuid4().hex,
        )
        deadline = time.monotonic() + self.wait_seconds
        waited_for: LockHolder | None = None
        while True:
            if self._try_create(me):
                self.holder = me
                logger.info("took lake lock %s", self.path)
                return me
            current = self.read_holder()
            if current is None:
                continue  # released (or removed as stale) between our attempt and the read
            stale = self._stale_reason(current)
            if stale:
                logger.warning("recovering stale lake lock %s held by %s: %s", self.path, current.describe(), stale)
                self._remove_if_unchanged(current)
                continue
            if time.monotonic() >= deadline:
                raise LakeLockedError(
                    f"lake {self.root} is locked by another run: {current.describe()}; "
                    f"waited {self.wait_seconds:g} s. If that process is gone, delete {self.path}"
                )
            if waited_for != current:
                logger.info("lake %s is locked by %s; waiting up to %g s", self.root, current.describe(), self.wait_seconds)
                waited_for = current
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.0)))

    def release(self) -> None:
        """Removes the lock file if it is still ours (a lock taken over as stale is left to its new holder)."""
        if self.holder is None:
            return
        current = self.read_holder()
        if current is not None and current.token == self.holder.token:
            self._remove_own()
            logger.info("released lake lock %s", self.path)
        else:
            logger.warning("lake lock %s was taken over by another run; not removing it", self.path)
        self.holder = None

    def read_holder(self) -> LockHolder | None:
        """The current holder, or None when there is no lock file. An unreadable lock file reads as stale."""
        text = self._read_lock()
        if text is None:
            return None
        try:
            return LockHolder.from_json(text)
        except (ValueError, KeyError, TypeError):
            mtime = self._mtime()
            return LockHolder(
                pid=-1,
                host="unknown",
                started_at=mtime or datetime.fromtimestamp(0, timezone.utc),
                purpose=f"unreadable lock file {text[:40]!r}",
                token="",
            )

    def __enter__(self) -> "LakeLock":
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()

    def _try_create(self, me: LockHolder) -> bool:
        temporary = self.root / f"{LOCK_FILE}.{me.token}.tmp"
        temporary.write_text(me.to_json(), encoding="utf-8")
        try:
            os.link(temporary, self.path)
            return True
        except FileExistsError:
            return False
        finally:
            temporary.unlink(missing_ok=True)

    def _read_lock(self) -> str | None:
        """The lock file's text, or None when there is none."""
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def _remove_own(self) -> None:
        """Removes the lock file this object holds (checked by the caller)."""
        self.path.unlink(missing_ok=True)

    def _stale_reason(self, holder: LockHolder) -> str | None:
        age = (datetime.now(timezone.utc) - holder.started_at).total_seconds()
        if age > self.stale_after_seconds:
            return f"it is {age:.0f} s old, more than the {self.stale_after_seconds:g} s limit"
        if holder.pid == -1:
            return None if age < 5 else holder.purpose
        if holder.host == socket.gethostname() and not _process_alive(holder.pid):
            return f"process {holder.pid} is no longer running"
        return None

    def _remove_if_unchanged(self, seen: LockHolder) -> None:
        """Removes the lock only if it still is the one judged stale (another waiter may have recovered it first)."""
        claim = self.root / f"{LOCK_FILE}.{uuid.uuid4().hex}.stale"
        try:
            os.rename(self.path, claim)
        except FileNotFoundError:
            return
        moved = claim.read_text(encoding="utf-8", errors="replace")
        try:
            same = LockHolder.from_json(moved).token == seen.token
        except (ValueError, KeyError, TypeError):
            same = seen.pid == -1
        if same:
            claim.unlink(missing_ok=True)
            return
        # A live holder took the lock after our read: put its lock back unless someone holds a newer one.
        try:
            os.link(claim, self.path)
        except FileExistsError:
            pass
        claim.unlink(missing_ok=True)

    def _mtime(self) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.path.stat().st_mtime, timezone.utc)
        except FileNotFoundError:
            return None


def _process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError as error:
        return error.errno != errno.ESRCH
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return True
