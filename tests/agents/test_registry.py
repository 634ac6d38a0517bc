"""Agents: one contract for every name, the paper's SAC preset, checkpoints and resume."""

from __future__ import annotations

import numpy as np
import pytest

from agents.checkpoint import read_metadata, write_checkpoint
from agents.reference import ConstantPolicy
from agents.registry import AGENT_NAMES, is_learning, make_agent
from agents.sampler_file import load_sampler
from agents.sb3_agents import (
    SB3_ALGOS,
    SB3Agent,
    default_hyperparameters,
)
from agents.training import build_vec_env, env_settings

TINY_ENV = {"n_estimators": 3, "reward_scale": 100.0}


def tiny_hp(algo: str) -> dict:
    hp = default_hyperparameters(algo, n_estimators=TINY_ENV["n_estimators"])
    if "learning_starts" in hp:
        hp.update(learning_starts=10, batch_size=8)
    return hp


@pytest.fixture(scope="module")
def observations() -> np.ndarray:
    rng = np.random.default_rng(0)
    halves = rng.dirichlet(np.ones(5), size=(32, 2))
    return halves.reshape(32, 10).astype(np.float32)


@pytest.mark.parametrize(
    "algo",
    [
        pytest.param(algo, marks=pytest.mark.expensive) if algo in SB3_ALGOS else algo
        for algo in AGENT_NAMES
    ],
)
def test_every_agent_trains_saves_loads_and_predicts_the_same(algo, tmp_path, observations):
    settings = env_settings(**TINY_ENV)
    if not is_learning(algo):
        params = {"constant": {"mu": 0.8}, "schedule": {"start": 0.2, "end": 0.9}}.get(algo, {})
        agent = make_agent(algo, hyperparameters=params, seed=3)
        twin = make_agent(algo, hyperparameters=params, seed=3)
    else:
        venv = build_vec_env(["toy-less"], settings, seed=0)
        agent = make_agent(algo, venv, hyperparameters=tiny_hp(algo), total_timesteps=40, seed=0)
        twin = None
    agent.learn(40)
    expected = (twin or agent).predict(observations)[0]
    assert expected.shape == (32, 1)
    assert np.all((expected >= 0) & (expected <= 1))

    paths = write_checkpoint(agent, tmp_path / algo, {"env": settings, "datasets": ["toy-less"]})
    loaded = load_sampler(paths["sampler"], n_bins=5, histogram="all", sigma=0.2)
    np.testing.assert_array_equal(loaded.predict(observations)[0], expected)
    single, _ = loaded.predict(observations[0])
    assert single.shape == (1,)
    if is_learning(algo):
        meta = read_metadata(tmp_path / algo)
        full = SB3Agent.load(paths["model"], algo, meta["hyperparameters"])
        np.testing.assert_array_equal(full.predict(observations)[0], expected)


def test_unknown_agent_and_bad_hyperparameter_are_clear():
    with pytest.raises(ValueError, match="unknown agent 'dqn'"):
        make_agent("dqn")
    with pytest.raises(ValueError, match="bad parameter for constant"):
        make_agent("constant", hyperparameters={"nu": 1})
    with pytest.raises(ValueError, match="mu must be in"):
        ConstantPolicy(1.5)
    venv = build_vec_env(["toy-less"], env_settings(n_estimators=3), seed=0)
    with pytest.raises(ValueError, match="bad hyper-parameter for sac"):
        make_agent("sac", venv, hyperparameters={"not_a_param": 1})
