"""The one agent interface: every registered agent is a ``SamplerAgent`` and behaves as one."""

from __future__ import annotations

import numpy as np
import pytest

from agents.base import SamplerAgent
from agents.registry import AGENT_NAMES, is_learning
from agents.sb3_agents import SB3_ALGOS

#: Tiny training settings per SB3 algorithm (off-policy: a short warm-up and small batches).
_TINY_HP = {
    "ppo": {"n_steps": 10, "batch_size": 10},
    "a2c": {},
}
_OFF_POLICY_HP = {"learning_starts": 4, "batch_size": 4}


def _env():
    from mesa_env import MesaEnv

    return MesaEnv(dataset="toy-less", n_estimators=3)


def _train(algo: str, hp: dict | None = None, **kwargs):
    from agents.training import meta_train

    if is_learning(algo):
        hp = _TINY_HP.get(algo, _OFF_POLICY_HP)
    return meta_train(
        algo,
        datasets=("toy-less",),
        total_timesteps=12,
        hyperparameters=hp,
        env_kwargs={"n_estimators": 3},
        tensorboard_log=None,
        eval_episodes=0,
        **kwargs,
    )


def _observations() -> tuple[np.ndarray, np.ndarray]:
    env = _env()
    first, _ = env.reset(seed=0)
    second, *_ = env.step(np.array([0.5], dtype=np.float32))
    return first, np.stack([first, second])


@pytest.mark.parametrize(
    "algo",
    [
        pytest.param(algo, marks=pytest.mark.expensive) if algo in SB3_ALGOS else algo
        for algo in AGENT_NAMES
    ],
)
def test_every_agent_satisfies_the_interface(algo, tmp_path):
    from agents.checkpoint import write_checkpoint
    from agents.sampler_file import Sampler, load_sampler

    result = _train(algo)
    agent = result.agent
    obs, batch = _observations()
    expected, state = agent.predict(batch)  # first call: a fresh policy, as a loaded one is

    assert isinstance(agent, SamplerAgent)
    assert agent.algo == algo
    assert agent.is_learning == is_learning(algo)
    assert agent.metadata is result.metadata and agent.metadata["env"]["n_estimators"] == 3
    assert state is None and expected.shape == (2, 1)
    assert np.all((expected >= 0.0) & (expected <= 1.0))
    agent.reset_episode()
    mu, state = agent.predict(obs)
    assert state is None and mu.shape == (1,) and 0.0 <= float(mu[0]) <= 1.0

    spec, weights = agent.checkpoint_state()
    assert isinstance(spec, dict) and isinstance(weights, dict)
    assert bool(weights) == agent.is_learning
    write_checkpoint(agent, tmp_path / "agent", result.metadata)
    loaded = load_sampler(tmp_path / "agent")
    assert isinstance(loaded, Sampler) and isinstance(loaded, SamplerAgent)
    np.testing.assert_array_equal(loaded.predict(batch)[0], expected)

    # A loaded sampler is an agent too: its checkpoint_state round-trips again.
    write_checkpoint(loaded, tmp_path / "again", dict(loaded.metadata))
    again = load_sampler(tmp_path / "again")
    np.testing.assert_array_equal(again.predict(batch)[0], expected)
    assert again.checkpoint_state()[0] == loaded.checkpoint_state()[0]
    assert loaded.fit(_env()) is loaded  # frozen: nothing to tune


def test_fit_is_the_one_tuning_entry_point():
    from agents.registry import make_agent

    tuned = make_agent("tuned-constant", hyperparameters={"grid": [0.0, 1.0], "n_episodes": 1})
    assert tuned.needs_tuning and not tuned.scores_
    assert tuned.fit(_env()) is tuned and set(tuned.scores_) == {0.0, 1.0}
    constant = make_agent("constant", hyperparameters={"mu": 0.3})
    assert not constant.needs_tuning and constant.fit(_env()) is constant
    assert float(constant.predict(_observations()[0])[0][0]) == pytest.approx(0.3)


@pytest.mark.expensive
def test_sb3_agents_train_with_learn_not_fit():
    agent = _train("a2c").agent
    with pytest.raises(TypeError, match="learn"):
        agent.fit(_env())


def test_old_tuning_entry_points_still_work_with_a_warning():
    from agents.tuned import TunedConstantPolicy

    env = _env()
    new = TunedConstantPolicy(grid=(0.0, 1.0), n_episodes=1, n_estimators=3).fit(env)
    for call in ("fit_env", "learn"):
        old = TunedConstantPolicy(grid=(0.0, 1.0), n_episodes=1, n_estimators=3)
        with pytest.warns(DeprecationWarning):
            (old.fit_env(env) if call == "fit_env" else old.learn(0, env=env))
        assert old.scores_ == new.scores_ and old.mu == new.mu


def test_foreign_samplers_with_only_predict_still_play_episodes():
    from agents.rollout import run_episode

    class OnlyPredict:
        def predict(self, obs, deterministic=True):
            return np.array([0.5], dtype=np.float32), None

    info, mus = run_episode(_env(), OnlyPredict(), seed=0)
    assert mus == [0.5, 0.5] and "valid_score" in info


def test_adding_an_agent_is_one_class_plus_one_registry_line(monkeypatch, tmp_path):
    from agents import registry
    from agents.reference import ReferencePolicy
    from agents.sampler_file import load_sampler

    class HalfwayPolicy(ReferencePolicy):
        """μ halfway between ``mu`` and 1."""

        algo = "halfway"

        def __init__(self, mu: float = 0.0) -> None:
            self.mu = float(mu)

        def params(self):
            return {"mu": self.mu}

        def _mu(self, batch):
            return np.full(batch.shape[0], (self.mu + 1.0) / 2.0)

    monkeypatch.setitem(registry.REFERENCE_POLICIES, "halfway", HalfwayPolicy)

    result = _train("halfway", {"mu": 0.5}, save=tmp_path / "halfway")
    assert isinstance(result.agent, HalfwayPolicy)
    assert result.metadata["hyperparameters"] == {"mu": 0.5}
    loaded = load_sampler(tmp_path / "halfway")
    assert loaded.algo == "halfway"
    assert float(loaded.predict(_observations()[0])[0][0]) == pytest.approx(0.75)
