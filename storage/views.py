"""The lake as a DuckDB database file that BI tools open as it is: one view per table over its Parquet files, and
views for the common questions (complaints per cause, channel and week; the KPIs per day).

The file holds views, not copies: each reads the table's partition files when it is queried, so the file stays
small and shows what the lake holds now. A table without files yet (a fresh lake has no alerts or quarantine) is an
empty view with the table's columns; the next `causa views` (or night) points it at the files. The file is built
beside its target and renamed over it, so a reader never opens a half-built one.

Only a local lake has the file: views over an object store need DuckDB's httpfs extension, which is not bundled
with DuckDB and would be downloaded at run time.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb

from causa.nlp.taxonomy import SENTIMENTS
from causa.storage.errors import StorageError
from causa.storage.filesystem import LakePath, RemotePath
from causa.storage.layout import table_dir, table_glob, views_path
from causa.storage.schemas import DAILY_SUMMARY, TABLES, TableSpec, description
from causa.table_files import publish_file

logger = logging.getLogger(__name__)

COMPLAINTS_VIEW = "complaints_weekly"
KPIS_VIEW = "kpis_daily"
QUESTION_VIEWS: dict[str, str] = {
    COMPLAINTS_VIEW: "complaints per cause, channel and week (Monday), from daily_summary: complaints = items with "
    "the cause, items = all items of the channel that week, share = complaints / items",
    KPIS_VIEW: "daily_summary's metrics per day across sources, channels and languages, each mean weighted by the "
    "answers behind it (response-time percentiles are per group only: read them in daily_summary)",
}
"""The views for the common questions, with what each holds."""

WEIGHTED_METRICS: tuple[tuple[str, str], ...] = (
    ("avg_rating", "n_rated"),
    ("csat_pct", "n_csat"),
    ("nps", "n_nps"),
    ("ces_avg", "n_ces"),
    ("csi", "n_csi"),
)
"""daily_summary's means and the count each is a mean over: a day's value is their count-weighted mean."""


class RemoteLakeViewsError(StorageError, ValueError):
    """Views asked of a lake in an object store; the message names the lake and why there is no file."""


@dataclass(frozen=True)
class ViewsFile:
    """A written views file: where, its views, and the tables that had no files yet (empty views)."""

    path: Path
    views: tuple[str, ...]
    empty_tables: tuple[str, ...]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def has_files(root: Path, spec: TableSpec) -> bool:
    """Whether a table has at least one partition file."""
    return any(Path(table_dir(root, spec.name)).glob("*/*.parquet"))


def table_source(db: duckdb.DuckDBPyConnection, root: Path, spec: TableSpec) -> str:
    """The SELECT of a table's view: its partition files read with the partition column as a DATE column, or, for a
    table without files, no rows with the table's columns."""
    if has_files(root, spec):
        return (
            f"select * from read_parquet({_literal(table_glob(root, spec.name))}, hive_partitioning = true, "
            f"union_by_name = true, hive_types = {{{_literal(spec.partition_column)}: DATE}})"
        )
    empty = db.from_arrow(spec.schema.empty_table())
    columns = [f"cast(null as {type_}) as {_quoted(name)}" for name, type_ in zip(empty.columns, empty.types)]
    columns.append(f"cast(null as DATE) as {_quoted(spec.partition_column)}")
    return f"select {', '.join(columns)} where false"


def cause_columns(db: duckdb.DuckDBPyConnection) -> list[str]:
    """The causes daily_summary counts: each `cause_<name>` column that has its `cause_<name>_pct` beside it."""
    names = [row[0] for row in db.execute(f"describe {DAILY_SUMMARY.name}").fetchall()]
    return [name[len("cause_") :] for name in names if name.startswith("cause_") and f"{name}_pct" in names]


def complaints_sql(causes: Sequence[str]) -> str:
    """complaints_weekly: the cause_* counts of daily_summary summed per ISO week and channel, one row per cause."""
    if not causes:
        raise StorageError("daily_summary has no cause_<name> columns: there are no complaints to count per cause")
    sums = ", ".join(f"sum({_quoted('cause_' + cause)})" for cause in causes)
    names = ", ".join(_literal(cause) for cause in causes)
    return f"""
        with weekly as (
            select cast(date_trunc('week', created_date) as DATE) as week, channel, sum(n_feedback) as items,
                   [{sums}] as counts
            from {DAILY_SUMMARY.name}
            group by all
        ), per_cause as (
            select week, channel, unnest([{names}]) as cause, unnest(counts) as complaints, items from weekly
        )
        select week, channel, cause, cast(complaints as BIGINT) as complaints, cast(items as BIGINT) as items,
               complaints / nullif(items, 0) as share
        from per_cause
        order by week, channel, cause
    """


def kpis_sql() -> str:
    """kpis_daily: counts summed per day; each mean weighted by its count; negative_pct from the summed counts."""
    counts = ["n_feedback", *(f"n_{sentiment}" for sentiment in SENTIMENTS), "n_responded"]
    columns = [f"cast(sum({name}) as BIGINT) as {name}" for name in counts]
    columns.append("100 * sum(n_negative) / nullif(sum(n_feedback), 0) as negative_pct")
    for metric, count in WEIGHTED_METRICS:
        columns.append(f"cast(sum({count}) as BIGINT) as {count}")
        columns.append(
            f"sum({metric} * {count}) / nullif(sum(case when {metric} is not null then {count} end), 0) as {metric}"
        )
    return f"select created_date, {', '.join(columns)} from {DAILY_SUMMARY.name} group by created_date order by 1"


def _comment(db: duckdb.DuckDBPyConnection, view: str, text: str, columns: dict[str, str]) -> None:
    """The view's and its columns' descriptions as DuckDB comments (BI tools show them); a column the files have
    and the schema does not describe (a cause of another taxonomy) has none."""
    db.execute(f"comment on view {_quoted(view)} is {_literal(text)}")
    present = {row[0] for row in db.execute(f"describe {_quoted(view)}").fetchall()}
    for name, meaning in columns.items():
        if name in present:
            db.execute(f"comment on column {_quoted(view)}.{_quoted(name)} is {_literal(meaning)}")


def create_views(db: duckdb.DuckDBPyConnection, root: Path) -> tuple[list[str], list[str]]:
    """Creates every view in `db`; returns the views and the tables that had no files (empty views)."""
    views, empty = [], []
    for spec in TABLES:
        if not has_files(root, spec):
            empty.append(spec.name)
        db.execute(f"create view {_quoted(spec.name)} as {table_source(db, root, spec)}")
        meanings = {field.name: description(field) for field in spec.schema}
        meanings[spec.partition_column] = spec.partition_description
        _comment(db, spec.name, spec.description, meanings)
        views.append(spec.name)
    db.execute(f"create view {COMPLAINTS_VIEW} as {complaints_sql(cause_columns(db))}")
    db.execute(f"create view {KPIS_VIEW} as {kpis_sql()}")
    for view, meaning in QUESTION_VIEWS.items():
        _comment(db, view, meaning, {})
        views.append(view)
    return views, empty


def write_views(root: LakePath, output: Path | None = None) -> ViewsFile:
    """Writes the views file (`<lake root>/causa.duckdb` unless `output`), replacing the one there whole."""
    if isinstance(root, RemotePath):
        raise RemoteLakeViewsError(
            f"no DuckDB views for the lake {root}: views over an object store need DuckDB's httpfs extension, "
            "which is not bundled with DuckDB (it would be downloaded); query the Parquet files with a DuckDB that "
            "has it"
        )
    root = Path(root).resolve()
    path = Path(output) if output is not None else Path(views_path(root))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with duckdb.connect(str(temporary)) as db:
            views, empty = create_views(db, root)
            db.execute("checkpoint")
        publish_file(temporary, path)
    finally:
        for leftover in (temporary, Path(f"{temporary}.wal")):
            if leftover.exists():
                os.unlink(leftover)
    logger.info("%s: %d views over %s%s", path, len(views), root,
                f" ({', '.join(empty)} empty: no files yet)" if empty else "")
    return ViewsFile(path, tuple(views), tuple(empty))
