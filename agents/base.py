"""The one agent interface: :class:`SamplerAgent`, and the batching every ``predict`` shares.

Every agent (SB3 learners, reference and tuned policies, loaded sampler files) derives from
:class:`SamplerAgent` and answers in the environment's own action space, μ ∈ [0, 1], whatever
it uses internally (SB3 agents act on [−1, 1]), for one observation or a batch. Callers tell
agents apart by the interface's class attributes (:attr:`SamplerAgent.is_learning`,
:attr:`SamplerAgent.needs_tuning`), never by probing for methods. Adding an agent is one
subclass plus one line in ``agents.registry``.

An abstract base class rather than a ``typing.Protocol``: the interface has defaults
(``reset_episode``, ``fit``, ``training_files``, ``metadata``) that every fixed policy shares,
and ``isinstance`` then means "implements all of it", not "has a ``predict``". Third-party
samplers that only have ``predict`` (``MesaClassifier`` accepts them) are adapted at the one
place that plays episodes, :func:`as_agent`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

__all__ = ["SamplerAgent", "as_agent", "as_batch"]


def as_batch(observation: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return observations as a 2-D batch and whether the input was a single observation."""
    obs = np.asarray(observation, dtype=np.float32)
    if obs.ndim == 1:
        return obs[None, :], True
    if obs.ndim != 2:
        raise ValueError(f"observation must be 1-D or a 2-D batch; got shape {obs.shape}")
    return obs, False


class SamplerAgent(ABC):
    """What every agent is: ``make_agent`` and ``load_sampler`` return one.

    - ``predict(obs, deterministic=True) -> (μ, None)``: μ of shape (1,) for one observation,
      (n, 1) for a batch, in [0, 1].
    - ``reset_episode()``: called before every episode (no-op unless the agent counts steps).
    - ``fit(env) -> self``: the one tuning entry point, on a ``MesaEnv`` that is not rescaled.
      A no-op for fixed policies; tuned policies pick their parameters on validation. SB3
      agents train with SB3's ``learn(total_timesteps, ...)`` on the env they were built with
      (``agents.meta_train``); their ``fit`` refuses with that hint.
    - ``checkpoint_state() -> (policy_spec, state_dict)``: what a sampler file stores to
      rebuild the policy (``agents.sampler_file``); ``training_files()``: writers of the
      trusted files that resume training (an SB3 zip and replay buffer), empty by default.
    - ``metadata``: what the agent was trained on and under which environment settings
      (``meta_train`` sets it; a loaded sampler has its file's); empty until then.
    """

    #: The name ``--algo`` and the registry know the agent by.
    algo: str = ""
    #: Trains a network on the [−1, 1]-rescaled env with ``learn`` (SB3 agents).
    is_learning: ClassVar[bool] = False
    #: ``fit(env)`` tunes it on validation data: call it before use (tuned policies, which
    #: record the score of every candidate tried in ``scores_``, empty until fitted).
    needs_tuning: ClassVar[bool] = False
    #: Hyper-parameters a checkpoint records when its metadata names none.
    hyperparameters: Mapping[str, Any] = MappingProxyType({})
    #: Training metadata (``meta_train`` sets it on the agent it returns; see ``TrainResult``).
    metadata: Mapping[str, Any] = MappingProxyType({})

    @abstractmethod
    def predict(
        self, observation: np.ndarray, deterministic: bool = True
    ) -> tuple[np.ndarray, None]:
        """μ in [0, 1]: shape (1,) for one observation, (n, 1) for a batch."""

    def reset_episode(self) -> None:  # noqa: B027 (a no-op by default, not abstract)
        """Start a new episode (policies that count their steps restart here)."""

    def fit(self, env: Any) -> SamplerAgent:
        """Tune on ``env`` (a ``MesaEnv``, not rescaled); fixed policies have nothing to tune."""
        return self

    @abstractmethod
    def checkpoint_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(policy_spec, state_dict)``: the metadata's ``"policy"`` entry and the weights."""

    def training_files(self) -> dict[str, Callable[[Any], Any]]:
        """Checkpoint member (``"model"``, ``"replay"``) → ``write(handle)``; none by default."""
        return {}


class _ForeignAgent(SamplerAgent):
    """A sampler from outside the hierarchy that has ``predict`` (and maybe ``reset_episode``)."""

    algo = "foreign"

    def __init__(self, sampler: Any) -> None:
        self.sampler = sampler
        self.metadata = getattr(sampler, "metadata", None) or {}

    def predict(
        self, observation: np.ndarray, deterministic: bool = True
    ) -> tuple[np.ndarray, None]:
        return self.sampler.predict(observation, deterministic=deterministic)

    def reset_episode(self) -> None:
        reset = getattr(self.sampler, "reset_episode", None)
        if callable(reset):
            reset()

    def checkpoint_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        raise TypeError(f"{type(self.sampler).__name__} is not a SamplerAgent: cannot save it")


def as_agent(sampler: Any) -> SamplerAgent:
    """Return ``sampler`` as a :class:`SamplerAgent`.

    ``sampler`` itself when it is a :class:`SamplerAgent`; otherwise an adapter giving a
    duck-typed sampler (any object with ``predict``) the interface's ``reset_episode``.
    """
    return sampler if isinstance(sampler, SamplerAgent) else _ForeignAgent(sampler)
