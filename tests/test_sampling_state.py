"""Meta-sampling (Algorithm 1, Eq. 3) and the meta-state histograms (Eqs. 1–2)."""

from __future__ import annotations

import itertools
import warnings
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from mesa_env.sampling import (
    gaussian_log_weights,
    meta_sample,
    random_balanced_subset,
    weighted_sample,
)
from mesa_env.state import (
    error_histogram,
    majority_histogram,
    meta_state,
    split_error_histograms,
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
    """Subset frequencies of Gumbel-top-k equal the exact successive-sampling law (chi-square),
    as do numpy's ``choice(replace=False, p=...)`` ones; inclusion frequencies agree too."""
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
    """σ = 0.001: every Gaussian weight underflows to 0 in linear space (exp(−800)), yet the
    draw works and returns the n examples whose error is nearest μ."""
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


# --------------------------------------------------------------------------- state
def eq1_reference(errors: np.ndarray, b: int) -> np.ndarray:
    """Eq. 1 written literally: (i−1)/b ≤ e < i/b for i = 1…b, and e = 1 in the last bin."""
    hist = np.zeros(b)
    for i in range(1, b + 1):
        inside = ((i - 1) / b <= errors) & (errors < i / b)
        if i == b:
            inside |= errors == 1.0
        hist[i - 1] = np.count_nonzero(inside)
    return hist / errors.size


@pytest.mark.parametrize("b", [1, 2, 3, 5, 7, 10, 20])
def test_error_histogram_is_eq1_on_random_errors(b):
    rng = np.random.default_rng(b)
    for _ in range(20):
        errors = rng.random(int(rng.integers(1, 300)))
        errors[rng.random(errors.size) < 0.1] = 1.0
        np.testing.assert_array_equal(error_histogram(errors, b), eq1_reference(errors, b))


@pytest.mark.parametrize("b", [1, 2, 3, 4, 5, 7, 8, 9])
def test_error_histogram_bin_edges(b):
    """An error equal to i/b goes to bin i+1 (1-based), 1.0 to the last bin, and the float just
    below i/b still to bin i."""
    for i in range(b + 1):
        hist = error_histogram(np.array([i / b]), b)
        expected = np.zeros(b)
        expected[min(i, b - 1)] = 1.0
        np.testing.assert_array_equal(hist, expected, err_msg=f"error {i}/{b}")
        if i:
            below = error_histogram(np.array([np.nextafter(i / b, 0.0)]), b)
            assert np.flatnonzero(below).tolist() == [i - 1], f"error just below {i}/{b}"


@pytest.mark.parametrize(
    ("error", "b", "expected_bin"),
    [(15 / 22, 22, 15), (np.nextafter(0.9, 0.0), 10, 8), (np.nextafter(5 / 6, 0.0), 6, 4)],
    ids=["15/22", "just-below-0.9", "just-below-5/6"],
)
def test_error_histogram_edges_where_e_times_b_rounds(error, b, expected_bin):
    errors = np.array([error])
    np.testing.assert_array_equal(error_histogram(errors, b), eq1_reference(errors, b))
    assert np.flatnonzero(error_histogram(errors, b)).tolist() == [expected_bin]


def test_error_histogram_sums_to_one():
    errors = np.random.default_rng(0).random(1000)
    for b in (1, 4, 10):
        assert error_histogram(errors, b).sum() == pytest.approx(1.0)


@pytest.mark.parametrize("b", [1, 2, 5, 10])
def test_majority_histogram_matches_numpy_on_random_errors(b):
    rng = np.random.default_rng(b)
    for _ in range(50):
        errors = rng.random(int(rng.integers(2, 200)))
        np.testing.assert_array_equal(
            majority_histogram(errors, b), np.histogram(errors, b)[0] / errors.size
        )


@pytest.mark.parametrize("b", range(1, 11))
@pytest.mark.parametrize("value", [0.0, 0.5, 1.0])
def test_majority_histogram_degenerate_equal_values_match_numpy(value, b):
    errors = np.full(9, value)
    np.testing.assert_array_equal(
        majority_histogram(errors, b), np.histogram(errors, b)[0] / errors.size
    )


@pytest.mark.parametrize(
    ("errors", "b"),
    [([0.0, 0.2, 0.4, 0.6, 0.8], 4), ([0.0, 0.3, 0.9], 3), ([0.0, 0.6, 1.0], 5)],
)
def test_majority_histogram_matches_numpy_on_bin_edges(errors, b):
    errors = np.array(errors)
    np.testing.assert_array_equal(
        majority_histogram(errors, b), np.histogram(errors, b)[0] / errors.size
    )


def test_majority_histogram_degenerate_case_off_centre_value():
    errors = np.full(3, 0.01)
    np.testing.assert_array_equal(majority_histogram(errors, 2), np.histogram(errors, 2)[0] / 3)


def test_meta_state_concatenates_train_and_valid_halves():
    rng = np.random.default_rng(0)
    e_tr, e_va = rng.random(100), rng.random(40)
    y_tr, y_va = (rng.random(100) < 0.2).astype(int), (rng.random(40) < 0.2).astype(int)
    s = meta_state(e_tr, e_va, y_tr, y_va, 5)
    assert s.dtype == np.float32 and s.shape == (10,)
    np.testing.assert_allclose(s, np.r_[error_histogram(e_tr, 5), error_histogram(e_va, 5)], 1e-7)
    s = meta_state(e_tr, e_va, y_tr, y_va, 5, histogram="majority")
    expected = np.r_[majority_histogram(e_tr[y_tr == 0], 5), majority_histogram(e_va[y_va == 0], 5)]
    np.testing.assert_allclose(s, expected, 1e-7)


# --------------------------------------------------------------------------- σ → 0
@pytest.mark.parametrize("sigma", [1e-200, 1e-150, 1e-12])
def test_vanishing_sigma_draws_nearest_first_with_random_ties(sigma):
    """The σ → 0 limit of weighted sampling without replacement: the examples nearest μ first,
    ties broken uniformly at random. 1e-200 overflows the log-weights to −inf; 1e-150 keeps
    them finite but so large that the Gumbel noise vanishes in rounding; 1e-12 is just small.
    Each seed must draw its own subset of the tied examples, never always the same one."""
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


@pytest.mark.parametrize("b", [1, 2, 5, 10, 11, 22])
def test_split_error_histograms_equal_meta_state_bit_for_bit(b):
    rng = np.random.default_rng(b)
    for _ in range(20):
        e_tr, e_va = rng.random(int(rng.integers(1, 300))), rng.random(int(rng.integers(1, 90)))
        e_tr[::7] = rng.integers(0, b + 1, e_tr[::7].size) / b  # exactly on the edges i/b
        e_va[:3] = [0.0, 1.0, 2 / 3][: e_va.size]
        y_tr, y_va = np.zeros(e_tr.size, int), np.zeros(e_va.size, int)
        np.testing.assert_array_equal(
            split_error_histograms(np.r_[e_tr, e_va], e_tr.size, b),
            meta_state(e_tr, e_va, y_tr, y_va, b),
        )
