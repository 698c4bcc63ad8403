"""Cause impact: how much each cause pulls rating, CSAT and NPS down against feedback without it.

For each cause and metric, items with the cause ("with") are compared to all other items ("without"), using only
items that have the metric's input:

- rating: mean of the rating rescaled to 1-5; difference of means with a Welch 95% interval
  (t quantile with Welch-Satterthwaite degrees of freedom).
- csat: % of CSAT answers of 4-5; difference of proportions in points, Wald 95% interval
  (1.96 * sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)).
- nps: % promoters (9-10) minus % detractors (0-6); difference in points, 95% interval from the variance of an
  NPS estimate, (pp + pd - (pp - pd)^2) / n, summed over the two groups.

A negative difference means the cause goes with worse scores. Intervals need at least two items on each side.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from causa.nlp.taxonomy import DEFAULT_CAUSES
from causa.storage.service_metrics import csat_satisfied, nps_score, rating_on_five

METRICS: tuple[str, ...] = ("rating", "csat", "nps")
IMPACT_COLUMNS = [
    "cause", "metric", "n_with", "n_without", "value_with", "value_without", "difference", "ci_low", "ci_high",
]
Z_95 = float(stats.norm.ppf(0.975))


def feedback_metrics(rows: pd.DataFrame) -> pd.DataFrame:
    """Per item: rating on 1-5 (`rating_5`), CSAT satisfied 0/1 (`csat_ok`), NPS score -100/0/100 (`nps_score`)."""
    out = pd.DataFrame(index=rows.index)
    out["rating_5"] = rating_on_five(rows["rating"], rows["rating_scale"])
    out["csat_ok"] = csat_satisfied(rows["csat"])
    out["nps_score"] = nps_score(rows["nps"])
    return out


def cause_impact(rows: pd.DataFrame, causes: Sequence[str] = DEFAULT_CAUSES) -> pd.DataFrame:
    """One row per cause and metric (IMPACT_COLUMNS) from item rows with `causes`, `rating`, `rating_scale`,
    `csat` and `nps` columns. Metrics without any input in either group have counts and no values."""
    missing = [c for c in ("causes", "rating", "rating_scale", "csat", "nps") if c not in rows]
    if missing:
        raise ValueError(f"impact needs columns {missing}")
    metrics = feedback_metrics(rows)
    found = rows["causes"].map(lambda values: set(values) if values is not None else set())
    out = []
    for cause in causes:
        has = found.map(lambda s, cause=cause: cause in s).to_numpy(dtype=bool)
        for metric, column in (("rating", "rating_5"), ("csat", "csat_ok"), ("nps", "nps_score")):
            values = metrics[column].to_numpy(dtype="float64")
            answered = ~np.isnan(values)
            with_, without = values[answered & has], values[answered & ~has]
            out.append({"cause": cause, "metric": metric, **_compare(metric, with_, without)})
    return pd.DataFrame(out, columns=IMPACT_COLUMNS)


def _compare(metric: str, with_: np.ndarray, without: np.ndarray) -> dict:
    n1, n2 = len(with_), len(without)
    row = {"n_with": n1, "n_without": n2, "value_with": math.nan, "value_without": math.nan,
           "difference": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    if n1 == 0 or n2 == 0:
        if n1:
            row["value_with"] = _value(metric, with_)
        if n2:
            row["value_without"] = _value(metric, without)
        return row
    v1, v2 = _value(metric, with_), _value(metric, without)
    row.update(value_with=v1, value_without=v2, difference=v1 - v2)
    if n1 < 2 or n2 < 2:
        return row
    if metric == "rating":
        s1, s2 = with_.var(ddof=1) / n1, without.var(ddof=1) / n2
        se = math.sqrt(s1 + s2)
        if se == 0:
            half = 0.0
        else:
            dof = (s1 + s2) ** 2 / ((s1**2 / (n1 - 1) if s1 else 0.0) + (s2**2 / (n2 - 1) if s2 else 0.0))
            half = float(stats.t.ppf(0.975, dof)) * se
    elif metric == "csat":
        p1, p2 = v1 / 100.0, v2 / 100.0
        half = 100.0 * Z_95 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    else:
        half = 100.0 * Z_95 * math.sqrt(_nps_variance(with_) / n1 + _nps_variance(without) / n2)
    row.update(ci_low=row["difference"] - half, ci_high=row["difference"] + half)
    return row


def _value(metric: str, values: np.ndarray) -> float:
    """Mean rating; CSAT and NPS in % (csat values are 0/1, NPS values -100/0/100)."""
    mean = float(values.mean())
    return 100.0 * mean if metric == "csat" else mean


def _nps_variance(scores: np.ndarray) -> float:
    promoters = float(np.mean(scores > 0))
    detractors = float(np.mean(scores < 0))
    return promoters + detractors - (promoters - detractors) ** 2
