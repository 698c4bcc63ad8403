"""Configuration (causa.toml): sources, lake root, model, privacy. Paths are defined here once."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from causa.nlp.taxonomy import TIERS
from causa.storage.filesystem import LakeLocationError, RemotePath, is_remote
from causa.storage.schemas import CHANNELS

SAMPLE_PREFIX = "sample:"
DEFAULT_CONFIG_NAME = "causa.toml"
FILE_FORMATS = ("csv", "jsonl", "parquet")
SOURCE_KINDS = ("files", "http", "sql")
EXECUTORS = ("local", "processes", "dask")
MAPPABLE_FIELDS = ("id", "text", "created_at", "rating", "author", "product", "channel", "language", "nps", "csat", "ces")
REQUIRED_FIELDS = ("id", "text", "created_at")
AUTHOR_SALT_ENV = "CAUSA_AUTHOR_SALT"
DEVELOPMENT_SALT = "causa-development-salt"


class SettingsError(ValueError):
    """A missing or wrong setting; the message names it."""


PAGINATION_STYLES = ("page", "cursor", "next_link")
SINCE_FORMATS = ("iso", "date", "epoch")
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_HEADER = re.compile(r"authorization|cookie|token|secret|key|password|signature", re.IGNORECASE)
SQL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Pagination:
    """How an HTTP source pages: by page number, by a cursor from the body, or by a next link."""

    style: str = "page"
    page_param: str = "page"
    start_page: int = 1
    size_param: str | None = None
    page_size: int | None = None
    cursor_param: str = "cursor"
    cursor_field: str = "next_cursor"
    next_field: str = "next"


@dataclass(frozen=True)
class HttpSettings:
    """A JSON API; header and parameter values may hold `${ENV_VAR}` references, resolved only at run time."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    records: str = ""
    """Dotted path to the list of items in each response body; empty when the body is the list."""
    pagination: Pagination = field(default_factory=Pagination)
    since_param: str | None = None
    since_format: str = "iso"
    watermark_field: str | None = None
    """Field whose highest value becomes the watermark (default: the mapped created_at)."""
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 1.0
    max_retry_after: float = 300.0
    max_pages: int = 100


@dataclass(frozen=True)
class SqlSettings:
    """A SQLAlchemy database URL (may be `${ENV_VAR}`), a query and the column that orders new rows."""

    url: str
    query: str
    watermark_column: str
    batch_size: int = 1000


def resolve_env(template: str, where: str, environ: Mapping[str, str] | None = None) -> str:
    """`template` with each `${NAME}` replaced by that environment variable; an unset one is an error naming it."""
    environ = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise SettingsError(f"{where} refers to environment variable {name}, which is not set")
        return environ[name]

    return ENV_REFERENCE.sub(value, template)


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
    http: HttpSettings | None = None
    """Set for kind "http"."""
    sql: SqlSettings | None = None
    """Set for kind "sql"."""

    def resolved_path(self, base: Path) -> str:
        """The glob to read: `sample:` points into the bundled sample, a relative path is relative to `base`."""
        if self.path.startswith(SAMPLE_PREFIX):
            return str(sample_root() / self.path[len(SAMPLE_PREFIX) :])
        path = Path(os.path.expanduser(self.path))
        return str(path if path.is_absolute() else base / path)


@dataclass(frozen=True)
class Settings:
    lake_root: Path | RemotePath
    """A local folder, or a RemotePath in an object store (lake.root = "s3://bucket/prefix")."""
    sources: tuple[SourceSettings, ...]
    model_version: str = "default"
    model_tier: str = "fast"
    """fast, or accurate: fused with the multilingual encoder (about 60 docs/s on two cores; see the README)."""
    author_salt: str = DEVELOPMENT_SALT
    production: bool = False
    config_path: Path | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    """Folder that relative source paths are taken from."""
    lock_wait_seconds: float = 60.0
    """How long a run waits for another run's lake lock before giving up."""
    lock_stale_hours: float = 12.0
    """A lake lock older than this is taken over as stale (its run died on another host)."""
    duplicate_window_hours: float = 24.0
    """The same text from the same author within this many hours is stored once."""
    model_registry: Path | None = None
    """Folder of the model registry (model.registry); None means `<lake root>/models`."""
    executor: str = "local"
    """Where submitted tasks run (run.executor): "local" threads, "processes" on this machine, or a "dask" cluster."""
    dask_address: str | None = None
    """Scheduler of an existing Dask cluster (run.dask_address); None starts a local cluster for the run."""
    batch_rows: int = 20_000
    """Records read, scored and staged at a time (run.batch_rows): bounds the run's memory whatever the volume."""
    batches_in_flight: int = 2
    """Batches submitted for scoring and not yet written (run.batches_in_flight): about one per worker process."""

    @property
    def registry_root(self) -> Path:
        """Where trained model versions and the promoted pointer live."""
        return self.model_registry if self.model_registry is not None else self.lake_root / "models"

    lock_dir: Path | None = None
    """Local folder of the lake lock when the lake is remote (lake.lock_dir); a local lake holds its own lock."""

    @property
    def lock_root(self) -> Path:
        """Where the run lock file lives: the lake root for a local lake, else `lock_dir` (a local folder)."""
        if isinstance(self.lake_root, Path):
            return self.lake_root
        return self.lock_dir if self.lock_dir is not None else default_lock_dir(self.lake_root)


def sample_root() -> Path:
    """Folder of the bundled sample data (package data of `pipelines`)."""
    return Path(str(resources.files("causa.pipelines") / "sample"))


def default_config_path() -> Path:
    """The packaged configuration that serves the bundled sample."""
    return Path(str(resources.files("causa.pipelines") / "default_config.toml"))


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
    _reject_unknown(raw, ("lake", "model", "privacy", "sources", "run"), "top level")
    lake = _table(raw, "lake")
    _reject_unknown(lake, ("root", "lock_wait_seconds", "lock_stale_hours", "duplicate_window_hours",
                           "storage_options", "lock_dir"), "[lake]")
    lock_wait = _non_negative(lake, "lock_wait_seconds", "lake.lock_wait_seconds", 60.0)
    lock_stale = _non_negative(lake, "lock_stale_hours", "lake.lock_stale_hours", 12.0, positive=True)
    duplicate_window = _non_negative(lake, "duplicate_window_hours", "lake.duplicate_window_hours", 24.0)
    root = _string(lake, "root", "lake.root", default="lake")
    lake_root, lock_dir = _parse_lake_location(lake, root, base)

    model = _table(raw, "model")
    _reject_unknown(model, ("version", "registry", "tier"), "[model]")
    model_version = _string(model, "version", "model.version", default="promoted")
    model_tier = _string(model, "tier", "model.tier", default="fast")
    if model_tier not in TIERS:
        raise SettingsError(f"model.tier must be one of {list(TIERS)}, got {model_tier!r}")
    registry = model.get("registry")
    model_registry = None
    if registry is not None:
        model_registry = Path(os.path.expanduser(_string(model, "registry", "model.registry")))
        model_registry = model_registry if model_registry.is_absolute() else base / model_registry
    if model_registry is None and isinstance(lake_root, RemotePath):
        raise SettingsError(f"lake.root is remote ({lake_root}): set [model] registry to a local folder; "
                            "the model registry is kept on a local (or mounted) disk only")

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
        lock_dir=lock_dir,
        lock_wait_seconds=lock_wait,
        lock_stale_hours=lock_stale,
        duplicate_window_hours=duplicate_window,
        sources=sources,
        model_version=model_version,
        model_tier=model_tier,
        model_registry=model_registry,
        author_salt=salt,
        production=production,
        config_path=config_path,
        base_dir=base,
        **_parse_run(raw),
    )


STORAGE_SECRET = re.compile(r"secret|token|password|access_key|credential", re.IGNORECASE)


def _parse_lake_location(lake: Mapping[str, Any], root: str, base: Path) -> tuple[Path | RemotePath, Path | None]:
    """lake.root as a local Path or a RemotePath (with lake.storage_options), and lake.lock_dir."""
    options = lake.get("storage_options", {})
    if not isinstance(options, Mapping):
        raise SettingsError(f"lake.storage_options must be a table, got {options!r}")
    lock_dir = None
    if lake.get("lock_dir") is not None:
        lock_dir = Path(os.path.expanduser(_string(lake, "lock_dir", "lake.lock_dir")))
        lock_dir = lock_dir if lock_dir.is_absolute() else base / lock_dir
    if not is_remote(root):
        if options:
            raise SettingsError(f"lake.storage_options {sorted(options)} only apply to a URL lake.root such as "
                                f"s3://bucket/prefix, not to the local folder {root!r}")
        local = Path(os.path.expanduser(root.removeprefix("file://")))
        return (local if local.is_absolute() else base / local), lock_dir
    resolved: dict[str, Any] = {}
    for name, value in options.items():
        where = f"lake.storage_options.{name}"
        if not isinstance(value, (str, int, float, bool)):
            raise SettingsError(f"{where} must be text, a number or true/false, got {value!r}")
        if isinstance(value, str):
            if STORAGE_SECRET.search(name) and not ENV_REFERENCE.search(value):
                raise SettingsError(f"{where} looks like a secret: write it as ${{ENV_VAR}} (or use the AWS_* "
                                    "variables), never the value itself")
            value = resolve_env(_env_checked(value, where), where)
        resolved[name] = value
    try:
        return RemotePath(root, resolved), lock_dir
    except LakeLocationError as error:
        raise SettingsError(f"lake.root: {error}") from error


def default_lock_dir(root: RemotePath) -> Path:
    """The lock folder of a remote lake when lake.lock_dir is not set: one per lake under ~/.cache/causa/locks."""
    import hashlib

    digest = hashlib.sha256(root.uri.encode("utf-8")).hexdigest()[:16]
    return Path.home() / ".cache" / "causa" / "locks" / f"{root.scheme}-{digest}"


def _parse_run(raw: Mapping[str, Any]) -> dict[str, Any]:
    """[run]: `executor` ("local" or "dask") and `dask_address` (a Dask scheduler, e.g. tcp://HOST:8786)."""
    run = _table(raw, "run")
    _reject_unknown(run, ("executor", "dask_address", "batch_rows", "batches_in_flight"), "[run]")
    executor = _string(run, "executor", "run.executor", default="local")
    if executor not in EXECUTORS:
        raise SettingsError(f"run.executor must be one of {list(EXECUTORS)}, got {executor!r}")
    address = run.get("dask_address")
    if address is not None:
        address = _string(run, "dask_address", "run.dask_address")
    return {"executor": executor, "dask_address": address, "batch_rows": _count(run, "batch_rows", 20_000),
            "batches_in_flight": _count(run, "batches_in_flight", 2)}


def _count(table: Mapping[str, Any], key: str, default: int) -> int:
    """A whole number >= 1 from [run], or an error naming the setting and the bad value."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(f"run.{key} must be a whole number >= 1, got {value!r}")
    return value


def _parse_source(entry: Any, index: int) -> SourceSettings:
    where = f"sources[{index}]"
    if not isinstance(entry, Mapping):
        raise SettingsError(f"{where} must be a table, got {entry!r}")
    name = _string(entry, "name", f"{where}.name")
    where = f"sources.{name}"
    kind = _string(entry, "kind", f"{where}.kind")
    if kind not in SOURCE_KINDS:
        raise SettingsError(f"{where}.kind must be one of {list(SOURCE_KINDS)}, got {kind!r}")
    common = ("name", "kind", "channel", "fields", "rating_scale", "timezone")
    allowed = common + {"files": ("path", "format", "encoding"), "http": HTTP_KEYS, "sql": SQL_KEYS}[kind]
    _reject_unknown(entry, allowed, where)
    path = _string(entry, "path", f"{where}.path") if kind == "files" else ""
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
        http=_parse_http(entry, where) if kind == "http" else None,
        sql=_parse_sql(entry, where) if kind == "sql" else None,
    )


HTTP_KEYS = ("url", "headers", "params", "records", "pagination", "since_param", "since_format", "watermark_field",
             "timeout", "retries", "backoff", "max_retry_after", "max_pages")
PAGINATION_KEYS = ("style", "page_param", "start_page", "size_param", "page_size", "cursor_param", "cursor_field",
                   "next_field")
SQL_KEYS = ("url", "query", "watermark_column", "batch_size")


def _parse_http(entry: Mapping[str, Any], where: str) -> HttpSettings:
    url = _env_checked(_string(entry, "url", f"{where}.url"), f"{where}.url")
    if not url.startswith(("http://", "https://", "${")):
        raise SettingsError(f"{where}.url must start with http:// or https://, got {url!r}")
    headers = _string_table(entry, "headers", f"{where}.headers")
    for header, value in headers.items():
        if SECRET_HEADER.search(header) and not ENV_REFERENCE.search(value):
            raise SettingsError(
                f"{where}.headers.{header} looks like a secret: write it as ${{ENV_VAR}} and set that variable, "
                "never the value itself"
            )
    params = _string_table(entry, "params", f"{where}.params")
    raw_pagination = entry.get("pagination", {})
    if not isinstance(raw_pagination, Mapping):
        raise SettingsError(f"{where}.pagination must be a table, got {raw_pagination!r}")
    _reject_unknown(raw_pagination, PAGINATION_KEYS, f"{where}.pagination")
    pw = f"{where}.pagination"
    style = _string(raw_pagination, "style", f"{pw}.style", default="page")
    if style not in PAGINATION_STYLES:
        raise SettingsError(f"{pw}.style must be one of {list(PAGINATION_STYLES)}, got {style!r}")
    page_size = raw_pagination.get("page_size")
    if page_size is not None:
        page_size = _whole(raw_pagination, "page_size", f"{pw}.page_size", 1, 100_000, 1)
    size_param = raw_pagination.get("size_param")
    if size_param is not None:
        size_param = _string(raw_pagination, "size_param", f"{pw}.size_param")
    pagination = Pagination(
        style=style,
        page_param=_string(raw_pagination, "page_param", f"{pw}.page_param", default="page"),
        start_page=_whole(raw_pagination, "start_page", f"{pw}.start_page", 0, 1_000_000, 1),
        size_param=size_param,
        page_size=page_size,
        cursor_param=_string(raw_pagination, "cursor_param", f"{pw}.cursor_param", default="cursor"),
        cursor_field=_string(raw_pagination, "cursor_field", f"{pw}.cursor_field", default="next_cursor"),
        next_field=_string(raw_pagination, "next_field", f"{pw}.next_field", default="next"),
    )
    records = entry.get("records", "")
    if not isinstance(records, str):
        raise SettingsError(f"{where}.records must be a dotted path (text), got {records!r}")
    since_param = entry.get("since_param")
    if since_param is not None:
        since_param = _string(entry, "since_param", f"{where}.since_param")
    since_format = _string(entry, "since_format", f"{where}.since_format", default="iso")
    if since_format not in SINCE_FORMATS:
        raise SettingsError(f"{where}.since_format must be one of {list(SINCE_FORMATS)}, got {since_format!r}")
    watermark_field = entry.get("watermark_field")
    if watermark_field is not None:
        watermark_field = _string(entry, "watermark_field", f"{where}.watermark_field")
    return HttpSettings(
        url=url,
        headers=headers,
        params=params,
        records=records,
        pagination=pagination,
        since_param=since_param,
        since_format=since_format,
        watermark_field=watermark_field,
        timeout=_seconds(entry, "timeout", f"{where}.timeout", 30.0, minimum=0.001),
        retries=_whole(entry, "retries", f"{where}.retries", 0, 20, 4),
        backoff=_seconds(entry, "backoff", f"{where}.backoff", 1.0, minimum=0.0),
        max_retry_after=_seconds(entry, "max_retry_after", f"{where}.max_retry_after", 300.0, minimum=0.0),
        max_pages=_whole(entry, "max_pages", f"{where}.max_pages", 1, 1_000_000, 100),
    )


def _parse_sql(entry: Mapping[str, Any], where: str) -> SqlSettings:
    url = _env_checked(_string(entry, "url", f"{where}.url"), f"{where}.url")
    if "://" not in url and not url.startswith("${"):
        raise SettingsError(f"{where}.url must be a SQLAlchemy URL (dialect://...) or ${{ENV_VAR}}, got {url!r}")
    if "@" in url and ":" in url.split("://", 1)[-1].split("@", 1)[0] and not ENV_REFERENCE.search(url):
        raise SettingsError(f"{where}.url holds a password: put the URL (or the password) in an environment "
                            "variable and write ${ENV_VAR}")
    query = _string(entry, "query", f"{where}.query")
    column = _string(entry, "watermark_column", f"{where}.watermark_column")
    if not SQL_IDENTIFIER.fullmatch(column):
        raise SettingsError(f"{where}.watermark_column must be a plain column name, got {column!r}")
    return SqlSettings(url=url, query=query.strip().rstrip(";"), watermark_column=column,
                       batch_size=_whole(entry, "batch_size", f"{where}.batch_size", 1, 1_000_000, 1000))


def _env_checked(value: str, where: str) -> str:
    """`value` after checking its `${...}` references are well formed (they are resolved at run time)."""
    stripped = ENV_REFERENCE.sub("", value)
    if "${" in stripped:
        raise SettingsError(f"{where}: malformed environment reference in {value!r}; write ${{NAME}}")
    return value


def _string_table(raw: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise SettingsError(f"{where} must be a table of names to text, got {value!r}")
    table = {}
    for name, item in value.items():
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise SettingsError(f"{where}.{name} must be text or a number, got {item!r}")
        table[str(name)] = _env_checked(str(item), f"{where}.{name}")
    return table


def _whole(raw: Mapping[str, Any], key: str, where: str, low: int, high: int, default: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SettingsError(f"{where} must be a whole number from {low} to {high}, got {value!r}")
    return value


def _seconds(raw: Mapping[str, Any], key: str, where: str, default: float, minimum: float) -> float:
    value = raw.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum or value > 86_400:
        raise SettingsError(f"{where} must be a number of seconds from {minimum:g} to 86400, got {value!r}")
    return float(value)


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


def _non_negative(raw: Mapping[str, Any], key: str, where: str, default: float, positive: bool = False) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (positive and value == 0):
        bound = "a number above 0" if positive else "a number >= 0"
        raise SettingsError(f"{where} must be {bound}, got {value!r}")
    return float(value)


def _reject_unknown(raw: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise SettingsError(f"{where}: unknown settings {unknown}; allowed: {list(allowed)}")
