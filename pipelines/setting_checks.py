"""One setting's checks, as pydantic annotated types: each error names what is wrong and the bad value, in words
that read after the setting's path (`run.batch_rows must be a whole number >= 1, got 0`)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Callable

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SQL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DASK_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")

WRONG = "setting"
"""Error type whose message follows the path after a space: `run.batch_rows must be a whole number >= 1, got 0`."""
NOTE = "setting_note"
"""Error type whose message follows the path after a colon: `sources.shop.timezone: unknown time zone 'Mars'`."""


def wrong(message: str, key: str = "") -> PydanticCustomError:
    """A wrong-setting error; `key` (dotted) names the setting below the table the check runs on."""
    return PydanticCustomError(WRONG, message, {"key": key} if key else None)


def note(message: str, key: str = "") -> PydanticCustomError:
    """Like `wrong`, for a message that reads after a colon."""
    return PydanticCustomError(NOTE, message, {"key": key} if key else None)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise wrong(f"must be a non-empty string, got {value!r}")
    return value


def _env_text(value: Any) -> str:
    """Text whose `${NAME}` references are well formed (they are resolved when the source is read)."""
    text = _text(value)
    if "${" in ENV_REFERENCE.sub("", text):
        raise note(f"malformed environment reference in {text!r}; write ${{NAME}}")
    return text


def _env_value(value: Any) -> str:
    """A header or parameter value: text or a number, as text with well-formed `${NAME}` references."""
    if not isinstance(value, str) and not _is_number(value):
        raise wrong(f"must be text or a number, got {value!r}")
    return _env_text(str(value))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise wrong(f"must be true or false, got {value!r}")
    return value


def one_of(choices: tuple[str, ...]) -> BeforeValidator:
    """One of `choices`."""

    def check(value: Any) -> str:
        if value not in choices:
            raise wrong(f"must be one of {list(choices)}, got {value!r}")
        return value

    return BeforeValidator(check)


def whole(low: int, high: int | None = None) -> BeforeValidator:
    """A whole number from `low` (to `high`); true/false and 2.5 are not."""
    bounds = f"from {low} to {high}" if high is not None else f">= {low}"

    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
            raise wrong(f"must be a whole number {bounds}, got {value!r}")
        return value

    return BeforeValidator(check)


def _amount(positive: bool) -> BeforeValidator:
    """A number >= 0 (above 0 when `positive`), as a float."""
    bound = "a number above 0" if positive else "a number >= 0"

    def check(value: Any) -> float:
        if not _is_number(value) or value < 0 or (positive and value == 0):
            raise wrong(f"must be {bound}, got {value!r}")
        return float(value)

    return BeforeValidator(check)


def seconds(minimum: float) -> BeforeValidator:
    """A number of seconds from `minimum` to a day, as a float."""

    def check(value: Any) -> float:
        if not _is_number(value) or not minimum <= value <= 86_400:
            raise wrong(f"must be a number of seconds from {minimum:g} to 86400, got {value!r}")
        return float(value)

    return BeforeValidator(check)


def _time_zone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = _text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise note(f"unknown time zone {name!r}") from None
    return name


def _encoding(value: Any) -> str:
    import codecs

    name = _text(value)
    try:
        is_text = isinstance(codecs.lookup(name).decode(b"")[0], str)
    except Exception:  # unknown, or a bytes codec (zlib, base64) that cannot turn bytes into text
        is_text = False
    if not is_text:
        raise note(f"unknown text encoding {name!r}")
    return name


def _env_name(value: Any) -> str:
    name = _text(value)
    if not ENV_NAME.fullmatch(name):
        raise wrong(f"must be an environment variable name (letters, digits and _), got {name!r}")
    return name


def _dask_address(value: Any) -> str:
    address = _text(value)
    scheme, separator, rest = address.rpartition("://")
    if (separator and scheme not in DASK_SCHEMES) or not rest.strip("/"):
        raise wrong(f"must be a Dask scheduler address such as tcp://HOST:8786 (schemes {list(DASK_SCHEMES)}), "
                    f"got {address!r}")
    return address


def _http_url(value: Any) -> str:
    from urllib.parse import urlsplit

    url = _env_text(value)
    if not url.startswith("${") and not (url.startswith(("http://", "https://")) and urlsplit(url).netloc):
        raise wrong(f"must start with http:// or https:// and name a host, got {url!r}")
    return url


def _sql_url(value: Any) -> str:
    url = _env_text(value)
    if "://" not in url and not url.startswith("${"):
        raise wrong(f"must be a SQLAlchemy URL (dialect://...) or ${{ENV_VAR}}, got {url!r}")
    if "@" in url and ":" in url.split("://", 1)[-1].split("@", 1)[0] and not ENV_REFERENCE.search(url):
        raise wrong("holds a password: put the URL (or the password) in an environment variable and write ${ENV_VAR}")
    dialect = url.partition("://")[0]
    if "://" in url and "${" not in dialect:
        from sqlalchemy.dialects import registry
        from sqlalchemy.exc import NoSuchModuleError

        try:
            registry.load(dialect.replace("+", "."))
        except NoSuchModuleError:
            raise note(f"unknown database dialect {dialect!r} (SQLAlchemy's, e.g. postgresql, "
                       "postgresql+psycopg, mysql+pymysql, sqlite)") from None
    return url


def _query(value: Any) -> str:
    query = _text(value).strip().rstrip(";").strip()
    if not query:
        raise wrong(f"must be a SQL query, got {value!r}")
    return query


def _column(value: Any) -> str:
    column = _text(value)
    if not SQL_IDENTIFIER.fullmatch(column):
        raise wrong(f"must be a plain column name, got {column!r}")
    return column


def _records_path(value: Any) -> str:
    if not isinstance(value, str):
        raise wrong(f"must be a dotted path (text), got {value!r}")
    return value


def _storage_option(value: Any) -> str | int | float | bool:
    if not isinstance(value, (str, int, float, bool)):
        raise wrong(f"must be text, a number or true/false, got {value!r}")
    return value


def optional(check: BeforeValidator | Callable[[Any], Any]) -> BeforeValidator:
    """`check` for a setting that may be left out (None)."""
    func = check.func if isinstance(check, BeforeValidator) else check
    return BeforeValidator(lambda value: None if value is None else func(value))


Text = Annotated[str, BeforeValidator(_text)]
OptionalText = Annotated[str | None, optional(_text)]
EnvValue = Annotated[str, BeforeValidator(_env_value)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Count = Annotated[int, whole(1)]
NonNegative = Annotated[float, _amount(positive=False)]
Positive = Annotated[float, _amount(positive=True)]
TimeZone = Annotated[str, BeforeValidator(_time_zone)]
Encoding = Annotated[str, BeforeValidator(_encoding)]
EnvName = Annotated[str, BeforeValidator(_env_name)]
OptionalDaskAddress = Annotated[str | None, optional(_dask_address)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
SqlUrl = Annotated[str, BeforeValidator(_sql_url)]
SqlQuery = Annotated[str, BeforeValidator(_query)]
ColumnName = Annotated[str, BeforeValidator(_column)]
DottedPath = Annotated[str, BeforeValidator(_records_path)]
StorageOption = Annotated[str | int | float | bool, BeforeValidator(_storage_option)]
