"""The promotion gate: too few evaluation examples per class are refused with how many more each class needs
(unless --force), a candidate on enough held-out rows is promoted with its bootstrap intervals, per-class table
and the lake's share changes printed, and the history records the gate's figures."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from causa.errors import EXIT_BAD_INPUT
from causa.pipelines.cli import main
from causa.storage.lake import Lake
from causa.storage.registry import ModelRegistry
from causa.storage.schemas import FEEDBACK
from tests.pipelines.test_active_model import write_config
from tests.pipelines.test_retraining import ROWS, write_labels

HELD_OUT_COPIES = 30
BILLING = "The invoice lists a product I never ordered, wrong invoice again"
PRAISE = "Great service, fast delivery, love it"
LATE = "My parcel is late again, still waiting after two weeks"


def write_split_labels(path: Path) -> Path:
    """8 training copies of each row and HELD_OUT_COPIES held-out ones: 30 held-out examples of every sentiment
    and cause, and 64 training rows."""
    rows = [
        {"text": f"{text} #{split}{i}", "sentiment": sentiment, "causes": causes, "language": "en", "split": split}
        for split, copies in (("train", 8), ("test", HELD_OUT_COPIES))
        for i in range(copies) for text, sentiment, causes in ROWS
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A registry with `tiny` (the 64-row file: 13 held out) and `split` (30 held-out examples of each class)."""
    folder = tmp_path_factory.mktemp("gate")
    root = folder / "registry"
    assert main(["train", "--labels", str(write_labels(folder / "tiny.csv")), "--base", "none", "--name", "tiny",
                 "--registry", str(root)]) == 0
    assert main(["train", "--labels", str(write_split_labels(folder / "split.csv")), "--split-col", "split",
                 "--base", "none", "--name", "split", "--registry", str(root)]) == 0
    return root


@pytest.fixture()
def registry(trained: Path, tmp_path: Path) -> Path:
    """A copy of the trained registry with nothing promoted (the shipped model is current)."""
    import shutil

    root = tmp_path / "models"
    shutil.copytree(trained, root)
    return root


def store_feedback(lake_root: Path) -> None:
    """Ten stored items: five delay complaints on an older day, then two billing complaints and three praises."""
    old, new = datetime(2026, 11, 2, 9, tzinfo=timezone.utc), datetime(2026, 11, 3, 9, tzinfo=timezone.utc)
    items = [(f"old-{i}", old + timedelta(minutes=i), LATE) for i in range(5)]
    items += [(f"new-{i}", new + timedelta(minutes=i), BILLING if i < 2 else PRAISE) for i in range(5)]
    rows = pa.Table.from_pylist(
        [{"feedback_id": key, "source": "shop", "source_item_id": key, "channel": "review", "created_at": at,
          "text": text, "language": "en"} for key, at, text in items],
        schema=FEEDBACK.schema,
    )
    Lake(lake_root).upsert(FEEDBACK, rows, pa.array([at.date() for _, at, _ in items], type=pa.date32()))


def test_a_tiny_held_out_set_is_refused_with_what_it_needs_unless_forced(registry: Path, capsys, caplog) -> None:
    assert main(["models", "promote", "tiny", "--registry", str(registry), "--lake-sample", "0"]) == 2
    refusal = next(message for message in caplog.messages if "refusing to promote tiny" in message)
    assert "the held-out rows of tiny (13 rows) is too small" in refusal
    needed = dict((name, int(count)) for count, name in re.findall(r"(\d+) more (?:held-out examples )?of (\w+)",
                                                                    refusal))
    counts = re.search(r"examples per class \(at least 30 needed\): (.*)", capsys.readouterr().out).group(1)
    have = {name: int(count) for name, count in (part.split() for part in counts.split(", "))}
    causes = json.loads((registry / "tiny" / "manifest.json").read_text())["parameters"]["causes"]
    assert list(have) == ["negative", "neutral", "positive", *causes]
    assert sum(have[name] for name in ("negative", "neutral", "positive")) == 13
    assert needed == {name: 30 - count for name, count in have.items()}
    assert ModelRegistry(registry).promoted() is None

    assert main(["models", "promote", "tiny", "--min-per-class", "2", "--registry", str(registry),
                 "--lake-sample", "0"]) == 2
    fewer = re.findall(r"(\d+) more (?:held-out examples )?of (\w+)", caplog.records[-1].getMessage())
    assert fewer and {name: int(count) for count, name in fewer} == {
        name: 2 - count for name, count in have.items() if count < 2}

    assert main(["models", "promote", "tiny", "--force", "--registry", str(registry), "--lake-sample", "0"]) == 0
    assert "promoting tiny although the gate refuses it" in caplog.text
    entry = ModelRegistry(registry).history()[-1]
    assert (entry["version"], entry["forced"]) == ("tiny", True)
    assert entry["gate"]["counts"]["sentiments"] == {name: have[name] for name in ("negative", "neutral", "positive")}
    assert entry["gate"]["shortfalls"] == needed
    assert "too small" in entry["gate"]["refusals"][0]


def test_train_and_models_promote_refuse_with_the_same_exit_code(registry: Path, tmp_path: Path, capsys,
                                                                caplog) -> None:
    labels = write_labels(tmp_path / "tiny.csv")
    assert main(["train", "--labels", str(labels), "--base", "none", "--name", "again", "--promote",
                 "--registry", str(registry)]) == EXIT_BAD_INPUT
    refusal = caplog.records[-1].getMessage()
    assert refusal.startswith("refusing to promote again: the held-out rows of again")
    assert "again stays registered; `causa models promote again --force` promotes it." in refusal
    assert "registered again in" in capsys.readouterr().out
    assert "again" in ModelRegistry(registry).versions() and ModelRegistry(registry).promoted() is None

    assert main(["models", "promote", "again", "--registry", str(registry), "--lake-sample", "0"]) == EXIT_BAD_INPUT
    assert caplog.records[-1].getMessage().startswith("refusing to promote again: the held-out rows of again")
    assert ModelRegistry(registry).promoted() is None


def test_enough_held_out_rows_promote_with_intervals_class_table_and_lake_shares(registry: Path, tmp_path: Path,
                                                                                 capsys) -> None:
    config = write_config(tmp_path, registry)
    store_feedback(tmp_path / "lake")
    capsys.readouterr()
    assert main(["models", "promote", "split", "--config", str(config), "--lake-sample", "5"]) == 0
    printed = capsys.readouterr().out
    assert "examples per class (at least 30 needed): negative 150, neutral 30, positive 60, " in printed
    intervals = dict(re.findall(r"^(\w+_macro_f1): .*difference [+-]\d\.\d{3}, 95% interval "
                                r"([+-]\d\.\d{3} to [+-]\d\.\d{3}) \(1000 paired resamples", printed, re.M))
    assert set(intervals) == {"sentiment_macro_f1", "causes_macro_f1"}
    table = [line.split() for line in printed.splitlines() if line.startswith("  all ") or line.startswith("  en ")]
    billing = next(row for row in table if row[:3] == ["all", "causes", "billing_error"])
    assert billing[3] == "30" and float(billing[5]) == 0.0 and float(billing[4]) > 0.9  # the shipped model lacks it
    assert {row[0] for row in table} == {"all", "en"}
    assert "lake shares of the latest 5 stored items" in printed
    assert re.search(r"cause +billing_error 0\.0% -> 40\.0% \(\+40\.0 pts\)", printed)
    assert re.search(r"cause +delay 0\.0% -> 0\.0% \(\+0\.0 pts\)", printed)  # the older delay items are not sampled
    assert re.search(r"sentiment positive (\d+\.\d)% -> 60\.0%", printed)
    assert re.search(r"^promoted split: split vs \S+ on the held-out rows of split \(240 rows\): sentiment_macro_f1 .*"
                     r"95% interval", printed, re.M)

    entry = ModelRegistry(registry).history()[-1]
    assert (entry["version"], entry["forced"]) == ("split", False)
    gate = entry["gate"]
    assert gate["min_per_class"] == 30 and gate["shortfalls"] == {} and gate["refusals"] == []
    assert gate["counts"]["causes"]["billing_error"] == 30
    for key, figures in gate["differences"].items():
        assert figures["low"] <= figures["difference"] <= figures["high"]
        assert intervals[key] == f"{figures['low']:+.3f} to {figures['high']:+.3f}"
    assert gate["differences"]["causes_macro_f1"]["low"] > 0


def test_a_lower_bound_below_the_required_one_is_refused_naming_the_metric(registry: Path, caplog) -> None:
    assert main(["models", "promote", "split", "--min-lower-bound", "0.5", "--registry", str(registry),
                 "--lake-sample", "0"]) == 2
    refusal = caplog.records[-1].getMessage()
    assert "refusing to promote split: it is not shown to be at least as good as" in refusal
    assert re.search(r"sentiment_macro_f1 \(difference [+-]\d\.\d{3}, 95% interval "
                     r"[+-]\d\.\d{3} to [+-]\d\.\d{3}, lower bound not above \+0\.500\)", refusal)
    assert ModelRegistry(registry).promoted() is None


def test_a_labels_file_is_counted_instead_of_the_held_out_rows(registry: Path, tmp_path: Path, caplog) -> None:
    labels = write_labels(tmp_path / "few.csv", copies=2)  # 10 negative, 2 neutral, 4 positive; 2 of each cause
    assert main(["models", "promote", "split", "--labels", str(labels), "--registry", str(registry),
                 "--lake-sample", "0"]) == 2
    refusal = caplog.messages[-1]
    assert f"{labels} (16 rows) is too small" in refusal
    assert "needs 20 more labelled examples of negative, 28 more of neutral, 26 more of positive, 28 more of " in refusal
