"""The custom cause classifier follows the scikit-learn estimator contract and learns multi-label targets."""

from __future__ import annotations

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from causa.nlp.estimators import CalibratedOneVsRestClassifier


@parametrize_with_checks([CalibratedOneVsRestClassifier(max_folds=2)])
def test_sklearn_estimator_checks(estimator, check) -> None:
    check(estimator)


def test_multilabel_targets_get_thresholded_predictions() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    Y = np.column_stack([X[:, 0] > 0.3, X[:, 1] < -0.2]).astype(int)
    model = CalibratedOneVsRestClassifier().fit(X, Y)
    assert model.predict_proba(X).shape == (240, 2)
    assert (model.predict(X) == Y).mean() > 0.9
    assert all(0.3 <= t <= 0.6 for t in model.thresholds_)
    assert model.positive_weights(0)[0] > 0 and model.positive_weights(1)[1] < 0
