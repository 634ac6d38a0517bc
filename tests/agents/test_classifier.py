"""MesaClassifier follows the scikit-learn contract and uses its sampler as the env does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from agents.classifier import DEFAULT_SAMPLER, MesaClassifier
from agents.reference import ConstantPolicy


@pytest.fixture(scope="module")
def data():
    return make_classification(600, n_features=8, weights=[0.9], random_state=0)


class _BadSampler:
    def __init__(self, answer):
        self.answer = answer

    def predict(self, obs, deterministic=True):
        return self.answer


@parametrize_with_checks([MesaClassifier(random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_shipped_sampler_builds_an_ensemble_of_the_requested_size(data):
    from agents.sampler_file import load_sampler

    assert DEFAULT_SAMPLER.is_file()
    X, y = data
    clf = MesaClassifier(sampler="pretrained", n_estimators=7, random_state=0).fit(X, y)
    assert len(clf.estimators_) == 7 and clf.mu_.shape == (6,)
    assert np.all((clf.mu_ >= 0) & (clf.mu_ <= 1))
    assert clf.sampler_.metadata == load_sampler(DEFAULT_SAMPLER).metadata
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # 90 % majority: predicting the majority everywhere scores 0.9 accuracy but 0.5 balanced
    # accuracy and 0 minority recall, so check those instead (measured: 0.999 and 1.0).
    predicted = clf.predict(X)
    assert balanced_accuracy_score(y, predicted) > 0.9
    assert recall_score(y, predicted) > 0.8


def test_reproducible_with_random_state(data):
    X, y = data
    a = MesaClassifier(random_state=3).fit(X, y).predict_proba(X)
    b = MesaClassifier(random_state=3).fit(X, y).predict_proba(X)
    c = MesaClassifier(random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_string_labels_and_pandas(data):
    X, y = data
    labels = np.where(y == 1, "fraud", "ok")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = MesaClassifier(random_state=0).fit(frame, pd.Series(labels))
    assert list(clf.classes_) == ["fraud", "ok"]
    proba = clf.predict_proba(frame)
    # column 0 is "fraud", the minority: its probability is high on the minority rows
    assert proba[labels == "fraud", 0].mean() > proba[labels == "ok", 0].mean() + 0.5
    assert set(clf.predict(frame)) <= {"fraud", "ok"}
    np.testing.assert_allclose(clf.decision_function(frame), proba[:, 1] - 0.5)
    positive = clf.decision_function(frame) > 0
    np.testing.assert_array_equal(np.where(positive, "ok", "fraud"), clf.predict(frame))


def test_defaults_are_extra_trees_members_and_a_constant_mu_of_one(data):
    from sklearn.ensemble import ExtraTreesClassifier

    X, y = data
    clf = MesaClassifier(random_state=0).fit(X, y)
    assert all(
        isinstance(m, ExtraTreesClassifier) and m.n_estimators == 10 for m in clf.estimators_
    )
    assert len(clf.estimators_) == 10 and np.all(clf.mu_ == 1.0)
    assert clf.estimator is None  # the parameter itself stays untouched (scikit-learn contract)


def test_minus_one_one_labels(data):
    X, y = data
    clf = MesaClassifier(random_state=0).fit(X, np.where(y == 1, 1, -1))
    assert list(clf.classes_) == [-1, 1]
    assert set(clf.predict(X)) == {-1, 1}
    proba = clf.predict_proba(X)
    minority = y == 1
    assert proba.shape == (len(y), 2)
    # Column 1 is class 1 (the minority): high on minority rows, low on majority rows.
    assert proba[minority, 1].mean() > proba[~minority, 1].mean() + 0.5
    assert (proba[minority, 1] > proba[minority, 0]).mean() > 0.9


def test_eval_set_is_the_validation_split(data):
    """With eval_set every training row is available: each learner sees all |P| minority."""
    X, y = data
    n_pos = int(y.sum())
    X_val, y_val = make_classification(200, n_features=8, weights=[0.9], random_state=1)
    tree = DecisionTreeClassifier()
    with_eval = MesaClassifier(estimator=tree, random_state=0).fit(X, y, eval_set=(X_val, y_val))
    held_out = MesaClassifier(estimator=tree, random_state=0).fit(X, y)
    assert with_eval.estimators_[0].tree_.n_node_samples[0] == 2 * n_pos
    assert held_out.estimators_[0].tree_.n_node_samples[0] < 2 * n_pos
    with pytest.raises(ValueError, match="eval_set must be a pair"):
        MesaClassifier().fit(X, y, eval_set=X_val)


def test_conflicting_settings_are_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="n_bins=7"):
        MesaClassifier(sampler="pretrained", n_bins=7).fit(X, y)
    with pytest.raises(ValueError, match="histogram='majority'"):
        MesaClassifier(sampler="pretrained", histogram="majority").fit(X, y)
    MesaClassifier(sampler="pretrained", n_bins=5, sigma=0.2, random_state=0).fit(X, y)


def test_any_agent_and_any_base_learner(data):
    X, y = data
    clf = MesaClassifier(sampler=ConstantPolicy(1.0), estimator=GaussianNB(), random_state=0)
    clf.fit(X, y)
    assert np.all(clf.mu_ == 1.0)
    assert all(isinstance(m, GaussianNB) for m in clf.estimators_)
    with pytest.raises(TypeError, match="sampler must be"):
        MesaClassifier(sampler=42).fit(X, y)


def test_multiclass_and_missing_file_are_clear_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="Only binary classification"):
        MesaClassifier().fit(X, np.arange(len(y)) % 3)
    with pytest.raises(FileNotFoundError):
        MesaClassifier(sampler="nowhere.sampler.pt").fit(X, y)


def test_clone_pipeline_cross_val_and_grid_search(data):
    X, y = data
    clf = MesaClassifier(n_estimators=5, random_state=0)
    assert clone(clf).get_params() == clf.get_params()
    pipe = make_pipeline(StandardScaler(), clf)
    scores = cross_val_score(pipe, X, y, cv=3, scoring="average_precision")
    assert scores.shape == (3,) and scores.mean() > 0.5
    grid = GridSearchCV(clf, {"n_estimators": [2, 5]}, cv=2, scoring="average_precision")
    grid.fit(X, y)
    results = grid.cv_results_
    assert [params["n_estimators"] for params in results["params"]] == [2, 5]
    assert np.all(np.isfinite(results["mean_test_score"]))
    best = int(np.argmax(results["mean_test_score"]))
    assert grid.best_index_ == best
    assert grid.best_params_ == results["params"][best]


def test_tuned_constant_needs_no_rl_and_picks_mu_on_validation(data):
    from agents.tuned import TunedConstantPolicy

    X, y = data
    clf = MesaClassifier(sampler="tuned-constant", n_estimators=4, random_state=0).fit(X, y)
    scores = clf.sampler_.scores_
    assert set(scores) == {0.0, 0.25, 0.5, 0.75, 1.0}
    assert clf.sampler_.mu == max(scores, key=lambda mu: (scores[mu], mu))
    assert np.all(clf.mu_ == clf.sampler_.mu)
    again = MesaClassifier(sampler="tuned-constant", n_estimators=4, random_state=0).fit(X, y)
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))

    untuned = TunedConstantPolicy(grid=(0.0, 1.0), n_episodes=1)
    clf = MesaClassifier(sampler=untuned, n_estimators=3, random_state=0).fit(X, y)
    assert set(clf.sampler_.scores_) == {0.0, 1.0} and untuned.scores_ == {}  # a tuned copy
    schedule = MesaClassifier(sampler="tuned-schedule", n_estimators=4, random_state=0).fit(X, y)
    assert len(schedule.sampler_.scores_) == 9 and schedule.mu_.shape == (3,)


def test_unknown_sampler_string_lists_the_valid_ones(data):
    X, y = data
    with pytest.raises(ValueError, match="'tuned-constant', 'tuned-schedule'"):
        MesaClassifier(sampler="tuned").fit(X, y)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((np.array([0.1, 0.2, 0.3]), None), ValueError),  # three values for one observation
        ((np.array([0.5 + 1j]), None), ValueError),  # complex
        ((np.array([0.5]), None, None), TypeError),  # not SB3's (action, state)
        (0.5, TypeError),
    ],
)
def test_a_sampler_with_a_bad_answer_is_named(data, answer, error):
    X, y = data
    with pytest.raises(error, match=r"_BadSampler\.predict must return"):
        MesaClassifier(sampler=_BadSampler(answer), n_estimators=3).fit(X, y)


def test_agents_package_exports_the_classifier():
    import agents

    assert agents.MesaClassifier is MesaClassifier


# ---------------------------------------------------------------- refit on train + validation
def test_refit_replays_the_chosen_mu_on_train_plus_validation(data):
    X, y = data
    X_tr, y_tr, X_va, y_va = X[:400], y[:400], X[400:], y[400:]
    kw = {"estimator": DecisionTreeClassifier(), "sampler": "pretrained", "random_state": 0}
    plain = MesaClassifier(**kw).fit(X_tr, y_tr, eval_set=(X_va, y_va))
    refit = MesaClassifier(**kw, refit=True).fit(X_tr, y_tr, eval_set=(X_va, y_va))
    again = MesaClassifier(**kw, refit=True).fit(X_tr, y_tr, eval_set=(X_va, y_va))
    # the sampler's episode is the same; only the members are rebuilt
    np.testing.assert_array_equal(refit.mu_, plain.mu_)
    assert len(refit.estimators_) == len(plain.estimators_) == 10
    # every member trained on a balanced subset of the combined data: 2 × all minority rows
    rows = {int(m.tree_.n_node_samples[0]) for m in refit.estimators_}
    assert rows == {2 * int(y_tr.sum() + y_va.sum())}
    assert {int(m.tree_.n_node_samples[0]) for m in plain.estimators_} == {2 * int(y_tr.sum())}
    np.testing.assert_array_equal(refit.predict_proba(X), again.predict_proba(X))
    assert not np.array_equal(refit.predict_proba(X), plain.predict_proba(X))


def test_refit_sees_validation_rows_it_never_saw_before(data):
    """With refit, a validation minority row is in every member's training subset."""
    X, y = data
    X_tr, y_tr, X_va, y_va = X[:400], y[:400], X[400:], y[400:]
    clf = MesaClassifier(random_state=1, refit=True).fit(X_tr, y_tr, eval_set=(X_va, y_va))
    minority_valid = X_va[y_va == 1]
    # full-depth trees fit their training rows: the validation minority is predicted at 1
    np.testing.assert_allclose(clf.predict_proba(minority_valid)[:, 1], 1.0)
