"""Spikes: days where a cause's count or share in a channel is abnormally high against the trailing window.

The rule, for each cause, channel and day d (counts summed over sources and languages from daily_summary):

- baseline: the `window_days` days before d (d itself excluded); `baseline_days` is how many of them had any
  feedback in the channel, `baseline_count` the items with the cause, `baseline_feedback` all items.
- count test (Poisson): expected = (baseline_count + 0.5) / baseline_days, the mean per day with feedback (the
  half count keeps a cause never seen before from having an expected count of zero);
  p_count = P(Poisson(expected) >= count).
- share test (binomial): baseline_share = (baseline_count + 0.5) / (baseline_feedback + 1);
  p_share = P(Binomial(n_feedback, baseline_share) >= count).
- alert when count >= min_count, baseline_days >= min_baseline_days and min(p_count, p_share) < alpha.

Exact tail probabilities keep the test honest at the small counts of one channel on one day, and `min_count`
keeps a single item from raising an alert however rare its cause was. With 4 causes, a few channels and two
tests, expect about alpha * 8 * channels false alarms per night at most (tests on the same counts are correlated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

import pandas as pd
from scipy import stats

from causa.nlp.taxonomy import DEFAULT_CAUSES
from causa.storage.schemas import ALERTS, SCHEMA_VERSION


@dataclass(frozen=True)
class SpikeRule:
    """Parameters of the spike test (see the module docstring)."""

    window_days: int = 28
    alpha: float = 0.01
    min_count: int = 3
    min_baseline_days: int = 14

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError(f"window_days must be at least 1, got {self.window_days}")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha}")
        if self.min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {self.min_count}")
        if not 1 <= self.min_baseline_days <= self.window_days:
            raise ValueError(f"min_baseline_days must be in 1..{self.window_days}, got {self.min_baseline_days}")

    def describe(self) -> str:
        return (
            f"count >= {self.min_count} and min(p_count, p_share) < {self.alpha} against the trailing "
            f"{self.window_days} days (at least {self.min_baseline_days} with feedback); Poisson count test, "
            "binomial share test"
        )


DEFAULT_RULE = SpikeRule()
ALERT_COLUMNS = ["created_date", *ALERTS.schema.names]


def days_to_check(touched: Iterable[date], available: Iterable[date], rule: SpikeRule = DEFAULT_RULE) -> list[date]:
    """The available days whose alerts can change when `touched` days change: each touched day and the window after."""
    touched = sorted(set(touched))
    return sorted(
        day for day in set(available)
        if any(t <= day <= t + timedelta(days=rule.window_days) for t in touched)
    )


def window_start(days: Iterable[date], rule: SpikeRule = DEFAULT_RULE) -> date:
    """The first day of summary data needed to test `days`."""
    return min(days) - timedelta(days=rule.window_days)


def detect_spikes(
    summary: pd.DataFrame,
    days: Iterable[date] | None = None,
    causes: Sequence[str] = DEFAULT_CAUSES,
    rule: SpikeRule = DEFAULT_RULE,
) -> pd.DataFrame:
    """Alert rows (ALERT_COLUMNS) for `days` (default: every day in `summary`), from daily_summary rows.

    `summary` must hold the window before each tested day, else the baseline is short (and may stop the test).
    """
    missing = [c for c in ["created_date", "channel", "n_feedback", *[f"cause_{c}" for c in causes]] if c not in summary]
    if missing:
        raise ValueError(f"daily_summary rows lack columns {missing}")
    if summary.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    frame = summary.copy()
    frame["created_date"] = pd.to_datetime(frame["created_date"]).dt.date
    wanted = sorted(set(frame["created_date"]) if days is None else set(days))
    value_columns = ["n_feedback", *[f"cause_{c}" for c in causes]]
    per_day = frame.groupby(["channel", "created_date"])[value_columns].sum()
    rows: list[dict] = []
    for channel, channel_days in per_day.groupby(level="channel"):
        daily = channel_days.droplevel("channel")
        daily.index = pd.DatetimeIndex(pd.to_datetime(daily.index))
        calendar = pd.date_range(min(daily.index.min(), pd.Timestamp(wanted[0])), daily.index.max(), freq="D")
        daily = daily.reindex(calendar, fill_value=0)
        window = f"{rule.window_days}D"
        # sums over the window before each day: rolling over [d - window, d), closed on the left
        trailing = daily.rolling(window, closed="left").sum().fillna(0)
        active = (daily["n_feedback"] > 0).astype("int64").rolling(window, closed="left").sum().fillna(0)
        for day in wanted:
            stamp = pd.Timestamp(day)
            if stamp not in daily.index or daily.at[stamp, "n_feedback"] == 0:
                continue
            n = int(daily.at[stamp, "n_feedback"])
            baseline_days = int(active.at[stamp])
            baseline_feedback = int(trailing.at[stamp, "n_feedback"])
            for cause in causes:
                count = int(daily.at[stamp, f"cause_{cause}"])
                if count < rule.min_count or baseline_days < rule.min_baseline_days:
                    continue
                row = _test(count, n, int(trailing.at[stamp, f"cause_{cause}"]), baseline_feedback, baseline_days, rule)
                if row is not None:
                    rows.append({"created_date": day, "cause": cause, "channel": channel, **row})
    if not rows:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    alerts = pd.DataFrame(rows)
    alerts["rule"] = rule.describe()
    alerts["schema_version"] = SCHEMA_VERSION
    return alerts[ALERT_COLUMNS].sort_values(["created_date", "cause", "channel"]).reset_index(drop=True)


def _test(
    count: int, n: int, baseline_count: int, baseline_feedback: int, baseline_days: int, rule: SpikeRule
) -> dict | None:
    """The alert's numbers when one of the two tests fires, else None."""
    expected = (baseline_count + 0.5) / baseline_days
    baseline_share = (baseline_count + 0.5) / (baseline_feedback + 1)
    p_count = float(stats.poisson.sf(count - 1, expected))
    p_share = float(stats.binom.sf(count - 1, n, baseline_share))
    fired = [name for name, p in (("count", p_count), ("share", p_share)) if p < rule.alpha]
    if not fired:
        return None
    return {
        "count": count,
        "n_feedback": n,
        "share": count / n,
        "baseline_days": baseline_days,
        "baseline_count": baseline_count,
        "baseline_feedback": baseline_feedback,
        "expected_count": expected,
        "baseline_share": baseline_share,
        "p_count": p_count,
        "p_share": p_share,
        "triggered_by": "+".join(fired),
    }
