"""``tuned-constant``: the cheapest sampler that is not a guess — one μ chosen on validation.

A constant μ is a strong meta-sampling policy (``docs/baselines.md``);
picking it from a grid by the final ensemble's validation score on the training task costs a
few ensembles and no RL. Any learned sampler should be compared with it side by side.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from agents.reference import ReferencePolicy
from agents.rollout import run_episode

__all__ = ["TunedConstantPolicy", "TunedSchedulePolicy"]


class TunedConstantPolicy(ReferencePolicy):
    """Constant μ, picked from ``grid`` by mean validation score over ``n_episodes`` ensembles.

    Before tuning it answers ``mu`` (default 0.5). ``scores_`` maps each μ tried to its mean
    validation score.
    """

    algo = "tuned-constant"
    needs_tuning = True

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
        """JSON-able constructor parameters, with the tuned ``mu``."""
        return {
            "grid": list(self.grid),
            "n_episodes": self.n_episodes,
            "n_estimators": self.n_estimators,
            "random_state": self.random_state,
            "mu": self.mu,
        }

    def _mu(self, batch: np.ndarray) -> np.ndarray:
        return np.full(batch.shape[0], self.mu)

    def candidates(self) -> dict[Any, Any]:
        """Candidate key → the fixed policy it stands for."""
        from agents.reference import ConstantPolicy

        return {mu: ConstantPolicy(mu) for mu in self.grid}

    def adopt(self, key: Any) -> None:
        """Answer like the winning candidate from now on."""
        self.mu = float(key)

    def fit(self, env: Any) -> TunedConstantPolicy:
        """Tune on every task of a ``MesaEnv`` (not rescaled): best mean validation score.

        Ties go to the later candidate (for μ: the larger one).
        """
        seed = 0 if self.random_state is None else int(self.random_state)
        candidates = self.candidates()
        for key, policy in candidates.items():
            scores = [
                run_episode(env, policy, seed=seed + e, options={"task": t})[0]["valid_score"]
                for t in range(len(env.tasks))
                for e in range(self.n_episodes)
            ]
            self.scores_[key] = float(np.mean(scores))
        order = list(candidates)
        self.adopt(max(order, key=lambda k: (self.scores_[k], order.index(k))))
        return self

    def task_env(self, task: Any, base_estimator: Any = None) -> Any:
        """A ``MesaEnv`` on one split ``Task``'s train and validation parts, to :meth:`fit` on."""
        from mesa_env import MesaEnv

        return MesaEnv(
            dataset=(task.X_train, task.y_train, task.X_valid, task.y_valid),
            estimator=base_estimator,
            n_estimators=self.n_estimators,
        )

    def fit_env(self, env: Any) -> TunedConstantPolicy:
        """Deprecated: use :meth:`fit`."""
        warnings.warn("fit_env is deprecated; use fit(env)", DeprecationWarning, stacklevel=2)
        return self.fit(env)

    def fit_task(self, task: Any, base_estimator: Any = None) -> TunedConstantPolicy:
        """Deprecated: use ``fit(task_env(task, base_estimator))``."""
        warnings.warn(
            "fit_task is deprecated; use fit(task_env(task, base_estimator))",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.fit(self.task_env(task, base_estimator))

    def learn(self, total_timesteps: int = 0, env: Any = None, **kwargs: Any) -> Any:
        """Deprecated with ``env``: use :meth:`fit`. Without it, keep the current μ."""
        if env is None:
            return self
        warnings.warn(
            "learn(env=...) is deprecated; use fit(env)", DeprecationWarning, stacklevel=2
        )
        return self.fit(env)


class TunedSchedulePolicy(TunedConstantPolicy):
    """μ moving linearly from a to b over the episode, (a, b) picked from ``grid``² on validation.

    Before tuning it answers the schedule ``start`` → ``end`` (default 0.5 → 0.5).
    """

    algo = "tuned-schedule"

    def __init__(
        self,
        grid: tuple[float, ...] = (0.0, 0.5, 1.0),
        n_episodes: int = 3,
        n_estimators: int = 10,
        random_state: int | None = 0,
        start: float = 0.5,
        end: float = 0.5,
    ) -> None:
        super().__init__(grid, n_episodes, n_estimators, random_state)
        from agents.reference import SchedulePolicy

        self.schedule = SchedulePolicy(start, end, n_estimators)

    def params(self) -> dict[str, Any]:
        """JSON-able constructor parameters, with the tuned ``start`` and ``end``."""
        params = super().params()
        del params["mu"]
        return {**params, "start": self.schedule.start, "end": self.schedule.end}

    def candidates(self) -> dict[Any, Any]:
        """Every ``(start, end)`` pair of ``grid`` values → its :class:`SchedulePolicy`."""
        from agents.reference import SchedulePolicy

        return {
            (a, b): SchedulePolicy(a, b, self.n_estimators) for a in self.grid for b in self.grid
        }

    def adopt(self, key: Any) -> None:
        """Use the schedule of the winning ``(start, end)`` pair ``key``."""
        from agents.reference import SchedulePolicy

        self.schedule = SchedulePolicy(key[0], key[1], self.n_estimators)

    def reset_episode(self) -> None:
        """Restart the schedule (see ``SchedulePolicy``)."""
        self.schedule.reset_episode()

    def _mu(self, batch: np.ndarray) -> np.ndarray:
        return self.schedule._mu(batch)
