"""Fixtures of the storage tests."""

from __future__ import annotations

import pytest

from tests.storage.s3_server import running_s3_server


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on 127.0.0.1 for the tests of one module."""
    with running_s3_server() as server:
        yield server
