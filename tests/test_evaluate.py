"""evaluate(): every requested cell, deterministic by seed, independent of n_jobs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mesa_env.data import make_task
from mesa_evaluation import cli as evaluate_cli
from mesa_evaluation.methods import fit_method
from mesa_evaluation.protocol import EvalConfig, evaluate, score
from mesa_evaluation.report import markdown_tables, paper_value

TINY = {
    "experiment": "eil",
    "datasets": ("toy-less",),
    "runs": 2,
    "ks": (2, 3),
    "methods": ("mesa", "spe", "underbagging"),
    "metrics": ("aucprc", "rocauc", "gmean"),
}


@pytest.fixture(scope="module")
def report():
    return evaluate(**TINY)


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


def test_markdown_table_bolds_the_best_mean_per_column(report):
    text = markdown_tables(report)
    assert "| method | toy-less k=2 | toy-less k=3 |" in text
    table = report["tables"]["aucprc"]
    best = max(TINY["methods"], key=lambda m: table[m]["toy-less|3"]["mean"])
    line = next(x for x in text.splitlines() if x.startswith(f"| {best} |"))
    assert line.count("**") == 2 or line.count("**") == 4


def test_outputs_are_written(tmp_path):
    evaluate(**{**TINY, "runs": 1}, out=tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["config"]["experiment"] == "eil" and len(data["rows"]) == 6
    assert (tmp_path / "results.csv").read_text().count("\n") == 7
    assert (tmp_path / "table.md").is_file()
    assert (tmp_path / "eil_toy-less.png").is_file()


def test_paper_numbers_are_looked_up():
    assert paper_value("eil", "mammography", "mesa", 10) == 0.644
    assert paper_value("eil", "digits", "mesa", 10) is None  # sklearn's digits is not the paper's


def test_balanced_accuracy_is_the_hard_label_auc():
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.2).astype(int)
    proba = rng.random(300)
    labels = (proba > 0.5).astype(int)
    assert score("balanced_accuracy", y, proba) == pytest.approx(balanced_accuracy_score(y, labels))
    assert score("balanced_accuracy", y, proba) == pytest.approx(roc_auc_score(y, labels))


def test_baselines_see_training_rows_only_and_mesa_uses_validation():
    task = make_task("toy-less", split_seed=0)
    n_pos = int(task.y_train.sum())
    result = fit_method("underbagging", task, 3, seed=0)
    assert result.n_training_samples == 3 * 2 * n_pos
    mesa = fit_method("constant-1.0", task, 3, seed=0)
    assert mesa.extra["mu"] == [1.0, 1.0]


def test_resampling_and_zhao_methods_fit(tmp_path):
    task = make_task("toy-less", split_seed=0)
    smote = fit_method("smote", task, 10, seed=0, learner="gnb")
    assert smote.n_training_samples == 2 * int((task.y_train == 0).sum())
    assert smote.resample_seconds >= 0
    assert fit_method("bcwf-s", task, 10, seed=0).proba.shape == task.y_test.shape


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="unknown experiment"):
        evaluate(experiment="table9")
    with pytest.raises(ValueError, match="unknown method"):
        EvalConfig(methods=("magic",)).resolved()
    with pytest.raises(ValueError, match="unknown metric"):
        EvalConfig(metrics=("accuracy",)).resolved()
    with pytest.raises(ValueError, match="meta_algo must be a learning agent"):
        EvalConfig(meta_algo="constant").resolved()


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


def test_transfer_methods_cover_self_subsets_and_other_tasks():
    cfg = EvalConfig(experiment="transfer", datasets=("toy-mid",), sources=("toy-mid", "digits"))
    methods = cfg.resolved().methods
    assert methods == ("mesa@self", "mesa@50%", "mesa@10%", "mesa@digits")  # target left out


def test_transfer_reports_delta_against_self():
    report = evaluate(
        experiment="transfer",
        datasets=("toy-less",),
        runs=1,
        ks=(3,),
        meta_train=30,
        meta_train_k=3,
        methods=("mesa@self", "mesa@10%"),
    )
    assert {r["method"] for r in report["rows"]} == {"mesa@self", "mesa@10%"}
    assert "(Δ " in markdown_tables(report)


def _row(method, run, test, valid, noise=0.0):
    return {"dataset": "d", "noise": noise, "run": run, "k": 10, "method": method,
            "aucprc": test, "valid_score": valid}  # fmt: skip


def test_gap_picks_the_rival_by_validation_and_scores_it_on_test():
    from mesa_evaluation.report import learnability_gap

    rows = [
        _row("mesa", 0, 0.80, 0.99),  # the learned sampler's own valid score never matters
        _row("constant-1.0", 0, 0.90, 0.70),  # best on test, but not picked: valid is lower
        _row("tuned-constant", 0, 0.75, 0.85),
        _row("mesa", 1, 0.60, 0.50),
        _row("constant-1.0", 1, 0.70, 0.90),
        _row("tuned-constant", 1, 0.50, 0.20),
    ]
    gap = learnability_gap(rows, "aucprc")["d|0.0"]
    assert gap["n"] == 2 and gap["wins"] == 1
    assert gap["mean"] == pytest.approx(((0.80 - 0.75) + (0.60 - 0.70)) / 2)
    assert gap["picked"] == {"tuned-constant": 1, "constant-1.0": 1}


def test_ablation_reports_valid_scores_and_the_gap_table():
    methods = ("mesa", "constant-0.5", "random-mu", "underbagging")
    rep = evaluate(
        experiment="ablation", datasets=("toy-less",), runs=1, noises=(0.0, 0.25), methods=methods
    )
    assert all(0.0 <= r["valid_score"] <= 1.0 for r in rep["rows"])
    assert set(rep["tables"]["gap"]) == {"toy-less|0.0", "toy-less|0.25"}
    text = markdown_tables(rep)
    assert "learnability gap" in text and "| toy-less | 0.25 |" in text


def test_meta_train_settings_reach_the_sampler_and_its_classifier():
    """A progress_obs sampler sees 2b + 1 inputs: the classifier must build that state too."""
    args = evaluate_cli.parse_args(
        ["--meta-train", "60", "--meta-env", "progress_obs=true", "--meta-hp", "gamma=0.5"]
    )
    assert args.meta_env == [("progress_obs", True)] and args.meta_hp == [("gamma", 0.5)]
    rep = evaluate(
        experiment="eil", datasets=("toy-less",), runs=1, ks=(3,), methods=("mesa",),
        meta_train=60, meta_env={"progress_obs": True}, meta_hp={"gamma": 0.5},
    )  # fmt: skip
    (row,) = rep["rows"]
    assert len(row["mu"]) == 2 and 0.0 <= row["aucprc"] <= 1.0
    assert rep["config"]["meta_env"] == {"progress_obs": True}
