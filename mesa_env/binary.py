"""Binary-ensemble plumbing shared by ``mesa_env``, ``agents`` and ``mesa_baselines``.

``mesa_env`` is the lowest layer, so this module imports nothing from the project: every layer
may import it without an upward edge. Conventions (MESA paper §2–§3): the problem is binary,
the minority class is the positive class P, and members are trained on labels coded
1 = minority, 0 = majority; ``classes_`` keeps the sorted original labels.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import is_classifier

__all__ = [
    "PROBA_SLACK",
    "SEED_BOUND",
    "binary_only_tags",
    "check_estimator_arg",
    "check_int",
    "check_real",
    "default_estimator",
    "minority_as_one",
    "minority_column",
    "minority_index",
    "ordered_proba",
    "positive_proba",
]

#: Exclusive upper bound of the seeds handed to members: ``2**31 - 1``, i.e.
#: ``np.iinfo(np.int32).max`` (the bound imbalanced-learn's ``_set_random_states`` uses).
SEED_BOUND: int = 2**31 - 1

#: Slack for probabilities a hair outside [0, 1] from floating-point rounding.
PROBA_SLACK = 1e-9


# ------------------------------------------------------------------------------ labels
def minority_index(counts: Any) -> int:
    """Position of the minority among two sorted classes with these ``counts``.

    The minority is the class with fewer examples; on a tie 1 (the larger label,
    scikit-learn's positive class).
    """
    return 1 if counts[1] <= counts[0] else 0


def minority_as_one(
    y: np.ndarray, classes: np.ndarray | None = None, counts: np.ndarray | None = None
) -> tuple[Any, np.ndarray]:
    """The minority label of a binary ``y`` and the mask ``y == minority`` (1 = minority).

    ``classes`` and ``counts`` are ``np.unique(y, return_counts=True)`` (computed when not
    given). The class with fewer examples is the minority; on a tie the larger label,
    ``classes[1]`` (scikit-learn's positive class), is. Cast the mask to get 0/1 codes.
    """
    if classes is None or counts is None:
        classes, counts = np.unique(y, return_counts=True)
    minority = classes[minority_index(counts)]
    return minority, y == minority


def minority_column(model: Any) -> int:
    """Index of class 1 (the minority, as members are trained) in ``model.classes_``.

    ``ValueError`` naming the model when ``classes_`` is missing or does not list 1 exactly once.
    """
    classes = np.asarray(getattr(model, "classes_", None), dtype=object)
    hits = np.flatnonzero(classes == 1) if classes.ndim == 1 else np.empty(0, np.intp)
    if hits.size != 1:
        raise ValueError(
            f"base learner {type(model).__name__} was fitted on labels 0/1 but its classes_ is "
            f"{getattr(model, 'classes_', None)!r}; it must list class 1 exactly once"
        )
    return int(hits[0])


def positive_proba(model: Any, X: np.ndarray, **predict_kwargs: Any) -> np.ndarray:
    """``model.predict_proba(X, **predict_kwargs)`` of class 1, checked.

    A clear ``ValueError`` names the learner when ``classes_`` lacks class 1, the output is
    not (n_rows, n_classes), or it holds NaN, inf or values outside [0, 1]
    (± :data:`PROBA_SLACK`).
    """
    name = type(model).__name__
    column = minority_column(model)
    n_classes = len(model.classes_)
    proba = model.predict_proba(X, **predict_kwargs)
    shape = getattr(proba, "shape", None)
    if shape is None or len(shape) != 2 or shape != (X.shape[0], n_classes):
        raise ValueError(
            f"base learner {name}.predict_proba returned shape {shape} for {X.shape[0]} rows; "
            f"expected ({X.shape[0]}, {n_classes}), one column per class of classes_"
        )
    low, high = proba.min(), proba.max()  # NaN propagates into both; contiguous: fast
    if not (low >= -PROBA_SLACK and high <= 1.0 + PROBA_SLACK):
        raise ValueError(
            f"base learner {name}.predict_proba returned probabilities in [{low}, {high}] "
            "(NaN or inf when shown so); they must be finite and in [0, 1]"
        )
    return proba[:, column]


def ordered_proba(p_minority: np.ndarray, classes: np.ndarray, minority: Any) -> np.ndarray:
    """``predict_proba`` for the original labels.

    An (n, 2) array whose columns follow the sorted ``classes``, ``p_minority`` in the
    minority's column and ``1 - p_minority`` in the other (float64, or float32 when
    ``p_minority`` is).
    """
    p_minority = np.asarray(p_minority)
    proba = np.empty((p_minority.shape[0], 2), dtype=np.result_type(p_minority, 1.0))
    column = 1 if minority == classes[1] else 0
    proba[:, column] = p_minority
    proba[:, 1 - column] = 1.0 - p_minority
    return proba


# ------------------------------------------------------------------------ estimators
def default_estimator() -> Any:
    """The paper's base learner: a full-depth ``DecisionTreeClassifier()``."""
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier()


def check_estimator_arg(estimator: Any, name: str = "estimator") -> Any:
    """``estimator`` checked as a base learner (``None``: :func:`default_estimator`).

    ``TypeError`` (naming the argument ``name``) for a class instead of an instance, for a
    non-classifier, or for a classifier without ``predict_proba`` (ensembles average
    probabilities).
    """
    if estimator is None:
        return default_estimator()
    if isinstance(estimator, type):
        raise TypeError(f"{name} must be an instance, e.g. {estimator.__name__}(), not the class")
    if not hasattr(estimator, "fit") or not is_classifier(estimator):
        raise TypeError(f"{name} must be a scikit-learn classifier; got {type(estimator).__name__}")
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"{name} {type(estimator).__name__} has no predict_proba; the ensemble averages "
            "probabilities (e.g. use SVC(probability=True))"
        )
    return estimator


def binary_only_tags(tags: Any) -> Any:
    """Mark scikit-learn tags (from ``super().__sklearn_tags__()``) as binary-only; returns them."""
    tags.classifier_tags.multi_class = False
    return tags


# ------------------------------------------------------------------------ validators
def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, Integral)


def _is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, Real)


def check_int(name: str, value: Any, minimum: int, *, value_error: bool = False) -> int:
    """``value`` as an ``int`` when it is an integer (not a bool) ≥ ``minimum``.

    By default (the env's arguments) a non-integer raises ``TypeError`` and a too-small one
    ``ValueError``; ``value_error=True`` (estimator hyper-parameters, checked in ``fit`` as
    scikit-learn does) raises ``ValueError`` for both.
    """
    if value_error:
        if not _is_int(value) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    elif not _is_int(value):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    elif value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def check_real(
    name: str, value: Any, minimum: float | None = None, *, strict: bool = False
) -> float:
    """``value`` as a ``float`` when it is a real number (not a bool).

    Without ``minimum`` (the env's arguments) only the type is checked: ``TypeError``
    otherwise. With ``minimum`` (estimator hyper-parameters) ``ValueError`` unless it is finite
    and ≥ ``minimum`` (> when ``strict``).
    """
    if minimum is None:
        if not _is_real(value):
            raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
        return float(value)
    if (
        not _is_real(value)
        or not np.isfinite(value)
        or value < minimum
        or (strict and value == minimum)
    ):
        op = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {op} {minimum}; got {value!r}")
    return float(value)
