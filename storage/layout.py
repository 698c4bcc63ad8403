"""Every path under the lake root, named once: tables and their partitions, staging, source state, the default
model registry, the nightly report and the run lock.

    <root>/<table>/<partition column>=YYYY-MM-DD/part-0.parquet   the tables (Hive partitions, one file a day)
    <root>/.staging/<table>-<pid>-...                             batches and files being written
    <root>/_state/<source>/watermark.json, files.json             each source's watermark and file ledger
    <root>/_state/moved_from.json                                 dates rows moved away from, not yet resummarised
    <root>/models/                                                the model registry, unless model.registry is set
    <root>/report.html                                            the nightly report
    <root>/causa.duckdb                                           DuckDB views over the tables (a local lake's)
    <root>/.causa.lock                                            the run lock (a local lake's)
"""

from __future__ import annotations

import os
import re
from datetime import date

from causa.storage.filesystem import LakePath

PARTITION_FILE = "part-0.parquet"
STAGING_DIR = ".staging"
STATE_DIR = "_state"
WATERMARK_FILE = "watermark.json"
LEDGER_FILE = "files.json"
MOVED_FROM_FILE = "moved_from.json"
MODELS_DIR = "models"
REPORT_FILE = "report.html"
VIEWS_FILE = "causa.duckdb"
LOCK_FILE = ".causa.lock"

_STAGED_BY = re.compile(r"-(\d+)-[^-]*(\.parquet)?$")


def table_dir(root: LakePath, table: str) -> LakePath:
    return root / table


def partition_name(partition_column: str, day: date) -> str:
    """A partition folder's name: `<partition column>=YYYY-MM-DD`."""
    return f"{partition_column}={day.isoformat()}"


def partition_day(partition_column: str, name: str) -> date | None:
    """The date a partition folder's name holds; None for a name that is not one of the column's partitions."""
    prefix = f"{partition_column}="
    return date.fromisoformat(name[len(prefix) :]) if name.startswith(prefix) else None


def partition_file(root: LakePath, table: str, partition_column: str, day: date) -> LakePath:
    return table_dir(root, table) / partition_name(partition_column, day) / PARTITION_FILE


def table_glob(root: LakePath, table: str) -> str:
    """Every partition file of a table as one glob (`<root>/<table>/*/*.parquet`), the way DuckDB's read_parquet
    takes it."""
    return f"{table_dir(root, table)}/*/*.parquet"


def staging_dir(root: LakePath) -> LakePath:
    return root / STAGING_DIR


def staging_prefix(table: str) -> str:
    """The start of the name of this process's staged batches and files of `table`: `<table>-<pid>-`."""
    return f"{table}-{os.getpid()}-"


def staging_writer(name: str) -> int | None:
    """The process id in the name of a staged folder or file (see `staging_prefix`); None when it has none."""
    match = _STAGED_BY.search(name)
    return None if match is None else int(match.group(1))


def state_dir(root: LakePath) -> LakePath:
    return root / STATE_DIR


def moved_from_path(root: LakePath) -> LakePath:
    """The dates rows of a one-partition-per-key table moved away from, kept until their derived tables are
    recomputed (see causa.storage.lake.Lake.moved_from)."""
    return state_dir(root) / MOVED_FROM_FILE


def models_dir(root: LakePath) -> LakePath:
    """The model registry's folder when model.registry is not set."""
    return root / MODELS_DIR


def report_path(root: LakePath) -> LakePath:
    return root / REPORT_FILE


def views_path(root: LakePath) -> LakePath:
    """The DuckDB database file of views over the tables (causa.storage.views)."""
    return root / VIEWS_FILE


def lock_path(root: LakePath) -> LakePath:
    return root / LOCK_FILE
