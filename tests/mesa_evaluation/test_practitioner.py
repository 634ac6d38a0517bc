"""The ``practitioner`` experiment: MESA variants against what practitioners reach for."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from mesa_baselines.learners import BASE_LEARNERS, make_base_learner
from mesa_env.data import make_task
from mesa_evaluation.methods import (
    PRACTITIONER_METHODS,
    MesaVariant,
    all_labelled,
    fit_method,
    mesa_variant,
    method_names,
    uses_validation,
)
from mesa_evaluation.protocol import EXPERIMENTS, EvalConfig, evaluate

HAS_LIGHTGBM = importlib.util.find_spec("lightgbm") is not None
needs_lightgbm = pytest.mark.skipif(not HAS_LIGHTGBM, reason="the practitioner extra")


@pytest.fixture(scope="module")
def task():
    X, y = make_classification(400, weights=[0.9], random_state=0)
    return make_task((X, y))


def _classes(name):
    from imblearn.ensemble import BalancedRandomForestClassifier, EasyEnsembleClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier

    if name == "lightgbm-spw":
        from lightgbm import LGBMClassifier

        return LGBMClassifier
    return {
        "brf": BalancedRandomForestClassifier,
        "easyensemble-10x10": EasyEnsembleClassifier,
        "hgb": HistGradientBoostingClassifier,
        "hgb-balanced": HistGradientBoostingClassifier,
    }[name]


def _available(names):
    return [n for n in names if HAS_LIGHTGBM or ("lightgbm" not in n and "lgbm" not in n)]


# ---------------------------------------------------------------- the practitioners' methods
@pytest.mark.parametrize("name", _available(PRACTITIONER_METHODS))
def test_practitioner_methods_train_on_train_plus_validation(name, task, monkeypatch):
    cls = _classes(name)
    seen = []
    original = cls.fit

    def spy(self, X, y, *args, **kwargs):
        seen.append((X.shape[0], int(np.sum(y)), self.get_params()))
        return original(self, X, y, *args, **kwargs)

    monkeypatch.setattr(cls, "fit", spy)
    result = fit_method(name, task, 10, seed=3)
    n_all = task.y_train.size + task.y_valid.size
    assert seen[0][:2] == (n_all, int(task.y_train.sum() + task.y_valid.sum()))
    assert seen[0][2]["random_state"] == 3
    assert result.extra["fit_rows"] == n_all
    assert result.valid_proba is None  # it trained on the validation rows: no valid_score
    assert result.proba.shape == task.y_test.shape
    assert np.all((result.proba >= 0) & (result.proba <= 1))
    assert result.fit_seconds > 0
    assert not uses_validation(name)


def test_practitioner_settings(task, monkeypatch):
    from mesa_evaluation import methods

    y = np.concatenate([task.y_train, task.y_valid])
    brf = methods._practitioner_model("brf", y, 0)
    assert brf.get_params()["n_estimators"] == 100
    assert brf.get_params()["sampling_strategy"] == "all"
    assert brf.get_params()["replacement"] is True and brf.get_params()["bootstrap"] is False
    ee = methods._practitioner_model("easyensemble-10x10", y, 0)
    assert ee.get_params()["n_estimators"] == 10 and ee.get_params()["estimator"] is None
    assert methods._practitioner_model("hgb", y, 0).class_weight is None
    assert methods._practitioner_model("hgb-balanced", y, 0).class_weight == "balanced"
    brf_result = fit_method("brf", task, 10, seed=0)
    # 100 trees, each on a balanced sample: 2 × every labelled minority row
    assert brf_result.extra["members"] == 100
    assert brf_result.n_training_samples == 100 * 2 * int(y.sum())


@needs_lightgbm
def test_lightgbm_spw_weights_the_minority_by_the_imbalance_ratio(task):
    from mesa_evaluation import methods

    y = np.concatenate([task.y_train, task.y_valid])
    model = methods._practitioner_model("lightgbm-spw", y, 0)
    assert model.get_params()["scale_pos_weight"] == pytest.approx((y == 0).sum() / y.sum())
    assert model.get_params()["verbose"] == -1


def test_lightgbm_missing_names_the_extra(task, monkeypatch):
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # import lightgbm → ImportError
    with pytest.raises(ImportError, match=r"mesa-gym\[practitioner\]"):
        fit_method("lightgbm-spw", task, 10, seed=0)
    with pytest.raises(ImportError, match="practitioner"):
        make_base_learner("lgbm")


def test_all_labelled_never_counts_the_validation_rows_twice(task):
    X, y = all_labelled(task)
    assert X.shape[0] == task.y_train.size + task.y_valid.size
    np.testing.assert_array_equal(X[: task.y_train.size], task.X_train)
    # the 85/15 protocol hands the baselines the whole 85 %, validation rows included
    full = (X, y)
    whole = replace(task, X_train=X, y_train=y, info={**task.info, "full_train": full})
    X2, _ = all_labelled(whole)
    assert X2 is X


# ---------------------------------------------------------------- base learners
@pytest.mark.parametrize(
    ("name", "cls", "params"),
    [
        ("et", "ExtraTreesClassifier", {"n_estimators": 10}),
        ("rf", "RandomForestClassifier", {"n_estimators": 10}),
        ("hgb", "HistGradientBoostingClassifier", {"max_iter": 100, "class_weight": None}),
        ("lgbm", "LGBMClassifier", {"n_jobs": 1, "verbose": -1}),
    ],
)
def test_new_base_learners(name, cls, params, task):
    if name == "lgbm" and not HAS_LIGHTGBM:
        pytest.skip("the practitioner extra")
    assert name in BASE_LEARNERS
    learner = make_base_learner(name, random_state=5)
    assert type(learner).__name__ == cls
    got = learner.get_params()
    assert {k: got[k] for k in params} == params and got["random_state"] == 5
    with threadpool_limits(limits=1):  # OpenMP on busy cores can take seconds
        proba = learner.fit(task.X_train, task.y_train).predict_proba(task.X_test)
    assert proba.shape == (task.y_test.size, 2)


def test_existing_learner_names_unchanged():
    assert BASE_LEARNERS[:6] == ("dt", "knn", "gnb", "lr", "adaboost", "gbm")
    with pytest.raises(ValueError, match="unknown base learner"):
        make_base_learner("xgb")


# ---------------------------------------------------------------- MESA variants
def test_variant_names_parse():
    assert mesa_variant("mesa-et-50") == MesaVariant("mesa", "et", 50, False)
    assert mesa_variant("mesa-hgb") == MesaVariant("mesa", "hgb", None, False)
    assert mesa_variant("mesa-dt-10-refit") == MesaVariant("mesa", "dt", 10, True)
    assert mesa_variant("mesa-dt-refit") == MesaVariant("mesa", "dt", None, True)
    assert mesa_variant("constant1-hgb-10") == MesaVariant("constant1", "hgb", 10, False)
    for name in ("mesa", "mesa-random-policy", "mesa-xgb-10", "mesa-et-1", "mesa-et-x",
                 "mesa-et-10-20", "constant-1.0", "constant1", "mesa@digits", "hgb"):  # fmt: skip
        assert mesa_variant(name) is None, name
    assert uses_validation("mesa-et-50") and uses_validation("constant1-dt-10")
    assert "mesa-et" in method_names() and "constant1-hgb" in method_names()


def test_unknown_variant_is_refused_before_any_fit():
    with pytest.raises(ValueError, match="mesa-xgb-10"):
        EvalConfig(experiment="practitioner", methods=("mesa-xgb-10",)).resolved()
    cfg = EvalConfig(experiment="practitioner", methods=("mesa-et-50", "constant1-rf-5-refit"))
    assert cfg.resolved().methods == ("mesa-et-50", "constant1-rf-5-refit")


def test_mesa_variant_builds_the_named_members(task):
    from sklearn.ensemble import ExtraTreesClassifier

    result = fit_method("mesa-et-12", task, 5, seed=0)  # the name's k wins over the column's
    assert result.extra["members"] == 12 and len(result.extra["mu"]) == 11
    assert result.n_training_samples == 12 * 2 * int(task.y_train.sum())
    assert result.proba.shape == task.y_test.shape
    const = fit_method("constant1-hgb", task, 4, seed=0)  # no k in the name: the column's
    assert const.extra["members"] == 4 and const.extra["mu"] == [1.0, 1.0, 1.0]
    assert isinstance(make_base_learner("et"), ExtraTreesClassifier)


def test_paper_configuration_is_one_argument_away(task):
    """``mesa-dt-10`` is ``mesa`` at k = 10 (decision trees), whatever the column's k."""
    from agents.classifier import DEFAULT_SAMPLER
    from agents.sampler_file import load_sampler

    context = {"sampler": load_sampler(DEFAULT_SAMPLER)}
    paper = fit_method("mesa", task, 10, seed=2, context=context)
    named = fit_method("mesa-dt-10", task, 5, seed=2, context=context)
    np.testing.assert_array_equal(paper.proba, named.proba)
    assert paper.extra["mu"] == named.extra["mu"]


def test_refit_variant_trains_members_on_validation_rows_too(task):
    plain = fit_method("mesa-dt-6", task, 10, seed=0)
    refit = fit_method("mesa-dt-6-refit", task, 10, seed=0)
    again = fit_method("mesa-dt-6-refit", task, 10, seed=0)
    n_pos = int(task.y_train.sum())
    assert plain.n_training_samples == 6 * 2 * n_pos
    assert refit.n_training_samples == 6 * 2 * (n_pos + int(task.y_valid.sum()))
    assert refit.extra["mu"] == plain.extra["mu"]  # the same choices, replayed
    assert refit.valid_proba is None  # the validation rows trained the members
    np.testing.assert_array_equal(refit.proba, again.proba)
    assert not np.array_equal(refit.proba, plain.proba)


# ---------------------------------------------------------------- the experiment
def test_practitioner_experiment_definition():
    exp = EXPERIMENTS["practitioner"]
    assert exp.metrics == ("aucprc", "rocauc") and exp.column == "k" and exp.ks == (10,)
    for name in ("mesa", "brf", "easyensemble-10x10", "hgb", "hgb-balanced", "mesa-et"):
        assert name in exp.methods
    assert ("lightgbm-spw" in exp.methods) == HAS_LIGHTGBM
    assert EvalConfig(experiment="practitioner").resolved().methods == exp.methods


def test_practitioner_evaluation_rows_and_report(tmp_path):
    from mesa_evaluation.report import markdown_tables

    methods = ["mesa", "mesa-et-4", "constant1-dt", "brf", "easyensemble-10x10", "hgb",
               "hgb-balanced", *(["lightgbm-spw"] if HAS_LIGHTGBM else [])]  # fmt: skip
    report = evaluate(
        experiment="practitioner", datasets=("toy-less",), runs=1, ks=(3,), methods=methods,
        out=tmp_path,
    )  # fmt: skip
    rows = report["rows"]
    assert [r["method"] for r in rows] == methods
    for row in rows:
        assert 0.0 <= row["aucprc"] <= 1.0 and 0.0 <= row["rocauc"] <= 1.0
        assert row["fit_seconds"] > 0
    by = {r["method"]: r for r in rows}
    assert "valid_score" in by["mesa"] and "valid_score" not in by["brf"]
    assert by["mesa-et-4"]["members"] == 4 and by["brf"]["members"] == 100
    assert by["brf"]["fit_rows"] > by["mesa"]["n_training_samples"] / 3  # train + valid
    table = (tmp_path / "table.md").read_text()
    assert "### aucprc" in table and "### rocauc" in table
    assert "fit seconds per method" in table
    for method in methods:
        assert f"| {method} | {by[method]['fit_seconds']:.3f} |" in table
    # on a suite (more than 8 tasks) the report aggregates: IQM, mean, mean rank
    suite_rows = [
        {**r, "dataset": f"task{i}", "aucprc": r["aucprc"] * (1 + i / 100)}
        for i in range(9)
        for r in rows
    ]
    suite = {**report, "rows": suite_rows}
    suite["config"] = {**report["config"], "datasets": [f"task{i}" for i in range(9)]}
    text = markdown_tables(suite)
    assert "aucprc over 9 tasks" in text and "IQM" in text and "fit seconds per method" in text


def test_new_methods_fit_single_threaded(task, monkeypatch):
    """OpenMP learners run on one thread, like every other method (fair, stable fit seconds)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_info

    seen = []
    original = HistGradientBoostingClassifier.fit

    def spy(self, X, y, *args, **kwargs):
        seen.append({i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"})
        return original(self, X, y, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", spy)
    fit_method("hgb-balanced", task, 10, seed=0)
    fit_method("mesa-hgb-2", task, 10, seed=0)
    assert len(seen) == 3 and all(threads == {1} for threads in seen)


def test_constant1_et_is_exactly_the_classifiers_defaults(task):
    """The practitioner tables' ``constant1-et`` row is ``MesaClassifier()`` as shipped."""
    from agents import MesaClassifier

    row = fit_method("constant1-et", task, 10, seed=3)
    clf = MesaClassifier(random_state=3).fit(
        task.X_train, task.y_train, eval_set=(task.X_valid, task.y_valid)
    )
    np.testing.assert_array_equal(row.proba, clf.predict_proba(task.X_test)[:, 1])
