"""The `retrain` Prefect flow end to end on a Prefect server: a run whose candidate the gate certifies is promoted, a
run whose candidate is worse is refused (the flow completes, says so, and the promoted pointer stays)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from causa.nlp.training import TrainingOptions
from causa.pipelines.retrain_flow import FLOW_NAME, RetrainResult, retrain
from causa.storage.registry import ModelRegistry
from tests.pipelines.test_active_model import write_config
from tests.pipelines.test_promotion_gate import HELD_OUT_COPIES
from tests.pipelines.test_retraining import ROWS

FLIPPED = {"negative": "positive", "positive": "neutral", "neutral": "negative"}


def write_flow_labels(path: Path, flip_training: bool = False) -> Path:
    """8 training and HELD_OUT_COPIES held-out copies of each row (30 held-out examples of every class);
    `flip_training` mislabels the training rows' sentiments, leaving the held-out labels right."""
    rows = [
        {"text": f"{text} #{split}{i}", "causes": causes, "language": "en", "split": split,
         "sentiment": FLIPPED[sentiment] if flip_training and split == "train" else sentiment}
        for split, copies in (("train", 8), ("test", HELD_OUT_COPIES))
        for i in range(copies) for text, sentiment, causes in ROWS
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def flow_run(state):
    """The flow run the Prefect server recorded for a returned state, and its flow's name."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        return run, client.read_flow(run.flow_id).name


def test_a_better_candidate_is_promoted_and_a_worse_one_refused(tmp_path: Path, prefect_server) -> None:
    registry_root = tmp_path / "models"
    config = write_config(tmp_path, registry_root)
    options = TrainingOptions(split_col="split", base="none")
    registry = ModelRegistry(registry_root)

    state = retrain(labels=str(write_flow_labels(tmp_path / "good.csv")), config_path=str(config), name="good",
                    options=options, promote_if_better=True, return_state=True)
    assert state.is_completed()
    result = state.result()
    assert isinstance(result, RetrainResult) and (result.version, result.promoted) == ("good", True)
    assert result.comparison.startswith("good vs ") and "95% interval" in result.comparison
    assert registry.promoted() == "good"
    run, flow_name = flow_run(state)
    assert flow_name == FLOW_NAME and run.state.is_completed() and run.parameters["name"] == "good"
    selection = json.loads((registry_root / "good" / "manifest.json").read_text())["selection"]
    assert selection["validation"].startswith("3-fold cross-validation over the 64 training rows")
    assert selection["candidates"] and {"char_ngrams", "sentiment_C", "cause_C"} == set(selection["searched"])

    state = retrain(labels=str(write_flow_labels(tmp_path / "flipped.csv", flip_training=True)),
                    config_path=str(config), name="flipped", options=options, promote_if_better=True,
                    return_state=True)
    assert state.is_completed()
    refused = state.result()
    assert (refused.version, refused.promoted) == ("flipped", False)
    assert refused.comparison.startswith("refusing to promote flipped: it is worse than good")
    assert "sentiment_macro_f1 by" in refused.comparison
    assert refused.metrics["model"]["all"]["sentiment"]["macro_f1"] < result.metrics["model"]["all"]["sentiment"][
        "macro_f1"]
    assert registry.promoted() == "good"
    assert [entry["version"] for entry in registry.history()] == ["good"]
    assert set(registry.versions()) == {"good", "flipped"}
    run, _ = flow_run(state)
    assert run.state.is_completed() and run.parameters["name"] == "flipped"


def test_training_without_promotion_leaves_the_pointer_alone(tmp_path: Path, prefect_server) -> None:
    registry_root = tmp_path / "models"
    config = write_config(tmp_path, registry_root)
    options = TrainingOptions(split_col="split", base="none", char_ngrams=None, sentiment_C=4.0, cause_C=4.0)
    result = retrain(labels=str(write_flow_labels(tmp_path / "good.csv")), config_path=str(config), name="kept",
                     options=options)
    assert (result.version, result.promoted, result.comparison) == ("kept", False, "")
    assert ModelRegistry(registry_root).promoted() is None
    selection = json.loads((registry_root / "kept" / "manifest.json").read_text())["selection"]
    assert selection["searched"] == [] and selection["given"] == {"char_ngrams": None, "sentiment_C": 4.0,
                                                                  "cause_C": 4.0}
