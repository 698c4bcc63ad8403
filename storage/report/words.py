"""The report's words in each locale (words.json, package data): headings, labels, notes, display names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Mapping

from causa.nlp.taxonomy import SUPPORTED_LANGUAGES
from causa.storage.errors import InvalidOption

LOCALES = SUPPORTED_LANGUAGES
"""The report speaks each language causa reads."""
DEFAULT_LOCALE = "en"


@cache
def all_words() -> Mapping[str, Mapping[str, object]]:
    """locale -> key -> text (or the twelve month abbreviations under `months`)."""
    text = (resources.files("causa.storage.report") / "words.json").read_text(encoding="utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class Words:
    """The words of one locale; identifiers without a word of their own are shown made readable."""

    locale: str
    table: Mapping[str, object]

    def __call__(self, key: str, **values: object) -> str:
        return str(self.table[key]).format(**values)

    def named(self, kind: str, identifier: str) -> str:
        """The display name of a cause, channel, sentiment, language or metric identifier."""
        found = self.table.get(f"{kind}_{identifier}")
        return str(found) if found is not None else identifier.replace("_", " ")

    def day_month(self, day: date) -> str:
        """A week's tick label: the day and the month's abbreviation, e.g. `09 Nov`."""
        months = self.table["months"]
        return f"{day:%d} {months[day.month - 1]}"  # type: ignore[index]


def words_for(locale: str) -> Words:
    if locale not in LOCALES:
        raise InvalidOption(f"unknown report locale {locale!r}; choose one of {', '.join(LOCALES)}")
    return Words(locale, all_words()[locale])
