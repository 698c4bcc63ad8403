"""The nightly flow at scale: N generated mixed-language items as a file source, through every step of the run.

Usage: python benchmarks/nightly_scale.py [--counts 100000,1000000] [--batch-rows 20000]
For each N, prints wall time, docs/s, the flow process's peak RSS and the peak of the summed RSS of the flow and its
scoring worker processes (sampled; each N runs in its own process), then the ratio of the summed peaks between the
largest and the smallest N. `--executor processes` (the default here) scores in worker processes, `local` in threads. Targets: 1,000,000 items in <= 300 s, peak RSS
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
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import generate_texts  # noqa: E402

RUN_DATE = date(2026, 11, 22)
ROWS_PER_FILE = 100_000
TARGET_SECONDS, TARGET_RSS_MB, TARGET_RSS_RATIO = 300, 2048, 1.3


class TreeMemory:
    """Samples the summed RSS of this process and its children (scoring workers) while in use; keeps the peak.

    The Prefect API server the run starts is a child too; its RSS is left out (it is not the pipeline's).
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peak_mb = 0
        self.cpu_seconds: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            pids = _pipeline_pids(os.getpid())
            self.peak_mb = max(self.peak_mb, sum(_rss_kb(pid) for pid in pids) // 1024)
            for pid in pids:
                self.cpu_seconds[pid] = max(self.cpu_seconds.get(pid, 0.0), _cpu_seconds(pid))

    def cpu_split(self) -> dict[str, float]:
        """CPU seconds of the flow process and of its worker processes (as last sampled)."""
        flow = self.cpu_seconds.get(os.getpid(), 0.0)
        return {"flow": round(flow, 1), "workers": round(sum(self.cpu_seconds.values()) - flow, 1)}


def _pipeline_pids(root: int) -> list[int]:
    """`root` and its descendants, without Prefect API servers."""
    parents: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(status.parent.name))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid != root and "prefect.server" in _cmdline(pid):
            continue
        pids.append(pid)
        todo.extend(parents.get(pid, []))
    return pids


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


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


def write_config(folder: Path, batch_rows: int, executor: str) -> Path:
    config = folder / "causa.toml"
    config.write_text(
        f'[lake]\nroot = "lake"\n[run]\nexecutor = "{executor}"\nbatch_rows = {batch_rows}\n'
        '[[sources]]\nname = "reviews"\nkind = "files"\npath = "drops/*.csv"\nformat = "csv"\nchannel = "review"\n'
        'rating_scale = 5\n[sources.fields]\nid = "id"\ntext = "text"\ncreated_at = "created_at"\nrating = "rating"\n'
        'author = "author"\n',
        encoding="utf-8",
    )
    return config


def run_one(count: int, batch_rows: int, executor: str) -> dict:
    """Generates the source, runs the nightly flow from this process and measures it."""
    from causa.pipelines.flows import run_nightly

    with tempfile.TemporaryDirectory(prefix="causa-scale-") as folder:
        root = Path(folder)
        write_source(root / "drops", count)
        config = write_config(root, batch_rows, executor)
        sampler = TreeMemory()
        started = time.perf_counter()
        with sampler:
            result = run_nightly(config_path=str(config), run_date=RUN_DATE)
        elapsed = time.perf_counter() - started
        [outcome] = result.outcomes
        lake_mb = sum(path.stat().st_size for path in (root / "lake").rglob("*.parquet")) / 2**20
    return {
        "items": count, "status": result.status, "stored": outcome.stored, "quarantined": outcome.quarantined,
        "seconds": round(elapsed, 1), "docs_per_s": round(count / elapsed),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "peak_tree_rss_mb": sampler.peak_mb, "lake_mb": round(lake_mb, 1), "batch_rows": batch_rows,
        "executor": executor, "cpu_seconds": sampler.cpu_split(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100000,1000000", help="comma-separated item counts")
    parser.add_argument("--batch-rows", type=int, default=20_000)
    parser.add_argument("--executor", default="processes", choices=["local", "processes"])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.batch_rows, args.executor)))
        return 0
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
    results = []
    for count in (int(value) for value in args.counts.split(",")):
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(count), "--batch-rows", str(args.batch_rows), "--executor", args.executor],
            check=True, capture_output=True, text=True, env=env,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    largest, smallest = max(results, key=lambda r: r["items"]), min(results, key=lambda r: r["items"])
    ratio = largest["peak_tree_rss_mb"] / smallest["peak_tree_rss_mb"]
    print(f"{'items':>9} {'seconds':>8} {'docs/s':>7} {'flow RSS MB':>11} {'all processes MB':>16} {'stored':>9}")
    for r in results:
        print(f"{r['items']:>9} {r['seconds']:>8} {r['docs_per_s']:>7} {r['peak_rss_mb']:>11} "
              f"{r['peak_tree_rss_mb']:>16} {r['stored']:>9}")
    print(f"RSS ratio (all processes) {largest['items']:,} / {smallest['items']:,}: {ratio:.2f} "
          f"(target <= {TARGET_RSS_RATIO})")
    met = (largest["items"] < 1_000_000 or largest["seconds"] <= TARGET_SECONDS) and all(
        r["peak_tree_rss_mb"] <= TARGET_RSS_MB for r in results
    ) and ratio <= TARGET_RSS_RATIO
    print(f"targets (1M <= {TARGET_SECONDS} s, peak <= {TARGET_RSS_MB} MB, ratio <= {TARGET_RSS_RATIO}): "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
