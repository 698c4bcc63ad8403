"""Configuration errors name the setting; defaults serve the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from causa.pipelines.settings import SettingsError, default_config_path, load_settings, parse_settings

SOURCE = {
    "name": "reviews",
    "kind": "files",
    "path": "drops/*.csv",
    "channel": "review",
    "fields": {"id": "id", "text": "body", "created_at": "at"},
}


def test_packaged_config_serves_the_sample() -> None:
    settings = load_settings(default_config_path())
    assert [s.name for s in settings.sources] == ["store_reviews", "social"]
    assert all(Path(s.resolved_path(settings.base_dir)).parent.is_dir() for s in settings.sources)


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
