"""Behaviour of the ensemble imbalanced-learning baselines (``baselines``).

One contract block parametrised over every entry of ``BASELINES`` (fitted attributes, valid and
reproducible probabilities, original labels, binary-only, clone, scikit-learn's own checks, and
better AUCPRC than a single tree on held-out data), then one block per method for the property
that defines it.
"""

from __future__ import annotations

import numpy as np

from mesa_baselines import (
    RAMOBoostClassifier,
)


def test_ramoboost_favours_minority_examples_with_majority_neighbours():
    rng = np.random.RandomState(0)
    angles = np.linspace(0, 2 * np.pi, 5, endpoint=False)
    ring = 0.1 * np.column_stack([np.cos(angles), np.sin(angles)])  # 5 majority around (0, 0)
    far_majority = rng.normal(-10, 1, (100, 2))
    lonely = np.array([[0.0, 0.0]])  # minority in the middle of the ring
    cluster = rng.normal(10, 0.1, (6, 2))  # minority with only minority neighbours
    X = np.vstack([ring, far_majority, lonely, cluster])
    y = np.r_[np.zeros(105, dtype=int), np.ones(7, dtype=int)]
    clf = RAMOBoostClassifier(n_estimators=2, k_neighbors_1=5, alpha=0.3, random_state=0)
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.majority_neighbour_counts_, [5, 0, 0, 0, 0, 0, 0])
    ranks = 1 / (1 + np.exp(-0.3 * clf.majority_neighbour_counts_))
    np.testing.assert_allclose(clf.minority_ranks_, ranks)
    # Round 1 has uniform boosting weights, so seeds are drawn ∝ rank alone.
    np.testing.assert_allclose(clf.seed_probabilities_[0], ranks / ranks.sum())
    assert clf.seed_probabilities_[0][0] > clf.seed_probabilities_[0][1:].max()
