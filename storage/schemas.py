"""The table contracts with report consumers: every lake table's schema, key and partitioning, defined once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pyarrow as pa

SCHEMA_VERSION = 1
DEFAULT_CAUSES: tuple[str, ...] = ("rudeness", "unresolved_issue", "overcharge", "delay")
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
CHANNELS: tuple[str, ...] = ("review", "social", "survey", "email", "chat", "ticket")

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
EVIDENCE_TYPE = pa.list_(
    pa.struct(
        [
            ("cause", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("text", pa.string()),
        ]
    )
)
CAUSE_SCORES_TYPE = pa.list_(pa.struct([("cause", pa.string()), ("score", pa.float32())]))


@dataclass(frozen=True)
class TableSpec:
    """One lake table: its columns (without the partition column), merge key and Hive partition column."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    partition_column: str
    volatile_columns: tuple[str, ...] = ()
    """Columns ignored when deciding whether a stored row changed (the run that wrote it)."""


FEEDBACK = TableSpec(
    name="feedback",
    schema=pa.schema(
        [
            ("feedback_id", pa.string()),
            ("source", pa.string()),
            ("source_item_id", pa.string()),
            ("channel", pa.string()),
            ("created_at", UTC_TIMESTAMP),
            ("text", pa.string()),
            ("redactions", pa.list_(pa.string())),
            ("language", pa.string()),
            ("rating", pa.float64()),
            ("rating_scale", pa.int16()),
            ("nps", pa.int8()),
            ("csat", pa.int8()),
            ("ces", pa.int8()),
            ("product", pa.string()),
            ("author_hash", pa.string()),
            ("run_id", pa.string()),
            ("schema_version", pa.int16()),
        ]
    ),
    key=("feedback_id",),
    partition_column="created_date",
    volatile_columns=("run_id",),
)


def scored_spec() -> TableSpec:
    return TableSpec(
        name="scored",
        schema=pa.schema(
            [
                ("feedback_id", pa.string()),
                ("sentiment", pa.string()),
                ("p_negative", pa.float32()),
                ("p_neutral", pa.float32()),
                ("p_positive", pa.float32()),
                ("causes", pa.list_(pa.string())),
                ("cause_scores", CAUSE_SCORES_TYPE),
                ("evidence", EVIDENCE_TYPE),
                ("needs_review", pa.bool_()),
                ("model_version", pa.string()),
                ("run_id", pa.string()),
                ("schema_version", pa.int16()),
            ]
        ),
        key=("feedback_id",),
        partition_column="created_date",
        volatile_columns=("run_id",),
    )


SCORED = scored_spec()


def daily_summary_spec(causes: Sequence[str] = DEFAULT_CAUSES) -> TableSpec:
    """daily_summary has one count column per cause of the taxonomy in use (`cause_<name>`)."""
    fields = [
        ("source", pa.string()),
        ("channel", pa.string()),
        ("language", pa.string()),
        ("n_feedback", pa.int64()),
        ("n_negative", pa.int64()),
        ("n_neutral", pa.int64()),
        ("n_positive", pa.int64()),
        *[(f"cause_{cause}", pa.int64()) for cause in causes],
        ("n_rated", pa.int64()),
        ("avg_rating", pa.float64()),
        ("csat_pct", pa.float64()),
        ("nps", pa.float64()),
        ("ces_avg", pa.float64()),
        ("negative_pct", pa.float64()),
        *[(f"cause_{cause}_pct", pa.float64()) for cause in causes],
        ("n_csat", pa.int64()),
        ("n_nps", pa.int64()),
        ("n_ces", pa.int64()),
        ("schema_version", pa.int16()),
    ]
    return TableSpec(
        name="daily_summary",
        schema=pa.schema(fields),
        key=("source", "channel", "language"),
        partition_column="created_date",
    )


DAILY_SUMMARY = daily_summary_spec()

SOURCE_COUNT_TYPE = pa.list_(
    pa.struct(
        [
            ("source", pa.string()),
            ("status", pa.string()),
            ("extracted", pa.int64()),
            ("quarantined", pa.int64()),
            ("stored", pa.int64()),
            ("error", pa.string()),
        ]
    )
)

RUNS = TableSpec(
    name="runs",
    schema=pa.schema(
        [
            ("run_id", pa.string()),
            ("flow", pa.string()),
            ("parameters", pa.string()),
            ("started_at", UTC_TIMESTAMP),
            ("ended_at", UTC_TIMESTAMP),
            ("status", pa.string()),
            ("rows_in", pa.int64()),
            ("rows_quarantined", pa.int64()),
            ("rows_stored", pa.int64()),
            ("rows_changed", pa.int64()),
            ("source_counts", SOURCE_COUNT_TYPE),
            ("model_version", pa.string()),
            ("code_version", pa.string()),
            ("schema_version", pa.int16()),
        ]
    ),
    key=("run_id",),
    partition_column="run_date",
)

QUARANTINE = TableSpec(
    name="quarantine",
    schema=pa.schema(
        [
            ("quarantine_id", pa.string()),
            ("source", pa.string()),
            ("source_item_id", pa.string()),
            ("raw", pa.string()),
            ("reason", pa.string()),
            ("run_id", pa.string()),
            ("schema_version", pa.int16()),
        ]
    ),
    key=("quarantine_id",),
    partition_column="received_date",
    volatile_columns=("run_id",),
)


def alerts_spec() -> TableSpec:
    """alerts: one row per day, cause and channel whose count or share was abnormally high (causa.storage.alerts)."""
    return TableSpec(
        name="alerts",
        schema=pa.schema(
            [
                ("cause", pa.string()),
                ("channel", pa.string()),
                ("count", pa.int64()),
                ("n_feedback", pa.int64()),
                ("share", pa.float64()),
                ("baseline_days", pa.int64()),
                ("baseline_count", pa.int64()),
                ("baseline_feedback", pa.int64()),
                ("expected_count", pa.float64()),
                ("baseline_share", pa.float64()),
                ("p_count", pa.float64()),
                ("p_share", pa.float64()),
                ("triggered_by", pa.string()),
                ("rule", pa.string()),
                ("schema_version", pa.int16()),
            ]
        ),
        key=("cause", "channel"),
        partition_column="created_date",
    )


ALERTS = alerts_spec()
