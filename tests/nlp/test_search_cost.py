"""The option search's cost forecast: paces per feature kind and step, the slowest kept, unknown kinds unforecast."""

from __future__ import annotations

import pytest

from causa.nlp.search_cost import CAUSES, FEATURES, SENTIMENT, CandidateCosts

CHARS = (2, 5)


def test_a_forecast_is_the_measured_paces_times_the_rows_to_fit() -> None:
    costs = CandidateCosts()
    costs.record(None, FEATURES, seconds=2.0, rows=1000)
    costs.record(None, SENTIMENT, seconds=1.0, rows=1000)
    costs.record(None, CAUSES, seconds=3.0, rows=1000)
    assert costs.predict(None, (SENTIMENT, CAUSES), rows=5000) == pytest.approx(20.0)
    assert costs.predict(None, (FEATURES, SENTIMENT, CAUSES), rows=500) == pytest.approx(3.0)


def test_the_slowest_pace_measured_is_kept_so_the_forecast_errs_towards_skipping() -> None:
    costs = CandidateCosts()
    costs.record(CHARS, CAUSES, seconds=1.0, rows=500)  # a probe sample
    costs.record(CHARS, CAUSES, seconds=3.0, rows=1000)  # a whole candidate, slower per row
    costs.record(CHARS, CAUSES, seconds=1.0, rows=1000)  # a faster one does not lower the forecast
    assert costs.predict(CHARS, (CAUSES,), rows=2000) == pytest.approx(6.0)


def test_a_feature_kind_not_measured_has_no_forecast() -> None:
    costs = CandidateCosts()
    costs.record(None, SENTIMENT, seconds=1.0, rows=100)
    assert not costs.knows(CHARS, (SENTIMENT,)) and costs.predict(CHARS, (SENTIMENT,), rows=100) is None
    assert not costs.knows(None, (SENTIMENT, CAUSES)) and costs.predict(None, (SENTIMENT, CAUSES), rows=100) is None


@pytest.mark.parametrize(("step", "rows", "message"), [
    ("calibration", 10, "step 'calibration' is not one of"),
    (SENTIMENT, 0, "at least one row, got 0"),
])
def test_bad_measurements_are_named(step: str, rows: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CandidateCosts().record(None, step, seconds=1.0, rows=rows)
