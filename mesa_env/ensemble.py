"""The ensemble F_t = (1/t) Σ f_i (Algorithm 2, line 3), kept as cached running means.

Predictions on every evaluation row (train, valid and test, stacked) are updated incrementally
when a member joins, so a step costs one ``fit`` and one ``predict_proba`` whatever the ensemble
size. Members are clones of one scikit-learn classifier, each with its own derived seed.

scikit-learn's single trees (the paper's and the env's default base learner) compute on float32
and re-validate their input on every call, about a tenth of a digits step. The ensemble hands
them float32 rows with ``check_input=False``, scikit-learn's own switch for callers that
checked the data already (its forests call their trees the same way); the rows come from a
:class:`~mesa_env.data.Task`, checked finite at the boundary, and the cast is the one the tree
makes itself, so every prediction is bit-identical. Members of a plain tree
configuration are fitted by :class:`~mesa_env.tree_refit.TreeRefitter` (scikit-learn's
algorithm on presorted features, compiled, or its own Cython builder, without ``fit``'s
per-call Python), once it has been checked byte for byte against scikit-learn's ``fit`` (once
per configuration and process, on a sample of the first member's rows).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

from mesa_env.binary import PROBA_SLACK, check_estimator_arg, positive_proba
from mesa_env.tree_refit import (
    TreeRefitter,
    cached_refitter,
    refittable_labels,
    verified_refitter,
)

try:  # the running mean in one compiled pass (optional: built at install)
    from mesa_env import _step_kernels
except ImportError:  # pragma: no cover - depends on the install
    _step_kernels = None

#: Learners whose ``fit``/``predict_proba`` take ``check_input=False`` on float32 rows.
UNCHECKED_TREES = (DecisionTreeClassifier, ExtraTreeClassifier)

__all__ = [
    "PROBA_SLACK",
    "UNCHECKED_TREES",
    "IncrementalEnsemble",
    "check_base_estimator",
    "positive_proba",
]  # ``positive_proba`` and ``PROBA_SLACK`` live in :mod:`mesa_env.binary`


def check_base_estimator(estimator: Any, name: str = "estimator") -> Any:
    """Deprecated name of :func:`mesa_env.binary.check_estimator_arg`, kept for importers."""
    return check_estimator_arg(estimator, name)


class IncrementalEnsemble:
    """Running-mean ensemble of base classifiers with cached positive-class probabilities.

    ``X_eval`` stacks every row whose ensemble prediction is tracked; ``proba`` holds F_t on
    them after ``t`` members. Labels are 0/1 with 1 the positive (minority) class.
    ``X_eval_float32``, optional, is ``X_eval`` already cast to C-contiguous float32 (what
    scikit-learn's trees compute on), to spare a cast per ensemble.
    """

    def __init__(
        self, estimator: Any, X_eval: np.ndarray, *, X_eval_float32: np.ndarray | None = None
    ) -> None:
        self.estimator = estimator
        self.X_eval = X_eval
        self.estimators: list[Any] = []
        self.proba = np.zeros(X_eval.shape[0])
        self._sum = np.zeros(X_eval.shape[0])
        params = estimator.get_params(deep=True)
        # Every random_state, nested ones too (pipelines, meta-estimators), gets the seed.
        self._seed_keys = [k for k in params if k.split("__")[-1] == "random_state"]
        # Flat estimators whose parameters are plain values are rebuilt from them directly:
        # the same object ``clone`` makes, without its ~0.1 ms of validation per member.
        flat = estimator.get_params(deep=False)
        simple = all(v is None or isinstance(v, (bool, int, float, str)) for v in flat.values())
        self._flat_params = flat if simple and params.keys() == flat.keys() else None
        # A plain scikit-learn tree: float32 rows, no re-validation (see the module docstring).
        self._unchecked = type(estimator) in UNCHECKED_TREES
        if self._unchecked:  # the caller's cast when given (a task casts its rows once)
            if X_eval_float32 is None or X_eval_float32.shape != X_eval.shape:
                X_eval_float32 = X_eval
            X_eval_float32 = np.ascontiguousarray(X_eval_float32, np.float32)  # no-op if cast
            self._predict_rows = X_eval_float32
        else:
            self._predict_rows = X_eval
        # Plain trees: fitted without fit's Python once a fit of this configuration was verified
        self._refitter: TreeRefitter | None = (
            cached_refitter(estimator, X_eval.shape[1]) if self._unchecked else None
        )

    @property
    def base_estimator(self) -> Any:
        """Alias of :attr:`estimator` (the base learner's former name)."""
        return self.estimator

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the refitter: the loading process checks its own scikit-learn."""
        state = self.__dict__.copy()
        state["_refitter"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore; use a refitter only if this process has verified the configuration."""
        self.__dict__.update(state)
        if self._unchecked:
            self._refitter = cached_refitter(self.estimator, self.X_eval.shape[1])

    def __len__(self) -> int:
        return len(self.estimators)

    def new_member(self, seed: int) -> Any:
        """An unfitted copy of the base learner whose every ``random_state`` is ``seed``."""
        seeds = dict.fromkeys(self._seed_keys, seed)
        if self._flat_params is not None:
            return type(self.estimator)(**{**self._flat_params, **seeds})
        return clone(self.estimator).set_params(**seeds)

    def fit_member(self, X: np.ndarray, y: np.ndarray, seed: int) -> Any:
        """Fit one copy of the base learner with its derived seed, and add it.

        ``X`` and ``X_eval`` come from a :class:`~mesa_env.data.Task`, checked finite at the
        boundary, so scikit-learn's finite scan is skipped (``assume_finite``); members share
        the first member's parameters but for an integer ``random_state``, so only the first
        fit of an ensemble validates them (``skip_parameter_validation`` after it). Plain trees
        are fitted by the refitter once their configuration is verified, the first member
        included (:func:`~mesa_env.tree_refit.verified_refitter`).
        None of this changes a result; together they save ~0.6 ms a step on digits.
        """
        member = self.new_member(seed)
        first = not self.estimators
        rows = np.ascontiguousarray(X, np.float32) if self._unchecked else X  # cast once
        if self._unchecked and isinstance(seed, numbers.Integral) and refittable_labels(y):
            if self._refitter is None and first:  # check the configuration (once a process)
                with config_context(assume_finite=True):
                    self._refitter = verified_refitter(member, rows, y)
            if self._refitter is not None:
                self._refitter.fit(member, rows, y)
                self._add_refitted(member)
                return member
        with config_context(assume_finite=True, skip_parameter_validation=not first):
            if self._unchecked:
                member.fit(rows, y, check_input=False)
            else:
                member.fit(X, y)
            self.add(member)
        return member

    def add(self, member: Any) -> None:
        """Add a fitted member: F_t = (1/t) Σ f_i.

        F is kept as a running sum so that equal vote counts give exactly equal scores (ties
        matter to AUCPRC and to the histogram bins).

        The member's ``predict_proba`` must return one column per class of ``classes_`` (which
        holds 1), finite and in [0, 1]; otherwise ``ValueError`` names the learner and nothing
        is added.
        """
        if self._unchecked and type(member) in UNCHECKED_TREES:
            self._add_tree(member)
        else:
            self._include(member, positive_proba(member, self.X_eval))

    def _add_refitted(self, member: Any) -> None:
        """:meth:`add` for a tree fitted by the refitter: its leaves' class-1 fractions.

        ``predict_proba`` of a tree is its leaves' stored class fractions (``tree_.value``),
        taken by ``tree_.apply``; reading the class-1 column at the leaves gives the same
        numbers without ``predict_proba``'s checks or the output check of
        :func:`positive_proba`: the tree was fitted here by scikit-learn's builder, on labels
        0/1, so its fractions are in [0, 1] by construction. A member whose ``classes_`` is
        not ``[0, 1]`` goes through the checked path (and its error).
        """
        classes = member.classes_
        if classes.shape != (2,) or classes[0] != 0 or classes[1] != 1:
            self._add_tree(member)
            return
        tree = member.tree_
        self._include(member, tree.value[:, 0, 1].take(tree.apply(self._predict_rows)))

    def _add_tree(self, member: Any) -> None:
        """:meth:`add` for a scikit-learn tree: float32 rows, ``check_input=False``."""
        self._include(member, positive_proba(member, self._predict_rows, check_input=False))

    def _include(self, member: Any, positive: np.ndarray) -> None:
        """Add ``member`` whose class-1 probabilities on ``X_eval`` are ``positive``.

        With the compiled ``mesa_env._step_kernels``, the sum and the mean are updated in one
        pass (the same additions and divisions as numpy's two), reading ``positive`` in place
        (a ``predict_proba`` column is a strided view).
        """
        size = len(self.estimators) + 1
        if (
            _step_kernels is not None
            and isinstance(positive, np.ndarray)
            and positive.dtype == np.float64
            and positive.shape == self._sum.shape
            and positive.strides[0] % positive.itemsize == 0
        ):
            _step_kernels.running_mean_add(self._sum, positive, size, self.proba)
        else:
            self._sum += positive
            np.divide(self._sum, size, out=self.proba)
        self.estimators.append(member)
