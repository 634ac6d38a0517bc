"""Agents: one contract for every name, the paper's SAC preset, checkpoints and resume."""

from __future__ import annotations

import gc
import json

import numpy as np
import pytest

from agents.checkpoint import checkpoint_paths, read_metadata
from agents.sampler_file import load_sampler
from agents.training import frozen_heap, meta_train

#: A run of seconds: SAC on toy-less, k = 3 (2 steps an episode), 10 warm-up steps, batches of 8.
_TINY = {
    "algo": "sac",
    "datasets": ["toy-less"],
    "total_timesteps": 30,
    "env_kwargs": {"n_estimators": 3},
    "hyperparameters": {"learning_starts": 10, "batch_size": 8},
}


@pytest.mark.expensive
def test_meta_train_writes_metadata_that_round_trips(tmp_path):
    result = meta_train(**_TINY, tensorboard_log=None, save=tmp_path / "ck", eval_episodes=2)
    meta = json.loads(checkpoint_paths(tmp_path / "ck")["metadata"].read_text())
    assert meta["algo"] == "sac" and meta["timesteps"] == 30 and meta["seed"] == 0
    assert meta["env"] == result.metadata["env"]
    assert meta["env"]["reward_scale"] == 100.0 and meta["env"]["n_estimators"] == 3
    assert meta["hyperparameters"]["learning_starts"] == 10
    assert meta["datasets"] == ["toy-less"]
    assert {"torch", "stable-baselines3", "scikit-learn", "python"} <= set(meta["versions"])
    assert meta["training_curve"]["episodes"] == 15  # 30 steps / (k − 1 = 2)
    assert meta["train_seconds"] > 0
    assert meta["timesteps_per_second"] == pytest.approx(30 / meta["train_seconds"], rel=0.05)
    assert "test_score_mean" in meta["final_scores"]["toy-less"]
    sampler = load_sampler(tmp_path / "ck")
    assert sampler.metadata["env"] == meta["env"]
    with pytest.raises(ValueError, match=r"histogram='majority' \(trained with 'all'\)"):
        load_sampler(tmp_path / "ck", histogram="majority")
    with pytest.raises(ValueError, match=r"sigma=0\.3"):
        load_sampler(tmp_path / "ck", sigma=0.3)
    assert not list(tmp_path.glob("*.tmp*"))  # atomic writes leave nothing behind


@pytest.mark.expensive
def test_resume_continues_timesteps_and_the_tensorboard_run(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    common = {
        "total_timesteps": 40,
        "env_kwargs": {"n_estimators": 3},
        "tensorboard_log": str(tmp_path / "runs"),
        "eval_episodes": 0,
    }
    first = meta_train(
        "sac",
        ["toy-less"],
        hyperparameters={"learning_starts": 10, "batch_size": 8},
        save=tmp_path / "ck",
        **common,
    )
    second = meta_train(resume=tmp_path / "ck", save=tmp_path / "ck", **common)
    assert second.agent.model.num_timesteps == 80
    assert read_metadata(tmp_path / "ck")["timesteps"] == 80
    assert second.tensorboard_dir == first.tensorboard_dir  # the same run continues
    acc = EventAccumulator(first.tensorboard_dir, size_guidance={"scalars": 0})
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"mesa/valid_score", "mesa/test_score", "mesa/validation_gain", "mesa/mean_mu"} <= tags
    assert "train/actor_loss" in tags  # SB3's own losses
    steps = [e.step for e in acc.Scalars("mesa/valid_score")]
    assert max(steps) == 80 and min(steps) <= 40
    assert "mesa/mu" in acc.Tags()["histograms"]
    # μ per ensemble step: members 2..k of each episode (f_1 comes from reset).
    k = read_metadata(tmp_path / "ck")["env"]["n_estimators"]
    assert {t for t in tags if t.startswith("mesa/mu_at_step/")} == {
        f"mesa/mu_at_step/{t:02d}" for t in range(2, k + 1)
    }
    # ... each the mean over the 10 episodes before it: with k = 3, (μ_2 + μ_3) / 2 averages
    # to the mean of those episodes' mean μ.
    mu2, mu3 = acc.Scalars("mesa/mu_at_step/02"), acc.Scalars("mesa/mu_at_step/03")
    assert [e.step for e in mu2] == [e.step for e in mu3] == steps[9::10]
    episode_means = [e.value for e in acc.Scalars("mesa/mean_mu")]
    for i, (a, b) in enumerate(zip(mu2, mu3, strict=True)):
        window = episode_means[10 * i : 10 * i + 10]
        assert (a.value + b.value) / 2 == pytest.approx(np.mean(window), abs=1e-6)


def test_frozen_heap_spares_existing_objects_from_collection_and_restores_them():
    """Objects alive on entry are frozen (not scanned) inside, and collectable again after."""
    assert gc.get_freeze_count() == 0
    cycle: list = []
    cycle.append(cycle)
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        assert not any(obj is cycle for obj in gc.get_objects())  # frozen: never scanned
        fresh: list = []
        assert any(obj is fresh for obj in gc.get_objects(generation=0))  # new ones are
    assert gc.get_freeze_count() == 0
    assert any(obj is cycle for obj in gc.get_objects())


def test_frozen_heap_leaves_a_callers_own_freeze_alone():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with frozen_heap():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen  # not unfrozen by us
    finally:
        gc.unfreeze()


@pytest.mark.expensive
def test_a_run_ending_inside_a_window_still_writes_its_mu_per_step(tmp_path):
    """15 episodes: μ per step is written after the 10th and, for the last 5, at the end."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = meta_train(**_TINY, tensorboard_log=str(tmp_path / "runs"), eval_episodes=0)
    acc = EventAccumulator(result.tensorboard_dir, size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    assert [e.step for e in acc.Scalars("mesa/mu_at_step/02")] == [20, 30]
    assert [e.step for e in acc.Histograms("mesa/mu")] == [20, 30]
    last_five = [e.value for e in acc.Scalars("mesa/mean_mu")][10:]
    mu2, mu3 = acc.Scalars("mesa/mu_at_step/02")[-1], acc.Scalars("mesa/mu_at_step/03")[-1]
    assert (mu2.value + mu3.value) / 2 == pytest.approx(np.mean(last_five), abs=1e-6)
