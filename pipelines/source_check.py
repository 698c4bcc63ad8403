"""`causa sources check`: connect to each configured source, fetch one page or batch, show the mapped fields."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from causa.nlp.redact import redact
from causa.pipelines.errors import PipelineError
from causa.pipelines.settings import Settings, SourceSettings
from causa.pipelines.sources import RawRecord, SourceError, open_source
from causa.pipelines.sources.fields import records_lacking_fields
from causa.pipelines.validation import InvalidRecord, map_record

logger = logging.getLogger(__name__)

FILE_BATCH = 1000
TEXT_CHARS = 60


class UnknownSourceError(PipelineError, ValueError):
    """A --source that names no configured source; the message lists those configured."""


@dataclass
class SourceCheck:
    """What one source gave on its first page or batch; `error` when it could not be read."""

    source: str
    kind: str
    records: list[RawRecord] = field(default_factory=list)
    error: str | None = None


def first_batch(source: SourceSettings, base_dir: Path) -> list[RawRecord]:
    """The records of a source's first page (http), batch (sql) or up to 1000 records (files), from the start."""
    limit = FILE_BATCH
    if source.http is not None:
        source = source.model_copy(update={"http": source.http.model_copy(update={"max_pages": 1})})
        limit = None
    elif source.sql is not None:
        limit = source.sql.batch_size
    records = open_source(source, base_dir).extract()
    try:
        return list(islice(records, limit))
    finally:
        records.close()  # releases the connection without reading further


def check_sources(settings: Settings, names: list[str] | None = None) -> list[SourceCheck]:
    """One check per configured source (or per named one); watermarks and ledgers are neither used nor changed.

    A source fails its check when it cannot be read, or when its records lack a mapped required field altogether
    (the night would fail it the same way: see causa.pipelines.sources.fields).
    """
    known = {source.name for source in settings.sources}
    unknown = sorted(set(names or ()) - known)
    if unknown:
        raise UnknownSourceError(f"no configured source named {unknown}; configured: {sorted(known)}")
    checks = []
    for source in settings.sources:
        if names and source.name not in names:
            continue
        check = SourceCheck(source.name, source.kind)
        try:
            records = first_batch(source, settings.base_dir)
            if problem := records_lacking_fields(source, records, "the first page or batch"):
                raise SourceError(problem)
            check.records = records
        except Exception as error:  # every failure is shown, per source
            check.error = f"{type(error).__name__}: {error}"
            logger.debug("source %s check failed", source.name, exc_info=True)
        checks.append(check)
    return checks


def format_check(check: SourceCheck, source: SourceSettings, show: int) -> str:
    """The check's lines: status, then the mapped fields of the first `show` records (text redacted, truncated)."""
    if check.error:
        return f"{check.source} ({check.kind}): FAILED: {check.error}\n"
    lines = [f"{check.source} ({check.kind}): ok, {len(check.records)} records in the first page or batch"]
    for number, record in enumerate(check.records[:show], start=1):
        lines.append(f"  [{number}] {record.origin}")
        try:
            if record.error:
                raise InvalidRecord(record.error)
            item = map_record(record.data, source)
        except InvalidRecord as error:
            lines.append(f"      would go to quarantine: {error}")
            continue
        shown = redact(item.text).text.replace("\n", " ")
        if len(shown) > TEXT_CHARS:
            shown = shown[: TEXT_CHARS - 3] + "..."
        mapped = {
            "id": item.source_item_id, "created_at": item.created_at.isoformat(), "channel": item.channel,
            "rating": item.rating, "product": item.product, "language": item.language_hint,
            "nps": item.nps, "csat": item.csat, "ces": item.ces, "response_seconds": item.response_seconds,
        }
        lines.append("      " + " ".join(f"{key}={value}" for key, value in mapped.items() if value is not None)
                     + (" author=(given)" if item.author else ""))
        if item.response_problem:
            lines.append(f"      kept without a response time: {item.response_problem}")
        lines.append(f"      text={shown!r}")
    return "\n".join(lines) + "\n"
