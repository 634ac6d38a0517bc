"""Meta-training (paper Algorithm 3) as a library call; ``train_sampler.py`` is its front.

Data flows one way: datasets → ``MesaEnv`` (rescaled for SB3, in subprocesses when ``n_envs`` >
1) → agent → checkpoint. Every random choice descends from ``seed``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from agents.checkpoint import checkpoint_paths, read_metadata, write_checkpoint
from agents.registry import is_learning, make_agent
from agents.rollout import run_episode
from agents.sb3_agents import SB3Agent, default_hyperparameters, rescale_env

__all__ = [
    "DEFAULT_REWARD_SCALE",
    "TrainResult",
    "env_settings",
    "meta_train",
    "parse_override",
    "set_by_path",
]

#: The original code scaled rewards ×100 so SAC's entropy term (α = 0.1) does not swamp them.
DEFAULT_REWARD_SCALE = 100.0
_ENV_SETTING_KEYS = (
    "n_estimators", "n_bins", "sigma", "metric", "reward_scale", "histogram", "train_ratio",
    "label_noise", "split_seed", "progress_obs",
)  # fmt: skip


@dataclass
class TrainResult:
    """What a meta-training run produced."""

    agent: Any
    metadata: dict[str, Any]
    paths: dict[str, Path] = field(default_factory=dict)
    evaluation: dict[str, dict[str, float]] = field(default_factory=dict)
    tensorboard_dir: str | None = None


def parse_override(text: str) -> tuple[str, Any]:
    """``"key=value"`` → ``(key, value)``, the value read as JSON when it parses (``0.99``,
    ``true``, ``[64,64]``) and kept as a string otherwise: the form of ``--hp`` flags."""
    import json

    if "=" not in text:
        raise ValueError(f"expected key=value, got {text!r}")
    key, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def env_settings(**overrides: Any) -> dict[str, Any]:
    """The MesaEnv keyword arguments a checkpoint records (defaults of ``MesaEnv``)."""
    settings: dict[str, Any] = {
        "n_estimators": 10, "n_bins": 5, "sigma": 0.2, "metric": "aucprc",
        "reward_scale": DEFAULT_REWARD_SCALE, "histogram": "all", "train_ratio": 1.0,
        "label_noise": 0.0, "split_seed": 0, "progress_obs": False,
    }  # fmt: skip
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"unknown environment setting(s) {sorted(unknown)}")
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return settings


def set_by_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    """``set_by_path(hp, "policy_kwargs.net_arch.pi", [64])`` for ``--hp`` overrides."""
    keys = dotted.split(".")
    node = target
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ValueError(f"--hp {dotted}: {key!r} is not a nested setting")
    node[keys[-1]] = value


def _make_env(
    datasets: list[Any], settings: dict[str, Any], base_estimator: Any, rescale: bool
) -> Any:
    from mesa_env import MesaEnv

    env = MesaEnv(dataset=list(datasets), base_estimator=copy.deepcopy(base_estimator), **settings)
    return rescale_env(env) if rescale else env


def build_vec_env(
    datasets: Sequence[Any],
    settings: dict[str, Any],
    base_estimator: Any = None,
    n_envs: int = 1,
    seed: int | None = None,
) -> Any:
    """SB3 VecEnv of rescaled MesaEnvs; subprocesses when ``n_envs`` > 1."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    factory = partial(_make_env, list(datasets), settings, base_estimator, True)
    factory()  # fail here, in this process, on bad data or settings: not inside a subprocess
    return make_vec_env(
        factory,
        n_envs=n_envs,
        seed=seed,
        vec_env_cls=SubprocVecEnv if n_envs > 1 else DummyVecEnv,
    )


def evaluate_sampler(
    sampler: Any,
    datasets: Sequence[Any],
    settings: dict[str, Any],
    base_estimator: Any = None,
    episodes: int = 10,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Mean ± std of the final ensemble's scores per task over ``episodes`` seeded episodes."""
    env = _make_env(list(datasets), settings, base_estimator, rescale=False)
    results: dict[str, dict[str, float]] = {}
    for index, task in enumerate(env.tasks):
        infos = [
            run_episode(env, sampler, seed=seed + e, options={"task": index})[0]
            for e in range(episodes)
        ]
        row: dict[str, float] = {}
        for key in ("valid_score", "test_score"):
            values = [info[key] for info in infos if key in info]
            if values:
                row[f"{key}_mean"], row[f"{key}_std"] = (
                    float(np.mean(values)),
                    float(np.std(values)),
                )
        results[task.name] = row
    return results


def meta_train(
    algo: str = "sac",
    datasets: Sequence[Any] = ("digits",),
    total_timesteps: int = 1500,
    seed: int = 0,
    n_envs: int = 1,
    hyperparameters: dict[str, Any] | None = None,
    env_kwargs: dict[str, Any] | None = None,
    base_estimator: Any = None,
    tensorboard_log: str | None = "runs",
    save: str | Path | None = None,
    resume: str | Path | None = None,
    progress_bar: bool = False,
    eval_episodes: int = 10,
    verbose: int = 0,
) -> TrainResult:
    """Meta-train a sampler and save a checkpoint; see ``train_sampler.py --help``.

    ``hyperparameters`` override the algorithm's preset key by key (dotted keys reach nested
    ones); ``env_kwargs`` override :func:`env_settings`. ``resume`` continues an SB3 checkpoint
    (TRUSTED FILES ONLY): its algorithm, settings and datasets are reused, and its timestep count
    and TensorBoard curve continue.
    """
    if total_timesteps < 1:
        raise ValueError(f"total_timesteps must be >= 1; got {total_timesteps}")
    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1; got {n_envs}")
    datasets = list(datasets)
    previous: dict[str, Any] = {}
    if resume is not None:
        previous = read_metadata(resume)
        algo, datasets = previous["algo"], previous["datasets"]
        settings = previous["env"]
        hp = previous["hyperparameters"]
    else:
        settings = env_settings(**(env_kwargs or {}))
        if not is_learning(algo):
            settings["reward_scale"] = (env_kwargs or {}).get("reward_scale", 1.0)
        hp = (
            default_hyperparameters(algo, n_envs, settings["n_estimators"])
            if is_learning(algo)
            else {}
        )
        for key, value in (hyperparameters or {}).items():
            set_by_path(hp, key, value)
    done_before = int(previous.get("timesteps", 0))

    callback = None
    tb_dir = None
    train_seconds = 0.0
    if is_learning(algo):
        from agents.callbacks import MesaTensorboardCallback

        venv = build_vec_env(datasets, settings, base_estimator, n_envs, seed)
        if resume is not None:
            paths = checkpoint_paths(resume)
            agent = SB3Agent.load(
                paths["model"], algo, hp, env=venv, total_timesteps=done_before + total_timesteps
            )
            if paths["replay"].is_file() and hasattr(agent.model, "load_replay_buffer"):
                agent.model.load_replay_buffer(paths["replay"])
        else:
            agent = make_agent(
                algo,
                venv,
                hyperparameters=hp,
                total_timesteps=total_timesteps,
                seed=seed,
                tensorboard_log=tensorboard_log,
                verbose=verbose,
            )
        callback = MesaTensorboardCallback(reward_scale=settings["reward_scale"])
        start = time.perf_counter()
        agent.learn(
            total_timesteps,
            callback=callback,
            progress_bar=progress_bar,
            reset_num_timesteps=resume is None,
            tb_log_name=algo.upper(),
        )
        train_seconds = time.perf_counter() - start
        tb_dir = agent.model.logger.get_dir() if agent.model.tensorboard_log else None
        venv.close()
    else:
        agent = make_agent(algo, hyperparameters=hp, seed=seed)
        if hasattr(agent, "fit_env"):  # tuned reference policies pick μ on validation
            agent.fit_env(_make_env(datasets, settings, base_estimator, rescale=False))

    timesteps = done_before + (total_timesteps if is_learning(algo) else 0)
    metadata = {
        "algo": algo,
        "hyperparameters": hp,
        "env": settings,
        "base_estimator": repr(base_estimator) if base_estimator is not None else None,
        "datasets": [d if isinstance(d, str) else "arrays" for d in datasets],
        "timesteps": timesteps,
        "seed": seed,
        "n_envs": n_envs,
        "training_curve": callback.summary() if callback else {},
        "train_seconds": round(train_seconds, 3),  # env steps + agent updates, this call only
        "timesteps_per_second": round(total_timesteps / train_seconds, 2)
        if train_seconds
        else None,
        "resumed_from": str(resume) if resume is not None else None,
        "tensorboard_dir": tb_dir,
    }
    evaluation = (
        evaluate_sampler(agent, datasets, settings, base_estimator, eval_episodes, seed)
        if eval_episodes
        else {}
    )
    metadata["final_scores"] = evaluation
    agent.metadata = metadata  # MesaClassifier reads the env settings (progress_obs, …) here
    result = TrainResult(
        agent=agent, metadata=metadata, tensorboard_dir=tb_dir, evaluation=evaluation
    )
    if save is not None:
        result.paths = write_checkpoint(agent, save, metadata)
    return result
