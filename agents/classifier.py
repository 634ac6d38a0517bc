"""MESA as a scikit-learn classifier: a trained meta-sampler applied to new data.

Most users never meta-train: the paper's meta-sampler transfers across tasks (Table 4), so
``MesaClassifier()`` loads the shipped sampler and builds the ensemble (Algorithm 2) on the
user's data, with a validation split carved from the training data feeding its meta-state.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from agents.base import SamplerAgent, as_agent
from mesa_env.binary import SEED_BOUND, binary_only_tags, minority_column, ordered_proba
from mesa_env.settings import EnvSettings, check_compatible, defaults

__all__ = ["DEFAULT_SAMPLER", "MesaClassifier"]

#: The pretrained sampler shipped inside the package (``agents/pretrained``; its full training
#: checkpoint, for ``--resume``, is ``checkpoints/mesa_default`` in the repository).
DEFAULT_SAMPLER = Path(str(files("agents").joinpath("pretrained", "mesa_default.sampler.pt")))
#: The observation settings that are parameters of the classifier (``progress_obs`` is not: it
#: is always the sampler's own).
_SETTINGS = tuple(k for k in EnvSettings.OBSERVATION_FIELDS if k != "progress_obs")
_TUNED = ("tuned-constant", "tuned-schedule")


class MesaClassifier(ClassifierMixin, BaseEstimator):
    """Ensemble of under-sampled base learners whose training subsets a meta-sampler picks.

    Parameters
    ----------
    sampler : None, "pretrained", path, agent, "tuned-constant" or "tuned-schedule"
        ``None`` (default): a constant μ = 1 — always favour the majority examples the
        ensemble gets most wrong. It is the sampler that measured best with the default
        members on the ``keel-train-valid`` tasks, ahead of every learned sampler and of
        tuning μ on each task's validation split (README "MesaClassifier against what
        practitioners use"). ``"pretrained"``: the shipped meta-trained sampler
        (:data:`DEFAULT_SAMPLER`, meta-trained with decision trees on ``keel-train-fit``).
        A sampler file / checkpoint stem, or any object with ``predict(obs) -> (μ, _)``
        (an agent, a reference policy). ``"tuned-constant"`` / ``"tuned-schedule"``: μ (or
        a linear μ schedule) is picked on the validation split at ``fit``; so is an unfitted
        ``TunedConstantPolicy`` passed in (a tuned copy is used, the argument is untouched).
    estimator : classifier or None
        Base learner with ``predict_proba``; ``None`` is ``ExtraTreesClassifier(n_estimators=10)``
        (measured best on ``keel-train``). The paper's configuration is
        ``MesaClassifier(sampler="pretrained", estimator=DecisionTreeClassifier())``.
    n_estimators : int
        Ensemble size k.
    sigma, n_bins, histogram : optional
        Meta-sampling width and meta-state settings. They must match the sampler's training
        settings (read from its metadata); ``None`` takes the sampler's.
    validation_size : float
        Share of the training data held out (stratified) as the validation split that feeds
        the meta-state, when ``fit`` gets no ``eval_set``.
    random_state : int, RandomState or None
        Seeds the validation split, the subsets and the base learners.
    refit : bool
        ``False`` (the paper): members train on the training part only; the validation part
        only feeds the meta-state and reward. ``True``: after the episode, the ensemble is
        rebuilt on training + validation rows by replaying the chosen ``mu_`` through the same
        meta-sampling (Algorithm 1) with the same episode seed, so the validation rows also
        train the members (the meta-state of the replay is not read; μ is not re-chosen).

    Attributes:
    estimators_ : list of fitted base learners
    classes_ : the two original labels, sorted
    mu_ : the μ the sampler chose at each ensemble step (k − 1 values)
    sampler_ : the loaded sampler
    """

    def __init__(
        self,
        sampler: Any = None,
        estimator: Any = None,
        n_estimators: int = EnvSettings.n_estimators,
        sigma: float | None = None,
        n_bins: int | None = None,
        histogram: str | None = None,
        validation_size: float = 0.2,
        random_state: Any = None,
        refit: bool = False,
    ) -> None:
        self.sampler = sampler
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.sigma = sigma
        self.n_bins = n_bins
        self.histogram = histogram
        self.validation_size = validation_size
        self.random_state = random_state
        self.refit = refit

    def __sklearn_tags__(self):
        return binary_only_tags(super().__sklearn_tags__())  # MESA is binary (paper §3)

    def _estimator(self) -> Any:
        """The base learner: the user's, or ten extra trees per member by default."""
        if self.estimator is not None:
            return self.estimator
        from sklearn.ensemble import ExtraTreesClassifier

        return ExtraTreesClassifier(n_estimators=10)

    # ------------------------------------------------------------------ sampler
    def _load_sampler(self) -> tuple[Any, dict[str, Any]]:
        """The sampler object and the env settings to use, checked against its metadata."""
        explicit = {k: getattr(self, k) for k in _SETTINGS}
        if (
            isinstance(self.sampler, str)
            and self.sampler not in (*_TUNED, "pretrained")
            and not any(sep in self.sampler for sep in "/\\.")  # not path-like
            and not Path(self.sampler + ".sampler.pt").exists()
        ):
            raise ValueError(
                f"sampler={self.sampler!r} is neither one of 'pretrained', "
                f"{', '.join(map(repr, _TUNED))} nor an existing sampler file or checkpoint "
                "stem; None is a constant μ = 1"
            )
        if isinstance(self.sampler, str) and self.sampler in _TUNED:
            from agents.tuned import TunedConstantPolicy, TunedSchedulePolicy

            cls = TunedConstantPolicy if self.sampler == "tuned-constant" else TunedSchedulePolicy
            sampler, trained = cls(n_estimators=self.n_estimators), {}
        elif self.sampler is None:
            from agents.reference import ConstantPolicy

            sampler, trained = ConstantPolicy(1.0), {}
        elif isinstance(self.sampler, (str, Path)):
            from agents.sampler_file import load_sampler

            path = DEFAULT_SAMPLER if self.sampler == "pretrained" else self.sampler
            sampler = load_sampler(path, **explicit)  # refuses conflicting settings
            trained = sampler.env_settings
        elif hasattr(self.sampler, "predict"):
            sampler = self.sampler
            trained = dict(as_agent(sampler).metadata.get("env", {}))
            conflicts = check_compatible(trained, explicit, strict=False)
            if conflicts:
                raise ValueError(f"settings conflict with the sampler's: {', '.join(conflicts)}")
        else:
            raise TypeError(
                "sampler must be a sampler file path, an agent with predict(), or None; "
                f"got {type(self.sampler).__name__}"
            )
        settings = defaults().observation()  # n_bins, histogram, sigma, progress_obs
        settings.update({k: trained[k] for k in EnvSettings.OBSERVATION_FIELDS if k in trained})
        settings.update({k: v for k, v in explicit.items() if v is not None})
        return sampler, settings

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X: Any, y: Any, eval_set: tuple[Any, Any] | None = None) -> MesaClassifier:
        """Build the ensemble; ``eval_set=(X_val, y_val)`` replaces the held-out split."""
        from agents.rollout import run_episode
        from mesa_env import MesaEnv

        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if self.classes_.size != 2 or type_of_target(y) != "binary":
            raise ValueError(
                "Only binary classification is supported. MesaClassifier got y with "
                f"{self.classes_.size} class(es) {self.classes_[:5].tolist()}: map your labels "
                "to minority-vs-rest"
            )
        if not 0.0 < self.validation_size < 1.0:
            raise ValueError(f"validation_size must be in (0, 1); got {self.validation_size}")
        rng = check_random_state(self.random_state)
        if eval_set is None:
            X_tr, X_va, y_tr, y_va = train_test_split(
                X, y, test_size=self.validation_size, stratify=y, random_state=rng
            )
        else:
            if not isinstance(eval_set, (tuple, list)) or len(eval_set) != 2:
                raise ValueError("eval_set must be a pair (X_val, y_val)")
            X_tr, y_tr = X, y
            X_va, y_va = validate_data(self, *eval_set, dtype=np.float64, reset=False)
        sampler, settings = self._load_sampler()
        env = MesaEnv(
            dataset=(X_tr, y_tr, X_va, y_va),
            estimator=self._estimator(),
            n_estimators=self.n_estimators,
            **settings,
        )
        episode_seed = int(rng.randint(SEED_BOUND))
        if as_agent(sampler).needs_tuning and not sampler.scores_:  # an untuned tuned policy
            import copy

            sampler = copy.deepcopy(sampler)
            sampler.random_state = episode_seed
            sampler.fit(env)
        _, mus = run_episode(env, sampler, seed=episode_seed)  # Algorithm 2
        if self.refit:  # same μ sequence and seed, now sampling from training + validation
            env = MesaEnv(
                dataset=(np.vstack([X_tr, X_va]), np.concatenate([y_tr, y_va]), X_va, y_va),
                estimator=self._estimator(),
                n_estimators=self.n_estimators,
                **settings,
            )
            run_episode(env, _ReplayPolicy(mus), seed=episode_seed)
        self.sampler_ = sampler
        self.estimators_ = list(env.ensemble.estimators)
        self.mu_ = np.asarray(mus)
        self.minority_ = env.task.classes[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean of the members' probabilities (Alg. 2 line 9), columns ordered as ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        p_minority = np.zeros(X.shape[0])
        for member in self.estimators_:
            p_minority += member.predict_proba(X)[:, minority_column(member)]
        p_minority /= len(self.estimators_)
        return ordered_proba(p_minority, self.classes_, self.minority_)

    def decision_function(self, X: Any) -> np.ndarray:
        """Probability of ``classes_[1]`` minus 0.5.

        Positive exactly where :meth:`predict` says ``classes_[1]`` (scikit-learn's binary
        convention), ranked as the probability.
        """
        return self.predict_proba(X)[:, 1] - 0.5

    def predict(self, X: Any) -> np.ndarray:
        """The label with the higher mean probability."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class _ReplayPolicy(SamplerAgent):
    """Answers a fixed μ sequence, one per step (``refit=True`` replays the sampler's choices)."""

    algo = "replay"

    def __init__(self, mus: list[float]) -> None:
        self.mus = list(mus)
        self._step = 0

    def reset_episode(self) -> None:
        """Start again from the first μ."""
        self._step = 0

    def predict(self, obs: Any, deterministic: bool = True) -> tuple[np.ndarray, None]:
        """The next μ of the sequence, whatever the observation."""
        mu = self.mus[self._step]
        self._step += 1
        return np.array([mu], dtype=np.float32), None

    def checkpoint_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        raise TypeError("a replayed μ sequence is not a policy: it cannot be saved")
