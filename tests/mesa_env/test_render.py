"""``Mesa-v0``: the MDP of the MesaEnv docstring, checked against the ecosystem's checkers."""

from __future__ import annotations

import itertools
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

from mesa_env import MesaEnv


def act(mu: float) -> np.ndarray:
    return np.array([mu], dtype=np.float32)


# --------------------------------------------------------------------------- rendering
@pytest.mark.parametrize("mode", ["ansi", "rgb_array"])
def test_render_modes_pass_gymnasium_checker_without_any_warning(xy, mode):
    env = gym.make("Mesa-v0", dataset=xy, n_estimators=4, render_mode=mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(env.unwrapped)  # also makes and renders every declared mode
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    assert MesaEnv.metadata["render_modes"] == ["ansi", "rgb_array"]
    assert MesaEnv.metadata["render_fps"] > 0


def test_ansi_render_is_one_line_with_size_mu_scores_and_histograms(make_env):
    env = make_env(render_mode="ansi", n_estimators=4)
    obs, info = env.reset(seed=0)
    line = env.render()
    assert isinstance(line, str) and "\n" not in line
    assert "F_1/4" in line and "mu   -" in line and f"valid {info['valid_score']:.4f}" in line
    obs, _, _, _, info = env.step(act(0.7))
    line = env.render()
    assert "F_2/4" in line and "mu 0.700" in line
    assert "train errors [" + " ".join(f"{v:.2f}" for v in obs[:5]) + "]" in line
    assert "valid errors [" + " ".join(f"{v:.2f}" for v in obs[5:]) + "]" in line


def test_rgb_array_render_is_a_uint8_picture_that_follows_the_episode(make_env):
    env = make_env(render_mode="rgb_array", n_estimators=4)
    env.reset(seed=0)
    first = env.render()
    assert first.dtype == np.uint8 and first.ndim == 3 and first.shape[2] == 3
    h, w, _ = first.shape
    assert 64 <= h <= 400 and 2 * h <= w <= 1000  # small, panels side by side
    frames = [first]
    for mu in (0.1, 0.9, 0.5):
        env.step(act(mu))
        frames.append(env.render())
    assert all(f.shape == first.shape for f in frames)
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))
    third = w // 3  # the μ/score panel draws more as the episode goes on
    coloured = [np.count_nonzero((f[:, 2 * third :] != 255).any(axis=2)) for f in frames]
    assert coloured == sorted(coloured) and coloured[-1] > coloured[0]


def test_render_collection_and_sb3_make_vec_env_use_rgb_array_without_warnings(xy):
    from stable_baselines3.common.env_util import make_vec_env

    env = gym.wrappers.RenderCollection(
        gym.make("Mesa-v0", dataset=xy, n_estimators=3, render_mode="rgb_array")
    )
    env.reset(seed=0)
    env.step(act(0.5))
    frames = env.render()
    assert len(frames) == 2 and frames[0].dtype == np.uint8
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vec = make_vec_env("Mesa-v0", n_envs=2, env_kwargs={"dataset": xy, "n_estimators": 3})
    try:
        assert [str(w.message) for w in caught] == []  # it passes render_mode="rgb_array"
        vec.reset()
        picture = vec.render()
        assert picture.dtype == np.uint8 and picture.ndim == 3
    finally:
        vec.close()


def test_render_without_a_mode_warns_and_returns_none_and_needs_a_reset(make_env):
    env = make_env()
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="without a render_mode"):
        assert env.render() is None
    with pytest.raises(RuntimeError, match="reset"):
        make_env(render_mode="ansi").render()
    with pytest.raises(ValueError, match="render_mode must be None or one of"):
        make_env(render_mode="human")
