"""``Mesa-v0``: the MDP of the MesaEnv docstring, checked against the ecosystem's checkers."""

from __future__ import annotations

import importlib
import math
import pickle
import subprocess
import sys
import textwrap
import warnings
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import mesa_env
from mesa_env import MesaEnv, make_task
from mesa_env.state import error_histogram

SB3_BOX_ADVICE = "symmetric and normalized Box action space"


class RecordingTree(DecisionTreeClassifier):
    """A decision tree that remembers every (X, y) it was fitted on (clones share the list)."""

    fits: ClassVar[list[tuple[np.ndarray, np.ndarray]]] = []

    def fit(self, X, y, sample_weight=None, check_input=True):
        RecordingTree.fits.append((np.array(X, copy=True), np.array(y, copy=True)))
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


@pytest.fixture
def recording_tree() -> RecordingTree:
    RecordingTree.fits.clear()
    yield RecordingTree()
    RecordingTree.fits.clear()


def act(mu: float) -> np.ndarray:
    return np.array([mu], dtype=np.float32)


def rollout(env: gym.Env, seed: int | None, actions: list[float]) -> list[tuple]:
    """(obs, reward, terminated, truncated, info) after reset and after each action."""
    obs, info = env.reset(seed=seed)
    trace = [(obs, 0.0, False, False, info)]
    trace.extend(env.step(act(mu)) for mu in actions)
    return trace


def same_info(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        both_nan = isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
        if not (both_nan or x == y):
            return False
    return True


def assert_same_trace(first: list[tuple], second: list[tuple]) -> None:
    assert len(first) == len(second)
    for (o1, r1, te1, tr1, i1), (o2, r2, te2, tr2, i2) in zip(first, second, strict=True):
        np.testing.assert_array_equal(o1, o2)
        assert (r1, te1, tr1) == (r2, te2, tr2)
        assert same_info(i1, i2), (i1, i2)


def ensemble_proba(env: MesaEnv, X: np.ndarray) -> np.ndarray:
    """F(x) recomputed from the fitted members, independently of the env's running mean."""
    columns = [m.predict_proba(X)[:, list(m.classes_).index(1)] for m in env.ensemble.estimators]
    return np.mean(columns, axis=0)


ACTIONS = [0.1, 0.9, 0.5]  # a whole episode with n_estimators=4


SCORES = ("train_score", "valid_score", "test_score")


# --------------------------------------------------------------------------- data leakage
def six_tuple(task) -> tuple:
    return (task.X_train, task.y_train, task.X_valid, task.y_valid, task.X_test, task.y_test)


# --------------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def few_minority() -> tuple[np.ndarray, np.ndarray]:
    y = np.r_[np.zeros(50, np.int64), np.ones(4, np.int64)]
    return np.random.default_rng(0).random((54, 3)), y


def with_bad(xy, kind: str) -> Any:
    X, y = xy
    if kind == "nan":
        X = X.copy()
        X[3, 1] = np.nan
    elif kind == "inf":
        X = X.copy()
        X[5, 0] = np.inf
    elif kind == "one_class":
        y = np.zeros_like(y)
    elif kind == "three_classes":
        y = y.copy()
        y[:10] = 2
    elif kind == "lengths":
        y = y[:-1]
    elif kind == "X_1d":
        X = X[:, 0]
    elif kind == "X_3d":
        X = X[:, :, None]
    elif kind == "X_empty":
        X, y = X[:0], y[:0]
    return (X, y)


class ProbaOf(ClassifierMixin, BaseEstimator):
    """A stand-in learner whose ``predict_proba`` misbehaves in a chosen way."""

    def __init__(self, fault: str = "none") -> None:
        self.fault = fault

    def fit(self, X, y):
        self.classes_ = np.array(["a", "b"]) if self.fault == "classes" else np.unique(y)
        return self

    def predict_proba(self, X):
        p = np.full((len(X), 2), 0.5)
        if self.fault == "one_column":
            return p[:, :1]
        if self.fault == "nan":
            p[3, 1] = np.nan
        if self.fault == "above_one":
            p[:, 1] = 1.5
        if self.fault == "negative":
            p[:, 1] = -0.25
        if self.fault == "inf":
            p[0, 1] = np.inf
        return p


# --------------------------------------------------------------------------- checkers, registry
def test_gymnasium_and_sb3_checkers_pass_with_only_sb3_box_advice(xy):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(gym.make("Mesa-v0", dataset=xy, n_estimators=4).unwrapped)
        sb3_check_env(gym.make("Mesa-v0", dataset=xy, n_estimators=4).unwrapped)
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    advice = [m for m in messages if SB3_BOX_ADVICE in m]
    assert len(advice) == 1, messages  # SB3's checker did run, and said only this
    assert [m for m in messages if SB3_BOX_ADVICE not in m] == []


def test_import_registers_mesa_v0_once_and_reload_is_silent():
    assert gym.spec("Mesa-v0").entry_point == "mesa_env.env:MesaEnv"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.reload(mesa_env)
        importlib.reload(mesa_env)
        import mesa_env as again  # noqa: F401
    assert [str(w.message) for w in caught] == []  # gymnasium warns "Overriding environment"
    entries = [s.id for s in gym.registry.values() if s.entry_point == "mesa_env.env:MesaEnv"]
    assert entries.count("Mesa-v0") == 1 and len(set(entries)) == len(entries), entries


def test_make_with_module_prefix_in_a_fresh_process(tmp_path):
    code = textwrap.dedent(
        """
        import sys
        import gymnasium as gym
        assert "mesa_env" not in sys.modules and "Mesa-v0" not in gym.registry
        env = gym.make("mesa_env:Mesa-v0", dataset="toy-less", n_estimators=3)
        obs, info = env.reset(seed=0)
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        print(type(env.unwrapped).__name__, obs.shape, info["ensemble_size"])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["MesaEnv", "(10,)", "2"]


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_actions_same_episode(make_env):
    first = rollout(make_env(), 7, ACTIONS)
    second = rollout(make_env(), 7, ACTIONS)
    assert_same_trace(first, second)
    assert all(step[4]["ensemble_size"] == t + 1 for t, step in enumerate(first))


def test_different_seeds_differ(make_env):
    first = rollout(make_env(), 7, ACTIONS)
    other = rollout(make_env(), 8, ACTIONS)
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(first, other, strict=True))
    assert [s[4]["valid_score"] for s in first] != [s[4]["valid_score"] for s in other]


def test_second_reset_with_the_same_seed_reproduces_the_first(make_env):
    env = make_env()
    first = rollout(env, 3, ACTIONS)
    rollout(env, None, ACTIONS[::-1])  # an unseeded episode in between
    assert_same_trace(first, rollout(env, 3, ACTIONS))


# --------------------------------------------------------------------------- MDP contract
@pytest.mark.parametrize(
    ("metric", "reference"), [("aucprc", average_precision_score), ("rocauc", roc_auc_score)]
)
def test_rewards_sum_to_the_validation_gain(make_env, metric, reference):
    env = make_env(n_estimators=6, metric=metric)
    _, info = env.reset(seed=0)
    start = info["valid_score"]
    rewards = []
    for t in range(5):
        _, reward, terminated, truncated, info = env.step(act(0.2 * t))
        rewards.append(reward)
        valid = env.task.eval_slices["valid"]
        # the score is sklearn's metric of F_t on the validation split
        assert info["valid_score"] == pytest.approx(
            reference(env.task.y_valid, env.ensemble.proba[valid]), abs=1e-12
        )
    assert terminated and not truncated
    assert sum(rewards) == pytest.approx(info["valid_score"] - start, abs=1e-12)
    assert any(r != 0 for r in rewards)
    # F_t really is the mean of the members (to rounding)
    np.testing.assert_allclose(
        env.ensemble.proba[valid], ensemble_proba(env, env.task.X_valid), atol=1e-12
    )


def test_valid_score_is_the_metric_of_the_exact_ensemble_mean(make_env):
    """Paper Alg. 3 l.6: r_t = P(F_{t+1}, D_v) − P(F_t, D_v) with F_t = (1/t) Σ f_i (Alg. 2 l.3).

    Several episodes, so the check does not hinge on one trajectory hitting a tie.
    """
    env = make_env(n_estimators=6)
    mismatches = []
    for seed in range(4):
        env.reset(seed=seed)
        for t in range(5):
            info = env.step(act(0.2 * t))[4]
            exact = ensemble_proba(env, env.task.X_valid)  # np.mean: exact for 0/1 tree votes
            expected = average_precision_score(env.task.y_valid, exact)
            if abs(info["valid_score"] - expected) > 1e-12:
                mismatches.append((seed, t, info["valid_score"], expected))
    assert mismatches == []


def test_reward_scale_multiplies_every_reward(make_env):
    plain = rollout(make_env(n_estimators=6), 1, [0.3] * 5)
    scaled = rollout(make_env(n_estimators=6, reward_scale=100.0), 1, [0.3] * 5)
    gain = scaled[-1][4]["valid_score"] - scaled[0][4]["valid_score"]
    assert sum(s[1] for s in scaled) == pytest.approx(100.0 * gain, abs=1e-10)
    for p, s in zip(plain[1:], scaled[1:], strict=True):
        assert s[1] == pytest.approx(100.0 * p[1], abs=1e-12)
        np.testing.assert_array_equal(p[0], s[0])  # scale changes rewards only


@pytest.mark.parametrize("n_estimators", [2, 5])
def test_episode_has_k_minus_1_steps_terminated_only_at_the_end(make_env, n_estimators):
    env = make_env(n_estimators=n_estimators)
    env.reset(seed=0)
    flags = [env.step(act(0.5))[2:4] for _ in range(n_estimators - 1)]
    assert flags == [(False, False)] * (n_estimators - 2) + [(True, False)]
    assert len(env.ensemble) == n_estimators
    with pytest.raises(RuntimeError, match="terminated; call reset"):
        env.step(act(0.5))
    env.reset(seed=1)  # a reset starts a new episode
    assert env.step(act(0.5))[4]["ensemble_size"] == 2


def test_step_before_reset_raises(make_env):
    with pytest.raises(RuntimeError, match="reset"):
        make_env().step(act(0.5))


@pytest.mark.parametrize("kwargs", [{}, {"n_bins": 1}, {"n_bins": 10}, {"histogram": "majority"}])
def test_observation_in_space_float32_halves_sum_to_one(make_env, kwargs):
    env = make_env(**kwargs)
    b = env.n_bins
    assert env.observation_space.shape == (2 * b,)
    for obs, *_ in rollout(env, 0, ACTIONS):
        assert obs.dtype == np.float32 and obs.shape == (2 * b,)
        assert env.observation_space.contains(obs)
        assert obs[:b].sum() == pytest.approx(1.0, abs=1e-6)
        assert obs[b:].sum() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    ("learner", "n_estimators"),
    [
        (DecisionTreeClassifier(), 6),
        pytest.param(
            KNeighborsClassifier(n_neighbors=3),
            6,
        ),
    ],
    ids=["tree", "knn"],
)
def test_observation_is_eq2_of_the_members_errors(make_env, learner, n_estimators):
    """S = [Ê_train : Ê_valid] with errors |F(x) − y|, F the mean of the fitted members."""
    env = make_env(n_bins=5, base_estimator=learner, n_estimators=n_estimators)
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        for t in range(n_estimators):
            if t:
                obs = env.step(act(0.2 * t))[0]
            task = env.task
            e_train = np.abs(ensemble_proba(env, task.X_train) - task.y_train)
            e_valid = np.abs(ensemble_proba(env, task.X_valid) - task.y_valid)
            expected = np.r_[error_histogram(e_train, 5), error_histogram(e_valid, 5)]
            np.testing.assert_allclose(obs, expected, atol=1e-6, err_msg=f"seed {seed}, t {t}")


def test_progress_obs_appends_t_over_k(make_env):
    env = make_env(progress_obs=True, n_estimators=4)
    assert env.observation_space.shape == (11,)
    trace = rollout(env, 0, ACTIONS)
    assert [float(s[0][-1]) for s in trace] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert all(env.observation_space.contains(s[0]) for s in trace)


def test_info_holds_numbers_and_mu_is_clipped(make_env):
    env = make_env()
    _, info = env.reset(seed=0)
    assert set(info) == {"valid_score", "ensemble_size", "task"}  # no mu: no action yet
    assert info["ensemble_size"] == 1 and info["task"] == "arrays"
    assert isinstance(info["valid_score"], float)
    info = env.step(act(1.7))[4]
    assert set(info) == {"valid_score", "ensemble_size", "mu", "task"} and info["mu"] == 1.0
    assert env.step(np.array([-3.0]))[4]["mu"] == 0.0
    info = env.step(0.25)[4]  # a bare number is accepted too; this step terminates
    assert info["mu"] == 0.25
    assert set(info) == {*SCORES, "ensemble_size", "mu", "task"}
    assert all(isinstance(info[k], float) for k in SCORES)


def test_info_scores_every_step_reports_train_and_test_scores_everywhere(make_env):
    final = rollout(make_env(), 5, ACTIONS)
    every = rollout(make_env(info_scores="every_step"), 5, ACTIONS)
    for (o1, r1, *_, i1), (o2, r2, *_, i2) in zip(final, every, strict=True):
        np.testing.assert_array_equal(o1, o2)
        assert r1 == r2 and i1["valid_score"] == i2["valid_score"]
        assert {"train_score", "test_score"} <= set(i2)
    assert {k: final[-1][4][k] for k in SCORES} == {k: every[-1][4][k] for k in SCORES}
    assert "train_score" not in final[-2][4] and "test_score" not in final[0][4]
    env = make_env(info_scores="every_step")
    _, info = env.reset(seed=5)
    task = env.task
    assert info["test_score"] == pytest.approx(
        average_precision_score(task.y_test, env.ensemble.proba[task.eval_slices["test"]])
    )


def test_default_steps_score_the_validation_split_only(make_env, monkeypatch):
    """The reward needs one metric call, on the validation rows.

    Train/test scores (4× the rows) are computed at termination only, unless
    ``info_scores="every_step"``.
    """
    env = make_env(n_estimators=4)
    env.reset(seed=0)
    sizes: list[int] = []
    score = env._score
    monkeypatch.setattr(env, "_score", lambda y, p: sizes.append(y.size) or score(y, p))
    env.step(act(0.5))
    assert sizes == [env.task.y_valid.size]
    sizes.clear()
    env.step(act(0.5))
    env.step(act(0.5))  # terminal: the finished ensemble's train and test scores too
    assert sorted(sizes) == sorted(
        [env.task.y_valid.size] * 2 + [env.task.y_train.size, env.task.y_test.size]
    )


@pytest.mark.parametrize("value", ["final ", "every", None, True])
def test_info_scores_takes_final_or_every_step(make_env, value):
    with pytest.raises(ValueError, match="info_scores must be one of"):
        make_env(info_scores=value)


# --------------------------------------------------------------------------- μ steers the sampler
def test_mu_zero_trains_on_easy_majority_and_mu_one_on_hard(recording_tree):
    """Through the env, μ steers which majority rows the new learner gets.

    Their mean current error is low under μ=0 and high under μ=1 (Alg. 1 with Eq. 3).
    """
    mean_error = {}
    for mu in (0.0, 1.0):
        env = MesaEnv("digits", base_estimator=recording_tree, n_estimators=3)
        env.reset(seed=0)
        env.step(act(0.5))  # F_2 has errors 0, 0.5 and 1 on the majority
        members = list(env.ensemble.estimators)
        RecordingTree.fits.clear()
        env.step(act(mu))
        ((X_fit, y_fit),) = RecordingTree.fits
        assert np.count_nonzero(y_fit == 1) == np.count_nonzero(y_fit == 0) == env.task.n_minority
        X_majority = X_fit[y_fit == 0]
        errors = np.mean([m.predict_proba(X_majority)[:, 1] for m in members], axis=0)
        mean_error[mu] = errors.mean()
    assert mean_error[0.0] < 0.1
    assert mean_error[1.0] > 0.4
    assert mean_error[1.0] - mean_error[0.0] > 0.35


def test_test_split_never_changes_observations_or_rewards(xy):
    base = make_task(xy)
    X_other, y_other = make_classification(
        n_samples=300, n_features=5, weights=[0.7], random_state=5
    )
    env_a = MesaEnv(six_tuple(base), n_estimators=4, info_scores="every_step")
    env_b = MesaEnv(
        (*six_tuple(base)[:4], X_other, y_other), n_estimators=4, info_scores="every_step"
    )
    trace_a, trace_b = rollout(env_a, 11, ACTIONS), rollout(env_b, 11, ACTIONS)
    for a, b in zip(trace_a, trace_b, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1:4] == b[1:4]
        assert a[4]["valid_score"] == b[4]["valid_score"]
        assert a[4]["train_score"] == b[4]["train_score"]
    assert trace_a[-1][4]["test_score"] != trace_b[-1][4]["test_score"]  # the test sets differ


def test_only_training_rows_ever_train_a_learner(xy, recording_tree):
    """Validation rows are marked (feature 0 shifted by 1000); no learner ever sees one."""
    task = make_task(xy)
    X_valid = task.X_valid.copy()
    X_valid[:, 0] += 1000.0
    env = MesaEnv(
        (task.X_train, task.y_train, X_valid, task.y_valid, task.X_test, task.y_test),
        base_estimator=recording_tree,
        n_estimators=5,
    )
    rollout(env, 0, [0.0, 1.0, 0.5, 0.2])
    assert len(RecordingTree.fits) == 5
    train_rows = {
        row.tobytes(): label for row, label in zip(task.X_train, task.y_train, strict=True)
    }
    for X_fit, y_fit in RecordingTree.fits:
        assert X_fit.shape[0] == 2 * task.n_minority
        assert np.all(X_fit[:, 0] < 500.0)
        assert all(
            train_rows.get(row.tobytes()) == label for row, label in zip(X_fit, y_fit, strict=True)
        )
        assert np.count_nonzero(y_fit) == task.n_minority  # every minority example, each time


# --------------------------------------------------------------------------- cross-task
def test_task_list_is_drawn_by_the_seed_and_chosen_by_option(xy):
    datasets = ["toy-less", "toy-mid", xy]
    env = MesaEnv(datasets, n_estimators=2)
    other = MesaEnv(datasets, n_estimators=2)
    drawn = [env.reset(seed=s)[1]["task"] for s in range(30)]
    assert drawn == [other.reset(seed=s)[1]["task"] for s in range(30)]
    assert set(drawn) == {"toy-less", "toy-mid", "arrays"}
    assert env.reset(seed=0, options={"task": 1})[1]["task"] == "toy-mid"
    assert env.reset(seed=0, options={"task": "arrays"})[1]["task"] == "arrays"
    assert env.task is env.tasks[2]
    with pytest.raises(ValueError, match=r"out of range 0\.\.2"):
        env.reset(options={"task": 3})
    with pytest.raises(ValueError, match="not one of"):
        env.reset(options={"task": "digits"})


def test_array_tasks_have_distinct_names(xy):
    X2, y2 = make_classification(n_samples=300, n_features=5, weights=[0.9], random_state=1)
    env = MesaEnv([xy, (X2, y2)], n_estimators=2)
    names = [t.name for t in env.tasks]
    assert len(set(names)) == len(names), names


# --------------------------------------------------------------------------- vector, pickle
def test_async_vector_env_runs_a_whole_episode(xy):
    envs = gym.make_vec(
        "Mesa-v0", num_envs=2, vectorization_mode="async", dataset=xy, n_estimators=3
    )
    try:
        obs, info = envs.reset(seed=0)
        assert obs.shape == (2, 10) and obs.dtype == np.float32
        assert not np.array_equal(obs[0], obs[1])  # sub-envs seeded 0 and 1
        assert info["ensemble_size"].tolist() == [1, 1]
        for t in range(2):
            obs, rewards, terminated, truncated, _ = envs.step(np.full((2, 1), 0.5, np.float32))
            assert terminated.tolist() == [t == 1, t == 1] and not truncated.any()
            assert np.isfinite(rewards).all()
        np.testing.assert_allclose(obs.sum(axis=1), 2.0, atol=1e-5)
    finally:
        envs.close()


def test_pickled_env_takes_the_same_next_step(make_env):
    env = make_env()
    env.reset(seed=4)
    env.step(act(0.3))
    clone = pickle.loads(pickle.dumps(env))
    a, b = env.step(act(0.7)), clone.step(act(0.7))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1:4] == b[1:4] and same_info(a[4], b[4])


@pytest.mark.parametrize(
    ("kind", "error", "match"),
    [
        ("nan", ValueError, "NaN or inf in 1 row"),
        ("inf", ValueError, "NaN or inf"),
        ("one_class", ValueError, "single class"),
        ("three_classes", ValueError, "3 classes"),
        ("lengths", ValueError, "different lengths"),
        ("X_1d", ValueError, "must be 2-D"),
        ("X_3d", ValueError, "must be 2-D"),
        ("X_empty", ValueError, "empty"),
    ],
)
def test_bad_data_is_refused_at_construction(xy, kind, error, match):
    with pytest.raises(error, match=match):
        MesaEnv(with_bad(xy, kind))


def test_too_few_minority_examples(few_minority):
    with pytest.raises(ValueError, match="only 4 minority example"):
        MesaEnv(few_minority)
    X, y = few_minority
    with pytest.raises(ValueError, match="validation split has only 0 minority"):
        MesaEnv((X, y, X[:40], y[:40]))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_estimators": 1}, ValueError, "n_estimators must be >= 2"),
        ({"n_estimators": 3.0}, TypeError, "n_estimators must be an integer"),
        ({"n_bins": 0}, ValueError, "n_bins must be >= 1"),
        ({"sigma": 0.0}, ValueError, "sigma must be a positive"),
        ({"sigma": -0.2}, ValueError, "sigma must be a positive"),
        ({"sigma": float("nan")}, ValueError, "sigma must be a positive"),
        ({"base_estimator": SVC()}, TypeError, "no predict_proba"),
        ({"base_estimator": LinearRegression()}, TypeError, "must be a scikit-learn classifier"),
        ({"base_estimator": DecisionTreeClassifier}, TypeError, r"instance, e\.g\. Decision"),
        ({"metric": "auprc"}, ValueError, "unknown metric 'auprc'"),
        ({"histogram": "minority"}, ValueError, "histogram must be one of"),
        ({"reward_scale": float("inf")}, ValueError, "reward_scale must be finite"),
        ({"dataset": "digitz"}, ValueError, "unknown dataset 'digitz'; known names: digits, "),
        ({"dataset": []}, ValueError, "empty list"),
        ({"dataset": (1, 2, 3)}, ValueError, "tuple of 3 items"),
        ({"dataset": 42}, TypeError, "dataset must be a name"),
        ({"dataset": "/nonexistent/dir/data.csv"}, FileNotFoundError, "does not exist"),
    ],
)
def test_bad_arguments_are_refused_at_construction(xy, kwargs, error, match):
    kwargs.setdefault("dataset", xy)
    with pytest.raises(error, match=match):
        MesaEnv(**kwargs)


def test_unknown_dataset_message_lists_every_known_name():
    with pytest.raises(ValueError, match="unknown dataset") as exc:
        MesaEnv("nope")
    assert all(name in str(exc.value) for name in mesa_env.DATASET_NAMES)


@pytest.mark.parametrize(
    ("action", "error", "match"),
    [
        (np.array([np.nan], np.float32), ValueError, "NaN"),
        (np.array([0.1, 0.2]), ValueError, "exactly one value"),
        ("high", TypeError, "action must be a number"),
        ("0.5", TypeError, "action must be a number"),
        (b"0.5", TypeError, "action must be a number"),
        (np.array([0.5 + 0.5j]), TypeError, "real numbers"),
        (0.5 + 0j, TypeError, "real numbers"),
        (np.array([True]), TypeError, "real numbers"),
        ([0.5, None], TypeError, "real numbers"),
    ],
)
def test_bad_actions_are_refused(make_env, action, error, match):
    env = make_env()
    env.reset(seed=0)
    with pytest.raises(error, match=match):
        env.step(action)
    assert len(env.ensemble) == 1  # nothing was trained


@pytest.mark.parametrize("kwargs", [{"sigma": None}, {"sigma": "0.2"}, {"reward_scale": None}])
def test_non_numeric_sigma_or_reward_scale_is_named(xy, kwargs):
    with pytest.raises(TypeError, match=r"sigma|reward_scale"):
        MesaEnv(xy, **kwargs)


def test_validation_split_without_majority_is_refused(xy):
    X, y = xy
    X_valid = X[400:][y[400:] == 1]
    with pytest.raises(ValueError, match="majority"):
        env = MesaEnv(
            (X[:400], y[:400], X_valid, np.ones(len(X_valid), np.int64)),
            histogram="majority",
            n_estimators=2,
        )
        env.reset(seed=0)


# --------------------------------------------------------------------------- base learners
@pytest.mark.parametrize(
    "learner",
    [GaussianNB(), LogisticRegression(max_iter=500), KNeighborsClassifier(n_neighbors=3)],
    ids=["GaussianNB", "LogisticRegression", "KNeighbors"],
)
def test_other_base_learners_run_whole_episodes(make_env, learner):
    env = make_env(base_estimator=learner)
    trace = rollout(env, 0, ACTIONS)
    assert trace[-1][2] is True
    assert all(type(m) is type(learner) for m in env.ensemble.estimators)
    assert env.ensemble.estimators[0] is not learner  # cloned, the user's object untouched
    valid = env.ensemble.proba[env.task.eval_slices["valid"]]
    np.testing.assert_allclose(valid, ensemble_proba(env, env.task.X_valid), atol=1e-12)
    expected = average_precision_score(env.task.y_valid, valid)
    assert trace[-1][4]["valid_score"] == pytest.approx(expected, abs=1e-12)
    assert all(env.observation_space.contains(s[0]) for s in trace)


def test_member_random_state_comes_from_the_env_seed(make_env):
    def member_seeds(env: MesaEnv, seed: int) -> list[int]:
        rollout(env, seed, ACTIONS)
        return [m.random_state for m in env.ensemble.estimators]

    env = make_env(base_estimator=DecisionTreeClassifier(random_state=123))
    first = member_seeds(env, 0)
    assert all(isinstance(s, int) for s in first) and len(set(first)) == len(first)
    assert member_seeds(env, 0) == first
    assert member_seeds(make_env(), 0) == first  # the user's random_state is replaced
    assert member_seeds(env, 1) != first
    assert env.base_estimator.random_state == 123


def test_nested_random_state_of_a_pipeline_is_seeded(make_env):
    env = make_env(base_estimator=make_pipeline(StandardScaler(), DecisionTreeClassifier()))
    env.reset(seed=0)
    params = env.ensemble.estimators[0].get_params()
    assert params["decisiontreeclassifier__random_state"] is not None


@pytest.mark.parametrize(
    "action", [0.25, np.float32(0.25), np.array([[0.25]]), [0.25], (0.25,), np.array([1], np.int8)]
)
def test_real_actions_of_any_form_are_accepted(make_env, action):
    env = make_env()
    env.reset(seed=0)
    assert env.step(action)[4]["mu"] == pytest.approx(float(np.ravel(action)[0]))


def test_golden_episode_is_unchanged_bit_for_bit(xy):
    """A fixed episode's observations, rewards and validation scores must not move.

    Recorded before the speed work (info at termination, one-pass histograms, fewer sklearn
    checks).
    """
    trace = rollout(MesaEnv(xy, n_estimators=4), 7, [0.1, 0.9, 0.5])
    assert [s[4]["valid_score"].hex() for s in trace] == [
        "0x1.13a70be51b690p-2",
        "0x1.8000000000001p-2",
        "0x1.2c454b1152c45p-1",
        "0x1.21b3fd21b3fd2p-1",
    ]
    assert [s[1] for s in trace[1:]] == [
        0.10580808080808085,
        0.21146616541353375,
        -0.02063983488132093,
    ]
    assert trace[-1][4]["test_score"].hex() == "0x1.3444f377a3445p-1"
    np.testing.assert_array_equal(
        trace[-1][0],
        np.array(
            [0.23333333, 0.525, 0.11388889, 0.12777779, 0.0, 0.275, 0.38333333, 0.14166667,
             0.19166666, 0.008333334],
            dtype=np.float32,
        ),
    )  # fmt: skip


def test_two_identical_envs_match_under_gymnasium_check_environments_match(xy):
    from gymnasium.utils.env_match import check_environments_match

    kwargs = {"dataset": xy, "n_estimators": 5, "render_mode": "rgb_array"}
    check_environments_match(gym.make("Mesa-v0", **kwargs), gym.make("Mesa-v0", **kwargs), 4)
    kwargs["info_scores"] = "every_step"
    check_environments_match(gym.make("Mesa-v0", **kwargs), gym.make("Mesa-v0", **kwargs), 4)


# --------------------------------------------------------------------------- boundary errors
@pytest.mark.parametrize("value", ["False", "True", 0, 1, None])
def test_boolean_settings_take_booleans_only(make_env, value):
    with pytest.raises(TypeError, match="progress_obs must be True or False"):
        make_env(progress_obs=value)
    assert make_env(progress_obs=np.bool_(True)).observation_space.shape == (11,)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ("task", TypeError, "options must be a dict"),
        ([("task", 0)], TypeError, "options must be a dict"),
        ({"tsak": 0}, ValueError, r"unknown reset option\(s\) \['tsak'\]; known: \['task'\]"),
    ],
)
def test_reset_options_must_be_a_dict_of_known_keys(make_env, options, error, match):
    env = make_env()
    with pytest.raises(error, match=match):
        env.reset(seed=0, options=options)
    assert env.reset(seed=0, options={})[1]["ensemble_size"] == 1


def test_a_bad_element_of_a_dataset_list_is_named(xy):
    with pytest.raises(ValueError, match=r"dataset\[1\]: unknown dataset 'digitz'"):
        MesaEnv([xy, "digitz"])
    X, y = xy
    with pytest.raises(ValueError, match=r"dataset\[2\]: .*single class"):
        MesaEnv([xy, "toy-less", (X, np.zeros_like(y))])
    with pytest.raises(TypeError, match=r"dataset\[0\]: dataset must be a name"):
        MesaEnv([42])


def test_tiny_sigma_runs_without_warnings(make_env):
    """σ = 1e-200: the log-weights overflow to −inf; steps still run, silently.

    The draw itself is checked in tests/mesa_env/test_sampling.py.
    """
    env = make_env(sigma=1e-200, n_estimators=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = rollout(env, 0, [0.5, 0.5])
    assert trace[-1][2] is True


@pytest.mark.parametrize(
    ("fault", "match"),
    [
        ("one_column", r"ProbaOf\.predict_proba returned shape \(\d+, 1\)"),
        ("nan", r"ProbaOf\.predict_proba returned probabilities in \[nan"),
        ("above_one", r"ProbaOf\.predict_proba .* \[0\.5, 1\.5\]"),
        ("negative", r"ProbaOf\.predict_proba .* must be finite and in \[0, 1\]"),
        ("inf", r"ProbaOf\.predict_proba .* inf\]"),
        ("classes", r"ProbaOf was fitted on labels 0/1 but its classes_"),
    ],
)
def test_a_base_learner_with_bad_predict_proba_is_named(make_env, fault, match):
    env = make_env(base_estimator=ProbaOf(fault))
    with pytest.raises(ValueError, match=match):
        env.reset(seed=0)
    assert len(make_env(base_estimator=ProbaOf()).reset(seed=0)[0]) == 10  # the sound one runs


def test_invalid_base_learner_parameters_are_still_reported_by_sklearn(make_env):
    """Members after an episode's first skip sklearn's parameter validation; the first does not."""
    with pytest.raises(ValueError, match="max_depth"):
        make_env(base_estimator=DecisionTreeClassifier(max_depth=-3)).reset(seed=0)
