"""Sources in the nightly flow: a failing source is isolated and resumed, only a failure that can pass is pulled
again, a night with every source failed ends Failed, watermarks move only after commit, `--since` re-pulls without
duplicates, the file ledger skips what was read, `causa sources check` shows fields."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

import causa.pipelines.flows as flows
from causa.pipelines.cli import main
from causa.pipelines.flows import NightFailed, nightly, run_nightly
from causa.pipelines.sources.http import HttpSource
from causa.storage.state import StateStore
from tests.pipelines.sources_server import FeedbackApi, make_items

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 1)


@pytest.fixture()
def quick_task_retries(monkeypatch):
    """A source failing in a way that can pass is still pulled again, without the production waits in between."""
    monkeypatch.setattr(flows, "pull_source", flows.pull_source.with_options(retry_delay_seconds=0))


def lake_rows(lake: Path, table: str, columns: str) -> list[tuple]:
    with duckdb.connect() as db:
        return db.execute(
            f"select {columns} from read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning = true)"
        ).fetchall()


def write_config(folder: Path, api: FeedbackApi) -> Path:
    (folder / "drops").mkdir()
    (folder / "drops" / "shop.csv").write_text(
        "id,body,at\nf1,The delivery was late again,2026-10-03T10:00:00Z\nf2,Great staff,2026-10-04T10:00:00Z\n",
        encoding="utf-8",
    )
    config = folder / "causa.toml"
    config.write_text(
        f"""
[lake]
root = "lake"

[[sources]]
name = "api"
kind = "http"
url = "{api.base}/page"
headers = {{ Authorization = "Bearer ${{CAUSA_TEST_API_TOKEN}}" }}
records = "data"
since_param = "since"
retries = 1
backoff = 0.01
channel = "review"
[sources.pagination]
style = "page"
size_param = "per_page"
page_size = 10
[sources.fields]
id = "id"
text = "text"
created_at = "created_at"
rating = "stars"
author = "author"

[[sources]]
name = "shop"
kind = "files"
path = "drops/*.csv"
channel = "review"
[sources.fields]
id = "id"
text = "body"
created_at = "at"
""",
        encoding="utf-8",
    )
    return config


def test_failing_source_is_isolated_then_resumed_and_since_repulls_without_duplicates(
    tmp_path: Path, api: FeedbackApi, monkeypatch, quick_task_retries, capsys
) -> None:
    monkeypatch.setenv("CAUSA_TEST_API_TOKEN", "token-for-tests")
    api.required_token = "token-for-tests"
    config = write_config(tmp_path, api)
    lake = tmp_path / "lake"
    state = StateStore(lake)

    api.always["/page"] = 503  # night 1: the API is down
    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat()]) == 1
    assert "api: 0 read" in capsys.readouterr().out
    [(status, counts)] = lake_rows(lake, "runs", "status, source_counts")
    by_source = {entry["source"]: entry for entry in counts}
    assert status == "partial"
    assert by_source["api"]["status"] == "failed" and "HTTP 503" in by_source["api"]["error"]
    assert by_source["shop"]["stored"] == 2
    assert state.watermark("api") is None and len(state.ledger("shop")) == 1

    del api.always["/page"]  # night 2: it is back; the files already read are skipped
    api.requests.clear()
    second = nightly(config_path=str(config), run_date=RUN_DATE)
    assert second.status == "success"
    assert {o.source: o.extracted for o in second.outcomes} == {"api": 25, "shop": 0}
    assert "since" not in api.requests[0][1]  # nothing had been committed: from the start
    last = datetime.fromisoformat(api.items[-1]["created_at"])
    assert state.watermark("api") == last

    api.items += make_items(5, start_day=20, prefix="n")  # night 3: only what is new
    api.requests.clear()
    third = nightly(config_path=str(config), run_date=RUN_DATE)
    assert api.requests[0][1]["since"] == "2026-10-08T00:00:00Z"
    assert {o.source: o.extracted for o in third.outcomes} == {"api": 6, "shop": 0}
    assert state.watermark("api") == datetime.fromisoformat(api.items[-1]["created_at"])
    ids = [row[0] for row in lake_rows(lake, "feedback", "feedback_id")]
    assert len(ids) == len(set(ids)) == 25 + 5 + 2

    api.requests.clear()  # a re-pull from a date: everything again, nothing doubled, watermark kept
    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat(), "--since", "2026-10-01"]) == 0
    assert api.requests[0][1]["since"] == "2026-10-01T00:00:00Z"
    runs = sorted(lake_rows(lake, "runs", "started_at, rows_in, rows_changed, parameters"))
    assert runs[-1][1] == 30 + 2 and runs[-1][2] == 0 and '"since": "2026-10-01"' in runs[-1][3]
    ids = [row[0] for row in lake_rows(lake, "feedback", "feedback_id")]
    assert len(ids) == len(set(ids)) == 32
    assert state.watermark("api") == datetime.fromisoformat(api.items[-1]["created_at"])


def api_config(folder: Path, url: str, extra: str = "") -> Path:
    """One http source that does not retry a page itself (retries = 0): any second request is the flow's retry."""
    config = folder / "causa.toml"
    config.write_text(
        f'''
[lake]
root = "lake"

[[sources]]
name = "api"
kind = "http"
url = "{url}"
records = "data"
retries = 0
channel = "review"
[sources.pagination]
style = "page"
size_param = "per_page"
page_size = 10
[sources.fields]
id = "id"
text = "text"
created_at = "created_at"
''' + extra,
        encoding="utf-8",
    )
    return config


def flow_run_parameters(flow_name: str) -> list[dict]:
    """The parameters the Prefect API holds for every run of the flow named `flow_name`."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                                     sort=FlowRunSort.START_TIME_ASC, limit=200)
    return [run.parameters for run in runs]


def test_a_source_answering_503_is_pulled_again_and_lands(tmp_path: Path, api: FeedbackApi, monkeypatch,
                                                          quick_task_retries) -> None:
    monkeypatch.setenv("CAUSA_AUTHOR_SALT", "salt-that-never-leaves-this-machine")
    api.faults[("/page", "1")].append(503)
    result = nightly(config_path=str(api_config(tmp_path, f"{api.base}/page")), run_date=RUN_DATE)
    assert result.status == "success"
    assert [(o.extracted, o.stored) for o in result.outcomes] == [(25, 25)]
    assert [query["page"] for _, query in api.requests] == ["1", "1", "2", "3"]  # the first pull got a 503
    assert len(lake_rows(tmp_path / "lake", "feedback", "feedback_id")) == 25
    parameters = flow_run_parameters(f"{flows.FLOW_NAME}-sources")
    assert parameters and all(run["loaded"] == "<LoadedSettings>" for run in parameters)
    assert "salt-that-never-leaves-this-machine" not in json.dumps(parameters + flow_run_parameters(flows.FLOW_NAME))


def test_a_source_answering_404_is_not_pulled_again(tmp_path: Path, api: FeedbackApi, quick_task_retries) -> None:
    result = run_nightly(config_path=str(api_config(tmp_path, f"{api.base}/nowhere")), run_date=RUN_DATE)
    [outcome] = result.outcomes
    assert result.status == outcome.status == "failed"
    assert "HTTP 404" in outcome.error
    assert len(api.requests) == 1


def test_a_programming_error_in_a_connector_is_not_retried(tmp_path: Path, api: FeedbackApi, monkeypatch,
                                                           quick_task_retries) -> None:
    def watermark_of_with_a_bug(self, item):
        raise TypeError("can't compare offset-naive and offset-aware datetimes")

    monkeypatch.setattr(HttpSource, "_watermark_of", watermark_of_with_a_bug)
    result = run_nightly(config_path=str(api_config(tmp_path, f"{api.base}/page")), run_date=RUN_DATE)
    [outcome] = result.outcomes
    assert outcome.status == "failed"
    assert outcome.error == "TypeError: can't compare offset-naive and offset-aware datetimes"
    assert len(api.requests) == 1
    assert not any((tmp_path / "lake" / ".staging").iterdir())


def test_a_night_in_which_every_source_failed_ends_failed(tmp_path: Path, api: FeedbackApi, monkeypatch,
                                                          quick_task_retries, capsys) -> None:
    from prefect import get_client

    config = api_config(tmp_path, f"{api.base}/nowhere", '''
[[sources]]
name = "drops"
kind = "files"
path = "drops/*.csv"
channel = "review"
[sources.fields]
id = "id"
text = "body"
created_at = "at"
''')
    loads = []
    real_load = flows.load_settings
    monkeypatch.setattr(flows, "load_settings", lambda path: loads.append(path) or real_load(path))

    state = nightly(config_path=str(config), run_date=RUN_DATE, return_state=True)
    assert state.is_failed()
    failure = state.result(raise_on_failure=False)
    assert isinstance(failure, NightFailed) and failure.result.status == "failed"
    assert "every source failed" in str(failure) and "HTTP 404" in str(failure) and "no file matches" in str(failure)
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(state.state_details.flow_run_id).state.is_failed()
    [(status, counts)] = lake_rows(tmp_path / "lake", "runs", "status, source_counts")
    assert status == "failed"
    assert {entry["source"]: entry["status"] for entry in counts} == {"api": "failed", "drops": "failed"}
    assert loads == [str(config)]  # the settings are loaded once per run

    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat()]) == 1
    out = capsys.readouterr().out
    assert ": failed (model " in out and "api: 0 read" in out and "drops: 0 read" in out and "FAILED" in out
    assert [row[0] for row in lake_rows(tmp_path / "lake", "runs", "status")] == ["failed", "failed"]
    assert len(loads) == 2


def test_watermark_and_ledger_move_only_after_the_rows_are_committed(tmp_path: Path, monkeypatch) -> None:
    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.execute("create table notes (id integer primary key, body text, at text)")
        db.executemany("insert into notes (body, at) values (?, ?)",
                       [("Charged twice for one order", "2026-10-01 08:00:00"), ("Thanks!", "2026-10-02 09:00:00")])
    (tmp_path / "drop.jsonl").write_text('{"id": "j1", "t": "Nobody called back", "d": "2026-10-03"}\n')
    config = tmp_path / "causa.toml"
    config.write_text(
        '[lake]\nroot = "lake"\n'
        f'[[sources]]\nname = "crm"\nkind = "sql"\nurl = "sqlite:///{tmp_path / "crm.db"}"\n'
        'query = "select id, body, at from notes"\nwatermark_column = "at"\nchannel = "ticket"\n'
        '[sources.fields]\nid = "id"\ntext = "body"\ncreated_at = "at"\n'
        '[[sources]]\nname = "drop"\nkind = "files"\npath = "drop.jsonl"\nchannel = "chat"\n'
        '[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "d"\n',
        encoding="utf-8",
    )
    state = StateStore(tmp_path / "lake")
    real_write = flows.write

    @flows.task
    def failing_write(*args, **kwargs) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(flows, "write", failing_write)
    with pytest.raises(OSError, match="disk full"):
        nightly(config_path=str(config), run_date=RUN_DATE)
    assert state.watermark("crm") is None and state.ledger("drop") == {}

    monkeypatch.setattr(flows, "write", real_write)
    result = nightly(config_path=str(config), run_date=RUN_DATE)
    assert {o.source: o.stored for o in result.outcomes} == {"crm": 2, "drop": 1}
    assert state.watermark("crm") == "2026-10-02 09:00:00"
    assert list(state.ledger("drop")) == [str((tmp_path / "drop.jsonl").resolve())]


def test_sources_check_shows_mapped_fields_and_each_failure(tmp_path: Path, api: FeedbackApi, monkeypatch, capsys) -> None:
    api.items = make_items(12) + [{"id": "x", "text": "", "created_at": "2026-10-09T00:00:00Z"}]
    api.items[0]["text"] = "Call me on +44 20 7946 0958 about the " + "very " * 30 + "late parcel"
    monkeypatch.setenv("CAUSA_TEST_API_TOKEN", "t")
    config = write_config(tmp_path, api)
    text = config.read_text()
    config.write_text(text + '\n[[sources]]\nname = "broken"\nkind = "http"\nurl = "http://127.0.0.1:1/x"\n'
                      'retries = 0\nchannel = "social"\n[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "c"\n')
    assert main(["sources", "check", "--config", str(config), "--show", "2"]) == 1
    out = capsys.readouterr().out
    assert "api (http): ok, 10 records in the first page or batch" in out  # one page only
    assert "id=r000 created_at=2026-10-01T00:00:00+00:00 channel=review rating=1.0" in out
    assert "7946" not in out and "[PHONE]" in out and "..." in out
    assert "shop (files): ok, 2 records" in out
    assert "broken (http): FAILED: SourceError: source 'broken': page 1 of http://127.0.0.1:1/x failed" in out
    assert len(api.requests) == 1
    assert not (tmp_path / "lake" / "_state").exists()
    assert main(["sources", "check", "--config", str(config), "--source", "shop"]) == 0
