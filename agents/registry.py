"""Name → agent table read by ``--algo``: SB3 learners and the non-learning reference policies.

Adding a fixed or tuned policy is one ``ReferencePolicy`` subclass plus one line in
:data:`REFERENCE_POLICIES`: ``make_agent``, ``meta_train``, checkpoints and ``load_sampler``
all read this table when called.
"""

from __future__ import annotations

from typing import Any

from agents.base import SamplerAgent
from agents.reference import ConstantPolicy, RandomPolicy, ReferencePolicy, SchedulePolicy
from agents.sb3_agents import SB3_ALGOS, SB3Agent, default_hyperparameters
from agents.tuned import TunedConstantPolicy, TunedSchedulePolicy

__all__ = ["AGENT_NAMES", "REFERENCE_POLICIES", "is_learning", "make_agent"]

REFERENCE_POLICIES: dict[str, type[ReferencePolicy]] = {
    "constant": ConstantPolicy,
    "random": RandomPolicy,
    "schedule": SchedulePolicy,
    "tuned-constant": TunedConstantPolicy,
    "tuned-schedule": TunedSchedulePolicy,
}
AGENT_NAMES: tuple[str, ...] = (*SB3_ALGOS, *REFERENCE_POLICIES)


def is_learning(algo: str) -> bool:
    """Whether ``algo`` trains a network (and so needs the [−1, 1]-rescaled env)."""
    _check_name(algo)
    return algo in SB3_ALGOS


def _check_name(algo: str) -> None:
    if algo not in SB3_ALGOS and algo not in REFERENCE_POLICIES:  # the tables as they are now
        names = (*SB3_ALGOS, *REFERENCE_POLICIES)
        raise ValueError(f"unknown agent {algo!r}; choose one of {', '.join(names)}")


def make_agent(
    algo: str,
    env: Any = None,
    *,
    hyperparameters: dict[str, Any] | None = None,
    total_timesteps: int = 1500,
    seed: int | None = None,
    tensorboard_log: str | None = None,
    verbose: int = 0,
) -> SamplerAgent:
    """Build agent ``algo``.

    SB3 agents need ``env`` (rescaled, see ``rescale_env``); reference policies take their
    parameters from ``hyperparameters`` (e.g. ``{"mu": 1.0}``).
    """
    _check_name(algo)
    hyperparameters = dict(hyperparameters or {})
    if algo in REFERENCE_POLICIES:
        if algo == "random":
            hyperparameters.setdefault("seed", seed)
        try:
            return REFERENCE_POLICIES[algo](**hyperparameters)
        except TypeError as exc:
            raise ValueError(f"bad parameter for {algo}: {exc}") from None
    if env is None:
        raise ValueError(f"agent {algo!r} learns: pass the (rescaled) environment to train on")
    if not hyperparameters:  # the preset, fitted to the env's episode length
        k = env.get_attr("n_estimators")[0] if hasattr(env, "get_attr") else None
        k = k if k is not None else getattr(env.unwrapped, "n_estimators", 10)
        hyperparameters = default_hyperparameters(algo, getattr(env, "num_envs", 1), k)
    return SB3Agent.create(
        algo,
        env,
        hyperparameters,
        total_timesteps=total_timesteps,
        seed=seed,
        tensorboard_log=tensorboard_log,
        verbose=verbose,
    )
