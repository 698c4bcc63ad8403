"""Accuracy of a model on every labelled set in ../shared/data, through the scoring path `causa score` uses.

Prints, per set, the model's figure beside a baseline model (`--baseline DIR`, for example the previous default
model), VADER (English sentiment) and a keyword list (delay), and the target. Languages are detected as
`causa score` detects them when a file has no language column.

Usage: python benchmarks/accuracy.py [--data ../shared/data] [--model DIR] [--baseline DIR] [--tier fast|accurate]
       [--limit N] [--json OUT]
       [--embedding-cache DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

from benchmarks import datasets  # noqa: E402
from causa.nlp.language import LanguageDetector  # noqa: E402
from causa.nlp.taxonomy import DEFAULT_CAUSES  # noqa: E402

TARGETS = {
    "airline_en": 0.70, "b2w_pt": 0.62, "sentirueval_ru": 0.58, "laroseda_ro": 0.93, "sart_ro": None,
    "airline_delay": 0.75, "airline_rudeness": 0.45, "airline_unresolved": None,
    "causes_dev": 0.65, "causes_dev_random": None, "causes_dev_language": 0.55, "causes_dev_no_cause_given": 0.15,
}
MIN_CAUSE_ITEMS = 5
"""causes_dev's per-language macro-F1 counts the causes with at least this many items in that language."""
DELAY_KEYWORDS = re.compile(r"\b(late|delay(ed|s)?|wait(ing)?|hours?|hold|line)\b", re.IGNORECASE)

Predictor = Callable[[Sequence[str]], tuple[list[str], list[tuple[str, ...]]]]
"""Texts to (sentiments, causes) in order."""


def model_predictor(model, tier: str | None = None) -> Predictor:
    """Detects languages as `causa score` does, then scores with the model (and the tier, where it has one)."""
    detector = LanguageDetector()

    def predict(texts: Sequence[str]) -> tuple[list[str], list[tuple[str, ...]]]:
        languages = detector.detect_many(list(texts))
        scores = (model.score(list(texts), languages) if tier in (None, "fast")
                  else model.score(list(texts), languages, tier=tier))
        return [s.sentiment for s in scores], [tuple(s.causes) for s in scores]

    return predict


def vader_sentiments(texts: Sequence[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    labels = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        labels.append("positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral")
    return labels


def cause_macro_f1(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], min_items: int = 1) -> float:
    """Mean F1 over the causes with at least `min_items` gold items (nan when none has)."""
    f1s = [
        f1_score([c in g for g in gold], [c in p for p in predicted], zero_division=0)
        for c in DEFAULT_CAUSES
        if sum(c in g for g in gold) >= min_items
    ]
    return sum(f1s) / len(f1s) if f1s else float("nan")


def measure(predict: Predictor, folder: Path, limit: int = 0) -> dict[str, dict]:
    """Every figure of the benchmark for one predictor: {row name: {"value": ..., "n": ..., "docs_s": ...}}."""
    figures: dict[str, dict] = {}

    def timed(texts: Sequence[str]) -> tuple[list[str], list[tuple[str, ...]], float]:
        started = time.perf_counter()
        sentiments, causes = predict(texts)
        return sentiments, causes, len(texts) / max(time.perf_counter() - started, 1e-9)

    for item in datasets.all_sentiment_sets(folder):
        texts, gold = item.texts, item.sentiments
        if limit:
            texts, gold = texts[:limit], gold[:limit]
        predicted, _, rate = timed(texts)
        if item.name == "laroseda_ro":
            value = accuracy_score(gold, ["negative" if p == "negative" else "positive" for p in predicted])
        else:
            value = f1_score(gold, predicted, average="macro")
        figures[item.name] = {"value": value, "n": len(texts), "docs_s": rate}
    texts, reasons = datasets.airline_reasons(folder)
    _, causes, _ = timed(texts)
    for row, cause in (("airline_delay", "delay"), ("airline_rudeness", "rudeness"),
                       ("airline_unresolved", "unresolved_issue")):
        gold = [r == cause for r in reasons]
        figures[row] = {"value": f1_score(gold, [cause in c for c in causes]), "n": sum(gold)}
    dev = datasets.causes_dev(folder)
    if dev is not None:
        sentiments, causes, rate = timed(dev.texts)
        figures["causes_dev"] = {"value": cause_macro_f1(dev.causes, causes), "n": len(dev.texts), "docs_s": rate}
        random_rows = [i for i, draw in enumerate(dev.draws) if draw in datasets.CAUSES_DEV_RANDOM_DRAWS]
        figures["causes_dev_random"] = {
            "value": cause_macro_f1([dev.causes[i] for i in random_rows], [causes[i] for i in random_rows]),
            "n": len(random_rows)}
        for lang in sorted(set(dev.languages)):
            rows = [i for i, value in enumerate(dev.languages) if value == lang]
            figures[f"causes_dev_{lang}"] = {
                "value": cause_macro_f1([dev.causes[i] for i in rows], [causes[i] for i in rows], MIN_CAUSE_ITEMS),
                "n": len(rows)}
        no_cause = [i for i, (s, c) in enumerate(zip(dev.sentiments, dev.causes)) if s == "negative" and not c]
        figures["causes_dev_no_cause_given"] = {"value": sum(bool(causes[i]) for i in no_cause) / len(no_cause),
                                                "n": len(no_cause)}
        figures["causes_dev_sentiment"] = {"value": f1_score(dev.sentiments, sentiments, average="macro"),
                                           "n": len(dev.texts)}
        for cause in DEFAULT_CAUSES:
            gold = [cause in c for c in dev.causes]
            figures[f"causes_dev_{cause}"] = {"value": f1_score(gold, [cause in c for c in causes], zero_division=0),
                                              "n": sum(gold)}
    return figures


def baselines(folder: Path) -> dict[str, dict]:
    """VADER on the English sentiment set and a delay keyword list on the airline delay set."""
    airline = datasets.airline_sentiment(folder)
    texts, reasons = datasets.airline_reasons(folder)
    return {
        "airline_en": {"value": f1_score(airline.sentiments, vader_sentiments(airline.texts), average="macro")},
        "airline_delay": {"value": f1_score([r == "delay" for r in reasons],
                                            [bool(DELAY_KEYWORDS.search(t)) for t in texts])},
    }


def target_of(row: str) -> float | None:
    if row in TARGETS:
        return TARGETS[row]
    return TARGETS["causes_dev_language"] if row.startswith("causes_dev_") and len(row) == 13 else None


def format_table(columns: dict[str, dict[str, dict]]) -> str:
    """One line per figure, one column per predictor, then the target."""
    names = list(columns)
    rows = list(dict.fromkeys(row for figures in columns.values() for row in figures))
    lines = [f"{'figure':<28}" + "".join(f"{name:>12}" for name in names) + f"{'target':>9}  n"]
    for row in rows:
        cells = ""
        for name in names:
            value = columns[name].get(row, {}).get("value")
            cells += f"{value:12.3f}" if value is not None else f"{'-':>12}"
        target = target_of(row)
        n = next((columns[name][row].get("n") for name in names if row in columns[name]), "")
        rate = columns[names[0]].get(row, {}).get("docs_s")
        lines.append(f"{row:<28}{cells}{(f'{target:9.2f}' if target is not None else ' ' * 9)}  {n}"
                     + (f"  ({rate:,.0f} docs/s)" if rate else ""))
    return "\n".join(lines)


def main() -> int:
    from causa.nlp.encoder import SentenceEncoder
    from causa.nlp.model_store import default_model_dir, load_model

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="path of shared/data")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped model)")
    parser.add_argument("--baseline", type=Path, default=None, help="a second model folder to print beside it")
    parser.add_argument("--tier", choices=("fast", "accurate", "both"), default="fast")
    parser.add_argument("--limit", type=int, default=0, help="score at most N items per sentiment set (0: all)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument("--embedding-cache", type=Path, default=None,
                        help="folder to keep the accurate tier's text embeddings in between runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    folder = datasets.data_dir(args.data)
    if folder is None:
        print("no shared data found; pass --data PATH")
        return 2
    model = load_model(args.model or default_model_dir())
    model.set_params(encoder=SentenceEncoder(args.embedding_cache))
    tiers = ["fast", "accurate"] if args.tier == "both" else [args.tier]
    columns = {f"causa {tier}": measure(model_predictor(model, tier), folder, args.limit) for tier in tiers}
    if args.baseline:
        columns["baseline"] = measure(model_predictor(load_model(args.baseline)), folder, args.limit)
    columns["VADER/kw"] = baselines(folder)
    print(format_table(columns))
    if args.json:
        args.json.write_text(json.dumps(columns, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
