"""Behaviour of the ensemble imbalanced-learning baselines (``baselines``).

One contract block parametrised over every entry of ``BASELINES`` (fitted attributes, valid and
reproducible probabilities, original labels, binary-only, clone, scikit-learn's own checks, and
better AUCPRC than a single tree on held-out data), then one block per method for the property
that defines it.
"""

from __future__ import annotations

import numpy as np

from mesa_baselines import (
    SMOTEBaggingClassifier,
)


def _counts(y):
    n_pos = int((y == 1).sum())
    return n_pos, y.shape[0] - n_pos


def test_smotebagging_rates_cycle_and_bags_are_balanced(imbalanced):
    X, y = imbalanced
    _, n_neg = _counts(y)
    clf = SMOTEBaggingClassifier(n_estimators=12, random_state=0).fit(X, y)
    rates = np.r_[np.arange(1, 11), 1, 2] / 10
    np.testing.assert_allclose(clf.sampling_rates_, rates)
    np.testing.assert_array_equal(clf.n_synthetic_, n_neg - np.floor(n_neg * rates + 0.5))
    np.testing.assert_array_equal(clf.subset_sizes_, np.full((12, 2), n_neg))
    assert clf.n_training_samples_ == 12 * 2 * n_neg
    for member in clf.estimators_:
        assert member.tree_.n_node_samples[0] == 2 * n_neg
        np.testing.assert_allclose(member.tree_.value[0, 0], [0.5, 0.5])


def test_smotebagging_does_not_depend_on_n_jobs(imbalanced):
    X, y = imbalanced
    serial = SMOTEBaggingClassifier(n_estimators=4, random_state=0).fit(X, y).predict_proba(X)
    threads = SMOTEBaggingClassifier(n_estimators=4, n_jobs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(threads.predict_proba(X), serial)
