"""The nightly flow at scale: N generated mixed-language items as a file source, through every step of the run.

Usage: python benchmarks/nightly_scale.py [--counts 100000,1000000] [--batch-rows 20000]
For each N, prints wall time, docs/s and the run's peak RSS (each N runs in its own process, so its peak is its
own), then the RSS ratio between the largest and the smallest N. Targets: 1,000,000 items in <= 300 s, peak RSS
<= 2 GB, RSS at 1M within 1.3x of the RSS at 100k.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import generate_texts  # noqa: E402

RUN_DATE = date(2026, 11, 22)
ROWS_PER_FILE = 100_000
TARGET_SECONDS, TARGET_RSS_MB, TARGET_RSS_RATIO = 300, 2048, 1.3


def write_source(folder: Path, count: int, seed: int = 11) -> None:
    """`count` reviews in CSV files of ROWS_PER_FILE rows, written over the two days before the run."""
    rng = random.Random(seed)
    texts, _ = generate_texts(count, seed)
    start = datetime.combine(RUN_DATE - timedelta(days=2), datetime.min.time(), tzinfo=timezone.utc)
    folder.mkdir(parents=True)
    for first in range(0, count, ROWS_PER_FILE):
        with open(folder / f"reviews-{first // ROWS_PER_FILE:04d}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text", "created_at", "rating", "author"])
            for index in range(first, min(first + ROWS_PER_FILE, count)):
                at = start + timedelta(seconds=rng.randrange(2 * 86_400))
                writer.writerow([f"r{index}", texts[index], at.isoformat(),
                                 rng.randint(1, 5), f"customer{rng.randrange(count)}"])


def write_config(folder: Path, batch_rows: int) -> Path:
    config = folder / "causa.toml"
    config.write_text(
        f'[lake]\nroot = "lake"\n[run]\nbatch_rows = {batch_rows}\n'
        '[[sources]]\nname = "reviews"\nkind = "files"\npath = "drops/*.csv"\nformat = "csv"\nchannel = "review"\n'
        'rating_scale = 5\n[sources.fields]\nid = "id"\ntext = "text"\ncreated_at = "created_at"\nrating = "rating"\n'
        'author = "author"\n',
        encoding="utf-8",
    )
    return config


def run_one(count: int, batch_rows: int) -> dict:
    """Generates the source, runs the nightly flow in this process and measures it."""
    from pipelines.flows import nightly

    with tempfile.TemporaryDirectory(prefix="causa-scale-") as folder:
        root = Path(folder)
        write_source(root / "drops", count)
        config = write_config(root, batch_rows)
        started = time.perf_counter()
        result = nightly(config_path=str(config), run_date=RUN_DATE)
        elapsed = time.perf_counter() - started
        [outcome] = result.outcomes
        lake_mb = sum(path.stat().st_size for path in (root / "lake").rglob("*.parquet")) / 2**20
    return {
        "items": count, "status": result.status, "stored": outcome.stored, "quarantined": outcome.quarantined,
        "seconds": round(elapsed, 1), "docs_per_s": round(count / elapsed),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "lake_mb": round(lake_mb, 1),
        "batch_rows": batch_rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100000,1000000", help="comma-separated item counts")
    parser.add_argument("--batch-rows", type=int, default=20_000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.batch_rows)))
        return 0
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
    results = []
    for count in (int(value) for value in args.counts.split(",")):
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(count), "--batch-rows", str(args.batch_rows)],
            check=True, capture_output=True, text=True, env=env,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    largest, smallest = max(results, key=lambda r: r["items"]), min(results, key=lambda r: r["items"])
    ratio = largest["peak_rss_mb"] / smallest["peak_rss_mb"]
    print(f"{'items':>9} {'seconds':>8} {'docs/s':>7} {'peak RSS MB':>11} {'stored':>9}")
    for r in results:
        print(f"{r['items']:>9} {r['seconds']:>8} {r['docs_per_s']:>7} {r['peak_rss_mb']:>11} {r['stored']:>9}")
    print(f"RSS ratio {largest['items']:,} / {smallest['items']:,}: {ratio:.2f} (target <= {TARGET_RSS_RATIO})")
    met = (largest["items"] < 1_000_000 or largest["seconds"] <= TARGET_SECONDS) and all(
        r["peak_rss_mb"] <= TARGET_RSS_MB for r in results
    ) and ratio <= TARGET_RSS_RATIO
    print(f"targets (1M <= {TARGET_SECONDS} s, peak <= {TARGET_RSS_MB} MB, ratio <= {TARGET_RSS_RATIO}): "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
