"""The nightly Prefect flow: extract, validate, prepare, score, write, summarise, record. The flow only orders tasks."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Callable

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from nlp.language import LanguageDetector
from nlp.model import FeedbackModel
from pipelines.model_versions import resolve_version, scoring_model
from pipelines.preparation import FeedbackBatch, prepare_feedback, quarantine_rows, scored_rows, stored_feedback_near
from pipelines.settings import Settings, SourceSettings, load_settings
from pipelines.sources import Extraction, RawRecord, Start, pull
from pipelines.validation import Candidate, Rejected, validate_records
from storage.lake import Lake
from storage.lock import LakeLock
from storage.state import StateStore
from storage.schemas import FEEDBACK, QUARANTINE, RUNS, SCHEMA_VERSION, SCORED, daily_summary_spec
from storage.summary import daily_summary
from storage.alerts import days_to_check, detect_spikes, window_start
from storage.schemas import ALERTS

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
    commit: Callable[[], None] | None = field(default=None, repr=False)
    """Advances the source's watermark and ledger; called once the run's derived tables are written too."""


@dataclass(frozen=True)
class RunResult:
    run_id: str
    status: str
    lake_root: Path
    outcomes: tuple[SourceOutcome, ...]
    model_version: str


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def extract(source: SourceSettings, base_dir: Path, start: Start | None = None) -> Extraction:
    """The new raw records of one source from `start` on (retried with backoff: a source can be briefly down)."""
    return pull(source, base_dir, start)


def source_start(state: StateStore, source: SourceSettings, since: date | None) -> Start:
    """Where a source resumes: its committed watermark and file ledger, or `since` when given."""
    ledger = state.ledger(source.name) if source.kind == "files" else {}
    return Start(watermark=state.watermark(source.name), ledger=ledger, since=since)


def commit_progress(state: StateStore, source: SourceSettings, extraction: Extraction, run_id: str) -> None:
    """Advances the source's watermark and file ledger; called only after its rows are committed."""
    state.record_files(source.name, extraction.checkpoint.files, run_id)
    state.advance_watermark(source.name, extraction.checkpoint.watermark, run_id)


@task(cache_policy=NO_CACHE)
def validate(records: list[RawRecord], source: SourceSettings, run_date: date) -> tuple[list[Candidate], list[Rejected]]:
    return validate_records(records, source, run_date)


@task(cache_policy=NO_CACHE)
def prepare(
    candidates: list[Candidate], salt: str, run_id: str, lake: Lake | None = None, window_hours: float = 24.0
) -> FeedbackBatch:
    """Feedback rows; repeats of an author's text already in the lake within the window are dropped."""
    window = timedelta(hours=window_hours)
    stored = stored_feedback_near(lake, [c.created_at for c in candidates], window) if lake else None
    return prepare_feedback(candidates, LanguageDetector(), salt, run_id, stored=stored, duplicate_window=window)


@task(cache_policy=NO_CACHE)
def score(batch: FeedbackBatch, model_version: str, run_id: str, registry_root: Path | None = None) -> pa.Table:
    model, version = scoring_model(model_version, registry_root)
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
def find_alerts(lake: Lake, days: set[date], causes: tuple[str, ...]) -> int:
    """Recomputes the alerts of the touched days and of the days whose trailing window holds them."""
    spec = daily_summary_spec(causes)
    available = lake.partitions(spec)
    checked = days_to_check(days, available)
    if not checked:
        return 0
    needed = [d for d in available if window_start(checked) <= d <= checked[-1]]
    alerts = detect_spikes(lake.read(spec, needed).to_pandas(), checked, causes)
    changed = 0
    for day in checked:
        rows = alerts[alerts["created_date"] == day].drop(columns="created_date")
        changed += lake.overwrite(ALERTS, day, pa.Table.from_pandas(rows, schema=ALERTS.schema, preserve_index=False))
    return changed


@task(cache_policy=NO_CACHE)
def report(lake: Lake, model: FeedbackModel) -> Path | None:
    """Writes `<lake root>/report.html`; a failing report is logged, it does not fail the night."""
    from pipelines.report import REPORT_NAME, write_report

    output = lake.root / REPORT_NAME
    if not lake.partitions(daily_summary_spec(model.causes)):
        get_run_logger().info("no report: the lake has no daily_summary yet")
        return None
    try:
        write_report(lake.root, output, model.analyser, model.causes)
    except Exception as error:
        get_run_logger().error("report not written: %s: %s", type(error).__name__, error)
        return None
    return output


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
    settings: Settings, source: SourceSettings, lake: Lake, run_date: date, run_id: str, model_version: str,
    since: date | None = None,
) -> SourceOutcome:
    outcome = SourceOutcome(source=source.name)
    state = StateStore(settings.lake_root)
    try:
        extraction = extract(source, settings.base_dir, source_start(state, source, since))
    except Exception as error:  # a failing source is reported, the others go on
        outcome.status = "failed"
        outcome.error = f"{type(error).__name__}: {error}"
        get_run_logger().error("source %s failed: %s", source.name, outcome.error)
        return outcome
    records = extraction.records
    outcome.extracted = len(records)
    candidates, rejected = validate(records, source, run_date)
    batch = prepare(candidates, settings.author_salt, run_id, lake, settings.duplicate_window_hours)
    scored = score(batch, model_version, run_id, settings.registry_root)
    outcome.changed = write(lake, batch, scored, quarantine_rows(rejected, run_id), run_date)
    outcome.quarantined = len(rejected)
    outcome.stored = batch.rows.num_rows
    outcome.dates = set(batch.created_dates.to_pylist())
    # Advanced only after the summary is written too (in nightly): a run killed before that re-reads the source.
    outcome.commit = partial(commit_progress, state, source, extraction, run_id)
    return outcome


@flow(name=FLOW_NAME, log_prints=False)
def nightly(config_path: str | None = None, run_date: date | None = None, since: date | None = None) -> RunResult:
    """One night: every configured source into the lake, then the daily summary and the run record.

    Each source resumes from its committed watermark (or file ledger); `since` pulls again from that date instead.
    """
    started_at = datetime.now(timezone.utc)
    run_date = run_date or started_at.date()
    settings = load_settings(config_path)
    lake = Lake(settings.lake_root)
    run_id = f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    scoring_version = resolve_version(settings.model_version, settings.registry_root)
    model, model_version = scoring_model(scoring_version, settings.registry_root)
    lock = LakeLock(
        settings.lake_root, f"{FLOW_NAME} run {run_id}", settings.lock_wait_seconds, settings.lock_stale_hours * 3600
    )
    with lock:  # one run at a time per lake; a run killed mid-write is completed by the next one
        lake.discard_staging()
        outcomes = tuple(
            run_source(settings, source, lake, run_date, run_id, scoring_version, since)
            for source in settings.sources
        )
        summarise(lake, set().union(*(o.dates for o in outcomes)), model.causes)
        find_alerts(lake, set().union(*(o.dates for o in outcomes)), model.causes)
        for outcome in outcomes:
            if outcome.commit is not None:
                outcome.commit()  # only now: rows, summary and alerts are committed
        failed = [o for o in outcomes if o.status == "failed"]
        status = "failed" if len(failed) == len(outcomes) else "partial" if failed else "success"
        result = RunResult(run_id, status, settings.lake_root, outcomes, model_version)
        parameters = {"config_path": str(settings.config_path), "run_date": run_date.isoformat()}
        if since is not None:
            parameters["since"] = since.isoformat()
        record_run(lake, result, parameters, started_at, run_date)
        report(lake, model)
    get_run_logger().info("run %s: %s", run_id, status)
    return result
