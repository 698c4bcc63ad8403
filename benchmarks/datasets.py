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


def airline_delay(folder: Path) -> tuple[list[str], list[bool]]:
    """Negative tweets of the test split with reason confidence >= 0.7; gold: the reason is a delay."""
    _, test = airline(folder)
    chosen = test[(test["airline_sentiment"] == "negative") & (test["negativereason_confidence"] >= 0.7)]
    return chosen["text"].tolist(), chosen["negativereason"].isin(AIRLINE_DELAY_REASONS).tolist()


def b2w(folder: Path) -> EvalSet:
    frame = pd.read_csv(folder / "b2w_pt" / "polarity.csv")
    test, train = frame[frame["split"] == "test"], frame[frame["split"] != "test"]
    return EvalSet("b2w_pt", "pt", test["text"].astype(str).tolist(), test["sentiment"].tolist(),
                   train["text"].astype(str).tolist(), train["sentiment"].tolist())


def laroseda(folder: Path) -> EvalSet:
    rows = [json.loads(line) for line in (folder / "laroseda_ro" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = [row["content"] for row in rows]
    return EvalSet("laroseda_ro", "ro", texts, [stars_to_sentiment(int(row["starRating"])) for row in rows])


def sentirueval(folder: Path) -> EvalSet:
    frame = pd.read_csv(folder / "sentirueval_ru" / "banks.csv")
    frame = frame[frame["tweet_label"].isin(["negative", "neutral", "positive"])]
    return EvalSet("sentirueval_ru", "ru", frame["text"].astype(str).tolist(), frame["tweet_label"].tolist())


def all_sentiment_sets(folder: Path) -> list[EvalSet]:
    return [airline_sentiment(folder), b2w(folder), laroseda(folder), sentirueval(folder)]
