"""Agents: one contract for every name, the paper's SAC preset, checkpoints and resume."""

from __future__ import annotations

import numpy as np
import pytest

from agents.sampler_file import load_sampler
from agents.training import meta_train
from mesa_env import MesaEnv


def test_tuned_constant_picks_the_best_validation_score(tmp_path):
    from agents.tuned import TunedConstantPolicy

    env = MesaEnv(dataset="toy-mid", n_estimators=4)
    policy = TunedConstantPolicy(grid=(0.0, 0.5, 1.0), n_episodes=2).fit(env)
    assert set(policy.scores_) == {0.0, 0.5, 1.0}
    assert policy.scores_[policy.mu] == max(policy.scores_.values())
    assert policy.predict(np.zeros(10, dtype=np.float32))[0][0] == pytest.approx(policy.mu)
    result = meta_train(
        "tuned-constant",
        ["toy-mid"],
        hyperparameters={"grid": [0.0, 0.5, 1.0], "n_episodes": 2, "n_estimators": 4},
        env_kwargs={"n_estimators": 4},
        save=tmp_path / "tc",
        eval_episodes=0,
    )
    assert result.agent.mu == policy.mu
    assert load_sampler(tmp_path / "tc").predict(np.zeros(10))[0][0] == pytest.approx(policy.mu)
