"""The fault report: every reliability scenario records its row counts; the table is printed after the run."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class ScenarioFigures:
    scenario: str
    rows_in: int
    stored: int
    quarantined: int
    duplicates: int
    lost: int
    nodeid: str


_FIGURES: list[ScenarioFigures] = []
_OUTCOMES: dict[str, str] = {}


class FaultReport:
    """Collects one line per scenario; `lost` is what neither landed, nor was quarantined, nor dropped as a repeat."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid

    def record(self, scenario: str, rows_in: int, stored: int, quarantined: int, duplicates: int = 0) -> int:
        lost = rows_in - stored - quarantined - duplicates
        _FIGURES.append(ScenarioFigures(scenario, rows_in, stored, quarantined, duplicates, lost, self.nodeid))
        return lost


@pytest.fixture()
def fault_report(request: pytest.FixtureRequest) -> FaultReport:
    return FaultReport(request.node.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _OUTCOMES[item.nodeid] = "pass" if report.passed else "FAIL"


def pytest_terminal_summary(terminalreporter) -> None:
    if not _FIGURES:
        return
    header = ("scenario", "rows in", "stored", "quarantined", "duplicates", "lost", "result")
    lines = [
        (f.scenario, str(f.rows_in), str(f.stored), str(f.quarantined), str(f.duplicates), str(f.lost),
         _OUTCOMES.get(f.nodeid, "FAIL"))
        for f in _FIGURES
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    terminalreporter.section("causa fault report")
    for row in [header, tuple("-" * width for width in widths), *lines]:
        terminalreporter.write_line(
            "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths)))
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: fault scenarios of the lake (crash, concurrency, hostile input, PII)")
