"""``mesa_env.binary``: the binary-ensemble helpers, each against its definition."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LinearRegression
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from mesa_env import MesaEnv, binary
from mesa_env.binary import (
    PROBA_SLACK,
    SEED_BOUND,
    binary_only_tags,
    check_estimator_arg,
    check_int,
    check_real,
    default_estimator,
    minority_as_one,
    minority_column,
    minority_index,
    ordered_proba,
    positive_proba,
)

X4 = np.arange(8.0).reshape(4, 2)


class Fixed(ClassifierMixin, BaseEstimator):
    """A classifier whose ``classes_`` and ``predict_proba`` are given."""

    def __init__(self, classes=(0, 1), proba=None):
        self.classes = classes
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        if self.proba is not None:
            return np.asarray(self.proba)
        k = len(self.classes)
        return np.tile(np.arange(1, k + 1) / np.arange(1, k + 1).sum(), (X.shape[0], 1))


def test_seed_bound_is_the_int32_max_every_spelling_used():
    assert SEED_BOUND == 2**31 - 1 == np.iinfo(np.int32).max == 2147483647
    assert type(SEED_BOUND) is int
    # the same draws as the former np.iinfo(np.int32).max spelling
    a, b = np.random.RandomState(3), np.random.RandomState(3)
    assert (
        a.randint(SEED_BOUND, size=5).tolist() == b.randint(np.iinfo(np.int32).max, size=5).tolist()
    )


@pytest.mark.parametrize(
    ("counts", "expected"), [((5, 2), 1), ((2, 5), 0), ((3, 3), 1), ((np.int64(1), np.int64(9)), 0)]
)
def test_minority_index_fewer_examples_tie_to_the_larger_label(counts, expected):
    assert minority_index(counts) == expected


@pytest.mark.parametrize(
    ("y", "minority"),
    [
        (np.array([0, 0, 0, 1]), 1),
        (np.array([1, 1, 1, 0]), 0),
        (np.array([-1, 1, 1, 1]), -1),
        (np.array(["b", "a", "b", "a"]), "b"),  # tie: the larger label
        (np.array([True, False, False]), True),
    ],
)
def test_minority_as_one_codes_the_minority_as_one(y, minority):
    label, mask = minority_as_one(y)
    assert label == minority
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, y == minority)
    classes, counts = np.unique(y, return_counts=True)
    label2, mask2 = minority_as_one(y, classes, counts)
    assert label2 == label
    np.testing.assert_array_equal(mask2, mask)


def test_minority_as_one_is_binarize_labels_implementation():
    from mesa_env.data import binarize_labels

    y = np.array(["x", "y", "y", "y", "x", "y"])
    codes, (majority, minority) = binarize_labels(y)
    label, mask = minority_as_one(y)
    assert minority == label and majority == "y"
    np.testing.assert_array_equal(codes, mask.astype(np.int64))


@pytest.mark.parametrize(("classes", "column"), [((0, 1), 1), ((1, 0), 0), ((0, 1, 2), 1)])
def test_minority_column_is_the_index_of_class_one(classes, column):
    assert minority_column(Fixed(classes).fit(X4, None)) == column


@pytest.mark.parametrize("classes", [(0, 2), ("a", "b"), (1, 1)])
def test_minority_column_refuses_classes_without_exactly_one_one(classes):
    with pytest.raises(ValueError, match="Fixed was fitted on labels 0/1"):
        minority_column(Fixed(classes).fit(X4, None))
    with pytest.raises(ValueError, match="list class 1 exactly once"):
        minority_column(object())


def test_positive_proba_is_the_checked_class_one_column():
    model = DecisionTreeClassifier(random_state=0).fit(X4, [0, 1, 0, 1])
    np.testing.assert_array_equal(positive_proba(model, X4), model.predict_proba(X4)[:, 1])
    model = Fixed((1, 0), proba=[[0.9, 0.1]] * 4).fit(X4, None)
    np.testing.assert_array_equal(positive_proba(model, X4), [0.9] * 4)
    ok = Fixed(proba=[[-PROBA_SLACK / 2, 1 + PROBA_SLACK / 2]] * 4).fit(X4, None)
    assert positive_proba(ok, X4).shape == (4,)


@pytest.mark.parametrize(
    ("proba", "match"),
    [
        ([[0.5, 0.5]] * 3, "returned shape"),
        ([[0.5]] * 4, "returned shape"),
        ([[np.nan, 0.5]] * 4, "finite and in"),
        ([[-0.1, 1.1]] * 4, "finite and in"),
    ],
)
def test_positive_proba_refuses_bad_output(proba, match):
    with pytest.raises(ValueError, match=match):
        positive_proba(Fixed(proba=proba).fit(X4, None), X4)


def test_ensemble_module_keeps_positive_proba_and_the_estimator_check():
    from mesa_env import ensemble

    assert ensemble.positive_proba is positive_proba
    assert ensemble.PROBA_SLACK == PROBA_SLACK
    assert isinstance(ensemble.check_base_estimator(None), DecisionTreeClassifier)


@pytest.mark.parametrize("minority_first", [True, False])
def test_ordered_proba_follows_the_sorted_classes(minority_first):
    p = np.array([0.1, 0.75, 1.0])
    classes = np.array(["maj", "min"]) if not minority_first else np.array(["a_min", "b_maj"])
    minority = classes[0] if minority_first else classes[1]
    proba = ordered_proba(p, classes, minority)
    column = 0 if minority_first else 1
    assert proba.shape == (3, 2) and proba.dtype == np.float64
    np.testing.assert_array_equal(proba[:, column], p)
    np.testing.assert_array_equal(proba[:, 1 - column], 1.0 - p)
    # the former column_stack spelling, bit for bit
    stacked = np.column_stack([1.0 - p, p])
    np.testing.assert_array_equal(proba, stacked if not minority_first else stacked[:, ::-1])


def test_ordered_proba_keeps_float32():
    assert ordered_proba(np.float32([0.5]), np.array([0, 1]), 1).dtype == np.float32


def test_default_estimator_is_a_fresh_full_depth_tree():
    a, b = default_estimator(), default_estimator()
    assert isinstance(a, DecisionTreeClassifier) and a is not b
    assert a.get_params() == DecisionTreeClassifier().get_params()


def test_check_estimator_arg():
    assert isinstance(check_estimator_arg(None), DecisionTreeClassifier)
    tree = DecisionTreeClassifier(max_depth=2)
    assert check_estimator_arg(tree) is tree
    with pytest.raises(TypeError, match=r"estimator must be an instance, e\.g\. Decision"):
        check_estimator_arg(DecisionTreeClassifier)
    with pytest.raises(TypeError, match="learner must be a scikit-learn classifier"):
        check_estimator_arg(LinearRegression(), "learner")
    with pytest.raises(TypeError, match="estimator SVC has no predict_proba"):
        check_estimator_arg(SVC())


def test_binary_only_tags():
    tags = DecisionTreeClassifier().__sklearn_tags__()
    assert tags.classifier_tags.multi_class
    assert binary_only_tags(tags) is tags
    assert tags.classifier_tags.multi_class is False


def test_check_int():
    assert check_int("n", 3, 2) == 3 and type(check_int("n", np.int64(3), 2)) is int
    with pytest.raises(TypeError, match="n must be an integer; got float"):
        check_int("n", 3.0, 2)
    with pytest.raises(TypeError, match="got bool"):
        check_int("n", True, 0)
    with pytest.raises(ValueError, match="n must be >= 2; got 1"):
        check_int("n", 1, 2)
    for bad in (1, 3.0, True, "3"):
        with pytest.raises(ValueError, match="n must be an integer >= 2; got"):
            check_int("n", bad, 2, value_error=True)
    assert check_int("n", 2, 2, value_error=True) == 2


def test_check_real():
    assert check_real("s", 1) == 1.0 and check_real("s", np.float32(0.5)) == 0.5
    assert np.isnan(check_real("s", float("nan")))  # type only without a minimum
    for bad in (True, "0.5", None, 1j):
        with pytest.raises(TypeError, match="s must be a number"):
            check_real("s", bad)
    assert check_real("s", 0.0, 0.0) == 0.0
    assert check_real("s", 2, 0.0, strict=True) == 2.0
    for bad, strict in (
        (0.0, True),
        (-1.0, False),
        (float("inf"), False),
        (True, False),
        ("1", False),
    ):
        with pytest.raises(ValueError, match="s must be a finite number"):
            check_real("s", bad, 0.0, strict=strict)


def test_mesa_env_estimator_and_its_alias():
    tree = DecisionTreeClassifier(max_depth=3)
    env = MesaEnv(estimator=tree, n_estimators=2)
    assert env.estimator is tree and env.base_estimator is tree
    env = MesaEnv(base_estimator=tree, n_estimators=2)
    assert env.estimator is tree and env.base_estimator is tree
    assert isinstance(MesaEnv(n_estimators=2).estimator, DecisionTreeClassifier)
    with pytest.raises(ValueError, match="not both"):
        MesaEnv(estimator=tree, base_estimator=tree)
    with pytest.raises(TypeError, match="base_estimator SVC has no predict_proba"):
        MesaEnv(base_estimator=SVC())
    with pytest.raises(TypeError, match="estimator SVC has no predict_proba"):
        MesaEnv(estimator=SVC())


def test_estimator_and_alias_give_the_same_episode():
    def episode(**kw):
        env = MesaEnv(n_estimators=3, **kw)
        obs, info = env.reset(seed=4)
        out = [obs.tolist(), info["valid_score"]]
        for mu in (0.2, 0.8):
            obs, reward, *_ = env.step(np.array([mu]))
            out += [obs.tolist(), reward]
        return out

    tree = DecisionTreeClassifier(max_depth=4)
    assert episode(estimator=tree) == episode(base_estimator=tree)


def test_mesa_env_imports_no_upper_layer():
    root = Path(binary.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in {"agents", "mesa_baselines", "mesa_evaluation"}, (path, name)
