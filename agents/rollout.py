"""Build one MESA ensemble with a sampler: Algorithm 2 driven through the environment."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["run_episode"]


def run_episode(
    env: Any, sampler: Any, seed: int | None = None, options: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[float]]:
    """Play one episode of ``MesaEnv`` (not rescaled) with ``sampler.predict`` answering μ.

    Returns the final step's ``info`` (scores of the finished ensemble) and the μ chosen at
    each step.
    """
    obs, info = env.reset(seed=seed, options=options)
    if hasattr(sampler, "reset_episode"):  # policies that count their steps
        sampler.reset_episode()
    mus: list[float] = []
    terminated = truncated = False
    while not (terminated or truncated):
        mu, _ = sampler.predict(obs, deterministic=True)
        mu = np.asarray(mu, dtype=np.float32).reshape(1)
        obs, _, terminated, truncated, info = env.step(mu)
        mus.append(float(info["mu"]))
    return info, mus
