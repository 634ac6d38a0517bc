"""Agents: one contract for every name, the paper's SAC preset, checkpoints and resume."""

from __future__ import annotations

import numpy as np

from agents.reference import RandomPolicy
from mesa_env import MesaEnv


def test_random_policy_is_seeded():
    obs = np.full((5, 10), 0.1, dtype=np.float32)
    a, b = RandomPolicy(1).predict(obs)[0], RandomPolicy(1).predict(obs)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, RandomPolicy(2).predict(obs)[0])


def test_schedule_policy_moves_linearly_over_the_episode():
    from agents.reference import SchedulePolicy
    from agents.rollout import run_episode

    policy = SchedulePolicy(0.0, 1.0, n_estimators=5)
    _, mus = run_episode(MesaEnv(dataset="toy-less", n_estimators=5), policy, seed=0)
    np.testing.assert_allclose(mus, [0.0, 1 / 3, 2 / 3, 1.0], atol=1e-6)
    _, again = run_episode(MesaEnv(dataset="toy-less", n_estimators=5), policy, seed=1)
    np.testing.assert_allclose(again, mus, atol=1e-6)  # the counter restarts per episode
    # with progress_obs the step is read from the observation instead of counted
    env = MesaEnv(dataset="toy-less", n_estimators=5, progress_obs=True)
    _, from_obs = run_episode(env, SchedulePolicy(1.0, 0.0, n_estimators=5), seed=0)
    np.testing.assert_allclose(from_obs, [1.0, 2 / 3, 1 / 3, 0.0], atol=1e-6)
