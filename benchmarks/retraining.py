"""Retraining in-domain on ../shared/data through `causa train`'s code path: held-out scores, time, peak memory.

Each set is trained in its own process (so peak RSS is that training's) into a temporary registry that is deleted
afterwards; nothing is copied into the repository.

Usage: python benchmarks/retraining.py [--data ../shared/data] [--only airline_en] [--char-ngrams 2,5] [--base none]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from benchmarks import datasets  # noqa: E402

TARGETS = {"airline_en": ("sentiment macro-F1", 0.76), "b2w_pt": ("sentiment macro-F1", 0.75),
           "laroseda_ro": ("accuracy", 0.95)}
MAX_SECONDS = 180
MAX_RSS_MB = 4096
SETTINGS = {
    # set: (training options, how the held-out split is made)
    # unset options are TrainingOptions' defaults (base auto, saga, temperature calibration, 3 folds)
    "airline_en": {"char_ngrams": (2, 5), "split_col": "split"},
    "b2w_pt": {"split_col": "split"},
    "laroseda_ro": {"char_ngrams": (2, 5), "from_ratings": "starRating"},
}


def labelled_frame(name: str, folder: Path) -> pd.DataFrame:
    """The set as a labelled table like a user's file (text, language, sentiment or rating, split)."""
    if name == "airline_en":
        train, test = datasets.airline(folder)
        return pd.concat([
            pd.DataFrame({"text": part["text"], "sentiment": part["airline_sentiment"], "split": split,
                          "causes": part["negativereason"].map(datasets.AIRLINE_REASON_CAUSES).fillna("")})
            for part, split in ((train, "train"), (test, "test"))
        ]).assign(language="en")
    if name == "b2w_pt":
        frame = pd.read_csv(folder / "b2w_pt" / "polarity.csv")
        return pd.DataFrame({"text": frame["text"].astype(str), "sentiment": frame["sentiment"],
                             "split": frame["split"].astype(str), "language": "pt"})
    rows = [json.loads(line) for line in (folder / "laroseda_ro" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    return pd.DataFrame({"text": [r["content"] for r in rows], "starRating": [int(r["starRating"]) for r in rows],
                         "language": "ro"})


def run_one(name: str, folder: Path, overrides: dict) -> dict:
    from causa.nlp.training import TrainingOptions, rows_from_frame
    from causa.storage.training_runs import train_version
    from causa.storage.registry import ModelRegistry

    settings = {**SETTINGS[name], **overrides}
    options = TrainingOptions(**settings)
    frame = labelled_frame(name, folder)
    rows = rows_from_frame(frame, options, name)
    with tempfile.TemporaryDirectory(prefix="causa-retraining-") as root:
        started = time.perf_counter()
        result = train_version(rows, ModelRegistry(root), name.replace("_", "-"), options,
                               {"name": name}, compare_with="default")
        elapsed = time.perf_counter() - started
    sentiment = result.metrics["model"]["all"]["sentiment"]
    baseline = result.metrics.get("baseline", {}).get("report", {}).get("all", {}).get("sentiment", {})
    key = "accuracy" if TARGETS[name][0] == "accuracy" else "macro_f1"
    return {
        "set": name, "metric": TARGETS[name][0], "value": sentiment[key], "target": TARGETS[name][1],
        "default_model": baseline.get(key), "train_rows": result.counts["train"], "heldout": result.counts["heldout"],
        "fit_seconds": round(result.seconds, 1), "train_command_seconds": round(elapsed, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "options": settings,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="path of shared/data")
    parser.add_argument("--only", choices=sorted(SETTINGS), action="append")
    parser.add_argument("--char-ngrams", help="override, e.g. 2,5 or none")
    parser.add_argument("--base", choices=("auto", "starter", "none"), help="override")
    parser.add_argument("--sentiment-c", type=float, help="override")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = datasets.data_dir(args.data)
    if folder is None:
        print("no shared data found; pass --data PATH")
        return 2
    overrides: dict = {}
    if args.char_ngrams:
        overrides["char_ngrams"] = None if args.char_ngrams == "none" else tuple(int(x) for x in args.char_ngrams.split(","))
    if args.base:
        overrides["base"] = args.base
    if args.sentiment_c:
        overrides["sentiment_C"] = args.sentiment_c
    if args.child:
        print(json.dumps(run_one(args.only[0], folder, overrides)))
        return 0
    print(f"{'set':<13}{'metric':<20}{'retrained':>10}{'default':>9}{'target':>8}{'fit s':>8}{'total s':>9}"
          f"{'peak MB':>9}  verdict")
    failed = False
    for name in args.only or list(SETTINGS):
        command = [sys.executable, __file__, "--child", "--only", name, "--data", str(folder)]
        for flag, value in (("--char-ngrams", args.char_ngrams), ("--base", args.base),
                            ("--sentiment-c", args.sentiment_c)):
            if value:
                command += [flag, str(value)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{name:<13}failed: {done.stderr.strip().splitlines()[-1:]}")
            failed = True
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        ok = (row["value"] >= row["target"] and row["fit_seconds"] <= MAX_SECONDS and row["peak_rss_mb"] <= MAX_RSS_MB)
        failed |= not ok
        default = f"{row['default_model']:.3f}" if row["default_model"] is not None else "-"
        print(f"{name:<13}{row['metric']:<20}{row['value']:>10.3f}{default:>9}{row['target']:>8.2f}"
              f"{row['fit_seconds']:>8.1f}{row['train_command_seconds']:>9.1f}{row['peak_rss_mb']:>9}  "
              f"{'met' if ok else 'NOT MET'}  {row['options']}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
