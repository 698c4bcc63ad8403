"""The nightly run in small batches, scored in worker processes, lands exactly what one big batch lands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from causa.pipelines.flows import run_nightly
from causa.pipelines.settings import default_config_path
from tests.pipelines.lake_tables import DATA_TABLES, table_rows
from tests.pipelines.sample_files import repeated, sample_rows

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 20)


def sample_config(folder: Path, run_table: str) -> Path:
    folder.mkdir(parents=True)
    config = folder / "causa.toml"
    config.write_text(default_config_path().read_text(encoding="utf-8") + run_table, encoding="utf-8")
    return config


def test_small_batches_on_worker_processes_equal_one_batch_in_process(tmp_path: Path) -> None:
    whole = sample_config(tmp_path / "whole", "\n[run]\nbatch_rows = 10000\n")
    # 37 rows a batch: each source crosses many batches, dates and partitions, with several batches in flight
    pieces = sample_config(tmp_path / "pieces", '\n[run]\nexecutor = "processes"\nbatch_rows = 37\nbatches_in_flight = 3\n')
    first = run_nightly(config_path=str(whole), run_date=RUN_DATE)
    second = run_nightly(config_path=str(pieces), run_date=RUN_DATE)
    assert first.status == second.status == "success"
    counts = lambda result: [(o.source, o.extracted, o.stored, o.quarantined) for o in result.outcomes]  # noqa: E731
    assert counts(second) == counts(first)
    rows = sample_rows()
    for source, extracted, stored, quarantined in counts(first):
        assert extracted == len(rows[source]) and stored + quarantined + repeated(rows[source]) == extracted, source
    assert [o.quarantined > 0 for o in first.outcomes] == [True] * len(rows)
    for spec in DATA_TABLES:
        expected = table_rows(whole.parent / "lake", spec)
        assert expected and table_rows(pieces.parent / "lake", spec) == expected, spec.name
    assert not any((pieces.parent / "lake" / ".staging").iterdir())
