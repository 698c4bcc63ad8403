"""The repeated-text check holds across batches of one run and against the lake."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from causa.storage.repeats import RepeatIndex

AT = datetime(2026, 11, 10, 8, tzinfo=timezone.utc)
DAY = timedelta(hours=24)


def test_a_repeat_in_a_later_batch_is_dropped_and_an_edit_replaces_its_copy() -> None:
    index = RepeatIndex(DAY)
    assert index.take([("x1", "h", "Late again", AT), ("y1", "g", "Late again", AT)]) == set()
    assert index.take([("x2", "h", "LATE AGAIN", AT + timedelta(hours=5))]) == {"x2"}
    assert index.take([("x3", "h", "Late again", AT + timedelta(hours=30))]) == set()
    # x1 is edited in a later batch: its old text no longer counts, the new one does
    assert index.take([("x1", "h", "Rude staff", AT)]) == set()
    assert index.take([("x4", "h", "Late again", AT + timedelta(hours=2))]) == set()
    assert index.take([("x5", "h", "rude staff", AT + timedelta(hours=1))]) == {"x5"}


def test_stored_items_count_and_a_rerun_drops_nothing_new() -> None:
    stored = [("x1", "h", "Late again", AT)]
    index = RepeatIndex(DAY)
    index.add_stored(stored)
    assert index.take(stored) == set()  # the same id again is not a repeat of itself
    assert index.take([("z1", "h", "late again", AT - timedelta(hours=23))]) == {"z1"}
    assert index.take([("n1", None, "late again", AT)]) == set()  # no author, never a repeat
