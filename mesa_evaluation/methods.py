"""Every method the comparison runs, built by name for one split, ensemble size and seed.

Names:
- ``mesa``: MESA with the split's sampler (a checkpoint, one meta-trained on the split, or the
  shipped default); ``mesa-random-policy``: a randomly initialised SAC actor (Table 6);
  ``constant-<μ>`` and ``random-mu``: MESA's meta-sampling driven by reference policies;
  ``tuned-constant``: μ picked from a grid on the validation split (no RL);
  ``sampler:<file>``: a sampler file (e.g. meta-trained on ``keel-train``) applied zero-shot.
- the ensemble baselines of ``mesa_baselines.BASELINES`` (``spe``, ``cascade``, ``rusboost``, …);
- ``adaboost150``, ``bagging150``, ``hem-adaboost``, ``bcwf-h``, ``bcwf-s``, ``rusboost-15x10``,
  ``easyensemble-15x10``, ``spe-15x10``: the setup of Zhao et al. (2023);
- ``<resampler>`` of imbalanced-learn (Table 2) in front of one base learner, or ``none``;
- what a practitioner would use (:data:`PRACTITIONER_METHODS`), each fitted on *all* the labelled
  rows (training + validation split) with its library's defaults: ``brf``
  (``BalancedRandomForestClassifier(100)``), ``easyensemble-10x10`` (imbalanced-learn's
  ``EasyEnsembleClassifier()``: 10 × AdaBoost(10)), ``hgb`` and ``hgb-balanced``
  (``HistGradientBoostingClassifier``, ``class_weight="balanced"``), ``lightgbm-spw``
  (``LGBMClassifier(scale_pos_weight=n_neg/n_pos)``; the ``practitioner`` extra);
- MESA with another base learner or size: ``mesa-<learner>[-<k>][-refit]`` (the split's sampler,
  as ``mesa``, with members ``make_base_learner(<learner>)``; ``<k>`` fixes the ensemble size,
  else the evaluation's k; ``-refit``: ``MesaClassifier(refit=True)``), and
  ``constant1-<learner>[-<k>][-refit]`` (μ = 1 throughout, no RL). ``mesa-dt-10`` is the paper's
  configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mesa_baselines.learners import make_base_learner

__all__ = [
    "METHOD_PREFIXES",
    "PRACTITIONER_METHODS",
    "RESAMPLERS",
    "VALIDATION_METHODS",
    "FitResult",
    "MesaVariant",
    "all_labelled",
    "fit_method",
    "mesa_variant",
    "method_names",
    "needs_split_sampler",
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


#: Fitted on training + validation rows with their libraries' defaults (not MESA's protocol).
PRACTITIONER_METHODS: tuple[str, ...] = (
    "brf", "easyensemble-10x10", "hgb", "hgb-balanced", "lightgbm-spw",
)  # fmt: skip
_VARIANT_SAMPLERS = ("mesa", "constant1")


@dataclass(frozen=True)
class MesaVariant:
    """A parsed ``mesa-<learner>[-<k>][-refit]`` / ``constant1-…`` method name."""

    sampler: str  # "mesa" (the split's sampler) or "constant1" (μ = 1)
    learner: str
    k: int | None  # None: the evaluation's k
    refit: bool


def mesa_variant(name: str) -> MesaVariant | None:
    """The parts of a ``mesa-<learner>[-<k>][-refit]`` or ``constant1-<learner>[-<k>][-refit]``
    name (e.g. ``mesa-et-50``, ``mesa-dt-10-refit``, ``constant1-hgb-10``), else ``None``."""
    from mesa_baselines.learners import BASE_LEARNERS

    sampler, _, rest = name.partition("-")
    if sampler not in _VARIANT_SAMPLERS or not rest:
        return None
    parts = rest.split("-")
    refit = parts[-1] == "refit"
    if refit:
        parts = parts[:-1]
    if not parts or parts[0] not in BASE_LEARNERS or len(parts) > 2:
        return None
    k = None
    if len(parts) == 2:
        if not parts[1].isdigit() or int(parts[1]) < 2:
            return None
        k = int(parts[1])
    return MesaVariant(sampler, parts[0], k, refit)


def uses_validation(name: str) -> bool:
    """Whether method ``name`` reads the validation split (see :data:`VALIDATION_METHODS`)."""
    prefixes = tuple(m for m in VALIDATION_METHODS if m.endswith(("-", "@", ":")))
    in_list = name in VALIDATION_METHODS or name.startswith(prefixes)
    return in_list or mesa_variant(name) is not None


def needs_split_sampler(name: str) -> bool:
    """Whether method ``name`` uses the split's MESA sampler (``mesa``, ``mesa-<learner>…``)."""
    variant = mesa_variant(name)
    return name == "mesa" or (variant is not None and variant.sampler == "mesa")


@dataclass
class FitResult:
    """Scores of the fitted method on the test rows, and what fitting cost."""

    proba: np.ndarray  # p(minority) on the test rows
    n_training_samples: int
    fit_seconds: float
    resample_seconds: float = float("nan")
    extra: dict[str, Any] | None = None
    valid_proba: np.ndarray | None = None  # p(minority) on the validation rows, if any


def _scored(
    model: Any, task: Any, n_train: int, start: float, score_valid: bool = True, **fields: Any
) -> FitResult:
    """Score a fitted model on the test rows (and the validation rows, for model selection,
    unless ``score_valid`` is false: the model trained on them)."""
    import time

    elapsed = time.perf_counter() - start
    has_valid = score_valid and task.X_valid is not None
    valid = _minority_proba(model, task.X_valid) if has_valid else None
    proba = _minority_proba(model, task.X_test)
    return FitResult(proba, n_train, elapsed, valid_proba=valid, **fields)


def method_names() -> list[str]:
    """Every name :func:`fit_method` accepts (``constant-<μ>`` for any μ in [0, 1]; the
    ``mesa-<learner>`` variants take any ``-<k>`` and ``-refit`` too, see :func:`mesa_variant`)."""
    from mesa_baselines import BASELINES
    from mesa_baselines.learners import BASE_LEARNERS

    mesa = ["mesa", "mesa-random-policy", "constant-1.0", "random-mu", "tuned-constant",
            "tuned-schedule"]  # fmt: skip
    zhao = ["adaboost150", "bagging150", "hem-adaboost", "bcwf-h", "bcwf-s", "rusboost-15x10",
            "easyensemble-15x10", "spe-15x10"]  # fmt: skip
    variants = [f"{s}-{learner}" for s in _VARIANT_SAMPLERS for learner in BASE_LEARNERS]
    return [*mesa, *BASELINES, *zhao, "none", *RESAMPLERS, *PRACTITIONER_METHODS, *variants]


def all_labelled(task: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every labelled row of ``task``: training + validation split stacked (or the whole 85 %
    of the 85/15 protocol, whose ``X_train`` already holds the validation rows)."""
    full = task.info.get("full_train") if isinstance(task.info, dict) else None
    if full is not None and task.X_train is full[0]:
        return task.X_train, task.y_train
    if task.X_valid is None:
        return task.X_train, task.y_train
    X = np.vstack([task.X_train, task.X_valid])
    return X, np.concatenate([task.y_train, task.y_valid])


def _practitioner_model(name: str, y: np.ndarray, seed: int) -> Any:
    """A practitioner's imbalanced classifier with its library's defaults."""
    if name == "brf":
        from imblearn.ensemble import BalancedRandomForestClassifier

        # imbalanced-learn >= 0.13 defaults, spelled out (no FutureWarning on 0.12 either)
        return BalancedRandomForestClassifier(
            n_estimators=100,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=seed,
        )
    if name == "easyensemble-10x10":
        from imblearn.ensemble import EasyEnsembleClassifier

        return EasyEnsembleClassifier(n_estimators=10, random_state=seed)
    if name in ("hgb", "hgb-balanced"):
        from sklearn.ensemble import HistGradientBoostingClassifier

        weight = "balanced" if name == "hgb-balanced" else None
        return HistGradientBoostingClassifier(class_weight=weight, random_state=seed)
    if name == "lightgbm-spw":
        from mesa_baselines.learners import lightgbm_classifier

        n_pos = int(y.sum())
        return lightgbm_classifier(seed, scale_pos_weight=(y.size - n_pos) / n_pos)
    raise ValueError(f"unknown practitioner method {name!r}")


def _practitioner_rows(model: Any, n_rows: int) -> tuple[int, int]:
    """(members, rows the members trained on in total) of a fitted practitioner model."""
    if hasattr(model, "samplers_"):  # balanced random forest: one balanced sample per tree
        return len(model.samplers_), int(sum(s.sample_indices_.size for s in model.samplers_))
    if hasattr(model, "estimators_"):  # EasyEnsemble: Pipeline(sampler, AdaBoost) per member
        samplers = [member.steps[0][1] for member in model.estimators_]
        return len(samplers), int(sum(s.sample_indices_.size for s in samplers))
    if hasattr(model, "n_iter_"):  # gradient boosting: every tree sees every row
        return int(model.n_iter_), n_rows
    return int(getattr(model, "n_estimators_", getattr(model, "n_estimators", 1))), n_rows


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
    """Zhao et al. (2023)'s settings: AdaBoost(150) stumps, 15 × AdaBoost(10) ensembles."""
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
    if name in PRACTITIONER_METHODS or mesa_variant(name) is not None:
        from threadpoolctl import threadpool_limits

        # One thread, as every other method runs: OpenMP learners (HistGradientBoosting) on
        # busy cores (parallel jobs) otherwise spin for seconds on a fit of milliseconds.
        with threadpool_limits(limits=1):
            return _fit_practitioner_or_variant(name, task, k, seed, context)
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


def _fit_practitioner_or_variant(
    name: str, task: Any, k: int, seed: int, context: dict[str, Any]
) -> FitResult:
    """A practitioner's method (on all labelled rows) or a ``mesa-<learner>…`` variant."""
    import time

    X, y = task.X_train, task.y_train
    start = time.perf_counter()
    if name in PRACTITIONER_METHODS:
        X_all, y_all = all_labelled(task)
        model = _practitioner_model(name, y_all, seed).fit(X_all, y_all)
        members, rows = _practitioner_rows(model, int(y_all.size))
        extra = {"members": members, "fit_rows": int(y_all.size)}
        return _scored(model, task, rows, start, score_valid=False, extra=extra)
    variant = mesa_variant(name)
    if variant is not None:
        from agents.classifier import MesaClassifier
        from agents.reference import ConstantPolicy

        size = variant.k or k
        model = MesaClassifier(
            # the split's sampler; None (no context) is the shipped one
            sampler=context.get("sampler") if variant.sampler == "mesa" else ConstantPolicy(1.0),
            estimator=make_base_learner(variant.learner),
            n_estimators=size,
            random_state=seed,
            refit=variant.refit,
        ).fit(X, y, eval_set=(task.X_valid, task.y_valid))
        n_pos = int(y.sum()) + (int(task.y_valid.sum()) if variant.refit else 0)
        extra = {"mu": [float(m) for m in model.mu_], "members": size}
        rows = size * 2 * n_pos
        return _scored(model, task, rows, start, score_valid=not variant.refit, extra=extra)
    raise ValueError(f"unknown method {name!r}")
