"""Fit more copies of one scikit-learn tree without re-running its Python glue on every fit.

A ``Mesa-v0`` step fits one decision tree on a few hundred rows. scikit-learn's
``DecisionTreeClassifier.fit`` spends ~0.5 ms of a digits step in Python around its Cython
builder even with ``check_input=False`` and parameter validation skipped (``_fit_context``,
``check_random_state``, ``check_classification_targets``/``type_of_target``, the
``config_context`` around it): a fifth of the step, ~0.9 s of a default meta-training run
(``benchmarks/env_step.py --breakdown``). Members of an ensemble differ only by their integer
``random_state``, so that glue computes the same answers every time.

:class:`TreeRefitter` does the part of ``BaseDecisionTree._fit`` that depends on the rows, with
scikit-learn's own criterion, splitter, builder and ``Tree`` classes taken from
``sklearn.tree._classes`` (the objects ``fit`` itself uses), and sets the same fitted attributes.
It covers the configurations ``_fit`` handles without extra inputs (dense float32 rows, one
output, string criterion and splitter, no ``class_weight``, ``monotonic_cst`` or sample
weights); :func:`refitter_for` returns ``None`` for anything else and the caller uses ``fit``.

Bit-identity is not assumed, it is checked: the first time a configuration is seen in a
process, :func:`refitter_for` fits the same rows both ways and compares every node, value and
fitted attribute byte for byte; on any difference (a scikit-learn release that changed ``_fit``)
or error, the configuration is remembered as unsupported and ``fit`` is used from then on.
:func:`verified_refitter` runs that check on an evenly spaced sample of at most
:data:`VERIFY_ROWS` of the first member's rows: scikit-learn's builder re-sorts every feature
at every node, so fitting all of a large first subset with it cost each new process ~0.08 s
(3,600 rows of 20 features) where the sample costs ~5 ms.

Where the compiled module ``mesa_env._tree_builder`` is available (built at install; optional),
depth-first trees with the ``"best"`` splitter and the Gini or entropy criterion are grown by
it instead: scikit-learn's algorithm step for step on features sorted once per fit, where
scikit-learn re-sorts every feature at every node (a third of its fit). It grows the same tree
to the byte, and that is checked the same way (above) before it is used: 2.8 to 4.4 times
faster than scikit-learn's builder on the subsets of a ``Mesa-v0`` step
(``benchmarks/tree_builder.py``). ``TreeRefitter(template,
presorted=False)`` keeps scikit-learn's builder.
"""

from __future__ import annotations

import numbers
import pickle
import threading
from math import ceil
from typing import Any, NamedTuple

import numpy as np
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

try:  # the compiled builder: optional (the package installs without a C compiler)
    from mesa_env import _tree_builder
except ImportError:  # pragma: no cover - depends on the install
    _tree_builder = None

__all__ = [
    "VERIFY_ROWS",
    "TreeRefitter",
    "cached_refitter",
    "refittable_labels",
    "refitter_for",
    "verified_refitter",
]

#: The classes whose ``fit`` is ``BaseDecisionTree._fit`` unchanged (subclasses may override it).
_TREES = (DecisionTreeClassifier, ExtraTreeClassifier)

#: Outcome of the byte-for-byte check per configuration: ``True`` (use the refitter) or ``False``.
_VERIFIED: dict[tuple, bool] = {}
#: The refitter of each verified configuration, for :func:`cached_refitter`.
_REFITTERS: dict[tuple, TreeRefitter] = {}
#: ``_tree_builder``'s criterion codes for scikit-learn's classification criteria.
_PRESORTED_CRITERIA = {"gini": 0, "entropy": 1, "log_loss": 1}
#: sklearn.utils._random.RAND_R_MAX: the splitter's seed is ``randint(0, RAND_R_MAX)``.
_RAND_R_MAX = 2147483647
#: At most this many rows of a first fit are fitted by scikit-learn to check a configuration.
VERIFY_ROWS = 512
#: One legacy ``RandomState`` per thread, re-seeded for each fit (see ``TreeRefitter.fit``).
_THREAD_LOCAL = threading.local()


class _FitInputs(NamedTuple):
    """What a builder needs for one fit: the rows, encoded labels, generator and stopping rules.

    The stopping rules are in rows, as ``BaseDecisionTree._fit`` resolves them.
    """

    X: np.ndarray
    y_encoded: np.ndarray
    n_classes: np.ndarray
    random_state: np.random.RandomState
    min_samples_leaf: int
    min_samples_split: int
    min_weight_leaf: float


def _node_dtype() -> np.dtype | None:
    """scikit-learn's ``NODE_DTYPE`` if ``_tree_builder`` writes exactly that layout, else None."""
    if _tree_builder is None:
        return None
    try:
        from sklearn.tree._tree import NODE_DTYPE
    except ImportError:  # pragma: no cover - a scikit-learn that moved it
        return None
    itemsize, offsets = _tree_builder.node_layout()
    expected = ("left_child", "right_child", "feature", "threshold", "impurity")
    expected += ("n_node_samples", "weighted_n_node_samples", "missing_go_to_left")
    if NODE_DTYPE.names != expected or NODE_DTYPE.itemsize != itemsize:
        return None
    if tuple(NODE_DTYPE.fields[name][1] for name in expected) != offsets:
        return None
    return NODE_DTYPE


#: The node records ``_tree_builder`` writes (``None``: not built, or a different layout).
_NODE_DTYPE = _node_dtype()


def _reseeded_random_state(seed: int) -> np.random.RandomState:
    """This thread's ``RandomState``, re-seeded: the generator ``RandomState(seed)`` would be.

    ``check_random_state(seed)`` builds a new ``RandomState(seed)``, ~0.1 ms (its MT19937 is
    first seeded from OS entropy, then re-seeded); the splitter draws one ``randint`` from it
    when the build starts, so re-seeding one generator gives the same draw in ~2 µs.
    """
    random_state = getattr(_THREAD_LOCAL, "random_state", None)
    if random_state is None:
        random_state = _THREAD_LOCAL.random_state = np.random.RandomState(0)
    random_state.seed(seed)
    return random_state


class TreeRefitter:
    """Fits unfitted copies of one scikit-learn classification tree on new rows.

    Built from a fitted ``template`` whose parameters scikit-learn validated; ``fit(member, X,
    y)`` then fits ``member`` (a copy of the template that differs only by an integer
    ``random_state``) exactly as ``member.fit(X, y, check_input=False)`` would. ``X`` must be
    C-contiguous float32 without NaN (what ``check_input=False`` requires too; rows with an
    infinite value are grown by scikit-learn's builder); ``y`` a 1-d integer
    or boolean array of class labels (:func:`refittable_labels`). A refitter holds no state
    between fits: it may be shared, across threads too.

    ``presorted``: grow the tree with the compiled presorted builder (``True``; an error where
    it does not apply), scikit-learn's builder (``False``), or the first where it applies
    (``None``, the default).
    """

    def __init__(self, template: Any, presorted: bool | None = None) -> None:
        from sklearn.tree import _classes  # the names fit itself looks up (pickled by reference)

        self._tree = _classes.Tree
        self._builder = (
            _classes.DepthFirstTreeBuilder
            if template.max_leaf_nodes is None
            else _classes.BestFirstTreeBuilder
        )
        self.n_features = int(template.n_features_in_)
        self.max_features = template.max_features_
        self._params = template.get_params(deep=False)
        self._criterion = _classes.CRITERIA_CLF[self._params["criterion"]]
        self._splitter = _classes.DENSE_SPLITTERS[self._params["splitter"]]
        max_depth = self._params["max_depth"]
        self._max_depth = np.iinfo(np.int32).max if max_depth is None else max_depth
        max_leaf_nodes = self._params["max_leaf_nodes"]
        self._max_leaf_nodes = -1 if max_leaf_nodes is None else max_leaf_nodes
        supported = (
            _NODE_DTYPE is not None
            and self._params["splitter"] == "best"
            and max_leaf_nodes is None
            and self._params["criterion"] in _PRESORTED_CRITERIA
        )
        if presorted and not supported:
            raise ValueError(
                "presorted=True needs the compiled mesa_env._tree_builder and a depth-first "
                "tree (max_leaf_nodes=None) with splitter='best' and criterion 'gini', "
                "'entropy' or 'log_loss'; pass presorted=None to use it only where it applies"
            )
        self.presorted = supported if presorted is None else bool(presorted)

    def fit(self, member: Any, X: np.ndarray, y: np.ndarray) -> Any:
        """Fit ``member`` on ``(X, y)`` as ``member.fit(X, y, check_input=False)`` does."""
        params = self._params
        if not refittable_labels(y):
            raise ValueError(
                "TreeRefitter takes labels as a 1-d integer or boolean array; got "
                f"{type(y).__name__} {getattr(y, 'dtype', '')} {getattr(y, 'shape', '')}: "
                "fit such labels with the tree's own fit"
            )
        if not isinstance(X, np.ndarray) or X.dtype != np.float32 or not X.flags.c_contiguous:
            raise TypeError(
                "TreeRefitter takes X as a C-contiguous float32 array (what fit with "
                f"check_input=False takes); got {type(X).__name__} {getattr(X, 'dtype', '')}: "
                "pass np.ascontiguousarray(X, dtype=np.float32)"
            )
        n_samples = X.shape[0]
        if X.ndim != 2 or X.shape[1] != self.n_features or y.shape != (n_samples,):
            raise ValueError(
                f"TreeRefitter expects X of shape (n, {self.n_features}) and y of shape (n,); "
                f"got {X.shape} and {y.shape}"
            )
        classes, y_encoded = np.unique(y, return_inverse=True)
        n_classes = np.array([classes.shape[0]], dtype=np.intp)

        min_samples_leaf = params["min_samples_leaf"]
        if not isinstance(min_samples_leaf, numbers.Integral):
            min_samples_leaf = ceil(min_samples_leaf * n_samples)
        min_samples_split = params["min_samples_split"]
        if not isinstance(min_samples_split, numbers.Integral):
            min_samples_split = max(2, ceil(min_samples_split * n_samples))
        min_samples_split = max(min_samples_split, 2 * min_samples_leaf)
        min_weight_leaf = params["min_weight_fraction_leaf"] * n_samples

        inputs = _FitInputs(
            X,
            y_encoded,
            n_classes,
            _reseeded_random_state(member.random_state),
            min_samples_leaf,
            min_samples_split,
            min_weight_leaf,
        )
        if not self.presorted:
            tree = self._build(inputs)
        elif (tree := self._build_presorted(inputs)) is None:  # rows it declines (inf)
            # scikit-learn's builder, from a fresh generator: the presorted one drew from it
            random_state = _reseeded_random_state(member.random_state)
            tree = self._build(inputs._replace(random_state=random_state))
        member.n_features_in_ = self.n_features  # in the order fit sets them
        member.n_outputs_ = 1
        member.classes_ = classes
        member.n_classes_ = n_classes[0]
        member.max_features_ = self.max_features
        member.tree_ = tree
        if params["ccp_alpha"] != 0.0:
            member._prune_tree()
        return member

    def _build(self, inputs: _FitInputs) -> Any:
        """The tree, grown by scikit-learn's own splitter and builder."""
        params = self._params
        X, y_encoded, n_classes, random_state = inputs[:4]
        min_samples_leaf, min_samples_split, min_weight_leaf = inputs[4:]
        y_column = y_encoded.astype(np.float64).reshape(-1, 1)
        criterion = self._criterion(1, n_classes)
        splitter = self._splitter(
            criterion, self.max_features, min_samples_leaf, min_weight_leaf, random_state, None
        )
        tree = self._tree(self.n_features, n_classes, 1)
        # the builders' arguments: best-first takes max_leaf_nodes after max_depth
        leaf_limit = () if self._max_leaf_nodes < 0 else (self._max_leaf_nodes,)
        builder = self._builder(
            splitter,
            min_samples_split,
            min_samples_leaf,
            min_weight_leaf,
            self._max_depth,
            *leaf_limit,
            params["min_impurity_decrease"],
        )
        builder.build(tree, X, y_column, None, None)
        return tree

    def _build_presorted(self, inputs: _FitInputs) -> Any:
        """The same tree, grown by ``_tree_builder`` (scikit-learn's algorithm, presorted).

        ``None`` for rows the builder does not cover (an infinite value: scikit-learn sends it
        across a threshold by value, the builder by position).
        """
        X, y_encoded, n_classes, random_state = inputs[:4]
        min_samples_leaf, min_samples_split, min_weight_leaf = inputs[4:]
        n_samples = X.shape[0]
        n_class = int(n_classes[0])
        # the draw scikit-learn's Splitter.init makes, from the same generator
        rand_r_state = random_state.randint(0, _RAND_R_MAX)
        capacity = 2 * n_samples - 1  # a binary tree whose leaves hold at least one row each
        nodes = np.empty(capacity, dtype=_NODE_DTYPE)
        values = np.empty((capacity, 1, n_class))
        built = _tree_builder.build_tree(
            X,
            y_encoded.astype(np.int32),
            n_samples,
            self.n_features,
            n_class,
            _PRESORTED_CRITERIA[self._params["criterion"]],
            self.max_features,
            min_samples_leaf,
            min_samples_split,
            min_weight_leaf,
            self._max_depth,
            self._params["min_impurity_decrease"],
            rand_r_state,
            nodes,
            values,
        )
        if built is None:  # rows with inf or NaN: the builder does not cover them
            return None
        node_count, max_depth = built
        tree = self._tree(self.n_features, n_classes, 1)
        tree.__setstate__(
            {
                "max_depth": max_depth,
                "node_count": node_count,
                "nodes": nodes[:node_count],
                "values": values[:node_count],
            }
        )
        return tree


def _config_key(estimator: Any, n_features: int) -> tuple | None:
    """A hashable key for the estimator's configuration, or ``None`` if it is not covered."""
    if type(estimator) not in _TREES:
        return None
    params = estimator.get_params(deep=False)
    if (
        params.get("class_weight") is not None
        or params.get("monotonic_cst") is not None
        or not isinstance(params.get("criterion"), str)
        or not isinstance(params.get("splitter"), str)
    ):
        return None
    values = {k: v for k, v in params.items() if k != "random_state"}
    if not all(v is None or type(v) in (bool, int, float, str) for v in values.values()):
        return None
    # The type is part of the key: 1 == 1.0 == True in Python, but max_features=1 is one
    # feature and 1.0 all of them, and max_depth=3.0 is refused by scikit-learn's validation.
    typed = tuple(sorted((k, type(v).__name__, v) for k, v in values.items()))
    return (type(estimator), typed, int(n_features))


def _fitted_state(tree: Any) -> bytes:
    """Every fitted attribute of a tree, as bytes to compare.

    The ``Tree`` is taken as it pickles (``__reduce__``: its constructor arguments, nodes,
    values and depth), the other attributes ending in ``_`` with their types.
    """
    attributes = sorted((k, v) for k, v in vars(tree).items() if k.endswith("_") and k != "tree_")
    tree_class, arguments, state = tree.tree_.__reduce__()
    return pickle.dumps((attributes, tree_class, arguments, sorted(state.items())))


def refitter_for(template: Any, X: np.ndarray, y: np.ndarray) -> TreeRefitter | None:
    """A :class:`TreeRefitter` for copies of ``template``, or ``None`` to keep using ``fit``.

    ``template`` must have been fitted by scikit-learn on ``(X, y)`` (float32, C-contiguous, 1-d
    ``y``, ``check_input=False``) with an integer ``random_state``. The first time its
    configuration is seen in this process the refitter fits the same rows and seed, and is kept
    only if the result is byte-for-byte the template's; the verdict is remembered for the rest
    of the process (and :func:`cached_refitter` serves the configuration from then on).
    """
    key = _config_key(template, X.shape[1])
    if key is None or not refittable_labels(y):
        return None
    if not isinstance(template.random_state, numbers.Integral):
        return None
    verified = _VERIFIED.get(key)
    if verified is False:
        return None
    cached = _REFITTERS.get(key)
    if cached is not None:
        return cached
    try:
        refitter = TreeRefitter(template)
        if verified is None:
            twin = type(template)(**template.get_params(deep=False))
            refitter.fit(twin, X, y)
            _VERIFIED[key] = _fitted_state(twin) == _fitted_state(template)
    except Exception:  # a scikit-learn whose private classes changed: keep its public fit
        _VERIFIED[key] = False
    if not _VERIFIED[key]:
        return None
    return _REFITTERS.setdefault(key, refitter)


def verified_refitter(member: Any, X: np.ndarray, y: np.ndarray) -> TreeRefitter | None:
    """A :class:`TreeRefitter` to fit the unfitted tree ``member`` on ``(X, y)``, or ``None``.

    The refitter of a configuration this process has checked, else the check itself
    (:func:`refitter_for`) on a copy of ``member`` that scikit-learn fits, validating its
    parameters as ``fit`` would (an invalid one raises scikit-learn's error here), on every
    ``ceil(n / VERIFY_ROWS)``-th row of ``X``, so the check costs the same however large the
    first fit is. It catches a scikit-learn whose ``_fit`` differs from what this module
    reproduces; that the builder then grows every tree to the byte, the first member's on
    all its rows included, rests on it following scikit-learn's algorithm in general, which
    ``tests/mesa_env/test_tree_builder.py`` checks on 360 random cases (ties, constant
    features, every stopping rule). A sample that misses a class of ``y`` is replaced by all
    the rows. ``X``: C-contiguous float32, as for
    :meth:`TreeRefitter.fit`; ``member``'s ``random_state`` must be an integer.
    """
    key = _config_key(member, X.shape[1])
    if key is None or not refittable_labels(y) or _VERIFIED.get(key) is False:
        return None
    cached = _REFITTERS.get(key)
    if cached is not None or not isinstance(member.random_state, numbers.Integral):
        return cached
    stride = -(-X.shape[0] // VERIFY_ROWS)
    X_check, y_check = X, y
    if stride > 1:
        X_check, y_check = np.ascontiguousarray(X[::stride]), y[::stride]
        if np.unique(y_check).shape != np.unique(y).shape:
            X_check, y_check = X, y
    template = type(member)(**member.get_params(deep=False))
    template.fit(X_check, y_check, check_input=False)
    return refitter_for(template, X_check, y_check)


def refittable_labels(y: Any) -> bool:
    """Whether :class:`TreeRefitter` takes ``y`` exactly as ``fit`` would.

    True for a 1-d integer or boolean array (the env's labels). ``fit`` also takes lists and
    column vectors, and refuses continuous float labels: those stay with ``fit``.
    """
    return isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "biu"


def cached_refitter(estimator: Any, n_features: int) -> TreeRefitter | None:
    """The :class:`TreeRefitter` for ``estimator`` on ``n_features`` features, if verified.

    ``None`` unless :func:`refitter_for` has verified the same configuration (every parameter
    but ``random_state``, and the number of features) in this process: a later ensemble of the
    same learner then fits even its first member without ``fit``'s Python. Its parameters were
    validated by scikit-learn when the verified template was fitted with the same values.
    """
    key = _config_key(estimator, n_features)
    return _REFITTERS.get(key) if key is not None else None
