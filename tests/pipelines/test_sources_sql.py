"""The SQL source against a real PostgreSQL server the tests start, and SQLite: queries from a watermark on."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, text

from causa.pipelines.settings import SettingsError, parse_settings
from causa.pipelines.sources import SourceError, Start
from causa.pipelines.sources.sql import SqlSource
from causa.pipelines.validation import validate_records
from causa.storage.state import StateStore
from tests.pipelines.postgres_server import start_postgres

FIELDS = {"id": "id", "text": "body", "created_at": "created_at", "rating": "score"}


@pytest.fixture(scope="module")
def postgres():
    yield from start_postgres()


@pytest.fixture()
def tickets(postgres, monkeypatch):
    """A fresh `tickets` table with five rows; the URL is given to the source through an environment variable."""
    engine = create_engine(postgres.url)
    with engine.begin() as db:
        db.execute(text("drop table if exists tickets"))
        db.execute(text(
            "create table tickets (id serial primary key, body text not null, created_at timestamptz not null, "
            "updated_at timestamptz not null, score numeric(3, 1))"
        ))
        for n in range(1, 6):
            db.execute(text("insert into tickets (body, created_at, updated_at, score) values (:b, :c, :c, :s)"),
                       {"b": f"Ticket {n}: the refund is still not here", "c": datetime(2026, 10, n, 9, tzinfo=timezone.utc),
                        "s": Decimal(n % 5 + 1)})
    monkeypatch.setenv("CAUSA_TEST_PG_URL", postgres.url)
    yield engine
    engine.dispose()


def sql_source(url: str, query: str, column: str = "updated_at", name: str = "crm", **extra):
    entry = {"name": name, "kind": "sql", "url": url, "query": query, "watermark_column": column,
             "channel": "ticket", "fields": FIELDS, **extra}
    return parse_settings({"sources": [entry]}).sources[0]


QUERY = "select id, body, created_at, updated_at, score from tickets"


def test_postgres_rows_come_in_watermark_order_and_resume_from_the_watermark(tickets) -> None:
    source = sql_source("${CAUSA_TEST_PG_URL}", QUERY + ";", batch_size=2)
    first = SqlSource(source)
    records = list(first.extract())
    assert [r.data["id"] for r in records] == [1, 2, 3, 4, 5]
    mark = first.checkpoint().watermark
    assert mark == datetime(2026, 10, 5, 9, tzinfo=timezone.utc)
    good, bad = validate_records(records, source, date(2026, 11, 1))
    assert not bad and [c.rating for c in good] == [2.0, 3.0, 4.0, 5.0, 1.0] and good[0].channel == "ticket"

    with tickets.begin() as db:
        db.execute(text("update tickets set body = 'Ticket 2: solved, thanks', updated_at = :u where id = 2"),
                   {"u": datetime(2026, 10, 7, tzinfo=timezone.utc)})
        db.execute(text("insert into tickets (body, created_at, updated_at) values ('Ticket 6', :c, :c)"),
                   {"c": datetime(2026, 10, 6, tzinfo=timezone.utc)})
    second = SqlSource(source, Start(watermark=mark))
    again = list(second.extract())
    assert [r.data["id"] for r in again] == [5, 6, 2]  # the row at the watermark, the new row, the edited row
    assert again[2].data["body"] == "Ticket 2: solved, thanks"
    assert second.checkpoint().watermark == datetime(2026, 10, 7, tzinfo=timezone.utc)


def test_postgres_since_date_overrides_the_watermark(tickets) -> None:
    source = sql_source("${CAUSA_TEST_PG_URL}", QUERY)
    start = Start(watermark=datetime(2026, 10, 5, 9, tzinfo=timezone.utc), since=date(2026, 10, 3))
    assert [r.data["id"] for r in SqlSource(source, start).extract()] == [3, 4, 5]


def test_postgres_errors_name_the_source_and_hide_the_password(tickets, postgres, monkeypatch) -> None:
    bad_column = sql_source("${CAUSA_TEST_PG_URL}", QUERY, column="changed_at")
    with pytest.raises(SourceError, match=r"source 'crm': query on .* failed \(check query and watermark_column "
                                          r"'changed_at'\): .*changed_at") as raised:
        list(SqlSource(bad_column).extract())
    assert not raised.value.transient  # a wrong column stays wrong: the night does not pull it again
    monkeypatch.setenv("CAUSA_TEST_DOWN_URL", "postgresql+psycopg://causa:hunter2@127.0.0.1:1/postgres")
    down = sql_source("${CAUSA_TEST_DOWN_URL}", QUERY)
    with pytest.raises(SourceError) as raised:
        list(SqlSource(down).extract())
    assert "hunter2" not in str(raised.value) and "127.0.0.1:1" in str(raised.value)
    assert raised.value.transient  # a server that cannot be reached may be back in a moment
    monkeypatch.delenv("CAUSA_TEST_DOWN_URL")
    with pytest.raises(SourceError, match="CAUSA_TEST_DOWN_URL, which is not set"):
        list(SqlSource(down).extract())


def test_postgres_source_in_the_nightly_flow_lands_once(tickets, prefect_server, tmp_path: Path) -> None:
    from causa.pipelines.flows import nightly

    config = tmp_path / "causa.toml"
    config.write_text(
        '[lake]\nroot = "lake"\n[[sources]]\nname = "crm"\nkind = "sql"\nurl = "${CAUSA_TEST_PG_URL}"\n'
        f'query = "{QUERY}"\nwatermark_column = "updated_at"\nchannel = "ticket"\n'
        '[sources.fields]\nid = "id"\ntext = "body"\ncreated_at = "created_at"\nrating = "score"\n',
        encoding="utf-8",
    )
    first = nightly(config_path=str(config), run_date=date(2026, 11, 1))
    assert first.status == "success" and first.outcomes[0].stored == 5
    assert StateStore(tmp_path / "lake").watermark("crm") == datetime(2026, 10, 5, 9, tzinfo=timezone.utc)
    with tickets.begin() as db:
        db.execute(text("insert into tickets (body, created_at, updated_at) values ('Late ticket', :c, :c)"),
                   {"c": datetime(2026, 10, 8, tzinfo=timezone.utc)})
    second = nightly(config_path=str(config), run_date=date(2026, 11, 1))
    assert second.outcomes[0].extracted == 2  # the row at the watermark again, and the new one
    with duckdb.connect() as db:
        count, unique = db.execute(
            f"select count(*), count(distinct feedback_id) from read_parquet('{tmp_path}/lake/feedback/*/*.parquet')"
        ).fetchall()[0]
    assert count == unique == 6


@pytest.fixture()
def sqlite_db(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.db"
    with sqlite3.connect(path) as db:
        db.execute("create table reviews (seq integer primary key, body text, created_at text, stars integer)")
        db.executemany(
            "insert into reviews (body, created_at, stars) values (?, ?, ?)",
            [(f"Review {n}", f"2026-10-{n:02d} 10:00:00", n % 5 + 1) for n in range(1, 8)],
        )
    return path


def test_sqlite_text_times_resume_and_since(sqlite_db: Path) -> None:
    source = sql_source(f"sqlite:///{sqlite_db}", "select seq as id, body, created_at, stars as score from reviews",
                        column="created_at", name="shop")
    first = SqlSource(source)
    assert len(list(first.extract())) == 7
    mark = first.checkpoint().watermark
    assert mark == "2026-10-07 10:00:00"
    assert [r.data["id"] for r in SqlSource(source, Start(watermark=mark)).extract()] == [7]
    since = SqlSource(source, Start(watermark=mark, since=date(2026, 10, 5)))
    assert [r.data["id"] for r in since.extract()] == [5, 6, 7]
    good, bad = validate_records(list(SqlSource(source).extract()), source, date(2026, 11, 1))
    assert len(good) == 7 and not bad and good[0].created_at == datetime(2026, 10, 1, 10, tzinfo=timezone.utc)


def test_sqlite_integer_watermark(sqlite_db: Path) -> None:
    source = sql_source(f"sqlite:///{sqlite_db}", "select seq, seq as id, body, created_at, stars as score from reviews",
                        column="seq", name="shop")
    connector = SqlSource(source, Start(watermark=5))
    assert [r.data["seq"] for r in connector.extract()] == [5, 6, 7]
    assert connector.checkpoint().watermark == 7


def test_sqlite_missing_table_is_a_source_error(tmp_path: Path) -> None:
    source = sql_source(f"sqlite:///{tmp_path / 'empty.db'}", "select * from nowhere", name="shop")
    missing = "source 'shop': query on sqlite:///.* failed .*no such table: nowhere"
    with pytest.raises(SourceError, match=missing) as raised:
        list(SqlSource(source).extract())
    assert not raised.value.transient


def test_a_relative_sqlite_path_is_relative_to_the_configuration_not_the_working_folder(
    sqlite_db: Path, tmp_path: Path, monkeypatch
) -> None:
    from causa.pipelines.settings import load_settings
    from causa.pipelines.sources import open_source

    config = tmp_path / "causa.toml"
    config.write_text(
        '[[sources]]\nname = "shop"\nkind = "sql"\nurl = "sqlite:///reviews.db"\n'
        'query = "select seq as id, body, created_at from reviews"\nwatermark_column = "created_at"\n'
        'channel = "review"\n[sources.fields]\nid = "id"\ntext = "body"\ncreated_at = "created_at"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(config)
    records = list(open_source(settings.sources[0], settings.base_dir).extract())
    assert [r.data["id"] for r in records] == list(range(1, 8))
    assert not any(elsewhere.iterdir()), "no database file may be created in the working folder"


def test_sample_sqlite_url_reads_the_bundled_tickets_from_a_copied_configuration(tmp_path: Path, monkeypatch) -> None:
    from causa.pipelines.settings import default_config_path, load_settings, sample_root
    from causa.pipelines.sources import open_source

    config = tmp_path / "causa.toml"
    config.write_text(default_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(config)
    [tickets] = [s for s in settings.sources if s.kind == "sql"]
    assert tickets.sql is not None and "sample:" in tickets.sql.url
    with sqlite3.connect(sample_root() / "support" / "tickets.sqlite") as db:
        expected = [row[0] for row in db.execute("select ticket_id from tickets order by opened_at")]
    records = list(open_source(tickets, settings.base_dir).extract())
    assert [r.data["ticket_id"] for r in records] == expected and len(expected) > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["causa.toml"]


@pytest.mark.parametrize(
    ("url", "column", "message"),
    [
        ("postgresql://causa:secret@db/x", "updated_at", r"sources\.crm\.url holds a password"),
        ("just-a-name", "updated_at", r"sources\.crm\.url must be a SQLAlchemy URL"),
        ("sqlite:///x.db", "updated_at; drop table x", r"sources\.crm\.watermark_column must be a plain column"),
    ],
)
def test_sql_settings_errors_name_the_setting(url: str, column: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        sql_source(url, QUERY, column=column)


def test_postgres_responded_at_lands_as_response_seconds_in_the_nightly_flow(postgres, prefect_server, monkeypatch,
                                                                             tmp_path: Path) -> None:
    from causa.pipelines.flows import nightly

    engine = create_engine(postgres.url)
    with engine.begin() as db:
        db.execute(text("drop table if exists cases"))
        db.execute(text("create table cases (id serial primary key, body text not null, opened timestamptz not null, "
                        "first_reply timestamptz)"))
        opened = datetime(2026, 10, 7, 9, tzinfo=timezone.utc)
        for body, reply in [("The refund is late", datetime(2026, 10, 7, 9, 20, tzinfo=timezone.utc)),
                            ("Nobody answers the phone", None),
                            ("Wrong parcel delivered", datetime(2026, 10, 8, 9, tzinfo=timezone.utc))]:
            db.execute(text("insert into cases (body, opened, first_reply) values (:b, :o, :r)"),
                       {"b": body, "o": opened, "r": reply})
    engine.dispose()
    monkeypatch.setenv("CAUSA_TEST_PG_URL", postgres.url)
    config = tmp_path / "causa.toml"
    config.write_text(
        '[lake]\nroot = "lake"\n[[sources]]\nname = "cases"\nkind = "sql"\nurl = "${CAUSA_TEST_PG_URL}"\n'
        'query = "select id, body, \'en\' as lang, opened, first_reply from cases"\nwatermark_column = "opened"\n'
        'channel = "ticket"\n'
        '[sources.fields]\nid = "id"\ntext = "body"\nlanguage = "lang"\ncreated_at = "opened"\nresponded_at = "first_reply"\n',
        encoding="utf-8",
    )
    result = nightly(config_path=str(config), run_date=date(2026, 11, 1))
    assert result.status == "success" and result.outcomes[0].stored == 3
    lake = tmp_path / "lake"
    with duckdb.connect() as db:
        stored = db.execute(f"select source_item_id, response_seconds from read_parquet('{lake}/feedback/*/*.parquet') "
                            "order by 1").fetchall()
        [(responded, median, p90)] = db.execute(
            f"select sum(n_responded), max(response_p50_s), max(response_p90_s) from "
            f"read_parquet('{lake}/daily_summary/*/*.parquet') where n_responded > 0").fetchall()
    assert stored == [("1", 1200.0), ("2", None), ("3", 86400.0)]
    # one summary group (one day, source, channel and language): the median and 90th percentile of 1200 and 86400
    assert (responded, median, p90) == (2, pytest.approx(43800.0), pytest.approx(1200.0 + 0.9 * 85200.0))
