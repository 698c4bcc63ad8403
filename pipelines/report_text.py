"""The short text summary `causa run` prints: this run's counts and the lake's totals, read with DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb

from causa.pipelines.flows import RunResult
from causa.storage.filesystem import RemotePath
from causa.storage.lake import Lake
from causa.storage.layout import report_path, table_dir, table_glob
from causa.storage.schemas import ALERTS, DAILY_SUMMARY, FEEDBACK, QUARANTINE, RUNS, SCORED

TABLE_NAMES = {spec.name for spec in (FEEDBACK, SCORED, DAILY_SUMMARY, ALERTS, RUNS, QUARANTINE)}


def run_summary_text(result: RunResult) -> str:
    lines = [f"run {result.run_id}: {result.status} (model {result.model_version})"]
    for outcome in result.outcomes:
        detail = f"  {outcome.source}: {outcome.extracted} read, {outcome.stored} stored, {outcome.quarantined} quarantined"
        if outcome.responses_dropped:
            detail += f", {outcome.responses_dropped} without a response time (unusable responded_at)"
        lines.append(detail + (f", FAILED: {outcome.error}" if outcome.error else ""))
    if isinstance(result.lake_root, RemotePath):
        return "\n".join(lines + remote_lake_lines(result.lake_root)) + "\n"
    root = Path(result.lake_root)
    if table_dir(root, SCORED.name).is_dir():
        lines += lake_totals(root)
    tables = sorted(child.name for child in root.iterdir() if child.is_dir() and child.name in TABLE_NAMES)
    lines.append(f"tables: {root.resolve()}/{{{','.join(tables)}}}")
    if report_path(root).is_file():
        lines.append(f"report: {report_path(root).resolve()}")
    return "\n".join(lines) + "\n"


def lake_totals(root: Path) -> list[str]:
    """Counts over the whole lake by language, sentiment and cause."""
    feedback = f"read_parquet('{table_glob(root, FEEDBACK.name)}', hive_partitioning = true)"
    scored = f"read_parquet('{table_glob(root, SCORED.name)}', hive_partitioning = true)"
    with duckdb.connect() as db:
        return _totals(db, feedback, scored)


def remote_lake_lines(root: RemotePath) -> list[str]:
    """Totals and table names of a lake in an object store, read through pyarrow datasets (no DuckDB httpfs)."""
    lake = Lake(root)
    tables = sorted(child.name for child in root.iterdir() if child.name in TABLE_NAMES)
    lines = []
    if FEEDBACK.name in tables and SCORED.name in tables:
        with duckdb.connect() as db:
            db.register("feedback_rows", lake.dataset(FEEDBACK).to_table(columns=["language"]))
            db.register("scored_rows", lake.dataset(SCORED).to_table(columns=["sentiment", "causes"]))
            lines += _totals(db, "feedback_rows", "scored_rows")
    lines.append(f"tables: {root}/{{{','.join(tables)}}}")
    if report_path(root).is_file():
        lines.append(f"report: {report_path(root)}")
    return lines


def _totals(db: duckdb.DuckDBPyConnection, feedback: str, scored: str) -> list[str]:
    total = db.execute(f"select count(*) from {feedback}").fetchall()[0][0]
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
