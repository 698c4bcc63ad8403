"""Configuration (causa.toml): sources, lake root, model, privacy. Paths are defined here once."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from storage.schemas import CHANNELS

SAMPLE_PREFIX = "sample:"
DEFAULT_CONFIG_NAME = "causa.toml"
FILE_FORMATS = ("csv", "jsonl", "parquet")
SOURCE_KINDS = ("files",)
MAPPABLE_FIELDS = ("id", "text", "created_at", "rating", "author", "product", "channel", "language", "nps", "csat", "ces")
REQUIRED_FIELDS = ("id", "text", "created_at")
AUTHOR_SALT_ENV = "CAUSA_AUTHOR_SALT"
DEVELOPMENT_SALT = "causa-development-salt"


class SettingsError(ValueError):
    """A missing or wrong setting; the message names it."""


@dataclass(frozen=True)
class SourceSettings:
    name: str
    kind: str
    path: str
    channel: str | None
    fields: Mapping[str, str]
    file_format: str | None = None
    encoding: str = "utf-8-sig"
    rating_scale: int = 5
    timezone: str = "UTC"

    def resolved_path(self, base: Path) -> str:
        """The glob to read: `sample:` points into the bundled sample, a relative path is relative to `base`."""
        if self.path.startswith(SAMPLE_PREFIX):
            return str(sample_root() / self.path[len(SAMPLE_PREFIX) :])
        path = Path(os.path.expanduser(self.path))
        return str(path if path.is_absolute() else base / path)


@dataclass(frozen=True)
class Settings:
    lake_root: Path
    sources: tuple[SourceSettings, ...]
    model_version: str = "default"
    author_salt: str = DEVELOPMENT_SALT
    production: bool = False
    config_path: Path | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    """Folder that relative source paths are taken from."""


def sample_root() -> Path:
    """Folder of the bundled sample data (package data of `pipelines`)."""
    return Path(str(resources.files("pipelines") / "sample"))


def default_config_path() -> Path:
    """The packaged configuration that serves the bundled sample."""
    return Path(str(resources.files("pipelines") / "default_config.toml"))


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from a TOML file: the given one, ./causa.toml if present, else the packaged sample config."""
    if path is None:
        local = Path.cwd() / DEFAULT_CONFIG_NAME
        path = local if local.is_file() else default_config_path()
    config_path = Path(path).resolve()
    if not config_path.is_file():
        raise SettingsError(f"config file not found: {config_path}")
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{config_path} is not valid TOML: {error}") from error
    packaged = config_path == default_config_path().resolve()
    return parse_settings(raw, config_path, base_dir=Path.cwd() if packaged else config_path.parent)


def parse_settings(raw: Mapping[str, Any], config_path: Path | None = None, base_dir: Path | None = None) -> Settings:
    """Validated settings from a parsed TOML mapping; relative paths are taken from `base_dir`."""
    base = base_dir or (config_path.parent if config_path else Path.cwd())
    _reject_unknown(raw, ("lake", "model", "privacy", "sources"), "top level")
    lake = _table(raw, "lake")
    _reject_unknown(lake, ("root",), "[lake]")
    root = _string(lake, "root", "lake.root", default="lake")
    lake_root = Path(os.path.expanduser(root))
    lake_root = lake_root if lake_root.is_absolute() else base / lake_root

    model = _table(raw, "model")
    _reject_unknown(model, ("version",), "[model]")
    model_version = _string(model, "version", "model.version", default="default")

    privacy = _table(raw, "privacy")
    _reject_unknown(privacy, ("production", "salt_env"), "[privacy]")
    production = privacy.get("production", False)
    if not isinstance(production, bool):
        raise SettingsError(f"privacy.production must be true or false, got {production!r}")
    salt_env = _string(privacy, "salt_env", "privacy.salt_env", default=AUTHOR_SALT_ENV)
    salt = os.environ.get(salt_env, "")
    if not salt:
        if production:
            raise SettingsError(f"privacy.production is true but environment variable {salt_env} (author salt) is not set")
        salt = DEVELOPMENT_SALT

    raw_sources = raw.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SettingsError("sources: at least one [[sources]] table is required")
    sources = tuple(_parse_source(entry, index) for index, entry in enumerate(raw_sources))
    names = [source.name for source in sources]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SettingsError(f"sources: duplicate source names {duplicates}")
    return Settings(
        lake_root=lake_root,
        sources=sources,
        model_version=model_version,
        author_salt=salt,
        production=production,
        config_path=config_path,
        base_dir=base,
    )


def _parse_source(entry: Any, index: int) -> SourceSettings:
    where = f"sources[{index}]"
    if not isinstance(entry, Mapping):
        raise SettingsError(f"{where} must be a table, got {entry!r}")
    allowed = ("name", "kind", "path", "format", "channel", "fields", "encoding", "rating_scale", "timezone")
    _reject_unknown(entry, allowed, where)
    name = _string(entry, "name", f"{where}.name")
    where = f"sources.{name}"
    kind = _string(entry, "kind", f"{where}.kind")
    if kind not in SOURCE_KINDS:
        raise SettingsError(f"{where}.kind must be one of {list(SOURCE_KINDS)}, got {kind!r}")
    path = _string(entry, "path", f"{where}.path")
    file_format = entry.get("format")
    if file_format is not None and file_format not in FILE_FORMATS:
        raise SettingsError(f"{where}.format must be one of {list(FILE_FORMATS)}, got {file_format!r}")
    fields = entry.get("fields")
    if not isinstance(fields, Mapping):
        raise SettingsError(f"{where}.fields is required: a table mapping {list(REQUIRED_FIELDS)} to column names")
    _reject_unknown(fields, MAPPABLE_FIELDS, f"{where}.fields")
    for required in REQUIRED_FIELDS:
        _string(fields, required, f"{where}.fields.{required}")
    channel = entry.get("channel")
    if channel is None and "channel" not in fields:
        raise SettingsError(f"{where}.channel is required (one of {list(CHANNELS)}) unless fields.channel is mapped")
    if channel is not None and channel not in CHANNELS:
        raise SettingsError(f"{where}.channel must be one of {list(CHANNELS)}, got {channel!r}")
    rating_scale = entry.get("rating_scale", 5)
    if not isinstance(rating_scale, int) or isinstance(rating_scale, bool) or not 2 <= rating_scale <= 100:
        raise SettingsError(f"{where}.rating_scale must be a whole number from 2 to 100, got {rating_scale!r}")
    timezone = _string(entry, "timezone", f"{where}.timezone", default="UTC")
    _check_timezone(timezone, f"{where}.timezone")
    encoding = _string(entry, "encoding", f"{where}.encoding", default="utf-8-sig")
    return SourceSettings(
        name=name,
        kind=kind,
        path=path,
        channel=channel,
        fields=dict(fields),
        file_format=file_format,
        encoding=encoding,
        rating_scale=rating_scale,
        timezone=timezone,
    )


def _check_timezone(name: str, where: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(f"{where}: unknown time zone {name!r}") from error


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise SettingsError(f"[{key}] must be a table, got {value!r}")
    return value


def _string(raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if value is None:
        raise SettingsError(f"{where} is required")
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _reject_unknown(raw: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise SettingsError(f"{where}: unknown settings {unknown}; allowed: {list(allowed)}")
