"""A source's field contract: the records of a file, page or batch must have the mapped required fields.

A record with a bad or empty value in such a field goes to quarantine; records that lack the field altogether
(the CSV header has no such column, no item of the page has the key, the query has no such column) mean the
mapping does not fit the source, and the source fails, so that nothing is quarantined one by one in silence.
"""

from __future__ import annotations

from typing import Iterable

from causa.pipelines.settings import SourceSettings
from causa.pipelines.sources.records import RawRecord

REQUIRED_FIELDS = ("id", "text", "created_at")
"""The item fields every source maps ([sources.fields]); without them no record can be stored."""

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
    shown = sorted(names, key=str)
    listed = ", ".join(repr(name) for name in shown[:SHOWN_FIELDS]) + (" ..." if len(shown) > SHOWN_FIELDS else "")
    return (f"source {source.name!r}: the records of {where} have no field {mapped} ([sources.fields]); they have "
            f"the fields {listed or 'none'}. No record of the source was taken: fix the mapping and run again")


class FieldPresence:
    """The field names the readable records of one file, page or batch have shown so far, judged by `lacking`.

    Records the source could not parse (they carry an error and go to quarantine) do not count.
    """

    def __init__(self, source: SourceSettings, where: str) -> None:
        self.source = source
        self.where = where
        self.names: set[str] = set()
        self.readable = 0
        self._wanted = {source.fields[role] for role in REQUIRED_FIELDS}

    def see(self, record: RawRecord) -> None:
        if record.error is None and isinstance(record.data, dict):
            self.readable += 1
            if not self._wanted <= self.names:  # once every required field was seen, nothing more to learn
                self.names.update(record.data.keys())

    def lacking(self) -> str | None:
        """The error when the readable records seen lack a required field altogether; None when none was readable."""
        return lacking_fields(self.source, self.names, self.where) if self.readable else None


def records_lacking_fields(source: SourceSettings, records: Iterable[RawRecord], where: str) -> str | None:
    """The error when no readable record of `records` has a mapped required field; None when each required field is
    in at least one record, or when no record could be read at all (those go to quarantine with their error)."""
    presence = FieldPresence(source, where)
    for record in records:
        presence.see(record)
    return presence.lacking()
