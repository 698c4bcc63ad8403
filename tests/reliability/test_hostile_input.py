"""Hostile and broken input: every record lands cleanly or lands in quarantine with a reason; nothing crashes."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from causa.nlp.language import LanguageDetector
from causa.pipelines.flows import nightly
from causa.storage.rows import prepare_feedback, quarantine_rows
from causa.pipelines.settings import SourceSettings
from causa.pipelines.sources.records import RawRecord
from causa.table_files import neutralise_cell, write_csv
from causa.pipelines.validation import MAX_TEXT_CHARS, validate_records
from causa.storage.lake import Lake
from causa.storage.schemas import FEEDBACK, QUARANTINE
from tests.reliability.lakes import RUN_DATE, rows_of, write_config

pytestmark = pytest.mark.reliability

SOURCE = SourceSettings(
    name="hostile", kind="files", path="unused", channel="review",
    fields={"id": "id", "text": "text", "created_at": "at", "author": "who", "rating": "stars", "nps": "nps",
            "product": "product", "language": "lang"},
    timezone="America/Sao_Paulo",
)
DETECTOR = LanguageDetector()

surrogate = st.integers(0xD800, 0xDFFF).map(chr)
unicode_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
hostile_text = st.one_of(
    unicode_text,
    st.text(st.one_of(st.characters(), surrogate), max_size=40),
    st.sampled_from(["", " ", "\t\n\r", "\u200b\u200b", "\x00", "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|'"]),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.just("x" * 1_048_576),
)
wrong_type = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=20), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
broken_time = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from([
        "2026-11-01T10:00:00+25:00", "2026-02-30", "2026-11-01T24:00:00", "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00", "2026-11-01T10:00:00 Europe/Lisbon", "yesterday", "", "2026-13-01", "1e400",
        "2026-03-29T02:30:00",  # inside a DST gap in many zones
    ]),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**20), max_value=10**20),
    wrong_type,
)
good_time = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 19)).map(
    lambda d: d.replace(tzinfo=timezone.utc).isoformat()
)
record = st.fixed_dictionaries(
    {
        "id": st.one_of(st.integers(0, 50).map(str), hostile_text, wrong_type),
        "text": st.one_of(hostile_text, hostile_text, wrong_type),
        "at": st.one_of(good_time, broken_time),
    },
    optional={
        "who": st.one_of(hostile_text, wrong_type),
        "stars": st.one_of(st.integers(-3, 9), st.text(max_size=4), wrong_type),
        "nps": st.one_of(st.integers(-1, 11), wrong_type),
        "product": st.one_of(hostile_text, wrong_type),
        "lang": st.one_of(st.sampled_from(["en", "ru", "xx", ""]), hostile_text, wrong_type),
        "extra": wrong_type,
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(records=st.lists(record, min_size=1, max_size=12), broken_lines=st.lists(hostile_text, max_size=3))
def test_every_hostile_record_lands_or_is_quarantined_with_a_reason(records, broken_lines, tmp_path_factory) -> None:
    raw = [RawRecord(origin=f"drop.jsonl:{i}", data=data) for i, data in enumerate(records, start=1)]
    raw += [RawRecord(origin=f"drop.jsonl:{len(records) + i}", data={"line": line}, error="invalid JSON")
            for i, line in enumerate(broken_lines, start=1)]
    good, bad = validate_records(raw, SOURCE, RUN_DATE)
    assert len(good) + len(bad) == len(raw)
    assert all(item.reason.strip() for item in bad)
    batch = prepare_feedback(good, "salt", "run-1").with_languages(DETECTOR)
    quarantined = quarantine_rows(bad, "run-1")
    lake = Lake(tmp_path_factory.mktemp("hostile"))
    lake.upsert(QUARANTINE, quarantined, pa.array([RUN_DATE] * quarantined.num_rows, type=pa.date32()))
    lake.upsert(FEEDBACK, batch.rows, batch.created_dates)
    stored = rows_of(lake.root, "feedback")
    assert len(stored) + batch.repeated == len(good)
    assert len(rows_of(lake.root, "quarantine")) == len(bad)
    for row in lake.read(FEEDBACK).to_pylist():
        assert row["text"].strip() and len(row["text"]) <= 3 * MAX_TEXT_CHARS  # NFC may expand a little
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in row["text"] + row["source_item_id"])


def test_hostile_file_night_lands_good_rows_and_quarantines_the_rest(prefect_server, tmp_path: Path, fault_report) -> None:
    """A JSONL and a CSV drop full of broken rows through the real flow: the run succeeds, every row is accounted for."""
    drops = tmp_path / "drops"
    drops.mkdir()
    lines = [
        json.dumps({"id": "ok-1", "body": "The courier was three days late", "at": "2026-11-01T10:00:00Z", "who": "ana"}),
        json.dumps({"id": "ok-2", "body": "x" * 1_048_576, "at": "2026-11-02", "who": "bo"}),
        json.dumps({"id": "ok-3", "body": "=HYPERLINK(\"http://evil\") ótimo atendimento", "at": 1762000000, "who": "c"}),
        '{"id": "ok-4", "body": "lone surrogate \\udc80 in text", "at": "2026-11-03T10:00:00+01:00", "who": "\\ud800"}',
        json.dumps({"id": "bad-1", "body": "   ", "at": "2026-11-01"}),
        json.dumps({"id": "bad-2", "body": ["not", "text"], "at": "2026-11-01"}),
        json.dumps({"id": "bad-3", "body": "broken zone", "at": "2026-11-01T10:00:00+25:00"}),
        json.dumps({"id": "bad-4", "body": "far future", "at": "9999-12-31T23:59:59-05:00"}),
        json.dumps({"id": "bad-5", "body": "huge epoch", "at": 1e300}),
        json.dumps({"id": "bad-6", "body": "stars wrong", "at": "2026-11-01", "stars": {"x": 1}}),
        json.dumps({"body": "no id", "at": "2026-11-01"}),
        "{not json at all",
        "[1, 2, 3]",
        "\x00\x01\x02 garbage \x7f",
    ]
    (drops / "drop.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "body", "at", "who", "stars"])
    writer.writerow(["csv-1", "y" * 1_048_576, "2026-11-04T08:00:00", "dee", "4"])
    writer.writerow(["csv-2", "Entrega atrasada, muito ruim", "2026-11-05", "eve", "2"])
    writer.writerow(["csv-3", "too many cells", "2026-11-05", "f", "2", "extra"])
    writer.writerow(["csv-4", "", "2026-11-05", "g", "1"])
    (drops / "drop.csv").write_text(buffer.getvalue(), encoding="utf-8")
    config = write_config(tmp_path, source_glob="drops/*")
    result = nightly(config_path=str(config), run_date=RUN_DATE)
    assert result.status == "success", result
    lake = tmp_path / "lake"
    stored = {row[0] for row in duckdb.execute(f"select source_item_id from read_parquet('{lake}/feedback/*/*.parquet')").fetchall()}
    reasons = duckdb.execute(f"select reason from read_parquet('{lake}/quarantine/*/*.parquet')").fetchall()
    assert stored == {"ok-1", "ok-2", "ok-3", "ok-4", "csv-1", "csv-2"}
    assert len(reasons) == 12 and all(reason[0] for reason in reasons)
    scored = duckdb.execute(f"select count(*) from read_parquet('{lake}/scored/*/*.parquet')").fetchall()[0][0]
    assert scored == len(stored)
    rows_in = len(lines) + 4
    assert fault_report.record("hostile rows through the flow", rows_in, len(stored), len(reasons)) == 0


@given(cells=st.lists(st.one_of(st.text(max_size=20), st.sampled_from(["=1+1", "+1", "-1", "@x", "\tA", "\rB", "=cmd|'"])),
                min_size=1, max_size=8))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_csv_cells_never_start_a_formula(cells, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("csv") / "out.csv"
    write_csv(pa.table({"text": cells, "n": list(range(len(cells)))}), path)
    with path.open(encoding="utf-8", newline="") as handle:
        read = [row["text"] for row in csv.DictReader(handle)]
    for original, written in zip(cells, read):
        assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))
        if "\r" not in original:  # a bare CR inside a cell does not survive a CSV round trip unchanged
            assert written in (original, "'" + original)
    assert neutralise_cell("=cmd") == "'=cmd" and neutralise_cell(3) == 3 and neutralise_cell("ok") == "ok"


def test_review_queue_csv_neutralises_formula_cells(tmp_path: Path) -> None:
    import pandas as pd

    from causa.storage.review_queue import write_queue

    path = tmp_path / "queue.csv"
    write_queue(pd.DataFrame({"text": ["=HYPERLINK(\"http://evil\")", "fine", "-2+3", "@SUM(A1)"], "p": [0.1, 0.2, 0.3, -0.5]}), path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["text"] for row in rows] == ["'=HYPERLINK(\"http://evil\")", "fine", "'-2+3", "'@SUM(A1)"]
    assert rows[3]["p"] == "-0.5"
