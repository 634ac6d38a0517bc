"""Meta-sampling (Algorithm 1, Eq. 3) and the meta-state histograms (Eqs. 1–2)."""

from __future__ import annotations

import numpy as np
import pytest

import mesa_env.state as state_module
from mesa_env.state import (
    error_histogram,
    majority_histogram,
    meta_state,
    split_error_histograms,
    split_label_error_histograms,
)


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
    """Bin edges are closed on the left.

    An error equal to i/b goes to bin i+1 (1-based), 1.0 to the last bin, and the float just
    below i/b still to bin i.
    """
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


def test_the_compiled_histograms_are_installed():
    # `pip install .` builds mesa_env._step_kernels wherever a C compiler exists.
    assert state_module._step_kernels is not None


@pytest.mark.parametrize("b", [1, 2, 3, 5, 10, 11, 22, 100])
def test_compiled_histograms_equal_numpys_bit_for_bit(b, monkeypatch):
    rng = np.random.default_rng(100 + b)
    cases = []
    for _ in range(30):
        errors = rng.random(int(rng.integers(2, 500)))
        errors[::5] = rng.integers(0, b + 1, errors[::5].size) / b  # on the edges i/b
        errors[1::9] = np.nextafter(errors[1::9], 0.0)  # just below them
        special = [1.0, 0.0, 15 / 22, np.nextafter(1.0, 0.0), 2.0, -0.0]
        errors[2::11] = rng.choice(special, errors[2::11].size)
        cases.append((errors, int(rng.integers(1, errors.size))))
    compiled = [split_error_histograms(e, n, b) for e, n in cases]
    monkeypatch.setattr(state_module, "_step_kernels", None)
    for (errors, n_first), fast in zip(cases, compiled, strict=True):
        slow = split_error_histograms(errors, n_first, b)
        assert fast.dtype == slow.dtype == np.float32
        assert fast.tobytes() == slow.tobytes()


def test_compiled_histograms_refuse_wrong_types_and_sizes():
    out = np.empty(10, dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        state_module._step_kernels.split_histograms(np.zeros(8, np.float32), 4, 5, out)
    with pytest.raises(ValueError, match="n_first"):
        state_module._step_kernels.split_histograms(np.zeros(8), 8, 5, out)
    with pytest.raises(ValueError, match="2 \\* n_bins"):
        state_module._step_kernels.split_histograms(np.zeros(8), 4, 6, out)


@pytest.mark.parametrize("b", [1, 5, 10, 22])
def test_label_error_histograms_equal_numpys_bit_for_bit(b, monkeypatch):
    rng = np.random.default_rng(200 + b)
    cases = []
    for _ in range(30):
        n = int(rng.integers(2, 2000))
        labels = rng.integers(0, 2, n).astype(np.float64)
        proba = rng.random(n + int(rng.integers(0, 300)))  # longer: the test rows follow
        proba[::3] = rng.integers(0, 11, proba[::3].size) / 10  # an ensemble's vote fractions
        cases.append((proba, labels, int(rng.integers(1, n))))
    compiled = [split_label_error_histograms(p, y, n, b) for p, y, n in cases]
    monkeypatch.setattr(state_module, "_step_kernels", None)
    for (proba, labels, n_first), fast in zip(cases, compiled, strict=True):
        slow = split_label_error_histograms(proba, labels, n_first, b)
        assert fast.tobytes() == slow.tobytes()
        expected = split_error_histograms(np.abs(proba[: labels.size] - labels), n_first, b)
        assert fast.tobytes() == expected.tobytes()
