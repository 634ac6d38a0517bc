"""Non-learning samplers: the yardsticks a learned meta-sampler has to beat.

``constant`` always answers the same μ (μ = 1 is a strong policy on real data, see
``docs/baselines.md``, "A constant μ is a strong meta-sampler"); ``random`` draws μ uniformly,
the paper's "random policy" ablation in spirit (Table 6). They share the agent interface, so
every script that takes ``--algo`` takes them too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from agents.base import SamplerAgent, as_batch

__all__ = ["ConstantPolicy", "RandomPolicy", "ReferencePolicy"]


class ReferencePolicy(SamplerAgent):
    """Base of fixed policies: ``learn`` does nothing, parameters are plain JSON.

    A new fixed policy is a subclass with ``algo``, ``params`` and ``_mu`` plus one line in
    ``agents.registry.REFERENCE_POLICIES``; training, checkpoints and sampler files follow.
    """

    algo = "reference"

    def learn(self, total_timesteps: int = 0, **kwargs: Any) -> ReferencePolicy:
        """Nothing to learn: return self so ``agent.learn(...)`` chains as for SB3."""
        return self

    def params(self) -> dict[str, Any]:
        """JSON-able constructor parameters (what a sampler file stores)."""
        raise NotImplementedError

    def _mu(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict(
        self, observation: np.ndarray, deterministic: bool = True
    ) -> tuple[np.ndarray, None]:
        """μ in [0, 1] of shape (1,) for one observation or (n, 1) for a batch."""
        batch, single = as_batch(observation)
        mu = self._mu(batch).astype(np.float32).reshape(-1, 1)
        return (mu[0] if single else mu), None

    def checkpoint_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Parameters only: a sampler file rebuilds the policy from them, with no weights."""
        return {"kind": "reference", "params": self.params()}, {}

    def save(self, path: str | Path) -> None:
        """Write the parameters as JSON."""
        Path(path).write_text(json.dumps({"algo": self.algo, "params": self.params()}))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


class ConstantPolicy(ReferencePolicy):
    """Always μ = ``mu``: the same meta-sampling bias at every ensemble step."""

    algo = "constant"

    def __init__(self, mu: float = 0.5) -> None:
        if not 0.0 <= float(mu) <= 1.0:
            raise ValueError(f"mu must be in [0, 1]; got {mu}")
        self.mu = float(mu)

    def params(self) -> dict[str, Any]:
        """JSON-able constructor parameters: ``{"mu": mu}``."""
        return {"mu": self.mu}

    def _mu(self, batch: np.ndarray) -> np.ndarray:
        return np.full(batch.shape[0], self.mu)


class RandomPolicy(ReferencePolicy):
    """μ ~ U(0, 1) at every step, from its own seeded generator."""

    algo = "random"

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def params(self) -> dict[str, Any]:
        """JSON-able constructor parameters: ``{"seed": seed}``."""
        return {"seed": self.seed}

    def _mu(self, batch: np.ndarray) -> np.ndarray:
        return self._rng.random(batch.shape[0])


class SchedulePolicy(ReferencePolicy):
    """μ moves linearly from ``start`` to ``end`` over the k − 1 steps of an episode.

    The step comes from the observation's progress entry t/k when the env has
    ``progress_obs=True``; otherwise the policy counts its calls, and whoever plays an episode
    calls :meth:`reset_episode` first (``run_episode`` and ``MesaClassifier`` do).
    """

    algo = "schedule"

    def __init__(self, start: float = 0.0, end: float = 1.0, n_estimators: int = 10) -> None:
        for name, value in (("start", start), ("end", end)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]; got {value}")
        if n_estimators < 2:
            raise ValueError(f"n_estimators must be >= 2; got {n_estimators}")
        self.start, self.end, self.n_estimators = float(start), float(end), int(n_estimators)
        self._step = 0

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "n_estimators": self.n_estimators}

    def reset_episode(self) -> None:
        """Start counting steps from the first again."""
        self._step = 0

    def _mu(self, batch: np.ndarray) -> np.ndarray:
        steps = self.n_estimators - 1
        if batch.shape[1] % 2 == 1:  # progress_obs: last entry is t/k, t = 1 … k − 1
            t = np.rint(batch[:, -1] * self.n_estimators) - 1
        else:
            t = np.full(batch.shape[0], self._step % steps)
            self._step += 1
        fraction = np.clip(t / max(steps - 1, 1), 0.0, 1.0)
        return self.start + (self.end - self.start) * fraction
