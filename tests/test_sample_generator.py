"""The committed sample is what tools/build_sample.py writes: regenerating it changes nothing."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from causa.pipelines.settings import sample_root

GENERATOR = Path(__file__).resolve().parents[1] / "tools" / "build_sample.py"


def table_rows(database: Path) -> list[tuple]:
    with closing(sqlite3.connect(database)) as db:
        return db.execute("select * from tickets order by ticket_id").fetchall()


def test_regenerating_the_sample_gives_the_committed_files(tmp_path: Path, monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location("build_sample", GENERATOR)
    generator = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_sample", generator)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the generator puts tools/ on it for its phrases
    spec.loader.exec_module(generator)
    counts = generator.build(tmp_path)
    committed = sample_root()
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(committed) for p in committed.rglob("*.*") if p.name != "README.md")
    for relative in written:  # SQLite files are compared by rows: their header names the library's version
        if relative.suffix == ".sqlite":
            assert table_rows(tmp_path / relative) == table_rows(committed / relative), relative
        else:
            assert (tmp_path / relative).read_bytes() == (committed / relative).read_bytes(), relative
    assert sum(counts.values()) > 1500
