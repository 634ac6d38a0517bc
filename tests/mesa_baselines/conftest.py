"""Fixtures shared by several modules of tests/mesa_baselines/."""

from __future__ import annotations

import pytest
from sklearn.datasets import make_classification


@pytest.fixture(scope="module")
def imbalanced():
    """540 majority / 60 minority examples, 20 features."""
    return make_classification(n_samples=600, weights=[0.9], random_state=0)


@pytest.fixture(scope="module")
def noisy():
    """IR ≈ 3.4 with label noise, so HEM finds hard and hardest examples of both classes."""
    return make_classification(300, n_features=6, weights=[0.8], flip_y=0.1, random_state=1)
