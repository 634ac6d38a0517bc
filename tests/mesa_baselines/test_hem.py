"""Behaviour of HEM, HEM-AdaBoost, BCWF_h and BCWF_s (spec: bcwf-hem-spe-cascade.md §2-4)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from mesa_baselines.hem import HEM, HEMAdaBoostClassifier


# ------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------
def gaussian_pair(n_pos: int, n_neg: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping Gaussian clouds; labels 1 (minority) and 0."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(1.0, 1.0, (n_pos, 3)), rng.normal(0.0, 1.0, (n_neg, 3))])
    return X, np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]


def planted_conflicts(
    seed: int, n_neg: int = 80, n_neg_core: int = 30, n_out: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two separated clouds plus ``n_out`` planted misfits per class; returns X, y, planted.

    Negatives: a cloud around z = (0, 0) plus ``n_neg_core`` copies of z. Positives: a cloud
    around w = (4, 4) plus 10 copies of w. The planted positives sit exactly at z and the planted
    negatives exactly at w.

    Why exact copies: a positive misfit is in every sub-classifier's training set, and AdaBoost
    chases it (after one round the misclassified examples carry half the weight) until it fits it
    by carving a stump interval around it, which also drags neighbours along. A classifier cannot
    separate identical feature vectors, and at x = z each balanced chunk holds many more
    negatives than the 3 planted positives, so (exp-loss optimum = local majority) every
    sub-classifier calls z negative. A planted negative is seen by at most one sub-classifier and
    sits on 10 positives. Everything else is far from the other class.
    """
    rng = np.random.default_rng(seed)
    z, w = np.array([0.0, 0.0]), np.array([4.0, 4.0])
    X = np.vstack(
        [
            rng.normal(w, 0.5, (25, 2)),
            np.tile(w, (10, 1)),
            np.tile(z, (n_out, 1)),  # planted positives
            rng.normal(z, 0.5, (n_neg, 2)),
            np.tile(z, (n_neg_core, 1)),
            np.tile(w, (n_out, 1)),  # planted negatives
        ]
    )
    n_pos = 35 + n_out
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg + n_neg_core + n_out, int)]
    planted = np.zeros(y.size, bool)
    planted[35:n_pos] = True
    planted[-n_out:] = True
    return X, y, planted


def member_positive_proba(member, X: np.ndarray) -> np.ndarray:
    """Members are fitted on 0/1 labels with 1 = minority (documented in the class docstrings)."""
    return member.predict_proba(X)[:, list(member.classes_).index(1)]


# ------------------------------------------------------------------------------------------
# HEM
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n_neg", "k"),
    [
        (24, 2),  # IR 2.4 rounds down: 2 full chunks, 4 negatives never trained on
        (26, 3),  # IR 2.6 rounds up: 2 full chunks + 6 leftover topped up with 4 used ones
        (97, 10),  # IR 9.7 (abalone's IR) rounds up: 9 full chunks + 7 leftover + 3 used
        (25, 2),  # IR 2.5: Python's round is half-to-even -> 2, no top-up
        (35, 4),  # IR 3.5 -> 4 (half-to-even), top-up
    ],
)
def test_hem_chunks_follow_round_ir(n_neg, k):
    n_pos = 10
    X, y = gaussian_pair(n_pos, n_neg)
    hem = HEM(random_state=0).fit(X, y)
    negatives = set(np.flatnonzero(y == 0))

    assert hem.n_subclassifiers_ == k == len(hem.chunks_) == len(hem.estimators_)
    for chunk in hem.chunks_:
        assert chunk.size == n_pos  # balanced against all of P
        assert len(set(chunk)) == n_pos and set(chunk) <= negatives

    topped_up = k > n_neg / n_pos
    regular = hem.chunks_[:-1] if topped_up else hem.chunks_
    used = np.concatenate(regular)
    assert np.unique(used).size == used.size  # regular chunks are pairwise disjoint
    if topped_up:
        leftover = negatives - set(used)
        last = set(hem.chunks_[-1])
        assert 0 < len(leftover) < n_pos
        assert leftover <= last  # every leftover negative is trained on ...
        assert last - leftover <= set(used)  # ... the top-up comes from used negatives
        assert len(last - leftover) == n_pos - len(leftover)
    else:
        assert len(negatives - set(used)) == n_neg - k * n_pos  # never trained on


@pytest.mark.parametrize(("n_neg", "n_neg_core"), [(80, 30), (200, 60)])  # IR ≈ 3.0 and ≈ 6.9
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hem_hardest_are_exactly_the_planted_conflicts(n_neg, n_neg_core, seed):
    X, y, planted = planted_conflicts(seed, n_neg=n_neg, n_neg_core=n_neg_core)
    hem = HEM(random_state=seed).fit(X, y)

    np.testing.assert_array_equal(hem.hardest_mask_, planted)
    assert hem.difficulty_counts_["PHE"] == hem.difficulty_counts_["NHE"] == 3
    assert np.all(hem.misclassified_count_[planted] == hem.n_subclassifiers_)
    assert (hem.hardest_mask_ <= hem.hard_mask_).all()  # m = k implies m >= k/2


def test_hem_vote_sum_identity_and_counts(noisy):
    X, y = noisy
    hem = HEM(random_state=0).fit(X, y)
    k, s, m = hem.n_subclassifiers_, hem.vote_sum_, hem.misclassified_count_
    pos = y == 1
    assert k == round(np.sum(~pos) / np.sum(pos))

    # s is the sum of the members' ±1 labels at threshold 0.5, recomputed independently.
    votes = [np.where(member_positive_proba(h, X) > 0.5, 1, -1) for h in hem.estimators_]
    np.testing.assert_array_equal(s, np.sum(votes, axis=0))
    np.testing.assert_array_equal(s[~pos], 2 * m[~pos] - k)  # negatives: s = 2m - k
    np.testing.assert_array_equal(s[pos], k - 2 * m[pos])  # positives: s = k - 2m

    np.testing.assert_array_equal(hem.hard_mask_, m >= k / 2)
    np.testing.assert_array_equal(hem.hardest_mask_, m == k)
    counts = hem.difficulty_counts_
    assert counts["PHS"] + counts["PES"] == pos.sum()
    assert counts["NHS"] + counts["NES"] == (~pos).sum()
    assert counts["PHS"] > 0 and counts["NHS"] > 0 and counts["PHE"] > 0 and counts["NHE"] > 0
    assert counts["PHE"] == np.sum(s[pos] == -k) and counts["NHE"] == np.sum(s[~pos] == k)
    # BCWF_s's "gradient > 0" negatives: misclassified by more than half the sub-classifiers.
    np.testing.assert_array_equal(hem.soft_hard_negative_mask(), ~pos & (m > k / 2))
    assert hem.soft_hard_negative_mask(g=k).sum() == 0


# ------------------------------------------------------------------------------------------
# HEM-AdaBoost
# ------------------------------------------------------------------------------------------
def test_hem_adaboost_drops_hardest_then_fits_adaboost_150():
    X, y, planted = planted_conflicts(0)
    clf = HEMAdaBoostClassifier(random_state=0).fit(X, y)

    np.testing.assert_array_equal(clf.removed_mask_, clf.hem_.hardest_mask_)
    np.testing.assert_array_equal(clf.removed_mask_, planted)
    assert clf.estimator_.n_estimators == 150
    # The final model is exactly an AdaBoost fitted on the remaining (still imbalanced) set.
    keep = ~clf.removed_mask_
    refit = clone(clf.estimator_).fit(X[keep], y[keep])
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], refit.predict_proba(X)[:, 1])
