"""Out-of-box accuracy on the real labelled sets in ../shared/data, when they are there (a regression guard).

The thresholds sit a little below the figures benchmarks/accuracy.py measures on the full sets.
"""

from __future__ import annotations

import pytest
from sklearn.metrics import accuracy_score, f1_score

from benchmarks import datasets
from nlp.language import LanguageDetector

FOLDER = datasets.data_dir()
pytestmark = pytest.mark.skipif(FOLDER is None, reason="../shared/data is not there")
SAMPLE = 2000
FLOORS = {"airline_en": 0.60, "b2w_pt": 0.50, "laroseda_ro": 0.75, "sentirueval_ru": 0.42}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_sentiment_out_of_the_box(shipped_model, name: str) -> None:
    loader = {"airline_en": datasets.airline_sentiment, "b2w_pt": datasets.b2w,
              "laroseda_ro": datasets.laroseda, "sentirueval_ru": datasets.sentirueval}[name]
    item = loader(FOLDER)
    step = max(1, len(item.texts) // SAMPLE)
    texts, gold = item.texts[::step], item.sentiments[::step]
    predicted = [s.sentiment for s in shipped_model.score(texts, LanguageDetector().detect_many(texts))]
    if name == "laroseda_ro":
        figure = accuracy_score(gold, predicted)
    else:
        figure = f1_score(gold, predicted, average="macro")
    assert figure >= FLOORS[name]
