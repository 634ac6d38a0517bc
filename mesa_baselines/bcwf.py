"""BCWF_h and BCWF_s: balanced cascades with a hard / soft filter.

Zhao et al., "An Ensemble Learning Approach with Gradient Resampling for Class-Imbalance
Problems", INFORMS J. Computing 35(4), 2023: Algorithms 2 (BCWF_h) and 3 (BCWF_s). Section
numbers (§) refer to ``docs/hem-bcwf.md``, the specification (§3 the loop, §3a the released
code, §4 voting); ``docs/baselines.md`` lists the implementation choices. Tags: [CODE] the
authors' released ``model/bcwf_h.py`` / ``bcwf_s.py``, [SUPP] the online supplement, [REC] a
reconstruction where both are silent.

Both variants share one loop (:class:`_BaseBCWF`): under-sample a balanced subset, fit a small
AdaBoost, re-score the current pool with it, and delete the examples that both HEM (before
training) and this round's classifier call hard. They differ only in which negatives are
candidates for deletion and in whether easy negatives are deleted too.
"""

from __future__ import annotations

from string import Template
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from mesa_baselines._validation import check_int
from mesa_baselines.hem import (
    HEM,
    _encode_minority_positive,
    _labels_from_positive,
    _positive_proba,
    _si_adaboost,
)
from mesa_env.binary import SEED_BOUND, binary_only_tags, ordered_proba

__all__ = ["BCWFHardClassifier", "BCWFSoftClassifier"]


def _round_quota(n_candidates: int, n_rounds: int) -> int:
    """Per-round deletion quota c(x) = floor(x/T) + 1 if x/T > 1 else 1 [§3, CODE].

    Roughly ceil(x/T) and never 0, so every round may delete at least one candidate.
    """
    return n_candidates // n_rounds + 1 if n_candidates > n_rounds else 1


def _ordered(indices: np.ndarray, keys: np.ndarray, select: np.ndarray) -> np.ndarray:
    """``indices[select]`` sorted by ``keys`` ascending; ties keep pool order [REC].

    The code sorts with pandas' default (unstable) quicksort, so its tie order is arbitrary.
    """
    order = np.argsort(keys, kind="stable")
    return indices[order][select[order]]


class _BaseBCWF(ClassifierMixin, BaseEstimator):
    """Common skeleton of BCWF_h and BCWF_s (the paper's Algorithms 2 and 3) [§3, §4].

    Subclasses define which negatives HEM marks as deletion candidates
    (:meth:`_candidate_negative_mask`) and the per-round negative quotas, hard and easy
    (:meth:`_negative_quotas`).
    """

    def __init__(
        self,
        n_estimators: int = 15,
        si: int = 10,
        voting: Literal["soft", "hard"] = "soft",
        cumulative: bool = True,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.n_estimators = n_estimators
        self.si = si
        self.voting = voting
        self.cumulative = cumulative
        self.random_state = random_state

    def __sklearn_tags__(self):
        return binary_only_tags(super().__sklearn_tags__())

    # -- variant hooks ------------------------------------------------------------------------
    def _candidate_negative_mask(self, hem: HEM) -> np.ndarray:
        raise NotImplementedError

    def _negative_quotas(self, n_pos: int, n_neg: int, n_phe: int, n_cand: int) -> dict[str, int]:
        """Per-round negative quotas: n1 hard ones, n2 easy ones (none in BCWF_h) [§3]."""
        return {"n1": _round_quota(n_cand, self.n_estimators), "n2": 0}

    # -- fitting ------------------------------------------------------------------------------
    def _validate_params(self) -> None:
        check_int(self.n_estimators, "n_estimators", 1)
        check_int(self.si, "si", 1)
        if self.voting not in ("soft", "hard"):
            raise ValueError(f"voting must be 'soft' or 'hard', got {self.voting!r}.")
        if not isinstance(self.cumulative, (bool, np.bool_)):
            raise ValueError(f"cumulative must be True or False, got {self.cumulative!r}.")

    def fit(self, X: ArrayLike, y: ArrayLike) -> _BaseBCWF:
        """Run HEM once, then up to ``n_estimators`` filter-and-train rounds."""
        X, y = validate_data(self, X, y)
        self._validate_params()
        self.classes_, self.minority_class_, positive = _encode_minority_positive(self, y)
        rng = check_random_state(self.random_state)
        n_rounds = self.n_estimators

        # HEM runs once, before training, and only produces candidate lists [SUPP App. A].
        self.hem_ = HEM(si=self.si, random_state=rng.randint(SEED_BOUND)).fit(X, y)
        self.candidate_positive_mask_ = self.hem_.hardest_mask_ & positive  # PHE [§3, CODE]
        self.candidate_negative_mask_ = self._candidate_negative_mask(self.hem_)
        n_phe = int(self.candidate_positive_mask_.sum())
        self.quotas_ = {
            "p1": _round_quota(n_phe, n_rounds),
            **self._negative_quotas(
                n_pos=int(positive.sum()),
                n_neg=int((~positive).sum()),
                n_phe=n_phe,
                n_cand=int(self.candidate_negative_mask_.sum()),
            ),
        }

        y_int = positive.astype(int)
        template = _si_adaboost(self.si)
        pool_pos, pool_neg = np.flatnonzero(positive), np.flatnonzero(~positive)
        self.estimators_, self.training_sets_, self.round_removals_ = [], [], []
        round_sizes = []
        removed_pos, removed_neg = [], []
        for t in range(1, n_rounds + 1):
            round_sizes.append((pool_pos.size, pool_neg.size))
            # 1. Balanced random under-sampling of the current pool [§3 step 1].
            sampled = rng.choice(pool_neg, size=pool_pos.size, replace=False)
            train = np.concatenate([sampled, pool_pos])
            member = clone(template).set_params(random_state=rng.randint(SEED_BOUND))
            member.fit(X[train], y_int[train])
            self.estimators_.append(member)
            self.training_sets_.append(train)

            # 2-3. Re-identify with this round's classifier alone and filter [§3 steps 2-3].
            # The pool is S_t when cumulative, and the full S otherwise, as in the code [§3a].
            rm_pos, rm_neg = self._round_removals(member, X, pool_pos, pool_neg)
            self.round_removals_.append((rm_pos, rm_neg))
            next_pos = pool_pos[~np.isin(pool_pos, rm_pos)]
            next_neg = pool_neg[~np.isin(pool_neg, rm_neg)]
            if self.cumulative:
                # S_{t+1} = S_t minus the removed examples [§3 step 4; REC of the paper intent].
                pool_pos, pool_neg = next_pos, next_neg
                removed_pos.append(rm_pos)
                removed_neg.append(rm_neg)
            # else: the code drops into a throw-away copy used only by the loop guard, so every
            # round samples from the original S again [§3a].

            # 4. Loop guard, tested after each round: go on while |P_{t+1}| <= |N_{t+1}| and
            # t < T [CODE]. Also stop if no positive is left to train on [REC].
            self.final_sizes_ = (next_pos.size, next_neg.size)
            if t >= n_rounds or next_pos.size > next_neg.size or next_pos.size == 0:
                break

        self.round_sizes_ = np.asarray(round_sizes, dtype=int)
        empty = np.empty(0, dtype=int)
        self.removed_positive_ = np.concatenate([empty, *removed_pos])
        self.removed_negative_ = np.concatenate([empty, *removed_neg])
        return self

    def _round_removals(
        self, member: Any, X: np.ndarray, pool_pos: np.ndarray, pool_neg: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Indices this round deletes: hard positives, then hard and easy negatives [§3 step 3]."""
        q_pos = _positive_proba(member, X[pool_pos])
        q_neg = _positive_proba(member, X[pool_neg])
        # A member calls x positive iff q > 0.5 [§1].
        # MNE_t: misclassified negatives, most confidently wrong (largest q) first.
        mne = _ordered(pool_neg, -q_neg, q_neg > 0.5)
        # MPE_t: misclassified positives, most confidently wrong (smallest q) first.
        mpe = _ordered(pool_pos, q_pos, q_pos <= 0.5)
        # Delete only examples flagged by both HEM and this round [SUPP App. A]; keep the
        # round's order; when fewer candidates than the quota exist, take them all [CODE].
        hard_neg = mne[self.candidate_negative_mask_[mne]][: self.quotas_["n1"]]
        hard_pos = mpe[self.candidate_positive_mask_[mpe]][: self.quotas_["p1"]]
        # CNE_t: correctly classified negatives, easiest (smallest q) first. Only BCWF_s takes
        # any (n2 > 0); they need not be flagged by HEM [§3 step 3].
        easy_neg = _ordered(pool_neg, q_neg, q_neg <= 0.5)[: self.quotas_["n2"]]
        return hard_pos, np.concatenate([hard_neg, easy_neg])

    # -- prediction ---------------------------------------------------------------------------
    def _positive_score(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, reset=False)
        p = np.stack([_positive_proba(member, X) for member in self.estimators_])
        if self.voting == "soft":
            return p.mean(axis=0)  # average probability [§4, CODE "a_vote"]
        # Majority vote: fraction of members calling x positive. Positive iff the ±1 vote sum
        # is > 0, i.e. the fraction is > 0.5; a tie goes negative [§4, CODE "m_sum"].
        return (p > 0.5).mean(axis=0)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """(n, 2) scores with columns as ``classes_``.

        Soft voting: the members' mean p(+). Hard voting: the fraction of members voting +.
        """
        p = self._positive_score(X)
        return ordered_proba(p, self.classes_, self.minority_class_)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Positive iff the positive score is > 0.5 (ties negative) [§4]."""
        p = self._positive_score(X)
        return _labels_from_positive(p, self.classes_, self.minority_class_)


_COMMON_DOC = """
    The loop [§3]
    -------------
    HEM (``si`` rounds per sub-classifier) runs once before training and gives the candidate
    sets. Per-round quotas use c(x) = floor(x/T) + 1 if x/T > 1 else 1 [CODE]. Then for
    t = 1, 2, ...:

    1. Draw |P_t| negatives uniformly without replacement from N_t, add all of P_t and fit an
       ``si``-round AdaBoost H_t (stumps; scikit-learn 1.9 only has SAMME, the authors ran
       SAMME.R).
    2. Score the pool with H_t alone: q(x) = p(+|x), positive iff q > 0.5.
    3. Delete the first p1 of MPE_t ∩ PHE (misclassified positives, smallest q first) and the
       first n1 of MNE_t ∩ (negative candidates) (misclassified negatives, largest q first).
    4. Continue while |P_{t+1}| <= |N_{t+1}| and t < T.

    ``cumulative=True`` (default) is the paper's intent [REC, §3a]: deletions accumulate and the
    pool S_t shrinks. ``cumulative=False`` reproduces the released code: every round samples
    from and scores the full original S, deletions only feed the loop guard, and so the
    ensemble is EasyEnsemble-like (T balanced ``si``-AdaBoosts) [§3a].

    Prediction [§4]: ``voting="soft"`` averages the members' p(+); ``voting="hard"`` is a
    majority vote whose ``predict_proba`` is the fraction of positive votes. Both predict
    positive iff the score is > 0.5, so a hard-vote tie goes negative.

    Parameters
    ----------
    n_estimators : int, default=15
        T, the maximum number of rounds (members) [SUPP App. D (13)].
    si : int, default=10
        AdaBoost rounds per member and per HEM sub-classifier [SUPP App. D (13)].
    voting : {"soft", "hard"}, default="soft"
        Average probability or majority vote [§4].
    cumulative : bool, default=True
        Accumulate deletions (paper intent) or reproduce the released code (see above).
    random_state : int, RandomState instance or None, default=None
        Seeds HEM, the under-sampling and, through derived integer seeds, every member.$extra

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Sorted original labels.
    minority_class_ : object
        The label treated as positive.
    hem_ : HEM
        The fitted difficulty estimator.
    candidate_positive_mask_, candidate_negative_mask_ : ndarray of bool, shape (n_samples,)
        HEM's deletion candidates: PHE, and $negative_set.
    quotas_ : dict of str to int
        Per-round quotas p1, n1, n2$quota_extra.
    estimators_ : list of AdaBoostClassifier
        H_1..H_T' (T' <= T), fitted on 0/1 labels (1 = positive).
    training_sets_ : list of ndarray of int
        Training-set indices each member was fitted on (sampled negatives, then the positives).
    round_sizes_ : ndarray of int, shape (T', 2)
        (|P_t|, |N_t|) of the pool round t sampled from.
    final_sizes_ : tuple of int
        (|P|, |N|) after the last round's deletions, as seen by the loop guard.
    round_removals_ : list of (ndarray, ndarray)
        Per round, the (positive, negative) indices the filter flagged, in deletion order.
    removed_positive_, removed_negative_ : ndarray of int
        Indices actually deleted from the pool, in order. Empty when ``cumulative=False``,
        because then nothing ever leaves the pool.
"""


class BCWFHardClassifier(_BaseBCWF):
    """Balanced cascade with a hard filter (BCWF_h), the paper's Algorithm 2.

    Deletes, a few per round, only the hardest examples of both classes: those every HEM
    sub-classifier misclassifies (PHE, NHE; m = k) and that this round's classifier also
    misclassifies [§3, SUPP Table 3, CODE ``bcwf_h.py``]. Negative quota n1 = c(|NHE|); no easy
    negatives are deleted (n2 = 0), so the final class ratio is not forced to balance.
    """

    __doc__ += Template(_COMMON_DOC).substitute(
        extra="",
        negative_set="NHE (negatives with m = k)",
        quota_extra=" (n2 = 0)",
    )

    def _candidate_negative_mask(self, hem: HEM) -> np.ndarray:
        # NHE: negatives misclassified by every HEM sub-classifier (s = +k) [§2.5, CODE].
        return hem.hardest_mask_ & ~hem.positive_mask_


class BCWFSoftClassifier(_BaseBCWF):
    """Balanced cascade with a soft filter (BCWF_s), the paper's Algorithm 3.

    Like BCWF_h for positives (PHE), but negative candidates are the looser NHE_s = {s(x) > g}
    (misclassified by more than half of HEM's sub-classifiers when g = 0), and each round also
    deletes the n2 most confidently correct negatives, so that after about T rounds the pool is
    balanced [§3, SUPP Table 3 and App. E (iii), CODE ``bcwf_s.py``]:
    n_del = ceil((|N| - (|P| - |PHE|)) / T), n1 = c(|NHE_s|), n2 = max(n_del - n1, 0). The clamp is
    [REC]; the code slices with a negative n2, which deletes almost all correct negatives.
    """

    __doc__ += Template(_COMMON_DOC).substitute(
        extra="""
    g : float, default=0
        Gradient threshold: negatives with HEM vote sum s(x) > g are hard candidates [§2.5].
        The authors found results insensitive to g [§3].""",
        negative_set="NHE_s (negatives with s > g)",
        quota_extra=" and n_del (the total negatives to delete per round)",
    )

    def __init__(
        self,
        n_estimators: int = 15,
        si: int = 10,
        voting: Literal["soft", "hard"] = "soft",
        cumulative: bool = True,
        g: float = 0,
        random_state: int | np.random.RandomState | None = None,
    ):
        super().__init__(
            n_estimators=n_estimators,
            si=si,
            voting=voting,
            cumulative=cumulative,
            random_state=random_state,
        )
        self.g = g

    def _validate_params(self) -> None:
        super()._validate_params()
        if isinstance(self.g, bool) or not isinstance(
            self.g, (int, float, np.integer, np.floating)
        ):
            raise ValueError(f"g must be a number (a vote-sum threshold), got {self.g!r}.")

    def _candidate_negative_mask(self, hem: HEM) -> np.ndarray:
        return hem.soft_hard_negative_mask(self.g)  # NHE_s: s > g [§2.5, CODE]

    def _negative_quotas(self, n_pos: int, n_neg: int, n_phe: int, n_cand: int) -> dict[str, int]:
        n1 = _round_quota(n_cand, self.n_estimators)  # c(|NHE_s|) [§3, CODE]
        # Total negatives to delete per round so that |N| reaches |P| - |PHE| after T rounds
        # [§3, CODE neg_delete_num]; the easy ones are what is left after the n1 hard ones.
        excess = n_neg - (n_pos - n_phe)  # >= 0 because |N| >= |P|
        n_del = -(-excess // self.n_estimators)  # integer ceil
        return {"n1": n1, "n2": max(n_del - n1, 0), "n_del": n_del}  # clamp [REC]
