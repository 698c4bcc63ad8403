"""Configuration errors name the setting; defaults serve the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from causa.pipelines.settings import SettingsError, default_config_path, load_settings, local_path, parse_settings

SOURCE = {
    "name": "reviews",
    "kind": "files",
    "path": "drops/*.csv",
    "channel": "review",
    "fields": {"id": "id", "text": "body", "created_at": "at"},
}


def test_packaged_config_serves_the_sample() -> None:
    settings = load_settings(default_config_path())
    assert [s.name for s in settings.sources] == ["store_reviews", "social", "surveys", "support_tickets"]
    files = [s for s in settings.sources if s.kind == "files"]
    assert len(files) == 3 and all(Path(s.resolved_path(settings.base_dir)).parent.is_dir() for s in files)
    [tickets] = [s for s in settings.sources if s.kind == "sql"]
    database = make_url(tickets.sql.url).database
    assert Path(local_path(database, settings.base_dir)).is_file()
    assert {s.channel for s in settings.sources} == {"review", "social", "survey", "ticket"}
    assert all(role in files[2].fields for role in ("nps", "csat", "ces"))


def test_relative_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    config = tmp_path / "causa.toml"
    config.write_text(
        '[lake]\nroot = "out"\n[[sources]]\nname = "r"\nkind = "files"\npath = "in/*.csv"\nchannel = "review"\n'
        '[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "c"\n'
    )
    settings = load_settings(config)
    assert settings.lake_root == tmp_path / "out"
    assert settings.sources[0].resolved_path(settings.base_dir) == str(tmp_path / "in" / "*.csv")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "ftp"}, "sources.reviews.kind"),
        ({"channel": "fax"}, "sources.reviews.channel"),
        ({"fields": {"id": "id", "text": "body"}}, "sources.reviews.fields.created_at"),
        ({"fields": {**SOURCE["fields"], "colour": "c"}}, "colour"),
        ({"rating_scale": 1}, "sources.reviews.rating_scale"),
        ({"timezone": "Mars/Olympus"}, "sources.reviews.timezone"),
        ({"format": "xlsx"}, "sources.reviews.format"),
        ({"pathh": "x"}, "pathh"),
    ],
)
def test_wrong_source_setting_is_named(change: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
        parse_settings({"sources": [{**SOURCE, **change}]})


def test_missing_sources_and_unknown_sections_are_named() -> None:
    with pytest.raises(SettingsError, match="sources"):
        parse_settings({})
    with pytest.raises(SettingsError, match="lakes"):
        parse_settings({"lakes": {}, "sources": [SOURCE]})
    with pytest.raises(SettingsError, match="duplicate source names"):
        parse_settings({"sources": [SOURCE, SOURCE]})


def test_production_mode_refuses_to_run_without_a_salt(monkeypatch) -> None:
    monkeypatch.delenv("CAUSA_AUTHOR_SALT", raising=False)
    with pytest.raises(SettingsError, match="CAUSA_AUTHOR_SALT"):
        parse_settings({"privacy": {"production": True}, "sources": [SOURCE]})
    monkeypatch.setenv("CAUSA_AUTHOR_SALT", "s3cret")
    assert parse_settings({"privacy": {"production": True}, "sources": [SOURCE]}).author_salt == "s3cret"


def test_missing_or_broken_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[lake\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(broken)


def test_run_batching_settings_are_read_and_bad_values_named() -> None:
    settings = parse_settings({"run": {"batch_rows": 5000, "batches_in_flight": 4}, "sources": [SOURCE]})
    assert (settings.batch_rows, settings.batches_in_flight) == (5000, 4)
    assert parse_settings({"sources": [SOURCE]}).batch_rows == 20_000
    for bad in (0, -3, 2.5, True, "many"):
        with pytest.raises(SettingsError, match=rf"run.batch_rows must be a whole number >= 1, got {bad!r}"):
            parse_settings({"run": {"batch_rows": bad}, "sources": [SOURCE]})
    with pytest.raises(SettingsError, match="run.batches_in_flight"):
        parse_settings({"run": {"batches_in_flight": 0}, "sources": [SOURCE]})


def test_model_tier_is_read_and_a_bad_one_named() -> None:
    assert parse_settings({"sources": [SOURCE]}).model_tier == "fast"
    assert parse_settings({"model": {"tier": "accurate"}, "sources": [SOURCE]}).model_tier == "accurate"
    with pytest.raises(SettingsError, match=r"model.tier must be one of \['fast', 'accurate'\], got 'precise'"):
        parse_settings({"model": {"tier": "precise"}, "sources": [SOURCE]})


def test_a_config_with_only_the_required_keys_gets_every_default(tmp_path: Path) -> None:
    config = tmp_path / "causa.toml"
    config.write_text('[[sources]]\nname = "r"\nkind = "files"\npath = "in/*.csv"\nchannel = "review"\n'
                      '[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "c"\n')
    settings = load_settings(config)
    assert settings.model_version == "promoted" and settings.model_tier == "fast"
    assert settings.lake_root == tmp_path / "lake" and settings.registry_root == tmp_path / "lake" / "models"
    assert (settings.executor, settings.dask_address, settings.batch_rows, settings.batches_in_flight) == (
        "local", None, 20_000, 2)
    assert (settings.lock_wait_seconds, settings.lock_stale_hours, settings.duplicate_window_hours) == (60, 12, 24)
    source = settings.sources[0]
    assert (source.file_format, source.encoding, source.rating_scale, source.timezone) == (None, "utf-8-sig", 5, "UTC")


def test_an_unknown_key_is_refused_by_name_in_every_table() -> None:
    with pytest.raises(SettingsError, match=r"\[model\]: unknown settings \['verison'\]; allowed: \['version'"):
        parse_settings({"model": {"verison": "v1"}, "sources": [SOURCE]})
    with pytest.raises(SettingsError, match=r"\[lake\]: unknown settings \['rot'\]"):
        parse_settings({"lake": {"rot": "x"}, "sources": [SOURCE]})
    http = {**SOURCE, "kind": "http", "url": "https://api.example.com/reviews", "pagination": {"size": 10}}
    del http["path"]
    with pytest.raises(SettingsError, match=r"sources\.reviews\.pagination: unknown settings \['size'\]"):
        parse_settings({"sources": [http]})


def test_an_unknown_encoding_is_refused_at_load_naming_the_source(tmp_path: Path) -> None:
    config = tmp_path / "causa.toml"
    config.write_text('[[sources]]\nname = "reviews"\nkind = "files"\npath = "nowhere/*.csv"\nchannel = "review"\n'
                      'encoding = "utf-9"\n[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "c"\n')
    with pytest.raises(SettingsError, match=r"^sources\.reviews\.encoding: unknown text encoding 'utf-9'$"):
        load_settings(config)
    for bytes_codec in ("base64", "zlib"):
        with pytest.raises(SettingsError, match=rf"unknown text encoding '{bytes_codec}'"):
            parse_settings({"sources": [{**SOURCE, "encoding": bytes_codec}]})
    assert parse_settings({"sources": [{**SOURCE, "encoding": "cp1251"}]}).sources[0].encoding == "cp1251"


def test_a_bad_time_zone_is_named_with_its_source() -> None:
    with pytest.raises(SettingsError, match=r"^sources\.reviews\.timezone: unknown time zone 'Europe/Atlantis'$"):
        parse_settings({"sources": [{**SOURCE, "timezone": "Europe/Atlantis"}]})
    assert parse_settings({"sources": [{**SOURCE, "timezone": "Europe/Lisbon"}]}).sources[0].timezone == "Europe/Lisbon"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"lake": {"root": "s4://bucket/lake"}, "model": {"registry": "m"}},
         r"lake\.root: no filesystem knows s4://"),
        ({"run": {"executor": "dask", "dask_address": "http://10.0.0.5:8786"}},
         r"run\.dask_address must be a Dask scheduler address .*got 'http://10\.0\.0\.5:8786'"),
        ({"privacy": {"salt_env": "CAUSA SALT"}}, r"privacy\.salt_env must be an environment variable name"),
        ({"privacy": {"production": "yes"}}, r"privacy\.production must be true or false, got 'yes'"),
    ],
)
def test_settings_that_can_be_checked_without_running_are_checked_at_load(raw: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings({**raw, "sources": [SOURCE]})


def test_an_unknown_database_dialect_is_named() -> None:
    sql = {**SOURCE, "kind": "sql", "url": "postgress://db/feedback", "query": "select 1", "watermark_column": "at"}
    del sql["path"]
    with pytest.raises(SettingsError, match=r"sources\.reviews\.url: unknown database dialect 'postgress'"):
        parse_settings({"sources": [sql]})
    assert parse_settings({"sources": [{**sql, "url": "postgresql+psycopg://db/feedback"}]}).sources[0].sql.url


def test_the_error_is_a_settings_error_listing_every_wrong_setting() -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings({"run": {"batch_rows": 0}, "sources": [{**SOURCE, "rating_scale": 1, "timezone": "Mars"}]})
    assert type(raised.value) is SettingsError and raised.value.__cause__ is None
    assert str(raised.value).splitlines() == [
        "run.batch_rows must be a whole number >= 1, got 0",
        "sources.reviews.rating_scale must be a whole number from 2 to 100, got 1",
        "sources.reviews.timezone: unknown time zone 'Mars'",
    ]


def test_source_fields_read_like_a_mapping_of_the_mapped_fields() -> None:
    fields = parse_settings({"sources": [SOURCE]}).sources[0].fields
    assert (fields["id"], fields.get("rating"), fields.get("rating", "stars")) == ("id", None, "stars")
    assert "text" in fields and "rating" not in fields and "colour" not in fields
    with pytest.raises(KeyError):
        fields["rating"]


def test_csi_weights_are_read_relative_to_their_sum(tmp_path: Path) -> None:
    config = tmp_path / "causa.toml"
    config.write_text('[metrics.csi]\nweights = { csat = 5, nps = 3, ces = 2 }\n[[sources]]\nname = "r"\nkind = "files"\n'
                      'path = "in/*.csv"\nchannel = "survey"\n[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "c"\n'
                      'responded_at = "answered"\n')
    settings = load_settings(config)
    assert settings.csi_weights == pytest.approx({"csat": 0.5, "nps": 0.3, "ces": 0.2})
    assert settings.sources[0].fields["responded_at"] == "answered"
    assert parse_settings({"metrics": {"csi": {"weights": {"nps": 0.25}}}, "sources": [SOURCE]}).csi_weights == {
        "nps": 1.0}
    assert parse_settings({"sources": [SOURCE]}).csi_weights is None


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"csi": {"weights": {"csat": 0.5, "effort": 0.5}}},
         r"^metrics\.csi\.weights: unknown answers \['effort'\]; the index weighs \['csat', 'nps', 'ces'\]$"),
        ({"csi": {"weights": {"csat": 0.7, "nps": -0.3}}}, r"^metrics\.csi\.weights\.nps must be a number above 0, got -0\.3$"),
        ({"csi": {"weights": {"csat": 0}}}, r"^metrics\.csi\.weights\.csat must be a number above 0, got 0$"),
        ({"csi": {"weights": {"csat": "half"}}}, r"^metrics\.csi\.weights\.csat must be a number above 0, got 'half'$"),
        ({"csi": {"weights": {}}}, r"^metrics\.csi\.weights must be a table of weights such as .*, got \{\}$"),
        ({"csi": {"fields": {"csat": 1}}}, r"^metrics\.csi: unknown settings \['fields'\]; allowed: \['weights'\]$"),
        ({"csi": {}}, r"^metrics\.csi\.weights is required$"),
        ({"nps": {}}, r"^\[metrics\]: unknown settings \['nps'\]; allowed: \['csi'\]$"),
    ],
)
def test_a_wrong_csi_setting_is_named_with_its_bad_value(metrics: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings({"metrics": metrics, "sources": [SOURCE]})
