"""imbalanced-learn's RUSBoost, UnderBagging and EasyEnsemble, as the MESA comparison runs them.

The classes are imbalanced-learn's own, subclassed only to (a) refuse more than two classes, as
every baseline here does, (b) take the same arguments as the other baselines (``estimator``,
``n_estimators``, ``random_state``, ``n_jobs``) with the paper's defaults, and (c) record how
many members were built and how many training rows they used. Measured behaviour on today's
packages is in ``docs/baselines.md`` (sections RUSBoost, UnderBagging and EasyEnsemble).
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from imblearn.ensemble import BalancedBaggingClassifier as _BalancedBagging
from imblearn.ensemble import EasyEnsembleClassifier as _EasyEnsemble
from imblearn.ensemble import RUSBoostClassifier as _RUSBoost
from sklearn.tree import DecisionTreeClassifier

from mesa_baselines._validation import check_binary_target
from mesa_env.binary import binary_only_tags

__all__ = [
    "EasyEnsembleClassifier",
    "RUSBoostClassifier",
    "UnderBaggingClassifier",
    "n_training_samples",
]


def _sampled_rows(samplers: list[Any]) -> int:
    return int(sum(s.sample_indices_.shape[0] for s in samplers))


class _BinaryImblearn:
    """Binary-only ``fit`` that also records ``n_estimators_`` and ``n_training_samples_``."""

    def _samplers(self) -> list[Any]:
        # Bagging members are Pipeline(sampler, classifier); the sampler saw the member's bag.
        return [member.steps[0][1] for member in self.estimators_]

    def fit(self, X: Any, y: Any, **fit_params: Any):
        """Refuse anything but two classes, then fit as imbalanced-learn does."""
        check_binary_target(self, y)
        super().fit(X, y, **fit_params)
        self.n_estimators_ = len(self.estimators_)
        self.n_training_samples_ = _sampled_rows(self._samplers())
        return self

    def __sklearn_tags__(self):
        return binary_only_tags(super().__sklearn_tags__())


class RUSBoostClassifier(_BinaryImblearn, _RUSBoost):
    """imbalanced-learn's RUSBoost (Seiffert et al. 2010) with the MESA paper's settings.

    Differences from imbalanced-learn's defaults: ``estimator=None`` means a full-depth
    ``DecisionTreeClassifier`` (the paper's DT, not a stump), ``n_estimators=10`` and
    ``replacement=True`` (MESA Table 8: with_replacement=True, min_ratio=1.0, i.e. balanced).

    Caveat: imbalanced-learn now boosts with discrete SAMME only (``algorithm='SAMME.R'`` only
    changes the weight update; predictions are still a SAMME vote), and a full-depth tree reaches
    weighted error ≥ 0.5 within a few rounds, at which point boosting stops and that member is
    dropped. ``docs/baselines.md`` reports 2-6 members for k = 10 or 20 on Mammography and AUCPRC
    ≈ 0.31 at every k; the paper's RUSBoost used SAMME.R (0.348 / 0.511 / 0.588 at k = 5 / 10 /
    20), so do not present this run as the paper's. ``n_estimators_`` reports the members
    actually built; report it beside the score.

    ``n_jobs`` is accepted so every baseline takes the same arguments; boosting is sequential,
    so it is not used.
    """

    _parameter_constraints: ClassVar[dict] = {
        **_RUSBoost._parameter_constraints,
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        n_estimators: int = 10,
        learning_rate: float = 1.0,
        algorithm: str = "deprecated",
        sampling_strategy: Any = "auto",
        replacement: bool = True,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        super().__init__(
            estimator=estimator,
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            algorithm=algorithm,
            sampling_strategy=sampling_strategy,
            replacement=replacement,
            random_state=random_state,
        )
        self.n_jobs = n_jobs

    def _validate_estimator(self) -> None:
        super()._validate_estimator()
        if self.estimator is None:
            self.estimator_ = DecisionTreeClassifier()  # the paper's DT at full depth

    def _samplers(self) -> list[Any]:
        return self.samplers_  # discarded members' samplers are removed with them

    def fit(self, X: Any, y: Any, **fit_params: Any) -> RUSBoostClassifier:
        """Fit as imbalanced-learn does, tolerating a first member worse than random.

        When even the first member is worse than random
        (scikit-learn's AdaBoost then refuses to fit, seen on KEEL's hardest sets), the
        result is an ensemble of no members that predicts the training prior, with a warning:
        RUSBoost built no model, and the tables say so rather than dropping the split.
        """
        try:
            return super().fit(X, y, **fit_params)
        except ValueError as error:
            if "worse than random" not in str(error):
                raise
        import warnings

        check_binary_target(self, y)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        self.n_classes_ = 2
        self.n_features_in_ = np.asarray(X).shape[1]
        self.estimators_, self.samplers_ = [], []
        self.estimator_weights_ = np.zeros(0)
        self.n_estimators_, self.n_training_samples_ = 0, 0
        self.prior_ = float(np.mean(y == self.classes_[1]))
        warnings.warn(
            "RUSBoost: the first member is worse than random, so boosting built no member; "
            "predicting the training prior",
            RuntimeWarning,
            stacklevel=2,
        )
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """AdaBoost's probabilities, or the training prior when no member was built."""
        if getattr(self, "n_estimators_", None) == 0:
            n = np.asarray(X).shape[0]
            return np.column_stack([np.full(n, 1.0 - self.prior_), np.full(n, self.prior_)])
        return super().predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class."""
        if getattr(self, "n_estimators_", None) == 0:
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return super().predict(X)


class UnderBaggingClassifier(_BinaryImblearn, _BalancedBagging):
    """UnderBagging (Barandela et al. 2003): bagging over random balanced subsets.

    imbalanced-learn's ``BalancedBaggingClassifier`` with its default ``RandomUnderSampler``
    and ``bootstrap=False``: each member sees all of P plus |P| majority examples drawn without
    replacement. imbalanced-learn's default ``bootstrap=True`` also bootstraps each bag and
    scores clearly higher than the paper's UnderBagging row (0.488 vs 0.401 at k = 10 on
    Mammography), while ``bootstrap=False`` matches it (0.381); see ``docs/baselines.md``. The
    default base learner is imbalanced-learn's full-depth ``DecisionTreeClassifier``.
    """

    def __init__(
        self,
        estimator: Any = None,
        n_estimators: int = 10,
        *,
        max_samples: float = 1.0,
        max_features: float = 1.0,
        bootstrap: bool = False,
        bootstrap_features: bool = False,
        oob_score: bool = False,
        warm_start: bool = False,
        sampling_strategy: Any = "auto",
        replacement: bool = False,
        n_jobs: int | None = None,
        random_state: Any = None,
        verbose: int = 0,
        sampler: Any = None,
    ) -> None:
        super().__init__(
            estimator=estimator,
            n_estimators=n_estimators,
            max_samples=max_samples,
            max_features=max_features,
            bootstrap=bootstrap,
            bootstrap_features=bootstrap_features,
            oob_score=oob_score,
            warm_start=warm_start,
            sampling_strategy=sampling_strategy,
            replacement=replacement,
            n_jobs=n_jobs,
            random_state=random_state,
            verbose=verbose,
            sampler=sampler,
        )


class EasyEnsembleClassifier(_BinaryImblearn, _EasyEnsemble):
    """imbalanced-learn's EasyEnsemble (Liu, Wu & Zhou 2009), unchanged but binary-only.

    Each member is an AdaBoost ensemble (imbalanced-learn's default: 50 stumps) trained on P plus
    a random |P|-subset of N, as published; ``estimator`` replaces that AdaBoost learner.
    ``n_training_samples_`` counts each member's 2|P| rows once, though its AdaBoost revisits them.
    """


def n_training_samples(clf: Any, X: Any = None, y: Any = None) -> int:
    """Rows over all members' training sets of a fitted baseline (the x-axis of the paper's Fig. 4).

    Reads ``n_training_samples_`` when the classifier records it (every class in ``baselines``
    does). Otherwise, for an imbalanced-learn ensemble of Pipeline(sampler, classifier) members
    (e.g. the plain ``BalancedBaggingClassifier``), it sums the samplers' selected rows; as a last
    resort it returns members × 2|P|, which needs ``y``. ``X`` is accepted for a uniform call.
    """
    if hasattr(clf, "n_training_samples_"):
        return int(clf.n_training_samples_)
    if hasattr(clf, "samplers_"):
        return _sampled_rows(clf.samplers_)
    members = getattr(clf, "estimators_", None)
    if members is None:
        raise ValueError(f"{type(clf).__name__} is not fitted (no estimators_)")
    if all(hasattr(m, "steps") and hasattr(m.steps[0][1], "sample_indices_") for m in members):
        return _sampled_rows([m.steps[0][1] for m in members])
    if y is None:
        raise ValueError(
            f"cannot count training rows of {type(clf).__name__} without y; pass the training "
            "labels so members × 2|P| can be used"
        )
    _, counts = np.unique(np.asarray(y), return_counts=True)
    return int(len(members) * 2 * counts.min())
