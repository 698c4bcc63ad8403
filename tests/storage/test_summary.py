"""daily_summary counts and service metrics follow their documented formulas."""

from __future__ import annotations

from datetime import date

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
