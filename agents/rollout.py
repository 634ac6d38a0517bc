"""Build one MESA ensemble with a sampler: Algorithm 2 driven through the environment."""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.base import as_agent

__all__ = ["run_episode", "sampler_action"]


def run_episode(
    env: Any, sampler: Any, seed: int | None = None, options: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[float]]:
    """Play one episode of ``MesaEnv`` (not rescaled) with ``sampler.predict`` answering μ.

    ``sampler`` is a ``SamplerAgent`` (or any object with ``predict``, see ``as_agent``); its
    ``reset_episode`` is called before the first step. Returns the final step's ``info``
    (scores of the finished ensemble) and the μ chosen at each step.
    """
    obs, info = env.reset(seed=seed, options=options)
    as_agent(sampler).reset_episode()
    mus: list[float] = []
    terminated = truncated = False
    while not (terminated or truncated):
        obs, _, terminated, truncated, info = env.step(sampler_action(sampler, obs))
        mus.append(float(info["mu"]))
    return info, mus


def sampler_action(sampler: Any, obs: np.ndarray) -> np.ndarray:
    """The sampler's μ for one observation, checked.

    The answer must be a ``(μ, state)`` pair holding one real number. Anything else is the
    sampler's bug, reported as such rather than as a reshape error inside the environment.
    """
    answer = sampler.predict(obs, deterministic=True)
    if not isinstance(answer, tuple) or len(answer) != 2:
        raise TypeError(
            f"{type(sampler).__name__}.predict must return (mu, state) as SB3 policies do; "
            f"got {type(answer).__name__} {answer!r:.80}"
        )
    mu = np.asarray(answer[0])
    if mu.size != 1 or mu.dtype.kind not in "biuf":  # no strings, objects or complex numbers
        raise ValueError(
            f"{type(sampler).__name__}.predict must return one real μ per observation; "
            f"got {answer[0]!r:.80}"
        )
    return mu.astype(np.float32).reshape(1)
