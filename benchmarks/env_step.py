"""How fast is ``Mesa-v0.step()``, and how close does it get to the work it cannot avoid?

A step must at least (paper Alg. 2 lines 7–8, Alg. 3 line 6) fit one base learner on the
balanced subset — every minority row plus |P| majority rows gathered from ``X_train`` — predict
once on the stacked train+valid+test rows (``Task.X_eval``, as the env does) and score the
validation split with ``mesa_env.metrics.average_precision``. That is the *physical limit*. The
benchmark times env steps and limit steps interleaved in one run (alternating which goes first),
with the limit fitting the very rows and seed the env's step just used, then reports
``ratio = step / limit``; the goal is ratio ≤ 1.15. A second, instrumented pass wraps the
functions a step calls (``time.perf_counter``, monkeypatch-style: nothing in ``mesa_env`` is
edited) and prints where the time goes, each part's exclusive time.

Run from the repository root::

    .venv/bin/python benchmarks/env_step.py           # 300 steps on digits, 60 on 30k rows
    .venv/bin/python benchmarks/env_step.py --quick   # a short smoke run
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

import mesa_env.env as env_module
from mesa_env import MesaEnv, Task
from mesa_env.ensemble import IncrementalEnsemble
from mesa_env.metrics import average_precision

N_ESTIMATORS = 10  # the env's default k: 9 steps per episode
RATIO_GOAL = 1.15


@dataclass
class Case:
    name: str
    dataset: Any
    steps: int


def cases(quick: bool) -> list[Case]:
    X, y = make_classification(n_samples=30_000, n_features=20, weights=[0.9], random_state=0)
    return [
        Case("digits", "digits", 60 if quick else 300),
        Case("synthetic 30k x 20", (X, y), 12 if quick else 60),
    ]


# --------------------------------------------------------------------------- the limit
def limit_step(task: Task, majority_rows: np.ndarray, seed: int) -> float:
    """Seconds for the unavoidable work of one step: fit on the subset, one stacked
    ``predict_proba``, one validation AUCPRC."""
    start = time.perf_counter()
    rows = np.concatenate([task.minority_index, majority_rows])
    tree = DecisionTreeClassifier(random_state=seed).fit(task.X_train[rows], task.y_train[rows])
    proba = tree.predict_proba(task.X_eval)[:, 1]
    average_precision(task.y_valid, proba[task.eval_slices["valid"]])
    return time.perf_counter() - start


@contextmanager
def capture_majority_positions() -> Iterator[dict[str, np.ndarray]]:
    """Remember which majority positions the env's last ``meta_sample`` returned (one extra
    Python call per step, well under a microsecond)."""
    captured: dict[str, np.ndarray] = {}
    original = env_module.meta_sample

    def capturing(*args: Any, **kwargs: Any) -> np.ndarray:
        captured["positions"] = out = original(*args, **kwargs)
        return out

    env_module.meta_sample = capturing
    try:
        yield captured
    finally:
        env_module.meta_sample = original


def make_env(case: Case, seed: int) -> MesaEnv:
    env = MesaEnv(case.dataset, base_estimator=DecisionTreeClassifier(), n_estimators=N_ESTIMATORS)
    env.reset(seed=seed)
    return env


def next_action(env: MesaEnv, rng: np.random.Generator) -> np.ndarray:
    """μ ~ U(0, 1), as an untrained sampler would act; resets (untimed) between episodes."""
    if len(env.ensemble) >= env.n_estimators:
        env.reset()
    return rng.random(1, dtype=np.float32)


def measure_ratio(case: Case, seed: int) -> tuple[list[float], list[float], Task]:
    """Env step times and limit times, interleaved: even steps env-then-limit on the rows the
    env just used, odd steps limit-then-env on the previous step's rows."""
    env = make_env(case, seed)
    rng = np.random.default_rng(seed)
    step_times: list[float] = []
    limit_times: list[float] = []
    with capture_majority_positions() as captured:
        for _ in range(N_ESTIMATORS):  # warm-up: caches, allocator, lazy imports
            env.step(next_action(env, rng))
        last = None
        for i in range(case.steps):
            action = next_action(env, rng)
            if i % 2 and last is not None:
                limit_times.append(limit_step(*last))
            start = time.perf_counter()
            env.step(action)
            step_times.append(time.perf_counter() - start)
            task = env.task
            rows = task.majority_index[captured["positions"]]
            last = (task, rows, env.ensemble.estimators[-1].random_state)
            if i % 2 == 0:
                limit_times.append(limit_step(*last))
    return step_times, limit_times, env.task


# --------------------------------------------------------------------------- the breakdown
class Profiler:
    """Exclusive ``perf_counter`` time per label, per env step, of wrapped functions."""

    def __init__(self) -> None:
        self._stack: list[float] = []
        self._undo: list[tuple[Any, str, Any]] = []
        self.current: dict[str, float] = defaultdict(float)
        self.steps: list[dict[str, float]] = []

    def wrap(self, owner: Any, name: str, label: str | Callable[[tuple], str]) -> None:
        original = getattr(owner, name)
        stack, profiler = self._stack, self

        def timed(*args: Any, **kwargs: Any) -> Any:
            stack.append(0.0)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                inclusive = time.perf_counter() - start
                children = stack.pop()
                key = label(args) if callable(label) else label
                profiler.current[key] += inclusive - children
                if stack:
                    stack[-1] += inclusive

        self._undo.append((owner, name, owner.__dict__.get(name, original)))
        setattr(owner, name, timed)

    def end_step(self) -> None:
        self.steps.append(dict(self.current))
        self.current.clear()

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


#: (owner, attribute, label, counts toward the physical limit)
PARTS: list[tuple[Any, str, Any, bool]] = [
    (MesaEnv, "step", "step body (action check, reward, flags)", False),
    (env_module, "meta_sample", "sampling (Alg. 1, Eq. 3)", False),
    (MesaEnv, "_fit_member", "gather subset rows + member seed", True),
    (IncrementalEnsemble, "fit_member", "clone + set_params", False),
    (DecisionTreeClassifier, "fit", "fit", True),
    (DecisionTreeClassifier, "predict_proba", "predict_proba (stacked rows)", True),
    (IncrementalEnsemble, "add", "running-mean update", False),
    (MesaEnv, "_score_split", lambda args: f"metric[{args[1]}]", None),
    (MesaEnv, "_observation", "errors |F(x) − y|", False),
    (env_module, "meta_state", "histograms (Eqs. 1–2)", False),
    (MesaEnv, "_info", "info dict", False),
]


def measure_breakdown(case: Case, seed: int) -> list[dict[str, float]]:
    env = make_env(case, seed)
    rng = np.random.default_rng(seed)
    profiler = Profiler()
    for owner, name, label, _ in PARTS:
        profiler.wrap(owner, name, label)
    try:
        for _ in range(N_ESTIMATORS):
            env.step(next_action(env, rng))
        profiler.steps.clear()
        profiler.current.clear()
        for _ in range(case.steps):
            action = next_action(env, rng)
            profiler.current.clear()  # drop what reset() recorded
            env.step(action)
            profiler.end_step()
    finally:
        profiler.restore()
    return profiler.steps


# --------------------------------------------------------------------------- report
def ms(seconds: float) -> str:
    return f"{1e3 * seconds:9.3f}"


def report(
    case: Case,
    task: Task,
    step_times: list[float],
    limit_times: list[float],
    parts: list[dict[str, float]],
) -> None:
    print(
        f"\n=== {case.name}: train {task.y_train.size} rows (|P| = {task.n_minority}), "
        f"eval {task.X_eval.shape[0]} x {task.X_eval.shape[1]}, "
        f"DecisionTreeClassifier, {len(step_times)} steps ==="
    )
    mean_step, mean_limit = statistics.fmean(step_times), statistics.fmean(limit_times)
    med_step, med_limit = statistics.median(step_times), statistics.median(limit_times)
    print(f"{'':24}{'mean ms':>10}{'median ms':>11}")
    print(f"{'env step':24}{ms(mean_step):>10}{ms(med_step):>11}")
    print(f"{'physical limit':24}{ms(mean_limit):>10}{ms(med_limit):>11}")
    ratio, med_ratio = mean_step / mean_limit, med_step / med_limit
    verdict = "meets" if ratio <= RATIO_GOAL else "misses"
    print(
        f"ratio step/limit: mean {ratio:.3f}, median {med_ratio:.3f} "
        f"({verdict} the goal <= {RATIO_GOAL})"
    )
    print(f"env steps per second: {1 / mean_step:.1f} (median {1 / med_step:.1f})")

    labels = sorted({k for step in parts for k in step}, key=_part_order)
    totals = [sum(step.values()) for step in parts]
    mean_total = statistics.fmean(totals)
    print(
        f"\nbreakdown of an instrumented step ({len(parts)} steps; exclusive time; "
        f"instrumented step mean {ms(mean_total).strip()} ms):"
    )
    print(f"{'part':42}{'mean ms':>10}{'median ms':>11}{'share':>8}  in limit")
    overhead = 0.0
    for label in labels:
        values = [step.get(label, 0.0) for step in parts]
        mean = statistics.fmean(values)
        in_limit = _in_limit(label)
        if not in_limit:
            overhead += mean
        print(
            f"{label:42}{ms(mean):>10}{ms(statistics.median(values)):>11}"
            f"{100 * mean / mean_total:7.1f}%  {'yes' if in_limit else 'no'}"
        )
    print(
        f"{'beyond the limit (sum of the no rows)':42}{ms(overhead):>10}"
        f"{'':11}{100 * overhead / mean_total:7.1f}%"
    )


def _part_order(label: str) -> int:
    order = [p[2] if isinstance(p[2], str) else "metric[" for p in PARTS]
    for i, prefix in enumerate(order):
        if label.startswith(prefix):
            return i * 10 + ("valid" not in label)
    return len(order) * 10


def _in_limit(label: str) -> bool:
    if label.startswith("metric["):
        return label == "metric[valid]"
    return next(flag for _, _, lab, flag in PARTS if lab == label)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (60 / 12 steps)")
    parser.add_argument("--seed", type=int, default=0, help="env seed and action seed")
    args = parser.parse_args(argv)
    for case in cases(args.quick):
        step_times, limit_times, task = measure_ratio(case, args.seed)
        parts = measure_breakdown(case, args.seed)
        report(case, task, step_times, limit_times, parts)


if __name__ == "__main__":
    main()
