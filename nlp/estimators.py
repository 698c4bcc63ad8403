"""A scikit-learn classifier for the cause models: calibrated logistic regression per label, thresholds tuned out of fold."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _SigmoidCalibration
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data


LINEAR_SOLVERS = ("lbfgs", "saga", "liblinear")
SAGA_TOL = 1e-3
"""saga stops at this tolerance: on TF-IDF features the held-out scores match lbfgs at a fraction of the time."""


def balanced_logistic_regression(C: float, solver: str = "lbfgs", random_state: int = 0,
                                 max_iter: int = 3000) -> LogisticRegression:
    """Class-balanced logistic regression, the one every causa model is built on; `saga` gets a looser tolerance
    (much faster on wide sparse features), `lbfgs` needs no random state."""
    if solver not in LINEAR_SOLVERS:
        raise ValueError(f"solver {solver!r} is not one of {list(LINEAR_SOLVERS)}")
    if solver == "lbfgs":
        return LogisticRegression(C=C, class_weight="balanced", max_iter=max_iter)
    tolerance = {"tol": SAGA_TOL} if solver == "saga" else {}
    return LogisticRegression(C=C, class_weight="balanced", max_iter=max_iter, solver=solver,
                              random_state=random_state, **tolerance)


def sigmoid_calibrated(unfitted: CalibratedClassifierCV, fitted: LogisticRegression, decision: np.ndarray,
                       column: np.ndarray) -> CalibratedClassifierCV:
    """`unfitted` (sigmoid, ensemble=False) in the state its own fit would leave it: `fitted` trained on all rows,
    its sigmoid fitted on the out-of-fold `decision` values of the binary `column`."""
    calibrator = _SigmoidCalibration().fit(decision, column)
    unfitted.classes_ = fitted.classes_
    unfitted.calibrated_classifiers_ = [_CalibratedClassifier(fitted, [calibrator], classes=fitted.classes_,
                                                              method="sigmoid")]
    unfitted.n_features_in_ = fitted.n_features_in_
    return unfitted


class CalibratedOneVsRestClassifier(ClassifierMixin, BaseEstimator):
    """One calibrated logistic regression per label (sigmoid calibration on out-of-fold predictions).

    With a label indicator matrix `y` (multi-label), `predict` applies a per-label threshold chosen to maximise
    out-of-fold F1 within `threshold_bounds`; with a 1-d `y` it is an ordinary one-vs-rest classifier.
    """

    def __init__(
        self,
        C: float = 4.0,
        max_folds: int = 5,
        threshold_bounds: tuple[float, float] = (0.3, 0.6),
        random_state: int = 0,
        solver: str = "lbfgs",
        shared_folds: bool = False,
    ) -> None:
        self.C = C
        self.max_folds = max_folds
        self.threshold_bounds = threshold_bounds
        self.random_state = random_state
        self.solver = solver
        self.shared_folds = shared_folds
        """False: thresholds from a separate 3-fold cross-validation of the calibrated model (nested, slower);
        True: from the calibration folds' out-of-fold scores mapped through the fitted calibrator (k+1 fits)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(self, X, y) -> "CalibratedOneVsRestClassifier":
        X, y = validate_data(self, X, y, accept_sparse="csr", multi_output=True, dtype=[np.float64, np.float32])
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected", DataConversionWarning)
            y = y.ravel()
        self.multilabel_ = type_of_target(y) == "multilabel-indicator"
        if self.multilabel_:
            targets = np.asarray(y, dtype=int)
            self.classes_ = np.arange(targets.shape[1])
        else:
            y = np.ravel(y)
            binarizer = LabelBinarizer().fit(y)
            self.classes_ = binarizer.classes_
            if len(self.classes_) < 2:
                raise ValueError(f"needs samples of at least 2 classes, but the data contains only one class: {self.classes_[0]!r}")
            targets = binarizer.transform(y)
            if targets.shape[1] == 1:
                targets = np.hstack([1 - targets, targets])
        if self.shared_folds and self.multilabel_:
            fitted = [self._fit_column_shared(X, targets[:, j]) for j in range(targets.shape[1])]
            self.estimators_ = [estimator for estimator, _ in fitted]
            self.thresholds_ = np.array([threshold for _, threshold in fitted])
            return self
        self.estimators_ = [self._fit_column(X, targets[:, j]) for j in range(targets.shape[1])]
        self.thresholds_ = np.array(
            [self._tuned_threshold(X, targets[:, j]) if self.multilabel_ else 0.5 for j in range(targets.shape[1])]
        )
        return self

    def _calibrated(self, column: np.ndarray, most_folds: int) -> CalibratedClassifierCV | LogisticRegression:
        counts = np.bincount(column, minlength=2)
        folds = min(most_folds, int(counts.min()))
        model = balanced_logistic_regression(self.C, self.solver, self.random_state)
        if folds < 2:
            return model
        return CalibratedClassifierCV(model, method="sigmoid", cv=folds, ensemble=False)

    def _fit_column(self, X, column: np.ndarray):
        if column.min() == column.max():
            return float(column[0])
        return self._calibrated(column, self.max_folds).fit(X, column)

    def _fit_column_shared(self, X, column: np.ndarray) -> tuple[object, float]:
        """The calibrated model of one label and its threshold, both from one set of out-of-fold scores: k fits for
        them and one on all rows (CalibratedClassifierCV would repeat the k out-of-fold fits)."""
        if column.min() == column.max():
            return float(column[0]), 0.5
        model = self._calibrated(column, self.max_folds)
        if not isinstance(model, CalibratedClassifierCV):
            return model.fit(X, column), 0.5
        splitter = StratifiedKFold(n_splits=model.cv, shuffle=True, random_state=self.random_state)
        decision = cross_val_predict(clone(model.estimator), X, column, cv=splitter, method="decision_function")
        model.set_params(cv=splitter)
        calibrated = sigmoid_calibrated(model, clone(model.estimator).fit(X, column), decision, column)
        scores = calibrated.calibrated_classifiers_[0].calibrators[0].predict(decision)
        return calibrated, self._best_threshold(column, scores)

    def _best_threshold(self, column: np.ndarray, scores: np.ndarray) -> float:
        low, high = self.threshold_bounds
        candidates = np.arange(low, high + 1e-9, 0.025)
        return float(round(max(candidates, key=lambda t: f1_score(column, scores >= t, zero_division=0)), 3))

    def _tuned_threshold(self, X, column: np.ndarray) -> float:
        low, high = self.threshold_bounds
        positives = int(column.sum())
        folds = min(3, self.max_folds, positives, len(column) - positives)
        if folds < 2:
            return 0.5
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        scores = cross_val_predict(self._calibrated(column, min(3, self.max_folds)), X, column, cv=splitter, method="predict_proba")[:, 1]
        candidates = np.arange(low, high + 1e-9, 0.025)
        return float(round(max(candidates, key=lambda t: f1_score(column, scores >= t, zero_division=0)), 3))

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, accept_sparse="csr", reset=False, dtype=[np.float64, np.float32])
        columns = [
            np.full(X.shape[0], estimator) if isinstance(estimator, float) else estimator.predict_proba(X)[:, 1]
            for estimator in self.estimators_
        ]
        scores = np.column_stack(columns)
        if self.multilabel_:
            return scores
        totals = scores.sum(axis=1, keepdims=True)
        return np.where(totals > 0, scores / np.where(totals > 0, totals, 1), 1.0 / scores.shape[1])

    def predict(self, X) -> np.ndarray:
        scores = self.predict_proba(X)
        if self.multilabel_:
            return (scores >= self.thresholds_).astype(int)
        return self.classes_[np.argmax(scores, axis=1)]

    def positive_weights(self, label: int) -> np.ndarray:
        """The logistic regression coefficients behind one label (the weight of each feature towards it)."""
        estimator = self.estimators_[label]
        if isinstance(estimator, float):
            return np.zeros(self.n_features_in_)
        if isinstance(estimator, CalibratedClassifierCV):
            estimator = estimator.calibrated_classifiers_[0].estimator
        return estimator.coef_[0]
