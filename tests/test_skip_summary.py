"""`make test` ends by naming the skipped checks, grouped, with the step that enables each group."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]

SKIPPING_TESTS = '''
import pytest

@pytest.mark.skipif(True, reason="needs Debian's chromium (.ci/install.d/30-chromium.sh)")
def test_browser_one(): pass

@pytest.mark.skipif(True, reason="needs Debian's chromium (.ci/install.d/30-chromium.sh)")
def test_browser_two(): pass

def test_sql():
    pytest.skip("PostgreSQL server not found: install the dev extra")

def test_other():
    pytest.skip("a reason without a known remedy")

def test_runs(): pass
'''


def test_run_ends_with_skipped_checks_grouped_with_their_remedy(tmp_path: Path) -> None:
    (tmp_path / "test_skips.py").write_text(SKIPPING_TESTS)
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         str(tmp_path / "test_skips.py")], cwd=REPOSITORY, capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    section = finished.stdout.split("skipped checks and how to enable them", 1)[1].splitlines()[1:4]
    assert [line.strip() for line in section] == [
        "2 skipped  Chromium not found: install it with `bash .ci/install.d/30-chromium.sh` (as root, apt)",
        "1 skipped  PostgreSQL server not found: `.venv/bin/python -m pip install -e '.[dev]'` (the pgserver wheel; "
        "on Linux other than x86_64, `bash .ci/install.d/20-postgresql.sh` as root)",
        "1 skipped  a reason without a known remedy",
    ]
