"""``Mesa-v0``: the MDP of the MesaEnv docstring, checked against the ecosystem's checkers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

import mesa_env.ensemble as ensemble_module
from mesa_env.ensemble import IncrementalEnsemble


class FixedVotes:
    """A fitted stand-in member whose positive-class probabilities are given."""

    classes_ = np.array([0, 1])

    def __init__(self, p: list[float]) -> None:
        self.p = np.asarray(p, dtype=np.float64)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.c_[1.0 - self.p, self.p]


def test_incremental_ensemble_is_the_running_mean(xy):
    X, y = xy
    ensemble = IncrementalEnsemble(DecisionTreeClassifier(max_depth=2), X)
    rng = np.random.default_rng(0)
    for seed in range(4):
        rows = rng.choice(len(y), 200, replace=False)
        ensemble.fit_member(X[rows], y[rows], seed)
    expected = np.mean([m.predict_proba(X)[:, 1] for m in ensemble.estimators], axis=0)
    np.testing.assert_allclose(ensemble.proba, expected, atol=1e-12)
    assert [m.random_state for m in ensemble.estimators] == [0, 1, 2, 3]


def test_equal_vote_counts_give_equal_ensemble_scores():
    ensemble = IncrementalEnsemble(DecisionTreeClassifier(), np.zeros((2, 1)))
    for votes in ([1.0, 0.0], [0.0, 0.0], [0.0, 1.0]):  # row 0: (1,0,0), row 1: (0,0,1)
        ensemble.add(FixedVotes(votes))
    assert ensemble.proba[0] == ensemble.proba[1] == 1 / 3


@pytest.mark.parametrize("tree", [DecisionTreeClassifier, ExtraTreeClassifier])
def test_unchecked_tree_members_predict_exactly_as_checked_ones(tree):
    """Float32 rows with ``check_input=False`` are the tree's own cast: identical members."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 6)) * 1e3  # values that float32 rounds
    y = (X[:, 0] + rng.normal(size=300) > 500).astype(np.int64)
    ensemble = IncrementalEnsemble(tree(), X)
    checked = []
    for seed in range(3):
        rows = rng.choice(300, 150, replace=False)
        ensemble.fit_member(X[rows], y[rows], seed)
        checked.append(tree(random_state=seed).fit(X[rows], y[rows]).predict_proba(X)[:, 1])
    np.testing.assert_array_equal(ensemble.proba, np.sum(checked, axis=0) / 3)


def test_tree_subclasses_are_called_the_checked_way():
    """Only scikit-learn's own trees get ``check_input=False``: a subclass may not accept it."""

    class PlainFitTree(DecisionTreeClassifier):
        def fit(self, X, y):
            assert X.dtype == np.float64  # the task's rows, not the float32 cast
            return super().fit(X, y)

        def predict_proba(self, X):
            return super().predict_proba(X)

    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(80, 3)), np.tile([0, 1], 40)
    ensemble = IncrementalEnsemble(PlainFitTree(), X)
    ensemble.fit_member(X, y, seed=0)
    assert ensemble.proba.shape == (80,)


def test_a_given_float32_copy_of_the_rows_predicts_as_the_ensemble_own_cast():
    """``X_eval_float32`` spares a cast; a float64 or mis-shaped one is cast or replaced."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 4)) * 1e3
    y = (X[:, 0] + rng.normal(size=200) * 300 > 0).astype(np.int64)
    probas = []
    for given in (None, np.ascontiguousarray(X, np.float32), X, X[:10]):
        ensemble = IncrementalEnsemble(DecisionTreeClassifier(), X, X_eval_float32=given)
        for seed in range(3):
            ensemble.fit_member(
                X[seed * 50 : seed * 50 + 100], y[seed * 50 : seed * 50 + 100], seed
            )
        probas.append(ensemble.proba.copy())
    for proba in probas[1:]:
        np.testing.assert_array_equal(proba, probas[0])


def test_the_compiled_running_mean_is_numpys_bit_for_bit(monkeypatch):
    kernels = ensemble_module._step_kernels
    calls = []

    class Counting:
        """The compiled module, counting its running-mean calls."""

        def running_mean_add(self, *args):
            calls.append(args[2])
            return kernels.running_mean_add(*args)

    rng = np.random.default_rng(3)
    votes = [rng.integers(0, 8, 5000) / 7 for _ in range(10)]  # members' leaf fractions
    votes += [rng.random(5000) for _ in range(5)]
    monkeypatch.setattr(ensemble_module, "_step_kernels", Counting())
    compiled = IncrementalEnsemble(DecisionTreeClassifier(), np.zeros((5000, 1)))
    trajectory = []
    for v in votes:  # FixedVotes' column is a strided view, as predict_proba's are
        compiled.add(FixedVotes(v))
        trajectory.append(compiled.proba.copy())
    assert calls == list(range(1, 16))  # the compiled pass ran for every member
    monkeypatch.setattr(ensemble_module, "_step_kernels", None)
    plain = IncrementalEnsemble(DecisionTreeClassifier(), np.zeros((5000, 1)))
    for v, expected in zip(votes, trajectory, strict=True):
        plain.add(FixedVotes(v))
        assert plain.proba.tobytes() == expected.tobytes()
    assert plain._sum.tobytes() == compiled._sum.tobytes()


def test_a_member_whose_update_fails_is_not_counted():
    # a wrong-length column never reaches the compiled pass (its shape guard): numpy raises
    ensemble = IncrementalEnsemble(DecisionTreeClassifier(), np.zeros((3, 1)))
    ensemble.add(FixedVotes([0.5, 0.5, 0.5]))
    with pytest.raises(ValueError):
        ensemble._include(FixedVotes([0.0, 1.0]), np.array([0.0, 1.0]))  # two rows of three
    assert len(ensemble) == 1
    np.testing.assert_array_equal(ensemble.proba, [0.5, 0.5, 0.5])
