"""Meta-sampling (paper Algorithm 1): which majority examples the next base learner sees.

Each majority example gets the Gaussian weight g_{μ,σ}(|F(x) − y|) of Eq. 3 and |P| of them are
drawn without replacement, then joined with every minority example. The draw uses the Gumbel-top-k
trick, which is exactly successive weighted sampling without replacement (what
``numpy.random.Generator.choice(..., replace=False, p=w)`` does) in one O(n) pass, and works in
log-weights so a small σ never underflows to all-zero weights.

For σ → 0 the log-weights −½((e − μ)/σ)² overflow to −inf (or dwarf the Gumbel noise, so keys
tie): the draw then takes the exact limit of weighted sampling without replacement, "nearest
|e − μ| first, ties broken uniformly at random", instead of whatever order a tied sort leaves.
For ordinary σ nothing changes (same keys, same ``argpartition``).
"""

from __future__ import annotations

import numpy as np

try:  # the Gaussian log-weights and Gumbel keys in one compiled loop (optional: built at install)
    from mesa_env import _step_kernels
except ImportError:  # pragma: no cover - depends on the install
    _step_kernels = None

__all__ = [
    "SMALL_SIGMA",
    "gaussian_log_weights",
    "meta_sample",
    "random_balanced_subset",
    "weighted_sample",
]


#: Below this σ, ``meta_sample`` guards against the σ → 0 failure modes (log-weights that
#: overflow to −inf, keys that tie because the Gumbel noise vanishes in rounding). At or above
#: it, |log g| ≤ ½ / σ² = 5·10⁵ keeps the noise resolved to ~10⁻¹⁰, and the plain Gumbel-top-k
#: (fewer numpy calls: it is on every step's path) is used.
SMALL_SIGMA = 1e-3


def gaussian_log_weights(errors: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """The log-density log g_{μ,σ}(e) up to a constant (Eq. 3).

    The constant cancels in the normalisation.

    With a tiny σ the squares overflow to inf, so the log-weights become −inf (silently).
    """
    z = errors - mu
    z /= sigma
    log_weights = z * -0.5  # (−½·z)·z, in place: the same roundings as −0.5 * z * z
    if sigma >= SMALL_SIGMA:
        log_weights *= z
        return log_weights
    with np.errstate(over="ignore"):
        log_weights *= z
    return log_weights


def _negative_gumbel(size: int, rng: np.random.Generator) -> np.ndarray:
    """log(−log U), U ~ U(0, 1): minus a standard Gumbel noise, computed in place."""
    noise = rng.random(size)
    np.log(noise, out=noise)
    np.negative(noise, out=noise)
    return np.log(noise, out=noise)


def _gumbel_top_k(
    log_weights: np.ndarray, n: int, rng: np.random.Generator, break_ties: bool
) -> np.ndarray:
    """The Gumbel-top-k draw of ``n`` of ``log_weights.size`` indices (consumes ``log_weights``).

    The keys are log w + Gumbel noise; the ``n`` largest are successive weighted sampling
    without replacement. With ``break_ties``, keys tied across the cut (log-weights so large
    that the noise vanished in rounding) are ordered by their noise, i.e. uniformly at random.
    """
    size = log_weights.size
    noise = _negative_gumbel(size, rng)
    keys = np.subtract(log_weights, noise, out=log_weights)
    part = np.argpartition(keys, size - n)
    if break_ties and np.count_nonzero(keys == keys[part[size - n]]) > 1:
        return np.lexsort((noise, -keys))[:n]  # larger key first, then larger Gumbel noise
    return part[size - n :]


def weighted_sample(log_weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` distinct indices with probabilities ∝ exp(log_weights), successively.

    Keys tied at the cut (log-weights so large that the Gumbel noise vanishes in rounding, or
    −inf) are ordered uniformly at random among themselves.
    """
    size = log_weights.size
    if n >= size:
        return np.arange(size)
    return _gumbel_top_k(np.array(log_weights, dtype=np.float64), n, rng, break_ties=True)


def meta_sample(
    majority_errors: np.ndarray,
    n_minority: int,
    mu: float,
    sigma: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Positions (into the majority set) of the |P| majority examples Algorithm 1 selects.

    For σ < ``SMALL_SIGMA`` the draw guards the σ → 0 limit: when some log-weights are not
    finite it takes the examples with the smallest |e − μ| first, ties broken uniformly at
    random (the exact limit of weighted sampling without replacement); keys tied at the cut
    are broken at random too. Otherwise the draw is the plain Gumbel-top-k, without the tie
    check (keys of ordinary σ never tie, and this runs at every step). There, with the compiled
    ``mesa_env._step_kernels``, the log-weights and keys come from one loop in C with numpy's
    roundings (the noise and ``argpartition`` stay numpy's): the same draw in fewer numpy calls.
    """
    if (
        _step_kernels is not None
        and sigma >= SMALL_SIGMA
        and isinstance(majority_errors, np.ndarray)
        and majority_errors.dtype == np.float64
        and majority_errors.flags.c_contiguous
    ):
        size = majority_errors.size
        if n_minority >= size:
            return np.arange(size)
        keys = _negative_gumbel(size, rng)
        _step_kernels.gaussian_gumbel_keys(majority_errors, float(mu), float(sigma), keys, keys)
        return np.argpartition(keys, size - n_minority)[size - n_minority :]
    log_weights = gaussian_log_weights(majority_errors, mu, sigma)
    size = log_weights.size
    if n_minority >= size:
        return np.arange(size)
    small = sigma < SMALL_SIGMA
    if small and not np.isfinite(log_weights).all():
        noise = _negative_gumbel(size, rng)
        return np.lexsort((-noise, np.abs(majority_errors - mu)))[:n_minority]
    return _gumbel_top_k(log_weights, n_minority, rng, break_ties=small)


def random_balanced_subset(
    n_majority: int, n_minority: int, rng: np.random.Generator
) -> np.ndarray:
    """Positions of |P| majority examples drawn uniformly (Alg. 2 line 1: the first learner)."""
    return rng.choice(n_majority, size=min(n_minority, n_majority), replace=False)
