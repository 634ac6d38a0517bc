"""Agents: one contract for every name, the paper's SAC preset, checkpoints and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agents.checkpoint import checkpoint_paths, read_metadata, write_checkpoint
from agents.reference import ConstantPolicy, RandomPolicy
from agents.registry import AGENT_NAMES, is_learning, make_agent
from agents.sampler_file import load_sampler
from agents.sb3_agents import (
    SB3Agent,
    StepDecaySchedule,
    default_hyperparameters,
    lr_at,
    rescale_env,
    to_mu,
)
from agents.training import build_vec_env, env_settings, meta_train
from mesa_env import MesaEnv

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


@pytest.mark.parametrize("algo", AGENT_NAMES)
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


def test_sac_preset_has_the_papers_settings():
    """Tables 9–10 mapped onto SB3, inspected on the built model."""
    settings = env_settings(n_estimators=3)
    venv = build_vec_env(["toy-less"], settings, seed=0)
    agent = make_agent("sac", venv, total_timesteps=1500, seed=0)
    model = agent.model
    # Table 9 says 0.99; the original code behaved like 0 and 0 measured better (README).
    assert model.gamma == 0.0
    assert model.tau == 0.01
    assert model.ent_coef_tensor.item() == pytest.approx(0.1)  # fixed temperature
    assert model.log_ent_coef is None  # not learned
    assert model.batch_size == 64
    assert model.buffer_size == 1000
    assert model.learning_starts == 500
    # Algorithm 3: one episode of transitions, then one update per transition collected.
    assert model.train_freq.frequency == 2 and model.train_freq.unit.value == "step"  # k − 1
    assert model.gradient_steps == -1
    assert str(model.device) == "cpu"
    actor_layers = [m for m in model.actor.latent_pi if hasattr(m, "out_features")]
    assert [m.out_features for m in actor_layers] == [50]
    q_layers = [m.out_features for m in model.critic.qf0 if hasattr(m, "out_features")]
    assert q_layers == [50, 50, 1]
    schedule = model.lr_schedule
    assert lr_at(schedule, 0, 1500) == pytest.approx(1e-3)
    assert lr_at(schedule, 509, 1500) == pytest.approx(1e-3)  # 9 updates: no decay yet
    assert lr_at(schedule, 510, 1500) == pytest.approx(1e-3 * 0.99)
    assert lr_at(schedule, 1500, 1500) == pytest.approx(1e-3 * 0.99**100)
    assert env_settings()["reward_scale"] == 100.0  # the original code's ×100


def test_step_decay_schedule_pickles_and_counts_updates():
    import pickle

    schedule = pickle.loads(pickle.dumps(StepDecaySchedule(1e-3, 0.5, 10, 100, 300)))
    assert schedule(1.0) == pytest.approx(1e-3)
    assert schedule(1 - 130 / 300) == pytest.approx(1e-3 * 0.5**3)


def test_sb3_agents_act_on_rescaled_actions_but_answer_mu():
    env = rescale_env(MesaEnv(dataset="toy-less", n_estimators=3))
    assert env.action_space.low[0] == -1 and env.action_space.high[0] == 1
    env.reset(seed=0)
    *_, info = env.step(np.array([-1.0], dtype=np.float32))
    assert info["mu"] == 0.0
    np.testing.assert_allclose(to_mu(np.array([-1.0, 0.0, 1.0])), [0.0, 0.5, 1.0])


def test_ppo_and_a2c_rollouts_fit_short_runs():
    for algo in ("ppo", "a2c"):
        hp = default_hyperparameters(algo, n_estimators=10)
        assert hp["n_steps"] % 9 == 0 and hp["n_steps"] <= 150


@pytest.mark.parametrize("n_envs", [1, 2])
def test_off_policy_agents_do_one_update_per_transition(n_envs):
    """After the warm-up, every transition collected buys exactly one gradient update, in
    batches of one episode per env (Algorithm 3), whatever the number of parallel envs."""
    from agents.training import meta_train

    hp = {"learning_starts": 10, "batch_size": 8, "policy_kwargs.net_arch.pi": [8]}
    result = meta_train(
        "sac", ["toy-less"], total_timesteps=40, n_envs=n_envs, hyperparameters=hp,
        env_kwargs={"n_estimators": 3}, tensorboard_log=None, eval_episodes=0,
    )  # fmt: skip
    model = result.agent.model
    assert model.num_timesteps == result.metadata["timesteps"] == 40
    # episodes of 2 steps; updates start with the first episode ending after step 10
    first = next(t for t in range(2 * n_envs, 41, 2 * n_envs) if t > 10)
    assert model._n_updates == 40 - first + 2 * n_envs


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


def test_random_policy_is_seeded():
    obs = np.full((5, 10), 0.1, dtype=np.float32)
    a, b = RandomPolicy(1).predict(obs)[0], RandomPolicy(1).predict(obs)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, RandomPolicy(2).predict(obs)[0])


def test_meta_train_writes_metadata_that_round_trips(tmp_path):
    result = meta_train(
        "sac",
        ["toy-less"],
        total_timesteps=30,
        hyperparameters={"learning_starts": 10, "batch_size": 8},
        env_kwargs={"n_estimators": 3},
        tensorboard_log=None,
        save=tmp_path / "ck",
        eval_episodes=2,
    )
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
