"""Model scores as table columns, built one way for the scored table and for `causa score`'s output."""

from __future__ import annotations

from typing import Sequence

from causa.nlp.model import ItemScore
from causa.nlp.taxonomy import SENTIMENTS
from causa.storage.schemas import probability_column


def score_columns(scores: Sequence[ItemScore]) -> dict[str, list]:
    """sentiment, p_<sentiment>, causes, evidence and needs_review of each score, column by column."""
    return {
        "sentiment": [score.sentiment for score in scores],
        **{probability_column(sentiment): [score.probabilities[sentiment] for score in scores] for sentiment in SENTIMENTS},
        "causes": [list(score.causes) for score in scores],
        "evidence": [
            [{"cause": span.cause, "start": span.start, "end": span.end, "text": span.text} for span in score.evidence]
            for score in scores
        ],
        "needs_review": [score.needs_review for score in scores],
    }


def cause_score_lists(scores: Sequence[ItemScore]) -> list[list[dict]]:
    """Each score's probability of every cause as a list of (cause, score), the scored table's `cause_scores`."""
    return [[{"cause": cause, "score": value} for cause, value in score.cause_scores.items()] for score in scores]


def cause_score_columns(scores: Sequence[ItemScore], causes: Sequence[str]) -> dict[str, list]:
    """Each cause's probability in a column of its own, `score_<cause>` (causa score's output)."""
    return {f"score_{cause}": [score.cause_scores[cause] for score in scores] for cause in causes}
