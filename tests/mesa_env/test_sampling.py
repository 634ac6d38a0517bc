"""Meta-sampling (Algorithm 1, Eq. 3) and the meta-state histograms (Eqs. 1–2)."""

from __future__ import annotations

import itertools
import warnings
from collections import Counter

import numpy as np
import pytest
from scipy import stats

import mesa_env.sampling as sampling_module
from mesa_env.sampling import (
    SMALL_SIGMA,
    gaussian_log_weights,
    meta_sample,
    random_balanced_subset,
    weighted_sample,
)


# --------------------------------------------------------------------------- sampling
def exact_subset_probabilities(p: np.ndarray, n: int) -> dict[tuple[int, ...], float]:
    """P(subset) under successive sampling without replacement, by enumerating every order."""
    probs: Counter[tuple[int, ...]] = Counter()
    for order in itertools.permutations(range(p.size), n):
        prob, left = 1.0, 1.0
        for i in order:
            prob *= p[i] / left
            left -= p[i]
        probs[tuple(sorted(order))] += prob
    return dict(probs)


def subset_counts(draw, n_draws: int) -> Counter[tuple[int, ...]]:
    return Counter(tuple(sorted(int(i) for i in draw())) for _ in range(n_draws))


def chi2_pvalue(counts: Counter, exact: dict[tuple[int, ...], float], n_draws: int) -> float:
    keys = sorted(exact)
    observed = np.array([counts.get(k, 0) for k in keys], dtype=float)
    assert observed.sum() == n_draws, "a draw fell outside the possible subsets"
    expected = np.array([exact[k] for k in keys]) * n_draws
    return float(stats.chisquare(observed, expected).pvalue)


P_SMALL = np.array([0.05, 0.1, 0.15, 0.2, 0.5])
N_DRAWS = 20_000


def test_weighted_sample_matches_successive_sampling_and_numpy_choice():
    """Gumbel-top-k draws subsets with the exact successive-sampling law (chi-square).

    So do numpy's ``choice(replace=False, p=...)``; inclusion frequencies agree too.
    """
    n = 2
    exact = exact_subset_probabilities(P_SMALL, n)
    rng_ours, rng_np = np.random.default_rng(1), np.random.default_rng(2)
    ours = subset_counts(lambda: weighted_sample(np.log(P_SMALL), n, rng_ours), N_DRAWS)
    theirs = subset_counts(
        lambda: rng_np.choice(P_SMALL.size, n, replace=False, p=P_SMALL), N_DRAWS
    )
    assert chi2_pvalue(ours, exact, N_DRAWS) > 1e-3
    assert chi2_pvalue(theirs, exact, N_DRAWS) > 1e-3

    def inclusion(counts: Counter) -> np.ndarray:
        freq = np.zeros(P_SMALL.size)
        for subset, c in counts.items():
            freq[list(subset)] += c
        return freq / N_DRAWS

    np.testing.assert_allclose(inclusion(ours), inclusion(theirs), atol=0.02)


def test_chi_square_check_has_power():
    """The chi-square above rejects a plausible wrong sampler (keys w·U instead of U^(1/w))."""
    n = 2
    exact = exact_subset_probabilities(P_SMALL, n)
    rng = np.random.default_rng(3)

    def wrong() -> np.ndarray:
        keys = P_SMALL * rng.random(P_SMALL.size)
        return np.argsort(keys)[-n:]

    assert chi2_pvalue(subset_counts(wrong, N_DRAWS), exact, N_DRAWS) < 1e-6


def test_weighted_sample_returns_distinct_indices_and_everything_when_n_exceeds_size():
    rng = np.random.default_rng(0)
    got = weighted_sample(np.zeros(50), 20, rng)
    assert got.size == 20 and np.unique(got).size == 20
    assert got.min() >= 0 and got.max() < 50
    np.testing.assert_array_equal(np.sort(weighted_sample(np.zeros(7), 7, rng)), np.arange(7))
    np.testing.assert_array_equal(np.sort(weighted_sample(np.zeros(7), 9, rng)), np.arange(7))


def test_tiny_sigma_does_not_underflow_and_picks_the_errors_nearest_mu():
    """σ = 0.001: the draw returns the n examples whose error is nearest μ.

    Every Gaussian weight underflows to 0 in linear space (exp(−800)), not in log space.
    """
    rng = np.random.default_rng(0)
    mu, n = 0.54, 4
    for _ in range(20):
        errors = rng.permutation(np.linspace(0.0, 1.0, 11))
        assert not np.any(np.exp(gaussian_log_weights(errors, mu, 0.001)) > 0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no RuntimeWarning (divide by zero, invalid value)
            got = meta_sample(errors, n, mu, 0.001, rng)
        assert np.unique(got).size == n
        assert sorted(errors[got].round(2).tolist()) == [0.4, 0.5, 0.6, 0.7]


def test_gaussian_log_weights_are_eq3_up_to_a_constant():
    errors = np.linspace(0, 1, 11)
    mu, sigma = 0.3, 0.2
    g = stats.norm.pdf(errors, mu, sigma)  # Eq. 3
    log_w = gaussian_log_weights(errors, mu, sigma)
    np.testing.assert_allclose(log_w - log_w[0], np.log(g) - np.log(g[0]), rtol=1e-12)


@pytest.mark.parametrize(("mu", "low", "high"), [(0.0, 0.0, 0.25), (1.0, 0.75, 1.0)])
def test_meta_sample_favours_errors_near_mu(mu, low, high):
    """μ≈0 draws mostly low-error majority examples, μ≈1 mostly high-error ones (Alg. 1)."""
    rng = np.random.default_rng(0)
    errors = rng.random(2000)
    means = []
    for _ in range(50):
        chosen = meta_sample(errors, 100, mu, 0.2, rng)
        assert np.unique(chosen).size == 100
        means.append(errors[chosen].mean())
    w = np.exp(gaussian_log_weights(errors, mu, 0.2))
    expected = float(np.dot(w, errors) / w.sum())  # weighted mean, ≈ the without-replacement one
    assert low < np.mean(means) < high
    assert np.mean(means) == pytest.approx(expected, abs=0.02)


def test_random_balanced_subset_is_uniform_and_distinct():
    rng = np.random.default_rng(0)
    counts = np.zeros(10)
    for _ in range(5000):
        got = random_balanced_subset(10, 3, rng)
        assert np.unique(got).size == 3
        counts[got] += 1
    np.testing.assert_allclose(counts / 5000, 0.3, atol=0.03)
    assert random_balanced_subset(4, 9, rng).size == 4


# --------------------------------------------------------------------------- σ → 0
@pytest.mark.parametrize("sigma", [1e-200, 1e-150, 1e-12])
def test_vanishing_sigma_draws_nearest_first_with_random_ties(sigma):
    """The σ → 0 limit of weighted sampling without replacement.

    The examples nearest μ first, ties broken uniformly at random. 1e-200 overflows the
    log-weights to −inf; 1e-150 keeps them finite but so large that the Gumbel noise vanishes
    in rounding; 1e-12 is just small.
    Each seed must draw its own subset of the tied examples, never always the same one.
    """
    errors = np.repeat([0.0, 0.3, 0.45, 0.6, 1.0], 20)  # 20 tied examples per value
    mu, n = 0.5, 30  # all 20 at 0.45 (distance 0.05), then 10 of the 20 at 0.6 (0.1)
    subsets = set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(12):
            got = meta_sample(errors, n, mu, sigma, np.random.default_rng(seed))
            assert np.unique(got).size == n
            assert sorted(Counter(errors[got].tolist()).items()) == [(0.45, 20), (0.6, 10)]
            subsets.add(tuple(sorted(got.tolist())))
    assert len(subsets) >= 10  # C(20, 10) ways: seeds almost never repeat one


def test_vanishing_sigma_ties_are_uniform():
    """Among 4 tied nearest examples, each of 2 slots goes to every one about equally often."""
    errors = np.array([0.5, 0.5, 0.5, 0.5, 0.9, 0.1])
    counts = np.zeros(errors.size)
    rng = np.random.default_rng(0)
    for _ in range(4000):
        counts[meta_sample(errors, 2, 0.5, 1e-200, rng)] += 1
    np.testing.assert_allclose(counts[:4] / 4000, 0.5, atol=0.04)
    assert counts[4:].sum() == 0


def test_normal_sigma_draw_is_the_plain_gumbel_top_k():
    """For ordinary σ the draw is exactly the Gumbel-top-k on the same generator stream."""
    errors = np.random.default_rng(5).random(500)
    for sigma in (0.2, 0.05, 1e-3):
        a, b = np.random.default_rng(9), np.random.default_rng(9)
        keys = gaussian_log_weights(errors, 0.4, sigma) - np.log(-np.log(b.random(500)))
        expected = np.argpartition(keys, 500 - 60)[500 - 60 :]
        np.testing.assert_array_equal(meta_sample(errors, 60, 0.4, sigma, a), expected)


def test_the_compiled_keys_are_installed():
    # `pip install .` builds mesa_env._step_kernels wherever a C compiler exists.
    assert sampling_module._step_kernels is not None


def test_compiled_keys_draw_exactly_numpys_sample(monkeypatch):
    rng = np.random.default_rng(11)
    cases = []
    for _ in range(60):
        size = int(rng.integers(2, 3000))
        errors = rng.random(size)
        errors[::4] = np.round(errors[::4], 1)  # the ensemble's tied errors
        mu = float(rng.choice([0.0, 1.0, rng.random(), np.float32(rng.random())]))
        sigma = float(rng.choice([SMALL_SIGMA, 0.01, 0.2, 0.7, 5.0]))
        cases.append((errors, int(rng.integers(1, size + 2)), mu, sigma, int(rng.integers(99))))
    compiled = [meta_sample(e, n, mu, s, np.random.default_rng(g)) for e, n, mu, s, g in cases]
    monkeypatch.setattr(sampling_module, "_step_kernels", None)
    for (errors, n, mu, sigma, g), fast in zip(cases, compiled, strict=True):
        slow = meta_sample(errors, n, mu, sigma, np.random.default_rng(g))
        np.testing.assert_array_equal(fast, slow)  # the same positions, in the same order


def test_compiled_keys_equal_the_numpy_expression_bit_for_bit():
    rng = np.random.default_rng(12)
    errors, noise = rng.random(1000), np.log(-np.log(rng.random(1000)))
    for mu, sigma in [(0.3, 0.2), (1.0, 1e-3), (0.0, 3.0)]:
        keys = np.empty(1000)
        sampling_module._step_kernels.gaussian_gumbel_keys(errors, mu, sigma, noise, keys)
        expected = gaussian_log_weights(errors, mu, sigma) - noise
        assert keys.tobytes() == expected.tobytes()
    with pytest.raises(TypeError, match="float64 arrays of one length"):
        sampling_module._step_kernels.gaussian_gumbel_keys(errors, 0.3, 0.2, noise[:5], keys)
