"""daily_summary: per date, source, channel and language, counts by sentiment and cause and service metrics."""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import pyarrow as pa

from storage.schemas import DEFAULT_CAUSES, SCHEMA_VERSION, SENTIMENTS

GROUP_COLUMNS = ["created_date", "source", "channel", "language"]
FEEDBACK_COLUMNS = ("feedback_id", "source", "channel", "language", "rating", "rating_scale", "nps", "csat", "ces")
"""The feedback columns the summary reads (besides created_date)."""
SCORED_COLUMNS = ("feedback_id", "sentiment", "causes")


def daily_summary(feedback: pa.Table, scored: pa.Table, causes: Sequence[str] = DEFAULT_CAUSES) -> pd.DataFrame:
    """Summary rows from feedback and scored rows of the same dates (both with their created_date column).

    avg_rating is on a 1-5 scale (ratings on other scales are rescaled); csat_pct is the share of CSAT answers
    of 4-5; nps is % promoters (9-10) minus % detractors (0-6); ces_avg is the mean CES (1-7); negative_pct is
    100 * n_negative / n_feedback and cause_<name>_pct is 100 * cause_<name> / n_feedback (an item can have several
    causes, so cause shares need not sum to 100). n_csat, n_nps and n_ces count the answers behind csat_pct, nps
    and ces_avg, so that they can be re-aggregated over groups as answer-weighted means.
    """
    left = feedback.select([*FEEDBACK_COLUMNS, "created_date"]).to_pandas()
    right = scored.select(list(SCORED_COLUMNS)).to_pandas()
    rows = left.merge(right, on="feedback_id", how="inner")
    if rows.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    for sentiment in SENTIMENTS:
        rows[f"n_{sentiment}"] = (rows["sentiment"] == sentiment).astype("int64")
    cause_sets = rows["causes"].map(lambda values: set(values) if values is not None else set())
    for cause in causes:
        rows[f"cause_{cause}"] = cause_sets.map(lambda found, cause=cause: cause in found).astype("int64")
    rows["rating_5"] = _rescale_to_five(rows["rating"], rows["rating_scale"])
    rows["csat_answered"] = rows["csat"].notna()
    rows["csat_satisfied"] = rows["csat"].ge(4) & rows["csat_answered"]
    rows["nps_answered"] = rows["nps"].notna()
    rows["nps_promoter"] = rows["nps"].ge(9) & rows["nps_answered"]
    rows["nps_detractor"] = rows["nps"].le(6) & rows["nps_answered"]
    grouped = rows.groupby(GROUP_COLUMNS, sort=True, dropna=False)
    counts = grouped.agg(
        n_feedback=("feedback_id", "size"),
        **{f"n_{s}": (f"n_{s}", "sum") for s in SENTIMENTS},
        **{f"cause_{c}": (f"cause_{c}", "sum") for c in causes},
        n_rated=("rating_5", "count"),
        avg_rating=("rating_5", "mean"),
        csat_answered=("csat_answered", "sum"),
        csat_satisfied=("csat_satisfied", "sum"),
        nps_answered=("nps_answered", "sum"),
        nps_promoter=("nps_promoter", "sum"),
        nps_detractor=("nps_detractor", "sum"),
        ces_avg=("ces", "mean"),
        n_ces=("ces", "count"),
    ).reset_index()
    csat_answered = counts.pop("csat_answered").astype("float64")
    nps_answered = counts.pop("nps_answered").astype("float64")
    counts["n_csat"] = csat_answered.astype("int64")
    counts["n_nps"] = nps_answered.astype("int64")
    counts["csat_pct"] = (100.0 * counts.pop("csat_satisfied") / csat_answered).where(csat_answered > 0)
    counts["nps"] = (
        100.0 * (counts.pop("nps_promoter") - counts.pop("nps_detractor")) / nps_answered
    ).where(nps_answered > 0)
    counts["ces_avg"] = counts["ces_avg"].astype("float64")
    total = counts["n_feedback"].astype("float64")
    counts["negative_pct"] = 100.0 * counts["n_negative"] / total
    for cause in causes:
        counts[f"cause_{cause}_pct"] = 100.0 * counts[f"cause_{cause}"] / total
    counts["schema_version"] = SCHEMA_VERSION
    return counts


def _rescale_to_five(rating: pd.Series, scale: pd.Series) -> pd.Series:
    """Ratings on a 1..scale range mapped linearly to 1..5."""
    rating = rating.astype("float64")
    scale = scale.astype("float64").fillna(5.0)
    return (1.0 + (rating - 1.0) * 4.0 / (scale - 1.0)).where(rating.notna())
