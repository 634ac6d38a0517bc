"""Meta-training (paper Algorithm 3) as a library call; ``train_sampler.py`` is its front.

Data flows one way: datasets → ``MesaEnv`` (rescaled for SB3; for ``n_envs`` > 1 all but the
first in subprocesses) → agent → checkpoint. Every random choice descends from ``seed``.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from agents.base import SamplerAgent
from agents.checkpoint import checkpoint_paths, read_metadata, write_checkpoint
from agents.registry import is_learning, make_agent
from agents.rollout import run_episode
from agents.sb3_agents import (
    SB3Agent,
    check_hyperparameters,
    default_hyperparameters,
    rescale_env,
    warmup_steps,
)

__all__ = [
    "DEFAULT_REWARD_SCALE",
    "TrainResult",
    "check_writable",
    "env_settings",
    "frozen_heap",
    "meta_train",
    "parse_override",
    "resolve_run",
    "run_name",
    "set_by_path",
    "torch_threads",
]

#: The original code scaled rewards ×100 so SAC's entropy term (α = 0.1) does not swamp them.
DEFAULT_REWARD_SCALE = 100.0


@dataclass
class TrainResult:
    """What a meta-training run produced."""

    agent: SamplerAgent
    metadata: dict[str, Any]
    paths: dict[str, Path] = field(default_factory=dict)
    evaluation: dict[str, dict[str, float]] = field(default_factory=dict)
    tensorboard_dir: str | None = None


def parse_override(text: str) -> tuple[str, Any]:
    """``"key=value"`` → ``(key, value)``: the form of ``--hp`` flags.

    The value is read as JSON when it parses (``0.99``, ``true``, ``[64,64]``) and kept as a
    string otherwise.
    """
    import json

    if "=" not in text:
        raise ValueError(f"expected key=value, got {text!r}")
    key, raw = text.split("=", 1)
    if not key.strip():
        raise ValueError(f"expected key=value with a non-empty key, got {text!r}")
    if raw.strip() in ("true", "True", "false", "False"):  # bool("False") would be True
        return key.strip(), raw.strip() in ("true", "True")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def env_settings(**overrides: Any) -> dict[str, Any]:
    """The MesaEnv keyword arguments a checkpoint records.

    ``mesa_env.EnvSettings``'s defaults (read at call time) for its ``run_fields()``, with
    ``reward_scale`` :data:`DEFAULT_REWARD_SCALE` (SAC's preset), then the non-``None``
    ``overrides``.

    Only names are checked here (an unknown one is a ``ValueError``); values are ``MesaEnv``'s
    to check, so ``mesa_evaluation`` can still convert ``"false"`` after this call.
    """
    from mesa_env.settings import EnvSettings, defaults

    current = defaults()
    settings = {name: getattr(current, name) for name in EnvSettings.run_fields()}
    settings["reward_scale"] = DEFAULT_REWARD_SCALE
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(
            f"unknown environment setting(s) {sorted(unknown)}; known: {', '.join(settings)}"
        )
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return settings


def _env_reward_scale() -> float:
    """``MesaEnv``'s own default ``reward_scale`` (1.0): what reference policies run with."""
    from mesa_env.settings import defaults

    return defaults().reward_scale


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

    env = MesaEnv(dataset=list(datasets), estimator=copy.deepcopy(base_estimator), **settings)
    return rescale_env(env) if rescale else env


def build_vec_env(
    datasets: Sequence[Any],
    settings: dict[str, Any],
    base_estimator: Any = None,
    n_envs: int = 1,
    seed: int | None = None,
) -> Any:
    """SB3 VecEnv of rescaled MesaEnvs: for ``n_envs`` > 1, all but the first in subprocesses.

    :class:`~agents.hybrid_vec_env.HybridVecEnv` steps env 0 in this process while the others
    step in theirs: ``n`` busy processes for ``n`` envs, not ``n`` workers and a waiting parent.
    """
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv

    from agents.hybrid_vec_env import HybridVecEnv

    factory = partial(_make_env, list(datasets), settings, base_estimator, True)
    factory()  # fail here, in this process, on bad data or settings: not inside a subprocess
    return make_vec_env(
        factory,
        n_envs=n_envs,
        seed=seed,
        vec_env_cls=HybridVecEnv if n_envs > 1 else DummyVecEnv,
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


def run_name(
    algo: str,
    datasets: Sequence[Any],
    seed: int,
    settings: dict[str, Any] | None = None,
    hyperparameters: dict[str, Any] | None = None,
    base_estimator: Any = None,
) -> str:
    """A run's name: ``<algo>_<tasks>_seed<seed>``, plus a hash of non-default settings.

    The short hash covers the environment settings, hyper-parameters and base learner and is
    added only when they differ from the defaults.

    Runs that differ in any setting never share a checkpoint or a TensorBoard folder (the
    README's 48-run preset loop once kept only 12 checkpoints); the default run keeps the plain
    name ``sac_digits_seed0``.
    """
    import hashlib
    import json

    from mesa_env.suites import TASK_SUITES

    names = [Path(d).stem if isinstance(d, str) else "arrays" for d in datasets]
    suites = [s for s, tasks in TASK_SUITES.items() if list(tasks) == list(datasets)]
    if suites:
        tasks = suites[0]
    elif len(names) > 3:  # keep file names short: the first task and a count
        tasks = f"{names[0].removeprefix('keel:')}+{len(names) - 1}more"
    else:
        tasks = "+".join(n.removeprefix("keel:") for n in names)
    name = f"{algo}_{tasks}_seed{seed}"
    defaults = env_settings(**({} if is_learning(algo) else {"reward_scale": _env_reward_scale()}))
    preset = default_hyperparameters(algo) if is_learning(algo) else {}
    changed_env = {k: v for k, v in (settings or {}).items() if defaults.get(k) != v}
    changed_hp = {k: v for k, v in (hyperparameters or {}).items() if preset.get(k) != v}
    learner = None if base_estimator is None else repr(base_estimator)
    if changed_env or changed_hp or learner:
        text = json.dumps([changed_env, changed_hp, learner], sort_keys=True, default=str)
        name += "_" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return name


def check_writable(stem: str | Path) -> None:
    """Fail before training, not after it, when a checkpoint cannot be written at ``stem``."""
    import tempfile

    folder = Path(stem).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OSError(
            f"cannot write the checkpoint {str(stem)!r}: folder {str(folder)!r} is not writable "
            f"({exc.strerror or exc}); choose another --save"
        ) from None


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run torch with ``n`` intra-op threads, then restore the previous count.

    The preset's networks are tiny (one hidden layer of 50): on 2 cores a second torch thread
    buys nothing and fights numpy, scikit-learn and other processes for the cores (measured in
    ``benchmarks/meta_train.py``). ``None`` leaves torch's setting alone.
    """
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave the objects that exist on entry out of the garbage collector's scans until exit.

    torch, scikit-learn and SB3 import about a million Python objects; every full collection
    walks all of them again, and meta-training's short-lived tensors and arrays trigger one
    every ~200 steps: 0.65 s of the default 1,500-step run went to seven such collections. While
    frozen (``gc.freeze``), a collection only walks what was created since; the objects are
    unfrozen on exit, so nothing is kept alive longer. A caller that froze objects itself keeps
    its own arrangement: nothing is done then.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def resolve_run(
    algo: str,
    datasets: list[Any],
    total_timesteps: int,
    n_envs: int,
    hyperparameters: dict[str, Any] | None,
    env_kwargs: dict[str, Any] | None,
    resume: str | Path | None,
) -> tuple[str, list[Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Algorithm, datasets, env settings and hyper-parameters of the run, checked.

    A resumed run takes all of them from its checkpoint; a fresh one from the defaults with the
    caller's overrides. Refuses a budget that ends inside the random warm-up.
    """
    previous: dict[str, Any] = {}
    if resume is not None:
        previous = read_metadata(resume)
        algo, datasets = previous["algo"], previous["datasets"]
        settings, hp = previous["env"], previous["hyperparameters"]
        if not is_learning(algo):
            raise ValueError(f"checkpoint {resume} holds a {algo!r} policy: nothing to resume")
    else:
        overrides = dict(env_kwargs or {})
        if not is_learning(algo) and overrides.get("reward_scale") is None:
            overrides["reward_scale"] = _env_reward_scale()  # ×100 is SAC's preset, not the env's
        settings = env_settings(**overrides)
        hp = (
            default_hyperparameters(algo, n_envs, settings["n_estimators"])
            if is_learning(algo)
            else {}
        )
        for key, value in (hyperparameters or {}).items():
            set_by_path(hp, key, value)
    if is_learning(algo):
        check_hyperparameters(algo, hp)
        warmup = warmup_steps(algo, hp)
        total = int(previous.get("timesteps", 0)) + total_timesteps
        if total <= warmup:
            raise ValueError(
                f"{total} timesteps is not more than {algo.upper()}'s warm-up of {warmup} steps "
                "of random actions (learning_starts): the sampler would never be updated. Train "
                f"for more than {warmup} steps or lower the warm-up, e.g. --hp learning_starts=100"
            )
    return algo, list(datasets), settings, hp, previous


class _Trained(NamedTuple):
    """An agent fresh from training (or tuning), with what the run's metadata records of it."""

    agent: SamplerAgent
    seconds: float = 0.0  # env steps + agent updates (or tuning episodes), this call
    timesteps: int = 0
    training_curve: dict[str, Any] | None = None
    tensorboard_dir: str | None = None


def _train_sb3(
    algo: str,
    datasets: list[Any],
    settings: dict[str, Any],
    hp: dict[str, Any],
    previous: dict[str, Any],
    *,
    total_timesteps: int,
    seed: int,
    n_envs: int,
    base_estimator: Any,
    tensorboard_log: str | None,
    resume: str | Path | None,
    name: str,
    progress_bar: bool,
    verbose: int,
) -> _Trained:
    """Build (or load) the SB3 agent and meta-train it on the rescaled env."""
    from agents.callbacks import TrainingMonitorCallback

    done_before = int(previous.get("timesteps", 0))
    venv = build_vec_env(datasets, settings, base_estimator, n_envs, seed)
    try:
        if resume is not None:
            paths = checkpoint_paths(resume)
            agent = SB3Agent.load(
                paths["model"], algo, hp, env=venv, total_timesteps=done_before + total_timesteps
            )
            agent.load_replay(paths["replay"])
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
        callback = TrainingMonitorCallback(reward_scale=settings["reward_scale"])
        start = time.perf_counter()
        agent.learn(
            total_timesteps,
            callback=callback,
            progress_bar=progress_bar,
            reset_num_timesteps=resume is None,
            tb_log_name=name,
        )
        seconds = time.perf_counter() - start
    finally:
        venv.close()
    return _Trained(
        agent,
        seconds,
        # SB3 finishes the episode a budget ends in: count what was really collected.
        timesteps=int(agent.model.num_timesteps),
        training_curve=callback.summary(),
        tensorboard_dir=agent.model.logger.get_dir() if agent.model.tensorboard_log else None,
    )


def _fit_reference(
    algo: str,
    datasets: list[Any],
    settings: dict[str, Any],
    hp: dict[str, Any],
    seed: int,
    base_estimator: Any,
) -> _Trained:
    """Build a reference policy, tuned if it ``needs_tuning``.

    Tuning uses the training tasks' validation parts (fixed policies build no environment).
    """
    agent = make_agent(algo, hyperparameters=hp, seed=seed)
    if not agent.needs_tuning:
        return _Trained(agent)
    start = time.perf_counter()
    agent.fit(_make_env(datasets, settings, base_estimator, rescale=False))
    return _Trained(agent, time.perf_counter() - start)


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
    torch_num_threads: int | None = 1,
    provenance: dict[str, Any] | None = None,
) -> TrainResult:
    """Meta-train a sampler and save a checkpoint; see ``train_sampler.py --help``.

    ``hyperparameters`` override the algorithm's preset key by key (dotted keys reach nested
    ones); ``env_kwargs`` override :func:`env_settings`. ``resume`` continues an SB3 checkpoint
    (TRUSTED FILES ONLY): its algorithm, settings and datasets are reused, and its timestep count
    and TensorBoard curve continue. ``torch_num_threads`` (default 1, see :func:`torch_threads`)
    applies while this call runs. ``provenance`` (e.g. the command line and the task suites
    named on it) is stored in the metadata as given. Every argument is checked, and ``save``
    tested for writability, before the first environment step.

    The run's metadata is returned in ``TrainResult.metadata`` and is also the returned agent's
    ``metadata`` (the ``SamplerAgent`` attribute; ``MesaClassifier`` reads its env settings).
    """
    if isinstance(total_timesteps, bool) or not isinstance(total_timesteps, int):
        raise TypeError(f"total_timesteps must be an integer; got {total_timesteps!r}")
    if total_timesteps < 1:
        raise ValueError(f"total_timesteps must be >= 1; got {total_timesteps}")
    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1; got {n_envs}")
    if eval_episodes < 0:
        raise ValueError(f"eval_episodes must be >= 0; got {eval_episodes}")
    # 1. Resolve the run: algorithm, datasets, settings, hyper-parameters, name.
    algo, datasets, settings, hp, previous = resolve_run(
        algo, list(datasets), total_timesteps, n_envs, hyperparameters, env_kwargs, resume
    )
    if save is not None:
        check_writable(save)
    name = run_name(algo, datasets, seed, settings, hp, base_estimator)

    with torch_threads(torch_num_threads), frozen_heap():
        # 2. Train the SB3 agent, or build (and tune) the reference policy.
        if is_learning(algo):
            trained = _train_sb3(
                algo, datasets, settings, hp, previous, total_timesteps=total_timesteps,
                seed=seed, n_envs=n_envs, base_estimator=base_estimator,
                tensorboard_log=tensorboard_log, resume=resume, name=name,
                progress_bar=progress_bar, verbose=verbose,
            )  # fmt: skip
        else:
            trained = _fit_reference(algo, datasets, settings, hp, seed, base_estimator)
        agent = trained.agent
        # 3. Describe the run, and score the sampler on the training tasks.
        metadata = {
            "algo": algo,
            "run_name": name,
            "hyperparameters": hp,
            "env": settings,
            "base_estimator": repr(base_estimator) if base_estimator is not None else None,
            "datasets": [d if isinstance(d, str) else "arrays" for d in datasets],
            "timesteps": trained.timesteps,
            "seed": seed,
            "n_envs": n_envs,
            "training_curve": trained.training_curve or {},
            "train_seconds": round(trained.seconds, 3),
            "timesteps_per_second": (
                round(total_timesteps / trained.seconds, 2)
                if agent.is_learning and trained.seconds
                else None
            ),
            "resumed_from": str(resume) if resume is not None else None,
            "tensorboard_dir": trained.tensorboard_dir,
        }
        evaluation = (
            evaluate_sampler(agent, datasets, settings, base_estimator, eval_episodes, seed)
            if eval_episodes
            else {}
        )
    metadata["final_scores"] = evaluation
    if provenance:
        metadata["provenance"] = dict(provenance)
    agent.metadata = metadata  # the one place: SamplerAgent.metadata of the returned agent
    # 4. Save the checkpoint.
    result = TrainResult(
        agent=agent, metadata=metadata, tensorboard_dir=trained.tensorboard_dir,
        evaluation=evaluation,
    )  # fmt: skip
    if save is not None:
        result.paths = write_checkpoint(agent, save, metadata)
    return result
