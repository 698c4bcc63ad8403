"""Cause impact: differences and 95% intervals follow the documented formulas."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from causa.storage.impact import cause_impact


def rows() -> pd.DataFrame:
    items = [
        # causes, rating (of 5), csat, nps
        (["delay"], 1.0, 2, 3),
        (["delay", "rudeness"], 2.0, 4, 7),
        (["delay"], 2.0, 1, 9),
        ([], 4.0, 5, 10),
        ([], 5.0, 4, 9),
        ([], 5.0, 3, 6),
        (None, 4.0, None, None),
    ]
    return pd.DataFrame(
        [{"causes": c, "rating": r, "rating_scale": 5, "csat": s, "nps": n} for c, r, s, n in items]
    )


def test_rating_difference_has_a_welch_interval() -> None:
    impact = cause_impact(rows()).set_index(["cause", "metric"])
    delay = impact.loc[("delay", "rating")]
    with_, without = [1.0, 2.0, 2.0], [4.0, 5.0, 5.0, 4.0]
    assert (delay["n_with"], delay["n_without"]) == (3, 4)
    assert delay["difference"] == pytest.approx(sum(with_) / 3 - sum(without) / 4)
    interval = stats.ttest_ind(with_, without, equal_var=False).confidence_interval(0.95)
    assert (delay["ci_low"], delay["ci_high"]) == pytest.approx((interval.low, interval.high))


def test_csat_and_nps_differences_in_points() -> None:
    impact = cause_impact(rows()).set_index(["cause", "metric"])
    csat = impact.loc[("delay", "csat")]
    assert csat["value_with"] == pytest.approx(100 / 3) and csat["value_without"] == pytest.approx(200 / 3)
    half = 1.959964 * math.sqrt((1 / 3) * (2 / 3) / 3 + (2 / 3) * (1 / 3) / 3) * 100
    assert csat["ci_high"] - csat["difference"] == pytest.approx(half, rel=1e-5)
    nps = impact.loc[("delay", "nps")]
    # with delay: 3 detractor, 7 passive, 9 promoter -> 0; without: 10, 9 promoters, 6 detractor -> 33.3
    assert nps["value_with"] == pytest.approx(0.0) and nps["value_without"] == pytest.approx(100 / 3)
    assert nps["ci_low"] < nps["difference"] < nps["ci_high"]


def test_a_cause_nobody_has_gets_counts_and_no_values() -> None:
    overcharge = cause_impact(rows()).set_index(["cause", "metric"]).loc[("overcharge", "rating")]
    assert overcharge["n_with"] == 0 and overcharge["n_without"] == 7
    assert math.isnan(overcharge["difference"]) and overcharge["value_without"] == pytest.approx(23 / 7)
