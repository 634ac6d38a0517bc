"""The compiled presorted builder grows scikit-learn's tree to the byte, or is not used."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

import mesa_env.tree_refit as tree_refit
from mesa_env.tree_refit import TreeRefitter


def _state(tree) -> bytes:
    """Fitted attributes and the tree's nodes and values, as bytes (padding included)."""
    attributes = sorted((k, v) for k, v in vars(tree).items() if k.endswith("_") and k != "tree_")
    cls, args, state = tree.tree_.__reduce__()
    values = [(k, np.asarray(v).tobytes()) for k, v in sorted(state.items())]
    return pickle.dumps((attributes, cls.__name__, [np.asarray(a).tolist() for a in args], values))


def _presorted_fit(params: dict, X: np.ndarray, y: np.ndarray, seed: int):
    template = DecisionTreeClassifier(**params, random_state=0).fit(X, y, check_input=False)
    refitter = TreeRefitter(template, presorted=True)
    return refitter.fit(DecisionTreeClassifier(**params, random_state=seed), X, y)


def _case(rng: np.random.Generator, trial: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows with the shapes that make tree builders differ: ties, constants, near-ties."""
    n = int(rng.integers(1, 300))
    n_features = int(rng.integers(1, 10))
    n_classes = int(rng.integers(1, 4))
    X = rng.normal(size=(n, n_features)).astype(np.float32)
    kind = trial % 6
    if kind == 1:  # many exact ties
        X = np.round(X, 1).astype(np.float32)
    elif kind == 2:  # a constant feature, and one constant in part of the rows
        X[:, 0] = 3.0
        X[: n // 2, -1] = -1.0
    elif kind == 3:  # neighbours closer than scikit-learn's FEATURE_THRESHOLD (1e-7)
        X = (1.0 + np.round(X, 2) * 1e-7).astype(np.float32)
    elif kind == 4:  # signed zeros and large magnitudes
        X = np.where(rng.random(X.shape) < 0.3, -0.0, X * 1e30).astype(np.float32)
    elif kind == 5:  # duplicated rows with conflicting labels
        X = np.repeat(X[: max(1, n // 3)], 3, axis=0)[:n]
    y = rng.integers(0, n_classes, X.shape[0]) * 5 - 2  # labels other than 0..k-1
    return np.ascontiguousarray(X), y


PARAMS = [
    {},
    {"criterion": "entropy"},
    {"criterion": "log_loss", "max_features": "sqrt"},
    {"max_features": 2},
    {"max_features": 0.5, "min_samples_leaf": 3},
    {"max_depth": 4, "min_samples_split": 6},
    {"min_samples_split": 0.1, "min_samples_leaf": 0.03},
    {"min_weight_fraction_leaf": 0.1},
    {"min_impurity_decrease": 0.01},
    {"ccp_alpha": 0.02, "criterion": "entropy"},
]


def test_the_compiled_builder_is_installed():
    # `pip install .` builds it wherever a C compiler exists; CI must not lose it silently.
    assert tree_refit._tree_builder is not None
    assert tree_refit._NODE_DTYPE is not None


@pytest.mark.parametrize("params", PARAMS, ids=[str(p) for p in PARAMS])
def test_presorted_trees_are_byte_identical_to_fit(params):
    rng = np.random.default_rng(len(str(params)))
    for trial in range(36):
        X, y = _case(rng, trial)
        seed = int(rng.integers(0, 2**31 - 1))
        expected = DecisionTreeClassifier(**params, random_state=seed).fit(X, y, check_input=False)
        fitted = _presorted_fit(params, X, y, seed)
        assert _state(fitted) == _state(expected), (trial, X.shape)


def test_many_features_and_mesa_sized_subsets_are_byte_identical():
    rng = np.random.default_rng(1)
    for n, n_features in [(370, 6), (208, 64), (2000, 20)]:
        X = rng.normal(size=(n, n_features)).astype(np.float32)
        y = (X[:, 0] + rng.normal(size=n) > 1.0).astype(np.int64)
        expected = DecisionTreeClassifier(random_state=7).fit(X, y, check_input=False)
        assert _state(_presorted_fit({}, X, y, 7)) == _state(expected)


def test_the_builder_is_used_where_it_applies_and_scikit_learn_elsewhere():
    X = np.ascontiguousarray(np.random.default_rng(0).normal(size=(50, 3)), dtype=np.float32)
    y = (X[:, 0] > 0).astype(int)

    def refitter(**params):
        tree = DecisionTreeClassifier(**params, random_state=0).fit(X, y, check_input=False)
        return TreeRefitter(tree)

    assert refitter().presorted
    assert refitter(criterion="entropy").presorted
    assert not refitter(splitter="random").presorted
    assert not refitter(max_leaf_nodes=5).presorted
    template = DecisionTreeClassifier(random_state=0).fit(X, y, check_input=False)
    assert not TreeRefitter(template, presorted=False).presorted
    sklearn_fit = TreeRefitter(template, presorted=False).fit(
        DecisionTreeClassifier(random_state=3), X, y
    )
    presorted_fit = TreeRefitter(template).fit(DecisionTreeClassifier(random_state=3), X, y)
    assert _state(sklearn_fit) == _state(presorted_fit)


@pytest.mark.parametrize("params", [{"splitter": "random"}, {"max_leaf_nodes": 4}])
def test_asking_for_the_builder_where_it_does_not_apply_is_a_clear_error(params):
    X = np.ascontiguousarray(np.random.default_rng(0).normal(size=(40, 2)), dtype=np.float32)
    y = (X[:, 1] > 0).astype(int)
    template = DecisionTreeClassifier(**params, random_state=0).fit(X, y, check_input=False)
    with pytest.raises(ValueError, match="presorted=True needs"):
        TreeRefitter(template, presorted=True)


def test_without_the_compiled_module_trees_come_from_scikit_learn(monkeypatch):
    monkeypatch.setattr(tree_refit, "_NODE_DTYPE", None)
    X = np.ascontiguousarray(np.random.default_rng(2).normal(size=(80, 4)), dtype=np.float32)
    y = (X.sum(axis=1) > 0).astype(int)
    template = DecisionTreeClassifier(random_state=0).fit(X, y, check_input=False)
    refitter = TreeRefitter(template)
    assert not refitter.presorted
    expected = DecisionTreeClassifier(random_state=5).fit(X, y, check_input=False)
    assert _state(refitter.fit(DecisionTreeClassifier(random_state=5), X, y)) == _state(expected)


def test_the_builder_refuses_labels_outside_its_classes_and_short_buffers():
    builder = tree_refit._tree_builder
    X = np.zeros((4, 2), dtype=np.float32)
    nodes = np.empty(7, dtype=tree_refit._NODE_DTYPE)
    values = np.empty((7, 1, 2))
    bad_labels = np.array([0, 1, 2, 1], dtype=np.int32)
    with pytest.raises(ValueError, match="labels must be in"):
        builder.build_tree(X, bad_labels, 4, 2, 2, 0, 2, 1, 2, 0.0, 10, 0.0, 1, nodes, values)
    with pytest.raises(ValueError, match="X: buffer"):
        builder.build_tree(X[:2], bad_labels, 4, 2, 2, 0, 2, 1, 2, 0.0, 10, 0.0, 1, nodes, values)
    labels = np.array([0, 1, 1, 0], dtype=np.int32)
    with pytest.raises(TypeError, match="X: items of format 'd'"):
        builder.build_tree(
            X.astype(float), labels, 4, 2, 2, 0, 2, 1, 2, 0.0, 10, 0.0, 1, nodes, values
        )
    with pytest.raises(TypeError, match="y: items of format"):
        builder.build_tree(
            X, labels.astype(np.int64), 4, 2, 2, 0, 2, 1, 2, 0.0, 10, 0.0, 1, nodes, values
        )


def test_rows_with_infinite_values_are_grown_by_scikit_learn_as_fit_grows_them():
    # scikit-learn sends an infinite value across a threshold by value, the presorted builder
    # by position: the builder declines such rows and TreeRefitter uses scikit-learn's builder.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    X[rng.random(X.shape) < 0.2] = np.inf
    X[rng.random(X.shape) < 0.05] = -np.inf
    y = rng.integers(0, 2, 200)
    nodes = np.empty(399, dtype=tree_refit._NODE_DTYPE)
    values = np.empty((399, 1, 2))
    args = (X, y.astype(np.int32), 200, 4, 2, 0, 4, 1, 2, 0.0, 2**31 - 1, 0.0, 1, nodes, values)
    assert tree_refit._tree_builder.build_tree(*args) is None
    for seed in range(5):
        expected = DecisionTreeClassifier(random_state=seed).fit(X, y, check_input=False)
        assert _state(_presorted_fit({}, X, y, seed)) == _state(expected)
