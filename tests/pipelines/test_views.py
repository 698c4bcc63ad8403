"""The DuckDB views file a night writes beside the tables: BI tools open it read-only and see the lake as it is now."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.cli import main
from causa.pipelines.flows import nightly
from causa.storage.filesystem import RemotePath
from causa.storage.schemas import ALERTS, QUARANTINE, TABLES
from causa.storage.views import RemoteLakeViewsError, write_views

pytestmark = pytest.mark.usefixtures("prefect_server")

CONFIG = """[lake]
root = "lake"

[[sources]]
name = "shop"
kind = "files"
path = "shop/*.csv"
channel = "review"
[sources.fields]
id = "id"
text = "body"
created_at = "at"
rating = "stars"
csat = "csat"

[[sources]]
name = "desk"
kind = "files"
path = "desk/*.csv"
channel = "survey"
[sources.fields]
id = "id"
text = "body"
created_at = "at"
csat = "csat"
nps = "nps"
"""

SHOP_NIGHT_1 = """id,at,body,stars,csat
s1,2026-11-02T10:00:00Z,The courier was two days late and the parcel is still not here,2,2
s2,2026-11-02T11:00:00Z,Lovely staff and quick service,5,5
s3,2026-11-03T09:00:00Z,I was charged twice and the refund never arrived,1,1
s4,2026-11-10T09:00:00Z,Delivery was late again,2,
"""
DESK_NIGHT_1 = """id,at,body,csat,nps
d1,2026-11-02T08:00:00Z,Great support thank you,5,10
d2,2026-11-02T09:00:00Z,Agent was rude and the package arrived late,4,3
d3,2026-11-02T12:00:00Z,Fine,3,8
d4,2026-11-11T12:00:00Z,The app crashes every time I pay,2,0
"""
SHOP_NIGHT_2 = """id,at,body,stars,csat
s5,2026-11-17T10:00:00Z,Parcel came a week late,1,1
s6,2026-11-18T10:00:00Z,Very happy with the quality,5,4
"""


def parquet(lake: Path, table: str) -> str:
    return f"read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning = true)"


def parquet_rows(lake: Path, table: str) -> int:
    if not list((lake / table).glob("*/*.parquet")):
        return 0
    with duckdb.connect() as db:
        return db.execute(f"select count(*) from {parquet(lake, table)}").fetchone()[0]


def view_rows(path: Path, view: str) -> int:
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute(f"select count(*) from {view}").fetchone()[0]


def run_night(folder: Path, night: date) -> None:
    result = nightly(config_path=str(folder / "causa.toml"), run_date=night)
    assert result.status == "success"


@pytest.fixture(scope="module")
def first_night(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("views")
    (folder / "causa.toml").write_text(CONFIG, encoding="utf-8")
    for source, text in (("shop", SHOP_NIGHT_1), ("desk", DESK_NIGHT_1)):
        (folder / source).mkdir()
        (folder / source / "night-1.csv").write_text(text, encoding="utf-8")
    run_night(folder, date(2026, 11, 12))
    return folder


def test_night_writes_a_view_per_table_with_the_tables_rows(first_night: Path) -> None:
    lake = first_night / "lake"
    views_file = lake / "causa.duckdb"
    assert views_file.is_file()
    for spec in TABLES:
        assert view_rows(views_file, spec.name) == parquet_rows(lake, spec.name), spec.name
    assert view_rows(views_file, "feedback") == 8
    with duckdb.connect(str(views_file), read_only=True) as db:
        tables = {row[0] for row in db.execute("select table_name from duckdb_tables()").fetchall()}
        days = db.execute("select distinct created_date from feedback order by 1").fetchall()
    assert tables == set(), "the file holds views over the Parquet files, not copies"
    assert days == [(date(2026, 11, 2),), (date(2026, 11, 3),), (date(2026, 11, 10),), (date(2026, 11, 11),)]


def test_tables_without_files_are_empty_views_with_their_columns(first_night: Path) -> None:
    lake = first_night / "lake"
    assert not (lake / "alerts").exists() and not (lake / "quarantine").exists()
    with duckdb.connect(str(lake / "causa.duckdb"), read_only=True) as db:
        for spec in (ALERTS, QUARANTINE):
            columns = [row[0] for row in db.execute(f"describe {spec.name}").fetchall()]
            assert columns == [*spec.schema.names, spec.partition_column]
            assert db.execute(f"select count(*) from {spec.name}").fetchone() == (0,)


def test_complaints_weekly_equals_a_hand_count_over_the_parquet_files(first_night: Path) -> None:
    lake = first_night / "lake"
    hand = f"""
        select cast(date_trunc('week', f.created_date) as DATE) as week, f.channel, c.cause, count(*) as complaints
        from {parquet(lake, 'feedback')} f join {parquet(lake, 'scored')} s using (feedback_id),
             unnest(s.causes) as c(cause)
        group by all
    """
    items = f"""
        select cast(date_trunc('week', created_date) as DATE) as week, channel, count(*) as items
        from {parquet(lake, 'feedback')} group by all
    """
    with duckdb.connect() as db:
        expected = {(w, ch, cause): n for w, ch, cause, n in db.execute(hand).fetchall()}
        expected_items = {(w, ch): n for w, ch, n in db.execute(items).fetchall()}
    with duckdb.connect(str(lake / "causa.duckdb"), read_only=True) as db:
        rows = db.execute("select week, channel, cause, complaints, items, share from complaints_weekly").fetchall()
    assert expected, "the sample texts name causes"
    found = {(w, ch, cause): n for w, ch, cause, n, _, _ in rows if n}
    assert found == expected
    for week, channel, _, complaints, items_in_week, share in rows:
        assert items_in_week == expected_items[(week, channel)]
        assert share == pytest.approx(complaints / items_in_week)
    assert {row[0] for row in rows} == {date(2026, 11, 2), date(2026, 11, 9)}


def test_kpis_daily_weighs_each_metric_by_its_answers(first_night: Path) -> None:
    lake = first_night / "lake"
    with duckdb.connect(str(lake / "causa.duckdb"), read_only=True) as db:
        kpis = db.execute("select n_feedback, n_csat, csat_pct, n_nps, nps, n_rated, avg_rating from kpis_daily "
                          "where created_date = DATE '2026-11-02'").fetchone()
        columns = [row[0] for row in db.execute("describe kpis_daily").fetchall()]
    # 2026-11-02: shop s1 (csat 2), s2 (5); desk d1 (5, nps 10), d2 (4, nps 3), d3 (3, nps 8)
    assert kpis[:2] == (5, 5)
    assert kpis[2] == pytest.approx(100 * 3 / 5)  # not the plain mean of the groups' csat_pct
    assert kpis[3:5] == (3, pytest.approx(100 * (1 - 1) / 3))
    assert kpis[5] == 2 and kpis[6] == pytest.approx((2 + 5) / 2)
    assert not any(name.startswith("response_p") for name in columns)


def test_views_show_the_next_night_without_being_written_again(first_night: Path, capsys) -> None:
    lake = first_night / "lake"
    elsewhere = first_night / "bi" / "lake.duckdb"
    assert main(["views", "--config", str(first_night / "causa.toml"), "-o", str(elsewhere)]) == 0
    assert f"-> {elsewhere}" in capsys.readouterr().out
    before = view_rows(elsewhere, "feedback")
    (first_night / "shop" / "night-2.csv").write_text(SHOP_NIGHT_2, encoding="utf-8")
    run_night(first_night, date(2026, 11, 19))
    assert view_rows(elsewhere, "feedback") == before + 2 == parquet_rows(lake, "feedback")
    assert view_rows(elsewhere, "runs") == 2
    with duckdb.connect(str(elsewhere), read_only=True) as db:
        weeks = {row[0] for row in db.execute("select week from complaints_weekly").fetchall()}
    assert date(2026, 11, 16) in weeks


def test_rerunning_replaces_the_file_whole_while_a_reader_has_it_open(first_night: Path) -> None:
    lake = first_night / "lake"
    reader = duckdb.connect(str(lake / "causa.duckdb"), read_only=True)
    try:
        assert main(["views", "--config", str(first_night / "causa.toml")]) == 0
        assert reader.execute("select count(*) from feedback").fetchone()[0] == parquet_rows(lake, "feedback")
    finally:
        reader.close()
    assert view_rows(lake / "causa.duckdb", "kpis_daily") > 0
    assert not [path.name for path in lake.iterdir() if path.name.endswith((".tmp", ".wal"))]


def test_a_remote_lake_has_no_views_file() -> None:
    with pytest.raises(RemoteLakeViewsError, match="s3://bucket/lake.*httpfs"):
        write_views(RemotePath("s3://bucket/lake"))
