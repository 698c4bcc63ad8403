"""`causa train`'s choice of features (words, or words and character n-grams) and of C on validation data carved
from the training rows, within a time budget.

The search analyses the texts once, then for each candidate fits the class-balanced regressions the model is built
on (the sentiment model, and one cause model per cause) and scores them on the validation rows: sentiment by
macro-F1 over the sentiments present there, causes by the mean average precision of the causes with a validation
example (threshold-free: the final model tunes its thresholds itself). With the calibration the model uses by
default (temperature) the sentiment decision is the regression's, so the validation score is the final model's.

Before each candidate after the first, the search forecasts its seconds from the steps measured so far (per feature
kind and fitted row, causa.nlp.search_cost; a feature kind not yet measured is first timed on a small sample) and
skips it when it would not end within the budget; a cheaper candidate later in the order may still run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.metrics import average_precision_score, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from causa.nlp.analysis import AnalysedText, TextAnalyser
from causa.nlp.cues import LanguageResources
from causa.nlp.estimators import balanced_logistic_regression
from causa.nlp.errors import NlpError
from causa.nlp.features import FeedbackFeaturizer
from causa.nlp.model import CAUSE_SOLVERS
from causa.nlp.search_cost import CAUSES, FEATURES, SENTIMENT, CandidateCosts
from causa.nlp.search_rules import (C_CHOICES, CROSS_VALIDATION_BELOW, FEATURE_CHOICES, MAX_FOLDS, NO_CAUSE_LABELS,
                                    PROBE_ROWS, VALIDATION_SHARE)
from causa.nlp.text_preparation import prepare_texts

logger = logging.getLogger(__name__)


class CannotValidate(NlpError, ValueError):
    """The training rows are too few to carve validation data from."""


@dataclass(frozen=True)
class SearchRows:
    """The rows the search fits and validates on; only rows marked `validating` are ever held out."""

    texts: list[str]
    languages: list[str]
    sentiments: list[str]
    causes: list[tuple[str, ...] | None]
    sentiment_weights: list[float]
    validating: list[bool]
    """True for the user's own training rows (the candidates for validation); False for rows that only train
    (the starter corpus)."""


@dataclass(frozen=True)
class SearchSpace:
    """The values to try for each searched option (one value: given by the user, not searched)."""

    char_ngrams: tuple[tuple[int, int] | None, ...] = FEATURE_CHOICES
    sentiment_C: tuple[float, ...] = C_CHOICES
    cause_C: tuple[float, ...] = C_CHOICES

    def candidates(self) -> list[tuple[tuple[int, int] | None, float, float]]:
        """(char_ngrams, sentiment_C, cause_C) in the order they are tried: each feature set with the first C, then
        the other Cs (the sentiment and cause grids are walked together; a fixed C stays fixed)."""
        steps = max(len(self.sentiment_C), len(self.cause_C))
        pairs = [(self.sentiment_C[min(i, len(self.sentiment_C) - 1)], self.cause_C[min(i, len(self.cause_C) - 1)])
                 for i in range(steps)]
        ordered = [(features, *pairs[0]) for features in self.char_ngrams]
        ordered += [(features, *pair) for features in self.char_ngrams for pair in pairs[1:]]
        return ordered

    @property
    def searched(self) -> list[str]:
        names = {"char_ngrams": self.char_ngrams, "sentiment_C": self.sentiment_C, "cause_C": self.cause_C}
        return [name for name, values in names.items() if len(values) > 1]


@dataclass(frozen=True)
class CandidateScore:
    """One candidate's validation scores (None: nothing to score that task on) and the seconds it took."""

    char_ngrams: tuple[int, int] | None
    sentiment_C: float
    cause_C: float
    sentiment_macro_f1: float | None
    causes_average_precision: float | None
    seconds: float


@dataclass(frozen=True)
class SkippedCandidate:
    """A candidate the search did not run, and why: the budget was spent, or its forecast would overrun it."""

    char_ngrams: tuple[int, int] | None
    sentiment_C: float
    cause_C: float
    reason: str
    predicted_seconds: float | None = None
    """The forecast that ruled it out (None: the budget was already spent)."""

    def describe(self) -> str:
        return (f"char n-grams {_features_text(self.char_ngrams)}, sentiment C {self.sentiment_C:g}, "
                f"cause C {self.cause_C:g} ({self.reason})")


@dataclass(frozen=True)
class SearchOutcome:
    """The chosen options, every candidate tried with its scores, and what the budget left out."""

    char_ngrams: tuple[int, int] | None
    sentiment_C: float
    cause_C: float
    validation: str
    budget_seconds: float
    seconds: float
    searched: list[str]
    candidates: list[CandidateScore] = field(default_factory=list)
    not_tried: list[SkippedCandidate] = field(default_factory=list)
    not_searched: dict[str, str] = field(default_factory=dict)
    """Options of the grid left at their first value, and why (cause_C: "no cause labels" to validate on)."""

    @property
    def budget_spent(self) -> bool:
        return bool(self.not_tried)

    def as_dict(self) -> dict[str, Any]:
        """The manifest's record of the search."""
        chosen = {"char_ngrams": self.char_ngrams, "sentiment_C": self.sentiment_C, "cause_C": self.cause_C}
        return {
            "chosen": {**chosen, **self.not_searched},
            "searched": self.searched,
            "not_searched": self.not_searched,
            "validation": self.validation,
            "budget_seconds": self.budget_seconds,
            "seconds": round(self.seconds, 1),
            "budget_spent": self.budget_spent,
            "candidates": [{**asdict(c), "seconds": round(c.seconds, 1)} for c in self.candidates],
            "not_tried": [{**asdict(skipped), "predicted_seconds": _rounded(skipped.predicted_seconds)}
                          for skipped in self.not_tried],
        }

    def describe(self) -> str:
        """One line: what was chosen, on what, and whether the budget cut the search short."""
        cause = (f"cause C: {self.not_searched['cause_C']}" if "cause_C" in self.not_searched
                 else f"cause C {self.cause_C:g}")
        chosen = f"char n-grams {_features_text(self.char_ngrams)}, sentiment C {self.sentiment_C:g}, {cause}"
        text = (f"chose {chosen} on {self.validation} ({len(self.candidates)} candidates in {self.seconds:.0f} s, "
                f"budget {self.budget_seconds:g} s)")
        if self.not_tried:
            text += (f"; the budget was spent before {len(self.not_tried)} more candidates (best so far kept): "
                     + "; ".join(skipped.describe() for skipped in self.not_tried))
        return text


def search_options(rows: SearchRows, resources: dict[str, LanguageResources], causes: Sequence[str],
                   space: SearchSpace, budget_seconds: float, solver: str = "saga", random_state: int = 42,
                   lemma_tables: dict[str, dict[str, str]] | None = None,
                   on_step: Callable[[str], None] | None = None) -> SearchOutcome:
    """Tries the candidates of `space` in order while the budget lasts and keeps the best (telling `on_step` of
    each candidate as it starts).

    The first candidate always runs. Each later one runs only if its forecast (causa.nlp.search_cost: the paces
    measured so far for its feature kind, a kind not yet measured being timed first on a sample of PROBE_ROWS rows)
    ends within the budget; the others are recorded as not tried, with the reason. With no cause labels among the
    validating rows, cause C is not searched (it keeps its first value, and the outcome says why).
    """
    started = time.perf_counter()
    folds, validation = validation_folds(rows, random_state)
    not_searched: dict[str, str] = {}
    if len(space.cause_C) > 1 and not any(item for item, held in zip(rows.causes, rows.validating) if held):
        space = SearchSpace(space.char_ngrams, space.sentiment_C, space.cause_C[:1])
        not_searched["cause_C"] = NO_CAUSE_LABELS
    analysed = TextAnalyser(resources, lemma_tables).analyse(prepare_texts(rows.texts), list(rows.languages))
    scorer = _CandidateScorer(rows, analysed, folds, tuple(causes), solver, random_state)
    tried: list[CandidateScore] = []
    not_tried: list[SkippedCandidate] = []
    candidates = space.candidates()
    for number, candidate in enumerate(candidates, 1):
        if tried:
            skipped = _over_budget(scorer, candidate, budget_seconds - (time.perf_counter() - started))
            if skipped is not None:
                not_tried.append(skipped)
                logger.info("candidate skipped: %s", skipped.describe())
                continue
        features = candidate[0]
        if on_step is not None:
            on_step(f"search: candidate {number} of {len(candidates)} (char n-grams {_features_text(features)}, "
                    f"sentiment C {candidate[1]:g}, cause C {candidate[2]:g})")
        began = time.perf_counter()
        sentiment, cause = scorer.score(*candidate)
        seconds = time.perf_counter() - began
        tried.append(CandidateScore(*candidate, sentiment, cause, seconds))
        logger.info("candidate char n-grams %s, sentiment C %g, cause C %g: sentiment macro-F1 %s, causes AP %s "
                    "(%.1f s)", _features_text(features), candidate[1], candidate[2], _score_text(sentiment),
                    _score_text(cause), seconds)
    features, sentiment_C, cause_C = choose(tried)
    outcome = SearchOutcome(features, sentiment_C, cause_C, validation, budget_seconds,
                            time.perf_counter() - started, space.searched, tried, not_tried, not_searched)
    logger.info("%s", outcome.describe())
    return outcome


def _over_budget(scorer: _CandidateScorer, candidate: tuple[tuple[int, int] | None, float, float],
                 left: float) -> SkippedCandidate | None:
    """Why `candidate` is not to run with `left` seconds of the budget, or None when its forecast fits."""
    if left <= 0:
        return SkippedCandidate(*candidate, reason="budget spent")
    steps = scorer.pending(*candidate)
    if not scorer.costs.knows(candidate[0], steps):
        probe_started = time.perf_counter()
        scorer.probe(*candidate)
        left -= time.perf_counter() - probe_started
    predicted = scorer.costs.predict(candidate[0], steps, scorer.fit_rows)
    if predicted is not None and predicted > left:
        return SkippedCandidate(*candidate, reason=f"forecast {predicted:.1f} s, {max(left, 0.0):.1f} s of the budget "
                                                   f"left", predicted_seconds=predicted)
    return None


def choose(tried: Sequence[CandidateScore]) -> tuple[tuple[int, int] | None, float, float]:
    """The features with the best mean of their best sentiment and best cause score, then the best C of each task
    with those features (on a tie the earlier candidate: simpler features, the former default C)."""
    if not tried:
        raise ValueError("no candidate was tried")
    by_features: dict[tuple[int, int] | None, list[CandidateScore]] = {}
    for candidate in tried:
        by_features.setdefault(candidate.char_ngrams, []).append(candidate)

    def best(candidates: list[CandidateScore], key: str) -> CandidateScore | None:
        scored = [c for c in candidates if getattr(c, key) is not None]
        return max(scored, key=lambda c: getattr(c, key)) if scored else None  # max keeps the first of ties

    def merit(candidates: list[CandidateScore]) -> float:
        values = [getattr(found, key) for key in ("sentiment_macro_f1", "causes_average_precision")
                  if (found := best(candidates, key)) is not None]
        return sum(values) / len(values) if values else 0.0

    features = max(by_features, key=lambda f: merit(by_features[f]))
    chosen = by_features[features]
    sentiment = best(chosen, "sentiment_macro_f1") or chosen[0]
    cause = best(chosen, "causes_average_precision") or chosen[0]
    return features, sentiment.sentiment_C, cause.cause_C


def validation_folds(rows: SearchRows, random_state: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """(fit, validation) index pairs and their description: k-fold cross-validation over the validating rows when
    they are fewer than CROSS_VALIDATION_BELOW, else one stratified split of VALIDATION_SHARE of them."""
    validating = np.flatnonzero(rows.validating)
    always = np.flatnonzero(~np.asarray(rows.validating, dtype=bool))
    labels = np.asarray(rows.sentiments, dtype=object)[validating]
    _, counts = np.unique(labels, return_counts=True)
    if len(counts) < 2 or counts.min() < 2:
        raise CannotValidate(f"cannot validate on {len(validating)} training rows: every sentiment needs at least two "
                         f"examples (counts {dict(zip(*np.unique(labels, return_counts=True)))})")
    if len(validating) < CROSS_VALIDATION_BELOW:
        folds = min(MAX_FOLDS, int(counts.min()))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
        pairs = [(np.concatenate([always, validating[fit]]), validating[held])
                 for fit, held in splitter.split(validating, labels)]
        return pairs, f"{folds}-fold cross-validation over the {len(validating)} training rows"
    fit, held = train_test_split(validating, test_size=VALIDATION_SHARE, random_state=random_state, stratify=labels)
    return ([(np.concatenate([always, np.asarray(fit)]), np.asarray(held))],
            f"a stratified validation split of {len(held)} of the {len(validating)} training rows")


class _CandidateScorer:
    """Fits and scores candidates fold by fold, keeping each feature set's matrices and each (features, C) score."""

    def __init__(self, rows: SearchRows, analysed: list[AnalysedText], folds: list[tuple[np.ndarray, np.ndarray]],
                 causes: tuple[str, ...], solver: str, random_state: int) -> None:
        self.rows, self.analysed, self.folds, self.causes = rows, analysed, folds, causes
        self.solver, self.random_state = solver, random_state
        self.sentiments = np.asarray(rows.sentiments, dtype=object)
        self.weights = np.asarray(rows.sentiment_weights, dtype=float)
        self.labelled = np.array([item is not None for item in rows.causes])
        self.targets = np.array([[cause in (item or ()) for cause in causes] for item in rows.causes], dtype=int)
        self._matrices: dict[tuple[int, int] | None, list[tuple[Any, Any]]] = {}
        self._sentiment: dict[tuple[tuple[int, int] | None, float], float | None] = {}
        self._cause: dict[tuple[tuple[int, int] | None, float], float | None] = {}
        self.costs = CandidateCosts()
        self.fit_rows = sum(len(fit) for fit, _ in folds)
        """The rows a candidate's steps fit, over all folds: the unit of the cost forecast."""

    def pending(self, features: tuple[int, int] | None, sentiment_C: float, cause_C: float) -> list[str]:
        """The steps (causa.nlp.search_cost) a candidate still has to run; the others are kept from earlier ones."""
        steps = [FEATURES] if features not in self._matrices else []
        steps += [SENTIMENT] if (features, sentiment_C) not in self._sentiment else []
        return steps + ([CAUSES] if (features, cause_C) not in self._cause else [])

    def score(self, features: tuple[int, int] | None, sentiment_C: float, cause_C: float
              ) -> tuple[float | None, float | None]:
        if features not in self._matrices:
            began = time.perf_counter()
            self._matrices[features] = [self._matrices_of(features, fit, held) for fit, held in self.folds]
            self.costs.record(features, FEATURES, time.perf_counter() - began, self.fit_rows)
        if (features, sentiment_C) not in self._sentiment:
            began = time.perf_counter()
            self._sentiment[features, sentiment_C] = _mean([self._sentiment_f1(features, sentiment_C, k)
                                                            for k in range(len(self.folds))])
            self.costs.record(features, SENTIMENT, time.perf_counter() - began, self.fit_rows)
        if (features, cause_C) not in self._cause:
            began = time.perf_counter()
            self._cause[features, cause_C] = _mean([self._cause_precision(features, cause_C, k)
                                                    for k in range(len(self.folds))])
            self.costs.record(features, CAUSES, time.perf_counter() - began, self.fit_rows)
        return self._sentiment[features, sentiment_C], self._cause[features, cause_C]

    def probe(self, features: tuple[int, int] | None, sentiment_C: float, cause_C: float) -> None:
        """Times the steps a candidate has not measured for its feature kind on a seeded sample of at most
        PROBE_ROWS of the first fold's fitting rows (nothing is scored or kept but the paces)."""
        fit, _ = self.folds[0]
        sample = np.sort(np.random.default_rng(self.random_state).choice(fit, min(PROBE_ROWS, len(fit)),
                                                                         replace=False))
        began = time.perf_counter()
        texts = [self.analysed[i] for i in sample]
        matrix = FeedbackFeaturizer(causes=self.causes, char_ngram_range=features).fit(texts).transform(texts)
        if features not in self._matrices:
            self.costs.record(features, FEATURES, time.perf_counter() - began, len(sample))
        began = time.perf_counter()
        if self._sentiment_model(matrix, sample, sentiment_C) is not None:
            self.costs.record(features, SENTIMENT, time.perf_counter() - began, len(sample))
        began = time.perf_counter()
        self._cause_models(matrix, sample, cause_C)
        self.costs.record(features, CAUSES, time.perf_counter() - began, len(sample))

    def _matrices_of(self, features: tuple[int, int] | None, fit: np.ndarray, held: np.ndarray) -> tuple[Any, Any]:
        featurizer = FeedbackFeaturizer(causes=self.causes, char_ngram_range=features)
        fit_texts = [self.analysed[i] for i in fit]
        return (featurizer.fit(fit_texts).transform(fit_texts),
                featurizer.transform([self.analysed[i] for i in held]))

    def _sentiment_model(self, matrix, fit: np.ndarray, C: float):
        """The sentiment regression fitted on the weighted rows among `fit`; None with fewer than two sentiments."""
        weighted = self.weights[fit] > 0
        if len(set(self.sentiments[fit][weighted])) < 2:
            return None
        model = balanced_logistic_regression(C, self.solver, self.random_state)
        return model.fit(matrix[weighted], self.sentiments[fit][weighted], sample_weight=self.weights[fit][weighted])

    def _cause_models(self, matrix, fit: np.ndarray, C: float, held_targets: np.ndarray | None = None) -> dict:
        """Each cause's regression fitted on the labelled rows among `fit`, by cause column; a cause whose fitting
        rows (or `held_targets` column) hold one value only is left out."""
        fit_rows = self.labelled[fit]
        models = {}
        for column in range(len(self.causes)):
            train_column = self.targets[fit][fit_rows, column]
            if train_column.size == 0 or train_column.min() == train_column.max():
                continue
            if held_targets is not None and held_targets[:, column].min() == held_targets[:, column].max():
                continue
            model = balanced_logistic_regression(C, CAUSE_SOLVERS[self.solver], self.random_state)
            models[column] = model.fit(matrix[fit_rows], train_column)
        return models

    def _sentiment_f1(self, features: tuple[int, int] | None, C: float, fold: int) -> float | None:
        fit, held = self.folds[fold]
        fit_matrix, held_matrix = self._matrices[features][fold]
        model = self._sentiment_model(fit_matrix, fit, C)
        if model is None:
            return None
        gold = self.sentiments[held]
        return float(f1_score(gold, model.predict(held_matrix), labels=sorted(set(gold)), average="macro",
                              zero_division=0))

    def _cause_precision(self, features: tuple[int, int] | None, C: float, fold: int) -> float | None:
        fit, held = self.folds[fold]
        fit_matrix, held_matrix = self._matrices[features][fold]
        held_rows = self.labelled[held]
        if not held_rows.any():
            return None
        gold = self.targets[held][held_rows]
        models = self._cause_models(fit_matrix, fit, C, gold)
        precisions = [average_precision_score(gold[:, column], model.decision_function(held_matrix[held_rows]))
                      for column, model in models.items()]
        return float(np.mean(precisions)) if precisions else None


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _features_text(features: tuple[int, int] | None) -> str:
    return "off" if features is None else f"{features[0]}-{features[1]}"


def _score_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
