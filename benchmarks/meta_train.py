"""How close is meta-training to its physical limit?

Run as ``python benchmarks/meta_train.py``.

Meta-training (paper Algorithm 3) cannot cost less than its two parts done alone:

- **env**: the same ``Mesa-v0`` episodes, no agent at all: the env is reset with the run's seed
  and stepped with the μ the agent chose, in order, so every subset, member and score is the
  one meta-training computed (a learned μ may build larger or smaller trees than a random one;
  measured before trees skipped ``fit``'s Python, the replay cost 3.93 s on digits and 4.79 s
  on the mammography-shaped task, where random μ cost 3.90 s and 4.70 s);
- **agent**: the same SAC preset collecting the same number of transitions and doing the same
  gradient updates on an environment that costs nothing (same spaces and episode length,
  constant observations).

The ratio ``meta-training ÷ (env + agent)`` is the overhead of running them together (callbacks,
wrappers, thread contention). All three are measured side by side in one run, each ``--repeat``
times, and the medians reported. ``--parts`` says where that overhead goes: the seconds spent in
env steps and resets, the policy's actions, the gradient updates and the rest (SB3's loop,
wrappers, callbacks), in meta-training and in each part alone. Run it on an idle machine; with
other jobs on the same two cores the numbers wander. Nothing here asserts a time: this is a
benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import numpy as np


class FreeEnv(gym.Env):
    """An env with ``Mesa-v0``'s spaces and episode length whose steps cost nothing."""

    def __init__(self, obs_dim: int = 10, episode: int = 9) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, (obs_dim,), np.float32)
        self.action_space = gym.spaces.Box(0.0, 1.0, (1,), np.float32)
        self.episode = episode
        self._obs = np.full(obs_dim, 0.1, np.float32)
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode: the constant observation, no info."""
        super().reset(seed=seed)
        self._t = 0
        return self._obs, {}

    def step(self, action):
        """Reward the action itself; the episode ends after ``episode`` steps."""
        self._t += 1
        return self._obs, float(action[0]), self._t >= self.episode, False, {"mu": 0.0}


def _dataset(name: str) -> Any:
    if name != "mammography-like":
        return name
    from sklearn.datasets import make_classification

    # The shape of the paper's Mammography set: 11,183 rows, 6 features, IR ≈ 42.
    return make_classification(
        n_samples=11183, n_features=6, n_informative=4, weights=[42 / 43], random_state=0
    )


def time_env(dataset: Any, actions: list[np.ndarray], seed: int = 0) -> float:
    """Seconds for the env to replay ``actions`` (μ as applied; resets included) from ``seed``."""
    from mesa_env import MesaEnv

    env = MesaEnv(dataset=dataset, reward_scale=100.0)
    start = time.perf_counter()
    env.reset(seed=seed)
    for action in actions:
        _, _, terminated, _, _ = env.step(action)
        if terminated:
            env.reset()
    return time.perf_counter() - start


@contextlib.contextmanager
def recorded_actions() -> Iterator[list[np.ndarray]]:
    """Collect every action ``MesaEnv.step`` receives while the block runs (this process)."""
    from mesa_env import MesaEnv

    actions: list[np.ndarray] = []
    step = MesaEnv.step

    def recording(self: MesaEnv, action: Any) -> Any:
        actions.append(np.array(action, dtype=np.float32))
        return step(self, action)

    MesaEnv.step = recording
    try:
        yield actions
    finally:
        MesaEnv.step = step


#: (owner module, class name, method, part) of the calls ``--parts`` times.
_PARTS = (
    ("mesa_env", "MesaEnv", "step", "env"),
    ("mesa_env", "MesaEnv", "reset", "env"),
    ("agents.fast_sac", "FastSAC", "_sample_action", "actions"),
    ("agents.fast_sac", "FastSAC", "train", "updates"),
)


@contextlib.contextmanager
def timed_parts() -> Iterator[dict[str, float]]:
    """Seconds spent in each part of ``_PARTS`` while the block runs (wrapped, then restored)."""
    import importlib

    seconds = dict.fromkeys(("env", "actions", "updates"), 0.0)
    originals = []
    for module_name, class_name, method, part in _PARTS:
        owner = getattr(importlib.import_module(module_name), class_name)
        original = owner.__dict__[method]

        def timed(*args: Any, _original: Any = original, _part: str = part, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                seconds[_part] += time.perf_counter() - start

        originals.append((owner, method, original))
        setattr(owner, method, timed)
    try:
        yield seconds
    finally:
        for owner, method, original in originals:
            setattr(owner, method, original)


def report_parts(name: str, data: Any, steps: int, hp: dict[str, Any], seed: int) -> None:
    """One table row each for meta-training, env alone and agent alone, split into parts."""
    with timed_parts() as together:
        total, actions = time_meta_train(data, steps, hp, seed=seed)
    env_alone = time_env(data, actions, seed=seed)
    with timed_parts() as alone:
        agent_total = time_agent(steps, hp, seed=seed)
    rows = (
        ("meta-training", total, together),
        ("env alone", env_alone, {"env": env_alone, "actions": 0.0, "updates": 0.0}),
        ("agent alone", agent_total, alone),
    )
    for label, seconds, parts in rows:
        rest = seconds - sum(parts.values())
        print(f"| {name} | {label} | {seconds:.2f} | {parts['env']:.2f} | {parts['actions']:.2f} "
              f"| {parts['updates']:.2f} | {rest:.2f} |")  # fmt: skip


def time_agent(steps: int, hp: dict[str, Any], seed: int = 0) -> float:
    """Seconds for the SAC preset to collect ``steps`` transitions and train on a free env."""
    from agents.sb3_agents import SB3Agent, rescale_env
    from agents.training import torch_threads

    with torch_threads(1):
        agent = SB3Agent.create("sac", rescale_env(FreeEnv()), hp, steps, seed=seed)
        start = time.perf_counter()
        agent.learn(steps)
        return time.perf_counter() - start


def time_meta_train(
    dataset: Any, steps: int, hp: dict[str, Any], seed: int = 0
) -> tuple[float, list[np.ndarray]]:
    """Seconds of ``meta_train`` (env steps + agent updates), as ``train_sampler.py`` runs it.

    Also returns the μ the env received, for :func:`time_env` to replay.
    """
    from agents.training import meta_train

    with recorded_actions() as actions:
        result = meta_train(
            "sac",
            [dataset],
            total_timesteps=steps,
            seed=seed,
            hyperparameters=hp,
            tensorboard_log=None,
            eval_episodes=0,
        )
    return result.metadata["train_seconds"], actions


def time_parallel(steps: int, n_envs: int, seed: int = 0) -> float:
    """Steps/s of SAC meta-training on an env-bound task (30,000 rows) with ``n_envs`` envs.

    The envs ``meta_train`` builds: one in this process, or ``HybridVecEnv`` (env 0 here, the
    others in subprocesses started for the run).
    """
    from sklearn.datasets import make_classification

    from agents.training import meta_train

    data = make_classification(n_samples=30000, n_features=20, weights=[0.9], random_state=0)
    result = meta_train(
        "sac",
        [data],
        total_timesteps=steps,
        seed=seed,
        n_envs=n_envs,
        hyperparameters={"learning_starts": 90},
        tensorboard_log=None,
        eval_episodes=0,
    )
    return result.metadata["timesteps"] / result.metadata["train_seconds"]


def main(argv: list[str] | None = None) -> int:
    """Print meta-training time, its two parts alone, and the ratio, per dataset."""
    from agents.sb3_agents import default_hyperparameters

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "mammography-like"])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--hp", action="append", default=[], help="preset override key=value (JSON value)"
    )
    parser.add_argument(
        "--parallel",
        action="store_true",
        help="instead: steps/s with 1 and 2 envs on a 30,000-row task",
    )
    parser.add_argument(
        "--parts",
        action="store_true",
        help="instead: seconds in env, actions, updates and the rest, together and alone",
    )
    args = parser.parse_args(argv)
    if args.parallel:
        runs: dict[int, list[float]] = {1: [], 2: []}
        for r in range(args.repeat):  # interleaved, so drift hits both alike
            for n in (1, 2):
                runs[n].append(time_parallel(180, n, r))
        speeds = {n: statistics.median(v) for n, v in runs.items()}
        each = ", ".join(f"{b / a:.2f}" for a, b in zip(runs[1], runs[2], strict=True))
        print(f"30,000 rows, SAC, 180 steps, medians of {args.repeat}: 1 env {speeds[1]:.1f} "
              f"steps/s, 2 envs {speeds[2]:.1f} steps/s: {speeds[2] / speeds[1]:.2f}x "
              f"(per seed: {each})")  # fmt: skip
        return 0
    from agents.training import parse_override

    hp = default_hyperparameters("sac")
    hp.update(dict(parse_override(text) for text in args.hp))
    if args.parts:
        print(f"SAC preset, {args.steps} steps, seeds 0..{args.repeat - 1}, seconds per part")
        print("| dataset | run | total | env steps+resets | actions | updates | rest |")
        print("|---|---|---|---|---|---|---|")
        for name in args.datasets:
            for r in range(args.repeat):
                report_parts(name, _dataset(name), args.steps, hp, seed=r)
        return 0
    print(f"SAC preset, {args.steps} steps, medians of {args.repeat}; overrides {args.hp or '-'}")
    print("| dataset | meta-training s | env alone s | agent alone s | limit s | ratio |")
    print("|---|---|---|---|---|---|")
    for name in args.datasets:
        data = _dataset(name)
        full, env, agent = [], [], []
        for r in range(args.repeat):  # interleaved, so drift hits all three alike
            seconds, actions = time_meta_train(data, args.steps, hp, seed=r)
            full.append(seconds)
            env.append(time_env(data, actions, seed=r))
            agent.append(time_agent(args.steps, hp, seed=r))
        f, e, a = (statistics.median(v) for v in (full, env, agent))
        print(f"| {name} | {f:.2f} | {e:.2f} | {a:.2f} | {e + a:.2f} | {f / (e + a):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
