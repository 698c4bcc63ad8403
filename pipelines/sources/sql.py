"""SQL source: a query through SQLAlchemy (PostgreSQL via psycopg, SQLite, ...) read from its watermark on."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from causa.pipelines.settings import SettingsError, SourceSettings, SqlSettings, local_path, resolve_env
from causa.pipelines.sources.fields import lacking_fields, warn_of_missing_optional_fields
from causa.pipelines.sources.files import SourceError
from causa.pipelines.sources.progress import Checkpoint, Start
from causa.pipelines.sources.records import RawRecord
from causa.storage.state import Watermark, later

logger = logging.getLogger(__name__)

SUBQUERY = "causa_source"
TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")
"""SQLSTATE classes of failures that can pass: connection exception, transaction rollback (serialization failure,
deadlock), insufficient resources, operator intervention (server shutting down, statement cancelled on timeout)."""
TRANSIENT_SQLITE_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED")


class SqlSource:
    """Runs `SELECT * FROM (<query>) WHERE <watermark_column> >= :since ORDER BY <watermark_column>`, streamed.

    `>=` re-reads the rows at the watermark itself (rows committed later with the same time are not missed); the
    lake merges them by feedback_id, so nothing is duplicated. A SQLite database file is found as files sources'
    paths are: `sample:` points into the bundled sample, a relative path is relative to `base_dir`.
    """

    def __init__(self, settings: SourceSettings, start: Start | None = None, base_dir: Path | None = None) -> None:
        if settings.sql is None:
            raise SourceError(f"source {settings.name!r} is not a sql source")
        self.settings = settings
        self.sql: SqlSettings = settings.sql
        self.start = start or Start()
        self.base_dir = base_dir or Path.cwd()
        self._watermark: Watermark | None = None

    def since(self, dialect: str) -> Any:
        """The lower bound: the committed watermark, or the `--since` date in the watermark's own type."""
        day = self.start.since
        mark = self.start.watermark
        if day is None:
            return mark
        moment = datetime.combine(day, time(), tzinfo=timezone.utc)
        if isinstance(mark, bool):
            return moment
        if isinstance(mark, (int, float)):
            return int(moment.timestamp())
        if isinstance(mark, str) or (mark is None and dialect == "sqlite"):
            return day.isoformat()  # SQLite keeps times as text: compare as text
        if isinstance(mark, datetime) and mark.tzinfo is None:
            return moment.replace(tzinfo=None)
        return moment

    def extract(self) -> Iterator[RawRecord]:
        name, column = self.settings.name, self.sql.watermark_column
        try:
            url = sqlite_file_url(make_url(resolve_env(self.sql.url, f"sources.{name}.url")), self.base_dir)
        except SettingsError as error:
            raise SourceError(str(error)) from None
        except ArgumentError:
            raise SourceError(f"source {name!r}: url is not a SQLAlchemy database URL") from None
        shown = url.render_as_string(hide_password=True)
        try:
            engine = create_engine(url, poolclass=NullPool)
        except (ArgumentError, ImportError, SQLAlchemyError) as error:
            raise SourceError(f"source {name!r}: cannot use {shown}: {error}") from None
        connected = False
        try:
            quoted = engine.dialect.identifier_preparer.quote(column)
            since = self.since(engine.dialect.name)
            statement = f"SELECT * FROM ({self.sql.query}) AS {SUBQUERY}"
            if since is not None:
                statement += f" WHERE {SUBQUERY}.{quoted} >= :since"
            statement += f" ORDER BY {SUBQUERY}.{quoted}"
            logger.info("source %s: querying %s from %s = %r", name, shown, column, since)
            with engine.connect() as connection:
                connected = True
                result = connection.execution_options(stream_results=True, yield_per=self.sql.batch_size).execute(
                    text(statement), {"since": since} if since is not None else {}
                )
                if column not in result.keys():
                    raise SourceError(f"source {name!r}: watermark_column {column!r} is not a column of the query")
                if problem := lacking_fields(self.settings, result.keys(), "the query"):
                    raise SourceError(problem)
                warn_of_missing_optional_fields(self.settings, result.keys(), "the query")
                for number, row in enumerate(result, start=1):
                    data = dict(row._mapping)
                    self._watermark = later(self._watermark, watermark_value(data[column]))
                    yield RawRecord(origin=f"{name}:row {number}", data=data)
        except SQLAlchemyError as error:
            detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise SourceError(
                f"source {name!r}: query on {shown} failed (check query and watermark_column {column!r}): {detail}",
                transient=transient_failure(error, connected),
            ) from None
        finally:
            engine.dispose()

    def checkpoint(self) -> Checkpoint:
        """The highest watermark_column value read (stored once the rows are committed)."""
        return Checkpoint(watermark=self._watermark)


def sqlite_file_url(url: URL, base_dir: Path) -> URL:
    """`url` with the path of its SQLite database file resolved (`sqlite:///sample:support/tickets.sqlite`,
    `sqlite:///data/crm.db` next to the configuration); other databases, in-memory and `file:` URIs as they are."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return url
    return url.set(database=local_path(database, base_dir))


def transient_failure(error: SQLAlchemyError, connected: bool) -> bool:
    """Whether a database failure can pass on its own: a lost connection, a pool timeout, a transient SQLSTATE, a
    busy SQLite file, or a server that could not be reached (a driver error without SQLSTATE while connecting)."""
    if isinstance(error, PoolTimeout) or getattr(error, "connection_invalidated", False):
        return True
    driver_error = getattr(error, "orig", None)
    sqlstate = getattr(driver_error, "sqlstate", None) or getattr(driver_error, "pgcode", None)
    if sqlstate:
        return str(sqlstate)[:2] in TRANSIENT_SQLSTATE_CLASSES
    sqlite_error = getattr(driver_error, "sqlite_errorname", None)
    if sqlite_error:
        return sqlite_error in TRANSIENT_SQLITE_ERRORS
    return isinstance(error, OperationalError) and not connected


def watermark_value(value: Any) -> Watermark | None:
    """A watermark column value as a storable watermark (decimals become numbers, other types text)."""
    if value is None or isinstance(value, (datetime, date, int, float, str)) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)
