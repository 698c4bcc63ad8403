"""A source whose records lack a mapped required field altogether fails, in the night and in `causa sources check`,
naming the source, the field and the fields the records have; nothing of it is quarantined or committed, so fixing
the mapping and running again lands every row. A few records without a value still go to quarantine one by one."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.cli import main
from causa.pipelines.settings import SourceSettings
from causa.pipelines.sources import FileSource, SourceError
from causa.storage.state import StateStore
from tests.pipelines.sources_server import FeedbackApi, make_items

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 1)
ROWS = [("f1", "The delivery was late again", "2026-10-03T10:00:00Z"),
        ("f2", "Great staff and a quick refund", "2026-10-04T10:00:00Z"),
        ("f3", "Nobody answered my emails", "2026-10-05T10:00:00Z")]


def lake_rows(lake: Path, table: str, columns: str) -> list[tuple]:
    if not (lake / table).is_dir():
        return []
    with duckdb.connect() as db:
        return db.execute(
            f"select {columns} from read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning = true)"
        ).fetchall()


def source_table(kind: str, folder: Path, api: FeedbackApi) -> str:
    """A `kind` source whose records hold the fields id, body and created_at (and not `text`)."""
    if kind == "files":
        lines = ["id,body,created_at"] + [",".join(row) for row in ROWS]
        (folder / "shop.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return 'kind = "files"\npath = "shop.csv"\n'
    if kind == "http":
        api.items = [{"id": item_id, "body": text, "created_at": at} for item_id, text, at in ROWS]
        return (f'kind = "http"\nurl = "{api.base}/page"\nrecords = "data"\nretries = 0\n'
                '[sources.pagination]\nstyle = "page"\nsize_param = "per_page"\npage_size = 10\n')
    with sqlite3.connect(folder / "crm.db") as db:
        db.execute("create table notes (id text primary key, body text, created_at text)")
        db.executemany("insert into notes values (?, ?, ?)", ROWS)
    return (f'kind = "sql"\nurl = "sqlite:///{folder / "crm.db"}"\nquery = "select id, body, created_at from notes"\n'
            'watermark_column = "created_at"\n')


def write_config(folder: Path, source: str, text_field: str) -> Path:
    config = folder / "causa.toml"
    config.write_text(
        '[lake]\nroot = "lake"\n[[sources]]\nname = "shop"\nchannel = "review"\n' + source
        + f'[sources.fields]\nid = "id"\ntext = "{text_field}"\ncreated_at = "created_at"\n',
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize("kind", ["files", "http", "sql"])
def test_a_source_lacking_the_mapped_text_field_fails_and_lands_whole_once_the_mapping_is_fixed(
    kind: str, tmp_path: Path, api: FeedbackApi, capsys
) -> None:
    source = source_table(kind, tmp_path, api)
    config = write_config(tmp_path, source, text_field="text")  # the records say `body`
    lake, state = tmp_path / "lake", StateStore(tmp_path / "lake")

    assert main(["sources", "check", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"shop ({kind}): FAILED: SourceError: source 'shop':" in out
    assert "have no field text = 'text'" in out and "'body', 'created_at', 'id'" in out

    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat()]) == 1
    out = capsys.readouterr().out
    assert "shop: 0 read" in out and "FAILED" in out
    [(status, counts)] = lake_rows(lake, "runs", "status, source_counts")
    assert status == "failed" and counts[0]["status"] == "failed"
    assert "source 'shop'" in counts[0]["error"] and "text = 'text'" in counts[0]["error"]
    assert "'body', 'created_at', 'id'" in counts[0]["error"]
    assert lake_rows(lake, "quarantine", "reason") == [] and lake_rows(lake, "feedback", "feedback_id") == []
    assert state.watermark("shop") is None and state.ledger("shop") == {}

    write_config(tmp_path, source, text_field="body")
    assert main(["sources", "check", "--config", str(config)]) == 0
    assert f"shop ({kind}): ok, 3 records" in capsys.readouterr().out
    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat()]) == 0
    assert sorted(lake_rows(lake, "feedback", "source_item_id, text")) == [(row[0], row[1]) for row in ROWS]
    assert lake_rows(lake, "quarantine", "reason") == []
    assert state.watermark("shop") is not None or state.ledger("shop") != {}


def test_a_few_records_without_a_value_still_go_to_quarantine(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,body,at\n1,Late,2026-10-01\n2,,2026-10-01\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(
        '{"id": "3", "body": "Rude", "at": "2026-10-02"}\n{"id": "4", "at": "2026-10-02"}\nnot json\n',
        encoding="utf-8",
    )
    source = SourceSettings(name="drops", kind="files", path=str(tmp_path / "*.*"), channel="review",
                            fields={"id": "id", "text": "body", "created_at": "at"})
    records = list(FileSource(source, tmp_path).extract())
    assert [record.data.get("id") for record in records] == ["1", "2", "3", "4", None]


def test_a_json_lines_file_is_judged_by_all_its_records(tmp_path: Path) -> None:
    lines = [{"id": str(n), "message": "Late", "at": "2026-10-01"} for n in range(3)]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\nbroken\n", encoding="utf-8")
    source = SourceSettings(name="drops", kind="files", path=str(tmp_path / "*.jsonl"), channel="review",
                            fields={"id": "id", "text": "body", "created_at": "at"})
    with pytest.raises(SourceError, match=r"a\.jsonl have no field text = 'body'.*'at', 'id', 'message'"):
        list(FileSource(source, tmp_path).extract())


def test_an_http_page_whose_items_lack_the_created_at_field_fails_the_source(api: FeedbackApi) -> None:
    from causa.pipelines.sources.http import HttpSource

    api.items = make_items(3)
    source = SourceSettings(name="api", kind="http", url=f"{api.base}/page", records="data", channel="review",
                            fields={"id": "id", "text": "text", "created_at": "date"}, retries=0)
    with pytest.raises(SourceError, match=r"page 1 of .*/page have no field created_at = 'date'") as failure:
        list(HttpSource(source).extract())
    assert failure.value.transient is False


def optional_field_warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.levelname == "WARNING" and "read as empty" in record.getMessage()]


def test_an_optional_field_no_record_of_a_file_has_reads_as_empty_with_one_warning_per_file(
    tmp_path: Path, caplog
) -> None:
    (tmp_path / "a.csv").write_text("id,body,at\n1,Late,2026-10-01\n2,Rude,2026-10-01\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(
        '{"id": "3", "body": "Slow", "at": "2026-10-02", "stars": 2}\n'
        '{"id": "4", "body": "Fine", "at": "2026-10-02"}\n',
        encoding="utf-8",
    )
    (tmp_path / "c.jsonl").write_text('{"id": "5", "body": "Great", "at": "2026-10-03", "stars": 5, "who": "ann"}\n',
                                      encoding="utf-8")
    source = SourceSettings(name="drops", kind="files", path=str(tmp_path / "*.*"), channel="review",
                            fields={"id": "id", "text": "body", "created_at": "at", "rating": "stars", "author": "who"})
    with caplog.at_level("WARNING"):
        records = list(FileSource(source, tmp_path).extract())
    assert [record.data["id"] for record in records] == ["1", "2", "3", "4", "5"]
    a_csv, b_jsonl = optional_field_warnings(caplog)
    assert a_csv.startswith("source 'drops': the records of ") and "a.csv have no field rating = 'stars', " in a_csv
    assert "author = 'who' ([sources.fields]), read as empty; they have the fields 'at', 'body', 'id'" in a_csv
    assert "b.jsonl have no field author = 'who' (" in b_jsonl and "'at', 'body', 'id', 'stars'" in b_jsonl


def test_an_optional_field_no_item_of_the_api_has_is_told_once_per_run(api: FeedbackApi, caplog) -> None:
    from causa.pipelines.sources.http import HttpSource

    api.items = make_items(25)
    source = SourceSettings(name="api", kind="http", url=f"{api.base}/page", records="data", channel="review",
                            fields={"id": "id", "text": "text", "created_at": "created_at", "rating": "stars",
                                    "product": "sku"},
                            retries=0, pagination={"size_param": "per_page", "page_size": 10})
    with caplog.at_level("WARNING"):
        assert len(list(HttpSource(source).extract())) == 25
    [warning] = optional_field_warnings(caplog)
    assert "source 'api': the records of page 1 of " in warning and "have no field product = 'sku' (" in warning
    assert "'author', 'created_at', 'id', 'stars', 'text'" in warning


def test_an_optional_field_the_query_lacks_is_told_and_the_rows_land(tmp_path: Path, caplog) -> None:
    source = source_table("sql", tmp_path, api=None)
    config = write_config(tmp_path, source, text_field="body")
    config.write_text(config.read_text() + 'nps = "score"\n', encoding="utf-8")
    with caplog.at_level("WARNING"):
        assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat()]) == 0
    assert any("source 'shop': the records of the query have no field nps = 'score' ([sources.fields]), read as "
               "empty; they have the fields 'body', 'created_at', 'id'" in warning
               for warning in optional_field_warnings(caplog))
    assert sorted(lake_rows(tmp_path / "lake", "feedback", "source_item_id, text")) == [(r[0], r[1]) for r in ROWS]
