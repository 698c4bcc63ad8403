"""The service metrics per item, defined once: the rating on 1-5, CSAT satisfied, the NPS score.

daily_summary aggregates them per group, cause impact compares them between items with and without a cause.
"""

from __future__ import annotations

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
