"""Behaviour of the ensemble imbalanced-learning baselines (``baselines``).

One contract block parametrised over every entry of ``BASELINES`` (fitted attributes, valid and
reproducible probabilities, original labels, binary-only, clone, scikit-learn's own checks, and
better AUCPRC than a single tree on held-out data), then one block per method for the property
that defines it.
"""

from __future__ import annotations

import numpy as np
import pytest

from mesa_baselines import (
    BalanceCascadeClassifier,
)


def _counts(y):
    n_pos = int((y == 1).sum())
    return n_pos, y.shape[0] - n_pos


# --------------------------------------------------------------------------- BalanceCascade


def test_cascade_pool_shrinks_geometrically_to_about_p(imbalanced):
    X, y = imbalanced
    n_pos, n_neg = _counts(y)
    clf = BalanceCascadeClassifier(n_estimators=10, random_state=0).fit(X, y)
    f = (n_pos / n_neg) ** (1 / 9)
    assert clf.keep_ratio_ == pytest.approx(f)
    pools = clf.pool_sizes_
    assert pools[0] == n_neg
    np.testing.assert_array_equal(pools[1:], np.ceil(f * pools[:-1]).astype(int))
    assert n_pos <= pools[-1] <= n_pos + 2


def test_cascade_keeps_the_majority_examples_the_ensemble_gets_wrong(imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    # With two stages f = |P|/|N|, so stage 2 trains on the |P| hardest majority examples.
    clf = BalanceCascadeClassifier(n_estimators=2, random_state=0).fit(X, y)
    first, second = clf.estimators_
    majority = np.flatnonzero(y == 0)
    false_positives = majority[first.predict(X[majority]) == 1]
    assert 0 < false_positives.size <= n_pos
    # A full-depth tree fits its training rows, so stage 2 saw (and fixed) all of them.
    assert np.all(second.predict(X[false_positives]) == 0)
