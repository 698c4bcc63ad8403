"""Writes the lake's disk refuses (no space left, a file size limit, a quota), told apart from other OS errors."""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from typing import Iterator

from causa.storage.errors import LakeFull

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


@contextmanager
def refused_writes_named(what: str) -> Iterator[None]:
    """Re-raises a disk-full OSError inside the block as LakeFull naming `what` (the file being written)."""
    try:
        yield
    except LakeFull:
        raise
    except OSError as error:
        if error.errno not in DISK_FULL_ERRNOS:
            raise
        raise LakeFull(
            f"cannot write {what}: {os.strerror(error.errno)}; free space on the lake's disk, then run the night again"
        ) from error
