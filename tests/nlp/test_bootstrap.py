"""The paired bootstrap on hand-made predictions: its macro-F1 is the evaluation report's, its interval tells a
better candidate, an equal one and a worse one apart, and it stays vectorised."""

from __future__ import annotations

import time

import numpy as np
import pytest

from causa.nlp.bootstrap import label_indicators, macro_f1, paired_difference, resample_counts, set_indicators
from causa.nlp.evaluation import classification_report, evaluate
from causa.nlp.taxonomy import SENTIMENTS

N_ITEMS = 600


def gold_sentiments(n: int = N_ITEMS) -> list[str]:
    return [SENTIMENTS[i % 3] for i in range(n)]


def with_errors(gold: list[str], every: int, offset: int = 0) -> list[str]:
    """The gold labels with every `every`-th item (from `offset`) replaced by the next sentiment: a wrong answer."""
    return [SENTIMENTS[(SENTIMENTS.index(label) + 1) % 3] if (i - offset) % every == 0 else label
            for i, label in enumerate(gold)]


def difference(gold: list[str], candidate: list[str], current: list[str], seed: int = 0):
    return paired_difference(label_indicators(gold, SENTIMENTS), label_indicators(candidate, SENTIMENTS),
                             label_indicators(current, SENTIMENTS), resample_counts(len(gold), 1000, seed))


def test_an_obviously_better_candidate_has_its_interval_above_zero() -> None:
    gold = gold_sentiments()
    result = difference(gold, with_errors(gold, 20), with_errors(gold, 3))
    assert result.observed > 0.25
    assert 0 < result.low < result.observed < result.high


def test_identical_and_equally_good_models_give_an_interval_around_zero() -> None:
    gold = gold_sentiments()
    same = with_errors(gold, 5)
    identical = difference(gold, same, same)
    assert (identical.observed, identical.low, identical.high) == (0.0, 0.0, 0.0)
    other_mistakes = difference(gold, with_errors(gold, 5, offset=0), with_errors(gold, 5, offset=2))
    assert abs(other_mistakes.observed) < 0.01
    assert other_mistakes.low < 0 < other_mistakes.high
    assert other_mistakes.low < -0.01  # equal models on 600 items: the gate cannot certify "not worse"


def test_a_worse_candidate_has_its_lower_bound_below_the_allowed_drop() -> None:
    gold = gold_sentiments()
    result = difference(gold, with_errors(gold, 4), with_errors(gold, 10))
    assert result.observed < -0.1
    assert result.low < result.high < -0.01


def test_the_observed_difference_is_the_evaluation_reports_macro_f1_difference() -> None:
    gold = gold_sentiments(90)
    candidate = ["positive" if label == "neutral" else label for label in gold]  # never says neutral
    current = with_errors(gold, 7)
    result = difference(gold, candidate, current)
    expected = (classification_report(gold, candidate, SENTIMENTS)["macro_f1"]
                - classification_report(gold, current, SENTIMENTS)["macro_f1"])
    assert result.observed == pytest.approx(expected, abs=1e-12)

    causes = ("delay", "rudeness", "overcharge")
    gold_causes = [("delay",), (), ("rudeness", "delay"), (), ("delay",), ("rudeness",)]
    predicted = [("delay",), ("overcharge",), ("delay",), (), (), ("rudeness",)]
    report = evaluate(["en"] * 6, [None] * 6, ["neutral"] * 6, gold_causes, predicted, causes)
    ours = macro_f1(set_indicators(gold_causes, causes), set_indicators(predicted, causes), np.ones((1, 6)))
    assert ours[0] == pytest.approx(report["all"]["causes_macro_f1"], abs=1e-12)  # overcharge: no gold, left out


def test_a_class_absent_from_a_resample_is_left_out_of_its_macro_average() -> None:
    gold = ["negative", "negative", "positive", "neutral"]
    predicted = ["negative", "positive", "positive", "negative"]
    counts = np.array([[1, 1, 1, 1], [2, 1, 1, 0], [0, 0, 4, 0]])
    scores = macro_f1(label_indicators(gold, SENTIMENTS), label_indicators(predicted, SENTIMENTS), counts)
    without_neutral = classification_report(["negative", "negative", "negative", "positive"],
                                            ["negative", "negative", "positive", "positive"], SENTIMENTS)
    assert scores[0] == pytest.approx(classification_report(gold, predicted, SENTIMENTS)["macro_f1"])
    assert scores[1] == pytest.approx(without_neutral["macro_f1"])  # the neutral item was not drawn
    assert scores[2] == pytest.approx(1.0)  # only positives drawn, all right


def test_resamples_are_seeded_and_draw_every_item_count_once_per_item() -> None:
    first, again = resample_counts(50, 200, seed=7), resample_counts(50, 200, seed=7)
    other = resample_counts(50, 200, seed=8)
    assert first.shape == (200, 50) and (first.sum(axis=1) == 50).all()
    assert (first == again).all() and not (first == other).all()
    with pytest.raises(ValueError, match="at least one item, got 0"):
        resample_counts(0)


def test_a_few_thousand_items_take_well_under_a_second() -> None:
    gold = gold_sentiments(3000)
    candidate, current = with_errors(gold, 9), with_errors(gold, 6)
    started = time.perf_counter()
    difference(gold, candidate, current)
    assert time.perf_counter() - started < 1.0
