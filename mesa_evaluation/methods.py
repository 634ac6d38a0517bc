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

One registry says all of this: :data:`METHODS` maps each fixed name to its :class:`MethodSpec`
(family, how it is built, whether it reads the validation split, which rows it trains on), and
:data:`METHOD_FORMS` parses the parametrised names (``constant-<μ>``, ``mesa@<source>``,
``sampler:<file>``, ``mesa-<learner>…``, ``constant1-…``) into specs. :func:`fit_method`,
:func:`method_names`, :func:`uses_validation` and the protocol's check of a request all read it
through :func:`method_spec`: adding an evaluation method is one registry entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mesa_baselines.learners import make_base_learner

__all__ = [
    "FAMILIES",
    "METHODS",
    "METHOD_FORMS",
    "METHOD_PREFIXES",
    "PRACTITIONER_METHODS",
    "RESAMPLERS",
    "VALIDATION_METHODS",
    "ZHAO_METHODS",
    "FitResult",
    "MesaVariant",
    "MethodForm",
    "MethodSpec",
    "all_labelled",
    "fit_method",
    "mesa_variant",
    "method_names",
    "method_spec",
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
    """The parts of a ``mesa-<learner>`` or ``constant1-<learner>`` name, else ``None``.

    The full forms are ``mesa-<learner>[-<k>][-refit]`` and
    ``constant1-<learner>[-<k>][-refit]`` (e.g. ``mesa-et-50``, ``mesa-dt-10-refit``,
    ``constant1-hgb-10``).
    """
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


@dataclass
class FitResult:
    """Scores of the fitted method on the test rows, and what fitting cost."""

    proba: np.ndarray  # p(minority) on the test rows
    n_training_samples: int
    fit_seconds: float
    resample_seconds: float = float("nan")
    extra: dict[str, Any] | None = None
    valid_proba: np.ndarray | None = None  # p(minority) on the validation rows, if any


#: What a :class:`MethodSpec`'s ``build`` is called with: ``(task, k, seed, learner, context)``.
#: It returns a :class:`FitResult`, or an unfitted estimator that :func:`fit_method` fits on the
#: spec's ``trains_on`` rows and scores.
Build = Callable[[Any, int, int, str, dict[str, Any]], Any]


@dataclass(frozen=True)
class MethodSpec:
    """One evaluation method: how it is built, and which rows of a split it reads.

    ``name`` is the method's name (a parsed parametrised name, e.g. ``constant-0.75``, in full).
    ``family``: one of :data:`FAMILIES`. ``build(task, k, seed, learner, context)`` returns the
    :class:`FitResult`, or the unfitted model for :func:`fit_method` to fit and score.
    ``uses_validation``: it reads the validation split (MESA's meta-state and reward, or a μ tuned
    on it); in the 85/15 protocol every other method trains on the whole 85 % instead.
    ``trains_on``: the rows its learners fit (``"train+valid"``: every labelled row).
    ``single_thread``: fitted under a one-thread BLAS/OpenMP limit. ``split_sampler``: it runs the
    split's MESA sampler (``context["sampler"]``), which the protocol then builds.
    """

    name: str
    family: str
    build: Build
    uses_validation: bool = False
    trains_on: str = "train"
    single_thread: bool = False
    split_sampler: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown method family {self.family!r}; choose from {FAMILIES}")
        if self.trains_on not in ("train", "train+valid"):
            raise ValueError(f"trains_on must be 'train' or 'train+valid'; got {self.trains_on!r}")


#: The method families, in the order :func:`method_names` lists them.
FAMILIES: tuple[str, ...] = (
    "mesa", "reference-sampler", "ensemble-baseline", "zhao2023", "resampler", "practitioner",
)  # fmt: skip


@dataclass(frozen=True)
class MethodForm:
    """A parametrised method name.

    Its pattern, the prefix its names start with, names to list in :func:`method_names`, and
    the parser that turns a name into its :class:`MethodSpec` (``None``: not a valid name of
    this form).
    """

    pattern: str
    prefix: str
    examples: tuple[str, ...]
    parse: Callable[[str], MethodSpec | None]


def _scored(
    model: Any, task: Any, n_train: int, start: float, score_valid: bool = True, **fields: Any
) -> FitResult:
    """Score a fitted model on the test rows (and the validation rows).

    The validation rows are scored for model selection, unless ``score_valid`` is false (the
    model trained on them).
    """
    import time

    elapsed = time.perf_counter() - start
    has_valid = score_valid and task.X_valid is not None
    valid = _minority_proba(model, task.X_valid) if has_valid else None
    proba = _minority_proba(model, task.X_test)
    return FitResult(proba, n_train, elapsed, valid_proba=valid, **fields)


def all_labelled(task: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every labelled row of ``task``.

    The training + validation split stacked (or the whole 85 % of the 85/15 protocol, whose
    ``X_train`` already holds the validation rows).
    """
    full = task.info.get("full_train") if isinstance(task.info, dict) else None
    if full is not None and task.X_train is full[0]:
        return task.X_train, task.y_train
    if task.X_valid is None:
        return task.X_train, task.y_train
    X = np.vstack([task.X_train, task.X_valid])
    return X, np.concatenate([task.y_train, task.y_valid])


# ---------------------------------------------------------------- builders, one per family
def _fit_mesa(sampler: Any, task: Any, k: int, seed: int, learner: str, start: float) -> FitResult:
    """``MesaClassifier`` driven by ``sampler``, the validation split as its ``eval_set``."""
    from agents.classifier import MesaClassifier

    y = task.y_train
    model = MesaClassifier(
        sampler=sampler,
        estimator=make_base_learner(learner),
        n_estimators=k,
        random_state=seed,
    ).fit(task.X_train, y, eval_set=(task.X_valid, task.y_valid))
    extra = {"mu": [float(m) for m in model.mu_]}
    return _scored(model, task, k * 2 * int(y.sum()), start, extra=extra)


def _mesa_build(make_sampler: Callable[[dict[str, Any], int], Any]) -> Build:
    """Build MESA's meta-sampling with the sampler ``make_sampler(context, seed)``."""

    def build(task: Any, k: int, seed: int, learner: str, context: dict[str, Any]) -> FitResult:
        import time

        start = time.perf_counter()
        return _fit_mesa(make_sampler(context, seed), task, k, seed, learner, start)

    return build


def _build_tuned(name: str) -> Build:
    """``tuned-constant`` / ``tuned-schedule``: MESA with a tuned reference sampler.

    The reference sampler is tuned on the validation split (no RL), then MESA's meta-sampling
    runs with it.
    """

    def build(task: Any, k: int, seed: int, learner: str, context: dict[str, Any]) -> FitResult:
        import time

        from agents.tuned import TunedConstantPolicy, TunedSchedulePolicy

        start = time.perf_counter()
        if name == "tuned-constant":
            sampler = TunedConstantPolicy(TUNED_GRID, n_estimators=k, random_state=seed)
        else:
            sampler = TunedSchedulePolicy(n_estimators=k, random_state=seed)
        sampler.fit(sampler.task_env(task, make_base_learner(learner)))
        return _fit_mesa(sampler, task, k, seed, learner, start)

    return build


def _random_policy(context: dict[str, Any], seed: int) -> Any:
    return context["random_policy"](seed)  # a randomly initialised SAC actor (Table 6)


def _random_mu(context: dict[str, Any], seed: int) -> Any:
    from agents.reference import RandomPolicy

    return RandomPolicy(seed)


def _build_baseline(name: str) -> Build:
    """An ensemble of ``mesa_baselines.BASELINES`` with k members of the base learner."""

    def build(task: Any, k: int, seed: int, learner: str, context: dict[str, Any]) -> FitResult:
        import time

        from mesa_baselines import BASELINES, n_training_samples

        X, y = task.X_train, task.y_train
        start = time.perf_counter()
        cls = BASELINES[name]
        model = cls(estimator=make_base_learner(learner), n_estimators=k, random_state=seed)
        model.fit(X, y)
        members = {"members": len(model.estimators_)}  # RUSBoost may stop early: say so
        return _scored(model, task, n_training_samples(model, X, y), start, extra=members)

    return build


def _build_zhao(name: str) -> Build:
    """Zhao et al. (2023)'s model ``name``, fitted on the training rows by :func:`fit_method`."""

    def build(task: Any, k: int, seed: int, learner: str, context: dict[str, Any]) -> Any:
        return _zhao_method(name, seed)

    return build


def _build_resampler(name: str) -> Build:
    """Resampler ``name`` of imbalanced-learn (or ``none``) in front of one base learner."""

    def build(task: Any, k: int, seed: int, learner: str, context: dict[str, Any]) -> FitResult:
        import importlib
        import time

        X, y = task.X_train, task.y_train
        start = time.perf_counter()
        X_res, y_res = X, y
        if name != "none":
            module, cls_name = RESAMPLERS[name]
            cls = getattr(importlib.import_module(module), cls_name)
            resampler = cls(random_state=seed) if name in _RANDOM_RESAMPLERS else cls()
            X_res, y_res = resampler.fit_resample(X, y)
        resample_seconds = time.perf_counter() - start
        model = make_base_learner(learner, random_state=seed).fit(X_res, y_res)
        return _scored(model, task, int(y_res.size), start, resample_seconds=resample_seconds)

    return build


def _build_practitioner(name: str) -> Build:
    """A practitioner's method, fitted on every labelled row with its library's defaults."""

    def build(task: Any, k: int, seed: int, learner: str, context: dict[str, Any]) -> FitResult:
        import time

        start = time.perf_counter()
        X_all, y_all = all_labelled(task)
        model = _practitioner_model(name, y_all, seed).fit(X_all, y_all)
        members, rows = _practitioner_rows(model, int(y_all.size))
        extra = {"members": members, "fit_rows": int(y_all.size)}
        return _scored(model, task, rows, start, score_valid=False, extra=extra)

    return build


def _build_variant(variant: MesaVariant) -> Build:
    """``mesa-<learner>[-<k>][-refit]`` / ``constant1-…``: the named members and size."""

    def build(task: Any, k: int, seed: int, learner: str, context: dict[str, Any]) -> FitResult:
        import time

        from agents.classifier import MesaClassifier
        from agents.reference import ConstantPolicy

        X, y = task.X_train, task.y_train
        start = time.perf_counter()
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

    return build


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
    from mesa_env.binary import minority_column

    return model.predict_proba(X)[:, minority_column(model)]


# ---------------------------------------------------------------- the registry
def _registry() -> dict[str, MethodSpec]:
    from mesa_baselines import BASELINES

    def mesa(name: str, build: Build, family: str = "mesa", **kw: Any) -> MethodSpec:
        return MethodSpec(name, family, build, uses_validation=True, **kw)

    specs = [
        mesa("mesa", _mesa_build(lambda context, seed: context["sampler"]), split_sampler=True),
        mesa("mesa-random-policy", _mesa_build(_random_policy)),
        mesa("random-mu", _mesa_build(_random_mu), "reference-sampler"),
        mesa("tuned-constant", _build_tuned("tuned-constant"), "reference-sampler"),
        mesa("tuned-schedule", _build_tuned("tuned-schedule"), "reference-sampler"),
        *(MethodSpec(name, "ensemble-baseline", _build_baseline(name)) for name in BASELINES),
        *(MethodSpec(name, "zhao2023", _build_zhao(name)) for name in ZHAO_METHODS),
        *(MethodSpec(name, "resampler", _build_resampler(name)) for name in ("none", *RESAMPLERS)),
        *(
            MethodSpec(name, "practitioner", _build_practitioner(name), trains_on="train+valid",
                       single_thread=True)
            for name in PRACTITIONER_METHODS
        ),
    ]  # fmt: skip
    return {spec.name: spec for spec in specs}


#: Zhao et al. (2023)'s setup: AdaBoost(150) stumps, 15 × AdaBoost(10) ensembles, HEM, BCWF.
ZHAO_METHODS: tuple[str, ...] = (
    "adaboost150", "bagging150", "hem-adaboost", "bcwf-h", "bcwf-s", "rusboost-15x10",
    "easyensemble-15x10", "spe-15x10",
)  # fmt: skip
#: The registry: every method with a fixed name → its spec. Adding a method is one entry here;
#: the parametrised names are parsed by :data:`METHOD_FORMS`.
METHODS: dict[str, MethodSpec] = _registry()


def _parse_constant(name: str) -> MethodSpec | None:
    try:
        mu = float(name.removeprefix("constant-"))
    except ValueError:
        return None
    if not 0.0 <= mu <= 1.0:
        return None

    def sampler(context: dict[str, Any], seed: int) -> Any:
        from agents.reference import ConstantPolicy

        return ConstantPolicy(mu)

    return MethodSpec(name, "reference-sampler", _mesa_build(sampler), uses_validation=True)


def _parse_transfer(name: str) -> MethodSpec | None:
    if name == "mesa@":
        return None
    return MethodSpec(name, "mesa", _mesa_build(lambda context, seed: context[name]), True)


def _parse_sampler_file(name: str) -> MethodSpec | None:
    path = name.split(":", 1)[1]
    if not path:
        return None
    return MethodSpec(
        name, "mesa", _mesa_build(lambda context, seed: load_file_sampler(path)), True
    )


def _parse_variant(name: str) -> MethodSpec | None:
    variant = mesa_variant(name)
    if variant is None:
        return None
    family = "mesa" if variant.sampler == "mesa" else "reference-sampler"
    return MethodSpec(
        name,
        family,
        _build_variant(variant),
        uses_validation=True,
        trains_on="train+valid" if variant.refit else "train",
        single_thread=True,
        split_sampler=variant.sampler == "mesa",
    )


def _variant_examples(sampler: str) -> tuple[str, ...]:
    from mesa_baselines.learners import BASE_LEARNERS

    return tuple(f"{sampler}-{learner}" for learner in BASE_LEARNERS)


#: The parametrised method names, each parsed in one place: a name starting with a form's
#: prefix is that form's if its parser accepts it.
METHOD_FORMS: tuple[MethodForm, ...] = (
    MethodForm("constant-<μ>", "constant-", ("constant-1.0",), _parse_constant),
    MethodForm("mesa@<source>", "mesa@", (), _parse_transfer),
    MethodForm("sampler:<file>", "sampler:", (), _parse_sampler_file),
    MethodForm("mesa-<learner>[-<k>][-refit]", "mesa-", _variant_examples("mesa"), _parse_variant),
    MethodForm(
        "constant1-<learner>[-<k>][-refit]",
        "constant1-",
        _variant_examples("constant1"),
        _parse_variant,
    ),
)
#: Prefixes of the parametrised names taking a free parameter (``constant-0.75``,
#: ``mesa@digits``, ``sampler:checkpoints/x.sampler.pt``: a sampler file applied zero-shot).
METHOD_PREFIXES: tuple[str, ...] = tuple(
    form.prefix for form in METHOD_FORMS if "<learner>" not in form.pattern
)
#: The fixed names and prefixes of the methods that read the validation split (derived from the
#: registry; :func:`uses_validation` answers for any name).
VALIDATION_METHODS: frozenset[str] = frozenset(
    {name for name, spec in METHODS.items() if spec.uses_validation} | set(METHOD_PREFIXES)
)


def method_spec(name: str) -> MethodSpec | None:
    """The spec of method ``name``.

    The registry's entry, else the parametrised form that parses it (see
    :data:`METHOD_FORMS`); ``None`` for an unknown name.
    """
    if name in METHODS:
        return METHODS[name]
    for form in METHOD_FORMS:
        if name.startswith(form.prefix):
            spec = form.parse(name)
            if spec is not None:
                return spec
    return None


def method_names() -> list[str]:
    """Every name :func:`fit_method` accepts.

    The registry's, then examples of the parametrised
    forms (``constant-<μ>`` for any μ in [0, 1]; the ``mesa-<learner>`` variants take any
    ``-<k>`` and ``-refit`` too, see :func:`mesa_variant`).
    """
    return [*METHODS, *(name for form in METHOD_FORMS for name in form.examples)]


def uses_validation(name: str) -> bool:
    """Whether method ``name`` reads the validation split (its spec's ``uses_validation``)."""
    spec = method_spec(name)
    return spec is not None and spec.uses_validation


def needs_split_sampler(name: str) -> bool:
    """Whether method ``name`` uses the split's MESA sampler (``mesa``, ``mesa-<learner>…``)."""
    spec = method_spec(name)
    return spec is not None and spec.split_sampler


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
    their meta-state and reward, never to train a learner (App. B). The method's
    :class:`MethodSpec` says how it is built; a ``build`` returning an unfitted estimator has it
    fitted here on the spec's ``trains_on`` rows.
    """
    spec = method_spec(name)
    if spec is None:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(method_names())}")
    if not spec.single_thread:
        return _fit_spec(spec, task, k, seed, learner, context or {})
    from threadpoolctl import threadpool_limits

    # One thread, as every other method runs: OpenMP learners (HistGradientBoosting) on
    # busy cores (parallel jobs) otherwise spin for seconds on a fit of milliseconds.
    with threadpool_limits(limits=1):
        return _fit_spec(spec, task, k, seed, learner, context or {})


def _fit_spec(
    spec: MethodSpec, task: Any, k: int, seed: int, learner: str, context: dict[str, Any]
) -> FitResult:
    import time

    start = time.perf_counter()
    built = spec.build(task, k, seed, learner, context)
    if isinstance(built, FitResult):
        return built
    if spec.trains_on == "train+valid":
        X, y = all_labelled(task)
    else:
        X, y = task.X_train, task.y_train
    model = built.fit(X, y)
    return _scored(model, task, int(y.size), start, score_valid=spec.trains_on == "train")
