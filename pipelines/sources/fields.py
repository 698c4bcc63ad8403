"""A source's field contract: the records of a file, page or batch must have the mapped required fields.

A record with a bad or empty value in such a field goes to quarantine; records that lack the field altogether
(the CSV header has no such column, no item of the page has the key, the query has no such column) mean the
mapping does not fit the source, and the source fails, so that nothing is quarantined one by one in silence.
A mapped optional field (rating, author, ...) that no record has reads as empty, with one warning per source and
file, page or query naming it.
"""

from __future__ import annotations

import logging
from typing import Iterable

from causa.pipelines.settings import FieldMapping, SourceSettings
from causa.pipelines.sources.records import RawRecord

logger = logging.getLogger(__name__)

REQUIRED_FIELDS = ("id", "text", "created_at")
"""The item fields every source maps ([sources.fields]); without them no record can be stored."""
OPTIONAL_FIELDS = tuple(name for name in FieldMapping.toml_keys() if name not in REQUIRED_FIELDS)
"""The item fields a source may map (rating, author, product, ...); records without them read as empty."""

SHOWN_FIELDS = 30
"""At most this many of the fields the records do have are named in the error."""


def lacking_fields(source: SourceSettings, present: Iterable[str], where: str) -> str | None:
    """The error when `present` (the field names of the records of `where`) lacks a mapped required field; None
    when it has them all."""
    names = set(present)
    lacking = [(role, source.fields[role]) for role in REQUIRED_FIELDS if source.fields[role] not in names]
    if not lacking:
        return None
    mapped = ", ".join(f"{role} = {name!r}" for role, name in lacking)
    return (f"source {source.name!r}: the records of {where} have no field {mapped} ([sources.fields]); they have "
            f"the fields {_listed(names)}. No record of the source was taken: fix the mapping and run again")


def missing_optional_fields(source: SourceSettings, present: Iterable[str]) -> list[str]:
    """The mapped optional item fields (rating, author, ...) whose source field is not in `present`."""
    names = set(present)
    return [role for role in OPTIONAL_FIELDS if role in source.fields and source.fields[role] not in names]


def warn_of_missing_optional_fields(
    source: SourceSettings, present: Iterable[str], where: str, roles: Iterable[str] | None = None
) -> list[str]:
    """Logs one warning when no record of `where` (whose field names are `present`) has a mapped optional field;
    `roles` limits the fields told (default: every one missing). Returns the fields told."""
    names = set(present)
    missing = missing_optional_fields(source, names) if roles is None else list(roles)
    if missing:
        mapped = ", ".join(f"{role} = {source.fields[role]!r}" for role in missing)
        logger.warning("source %r: the records of %s have no field %s ([sources.fields]), read as empty; they have "
                       "the fields %s", source.name, where, mapped, _listed(names))
    return missing


def _listed(names: set[str]) -> str:
    """Field names for a message: sorted, quoted, at most SHOWN_FIELDS of them."""
    shown = sorted(names, key=str)
    listed = ", ".join(repr(name) for name in shown[:SHOWN_FIELDS]) + (" ..." if len(shown) > SHOWN_FIELDS else "")
    return listed or "none"


class FieldPresence:
    """The field names the readable records of one file, page or batch have shown so far, judged by `lacking` and
    `warn_of_missing_optional`.

    Records the source could not parse (they carry an error and go to quarantine) do not count.
    """

    def __init__(self, source: SourceSettings, where: str) -> None:
        self.source = source
        self.where = where
        self.names: set[str] = set()
        self.readable = 0
        self._wanted = {source.fields[role] for role in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS) if role in source.fields}

    def see(self, record: RawRecord) -> None:
        if record.error is None and isinstance(record.data, dict):
            self.readable += 1
            if not self._wanted <= self.names:  # once every mapped field was seen, nothing more to learn
                self.names.update(record.data.keys())

    def lacking(self) -> str | None:
        """The error when the readable records seen lack a required field altogether; None when none was readable."""
        return lacking_fields(self.source, self.names, self.where) if self.readable else None

    def warn_of_missing_optional(self) -> None:
        """Logs the warning of `warn_of_missing_optional_fields` when the readable records seen lack a mapped
        optional field altogether."""
        if self.readable:
            warn_of_missing_optional_fields(self.source, self.names, self.where)


def records_lacking_fields(source: SourceSettings, records: Iterable[RawRecord], where: str) -> str | None:
    """The error when no readable record of `records` has a mapped required field; None when each required field is
    in at least one record, or when no record could be read at all (those go to quarantine with their error)."""
    presence = FieldPresence(source, where)
    for record in records:
        presence.see(record)
    return presence.lacking()
