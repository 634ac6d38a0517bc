"""``Mesa-v0``: ensemble training as a Markov decision process (MESA, Liu et al., NeurIPS 2020)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from mesa_env.binary import SEED_BOUND, check_estimator_arg, check_int, check_real
from mesa_env.data import Task, make_task
from mesa_env.ensemble import UNCHECKED_TREES, IncrementalEnsemble
from mesa_env.metrics import get_metric
from mesa_env.render import ansi_line, rgb_frame
from mesa_env.sampling import meta_sample, random_balanced_subset
from mesa_env.settings import DEFAULTS as _DEFAULTS
from mesa_env.state import HISTOGRAM_MODES, meta_state, split_label_error_histograms

__all__ = ["INFO_SCORES", "RESET_OPTIONS", "MesaEnv"]

#: Values of ``info_scores``: when ``info`` carries ``train_score`` and ``test_score``.
INFO_SCORES = ("final", "every_step")
#: Keys ``reset(options=...)`` understands.
RESET_OPTIONS = ("task",)


class MesaEnv(gym.Env):
    """Train an under-sampling ensemble one base learner per step.

    The agent picks which majority examples each learner sees (the meta-sampler of MESA).

    ## Description
    The environment is Algorithm 2 of the paper with the sampler's decisions exposed: an episode
    builds one ensemble F_k = (1/k) Σ f_i on a binary imbalanced training split. Each step trains
    one base learner on every minority example plus |P| majority examples drawn by Algorithm 1,
    with Gaussian weights g_{μ,σ}(|F_t(x) − y|) (Eq. 3) centred at the action μ.

    ## Action Space
    ``Box(0, 1, (1,), float32)``: μ, the ensemble error around which majority examples are
    favoured (μ ≈ 0: examples the ensemble already gets right; μ ≈ 1: the ones it gets most
    wrong). A real number or an array holding one (any shape); values outside [0, 1] are clipped.
    NaN raises ``ValueError``; strings, booleans, complex and object values raise ``TypeError``.

    ## Observation Space
    ``Box(0, 1, (2·n_bins,), float32)``, Eq. 2: entries ``0 … n_bins−1`` are the fraction of
    training examples whose error |F_t(x) − y| lies in bin i of [0, 1]; entries ``n_bins …
    2·n_bins−1`` the same on the validation split. Each half sums to 1. With
    ``histogram="majority"`` (the original code) only majority-class errors are histogrammed,
    between their min and max.

    ## Rewards
    r_t = reward_scale · (P(F_{t+1}, D_valid) − P(F_t, D_valid)), P the ``metric`` (AUCPRC by
    default, Algorithm 3 line 6). Returns telescope: an episode's return is the validation gain
    from the first learner to the last.

    ## Starting State
    ``reset`` draws a task (when several are given), trains f_1 on a random balanced subset
    (Alg. 2 line 1) and observes F_1. ``reset(options={"task": i})`` picks task ``i`` (index or
    name) instead; ``options`` must be a dict (or ``None``) whose keys are in ``RESET_OPTIONS``.

    ## Episode End
    Terminated when the ensemble holds ``n_estimators`` learners: k − 1 steps. Never truncated
    (add ``TimeLimit`` if you want one). Stepping a finished episode raises ``RuntimeError``.

    ## Info
    Every ``reset`` and ``step``: ``valid_score`` (the ``metric`` of F_t on the validation split,
    the reward's own score), ``ensemble_size`` (t), ``task`` (its name). Every ``step`` also:
    ``mu``, the action as applied (clipped to [0, 1]); ``reset`` has no ``mu`` (no action was
    taken). ``train_score`` and ``test_score`` (the metric on the training and test splits; no
    ``test_score`` without a test split; the test split never reaches observations or rewards)
    are in the terminal step's info with ``info_scores="final"`` (the default: they cost up to
    four times the reward's metric, and consumers read the finished ensemble's), and in every
    ``reset``/``step`` info with ``info_scores="every_step"``.

    ## Rendering
    ``render_mode="ansi"``: ``render()`` returns one line: ensemble size t/k, the last μ,
    train/valid scores and both error histograms. ``render_mode="rgb_array"``: a
    ``(120, 360, 3)`` uint8 picture (numpy-drawn, ``mesa_env.render``): training and validation
    error histograms side by side, then μ per step and the validation score so far.
    ``render_fps`` is 4 (for ``RecordVideo``). Rendering is computed on demand: it costs a step
    nothing. Without a ``render_mode``, ``render()`` warns and returns ``None``.

    ## Arguments
    The defaults of the plain-value settings (``n_estimators`` … ``info_scores``) are those of
    ``mesa_env.EnvSettings``, their one source.

    - ``dataset``: a name (``mesa_env.DATASET_NAMES``), a CSV path, ``(X, y)`` (split class-wise
      60/20/20), ``(X_train, y_train, X_valid, y_valid[, X_test, y_test])``, or a list of these:
      each ``reset`` then draws one task (cross-task meta-training, App. A.3). Default ``"digits"``.
      A CSV's delimiter is sniffed (``,`` ``;`` tab ``|``); a first row made only of numbers is
      read as data (no header; the label is then the last column), unless it is exactly
      ``0, 1, …, n−1`` (pandas' default column names). ``X`` must be dense (sparse matrices are
      refused with a ``TypeError``: pass ``X.toarray()``). A directory, a binary file or a
      one-column CSV is refused with a message saying so. An error in one element of a list
      names its position (``dataset[2]: …``).
    - ``estimator``: the base learner, any scikit-learn classifier with ``predict_proba``
      (``base_estimator=`` is an accepted alias, and ``env.base_estimator`` reads it; giving
      both raises ``ValueError``); cloned per member with a seed drawn from the env's
      generator. Default ``DecisionTreeClassifier()``. Its ``predict_proba`` must return one
      column per class of ``classes_``, finite and in [0, 1] (checked each step:
      ``ValueError`` otherwise). Members are fitted and predict under
      ``sklearn.config_context(assume_finite=True)`` (the data were checked finite when the
      task was built), and all but an episode's first with ``skip_parameter_validation=True``
      (they differ from it only by an integer ``random_state``). scikit-learn's own trees
      (``DecisionTreeClassifier``, ``ExtraTreeClassifier``) are grown without ``fit``'s
      per-call Python, by scikit-learn's algorithm on presorted features (compiled; depth-first,
      ``splitter="best"``, Gini or entropy) or its own Cython builder, once a fit of the same
      configuration was checked byte for byte against ``fit`` in this process
      (``mesa_env.tree_refit``): the same members.
    - ``n_estimators``: ensemble size k ≥ 2 (default 10).
    - ``n_bins``: histogram bins b per split, ≥ 1 (default 5: the paper's meta-state size 10).
    - ``sigma``: width σ > 0 of the Gaussian sampling weights (default 0.2, Table 10). Weights
      are computed in log space; when σ is so small that they overflow (σ → 0), the draw is the
      exact limit: majority examples nearest μ first, ties broken uniformly at random.
    - ``metric``: reward metric, one of ``mesa_env.metrics.METRICS`` (default ``"aucprc"``).
    - ``reward_scale``: multiplies every reward (default 1.0; the SAC preset uses 100).
    - ``histogram``: ``"all"`` (Eq. 1, default) or ``"majority"`` (original code).
    - ``train_ratio``: meta-train on a stratified fraction of the training split (§4.2).
    - ``label_noise``: fraction of training minority labels flipped to 0, with as many majority
      labels flipped to 1 (App. A.2).
    - ``split_seed``: seed of the data split, subset and noise (fixed across episodes); an
      integer ≥ 0.
    - ``progress_obs``: append the ensemble progress t/k to the observation (not in the paper;
      off by default, so ``Mesa-v0`` is the paper's MDP). A ``bool`` (strings are refused).
    - ``info_scores``: ``"final"`` (default) or ``"every_step"``: when ``info`` carries
      ``train_score`` and ``test_score`` (see Info).
    - ``render_mode``: ``None`` (default), ``"ansi"`` or ``"rgb_array"`` (see Rendering).

    ## Version History
    - v0: the paper's MDP (Section 3, Algorithms 1–3, Eqs. 1–3).
    - v0, revised (observations, rewards and ``valid_score`` unchanged, bit for bit by seed):
      ``render_mode`` ``"ansi"``/``"rgb_array"``; ``info_scores`` (``train_score``/
      ``test_score`` only at termination by default, formerly every step); no ``mu`` in the
      reset info (formerly NaN); boolean arguments take booleans only; clearer errors for
      actions, reset options, data files and base learners; σ → 0 draws the exact limit.
    - v0, revised: the base learner is ``estimator`` (as in scikit-learn and ``MesaClassifier``);
      ``base_estimator``, its former name, stays an accepted keyword alias (and attribute).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    @property
    def base_estimator(self) -> Any:
        """Alias of :attr:`estimator`, the base learner (its former name)."""
        return self.estimator

    def __init__(
        self,
        dataset: Any = "digits",
        estimator: Any = None,
        n_estimators: int = _DEFAULTS.n_estimators,
        n_bins: int = _DEFAULTS.n_bins,
        sigma: float = _DEFAULTS.sigma,
        metric: str = _DEFAULTS.metric,
        reward_scale: float = _DEFAULTS.reward_scale,
        histogram: str = _DEFAULTS.histogram,
        train_ratio: float = _DEFAULTS.train_ratio,
        label_noise: float = _DEFAULTS.label_noise,
        split_seed: int = _DEFAULTS.split_seed,
        progress_obs: bool = _DEFAULTS.progress_obs,
        info_scores: str = _DEFAULTS.info_scores,
        render_mode: str | None = None,
        *,
        base_estimator: Any = None,
    ) -> None:
        check_int("n_estimators", n_estimators, 2)
        check_int("n_bins", n_bins, 1)
        check_real("sigma", sigma)
        check_real("reward_scale", reward_scale)
        _check_bool("progress_obs", progress_obs)
        if not np.isfinite(sigma) or sigma <= 0:
            raise ValueError(f"sigma must be a positive number; got {sigma}")
        if histogram not in HISTOGRAM_MODES:
            raise ValueError(f"histogram must be one of {HISTOGRAM_MODES}; got {histogram!r}")
        if not np.isfinite(reward_scale):
            raise ValueError(f"reward_scale must be finite; got {reward_scale}")
        if not isinstance(info_scores, str) or info_scores not in INFO_SCORES:
            raise ValueError(f"info_scores must be one of {INFO_SCORES}; got {info_scores!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}; "
                f"got {render_mode!r}"
            )
        if estimator is not None and base_estimator is not None:
            raise ValueError(
                "give the base learner as estimator= or as base_estimator= (its alias), not both"
            )
        if base_estimator is not None:
            self.estimator = check_estimator_arg(base_estimator, "base_estimator")
        else:
            self.estimator = check_estimator_arg(estimator, "estimator")
        self.n_estimators = int(n_estimators)
        self.n_bins = int(n_bins)
        self.sigma = float(sigma)
        self.metric = metric
        self._score = get_metric(metric)
        self.reward_scale = float(reward_scale)
        self.histogram = histogram
        self.progress_obs = bool(progress_obs)
        self.info_scores = info_scores
        self.render_mode = render_mode
        self.tasks: list[Task] = _make_tasks(
            dataset, split_seed=split_seed, label_noise=label_noise, train_ratio=train_ratio
        )
        names = [t.name for t in self.tasks]
        for i, task in enumerate(self.tasks):  # "arrays", "arrays" → "arrays-0", "arrays-1"
            if names.count(task.name) > 1:
                task.name = f"{task.name}-{i}"

        self.action_space = spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        obs_size = 2 * self.n_bins + int(self.progress_obs)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(obs_size,), dtype=np.float32)

        self.task: Task | None = None
        self.ensemble: IncrementalEnsemble | None = None
        self._valid_score = 0.0
        self._y_observed = np.empty(0)
        self._mus: list[float] = []  # this episode's actions, for render()
        self._valid_scores: list[float] = []  # valid score of F_1 … F_t, for render()

    # ------------------------------------------------------------------ MDP
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Draw a task, train f_1 on a random balanced subset, observe F_1.

        ``options={"task": i}`` picks task ``i`` (index or name) instead of drawing one.
        """
        _check_options(options)
        super().reset(seed=seed)
        self.task = self._choose_task(options)
        task = self.task
        float32_rows = task.X_eval_float32 if type(self.estimator) in UNCHECKED_TREES else None
        self.ensemble = IncrementalEnsemble(
            self.estimator, task.X_eval, X_eval_float32=float32_rows
        )
        # Labels of the train then valid rows, the first rows of X_eval (for the state).
        assert (
            task.eval_slices["valid"].start == task.eval_slices["train"].stop == task.y_train.size
        )
        self._y_observed = np.concatenate([task.y_train, task.y_valid]).astype(np.float64)
        chosen = random_balanced_subset(task.majority_index.size, task.n_minority, self.np_random)
        self._fit_member(task.majority_index[chosen])
        self._valid_score = self._score_split("valid")
        self._mus = []
        self._valid_scores = [self._valid_score]
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Sample with μ = action (Alg. 1), fit f_{t+1}, update F, reward the validation gain."""
        if self.ensemble is None:
            raise RuntimeError("call reset() before step()")
        if len(self.ensemble) >= self.n_estimators:
            raise RuntimeError("the episode has terminated; call reset() to start a new one")
        mu = _check_action(action)
        task = self.task
        majority_errors = self.ensemble.proba[task.majority_index]  # |F(x) − 0| for y = 0
        chosen = meta_sample(majority_errors, task.n_minority, mu, self.sigma, self.np_random)
        self._fit_member(task.majority_index[chosen])
        previous, self._valid_score = self._valid_score, self._score_split("valid")
        reward = self.reward_scale * (self._valid_score - previous)
        terminated = len(self.ensemble) >= self.n_estimators
        self._mus.append(mu)
        self._valid_scores.append(self._valid_score)
        return self._observation(), reward, terminated, False, self._info(mu)

    def render(self) -> str | np.ndarray | None:
        """The current state as text (``"ansi"``) or a picture (``"rgb_array"``); see Rendering."""
        if self.render_mode is None:
            gym.logger.warn(
                "render() was called without a render_mode; create the env with "
                f"render_mode set to one of {self.metadata['render_modes']}"
            )
            return None
        if self.ensemble is None:
            raise RuntimeError("call reset() before render()")
        state = self._observation()
        train_hist, valid_hist = state[: self.n_bins], state[self.n_bins : 2 * self.n_bins]
        if self.render_mode == "ansi":
            return ansi_line(
                len(self.ensemble),
                self.n_estimators,
                self._mus[-1] if self._mus else None,
                self._score_split("train"),
                self._valid_score,
                train_hist,
                valid_hist,
            )
        return rgb_frame(train_hist, valid_hist, self._mus, self._valid_scores, self.n_estimators)

    # ------------------------------------------------------------------ parts
    def _choose_task(self, options: dict[str, Any] | None) -> Task:
        wanted = (options or {}).get("task")
        if wanted is None:
            return self.tasks[int(self.np_random.integers(len(self.tasks)))]
        if isinstance(wanted, str):
            names = [t.name for t in self.tasks]
            if wanted not in names:
                raise ValueError(f"options['task']={wanted!r} is not one of {names}")
            return self.tasks[names.index(wanted)]
        if isinstance(wanted, bool) or not isinstance(wanted, (int, np.integer)):
            raise TypeError(f"options['task'] must be an index or a name; got {wanted!r}")
        if not 0 <= int(wanted) < len(self.tasks):
            raise ValueError(f"options['task']={wanted} is out of range 0..{len(self.tasks) - 1}")
        return self.tasks[int(wanted)]

    def _fit_member(self, majority_rows: np.ndarray) -> None:
        rows = np.concatenate([self.task.minority_index, majority_rows])
        seed = int(self.np_random.integers(SEED_BOUND))
        self.ensemble.fit_member(self.task.X_train[rows], self.task.y_train[rows], seed)

    def _split_proba(self, split: str) -> np.ndarray:
        return self.ensemble.proba[self.task.eval_slices[split]]

    def _score_split(self, split: str) -> float:
        return self._score(getattr(self.task, f"y_{split}"), self._split_proba(split))

    def _observation(self) -> np.ndarray:
        task = self.task
        if self.histogram == "all":  # train and valid rows sit side by side: one pass (Eq. 2)
            state = split_label_error_histograms(
                self.ensemble.proba, self._y_observed, task.y_train.size, self.n_bins
            )
        else:
            state = meta_state(
                np.abs(self._split_proba("train") - task.y_train),
                np.abs(self._split_proba("valid") - task.y_valid),
                task.y_train,
                task.y_valid,
                self.n_bins,
                self.histogram,
            )
        if self.progress_obs:
            state = np.append(state, np.float32(len(self.ensemble) / self.n_estimators))
        return state

    def _info(self, mu: float | None = None) -> dict[str, Any]:
        size = len(self.ensemble)
        info: dict[str, Any] = {"valid_score": self._valid_score, "ensemble_size": size}
        if mu is not None:
            info["mu"] = mu
        info["task"] = self.task.name
        if size >= self.n_estimators or self.info_scores == "every_step":
            info["train_score"] = self._score_split("train")
            if "test" in self.task.eval_slices:
                info["test_score"] = self._score_split("test")
        return info


def _make_tasks(dataset: Any, **settings: Any) -> list[Task]:
    """One :class:`Task` per dataset; an error in an element of a list names its position."""
    if not isinstance(dataset, list):
        return [make_task(dataset, **settings)]
    if not dataset:
        raise ValueError("dataset is an empty list; give at least one task")
    tasks = []
    for i, source in enumerate(dataset):
        try:
            tasks.append(make_task(source, **settings))
        except (TypeError, ValueError, OSError) as exc:
            try:
                named = type(exc)(f"dataset[{i}]: {exc}")
            except Exception:  # an exception type that wants other arguments: keep it as is
                raise exc from None
            raise named from exc
    return tasks


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be True or False; got {type(value).__name__} {value!r} "
            '(a string such as "False" is not a boolean)'
        )


def _check_options(options: Any) -> None:
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise TypeError(
            f"reset options must be a dict (or None); got {type(options).__name__} {options!r}"
        )
    unknown = sorted(str(k) for k in options if k not in RESET_OPTIONS)
    if unknown:
        raise ValueError(f"unknown reset option(s) {unknown}; known: {list(RESET_OPTIONS)}")


def _check_action(action: Any) -> float:
    if isinstance(action, (str, bytes)):
        raise TypeError(f"action must be a number or an array of one number; got {action!r}")
    try:
        values = np.asarray(action)
    except (TypeError, ValueError):
        raise TypeError(
            f"action must be a number or an array of one number; got {action!r}"
        ) from None
    if values.dtype.kind not in "iuf":
        raise TypeError(
            f"action must be real numbers (int or float); got dtype {values.dtype} in {action!r}"
        )
    if values.size != 1:
        raise ValueError(f"action must hold exactly one value (μ); got {values.size}")
    mu = float(values.reshape(-1)[0])
    if np.isnan(mu):
        raise ValueError("action μ is NaN; the sampler must output a number in [0, 1]")
    return min(max(mu, 0.0), 1.0)
