"""The installed version of causa (the code that trained or scored something) and of the libraries it runs on."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "causa-feedback"
UNKNOWN_VERSION = "unknown"


def installed_version(distribution: str = DISTRIBUTION) -> str | None:
    """The installed version of a distribution (causa's by default), None when it is not installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def code_version() -> str:
    """causa's installed version, "unknown" when it runs from a source tree that is not installed."""
    return installed_version() or UNKNOWN_VERSION
