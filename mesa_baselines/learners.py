"""Base learners by short name.

The paper's base classifiers (App. B: scikit-learn defaults, boosting with 10), and the
learners a practitioner would put on each balanced subset (forests, gradient boosting).
"""

from __future__ import annotations

from typing import Any

__all__ = ["BASE_LEARNERS", "LIGHTGBM_HINT", "lightgbm_classifier", "make_base_learner"]

BASE_LEARNERS: tuple[str, ...] = (
    "dt", "knn", "gnb", "lr", "adaboost", "gbm", "et", "rf", "hgb", "lgbm",
)  # fmt: skip
#: What to do when ``lightgbm`` is missing (``lgbm`` learner, ``lightgbm-spw`` method).
LIGHTGBM_HINT = (
    "LightGBM is not installed; install the optional extra: pip install 'mesa-gym[practitioner]' "
    "(or pip install 'lightgbm>=4')"
)


def lightgbm_classifier(random_state: int | None, **params: Any) -> Any:
    """``LGBMClassifier`` with LightGBM's defaults, silent and single-threaded.

    Single-threaded so a result does not depend on the cores, and parallel evaluation jobs do
    not oversubscribe them.
    """
    try:
        from lightgbm import LGBMClassifier
    except ImportError as error:
        raise ImportError(LIGHTGBM_HINT) from error
    return LGBMClassifier(verbose=-1, n_jobs=1, random_state=random_state, **params)


def make_base_learner(name: str, random_state: int | None = None) -> Any:
    """A fresh base learner by short name.

    The paper's (App. B): ``dt`` (full-depth tree, the default everywhere), ``knn``, ``gnb``,
    ``lr``, ``adaboost`` (10 stumps), ``gbm`` (10 trees). A practitioner's, each one model per
    MESA member (a member trains on a balanced subset of 2|P| rows): ``et``
    (``ExtraTreesClassifier(n_estimators=10)``), ``rf`` (``RandomForestClassifier(10)``),
    ``hgb`` (``HistGradientBoostingClassifier()``, defaults) and ``lgbm`` (``LGBMClassifier()``,
    defaults, ``n_jobs=1``; needs the ``practitioner`` extra).
    """
    from sklearn.ensemble import (
        AdaBoostClassifier,
        ExtraTreesClassifier,
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    factories = {
        "dt": lambda: DecisionTreeClassifier(random_state=random_state),
        "knn": KNeighborsClassifier,
        "gnb": GaussianNB,
        "lr": lambda: LogisticRegression(max_iter=1000, random_state=random_state),
        "adaboost": lambda: AdaBoostClassifier(n_estimators=10, random_state=random_state),
        "gbm": lambda: GradientBoostingClassifier(n_estimators=10, random_state=random_state),
        "et": lambda: ExtraTreesClassifier(n_estimators=10, random_state=random_state),
        "rf": lambda: RandomForestClassifier(n_estimators=10, random_state=random_state),
        "hgb": lambda: HistGradientBoostingClassifier(random_state=random_state),
        "lgbm": lambda: lightgbm_classifier(random_state),
    }
    if name not in factories:
        raise ValueError(f"unknown base learner {name!r}; choose one of {', '.join(BASE_LEARNERS)}")
    return factories[name]()
