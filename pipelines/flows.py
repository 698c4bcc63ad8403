"""The nightly Prefect flow: extract, validate, prepare, score, write, summarise, record. The flow only orders tasks."""

from __future__ import annotations

import json
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache, partial
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator, Mapping

import pyarrow as pa
from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.futures import PrefectFuture
from prefect.states import State
from prefect.utilities.annotations import quote

from causa.errors import EXIT_FAILED
from causa.nlp.language import LanguageDetector
from causa.nlp.model import FeedbackModel
from causa.nlp.versions import code_version
from causa.pipelines.errors import PipelineError
from causa.pipelines.executors import chosen_executor, runner_for, shared_api
from causa.pipelines.run_progress import tell
from causa.pipelines.active_model import scoring_model
from causa.storage.model_versions import resolve_version
from causa.storage.rows import Candidate, FeedbackBatch, Rejected, RunRepeats, prepare_feedback, quarantine_rows, scored_rows
from causa.pipelines.settings import Settings, SourceSettings, load_settings
from causa.pipelines.sources import Checkpoint, Connector, RawRecord, SourceError, Start, open_source
from causa.pipelines.validation import validate_records
from causa.storage.lake import Lake, StagedRows
from causa.storage.object_lock import lake_lock
from causa.storage.state import StateStore
from causa.storage.schemas import FEEDBACK, QUARANTINE, RUNS, SCHEMA_VERSION, SCORED, daily_summary_spec
from causa.storage.summary import FEEDBACK_COLUMNS, SCORED_COLUMNS, daily_summary
from causa.storage.alerts import days_to_check, detect_spikes, window_start
from causa.storage.schemas import ALERTS

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
    responses_dropped: int = 0
    """Items kept without a response time because their responded_at was unusable (see validation)."""
    repeats: int = 0
    """Items dropped as repeats: the same source id twice, or the same text from the same author in the window."""
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


EXTRACT_RETRY_DELAYS = (2.0, 10.0)
"""Seconds to wait before pulling a failed source again (a source can be briefly down); one retry per entry.
Only a failure that can pass is retried: see `can_pass`."""


class NightFailed(PipelineError):
    """Some or every source of the night failed; raised once the run is recorded (and the other sources landed), so
    that Prefect shows the night Failed, as the exit status of `causa run` does."""

    exit_code = EXIT_FAILED

    def __init__(self, result: RunResult) -> None:
        super().__init__(failed_sources(result))
        self.result = result


def failed_sources(result: RunResult) -> str:
    """One line naming the run, how many of its sources failed and each one's error."""
    failed = [o for o in result.outcomes if o.status == "failed"]
    errors = "; ".join(f"{o.source}: {o.error}" for o in failed)
    which = "every source failed" if len(failed) == len(result.outcomes) else (
        f"{len(failed)} of {len(result.outcomes)} sources failed")
    return f"run {result.run_id}: {which} ({errors})"


class LoadedSettings:
    """The settings `nightly` loaded, handed to the `night` subflow as they are (not loaded a second time).

    Prefect records a subflow parameter it cannot encode as `<LoadedSettings>`, so the settings, and the author
    salt in them, never reach the Prefect API.
    """

    __slots__ = ("settings",)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def source_start(state: StateStore, source: SourceSettings, since: date | None) -> Start:
    """Where a source resumes: its committed watermark and file ledger, or `since` when given."""
    ledger = state.ledger(source.name) if source.kind == "files" else {}
    return Start(watermark=state.watermark(source.name), ledger=ledger, since=since)


def commit_progress(state: StateStore, source: SourceSettings, checkpoint: Checkpoint, run_id: str) -> None:
    """Advances the source's watermark and file ledger; called only after its rows are committed."""
    state.record_files(source.name, checkpoint.files, run_id)
    state.advance_watermark(source.name, checkpoint.watermark, run_id)


def record_batches(connector: Connector, size: int) -> Iterator[list[RawRecord]]:
    """The connector's records in lists of at most `size`."""
    records = connector.extract()
    while batch := list(islice(records, size)):
        yield batch


def can_pass(error: BaseException) -> bool:
    """Whether pulling a source again may succeed: the source error says so (`transient`: the source unreachable,
    timing out, answering 5xx or 429), or the error is a lost connection or a timeout. A deterministic failure
    (a 4xx, a file that cannot be decoded, a missing column, a programming error) cannot pass."""
    transient = getattr(error, "transient", None)
    if isinstance(transient, bool):
        return transient
    return isinstance(error, (ConnectionError, TimeoutError))


def retry_if_it_can_pass(pull: Task, task_run: TaskRun, state: State) -> bool:
    """The retry condition of `pull_source`: retry only a failure that `can_pass`."""
    try:
        state.result()
    except Exception as error:
        return can_pass(error)
    return False


@task(cache_policy=NO_CACHE)
def validate(records: list[RawRecord], source: SourceSettings, run_date: date) -> tuple[list[Candidate], list[Rejected]]:
    return validate_records(records, source, run_date)


@task(cache_policy=NO_CACHE)
def prepare(candidates: list[Candidate], salt: str, run_id: str, repeats: RunRepeats) -> FeedbackBatch:
    """Feedback rows; repeats of an author's text already kept (in the lake or earlier in the run) are dropped."""
    return prepare_feedback(candidates, salt, run_id, repeats)


@task(cache_policy=NO_CACHE)
def score(
    batch: FeedbackBatch, model_version: str, run_id: str, registry_root: Path | None = None, tier: str = "fast"
) -> tuple[FeedbackBatch, pa.Table]:
    """The batch with its languages detected, and its scored rows (the heavy step, submitted to the task runner)."""
    batch = batch.with_languages(language_detector())
    model, version = scoring_model(model_version, registry_root)
    return batch, scored_rows(batch, model.score(batch.texts, batch.languages, tier=tier), version, run_id)


@dataclass
class StagedNight:
    """One source's rows of the night, staged batch by batch and merged into the lake by `write`."""

    feedback: StagedRows
    scored: StagedRows
    quarantine: StagedRows

    @classmethod
    def open(cls, lake: Lake) -> StagedNight:
        # a feedback_id lives in one partition: an item whose created_at changed leaves its old date
        return cls(lake.stage(FEEDBACK, one_partition_per_key=True), lake.stage(SCORED, one_partition_per_key=True),
                   lake.stage(QUARANTINE))

    def discard(self) -> None:
        for staged in (self.feedback, self.scored, self.quarantine):
            staged.discard()


@task(cache_policy=NO_CACHE)
def write(staged: StagedNight) -> tuple[int, set[date]]:
    """Merges the staged quarantine, feedback and scored rows; returns how many feedback or scored rows changed, and
    the dates items moved away from (their created_at changed)."""
    staged.quarantine.commit()
    feedback, scored = staged.feedback.commit(), staged.scored.commit()
    return feedback.rows_changed + scored.rows_changed, set(feedback.moved_from) | set(scored.moved_from)


@task(cache_policy=NO_CACHE)
def summarise(
    lake: Lake, days: set[date], causes: tuple[str, ...], csi_weights: Mapping[str, float] | None = None
) -> int:
    """Recomputes daily_summary for the dates this run touched (the CSI under `csi_weights`, [metrics.csi]); returns
    how many dates' summaries changed.

    Each date's summary is replaced whole, so a group left without items (an item moved to another date, or now
    in another language) disappears, and a date left without items has no summary.
    """
    spec = daily_summary_spec(causes)
    changed = 0
    for day in sorted(days):  # one day at a time: memory holds one day's columns
        feedback, scored = lake.read(FEEDBACK, [day], FEEDBACK_COLUMNS), lake.read(SCORED, [day], SCORED_COLUMNS)
        rows = daily_summary(feedback, scored, causes, csi_weights)
        table = spec.schema.empty_table() if rows.empty else pa.Table.from_pandas(rows, preserve_index=False)
        changed += lake.overwrite(spec, day, table)
    return changed


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
def report(lake: Lake, model: FeedbackModel, locale: str) -> Path | None:
    """Writes `<lake root>/report.html` in the words of `locale`; a failing report is logged, it does not fail the
    night."""
    from causa.storage.layout import report_path
    from causa.storage.report import write_report

    output = report_path(lake.root)
    if not lake.partitions(daily_summary_spec(model.causes)):
        get_run_logger().info("no report: the lake has no daily_summary yet")
        return None
    try:
        write_report(lake.root, output, model.analyser, model.causes, locale=locale)
    except Exception as error:
        get_run_logger().error("report not written: %s: %s", type(error).__name__, error)
        return None
    return output


@task(cache_policy=NO_CACHE)
def views(lake: Lake) -> Path | None:
    """Writes `<lake root>/causa.duckdb`, the views BI tools open; a remote lake has none (a logged note), and a
    failing write is logged, it does not fail the night."""
    from causa.storage.filesystem import RemotePath
    from causa.storage.views import write_views

    if isinstance(lake.root, RemotePath):
        get_run_logger().info("no DuckDB views file for the remote lake %s: DuckDB's httpfs extension is not "
                              "bundled (see the README)", lake.root)
        return None
    try:
        return write_views(lake.root).path
    except Exception as error:
        get_run_logger().error("views not written: %s: %s", type(error).__name__, error)
        return None


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


@dataclass
class PulledSource:
    """A source read through: its counts, its rows staged for `write`, and the checkpoint it reached."""

    outcome: SourceOutcome
    staged: StagedNight
    checkpoint: Checkpoint


@task(cache_policy=NO_CACHE, task_run_name="pull {source.name}", retries=len(EXTRACT_RETRY_DELAYS),
      retry_delay_seconds=list(EXTRACT_RETRY_DELAYS), retry_condition_fn=retry_if_it_can_pass)
def pull_source(
    settings: Settings, source: SourceSettings, lake: Lake, run_date: date, run_id: str, model_version: str,
    start: Start,
) -> PulledSource:
    """Extract, validate, prepare and score one source into staged rows; a failed attempt leaves nothing staged."""
    outcome = SourceOutcome(source=source.name)
    staged = StagedNight.open(lake)
    try:
        checkpoint = stream_source(settings, source, lake, staged, outcome, run_date, run_id, model_version, start)
    except Exception:
        staged.discard()
        raise
    return PulledSource(outcome, staged, checkpoint)


def run_source(
    settings: Settings, source: SourceSettings, lake: Lake, run_date: date, run_id: str, model_version: str,
    since: date | None = None,
) -> SourceOutcome:
    """One source into the lake, in bounded batches; a failing source is reported and the others go on."""
    state = StateStore(settings.lake_root)
    try:
        start = source_start(state, source, since)
        tell(f"source {source.name}: reading")
        pulled = pull_source(settings, source, lake, run_date, run_id, model_version, start)
    except Exception as error:
        return failed(SourceOutcome(source=source.name), error)
    outcome = pulled.outcome
    outcome.changed, moved_from = write(pulled.staged)
    outcome.dates |= moved_from
    get_run_logger().info(
        "source %s: %d read, %d stored, %d quarantined, %d repeats dropped",
        source.name, outcome.extracted, outcome.stored, outcome.quarantined, outcome.repeats,
    )
    # Advanced only after the summary is written too (in night): a run killed before that re-reads the source.
    outcome.commit = partial(commit_progress, state, source, pulled.checkpoint, run_id)
    return outcome


def stream_source(
    settings: Settings, source: SourceSettings, lake: Lake, staged: StagedNight, outcome: SourceOutcome,
    run_date: date, run_id: str, model_version: str, start: Start,
) -> Checkpoint:
    """Extract, validate, prepare and score the source batch by batch into `staged`; returns the checkpoint reached.

    Scoring is submitted to the flow's task runner (threads, worker processes or a Dask cluster:
    causa.pipelines.executors) with at most `run.batches_in_flight` batches in flight, so memory holds a few
    batches whatever the night's volume while the workers score side by side. Record and candidate lists are passed
    quoted: Prefect would otherwise walk every record looking for futures (a batch holds Arrow tables, which it does
    not walk; Dask takes a quoted value for a tuple, so the batch is passed as is).
    """
    connector = open_source(source, settings.base_dir, start)
    repeats = RunRepeats(lake, timedelta(hours=settings.duplicate_window_hours))
    in_flight: deque[PrefectFuture] = deque()
    for records in record_batches(connector, settings.batch_rows):
        outcome.extracted += len(records)
        tell_counts(outcome)
        candidates, rejected = validate(quote(records), source, run_date)
        outcome.quarantined += len(rejected)
        note_dropped_responses(outcome, candidates)
        staged.quarantine.add(quarantine_rows(rejected, run_id), pa.array([run_date] * len(rejected), pa.date32()))
        batch = prepare(quote(candidates), settings.author_salt, run_id, repeats)
        in_flight.append(score.submit(batch, model_version, run_id, settings.registry_root, settings.model_tier))
        while len(in_flight) > settings.batches_in_flight:
            stage_scored(staged, outcome, in_flight.popleft())
    while in_flight:
        stage_scored(staged, outcome, in_flight.popleft())
    return connector.checkpoint()


def note_dropped_responses(outcome: SourceOutcome, candidates: list[Candidate]) -> None:
    """Counts the batch's items kept without their unusable responded_at, and logs how many with the first reason."""
    problems = [candidate.response_problem for candidate in candidates if candidate.response_problem is not None]
    if problems:
        outcome.responses_dropped += len(problems)
        get_run_logger().warning("source %s: %d items kept without a response time (unusable responded_at), e.g. %s",
                                 outcome.source, len(problems), problems[0])


def stage_scored(staged: StagedNight, outcome: SourceOutcome, scoring: PrefectFuture) -> None:
    batch, scored = scoring.result()
    staged.scored.add(scored, batch.created_dates)
    staged.feedback.add(batch.rows, batch.created_dates)
    outcome.stored += batch.rows.num_rows
    outcome.repeats += batch.repeated
    outcome.dates |= set(batch.created_dates.unique().to_pylist())
    tell_counts(outcome)


def tell_counts(outcome: SourceOutcome) -> None:
    tell(f"source {outcome.source}: {outcome.extracted:,} read, {outcome.stored:,} stored")


def failed(outcome: SourceOutcome, error: Exception) -> SourceOutcome:
    outcome.status = "failed"
    outcome.error = f"{type(error).__name__}: {error}"
    get_run_logger().error("source %s failed: %s", outcome.source, outcome.error)
    return outcome


@cache
def language_detector() -> LanguageDetector:
    """One detector per process (its lingua model loads once)."""
    return LanguageDetector()


@flow(name=FLOW_NAME, log_prints=False)
def nightly(
    config_path: str | None = None, run_date: date | None = None, since: date | None = None,
    executor: str | None = None, dask_address: str | None = None,
) -> RunResult:
    """One night, as `causa run` runs it and the `causa serve` deployment schedules it.

    Loads the settings once, chooses the executor (`executor`, else `[run] executor`: see
    causa.pipelines.executors), opens a Prefect API its worker processes share when none is configured, and runs
    `night` on that executor's task runner. Raises NightFailed, after recording the run, when some or every source
    failed.
    """
    settings = load_settings(config_path)
    chosen, address = chosen_executor(settings, executor, dask_address)
    runner = runner_for(settings, chosen, address)  # before shared_api: it warns when no API is configured
    with shared_api(chosen):
        return night.with_options(task_runner=runner)(LoadedSettings(settings), run_date, since)


@flow(name=f"{FLOW_NAME}-sources", log_prints=False)
def night(loaded: LoadedSettings, run_date: date | None = None, since: date | None = None) -> RunResult:
    """Every configured source into the lake, then the daily summary, the alerts, the run record, the views file and
    the report.

    Each source resumes from its committed watermark (or file ledger); `since` pulls again from that date instead.
    """
    settings = loaded.settings
    started_at = datetime.now(timezone.utc)
    run_date = run_date or started_at.date()
    lake = Lake(settings.lake_root)
    run_id = f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    scoring_version = resolve_version(settings.model_version, settings.registry_root)
    model, model_version = scoring_model(scoring_version, settings.registry_root)
    lock = lake_lock(
        settings.lock_root, f"{FLOW_NAME} run {run_id}", settings.lock_wait_seconds, settings.lock_stale_hours * 3600
    )
    with lock:  # one run at a time per lake; a run killed mid-write is completed by the next one
        lake.discard_staging()
        outcomes = tuple(
            run_source(settings, source, lake, run_date, run_id, scoring_version, since) for source in settings.sources
        )
        moved_from = lake.moved_from()  # also dates a killed run moved items away from
        touched = set().union(moved_from, *(o.dates for o in outcomes))
        tell(f"daily summary of {len(touched)} days")
        summarise(lake, touched, model.causes, settings.csi_weights)
        tell("alerts")
        find_alerts(lake, touched, model.causes)
        lake.clear_moved_from(moved_from | touched)
        for outcome in outcomes:
            if outcome.commit is not None:
                outcome.commit()  # only now: rows, summary and alerts are committed
        failed = [o for o in outcomes if o.status == "failed"]
        status = "failed" if len(failed) == len(outcomes) else "partial" if failed else "success"
        result = RunResult(run_id, status, settings.lake_root, outcomes, model_version)
        parameters = {"config_path": str(settings.config_path), "run_date": run_date.isoformat()}
        if since is not None:
            parameters["since"] = since.isoformat()
        tell("run record")
        record_run(lake, result, parameters, started_at, run_date)
        tell("views")
        views(lake)
        tell("report")
        report(lake, model, settings.report_locale)
    get_run_logger().info("run %s: %s", run_id, status)
    if status != "success":
        raise NightFailed(result)
    return result


def run_nightly(
    config_path: str | None = None,
    run_date: date | None = None,
    since: date | None = None,
    executor: str | None = None,
    dask_address: str | None = None,
) -> RunResult:
    """The nightly flow once, for `causa run`: its RunResult, also of a night in which some or every source failed
    (the flow run then ends Failed); any other failure is raised."""
    try:
        return nightly(config_path=config_path, run_date=run_date, since=since, executor=executor,
                       dask_address=dask_address)
    except NightFailed as failure:
        return failure.result
