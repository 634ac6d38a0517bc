"""The paper's evaluation protocol (App. B) as one importable function: :func:`evaluate`.

Each *split* (dataset × run × label-noise level) is an independent job: a class-wise 60/20/20
split seeded by ``seed + run`` (or Zhao et al. (2023)'s 85/15 splits), the MESA sampler for that
split, then every method × k × base learner fitted and scored on the test rows. Jobs run in
parallel with joblib; every random choice derives from ``seed`` and the job's coordinates, and
torch runs single-threaded in each job, so ``n_jobs`` never changes a number.

Nothing is fitted before the whole request is checked (:meth:`EvalConfig.resolved`, then
:func:`preflight`: the output folder is writable, every dataset loads). With an output folder,
each split's rows are appended to ``runs.jsonl`` as soon as the split finishes, so a late
failure loses nothing, and ``resume=True`` reuses the splits recorded there for the same config.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from agents.registry import AGENT_NAMES, is_learning
from mesa_evaluation.experiments import (
    EXPERIMENTS,
    Experiment,
)
from mesa_evaluation.methods import fit_method, method_spec, needs_split_sampler, uses_validation

__all__ = [
    "EXPERIMENTS",
    "METRIC_NAMES",
    "RUNS_LOG",
    "EvalConfig",
    "Experiment",
    "PreflightError",
    "evaluate",
    "preflight",
    "score",
]

#: The agents that can meta-train a sampler: the agent registry's learning ones.
META_ALGOS: tuple[str, ...] = tuple(a for a in AGENT_NAMES if is_learning(a))
METRIC_NAMES = ("aucprc", "rocauc", "f1", "gmean", "mcc", "balanced_accuracy")
TRANSFER_STEPS = 1500  # meta-training budget of the transfer samplers without --meta-train
RUNS_LOG = "runs.jsonl"  # one JSON line per finished split, in the output folder


class PreflightError(ValueError):
    """The request cannot run (bad output folder, unloadable dataset): raised before any fit."""


@dataclass
class EvalConfig:
    """Everything that determines an evaluation's numbers (saved with the results)."""

    experiment: str = "eil"
    datasets: tuple[str, ...] = ("digits", "toy-less", "toy-mid", "toy-highly")
    runs: int = 10
    seed: int = 0
    ks: tuple[int, ...] | None = None
    noises: tuple[float, ...] | None = None
    learners: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = None
    metrics: tuple[str, ...] | None = None
    checkpoint: str | None = None
    meta_train: int = 0
    meta_train_k: int = 10
    meta_algo: str = "sac"
    meta_env: dict[str, Any] = field(default_factory=dict)  # e.g. {"progress_obs": True}
    meta_hp: dict[str, Any] = field(default_factory=dict)  # e.g. {"gamma": 0.99}
    sources: tuple[str, ...] = ("digits", "toy-less")
    n_jobs: int = 1

    def resolved(self) -> EvalConfig:
        """Fill unset fields from the experiment's defaults and check them."""
        if self.experiment not in EXPERIMENTS:
            raise ValueError(f"unknown experiment {self.experiment!r}; one of {list(EXPERIMENTS)}")
        exp = EXPERIMENTS[self.experiment]
        out = EvalConfig(**{**asdict(self)})
        out.ks = tuple(self.ks or exp.ks)
        out.noises = tuple(self.noises if self.noises is not None else exp.noises)
        out.learners = tuple(self.learners or exp.learners)
        out.methods = tuple(self.methods or exp.methods)
        if self.experiment == "transfer" and not self.methods:
            others = tuple(f"mesa@{s}" for s in self.sources if s not in self.datasets)
            out.methods = out.methods + others
        out.metrics = tuple(self.metrics or exp.metrics)
        bad = [m for m in out.metrics if m not in METRIC_NAMES]
        if bad:
            raise ValueError(f"unknown metric(s) {bad}; choose from {METRIC_NAMES}")
        if self.runs < 1:
            raise ValueError(f"runs must be >= 1; got {self.runs}")
        if self.meta_algo not in META_ALGOS:
            raise ValueError(
                f"meta_algo must be a learning agent ({', '.join(META_ALGOS)}); "
                f"got {self.meta_algo!r}"
            )
        if any(k < 2 for k in out.ks):
            raise ValueError(f"every k must be >= 2; got {out.ks}")
        bad_noise = [n for n in out.noises if isinstance(n, bool) or not 0.0 <= n < 1.0]
        if bad_noise:
            raise ValueError(f"every label-noise ratio must be in [0, 1); got {bad_noise}")
        from mesa_baselines.learners import BASE_LEARNERS

        bad = [name for name in out.learners if name not in BASE_LEARNERS]
        if bad:
            raise ValueError(f"unknown base learner(s) {bad}; choose from {BASE_LEARNERS}")
        out.meta_env = _checked_env(self.meta_env)
        from mesa_evaluation.methods import method_names

        unknown = [m for m in out.methods if method_spec(m) is None]  # the method registry
        if unknown:
            known = ", ".join(method_names())
            raise ValueError(f"unknown method(s) {unknown}; choose from {known}")
        _check_warm_up(out)
        return out


def _checked_env(env: dict[str, Any]) -> dict[str, Any]:
    """``meta_env`` with known keys and the right types: a boolean setting is a real bool."""
    from agents.training import env_settings
    from mesa_env.settings import EnvSettings

    env_settings(**env)  # unknown keys → ValueError naming them
    checked = {}
    for key, value in env.items():
        kind = EnvSettings.field_type(key)
        if value is None:
            pass
        elif kind == "bool" and not isinstance(value, bool):
            if not (isinstance(value, str) and value.lower() in ("true", "false")):
                raise ValueError(f"meta_env {key} must be true or false; got {value!r}")
            value = value.lower() == "true"  # "False" means False, never a truthy string
        elif kind in ("int", "float") and (
            isinstance(value, bool) or not isinstance(value, (int, float, np.number))
        ):
            raise ValueError(f"meta_env {key} must be a number; got {value!r}")
        checked[key] = value
    return checked


def _check_warm_up(cfg: EvalConfig) -> None:
    """Refuse a meta-training budget an off-policy agent spends entirely on random actions."""
    from agents.sb3_agents import ON_POLICY, default_hyperparameters
    from agents.training import set_by_path

    budgets = []
    if cfg.meta_train and "mesa" in cfg.methods:
        budgets.append(cfg.meta_train)
    if any(m.startswith("mesa@") for m in cfg.methods):
        budgets.append(cfg.meta_train or TRANSFER_STEPS)
    if not budgets or cfg.meta_algo in ON_POLICY:
        return
    hp = default_hyperparameters(cfg.meta_algo, 1, cfg.meta_train_k)
    for key, value in cfg.meta_hp.items():
        set_by_path(hp, key, value)
    warm_up = hp.get("learning_starts", 0)
    if isinstance(warm_up, bool) or not isinstance(warm_up, (int, float, np.number)):
        raise ValueError(f"meta_hp learning_starts must be a number; got {warm_up!r}")
    steps = min(budgets)
    if steps <= warm_up:
        flag = f"--meta-train {steps}" if cfg.meta_train else f"the transfer default of {steps}"
        raise ValueError(
            f"{flag} is not more than {cfg.meta_algo.upper()}'s {warm_up} warm-up steps of "
            f"random actions (learning_starts): the sampler would be untrained; use more than "
            f"{warm_up} steps or --meta-hp learning_starts=N with N < {steps}"
        )


def score(metric: str, y_true: np.ndarray, proba: np.ndarray) -> float:
    """One test metric of the minority-class probabilities (thresholds at 0.5)."""
    from mesa_env.metrics import METRICS

    if metric == "balanced_accuracy":  # Zhao et al. (2023)'s "AUC" from hard labels
        pred = proba > 0.5
        truth = y_true.astype(bool)
        tpr = np.mean(pred[truth]) if truth.any() else 0.0
        tnr = np.mean(~pred[~truth]) if (~truth).any() else 0.0
        return float((tpr + tnr) / 2)
    return METRICS[metric](y_true, proba)


def _split_task(dataset: str, run: int, noise: float, cfg: EvalConfig) -> Any:
    from mesa_env.data import Task, make_task

    if EXPERIMENTS[cfg.experiment].split == "60/20/20":
        return make_task(dataset, split_seed=cfg.seed + run, label_noise=noise)
    # 85/15 (Zhao et al.): 5 stratified splits, each run 10 times: split = run // 10.
    from sklearn.model_selection import train_test_split

    from mesa_env.data import add_label_noise, binarize_labels, load_dataset

    X, y, name = load_dataset(dataset)
    y01, classes = binarize_labels(y)
    split_seed = cfg.seed + run // 10
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y01, test_size=0.15, stratify=y01, random_state=split_seed
    )
    if noise:
        # The noise is in the data one has: the whole 85 %, which the baselines train on. MESA's
        # fit and validation parts are carved from it, so every method sees the same labels.
        y_tr = add_label_noise(y_tr, noise, np.random.default_rng(split_seed))
    # MESA's validation split is carved from the training part, as MesaClassifier does.
    X_fit, X_va, y_fit, y_va = train_test_split(
        X_tr, y_tr, test_size=0.2, stratify=y_tr, random_state=split_seed
    )
    task = Task(name, X_fit, y_fit, X_va, y_va, X_te, y_te, classes)
    task.info["full_train"] = (X_tr, y_tr)
    return task


def _sampler_for(task: Any, cfg: EvalConfig, seed: int) -> Any:
    """The split's MESA sampler: a checkpoint, one meta-trained here, or the shipped default."""
    if cfg.meta_train:
        from agents.training import meta_train

        result = meta_train(
            cfg.meta_algo,
            [(task.X_train, task.y_train, task.X_valid, task.y_valid)],
            total_timesteps=cfg.meta_train,
            seed=seed,
            hyperparameters=dict(cfg.meta_hp),
            env_kwargs={"n_estimators": cfg.meta_train_k, **cfg.meta_env},
            tensorboard_log=None,
            save=None,
            eval_episodes=0,
        )
        return result.agent
    from agents.classifier import DEFAULT_SAMPLER
    from agents.sampler_file import load_sampler

    return load_sampler(cfg.checkpoint or DEFAULT_SAMPLER)


_SOURCE_SAMPLERS: dict[tuple[Any, ...], Any] = {}  # (source, steps, seed, algo, env, hp)


def _transfer_sampler(method: str, task: Any, cfg: EvalConfig, seed: int) -> Any:
    """Table 4's samplers.

    Meta-trained on this split's training data (``mesa@self``), on a stratified 50 %/10 % of
    it (``mesa@50%``), or on another task (``mesa@<name>``, its own 60/20/20 split, trained
    once per process and reused).
    """
    from agents.training import meta_train

    steps = cfg.meta_train or TRANSFER_STEPS
    source = method.split("@", 1)[1]
    env = {"n_estimators": cfg.meta_train_k, **cfg.meta_env}
    if source in ("self", "50%", "10%"):
        env["train_ratio"] = {"self": 1.0, "50%": 0.5, "10%": 0.1}[source]
        env["split_seed"] = seed
        datasets = [(task.X_train, task.y_train, task.X_valid, task.y_valid)]
    else:
        key = (source, steps, cfg.seed, cfg.meta_algo, repr(cfg.meta_env), repr(cfg.meta_hp))
        if key in _SOURCE_SAMPLERS:
            return _SOURCE_SAMPLERS[key]
        datasets = [source]
        env["split_seed"] = cfg.seed
    result = meta_train(
        cfg.meta_algo, datasets, total_timesteps=steps, seed=cfg.seed if source not in
        ("self", "50%", "10%") else seed, hyperparameters=dict(cfg.meta_hp), env_kwargs=env,
        tensorboard_log=None, save=None, eval_episodes=0,
    )  # fmt: skip
    if source not in ("self", "50%", "10%"):
        _SOURCE_SAMPLERS[key] = result.agent
    return result.agent


def _random_policy(seed: int) -> Any:
    """A randomly initialised SAC actor with the preset's architecture (Table 6)."""
    from agents.sb3_agents import SB3Agent, default_hyperparameters, rescale_env
    from mesa_env import MesaEnv

    env = rescale_env(MesaEnv(dataset="toy-less", n_estimators=2))
    return SB3Agent.create("sac", env, default_hyperparameters("sac"), 1500, seed=seed)


def run_split(dataset: str, run: int, noise: float, cfg: EvalConfig) -> list[dict[str, Any]]:
    """Fit and score every method × k × learner on one split; one row each."""
    import torch

    torch.set_num_threads(1)  # same numbers whatever n_jobs is
    task = _split_task(dataset, run, noise, cfg)
    seed = cfg.seed + 1000 * run + round(noise * 100)
    needs_sampler = any(needs_split_sampler(m) for m in cfg.methods)
    context = {"sampler": _sampler_for(task, cfg, seed) if needs_sampler else None}
    context["random_policy"] = _random_policy
    for method in cfg.methods:
        if method.startswith("mesa@"):
            context[method] = _transfer_sampler(method, task, cfg, seed)
    rows = []
    for method in cfg.methods:
        for learner in cfg.learners:
            for k in cfg.ks:
                fit_task = task
                if EXPERIMENTS[cfg.experiment].split == "85/15" and not _uses_validation(method):
                    fit_task = _with_full_train(task)
                result = fit_method(method, fit_task, k, seed, learner=learner, context=context)
                row = {
                    "dataset": dataset,
                    "run": run,
                    "noise": noise,
                    "method": method,
                    "k": k,
                    "learner": learner,
                    "n_training_samples": result.n_training_samples,
                    "fit_seconds": result.fit_seconds,
                    "resample_seconds": result.resample_seconds,
                }
                for metric in cfg.metrics:
                    row[metric] = score(metric, task.y_test, result.proba)
                if result.valid_proba is not None and fit_task is task:
                    # for choosing among methods on validation (the ablation's gap); not a
                    # held-out score for MESA variants, whose reward or tuning saw it
                    row["valid_score"] = score(cfg.metrics[0], task.y_valid, result.valid_proba)
                if result.extra:
                    row.update(result.extra)
                rows.append(row)
    return rows


def _uses_validation(method: str) -> bool:
    return uses_validation(method)  # one list, in methods.py: fit_method reads it too


def _with_full_train(task: Any) -> Any:
    """Baselines of the 85/15 setup train on the whole 85 % (no validation split needed)."""
    from dataclasses import replace

    X_tr, y_tr = task.info["full_train"]
    return replace(task, X_train=X_tr, y_train=y_tr)


def preflight(cfg: EvalConfig, out: str | Path | None = None) -> None:
    """Check what only shows at run time, before any fit.

    ``out`` is (or can be made) a writable folder, and every dataset and transfer source loads
    and splits. Raises :class:`PreflightError`.
    """
    if out is not None:
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
                pass
        except OSError as error:
            raise PreflightError(
                f"output folder {str(folder)!r} is not a writable folder ({error}); nothing was run"
            ) from error
    from mesa_env.data import make_task
    from mesa_evaluation.methods import load_file_sampler

    for method in cfg.methods:
        if method.startswith("sampler:"):
            try:
                load_file_sampler(method.split(":", 1)[1])
            except (OSError, ValueError) as error:
                raise PreflightError(f"method {method!r}: {error}; nothing was run") from error
    sources = [m.split("@", 1)[1] for m in cfg.methods if m.startswith("mesa@")]
    sources = [s for s in sources if s not in ("self", "50%", "10%")]
    for name in dict.fromkeys([*cfg.datasets, *sources]):
        try:
            if name in cfg.datasets:
                _split_task(name, 0, 0.0, cfg)  # what every split of it does first
            else:
                make_task(name, split_seed=cfg.seed)  # a transfer source's own split
        except Exception as error:
            raise PreflightError(
                f"dataset {name!r} cannot be used ({type(error).__name__}: {error}); "
                "nothing was run"
            ) from error


def config_id(cfg: EvalConfig) -> str:
    """A short hash of everything that determines the numbers (``n_jobs`` does not)."""
    data = {k: v for k, v in asdict(cfg).items() if k != "n_jobs"}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


class _RunsLog:
    """Writer of ``runs.jsonl``.

    A ``start`` line per evaluation, then one ``split`` line (its rows) per finished split,
    each flushed to disk at once. Appended to, never truncated.
    """

    def __init__(self, out: Path, cfg_id: str) -> None:
        self.path = out / RUNS_LOG
        self.cfg_id = cfg_id

    def recorded(self) -> dict[tuple[str, int, float], list[dict[str, Any]]]:
        """Rows of the splits recorded for this config (the last record of a split wins)."""
        done: dict[tuple[str, int, float], list[dict[str, Any]]] = {}
        if not self.path.is_file():
            return done
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a crash
                continue
            if entry.get("type") == "split" and entry.get("config_id") == self.cfg_id:
                done[(entry["dataset"], int(entry["run"]), float(entry["noise"]))] = entry["rows"]
        return done

    def write(self, entry: dict[str, Any]) -> None:
        """Append one line and flush it to disk."""
        import os

        line = json.dumps({**entry, "config_id": self.cfg_id}, default=_json_default)
        with open(self.path, "a") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def _run_job(index: int, dataset: str, run: int, noise: float, cfg: EvalConfig) -> tuple:
    start = time.perf_counter()
    return index, run_split(dataset, run, noise, cfg), time.perf_counter() - start


def evaluate(
    config: EvalConfig | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    resume: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """Run an experiment; return ``{"config", "metadata", "rows", "tables", "seconds"}``.

    Keyword arguments override :class:`EvalConfig` fields. The configuration is checked and
    :func:`preflight` run before any fit. With ``out``, each finished split is appended to
    ``out/runs.jsonl`` at once, and ``results.csv``, ``results.json``, ``table.md`` and figures
    are written at the end; ``resume=True`` skips the splits ``runs.jsonl`` already holds for
    this configuration (same :func:`config_id`; the code version is not compared).
    """
    from joblib import Parallel, delayed

    from mesa_evaluation.report import provenance

    cfg = EvalConfig(**{**asdict(config or EvalConfig()), **overrides}).resolved()
    preflight(cfg, out)
    runs = cfg.runs * (10 if EXPERIMENTS[cfg.experiment].split == "85/15" else 1)
    jobs = [(d, r, n) for d in cfg.datasets for n in cfg.noises for r in range(runs)]
    metadata = provenance()
    cfg_id = config_id(cfg)
    log = _RunsLog(Path(out), cfg_id) if out is not None else None
    recorded = log.recorded() if log is not None and resume else {}
    by_index = {
        i: recorded[(d, r, float(n))]
        for i, (d, r, n) in enumerate(jobs)
        if (d, r, float(n)) in recorded
    }
    metadata.update(config_id=cfg_id, resumed_splits=len(by_index))
    if log is not None:
        log.write({"type": "start", "time": _now(), "config": asdict(cfg), "metadata": metadata})
    todo = [(i, job) for i, job in enumerate(jobs) if i not in by_index]
    start = time.perf_counter()
    results = Parallel(n_jobs=cfg.n_jobs, return_as="generator_unordered")(
        delayed(_run_job)(i, d, r, n, cfg) for i, (d, r, n) in todo
    )
    if progress:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(todo), desc=f"{cfg.experiment}", unit="split")
    for index, split_rows, seconds in results:
        by_index[index] = split_rows
        if log is not None:
            d, r, n = jobs[index]
            log.write({"type": "split", "time": _now(), "dataset": d, "run": r, "noise": n,
                       "seconds": seconds, "rows": split_rows})  # fmt: skip
    rows = [row for i in range(len(jobs)) for row in by_index[i]]  # job order, whatever n_jobs
    from mesa_evaluation.report import summarise, write_outputs

    report = {
        "config": asdict(cfg),
        "metadata": metadata,
        "rows": rows,
        "tables": summarise(rows, cfg),
        "seconds": time.perf_counter() - start,
    }
    if out is not None:
        write_outputs(report, Path(out), cfg)
    return report


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
