"""``TreeRefitter`` fits trees byte-for-byte as scikit-learn's ``fit``, or is not used at all."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

import mesa_env.tree_refit as tree_refit
from mesa_env import MesaEnv
from mesa_env.ensemble import IncrementalEnsemble
from mesa_env.tree_refit import (
    VERIFY_ROWS,
    TreeRefitter,
    cached_refitter,
    refitter_for,
    verified_refitter,
)


@pytest.fixture(autouse=True)
def fresh_verdicts(monkeypatch):
    """Each test starts with no configuration verified (the caches are per process)."""
    monkeypatch.setattr(tree_refit, "_VERIFIED", {})
    monkeypatch.setattr(tree_refit, "_REFITTERS", {})


def _rows(seed: int = 0, n: int = 240, n_features: int = 6):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n, n_features)) * 1e3).astype(np.float32)
    y = (X[:, 0] + 800 * rng.normal(size=n) > 0).astype(np.int64)
    return np.ascontiguousarray(X), y


def _state(tree) -> bytes:
    """Fitted attributes and the tree as it pickles (written out here, not the module's own)."""
    attributes = sorted((k, v) for k, v in vars(tree).items() if k.endswith("_") and k != "tree_")
    cls, args, state = tree.tree_.__reduce__()
    values = [(k, np.asarray(v).tobytes()) for k, v in sorted(state.items())]
    return pickle.dumps((attributes, cls.__name__, [np.asarray(a).tolist() for a in args], values))


CONFIGS = [
    (DecisionTreeClassifier, {}),
    (DecisionTreeClassifier, {"max_depth": 3, "min_samples_leaf": 4}),
    (DecisionTreeClassifier, {"criterion": "entropy", "max_features": "sqrt"}),
    (DecisionTreeClassifier, {"criterion": "log_loss", "splitter": "random"}),
    (DecisionTreeClassifier, {"min_samples_split": 0.1, "min_samples_leaf": 0.02}),
    (DecisionTreeClassifier, {"max_leaf_nodes": 7, "min_impurity_decrease": 1e-3}),
    (DecisionTreeClassifier, {"min_weight_fraction_leaf": 0.05, "max_features": 0.5}),
    (DecisionTreeClassifier, {"ccp_alpha": 0.01}),
    (ExtraTreeClassifier, {}),
    (ExtraTreeClassifier, {"max_depth": 5, "max_features": 2}),
]


@pytest.mark.parametrize(("tree", "params"), CONFIGS)
def test_refitted_trees_are_byte_identical_to_fit(tree, params):
    X0, y0 = _rows(0)
    template = tree(**params, random_state=0).fit(X0, y0, check_input=False)
    refitter = refitter_for(template, X0, y0)
    assert isinstance(refitter, TreeRefitter)
    for seed in range(1, 6):
        X, y = _rows(seed, n=180 + 20 * seed)
        expected = tree(**params, random_state=seed).fit(X, y, check_input=False)
        refitted = refitter.fit(tree(**params, random_state=seed), X, y)
        assert _state(refitted) == _state(expected)
        np.testing.assert_array_equal(refitted.predict_proba(X0), expected.predict_proba(X0))


def test_labels_keep_their_values_and_dtype():
    X, y = _rows(0)
    labels = np.where(y == 1, 7, -2).astype(np.int32)
    template = DecisionTreeClassifier(random_state=0).fit(X, labels, check_input=False)
    refitter = refitter_for(template, X, labels)
    refitted = refitter.fit(DecisionTreeClassifier(random_state=3), X, labels)
    assert refitted.classes_.dtype == np.int32
    np.testing.assert_array_equal(refitted.classes_, [-2, 7])
    assert set(refitted.predict(X)) <= {-2, 7}


@pytest.mark.parametrize(
    "template",
    [
        DecisionTreeClassifier(class_weight="balanced", random_state=0),
        DecisionTreeClassifier(monotonic_cst=[1, 0, 0, 0, 0, 0], random_state=0),
        DecisionTreeClassifier(random_state=None),
    ],
)
def test_configurations_outside_the_covered_ones_keep_fit(template):
    X, y = _rows(0)
    template.fit(X, y, check_input=False)
    assert refitter_for(template, X, y) is None


def test_a_subclass_is_never_refitted():
    class Subclassed(DecisionTreeClassifier):
        pass

    X, y = _rows(0)
    template = Subclassed(random_state=0).fit(X, y, check_input=False)
    assert refitter_for(template, X, y) is None


def test_a_refit_that_differs_from_fit_is_refused_for_the_rest_of_the_process(monkeypatch):
    """A scikit-learn release whose ``_fit`` changed: the byte check fails, ``fit`` stays."""
    X, y = _rows(0)
    template = DecisionTreeClassifier(max_features=2, random_state=0).fit(X, y, check_input=False)
    original = TreeRefitter.fit

    def off_by_one_feature_choice(self, member, X, y):
        member.random_state += 1  # a different draw: a different tree
        return original(self, member, X, y)

    monkeypatch.setattr(TreeRefitter, "fit", off_by_one_feature_choice)
    assert refitter_for(template, X, y) is None
    monkeypatch.setattr(TreeRefitter, "fit", original)
    assert refitter_for(template, X, y) is None  # remembered
    assert cached_refitter(DecisionTreeClassifier(max_features=2), X.shape[1]) is None


def test_a_refit_that_raises_is_refused(monkeypatch):
    X, y = _rows(0)
    template = DecisionTreeClassifier(random_state=0).fit(X, y, check_input=False)
    monkeypatch.setattr(tree_refit.TreeRefitter, "__init__", _raise_type_error)
    assert refitter_for(template, X, y) is None


def _raise_type_error(*args, **kwargs):
    raise TypeError("__cinit__() takes exactly 5 positional arguments (6 given)")


def _count_fit_rows(monkeypatch) -> list[int]:
    """Record the number of rows of every ``DecisionTreeClassifier.fit`` from now on."""
    rows: list[int] = []
    original = DecisionTreeClassifier.fit

    def counting(self, X, *args, **kwargs):
        rows.append(X.shape[0])
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(DecisionTreeClassifier, "fit", counting)
    return rows


def test_a_large_first_fit_is_checked_on_a_sample_and_refitted_whole(monkeypatch):
    """scikit-learn fits only every k-th row for the check; the member is fit's, on all rows."""
    X, y = _rows(0, n=5 * VERIFY_ROWS + 3)
    expected = DecisionTreeClassifier(random_state=4).fit(X, y, check_input=False)
    rows = _count_fit_rows(monkeypatch)
    member = DecisionTreeClassifier(random_state=4)
    refitter = verified_refitter(member, X, y)
    assert rows == [len(range(0, len(y), 6))]  # ceil(2563 / 512) = 6
    assert rows[0] <= VERIFY_ROWS
    assert _state(refitter.fit(member, X, y)) == _state(expected)
    assert verified_refitter(DecisionTreeClassifier(random_state=8), X, y) is refitter  # cached


def test_a_sample_that_misses_a_class_is_replaced_by_all_rows(monkeypatch):
    X, y = _rows(1, n=2 * VERIFY_ROWS + 1)
    y = np.zeros_like(y)
    y[1::2] = 1  # every other row: a stride of 3 meets both, but
    y[1::6] = 2  # a third class only on rows the sample (every 3rd from 0) skips
    rows = _count_fit_rows(monkeypatch)
    assert verified_refitter(DecisionTreeClassifier(random_state=0), X, y) is not None
    assert rows == [len(y)]


def test_the_sampled_check_still_refuses_a_refit_that_differs(monkeypatch):
    """A mismatch on the sample: no refitter, and the ensemble's members are fit's own."""
    X, y = _rows(2, n=3 * VERIFY_ROWS)
    original = TreeRefitter.fit

    def off_by_one_feature_choice(self, member, X, y):
        member.random_state += 1
        return original(self, member, X, y)

    monkeypatch.setattr(TreeRefitter, "fit", off_by_one_feature_choice)
    learner = DecisionTreeClassifier(max_features=2)
    assert verified_refitter(learner.set_params(random_state=0), X, y) is None
    monkeypatch.setattr(tree_refit, "_VERIFIED", {})  # the ensemble runs the check itself
    ensemble = IncrementalEnsemble(DecisionTreeClassifier(max_features=2), X)
    member = ensemble.fit_member(X, y, 3)
    assert ensemble._refitter is None
    expected = DecisionTreeClassifier(max_features=2, random_state=3).fit(X, y)
    assert _state(member) == _state(expected)


def test_cached_refitter_needs_the_same_parameters_and_feature_count():
    X, y = _rows(0)
    assert cached_refitter(DecisionTreeClassifier(max_depth=4), 6) is None  # nothing verified
    template = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y, check_input=False)
    assert refitter_for(template, X, y) is not None
    same = DecisionTreeClassifier(max_depth=4, random_state=9)
    assert isinstance(cached_refitter(same, 6), TreeRefitter)
    assert cached_refitter(DecisionTreeClassifier(max_depth=5), 6) is None
    assert cached_refitter(DecisionTreeClassifier(max_depth=4), 7) is None


def test_wrong_shapes_raise_a_clear_error():
    X, y = _rows(0)
    template = DecisionTreeClassifier(random_state=0).fit(X, y, check_input=False)
    refitter = refitter_for(template, X, y)
    with pytest.raises(ValueError, match=r"expects X of shape \(n, 6\)"):
        refitter.fit(DecisionTreeClassifier(random_state=1), np.ascontiguousarray(X[:, :5]), y)


@pytest.mark.parametrize(
    "convert",
    [lambda X: X.astype(np.float64), np.asfortranarray, lambda X: X.tolist()],
    ids=["float64", "fortran", "list"],
)
def test_rows_other_than_c_contiguous_float32_are_a_clear_type_error(convert):
    X, y = _rows(0)
    template = DecisionTreeClassifier(random_state=0).fit(X, y, check_input=False)
    refitter = refitter_for(template, X, y)
    with pytest.raises(TypeError, match="C-contiguous float32"):
        refitter.fit(DecisionTreeClassifier(random_state=1), convert(X), y)


def test_ensembles_use_the_refitter_and_stay_identical_to_fitted_members(monkeypatch):
    """One ``fit`` (the configuration's check) in the process; every member is refitted."""
    X, y = _rows(3, n=400)
    fits = []
    original_fit = DecisionTreeClassifier.fit

    def counting_fit(self, *args, **kwargs):
        fits.append(self.random_state)
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(DecisionTreeClassifier, "fit", counting_fit)
    rng = np.random.default_rng(0)
    for _ in range(2):
        ensemble = IncrementalEnsemble(DecisionTreeClassifier(), X)
        for seed in rng.integers(2**31 - 1, size=4):
            rows = rng.choice(400, 150, replace=False)
            member = ensemble.fit_member(X[rows], y[rows], int(seed))
            expected = original_fit(
                DecisionTreeClassifier(random_state=int(seed)), X[rows], y[rows]
            )
            assert _state(member) == _state(expected)
    assert len(fits) == 1  # the check, when the first ensemble fits its first member


def test_env_episodes_are_unchanged_by_the_refitter(monkeypatch):
    """The same seed gives the same observations and rewards with and without the refitter."""

    def episode() -> list:
        env = MesaEnv(dataset="digits", n_estimators=6)
        out = [env.reset(seed=5)[0]]
        for mu in (0.1, 0.9, 0.5, 0.3, 0.7):
            obs, reward, _, _, info = env.step([mu])
            out += [obs, reward, info["valid_score"]]
        return [*out, info["test_score"]]

    refits = []
    original = TreeRefitter.fit
    monkeypatch.setattr(TreeRefitter, "fit", lambda *a: refits.append(1) or original(*a))
    with_refit = episode()
    assert len(refits) == 7  # the one-time check, then the six members
    monkeypatch.setattr(tree_refit, "_REFITTERS", {})
    monkeypatch.setattr("mesa_env.ensemble.verified_refitter", lambda *args: None)
    monkeypatch.setattr("mesa_env.ensemble.cached_refitter", lambda *args: None)
    without = episode()
    for a, b in zip(with_refit, without, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("first", "second"),
    [({"max_features": 1.0}, {"max_features": 1}), ({"max_depth": 3}, {"max_depth": True})],
)
def test_settings_equal_in_python_but_not_in_scikit_learn_are_different_configurations(
    first, second
):
    """1 == 1.0 == True, but max_features=1 is one feature and 1.0 all of them."""
    X, y = _rows(0)
    fitted = []
    for params in (first, second):
        ensemble = IncrementalEnsemble(DecisionTreeClassifier(**params), X)
        for seed in range(3):
            member = ensemble.fit_member(X, y, seed)
            expected = DecisionTreeClassifier(**params, random_state=seed).fit(X, y)
            assert _state(member) == _state(expected)
        fitted.append(ensemble)
    assert len(tree_refit._REFITTERS) == 2


def test_a_float_max_depth_is_refused_as_scikit_learn_refuses_it():
    """A cached refitter for max_depth=3 does not let max_depth=3.0 skip validation."""
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = _rows(0)
    IncrementalEnsemble(DecisionTreeClassifier(max_depth=3), X).fit_member(X, y, 0)
    with pytest.raises(InvalidParameterError, match="max_depth"):
        IncrementalEnsemble(DecisionTreeClassifier(max_depth=3.0), X).fit_member(X, y, 0)


@pytest.mark.parametrize(
    "labels",
    [lambda y: y.astype(float) + 0.5 * (y == 0), lambda y: list(y), lambda y: y.reshape(-1, 1)],
    ids=["continuous", "list", "column"],
)
def test_labels_the_refitter_does_not_take_go_through_fit(labels):
    """Continuous labels fail as ``fit`` fails; lists and columns fit as ``fit`` fits them."""
    X, y = _rows(0)
    ensemble = IncrementalEnsemble(DecisionTreeClassifier(), X)
    ensemble.fit_member(X, y, 0)  # verifies the configuration
    assert ensemble._refitter is not None
    with pytest.raises(ValueError, match="1-d integer or boolean"):
        ensemble._refitter.fit(DecisionTreeClassifier(random_state=1), X, labels(y))
    try:
        expected = _state(DecisionTreeClassifier(random_state=1).fit(X, labels(y)))
    except ValueError as error:
        with pytest.raises(ValueError, match="Unknown label type") as raised:
            ensemble.fit_member(X, labels(y), 1)
        assert str(raised.value) == str(error)
        return
    assert _state(ensemble.fit_member(X, labels(y), 1)) == expected


def test_a_one_class_member_fails_as_fit_members_do():
    X, y = _rows(0)
    ensemble = IncrementalEnsemble(DecisionTreeClassifier(), X)
    ensemble.fit_member(X, y, 0)
    with pytest.raises(ValueError, match="must list class 1"):
        ensemble.fit_member(X, np.zeros_like(y), 1)
    assert len(ensemble) == 1


def test_a_pickled_ensemble_rechecks_in_the_loading_process(monkeypatch):
    X, y = _rows(0)
    ensemble = IncrementalEnsemble(DecisionTreeClassifier(), X)
    ensemble.fit_member(X, y, 0)
    assert ensemble._refitter is not None
    monkeypatch.setattr(tree_refit, "_REFITTERS", {})  # a process that verified nothing
    monkeypatch.setattr(tree_refit, "_VERIFIED", {})
    loaded = pickle.loads(pickle.dumps(ensemble))
    assert loaded._refitter is None
    loaded.fit_member(X[:200], y[:200], 5)
    ensemble.fit_member(X[:200], y[:200], 5)
    np.testing.assert_array_equal(loaded.proba, ensemble.proba)


def test_one_refitter_shared_by_threads_fits_as_fit_does():
    from concurrent.futures import ThreadPoolExecutor

    X, y = _rows(0, n=400)
    template = DecisionTreeClassifier(max_features="sqrt", random_state=0)
    refitter = refitter_for(template.fit(X, y, check_input=False), X, y)

    def both(seed: int) -> bool:
        rows = np.random.default_rng(seed).choice(400, 250, replace=False)
        mine = refitter.fit(DecisionTreeClassifier(max_features="sqrt", random_state=seed),
                            np.ascontiguousarray(X[rows]), y[rows])  # fmt: skip
        theirs = DecisionTreeClassifier(max_features="sqrt", random_state=seed).fit(
            X[rows], y[rows]
        )
        return _state(mine) == _state(theirs)

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(both, range(40)))
