"""Everything the report shows, computed from the lake tables (pure data: no HTML here)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Mapping, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from causa.nlp.analysis import TextAnalyser
from causa.nlp.redact import redact
from causa.nlp.themes import find_themes, stop_keys
from causa.storage.alerts import detect_spikes, window_start
from causa.storage.errors import NoDataError
from causa.storage.impact import cause_impact
from causa.storage.lake import Lake
from causa.nlp.taxonomy import SENTIMENTS
from causa.storage.service_metrics import rating_on_five
from causa.storage.schemas import ALERTS, FEEDBACK, RUNS, SCORED, daily_summary_spec
from causa.storage.summary import FEEDBACK_COLUMNS, daily_summary

logger = logging.getLogger(__name__)

KPI_WINDOW_DAYS = 7
DEFAULT_PERIOD_DAYS = 90
EXAMPLES_PER_CAUSE = 3
EXAMPLES_PER_THEME = 3
THEMES_PER_LANGUAGE = 3
MIN_THEME_ITEMS = 4
"""A language's unexplained complaints are grouped into themes only when it has at least this many."""
ITEM_SAMPLE_ROWS = 20_000
"""Items behind cause impact, themes and evidence examples: an even sample of the period when it holds more.
Counts, shares and alerts come from daily_summary, which covers every item."""
SCORED_ITEM_COLUMNS = ("feedback_id", "sentiment", "causes", "cause_scores", "evidence")
METRIC_COUNTS = {"rating": "n_rated", "csat": "n_csat", "nps": "n_nps", "ces": "n_ces", "csi": "n_csi",
                 "response": "n_responded"}
"""Each service metric and the daily_summary count of the inputs behind it: a metric is collected when that count
is above 0 somewhere in the period."""
RESPONSE_CAUSE = "delay"
"""The cause response times are shown beside, per channel and week."""


@dataclass(frozen=True)
class Kpi:
    """A headline number over the last KPI_WINDOW_DAYS days of the period and over the days before them."""

    name: str
    value: float | None
    previous: float | None
    unit: str = ""
    higher_is_better: bool = True

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class EvidenceExample:
    cause: str
    text: str
    spans: tuple[tuple[int, int], ...]
    """Character offsets of the evidence in `text`."""
    language: str
    channel: str
    created_date: date
    score: float


@dataclass(frozen=True)
class ThemeView:
    terms: tuple[str, ...]
    size: int
    weekly: tuple[int, ...]
    """Members per week of the period (the same weeks as ReportData.weeks)."""
    examples: tuple[str, ...]
    languages: tuple[str, ...]


@dataclass(frozen=True)
class RunInfo:
    """The lake's last recorded run (the runs table row that ended last)."""

    run_id: str
    status: str
    ended_at: datetime
    model_version: str


@dataclass(frozen=True)
class Provenance:
    """What produced the report: when, from which lake, scored by which model, after which run."""

    generated_at: datetime
    lake: str
    model_versions: tuple[str, ...]
    """The model versions of the rows shown (several when the period spans a model change)."""
    last_run: RunInfo | None
    other_versions: tuple[str, ...] = ()
    """With a model version chosen: the period's other versions, whose rows the report leaves out."""


@dataclass
class ReportData:
    start: date
    end: date
    causes: tuple[str, ...]
    channels: tuple[str, ...]
    n_feedback: int
    kpis: list[Kpi]
    weeks: list[date]
    """Monday of each week of the period."""
    week_days: list[int]
    """How many days of each week fall in the period: fewer than 7 marks a partial week."""
    sentiment_weekly: dict[str, list[int]]
    causes_weekly: dict[str, dict[str, list[int]]]
    """channel -> cause -> items per week."""
    alerts: pd.DataFrame
    impact: pd.DataFrame
    themes: list[ThemeView]
    n_unexplained: int
    languages: dict[str, int]
    evidence: dict[str, list[EvidenceExample]] = field(default_factory=dict)
    not_collected: tuple[str, ...] = ()
    """Metrics (METRIC_COUNTS keys) that no source gives in the period: left out of the KPIs and the impact."""
    provenance: Provenance | None = None
    response_weekly: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per channel and week: n_responded, response_p50_s, response_p90_s, n_feedback and, when the taxonomy has
    the RESPONSE_CAUSE, its count `cause`; empty when no source gives response times in the period."""

    @property
    def partial_weeks(self) -> list[bool]:
        return [n < 7 for n in self.week_days]


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_days(lake: Lake, start: date | None, end: date | None, causes: Sequence[str]) -> list[date]:
    """The days with a daily_summary partition within [start, end]; without `start`, the DEFAULT_PERIOD_DAYS days
    up to the last day with data (or `end`)."""
    days = [d for d in lake.partitions(daily_summary_spec(causes)) if end is None or d <= end]
    if days and start is None:
        start = (end or days[-1]) - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    days = [d for d in days if start is None or d >= start]
    if not days:
        raise NoDataError(f"no daily_summary data in {lake.root} between {start or 'the beginning'} and {end or 'the end'}")
    return days


def build_report_data(
    lake: Lake, analyser: TextAnalyser, causes: Sequence[str], start: date | None = None, end: date | None = None,
    model_version: str | None = None, csi_weights: Mapping[str, float] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ReportData:
    """Read the lake for [start, end] (default: all of it) and compute every section of the report; with
    `model_version`, from the rows that version scored only (counts, shares, CSI under `csi_weights` and alerts
    recomputed from them). `on_step` is told of each stage as it starts."""
    step = on_step or _no_step
    causes = tuple(causes)
    days = period_days(lake, start, end, causes)
    step(f"reading the daily summaries of {len(days)} days")
    start, end = start or days[0], end or days[-1]
    versions = scored_versions(lake, days)
    if model_version is None:
        summary = lake.read(daily_summary_spec(causes), days).to_pandas()
        alerts = _alerts(lake, days, causes)
    else:
        if model_version not in versions:
            raise NoDataError(f"no row of {start} to {end} in {lake.root} was scored by model {model_version!r}; "
                              f"the period's rows are from {', '.join(versions) or 'no model version'}")
        summary = version_summary(lake, days, causes, model_version, csi_weights)
        window = [d for d in lake.partitions(daily_summary_spec(causes)) if window_start(days) <= d <= days[-1]]
        alerts = _sorted_alerts(detect_spikes(version_summary(lake, window, causes, model_version, csi_weights), days,
                                                     causes))
    step("reading the feedback items")
    items = _items(lake, days, model_version=model_version)
    weeks = sorted({week_of(d) for d in days})
    summary["week"] = summary["created_date"].map(week_of)
    channels = tuple(sorted(summary["channel"].unique()))
    not_collected = tuple(metric for metric, count in METRIC_COUNTS.items() if not summary[count].sum() > 0)
    impact = cause_impact(items, causes)
    step(f"finding unexplained themes in {len(items):,} items")
    themes = unexplained_themes(items, analyser, weeks)
    step("response times and evidence")
    return ReportData(
        start=start,
        end=end,
        causes=causes,
        channels=channels,
        n_feedback=int(summary["n_feedback"].sum()),
        kpis=headline_kpis(summary, end, causes, not_collected),
        weeks=weeks,
        week_days=[sum(1 for i in range(7) if start <= week + timedelta(days=i) <= end) for week in weeks],
        sentiment_weekly={s: _weekly(summary, f"n_{s}", weeks) for s in SENTIMENTS},
        causes_weekly={
            channel: {c: _weekly(summary[summary["channel"] == channel], f"cause_{c}", weeks) for c in causes}
            for channel in channels
        },
        alerts=alerts,
        impact=impact[~impact["metric"].isin(not_collected)].reset_index(drop=True),
        themes=themes,
        n_unexplained=int(_unexplained(items).shape[0]),
        languages={k: int(v) for k, v in summary.groupby("language")["n_feedback"].sum().sort_values(ascending=False).items()},
        evidence=evidence_examples(items, causes),
        not_collected=not_collected,
        provenance=provenance(lake, versions, model_version),
        response_weekly=(pd.DataFrame() if "response" in not_collected
                         else response_weekly(lake, days, summary, channels, weeks, causes)),
    )


def _no_step(text: str) -> None:
    """No one to tell of the report's stages."""


def response_weekly(lake: Lake, days: Sequence[date], summary: pd.DataFrame, channels: Sequence[str],
                    weeks: Sequence[date], causes: Sequence[str]) -> pd.DataFrame:
    """Per channel and week of the period: the items with a response time and its median and 90th percentile in
    seconds (exact, from the feedback rows, read a day at a time), beside the week's items and RESPONSE_CAUSE
    complaints (from `summary`, daily_summary rows with their week)."""
    parts = []
    for day in days:
        rows = lake.read(FEEDBACK, [day], ["channel", "response_seconds"])
        rows = rows.filter(pc.is_valid(rows["response_seconds"]))
        if rows.num_rows:
            parts.append(rows.drop_columns("created_date").to_pandas().assign(week=week_of(day)))
    times = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"channel": pd.Series(dtype=str), "response_seconds": pd.Series(dtype=float), "week": pd.Series(dtype=object)})
    by_group = times.groupby(["channel", "week"])["response_seconds"]
    index = pd.MultiIndex.from_product([list(channels), list(weeks)], names=["channel", "week"])
    table = pd.DataFrame({
        "n_responded": by_group.count(),
        "response_p50_s": by_group.quantile(0.5),
        "response_p90_s": by_group.quantile(0.9),
    }).reindex(index)
    table["n_responded"] = table["n_responded"].fillna(0).astype("int64")
    counted = {"n_feedback": "n_feedback"}
    if RESPONSE_CAUSE in causes:
        counted["cause"] = f"cause_{RESPONSE_CAUSE}"
    sums = summary.groupby(["channel", "week"])[list(counted.values())].sum().rename(
        columns={column: name for name, column in counted.items()})
    for name in counted:
        table[name] = sums[name].reindex(index).fillna(0).astype("int64")
    return table.reset_index()


def scored_versions(lake: Lake, days: Sequence[date]) -> tuple[str, ...]:
    """The model versions of the scored rows of `days`, sorted."""
    versions = pc.unique(lake.read(SCORED, days, ["model_version"])["model_version"].drop_null())
    return tuple(sorted(versions.to_pylist()))


def version_summary(lake: Lake, days: Sequence[date], causes: Sequence[str], model_version: str,
                    csi_weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """daily_summary's rows computed from the items of `days` that `model_version` scored (one day at a time)."""
    parts = [daily_summary(lake.read(FEEDBACK, [day], list(FEEDBACK_COLUMNS)),
                           _version_rows(lake.read(SCORED, [day]), model_version), causes, csi_weights)
             for day in days]
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=list(daily_summary_spec(causes).schema.names))
    return pd.concat(parts, ignore_index=True)


def _version_rows(scored: pa.Table, model_version: str | None) -> pa.Table:
    return scored if model_version is None else scored.filter(pc.equal(scored["model_version"], model_version))


def provenance(lake: Lake, versions: Sequence[str], model_version: str | None = None) -> Provenance:
    """The generation time, the lake, the model versions of the rows shown (`versions`, the period's, or only
    `model_version` when one is chosen) and the last recorded run."""
    shown = tuple(versions) if model_version is None else (model_version,)
    return Provenance(
        generated_at=datetime.now(timezone.utc).replace(microsecond=0),
        lake=str(lake.root),  # a remote lake shows its URI only, never its storage options
        model_versions=shown,
        last_run=last_run(lake),
        other_versions=tuple(version for version in versions if version not in shown),
    )


def last_run(lake: Lake) -> RunInfo | None:
    """The runs table's row that ended last; None when no run is recorded (a lake written by other means)."""
    runs = lake.read(RUNS, None, ["run_id", "status", "ended_at", "model_version"]).to_pylist()
    if not runs:
        return None
    row = max(runs, key=lambda r: (r["ended_at"], r["run_id"]))
    return RunInfo(row["run_id"], row["status"], row["ended_at"], row["model_version"] or "")


def _items(lake: Lake, days: Sequence[date], limit: int = ITEM_SAMPLE_ROWS,
           model_version: str | None = None) -> pd.DataFrame:
    """The period's items with their scores (of `model_version` only, when given): every item, or an even sample
    of `limit` when there are more."""
    stride = max(1, math.ceil(sum(lake.row_count(FEEDBACK, day) for day in days) / limit))
    if stride > 1:
        logger.info("report: impact, themes and examples from every %d-th item of the period", stride)
    parts = []
    for day in days:  # one day at a time: memory holds one day's rows
        feedback = lake.read(FEEDBACK, [day])
        feedback = feedback.take(pa.array(range(0, feedback.num_rows, stride))) if stride > 1 else feedback
        scored = _version_rows(lake.read(SCORED, [day], [*SCORED_ITEM_COLUMNS, "model_version"]), model_version)
        scored = scored.filter(pc.is_in(scored["feedback_id"], value_set=feedback["feedback_id"]))
        parts.append(feedback.to_pandas().merge(scored.drop_columns(["created_date", "model_version"]).to_pandas(),
                                                  on="feedback_id"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _weekly(summary: pd.DataFrame, column: str, weeks: Sequence[date]) -> list[int]:
    by_week = summary.groupby("week")[column].sum()
    return [int(by_week.get(week, 0)) for week in weeks]


def aggregate_metrics(summary: pd.DataFrame, causes: Sequence[str]) -> dict[str, float | None]:
    """Service metrics over any set of daily_summary rows, weighted by the counts behind each metric."""
    n = float(summary["n_feedback"].sum())

    def weighted(value: str, weight: str) -> float | None:
        rows = summary[summary[weight] > 0]
        total = float(rows[weight].sum())
        return float((rows[value] * rows[weight]).sum() / total) if total else None

    metrics: dict[str, float | None] = {
        "n_feedback": n,
        "negative_pct": 100.0 * float(summary["n_negative"].sum()) / n if n else None,
        "avg_rating": weighted("avg_rating", "n_rated"),
        "csat_pct": weighted("csat_pct", "n_csat"),
        "nps": weighted("nps", "n_nps"),
        "ces_avg": weighted("ces_avg", "n_ces"),
        "csi": weighted("csi", "n_csi"),
    }
    for cause in causes:
        metrics[f"cause_{cause}_pct"] = 100.0 * float(summary[f"cause_{cause}"].sum()) / n if n else None
    return metrics


KPI_UNITS = (
    ("n_feedback", None, "", True),
    ("negative_pct", None, "%", False),
    ("avg_rating", "rating", "", True),
    ("csat_pct", "csat", "%", True),
    ("nps", "nps", "", True),
    ("ces_avg", "ces", "", False),
    ("csi", "csi", "", True),
)
"""Each headline KPI: its name, the metric it needs collected (None: always shown), its unit, whether up is good."""


def headline_kpis(summary: pd.DataFrame, end: date, causes: Sequence[str],
                  not_collected: Sequence[str] = ()) -> list[Kpi]:
    """KPIs of the last KPI_WINDOW_DAYS days up to `end` against the KPI_WINDOW_DAYS days before; those of metrics
    in `not_collected` are left out."""
    current_from = end - timedelta(days=KPI_WINDOW_DAYS - 1)
    previous_from = current_from - timedelta(days=KPI_WINDOW_DAYS)
    dates = summary["created_date"]
    current = aggregate_metrics(summary[(dates >= current_from) & (dates <= end)], causes)
    previous = aggregate_metrics(summary[(dates >= previous_from) & (dates < current_from)], causes)
    kpis = [Kpi(name, current[name], previous[name], unit, better)
            for name, metric, unit, better in KPI_UNITS if metric not in not_collected]
    kpis += [Kpi(f"cause_{c}_pct", current[f"cause_{c}_pct"], previous[f"cause_{c}_pct"], "%", False) for c in causes]
    return kpis


def _alerts(lake: Lake, days: Sequence[date], causes: Sequence[str]) -> pd.DataFrame:
    """Stored alerts of the period; computed from daily_summary when the lake has no alerts table yet."""
    if lake.table_path(ALERTS).is_dir():
        alerts = lake.read(ALERTS, days).to_pandas()
    else:
        logger.info("no alerts table in %s: computing alerts for the report", lake.root)
        spec = daily_summary_spec(causes)
        needed = [d for d in lake.partitions(spec) if window_start(days) <= d <= days[-1]]
        alerts = detect_spikes(lake.read(spec, needed).to_pandas(), days, causes)
    return _sorted_alerts(alerts)


def _sorted_alerts(alerts: pd.DataFrame) -> pd.DataFrame:
    return alerts.sort_values(["created_date", "cause", "channel"], ascending=[False, True, True]).reset_index(drop=True)


def _unexplained(items: pd.DataFrame) -> pd.DataFrame:
    """Complaints no known cause explains: negative, with no cause, and not rated 4 or 5 (of 5) by their author."""
    no_cause = items["causes"].map(lambda values: values is None or len(values) == 0)
    rated_well = rating_on_five(items["rating"], items["rating_scale"]) >= 4
    return items[(items["sentiment"] == "negative") & no_cause & ~rated_well].sort_values(["created_date", "feedback_id"])


def unexplained_themes(items: pd.DataFrame, analyser: TextAnalyser, weeks: Sequence[date]) -> list[ThemeView]:
    """Themes among the unexplained complaints, found in each language apart (words of different languages never
    share a theme); the languages with most such complaints first, then the larger themes."""
    rows = _unexplained(items).reset_index(drop=True)
    views: list[ThemeView] = []
    counts = rows["language"].value_counts()
    for language in sorted(counts.index, key=lambda code: (-counts[code], code)):
        in_language = rows[rows["language"] == language].reset_index(drop=True)
        if len(in_language) < MIN_THEME_ITEMS:
            continue
        analysed = analyser.analyse(in_language["text"].tolist(), [language] * len(in_language))
        for theme in find_themes(analysed, stop_keys(analyser, (language,)), max_themes=THEMES_PER_LANGUAGE):
            terms = tuple(term for term in theme.terms if any(ch.isalpha() for ch in term))  # no emoji or digits
            if not terms:
                continue
            members = in_language.iloc[list(theme.members)]
            by_week = members["created_date"].map(week_of).value_counts()
            views.append(
                ThemeView(
                    terms=terms,
                    size=len(theme.members),
                    weekly=tuple(int(by_week.get(week, 0)) for week in weeks),
                    examples=tuple(redact(text).text for text in members["text"].head(EXAMPLES_PER_THEME)),
                    languages=(str(language),),
                )
            )
    return views


def evidence_examples(items: pd.DataFrame, causes: Sequence[str]) -> dict[str, list[EvidenceExample]]:
    """For each cause, the items most confidently given it, with their evidence spans for that cause."""
    examples: dict[str, list[EvidenceExample]] = {}
    for cause in causes:
        found = []
        for row in items.itertuples(index=False):
            if row.causes is None or cause not in row.causes:
                continue
            spans = tuple(
                sorted((int(e["start"]), int(e["end"])) for e in (row.evidence if row.evidence is not None else [])
                       if e["cause"] == cause and 0 <= e["start"] < e["end"] <= len(row.text))
            )
            if not spans:
                continue
            score = next((float(s["score"]) for s in row.cause_scores if s["cause"] == cause), math.nan)
            found.append(EvidenceExample(cause, row.text, spans, row.language, row.channel, row.created_date, score))
        found.sort(key=lambda e: (-e.score, e.created_date, e.text))
        examples[cause] = _varied(found, EXAMPLES_PER_CAUSE)
    return examples


def _varied(examples: list[EvidenceExample], k: int) -> list[EvidenceExample]:
    """Up to k examples, preferring different languages, best first."""
    chosen: list[EvidenceExample] = []
    for example in examples:
        if len(chosen) < k and example.language not in {c.language for c in chosen}:
            chosen.append(example)
    for example in examples:
        if len(chosen) < k and example not in chosen:
            chosen.append(example)
    return chosen
