"""``tuned-constant``: the cheapest sampler that is not a guess — one μ chosen on validation.

A constant μ is a strong meta-sampling policy (``shared/specs/baselines-measured-facts.md``);
picking it from a grid by the final ensemble's validation score on the training task costs a
few ensembles and no RL. Any learned sampler should be compared with it side by side.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.reference import ReferencePolicy
from agents.rollout import run_episode

__all__ = ["TunedConstantPolicy"]


class TunedConstantPolicy(ReferencePolicy):
    """Constant μ, picked from ``grid`` by mean validation score over ``n_episodes`` ensembles.

    Before tuning it answers ``mu`` (default 0.5). ``scores_`` maps each μ tried to its mean
    validation score.
    """

    algo = "tuned-constant"

    def __init__(
        self,
        grid: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0),
        n_episodes: int = 3,
        n_estimators: int = 10,
        random_state: int | None = 0,
        mu: float = 0.5,
    ) -> None:
        if not grid or any(not 0.0 <= g <= 1.0 for g in grid):
            raise ValueError(f"grid must be non-empty values in [0, 1]; got {grid}")
        self.grid = tuple(float(g) for g in grid)
        self.n_episodes = int(n_episodes)
        self.n_estimators = int(n_estimators)
        self.random_state = random_state
        self.mu = float(mu)
        self.scores_: dict[float, float] = {}

    def params(self) -> dict[str, Any]:
        return {
            "grid": list(self.grid),
            "n_episodes": self.n_episodes,
            "n_estimators": self.n_estimators,
            "random_state": self.random_state,
            "mu": self.mu,
        }

    def _mu(self, batch: np.ndarray) -> np.ndarray:
        return np.full(batch.shape[0], self.mu)

    def fit_env(self, env: Any) -> TunedConstantPolicy:
        """Tune μ on every task of a ``MesaEnv`` (not rescaled): best mean validation score."""
        from agents.reference import ConstantPolicy

        seed = 0 if self.random_state is None else int(self.random_state)
        for mu in self.grid:
            policy = ConstantPolicy(mu)
            scores = [
                run_episode(env, policy, seed=seed + e, options={"task": t})[0]["valid_score"]
                for t in range(len(env.tasks))
                for e in range(self.n_episodes)
            ]
            self.scores_[mu] = float(np.mean(scores))
        self.mu = max(self.grid, key=lambda m: (self.scores_[m], m))
        return self

    def fit_task(self, task: Any, base_estimator: Any = None) -> TunedConstantPolicy:
        """Tune μ on one split ``Task`` (its train and validation parts only)."""
        from mesa_env import MesaEnv

        env = MesaEnv(
            dataset=(task.X_train, task.y_train, task.X_valid, task.y_valid),
            base_estimator=base_estimator,
            n_estimators=self.n_estimators,
        )
        return self.fit_env(env)

    def learn(self, total_timesteps: int = 0, env: Any = None, **kwargs: Any) -> Any:
        """With ``env`` (a MesaEnv), tune μ on it; otherwise keep the current μ."""
        return self.fit_env(env) if env is not None else self
