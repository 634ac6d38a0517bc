"""evaluate(): every requested cell, deterministic by seed, independent of n_jobs."""

from __future__ import annotations

import pytest

from mesa_evaluation import cli as evaluate_cli
from mesa_evaluation.protocol import evaluate
from tests.mesa_evaluation.requests import SMALL

# ---------------------------------------------------------------- nothing finished is ever lost


def _no_fit(*args, **kwargs):
    raise AssertionError("fit_method was called before the request was checked")


@pytest.mark.parametrize(
    "argv",
    [
        ["--experiment", "table9"],
        ["--runs", "0"],
        ["--k", "1"],
        ["--metrics", "acc"],
        ["--meta-env", "progress_obs"],  # not key=value
        ["--meta-env", "progress_obs=true"],  # without --meta-train
        ["--meta-train", "100", "--meta-algo", "random"],
    ],
)
def test_cli_bad_flags(argv):
    with pytest.raises(SystemExit) as info:
        evaluate_cli.parse_args(argv)
    assert info.value.code == 2


def test_an_unwritable_output_folder_fails_before_any_fit(tmp_path, monkeypatch):
    from mesa_evaluation import protocol

    monkeypatch.setattr(protocol, "fit_method", _no_fit)
    afile = tmp_path / "results.txt"
    afile.write_text("not a folder")
    for out in (afile, afile / "sub"):
        with pytest.raises(protocol.PreflightError, match="not a writable folder"):
            evaluate(**SMALL, out=out)
    argv = ["--datasets", "toy-less", "--methods", "spe", "--runs", "1", "--out", str(afile)]
    assert evaluate_cli.main(argv) == 2


def test_an_unloadable_dataset_fails_before_the_first_is_fitted(tmp_path, monkeypatch, capsys):
    import mesa_env.data
    from mesa_evaluation import protocol

    monkeypatch.setattr(protocol, "fit_method", _no_fit)
    with pytest.raises(protocol.PreflightError, match="'no-such-set'"):
        evaluate(**{**SMALL, "datasets": ("toy-less", "no-such-set")}, out=tmp_path)

    def offline(name):
        raise OSError(f"dataset {name!r} is not in imbalanced-learn's cache")

    monkeypatch.setattr(mesa_env.data, "_fetch_imblearn", offline)
    argv = ["--datasets", "toy-less", "mammography", "--methods", "spe", "--runs", "1",
            "--out", str(tmp_path)]  # fmt: skip
    assert evaluate_cli.main(argv) == 2
    assert "'mammography'" in capsys.readouterr().err
    with pytest.raises(protocol.PreflightError, match="'mammography'"):  # a transfer source too
        evaluate(experiment="transfer", datasets=("toy-less",), methods=("mesa@mammography",))
    assert not (tmp_path / "runs.jsonl").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--learners", "svm"],
        ["--noise", "1.5"],
        ["--methods", "magic"],
        ["--meta-train", "600", "--meta-env", "progress_obs=maybe"],
        ["--meta-train", "600", "--meta-env", "colour=1"],
    ],
)
def test_cli_refuses_bad_values_while_parsing(argv):
    with pytest.raises(SystemExit) as info:
        evaluate_cli.parse_args(argv)
    assert info.value.code == 2
