"""Where a source starts (its committed watermark, its file ledger, a `--since` date) and what it reached."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from causa.storage.state import FileFingerprint, Watermark


@dataclass(frozen=True)
class Start:
    """What a connector needs to pull only what is new: the stored state, or a date that overrides it."""

    watermark: Watermark | None = None
    ledger: dict[str, FileFingerprint] = field(default_factory=dict)
    since: date | None = None
    """`causa run --since`: pull again from this date (UTC), whatever the watermark or ledger say."""


@dataclass(frozen=True)
class Checkpoint:
    """What a connector reached; stored in the lake's state only once its rows are committed."""

    watermark: Watermark | None = None
    files: dict[str, FileFingerprint] = field(default_factory=dict)
