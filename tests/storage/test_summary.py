"""daily_summary counts and service metrics follow their documented formulas."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from causa.storage.summary import daily_summary

DAY = date(2026, 10, 1)


def test_counts_and_metrics_per_group() -> None:
    feedback = pa.Table.from_pylist(
        [
            {"feedback_id": "1", "created_date": DAY, "source": "s", "channel": "review", "language": "en",
             "rating": 1.0, "rating_scale": 5, "nps": 10, "csat": 5, "ces": 2},
            {"feedback_id": "2", "created_date": DAY, "source": "s", "channel": "review", "language": "en",
             "rating": 10.0, "rating_scale": 10, "nps": 3, "csat": 2, "ces": 4},
            {"feedback_id": "3", "created_date": DAY, "source": "s", "channel": "social", "language": "pt",
             "rating": None, "rating_scale": None, "nps": None, "csat": None, "ces": None},
        ]
    )
    scored = pa.Table.from_pylist(
        [
            {"feedback_id": "1", "sentiment": "negative", "causes": ["delay", "overcharge"]},
            {"feedback_id": "2", "sentiment": "positive", "causes": []},
            {"feedback_id": "3", "sentiment": "negative", "causes": ["delay"]},
        ]
    )
    summary = daily_summary(feedback, scored).set_index("channel")
    review = summary.loc["review"]
    assert review["n_feedback"] == 2 and review["n_negative"] == 1 and review["n_positive"] == 1
    assert review["cause_delay"] == 1 and review["cause_overcharge"] == 1 and review["cause_rudeness"] == 0
    assert review["avg_rating"] == pytest.approx(3.0)  # 1/5 -> 1 and 10/10 -> 5
    assert review["csat_pct"] == pytest.approx(50.0)
    assert review["nps"] == pytest.approx(0.0)  # one promoter, one detractor
    assert review["ces_avg"] == pytest.approx(3.0)
    social = summary.loc["social"]
    assert social["n_feedback"] == 1 and social["cause_delay"] == 1
    assert social["n_rated"] == 0


def test_shares_and_answer_counts() -> None:
    feedback = pa.Table.from_pylist(
        [
            {"feedback_id": str(i), "created_date": DAY, "source": "s", "channel": "chat", "language": "es",
             "rating": None, "rating_scale": None, "nps": 8 if i < 2 else None, "csat": None, "ces": 3}
            for i in range(4)
        ]
    )
    scored = pa.Table.from_pylist(
        [
            {"feedback_id": "0", "sentiment": "negative", "causes": ["delay", "rudeness"]},
            {"feedback_id": "1", "sentiment": "negative", "causes": ["delay"]},
            {"feedback_id": "2", "sentiment": "neutral", "causes": []},
            {"feedback_id": "3", "sentiment": "positive", "causes": []},
        ]
    )
    row = daily_summary(feedback, scored).iloc[0]
    assert row["negative_pct"] == pytest.approx(50.0)
    assert row["cause_delay_pct"] == pytest.approx(50.0) and row["cause_rudeness_pct"] == pytest.approx(25.0)
    assert row["cause_overcharge_pct"] == pytest.approx(0.0)
    assert (row["n_nps"], row["n_csat"], row["n_ces"]) == (2, 0, 4)


def item(n: int, channel: str, **answers) -> dict:
    return {"feedback_id": str(n), "created_date": DAY, "source": "s", "channel": channel, "language": "en",
            "rating": None, "rating_scale": None, "nps": None, "csat": None, "ces": None, "response_seconds": None,
            **answers}


def neutral(feedback: pa.Table) -> pa.Table:
    return pa.Table.from_pylist(
        [{"feedback_id": key, "sentiment": "neutral", "causes": []} for key in feedback.column("feedback_id").to_pylist()]
    )


def test_response_time_median_and_90th_percentile_per_group() -> None:
    chat = [60.0, 120.0, 300.0, 600.0, 3600.0]
    feedback = pa.Table.from_pylist(
        [item(n, "chat", response_seconds=seconds) for n, seconds in enumerate(chat)]
        + [item(10, "chat"), item(11, "email", response_seconds=45.0), item(12, "review")]
    )
    summary = daily_summary(feedback, neutral(feedback)).set_index("channel")
    # sorted times at ranks 0..4: the median is rank 2; the 90th percentile is rank 0.9 * 4 = 3.6, 60% of the way
    # from 600 to 3600
    assert summary.loc["chat", "n_responded"] == 5 and summary.loc["chat", "n_feedback"] == 6
    assert summary.loc["chat", "response_p50_s"] == pytest.approx(300.0)
    assert summary.loc["chat", "response_p90_s"] == pytest.approx(600.0 + 0.6 * 3000.0)
    assert (summary.loc["email", "n_responded"], summary.loc["email", "response_p50_s"],
            summary.loc["email", "response_p90_s"]) == (1, 45.0, 45.0)
    assert summary.loc["review", "n_responded"] == 0 and np.isnan(summary.loc["review", "response_p50_s"])


def test_feedback_without_the_response_column_summarises_with_no_response_times() -> None:
    feedback = pa.Table.from_pylist([item(1, "chat")]).drop_columns(["response_seconds"])
    row = daily_summary(feedback, neutral(feedback)).iloc[0]
    assert row["n_responded"] == 0 and np.isnan(row["response_p50_s"]) and np.isnan(row["response_p90_s"])


def test_csi_is_the_weighted_mean_of_each_items_answers_on_0_to_100() -> None:
    feedback = pa.Table.from_pylist(
        [
            item(1, "survey", csat=5, nps=10, ces=1),  # the best answers: 100
            item(2, "survey", csat=1, nps=0, ces=7),  # the worst: 0
            item(3, "survey", csat=4, ces=4),  # csat 75, ces 50, no nps: (0.5 * 75 + 0.2 * 50) / (0.5 + 0.2)
            item(4, "survey", nps=7),  # nps alone: 70
            item(5, "survey"),  # no answer: no index
        ]
    )
    weights = {"csat": 0.5, "nps": 0.3, "ces": 0.2}
    row = daily_summary(feedback, neutral(feedback), csi_weights=weights).iloc[0]
    by_hand = [100.0, 0.0, (0.5 * 75 + 0.2 * 50) / 0.7, 70.0]
    assert row["n_csi"] == 4 and row["csi"] == pytest.approx(sum(by_hand) / 4)
    csat_only = daily_summary(feedback, neutral(feedback), csi_weights={"csat": 1.0}).iloc[0]
    assert csat_only["n_csi"] == 3 and csat_only["csi"] == pytest.approx((100.0 + 0.0 + 75.0) / 3)
    unset = daily_summary(feedback, neutral(feedback)).iloc[0]
    assert unset["n_csi"] == 0 and np.isnan(unset["csi"])
