"""HEM (hard examples mining) and the HEM-AdaBoost baseline.

Zhao et al., "An Ensemble Learning Approach with Gradient Resampling for Class-Imbalance
Problems", INFORMS J. Computing 35(4), 2023: Algorithm 1 (HEM) and the supplement's
baseline (12) (HEM-AdaBoost). Section numbers (§) refer to ``docs/hem-bcwf.md``, the
specification (§2 is HEM, §2.6 HEM-AdaBoost); ``docs/baselines.md`` lists the implementation
choices. Tags: [CODE] the authors' released code (``model/hemc.py``), [SUPP] the online
supplement, [REC] a reconstruction where both are silent.

The difficulty estimate is a vote: round(IR) balanced ``si``-round AdaBoosts, each trained on all
positives plus its own disjoint chunk of negatives, vote on every training example. An example
that (nearly) every sub-classifier gets wrong is "hard". BCWF (``baselines.bcwf``) reuses the
fitted :class:`HEM` to get its candidate lists.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import AdaBoostClassifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from mesa_baselines._validation import check_binary_target, check_int
from mesa_env.binary import (
    SEED_BOUND,
    binary_only_tags,
    minority_as_one,
    minority_column,
    ordered_proba,
)

__all__ = ["HEM", "HEMAdaBoostClassifier"]


# --------------------------------------------------------------------------------------------
# Helpers shared with baselines.bcwf
# --------------------------------------------------------------------------------------------
def _encode_minority_positive(estimator: Any, y: np.ndarray) -> tuple[np.ndarray, Any, np.ndarray]:
    """Check that ``y`` is binary and mark its minority class as the positive class.

    The paper's P is the minority class (label +1) and N the majority (-1) [§1]; the original
    labels may be anything sortable (0/1, -1/1, strings). Returns ``(classes, minority_label,
    is_positive)`` with ``classes`` sorted and ``is_positive`` a boolean mask over ``y``. A tie
    (IR = 1) has no minority: ``classes[1]``, scikit-learn's positive class, is taken [REC].
    """
    classes, counts = check_binary_target(estimator, y)
    minority, is_positive = minority_as_one(y, classes, counts)
    return classes, minority, is_positive


def _si_adaboost(si: int) -> AdaBoostClassifier:
    """The paper's "si-AdaBoost" sub-classifier template [§1, CODE].

    Library defaults: depth-1 CART stumps, learning rate 1. The authors' scikit-learn defaulted to
    SAMME.R; scikit-learn 1.9 only implements discrete SAMME, so scores and hard labels can differ
    slightly from the released runs.
    """
    return AdaBoostClassifier(n_estimators=si)


def _positive_proba(estimator: AdaBoostClassifier, X: np.ndarray) -> np.ndarray:
    """p(+|x) of a member fitted on 0/1 labels where 1 is the minority (positive) class."""
    return estimator.predict_proba(X)[:, minority_column(estimator)]


def _labels_from_positive(p_positive: np.ndarray, classes: np.ndarray, minority: Any) -> np.ndarray:
    """Original labels from p(+): positive iff p(+) > 0.5, so a tie (0.5) goes negative [§4]."""
    pos_col = int(np.flatnonzero(classes == minority)[0])
    return classes[np.where(p_positive > 0.5, pos_col, 1 - pos_col)]


def _negative_chunks(
    negatives: np.ndarray, n_pos: int, k: int, ir: float, rng: np.random.RandomState
) -> list[np.ndarray]:
    """Split the negatives into k disjoint chunks of size |P| [§2 step 2, CODE whether_divide].

    Drawing chunk after chunk without replacement from a shrinking pool is the same as slicing
    one random permutation, which is what this does.
    """
    order = rng.permutation(negatives)
    if k > ir:
        # round(IR) > IR: only k-1 full chunks fit. The k-th chunk is the L < |P| leftover
        # negatives topped up with |P| - L negatives drawn from those already used [CODE].
        used = order[: (k - 1) * n_pos]
        leftover = order[(k - 1) * n_pos :]
        top_up = rng.choice(used, size=n_pos - leftover.size, replace=False)
        regular = [used[j * n_pos : (j + 1) * n_pos] for j in range(k - 1)]
        return [*regular, np.concatenate([leftover, top_up])]
    # round(IR) <= IR: k full chunks; the leftover (at most |P|/2) negatives are never trained
    # on but are still scored [§2 step 2].
    return [order[j * n_pos : (j + 1) * n_pos] for j in range(k)]


# --------------------------------------------------------------------------------------------
# HEM
# --------------------------------------------------------------------------------------------
class HEM(BaseEstimator):
    """Hard examples mining: per-example difficulty from round(IR) balanced sub-classifiers.

    The paper's Algorithm 1 [§2; CODE ``hemc.py``; SUPP Table 1, App. A].

    Procedure
    ---------
    1. ``k = round(IR)`` with Python's ``round`` (half to even), IR = |N|/|P| [§2.1, CODE]. The
       number of sub-classifiers is set by the data, not by the user [SUPP Table 3].
    2. Split the negatives into disjoint random chunks of |P| examples. If ``round(IR) > IR``,
       draw k-1 chunks; the k-th is the leftover negatives topped up from already used ones.
       Otherwise draw k chunks; the leftover is only scored [§2.2].
    3. Sub-classifier j = ``si``-round AdaBoost on chunk j plus all positives; it labels every
       training example (including its own training data) positive iff p(+|x) > 0.5 [§2.3].
    4. Vote sum s(x) = Σ_j h_j(x) ∈ [-k, k] with h_j ∈ {-1, +1}; misclassification count
       m(x) = #{j : h_j(x) ≠ y}. So s = 2m - k on negatives and s = k - 2m on positives [§2.4].

    Output sets [§2.5]
    ------------------
    - hard: m ≥ k/2 ("misclassified by at least half"), the SUPP Table 1 definition behind the
      PHS/PES/NHS/NES counts;
    - hardest: m = k (misclassified by every sub-classifier): PHE and NHE, used by HEM-AdaBoost
      and BCWF_h [CODE];
    - soft hard negatives for BCWF_s: negatives with s > g (:meth:`soft_hard_negative_mask`).

    HEM removes nothing itself; it only labels the training set.

    Parameters
    ----------
    si : int, default=10
        AdaBoost rounds per sub-classifier (the paper's si) [§2, SUPP App. D].
    random_state : int, RandomState instance or None, default=None
        Seeds the chunk draws and, through derived integer seeds, every sub-classifier.

    Attributes:
    classes_ : ndarray of shape (2,)
        Sorted original labels.
    minority_class_ : object
        The label treated as positive (P).
    positive_mask_ : ndarray of bool, shape (n_samples,)
        True on the positives of the training set.
    imbalance_ratio_ : float
        IR = |N| / |P|.
    n_subclassifiers_ : int
        k = round(IR).
    chunks_ : list of ndarray of int
        Indices (into the training set) of the negatives each sub-classifier was trained on.
    estimators_ : list of AdaBoostClassifier
        The k sub-classifiers, fitted on 0/1 labels (1 = positive).
    vote_sum_ : ndarray of int, shape (n_samples,)
        s(x).
    misclassified_count_ : ndarray of int, shape (n_samples,)
        m(x).
    hard_mask_ : ndarray of bool, shape (n_samples,)
        m ≥ k/2.
    hardest_mask_ : ndarray of bool, shape (n_samples,)
        m = k (PHE ∪ NHE).
    difficulty_counts_ : dict of str to int
        PHS, PES, NHS, NES (SUPP Table 1 columns) and the hardest-set sizes PHE, NHE.
    """

    def __init__(self, si: int = 10, random_state: int | np.random.RandomState | None = None):
        self.si = si
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: ArrayLike) -> HEM:
        """Train the k sub-classifiers and score every training example."""
        X, y = validate_data(self, X, y)
        check_int(self.si, "si", 1)
        self.classes_, self.minority_class_, positive = _encode_minority_positive(self, y)
        rng = check_random_state(self.random_state)

        pos_idx = np.flatnonzero(positive)
        neg_idx = np.flatnonzero(~positive)
        self.imbalance_ratio_ = neg_idx.size / pos_idx.size
        # Python's round, half to even: IR = 2.5 gives 2 chunks, IR = 3.5 gives 4 [§2.1, CODE].
        k = round(self.imbalance_ratio_)
        self.n_subclassifiers_ = k
        self.chunks_ = _negative_chunks(neg_idx, pos_idx.size, k, self.imbalance_ratio_, rng)

        y_int = positive.astype(int)
        y_sign = np.where(positive, 1, -1)
        template = _si_adaboost(self.si)
        vote_sum = np.zeros(y.shape[0], dtype=int)
        misclassified = np.zeros(y.shape[0], dtype=int)
        self.estimators_ = []
        for chunk in self.chunks_:
            train = np.concatenate([chunk, pos_idx])  # a balanced set: |chunk| = |P| [§2.3]
            member = clone(template).set_params(random_state=rng.randint(SEED_BOUND))
            member.fit(X[train], y_int[train])
            # Hard label at threshold 0.5 on the whole training set [§1, §2.3, CODE].
            h = np.where(_positive_proba(member, X) > 0.5, 1, -1)
            vote_sum += h
            misclassified += h != y_sign
            self.estimators_.append(member)

        self.positive_mask_ = positive
        self.vote_sum_ = vote_sum
        self.misclassified_count_ = misclassified
        self.hard_mask_ = 2 * misclassified >= k  # m >= k/2 [SUPP Table 1 note]
        self.hardest_mask_ = misclassified == k  # s = -k on P, s = +k on N [CODE]
        hard, hardest = self.hard_mask_, self.hardest_mask_
        self.difficulty_counts_ = {
            "PHS": int(np.sum(hard & positive)),
            "PES": int(np.sum(~hard & positive)),
            "NHS": int(np.sum(hard & ~positive)),
            "NES": int(np.sum(~hard & ~positive)),
            "PHE": int(np.sum(hardest & positive)),
            "NHE": int(np.sum(hardest & ~positive)),
        }
        return self

    def soft_hard_negative_mask(self, g: float = 0) -> np.ndarray:
        """Negatives with vote sum s(x) > g: BCWF_s's "gradient > g" set NHE_s [§2.5, CODE].

        With the default g = 0 this is m > k/2, i.e. misclassified by more than half of the
        sub-classifiers [SUPP App. E (ii)].
        """
        check_is_fitted(self, "vote_sum_")
        return ~self.positive_mask_ & (self.vote_sum_ > g)


# --------------------------------------------------------------------------------------------
# HEM-AdaBoost
# --------------------------------------------------------------------------------------------
class HEMAdaBoostClassifier(ClassifierMixin, BaseEstimator):
    """HEM-AdaBoost: delete HEM's hardest examples, then fit one AdaBoost on the rest.

    The supplement's baseline (12) [SUPP App. D; §2.6; CODE ``hemc.apply_all``]: run :class:`HEM`
    on the training set, delete PHE and NHE (examples misclassified by every sub-classifier, i.e.
    treated as noise or class overlap), and train a single ``n_estimators``-round AdaBoost
    (stumps) on what is left. The remaining set is still imbalanced; nothing is re-sampled.

    Parameters
    ----------
    n_estimators : int, default=150
        Rounds of the final AdaBoost [SUPP App. D (12)].
    si : int, default=10
        AdaBoost rounds per HEM sub-classifier.
    random_state : int, RandomState instance or None, default=None
        Seeds HEM and the final AdaBoost (each gets a derived integer seed).

    Attributes:
    classes_ : ndarray of shape (2,)
        Sorted original labels.
    minority_class_ : object
        The label treated as positive.
    hem_ : HEM
        The fitted difficulty estimator.
    removed_mask_ : ndarray of bool, shape (n_samples,)
        Training examples deleted before the final fit (= ``hem_.hardest_mask_``).
    estimator_ : AdaBoostClassifier
        The final AdaBoost, fitted on 0/1 labels (1 = positive).
    """

    def __init__(
        self,
        n_estimators: int = 150,
        si: int = 10,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.n_estimators = n_estimators
        self.si = si
        self.random_state = random_state

    def __sklearn_tags__(self):
        return binary_only_tags(super().__sklearn_tags__())

    def fit(self, X: ArrayLike, y: ArrayLike) -> HEMAdaBoostClassifier:
        """Run HEM, delete PHE ∪ NHE and fit the final AdaBoost."""
        X, y = validate_data(self, X, y)
        check_int(self.n_estimators, "n_estimators", 1)
        self.classes_, self.minority_class_, positive = _encode_minority_positive(self, y)
        rng = check_random_state(self.random_state)

        self.hem_ = HEM(si=self.si, random_state=rng.randint(SEED_BOUND)).fit(X, y)
        # Delete the hardest examples of both classes; the looser m >= k/2 set is only
        # descriptive [SUPP App. D (12), CODE].
        self.removed_mask_ = self.hem_.hardest_mask_.copy()
        keep = ~self.removed_mask_
        if positive[keep].all() or not positive[keep].any():
            raise ValueError(
                "HEM marked every example of one class as hardest, so nothing of that class is "
                "left to train on. The classes are probably not separable by stumps at all; "
                "use a baseline that does not delete examples."
            )
        final = AdaBoostClassifier(n_estimators=self.n_estimators)
        self.estimator_ = final.set_params(random_state=rng.randint(SEED_BOUND))
        self.estimator_.fit(X[keep], positive[keep].astype(int))
        return self

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities of the final AdaBoost, columns ordered as ``classes_``."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, reset=False)
        p = _positive_proba(self.estimator_, X)
        return ordered_proba(p, self.classes_, self.minority_class_)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Positive iff p(+|x) > 0.5 (AdaBoost's own decision rule)."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, reset=False)
        p = _positive_proba(self.estimator_, X)
        return _labels_from_positive(p, self.classes_, self.minority_class_)
