"""Stable identifiers and salted hashes for lake rows."""

from __future__ import annotations

import hashlib
import hmac

SEPARATOR = "\x1f"


def feedback_id(source: str, source_item_id: str) -> str:
    """The stable id of a feedback item: a hash of its source and the source's own id."""
    return hashlib.sha256(f"{source}{SEPARATOR}{source_item_id}".encode("utf-8")).hexdigest()[:32]


def content_id(*parts: str) -> str:
    """A stable id for a row identified by its content (quarantined records)."""
    return hashlib.sha256(SEPARATOR.join(parts).encode("utf-8")).hexdigest()[:32]


def author_hash(author: str | None, salt: str) -> str | None:
    """A salted, keyed hash of an author handle; the handle itself is never stored."""
    if author is None or not author.strip():
        return None
    normalised = author.strip().lower()
    return hmac.new(salt.encode("utf-8"), normalised.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
