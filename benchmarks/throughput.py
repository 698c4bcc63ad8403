"""Throughput and peak memory of `causa score` end to end, at 1 and 2 workers, next to VADER, with a split by stage.

Usage: python benchmarks/throughput.py [--count 100000] [--data DIR] [--stage-rows 20000]
Prints, in one run: docs/s and peak RSS (the largest process, and all processes summed) of `causa score` over
`count` mixed real texts (<= 400 characters, en/pt/ro/ru from the shared data folder; generated texts when it is
not there) with `--workers 1` and `--workers 2`; VADER's docs/s on the English texts of the same set; their ratio;
the machine's load average; and where one worker's time goes scoring one large batch (read, language, analysis,
features, models, evidence, write). Process start, imports and model load are included in the end-to-end figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import psutil  # noqa: E402

from benchmarks.datasets import data_dir  # noqa: E402
from benchmarks.synthetic import generate_texts  # noqa: E402

MAX_CHARS = 400
TARGET_DOCS_PER_SECOND, TARGET_RSS_MB_PER_WORKER = 10_000, 1_536
STAGES = ("read", "language", "analysis", "features", "models", "evidence", "write")


def real_texts(folder: Path, count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """`count` texts drawn evenly from four real sets (airline en, b2w pt, LaRoSeDa ro, SentiRuEval ru), each at
    most MAX_CHARS long, in a shuffled order, with their languages; texts repeat when a set is smaller."""
    laroseda = pd.read_json(folder / "laroseda_ro" / "train.jsonl", lines=True, dtype=False)
    pools = {
        "en": pd.read_csv(folder / "airline_en" / "tweets.csv")["text"],
        "pt": pd.read_csv(folder / "b2w_pt" / "polarity.csv")["text"],
        "ro": laroseda["title"].astype(str) + ". " + laroseda["content"].astype(str),
        "ru": pd.read_csv(folder / "sentirueval_ru" / "banks.csv")["text"],
    }
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for index, (language, texts) in enumerate(sorted(pools.items())):
        kept = [text for text in texts.dropna().astype(str) if 0 < len(text) <= MAX_CHARS]
        share = count // len(pools) + (1 if index < count % len(pools) else 0)
        rows.extend((rng.choice(kept), language) for _ in range(share))
    rng.shuffle(rows)
    return [text for text, _ in rows], [language for _, language in rows]


class TreeMemory:
    """Samples the RSS of a process and its descendants (the fork server, the workers) until stopped: the peak
    of the largest one and the peak of their sum."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_process_mb = 0.0
        self.peak_sum_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sizes = []
            for process in processes:
                try:
                    sizes.append(process.memory_info().rss / 2**20)
                except psutil.NoSuchProcess:
                    continue
            if sizes:
                self.peak_process_mb = max(self.peak_process_mb, max(sizes))
                self.peak_sum_mb = max(self.peak_sum_mb, sum(sizes))


def run_measured(command: list[str]) -> tuple[float, TreeMemory]:
    """Wall seconds of a child process, and its process tree's memory peaks."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
                             stdout=subprocess.DEVNULL)
    memory = TreeMemory(child.pid)
    code = child.wait()
    elapsed = time.perf_counter() - started
    memory.stop()
    if code != 0:
        raise SystemExit(f"{command} exited with {code}")
    return elapsed, memory


VADER_SCRIPT = """
import sys, pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
analyzer = SentimentIntensityAnalyzer()
texts = pd.read_csv(sys.argv[1])["text"].tolist()
labels = [analyzer.polarity_scores(t)["compound"] for t in texts]
"""

STAGE_SCRIPT = """
import json, sys
from benchmarks.throughput import stage_seconds
print(json.dumps(stage_seconds(sys.argv[1])))
"""


class StageClock:
    """Seconds spent in named stages, added up by wrappers around the calls of one batch (not per item)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - began
        return timed


def stage_seconds(path: str) -> dict[str, float]:
    """Where one worker's time goes scoring the whole file at `path` as one batch (after a warm-up batch, so that
    the one-time loads are not counted): the stage calls of `score_texts` and `FeedbackModel._score` are timed;
    "evidence" is the rest of `_score` (the per-item decision, evidence and review reasons)."""
    import pyarrow.parquet as pq

    import causa.nlp.model as model_module
    import causa.storage.scoring as scoring
    from causa.nlp.gc_pause import gc_paused
    from causa.storage.model_versions import load_model

    model = load_model("default")
    clock = StageClock()
    read = clock.wrap("read", lambda: next(scoring.text_batches(Path(path), batch_rows=10**9)))
    batch = read()
    warm_up = scoring.text_batches(Path(path), batch_rows=2_000)
    scoring.score_batch(model, next(warm_up), "fast")
    warm_up.close()
    clock.seconds.clear()
    batch = read()
    scoring.detect_with_hints = clock.wrap("language", scoring.detect_with_hints)
    model_module.prepare_texts = clock.wrap("analysis", model_module.prepare_texts)
    analyser = model.analyser
    analyser.analyse = clock.wrap("analysis", analyser.analyse)
    model.featurizer_.transform = clock.wrap("features", model.featurizer_.transform)
    model.sentiment_probabilities = clock.wrap("models", model.sentiment_probabilities)
    model.cause_model_.predict_proba = clock.wrap("models", model.cause_model_.predict_proba)
    model._score = clock.wrap("_score", model._score)
    scoring.score_table = clock.wrap("write", scoring.score_table)
    with gc_paused():
        table = scoring.score_texts(model, batch.texts, batch.languages, batch.ids)
    with tempfile.TemporaryDirectory() as folder:
        write = clock.wrap("write", lambda: pq.write_table(table, Path(folder) / "out.parquet"))
        write()
    seconds = dict(clock.seconds)
    inner = sum(seconds.get(stage, 0.0) for stage in ("analysis", "features", "models"))
    seconds["evidence"] = seconds.pop("_score") - inner
    seconds["rows"] = len(batch.texts)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--data", help="the shared data folder (default: ../shared/data)")
    parser.add_argument("--stage-rows", type=int, default=20_000, help="rows of the one batch the stages are timed on")
    args = parser.parse_args()
    folder = data_dir(args.data)
    if folder is not None:
        texts, languages = real_texts(folder, args.count)
        kind = f"mixed real texts (<= {MAX_CHARS} characters, en/pt/ro/ru, from {folder})"
    else:
        texts, languages = generate_texts(args.count)
        kind = "generated mixed texts (the shared data folder is not there)"
    load_before = os.getloadavg()
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as work:
        source, english, stage_source = (Path(work) / name for name in ("texts.csv", "english.csv", "stage.csv"))
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(source, index=False)
        english_texts = [text for text, language in zip(texts, languages) if language == "en"]
        pd.DataFrame({"text": english_texts}).to_csv(english, index=False)
        pd.DataFrame({"text": texts[:args.stage_rows]}).to_csv(stage_source, index=False)
        print(f"{len(texts):,} {kind}; {os.cpu_count()} cores; load average {load_before[0]:.1f} "
              f"{load_before[1]:.1f} {load_before[2]:.1f} before the run")
        for workers in (1, 2):
            command = [sys.executable, "-m", "causa.pipelines.cli", "score", str(source),
                       "-o", str(Path(work) / f"out{workers}.parquet"), "--model", "default", "--workers", str(workers)]
            seconds, memory = run_measured(command)
            rates[workers] = len(texts) / seconds
            print(f"causa score, {workers} worker{'s' if workers > 1 else ''}: {seconds:.1f} s = "
                  f"{rates[workers]:,.0f} docs/s, peak RSS {memory.peak_process_mb:,.0f} MB (largest process), "
                  f"{memory.peak_sum_mb:,.0f} MB (all processes)")
        vader_seconds, _ = run_measured([sys.executable, "-c", VADER_SCRIPT, str(english)])
        stage_output = subprocess.run([sys.executable, "-c", STAGE_SCRIPT, str(stage_source)], check=True,
                                      capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
                                      env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}).stdout
    vader_rate = len(english_texts) / vader_seconds
    print(f"VADER: {len(english_texts):,} English texts in {vader_seconds:.1f} s = {vader_rate:,.0f} docs/s "
          "(process start and CSV read included, as for causa score)")
    print(f"ratio causa/VADER docs/s: {rates[1] / vader_rate:.2f} (1 worker), {rates[2] / vader_rate:.2f} (2 workers); "
          f"targets: >= {TARGET_DOCS_PER_SECOND:,} docs/s on 2 workers, <= {TARGET_RSS_MB_PER_WORKER:,} MB per worker")
    stages = json.loads(stage_output.strip().splitlines()[-1])
    rows = int(stages.pop("rows"))
    total = sum(stages[stage] for stage in STAGES)
    print(f"one worker, one batch of {rows:,} texts after a warm-up batch: {total:.2f} s = {rows / total:,.0f} docs/s")
    for stage in STAGES:
        print(f"  {stage:<9} {stages[stage]:6.2f} s  {stages[stage] / total:5.1%}")
    load_after = os.getloadavg()
    print(f"load average after the run: {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
