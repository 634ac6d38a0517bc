"""Every method the comparison runs, built by name for one split, ensemble size and seed.

Names:
- ``mesa``: MESA with the split's sampler (a checkpoint, one meta-trained on the split, or the
  shipped default); ``mesa-random-policy``: a randomly initialised SAC actor (Table 6);
  ``constant-<μ>`` and ``random-mu``: MESA's meta-sampling driven by reference policies;
  ``tuned-constant``: μ picked from a grid on the validation split (no RL);
  ``sampler:<file>``: a sampler file (e.g. meta-trained on ``keel-train``) applied zero-shot.
- the ensemble baselines of ``mesa_baselines.BASELINES`` (``spe``, ``cascade``, ``rusboost``, …);
- ``adaboost150``, ``bagging150``, ``hem-adaboost``, ``bcwf-h``, ``bcwf-s``, ``rusboost-15x10``,
  ``easyensemble-15x10``, ``spe-15x10``: the second seed's setup (Zhao et al. 2023);
- ``<resampler>`` of imbalanced-learn (Table 2) in front of one base learner, or ``none``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mesa_baselines.learners import make_base_learner

__all__ = [
    "METHOD_PREFIXES",
    "RESAMPLERS",
    "VALIDATION_METHODS",
    "FitResult",
    "fit_method",
    "method_names",
    "uses_validation",
]

#: Table 2's resamplers, imbalanced-learn defaults (App. B).
RESAMPLERS: dict[str, tuple[str, str]] = {
    "randomundersampler": ("imblearn.under_sampling", "RandomUnderSampler"),
    "nearmiss": ("imblearn.under_sampling", "NearMiss"),
    "neighbourhoodcleaningrule": ("imblearn.under_sampling", "NeighbourhoodCleaningRule"),
    "editednearestneighbours": ("imblearn.under_sampling", "EditedNearestNeighbours"),
    "tomeklinks": ("imblearn.under_sampling", "TomekLinks"),
    "allknn": ("imblearn.under_sampling", "AllKNN"),
    "onesidedselection": ("imblearn.under_sampling", "OneSidedSelection"),
    "randomoversampler": ("imblearn.over_sampling", "RandomOverSampler"),
    "smote": ("imblearn.over_sampling", "SMOTE"),
    "adasyn": ("imblearn.over_sampling", "ADASYN"),
    "borderlinesmote": ("imblearn.over_sampling", "BorderlineSMOTE"),
    "smoteenn": ("imblearn.combine", "SMOTEENN"),
    "smotetomek": ("imblearn.combine", "SMOTETomek"),
}
_RANDOM_RESAMPLERS = {"randomundersampler", "randomoversampler", "smote", "adasyn",
                      "borderlinesmote", "smoteenn", "smotetomek", "onesidedselection"}  # fmt: skip
TUNED_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)

#: The one list of method families that read the validation split (MESA's meta-state and reward,
#: or a μ tuned on it): names, and prefixes ending in "-" or "@" (``constant-<μ>``,
#: ``mesa@<source>``). :func:`fit_method` runs these through ``MesaClassifier``; in the 85/15
#: protocol every other method trains on the whole 85 % instead.
VALIDATION_METHODS: frozenset[str] = frozenset(
    {"mesa", "mesa-random-policy", "random-mu", "tuned-constant", "tuned-schedule", "constant-",
     "mesa@", "sampler:"}
)  # fmt: skip
#: Prefixes of the parametrised method names (``constant-0.75``, ``mesa@digits``,
#: ``sampler:checkpoints/x.sampler.pt``: a sampler file applied zero-shot).
METHOD_PREFIXES: tuple[str, ...] = ("constant-", "mesa@", "sampler:")


def uses_validation(name: str) -> bool:
    """Whether method ``name`` reads the validation split (see :data:`VALIDATION_METHODS`)."""
    prefixes = tuple(m for m in VALIDATION_METHODS if m.endswith(("-", "@", ":")))
    return name in VALIDATION_METHODS or name.startswith(prefixes)


@dataclass
class FitResult:
    """Scores of the fitted method on the test rows, and what fitting cost."""

    proba: np.ndarray  # p(minority) on the test rows
    n_training_samples: int
    fit_seconds: float
    resample_seconds: float = float("nan")
    extra: dict[str, Any] | None = None
    valid_proba: np.ndarray | None = None  # p(minority) on the validation rows, if any


def _scored(model: Any, task: Any, n_train: int, start: float, **fields: Any) -> FitResult:
    """Score a fitted model on the test rows (and the validation rows, for model selection)."""
    import time

    elapsed = time.perf_counter() - start
    valid = _minority_proba(model, task.X_valid) if task.X_valid is not None else None
    proba = _minority_proba(model, task.X_test)
    return FitResult(proba, n_train, elapsed, valid_proba=valid, **fields)


def method_names() -> list[str]:
    """Every name :func:`fit_method` accepts (``constant-<μ>`` for any μ in [0, 1])."""
    from mesa_baselines import BASELINES

    mesa = ["mesa", "mesa-random-policy", "constant-1.0", "random-mu", "tuned-constant",
            "tuned-schedule"]  # fmt: skip
    zhao = ["adaboost150", "bagging150", "hem-adaboost", "bcwf-h", "bcwf-s", "rusboost-15x10",
            "easyensemble-15x10", "spe-15x10"]  # fmt: skip
    return [*mesa, *BASELINES, *zhao, "none", *RESAMPLERS]


def _mesa_sampler(name: str, context: dict[str, Any], seed: int) -> Any:
    from agents.reference import ConstantPolicy, RandomPolicy

    if name == "mesa":
        return context["sampler"]
    if name.startswith("mesa@"):
        return context[name]
    if name == "mesa-random-policy":
        return context["random_policy"](seed)
    if name == "random-mu":
        return RandomPolicy(seed)
    if name.startswith("constant-"):
        return ConstantPolicy(float(name.split("-", 1)[1]))
    if name.startswith("sampler:"):
        return load_file_sampler(name.split(":", 1)[1])
    raise ValueError(f"unknown MESA variant {name!r}")


_FILE_SAMPLERS: dict[str, Any] = {}


def load_file_sampler(path: str) -> Any:
    """The sampler file at ``path`` (``sampler:<path>`` methods), loaded once per process."""
    if path not in _FILE_SAMPLERS:
        from agents.sampler_file import load_sampler

        _FILE_SAMPLERS[path] = load_sampler(path)
    return _FILE_SAMPLERS[path]


def _zhao_method(name: str, seed: int) -> Any:
    """The second seed's settings: AdaBoost(150) stumps, 15 × AdaBoost(10) ensembles."""
    from imblearn.ensemble import EasyEnsembleClassifier
    from sklearn.ensemble import AdaBoostClassifier, BaggingClassifier

    from mesa_baselines import RUSBoostClassifier, SelfPacedEnsembleClassifier

    ada10 = AdaBoostClassifier(n_estimators=10)
    if name == "adaboost150":
        return AdaBoostClassifier(n_estimators=150, random_state=seed)
    if name == "bagging150":
        return BaggingClassifier(n_estimators=150, random_state=seed)
    if name == "rusboost-15x10":
        return RUSBoostClassifier(estimator=ada10, n_estimators=15, random_state=seed)
    if name == "easyensemble-15x10":
        return EasyEnsembleClassifier(n_estimators=15, estimator=ada10, random_state=seed)
    if name == "spe-15x10":
        return SelfPacedEnsembleClassifier(estimator=ada10, n_estimators=15, random_state=seed)
    from mesa_baselines.bcwf import BCWFHardClassifier, BCWFSoftClassifier
    from mesa_baselines.hem import HEMAdaBoostClassifier

    return {
        "hem-adaboost": HEMAdaBoostClassifier,
        "bcwf-h": BCWFHardClassifier,
        "bcwf-s": BCWFSoftClassifier,
    }[name](random_state=seed)


def _minority_proba(model: Any, X: np.ndarray) -> np.ndarray:
    proba = model.predict_proba(X)
    return proba[:, int(np.flatnonzero(model.classes_ == 1)[0])]


def fit_method(
    name: str,
    task: Any,
    k: int,
    seed: int,
    learner: str = "dt",
    context: dict[str, Any] | None = None,
) -> FitResult:
    """Fit method ``name`` on ``task`` (0/1 labels, 1 = minority) and score its test rows.

    Baselines see the training split only; MESA variants also use the validation split for
    their meta-state and reward, never to train a learner (App. B).
    """
    import time

    from mesa_baselines import BASELINES, n_training_samples

    context = context or {}
    X, y = task.X_train, task.y_train
    start = time.perf_counter()
    if uses_validation(name):
        from agents.classifier import MesaClassifier

        if name in ("tuned-constant", "tuned-schedule"):
            from agents.tuned import TunedConstantPolicy, TunedSchedulePolicy

            if name == "tuned-constant":
                sampler = TunedConstantPolicy(TUNED_GRID, n_estimators=k, random_state=seed)
            else:
                sampler = TunedSchedulePolicy(n_estimators=k, random_state=seed)
            sampler.fit_task(task, make_base_learner(learner))
        else:
            sampler = _mesa_sampler(name, context, seed)
        model = MesaClassifier(
            sampler=sampler,
            estimator=make_base_learner(learner),
            n_estimators=k,
            random_state=seed,
        ).fit(X, y, eval_set=(task.X_valid, task.y_valid))
        extra = {"mu": [float(m) for m in model.mu_]}
        return _scored(model, task, k * 2 * int(y.sum()), start, extra=extra)
    if name in BASELINES:
        cls = BASELINES[name]
        model = cls(estimator=make_base_learner(learner), n_estimators=k, random_state=seed)
        model.fit(X, y)
        members = {"members": len(model.estimators_)}  # RUSBoost may stop early: say so
        return _scored(model, task, n_training_samples(model, X, y), start, extra=members)
    if name in ("adaboost150", "bagging150", "hem-adaboost", "bcwf-h", "bcwf-s",
                "rusboost-15x10", "easyensemble-15x10", "spe-15x10"):  # fmt: skip
        model = _zhao_method(name, seed).fit(X, y)
        return _scored(model, task, int(y.size), start)
    if name == "none" or name in RESAMPLERS:
        import importlib

        X_res, y_res = X, y
        if name != "none":
            module, cls_name = RESAMPLERS[name]
            cls = getattr(importlib.import_module(module), cls_name)
            resampler = cls(random_state=seed) if name in _RANDOM_RESAMPLERS else cls()
            X_res, y_res = resampler.fit_resample(X, y)
        resample_seconds = time.perf_counter() - start
        model = make_base_learner(learner, random_state=seed).fit(X_res, y_res)
        return _scored(model, task, int(y_res.size), start, resample_seconds=resample_seconds)
    raise ValueError(f"unknown method {name!r}; choose from {', '.join(method_names())}")
