"""Out-of-box accuracy of the default model on ../shared/data, next to VADER (English) on the same items.

Usage: python benchmarks/accuracy.py [--data ../shared/data] [--limit N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

from benchmarks import datasets  # noqa: E402
from nlp.language import LanguageDetector  # noqa: E402
from nlp.model_store import default_model_dir, load_model  # noqa: E402

TARGETS = {"airline_en": 0.65, "b2w_pt": 0.62, "laroseda_ro": 0.85, "sentirueval_ru": 0.55, "airline_delay": 0.80}
DELAY_KEYWORDS = re.compile(r"\b(late|delay(ed|s)?|wait(ing)?|hours?|hold|line)\b", re.IGNORECASE)


def vader_sentiments(texts: list[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    labels = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        labels.append("positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral")
    return labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="path of shared/data")
    parser.add_argument("--limit", type=int, default=0, help="score at most N items per set (0: all)")
    args = parser.parse_args()
    folder = datasets.data_dir(args.data)
    if folder is None:
        print("no shared data found; pass --data PATH")
        return 2
    model = load_model(default_model_dir())
    detector = LanguageDetector()
    print(f"{'set':<16}{'metric':<22}{'causa':>8}{'VADER':>8}{'target':>8}  n      docs/s")
    for item in datasets.all_sentiment_sets(folder):
        texts, gold = item.texts, item.sentiments
        if args.limit:
            texts, gold = texts[: args.limit], gold[: args.limit]
        started = time.perf_counter()
        predicted = [s.sentiment for s in model.score(texts, detector.detect_many(texts))]
        rate = len(texts) / (time.perf_counter() - started)
        if item.name == "laroseda_ro":
            metric, ours = "accuracy (2 classes)", accuracy_score(gold, predicted)
        else:
            metric, ours = "sentiment macro-F1", f1_score(gold, predicted, average="macro")
        vader = f1_score(gold, vader_sentiments(texts), average="macro") if item.language == "en" else None
        vader_text = f"{vader:8.3f}" if vader is not None else f"{'-':>8}"
        print(f"{item.name:<16}{metric:<22}{ours:8.3f}{vader_text}{TARGETS[item.name]:8.2f}  {len(texts):<6} {rate:,.0f}")
    texts, gold = datasets.airline_delay(folder)
    predicted = ["delay" in s.causes for s in model.score(texts, ["en"] * len(texts))]
    keywords = [bool(DELAY_KEYWORDS.search(text)) for text in texts]
    print(f"{'airline_delay':<16}{'delay F1':<22}{f1_score(gold, predicted):8.3f}{'-':>8}{TARGETS['airline_delay']:8.2f}"
          f"  {len(texts):<6} (keyword list: {f1_score(gold, keywords):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
