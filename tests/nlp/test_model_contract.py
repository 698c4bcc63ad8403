"""FeedbackModel keeps scikit-learn's estimator contract, and the model store keeps its parameters through it."""

from __future__ import annotations

import inspect
import json

import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from causa.nlp.model import FeedbackModel
from causa.nlp.model_store import (
    MANIFEST_FILE, MODEL_FILE, NOT_STORED_PARAMETERS, file_hashes, load_model, save_model,
)
from tests.nlp.test_model import RESOURCES, TRAIN, make_training_set

CAUSES = ("rudeness", "unresolved_issue", "overcharge", "delay")
OPTIONS = {"sentiment_C": 2.0, "cause_C": 3.0, "solver": "saga", "calibration": "temperature", "calibration_folds": 3}
TEXTS = [text for text, _, _ in TRAIN] + ["Still waiting, the agent hung up on me and charged twice"]


@pytest.fixture(scope="module")
def fitted() -> FeedbackModel:
    return FeedbackModel(RESOURCES, CAUSES, **OPTIONS).fit(*make_training_set())


def scores_of(model: FeedbackModel) -> list:
    return model.score(TEXTS, ["en"] * len(TEXTS))


def test_get_params_lists_exactly_the_constructors_arguments() -> None:
    model = FeedbackModel(RESOURCES, CAUSES, **OPTIONS)
    signature = [name for name in inspect.signature(FeedbackModel.__init__).parameters if name != "self"]
    assert sorted(model.get_params()) == sorted(signature)
    assert model.get_params()["resources"] is RESOURCES and model.get_params()["causes"] is CAUSES
    assert {name: model.get_params()[name] for name in OPTIONS} == OPTIONS


def test_the_constructor_only_stores_its_parameters() -> None:
    model = FeedbackModel(RESOURCES, CAUSES, **OPTIONS)
    assert set(vars(model)) == set(model.get_params())
    with pytest.raises(NotFittedError):
        model.score(["late again"], ["en"])


def test_clone_gives_an_unfitted_model_with_equal_parameters(fitted: FeedbackModel) -> None:
    copy = clone(fitted)
    assert not hasattr(copy, "cause_model_")
    assert copy.get_params().keys() == fitted.get_params().keys()
    assert {name: value for name, value in copy.get_params().items() if name != "resources"} == \
        {name: value for name, value in fitted.get_params().items() if name != "resources"}
    assert copy.resources == fitted.resources and copy.resources is not fitted.resources
    assert [s.causes for s in scores_of(copy.fit(*make_training_set()))] == [s.causes for s in scores_of(fitted)]


def test_fit_does_not_change_the_parameters() -> None:
    tables = {"en": {"hung": "hang", "waited": "wait"}}
    model = FeedbackModel(RESOURCES, CAUSES, lemma_tables=tables, **OPTIONS)
    before = model.get_params()
    model.fit(*make_training_set())
    after = model.get_params()
    assert before.keys() == after.keys()
    assert all(after[name] is before[name] for name in before)
    assert tables == {"en": {"hung": "hang", "waited": "wait"}}
    assert model.lemma_tables_ == {"en": {"hung": "hang"}}  # the given table's entries that change a known key


def test_set_params_changes_what_the_next_fit_learns(fitted: FeedbackModel) -> None:
    model = clone(fitted).set_params(cause_C=0.01)
    assert model.cause_C == 0.01 and fitted.cause_C == 3.0
    assert model.fit(*make_training_set()).cause_model_.C == 0.01


def test_save_and_load_keep_the_parameters_and_the_scores(fitted: FeedbackModel, tmp_path) -> None:
    save_model(fitted, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    stored = json.loads((tmp_path / "m" / MODEL_FILE).read_text(encoding="utf-8"))["parameters"]
    assert set(stored) == set(fitted.get_params()) - set(NOT_STORED_PARAMETERS)
    kept = {name: value for name, value in fitted.get_params().items() if name not in NOT_STORED_PARAMETERS}
    assert {name: loaded.get_params()[name] for name in kept} == kept
    assert loaded.resources == fitted.resources
    assert loaded.lemma_tables is None and loaded.lemma_tables_ == fitted.lemma_tables_
    assert scores_of(loaded) == scores_of(fitted)


@pytest.mark.parametrize("older", [
    ("sentiment_C", "cause_C", "char_ngram_range", "random_state", "solver", "calibration", "calibration_folds"),
    ("sentiment_C", "cause_C", "char_ngram_range", "random_state"),
])
def test_a_model_json_in_an_older_format_still_loads(fitted: FeedbackModel, tmp_path, older) -> None:
    """Before parameters went through get_params, model.json listed them by hand, causes beside them (and before
    solver and calibration existed, only the first four)."""
    folder = tmp_path / "m"
    save_model(fitted, folder)
    described = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
    described["parameters"] = {name: described["parameters"][name] for name in older}
    (folder / MODEL_FILE).write_text(json.dumps(described, indent=1), encoding="utf-8")
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    (folder / MANIFEST_FILE).write_text(json.dumps({**manifest, "files": file_hashes(folder)}), encoding="utf-8")
    loaded = load_model(folder)
    defaults = {name: p.default for name, p in inspect.signature(FeedbackModel.__init__).parameters.items()}
    expected = {name: getattr(fitted, name) if name in older else defaults[name]
                for name in ("sentiment_C", "cause_C", "random_state", "solver", "calibration", "calibration_folds")}
    assert {name: getattr(loaded, name) for name in expected} == expected
    assert loaded.causes == CAUSES
    assert scores_of(loaded) == scores_of(fitted)
