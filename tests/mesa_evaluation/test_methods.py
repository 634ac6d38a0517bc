"""The evaluation's one method registry.

Every name resolves to a spec, and a new method is one registry entry (``fit_method``,
``method_names``, ``uses_validation`` and the request check all read it).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier

from mesa_env.data import make_task
from mesa_evaluation import methods
from mesa_evaluation.methods import (
    FAMILIES,
    METHOD_FORMS,
    METHOD_PREFIXES,
    METHODS,
    VALIDATION_METHODS,
    FitResult,
    MethodSpec,
    fit_method,
    method_names,
    method_spec,
    needs_split_sampler,
    uses_validation,
)
from mesa_evaluation.protocol import META_ALGOS, EvalConfig

PARAMETRISED = (
    "constant-0.75", "constant-0", "constant-1.0", "mesa@digits", "sampler:checkpoints/x.pt",
    "mesa-et-50", "mesa-dt-10-refit", "mesa-hgb", "constant1-hgb-10", "constant1-rf-5-refit",
)  # fmt: skip
INVALID = (
    "constant-", "constant-x", "constant-1.5", "constant--0.5", "constant-nan", "mesa@", "sampler:",
    "mesa-xgb-10", "mesa-et-1", "mesa-et-10-20", "constant1", "mesa-", "xgb", "",
)  # fmt: skip


@pytest.fixture(scope="module")
def task():
    X, y = make_classification(300, weights=[0.9], random_state=0)
    return make_task((X, y))


def _dummy_spec(name, **kw):
    def build(task, k, seed, learner, context):
        return DummyClassifier(strategy="prior")  # a constant model: p(minority) = its share

    return MethodSpec(name, "ensemble-baseline", build, **kw)


def test_every_listed_name_resolves_to_its_spec():
    names = method_names()
    assert len(names) == len(set(names))
    for name in names:
        spec = method_spec(name)
        assert isinstance(spec, MethodSpec), name
        assert spec.name == name and spec.family in FAMILIES
        assert spec.trains_on in ("train", "train+valid")
    assert set(METHODS) <= set(names)
    assert {spec.family for spec in METHODS.values()} == set(FAMILIES)


def test_a_registry_entry_is_all_a_new_method_needs(monkeypatch, task):
    monkeypatch.setitem(METHODS, "dummy-prior", _dummy_spec("dummy-prior"))
    assert "dummy-prior" in method_names() and not uses_validation("dummy-prior")
    result = fit_method("dummy-prior", task, 10, seed=0)
    share = task.y_train.mean()
    np.testing.assert_allclose(result.proba, np.full(task.y_test.shape, share))
    np.testing.assert_allclose(result.valid_proba, np.full(task.y_valid.shape, share))
    assert result.n_training_samples == task.y_train.size
    cfg = EvalConfig(experiment="practitioner", methods=("dummy-prior",)).resolved()
    assert cfg.methods == ("dummy-prior",)


def test_a_new_method_on_every_labelled_row_or_with_its_own_result(monkeypatch, task):
    spec = _dummy_spec("dummy-all", trains_on="train+valid", single_thread=True)
    monkeypatch.setitem(METHODS, "dummy-all", spec)
    result = fit_method("dummy-all", task, 10, seed=0)
    n_all = task.y_train.size + task.y_valid.size
    assert result.n_training_samples == n_all and result.valid_proba is None
    share = (task.y_train.sum() + task.y_valid.sum()) / n_all
    np.testing.assert_allclose(result.proba, np.full(task.y_test.shape, share))

    def build(task, k, seed, learner, context):
        return FitResult(np.full(task.y_test.shape, 0.5), k, 0.0, extra={"seed": seed})

    monkeypatch.setitem(METHODS, "half", MethodSpec("half", "resampler", build))
    half = fit_method("half", task, 7, seed=3)
    assert half.n_training_samples == 7 and half.extra == {"seed": 3}


def test_the_parametrised_forms_parse():
    for name in PARAMETRISED:
        spec = method_spec(name)
        assert spec is not None and spec.name == name and spec.uses_validation, name
    assert method_spec("constant-0.75").family == "reference-sampler"
    assert method_spec("mesa@digits").family == method_spec("sampler:x.pt").family == "mesa"
    refit = method_spec("mesa-dt-10-refit")
    assert refit.family == "mesa" and refit.trains_on == "train+valid" and refit.split_sampler
    assert method_spec("mesa-et-50").trains_on == "train"
    constant1 = method_spec("constant1-hgb-10")
    assert constant1.family == "reference-sampler" and not constant1.split_sampler
    for name in INVALID:
        assert method_spec(name) is None, name
    assert METHOD_PREFIXES == ("constant-", "mesa@", "sampler:")
    assert all(any(n.startswith(f.prefix) for n in PARAMETRISED) for f in METHOD_FORMS)


def test_unknown_names_are_refused_by_fit_method_and_the_request_check(task):
    with pytest.raises(ValueError, match=r"unknown method 'constant-1\.5'"):
        fit_method("constant-1.5", task, 10, seed=0)
    with pytest.raises(ValueError, match="constant-x"):
        EvalConfig(experiment="eil", methods=("mesa", "constant-x")).resolved()
    cfg = EvalConfig(experiment="eil", methods=PARAMETRISED).resolved()
    assert cfg.methods == PARAMETRISED


def test_uses_validation_and_the_split_sampler_agree_with_each_spec():
    for name in (*method_names(), *PARAMETRISED):
        spec = method_spec(name)
        assert uses_validation(name) is spec.uses_validation, name
        assert needs_split_sampler(name) is spec.split_sampler, name
    assert not any(uses_validation(name) for name in INVALID)
    assert VALIDATION_METHODS == {
        "mesa", "mesa-random-policy", "random-mu", "tuned-constant", "tuned-schedule",
        "constant-", "mesa@", "sampler:",
    }  # fmt: skip
    by_family = {spec.family: spec.uses_validation for spec in METHODS.values()}
    assert by_family["mesa"] and by_family["reference-sampler"]
    for family in ("ensemble-baseline", "zhao2023", "resampler", "practitioner"):
        assert not by_family[family]
    assert {n for n, s in METHODS.items() if s.trains_on == "train+valid"} == set(
        methods.PRACTITIONER_METHODS
    )


def test_a_spec_checks_its_family_and_rows():
    with pytest.raises(ValueError, match="family"):
        _dummy_spec("x").__class__("x", "nonsense", lambda *a: None)
    with pytest.raises(ValueError, match="trains_on"):
        _dummy_spec("x", trains_on="test")


def test_meta_algos_are_the_agent_registrys_learning_agents():
    from agents.registry import AGENT_NAMES, is_learning
    from agents.sb3_agents import SB3_ALGOS

    assert META_ALGOS == tuple(SB3_ALGOS)
    assert set(META_ALGOS) == {a for a in AGENT_NAMES if is_learning(a)}


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
    # resampling is timed inside the fit: a real, positive share of it
    assert 0 < smote.resample_seconds <= smote.fit_seconds
    assert fit_method("bcwf-s", task, 10, seed=0).proba.shape == task.y_test.shape
