"""`causa explain`: the features of one text that pushed the sentiment and each cause decision, with spans."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from causa.nlp.model import FeedbackModel, sentiment_weights
from causa.nlp.taxonomy import SUPPORTED_LANGUAGES
from causa.nlp.text_preparation import prepare_texts

TOP_FEATURES = 6


def _weights(calibrated: Any, target: str | None = None) -> np.ndarray:
    """The linear weights of a calibrated logistic regression, for one class of the sentiment model."""
    if target is not None:
        return sentiment_weights(calibrated, target)
    return calibrated.calibrated_classifiers_[0].estimator.coef_[0]


def _cause_weights(model: FeedbackModel, cause: str) -> np.ndarray:
    """The weights towards one cause (the one-vs-rest model's, or a per-cause calibrated model's)."""
    combined = getattr(model, "cause_model_", None)
    if combined is not None and hasattr(combined, "positive_weights"):
        return combined.positive_weights(model.causes.index(cause))
    return _weights(model.cause_models_[cause])


def _contributions(row: Any, weights: np.ndarray, names: list[str], spans: dict[str, list[list[int]]],
                   top: int) -> dict[str, list[dict[str, Any]]]:
    """Feature value x weight for the features present in the text, strongest for and against."""
    indices = row.indices
    values = row.data * weights[indices]
    order = np.argsort(values)
    def entry(i: int) -> dict[str, Any]:
        name = names[indices[i]]
        return {"feature": name, "contribution": round(float(values[i]), 4),
                "spans": spans.get(name.removeprefix("word:"), []) if name.startswith("word:") else []}
    return {
        "for": [entry(i) for i in order[::-1][:top] if values[i] > 0],
        "against": [entry(i) for i in order[:top] if values[i] < 0],
    }


def explain(model: FeedbackModel, text: str, language: str, top: int = TOP_FEATURES,
            tier: str = "fast") -> dict[str, Any]:
    """Sentiment with probabilities, every cause's score and decision, and the features behind each (the features
    are the fast tier's; the accurate tier's scores also hold the encoder's share)."""
    language = language if language in SUPPORTED_LANGUAGES else "other"
    score = model.score([text], [language], tier=tier)[0]
    analysed = model.analyser.analyse(prepare_texts([text]), [language])[0]
    row = model.featurizer_.transform([analysed]).getrow(0).tocsr()
    names = model.featurizer_.feature_names()
    spans: dict[str, list[list[int]]] = {}
    for start, end, key in analysed.token_offsets:
        spans.setdefault(key, []).append([start, end])
    causes = {}
    for cause in model.causes:
        causes[cause] = {
            "score": round(score.cause_scores[cause], 4),
            "threshold": model.thresholds_[cause],
            "predicted": cause in score.causes,
            "features": _contributions(row, _cause_weights(model, cause), names, spans, top),
        }
    return {
        "text": text,
        "language": language,
        "sentiment": score.sentiment,
        "probabilities": {k: round(v, 4) for k, v in score.probabilities.items()},
        "sentiment_features": _contributions(row, _weights(model.sentiment_model_, score.sentiment), names, spans, top),
        "causes": causes,
        "predicted_causes": list(score.causes),
        "evidence": [asdict(span) for span in score.evidence],
        "needs_review": score.needs_review,
        "review_reasons": list(score.review_reasons),
        "tier": tier,
    }


def format_explanation(result: dict[str, Any]) -> str:
    """Plain text for a terminal."""
    def features(block: dict[str, list[dict[str, Any]]]) -> list[str]:
        lines = []
        for direction in ("for", "against"):
            items = ", ".join(f"{f['feature']} ({f['contribution']:+.3f})" for f in block[direction])
            lines.append(f"    {direction:<8}{items or '-'}")
        return lines

    probabilities = ", ".join(f"{k} {v:.3f}" for k, v in result["probabilities"].items())
    lines = [f"language {result['language']}, {result['tier']} tier",
             f"sentiment: {result['sentiment']} ({probabilities})"]
    lines += features(result["sentiment_features"])
    lines.append(f"causes: {', '.join(result['predicted_causes']) or 'none'}")
    for cause, detail in result["causes"].items():
        mark = "yes" if detail["predicted"] else "no "
        lines.append(f"  {mark} {cause:<17} score {detail['score']:.3f} (threshold {detail['threshold']:.3f})")
        if detail["predicted"] or detail["score"] >= detail["threshold"]:
            lines += features(detail["features"])
    for span in result["evidence"]:
        lines.append(f"evidence {span['cause']}: [{span['start']}:{span['end']}] {span['text']!r}")
    for reason in result["review_reasons"]:
        lines.append(f"needs review: {reason}")
    return "\n".join(lines) + "\n"
