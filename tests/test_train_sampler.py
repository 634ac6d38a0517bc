"""train_sampler.py: a thin front whose flags reach the library and whose bad flags are refused."""

from __future__ import annotations

import json

import pytest

from agents import train_cli as train_sampler


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
    assert "toy-less: final ensemble aucprc" in out and "toy-mid:" in out
    assert f"tensorboard --logdir {tmp_path / 'runs'}" in out
    assert str(stem) + ".sampler.pt" in out


def test_meta_training_without_tensorboard_leaves_no_log_folder(tmp_path, monkeypatch):
    import tempfile

    from agents.training import meta_train

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where SB3 would put SB3-<date>/
    monkeypatch.delenv("SB3_LOGDIR", raising=False)
    result = meta_train(
        "sac", ["toy-less"], total_timesteps=30, tensorboard_log=None, save=None, eval_episodes=0
    )
    assert result.agent.model.num_timesteps == 30
    assert list(tmp_path.iterdir()) == []
