"""SMOTEBagging (Wang & Yao, IEEE CIDM 2009): bagging with balanced, partly synthetic bags.

Every bag holds a bootstrap of the majority class (size |N|) and |N| minority rows, of which a
share b is resampled with replacement from the minority set and the rest made by SMOTE. The
share b cycles through 10%, 20%, ..., 100% over the bags, which diversifies the members.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from joblib import Parallel, delayed
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
from mesa_baselines.smote_boost import minority_neighbours, smote_interpolate
from mesa_env.binary import SEED_BOUND

__all__ = ["SMOTEBaggingClassifier", "resampling_rates"]


def resampling_rates(n_estimators: int) -> np.ndarray:
    """The resampling rate b for each bag: 10%, 20%, ..., 100%, repeated (Wang & Yao 2009, §III)."""
    return (np.arange(n_estimators) % 10 + 1) / 10.0


def _fit_bag(
    base: Any,
    X: np.ndarray,
    y: np.ndarray,
    neg: np.ndarray,
    pos: np.ndarray,
    neighbours: np.ndarray,
    rate: float,
    seed: int,
) -> tuple[Any, int]:
    """Build one bag from its own seed and fit a member on it; return (member, synthetic rows)."""
    rng = np.random.RandomState(seed)
    n_neg = neg.shape[0]
    majority = rng.choice(neg, n_neg, replace=True)  # bootstrap of N, size |N|
    n_resampled = int(np.floor(n_neg * rate + 0.5))
    minority = rng.choice(pos, n_resampled, replace=True)  # b·|N| minority rows with replacement
    n_synthetic = n_neg - n_resampled  # the rest by SMOTE, so the bag is balanced
    seeds = rng.randint(pos.shape[0], size=n_synthetic)
    X_syn = smote_interpolate(X[pos], neighbours, seeds, rng)
    X_bag = np.vstack([X[majority], X[minority], X_syn])
    y_bag = np.concatenate([y[majority], y[minority], np.ones(n_synthetic, dtype=np.intp)])
    return spawn_member(base, rng).fit(X_bag, y_bag), n_synthetic


class SMOTEBaggingClassifier(BinaryEnsembleMixin, ClassifierMixin, BaseEstimator):
    """SMOTEBagging (Wang & Yao 2009): each member sees a balanced bag of 2|N| rows.

    Bag j bootstraps |N| majority rows, resamples round(b_j·|N|) minority rows with replacement,
    and adds |N| − round(b_j·|N|) SMOTE rows (seeds uniform over the original minority set, each
    interpolated toward one of its ``k_neighbors`` nearest minority neighbours), with
    b_j = 10%, 20%, ..., 100% cycling over the bags. Prediction is the mean of the members'
    probabilities. Each bag is built from its own seed, so results do not depend on ``n_jobs``.

    Parameters
    ----------
    estimator : classifier with predict_proba, default=None
        Base learner; None means a full-depth ``DecisionTreeClassifier`` (the paper's DT).
    n_estimators : int, default=10
        Number of bags.
    k_neighbors : int, default=5
        Minority neighbours for SMOTE (MESA Table 8).
    n_jobs : int or None, default=None
        Bags are independent, so members are fitted in parallel threads (joblib semantics).
    random_state : int, RandomState or None, default=None
        Seeds every bag and member.

    Attributes:
    estimators_ : list of fitted members.
    sampling_rates_ : ndarray (n,), b_j per bag.
    n_synthetic_ : ndarray (n,), SMOTE rows per bag.
    subset_sizes_ : ndarray (n, 2), majority and minority (incl. synthetic) rows per bag.
    n_training_samples_ : int, rows over all members' training sets (2|N| per bag).
    classes_, minority_class_, n_features_in_ : labels and input width seen in fit.
    """

    def __init__(
        self,
        estimator: Any = None,
        n_estimators: int = 10,
        *,
        k_neighbors: int = 5,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.k_neighbors = k_neighbors
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> SMOTEBaggingClassifier:
        """Build and fit the bags."""
        X, y = check_fit_input(self, X, y)
        n = check_int(self.n_estimators, "n_estimators", 1)
        k = check_int(self.k_neighbors, "k_neighbors", 1)
        base = resolve_estimator(self.estimator)
        rng = check_random_state(self.random_state)

        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        neighbours = minority_neighbours(X[pos], k)
        self.sampling_rates_ = resampling_rates(n)
        seeds = rng.randint(SEED_BOUND, size=n)
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_fit_bag)(base, X, y, neg, pos, neighbours, rate, seed)
            for rate, seed in zip(self.sampling_rates_, seeds, strict=True)
        )
        self.estimators_ = [member for member, _ in results]
        self.n_synthetic_ = np.array([n_syn for _, n_syn in results], dtype=np.intp)
        self.subset_sizes_ = np.tile([neg.shape[0], neg.shape[0]], (n, 1)).astype(np.intp)
        self.n_training_samples_ = int(self.subset_sizes_.sum())
        return self

    def _minority_proba(self, X: np.ndarray) -> np.ndarray:
        return np.mean([minority_proba(m, X) for m in self.estimators_], axis=0)
