"""SMOTEBoost (Chawla, Lazarevic, Hall & Bowyer, PKDD 2003) and the SMOTE pieces it shares.

Each boosting round adds ``n_samples`` synthetic minority examples made by SMOTE's interpolation
(Chawla et al., JAIR 2002) between a minority seed and one of its k nearest minority neighbours,
trains the member on the original plus synthetic rows, and updates the weights of the *original*
examples only; the synthetic rows are discarded after the round (Chawla 2003, Fig. 1).
RAMOBoost (``baselines.ramo_boost``) is the same loop with a ranked seed distribution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from mesa_baselines._validation import (
    BinaryEnsembleMixin,
    check_fit_input,
    check_int,
    check_real,
    minority_proba,
    resolve_estimator,
    spawn_member,
)

__all__ = ["SMOTEBoostClassifier", "minority_neighbours", "smote_interpolate"]

# Error floor for a member that classifies every original example correctly (see class docs).
_ERROR_FLOOR = 1e-10


def minority_neighbours(X_min: np.ndarray, k_neighbors: int) -> np.ndarray:
    """Indices (into X_min) of each minority example's k nearest minority neighbours, not itself.

    k is capped at |P| − 1; with a single minority example the result has no columns and SMOTE
    degenerates to copying it.
    """
    k = min(k_neighbors, X_min.shape[0] - 1)
    if k < 1:
        return np.empty((X_min.shape[0], 0), dtype=np.intp)
    # kneighbors() without X leaves each point out of its own neighbour list.
    return NearestNeighbors(n_neighbors=k).fit(X_min).kneighbors(return_distance=False)


def smote_interpolate(
    X_min: np.ndarray, neighbours: np.ndarray, seeds: np.ndarray, rng: np.random.RandomState
) -> np.ndarray:
    """SMOTE's synthetic examples: x_s + u·(x_nn − x_s), u ~ U[0, 1), x_nn one of x_s's k-NN."""
    if neighbours.shape[1] == 0:
        return X_min[seeds].copy()
    nn = neighbours[seeds, rng.randint(neighbours.shape[1], size=seeds.shape[0])]
    gap = rng.uniform(size=(seeds.shape[0], 1))
    return X_min[seeds] + gap * (X_min[nn] - X_min[seeds])


class _SyntheticBoosting(BinaryEnsembleMixin, ClassifierMixin, BaseEstimator):
    """Discrete (SAMME) boosting whose members see extra synthetic minority rows each round.

    Subclasses choose the neighbourhood size for interpolation (``_interpolation_k``) and a
    per-minority-example factor that multiplies the boosting weights in the seed distribution
    (``_seed_ranking``).
    """

    def _interpolation_k(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _seed_ranking(self, X: np.ndarray, y: np.ndarray, pos: np.ndarray) -> np.ndarray:
        return np.ones(pos.shape[0])

    def fit(self, X: Any, y: Any) -> _SyntheticBoosting:
        """Run the boosting rounds; see the class docstring for the variant and early stops."""
        X, y = check_fit_input(self, X, y)
        n_rounds = check_int(self.n_estimators, "n_estimators", 1)
        n_samples = check_int(self.n_samples, "n_samples", 0)
        learning_rate = check_real(self.learning_rate, "learning_rate", 0.0, strict=True)
        base = resolve_estimator(self.estimator)
        rng = check_random_state(self.random_state)

        pos = np.flatnonzero(y == 1)
        X_min = X[pos]
        neighbours = minority_neighbours(X_min, self._interpolation_k())
        ranking = self._seed_ranking(X, y, pos)
        n, n_neg = y.shape[0], y.shape[0] - pos.shape[0]
        weights = np.full(n, 1.0 / n)  # D_1: uniform over the original examples
        y_syn = np.ones(n_samples, dtype=np.intp)
        self.estimators_, alphas, errors, seed_probabilities = [], [], [], []
        for _ in range(n_rounds):
            # Seeds are drawn ∝ (ranking ×) the current weights of the minority examples.
            p_seed = ranking * weights[pos]
            p_seed /= p_seed.sum()
            seeds = rng.choice(pos.shape[0], n_samples, p=p_seed)
            X_syn = smote_interpolate(X_min, neighbours, seeds, rng)
            # Synthetic rows weigh 1/n, as an original example does under D_1; the originals
            # keep D_t (the common SMOTEBoost implementation; Chawla 2003 does not fix this).
            train_weight = np.concatenate([weights, np.full(n_samples, 1.0 / n)])
            member = spawn_member(base, rng).fit(
                np.vstack([X, X_syn]), np.concatenate([y, y_syn]), sample_weight=train_weight
            )
            # The error is measured on the original examples only (Chawla 2003, Fig. 1).
            incorrect = member.predict(X) != y
            error = float(weights[incorrect].sum())
            if error >= 0.5:
                # SAMME with two classes: a member no better than chance gets no positive vote.
                if not self.estimators_:
                    raise ValueError(
                        f"The first member of {type(self).__name__} has weighted training error "
                        f"{error:.3f} >= 0.5 (worse than chance); use a stronger estimator."
                    )
                break  # discard it and stop, as scikit-learn's AdaBoostClassifier does
            # A perfect member (usual for full-depth trees) would have an infinite vote and stop
            # AdaBoost after one round. Flooring its error gives it the largest finite vote and
            # leaves the weights unchanged, so later rounds differ by fresh synthetic rows.
            floored = max(error, _ERROR_FLOOR)
            alpha = learning_rate * np.log((1.0 - floored) / floored)
            self.estimators_.append(member)
            alphas.append(alpha)
            errors.append(error)
            seed_probabilities.append(p_seed)
            # SAMME update for K = 2: D_{t+1}(i) ∝ D_t(i) · exp(α_t · 1[h_t(x_i) ≠ y_i]).
            weights = weights * np.exp(alpha * incorrect)
            weights /= weights.sum()
        self.estimator_weights_ = np.asarray(alphas)
        self.estimator_errors_ = np.asarray(errors)
        self.seed_probabilities_ = seed_probabilities
        self.n_estimators_ = len(self.estimators_)
        self.n_synthetic_ = np.full(self.n_estimators_, n_samples, dtype=np.intp)
        self.subset_sizes_ = np.tile([n_neg, pos.shape[0] + n_samples], (self.n_estimators_, 1))
        self.n_training_samples_ = int(self.subset_sizes_.sum())
        return self

    def _minority_proba(self, X: np.ndarray) -> np.ndarray:
        # α-weighted mean of the members' probabilities. With hard members (full-depth trees)
        # this is the weighted vote fraction; scikit-learn's SAMME predict_proba is a monotone
        # transform of the same vote (a sigmoid), so rankings, hence AUCPRC, agree.
        votes = np.array([minority_proba(m, X) for m in self.estimators_])
        return self.estimator_weights_ @ votes / self.estimator_weights_.sum()


class SMOTEBoostClassifier(_SyntheticBoosting):
    """SMOTEBoost (Chawla et al. 2003): AdaBoost whose members also see SMOTE'd minority rows.

    Variant: discrete SAMME boosting (for two classes, AdaBoost.M1) on hard member predictions,
    with the output an α-weighted average of the members' probabilities. The paper boosts with
    AdaBoost.M2 and MESA's Table 8 lists SAMME.R; scikit-learn has removed SAMME.R, so it is not
    offered. Each round draws ``n_samples`` seeds from the minority examples with probability
    ∝ their current boosting weight (SMOTE on the weighted minority set) and interpolates each
    toward one of its ``k_neighbors`` nearest minority neighbours.

    Early stops: a member with weighted error ≥ 0.5 is discarded and boosting stops (as
    scikit-learn does; if it is the first member, ``fit`` raises). A member with error 0, the
    usual case with full-depth trees, does *not* stop boosting: its error is floored at 1e-10,
    giving it the largest finite vote and leaving the weights unchanged (AdaBoost would stop with
    a single member). ``n_estimators_`` reports the members actually built.

    Parameters
    ----------
    estimator : classifier with predict_proba and sample_weight support, default=None
        Base learner; None means a full-depth ``DecisionTreeClassifier`` (the paper's DT).
    n_estimators : int, default=10
        Maximum number of boosting rounds.
    n_samples : int, default=100
        Synthetic minority examples per round (MESA Table 8).
    k_neighbors : int, default=5
        Minority neighbours for SMOTE (MESA Table 8).
    learning_rate : float, default=1.0
        Shrinks each member's vote α_t (MESA Table 8).
    n_jobs : int or None, default=None
        Accepted so every baseline takes the same arguments; boosting is sequential, so unused.
    random_state : int, RandomState or None, default=None
        Seeds the synthetic rows and, through derived seeds, every member.

    Attributes:
    estimators_, estimator_weights_, estimator_errors_ : members, their votes α_t and their
        weighted training errors (before flooring).
    n_estimators_ : int, members actually built.
    n_synthetic_ : ndarray, synthetic minority rows added in each kept round.
    seed_probabilities_ : list of ndarray (|P|,), each round's seed distribution.
    subset_sizes_ : ndarray (n_estimators_, 2), majority and minority (incl. synthetic) rows per
        member. n_training_samples_ : int, rows over all members' training sets.
    classes_, minority_class_, n_features_in_ : labels and input width seen in fit.
    """

    def __init__(
        self,
        estimator: Any = None,
        n_estimators: int = 10,
        *,
        n_samples: int = 100,
        k_neighbors: int = 5,
        learning_rate: float = 1.0,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_samples = n_samples
        self.k_neighbors = k_neighbors
        self.learning_rate = learning_rate
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _interpolation_k(self) -> int:
        return check_int(self.k_neighbors, "k_neighbors", 1)
