"""HTTP source: a generic JSON API (reviews, social comments) read page by page, politely and incrementally."""

from __future__ import annotations

import logging
import math
import time
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator
from urllib.parse import urljoin, urlsplit

import httpx

from causa.pipelines.settings import HttpSettings, SettingsError, SourceSettings, resolve_env
from causa.pipelines.sources.fields import (
    lacking_fields, missing_optional_fields, warn_of_missing_optional_fields,
)
from causa.pipelines.sources.files import SourceError
from causa.pipelines.sources.progress import Checkpoint, Start
from causa.pipelines.sources.records import RawRecord
from causa.pipelines.validation import InvalidRecord, parse_timestamp
from causa.storage.state import Watermark, later

logger = logging.getLogger(__name__)

USER_AGENT = "causa-feedback (+https://pypi.org/project/causa-feedback/)"


class HttpSource:
    """Pages through a JSON API from the watermark on; retries 5xx, 429 (honouring Retry-After) and bad pages.

    Header and parameter values are resolved from `${ENV_VAR}` only here, at run time, and never logged: logs and
    errors name the endpoint without its query string.
    """

    def __init__(self, settings: SourceSettings, start: Start | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if settings.http is None:
            raise SourceError(f"source {settings.name!r} is not an http source")
        self.settings = settings
        self.http: HttpSettings = settings.http
        self.start = start or Start()
        self.sleep = sleep
        self.pages = 0
        self.truncated = False
        self._watermark: Watermark | None = None
        self._told_missing: set[str] = set()

    def since(self) -> datetime | None:
        """Where this run starts: the `--since` date if given, else the committed watermark (a UTC time)."""
        if self.start.since is not None:
            return datetime(self.start.since.year, self.start.since.month, self.start.since.day, tzinfo=timezone.utc)
        mark = self.start.watermark
        if isinstance(mark, datetime):
            return mark if mark.tzinfo else mark.replace(tzinfo=timezone.utc)
        if isinstance(mark, date):
            return datetime(mark.year, mark.month, mark.day, tzinfo=timezone.utc)
        return None

    def extract(self) -> Iterator[RawRecord]:
        http, name = self.http, self.settings.name
        url = self._resolve(http.url, "url")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        headers.update({key: self._resolve(value, f"headers.{key}") for key, value in http.headers.items()})
        params: dict[str, str] = {key: self._resolve(value, f"params.{key}") for key, value in http.params.items()}
        since = self.since()
        if since is not None and http.since_param:
            params[http.since_param] = format_since(since, http.since_format)
        pagination = http.pagination
        if pagination.size_param and pagination.page_size:
            params[pagination.size_param] = str(pagination.page_size)
        page = pagination.start_page
        logger.info("source %s: reading %s since %s", name, display_url(url), since.isoformat() if since else "the start")
        with httpx.Client(timeout=http.timeout, headers=headers, follow_redirects=True) as client:
            while True:
                if self.pages >= http.max_pages:
                    self.truncated = True
                    logger.warning("source %s: stopped after max_pages=%d; the next run goes on from the watermark",
                                   name, http.max_pages)
                    return
                query = dict(params)
                if pagination.style == "page":
                    query[pagination.page_param] = str(page)
                body, response = self._get(client, url, query)
                self.pages += 1
                items = dig(body, http.records)
                if not isinstance(items, list):
                    where = f"field {http.records!r}" if http.records else "the response body"
                    raise SourceError(f"source {name!r}: page {self.pages} of {display_url(url)}: {where} is not a "
                                      f"list of items (got {type(items).__name__}); check the `records` setting")
                objects = [item for item in items if isinstance(item, dict)]
                if objects:
                    self._check_fields(set().union(*objects), f"page {self.pages} of {display_url(url)}")
                for index, item in enumerate(items, start=1):
                    origin = f"{name}:page {self.pages}:{index}"
                    if not isinstance(item, dict):
                        yield RawRecord(origin=origin, data={"item": item},
                                        error=f"a JSON object was expected, got {type(item).__name__}")
                        continue
                    self._watermark = later(self._watermark, self._watermark_of(item))
                    yield RawRecord(origin=origin, data=item)
                if pagination.style == "page":
                    if not items or (pagination.page_size and len(items) < pagination.page_size):
                        return
                    page += 1
                elif pagination.style == "cursor":
                    cursor = dig(body, pagination.cursor_field)
                    if cursor in (None, "") or not items:
                        return
                    params[pagination.cursor_param] = str(cursor)
                else:
                    link = dig(body, pagination.next_field) or response.links.get("next", {}).get("url")
                    if not link:
                        return
                    url = urljoin(str(response.url), str(link))
                    params = {}  # a next link carries its own query

    def checkpoint(self) -> Checkpoint:
        """The highest item time seen (the watermark to store once the rows are committed)."""
        return Checkpoint(watermark=self._watermark)

    def _check_fields(self, present: set[str], where: str) -> None:
        """A SourceError when the items of a page lack a mapped required field altogether; a warning, once per
        field and run, when they lack a mapped optional one."""
        if problem := lacking_fields(self.settings, present, where):
            raise SourceError(problem)
        missing = [role for role in missing_optional_fields(self.settings, present) if role not in self._told_missing]
        self._told_missing.update(warn_of_missing_optional_fields(self.settings, present, where, missing))

    def _watermark_of(self, item: dict[str, Any]) -> datetime | None:
        field = self.http.watermark_field or self.settings.fields["created_at"]
        try:
            return parse_timestamp(dig(item, field), self.settings.timezone, field)
        except InvalidRecord:
            return None  # the item is quarantined by validation; it does not move the watermark

    def _resolve(self, template: str, setting: str) -> str:
        try:
            return resolve_env(template, f"sources.{self.settings.name}.{setting}")
        except SettingsError as error:
            raise SourceError(str(error)) from None

    def _get(self, client: httpx.Client, url: str, params: dict[str, str]) -> tuple[Any, httpx.Response]:
        """One page as parsed JSON; transient failures are retried with backoff, then reported.

        A page that stays unreachable, slow, 5xx or 429 is reported as a transient SourceError (it can pass); one
        that stays malformed is not (the API keeps sending a body that cannot be read).
        """
        http, name = self.http, self.settings.name
        attempts = http.retries + 1
        where = f"source {name!r}: page {self.pages + 1} of {display_url(url)}"
        for attempt in range(1, attempts + 1):
            wait = http.backoff * 2 ** (attempt - 1)
            transient = True
            try:
                response = client.get(httpx.URL(url).copy_merge_params(params))  # keeps the url's own query
            except httpx.TimeoutException:
                problem = f"no answer within {http.timeout:g} s"
            except httpx.TransportError as error:
                problem = f"connection failed ({type(error).__name__})"
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}"
                    advised = retry_after(response.headers.get("Retry-After"))
                    if advised is not None:
                        wait = min(advised, http.max_retry_after)
                        problem += f" (Retry-After {advised:g} s)"
                elif status >= 400:
                    raise SourceError(f"{where}: HTTP {status} {response.reason_phrase} (not retried: check the url, "
                                      "parameters and credentials)")
                else:
                    try:
                        return response.json(), response
                    except ValueError as error:
                        problem = f"malformed JSON ({str(error)[:120]})"
                        transient = False
            if attempt == attempts:
                raise SourceError(f"{where} failed after {attempts} attempts: {problem}", transient=transient)
            logger.warning("%s: %s; retry %d of %d in %.1f s", where, problem, attempt, http.retries, wait)
            self.sleep(wait)
        raise AssertionError("unreachable")


def dig(value: Any, path: str) -> Any:
    """The value at a dotted path (`data.items`); the value itself for an empty path, None when absent."""
    if not path:
        return value
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def format_since(moment: datetime, style: str) -> str:
    """The `since` parameter: ISO 8601 in UTC (`2026-11-01T00:00:00Z`), a date, or epoch seconds."""
    moment = moment.astimezone(timezone.utc)
    if style == "date":
        return moment.date().isoformat()
    if style == "epoch":
        return str(int(moment.timestamp()))
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - datetime.now(timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def display_url(url: str) -> str:
    """The URL without its query string or credentials, safe to log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"
