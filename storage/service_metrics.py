"""The service metrics per item, defined once: the rating on 1-5, CSAT satisfied, the NPS score, the customer
satisfaction index (CSI).

daily_summary aggregates them per group, cause impact compares them between items with and without a cause.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

DEFAULT_RATING_SCALE = 5
CSAT_SATISFIED_FROM = 4
"""CSAT answers (1-5) of 4 and 5 are satisfied."""
NPS_PROMOTER_FROM = 9
NPS_DETRACTOR_UP_TO = 6
"""NPS answers (0-10) of 9-10 are promoters, 0-6 detractors, 7-8 passives."""


def rating_on_five(rating: pd.Series, scale: pd.Series) -> pd.Series:
    """Ratings on a 1..scale range mapped linearly to 1..5, 1 + (rating - 1) * 4 / (scale - 1); no scale means 5."""
    rating = rating.astype("float64")
    scale = scale.astype("float64").fillna(float(DEFAULT_RATING_SCALE))
    return (1.0 + (rating - 1.0) * 4.0 / (scale - 1.0)).where(rating.notna())


def csat_satisfied(csat: pd.Series) -> pd.Series:
    """1.0 for a satisfied CSAT answer, 0.0 for another, NaN for none: the CSAT % is 100 times their mean."""
    csat = csat.astype("float64")
    return (csat >= CSAT_SATISFIED_FROM).astype("float64").where(csat.notna())


def nps_score(nps: pd.Series) -> pd.Series:
    """100 for a promoter, -100 for a detractor, 0 for a passive, NaN for no answer: the NPS is their mean."""
    nps = nps.astype("float64")
    scores = np.select([nps >= NPS_PROMOTER_FROM, nps <= NPS_DETRACTOR_UP_TO], [100.0, -100.0], 0.0)
    return pd.Series(scores, index=nps.index).where(nps.notna())


CSI_ANSWERS = ("csat", "nps", "ces")
"""The survey answers the customer satisfaction index can weigh ([metrics.csi] weights)."""


def answer_on_hundred(name: str, answers: pd.Series) -> pd.Series:
    """A survey answer put on 0-100, higher is better: CSAT 1-5 as (csat - 1) * 25, NPS 0-10 as nps * 10, CES 1-7
    (lower effort is better) as (7 - ces) * 100 / 6; NaN stays NaN."""
    answers = answers.astype("float64")
    if name == "csat":
        return (answers - 1.0) * 25.0
    if name == "nps":
        return answers * 10.0
    if name == "ces":
        return (7.0 - answers) * 100.0 / 6.0
    raise ValueError(f"no CSI scale for {name!r}; the index weighs {list(CSI_ANSWERS)}")


def csi_score(answers: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Each item's customer satisfaction index 0-100: the weighted mean of its answers on 0-100, over the weighed
    answers it has (the weights of those are divided by their sum); NaN for an item with none of them."""
    weighted = pd.Series(0.0, index=answers.index)
    weight_sum = pd.Series(0.0, index=answers.index)
    for name, weight in weights.items():
        scores = answer_on_hundred(name, answers[name])
        answered = scores.notna()
        weighted += (scores.fillna(0.0) * weight).where(answered, 0.0)
        weight_sum += answered.astype("float64") * weight
    return (weighted / weight_sum).where(weight_sum > 0)
