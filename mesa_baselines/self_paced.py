"""Self-Paced Ensemble (Liu et al., ICDE 2020), written as published.

Each member after the first is trained on all minority examples plus |P| majority examples drawn
by hardness: the majority set is cut into ``k_bins`` equal-width hardness bins under the current
ensemble, and bin l gets a share proportional to 1/(h_l + α_i), where h_l is the bin's mean
hardness and α_i a self-paced factor that grows with i. Early on the draw favours easy bins (few
noisy or overlapping examples), later it becomes nearly uniform over bins, so hard examples are
softly down-weighted but never discarded. The MESA paper's SPE row (Table 3) came from a port
whose cross-entropy hardness had its arguments swapped; this is the correct method (see
``docs/baselines.md``, section Self-Paced Ensemble).
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

__all__ = ["SelfPacedEnsembleClassifier", "apportion", "hardness", "self_paced_bin_weights"]

_HARDNESS = ("absolute", "squared", "cross_entropy")
_PROBA_EPS = 1e-12  # keeps log(1 − F) finite for cross-entropy hardness


def hardness(proba_pos: np.ndarray, y: np.ndarray, kind: str = "absolute") -> np.ndarray:
    """Hardness of examples under the ensemble's p(+): SPE's H(x, y, F) (ICDE'20 §IV-A).

    ``absolute`` is |F(x) − y|, ``squared`` is (F(x) − y)², ``cross_entropy`` is
    −y log F(x) − (1 − y) log(1 − F(x)).
    """
    if kind == "absolute":
        return np.abs(proba_pos - y)
    if kind == "squared":
        return (proba_pos - y) ** 2
    if kind == "cross_entropy":
        # Target first, prediction second: the MESA port swapped these (docs/baselines.md).
        p = np.clip(proba_pos, _PROBA_EPS, 1.0 - _PROBA_EPS)
        return -(y * np.log(p) + (1 - y) * np.log1p(-p))
    raise ValueError(f"hardness must be one of {_HARDNESS}; got {kind!r}")


def self_paced_bin_weights(
    hardness_values: np.ndarray, k_bins: int, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cut hardness into ``k_bins`` equal-width bins over [min, max]; weight bin l by 1/(h_l + α).

    Returns (bin index of every example, weight of every bin). h_l is the mean hardness in bin l
    (SPE Alg. 1, lines 5-7); empty bins get weight 0. The maximum falls in the last bin.
    """
    h = np.asarray(hardness_values, dtype=np.float64)
    lo, hi = h.min(), h.max()
    width = (hi - lo) / k_bins
    if width > 0:
        bins = np.minimum(((h - lo) / width).astype(np.intp), k_bins - 1)
    else:
        bins = np.zeros(h.shape[0], dtype=np.intp)
    sizes = np.bincount(bins, minlength=k_bins)
    sums = np.bincount(bins, weights=h, minlength=k_bins)
    weights = np.zeros(k_bins)
    filled = sizes > 0
    weights[filled] = 1.0 / (sums[filled] / sizes[filled] + alpha)
    return bins, weights


def apportion(total: int, weights: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Integer counts proportional to ``weights``, each at most ``capacity``, summing to ``total``.

    Bins whose proportional share exceeds their size are filled and the rest is shared among the
    others (water-filling); fractions are rounded by largest remainder. This keeps every SPE
    subset exactly balanced (the original code's ``int(·) + 1`` per bin over-draws by up to k).
    """
    weights = np.where(capacity > 0, np.asarray(weights, dtype=np.float64), 0.0)
    capacity = np.asarray(capacity, dtype=np.float64)
    free = weights > 0
    total = int(min(total, capacity[free].sum()))
    target = np.zeros(weights.shape[0])
    remaining = float(total)
    while free.any():
        share = np.where(free, remaining * weights / weights[free].sum(), 0.0)
        full = free & (share >= capacity)
        if not full.any():
            target[free] = share[free]
            break
        target[full] = capacity[full]
        remaining -= capacity[full].sum()
        free &= ~full
    counts = np.minimum(np.floor(target + 1e-9), capacity).astype(np.intp)
    shortfall = total - int(counts.sum())
    if shortfall > 0:
        remainder = np.where(counts < capacity, target - counts, -np.inf)
        counts[np.argsort(-remainder, kind="stable")[:shortfall]] += 1
    return counts


class SelfPacedEnsembleClassifier(BinaryEnsembleMixin, ClassifierMixin, BaseEstimator):
    """Self-Paced Ensemble (Liu et al., ICDE 2020, Algorithm 1): hardness-harmonised under-sampling.

    Member 0 is trained on P plus a random |P|-subset of N. For i = 1..n−1, with F the mean of
    the members' predicted probabilities (not their hard votes, which the 2019 code averaged),
    the majority set is binned by hardness and |P| examples are drawn, bin l getting a share
    ∝ 1/(h_l + α_i), without replacement and at most the bin's size. If every majority example
    is equally hard, the round falls back to random under-sampling. Prediction is the mean of
    the members' probabilities.

    Self-paced factor: α_i = tan(iπ/(2n)) for i = 1..n−1 with n = ``n_estimators``, the paper's
    schedule (so α stays finite). The released code uses tan(π/2 · i/(n−1)), which reaches ∞ at
    the last member, i.e. a uniform draw over bins.

    Parameters
    ----------
    estimator : classifier with predict_proba, default=None
        Base learner; None means a full-depth ``DecisionTreeClassifier`` (the paper's DT).
    n_estimators : int, default=10
        Number of members n.
    k_bins : int, default=10
        Number of hardness bins k (the original code's and MESA Table 8's value).
    hardness : {"absolute", "squared", "cross_entropy"}, default="absolute"
        H(x, y, F): |F − y|, (F − y)², or cross-entropy (MESA Table 8 lists cross-entropy).
    n_jobs : int or None, default=None
        Accepted so every baseline takes the same arguments; each member depends on the previous
        ones, so training is sequential and this is not used.
    random_state : int, RandomState or None, default=None
        Seeds the subsets and, through derived seeds, every member.

    Attributes:
    estimators_ : list of fitted members.
    classes_, minority_class_, n_features_in_ : labels and input width seen in fit.
    alphas_ : ndarray (n−1,), α_i used in rounds 1..n−1.
    bin_weights_ : list of ndarray (k_bins,), the bin weights of rounds 1..n−1 (NaN where the
        round fell back to random under-sampling).
    subset_sizes_ : ndarray (n, 2), majority and minority rows in each member's training set.
    n_training_samples_ : int, rows over all members' training sets.
    """

    def __init__(
        self,
        estimator: Any = None,
        n_estimators: int = 10,
        *,
        k_bins: int = 10,
        hardness: str = "absolute",
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.k_bins = k_bins
        self.hardness = hardness
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> SelfPacedEnsembleClassifier:
        """Train the members one after another on self-paced balanced subsets."""
        X, y = check_fit_input(self, X, y)
        n = check_int(self.n_estimators, "n_estimators", 1)
        k_bins = check_int(self.k_bins, "k_bins", 1)
        if self.hardness not in _HARDNESS:
            raise ValueError(f"hardness must be one of {_HARDNESS}; got {self.hardness!r}")
        base = resolve_estimator(self.estimator)
        rng = check_random_state(self.random_state)

        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        X_neg, y_neg = X[neg], y[neg]
        # SPE Alg. 1 line 4: α = tan(iπ/(2n)), i = 1..n−1 (paper schedule; see class docstring).
        self.alphas_ = np.tan(np.arange(1, n) * np.pi / (2 * n))
        self.estimators_, self.bin_weights_, sizes = [], [], []
        proba_sum = np.zeros(neg.shape[0])
        for i in range(n):
            if i == 0:
                # Line 1: the first member sees a random balanced subset.
                chosen = rng.choice(neg.shape[0], pos.shape[0], replace=False)
            else:
                h = hardness(proba_sum / i, y_neg, self.hardness)
                chosen = self._self_paced_draw(h, pos.shape[0], k_bins, self.alphas_[i - 1], rng)
            idx = np.concatenate([neg[chosen], pos])
            member = spawn_member(base, rng).fit(X[idx], y[idx])
            self.estimators_.append(member)
            sizes.append((chosen.shape[0], pos.shape[0]))
            if i < n - 1:
                # F is the mean of the members' probabilities (Alg. 1 line 3), kept as a sum.
                proba_sum += minority_proba(member, X_neg)
        self.subset_sizes_ = np.asarray(sizes, dtype=np.intp)
        self.n_training_samples_ = int(self.subset_sizes_.sum())
        return self

    def _self_paced_draw(
        self, h: np.ndarray, n_draw: int, k_bins: int, alpha: float, rng: np.random.RandomState
    ) -> np.ndarray:
        """Indices into the majority set for one round (Alg. 1 lines 5-8)."""
        if h.max() == h.min():
            # Every example is equally hard: binning carries no information, so draw at random.
            self.bin_weights_.append(np.full(k_bins, np.nan))
            return rng.choice(h.shape[0], n_draw, replace=False)
        bins, weights = self_paced_bin_weights(h, k_bins, alpha)
        self.bin_weights_.append(weights)
        members = np.argsort(bins, kind="stable")
        sizes = np.bincount(bins, minlength=k_bins)
        counts = apportion(n_draw, weights, sizes)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        # Within a bin the draw is uniform without replacement (line 8).
        return np.concatenate(
            [
                rng.choice(members[s : s + size], c, replace=False)
                for s, size, c in zip(starts, sizes, counts, strict=True)
                if c > 0
            ]
        )

    def _minority_proba(self, X: np.ndarray) -> np.ndarray:
        return np.mean([minority_proba(m, X) for m in self.estimators_], axis=0)
