"""A write the disk refuses becomes LakeFull naming the file; other OS errors pass through unchanged."""

from __future__ import annotations

import errno

import pytest

from causa.storage.disk_full import refused_writes_named
from causa.storage.errors import LakeFull


@pytest.mark.parametrize("code, cause", [(errno.ENOSPC, "No space left on device"), (errno.EFBIG, "File too large"),
                                         (errno.EDQUOT, "Disk quota exceeded")])
def test_a_refused_write_names_the_file_and_the_cause(code: int, cause: str) -> None:
    with pytest.raises(LakeFull, match=f"cannot write feedback partition /lake/x.parquet: {cause}; free space") as raised:
        with refused_writes_named("feedback partition /lake/x.parquet"):
            raise OSError(code, "Error writing bytes to file")
    assert raised.value.exit_code == 1 and isinstance(raised.value.__cause__, OSError)


def test_other_os_errors_are_not_taken_for_a_full_disk() -> None:
    with pytest.raises(PermissionError):
        with refused_writes_named("feedback partition /lake/x.parquet"):
            raise PermissionError(errno.EACCES, "Permission denied")
