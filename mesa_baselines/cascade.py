"""BalanceCascade (Liu, Wu & Zhou, IEEE TSMC-B 39(2), 2009) in its common practical form.

The published algorithm tunes each stage's threshold so its false-positive rate on the majority
pool is f = (|P|/|N|)^(1/(n−1)) and then removes the pool's true negatives. Common
implementations (the SPE repository's canonical BalanceCascade, imbalanced-ensemble) skip the
threshold tuning and keep the ⌈f·|pool|⌉ majority examples the current ensemble finds hardest,
so the pool shrinks geometrically from |N| to about |P|. This module is that practical form.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state

from mesa_baselines._validation import (
    BinaryEnsembleMixin,
    check_fit_input,
    check_int,
    minority_proba,
    resolve_estimator,
    spawn_member,
)

__all__ = ["BalanceCascadeClassifier"]


class BalanceCascadeClassifier(BinaryEnsembleMixin, ClassifierMixin, BaseEstimator):
    """BalanceCascade: each round under-samples a shrinking pool of not-yet-easy majority examples.

    Round i draws |P| examples uniformly from the current majority pool and trains a member on
    them plus all of P. The pool then keeps its ⌈f·|pool|⌉ examples with the highest ensemble
    p(+) — it drops the majority examples the ensemble already classifies correctly with most
    confidence — with f = (|P|/|N|)^(1/(n−1)) (Liu et al. 2009, Alg. 2), so the last round's
    pool is about |P| and that round is balanced on (nearly) the whole pool. Ties in p(+), common
    with full-depth trees, are broken at random. Prediction is the mean of the members'
    probabilities; the paper's pooled margin minus Σθ_i needs the skipped threshold tuning.

    Parameters
    ----------
    estimator : classifier with predict_proba, default=None
        Base learner; None means a full-depth ``DecisionTreeClassifier`` (the paper's DT).
    n_estimators : int, default=10
        Number of members (cascade stages) n.
    n_jobs : int or None, default=None
        Accepted so every baseline takes the same arguments; each stage depends on the previous
        ones, so training is sequential and this is not used.
    random_state : int, RandomState or None, default=None
        Seeds the subsets, the tie-breaking and, through derived seeds, every member.

    Attributes:
    estimators_ : list of fitted members.
    classes_, minority_class_, n_features_in_ : labels and input width seen in fit.
    keep_ratio_ : float, f.
    pool_sizes_ : ndarray (n,), the majority pool's size when each member's subset was drawn.
    subset_sizes_ : ndarray (n, 2), majority and minority rows in each member's training set.
    n_training_samples_ : int, rows over all members' training sets.
    """

    def __init__(
        self,
        estimator: Any = None,
        n_estimators: int = 10,
        *,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> BalanceCascadeClassifier:
        """Train the stages, shrinking the majority pool after each one."""
        X, y = check_fit_input(self, X, y)
        n = check_int(self.n_estimators, "n_estimators", 1)
        base = resolve_estimator(self.estimator)
        rng = check_random_state(self.random_state)

        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        n_pos = pos.shape[0]
        # Liu et al. 2009, Alg. 2 line 1: f = (|P|/|N|)^(1/(T−1)); n = 1 never shrinks the pool.
        self.keep_ratio_ = (n_pos / neg.shape[0]) ** (1.0 / (n - 1)) if n > 1 else 1.0
        pool = neg.copy()  # indices into X of the majority examples still in play
        proba_sum = np.zeros(X.shape[0])  # running Σ of members' p(+), read only on the pool
        self.estimators_, pool_sizes = [], []
        for i in range(n):
            pool_sizes.append(pool.shape[0])
            subset = rng.choice(pool, n_pos, replace=False)  # Alg. 2 line 3: |N_i| = |P|
            idx = np.concatenate([subset, pos])
            member = spawn_member(base, rng).fit(X[idx], y[idx])
            self.estimators_.append(member)
            if i == n - 1:
                break
            proba_sum[pool] += minority_proba(member, X[pool])
            # Practical line 5: keep the ⌈f·|pool|⌉ hardest (highest p(+)) majority examples;
            # a random permutation before the stable sort breaks ties at random.
            n_keep = max(int(np.ceil(self.keep_ratio_ * pool.shape[0])), n_pos)
            shuffled = pool[rng.permutation(pool.shape[0])]
            order = np.argsort(-proba_sum[shuffled], kind="stable")
            pool = shuffled[order[:n_keep]]
        self.pool_sizes_ = np.asarray(pool_sizes, dtype=np.intp)
        self.subset_sizes_ = np.tile([n_pos, n_pos], (n, 1)).astype(np.intp)
        self.n_training_samples_ = int(self.subset_sizes_.sum())
        return self

    def _minority_proba(self, X: np.ndarray) -> np.ndarray:
        return np.mean([minority_proba(m, X) for m in self.estimators_], axis=0)
