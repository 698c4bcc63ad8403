"""The feedback model: calibrated sentiment (3 classes) and one-vs-rest causes, combined with cue evidence."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from causa.nlp.analysis import AnalysedText, TextAnalyser
from causa.nlp.cues import LanguageResources
from causa.nlp.encoder import EncoderHeads, SentenceEncoder
from causa.nlp.errors import TierError
from causa.nlp.estimators import CalibratedOneVsRestClassifier, balanced_logistic_regression
from causa.nlp.features import FeedbackFeaturizer
from causa.nlp.gc_pause import gc_paused
from causa.nlp.taxonomy import SENTIMENTS, TIERS
from causa.nlp.text import pruned_lemma_table
from causa.nlp.text_preparation import prepare_texts

logger = logging.getLogger(__name__)

COMPLAINT_GATE = 0.15
"""A cause is reported on its own score unless the text is clearly not a complaint: p(negative) below this."""
REVIEW_MARGIN = 0.12
SENTIMENT_CONFIDENCE = 0.55
THRESHOLD_BOUNDS = (0.4, 0.6)
"""Out-of-fold tuning on the written corpus lands on the lower bound; on real feedback (causes_dev) 0.4 beat 0.3."""
ACCURATE_THRESHOLD_FLOOR = 0.5
"""The accurate tier's fused cause scores need at least this (chosen on causes_dev: the encoder heads, trained
class-balanced, score real complaints higher than the sparse model does)."""
MIN_CAUSE_EXAMPLES = 6
NEGATIVE_INDEX = SENTIMENTS.index("negative")


@dataclass(frozen=True)
class Evidence:
    cause: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ItemScore:
    """The model's verdict on one text."""

    sentiment: str
    probabilities: Mapping[str, float]
    causes: tuple[str, ...]
    cause_scores: Mapping[str, float]
    evidence: tuple[Evidence, ...]
    needs_review: bool
    review_reasons: tuple[str, ...] = ()
    """Why the item needs review, one sentence a rule."""


SOLVERS = ("lbfgs", "saga")
CALIBRATIONS = ("sigmoid", "temperature")
CAUSE_SOLVERS = {"lbfgs": "lbfgs", "saga": "liblinear"}
"""The cause models' solver for each sentiment solver: the fast choice for one-vs-rest binary problems is liblinear."""


class FeedbackModel(BaseEstimator):
    """Sentiment and cause classifiers over FeedbackFeaturizer features, with per-cause decision thresholds.

    A scikit-learn estimator: the constructor only stores its parameters (clone and get_params/set_params work),
    fit sets the learned state, the attributes ending in an underscore.
    """

    def __init__(
        self,
        resources: Mapping[str, LanguageResources],
        causes: Sequence[str],
        sentiment_C: float = 4.0,
        cause_C: float = 4.0,
        char_ngram_range: tuple[int, int] | None = None,
        random_state: int = 0,
        lemma_tables: Mapping[str, Mapping[str, str]] | None = None,
        solver: str = "lbfgs",
        calibration: str = "sigmoid",
        calibration_folds: int = 5,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self.resources = resources
        """Each language's cue phrases and lexicon."""
        self.causes = causes
        self.sentiment_C = sentiment_C
        self.cause_C = cause_C
        self.char_ngram_range = char_ngram_range
        self.random_state = random_state
        self.lemma_tables = lemma_tables
        """The lemma lookup tables to train with (None: spacy-lookups-data's); the model keeps, in lemma_tables_,
        only the entries that reach a key it knows."""
        self.solver = solver
        self.calibration = calibration
        """`sigmoid`: one sigmoid per class (can move the decision); `temperature`: one softmax temperature, which
        keeps the class-balanced regression's decision and only calibrates its confidence. With `temperature` the
        cause thresholds are tuned on the calibration folds' out-of-fold scores instead of a nested 3-fold run."""
        self.calibration_folds = calibration_folds
        self.encoder = encoder
        """The sentence encoder of the accurate tier (None: multilingual-e5-small without an embedding cache)."""

    @property
    def analyser(self) -> TextAnalyser:
        """The analyser scoring uses: the fitted lemma tables once fitted, the given ones before."""
        if getattr(self, "_analyser", None) is None:
            self._analyser = TextAnalyser(self.resources, getattr(self, "lemma_tables_", self.lemma_tables))
        return self._analyser

    @property
    def sentence_encoder(self) -> SentenceEncoder:
        """The `encoder` parameter, or the default encoder (made on first use)."""
        if self.encoder is not None:
            return self.encoder
        if getattr(self, "_default_encoder", None) is None:
            self._default_encoder = SentenceEncoder()
        return self._default_encoder

    def fit(
        self,
        texts: Sequence[str],
        languages: Sequence[str],
        sentiments: Sequence[str],
        causes: Sequence[Sequence[str] | None],
        sentiment_weights: Sequence[float] | None = None,
        accurate: bool = False,
        encoder_rows: Sequence[bool] | None = None,
    ) -> "FeedbackModel":
        """Trains both models (and with `accurate` the encoder heads too); a text whose causes are None (not
        labelled) trains sentiment only.

        `encoder_rows` marks the texts the encoder heads learn from (default: all); texts the accurate tier itself
        labelled (distillation) train the fast tier only.

        `sentiment_weights` weighs each text in the sentiment model (0: it trains causes only). The sentiment
        classes are those present with a positive weight, at least two of SENTIMENTS; a missing one scores 0.
        """
        unknown = sorted(set(sentiments) - set(SENTIMENTS))
        if unknown:
            raise ValueError(f"unknown sentiment labels {unknown}; expected {list(SENTIMENTS)}")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver {self.solver!r} is not one of {list(SOLVERS)}")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration {self.calibration!r} is not one of {list(CALIBRATIONS)}")
        weights = np.ones(len(texts)) if sentiment_weights is None else np.asarray(sentiment_weights, dtype=float)
        if weights.shape != (len(texts),) or not np.all(np.isfinite(weights)) or (weights < 0).any():
            raise ValueError(f"sentiment_weights must be {len(texts)} finite values >= 0, got shape {weights.shape}")
        weighted = weights > 0
        present = sorted(set(np.asarray(sentiments)[weighted]))
        if len(present) < 2:
            raise ValueError(f"the sentiment model needs at least two of {list(SENTIMENTS)}, got {present}")
        self._weights_cache = {}
        self.causes_ = tuple(self.causes)
        analyser = TextAnalyser(self.resources, self.lemma_tables)
        prepared = prepare_texts(texts)
        analysed = analyser.analyse(prepared, list(languages))
        self.featurizer_ = FeedbackFeaturizer(causes=self.causes_, char_ngram_range=self.char_ngram_range).fit(analysed)
        features = self.featurizer_.transform(analysed)
        labels = np.asarray(sentiments)[weighted]
        sentiment_rows = features[weighted]
        if sentiment_weights is None or np.all(weights[weighted] == 1):
            self.sentiment_model_ = self._calibrated(self.sentiment_C, labels).fit(sentiment_rows, labels)
        else:
            self.sentiment_model_ = self._calibrated(self.sentiment_C, labels).fit(
                sentiment_rows, labels, sample_weight=weights[weighted])
        labelled = np.array([item is not None for item in causes])
        if not labelled.any():
            raise ValueError("no text has cause labels: at least the causes' examples are needed")
        targets = np.array([[cause in item for cause in self.causes_] for item in causes if item is not None], dtype=int)
        for cause, count in zip(self.causes_, targets.sum(axis=0)):
            if count < MIN_CAUSE_EXAMPLES:
                raise ValueError(
                    f"cause {cause!r} has {count} training examples; at least {MIN_CAUSE_EXAMPLES} are needed"
                )
        self.cause_model_ = CalibratedOneVsRestClassifier(
            C=self.cause_C, max_folds=self.calibration_folds, threshold_bounds=THRESHOLD_BOUNDS,
            random_state=self.random_state, solver=CAUSE_SOLVERS[self.solver],
            shared_folds=self.calibration != "sigmoid",
        ).fit(features[labelled], targets)
        self.encoder_heads_ = None
        if accurate:
            rows = np.ones(len(texts), bool) if encoder_rows is None else np.asarray(encoder_rows, dtype=bool)
            if rows.shape != (len(texts),):
                raise ValueError(f"encoder_rows must be {len(texts)} booleans, got shape {rows.shape}")
            embeddings = self.sentence_encoder.embed([text for text, row in zip(prepared, rows) if row])
            self.encoder_heads_ = EncoderHeads(self.causes_).fit(
                embeddings, weighted[rows], labels[rows[weighted]], labelled[rows], targets[rows[labelled]])
        self.lemma_tables_ = self._pruned_lemma_tables(analyser)
        self._analyser = None
        logger.info("trained on %d texts; thresholds %s", len(texts), self.thresholds_)
        return self

    def _restore(
        self,
        featurizer: FeedbackFeaturizer,
        sentiment_model: CalibratedClassifierCV,
        cause_model: CalibratedOneVsRestClassifier,
        lemma_tables: Mapping[str, Mapping[str, str]],
        encoder_heads: EncoderHeads | None,
    ) -> "FeedbackModel":
        """Sets the learned state that fit would have set, as saved (how causa.nlp.model_store loads a model)."""
        self._weights_cache = {}
        self._analyser = None
        self.causes_ = tuple(self.causes)
        self.featurizer_ = featurizer
        self.sentiment_model_ = sentiment_model
        self.cause_model_ = cause_model
        self.lemma_tables_ = {lang: dict(table) for lang, table in lemma_tables.items()}
        self.encoder_heads_ = encoder_heads
        return self

    @property
    def thresholds_(self) -> dict[str, float]:
        """Each cause's decision threshold on its calibrated score."""
        return {cause: float(t) for cause, t in zip(self.causes_, self.cause_model_.thresholds_)}

    @property
    def cause_models_(self) -> dict[str, object]:
        """Each cause's fitted calibrated estimator."""
        return dict(zip(self.causes_, self.cause_model_.estimators_))

    def _pruned_lemma_tables(self, analyser: TextAnalyser) -> dict[str, dict[str, str]]:
        """Per language, only the lemma entries that lead to a key the model knows (features, cues, lexicon)."""
        useful = {term for term in self.featurizer_.words_.vocabulary_ if " " not in term}
        for lang, res in self.resources.items():
            nlp = analyser.pipeline(lang)
            phrases = [p for values in [*res.cues.values(), *res.lexicon.values()] for p in values if isinstance(p, str)]
            useful.update(token.norm_ for doc in nlp.pipe(phrases) for token in doc)
        given = self.lemma_tables or {}
        return {lang: pruned_lemma_table(lang, useful, given.get(lang)) for lang in self.resources}

    def _calibrated(self, C: float, labels: np.ndarray) -> CalibratedClassifierCV:
        """Logistic regression with sigmoid or temperature calibration fitted on out-of-fold predictions."""
        _, counts = np.unique(labels, return_counts=True)
        folds = max(2, min(self.calibration_folds, int(counts.min())))
        return CalibratedClassifierCV(balanced_logistic_regression(C, self.solver, self.random_state),
                                      method=self.calibration,
                                      cv=folds, ensemble=False)

    @property
    def sentiment_classes_(self) -> tuple[str, ...]:
        """The sentiments the sentiment model was trained on (the others always score 0)."""
        return tuple(str(label) for label in self.sentiment_model_.classes_)

    def sentiment_probabilities(self, features) -> np.ndarray:
        """Probabilities in SENTIMENTS order; a sentiment absent from training gets 0."""
        scores = self.sentiment_model_.predict_proba(features)
        probabilities = np.zeros((scores.shape[0], len(SENTIMENTS)))
        for column, label in enumerate(self.sentiment_classes_):
            probabilities[:, SENTIMENTS.index(label)] = scores[:, column]
        return probabilities

    @property
    def tiers(self) -> tuple[str, ...]:
        """The tiers this model can score with."""
        return TIERS if getattr(self, "encoder_heads_", None) is not None else TIERS[:1]

    def score(self, texts: Sequence[str], languages: Sequence[str], tier: str = "fast") -> list[ItemScore]:
        """Sentiment, causes, evidence and review flag for each text, prepared first (evidence offsets are into the
        prepared text: what the nightly flow stores). The accurate tier averages the fast tier's probabilities with
        the encoder heads'."""
        check_is_fitted(self, "cause_model_")
        if tier not in self.tiers:
            raise TierError(f"tier {tier!r} is not one this model has: {list(self.tiers)}")
        if not texts:
            return []
        with gc_paused():
            return self._score(texts, languages, tier)

    def _score(self, texts: Sequence[str], languages: Sequence[str], tier: str) -> list[ItemScore]:
        prepared = prepare_texts(texts)
        analysed = self.analyser.analyse(prepared, list(languages))
        features = self.featurizer_.transform(analysed)
        probabilities = self.sentiment_probabilities(features)
        cause_scores = self.cause_model_.predict_proba(features)
        thresholds = self.cause_model_.thresholds_
        if tier == "accurate":
            encoded_sentiment, encoded_causes = self.encoder_heads_.predict(self.sentence_encoder.embed(prepared))
            probabilities = (probabilities + encoded_sentiment) / 2
            cause_scores = (cause_scores + encoded_causes) / 2
            thresholds = np.maximum(thresholds, ACCURATE_THRESHOLD_FLOOR)
        rows = zip(analysed, probabilities.tolist(), cause_scores.tolist())
        threshold_values = thresholds.tolist()
        return [self._combine(item, item_probabilities, item_scores, threshold_values)
                for item, item_probabilities, item_scores in rows]

    def _combine(self, item: AnalysedText, probabilities: Sequence[float], cause_scores: Sequence[float],
                 thresholds: Sequence[float]) -> ItemScore:
        """The joint decision: causes on their own scores (with a low complaint gate), sentiment negative when a cause
        is found; evidence for every cause, and the reasons an item needs review."""
        probabilities = [float(p) for p in probabilities]
        found: list[str] = []
        evidence: list[Evidence] = []
        reasons: list[str] = []
        if probabilities[NEGATIVE_INDEX] >= COMPLAINT_GATE:
            cued = {match.cause for match in item.signals.cue_matches}
            for cause, score, threshold in zip(self.causes_, cause_scores, thresholds):
                if score >= threshold:
                    spans = self._evidence(item, cause)
                    if spans:
                        found.append(cause)
                        evidence.extend(spans)
                if abs(score - threshold) < REVIEW_MARGIN:
                    reasons.append(
                        f"{cause} score {score:.3f} is within {REVIEW_MARGIN} of its threshold {threshold:.3f}")
                elif cause in cued and cause not in found:
                    reasons.append(f"a {cause} cue is in the text but {cause} was not given")
        highest = max(probabilities)
        sentiment = "negative" if found else SENTIMENTS[probabilities.index(highest)]
        if highest < SENTIMENT_CONFIDENCE:
            reasons.insert(0, f"sentiment is unsure (highest probability {highest:.3f} < {SENTIMENT_CONFIDENCE})")
        return ItemScore(
            sentiment=sentiment,
            probabilities=dict(zip(SENTIMENTS, probabilities)),
            causes=tuple(found),
            cause_scores={cause: float(score) for cause, score in zip(self.causes_, cause_scores)},
            evidence=tuple(evidence),
            needs_review=bool(reasons),
            review_reasons=tuple(reasons),
        )

    def _evidence(self, item: AnalysedText, cause: str) -> tuple[Evidence, ...]:
        """The cause's matched cue phrases, else the content token that weighs most towards it (never a stop word,
        never a token with no positive weight); empty when nothing in the text pushes towards the cause."""
        stop_words = self.analyser.stop_words(item.language)
        cues = tuple(
            Evidence(cause, match.start, match.end, match.text)
            for match in item.signals.cue_matches
            if match.cause == cause and match.text.lower() not in stop_words
        )
        if cues:
            return cues
        weights = self.word_weights(cause)
        content = [
            (start, end, key) for start, end, key in item.token_offsets
            if weights.get(key, 0.0) > 0 and len(key) > 1 and item.text[start:end].lower() not in stop_words
        ]
        if not content:
            return ()
        start, end, _ = max(content, key=lambda token: weights[token[2]])
        return (Evidence(cause, start, end, item.text[start:end]),)

    def word_weights(self, target: str) -> dict[str, float]:
        """Unigram weight of each token key for a cause, or for a sentiment class (cached)."""
        cache = self._weights_cache
        if target not in cache:
            vocabulary = self.featurizer_.words_.vocabulary_
            if target in self.causes_:
                coef = self.cause_model_.positive_weights(self.causes_.index(target))
            else:
                coef = sentiment_weights(self.sentiment_model_, target)
            cache[target] = {key: float(coef[index]) for key, index in vocabulary.items() if " " not in key}
        return cache[target]


def _base_estimator(calibrated: CalibratedClassifierCV) -> LogisticRegression:
    return calibrated.calibrated_classifiers_[0].estimator


def sentiment_weights(calibrated: CalibratedClassifierCV, target: str) -> np.ndarray:
    """The regression's weight of each feature towards one sentiment (zeros for a sentiment it never saw).

    A two-class regression has one row of weights, towards its second class; the first class gets its negation.
    """
    model = _base_estimator(calibrated)
    classes = [str(label) for label in calibrated.classes_]  # temperature scaling fits the regression on codes
    if target not in classes:
        if target not in SENTIMENTS:
            raise ValueError(f"unknown sentiment {target!r}; expected one of {list(SENTIMENTS)}")
        return np.zeros(model.coef_.shape[1])
    if model.coef_.shape[0] == 1:
        return model.coef_[0] if classes.index(target) == 1 else -model.coef_[0]
    return model.coef_[classes.index(target)]
