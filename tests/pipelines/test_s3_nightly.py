"""The nightly flow with its lake in an object store (moto's S3 server on 127.0.0.1): every table, the state and
the report land under s3://bucket/lake; a second identical run writes no object but its own runs row."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from causa.nlp.model_store import default_model_dir
from causa.pipelines.flows import nightly
from causa.pipelines.report_text import run_summary_text
from causa.pipelines.settings import SettingsError, default_config_path, parse_settings
from causa.storage.filesystem import RemotePath
from causa.storage.lake import Lake
from causa.storage.model_cache import CACHE_ENV
from causa.storage.model_versions import load_version
from causa.storage.registry import ModelRegistry
from causa.storage.schemas import FEEDBACK, QUARANTINE, RUNS, SCORED, daily_summary_spec
from causa.storage.state import StateStore
from tests.pipelines.sample_files import repeated, sample_rows
from tests.storage.s3_server import running_s3_server

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 20)


@pytest.fixture(scope="module")
def s3_server():
    with running_s3_server() as server:
        yield server


def remote_config(folder: Path, bucket: str, endpoint: str) -> Path:
    """The packaged sample configuration with its lake in the bucket, the lock and the registry on local disk."""
    text = default_config_path().read_text(encoding="utf-8")
    lake = (f'[lake]\nroot = "s3://{bucket}/lake"\nlock_dir = "locks"\n'
            f'storage_options = {{ endpoint_override = "{endpoint}", region = "us-east-1" }}\n')
    text = text.replace('[lake]\nroot = "lake"', lake.rstrip("\n"), 1)
    text = text.replace('[model]\n', '[model]\nregistry = "models"\n', 1)
    config = folder / "causa.toml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def remote_night(s3_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("s3night")
    bucket = s3_server.new_bucket()
    config = remote_config(folder, bucket, s3_server.endpoint)
    result = nightly(config_path=str(config), run_date=RUN_DATE)
    return config, bucket, result


def test_night_lands_every_table_state_and_report_in_the_bucket(remote_night, s3_server, shipped_model) -> None:
    config, bucket, result = remote_night
    assert result.status == "success"
    assert isinstance(result.lake_root, RemotePath)
    keys = set(s3_server.objects(bucket))
    tables = {key.split("/")[1] for key in keys if key.endswith("/part-0.parquet")}
    assert tables == {"feedback", "scored", "daily_summary", "quarantine", "alerts", "runs"}
    assert {"lake/_state/store_reviews/files.json", "lake/_state/social/files.json", "lake/report.html"} <= keys
    assert not [key for key in keys if ".staging" in key or key.endswith(".tmp")], "nothing temporary in the bucket"
    assert "lake/causa.duckdb" not in keys, "a remote lake has no DuckDB views file (httpfs is not bundled)"
    assert not (config.parent / "lake").exists(), "nothing of the lake lands on local disk"
    assert not list((config.parent / "locks").iterdir()), "the local lock is released"

    lake = Lake(result.lake_root)
    with duckdb.connect() as con:
        for spec in (FEEDBACK, SCORED, QUARANTINE, RUNS):
            con.register(spec.name, lake.dataset(spec))
        stored, unique = con.execute("select count(*), count(distinct feedback_id) from feedback").fetchall()[0]
        quarantined = con.execute("select count(*) from quarantine").fetchall()[0][0]
        scored = con.execute("select count(*), count(sentiment) from scored").fetchall()[0]
        runs = con.execute("select status, rows_in, rows_quarantined from runs").fetchall()
    assert stored == unique and stored > 0 and quarantined >= 2
    assert scored == (stored, stored)
    rows = sample_rows()
    read = sum(len(source_rows) for source_rows in rows.values())
    assert stored + quarantined + sum(repeated(source_rows) for source_rows in rows.values()) == read
    assert runs == [("success", read, quarantined)]
    summary = lake.read(daily_summary_spec(shipped_model.causes)).to_pandas()
    assert summary["n_feedback"].sum() == stored
    assert b"<html" in (result.lake_root / "report.html").read_bytes()[:200].lower()

    text = run_summary_text(result)
    assert f"lake: {stored} feedback items" in text and f"s3://{bucket}/lake/report.html" in text


def test_second_identical_night_writes_no_object_but_its_runs_row(remote_night, s3_server) -> None:
    config, bucket, first = remote_night
    before = s3_server.versions(bucket)
    second = nightly(config_path=str(config), run_date=RUN_DATE)
    assert second.status == "success"
    assert sum(o.changed for o in second.outcomes) == 0
    after = s3_server.versions(bucket)
    runs_key = f"lake/runs/{RUNS.partition_column}={RUN_DATE.isoformat()}/part-0.parquet"
    changed = sorted(key for key in after if after[key] != before.get(key))
    assert changed == ["lake/report.html", runs_key], "only the runs table and the page naming the run change"
    assert second.run_id in (second.lake_root / "report.html").read_bytes().decode("utf-8")
    runs = Lake(second.lake_root).read(RUNS).column("run_id").to_pylist()
    assert sorted(runs) == sorted([first.run_id, second.run_id])


def test_remote_lake_settings(s3_server, tmp_path, monkeypatch) -> None:
    bucket = s3_server.new_bucket()
    source = {"name": "s", "kind": "files", "path": "in/*.csv", "format": "csv", "channel": "review",
              "fields": {"id": "id", "text": "text", "created_at": "t"}}
    lake = {"root": f"s3://{bucket}/lake", "storage_options": {"endpoint_override": s3_server.endpoint},
            "lock_dir": "locks"}
    settings = parse_settings({"lake": lake, "sources": [source]}, base_dir=tmp_path)
    assert settings.registry_root == RemotePath(f"s3://{bucket}/lake/models"), "the registry is in the bucket too"
    assert settings.registry_root.options == settings.lake_root.options
    unlocked = {name: value for name, value in lake.items() if name != "lock_dir"}
    settings = parse_settings({"lake": unlocked, "model": {"registry": f"s3://{bucket}/registry"},
                               "sources": [source]}, base_dir=tmp_path)
    assert settings.lock_root == settings.lake_root, "on S3 the lock is an object beside the tables"
    assert settings.registry_root == RemotePath(f"s3://{bucket}/registry")
    assert settings.registry_root.options == settings.lake_root.options
    with pytest.raises(SettingsError, match=r"model.registry.*not a filesystem URL"):
        parse_settings({"lake": lake, "model": {"registry": "s3://"}, "sources": [source]}, base_dir=tmp_path)
    settings = parse_settings({"lake": lake, "model": {"registry": "models"}, "sources": [source]}, base_dir=tmp_path)
    assert isinstance(settings.lake_root, RemotePath) and str(settings.lake_root) == f"s3://{bucket}/lake"
    assert settings.lock_root == tmp_path / "locks" and settings.registry_root == tmp_path / "models"
    with pytest.raises(SettingsError, match="looks like a secret"):
        parse_settings({"lake": {**lake, "storage_options": {"secret_key": "plain"}}, "model": {"registry": "m"},
                        "sources": [source]}, base_dir=tmp_path)
    monkeypatch.setenv("CAUSA_TEST_SECRET", os.environ["AWS_SECRET_ACCESS_KEY"])
    options = {"endpoint_override": s3_server.endpoint, "access_key": "${AWS_ACCESS_KEY_ID}",
               "secret_key": "${CAUSA_TEST_SECRET}"}
    settings = parse_settings({"lake": {**lake, "storage_options": options}, "model": {"registry": "m"},
                               "sources": [source]}, base_dir=tmp_path)
    assert settings.lake_root.options["secret_key"] == "causa-test-secret"
    assert "causa-test-secret" not in repr(settings.lake_root)
    StateStore(settings.lake_root).advance_watermark("s", 5, "run-1")
    assert list(s3_server.objects(bucket, "lake/_state/s/")) == ["lake/_state/s/watermark.json"]
    with pytest.raises(SettingsError, match="only apply to a URL"):
        parse_settings({"lake": {"root": "lake", "storage_options": {"region": "x"}}, "sources": [source]},
                       base_dir=tmp_path)
    with pytest.raises(SettingsError, match="has a query"):
        parse_settings({"lake": {"root": "s3://b/lake?region=x"}, "model": {"registry": "m"}, "sources": [source]},
                       base_dir=tmp_path)


def test_a_night_takes_its_lock_and_its_promoted_model_from_the_bucket(s3_server, tmp_path, monkeypatch) -> None:
    bucket = s3_server.new_bucket()
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "model-cache"))
    load_version.cache_clear()
    registry = ModelRegistry(RemotePath(f"s3://{bucket}/lake/models", s3_server.options))
    staging = registry.staging("shipped-copy")
    shutil.copytree(default_model_dir(), staging, dirs_exist_ok=True)
    registry.register(staging, "shipped-copy", {}, {}, "# shipped copy\n")
    registry.promote("shipped-copy")
    config = remote_config(tmp_path, bucket, s3_server.endpoint)
    text = config.read_text(encoding="utf-8").replace('lock_dir = "locks"\n', "").replace('registry = "models"\n', "")
    config.write_text(text, encoding="utf-8")
    lock_path = f"/{bucket}/lake/.causa.lock"
    try:
        result = nightly(config_path=str(config), run_date=RUN_DATE)
    finally:
        load_version.cache_clear()
    assert result.status == "success" and result.model_version == "shipped-copy"
    assert Lake(result.lake_root).read(RUNS).column("model_version").to_pylist() == ["shipped-copy"]
    lock_requests = [method for method, path in s3_server.requests if path == lock_path]
    assert lock_requests[0] == "PUT" and lock_requests[-1] == "DELETE", "the lock was an object in the bucket"
    assert "lake/.causa.lock" not in s3_server.objects(bucket)
    assert not (tmp_path / "locks").exists() and not (tmp_path / "models").exists()
