"""The table contracts with report consumers: every lake table's schema, key, partitioning and the meaning of each
column, defined once.

Each column's meaning is kept in its field metadata (`description`), each table's in its schema metadata, so the
Parquet files carry them; the README's data dictionary is generated from here (causa.storage.data_dictionary).
Key columns are declared not null: the lake refuses rows without their key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pyarrow as pa

from causa.nlp.taxonomy import DEFAULT_CAUSES, OTHER_LANGUAGE, SENTIMENTS, SUPPORTED_LANGUAGES

SCHEMA_VERSION = 1
CHANNELS: tuple[str, ...] = ("review", "social", "survey", "email", "chat", "ticket")
DESCRIPTION = b"description"
"""The metadata key of a column's (field metadata) or a table's (schema metadata) description."""

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


def probability_column(sentiment: str) -> str:
    """The column holding a sentiment's probability, in the scored table and in `causa score`'s output."""
    return f"p_{sentiment}"


PROBABILITY_COLUMNS: tuple[str, ...] = tuple(probability_column(sentiment) for sentiment in SENTIMENTS)


def column(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    """A table column with its description in the field metadata."""
    return pa.field(name, type_, nullable=nullable, metadata={DESCRIPTION: description.encode("utf-8")})


def key_column(name: str, type_: pa.DataType, description: str) -> pa.Field:
    """A column of a table's key: never null."""
    return column(name, type_, description, nullable=False)


def table_schema(description: str, fields: Sequence[pa.Field]) -> pa.Schema:
    """A table's schema with the table's description in the schema metadata."""
    return pa.schema(fields, metadata={DESCRIPTION: description.encode("utf-8")})


def description(described: pa.Field | pa.Schema) -> str:
    """The description kept in a column's or a table's metadata ("" when there is none)."""
    return (described.metadata or {}).get(DESCRIPTION, b"").decode("utf-8")


def one_of(names: Sequence[str]) -> str:
    """`a, b or c`."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


RUN_ID = column("run_id", pa.string(), "the run that stored this version of the row")
VERSION = column("schema_version", pa.int16(), "the version of the schema that wrote the row")


@dataclass(frozen=True)
class TableSpec:
    """One lake table: its columns (without the partition column), merge key and Hive partition column."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    partition_column: str
    volatile_columns: tuple[str, ...] = ()
    """Columns ignored when deciding whether a stored row changed (the run that wrote it)."""
    partition_description: str = ""
    """What the partition column's date is."""

    @property
    def description(self) -> str:
        return description(self.schema)


FEEDBACK = TableSpec(
    name="feedback",
    schema=table_schema(
        "one row per unique feedback item",
        [
            key_column("feedback_id", pa.string(), "stable id: sha256 of source name and the source's own id (32 hex)"),
            column("source", pa.string(), "configured source name"),
            column("source_item_id", pa.string(), "the item's id at the source"),
            column("channel", pa.string(), one_of(CHANNELS)),
            column("created_at", UTC_TIMESTAMP, "when the author wrote it"),
            column(
                "text",
                pa.string(),
                "the text, cleaned (NFC, invisible characters removed, spaces folded) and with personal data replaced "
                "by `[EMAIL]`, `[PHONE]`, `[CARD]`, `[IBAN]`, `[TOKEN]`",
            ),
            column("redactions", pa.list_(pa.string()), "kinds of personal data that were redacted"),
            column("language", pa.string(), f"{', '.join(SUPPORTED_LANGUAGES)}, or `{OTHER_LANGUAGE}`"),
            column("rating", pa.float64(), "the rating as given, when the source has one"),
            column("rating_scale", pa.int16(), "the top of the rating scale (1..rating_scale)"),
            column("nps", pa.int8(), "Net Promoter answer 0-10, when mapped"),
            column("csat", pa.int8(), "CSAT answer 1-5, when mapped"),
            column("ces", pa.int8(), "Customer Effort answer 1-7, when mapped"),
            column(
                "response_seconds",
                pa.float64(),
                "seconds from created_at to the first response (the mapped responded_at); null when not mapped, not "
                "answered yet, or the responded_at was unusable (unreadable, before created_at, after the run date)",
            ),
            column("product", pa.string(), "product or service, when mapped"),
            column(
                "author_hash",
                pa.string(),
                "keyed (HMAC-SHA256) hash of the author handle with the configured salt; never the handle",
            ),
            RUN_ID,
            VERSION,
        ],
    ),
    key=("feedback_id",),
    partition_column="created_date",
    volatile_columns=("run_id",),
    partition_description="UTC date of created_at",
)


def scored_spec() -> TableSpec:
    return TableSpec(
        name="scored",
        schema=table_schema(
            "one row per feedback_id",
            [
                key_column("feedback_id", pa.string(), "joins to feedback"),
                column("sentiment", pa.string(), one_of(SENTIMENTS)),
                *[
                    column(
                        probability_column(sentiment),
                        pa.float32(),
                        f"calibrated probability of {sentiment} ({' + '.join(PROBABILITY_COLUMNS)} = 1)",
                    )
                    for sentiment in SENTIMENTS
                ],
                column("causes", pa.list_(pa.string()), "the complaint causes found (empty for none)"),
                column("cause_scores", CAUSE_SCORES_TYPE, "calibrated probability of every cause"),
                column(
                    "evidence",
                    EVIDENCE_TYPE,
                    "for each cause found: the matched cue phrase (or the strongest word) as character offsets into "
                    "feedback.text",
                ),
                column(
                    "needs_review",
                    pa.bool_(),
                    "low confidence, a score close to its threshold, or a cue the model did not confirm",
                ),
                column("model_version", pa.string(), "the model that scored it"),
                RUN_ID,
                VERSION,
            ],
        ),
        key=("feedback_id",),
        partition_column="created_date",
        volatile_columns=("run_id",),
        partition_description="as in feedback",
    )


SCORED = scored_spec()

NO_ANSWERS = "(0: the source gives no such input, the metric is null)"


def daily_summary_spec(causes: Sequence[str] = DEFAULT_CAUSES) -> TableSpec:
    """daily_summary has one count column per cause of the taxonomy in use (`cause_<name>`)."""
    fields = [
        key_column("source", pa.string(), "the group's source"),
        key_column("channel", pa.string(), "the group's channel"),
        key_column("language", pa.string(), "the group's language"),
        column("n_feedback", pa.int64(), "items"),
        *[column(f"n_{sentiment}", pa.int64(), f"items whose sentiment is {sentiment}") for sentiment in SENTIMENTS],
        *[
            column(f"cause_{cause}", pa.int64(), f"items with the cause {cause} (a column per cause of the taxonomy in use)")
            for cause in causes
        ],
        column("n_rated", pa.int64(), "items with a rating"),
        column("avg_rating", pa.float64(), "mean rating rescaled to 1-5: 1 + (rating - 1) * 4 / (scale - 1)"),
        column("csat_pct", pa.float64(), "% of CSAT answers that are 4 or 5"),
        column("nps", pa.float64(), "% promoters (9-10) minus % detractors (0-6)"),
        column("ces_avg", pa.float64(), "mean CES"),
        column("negative_pct", pa.float64(), "100 * n_negative / n_feedback"),
        *[
            column(
                f"cause_{cause}_pct",
                pa.float64(),
                f"100 * cause_{cause} / n_feedback (an item can have several causes: shares need not sum to 100)",
            )
            for cause in causes
        ],
        column("n_csat", pa.int64(), f"CSAT answers behind csat_pct {NO_ANSWERS}"),
        column("n_nps", pa.int64(), f"NPS answers behind nps {NO_ANSWERS}"),
        column("n_ces", pa.int64(), f"CES answers behind ces_avg {NO_ANSWERS}"),
        column("n_responded", pa.int64(), f"items with a response time (feedback.response_seconds) {NO_ANSWERS}"),
        column(
            "response_p50_s",
            pa.float64(),
            "median response time in seconds (linear interpolation between the closest ranks)",
        ),
        column("response_p90_s", pa.float64(), "90th percentile of the response time in seconds (interpolated likewise)"),
        column("n_csi", pa.int64(), "items with at least one answer the CSI weighs (0 when [metrics.csi] is not set)"),
        column(
            "csi",
            pa.float64(),
            "mean customer satisfaction index 0-100: per item, the [metrics.csi] weighted mean of its answers on "
            "0-100 (csat (x - 1) * 25, nps x * 10, ces (7 - x) * 100 / 6), over the weighed answers it has",
        ),
        VERSION,
    ]
    return TableSpec(
        name="daily_summary",
        schema=table_schema("per created_date, source, channel and language", fields),
        key=("source", "channel", "language"),
        partition_column="created_date",
        partition_description="the UTC date the feedback was written",
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
    schema=table_schema(
        "one row per run",
        [
            key_column("run_id", pa.string(), "the run's id"),
            column("flow", pa.string(), "the flow that ran"),
            column("parameters", pa.string(), "the run's parameters (JSON)"),
            column("started_at", UTC_TIMESTAMP, "when the run started"),
            column("ended_at", UTC_TIMESTAMP, "when the run ended"),
            column("status", pa.string(), "`success`, `partial` when some source failed, `failed` when all did"),
            column("rows_in", pa.int64(), "records read from the sources"),
            column("rows_quarantined", pa.int64(), "records that went to quarantine"),
            column("rows_stored", pa.int64(), "feedback items stored"),
            column("rows_changed", pa.int64(), "new or changed feedback and scored rows"),
            column("source_counts", SOURCE_COUNT_TYPE, "per source: its status, records extracted, quarantined, "
                   "stored, and its error when it failed"),
            column("model_version", pa.string(), "the model that scored the run"),
            column("code_version", pa.string(), "the version of causa that ran"),
            VERSION,
        ],
    ),
    key=("run_id",),
    partition_column="run_date",
    partition_description="the night of the run",
)

QUARANTINE = TableSpec(
    name="quarantine",
    schema=table_schema(
        "records that failed validation",
        [
            key_column("quarantine_id", pa.string(), "hash of source, origin and record"),
            column("source", pa.string(), "configured source name"),
            column("source_item_id", pa.string(), "the item's id at the source, when readable"),
            column("raw", pa.string(), "the record as received, as JSON, with personal data redacted"),
            column("reason", pa.string(), "why it failed, e.g. `file.csv:12: rating 9 is outside 1..5`"),
            RUN_ID,
            VERSION,
        ],
    ),
    key=("quarantine_id",),
    partition_column="received_date",
    volatile_columns=("run_id",),
    partition_description="the night of the run",
)


def alerts_spec() -> TableSpec:
    """alerts: one row per day, cause and channel whose count or share was abnormally high (causa.storage.alerts)."""
    return TableSpec(
        name="alerts",
        schema=table_schema(
            "one row per day, cause and channel with a spike",
            [
                key_column("cause", pa.string(), "the cause that spiked"),
                key_column("channel", pa.string(), "the channel it spiked in"),
                column("count", pa.int64(), "items with the cause that day in the channel"),
                column("n_feedback", pa.int64(), "all items that day in the channel"),
                column("share", pa.float64(), "count / n_feedback"),
                column(
                    "baseline_days",
                    pa.int64(),
                    "days of the trailing 28 (the day itself excluded) with feedback in the channel",
                ),
                column("baseline_count", pa.int64(), "items with the cause in those days"),
                column("baseline_feedback", pa.int64(), "all items in those days"),
                column("expected_count", pa.float64(), "(baseline_count + 0.5) / baseline_days: the usual count per day"),
                column(
                    "baseline_share", pa.float64(), "(baseline_count + 0.5) / (baseline_feedback + 1): the usual share"
                ),
                column("p_count", pa.float64(), "P(Poisson(expected_count) >= count)"),
                column("p_share", pa.float64(), "P(Binomial(n_feedback, baseline_share) >= count)"),
                column("triggered_by", pa.string(), "`count`, `share` or `count+share`: the tests below alpha"),
                column("rule", pa.string(), "the rule in words"),
                VERSION,
            ],
        ),
        key=("cause", "channel"),
        partition_column="created_date",
        partition_description="the day of the spike",
    )


ALERTS = alerts_spec()

TABLES: tuple[TableSpec, ...] = (FEEDBACK, SCORED, DAILY_SUMMARY, RUNS, QUARANTINE, ALERTS)
"""Every lake table (daily_summary with the default causes)."""


def table_spec(name: str) -> TableSpec:
    """The lake table called `name` (daily_summary with the default causes)."""
    for spec in TABLES:
        if spec.name == name:
            return spec
    raise ValueError(f"no lake table is called {name!r}; the tables are {[spec.name for spec in TABLES]}")
