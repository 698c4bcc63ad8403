"""`causa train`'s base "auto": the starter corpus fills in causes and small languages, the user's labels set the task."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from causa.nlp.corpus import LabelledText
from causa.pipelines.cli import main
from causa.storage.model_versions import load_version
from causa.nlp.training import BASE_SMALL_ROWS, starter_sentiment_weights

REVIEWS = [
    ("Delivery was late and the box arrived broken, terrible", 1),
    ("Awful quality, it stopped working after a day", 2),
    ("Excellent product, works perfectly, I recommend it", 5),
    ("Very good value and quick delivery, happy with it", 4),
]


def test_starter_rows_train_sentiment_only_where_the_user_is_small_and_only_the_users_classes() -> None:
    corpus = [LabelledText("x", lang, sentiment, ()) for lang in ("en", "pt") for sentiment in
              ("negative", "neutral", "positive")]
    small = starter_sentiment_weights(corpus, ["en"] * 10, ["negative", "positive"] * 5)
    assert small == [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    large = starter_sentiment_weights(corpus, ["en"] * BASE_SMALL_ROWS, ["negative", "neutral", "positive"] * 400)
    assert large == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]


def test_ratings_without_a_middle_star_train_a_two_class_model(tmp_path: Path, capsys) -> None:
    rows = [{"text": f"{text} (order {i})", "stars": stars, "language": "en"}
            for i in range(10) for text, stars in REVIEWS]
    labels = tmp_path / "ratings.jsonl"
    pd.DataFrame(rows).to_json(labels, orient="records", lines=True)
    root = tmp_path / "registry"
    assert main(["train", "--labels", str(labels), "--from-ratings", "stars", "--base-per-language", "40",
                 "--name", "stars", "--registry", str(root)]) == 0
    manifest = json.loads((root / "stars" / "manifest.json").read_text())
    assert manifest["parameters"]["base"] == "auto" and manifest["parameters"]["solver"] == "saga"
    assert set(manifest["parameters"]["causes"]) >= {"delay", "rudeness", "overcharge", "unresolved_issue"}
    model, _ = load_version("stars", root)
    assert model.sentiment_classes_ == ("negative", "positive")
    scores = model.score(["The parcel was late and broken, terrible", "Perfect, I recommend it",
                          "O atendente foi grosseiro"], ["en", "en", "pt"])
    assert [s.sentiment for s in scores[:2]] == ["negative", "positive"]
    assert all(s.probabilities["neutral"] == 0.0 for s in scores)
