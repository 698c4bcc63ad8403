"""`causa train` chooses character n-grams and C on validation data carved from the training rows, within a time
budget, respects the options a user gives, and records every candidate in the manifest and the model card."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causa.nlp.option_search import CandidateScore, SearchRows, choose, validation_folds
from causa.pipelines.cli import main

ENDINGS = {"positive": "blissful", "negative": "grumpish", "neutral": "maybeso"}


@pytest.fixture(scope="module")
def made_up_words(tmp_path_factory) -> Path:
    """90 rows whose only word is made up and unique, its sentiment carried by its ending: word features cannot
    carry what they learn to unseen rows, character n-grams can."""
    chooser = random.Random(7)
    rows = []
    for i in range(30):
        for sentiment, ending in ENDINGS.items():
            stem = "".join(chooser.choice("bcdfghjklmnpqrstvwz") for _ in range(7))
            rows.append({"text": f"{stem}{ending}", "sentiment": sentiment, "language": "en",
                         "causes": "delay" if sentiment == "negative" else ""})
    path = tmp_path_factory.mktemp("search") / "words.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def train(labels: Path, root: Path, name: str, *options: str) -> dict:
    assert main(["train", "--labels", str(labels), "--base", "none", "--name", name, "--registry", str(root),
                 *options]) == 0
    return json.loads((root / name / "manifest.json").read_text())


def test_character_ngrams_are_chosen_when_validation_shows_words_do_not_generalise(
        made_up_words: Path, tmp_path: Path, capsys) -> None:
    manifest = train(made_up_words, tmp_path, "searched")
    selection = manifest["selection"]
    assert selection["searched"] == ["char_ngrams", "sentiment_C", "cause_C"]
    assert selection["validation"] == "3-fold cross-validation over the 72 training rows"
    assert selection["chosen"]["char_ngrams"] == [2, 5] and manifest["parameters"]["char_ngrams"] == [2, 5]
    assert manifest["parameters"]["sentiment_C"] == selection["chosen"]["sentiment_C"]
    tried = selection["candidates"]
    assert len(tried) == 6 and not selection["not_tried"] and not selection["budget_spent"]
    words = max(c["sentiment_macro_f1"] for c in tried if c["char_ngrams"] is None)
    chars = max(c["sentiment_macro_f1"] for c in tried if c["char_ngrams"] == [2, 5])
    assert words < 0.6 and chars > 0.9
    chosen = max((c for c in tried if c["char_ngrams"] == [2, 5]), key=lambda c: c["sentiment_macro_f1"])
    assert selection["chosen"]["sentiment_C"] == chosen["sentiment_C"]
    assert all(c["seconds"] >= 0 for c in tried) and selection["budget_seconds"] == 90
    assert "options: chose char n-grams 2-5" in capsys.readouterr().out
    card = (tmp_path / "searched" / "README.md").read_text()
    assert "options: chose char n-grams 2-5" in card and card.count("validation sentiment macro-F1") == 6


def test_given_options_are_respected_and_not_searched(made_up_words: Path, tmp_path: Path) -> None:
    manifest = train(made_up_words, tmp_path, "given", "--char-ngrams", "none", "--sentiment-c", "2")
    selection = manifest["selection"]
    assert selection["searched"] == ["cause_C"] and selection["given"] == {"char_ngrams": None, "sentiment_C": 2.0}
    assert {(c["char_ngrams"], c["sentiment_C"]) for c in selection["candidates"]} == {(None, 2.0)}
    assert sorted(c["cause_C"] for c in selection["candidates"]) == [1.0, 4.0, 16.0]
    assert manifest["parameters"]["char_ngrams"] is None and manifest["parameters"]["sentiment_C"] == 2.0


def test_a_spent_budget_keeps_the_best_so_far_and_says_so(made_up_words: Path, tmp_path: Path, capsys) -> None:
    manifest = train(made_up_words, tmp_path, "hurried", "--search-seconds", "0.001")
    selection = manifest["selection"]
    assert len(selection["candidates"]) == 1 and len(selection["not_tried"]) == 5 and selection["budget_spent"]
    assert selection["chosen"] == {"char_ngrams": None, "sentiment_C": 4.0, "cause_C": 4.0}
    assert "the budget was spent before 5 more candidates (best so far kept)" in capsys.readouterr().out
    assert "not tried (budget spent)" in (tmp_path / "hurried" / "README.md").read_text()

    manifest = train(made_up_words, tmp_path, "unsearched", "--search-seconds", "0")
    assert manifest["selection"]["searched"] == [] and "search off" in manifest["selection"]["summary"]
    assert (manifest["parameters"]["char_ngrams"], manifest["parameters"]["sentiment_C"],
            manifest["parameters"]["cause_C"]) == (None, 4.0, 4.0)


def score(features, sentiment_C: float, sentiment: float | None, cause: float | None) -> CandidateScore:
    return CandidateScore(features, sentiment_C, sentiment_C, sentiment, cause, 1.0)


def test_the_choice_follows_the_validation_scores() -> None:
    tried = [score(None, 4.0, 0.70, 0.50), score((2, 5), 4.0, 0.72, 0.40), score(None, 1.0, 0.71, 0.60),
             score((2, 5), 16.0, 0.74, 0.41)]
    assert choose(tried) == (None, 1.0, 1.0)  # words: (0.71 + 0.60) / 2 beats chars: (0.74 + 0.41) / 2
    assert choose([score(None, 4.0, 0.70, None), score((2, 5), 4.0, 0.72, None)]) == ((2, 5), 4.0, 4.0)
    assert choose([score(None, 4.0, 0.70, None), score(None, 1.0, 0.70, None)]) == (None, 4.0, 4.0)  # tie: first
    with pytest.raises(ValueError, match="no candidate"):
        choose([])


def rows(users: int, starter: int) -> SearchRows:
    sentiments = ["negative", "positive", "neutral"] * ((users + starter) // 3 + 1)
    total = users + starter
    return SearchRows([f"t{i}" for i in range(total)], ["en"] * total, sentiments[:total], [None] * total,
                      [1.0] * total, [i < users for i in range(total)])


def test_small_files_are_cross_validated_large_ones_split_and_starter_rows_only_train() -> None:
    folds, described = validation_folds(rows(60, 30), random_state=42)
    assert described == "3-fold cross-validation over the 60 training rows" and len(folds) == 3
    assert sorted(np.concatenate([held for _, held in folds]).tolist()) == list(range(60))
    assert all(set(range(60, 90)) <= set(fit.tolist()) for fit, _ in folds)
    folds, described = validation_folds(rows(1200, 30), random_state=42)
    assert described == "a stratified validation split of 240 of the 1200 training rows" and len(folds) == 1
    fit, held = folds[0]
    assert len(held) == 240 and held.max() < 1200 and len(fit) == 960 + 30
    assert sorted(pd.Series(rows(1200, 0).sentiments).iloc[held].value_counts().tolist()) == [80, 80, 80]
