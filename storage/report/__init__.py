"""The static HTML report over the lake (`causa report`, and the nightly run's `<lake root>/report.html`)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Callable, Mapping, Sequence

from causa.nlp.analysis import TextAnalyser
from causa.storage.errors import InvalidOption
from causa.storage.report.data import ReportData, build_report_data
from causa.storage.report.render import render_html
from causa.storage.report.words import DEFAULT_LOCALE, LOCALES, words_for
from causa.storage.filesystem import RemotePath
from causa.storage.lake import Lake
from causa.table_files import write_text_atomically

logger = logging.getLogger(__name__)

def write_report(
    lake_root: Path | RemotePath, output: Path | RemotePath, analyser: TextAnalyser, causes: Sequence[str],
    start: date | None = None, end: date | None = None, locale: str = DEFAULT_LOCALE, model_version: str | None = None,
    csi_weights: Mapping[str, float] | None = None, on_step: Callable[[str], None] | None = None,
) -> ReportData:
    """Compute the report for [start, end] (of the rows `model_version` scored only, when given) and write it to
    `output` atomically, in the words of `locale`; returns what it shows. `on_step` is told of each stage."""
    if start and end and start > end:
        raise InvalidOption(f"report period starts after it ends: --from {start} > --to {end}")
    words_for(locale)  # an unknown locale fails before the lake is read
    data = build_report_data(Lake(lake_root), analyser, causes, start, end, model_version, csi_weights, on_step)
    if on_step is not None:
        on_step(f"writing {output}")
    if isinstance(output, RemotePath):  # an object store: one PUT of the whole page (it names when it was made)
        output.write_bytes(render_html(data, locale).encode("utf-8"))
        logger.info("report for %s to %s written to %s", data.start, data.end, output)
        return data
    write_text_atomically(Path(output), render_html(data, locale))
    logger.info("report for %s to %s written to %s", data.start, data.end, output)
    return data


__all__ = ["LOCALES", "ReportData", "build_report_data", "render_html", "write_report"]
