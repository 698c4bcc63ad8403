"""The label sets the classifiers implement (see TAXONOMY.md): sentiments, default causes, languages."""

from __future__ import annotations

SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
DEFAULT_CAUSES: tuple[str, ...] = ("rudeness", "unresolved_issue", "overcharge", "delay")
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "pt", "es", "ro", "ru")
OTHER_LANGUAGE = "other"
TIERS: tuple[str, ...] = ("fast", "accurate")
"""fast: sparse features only; accurate: fused with multilingual-e5-small heads (see causa.nlp.encoder)."""
