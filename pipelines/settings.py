"""Configuration (causa.toml): sources, lake root, model, privacy, run. Paths are defined here once.

Each TOML table is a frozen pydantic model whose fields are its keys with their defaults, stated once; everything
that can be checked without running (choices, ranges, time zones, encodings, URL schemes, secrets written in
clear) is checked when the file is loaded. A wrong setting raises SettingsError naming it, e.g.
`sources.reviews.encoding: unknown text encoding 'utf-9'`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Mapping

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from causa.nlp.taxonomy import SUPPORTED_LANGUAGES, TIERS
from causa.pipelines.setting_checks import (
    ENV_REFERENCE,
    NOTE,
    WRONG,
    ColumnName,
    Count,
    DottedPath,
    Encoding,
    EnvName,
    EnvValue,
    Flag,
    HttpUrl,
    NonNegative,
    OptionalDaskAddress,
    OptionalText,
    Positive,
    SqlQuery,
    SqlUrl,
    StorageOption,
    Text,
    TimeZone,
    note,
    one_of,
    optional,
    seconds,
    whole,
    wrong,
)
from causa.pipelines.errors import PipelineError
from causa.storage.filesystem import OPTION_SCHEMES, LakeLocationError, RemotePath, is_remote
from causa.storage.layout import models_dir
from causa.storage.object_lock import conditional_create
from causa.storage.schemas import CHANNELS
from causa.storage.service_metrics import CSI_ANSWERS

SAMPLE_PREFIX = "sample:"
DEFAULT_CONFIG_NAME = "causa.toml"
FILE_FORMATS = ("csv", "jsonl", "parquet")
SOURCE_KINDS = ("files", "http", "sql")
EXECUTORS = ("local", "processes", "dask")
PAGINATION_STYLES = ("page", "cursor", "next_link")
SINCE_FORMATS = ("iso", "date", "epoch")
AUTHOR_SALT_ENV = "CAUSA_AUTHOR_SALT"
DEVELOPMENT_SALT = "causa-development-salt"

SECRET_HEADER = re.compile(r"authorization|cookie|token|secret|key|password|signature", re.IGNORECASE)
STORAGE_SECRET = re.compile(r"secret|token|password|access_key|credential", re.IGNORECASE)


class SettingsError(PipelineError, ValueError):
    """A missing or wrong setting; the message names it."""


def resolve_env(template: str, where: str, environ: Mapping[str, str] | None = None) -> str:
    """`template` with each `${NAME}` replaced by that environment variable; an unset one is an error naming it."""
    environ = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise SettingsError(f"{where} refers to environment variable {name}, which is not set")
        return environ[name]

    return ENV_REFERENCE.sub(value, template)


def _source_list(value: Any) -> Any:
    """The [[sources]] tables: at least one."""
    if not isinstance(value, (list, tuple)) or not value:
        raise note("at least one [[sources]] table is required" + ("" if value == () else f", got {value!r}"))
    return value


# -- the tables ------------------------------------------------------------------------------------------------


class Table(BaseModel):
    """One TOML table: its fields are its keys (by alias where the attribute is named otherwise)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def toml_keys(cls) -> tuple[str, ...]:
        """The keys the table's TOML may hold."""
        return tuple(field.alias or name for name, field in cls.model_fields.items())

    @classmethod
    def allowed_keys(cls, data: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The keys `data` may hold; None when that depends on a value that is itself wrong."""
        return cls.toml_keys()

    @classmethod
    def arranged(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """`data` in the model's shape (the same unless the TOML table is laid out otherwise)."""
        return data

    @model_validator(mode="before")
    @classmethod
    def _known_keys_only(cls, data: Any) -> Any:
        """Unknown keys are refused all together, with the allowed ones listed."""
        if not isinstance(data, Mapping):
            return data
        allowed = cls.allowed_keys(data)
        unknown = sorted(set(data) - set(allowed)) if allowed is not None else []
        if unknown:
            raise note(f"unknown settings {unknown}; allowed: {list(allowed)}")
        return cls.arranged(data)


class LakeSettings(Table):
    """[lake]: where the tables go and how runs share them."""

    root: Text = "lake"
    """A folder (relative to the config file) or a URL such as s3://bucket/prefix."""
    storage_options: Mapping[str, StorageOption] = Field(
        default_factory=dict
    )
    """Keyword arguments of a URL lake's filesystem (endpoint, region, `${ENV_VAR}` credentials)."""
    lock_dir: OptionalText = None
    """Local folder of the lake lock when the lake is remote; a local lake holds its own lock."""
    lock_wait_seconds: NonNegative = 60.0
    """How long a run waits for another run's lake lock before giving up."""
    lock_stale_hours: Positive = 12.0
    """A lake lock older than this is taken over as stale (its run died on another host)."""
    duplicate_window_hours: NonNegative = 24.0
    """The same text from the same author within this many hours is stored once."""

    @model_validator(mode="after")
    def _location_is_usable(self) -> LakeSettings:
        """A URL root has a known scheme and no query; storage options only with a URL; no secret in clear."""
        options = self.storage_options
        if not is_remote(self.root):
            if options:
                raise wrong(f"{sorted(options)} only apply to a URL lake.root such as s3://bucket/prefix, "
                            f"not to the local folder {self.root!r}", key="storage_options")
            return self
        try:
            RemotePath(self.root)
        except LakeLocationError as error:
            raise note(str(error), key="root") from None
        scheme = self.root.partition("://")[0].lower()
        from fsspec.registry import known_implementations

        if scheme not in OPTION_SCHEMES and scheme not in known_implementations:
            raise note(f"no filesystem knows {scheme}:// (e.g. s3://, gs://, abfs://, or an fsspec protocol)",
                       key="root")
        for name, value in options.items():
            if not isinstance(value, str):
                continue
            if STORAGE_SECRET.search(name) and not ENV_REFERENCE.search(value):
                raise wrong("looks like a secret: write it as ${ENV_VAR} (or use the AWS_* variables), "
                            "never the value itself", key=f"storage_options.{name}")
            if "${" in ENV_REFERENCE.sub("", value):
                raise note(f"malformed environment reference in {value!r}; write ${{NAME}}",
                           key=f"storage_options.{name}")
        return self


class ModelSettings(Table):
    """[model]: which model version scores, at which tier, and where trained versions live."""

    version: Text = "promoted"
    """The promoted version in the registry, else the shipped model; or "default", or a version name."""
    tier: Annotated[str, one_of(TIERS)] = "fast"
    """fast, or accurate: fused with the multilingual encoder (about 60 docs/s on two cores; see the README)."""
    registry: OptionalText = None
    """Folder or object-store URL (s3://bucket/prefix) of the model registry; None means `<lake root>/models`."""

    @model_validator(mode="after")
    def _registry_is_usable(self) -> ModelSettings:
        if self.registry is not None and is_remote(self.registry):
            try:
                RemotePath(self.registry)
            except LakeLocationError as error:
                raise note(str(error), key="registry") from None
        return self


class PrivacySettings(Table):
    """[privacy]: whether a missing author salt stops the run, and where the salt is read from."""

    production: Flag = False
    salt_env: EnvName = AUTHOR_SALT_ENV


class RunSettings(Table):
    """[run]: where submitted tasks run and how many records are held at once."""

    executor: Annotated[str, one_of(EXECUTORS)] = "local"
    """"local" threads, "processes" on this machine, or a "dask" cluster."""
    dask_address: OptionalDaskAddress = None
    """Scheduler of an existing Dask cluster (e.g. tcp://HOST:8786); None starts a local cluster for the run."""
    batch_rows: Count = 20_000
    """Records read, scored and staged at a time: bounds the run's memory whatever the volume."""
    batches_in_flight: Count = 2
    """Batches submitted for scoring and not yet written: about one per worker process."""


class ReportSettings(Table):
    """[report]: the language of the report's words."""

    locale: Annotated[str, one_of(SUPPORTED_LANGUAGES)] = "en"
    """en, pt, es, ro or ru: the nightly report's words and the default of `causa report --locale`."""


def _csi_weights(value: Any) -> Mapping[str, float]:
    """Positive weights of known survey answers, divided by their sum (so that they sum to 1)."""
    if not isinstance(value, Mapping) or not value:
        raise wrong(f"must be a table of weights such as {{ csat = 0.5, nps = 0.3, ces = 0.2 }}, got {value!r}")
    unknown = sorted(name for name in value if name not in CSI_ANSWERS)
    if unknown:
        raise note(f"unknown answers {unknown}; the index weighs {list(CSI_ANSWERS)}")
    for name, weight in value.items():
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 < weight < float("inf"):
            raise wrong(f"must be a number above 0, got {weight!r}", key=name)
    total = float(sum(value.values()))
    return {name: float(value[name]) / total for name in CSI_ANSWERS if name in value}


class CsiSettings(Table):
    """[metrics.csi]: the customer satisfaction index, a weighted mean of survey answers each put on 0-100."""

    weights: Annotated[Mapping[str, float], BeforeValidator(_csi_weights)]
    """Answer -> weight (csat, nps, ces); positive, relative: each is divided by their sum."""


class MetricsSettings(Table):
    """[metrics]: metrics computed from the configuration; none by default."""

    csi: CsiSettings | None = None


class FieldMapping(Table):
    """[sources.fields]: the source's field holding each item field; id, text and created_at are required.

    Read like a mapping of the mapped item fields: `fields["id"]`, `fields.get("rating")`, `"channel" in fields`.
    """

    id: Text
    text: Text
    created_at: Text
    rating: OptionalText = None
    author: OptionalText = None
    product: OptionalText = None
    channel: OptionalText = None
    language: OptionalText = None
    nps: OptionalText = None
    csat: OptionalText = None
    ces: OptionalText = None
    responded_at: OptionalText = None
    """When the item was first answered (same time formats as created_at): gives its response time."""

    def get(self, name: str, default: str | None = None) -> str | None:
        value = getattr(self, name, None) if name in type(self).model_fields else None
        return default if value is None else value

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


class Pagination(Table):
    """[sources.pagination] of an http source: by page number, by a cursor from the body, or by a next link."""

    style: Annotated[str, one_of(PAGINATION_STYLES)] = "page"
    page_param: Text = "page"
    start_page: Annotated[int, whole(0, 1_000_000)] = 1
    size_param: OptionalText = None
    page_size: Annotated[int | None, optional(whole(1, 100_000))] = None
    cursor_param: Text = "cursor"
    cursor_field: Text = "next_cursor"
    next_field: Text = "next"


class HttpSettings(Table):
    """The keys of an http [[sources]] table: a JSON API; header and parameter values may hold `${ENV_VAR}`
    references, resolved only at run time."""

    url: HttpUrl
    headers: Mapping[str, EnvValue] = Field(default_factory=dict)
    params: Mapping[str, EnvValue] = Field(default_factory=dict)
    records: DottedPath = ""
    """Dotted path to the list of items in each response body; empty when the body is the list."""
    pagination: Pagination = Field(default_factory=Pagination)
    since_param: OptionalText = None
    since_format: Annotated[str, one_of(SINCE_FORMATS)] = "iso"
    watermark_field: OptionalText = None
    """Field whose highest value becomes the watermark (default: the mapped created_at)."""
    timeout: Annotated[float, seconds(0.001)] = 30.0
    retries: Annotated[int, whole(0, 20)] = 4
    backoff: Annotated[float, seconds(0.0)] = 1.0
    max_retry_after: Annotated[float, seconds(0.0)] = 300.0
    max_pages: Annotated[int, whole(1, 1_000_000)] = 100

    @model_validator(mode="after")
    def _no_secret_in_clear(self) -> HttpSettings:
        for header, value in self.headers.items():
            if SECRET_HEADER.search(header) and not ENV_REFERENCE.search(value):
                raise wrong("looks like a secret: write it as ${ENV_VAR} and set that variable, never the value itself",
                            key=f"headers.{header}")
        return self


class SqlSettings(Table):
    """The keys of a sql [[sources]] table: a SQLAlchemy database URL (may be `${ENV_VAR}`), a query and the
    column that orders new rows."""

    url: SqlUrl
    query: SqlQuery
    watermark_column: ColumnName
    batch_size: Annotated[int, whole(1, 1_000_000)] = 1000


KIND_TABLES: dict[str, type[Table]] = {"http": HttpSettings, "sql": SqlSettings}
"""The model holding a kind's own keys, which sit in the [[sources]] table itself."""
FILE_KEYS = ("path", "format", "encoding")


class SourceSettings(Table):
    """One [[sources]] table. The keys of an http or sql source (url, headers, query, ...) are written in the
    table itself and read into `http` or `sql`; `path`, `format` and `encoding` belong to files sources."""

    name: Text
    kind: Annotated[str, one_of(SOURCE_KINDS)]
    channel: Annotated[str | None, optional(one_of(CHANNELS))] = None
    """Required unless fields.channel is mapped."""
    fields: FieldMapping
    rating_scale: Annotated[int, whole(2, 100)] = 5
    timezone: TimeZone = "UTC"
    """Zone of times written without an offset."""
    path: Text = ""
    """Files: a file or glob; `sample:` points into the bundled sample, a relative path is relative to base_dir."""
    file_format: Annotated[str | None, optional(one_of(FILE_FORMATS))] = Field(None, alias="format")
    """Files: None reads each file by its suffix."""
    encoding: Encoding = "utf-8-sig"
    """Files: the text encoding of CSV and JSONL; a UTF-8 or UTF-16 byte-order mark wins."""
    http: HttpSettings | None = None
    """Set for kind "http"."""
    sql: SqlSettings | None = None
    """Set for kind "sql"."""

    @classmethod
    def allowed_keys(cls, data: Mapping[str, Any]) -> tuple[str, ...] | None:
        kind = data.get("kind")
        if kind not in SOURCE_KINDS:
            return None
        common = tuple(key for key in cls.toml_keys() if key not in (*FILE_KEYS, *KIND_TABLES))
        return common + (KIND_TABLES[kind].toml_keys() if kind in KIND_TABLES else FILE_KEYS)

    @classmethod
    def arranged(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        kind = data.get("kind")
        if kind not in KIND_TABLES:
            return data
        own = KIND_TABLES[kind].toml_keys()
        return {**{key: value for key, value in data.items() if key not in own},
                kind: {key: value for key, value in data.items() if key in own}}

    @model_validator(mode="after")
    def _complete_for_its_kind(self) -> SourceSettings:
        if self.kind == "files" and not self.path:
            raise wrong("is required for a files source", key="path")
        if self.channel is None and "channel" not in self.fields:
            raise wrong(f"is required (one of {list(CHANNELS)}) unless fields.channel is mapped", key="channel")
        return self

    def resolved_path(self, base: Path) -> str:
        """The glob to read: `sample:` points into the bundled sample, a relative path is relative to `base`."""
        return local_path(self.path, base)


class ConfigFile(Table):
    """The whole configuration file."""

    lake: LakeSettings = Field(default_factory=LakeSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    run: RunSettings = Field(default_factory=RunSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    sources: Annotated[tuple[SourceSettings, ...], BeforeValidator(_source_list)] = Field((), validate_default=True)

    @model_validator(mode="after")
    def _consistent(self) -> ConfigFile:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise note(f"duplicate source names {duplicates}", key="sources")
        return self


# -- the run's settings ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The configuration as a run uses it: validated tables, paths resolved, the author salt read."""

    lake_root: Path | RemotePath
    """A local folder, or a RemotePath in an object store (lake.root = "s3://bucket/prefix")."""
    lock_dir: Path | None
    lock_wait_seconds: float
    lock_stale_hours: float
    duplicate_window_hours: float
    sources: tuple[SourceSettings, ...]
    model_version: str
    model_tier: str
    model_registry: Path | RemotePath | None
    author_salt: str
    production: bool
    executor: str
    dask_address: str | None
    batch_rows: int
    batches_in_flight: int
    config_path: Path | None
    base_dir: Path
    """Folder that relative source paths are taken from."""
    report_locale: str = "en"
    """The language of the report's words ([report] locale)."""
    csi_weights: Mapping[str, float] | None = None
    """[metrics.csi] weights, summing to 1; None when the index is not configured."""

    @property
    def registry_root(self) -> Path | RemotePath:
        """Where trained model versions and the promoted pointer live (in the bucket too when the lake is remote)."""
        return self.model_registry if self.model_registry is not None else models_dir(self.lake_root)

    @property
    def lock_root(self) -> Path | RemotePath:
        """Where the run lock file lives: the lake root for a local lake; for a remote one `lock_dir` (a local
        folder) when set, else the lake root when the store can create an object only if absent (S3), else the
        default local lock folder."""
        if isinstance(self.lake_root, Path):
            return self.lake_root
        if self.lock_dir is not None:
            return self.lock_dir
        return self.lake_root if conditional_create(self.lake_root) else default_lock_dir(self.lake_root)


def local_path(path: str, base: Path) -> str:
    """A configured file path as read: `sample:` points into the bundled sample, a relative path is relative to
    `base` (the configuration's folder), `~` is the home folder."""
    if path.startswith(SAMPLE_PREFIX):
        return str(sample_root() / path[len(SAMPLE_PREFIX) :])
    expanded = Path(os.path.expanduser(path))
    return str(expanded if expanded.is_absolute() else base / expanded)


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
    try:
        config = ConfigFile.model_validate(raw)
    except ValidationError as error:
        raise SettingsError("\n".join(_described(error, raw))) from None
    lake, model, run = config.lake, config.model, config.run
    return Settings(
        lake_root=_lake_root(lake, base),
        lock_dir=_local_path(lake.lock_dir, base),
        lock_wait_seconds=lake.lock_wait_seconds,
        lock_stale_hours=lake.lock_stale_hours,
        duplicate_window_hours=lake.duplicate_window_hours,
        sources=config.sources,
        model_version=model.version,
        model_tier=model.tier,
        model_registry=_registry_location(model.registry, lake, base),
        author_salt=_author_salt(config.privacy),
        production=config.privacy.production,
        executor=run.executor,
        dask_address=run.dask_address,
        batch_rows=run.batch_rows,
        batches_in_flight=run.batches_in_flight,
        config_path=config_path,
        base_dir=base,
        report_locale=config.report.locale,
        csi_weights=config.metrics.csi.weights if config.metrics.csi is not None else None,
    )


def _local_path(configured: str | None, base: Path) -> Path | None:
    """A configured folder with `~` expanded, relative to `base` unless absolute."""
    if configured is None:
        return None
    path = Path(os.path.expanduser(configured))
    return path if path.is_absolute() else base / path


def _registry_location(configured: str | None, lake: LakeSettings, base: Path) -> Path | RemotePath | None:
    """model.registry as a local folder, or as a RemotePath reached with the lake's storage options when the lake
    is in an object store too (else the AWS_* variables' endpoint and credentials)."""
    if configured is None or not is_remote(configured):
        return _local_path(configured, base)
    options = _lake_root(lake, base).options if is_remote(lake.root) else {}
    return RemotePath(configured, options)


def _lake_root(lake: LakeSettings, base: Path) -> Path | RemotePath:
    """lake.root as a local Path, or a RemotePath with lake.storage_options' `${ENV_VAR}` references resolved."""
    if not is_remote(lake.root):
        return _local_path(lake.root.removeprefix("file://"), base)
    options = {name: resolve_env(value, f"lake.storage_options.{name}") if isinstance(value, str) else value
               for name, value in lake.storage_options.items()}
    return RemotePath(lake.root, options)


def _author_salt(privacy: PrivacySettings) -> str:
    """The salt of author hashes from the environment; in production mode a missing one is an error."""
    salt = os.environ.get(privacy.salt_env, "")
    if salt:
        return salt
    if privacy.production:
        raise SettingsError(f"privacy.production is true but environment variable {privacy.salt_env} "
                            "(author salt) is not set")
    return DEVELOPMENT_SALT


def default_lock_dir(root: RemotePath) -> Path:
    """The lock folder of a remote lake when lake.lock_dir is not set: one per lake under ~/.cache/causa/locks."""
    import hashlib

    digest = hashlib.sha256(root.uri.encode("utf-8")).hexdigest()[:16]
    return Path.home() / ".cache" / "causa" / "locks" / f"{root.scheme}-{digest}"


# -- pydantic's errors as settings errors ------------------------------------------------------------------------

TOP_TABLES = ("lake", "model", "privacy", "run", "report", "metrics")


def _described(error: ValidationError, raw: Mapping[str, Any]) -> list[str]:
    """One line per wrong setting, each naming it by its path in the file (sources by name)."""
    lines: list[str] = []
    for line in error.errors():
        key = (line.get("ctx") or {}).get("key", "")
        path = setting_path((*line["loc"], *key.split(".")) if key else line["loc"], raw)
        kind, value = line["type"], line["input"]
        if kind == WRONG:
            text = f"{path} {line['msg']}"
        elif kind == NOTE:
            text = f"{path}: {line['msg']}"
        elif kind == "missing":
            text = f"{path} is required"
        elif kind in ("model_type", "dict_type", "model_attributes_type"):
            text = f"{path} must be a table, got {value!r}"
        elif kind == "extra_forbidden":
            text = f"{path}: unknown setting"
        else:
            text = f"{path}: {line['msg']}, got {value!r}"
        if text not in lines:
            lines.append(text)
    return lines


def setting_path(loc: tuple[str | int, ...], raw: Mapping[str, Any]) -> str:
    """A validation location as the user writes the setting: `lake.root`, `[run]`, `sources.shop.url`."""
    if not loc:
        return "top level"
    head, rest = str(loc[0]), list(loc[1:])
    if head == "sources" and rest and isinstance(rest[0], int):
        index = rest.pop(0)
        entries = raw.get("sources")
        entry = entries[index] if isinstance(entries, (list, tuple)) and index < len(entries) else None
        name = entry.get("name") if isinstance(entry, Mapping) else None
        label = f"sources.{name}" if isinstance(name, str) and name.strip() else f"sources[{index}]"
        if rest and rest[0] in KIND_TABLES:
            rest.pop(0)  # an http/sql source's own keys sit in its [[sources]] table
        return ".".join([label, *map(str, rest)])
    if not rest and head in TOP_TABLES:
        return f"[{head}]"
    return ".".join([head, *map(str, rest)])
