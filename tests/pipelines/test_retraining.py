"""Retraining end to end: train, registry, promotion gate, tamper refusal, explain, review queue, nightly scoring."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from causa.nlp.model_store import default_model_dir, read_manifest
from causa.pipelines.cli import main
from causa.nlp.training import TrainingOptions, parse_rating_scale, rating_to_sentiment, rows_from_frame
from causa.storage.registry import ModelRegistry, RegistryError

ROWS = [
    ("My parcel is late again, still waiting after two weeks", "negative", "delay"),
    ("The agent was rude and hung up on me", "negative", "rudeness"),
    ("They charged twice for one ticket, awful", "negative", "overcharge"),
    ("I wrote five times and nobody answers, no solution", "negative", "unresolved_issue"),
    ("The invoice lists a product I never ordered, wrong invoice again", "negative", "billing_error"),
    ("Great service, fast delivery, love it", "positive", ""),
    ("Lovely staff and a great price, thank you", "positive", ""),
    ("What time does the store open on Sunday?", "neutral", ""),
]


SMALL_FILE = ("--min-per-class", "0", "--lake-sample", "0")
"""`causa models promote` options for the small files of these tests, whose point is neither the gate's minimum
number of examples per class nor the lake-share preview."""


def write_labels(path: Path, copies: int = 8, flip: bool = False) -> Path:
    """Labelled rows with a fifth cause the shipped taxonomy lacks; `flip` mislabels every sentiment."""
    rotate = {"negative": "positive", "positive": "neutral", "neutral": "negative"}
    rows = [
        {"text": f"{text} #{i}", "sentiment": rotate[sentiment] if flip else sentiment, "causes": causes,
         "language": "en"}
        for i in range(copies) for text, sentiment, causes in ROWS
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def registry_root(tmp_path_factory) -> Path:
    """A registry holding `good` (trained on correct labels) and `bad` (trained on flipped sentiments)."""
    folder = tmp_path_factory.mktemp("retraining")
    root = folder / "registry"
    good = write_labels(folder / "good.csv")
    assert main(["train", "--labels", str(good), "--base", "none", "--name", "good", "--registry", str(root)]) == 0
    bad = write_labels(folder / "bad.csv", flip=True)
    assert main(["train", "--labels", str(bad), "--base", "none", "--name", "bad", "--registry", str(root)]) == 0
    return root


def test_train_registers_a_version_with_manifest_metrics_and_card(registry_root: Path, capsys) -> None:
    folder = registry_root / "good"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version"] == "good"
    assert manifest["training_data"]["counts"]["train"] + manifest["training_data"]["counts"]["heldout"] == 64
    assert len(manifest["training_data"]["fingerprint"]) == 64
    assert {"scikit-learn", "spacy", "python"} <= set(manifest["libraries"])
    assert "billing_error" in manifest["parameters"]["causes"]
    assert {"metrics.json", "README.md", "heldout.parquet", "estimators.skops"} <= set(manifest["files"])
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["model"]["all"]["sentiment"]["macro_f1"] > 0.9
    assert metrics["baseline"]["version"] == read_manifest(default_model_dir())["version"]
    assert "# causa model good" in (folder / "README.md").read_text()
    assert main(["models", "list", "--registry", str(registry_root)]) == 0
    listing = capsys.readouterr().out
    assert "good" in listing and "bad" in listing and "promoted: none" in listing
    header = next(line for line in listing.splitlines() if line.split()[:1] == ["version"])
    assert all(name in header for name in ("created", "train rows", "held out", "sentiment F1", "causes F1"))
    good = next(line.split() for line in listing.splitlines() if line.split()[:1] == ["good"])
    counts = manifest["training_data"]["counts"]
    assert good[2:4] == [str(counts["train"]), str(counts["heldout"])]
    assert float(good[4]) == pytest.approx(metrics["model"]["all"]["sentiment"]["macro_f1"], abs=5e-4)


def test_a_new_cause_is_learned_without_cues(registry_root: Path) -> None:
    from causa.storage.model_versions import load_version

    model, _ = load_version("good", registry_root)
    scores = model.score(["Wrong invoice again, it lists a product I never ordered"], ["en"])
    assert "billing_error" in scores[0].causes


def test_promotion_refuses_a_worse_model_unless_forced(registry_root: Path, capsys, caplog) -> None:
    registry = ModelRegistry(registry_root)
    assert main(["models", "promote", "good", "--registry", str(registry_root), *SMALL_FILE]) == 0
    assert registry.promoted() == "good"
    assert main(["models", "promote", "bad", "--registry", str(registry_root), *SMALL_FILE]) == 2
    assert "refusing to promote bad: it is worse than good" in caplog.text
    assert re.search(r"macro_f1 by \d\.\d{3}", caplog.text)
    assert registry.promoted() == "good"
    assert main(["models", "promote", "bad", "--force", "--registry", str(registry_root), *SMALL_FILE]) == 0
    assert registry.promoted() == "bad"
    assert [entry["version"] for entry in registry.history()] == ["good", "bad"]
    assert registry.history()[-1]["forced"] is True
    assert main(["models", "promote", "good", "--registry", str(registry_root), *SMALL_FILE]) == 0


def test_a_tampered_version_is_refused(registry_root: Path, tmp_path: Path, caplog) -> None:
    copy = tmp_path / "registry"
    shutil.copytree(registry_root / "good", copy / "good")
    thresholds = copy / "good" / "model.json"
    described = json.loads(thresholds.read_text())
    described["thresholds"]["delay"] = 0.01
    thresholds.write_text(json.dumps(described))
    with pytest.raises(RegistryError, match="model.json changed"):
        ModelRegistry(copy).verify("good")
    assert main(["explain", "late again", "--model", "good", "--registry", str(copy)]) == 2
    assert "failed verification" in caplog.text and "model.json changed" in caplog.text
    assert main(["models", "promote", "good", "--registry", str(copy)]) == 2


def test_explain_names_the_tokens_and_evidence(registry_root: Path, capsys) -> None:
    text = "The agent was rude and hung up on me"
    assert main(["explain", text, "--json", "--model", "good", "--language", "en",
                 "--registry", str(registry_root)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["sentiment"] == "negative" and result["predicted_causes"] == ["rudeness"]
    pushing = result["causes"]["rudeness"]["features"]["for"]
    assert pushing and all(item["contribution"] > 0 for item in pushing)
    spans = [span for item in pushing + result["sentiment_features"]["for"] for span in item["spans"]]
    assert spans and all(0 <= start < end <= len(text) for start, end in spans)
    assert any(text[e["start"]:e["end"]] == e["text"] for e in result["evidence"] if e["cause"] == "rudeness")
    assert main(["explain", text, "--model", "good", "--registry", str(registry_root)]) == 0
    assert "rudeness" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("scale", "ratings", "expected"),
    [("1-5", [1, 2, 3, 4, 5], ["negative", "negative", "neutral", "positive", "positive"]),
     ("1-10", [1, 4, 5, 6, 7, 10], ["negative", "negative", "neutral", "neutral", "positive", "positive"]),
     ("0-10", [0, 3, 4, 6, 7], ["negative", "negative", "neutral", "neutral", "positive"]),
     ("1-100", [1, 38, 39, 62, 63], ["negative", "negative", "neutral", "neutral", "positive"])],
)
def test_ratings_map_to_sentiment(scale: str, ratings: list[int], expected: list[str]) -> None:
    assert [rating_to_sentiment(r, parse_rating_scale(scale)) for r in ratings] == expected


def test_ratings_outside_the_scale_are_named() -> None:
    frame = pd.DataFrame({"text": ["ok", "fine"], "stars": [5, 7], "language": "en"})
    with pytest.raises(ValueError, match="rating 7.0 is outside the scale 1-5"):
        rows_from_frame(frame, TrainingOptions(from_ratings="stars"))
    with pytest.raises(ValueError, match="no rating column 'score'"):
        rows_from_frame(frame, TrainingOptions(from_ratings="score"))


def test_nightly_scores_with_the_promoted_version_and_the_review_queue_trains(
    registry_root: Path, sample_config: Path, tmp_path: Path, prefect_server, capsys
) -> None:
    from causa.pipelines.flows import nightly

    registry = tmp_path / "models"
    shutil.copytree(registry_root / "good", registry / "good")
    ModelRegistry(registry).promote("good")
    config = sample_config.read_text().replace('version = "promoted"', f'version = "promoted"\nregistry = "{registry}"')
    sample_config.write_text(config)
    result = nightly(config_path=str(sample_config))
    assert result.model_version == "good"
    runs = duckdb.connect().execute(
        f"select model_version from read_parquet('{result.lake_root}/runs/**/*.parquet')").fetchall()
    assert runs == [("good",)]

    queue = tmp_path / "queue.csv"
    assert main(["review-queue", "--n", "40", "-o", str(queue), "--config", str(sample_config)]) == 0
    frame = pd.read_csv(queue, keep_default_na=False)
    assert len(frame) == 40 and set(frame["sentiment"]) == {""}
    margins = frame.loc[~frame["needs_review"], "margin"].tolist()
    assert margins == sorted(margins)
    labelled = pd.concat([frame.assign(sentiment=frame["predicted_sentiment"], causes=frame["predicted_causes"]),
                          pd.read_csv(write_labels(tmp_path / "more.csv"))])
    labelled.to_csv(queue, index=False)
    capsys.readouterr()
    assert main(["train", "--labels", str(queue), "--base", "none", "--name", "relabelled",
                 "--registry", str(registry)]) == 0
    assert "registered relabelled" in capsys.readouterr().out
    counts = json.loads((registry / "relabelled" / "manifest.json").read_text())["training_data"]["counts"]
    assert counts["labelled"] == 40 + 64
