"""The `causa run` terminal log: INFO says what the night did, source by source; Prefect's own lines about its
work (task runs finishing, flow runs beginning, its API's requests) show only with -v, labelled DEBUG."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.pipelines.test_cli_errors import causa, night_config

SOURCE_LINE = re.compile(r"^\S+ \S+ INFO prefect\.flow_runs: source (\w+): (\d+) read, (\d+) stored, "
                         r"(\d+) quarantined, (\d+) repeats dropped$", re.MULTILINE)


def info_lines(stderr: str) -> list[str]:
    return re.findall(r"^\S+ \S+ INFO (\S+: .*)$", stderr, re.MULTILINE)


@pytest.mark.usefixtures("prefect_server")
def test_a_good_night_logs_one_info_line_per_source_and_prefect_chatter_only_under_verbose(tmp_path: Path) -> None:
    config = night_config(tmp_path)
    records = [{"id": "1", "body": "The parcel is late again", "at": "2026-11-19"},
               {"id": "2", "body": "Lovely staff, thank you", "at": "2026-11-19"},
               {"id": "2", "body": "Lovely staff, thank you", "at": "2026-11-19"},
               {"id": "3", "body": "Refund still missing", "at": "not a date"}]
    (tmp_path / "drop.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    quiet = causa(config)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert SOURCE_LINE.findall(quiet.stderr) == [("good", "4", "2", "1", "1"), ("broken", "4", "2", "1", "1")]
    prefect_info = [line for line in info_lines(quiet.stderr) if line.startswith("prefect")]
    assert len(prefect_info) == 3 and re.fullmatch(r"prefect\.flow_runs: run \S+: success", prefect_info[-1]), \
        "Prefect's loggers say at INFO only what causa's flow logged: a line per source and the run's status"
    assert "Finished in state" not in quiet.stderr and "Beginning flow run" not in quiet.stderr
    assert "csrf" not in quiet.stderr.lower()
    assert " DEBUG " not in quiet.stderr

    verbose = causa(config, "-v")
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    assert re.search(r"^\S+ \S+ DEBUG prefect\.task_runs: Finished in state Completed\(\)$", verbose.stderr, re.MULTILINE)
    assert re.search(r"^\S+ \S+ DEBUG prefect\.flow_runs: Beginning flow run ", verbose.stderr, re.MULTILINE)
    assert not [line for line in info_lines(verbose.stderr) if "Finished in state" in line]
    assert len(SOURCE_LINE.findall(verbose.stderr)) == 2
