"""FastSAC: SB3's SAC with a leaner update that must give SB3's results bit for bit."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import SAC

from agents.fast_sac import FastSAC
from agents.lean_adam import LeanAdam
from agents.sb3_agents import _sb3_kwargs, algo_class, default_hyperparameters, rescale_env
from agents.training import torch_threads

pytestmark = pytest.mark.expensive


class RandomObsEnv(gym.Env):
    """Mesa-v0's spaces, random observations and a reward that depends on the action."""

    def __init__(self, obs_dim: int = 10, episode: int = 9) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, (obs_dim,), np.float32)
        self.action_space = gym.spaces.Box(0.0, 1.0, (1,), np.float32)
        self.episode = episode
        self._t = 0

    def _obs(self) -> np.ndarray:
        return self.np_random.random(self.observation_space.shape).astype(np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._t = 0
        return self._obs(), {}

    def step(self, action):
        self._t += 1
        obs = self._obs()
        return obs, float(action[0] * obs[0] - obs[1]), self._t >= self.episode, False, {}


def _train(cls: type, overrides: dict, steps: int = 240, seed: int = 3) -> SAC:
    hp = {**default_hyperparameters("sac"), "learning_starts": 60, **overrides}
    with torch_threads(1):
        model = cls(
            "MlpPolicy",
            rescale_env(RandomObsEnv()),
            seed=seed,
            device="cpu",
            **_sb3_kwargs("sac", hp, steps),
        )
        model.learn(steps)
    return model


CONFIGS = {
    "preset (gamma 0)": {},
    "gamma 0.99": {"gamma": 0.99},
    "learned entropy": {"ent_coef": "auto"},
    "every setting moved": {
        "gamma": 0.9,
        "ent_coef": "auto_0.5",
        "target_update_interval": 2,
        "tau": 0.05,
        "policy_kwargs": {"net_arch": {"pi": [16, 16], "qf": [8]}, "n_critics": 3},
        "action_noise_sigma": 0.1,
    },
}


@pytest.mark.parametrize("overrides", CONFIGS.values(), ids=CONFIGS.keys())
def test_fast_sac_trains_bit_identically_to_sb3_sac(overrides):
    """Same seed, same config: every weight (actor, critics, targets), log and buffer equal."""
    reference, fast = _train(SAC, overrides), _train(FastSAC, overrides)
    assert fast.fast_path_supported()
    ref_state, fast_state = reference.policy.state_dict(), fast.policy.state_dict()
    assert ref_state.keys() == fast_state.keys()
    different = [k for k in ref_state if not torch.equal(ref_state[k], fast_state[k])]
    assert different == []
    assert fast._n_updates == reference._n_updates > 0
    np.testing.assert_array_equal(fast.replay_buffer.actions, reference.replay_buffer.actions)
    for key in ("train/actor_loss", "train/critic_loss", "train/ent_coef"):
        assert fast.logger.name_to_value[key] == reference.logger.name_to_value[key]
    ref_opt = reference.critic.optimizer.state_dict()["state"]
    fast_opt = fast.critic.optimizer.state_dict()["state"]
    assert all(torch.equal(ref_opt[i]["exp_avg"], fast_opt[i]["exp_avg"]) for i in ref_opt)


def test_configurations_outside_the_lean_update_fall_back_to_sb3():
    """With gSDE (not written out) FastSAC says so and trains exactly as SAC does."""
    fast = _train(FastSAC, {"use_sde": True}, steps=120)
    assert not fast.fast_path_supported()
    reference = _train(SAC, {"use_sde": True}, steps=120)
    ref_state, fast_state = reference.policy.state_dict(), fast.policy.state_dict()
    assert all(torch.equal(ref_state[k], fast_state[k]) for k in ref_state)


def test_sac_name_builds_fast_sac_and_its_checkpoints_load_in_plain_sb3(tmp_path):
    """``--algo sac`` trains FastSAC; its zip is an ordinary SB3 SAC checkpoint."""
    assert algo_class("sac") is FastSAC
    fast = _train(FastSAC, {}, steps=120)
    fast.save(tmp_path / "model.zip")
    loaded = SAC.load(tmp_path / "model.zip", device="cpu")
    obs = np.full((4, 10), 0.3, np.float32)
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=True)[0], fast.predict(obs, deterministic=True)[0]
    )


def test_fast_sac_optimises_with_lean_adam_and_saves_the_callers_policy_kwargs(tmp_path):
    """LeanAdam inside, an ordinary SB3 zip outside; an explicit optimizer_class is kept."""
    fast = _train(FastSAC, {}, steps=80)
    assert type(fast.actor.optimizer) is LeanAdam and type(fast.critic.optimizer) is LeanAdam
    assert "optimizer_class" not in fast.policy_kwargs
    fast.save(tmp_path / "model.zip")
    assert type(SAC.load(tmp_path / "model.zip", device="cpu").actor.optimizer) is torch.optim.Adam
    assert type(FastSAC.load(tmp_path / "model.zip", device="cpu").actor.optimizer) is LeanAdam
    chosen = _train(FastSAC, {"policy_kwargs": {"optimizer_class": torch.optim.AdamW}}, steps=80)
    assert type(chosen.actor.optimizer) is torch.optim.AdamW
