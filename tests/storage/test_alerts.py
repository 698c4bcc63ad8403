"""Spike rule on small counts, and alerts partitions that are replaced exactly (rows can disappear)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

from causa.storage.alerts import SpikeRule, days_to_check, detect_spikes
from causa.storage.lake import Lake
from causa.storage.schemas import ALERTS

START = date(2026, 1, 1)


def summary(days: int, per_day: int, delay: dict[int, int], rudeness: dict[int, int] | None = None) -> pd.DataFrame:
    """One review row per day: `per_day` items, 1 delay a day unless `delay` says otherwise."""
    rows = []
    for i in range(days):
        rows.append({"created_date": START + timedelta(days=i), "source": "s", "channel": "review", "language": "en",
                     "n_feedback": per_day, "cause_delay": delay.get(i, 1), "cause_rudeness": (rudeness or {}).get(i, 0),
                     "cause_overcharge": 0, "cause_unresolved_issue": 0})
    return pd.DataFrame(rows)


def test_a_clear_spike_is_flagged_with_its_numbers() -> None:
    frame = summary(30, 10, {28: 6})
    alerts = detect_spikes(frame)
    assert len(alerts) == 1
    alert = alerts.iloc[0]
    assert (alert["created_date"], alert["cause"], alert["channel"]) == (START + timedelta(days=28), "delay", "review")
    assert (alert["count"], alert["n_feedback"], alert["baseline_days"]) == (6, 10, 28)
    assert alert["baseline_count"] == 28 and alert["baseline_feedback"] == 280
    assert alert["expected_count"] == pytest.approx(28.5 / 28)
    assert alert["p_count"] == pytest.approx(stats.poisson.sf(5, 28.5 / 28))
    assert alert["p_share"] == pytest.approx(stats.binom.sf(5, 10, 28.5 / 281))
    assert alert["triggered_by"] == "count+share"


def test_small_counts_and_short_history_raise_nothing() -> None:
    # two of a never-seen cause is below min_count; a normal day is not a spike; day 10 has too little history
    frame = summary(30, 10, {10: 8, 29: 2}, rudeness={29: 2})
    assert detect_spikes(frame).empty
    assert not detect_spikes(frame, rule=SpikeRule(min_baseline_days=7)).empty


def test_share_test_catches_a_high_share_on_a_quiet_day() -> None:
    frame = summary(29, 20, {i: 2 for i in range(29)} | {28: 3})
    frame.loc[28, "n_feedback"] = 3  # 3 of 3 when 10% is usual
    alerts = detect_spikes(frame)
    assert list(alerts["triggered_by"]) == ["share"]


def test_days_to_check_cover_the_window_after_a_late_item() -> None:
    available = [START + timedelta(days=i) for i in range(60)]
    checked = days_to_check([START + timedelta(days=10)], available)
    assert checked[0] == START + timedelta(days=10) and checked[-1] == START + timedelta(days=38)


def test_overwrite_replaces_removes_and_is_idempotent(tmp_path) -> None:
    lake = Lake(tmp_path)
    day = START
    rows = detect_spikes(summary(30, 10, {28: 6})).drop(columns="created_date")
    table = pa.Table.from_pandas(rows, schema=ALERTS.schema, preserve_index=False)
    assert lake.overwrite(ALERTS, day, table)
    before = lake.partition_path(ALERTS, day).read_bytes()
    assert not lake.overwrite(ALERTS, day, table)
    assert lake.partition_path(ALERTS, day).read_bytes() == before
    assert lake.overwrite(ALERTS, day, ALERTS.schema.empty_table())
    assert lake.partitions(ALERTS) == []
