"""The one interface every sampler agent shares, learning or not.

``predict`` always answers in the environment's own action space, μ ∈ [0, 1], whatever the
agent uses internally (SB3 agents act on [−1, 1]); scripts and evaluation never need to know which
agent they hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Agent", "as_batch"]


@runtime_checkable
class Agent(Protocol):
    """What ``train_sampler.py``, ``evaluate.py`` and ``MesaClassifier`` rely on."""

    algo: str

    def learn(self, total_timesteps: int, **kwargs: Any) -> Agent:
        """Meta-train for ``total_timesteps`` environment steps (a no-op for fixed policies)."""
        ...

    def predict(
        self, observation: np.ndarray, deterministic: bool = True
    ) -> tuple[np.ndarray, None]:
        """μ for one observation (shape (1,)) or a batch (shape (n, 1)), SB3-style tuple."""
        ...

    def save(self, path: str | Path) -> None:
        """Write the agent so that ``load`` restores the same actions."""
        ...


def as_batch(observation: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return observations as a 2-D batch and whether the input was a single observation."""
    obs = np.asarray(observation, dtype=np.float32)
    if obs.ndim == 1:
        return obs[None, :], True
    if obs.ndim != 2:
        raise ValueError(f"observation must be 1-D or a 2-D batch; got shape {obs.shape}")
    return obs, False
