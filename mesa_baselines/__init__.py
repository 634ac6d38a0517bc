"""Ensemble imbalanced-learning baselines of the MESA comparison (Tables 3 and 8, Fig. 4).

Every class is a binary scikit-learn classifier taking ``estimator`` (default: a full-depth
decision tree, the paper's base learner), ``n_estimators``, ``random_state`` and ``n_jobs``.
The minority class is the positive class; ``classes_`` keeps the original labels. After ``fit``
each records ``n_training_samples_``, the rows its members were trained on in total.
``BASELINES`` maps the names scripts accept to the classes.
"""

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

BASELINES: dict[str, type] = {
    "spe": SelfPacedEnsembleClassifier,
    "cascade": BalanceCascadeClassifier,
    "smoteboost": SMOTEBoostClassifier,
    "smotebagging": SMOTEBaggingClassifier,
    "ramoboost": RAMOBoostClassifier,
    "rusboost": RUSBoostClassifier,
    "underbagging": UnderBaggingClassifier,
    "easyensemble": EasyEnsembleClassifier,
}
