"""The file source reads CSV (any BOM), JSONL and Parquet drops; unparseable lines come back with their error."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from causa.pipelines.settings import SourceSettings
from causa.pipelines.sources import FileSource, SourceError
from causa.pipelines.sources.files import read_records


def test_csv_in_utf16_and_utf8_bom(tmp_path: Path) -> None:
    content = "id,text\n1,Não chegou\n2,\"quoted, with comma\"\n"
    (tmp_path / "a.csv").write_bytes(content.encode("utf-16"))
    (tmp_path / "b.csv").write_bytes(content.encode("utf-8-sig"))
    for name in ("a.csv", "b.csv"):
        records = list(read_records(tmp_path / name, "csv"))
        assert [r.data for r in records] == [{"id": "1", "text": "Não chegou"}, {"id": "2", "text": "quoted, with comma"}]


def test_jsonl_bad_line_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_text('{"id": 1}\n{broken\n[1, 2]\n\n{"id": 2}\n', encoding="utf-8")
    records = list(read_records(tmp_path / "c.jsonl", "jsonl"))
    assert [r.error is None for r in records] == [True, False, False, True]
    assert records[1].origin == "c.jsonl:2" and "invalid JSON" in records[1].error


def test_csv_row_with_extra_cells_is_flagged(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("id,text\n1,ok\n2,too,many\n", encoding="utf-8")
    records = list(read_records(tmp_path / "d.csv", "csv"))
    assert records[0].error is None and "more cells" in records[1].error


def test_parquet_and_glob(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": ["1"], "text": ["hi"], "c": ["2026-10-01"]}), tmp_path / "e.parquet")
    source = SourceSettings(name="p", kind="files", path=str(tmp_path / "*.parquet"), channel="review",
                            fields={"id": "id", "text": "text", "created_at": "c"})
    assert [r.data for r in FileSource(source, tmp_path).extract()] == [{"id": "1", "text": "hi", "c": "2026-10-01"}]


def test_no_matching_file_is_an_error_naming_the_pattern(tmp_path: Path) -> None:
    source = SourceSettings(name="p", kind="files", path="nothing/*.csv", channel="review",
                            fields={"id": "id", "text": "text", "created_at": "c"})
    with pytest.raises(SourceError, match="nothing"):
        list(FileSource(source, tmp_path).extract())
