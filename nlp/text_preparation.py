"""The one text preparation every entry point shares: clean the text, then redact personal data.

FeedbackModel applies it itself in fit and score, so training, evaluation, `causa score`, `causa explain` and the
nightly run see the same text. It is idempotent: text the nightly flow already cleaned and redacted is unchanged.
"""

from __future__ import annotations

from typing import Sequence

from causa.nlp.normalise import clean_text
from causa.nlp.redact import redact_many


def prepare_texts(texts: Sequence[str]) -> list[str]:
    """Each text cleaned (unicode form, invisible characters, spaces) and with its personal data redacted."""
    return [redacted.text for redacted in redact_many(clean_text(text) for text in texts)]
