"""Behaviour of the ensemble imbalanced-learning baselines (``baselines``).

One contract block parametrised over every entry of ``BASELINES`` (fitted attributes, valid and
reproducible probabilities, original labels, binary-only, clone, scikit-learn's own checks, and
better AUCPRC than a single tree on held-out data), then one block per method for the property
that defines it.
"""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.ensemble import BalancedBaggingClassifier
from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier

from mesa_baselines import (
    RUSBoostClassifier,
    UnderBaggingClassifier,
    n_training_samples,
)


def _counts(y):
    n_pos = int((y == 1).sum())
    return n_pos, y.shape[0] - n_pos


def test_underbagging_members_see_all_minority_and_as_many_majority(imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    clf = UnderBaggingClassifier(random_state=0).fit(X, y)
    assert clf.bootstrap is False and len(clf.estimators_) == 10
    for rows, member in zip(clf.estimators_samples_, clf.estimators_, strict=True):
        kept = y[rows][member.steps[0][1].sample_indices_]
        np.testing.assert_array_equal(np.bincount(kept), [n_pos, n_pos])
        assert member.steps[-1][1].tree_.n_node_samples[0] == 2 * n_pos


# --------------------------------------------------------------------------- imbalanced-learn


def test_rusboost_reports_members_built_and_uses_full_depth_trees(imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    clf = RUSBoostClassifier(n_estimators=10, random_state=0).fit(X, y)
    assert clf.n_estimators_ == len(clf.estimators_) <= 10
    assert clf.estimator_.get_params()["max_depth"] is None
    assert clf.replacement is True  # MESA Table 8
    assert clf.n_training_samples_ == clf.n_estimators_ * 2 * n_pos


def test_n_training_samples_helper_covers_plain_ensembles(imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    plain = BalancedBaggingClassifier(n_estimators=3, bootstrap=False, random_state=0).fit(X, y)
    assert n_training_samples(plain, X, y) == 3 * 2 * n_pos
    bagging = BaggingClassifier(n_estimators=3, random_state=0).fit(X, y)
    assert n_training_samples(bagging, X, y) == 3 * 2 * n_pos
    with pytest.raises(ValueError, match="without y"):
        n_training_samples(bagging)


def test_rusboost_that_cannot_build_a_member_predicts_the_prior(monkeypatch):
    """RUSBoost with no member says so and scores as the prior.

    scikit-learn's AdaBoost refuses to fit when its first member is worse than random (seen
    on KEEL's poker-8_vs_6).
    """
    from imblearn.ensemble import RUSBoostClassifier as _RUSBoost

    def refuse(self, X, y, **kwargs):
        raise ValueError("BaseClassifier in AdaBoostClassifier ensemble is worse than random")

    monkeypatch.setattr(_RUSBoost, "fit", refuse)
    X, y = make_classification(200, weights=[0.9], random_state=0)
    with pytest.warns(RuntimeWarning, match="built no member"):
        model = RUSBoostClassifier(random_state=0).fit(X, y)
    assert model.n_estimators_ == 0 and model.n_training_samples_ == 0
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], y.mean())
    assert set(model.predict(X)) == {0}
