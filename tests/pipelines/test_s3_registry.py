"""The model registry in the lake's bucket (moto's S3 server on 127.0.0.1): a version uploaded with its manifest,
promoted and rolled back remotely, scored with by a fresh process that has no local registry, loaded through a
hash-verified local copy that is reused, and refused when a remote or a cached file was changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from causa.nlp.model_store import ModelIntegrityError, default_model_dir, read_manifest
from causa.pipelines.cli import main
from causa.pipelines.settings import parse_settings
from causa.storage.filesystem import RemotePath
from causa.storage.model_cache import CACHE_ENV, registry_cache
from causa.storage.model_versions import load_version, model_for
from causa.storage.scoring import MODEL_VERSION_KEY
from causa.storage.registry import HISTORY_FILE, POINTER_FILE, ModelRegistry, RegistryError
from tests.storage.s3_server import running_s3_server

VERSION = "shipped-copy"
SOURCE = {"name": "reviews", "kind": "files", "path": "in/*.csv", "format": "csv", "channel": "review",
          "fields": {"id": "id", "text": "text", "created_at": "t"}}


@pytest.fixture(scope="module")
def s3_server():
    with running_s3_server() as server:
        yield server


def remote_lake_config(folder: Path, bucket: str, endpoint: str) -> Path:
    """A causa.toml with its lake in the bucket and no [model] registry: the registry is <lake root>/models."""
    config = folder / "causa.toml"
    config.write_text(f'[lake]\nroot = "s3://{bucket}/lake"\n'
                      f'storage_options = {{ endpoint_override = "{endpoint}", region = "us-east-1" }}\n'
                      '[model]\nversion = "promoted"\n\n[[sources]]\nname = "reviews"\nkind = "files"\n'
                      'path = "in/*.csv"\nformat = "csv"\nchannel = "review"\n'
                      'fields = { id = "id", text = "text", created_at = "t" }\n', encoding="utf-8")
    return config


@pytest.fixture()
def bucket(s3_server) -> str:
    return s3_server.new_bucket()


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    """This test's model cache (CAUSA_MODEL_CACHE), and a fresh per-process model cache before and after."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    load_version.cache_clear()
    yield folder
    load_version.cache_clear()


@pytest.fixture()
def registry(s3_server, bucket, cache) -> ModelRegistry:
    """s3://bucket/lake/models holding the shipped model registered as VERSION, promoted."""
    registry = ModelRegistry(RemotePath(f"s3://{bucket}/lake/models", s3_server.options))
    staging = registry.staging(VERSION)
    shutil.copytree(default_model_dir(), staging, dirs_exist_ok=True)
    shipped = read_manifest(default_model_dir())
    metadata = {name: value for name, value in shipped.items() if name not in ("files", "version")}
    registry.register(staging, VERSION, metadata, {"heldout_rows": 0}, "# shipped copy\n")
    assert not staging.exists(), "the local staging folder is removed once uploaded"
    registry.promote(VERSION, reason="first remote version")
    return registry


def test_a_version_lands_in_the_bucket_with_its_manifest_and_is_promoted_and_rolled_back(
    registry, s3_server, bucket
) -> None:
    keys = set(s3_server.objects(bucket, "lake/models/"))
    shipped = read_manifest(default_model_dir())["files"]
    manifest = json.loads(s3_server.client().get_object(Bucket=bucket, Key=f"lake/models/{VERSION}/manifest.json")
                          ["Body"].read())
    assert manifest["version"] == VERSION
    assert {name: manifest["files"][name] for name in shipped} == shipped, "same sha256 as the shipped files"
    assert set(manifest["files"]) == set(shipped) | {"metrics.json", "README.md"}
    assert keys == {f"lake/models/{VERSION}/{name}" for name in [*manifest["files"], "manifest.json"]} | {
        f"lake/models/{POINTER_FILE}", f"lake/models/{HISTORY_FILE}"}
    uploads = [path for method, path in s3_server.requests if method == "PUT" and f"/{VERSION}/" in path]
    assert uploads[-1].endswith("/manifest.json"), "the manifest is uploaded last: the version exists once complete"

    assert registry.versions() == [VERSION] and registry.promoted() == VERSION
    registry.verify(VERSION)
    assert registry.info(VERSION).path == RemotePath(f"s3://{bucket}/lake/models/{VERSION}")
    with pytest.raises(RegistryError, match="already exists"):
        registry.staging(VERSION)

    registry.rollback("back to the shipped model")
    assert registry.promoted() is None
    assert [(r["action"], r["version"], r["previous"]) for r in registry.history()] == [
        ("promote", VERSION, None), ("rollback", "default", VERSION)]
    assert model_for("promoted", registry.root)[1] == read_manifest(default_model_dir())["version"]


def test_a_fresh_process_without_a_local_registry_scores_with_the_promoted_remote_version(
    registry, s3_server, bucket, tmp_path
) -> None:
    config = remote_lake_config(tmp_path, bucket, s3_server.endpoint)
    settings = parse_settings({"lake": {"root": f"s3://{bucket}/lake",
                                        "storage_options": {"endpoint_override": s3_server.endpoint}},
                               "sources": [SOURCE]})
    assert settings.registry_root == registry.root, "the registry defaults to <lake root>/models in the bucket"
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"text": ["The courier was three days late", "Great service, thank you"]}).to_csv(texts, index=False)
    output = tmp_path / "scored.parquet"
    process_cache = tmp_path / "process-cache"
    done = subprocess.run(
        [sys.executable, "-m", "causa.pipelines.cli", "score", str(texts), "-o", str(output), "--config", str(config),
         "--workers", "1"],
        cwd=tmp_path, env={**os.environ, CACHE_ENV: str(process_cache)}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"scored 2 texts with model {VERSION}" in done.stdout
    assert pq.read_table(output).num_rows == 2
    assert pq.read_metadata(output).metadata[MODEL_VERSION_KEY].decode() == VERSION
    copy = registry_cache(registry.root, process_cache) / VERSION
    assert (copy / "manifest.json").read_bytes() == (registry.root / VERSION / "manifest.json").read_bytes()
    assert not (tmp_path / "lake").exists() and not (tmp_path / "models").exists(), "no local registry"


def test_the_local_copy_is_reused_without_downloading_the_files_again(registry, s3_server, bucket, cache) -> None:
    version_prefix = f"/{bucket}/lake/models/{VERSION}/"
    before = len(s3_server.gets(version_prefix))
    model, version = load_version(VERSION, registry.root)
    assert version == VERSION and model.causes
    first = s3_server.gets(version_prefix)[before:]
    copy = registry_cache(registry.root, cache) / VERSION
    assert {path.removeprefix(version_prefix) for path in first} == {
        str(path.relative_to(copy)) for path in copy.rglob("*") if path.is_file()}, "each file downloaded once"
    mtimes = {path: path.stat().st_mtime_ns for path in copy.rglob("*")}

    load_version.cache_clear()  # as a new process would
    again = len(s3_server.gets(version_prefix))
    assert load_version(VERSION, registry.root)[1] == VERSION
    assert s3_server.gets(version_prefix)[again:] == [version_prefix + "manifest.json"], "only the manifest is read"
    assert {path: path.stat().st_mtime_ns for path in copy.rglob("*")} == mtimes


def test_a_changed_remote_file_is_refused_with_the_one_line_error_of_a_local_model(
    registry, s3_server, bucket, caplog, tmp_path
) -> None:
    key = f"lake/models/{VERSION}/words_idf.npy"
    client = s3_server.client()
    data = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    data[-1] ^= 0x01
    client.put_object(Bucket=bucket, Key=key, Body=bytes(data))

    with pytest.raises(ModelIntegrityError) as refused:
        load_version(VERSION, registry.root)
    assert str(refused.value) == (f"model at s3://{bucket}/lake/models/{VERSION} failed verification: "
                                  "words_idf.npy changed")
    assert not (registry_cache(registry.root) / VERSION).exists(), "a copy failing its check is never kept"
    with pytest.raises(RegistryError, match="words_idf.npy changed"):
        registry.verify(VERSION)

    config = remote_lake_config(tmp_path, bucket, s3_server.endpoint)
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"text": ["late again"]}).to_csv(texts, index=False)
    caplog.clear()
    assert main(["score", str(texts), "-o", str(tmp_path / "out.parquet"), "--config", str(config)]) == 2
    errors = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert errors == [str(refused.value)]
    assert not (tmp_path / "out.parquet").exists()


def test_a_changed_cached_file_is_refused(registry, cache) -> None:
    load_version(VERSION, registry.root)
    copy = registry_cache(registry.root, cache) / VERSION
    (copy / "model.json").write_text("{}", encoding="utf-8")
    load_version.cache_clear()
    with pytest.raises(ModelIntegrityError, match=f"model at {copy} failed verification: model.json changed"):
        load_version(VERSION, registry.root)
