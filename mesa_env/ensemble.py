"""The ensemble F_t = (1/t) Σ f_i (Algorithm 2, line 3), kept as cached running means.

Predictions on every evaluation row (train, valid and test, stacked) are updated incrementally
when a member joins, so a step costs one ``fit`` and one ``predict_proba`` whatever the ensemble
size. Members are clones of one scikit-learn classifier, each with its own derived seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier

__all__ = ["IncrementalEnsemble", "check_base_estimator"]


def check_base_estimator(estimator: Any) -> Any:
    """Default to a full-depth decision tree (the paper's base learner); refuse non-classifiers."""
    if estimator is None:
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier()
    if isinstance(estimator, type):
        raise TypeError(
            f"base_estimator must be an instance, e.g. {estimator.__name__}(), not the class"
        )
    if not hasattr(estimator, "fit") or not is_classifier(estimator):
        raise TypeError(
            f"base_estimator must be a scikit-learn classifier; got {type(estimator).__name__}"
        )
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"base_estimator {type(estimator).__name__} has no predict_proba; MESA averages "
            "probabilities (e.g. use SVC(probability=True))"
        )
    return estimator


class IncrementalEnsemble:
    """Running-mean ensemble of base classifiers with cached positive-class probabilities.

    ``X_eval`` stacks every row whose ensemble prediction is tracked; ``proba`` holds F_t on
    them after ``t`` members. Labels are 0/1 with 1 the positive (minority) class.
    """

    def __init__(self, base_estimator: Any, X_eval: np.ndarray) -> None:
        self.base_estimator = base_estimator
        self.X_eval = X_eval
        self.estimators: list[Any] = []
        self.proba = np.zeros(X_eval.shape[0])
        self._seeded = "random_state" in base_estimator.get_params()

    def __len__(self) -> int:
        return len(self.estimators)

    def fit_member(self, X: np.ndarray, y: np.ndarray, seed: int) -> Any:
        """Fit one clone of the base learner with its derived seed, and add it."""
        member = clone(self.base_estimator)
        if self._seeded:
            member.set_params(random_state=seed)
        member.fit(X, y)
        self.add(member)
        return member

    def add(self, member: Any) -> None:
        """Fold a fitted member into the running mean: F_{t+1} = F_t + (f − F_t)/(t + 1)."""
        column = int(np.flatnonzero(member.classes_ == 1)[0])
        p = member.predict_proba(self.X_eval)[:, column]
        self.estimators.append(member)
        self.proba += (p - self.proba) / len(self.estimators)
