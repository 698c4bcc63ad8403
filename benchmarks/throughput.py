"""Throughput and peak memory of `causa score` end to end (read, detect language, score, evidence, write).

Usage: python benchmarks/throughput.py [--count 100000]
Prints docs/s and peak RSS of `causa score` over generated mixed-language texts, next to VADER on the same
English texts, and their ratio (both measured in this run).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from benchmarks.synthetic import generate_texts  # noqa: E402


def run_measured(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of a child process."""
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kb / 1024


VADER_SCRIPT = """
import sys, pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
analyzer = SentimentIntensityAnalyzer()
texts = pd.read_csv(sys.argv[1])["text"].tolist()
labels = [analyzer.polarity_scores(t)["compound"] for t in texts]
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    texts, languages = generate_texts(args.count)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "texts.csv"
        english = Path(folder) / "english.csv"
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(source, index=False)
        pd.DataFrame({"text": [t for t, lang in zip(texts, languages) if lang == "en"]}).to_csv(english, index=False)
        n_english = sum(lang == "en" for lang in languages)
        causa = [sys.executable, "-m", "causa.pipelines.cli", "score", str(source), "-o", str(Path(folder) / "out.parquet")]
        causa_seconds, causa_rss = run_measured(causa)
        vader_seconds, _ = run_measured([sys.executable, "-c", VADER_SCRIPT, str(english)])
    causa_rate = len(texts) / causa_seconds
    vader_rate = n_english / vader_seconds
    print(f"causa score: {len(texts):,} mixed texts in {causa_seconds:.1f} s = {causa_rate:,.0f} docs/s, "
          f"peak RSS {causa_rss:,.0f} MB (targets: >= 5,000 docs/s, <= 1,536 MB)")
    print(f"VADER:       {n_english:,} English texts in {vader_seconds:.1f} s = {vader_rate:,.0f} docs/s "
          "(process start and CSV read included for both)")
    print(f"ratio causa/VADER docs/s: {causa_rate / vader_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
