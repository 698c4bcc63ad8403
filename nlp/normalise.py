"""Text clean-up before anything is stored: unicode form, invisible characters, whitespace."""

from __future__ import annotations

import re
import unicodedata

INVISIBLE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\u200c\u200e\u200f\u2060\ufeff]")
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
BLANK_LINES = re.compile(r"\s*\n\s*")


def clean_text(text: str) -> str:
    """NFC text without control or zero-width characters (the emoji joiner kept), spaces folded, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if text.isprintable() and "  " not in text:
        return text.strip()  # no control, invisible or non-space separator character, no run of spaces: done
    text = INVISIBLE.sub("", text)
    text = SPACES.sub(" ", text)
    return BLANK_LINES.sub("\n", text).strip()
