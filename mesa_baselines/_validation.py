"""Input checks and binary-ensemble plumbing shared by the baselines written here.

Every baseline is a *binary* imbalanced classifier. Inside ``fit`` the class with fewer training
examples is the positive class, coded 1 (the MESA paper's P, §2), and the other one is coded 0
(N). Members are trained on these 0/1 codes; ``predict_proba`` maps back to ``classes_``, the
sorted original labels, as scikit-learn does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import assert_all_finite
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from mesa_env import binary
from mesa_env.binary import SEED_BOUND, binary_only_tags, minority_as_one, ordered_proba

__all__ = [
    "BinaryEnsembleMixin",
    "check_binary_target",
    "check_fit_input",
    "check_int",
    "check_real",
    "minority_proba",
    "resolve_estimator",
    "spawn_member",
]


def check_binary_target(estimator: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Refuse anything but two classes, before any work is done; return (classes, counts)."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None"
        )
    y = column_or_1d(y, warn=True)
    if y.dtype.kind in "fc":
        assert_all_finite(y, input_name="y")
    check_classification_targets(y)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) != 2:
        shown = ", ".join(repr(c) for c in classes[:5]) + (", ..." if len(classes) > 5 else "")
        raise ValueError(
            f"Only binary classification is supported. {type(estimator).__name__} is a binary "
            f"imbalanced classifier, but y has {len(classes)} class(es): {shown}. Pass exactly "
            "two classes, e.g. a one-vs-rest target `y == positive_label`."
        )
    return classes, counts


def check_fit_input(estimator: Any, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate (X, y) in ``fit`` and return X (float64) and y coded 1 = minority, 0 = majority.

    Sets ``classes_`` (sorted original labels), ``minority_class_`` and ``n_features_in_``.
    """
    X, y = validate_data(estimator, X, y, dtype=np.float64)
    classes, counts = check_binary_target(estimator, y)
    estimator.classes_ = classes
    # The minority class is the positive class (MESA §2: P is the minority set). On an exact tie,
    # scikit-learn's positive class classes_[1] is used.
    estimator.minority_class_, is_minority = minority_as_one(y, classes, counts)
    return X, is_minority.astype(np.intp)


def check_int(value: Any, name: str, minimum: int) -> int:
    """Fail fast on a hyper-parameter that must be an integer ≥ ``minimum`` (``ValueError``)."""
    return binary.check_int(name, value, minimum, value_error=True)


def check_real(value: Any, name: str, minimum: float, *, strict: bool = False) -> float:
    """Fail fast on a hyper-parameter that must be a real number ≥ (or > if strict) ``minimum``."""
    return binary.check_real(name, value, minimum, strict=strict)


def resolve_estimator(estimator: Any) -> Any:
    """Default to a full-depth decision tree, the paper's base learner for every EIL baseline."""
    return binary.check_estimator_arg(estimator, "estimator")


def spawn_member(base: Any, rng: np.random.RandomState) -> Any:
    """An unfitted clone of ``base`` with its own seed drawn from the ensemble's generator."""
    member = clone(base)
    seed = rng.randint(SEED_BOUND)  # drawn even if unused, so the draw sequence never depends on it
    if "random_state" in member.get_params(deep=False):
        member.set_params(random_state=seed)
    return member


def minority_proba(member: Any, X: np.ndarray) -> np.ndarray:
    """p(minority | x) from a member trained on the 0/1 codes."""
    proba = member.predict_proba(X)
    if not np.any(member.classes_ == 1):  # a member that never saw the minority
        return np.zeros(X.shape[0])
    return proba[:, binary.minority_column(member)]


class BinaryEnsembleMixin:
    """``predict_proba`` and ``predict`` for ensembles that define ``_minority_proba(X)``.

    ``_minority_proba`` returns p(minority | x) for validated X; this mixin orders the two columns
    as ``classes_`` and maps predictions back to the original labels.
    """

    def _minority_proba(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, 2), columns ordered as ``classes_``."""
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        p = np.clip(self._minority_proba(X), 0.0, 1.0)
        return ordered_proba(p, self.classes_, self.minority_class_)

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class, in the original labels."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        return binary_only_tags(super().__sklearn_tags__())
