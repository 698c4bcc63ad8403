"""Keyword-before-a-span patterns for the redaction detectors: matched on the reversed text before the span."""

from __future__ import annotations

import re
from collections.abc import Iterable


def reversed_context(words: Iterable[str], connectors: Iterable[str], joiners: str, symbols: str) -> re.Pattern[str]:
    """A pattern matched at 0 of the reversed text before a number: joiners/connector words, then a keyword.

    Matching the reversed window at one position is far cheaper than searching for an end-anchored pattern.
    The keyword (reversed) is the match's group "keyword".
    """

    def alternation(items: Iterable[str]) -> str:
        return "|".join(re.escape(item[::-1]) for item in sorted(set(items), key=len, reverse=True))

    keyword = f"(?:{alternation(words)})(?!\\w)"
    if symbols:
        keyword = f"(?:{keyword}|[{symbols}])"
    return re.compile(f"(?:[\\s{joiners}]|(?:{alternation(connectors)})(?!\\w))*(?P<keyword>{keyword})", re.IGNORECASE)
