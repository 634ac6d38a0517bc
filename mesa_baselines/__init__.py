"""Ensemble imbalanced-learning baselines of the MESA comparison (Tables 3 and 8, Fig. 4).

Every class is a binary scikit-learn classifier taking ``estimator`` (default: a full-depth
decision tree, the paper's base learner), ``n_estimators``, ``random_state`` and ``n_jobs``.
The minority class is the positive class; ``classes_`` keeps the original labels. After ``fit``
each records ``n_training_samples_``, the rows its members were trained on in total.
``BASELINES`` maps the names scripts accept to the classes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesa_baselines.bcwf import BCWFHardClassifier, BCWFSoftClassifier
    from mesa_baselines.cascade import BalanceCascadeClassifier
    from mesa_baselines.hem import HEM, HEMAdaBoostClassifier
    from mesa_baselines.imblearn_wrappers import (
        EasyEnsembleClassifier,
        RUSBoostClassifier,
        UnderBaggingClassifier,
        n_training_samples,
    )
    from mesa_baselines.ramo_boost import RAMOBoostClassifier
    from mesa_baselines.self_paced import SelfPacedEnsembleClassifier
    from mesa_baselines.smote_bagging import SMOTEBaggingClassifier
    from mesa_baselines.smote_boost import SMOTEBoostClassifier

#: Where each public name lives. They are imported on first use (PEP 562), so a command that only
#: needs ``mesa_baselines.learners`` (``train_sampler.py``) does not pay for imbalanced-learn
#: (~0.2 s of start-up).
_HOME: dict[str, str] = {
    "BCWFHardClassifier": "mesa_baselines.bcwf",
    "BCWFSoftClassifier": "mesa_baselines.bcwf",
    "BalanceCascadeClassifier": "mesa_baselines.cascade",
    "HEM": "mesa_baselines.hem",
    "HEMAdaBoostClassifier": "mesa_baselines.hem",
    "EasyEnsembleClassifier": "mesa_baselines.imblearn_wrappers",
    "RUSBoostClassifier": "mesa_baselines.imblearn_wrappers",
    "UnderBaggingClassifier": "mesa_baselines.imblearn_wrappers",
    "n_training_samples": "mesa_baselines.imblearn_wrappers",
    "RAMOBoostClassifier": "mesa_baselines.ramo_boost",
    "SelfPacedEnsembleClassifier": "mesa_baselines.self_paced",
    "SMOTEBaggingClassifier": "mesa_baselines.smote_bagging",
    "SMOTEBoostClassifier": "mesa_baselines.smote_boost",
}

__all__ = [
    "BASELINES",
    "HEM",
    "BCWFHardClassifier",
    "BCWFSoftClassifier",
    "BalanceCascadeClassifier",
    "EasyEnsembleClassifier",
    "HEMAdaBoostClassifier",
    "RAMOBoostClassifier",
    "RUSBoostClassifier",
    "SMOTEBaggingClassifier",
    "SMOTEBoostClassifier",
    "SelfPacedEnsembleClassifier",
    "UnderBaggingClassifier",
    "n_training_samples",
]

#: The names scripts accept → the class names of ``BASELINES``.
_BASELINE_CLASSES: dict[str, str] = {
    "spe": "SelfPacedEnsembleClassifier",
    "cascade": "BalanceCascadeClassifier",
    "smoteboost": "SMOTEBoostClassifier",
    "smotebagging": "SMOTEBaggingClassifier",
    "ramoboost": "RAMOBoostClassifier",
    "rusboost": "RUSBoostClassifier",
    "underbagging": "UnderBaggingClassifier",
    "easyensemble": "EasyEnsembleClassifier",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use; ``BASELINES`` maps script names to the classes."""
    if name == "BASELINES":
        value: Any = {key: __getattr__(cls) for key, cls in _BASELINE_CLASSES.items()}
    elif name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
