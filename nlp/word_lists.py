"""Word lists kept as package data: `word_lists/<name>.json` beside this module."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

WORD_LISTS_DIR = "word_lists"


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
