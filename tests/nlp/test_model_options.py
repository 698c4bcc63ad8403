"""The retraining options of FeedbackModel: two-class sentiment, sentiment weights, saga, temperature calibration."""

from __future__ import annotations

import numpy as np
import pytest

from causa.nlp.estimators import CalibratedOneVsRestClassifier
from causa.nlp.model import FeedbackModel, sentiment_weights
from causa.nlp.model_store import load_model, save_model
from tests.nlp.test_model import RESOURCES, TRAIN, make_training_set

CAUSES = ("rudeness", "unresolved_issue", "overcharge", "delay")
FAST = {"solver": "saga", "calibration": "temperature", "calibration_folds": 3}


def two_class_set(copies: int = 8):
    texts, languages, sentiments, causes = make_training_set(copies)
    keep = [i for i, s in enumerate(sentiments) if s != "neutral"]
    return ([texts[i] for i in keep], [languages[i] for i in keep], [sentiments[i] for i in keep],
            [causes[i] for i in keep])


@pytest.fixture(scope="module")
def two_class() -> FeedbackModel:
    return FeedbackModel(RESOURCES, CAUSES, **FAST).fit(*two_class_set())


def test_a_two_class_model_gives_the_missing_sentiment_probability_zero(two_class: FeedbackModel) -> None:
    assert two_class.sentiment_classes_ == ("negative", "positive")
    scores = two_class.score(["The agent was rude and hung up on me", "Great service, love it",
                              "What time does the store open on Sunday?"], ["en"] * 3)
    assert [s.sentiment for s in scores[:2]] == ["negative", "positive"]
    for score in scores:
        assert score.probabilities["neutral"] == 0.0
        assert score.sentiment != "neutral"
        assert sum(score.probabilities.values()) == pytest.approx(1.0)
    assert "rudeness" in scores[0].causes


def test_two_class_sentiment_weights_point_each_way(two_class: FeedbackModel) -> None:
    negative, positive = two_class.word_weights("negative"), two_class.word_weights("positive")
    assert negative["rude"] > 0 > positive["rude"]
    assert positive["great"] > 0 > negative["great"]
    assert set(two_class.word_weights("neutral").values()) == {0.0}
    with pytest.raises(ValueError, match="'angry'"):
        sentiment_weights(two_class.sentiment_model_, "angry")


def test_a_two_class_model_survives_save_and_reload(two_class: FeedbackModel, tmp_path) -> None:
    save_model(two_class, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert (loaded.solver, loaded.calibration, loaded.calibration_folds) == ("saga", "temperature", 3)
    texts = [text for text, _, _ in TRAIN]
    before, after = two_class.score(texts, ["en"] * len(texts)), loaded.score(texts, ["en"] * len(texts))
    assert [s.probabilities for s in before] == [s.probabilities for s in after]
    assert [s.causes for s in before] == [s.causes for s in after]


def test_temperature_calibration_keeps_the_regressions_decision() -> None:
    texts, languages, sentiments, causes = make_training_set()
    model = FeedbackModel(RESOURCES, CAUSES, **FAST).fit(texts, languages, sentiments, causes)
    features = model.featurizer_.transform(model.analyser.analyse(texts, languages))
    regression = model.sentiment_model_.calibrated_classifiers_[0].estimator
    decided = model.sentiment_model_.classes_[regression.predict(features)]  # fitted on label codes
    assert list(model.sentiment_model_.predict(features)) == list(decided)
    assert len(set(decided)) == 3


def test_zero_weight_texts_train_causes_but_not_sentiment() -> None:
    texts, languages, sentiments, causes = make_training_set()
    weights = [0.0 if s == "neutral" else 1.0 for s in sentiments]
    model = FeedbackModel(RESOURCES, CAUSES, **FAST).fit(texts, languages, sentiments, causes,
                                                         sentiment_weights=weights)
    assert model.sentiment_classes_ == ("negative", "positive")
    with pytest.raises(ValueError, match="at least two"):
        FeedbackModel(RESOURCES, CAUSES).fit(texts, languages, sentiments, causes,
                                             sentiment_weights=[1.0 if s == "neutral" else 0.0 for s in sentiments])
    with pytest.raises(ValueError, match="sentiment_weights"):
        FeedbackModel(RESOURCES, CAUSES).fit(texts, languages, sentiments, causes, sentiment_weights=[1.0])


def test_unknown_solver_and_calibration_are_named() -> None:
    texts, languages, sentiments, causes = make_training_set(2)
    with pytest.raises(ValueError, match="'newton'"):
        FeedbackModel(RESOURCES, CAUSES, solver="newton").fit(texts, languages, sentiments, causes)
    with pytest.raises(ValueError, match="'isotonic'"):
        FeedbackModel(RESOURCES, CAUSES, calibration="isotonic").fit(texts, languages, sentiments, causes)


def test_shared_fold_thresholds_find_the_labels() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = np.column_stack([X[:, 0] > 0.8, X[:, 1] + X[:, 2] > 1.0]).astype(int)
    shared = CalibratedOneVsRestClassifier(max_folds=3, solver="saga", shared_folds=True).fit(X, y)
    assert all(0.3 <= t <= 0.6 for t in shared.thresholds_)
    assert (shared.predict(X) == y).mean() > 0.9
