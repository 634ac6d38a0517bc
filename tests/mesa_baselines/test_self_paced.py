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
    BalanceCascadeClassifier,
    SelfPacedEnsembleClassifier,
)
from mesa_baselines.self_paced import apportion, hardness, self_paced_bin_weights


def _counts(y):
    n_pos = int((y == 1).sum())
    return n_pos, y.shape[0] - n_pos


# --------------------------------------------------------------------------- balanced members


@pytest.mark.parametrize(
    "cls", [SelfPacedEnsembleClassifier, BalanceCascadeClassifier], ids=["spe", "cascade"]
)
def test_every_member_is_trained_on_a_balanced_subset(cls, imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    clf = cls(random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.subset_sizes_, np.full((10, 2), n_pos))
    for member in clf.estimators_:  # what the trees actually saw: 2|P| rows, half of each class
        assert member.tree_.n_node_samples[0] == 2 * n_pos
        np.testing.assert_allclose(member.tree_.value[0, 0], [0.5, 0.5])


# --------------------------------------------------------------------------- Self-Paced Ensemble


def test_spe_self_paced_factor_is_tan_i_pi_over_2n(imbalanced):
    X, y = imbalanced
    clf = SelfPacedEnsembleClassifier(n_estimators=7, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.alphas_, np.tan(np.arange(1, 7) * np.pi / 14))
    assert len(clf.bin_weights_) == 6


def test_spe_bin_weights_are_inverse_mean_hardness_plus_alpha():
    h = np.array([0.0, 0.0, 0.1, 0.52, 0.95, 1.0])
    bins, weights = self_paced_bin_weights(h, k_bins=10, alpha=0.5)
    np.testing.assert_array_equal(bins, [0, 0, 1, 5, 9, 9])
    expected = np.zeros(10)
    expected[[0, 1, 5, 9]] = 1 / (np.array([0.0, 0.1, 0.52, 0.975]) + 0.5)
    np.testing.assert_allclose(weights, expected)


def test_spe_recorded_bin_weights_come_from_the_mean_probability_of_earlier_members(imbalanced):
    X, y = imbalanced
    # Shallow trees give soft probabilities, so a mean of votes would give other weights.
    base = DecisionTreeClassifier(max_depth=3)
    clf = SelfPacedEnsembleClassifier(base, n_estimators=5, random_state=0).fit(X, y)
    majority = X[y == 0]
    for i in range(1, 5):
        mean_proba = np.mean([m.predict_proba(majority)[:, 1] for m in clf.estimators_[:i]], 0)
        _, weights = self_paced_bin_weights(
            hardness(mean_proba, 0, "absolute"), 10, clf.alphas_[i - 1]
        )
        np.testing.assert_allclose(clf.bin_weights_[i - 1], weights)


def test_apportion_is_proportional_capped_and_exact():
    counts = apportion(10, np.array([1.0, 1.0, 2.0]), np.array([100, 100, 100]))
    assert counts.sum() == 10 and np.all(np.abs(counts - [2.5, 2.5, 5.0]) < 1)
    # A bin smaller than its share is taken whole and the rest goes to the others.
    np.testing.assert_array_equal(apportion(10, np.array([1.0, 1.0]), np.array([2, 100])), [2, 8])
    # Empty or zero-weight bins get nothing.
    np.testing.assert_array_equal(
        apportion(4, np.array([0.0, 3.0, 1.0]), np.array([9, 0, 9])), [0, 0, 4]
    )


@pytest.mark.parametrize("kind", ["absolute", "squared", "cross_entropy"])
def test_spe_hardness_options(kind, imbalanced):
    p, y = np.array([0.9, 0.2]), np.array([1, 0])
    expected = {
        "absolute": [0.1, 0.2],
        "squared": [0.01, 0.04],
        "cross_entropy": [-np.log(0.9), -np.log(0.8)],
    }[kind]
    np.testing.assert_allclose(hardness(p, y, kind), expected)
    X, y_data = imbalanced
    clf = SelfPacedEnsembleClassifier(hardness=kind, random_state=0).fit(X, y_data)
    assert np.all(clf.subset_sizes_[:, 0] == clf.subset_sizes_[:, 1])


def test_spe_falls_back_to_random_under_sampling_when_all_equally_hard():
    # Separable classes: every majority example has p(+) = 0, i.e. the same hardness.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(20, 1, (20, 2))])
    y = np.r_[np.zeros(200, dtype=int), np.ones(20, dtype=int)]
    clf = SelfPacedEnsembleClassifier(n_estimators=4, random_state=0).fit(X, y)
    assert all(np.isnan(w).all() for w in clf.bin_weights_)
    np.testing.assert_array_equal(clf.subset_sizes_, np.full((4, 2), 20))
