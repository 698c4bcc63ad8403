"""Loaders for the labelled evaluation sets in ../shared/data, with the splits the targets are stated on.

Read only: nothing here copies the data anywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
AIRLINE_DELAY_REASONS = {"Late Flight", "longlines"}
AIRLINE_REASON_CAUSES = {"Late Flight": "delay", "longlines": "delay", "Flight Attendant Complaints": "rudeness",
                         "Customer Service Issue": "unresolved_issue"}
"""The airline set's negative reasons as causes (the data README's rough mapping; other reasons are no cause)."""
LAROSEDA_SAMPLE = 3000
SART_LABELS = ("negative", "neutral", "positive")
CAUSES_DEV_RANDOM_DRAWS = ("neg", "other")
"""causes_dev's strata drawn without cue words."""


@dataclass(frozen=True)
class EvalSet:
    name: str
    language: str
    texts: list[str]
    sentiments: list[str | None]
    train_texts: list[str] | None = None
    train_sentiments: list[str] | None = None


def data_dir(path: str | Path | None = None) -> Path | None:
    """The shared data folder if it is there."""
    folder = Path(path) if path else DEFAULT_DATA_DIR
    return folder if (folder / "README.md").is_file() else None


def stars_to_sentiment(stars: int) -> str:
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


def airline(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Twitter US Airline: the 80/20 split stratified on sentiment with random_state=42."""
    frame = pd.read_csv(folder / "airline_en" / "tweets.csv")
    train, test = train_test_split(frame, test_size=0.2, random_state=42, stratify=frame["airline_sentiment"])
    return train, test


def airline_sentiment(folder: Path) -> EvalSet:
    train, test = airline(folder)
    return EvalSet("airline_en", "en", test["text"].tolist(), test["airline_sentiment"].tolist(),
                   train["text"].tolist(), train["airline_sentiment"].tolist())


def b2w(folder: Path) -> EvalSet:
    frame = pd.read_csv(folder / "b2w_pt" / "polarity.csv")
    test, train = frame[frame["split"] == "test"], frame[frame["split"] != "test"]
    return EvalSet("b2w_pt", "pt", test["text"].astype(str).tolist(), test["sentiment"].tolist(),
                   train["text"].astype(str).tolist(), train["sentiment"].tolist())


def laroseda(folder: Path) -> EvalSet:
    """LaRoSeDa's 3,000-row sample (random_state=1) that causes_dev left out; text is title + ". " + content."""
    frame = pd.read_json(folder / "laroseda_ro" / "train.jsonl", lines=True).sample(LAROSEDA_SAMPLE, random_state=1)
    texts = (frame["title"].astype(str) + ". " + frame["content"].astype(str)).tolist()
    return EvalSet("laroseda_ro", "ro", texts, [stars_to_sentiment(int(stars)) for stars in frame["starRating"]])


def sart_test(folder: Path) -> EvalSet:
    """SART's test split (Romanian tweets, CC0): 0 negative, 1 neutral, 2 positive."""
    frame = pd.read_csv(folder / "clean" / "sart_ro" / "test.csv")
    return EvalSet("sart_ro", "ro", frame["text"].astype(str).tolist(), [SART_LABELS[int(v)] for v in frame["Label"]])


def airline_reasons(folder: Path) -> tuple[list[str], list[str | None]]:
    """Negative tweets of the test split with reason confidence >= 0.7, and each one's reason as a cause (or None)."""
    _, test = airline(folder)
    chosen = test[(test["airline_sentiment"] == "negative") & (test["negativereason_confidence"] >= 0.7)]
    return chosen["text"].tolist(), [AIRLINE_REASON_CAUSES.get(r) for r in chosen["negativereason"]]


@dataclass(frozen=True)
class CausesDev:
    texts: list[str]
    languages: list[str]
    sentiments: list[str]
    causes: list[tuple[str, ...]]
    draws: list[str]


def causes_dev(folder: Path) -> CausesDev | None:
    """The hand-labelled causes development set (validation only), or None when it is not there."""
    path = folder / "causes_dev" / "labels.jsonl"
    if not path.is_file():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return CausesDev([r["text"] for r in rows], [r["lang"] for r in rows], [r["sentiment"] for r in rows],
                     [tuple(r["causes"]) for r in rows], [r["draw"] for r in rows])


def sentirueval(folder: Path) -> EvalSet:
    frame = pd.read_csv(folder / "sentirueval_ru" / "banks.csv")
    frame = frame[frame["tweet_label"].isin(["negative", "neutral", "positive"])]
    return EvalSet("sentirueval_ru", "ru", frame["text"].astype(str).tolist(), frame["tweet_label"].tolist())


def all_sentiment_sets(folder: Path) -> list[EvalSet]:
    sets = [airline_sentiment(folder), b2w(folder), laroseda(folder), sentirueval(folder)]
    if (folder / "clean" / "sart_ro" / "test.csv").is_file():
        sets.append(sart_test(folder))
    return sets
