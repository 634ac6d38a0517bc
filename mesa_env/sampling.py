"""Meta-sampling (paper Algorithm 1): which majority examples the next base learner sees.

Each majority example gets the Gaussian weight g_{μ,σ}(|F(x) − y|) of Eq. 3 and |P| of them are
drawn without replacement, then joined with every minority example. The draw uses the Gumbel-top-k
trick, which is exactly successive weighted sampling without replacement (what
``numpy.random.Generator.choice(..., replace=False, p=w)`` does) in one O(n) pass, and works in
log-weights so a small σ never underflows to all-zero weights.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gaussian_log_weights", "meta_sample", "random_balanced_subset", "weighted_sample"]


def gaussian_log_weights(errors: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """log g_{μ,σ}(e) up to a constant (Eq. 3); the constant cancels in the normalisation."""
    z = (errors - mu) / sigma
    return -0.5 * z * z


def weighted_sample(log_weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` distinct indices with probabilities ∝ exp(log_weights), successively."""
    size = log_weights.size
    if n >= size:
        return np.arange(size)
    keys = log_weights - np.log(-np.log(rng.random(size)))  # + Gumbel(0, 1) noise
    return np.argpartition(keys, size - n)[size - n :]


def meta_sample(
    majority_errors: np.ndarray,
    n_minority: int,
    mu: float,
    sigma: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Positions (into the majority set) of the |P| majority examples Algorithm 1 selects."""
    return weighted_sample(gaussian_log_weights(majority_errors, mu, sigma), n_minority, rng)


def random_balanced_subset(
    n_majority: int, n_minority: int, rng: np.random.Generator
) -> np.ndarray:
    """Positions of |P| majority examples drawn uniformly (Alg. 2 line 1: the first learner)."""
    return rng.choice(n_majority, size=min(n_minority, n_majority), replace=False)
