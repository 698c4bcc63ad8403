"""Fixtures shared by the pipeline tests."""

from __future__ import annotations

import pytest

from tests.pipelines.sources_server import make_items, start_api


@pytest.fixture()
def api():
    """A review API on 127.0.0.1 serving 25 items, shut down after the test."""
    server = start_api()
    server.items = make_items(25)
    yield server
    server.shutdown()
    server.server_close()
