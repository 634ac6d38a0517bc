"""Behaviour of the ensemble imbalanced-learning baselines (``baselines``).

One contract block parametrised over every entry of ``BASELINES`` (fitted attributes, valid and
reproducible probabilities, original labels, binary-only, clone, scikit-learn's own checks, and
better AUCPRC than a single tree on held-out data), then one block per method for the property
that defines it.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.datasets import make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from mesa_baselines import (
    BASELINES,
    EasyEnsembleClassifier,
    UnderBaggingClassifier,
    n_training_samples,
)
from mesa_baselines.bcwf import BCWFHardClassifier, BCWFSoftClassifier
from mesa_baselines.hem import HEM, HEMAdaBoostClassifier

NAMES = sorted(BASELINES)


def make(name: str, **params):
    """A baseline with its defaults.

    EasyEnsemble's members are 5-stump AdaBoosts (not 50): this file stays fast without
    changing what is tested.
    """
    if name == "easyensemble":
        params.setdefault("estimator", AdaBoostClassifier(n_estimators=5))
    return BASELINES[name](**params)


@pytest.fixture(scope="module")
def overlapping():
    """2-D, IR = 9: N ~ N(0, I), P ~ N((1.5, 1.5), I); the classes overlap heavily."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0.0, 1.0, (1800, 2)), rng.normal(1.5, 1.0, (200, 2))])
    y = np.r_[np.zeros(1800, dtype=int), np.ones(200, dtype=int)]
    return X, y


def _counts(y):
    n_pos = int((y == 1).sum())
    return n_pos, y.shape[0] - n_pos


def _expected_failures(estimator):
    if isinstance(estimator, (UnderBaggingClassifier, EasyEnsembleClassifier)):
        # imbalanced-learn's bagging passes object arrays through to its sampler unchanged.
        return {"check_dtype_object": "imbalanced-learn bagging accepts object X"}
    return {}


# --------------------------------------------------------------------------- contract, all


def test_registry_names_and_shared_arguments():
    assert set(BASELINES) == {
        "spe",
        "cascade",
        "smoteboost",
        "smotebagging",
        "ramoboost",
        "rusboost",
        "underbagging",
        "easyensemble",
    }
    for cls in BASELINES.values():
        clf = cls()
        assert is_classifier(clf)
        assert {"estimator", "n_estimators", "random_state", "n_jobs"} <= set(clf.get_params())


@pytest.mark.parametrize("name", NAMES)
def test_fitted_attributes(name, imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    clf = make(name, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_features_in_ == X.shape[1]
    assert 1 <= len(clf.estimators_) <= clf.n_estimators
    assert clf.n_training_samples_ == n_training_samples(clf, X, y) > 0
    if name in {"spe", "cascade", "underbagging", "easyensemble", "rusboost"}:
        # Under-sampling ensembles train every member on 2|P| rows.
        assert clf.n_training_samples_ == len(clf.estimators_) * 2 * n_pos


@pytest.mark.parametrize("name", NAMES)
def test_predict_proba_is_a_distribution_over_classes(name, imbalanced):
    X, y = imbalanced
    clf = make(name, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert proba[:, 1].std() > 0  # not a constant score


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_model_other_seed_other_model(name, imbalanced):
    X, y = imbalanced
    # Off the training rows: members that fit their training data agree on them whatever the seed.
    probe = X + np.random.RandomState(1).normal(0.0, 0.5, X.shape)
    first = make(name, random_state=3).fit(X, y).predict_proba(probe)
    again = make(name, random_state=3).fit(X, y).predict_proba(probe)
    other = make(name, random_state=4).fit(X, y).predict_proba(probe)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", NAMES)
def test_beats_a_single_tree_on_held_out_aucprc(name, overlapping):
    X, y = overlapping
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)

    def score(clf):
        return average_precision_score(y_te, clf.fit(X_tr, y_tr).predict_proba(X_te)[:, 1])

    tree = np.mean([score(DecisionTreeClassifier(random_state=s)) for s in (0, 1)])
    ensemble = np.mean([score(make(name, random_state=s)) for s in (0, 1)])
    assert ensemble > tree + 0.05, (ensemble, tree)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "labels",
    [np.array(["b_major", "a_minor"]), np.array([-1, 1]), np.array([1, 0])],
    ids=["strings-minority-first", "minus-one-one", "minority-is-zero"],
)
def test_original_labels_are_kept_and_the_minority_is_positive(name, labels, imbalanced):
    X, y = imbalanced
    reference = make(name, random_state=0).fit(X, y).predict_proba(X)[:, 1]
    clf = make(name, random_state=0).fit(X, labels[y])
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(np.unique(clf.predict(X))) <= set(labels)
    # Same model whatever the labels: p(minority) does not depend on how classes are named.
    column = list(clf.classes_).index(labels[1])
    np.testing.assert_allclose(clf.predict_proba(X)[:, column], reference)


@pytest.mark.parametrize("name", NAMES)
def test_more_than_two_classes_is_refused(name):
    X, y = make_classification(n_samples=150, n_classes=3, n_informative=4, random_state=0)
    with pytest.raises(ValueError, match="binary"):
        make(name).fit(X, y)


@pytest.mark.parametrize("name", NAMES)
def test_clone_gives_an_unfitted_copy_that_refits_identically(name, imbalanced):
    X, y = imbalanced
    clf = make(name, n_estimators=4, random_state=0).fit(X, y)
    copy = clone(clf)
    assert not hasattr(copy, "estimators_")
    assert copy.get_params().keys() == clf.get_params().keys()
    assert copy.get_params()["n_estimators"] == 4
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), clf.predict_proba(X))


@parametrize_with_checks(
    [make(name, n_estimators=3, random_state=0) for name in NAMES],
    expected_failed_checks=_expected_failures,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


CLASSIFIERS = [HEMAdaBoostClassifier, BCWFHardClassifier, BCWFSoftClassifier]


# ------------------------------------------------------------------------------------------
# Estimator contract
# ------------------------------------------------------------------------------------------
SMALL = {"n_estimators": 4, "si": 3}


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_reproducible_by_seed_and_different_across_seeds(cls, noisy):
    X, y = noisy
    a = cls(random_state=7, **SMALL).fit(X, y).predict_proba(X)
    b = cls(random_state=7, **SMALL).fit(X, y).predict_proba(X)
    c = cls(random_state=8, **SMALL).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_any_binary_labels_minority_is_positive(cls, noisy):
    X, y01 = noisy  # 1 is the minority
    base = cls(random_state=0, **SMALL).fit(X, y01)
    p = base.predict_proba(X)[:, 1]
    # Minority "a" sorts first, so its probability is column 0.
    y_str = np.where(y01 == 1, "a", "b")
    clf = cls(random_state=0, **SMALL).fit(X, y_str)
    assert list(clf.classes_) == ["a", "b"] and clf.minority_class_ == "a"
    np.testing.assert_allclose(clf.predict_proba(X)[:, 0], p)  # same model, relabelled
    np.testing.assert_array_equal(clf.predict(X), np.where(p > 0.5, "a", "b"))
    # -1/+1 with the minority as -1.
    y_pm = np.where(y01 == 1, -1, 1)
    clf = cls(random_state=0, **SMALL).fit(X, y_pm)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    np.testing.assert_allclose(clf.predict_proba(X)[:, 0], p)


@pytest.mark.parametrize("cls", [HEM, *CLASSIFIERS])
def test_more_than_two_classes_is_rejected(cls):
    X, y = make_classification(90, n_classes=3, n_informative=3, random_state=0)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        cls().fit(X, y)


def test_invalid_parameters_fail_fast(noisy):
    X, y = noisy
    with pytest.raises(ValueError, match="voting"):
        BCWFHardClassifier(voting="average").fit(X, y)
    with pytest.raises(ValueError, match="si"):
        HEM(si=0).fit(X, y)
    with pytest.raises(ValueError, match="g must be a number"):
        BCWFSoftClassifier(g="0").fit(X, y)
    with pytest.raises(ValueError, match="n_estimators"):
        BCWFSoftClassifier(n_estimators=0).fit(X, y)


@pytest.mark.parametrize("cls", [HEM, *CLASSIFIERS])
def test_clone_gives_an_unfitted_copy_with_the_same_params(cls, noisy):
    est = cls(random_state=3)
    fitted = clone(est).fit(*noisy)
    copy = clone(fitted)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "classes_")


@parametrize_with_checks([cls(random_state=0, **SMALL) for cls in CLASSIFIERS])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
