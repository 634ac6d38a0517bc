"""Stable-Baselines3 (and sb3-contrib) agents as meta-samplers, with the paper's SAC preset.

SB3's Gaussian policies are centred and scaled for actions in [−1, 1], so every SB3 agent acts on
the environment through ``RescaleAction(env, −1, 1)``; :class:`SB3Agent` maps its answers back to
μ ∈ [0, 1], so callers only ever see the paper's action space.
"""

from __future__ import annotations

import copy
import importlib
import math
import numbers
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import SamplerAgent, as_batch

__all__ = [
    "SB3_ALGOS",
    "SB3Agent",
    "StepDecaySchedule",
    "algo_class",
    "check_hyperparameters",
    "default_hyperparameters",
    "policy_weights",
    "rescale_env",
    "to_mu",
    "warmup_steps",
]

#: name → (module, class). Heavy imports happen only when an agent is built or loaded.
SB3_ALGOS: dict[str, tuple[str, str]] = {
    "sac": ("agents.fast_sac", "FastSAC"),  # SB3 SAC with a leaner, bit-identical update
    "td3": ("stable_baselines3", "TD3"),
    "ddpg": ("stable_baselines3", "DDPG"),
    "ppo": ("stable_baselines3", "PPO"),
    "a2c": ("stable_baselines3", "A2C"),
    "tqc": ("sb3_contrib", "TQC"),
    "crossq": ("sb3_contrib", "CrossQ"),
}
ON_POLICY = ("ppo", "a2c")

#: Keys of our hyper-parameter dicts that are not SB3 arguments but turn into one.
_DERIVED_KEYS = ("lr_decay", "lr_decay_every", "action_noise_sigma")


def policy_weights(algo: str, state_dict: dict[str, Any]) -> dict[str, Any]:
    """The weights that define ``algo``'s deterministic policy, from its full ``state_dict``.

    All of them for on-policy agents (PPO/A2C share one module), the actor's (``actor.*``) for
    off-policy ones, whose critics play no part in μ. What a sampler file stores and needs.
    """
    if algo in ON_POLICY:
        return dict(state_dict)
    return {k: v for k, v in state_dict.items() if k.startswith("actor.")}


def algo_class(algo: str) -> type:
    """The SB3 algorithm class for ``algo`` (imported on first use)."""
    if algo not in SB3_ALGOS:
        raise ValueError(f"unknown SB3 algorithm {algo!r}; choose one of {sorted(SB3_ALGOS)}")
    module, name = SB3_ALGOS[algo]
    return getattr(importlib.import_module(module), name)


class StepDecaySchedule:
    """Learning rate ``initial · decay^⌊updates / every⌋`` (paper Table 9: ×0.99 every 10 updates).

    SB3 calls a schedule with the remaining progress; with one gradient update per transition after
    ``learning_starts`` (train_freq 1), the updates done so far are ``timesteps − learning_starts``.
    A module-level class, so SB3 can pickle it into its checkpoint.
    """

    def __init__(
        self,
        initial: float,
        decay: float,
        every: int,
        learning_starts: int,
        total_timesteps: int,
    ) -> None:
        self.initial = float(initial)
        self.decay = float(decay)
        self.every = int(every)
        self.learning_starts = int(learning_starts)
        self.total_timesteps = int(total_timesteps)

    def __call__(self, progress_remaining: float) -> float:
        """The learning rate when ``progress_remaining`` (SB3's 1 → 0) of training is left."""
        timesteps = round((1.0 - progress_remaining) * self.total_timesteps)
        updates = max(0, timesteps - self.learning_starts)
        return self.initial * self.decay ** (updates // self.every)

    def __repr__(self) -> str:
        return (
            f"StepDecaySchedule({self.initial}, decay={self.decay}, every={self.every}, "
            f"learning_starts={self.learning_starts}, total={self.total_timesteps})"
        )


def default_hyperparameters(algo: str, n_envs: int = 1, n_estimators: int = 10) -> dict[str, Any]:
    """JSON-able preset per algorithm; the SAC one is the paper's Tables 9–10 on SB3.

    Off-policy agents follow Algorithm 3: collect one episode (k − 1 steps, in every parallel
    env), then do one gradient update per transition collected (``train_freq=(k − 1, "step")``,
    ``gradient_steps=-1``; SB3's episode unit refuses parallel envs, and episodes have a fixed
    length). Parallel environments change wall time, not the update budget; batching the
    updates per episode saves SB3's per-call overhead (``benchmarks/meta_train.py``). A run
    ends at the first episode boundary at or after its budget, as PPO's rollouts do.
    ``n_envs`` is kept for presets that depend on it.
    """
    episode = n_estimators - 1
    off_policy = {
        "learning_rate": 1e-3,
        "buffer_size": 1000,  # Table 9: replay memory 1e3
        "learning_starts": 500,  # Table 9: 5e2 steps of random actions
        "batch_size": 64,
        "gamma": 0.99,
        "tau": 0.01,
        "train_freq": [episode, "step"],  # Alg. 3 lines 3–9: an episode, then its updates
        "gradient_steps": -1,  # one update per transition collected
        # fused Adam: one kernel per step instead of a Python loop over parameters; 23 % less
        # agent time on the preset's tiny networks (benchmarks/meta_train.py). CPU: torch ≥ 2.4.
        "policy_kwargs": {
            "net_arch": {"pi": [50], "qf": [50, 50]},
            "optimizer_kwargs": {"fused": True},
        },
    }
    if algo == "sac":
        # Table 9: fixed temperature 0.1; lr 1e-3 decayed ×0.99 every 10 updates. Table 9 says
        # γ = 0.99, but the original code's inverted done-mask made its critic nearly myopic;
        # measured on digits and the three toy sets (3 seeds each, README "SAC preset"), γ = 0
        # scored 0.653 mean test AUCPRC against 0.645 for γ = 0.99, so the preset keeps γ = 0.
        return {**off_policy, "gamma": 0.0, "ent_coef": 0.1, "lr_decay": 0.99, "lr_decay_every": 10}
    if algo == "tqc":
        return {**off_policy, "ent_coef": 0.1, "lr_decay": 0.99, "lr_decay_every": 10}
    if algo in ("td3", "ddpg"):
        return {**off_policy, "action_noise_sigma": 0.1}
    if algo == "crossq":
        crossq = {k: v for k, v in off_policy.items() if k != "tau"}  # CrossQ has no target net
        crossq["policy_kwargs"] = {
            "net_arch": {"pi": [50], "qf": [50, 50]},
            "optimizer_kwargs": {"fused": True},
        }
        return {**crossq, "ent_coef": 0.1}
    if algo == "ppo":
        # Ten episodes per rollout and env: fits the paper's 1,500-step budget with ~15 updates.
        return {
            "learning_rate": 1e-3,
            "n_steps": 10 * episode,
            "batch_size": 5 * episode,
            "n_epochs": 10,
            "gamma": 0.99,
            "policy_kwargs": {"net_arch": {"pi": [50], "vf": [50, 50]}},
        }
    if algo == "a2c":
        return {
            "learning_rate": 1e-3,
            "n_steps": episode,
            "gamma": 0.99,
            "policy_kwargs": {"net_arch": {"pi": [50], "vf": [50, 50]}},
        }
    raise ValueError(f"unknown SB3 algorithm {algo!r}; choose one of {sorted(SB3_ALGOS)}")


#: Numeric hyper-parameters and the interval they must lie in: (integer?, low, high, low is open).
#: Values outside fail here with the key named, not as an empty batch or an error deep in SB3.
_NUMERIC_RULES: dict[str, tuple[bool, float, float, bool]] = {
    "learning_rate": (False, 0.0, math.inf, True),
    "buffer_size": (True, 1, math.inf, False),
    "learning_starts": (True, 0, math.inf, False),
    "batch_size": (True, 1, math.inf, False),
    "gamma": (False, 0.0, 1.0, False),
    "tau": (False, 0.0, 1.0, True),
    "lr_decay": (False, 0.0, 1.0, True),
    "lr_decay_every": (True, 1, math.inf, False),
    "action_noise_sigma": (False, 0.0, math.inf, False),
    "n_steps": (True, 1, math.inf, False),
    "n_epochs": (True, 1, math.inf, False),
    "gae_lambda": (False, 0.0, 1.0, False),
    "vf_coef": (False, 0.0, math.inf, False),
    "max_grad_norm": (False, 0.0, math.inf, True),
    "policy_delay": (True, 1, math.inf, False),
}


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_numeric(algo: str, key: str, value: Any) -> None:
    """Refuse ``value`` unless it is a number of the kind and in the interval ``key`` needs."""
    integer, low, high, open_low = _NUMERIC_RULES[key]
    kind = "an integer" if integer else "a number"
    ok = (
        (isinstance(value, numbers.Integral) and not isinstance(value, bool))
        if integer
        else _is_real(value) and math.isfinite(value)
    )
    inside = ok and (value > low if open_low else value >= low) and value <= high
    if not inside:
        bound = f"{'(' if open_low else '['}{low}, {high}{']' if high < math.inf else ')'}"
        raise ValueError(f"{algo} hyper-parameter {key} must be {kind} in {bound}; got {value!r}")


def _check_train_freq(freq: Any) -> None:
    """Refuse a ``train_freq`` that is not an integer >= 1 or ``[n, 'step'|'episode']``."""
    count = freq[0] if isinstance(freq, (list, tuple)) and len(freq) == 2 else freq
    unit = freq[1] if isinstance(freq, (list, tuple)) and len(freq) == 2 else "step"
    if (
        not isinstance(count, int)
        or isinstance(count, bool)
        or count < 1
        or unit not in ("step", "episode")
    ):
        raise ValueError(
            f"train_freq must be an integer >= 1 or [n, 'step'|'episode']; got {freq!r}"
        )


def check_hyperparameters(algo: str, hyperparameters: dict[str, Any]) -> None:
    """Refuse hyper-parameter values SB3 would accept silently or fail on deep inside.

    ``--hp batch_size=0`` once "trained" on empty batches; ``--hp gamma=abc`` failed inside
    SB3. Every known numeric key must be a finite number of the right kind in its interval;
    ``train_freq``/``gradient_steps``/``ent_coef``/``policy_kwargs`` get their own checks.
    """
    for key, value in hyperparameters.items():
        if key in _NUMERIC_RULES:
            _check_numeric(algo, key, value)
    steps = hyperparameters.get("gradient_steps")
    if steps is not None and (
        not isinstance(steps, int) or isinstance(steps, bool) or (steps < 1 and steps != -1)
    ):
        raise ValueError(f"gradient_steps must be an integer >= 1 (or -1); got {steps!r}")
    freq = hyperparameters.get("train_freq")
    if freq is not None:
        _check_train_freq(freq)
    ent = hyperparameters.get("ent_coef")
    if ent is not None and not (
        (_is_real(ent) and math.isfinite(ent) and ent >= 0)
        or (isinstance(ent, str) and ent.startswith("auto"))
    ):
        raise ValueError(f"ent_coef must be a number >= 0 or 'auto[_<init>]'; got {ent!r}")
    policy_kwargs = hyperparameters.get("policy_kwargs", {})
    if not isinstance(policy_kwargs, dict):
        raise ValueError(f"policy_kwargs must be a mapping; got {policy_kwargs!r}")
    arch = policy_kwargs.get("net_arch", {})
    layers = arch.values() if isinstance(arch, dict) else [arch]
    for sizes in layers:
        if not isinstance(sizes, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes
        ):
            raise ValueError(
                f"policy_kwargs.net_arch must hold lists of positive layer sizes; got {arch!r}"
            )


def warmup_steps(algo: str, hyperparameters: dict[str, Any]) -> int:
    """Steps of random actions before an off-policy agent's first update (0 for on-policy)."""
    return 0 if algo in ON_POLICY else int(hyperparameters.get("learning_starts", 100))


def rescale_env(env: gym.Env) -> gym.Env:
    """Present μ ∈ [0, 1] to SB3 as [−1, 1], where its policies start centred."""
    space = env.action_space
    low = np.full(space.shape, -1.0, dtype=space.dtype)
    return gym.wrappers.RescaleAction(env, min_action=low, max_action=-low)


def to_mu(action: np.ndarray) -> np.ndarray:
    """Map an SB3 action in [−1, 1] back to the environment's μ ∈ [0, 1]."""
    return np.clip((np.asarray(action, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def _sb3_kwargs(
    algo: str, hyperparameters: dict[str, Any], total_timesteps: int, action_dim: int = 1
) -> dict[str, Any]:
    """Turn a JSON-able hyper-parameter dict into SB3 constructor arguments."""
    kwargs = {k: copy.deepcopy(v) for k, v in hyperparameters.items() if k not in _DERIVED_KEYS}
    if isinstance(kwargs.get("train_freq"), list):  # JSON has no tuples; SB3 wants (n, unit)
        kwargs["train_freq"] = tuple(kwargs["train_freq"])
    if "lr_decay" in hyperparameters:
        kwargs["learning_rate"] = StepDecaySchedule(
            hyperparameters["learning_rate"],
            hyperparameters["lr_decay"],
            hyperparameters.get("lr_decay_every", 10),
            hyperparameters.get("learning_starts", 0),
            total_timesteps,
        )
    if hyperparameters.get("action_noise_sigma"):
        from stable_baselines3.common.noise import NormalActionNoise

        sigma = float(hyperparameters["action_noise_sigma"])
        kwargs["action_noise"] = NormalActionNoise(
            np.zeros(action_dim), sigma * np.ones(action_dim)
        )
    return kwargs


def _quiet_logger(model: Any, verbose: int) -> None:
    """A logger that writes nowhere and makes no folder.

    SB3's default logger makes a /tmp/SB3-<date> folder per model even when it writes
    nothing there (evaluate.py meta-trains hundreds of models, ``--resume`` loads one).
    """
    from stable_baselines3.common.logger import Logger, make_output_format

    formats = [make_output_format("stdout", "")] if verbose else []
    model.set_logger(Logger(folder=None, output_formats=formats))


class SB3Agent(SamplerAgent):
    """An SB3 model behind the agent interface, answering μ ∈ [0, 1].

    It trains with SB3's ``learn(total_timesteps, ...)`` on the env it was built with (see
    ``agents.meta_train``), not with ``fit(env)``, which refuses.

    ``save`` writes SB3's own zip (optimizer state included, for ``--resume``). SB3 zips contain
    pickled objects: load them only from trusted sources; share samplers as sampler files
    (``agents.sampler_file``), which cannot run code.
    """

    is_learning = True

    def __init__(self, algo: str, model: Any, hyperparameters: dict[str, Any]) -> None:
        self.algo = algo
        self.model = model
        self.hyperparameters = hyperparameters

    @classmethod
    def create(
        cls,
        algo: str,
        env: Any,
        hyperparameters: dict[str, Any],
        total_timesteps: int,
        seed: int | None = None,
        tensorboard_log: str | None = None,
        verbose: int = 0,
    ) -> SB3Agent:
        """Build a fresh model on ``env`` (already wrapped by :func:`rescale_env`)."""
        check_hyperparameters(algo, hyperparameters)
        kwargs = _sb3_kwargs(algo, hyperparameters, total_timesteps)
        try:
            model = algo_class(algo)(
                "MlpPolicy",
                env,
                seed=seed,
                device="cpu",
                tensorboard_log=tensorboard_log,
                verbose=verbose,
                **kwargs,
            )
        except TypeError as exc:
            raise ValueError(f"bad hyper-parameter for {algo}: {exc}") from None
        if tensorboard_log is None:
            _quiet_logger(model, verbose)
        return cls(algo, model, hyperparameters)

    @classmethod
    def load(
        cls,
        path: str | Path,
        algo: str,
        hyperparameters: dict[str, Any],
        env: Any = None,
        total_timesteps: int | None = None,
    ) -> SB3Agent:
        """Load a full SB3 checkpoint (TRUSTED FILES ONLY: SB3 unpickles parts of it).

        ``total_timesteps`` re-targets the learning-rate schedule when training continues.
        """
        custom = {}
        if total_timesteps is not None and "lr_decay" in hyperparameters:
            schedule = _sb3_kwargs(algo, hyperparameters, total_timesteps)["learning_rate"]
            custom = {"learning_rate": schedule, "lr_schedule": schedule}
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"SB3 checkpoint {str(path)!r} does not exist")
        model = algo_class(algo).load(path, env=env, device="cpu", custom_objects=custom)
        if model.tensorboard_log is None:
            _quiet_logger(model, model.verbose)
        return cls(algo, model, hyperparameters)

    def learn(self, total_timesteps: int, **kwargs: Any) -> SB3Agent:
        """Meta-train (SB3 ``learn``; keyword arguments pass through)."""
        self.model.learn(total_timesteps=total_timesteps, **kwargs)
        return self

    def fit(self, env: Any) -> SB3Agent:
        """Refused: an SB3 agent trains on the env it was built with."""
        raise TypeError(
            f"{self.algo} trains with learn(total_timesteps) on the env it was built with "
            "(or agents.meta_train), not fit(env)"
        )

    def load_replay(self, path: str | Path) -> None:
        """Restore an off-policy agent's replay buffer from ``path`` when it exists."""
        if self.algo not in ON_POLICY and Path(path).is_file():
            self.model.load_replay_buffer(path)

    def predict(
        self, observation: np.ndarray, deterministic: bool = True
    ) -> tuple[np.ndarray, None]:
        """μ in [0, 1]: shape (1,) for one observation, (n, 1) for a batch."""
        batch, single = as_batch(observation)
        action, _ = self.model.predict(batch, deterministic=deterministic)
        mu = to_mu(action).reshape(-1, 1)
        return (mu[0] if single else mu), None

    def save(self, path: str | Path) -> None:
        """SB3's zip (trusted format, for resuming)."""
        self.model.save(str(path))

    # -- what a checkpoint needs ------------------------------------------------------------
    def checkpoint_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The policy's architecture and the weights the deterministic action depends on."""
        spec = {
            "kind": "sb3",
            "policy_kwargs": self.policy_kwargs(),
            "obs_dim": int(self.model.observation_space.shape[0]),
        }
        return spec, self.actor_state_dict()

    def training_files(self) -> dict[str, Callable[[Any], Any]]:
        """SB3's zip and, for off-policy agents, the replay buffer (to ``--resume``)."""
        # SB3 writes to an open file as to a path (and then adds no suffix).
        files: dict[str, Callable[[Any], Any]] = {"model": self.model.save}
        if getattr(self.model, "replay_buffer", None) is not None:
            files["replay"] = self.model.save_replay_buffer
        return files

    def policy_kwargs(self) -> dict[str, Any]:
        """The JSON-able ``policy_kwargs`` the policy was built with."""
        return copy.deepcopy(self.hyperparameters.get("policy_kwargs", {}))

    def actor_state_dict(self) -> dict[str, Any]:
        """The weights the deterministic action depends on (:func:`policy_weights`), copied."""
        state = policy_weights(self.algo, self.model.policy.state_dict())
        return {k: v.detach().clone() for k, v in state.items()}


def policy_class(algo: str) -> Callable[..., Any]:
    """The MlpPolicy class of ``algo`` (whitelisted: never a class named by a file)."""
    return algo_class(algo).policy_aliases["MlpPolicy"]


def lr_at(schedule: Any, timesteps: int, total: int) -> float:
    """Learning rate a schedule gives after ``timesteps`` of ``total`` (for tests and logs)."""
    return float(schedule(1.0 - timesteps / total)) if callable(schedule) else float(schedule)
