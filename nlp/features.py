"""Sparse features of analysed texts: word n-grams of token keys, character n-grams, lexicon and cue signals."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from causa.nlp.analysis import AnalysedText

SIGNAL_NAMES = ("lex_positive", "lex_negative", "lex_balance", "lex_negated", "question", "exclamations")
"""No length signal: on the written corpus it learned that long texts have causes, which real feedback refutes."""


def signal_features(texts: Sequence[AnalysedText], causes: Sequence[str]) -> np.ndarray:
    """Dense per-text signals, each roughly in [-1, 1]: lexicon counts, punctuation, cue hits per cause."""
    rows = np.zeros((len(texts), len(SIGNAL_NAMES) + len(causes)), dtype=np.float64)
    cause_index = {cause: len(SIGNAL_NAMES) + i for i, cause in enumerate(causes)}
    for row, item in enumerate(texts):
        signals = item.signals
        rows[row, 0] = math.tanh(signals.positive / 2)
        rows[row, 1] = math.tanh(signals.negative / 2)
        rows[row, 2] = math.tanh((signals.positive - signals.negative) / 2)
        rows[row, 3] = min(signals.negated, 3) / 3
        rows[row, 4] = 1.0 if item.text.rstrip().endswith("?") else 0.0
        rows[row, 5] = min(item.text.count("!"), 3) / 3
        for match in signals.cue_matches:
            column = cause_index.get(match.cause)
            if column is not None:
                rows[row, column] = min(rows[row, column] + 0.5, 1.0)
    return rows


class FeedbackFeaturizer(TransformerMixin, BaseEstimator):
    """Analysed texts to one sparse matrix: TF-IDF word n-grams of keys, optional TF-IDF char n-grams, signals."""

    def __init__(
        self,
        causes: Sequence[str] = (),
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] | None = (2, 4),
        min_df: int = 1,
        signal_weight: float = 1.0,
    ) -> None:
        self.causes = causes
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.signal_weight = signal_weight

    def fit(self, texts: Sequence[AnalysedText], y: object = None) -> "FeedbackFeaturizer":
        _check_analysed(texts)
        self.words_ = self._word_vectorizer().fit([item.keys for item in texts])
        self.chars_ = None
        if self.char_ngram_range is not None:
            self.chars_ = self._char_vectorizer().fit([item.flat for item in texts])
        return self

    def _word_vectorizer(self, vocabulary: Sequence[str] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(
            token_pattern=r"\S+", lowercase=False, ngram_range=tuple(self.word_ngram_range), min_df=self.min_df,
            sublinear_tf=True, dtype=np.float32, vocabulary=vocabulary,
        )

    def _char_vectorizer(self, vocabulary: Sequence[str] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb", ngram_range=tuple(self.char_ngram_range or (2, 4)), min_df=max(2, self.min_df),
            sublinear_tf=True, dtype=np.float32, max_features=200_000, vocabulary=vocabulary,
        )

    def vocabularies(self) -> dict[str, tuple[list[str], np.ndarray]]:
        """The fitted terms and idf weights of each vectorizer, by name ("words", "chars")."""
        check_is_fitted(self, "words_")
        fitted = {"words": self.words_, "chars": self.chars_}
        return {
            name: (vectorizer.get_feature_names_out().tolist(), vectorizer.idf_)
            for name, vectorizer in fitted.items()
            if vectorizer is not None
        }

    def restore(self, vocabularies: dict[str, tuple[Sequence[str], np.ndarray]]) -> "FeedbackFeaturizer":
        """The fitted state rebuilt from `vocabularies()` output (how a saved model is loaded without pickles)."""
        terms, idf = vocabularies["words"]
        self.words_ = self._word_vectorizer(list(terms))
        self.words_.idf_ = np.asarray(idf, dtype=np.float64)
        self.chars_ = None
        if "chars" in vocabularies:
            terms, idf = vocabularies["chars"]
            self.chars_ = self._char_vectorizer(list(terms))
            self.chars_.idf_ = np.asarray(idf, dtype=np.float64)
        return self

    def transform(self, texts: Sequence[AnalysedText]) -> sp.csr_matrix:
        check_is_fitted(self, "words_")
        _check_analysed(texts)
        blocks = [self.words_.transform([item.keys for item in texts])]
        if self.chars_ is not None:
            blocks.append(self.chars_.transform([item.flat for item in texts]))
        signals = signal_features(texts, self.causes) * self.signal_weight
        blocks.append(sp.csr_matrix(signals.astype(np.float32)))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def feature_names(self) -> list[str]:
        """Readable names of the columns, in order (words, chars, signals)."""
        check_is_fitted(self, "words_")
        names = [f"word:{name}" for name in self.words_.get_feature_names_out()]
        if self.chars_ is not None:
            names += [f"char:{name}" for name in self.chars_.get_feature_names_out()]
        names += [f"signal:{name}" for name in SIGNAL_NAMES] + [f"signal:cue_{cause}" for cause in self.causes]
        return names


def _check_analysed(texts: Sequence[AnalysedText]) -> None:
    if len(texts) and not isinstance(texts[0], AnalysedText):
        raise TypeError(f"FeedbackFeaturizer takes AnalysedText items, got {type(texts[0]).__name__}")
