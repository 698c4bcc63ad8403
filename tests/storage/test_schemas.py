"""The table contract is executable: keys are never null, every column says what it means, the Parquet files carry
the descriptions, and the README's data dictionary is the one the schemas generate."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import causa.storage.schemas as schemas
from causa.storage.data_dictionary import BEGIN, END, main, type_name, updated
from causa.storage.lake import Lake, NullKeyError
from causa.storage.rows import Candidate, prepare_feedback
from causa.storage.schemas import DAILY_SUMMARY, FEEDBACK, TABLES, TableSpec, daily_summary_spec, description

README = Path(__file__).resolve().parents[2] / "README.md"
DAY = date(2026, 10, 1)


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.name)
def test_only_key_columns_are_not_null_and_every_column_is_described(spec: TableSpec) -> None:
    assert [field.name for field in spec.schema if not field.nullable] == list(spec.key)
    assert [field.name for field in spec.schema if not description(field)] == []
    assert spec.description and spec.partition_description


def test_every_table_of_the_schemas_module_is_in_tables() -> None:
    defined = {value.name for value in vars(schemas).values() if isinstance(value, TableSpec)}
    assert defined == {spec.name for spec in TABLES} == {
        "feedback", "scored", "daily_summary", "runs", "quarantine", "alerts"
    }


def test_a_new_cause_gets_described_summary_columns() -> None:
    spec = daily_summary_spec(("rudeness", "wrong_item"))
    assert "wrong_item" in description(spec.schema.field("cause_wrong_item"))
    assert "cause_wrong_item / n_feedback" in description(spec.schema.field("cause_wrong_item_pct"))


def readme_tables(text: str) -> dict[str, dict[str, tuple[str, str]]]:
    """The generated section of the README, parsed back: table name -> column -> (type, meaning)."""
    section = text[text.index(BEGIN) : text.index(END)]
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    current: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        heading = re.match(r"### (\w+): ", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
        elif line.startswith("| ") and not line.startswith("| column |"):
            name, kind, meaning = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            current[name] = (kind, meaning.replace("\\|", "|").replace("&lt;", "<"))
    return tables


def test_the_readme_data_dictionary_agrees_with_the_schemas() -> None:
    text = README.read_text(encoding="utf-8")
    assert updated(text, README) == text, "the README is out of date: python -m causa.storage.data_dictionary README.md"
    documented = readme_tables(text)
    assert set(documented) == {spec.name for spec in TABLES}
    for spec in TABLES:
        expected = {
            field.name: (type_name(field.type) + (" (key)" if field.name in spec.key else ""), description(field))
            for field in spec.schema
        }
        expected[spec.partition_column] = ("date (partition)", spec.partition_description)
        assert documented[spec.name] == expected, spec.name


def test_the_generator_rewrites_an_outdated_readme(tmp_path: Path) -> None:
    copy = tmp_path / "README.md"
    current = README.read_text(encoding="utf-8")
    copy.write_text(current.replace("| configured source name |", "| where it came from |", 1), encoding="utf-8")
    assert main([str(copy), "--check"]) == 1
    assert main([str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == current
    assert main([str(copy), "--check"]) == 0


def stored_feedback(lake: Lake) -> Path:
    candidate = Candidate(
        source="shop", source_item_id="1", channel="review", created_at=datetime(2026, 10, 1, 9, tzinfo=timezone.utc),
        text="The parcel came a week late.", rating=2.0, rating_scale=5, nps=None, csat=None, ces=None,
        product=None, author="ana", language_hint="en",
    )
    batch = prepare_feedback([candidate], salt="salt", run_id="run-1")
    lake.upsert(FEEDBACK, batch.rows, batch.created_dates)
    return lake.partition_path(FEEDBACK, DAY)


def test_parquet_files_carry_the_descriptions_for_pyarrow(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    path = stored_feedback(lake)
    stored = pq.read_schema(path)
    assert stored.metadata[b"description"] == b"one row per unique feedback item"
    for field in FEEDBACK.schema:
        assert stored.field(field.name).metadata[b"description"] == field.metadata[b"description"], field.name
    assert not stored.field("feedback_id").nullable and stored.field("text").nullable
    through_dataset = lake.dataset(FEEDBACK).schema
    assert description(through_dataset.field("author_hash")) == description(FEEDBACK.schema.field("author_hash"))


def test_parquet_files_carry_the_descriptions_for_duckdb(tmp_path: Path) -> None:
    path = stored_feedback(Lake(tmp_path))
    with duckdb.connect() as db:
        repetition = dict(db.execute(f"select name, repetition_type from parquet_schema('{path}')").fetchall())
        metadata = dict(db.execute(f"select key, value from parquet_kv_metadata('{path}')").fetchall())
    assert repetition["feedback_id"] == "REQUIRED" and repetition["text"] == "OPTIONAL"
    assert metadata[b"description"] == b"one row per unique feedback item"
    arrow_schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(metadata[b"ARROW:schema"])))
    assert description(arrow_schema.field("created_at")) == "when the author wrote it"


def test_a_summary_row_without_its_language_is_refused_by_name(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    row = {name: 0 for name in DAILY_SUMMARY.schema.names} | {"source": "shop", "channel": "review", "language": "en"}
    lake.upsert(DAILY_SUMMARY, pa.Table.from_pylist([row], schema=DAILY_SUMMARY.schema), pa.array([DAY], pa.date32()))
    path = lake.partition_path(DAILY_SUMMARY, DAY)
    before = path.read_bytes()
    unknown = pa.Table.from_pylist([row | {"n_feedback": 2}, row | {"language": None}], schema=DAILY_SUMMARY.schema)
    with pytest.raises(NullKeyError, match="daily_summary: 1 of 2 rows have no language"):
        lake.upsert(DAILY_SUMMARY, unknown, pa.array([DAY, DAY], pa.date32()))
    assert path.read_bytes() == before
    assert lake.read(DAILY_SUMMARY).column("n_feedback").to_pylist() == [0]
