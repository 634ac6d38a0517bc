"""``HybridVecEnv`` gives what SB3's vectorised envs give, env for env, to the bit."""

from __future__ import annotations

from functools import partial

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import SubprocVecEnv

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
    """Equal to the bit, dtypes included: arrays element for element, containers item by item."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    else:
        np.testing.assert_array_equal(a, b, strict=True)


def test_steps_resets_and_infos_are_subproc_vec_envs_to_the_bit():
    actions = np.random.default_rng(0).uniform(0, 1, size=(5, 3, 1)).astype(np.float32)
    fns = [partial(_mesa, name) for name in ("toy-less", "toy-mid", "toy-less")]
    outputs = []
    for cls in (SubprocVecEnv, HybridVecEnv):
        venv = cls(fns)
        try:
            outputs.append(_run(venv, actions))
        finally:
            venv.close()
    expected, got = outputs
    ended = [info for infos in got[5::5] for info in infos if "terminal_observation" in info]
    assert len(ended) == 6  # episodes of 2 steps: every env ended two, and was reset
    assert all(rewards.dtype == np.float64 for rewards in got[3::5])  # none rounded to float32
    _assert_same(got, expected)


@pytest.fixture(scope="module")
def three_envs():
    venv = make_vec_env(partial(_mesa, "toy-less"), n_envs=3, seed=0, vec_env_cls=HybridVecEnv)
    for index in range(3):
        venv.set_attr("marker", index, indices=index)
    yield venv
    venv.close()


def test_attributes_and_methods_answer_in_the_order_of_the_indices(three_envs):
    venv = three_envs
    assert venv.get_attr("marker") == [0, 1, 2]
    assert venv.get_attr("marker", indices=[2, 0, 1, 0]) == [2, 0, 1, 0]
    assert venv.get_attr("marker", indices=-1) == [2]
    assert venv.env_method("get_wrapper_attr", "marker", indices=[2, 0]) == [2, 0]
    assert venv.env_is_wrapped(Monitor, indices=[1, 0]) == [True, True]
    with pytest.raises(IndexError):
        venv.get_attr("marker", indices=3)


def test_set_attr_reaches_the_envs_named_by_index_negative_ones_too(three_envs):
    venv = three_envs
    venv.set_attr("other", 7, indices=[-3, 2])
    venv.set_attr("other", 5, indices=1)
    assert venv.get_attr("other", indices=[2, 1, 0]) == [7, 5, 7]


def test_has_attr_is_false_when_one_env_lacks_it_and_the_workers_survive(three_envs):
    venv = three_envs
    venv.set_attr("only_here", 1, indices=0)
    assert venv.has_attr("marker")
    assert not venv.has_attr("only_here")
    venv.set_attr("only_there", 1, indices=[1, 2])
    assert not venv.has_attr("only_there")
    assert venv.get_attr("marker") == [0, 1, 2]  # every worker still answers


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
