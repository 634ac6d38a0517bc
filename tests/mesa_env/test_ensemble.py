"""``Mesa-v0``: the MDP of the MesaEnv docstring, checked against the ecosystem's checkers."""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeClassifier

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
