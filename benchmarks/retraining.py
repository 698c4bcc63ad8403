"""Retraining in-domain on ../shared/data through `causa train`'s code path, with the defaults a user gets (the
features and C chosen on validation data within the default search budget): held-out scores beside a plain TF-IDF
+ logistic regression baseline trained on the same rows in the same run, time and peak memory.

Each set is trained in its own process (so peak RSS is that training's) into a temporary registry that is deleted
afterwards; nothing is copied into the repository. The per-set settings only say how to read the set (its split
column, or its rating column); the model options are the defaults unless overridden on the command line.

Usage: python benchmarks/retraining.py [--data ../shared/data] [--only airline_en] [--char-ngrams 2,5]
       [--base none] [--sentiment-c 4] [--search-seconds 90]
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

TARGETS = {"airline_en": ("sentiment macro-F1", 0.78), "b2w_pt": ("sentiment macro-F1", 0.75),
           "laroseda_ro": ("accuracy", 0.95)}
MAX_SECONDS = {"airline_en": 120}
"""The whole training command (search, fit, held-out evaluation), where the targets give a time."""
MAX_RSS_MB = 2048
SETTINGS = {
    # set: how the held-out split is made and where sentiment comes from; no model options
    "airline_en": {"split_col": "split"},
    "b2w_pt": {"split_col": "split"},
    "laroseda_ro": {"from_ratings": "starRating"},
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
    return pd.DataFrame({"text": [f"{r['title']}. {r['content']}" for r in rows],
                         "starRating": [int(r["starRating"]) for r in rows], "language": "ro"})


def plain_baseline(texts: list[str], sentiments: list[str], train: list[int], test: list[int]) -> dict:
    """TF-IDF (scikit-learn's defaults) + logistic regression on the same training and held-out rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    started = time.perf_counter()
    vectorizer = TfidfVectorizer()
    model = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform([texts[i] for i in train]),
                                                  [sentiments[i] for i in train])
    predicted = model.predict(vectorizer.transform([texts[i] for i in test]))
    gold = [sentiments[i] for i in test]
    return {"macro_f1": f1_score(gold, predicted, average="macro"), "accuracy": accuracy_score(gold, predicted),
            "seconds": round(time.perf_counter() - started, 1)}


def run_one(name: str, folder: Path, overrides: dict) -> dict:
    from causa.nlp.training import TrainingOptions, rows_from_frame, split_indices
    from causa.storage.training_runs import train_version
    from causa.storage.registry import ModelRegistry

    settings = {**SETTINGS[name], **overrides}
    options = TrainingOptions(**settings)
    frame = labelled_frame(name, folder)
    rows = rows_from_frame(frame, options, name)
    with tempfile.TemporaryDirectory(prefix="causa-retraining-") as root:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = train_version(rows, ModelRegistry(root), name.replace("_", "-"), options,
                               {"name": name}, compare_with="default")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    sentiment = result.metrics["model"]["all"]["sentiment"]
    baseline = result.metrics.get("baseline", {}).get("report", {}).get("all", {}).get("sentiment", {})
    key = "accuracy" if TARGETS[name][0] == "accuracy" else "macro_f1"
    plain = plain_baseline(rows.texts, rows.sentiments, *split_indices(rows, options))
    return {
        "set": name, "metric": TARGETS[name][0], "value": sentiment[key], "target": TARGETS[name][1],
        "tfidf_lr": plain[key], "tfidf_lr_seconds": plain["seconds"],
        "default_model": baseline.get(key), "train_rows": result.counts["train"], "heldout": result.counts["heldout"],
        "fit_seconds": round(result.seconds, 1), "train_command_seconds": round(elapsed, 1),
        "train_command_cpu_seconds": round(cpu, 1),
        "search_seconds": result.selection.get("seconds"), "peak_rss_mb": peak,
        "options": settings, "selection": result.selection.get("summary"),
        "candidates": result.selection.get("candidates", []),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="path of shared/data")
    parser.add_argument("--only", choices=sorted(SETTINGS), action="append")
    parser.add_argument("--char-ngrams", help="override, e.g. 2,5 or none")
    parser.add_argument("--base", choices=("auto", "starter", "none"), help="override")
    parser.add_argument("--sentiment-c", type=float, help="override")
    parser.add_argument("--search-seconds", type=float, help="override the search's time budget")
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
    if args.search_seconds is not None:
        overrides["search_seconds"] = args.search_seconds
    if args.child:
        print(json.dumps(run_one(args.only[0], folder, overrides)))
        return 0
    print(f"{'set':<13}{'metric':<20}{'retrained':>10}{'tfidf+LR':>9}{'default':>9}{'target':>8}{'search s':>9}"
          f"{'total s':>9}{'peak MB':>9}  verdict")
    failed = False
    for name in args.only or list(SETTINGS):
        command = [sys.executable, __file__, "--child", "--only", name, "--data", str(folder)]
        for flag, value in (("--char-ngrams", args.char_ngrams), ("--base", args.base),
                            ("--sentiment-c", args.sentiment_c), ("--search-seconds", args.search_seconds)):
            if value is not None:
                command += [flag, str(value)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{name:<13}failed: {done.stderr.strip().splitlines()[-1:]}")
            failed = True
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        ok = (row["value"] >= row["target"] and row["peak_rss_mb"] <= MAX_RSS_MB
              and row["train_command_seconds"] <= MAX_SECONDS.get(name, float("inf")))
        failed |= not ok
        default = f"{row['default_model']:.3f}" if row["default_model"] is not None else "-"
        print(f"{name:<13}{row['metric']:<20}{row['value']:>10.3f}{row['tfidf_lr']:>9.3f}{default:>9}"
              f"{row['target']:>8.2f}{row['search_seconds'] or 0:>9.1f}{row['train_command_seconds']:>9.1f}"
              f"{row['peak_rss_mb']:>9}  {'met' if ok else 'NOT MET'}", flush=True)
        print(f"{'':<13}{row['selection']}; fit {row['fit_seconds']} s; CPU time of the whole training "
              f"{row['train_command_cpu_seconds']} s; {row['train_rows']} training rows, "
              f"{row['heldout']} held out; settings {row['options']}", flush=True)
        for tried in row["candidates"]:
            print(f"{'':<15}char n-grams {tried['char_ngrams'] or 'off'}, sentiment C {tried['sentiment_C']:g}, "
                  f"cause C {tried['cause_C']:g}: validation sentiment macro-F1 {_figure(tried['sentiment_macro_f1'])}"
                  f", causes AP {_figure(tried['causes_average_precision'])} ({tried['seconds']} s)", flush=True)
    return 1 if failed else 0


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
