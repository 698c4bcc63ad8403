"""`causa train` chooses character n-grams and C on validation data carved from the training rows, within a time
budget, respects the options a user gives, and records every candidate in the manifest and the model card."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import datasets
from causa.nlp.cues import load_resources, packaged_resources_dir
from causa.nlp.labels import parse_causes
from causa.nlp.option_search import CandidateScore, SearchRows, SearchSpace, choose, search_options, validation_folds
from causa.nlp.search_rules import NO_CAUSE_LABELS
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


AIRLINE_ROWS = 1200


@pytest.fixture(scope="module")
def airline_file(tmp_path_factory) -> Path:
    """The first AIRLINE_ROWS tweets of ../shared/data's airline_en set as a labelled file (the reasons as causes)."""
    folder = datasets.data_dir()
    if folder is None:
        pytest.skip("../shared/data is not there")
    frame = pd.read_csv(folder / "airline_en" / "tweets.csv").head(AIRLINE_ROWS)
    path = tmp_path_factory.mktemp("airline") / "airline.csv"
    pd.DataFrame({"text": frame["text"], "sentiment": frame["airline_sentiment"], "language": "en",
                  "causes": frame["negativereason"].map(datasets.AIRLINE_REASON_CAUSES).fillna("")}
                 ).to_csv(path, index=False)
    return path


def test_a_small_budget_skips_the_candidates_forecast_to_overrun_it_and_names_them(
        airline_file: Path, tmp_path: Path, capsys) -> None:
    frame = pd.read_csv(airline_file, keep_default_na=False)
    n = len(frame)
    rows = SearchRows(frame["text"].tolist(), ["en"] * n, frame["sentiment"].tolist(),
                      [parse_causes(value, "airline") for value in frame["causes"]], [1.0] * n, [True] * n)
    measured = search_options(rows, load_resources(packaged_resources_dir(), ["en"]),
                              ("delay", "rudeness", "unresolved_issue"), SearchSpace(sentiment_C=(4.0,), cause_C=(4.0,)),
                              budget_seconds=600)
    words, chars = (tried.seconds for tried in measured.candidates)
    overhead = measured.seconds - words - chars
    budget = round(overhead + words + chars / 2, 1)  # room for the words candidates, not for the first chars one

    manifest = train(airline_file, tmp_path, "budgeted", "--search-seconds", str(budget))
    selection = manifest["selection"]
    # the paces of this run differ from the measuring run's on a shared machine: the forecast's exact choices are
    # tested with fixed paces in tests/nlp/test_search_cost.py; here, that the budget holds and the skipped are named
    assert selection["budget_seconds"] == budget and selection["seconds"] <= budget * 1.5 + 5
    skipped = selection["not_tried"]
    assert skipped and len(skipped) + len(selection["candidates"]) == len(SearchSpace().candidates())
    for entry in skipped:
        assert entry["reason"] == "budget spent" or entry["reason"].startswith("forecast ")
        assert (entry["predicted_seconds"] is None) == (entry["reason"] == "budget spent")
    printed = capsys.readouterr().out
    for entry in skipped:
        features = "off" if entry["char_ngrams"] is None else "2-5"
        assert (f"char n-grams {features}, sentiment C {entry['sentiment_C']:g}, cause C {entry['cause_C']:g} "
                f"({entry['reason']})") in printed
    card = (tmp_path / "budgeted" / "README.md").read_text()
    assert card.count("  - not tried (") == len(skipped)
    assert all(f"not tried ({entry['reason']})" in card for entry in skipped)


def test_without_cause_labels_cause_c_is_not_searched_and_says_why(tmp_path: Path, capsys) -> None:
    labels = tmp_path / "no_causes.csv"
    texts = {"positive": "lovely quick friendly service", "negative": "awful slow rude service",
             "neutral": "the parcel came on a tuesday"}
    pd.DataFrame([{"text": f"{text} {i}", "sentiment": sentiment, "language": "en"}
                  for i in range(20) for sentiment, text in texts.items()]).to_csv(labels, index=False)
    assert main(["train", "--labels", str(labels), "--base", "starter", "--base-per-language", "40",
                 "--name", "uncaused", "--registry", str(tmp_path)]) == 0
    selection = json.loads((tmp_path / "uncaused" / "manifest.json").read_text())["selection"]
    assert selection["searched"] == ["char_ngrams", "sentiment_C"]
    assert selection["not_searched"] == {"cause_C": NO_CAUSE_LABELS} == {"cause_C": "no cause labels"}
    assert selection["chosen"]["cause_C"] == "no cause labels"
    assert {c["cause_C"] for c in selection["candidates"]} == {4.0}
    assert all(c["causes_average_precision"] is None for c in selection["candidates"])
    options = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("options: "))
    assert "cause C: no cause labels" in options and "cause C 4" not in options


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
