"""The file ledger (a file is read once, a changed file again) and the state store it lives in."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from causa.pipelines.settings import SourceSettings
from causa.pipelines.sources import FileSource, Start
from causa.storage.state import StateError, StateStore, fingerprint


def drops_source(folder: Path) -> SourceSettings:
    return SourceSettings(name="drops", kind="files", path=str(folder / "*.*"), channel="review",
                          fields={"id": "id", "text": "text", "created_at": "at"})


def pull_and_commit(folder: Path, state: StateStore, since: date | None = None) -> tuple[list[str], FileSource]:
    connector = FileSource(drops_source(folder), folder, Start(ledger=state.ledger("drops"), since=since))
    ids = [record.data["id"] for record in connector.extract()]
    state.record_files("drops", connector.checkpoint().files, "run-test")
    return ids, connector


def set_mtime(path: Path, moment: datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def test_a_file_is_read_once_and_a_changed_file_again(tmp_path: Path) -> None:
    drops = tmp_path / "drops"
    drops.mkdir()
    old = datetime(2026, 9, 1, tzinfo=timezone.utc)
    (drops / "a.csv").write_text("id,text,at\n1,Late again,2026-10-01\n2,Fine,2026-10-01\n", encoding="utf-8")
    (drops / "b.jsonl").write_text('{"id": "3", "text": "Rude", "at": "2026-10-02"}\n', encoding="utf-8")
    for name in ("a.csv", "b.jsonl"):
        set_mtime(drops / name, old)
    state = StateStore(tmp_path / "lake")

    assert pull_and_commit(drops, state)[0] == ["1", "2", "3"]
    assert pull_and_commit(drops, state)[0] == []

    set_mtime(drops / "a.csv", old + timedelta(days=1))  # touched, same content: not read, ledger updated
    ids, connector = pull_and_commit(drops, state)
    assert ids == [] and list(connector.checkpoint().files) == [str((drops / "a.csv").resolve())]
    assert state.ledger("drops")[str((drops / "a.csv").resolve())].mtime_ns == (drops / "a.csv").stat().st_mtime_ns

    (drops / "b.jsonl").write_text('{"id": "3", "text": "Rude, edited", "at": "2026-10-02"}\n', encoding="utf-8")
    set_mtime(drops / "b.jsonl", old)  # same mtime, new size and content: read again
    (drops / "c.csv").write_text("id,text,at\n4,New drop,2026-10-03\n", encoding="utf-8")
    set_mtime(drops / "c.csv", old)
    assert pull_and_commit(drops, state)[0] == ["3", "4"]
    assert pull_and_commit(drops, state)[0] == []


def test_same_size_same_mtime_but_new_content_is_caught_by_the_hash(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,text,at\n1,aaaa,2026-10-01\n", encoding="utf-8")
    known = fingerprint(path)
    stat = path.stat()
    path.write_text("id,text,at\n1,bbbb,2026-10-01\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert fingerprint(path, known).sha256 != known.sha256


def test_since_reads_again_the_files_changed_from_that_date(tmp_path: Path) -> None:
    drops = tmp_path / "drops"
    drops.mkdir()
    for name, day in (("old.csv", 1), ("new.csv", 20)):
        (drops / name).write_text(f"id,text,at\n{name},text,2026-10-{day:02d}\n", encoding="utf-8")
        set_mtime(drops / name, datetime(2026, 10, day, 12, tzinfo=timezone.utc))
    state = StateStore(tmp_path / "lake")
    assert pull_and_commit(drops, state)[0] == ["new.csv", "old.csv"]
    assert pull_and_commit(drops, state, since=date(2026, 10, 10))[0] == ["new.csv"]
    assert pull_and_commit(drops, state)[0] == []


def test_watermarks_round_trip_and_never_move_back(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "lake")
    assert state.watermark("api") is None
    moment = datetime(2026, 10, 5, 9, tzinfo=timezone.utc)
    assert state.advance_watermark("api", moment, "r1") == moment
    assert state.advance_watermark("api", moment - timedelta(days=3), "r2") == moment
    assert state.watermark("api") == moment
    assert state.advance_watermark("api", None, "r3") == moment
    for value in (7, 2.5, "2026-10-01 10:00:00", date(2026, 10, 1)):
        state.advance_watermark(f"s-{type(value).__name__}", value, "r1")
        assert state.watermark(f"s-{type(value).__name__}") == value
    saved = json.loads((tmp_path / "lake" / "_state" / "api" / "watermark.json").read_text())
    assert saved["type"] == "datetime" and saved["run_id"] == "r1"
    assert not [p for p in (tmp_path / "lake" / "_state").rglob("*.tmp")]


def test_unsafe_source_names_get_their_own_folder_inside_the_state(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "lake")
    folders = {state.source_dir(name) for name in ("../../etc", "a/b", "a_b", ".hidden")}
    assert len(folders) == 4 and all(folder.parent == state.root for folder in folders)


def test_a_corrupt_state_file_is_an_error_naming_it(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "lake")
    state.advance_watermark("api", 3, "r1")
    (state.source_dir("api") / "watermark.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StateError, match="watermark.json is not valid JSON"):
        state.watermark("api")
