"""Shared fixtures: one temporary Prefect server for the whole session, the shipped model, the sample config."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


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
