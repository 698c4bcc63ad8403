"""The raw record every source yields, before mapping and validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RawRecord:
    """One item as the source gave it; `error` is set when the source could not even parse it."""

    origin: str
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
