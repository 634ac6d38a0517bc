"""Behaviour of HEM, HEM-AdaBoost, BCWF_h and BCWF_s (spec: bcwf-hem-spe-cascade.md §2-4)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.utils.estimator_checks import parametrize_with_checks

from mesa_baselines.bcwf import BCWFHardClassifier, BCWFSoftClassifier
from mesa_baselines.hem import HEM, HEMAdaBoostClassifier

CLASSIFIERS = [HEMAdaBoostClassifier, BCWFHardClassifier, BCWFSoftClassifier]


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


@pytest.fixture(scope="module")
def noisy():
    """IR ≈ 3.4 with label noise, so HEM finds hard and hardest examples of both classes."""
    return make_classification(300, n_features=6, weights=[0.8], flip_y=0.1, random_state=1)


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


# ------------------------------------------------------------------------------------------
# BCWF
# ------------------------------------------------------------------------------------------
def pool_before_each_round(clf, n: int) -> list[np.ndarray]:
    """Indices in the pool at the start of each round, rebuilt from the recorded removals."""
    alive = np.ones(n, bool)
    pools = []
    for rm_pos, rm_neg in clf.round_removals_:
        pools.append(np.flatnonzero(alive))
        if clf.cumulative:
            alive[rm_pos] = alive[rm_neg] = False
    return pools


def test_bcwf_soft_quotas_and_candidate_order(noisy):
    X, y = noisy
    clf = BCWFSoftClassifier(random_state=0).fit(X, y)
    hem, q, T = clf.hem_, clf.quotas_, clf.n_estimators
    pos = y == 1
    phe = hem.hardest_mask_ & pos
    nhe_s = ~pos & (hem.vote_sum_ > 0)
    np.testing.assert_array_equal(clf.candidate_negative_mask_, nhe_s)

    def c(x):  # c(x) = floor(x/T) + 1 if x/T > 1 else 1
        return x // T + 1 if x / T > 1 else 1

    n_del = int(np.ceil((np.sum(~pos) - (np.sum(pos) - phe.sum())) / T))
    assert q == {
        "p1": c(phe.sum()),
        "n1": c(nhe_s.sum()),
        "n2": n_del - c(nhe_s.sum()),
        "n_del": n_del,
    }

    for t, pool in enumerate(pool_before_each_round(clf, len(y))):
        rm_pos, rm_neg = clf.round_removals_[t]
        qx = np.full(len(y), np.nan)
        qx[pool] = member_positive_proba(clf.estimators_[t], X[pool])
        in_pool = np.isin(np.arange(len(y)), pool)
        # Hard negatives: the n1 candidates this round gets most confidently wrong.
        cand_neg = np.flatnonzero(in_pool & nhe_s & (qx > 0.5))
        hard_neg = rm_neg[nhe_s[rm_neg] & (qx[rm_neg] > 0.5)]
        n_hard = min(q["n1"], cand_neg.size)
        assert hard_neg.size == n_hard
        top = np.sort(qx[cand_neg])[::-1][:n_hard]
        np.testing.assert_allclose(np.sort(qx[hard_neg]), np.sort(top))
        # Easy negatives: the n2 correct negatives with the lowest q.
        easy = rm_neg[qx[rm_neg] <= 0.5]
        correct = np.sort(qx[in_pool & ~pos & (qx <= 0.5)])
        assert easy.size == min(q["n2"], correct.size)
        np.testing.assert_allclose(np.sort(qx[easy]), correct[: easy.size])
        # Hard positives: PHE ∩ misclassified, lowest q first.
        cand_pos = np.sort(qx[in_pool & phe & (qx <= 0.5)])
        assert rm_pos.size == min(q["p1"], cand_pos.size) and phe[rm_pos].all()
        np.testing.assert_allclose(np.sort(qx[rm_pos]), cand_pos[: rm_pos.size])


def test_bcwf_soft_cumulative_ends_balanced(noisy):
    X, y = noisy
    n_pos, n_neg = np.sum(y == 1), np.sum(y == 0)
    clf = BCWFSoftClassifier(random_state=0).fit(X, y)
    p_final, n_final = clf.final_sizes_
    assert n_neg / n_pos > 3
    assert (p_final, n_final) == (
        n_pos - clf.removed_positive_.size,
        n_neg - clf.removed_negative_.size,
    )
    # Balance is exact up to rounds that found fewer hard candidates than n1: n2 = n_del - n1 is
    # fixed in advance [CODE], so a missing hard negative is not replaced by an easy one.
    shortfall = sum(clf.quotas_["n_del"] - rm_neg.size for _, rm_neg in clf.round_removals_)
    assert n_final - p_final <= shortfall
    assert abs(n_final - p_final) <= 0.1 * n_pos
    # The same data under the released code's semantics never comes close.
    code = BCWFSoftClassifier(random_state=0, cumulative=False).fit(X, y)
    assert code.final_sizes_[1] > 2 * code.final_sizes_[0]


def test_bcwf_hard_removes_only_hardest_and_respects_quotas(noisy):
    X, y = noisy
    clf = BCWFHardClassifier(random_state=0).fit(X, y)
    hem = clf.hem_
    phe, nhe = hem.hardest_mask_ & (y == 1), hem.hardest_mask_ & (y == 0)
    assert clf.removed_positive_.size > 0 and clf.removed_negative_.size > 0
    assert phe[clf.removed_positive_].all() and nhe[clf.removed_negative_].all()
    assert clf.quotas_["n2"] == 0
    for rm_pos, rm_neg in clf.round_removals_:
        assert rm_pos.size <= clf.quotas_["p1"] and rm_neg.size <= clf.quotas_["n1"]
    removed = np.r_[clf.removed_positive_, clf.removed_negative_]
    assert np.unique(removed).size == removed.size
    # Deleted examples never reappear in a later round's training set.
    t_removed = {}
    for t, (rm_pos, rm_neg) in enumerate(clf.round_removals_):
        t_removed.update(dict.fromkeys(np.r_[rm_pos, rm_neg].tolist(), t))
    for t, train in enumerate(clf.training_sets_):
        assert all(t_removed.get(i, t) >= t for i in train.tolist())
    # The class ratio is not forced to balance (few deletions).
    assert clf.final_sizes_[1] > 2 * clf.final_sizes_[0]


@pytest.mark.parametrize("cls", [BCWFHardClassifier, BCWFSoftClassifier])
def test_bcwf_code_faithful_mode_trains_on_full_set_every_round(cls, noisy):
    X, y = noisy
    P, N = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    clf = cls(random_state=0, cumulative=False).fit(X, y)

    assert len(clf.estimators_) == clf.n_estimators  # the guard never fires
    assert clf.removed_positive_.size == clf.removed_negative_.size == 0
    np.testing.assert_array_equal(clf.round_sizes_, np.tile([P.size, N.size], (15, 1)))
    flagged = set()
    for t, train in enumerate(clf.training_sets_):
        assert train.size == 2 * P.size
        assert set(train[y[train] == 1]) == set(P)  # all ORIGINAL positives, every round
        neg = train[y[train] == 0]
        assert neg.size == P.size == np.unique(neg).size and set(neg) <= set(N)
        # Positives flagged in earlier rounds are still trained on: nothing left the pool.
        assert flagged <= set(train)
        flagged |= set(clf.round_removals_[t][0].tolist())
    assert flagged  # the filter did flag hard positives; they just were not removed


def test_bcwf_loop_guard_stops_once_positives_outnumber_negatives():
    # Near-balanced, very noisy data: n1 hard negatives per round exceed n_del.
    X, y = make_classification(
        200, n_features=4, weights=[0.5], flip_y=0.4, class_sep=0.5, random_state=0
    )
    clf = BCWFSoftClassifier(random_state=0).fit(X, y)
    assert len(clf.estimators_) < clf.n_estimators
    assert clf.final_sizes_[0] > clf.final_sizes_[1]
    assert np.all(clf.round_sizes_[1:, 0] <= clf.round_sizes_[1:, 1])  # it kept going until then


def test_hard_vote_tie_goes_negative():
    X, y = make_classification(400, n_features=5, weights=[0.75], flip_y=0.1, random_state=3)
    clf = BCWFSoftClassifier(n_estimators=2, voting="hard", random_state=0).fit(X, y)
    assert len(clf.estimators_) == 2
    Xq = np.random.default_rng(0).normal(0, 2, (2000, X.shape[1]))
    votes = np.array([member_positive_proba(h, Xq) > 0.5 for h in clf.estimators_])
    tie = votes.sum(axis=0) == 1
    assert tie.sum() > 20  # the two members disagree somewhere
    np.testing.assert_array_equal(clf.predict(Xq)[tie], 0)
    np.testing.assert_array_equal(clf.predict_proba(Xq)[tie, 1], 0.5)
    both = votes.all(axis=0)
    np.testing.assert_array_equal(clf.predict(Xq)[both], 1)
    np.testing.assert_array_equal(clf.predict_proba(Xq)[:, 1], votes.mean(axis=0))


def test_soft_vote_averages_member_probabilities(noisy):
    X, y = noisy
    clf = BCWFHardClassifier(random_state=0).fit(X, y)
    mean = np.mean([member_positive_proba(h, X) for h in clf.estimators_], axis=0)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], mean)
    np.testing.assert_array_equal(clf.predict(X), (mean > 0.5).astype(int))


# ------------------------------------------------------------------------------------------
# Estimator contract
# ------------------------------------------------------------------------------------------
SMALL = {"n_estimators": 4, "si": 3}


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_reproducible_by_seed_and_different_across_seeds(cls, noisy):
    X, y = noisy
    a = cls(random_state=7, **SMALL).fit(X, y).predict_proba(X)
    b = cls(random_state=7, **SMALL).fit(X, y).predict_proba(X)
    c = cls(random_state=8, **SMALL).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_any_binary_labels_minority_is_positive(cls, noisy):
    X, y01 = noisy  # 1 is the minority
    base = cls(random_state=0, **SMALL).fit(X, y01)
    p = base.predict_proba(X)[:, 1]
    # Minority "a" sorts first, so its probability is column 0.
    y_str = np.where(y01 == 1, "a", "b")
    clf = cls(random_state=0, **SMALL).fit(X, y_str)
    assert list(clf.classes_) == ["a", "b"] and clf.minority_class_ == "a"
    np.testing.assert_allclose(clf.predict_proba(X)[:, 0], p)  # same model, relabelled
    np.testing.assert_array_equal(clf.predict(X), np.where(p > 0.5, "a", "b"))
    # -1/+1 with the minority as -1.
    y_pm = np.where(y01 == 1, -1, 1)
    clf = cls(random_state=0, **SMALL).fit(X, y_pm)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    np.testing.assert_allclose(clf.predict_proba(X)[:, 0], p)


@pytest.mark.parametrize("cls", [HEM, *CLASSIFIERS])
def test_more_than_two_classes_is_rejected(cls):
    X, y = make_classification(90, n_classes=3, n_informative=3, random_state=0)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        cls().fit(X, y)


def test_invalid_parameters_fail_fast(noisy):
    X, y = noisy
    with pytest.raises(ValueError, match="voting"):
        BCWFHardClassifier(voting="average").fit(X, y)
    with pytest.raises(ValueError, match="si"):
        HEM(si=0).fit(X, y)
    with pytest.raises(ValueError, match="g must be a number"):
        BCWFSoftClassifier(g="0").fit(X, y)
    with pytest.raises(ValueError, match="n_estimators"):
        BCWFSoftClassifier(n_estimators=0).fit(X, y)


@pytest.mark.parametrize("cls", [HEM, *CLASSIFIERS])
def test_clone_gives_an_unfitted_copy_with_the_same_params(cls, noisy):
    est = cls(random_state=3)
    fitted = clone(est).fit(*noisy)
    copy = clone(fitted)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "classes_")


@parametrize_with_checks([cls(random_state=0, **SMALL) for cls in CLASSIFIERS])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
