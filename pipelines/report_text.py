"""The short text summary `causa run` prints: this run's counts and the lake's totals, read with DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.flows import RunResult
from storage.schemas import ALERTS, DAILY_SUMMARY, FEEDBACK, QUARANTINE, RUNS, SCORED

TABLE_NAMES = {spec.name for spec in (FEEDBACK, SCORED, DAILY_SUMMARY, ALERTS, RUNS, QUARANTINE)}


def run_summary_text(result: RunResult) -> str:
    lines = [f"run {result.run_id}: {result.status} (model {result.model_version})"]
    for outcome in result.outcomes:
        detail = f"  {outcome.source}: {outcome.extracted} read, {outcome.stored} stored, {outcome.quarantined} quarantined"
        lines.append(detail + (f", FAILED: {outcome.error}" if outcome.error else ""))
    root = Path(result.lake_root)
    if (root / "scored").is_dir():
        lines += lake_totals(root)
    tables = sorted(child.name for child in root.iterdir() if child.is_dir() and child.name in TABLE_NAMES)
    lines.append(f"tables: {root.resolve()}/{{{','.join(tables)}}}")
    if (root / "report.html").is_file():
        lines.append(f"report: {(root / 'report.html').resolve()}")
    return "\n".join(lines) + "\n"


def lake_totals(root: Path) -> list[str]:
    """Counts over the whole lake by language, sentiment and cause."""
    feedback = f"read_parquet('{root}/feedback/*/*.parquet', hive_partitioning = true)"
    scored = f"read_parquet('{root}/scored/*/*.parquet', hive_partitioning = true)"
    with duckdb.connect() as db:
        total = db.execute(f"select count(*) from {feedback}").fetchone()[0]
        by_language = db.execute(f"select language, count(*) from {feedback} group by 1 order by 2 desc, 1").fetchall()
        by_sentiment = db.execute(f"select sentiment, count(*) from {scored} group by 1 order by 2 desc, 1").fetchall()
        by_cause = db.execute(
            f"select cause, count(*) from (select unnest(causes) as cause from {scored}) group by 1 order by 2 desc, 1"
        ).fetchall()
    return [
        f"lake: {total} feedback items",
        "  by language:  " + _pairs(by_language),
        "  by sentiment: " + _pairs(by_sentiment),
        "  by cause:     " + (_pairs(by_cause) or "none"),
    ]


def _pairs(rows: list[tuple]) -> str:
    return ", ".join(f"{name} {count}" for name, count in rows)
