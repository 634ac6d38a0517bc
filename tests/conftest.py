"""Shared fixtures: small imbalanced problems so the whole suite stays fast.

``make_classification(weights=[0.9], random_state=0)`` is the ecosystem's toy imbalanced set
(imbalanced-learn's tests use the same); ``digits`` is the offline real dataset (IR ≈ 9).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification

from mesa_env import MesaEnv


@pytest.fixture(scope="session")
def xy() -> tuple[np.ndarray, np.ndarray]:
    """600 rows, 5 features, 10 % minority: |P| ≈ 36 in the training split."""
    return make_classification(
        n_samples=600, n_features=5, n_informative=3, weights=[0.9], random_state=0
    )


@pytest.fixture
def make_env(xy: tuple[np.ndarray, np.ndarray]) -> Callable[..., MesaEnv]:
    """Factory for a small env: the ``xy`` problem and 4 learners unless told otherwise."""

    def factory(**kwargs: Any) -> MesaEnv:
        kwargs.setdefault("dataset", xy)
        kwargs.setdefault("n_estimators", 4)
        return MesaEnv(**kwargs)

    return factory
