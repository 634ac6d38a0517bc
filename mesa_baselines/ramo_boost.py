"""RAMOBoost (Chen, He & Garcia, IEEE TNN 21(10), 2010): ranked minority over-sampling in boosting.

Like SMOTEBoost, every round adds synthetic minority rows, but the seeds are ranked: a minority
example with more majority examples among its k1 nearest neighbours (one near the class boundary)
is more likely to seed, through the logistic rank 1/(1 + exp(−α·r)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from mesa_baselines._validation import check_int, check_real
from mesa_baselines.smote_boost import _SyntheticBoosting

__all__ = ["RAMOBoostClassifier", "majority_neighbour_counts"]


def majority_neighbour_counts(
    X: np.ndarray, y: np.ndarray, pos: np.ndarray, k_neighbors: int
) -> np.ndarray:
    """r_i: majority examples (y = 0) among the k nearest neighbours of each minority x_i in X.

    Neighbours are searched in the whole training set, leaving x_i itself out (Chen et al. 2010,
    Alg. RAMO step 1). k is capped at n − 1.
    """
    k = min(k_neighbors, X.shape[0] - 1)
    found = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X[pos], return_distance=False)
    # Drop x_i from its own list; if a duplicate displaced it, drop the farthest neighbour instead.
    is_self = found == pos[:, None]
    is_self[~is_self.any(axis=1), -1] = True
    is_self &= np.cumsum(is_self, axis=1) == 1  # exactly one column per row
    neighbours = found[~is_self].reshape(pos.shape[0], k)
    return (y[neighbours] == 0).sum(axis=1)


class RAMOBoostClassifier(_SyntheticBoosting):
    """RAMOBoost: boosting with ranked minority over-sampling (Chen, He & Garcia 2010).

    For each minority x_i, r_i is the number of majority examples among its ``k_neighbors_1``
    nearest neighbours in the whole training set, and its rank is 1/(1 + exp(−``alpha``·r_i)).
    Each round draws ``n_samples`` seeds with probability ∝ rank_i · D_t(i) (the current boosting
    weight), normalised over the minority set, and interpolates each seed toward one of its
    ``k_neighbors_2`` nearest minority neighbours. Boosting is the same discrete SAMME loop as
    ``SMOTEBoostClassifier`` (the paper uses AdaBoost.M2 and MESA Table 8 SAMME.R, which
    scikit-learn removed), with the same early-stop rules: error ≥ 0.5 discards the member and
    stops; error 0 is floored at 1e-10 so boosting continues.

    Parameters
    ----------
    estimator : classifier with predict_proba and sample_weight support, default=None
        Base learner; None means a full-depth ``DecisionTreeClassifier`` (the paper's DT).
    n_estimators : int, default=10
        Maximum number of boosting rounds.
    n_samples : int, default=100
        Synthetic minority examples per round (MESA Table 8).
    k_neighbors_1 : int, default=5
        Neighbours in the whole training set used to rank minority examples (MESA Table 8).
    k_neighbors_2 : int, default=5
        Minority neighbours used for interpolation (MESA Table 8).
    alpha : float, default=0.3
        Steepness of the logistic rank (MESA Table 8).
    learning_rate : float, default=1.0
        Shrinks each member's vote α_t (MESA Table 8).
    n_jobs : int or None, default=None
        Accepted so every baseline takes the same arguments; boosting is sequential, so unused.
    random_state : int, RandomState or None, default=None
        Seeds the synthetic rows and, through derived seeds, every member.

    Attributes:
    majority_neighbour_counts_ : ndarray (|P|,), r_i. minority_ranks_ : ndarray (|P|,), the ranks.
    seed_probabilities_ : list of ndarray (|P|,), each round's seed distribution.
    estimators_, estimator_weights_, estimator_errors_, n_estimators_, n_synthetic_,
    subset_sizes_, n_training_samples_, classes_, minority_class_, n_features_in_ : as in
    ``SMOTEBoostClassifier``.
    """

    def __init__(
        self,
        estimator: Any = None,
        n_estimators: int = 10,
        *,
        n_samples: int = 100,
        k_neighbors_1: int = 5,
        k_neighbors_2: int = 5,
        alpha: float = 0.3,
        learning_rate: float = 1.0,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_samples = n_samples
        self.k_neighbors_1 = k_neighbors_1
        self.k_neighbors_2 = k_neighbors_2
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _interpolation_k(self) -> int:
        return check_int(self.k_neighbors_2, "k_neighbors_2", 1)

    def _seed_ranking(self, X: np.ndarray, y: np.ndarray, pos: np.ndarray) -> np.ndarray:
        k1 = check_int(self.k_neighbors_1, "k_neighbors_1", 1)
        alpha = check_real(self.alpha, "alpha", 0.0)
        self.majority_neighbour_counts_ = majority_neighbour_counts(X, y, pos, k1)
        # Chen et al. 2010: rank_i = 1 / (1 + exp(−α · r_i)), higher near the class boundary.
        self.minority_ranks_ = 1.0 / (1.0 + np.exp(-alpha * self.majority_neighbour_counts_))
        return self.minority_ranks_
