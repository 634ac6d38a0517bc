"""train_sampler.py: a thin front whose flags reach the library and whose bad flags are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agents import train_cli as train_sampler
from agents.sb3_agents import SB3_ALGOS

_TINY = ["--dataset", "toy-less", "--n-estimators", "3", "--total-timesteps", "30",
         "--eval-episodes", "1", "--tensorboard-log", "", "--no-progress-bar"]  # fmt: skip
_PER_ALGO = {
    "ppo": ["--hp", "n_steps=10", "--hp", "batch_size=10"],
    "a2c": [],
}


def _every_algo() -> list[str]:
    from agents.registry import AGENT_NAMES

    return list(AGENT_NAMES)


@pytest.mark.parametrize(
    "argv",
    [
        ["--algo", "dqn"],
        ["--total-timesteps", "0"],
        ["--n-envs", "0"],
        ["--n-estimators", "1"],
        ["--n-bins", "0"],
        ["--sigma", "-1"],
        ["--histogram", "some"],
        ["--hp", "gamma"],
        ["--total-timesteps", "many"],
    ],
)
def test_bad_flags_are_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_sampler.parse_args(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_hp_values_parse_as_json_with_dotted_keys():
    args = train_sampler.parse_args(
        ["--hp", "gamma=0", "--hp", "policy_kwargs.net_arch.pi=[64,64]", "--hp", "x=abc"]
    )
    assert args.hp == [("gamma", 0), ("policy_kwargs.net_arch.pi", [64, 64]), ("x", "abc")]


@pytest.mark.expensive
def test_main_trains_saves_and_reports(tmp_path, capsys):
    stem = tmp_path / "ck"
    argv = [
        "--dataset", "toy-less", "--dataset", "toy-mid", "--total-timesteps", "30",
        "--n-estimators", "3", "--hp", "learning_starts=10", "--hp", "batch_size=8",
        "--hp", "policy_kwargs.net_arch.pi=[16]", "--save", str(stem),
        "--tensorboard-log", str(tmp_path / "runs"), "--eval-episodes", "2", "--no-progress-bar",
    ]  # fmt: skip
    assert train_sampler.main(argv) == 0
    out = capsys.readouterr().out
    meta = json.loads(stem.with_suffix(".json").read_text())
    assert meta["datasets"] == ["toy-less", "toy-mid"]  # cross-task meta-training
    assert meta["hyperparameters"]["policy_kwargs"]["net_arch"]["pi"] == [16]
    assert meta["timesteps"] == 30
    assert meta["provenance"]["command"].startswith("train_sampler.py --dataset toy-less")
    assert "toy-less: final ensemble aucprc" in out and "toy-mid:" in out
    assert f"tensorboard --logdir {tmp_path / 'runs'}" in out
    assert str(stem) + ".sampler.pt" in out


@pytest.mark.expensive
def test_meta_training_without_tensorboard_leaves_no_log_folder(tmp_path, monkeypatch):
    import tempfile

    from agents.training import meta_train

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where SB3 would put SB3-<date>/
    monkeypatch.delenv("SB3_LOGDIR", raising=False)
    result = meta_train(
        "sac",
        ["toy-less"],
        total_timesteps=30,
        hyperparameters={"learning_starts": 10},
        tensorboard_log=None,
        save=None,
        eval_episodes=0,
    )
    assert result.agent.model.num_timesteps == 36  # 30, rounded up to whole 9-step episodes
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "algo",
    [
        pytest.param(algo, marks=pytest.mark.expensive) if algo in SB3_ALGOS else algo
        for algo in _every_algo()
    ],
)
def test_every_algo_choice_trains_saves_and_reports(algo, tmp_path, capsys):
    from agents.registry import is_learning
    from agents.sampler_file import load_sampler

    extra = _PER_ALGO.get(algo, ["--hp", "learning_starts=10", "--hp", "batch_size=8"])
    stem = tmp_path / algo
    argv = ["--algo", algo, *_TINY, "--save", str(stem), *(extra if is_learning(algo) else [])]
    assert train_sampler.main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    meta = json.loads(stem.with_suffix(".json").read_text())
    assert meta["algo"] == algo
    assert meta["env"]["reward_scale"] == (100.0 if is_learning(algo) else 1.0)
    assert "toy-less: final ensemble aucprc" in out
    sampler = load_sampler(stem)
    mu, _ = sampler.predict(np.full(10, 0.1, dtype=np.float32))
    assert mu.shape == (1,) and 0.0 <= float(mu[0]) <= 1.0


def test_budget_inside_the_warmup_is_refused_naming_it(tmp_path, capsys):
    argv = [*_TINY, "--total-timesteps", "300", "--save", str(tmp_path / "ck")]
    assert train_sampler.main(argv) == 2
    err = capsys.readouterr().err
    assert "warm-up of 500 steps" in err and "learning_starts" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("hp", "needle"),
    [
        ("batch_size=0", "batch_size must be an integer in [1"),
        ("gamma=abc", "gamma must be a number in [0"),
        ("gamma=1.5", "gamma"),
        ("learning_rate=-1", "learning_rate"),
        ("train_freq=0", "train_freq"),
        ("policy_kwargs.net_arch.pi=[0]", "net_arch"),
    ],
)
def test_bad_hyperparameter_values_fail_before_training(hp, needle, tmp_path, capsys):
    argv = [*_TINY, "--hp", "learning_starts=10", "--hp", hp, "--save", str(tmp_path / "ck")]
    assert train_sampler.main(argv) == 2
    assert needle in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_negative_eval_episodes_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_sampler.parse_args(["--eval-episodes", "-2"])
    assert exit_info.value.code == 2


def test_unwritable_save_fails_before_training(tmp_path, capsys, monkeypatch):
    import agents.training as training

    def no_training(*args, **kwargs):
        raise AssertionError("training started before the save path was checked")

    monkeypatch.setattr(training, "_train_sb3", no_training)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    argv = [*_TINY, "--hp", "learning_starts=10", "--save", str(blocker / "ck")]
    assert train_sampler.main(argv) == 2
    assert "not writable" in capsys.readouterr().err


def test_resume_refuses_flags_that_would_be_ignored(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_sampler.parse_args(["--resume", "ck", "--algo", "td3", "--n-bins", "7"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--algo" in err and "--n-bins" in err


@pytest.mark.expensive
def test_resume_with_a_missing_model_names_the_real_file(tmp_path, capsys):
    stem = tmp_path / "ck"
    argv = [*_TINY, "--hp", "learning_starts=10", "--eval-episodes", "0", "--save", str(stem)]
    assert train_sampler.main(argv) == 0
    stem.with_suffix(".zip").unlink()
    capsys.readouterr()
    assert train_sampler.main(["--resume", str(stem), "--total-timesteps", "5"]) == 2
    err = capsys.readouterr().err
    assert f"{stem}.zip" in err and ".zip.zip" not in err


def test_default_names_differ_when_settings_differ():
    from agents.training import env_settings, run_name

    plain = run_name("sac", ["digits"], 0, env_settings(), {})
    assert plain == "sac_digits_seed0"
    names = {
        run_name("sac", ["digits"], 0, env_settings(histogram=h), {"gamma": g})
        for h in ("all", "majority")
        for g in (0.0, 0.99)
    }
    assert len(names) == 4
    from sklearn.ensemble import ExtraTreesClassifier

    other_learner = run_name("sac", ["digits"], 0, env_settings(), {}, ExtraTreesClassifier())
    assert other_learner.startswith("sac_digits_seed0_") and other_learner != plain


@pytest.mark.parametrize(("text", "value"), [("false", False), ("False", False), ("True", True)])
def test_boolean_overrides_parse_as_booleans(text, value):
    from agents.training import parse_override

    assert parse_override(f"progress_obs={text}") == ("progress_obs", value)


@pytest.mark.expensive
def test_resume_without_tensorboard_leaves_no_log_folder(tmp_path, monkeypatch):
    import tempfile

    from agents.training import meta_train

    stem = tmp_path / "ck" / "run"
    common = {"tensorboard_log": None, "eval_episodes": 0}
    hp = {"learning_starts": 10, "batch_size": 8}
    meta_train("sac", ["toy-less"], 18, hyperparameters=hp, save=stem, **common)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where SB3 would put SB3-<date>/
    monkeypatch.delenv("SB3_LOGDIR", raising=False)
    result = meta_train("sac", total_timesteps=9, resume=stem, save=stem, **common)
    assert result.metadata["timesteps"] == 27
    assert list(scratch.iterdir()) == []


def test_the_training_command_starts_without_imbalanced_learn():
    """mesa_baselines loads its classes on first use: train_sampler.py never needs imblearn."""
    import subprocess
    import sys

    code = "import sys, agents.train_cli; print('imblearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
