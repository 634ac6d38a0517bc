"""evaluate(): every requested cell, deterministic by seed, independent of n_jobs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mesa_evaluation import cli as evaluate_cli
from mesa_evaluation.protocol import EvalConfig, evaluate, score
from tests.mesa_evaluation.requests import SMALL, TINY

# ---------------------------------------------------------------- nothing finished is ever lost


def _split_lines(folder):
    lines = [json.loads(x) for x in (folder / "runs.jsonl").read_text().splitlines()]
    return [x for x in lines if x["type"] == "split"]


# ---------------------------------------------------------------- the 85/15 protocol's two bugs
def _recording_fit(calls):
    from mesa_evaluation.methods import FitResult

    def fit(method, task, k, seed, learner="dt", context=None):
        calls[method] = (len(task.y_train), task.y_train.sum())
        return FitResult(np.full(task.y_test.shape, 0.5), len(task.y_train), 0.0)

    return fit


def test_returns_every_method_k_and_metric(report):
    rows = report["rows"]
    assert len(rows) == 2 * 3 * 2  # runs × methods × k
    cells = {(r["method"], r["k"]) for r in rows}
    assert cells == {(m, k) for m in TINY["methods"] for k in TINY["ks"]}
    for metric in TINY["metrics"]:
        assert set(report["tables"][metric]) == set(TINY["methods"])
        for row in rows:
            assert 0.0 <= row[metric] <= 1.0
    assert all(r["members"] == r["k"] for r in rows if r["method"] == "spe")


def test_same_seed_same_table_and_n_jobs_do_not_change_numbers(report):
    again = evaluate(**TINY, n_jobs=2)
    assert [r["aucprc"] for r in again["rows"]] == [r["aucprc"] for r in report["rows"]]
    other = evaluate(**{**TINY, "seed": 5})
    assert [r["aucprc"] for r in other["rows"]] != [r["aucprc"] for r in report["rows"]]


def test_outputs_are_written(tmp_path):
    evaluate(**{**TINY, "runs": 1}, out=tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["config"]["experiment"] == "eil" and len(data["rows"]) == 6
    assert (tmp_path / "results.csv").read_text().count("\n") == 7
    assert (tmp_path / "table.md").is_file()
    assert (tmp_path / "eil_toy-less.png").is_file()


def test_balanced_accuracy_is_the_hard_label_auc():
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.2).astype(int)
    proba = rng.random(300)
    labels = (proba > 0.5).astype(int)
    assert score("balanced_accuracy", y, proba) == pytest.approx(balanced_accuracy_score(y, labels))
    assert score("balanced_accuracy", y, proba) == pytest.approx(roc_auc_score(y, labels))


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="unknown experiment"):
        evaluate(experiment="table9")
    with pytest.raises(ValueError, match="unknown method"):
        EvalConfig(methods=("magic",)).resolved()
    with pytest.raises(ValueError, match="unknown metric"):
        EvalConfig(metrics=("accuracy",)).resolved()
    with pytest.raises(ValueError, match="meta_algo must be a learning agent"):
        EvalConfig(meta_algo="constant").resolved()


def test_transfer_methods_cover_self_subsets_and_other_tasks():
    cfg = EvalConfig(experiment="transfer", datasets=("toy-mid",), sources=("toy-mid", "digits"))
    methods = cfg.resolved().methods
    assert methods == ("mesa@self", "mesa@50%", "mesa@10%", "mesa@digits")  # target left out


@pytest.mark.expensive
def test_meta_train_settings_reach_the_sampler_and_its_classifier():
    """A progress_obs sampler sees 2b + 1 inputs: the classifier must build that state too."""
    args = evaluate_cli.parse_args(
        ["--meta-train", "60", "--meta-env", "progress_obs=true", "--meta-hp", "gamma=0.5",
         "--meta-hp", "learning_starts=20"]
    )  # fmt: skip
    assert args.meta_env == [("progress_obs", True)]
    assert args.meta_hp == [("gamma", 0.5), ("learning_starts", 20)]
    rep = evaluate(
        experiment="eil", datasets=("toy-less",), runs=1, ks=(3,), methods=("mesa",),
        meta_train=60, meta_env={"progress_obs": True}, meta_hp={"gamma": 0.5,
        "learning_starts": 20},
    )  # fmt: skip
    (row,) = rep["rows"]
    assert len(row["mu"]) == 2 and 0.0 <= row["aucprc"] <= 1.0
    assert rep["config"]["meta_env"] == {"progress_obs": True}


def test_a_late_failure_keeps_the_finished_splits_and_resume_skips_them(tmp_path, monkeypatch):
    from mesa_evaluation import protocol

    original = protocol.run_split
    fresh = evaluate(**SMALL)["rows"]

    def failing(dataset, run, noise, cfg):
        if run == 1:
            raise RuntimeError("the machine went away")
        return original(dataset, run, noise, cfg)

    monkeypatch.setattr(protocol, "run_split", failing)
    with pytest.raises(RuntimeError, match="went away"):
        evaluate(**SMALL, out=tmp_path)
    (split,) = _split_lines(tmp_path)  # run 0 finished before run 1 failed: it is on disk
    assert (split["dataset"], split["run"], split["noise"]) == ("toy-less", 0, 0.0)
    assert [r["aucprc"] for r in split["rows"]] == [r["aucprc"] for r in fresh[:2]]

    calls = []
    monkeypatch.setattr(
        protocol, "run_split", lambda d, r, n, cfg: calls.append(r) or original(d, r, n, cfg)
    )
    resumed = evaluate(**SMALL, out=tmp_path, resume=True)
    assert calls == [1, 2]  # run 0 came from runs.jsonl
    assert resumed["metadata"]["resumed_splits"] == 1
    assert [r["aucprc"] for r in resumed["rows"]] == [r["aucprc"] for r in fresh]
    assert len(_split_lines(tmp_path)) == 3
    assert len(json.loads((tmp_path / "results.json").read_text())["rows"]) == 6
    other = evaluate(**{**SMALL, "seed": 1, "runs": 1}, out=tmp_path, resume=True)
    assert other["metadata"]["resumed_splits"] == 0  # another config's splits are not reused


def test_results_json_records_package_versions_and_the_commit(tmp_path):
    import subprocess

    from mesa_evaluation.report import git_state

    evaluate(**{**SMALL, "runs": 1}, out=tmp_path)
    meta = json.loads((tmp_path / "results.json").read_text())["metadata"]
    assert meta["packages"]["numpy"] == np.__version__ and "torch" in meta["packages"]
    commit = meta["git"]["commit"]
    assert commit is None or (len(commit) == 40 and isinstance(meta["git"]["dirty"], bool))

    assert git_state(tmp_path) == {"commit": None, "dirty": None}  # not a checkout
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "a.txt").write_text("1")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "a"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert git_state(repo) == {"commit": head.strip(), "dirty": False}
    (repo / "a.txt").write_text("2")
    assert git_state(repo)["dirty"] is True


def test_every_validation_method_trains_on_the_fit_part_only_in_the_85_15_protocol(monkeypatch):
    from mesa_evaluation import protocol
    from mesa_evaluation.methods import uses_validation

    calls = {}
    monkeypatch.setattr(protocol, "fit_method", _recording_fit(calls))
    methods = ("tuned-schedule", "tuned-constant", "random-mu", "constant-0.5", "adaboost150")
    cfg = EvalConfig(experiment="bcwf", datasets=("toy-less",), runs=1, methods=methods)
    protocol.run_split("toy-less", 0, 0.0, cfg.resolved())
    task = protocol._split_task("toy-less", 0, 0.0, cfg.resolved())
    for method in methods[:-1]:  # tuned on the validation rows: never trained on them
        assert calls[method][0] == len(task.y_train) < calls["adaboost150"][0]
    assert calls["adaboost150"][0] == len(task.info["full_train"][1])
    assert all(uses_validation(m) for m in ("mesa", "mesa@digits", "mesa-random-policy"))
    assert not any(uses_validation(m) for m in ("spe", "bcwf-h", "none", "smote"))


def test_label_noise_reaches_the_full_training_part_of_the_85_15_protocol():
    from mesa_evaluation.protocol import _split_task

    cfg = EvalConfig(experiment="bcwf").resolved()
    clean = _split_task("toy-less", 0, 0.0, cfg)
    noisy = _split_task("toy-less", 0, 0.25, cfg)
    X_tr, y_tr = noisy.info["full_train"]
    X_clean, y_clean = clean.info["full_train"]
    assert np.array_equal(X_tr, X_clean)
    flipped = int((y_tr != y_clean).sum())
    assert flipped == 2 * round(0.25 * y_clean.sum())  # baselines train on the noisy labels
    assert y_tr.sum() == y_clean.sum()  # the imbalance ratio is kept
    label = {row.tobytes(): y for row, y in zip(X_tr, y_tr, strict=True)}
    for X, y in ((noisy.X_train, noisy.y_train), (noisy.X_valid, noisy.y_valid)):
        assert [label[row.tobytes()] for row in X] == list(y)  # MESA sees the same labels
    assert np.array_equal(noisy.y_test, clean.y_test)  # test labels stay clean


# ---------------------------------------------------------------- refused before anything runs
def test_a_budget_within_the_off_policy_warm_up_is_refused():
    with pytest.raises(ValueError, match=r"--meta-train 300 .* SAC's 500 warm-up steps"):
        EvalConfig(meta_train=300, methods=("mesa",)).resolved()
    with pytest.raises(ValueError, match="TD3's 500 warm-up"):
        EvalConfig(meta_train=500, meta_algo="td3").resolved()
    with pytest.raises(ValueError, match="transfer default of 1500"):
        EvalConfig(experiment="transfer", meta_hp={"learning_starts": 1500}).resolved()
    EvalConfig(meta_train=300, meta_hp={"learning_starts": 100}).resolved()
    EvalConfig(meta_train=501).resolved()
    EvalConfig(meta_train=300, meta_algo="ppo").resolved()  # on-policy: no warm-up
    EvalConfig(meta_train=300, methods=("spe",)).resolved()  # nothing is meta-trained
    with pytest.raises(SystemExit) as info:
        evaluate_cli.parse_args(["--meta-train", "300"])
    assert info.value.code == 2


def test_boolean_env_settings_are_booleans():
    resolved = EvalConfig(meta_train=600, meta_env={"progress_obs": "False"}).resolved()
    assert resolved.meta_env == {"progress_obs": False}
    assert EvalConfig(meta_env={"progress_obs": "true"}).resolved().meta_env["progress_obs"]
    for bad in ("no", 1, "0"):
        with pytest.raises(ValueError, match="progress_obs must be true or false"):
            EvalConfig(meta_env={"progress_obs": bad}).resolved()
    with pytest.raises(ValueError, match="sigma must be a number"):
        EvalConfig(meta_env={"sigma": "wide"}).resolved()
    with pytest.raises(ValueError, match="unknown environment setting"):
        EvalConfig(meta_env={"progress": True}).resolved()
    args = evaluate_cli.parse_args(["--meta-train", "600", "--meta-env", "progress_obs=False"])
    assert evaluate_cli.config(args).resolved().meta_env == {"progress_obs": False}


@pytest.mark.expensive
def test_a_transfer_source_sampler_is_trained_once_and_reused(monkeypatch):
    import agents.training
    from mesa_evaluation import protocol

    monkeypatch.setattr(protocol, "_SOURCE_SAMPLERS", {})
    original = agents.training.meta_train
    sources = []

    def counting(algo, datasets, **kwargs):
        sources.append(datasets)
        return original(algo, datasets, **kwargs)

    monkeypatch.setattr(agents.training, "meta_train", counting)
    rep = evaluate(
        experiment="transfer", datasets=("toy-less",), runs=2, ks=(3,), meta_train=30,
        meta_train_k=3, meta_hp={"learning_starts": 10}, methods=("mesa@toy-mid",),
    )  # fmt: skip
    assert sources == [["toy-mid"]] and len(rep["rows"]) == 2
