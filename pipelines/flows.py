"""The nightly Prefect flow: extract, validate, prepare, score, write, summarise, record. The flow only orders tasks."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from nlp.language import LanguageDetector
from nlp.model import FeedbackModel
from nlp.model_store import default_model_dir, load_model, read_manifest
from pipelines.preparation import FeedbackBatch, prepare_feedback, quarantine_rows, scored_rows
from pipelines.settings import Settings, SourceSettings, load_settings
from pipelines.sources import RawRecord, open_source
from pipelines.validation import Candidate, Rejected, validate_records
from storage.lake import Lake
from storage.schemas import FEEDBACK, QUARANTINE, RUNS, SCHEMA_VERSION, SCORED, daily_summary_spec
from storage.summary import daily_summary

logger = logging.getLogger(__name__)

FLOW_NAME = "causa-nightly"


@dataclass
class SourceOutcome:
    source: str
    status: str = "success"
    extracted: int = 0
    quarantined: int = 0
    stored: int = 0
    changed: int = 0
    error: str | None = None
    dates: set[date] = field(default_factory=set)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    status: str
    lake_root: Path
    outcomes: tuple[SourceOutcome, ...]
    model_version: str


@lru_cache(maxsize=4)
def scoring_model(version: str) -> tuple[FeedbackModel, str]:
    """The model to score with and its version name, verified and loaded once per process."""
    if version != "default":
        raise ValueError(f"model.version {version!r} is not available; only 'default' is shipped")
    directory = default_model_dir()
    return load_model(directory), read_manifest(directory)["version"]


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def extract(source: SourceSettings, base_dir: Path) -> list[RawRecord]:
    """All raw records of one source (retried with backoff: a source can be briefly down)."""
    return list(open_source(source, base_dir).extract())


@task(cache_policy=NO_CACHE)
def validate(records: list[RawRecord], source: SourceSettings, run_date: date) -> tuple[list[Candidate], list[Rejected]]:
    return validate_records(records, source, run_date)


@task(cache_policy=NO_CACHE)
def prepare(candidates: list[Candidate], salt: str, run_id: str) -> FeedbackBatch:
    return prepare_feedback(candidates, LanguageDetector(), salt, run_id)


@task(cache_policy=NO_CACHE)
def score(batch: FeedbackBatch, model_version: str, run_id: str) -> pa.Table:
    model, version = scoring_model(model_version)
    return scored_rows(batch, model.score(batch.texts, batch.languages), version, run_id)


@task(cache_policy=NO_CACHE)
def write(lake: Lake, batch: FeedbackBatch, scored: pa.Table, quarantined: pa.Table, run_date: date) -> int:
    """Stores quarantine, feedback and scored rows; returns how many feedback or scored rows were new or changed."""
    lake.upsert(QUARANTINE, quarantined, pa.array([run_date] * quarantined.num_rows, type=pa.date32()))
    changed = lake.upsert(FEEDBACK, batch.rows, batch.created_dates).rows_changed
    changed += lake.upsert(SCORED, scored, batch.created_dates).rows_changed
    return changed


@task(cache_policy=NO_CACHE)
def summarise(lake: Lake, days: set[date], causes: tuple[str, ...]) -> int:
    """Recomputes daily_summary for the dates this run touched."""
    if not days:
        return 0
    spec = daily_summary_spec(causes)
    summary = daily_summary(lake.read(FEEDBACK, days), lake.read(SCORED, days), causes)
    if summary.empty:
        return 0
    table = pa.Table.from_pandas(summary, preserve_index=False)
    return lake.upsert(spec, table, table.column("created_date")).rows_changed


@task(cache_policy=NO_CACHE)
def record_run(lake: Lake, result: RunResult, parameters: dict, started_at: datetime, run_date: date) -> None:
    outcomes = result.outcomes
    row = {
        "run_id": result.run_id,
        "flow": FLOW_NAME,
        "parameters": json.dumps(parameters, sort_keys=True, default=str),
        "started_at": started_at,
        "ended_at": datetime.now(timezone.utc),
        "status": result.status,
        "rows_in": sum(o.extracted for o in outcomes),
        "rows_quarantined": sum(o.quarantined for o in outcomes),
        "rows_stored": sum(o.stored for o in outcomes),
        "rows_changed": sum(o.changed for o in outcomes),
        "source_counts": [
            {"source": o.source, "status": o.status, "extracted": o.extracted, "quarantined": o.quarantined,
             "stored": o.stored, "error": o.error}
            for o in outcomes
        ],
        "model_version": result.model_version,
        "code_version": code_version(),
        "schema_version": SCHEMA_VERSION,
    }
    lake.upsert(RUNS, pa.Table.from_pylist([row], schema=RUNS.schema), pa.array([run_date], type=pa.date32()))


def code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("causa-feedback")
    except PackageNotFoundError:
        return "unknown"


def run_source(
    settings: Settings, source: SourceSettings, lake: Lake, run_date: date, run_id: str, model_version: str
) -> SourceOutcome:
    outcome = SourceOutcome(source=source.name)
    try:
        records = extract(source, settings.base_dir)
    except Exception as error:  # a failing source is reported, the others go on
        outcome.status = "failed"
        outcome.error = f"{type(error).__name__}: {error}"
        get_run_logger().error("source %s failed: %s", source.name, outcome.error)
        return outcome
    outcome.extracted = len(records)
    candidates, rejected = validate(records, source, run_date)
    batch = prepare(candidates, settings.author_salt, run_id)
    scored = score(batch, model_version, run_id)
    outcome.changed = write(lake, batch, scored, quarantine_rows(rejected, run_id), run_date)
    outcome.quarantined = len(rejected)
    outcome.stored = batch.rows.num_rows
    outcome.dates = set(batch.created_dates.to_pylist())
    return outcome


@flow(name=FLOW_NAME, log_prints=False)
def nightly(config_path: str | None = None, run_date: date | None = None) -> RunResult:
    """One night: every configured source into the lake, then the daily summary and the run record."""
    started_at = datetime.now(timezone.utc)
    run_date = run_date or started_at.date()
    settings = load_settings(config_path)
    lake = Lake(settings.lake_root)
    run_id = f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    model, model_version = scoring_model(settings.model_version)
    outcomes = tuple(
        run_source(settings, source, lake, run_date, run_id, settings.model_version) for source in settings.sources
    )
    summarise(lake, set().union(*(o.dates for o in outcomes)), model.causes)
    failed = [o for o in outcomes if o.status == "failed"]
    status = "failed" if len(failed) == len(outcomes) else "partial" if failed else "success"
    result = RunResult(run_id, status, settings.lake_root, outcomes, model_version)
    parameters = {"config_path": str(settings.config_path), "run_date": run_date.isoformat()}
    record_run(lake, result, parameters, started_at, run_date)
    get_run_logger().info("run %s: %s", run_id, status)
    return result
