"""The paper's base classifiers by short name (App. B: scikit-learn defaults, boosting with 10)."""

from __future__ import annotations

from typing import Any

__all__ = ["BASE_LEARNERS", "make_base_learner"]

BASE_LEARNERS: tuple[str, ...] = ("dt", "knn", "gnb", "lr", "adaboost", "gbm")


def make_base_learner(name: str, random_state: int | None = None) -> Any:
    """A fresh base learner: ``dt`` (full-depth tree, the default everywhere), ``knn``,
    ``gnb``, ``lr``, ``adaboost`` (10 stumps) or ``gbm`` (10 trees)."""
    from sklearn.ensemble import AdaBoostClassifier, GradientBoostingClassifier
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
    }
    if name not in factories:
        raise ValueError(f"unknown base learner {name!r}; choose one of {', '.join(BASE_LEARNERS)}")
    return factories[name]()
