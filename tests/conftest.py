"""Shared fixtures: one temporary Prefect server for the whole session, the shipped model, the sample config."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

SKIP_REMEDIES: tuple[tuple[str, str], ...] = (
    ("chromium", "Chromium not found: install it with `bash .ci/install.d/30-chromium.sh` (as root, apt)"),
    ("postgresql", "PostgreSQL server not found: `.venv/bin/python -m pip install -e '.[dev]'` (the pgserver wheel; "
                   "on Linux other than x86_64, `bash .ci/install.d/20-postgresql.sh` as root)"),
    ("shared/data", "labelled data sets not found: they are read from ../shared/data beside the repository"),
)
"""A phrase of a skip reason (lower case), and what the check needs and the one step that enables it."""


@pytest.fixture(scope="session")
def prefect_server():
    """A local Prefect API for flow runs (starting one takes seconds, so it is shared)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def shipped_model():
    from causa.pipelines.active_model import scoring_model

    model, _ = scoring_model("default")
    return model


@pytest.fixture()
def sample_config(tmp_path: Path) -> Path:
    """The packaged sample configuration, with its lake in a temporary folder."""
    from causa.pipelines.settings import default_config_path

    config = tmp_path / "causa.toml"
    shutil.copy(default_config_path(), config)
    return config


def skip_remedy(reason: str) -> str:
    """What a skipped check needs and how to enable it, or the skip reason itself when no remedy is known."""
    lowered = reason.lower()
    return next((remedy for phrase, remedy in SKIP_REMEDIES if phrase in lowered), reason)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Ends the run with the skipped checks grouped by what they need, and how to enable each group."""
    groups: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        groups[skip_remedy(reason.removeprefix("Skipped: "))] += 1
    if groups:
        terminalreporter.section("skipped checks and how to enable them")
        for remedy, count in groups.most_common():
            terminalreporter.line(f"{count:>4} skipped  {remedy}")
