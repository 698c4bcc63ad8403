"""Word lists kept as package data: `word_lists/<name>.json` beside this module."""

from __future__ import annotations

import importlib
import json
import logging
from importlib import resources
from pathlib import Path
from typing import Any

WORD_LISTS_DIR = "word_lists"
SPACY_STOP_WORDS = "spacy_stop_words"
"""spaCy's stop-word lists (MIT licence), snapshot per language: importing them from spaCy loads each language's
tokenizer exceptions (about 2 s for French) in every process. `python -m causa.nlp.word_lists` refreshes it."""


def read_word_lists(name: str) -> dict[str, Any]:
    """The lists of `word_lists/<name>.json` (callers read each file once and keep what they build from it)."""
    path = resources.files("causa.nlp") / WORD_LISTS_DIR / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"word list file not found: {path}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold an object of named lists, got {type(data).__name__}")
    return data


def spacy_stop_words(languages: list[str]) -> dict[str, list[str]]:
    """The stop words of the installed spaCy for each language, sorted."""
    return {lang: sorted(importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS) for lang in languages}


def refresh_spacy_stop_words() -> Path:
    """Rewrites the snapshot of spaCy's stop words for the languages it already holds; returns its path."""
    path = Path(str(resources.files("causa.nlp") / WORD_LISTS_DIR / f"{SPACY_STOP_WORDS}.json"))
    languages = list(read_word_lists(SPACY_STOP_WORDS))
    path.write_text(json.dumps(spacy_stop_words(languages), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    logging.getLogger(__name__).info("wrote %s", refresh_spacy_stop_words())
