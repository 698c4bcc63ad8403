"""The static HTML report over the lake (`causa report`, and the nightly run's `<lake root>/report.html`)."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Sequence

from causa.nlp.analysis import TextAnalyser
from causa.storage.report.data import ReportData, build_report_data
from causa.storage.report.render import render_html
from causa.storage.filesystem import RemotePath
from causa.storage.lake import Lake

logger = logging.getLogger(__name__)

REPORT_NAME = "report.html"


def write_report(
    lake_root: Path | RemotePath, output: Path | RemotePath, analyser: TextAnalyser, causes: Sequence[str],
    start: date | None = None, end: date | None = None,
) -> ReportData:
    """Compute the report for [start, end] and write it to `output` atomically; returns what it shows."""
    if start and end and start > end:
        raise ValueError(f"report period starts after it ends: --from {start} > --to {end}")
    data = build_report_data(Lake(lake_root), analyser, causes, start, end)
    if isinstance(output, RemotePath):  # an object store: one PUT of the whole page, none when it is unchanged
        page = render_html(data).encode("utf-8")
        if not (output.is_file() and output.read_bytes() == page):
            output.write_bytes(page)
        logger.info("report for %s to %s written to %s", data.start, data.end, output)
        return data
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=output.parent, prefix=".report-", suffix=".html")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(render_html(data))
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, output)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    logger.info("report for %s to %s written to %s", data.start, data.end, output)
    return data


__all__ = ["REPORT_NAME", "ReportData", "build_report_data", "render_html", "write_report"]
