"""What a promotion would change in the lake's headline shares: the latest stored feedback scored by both models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pyarrow as pa

from causa.nlp.model import FeedbackModel
from causa.nlp.taxonomy import SENTIMENTS
from causa.storage.lake import Lake
from causa.storage.promotion_stats import Predictions
from causa.storage.schemas import FEEDBACK

@dataclass(frozen=True)
class ShareChange:
    """The share of items with one sentiment or cause, as the current model and as the candidate label them."""

    kind: str
    name: str
    current: float
    candidate: float

    @property
    def points(self) -> float:
        """The change in percentage points."""
        return 100 * (self.candidate - self.current)

    def describe(self) -> str:
        return f"{self.name} {100 * self.current:.1f}% -> {100 * self.candidate:.1f}% ({self.points:+.1f} pts)"


def latest_feedback(lake: Lake, n: int) -> pa.Table:
    """Text and language of the `n` most recently created stored feedback items (fewer if the lake holds fewer),
    reading partitions from the newest until it has enough."""
    if n < 1:
        raise ValueError(f"the lake sample must be at least 1 item, got {n}")
    parts, rows = [], 0
    for day in reversed(lake.partitions(FEEDBACK)):
        part = lake.read_partition(FEEDBACK, day, columns=["text", "language", "created_at"])
        parts.append(part)
        rows += part.num_rows
        if rows >= n:
            break
    if not parts:
        return pa.table({"text": pa.array([], pa.string()), "language": pa.array([], pa.string())})
    table = pa.concat_tables(parts).sort_by([("created_at", "descending")]).slice(0, n)
    return table.select(["text", "language"])


def share_changes(current: Predictions, candidate: Predictions, causes: Sequence[str]) -> list[ShareChange]:
    """Per sentiment, then per cause in `causes`: the share of items each model gives it."""
    n = len(current.sentiments)
    if n == 0 or len(candidate.sentiments) != n:
        raise ValueError(f"share changes need the same items scored by both models, got {n} and "
                         f"{len(candidate.sentiments)}")
    changes = [ShareChange("sentiment", name, sum(s == name for s in current.sentiments) / n,
                           sum(s == name for s in candidate.sentiments) / n) for name in SENTIMENTS]
    changes += [ShareChange("cause", name, sum(name in c for c in current.causes) / n,
                            sum(name in c for c in candidate.causes) / n) for name in causes]
    return changes


def preview_shares(lake: Lake, n: int, current: FeedbackModel,
                   candidate: FeedbackModel) -> tuple[int, list[ShareChange]]:
    """How many of the latest stored items were scored, and the share changes (empty when the lake holds none)."""
    table = latest_feedback(lake, n)
    if table.num_rows == 0:
        return 0, []
    texts = ["" if text is None else text for text in table.column("text").to_pylist()]
    languages = table.column("language").to_pylist()
    causes = list(dict.fromkeys([*current.causes, *candidate.causes]))
    return table.num_rows, share_changes(Predictions.from_scores(current.score(texts, languages)),
                                         Predictions.from_scores(candidate.score(texts, languages)), causes)
