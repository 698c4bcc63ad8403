"""causa: customer feedback in five languages mined nightly into Parquet tables of sentiment and complaint causes.

The public API (the CLI `causa` is built on the same parts)::

    from causa import Lake, load_model, score_texts

    model = load_model()                                   # the promoted version, else the shipped model
    scores = score_texts(model, ["The courier never came."])  # a pyarrow Table, as `causa score` writes
    feedback = Lake("lake").read("feedback")               # a stored table

Names are imported on first use, so `import causa` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["CausaError", "FeedbackModel", "ItemScore", "Lake", "load_model", "load_settings", "score_texts"]

_HOMES = {
    "CausaError": "causa.errors",
    "FeedbackModel": "causa.nlp.model",
    "ItemScore": "causa.nlp.model",
    "Lake": "causa.storage.lake",
    "load_model": "causa.storage.model_versions",
    "load_settings": "causa.pipelines.settings",
    "score_texts": "causa.storage.scoring",
}

if TYPE_CHECKING:
    from causa.errors import CausaError
    from causa.nlp.model import FeedbackModel, ItemScore
    from causa.pipelines.settings import load_settings
    from causa.storage.lake import Lake
    from causa.storage.model_versions import load_model
    from causa.storage.scoring import score_texts


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'causa' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
