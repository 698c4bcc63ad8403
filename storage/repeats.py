"""The repeated-text check across a whole run: the same text from the same author within a window is kept once.

The index holds three 64-bit numbers per kept item (author-and-text hash, time, id hash), so a night of a million
items costs tens of megabytes, and it is fed batch by batch.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence

import numpy as np

TextItem = tuple[str, "str | None", str, datetime]
"""(feedback_id, author_hash, text, created_at) of one item."""

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class RepeatIndex:
    """Items kept so far (stored in the lake or taken earlier in the run), by author and case-folded text."""

    def __init__(self, window: timedelta) -> None:
        self.window_us = int(window / timedelta(microseconds=1))
        self._chunks: list[np.ndarray] = []
        self._index: np.ndarray = np.empty((0, 3), dtype=np.int64)

    def add_stored(self, items: Iterable[TextItem]) -> None:
        """Items already in the lake: they are kept, and later items repeating them are dropped."""
        self._append([_entry(item) for item in items if item[1] is not None])

    def take(self, incoming: Sequence[TextItem]) -> set[str]:
        """Ids of incoming items that repeat a kept item's text (same author, other id) within the window.

        Incoming items are taken oldest first; the ones kept join the index. An incoming id that is already in
        the index (a rerun, or an edit) replaces its earlier copy there.
        """
        latest = {item[0]: item for item in incoming if item[1] is not None}
        if not latest:
            return set()
        entries = {key: _entry(item) for key, item in latest.items()}
        known = self._known()
        ids = np.array([entry[2] for entry in entries.values()], dtype=np.int64)
        self._index = known = known[~np.isin(known[:, 2], ids)]
        groups = np.array([entry[0] for entry in entries.values()], dtype=np.int64)
        values, counts = np.unique(groups, return_counts=True)
        suspects = set(values[counts > 1].tolist()) | set(groups[np.isin(groups, known[:, 0])].tolist())
        dropped: set[str] = set()
        kept: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for key, *_, created_at in sorted(latest.values(), key=lambda item: (item[3], item[0])):
            group, when, identity = entries[key]
            if group not in suspects:
                continue
            earlier = self._entries_of(group) + kept[group]
            if any(other != identity and abs(when - at) <= self.window_us for at, other in earlier):
                dropped.add(key)
            else:
                kept[group].append((when, identity))
        self._append([entry for key, entry in entries.items() if key not in dropped])
        return dropped

    def _append(self, entries: list[tuple[int, int, int]]) -> None:
        if entries:
            self._chunks.append(np.array(entries, dtype=np.int64).reshape(-1, 3))

    def _known(self) -> np.ndarray:
        """Every kept entry as rows (group, time, id), sorted by group."""
        if self._chunks:
            merged = np.concatenate([self._index, *self._chunks])
            self._index = merged[np.argsort(merged[:, 0], kind="stable")]
            self._chunks = []
        return self._index

    def _entries_of(self, group: int) -> list[tuple[int, int]]:
        """(time, id) of the indexed entries of one group (call after `_known`, as `take` does)."""
        column = self._index[:, 0]
        start, end = np.searchsorted(column, group, "left"), np.searchsorted(column, group, "right")
        return [(int(when), int(identity)) for _, when, identity in self._index[start:end]]


def repeated_texts(incoming: Sequence[TextItem], stored: Iterable[TextItem], window: timedelta) -> set[str]:
    """Ids of incoming items repeating a stored or earlier incoming item's text: see `RepeatIndex.take`."""
    index = RepeatIndex(window)
    index.add_stored(stored)
    return index.take(incoming)


def _entry(item: TextItem) -> tuple[int, int, int]:
    key, author, text, created_at = item
    when = (created_at - EPOCH) // timedelta(microseconds=1)
    return hash((author, text.casefold())), when, hash(key)
