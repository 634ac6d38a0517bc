"""Behaviour of the ensemble imbalanced-learning baselines (``baselines``).

One contract block parametrised over every entry of ``BASELINES`` (fitted attributes, valid and
reproducible probabilities, original labels, binary-only, clone, scikit-learn's own checks, and
better AUCPRC than a single tree on held-out data), then one block per method for the property
that defines it.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from mesa_baselines import (
    RAMOBoostClassifier,
    SMOTEBoostClassifier,
)
from mesa_baselines.smote_boost import minority_neighbours, smote_interpolate


def _counts(y):
    n_pos = int((y == 1).sum())
    return n_pos, y.shape[0] - n_pos


# --------------------------------------------------------------------------- SMOTE-based


def test_smote_interpolates_between_a_seed_and_its_minority_neighbours():
    x = np.linspace(0.0, 1.0, 11)
    X_min = np.column_stack([x, 2 * x])  # on the line y = 2x
    neighbours = minority_neighbours(X_min, 2)
    assert neighbours.shape == (11, 2) and not np.any(neighbours == np.arange(11)[:, None])
    seeds = np.zeros(50, dtype=int)  # all from x = 0, whose neighbours are x = 0.1 and 0.2
    X_syn = smote_interpolate(X_min, neighbours, seeds, np.random.RandomState(0))
    np.testing.assert_allclose(X_syn[:, 1], 2 * X_syn[:, 0])
    assert X_syn[:, 0].min() >= 0 and X_syn[:, 0].max() <= 0.2


@pytest.mark.parametrize("cls", [SMOTEBoostClassifier, RAMOBoostClassifier])
def test_boosting_adds_exactly_n_samples_synthetic_minority_rows_per_round(cls, imbalanced):
    X, y = imbalanced
    n_pos, n_neg = _counts(y)
    clf = cls(n_samples=37, random_state=0).fit(X, y)
    # Full-depth trees are perfect on the training set; the error floor keeps boosting going.
    assert clf.n_estimators_ == len(clf.estimators_) == 10
    np.testing.assert_array_equal(clf.n_synthetic_, np.full(10, 37))
    np.testing.assert_array_equal(clf.subset_sizes_, np.tile([n_neg, n_pos + 37], (10, 1)))
    for member in clf.estimators_:
        assert member.tree_.n_node_samples[0] == n_pos + n_neg + 37
    assert np.all(np.isfinite(clf.estimator_weights_)) and np.all(clf.estimator_weights_ > 0)


@pytest.mark.parametrize("cls", [SMOTEBoostClassifier, RAMOBoostClassifier])
def test_boosting_moves_the_seed_distribution_toward_misclassified_minority(cls, imbalanced):
    X, y = imbalanced
    clf = cls(DecisionTreeClassifier(max_depth=1), random_state=0).fit(X, y)
    assert np.all(clf.estimator_errors_ > 0) and np.all(clf.estimator_errors_ < 0.5)
    assert np.ptp(clf.estimator_weights_) > 0
    first, second = clf.seed_probabilities_[:2]
    missed = clf.estimators_[0].predict(X[y == 1]) == 0
    assert missed.any() and second[missed].mean() > first[missed].mean()
