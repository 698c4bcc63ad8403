"""daily_summary: per date, source, channel and language, counts by sentiment and cause and service metrics."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow as pa

from causa.nlp.taxonomy import DEFAULT_CAUSES, SENTIMENTS
from causa.storage.schemas import SCHEMA_VERSION
from causa.storage.service_metrics import csat_satisfied, csi_score, nps_score, rating_on_five

GROUP_COLUMNS = ["created_date", "source", "channel", "language"]
FEEDBACK_COLUMNS = (
    "feedback_id", "source", "channel", "language", "rating", "rating_scale", "nps", "csat", "ces", "response_seconds"
)
"""The feedback columns the summary reads (besides created_date)."""
LATER_COLUMNS = {"response_seconds": pa.float64()}
"""Feedback columns added after the first schema: rows given without them read them as null."""
RESPONSE_PERCENTILES = {"response_p50_s": 0.5, "response_p90_s": 0.9}
SCORED_COLUMNS = ("feedback_id", "sentiment", "causes")


def daily_summary(
    feedback: pa.Table, scored: pa.Table, causes: Sequence[str] = DEFAULT_CAUSES,
    csi_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Summary rows from feedback and scored rows of the same dates (both with their created_date column).

    avg_rating is on a 1-5 scale (ratings on other scales are rescaled); csat_pct is the share of CSAT answers
    of 4-5; nps is % promoters (9-10) minus % detractors (0-6); ces_avg is the mean CES (1-7); negative_pct is
    100 * n_negative / n_feedback and cause_<name>_pct is 100 * cause_<name> / n_feedback (an item can have several
    causes, so cause shares need not sum to 100). n_csat, n_nps and n_ces count the answers behind csat_pct, nps
    and ces_avg, so that they can be re-aggregated over groups as answer-weighted means.

    response_p50_s and response_p90_s are the median and 90th percentile of the group's response times (linear
    interpolation between the closest ranks), n_responded the items with one. csi is the mean of the items' customer
    satisfaction index under `csi_weights` (see service_metrics.csi_score), n_csi the items with one; without
    weights csi is null and n_csi 0.
    """
    left, right = matching_rows(feedback.column("feedback_id"), scored.column("feedback_id"))
    if len(left) == 0:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    columns = [name for name in FEEDBACK_COLUMNS if name != "feedback_id"]
    for name, type_ in LATER_COLUMNS.items():
        if name not in feedback.column_names:
            feedback = feedback.append_column(name, pa.nulls(feedback.num_rows, type_))
    rows = feedback.select([*columns, "created_date"]).take(left).to_pandas()
    rows["n_feedback"] = 1
    sentiments = scored.column("sentiment").take(right)
    for sentiment in SENTIMENTS:
        rows[f"n_{sentiment}"] = pc.equal(sentiments, sentiment).to_numpy(zero_copy_only=False).astype("int64")
    for cause, flags in cause_flags(scored.column("causes").take(right), causes).items():
        rows[f"cause_{cause}"] = flags
    rows["rating_5"] = rating_on_five(rows["rating"], rows["rating_scale"])
    rows["csat_ok"] = csat_satisfied(rows["csat"])
    rows["nps_score"] = nps_score(rows["nps"])
    rows["response_seconds"] = rows["response_seconds"].astype("float64")
    rows["csi_item"] = csi_score(rows, csi_weights) if csi_weights else np.nan
    grouped = rows.groupby(GROUP_COLUMNS, sort=True, dropna=False)
    counts = grouped.agg(
        n_feedback=("n_feedback", "sum"),
        **{f"n_{s}": (f"n_{s}", "sum") for s in SENTIMENTS},
        **{f"cause_{c}": (f"cause_{c}", "sum") for c in causes},
        n_rated=("rating_5", "count"),
        avg_rating=("rating_5", "mean"),
        csat_answered=("csat_ok", "count"),
        csat_satisfied=("csat_ok", "sum"),
        nps_answered=("nps_score", "count"),
        nps_sum=("nps_score", "sum"),
        ces_avg=("ces", "mean"),
        n_ces=("ces", "count"),
        n_responded=("response_seconds", "count"),
        **{name: ("response_seconds", percentile(q)) for name, q in RESPONSE_PERCENTILES.items()},
        n_csi=("csi_item", "count"),
        csi=("csi_item", "mean"),
    ).reset_index()
    csat_answered = counts.pop("csat_answered").astype("float64")
    nps_answered = counts.pop("nps_answered").astype("float64")
    counts["n_csat"] = csat_answered.astype("int64")
    counts["n_nps"] = nps_answered.astype("int64")
    counts["csat_pct"] = (100.0 * counts.pop("csat_satisfied") / csat_answered).where(csat_answered > 0)
    counts["nps"] = (counts.pop("nps_sum") / nps_answered).where(nps_answered > 0)
    for name in ("ces_avg", *RESPONSE_PERCENTILES, "csi"):
        counts[name] = counts[name].astype("float64")
    total = counts["n_feedback"].astype("float64")
    counts["negative_pct"] = 100.0 * counts["n_negative"] / total
    for cause in causes:
        counts[f"cause_{cause}_pct"] = 100.0 * counts[f"cause_{cause}"] / total
    counts["schema_version"] = SCHEMA_VERSION
    return counts


def percentile(q: float):
    """The aggregation giving a group's q-quantile (NaN for a group without values)."""

    def quantile(values: pd.Series) -> float:
        return float(values.quantile(q))

    quantile.__name__ = f"p{round(q * 100)}"
    return quantile


def matching_rows(left_keys: pa.ChunkedArray, right_keys: pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Row positions (left, right) of the keys present on both sides (an inner join on the keys alone)."""
    left = pa.table({"key": left_keys, "left": pa.array(np.arange(len(left_keys)))})
    right = pa.table({"key": right_keys, "right": pa.array(np.arange(len(right_keys)))})
    joined = left.join(right, "key", join_type="inner").sort_by("left")
    return joined.column("left").combine_chunks(), joined.column("right").combine_chunks()


def cause_flags(causes: pa.ChunkedArray, names: Sequence[str]) -> dict[str, np.ndarray]:
    """For each cause name, 1 where a row's cause list holds it, else 0 (computed in Arrow, no Python per row)."""
    lists = causes.combine_chunks()
    values = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy()
    flags = {}
    for name in names:
        found = np.zeros(len(lists), dtype="int64")
        found[parents[pc.equal(values, name).to_numpy(zero_copy_only=False)]] = 1
        flags[name] = found
    return flags
