"""``HybridVecEnv`` gives what SB3's vectorised envs give, env for env, to the bit."""

from __future__ import annotations

from functools import partial

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from agents.hybrid_vec_env import HybridVecEnv
from mesa_env import MesaEnv


def _mesa(dataset: str = "toy-less") -> gym.Env:
    return MesaEnv(dataset=dataset, n_estimators=3)


class _Failing(MesaEnv):
    """A ``Mesa-v0`` whose second step fails."""

    def step(self, action):
        if self._steps_taken:
            raise RuntimeError("env 0 failed")
        self._steps_taken = 1
        return super().step(action)

    _steps_taken = 0


def _run(venv, actions: np.ndarray, seed: int = 3) -> list:
    """Every output of a seeded reset and the steps, across episode ends."""
    venv.seed(seed)
    out = [venv.reset(), list(venv.reset_infos)]
    for action in actions:
        observations, rewards, dones, infos = venv.step(action)
        out += [observations, rewards, dones, list(infos), list(venv.reset_infos)]
    return out


def _assert_same(a, b) -> None:
    """Equal to the bit: arrays element for element, containers item for item."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    else:
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != b.dtype:  # rewards: DummyVecEnv keeps float32, SubprocVecEnv float64
            a, b = a.astype(np.float32), b.astype(np.float32)
        np.testing.assert_array_equal(a, b)


def test_steps_resets_and_infos_are_dummy_vec_envs_to_the_bit():
    actions = np.random.default_rng(0).uniform(0, 1, size=(5, 3, 1)).astype(np.float32)
    fns = [partial(_mesa, name) for name in ("toy-less", "toy-mid", "toy-less")]
    expected = _run(DummyVecEnv(fns), actions)
    venv = HybridVecEnv(fns)
    try:
        got = _run(venv, actions)
    finally:
        venv.close()
    ended = [info for infos in got[5::5] for info in infos if "terminal_observation" in info]
    assert len(ended) == 6  # episodes of 2 steps: every env ended two, and was reset
    _assert_same(got, expected)
    assert all(x.dtype == np.float32 for x in [got[0], *got[2::5]])  # observations


def test_attributes_and_methods_reach_the_envs_named_by_index():
    venv = make_vec_env(partial(_mesa, "toy-less"), n_envs=3, seed=0, vec_env_cls=HybridVecEnv)
    try:
        assert venv.env_is_wrapped(Monitor) == [True, True, True]
        venv.set_attr("marker", 7, indices=[0, 2])
        venv.set_attr("marker", 5, indices=1)
        assert venv.get_attr("marker") == [7, 5, 7]
        assert venv.get_attr("marker", indices=[2, 1]) == [7, 5]
        assert venv.has_attr("marker") and not venv.has_attr("no_such_attribute")
        names = venv.env_method("get_wrapper_attr", "n_estimators", indices=[1, 2])
        assert names == [3, 3]
    finally:
        venv.close()


def test_a_failing_local_env_raises_and_leaves_the_workers_in_step():
    venv = HybridVecEnv([partial(_Failing, dataset="toy-less", n_estimators=5), _mesa, _mesa])
    try:
        venv.reset()
        venv.step(np.full((3, 1), 0.5, np.float32))
        with pytest.raises(RuntimeError, match="env 0 failed"):
            venv.step(np.full((3, 1), 0.5, np.float32))
        assert not venv.workers.waiting  # the workers' answers were read
        assert venv.get_attr("n_estimators", indices=[1, 2]) == [3, 3]  # pipes still in step
    finally:
        venv.close()


def test_fewer_than_two_envs_or_a_non_box_space_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 2 envs"):
        HybridVecEnv([_mesa])
    with pytest.raises(ValueError, match="Box observation space"):
        HybridVecEnv([lambda: gym.make("FrozenLake-v1"), lambda: gym.make("FrozenLake-v1")])


@pytest.mark.expensive
def test_sac_with_two_envs_learns_what_it_learns_with_sb3s_subprocesses(monkeypatch):
    """meta_train's n_envs=2 (HybridVecEnv) and SubprocVecEnv give the same weights."""
    import torch
    from stable_baselines3.common.vec_env import SubprocVecEnv

    import agents.training as training
    from agents.training import meta_train

    def weights() -> list:
        result = meta_train(
            "sac", ["toy-less"], total_timesteps=40, n_envs=2, seed=1,
            hyperparameters={"learning_starts": 10, "batch_size": 8},
            env_kwargs={"n_estimators": 3}, tensorboard_log=None, eval_episodes=0,
        )  # fmt: skip
        model = result.agent.model
        assert model.num_timesteps == 40
        return [p.detach().clone() for p in model.policy.parameters()], model.replay_buffer

    hybrid, hybrid_buffer = weights()
    built = training.build_vec_env

    def with_subprocesses(*args, **kwargs):
        venv = built(*args, **kwargs)
        assert isinstance(venv, HybridVecEnv)
        venv.close()
        factory = partial(training._make_env, args[0], args[1], args[2], True)
        return make_vec_env(factory, n_envs=2, seed=args[4], vec_env_cls=SubprocVecEnv)

    monkeypatch.setattr(training, "build_vec_env", with_subprocesses)
    subprocesses, subprocess_buffer = weights()
    for a, b in zip(hybrid, subprocesses, strict=True):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(hybrid_buffer.observations, subprocess_buffer.observations)
    np.testing.assert_array_equal(hybrid_buffer.rewards, subprocess_buffer.rewards)
