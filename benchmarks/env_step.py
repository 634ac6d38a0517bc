"""How fast is ``Mesa-v0.step()``, and how close does it get to the work it cannot avoid?

A step must at least (paper Alg. 2 lines 7–8, Alg. 3 line 6) fit one base learner on the
balanced subset — every minority row plus |P| majority rows gathered from ``X_train`` — predict
once on the stacked train+valid+test rows (``Task.X_eval``, as the env does; for trees by the
fastest correct route, scikit-learn's builder and ``tree_.apply``) and score the validation
split with ``mesa_env.metrics.average_precision``. That is the *physical limit*. The benchmark
times env steps and limit steps interleaved in one run (alternating which goes first),
with the limit fitting the very rows and seed the env's step just used, then reports
``ratio = step / limit``; the goal is ratio ≤ 1.15 for every base learner. It does so for four
base learners (decision tree, Gaussian naive Bayes, k-NN, logistic regression) on two problems
(digits and a 30,000-row synthetic set). A second, instrumented pass wraps the functions a step
calls (``time.perf_counter``, monkeypatch-style: nothing in ``mesa_env`` is edited) and prints
where the time goes, each part's exclusive time.

Run from the repository root::

    .venv/bin/python benchmarks/env_step.py                  # every learner, both problems
    .venv/bin/python benchmarks/env_step.py --quick          # a short smoke run
    .venv/bin/python benchmarks/env_step.py --repeat 3       # 3 runs, median ratios
    .venv/bin/python benchmarks/env_step.py --learner nb --problem 30k --breakdown
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

import mesa_env.ensemble as ensemble_module
import mesa_env.env as env_module
from mesa_env import MesaEnv, Task
from mesa_env.ensemble import UNCHECKED_TREES, IncrementalEnsemble
from mesa_env.metrics import average_precision
from mesa_env.tree_refit import TreeRefitter, cached_refitter

N_ESTIMATORS = 10  # the env's default k: 9 steps per episode
#: The clock every timing reads: wall time by default, process CPU time with ``--clock cpu``
#: (steadier when other jobs share the cores: time spent descheduled is not counted).
clock: Callable[[], float] = time.perf_counter
RATIO_GOAL = 1.15

#: Short name → (base learner, steps on digits, steps on 30k; full run). ``--quick`` runs 1/5.
LEARNERS: dict[str, tuple[Callable[[], Any], int, int]] = {
    "tree": (DecisionTreeClassifier, 300, 60),
    "nb": (GaussianNB, 300, 60),
    "knn": (KNeighborsClassifier, 100, 10),
    "logreg": (lambda: LogisticRegression(max_iter=1000), 30, 30),
}


@dataclass
class Case:
    """One (problem, base learner) pair and how many timed steps it gets."""

    problem: str
    dataset: Any
    learner_name: str
    learner: Any
    steps: int

    @property
    def name(self) -> str:
        """``problem / LearnerClass``."""
        return f"{self.problem} / {type(self.learner).__name__}"


def cases(quick: bool, learners: list[str], problems: list[str]) -> list[Case]:
    """The (problem, learner) grid, problems outermost."""
    X, y = make_classification(n_samples=30_000, n_features=20, weights=[0.9], random_state=0)
    datasets = {"digits": "digits", "30k": (X, y)}
    out = []
    for problem in problems:
        for name in learners:
            factory, digits_steps, big_steps = LEARNERS[name]
            steps = digits_steps if problem == "digits" else big_steps
            steps = max(4, steps // 5) if quick else steps
            out.append(Case(problem, datasets[problem], name, factory(), steps))
    return out


# --------------------------------------------------------------------------- the limit
def limit_step(task: Task, majority_rows: np.ndarray, learner: Any) -> float:
    """Seconds for the unavoidable work of one step.

    That is: fit on the subset, one stacked prediction of the positive class, one validation
    AUCPRC. ``learner`` is a fresh, unfitted copy.

    scikit-learn's input checks (finite scan, parameter validation) are not physical work: the
    limit runs without them (``config_context`` entered before the clock starts), as the env's
    members do after an episode's first fit (``IncrementalEnsemble.fit_member``). Single trees
    compute on float32 and take ``check_input=False``: the limit hands them float32 rows
    unchecked, the stacked rows cast once per task (outside the clock, as the env casts them once
    per task). For trees the fastest correct fit we have is scikit-learn's algorithm grown on
    presorted features without ``fit``'s per-call Python (:class:`~mesa_env.tree_refit.
    TreeRefitter` with the compiled ``mesa_env._tree_builder``, verified byte for byte against
    ``fit``; scikit-learn's own builder where that does not apply) and the fastest prediction
    the leaves' class-1 fractions at ``tree_.apply``: the limit uses both, as the env does.
    """
    unchecked = type(learner) in UNCHECKED_TREES
    X_eval = _float32_eval_rows(task) if unchecked else task.X_eval
    refitter = cached_refitter(learner, task.X_train.shape[1]) if unchecked else None
    kwargs = {"check_input": False} if unchecked else {}
    with config_context(assume_finite=True, skip_parameter_validation=True):
        start = clock()
        rows = np.concatenate([task.minority_index, majority_rows])
        X = task.X_train[rows]
        if refitter is not None:
            refitter.fit(learner, np.ascontiguousarray(X, np.float32), task.y_train[rows])
            tree = learner.tree_
            proba = tree.value[:, 0, 1].take(tree.apply(X_eval))
        else:
            learner.fit(
                np.ascontiguousarray(X, np.float32) if unchecked else X,
                task.y_train[rows],
                **kwargs,
            )
            proba = learner.predict_proba(X_eval, **kwargs)[:, 1]
        average_precision(task.y_valid, proba[task.eval_slices["valid"]])
        return clock() - start


_FLOAT32_ROWS: dict[int, tuple[Task, np.ndarray]] = {}


def _float32_eval_rows(task: Task) -> np.ndarray:
    """``task.X_eval`` as C-contiguous float32, cast once per task."""
    cached = _FLOAT32_ROWS.get(id(task))
    if cached is None or cached[0] is not task:
        cached = _FLOAT32_ROWS[id(task)] = (task, np.ascontiguousarray(task.X_eval, np.float32))
    return cached[1]


def fresh_copy(learner: Any, seed: int | None) -> Any:
    """An unfitted learner with the parameters (and seed) of the env's last member."""
    params = learner.get_params(deep=False)
    if "random_state" in params:
        params["random_state"] = seed
    return type(learner)(**params)


@contextmanager
def capture_majority_positions() -> Iterator[dict[str, np.ndarray]]:
    """Remember which majority positions the env's last ``meta_sample`` returned.

    This costs one extra Python call per step, well under a microsecond.
    """
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
    """The default ``Mesa-v0`` settings with the case's data and learner, reset once."""
    env = MesaEnv(case.dataset, base_estimator=case.learner, n_estimators=N_ESTIMATORS)
    env.reset(seed=seed)
    return env


def next_action(env: MesaEnv, rng: np.random.Generator) -> np.ndarray:
    """μ ~ U(0, 1), as an untrained sampler would act; resets (untimed) between episodes."""
    if len(env.ensemble) >= env.n_estimators:
        env.reset()
    return rng.random(1, dtype=np.float32)


def private_copy(task: Task) -> Task:
    """The task with its own copies of every array, for the limit steps.

    The limit fits the rows the env just gathered; reading them from the env's own ``X_train``
    would find them in the CPU caches the env just warmed (on the 30k set a cold gather of
    3,700 random rows costs a few hundred microseconds). On its own copies the limit's caches
    are exactly as warm or cold as the env's: each last touched what its previous step read.
    """
    arrays = {
        name: None if getattr(task, name) is None else getattr(task, name).copy()
        for name in ("X_train", "y_train", "X_valid", "y_valid", "X_test", "y_test")
    }
    return dataclasses.replace(task, **arrays)


def measure_ratio(case: Case, seed: int) -> tuple[list[float], list[float], Task]:
    """Env step times and limit times, interleaved.

    Even steps run env-then-limit on the rows the env just used, odd steps limit-then-env on
    the previous step's rows; the limit reads its own copy of the data (``private_copy``).
    """
    env = make_env(case, seed)
    rng = np.random.default_rng(seed)
    step_times: list[float] = []
    limit_times: list[float] = []
    copies: dict[int, Task] = {}
    with capture_majority_positions() as captured:
        for _ in range(min(N_ESTIMATORS, case.steps)):  # warm-up: caches, lazy imports
            env.step(next_action(env, rng))
        last = None
        for i in range(case.steps):
            action = next_action(env, rng)
            if i % 2 and last is not None:
                limit_times.append(limit_step(last[0], last[1], fresh_copy(*last[2:])))
            start = clock()
            env.step(action)
            step_times.append(clock() - start)
            task = env.task
            rows = task.majority_index[captured["positions"]]
            member = env.ensemble.estimators[-1]
            limit_task = copies.setdefault(id(task), private_copy(task))
            last = (limit_task, rows, case.learner, getattr(member, "random_state", None))
            if i % 2 == 0:
                limit_times.append(limit_step(last[0], last[1], fresh_copy(*last[2:])))
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
        """Replace ``owner.name`` by a timing wrapper charging its exclusive time to ``label``."""
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

        self._undo.append((owner, name, owner.__dict__.get(name)))
        setattr(owner, name, timed)

    def end_step(self) -> None:
        """Close the current step's record."""
        self.steps.append(dict(self.current))
        self.current.clear()

    def restore(self) -> None:
        """Undo every wrap (an inherited attribute is deleted again, not copied down)."""
        for owner, name, original in reversed(self._undo):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._undo.clear()


def parts(learner_class: type) -> list[tuple[Any, str, Any, bool]]:
    """(owner, attribute, label, counts toward the physical limit) of a step's parts."""
    return [
        (MesaEnv, "step", "step body (action check, reward, flags)", False),
        (env_module, "meta_sample", "sampling (Alg. 1, Eq. 3)", False),
        (MesaEnv, "_fit_member", "gather subset rows + member seed", True),
        (IncrementalEnsemble, "fit_member", "new member (clone + seed)", False),
        (learner_class, "fit", "fit", True),
        (TreeRefitter, "fit", "fit (tree: TreeRefitter)", True),
        (learner_class, "predict_proba", "predict_proba (stacked rows)", True),
        (IncrementalEnsemble, "_add_refitted", "tree_.apply leaf fractions + mean", True),
        (ensemble_module, "positive_proba", "predict_proba output check", False),
        (IncrementalEnsemble, "add", "running-mean update", False),
        (MesaEnv, "_score_split", lambda args: f"metric[{args[1]}]", None),
        (MesaEnv, "_observation", "observation (call, progress)", False),
        (env_module, "split_label_error_histograms", "errors + histograms (Eqs. 1–2)", False),
        (MesaEnv, "_info", "info dict", False),
    ]


def measure_breakdown(case: Case, seed: int) -> list[dict[str, float]]:
    """Per-step exclusive times of each part, over the case's steps."""
    env = make_env(case, seed)
    rng = np.random.default_rng(seed)
    profiler = Profiler()
    for owner, name, label, _ in parts(type(case.learner)):
        profiler.wrap(owner, name, label)
    try:
        for _ in range(min(N_ESTIMATORS, case.steps)):
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
    """Seconds as a right-aligned millisecond string."""
    return f"{1e3 * seconds:9.3f}"


@dataclass
class Result:
    """One measurement of one case."""

    case: Case
    task: Task
    step_times: list[float]
    limit_times: list[float]

    @property
    def mean_ratio(self) -> float:
        """Mean step time over mean limit time."""
        return statistics.fmean(self.step_times) / statistics.fmean(self.limit_times)

    @property
    def median_ratio(self) -> float:
        """Median step time over median limit time (robust to a busy machine)."""
        return statistics.median(self.step_times) / statistics.median(self.limit_times)


def report_case(result: Result) -> None:
    """Times and ratio of one measurement."""
    task, step_times, limit_times = result.task, result.step_times, result.limit_times
    print(
        f"\n=== {result.case.name}: train {task.y_train.size} rows (|P| = {task.n_minority}), "
        f"eval {task.X_eval.shape[0]} x {task.X_eval.shape[1]}, {len(step_times)} steps ==="
    )
    mean_step, med_step = statistics.fmean(step_times), statistics.median(step_times)
    print(f"{'':24}{'mean ms':>10}{'median ms':>11}")
    print(f"{'env step':24}{ms(mean_step):>10}{ms(med_step):>11}")
    print(
        f"{'physical limit':24}{ms(statistics.fmean(limit_times)):>10}"
        f"{ms(statistics.median(limit_times)):>11}"
    )
    verdict = "meets" if result.median_ratio <= RATIO_GOAL else "misses"
    print(
        f"ratio step/limit: mean {result.mean_ratio:.3f}, median {result.median_ratio:.3f} "
        f"({verdict} the goal <= {RATIO_GOAL}); env steps per second: {1 / mean_step:.1f}"
    )


def report_breakdown(case: Case, steps: list[dict[str, float]]) -> None:
    """Where an instrumented step's time goes, part by part."""
    table = parts(type(case.learner))
    labels = sorted({k for step in steps for k in step}, key=lambda lab: _part_order(lab, table))
    totals = [sum(step.values()) for step in steps]
    mean_total = statistics.fmean(totals)
    print(
        f"\nbreakdown of an instrumented step ({case.name}, {len(steps)} steps; exclusive time; "
        f"instrumented step mean {ms(mean_total).strip()} ms):"
    )
    print(f"{'part':42}{'mean ms':>10}{'median ms':>11}{'share':>8}  in limit")
    overhead = 0.0
    for label in labels:
        values = [step.get(label, 0.0) for step in steps]
        mean = statistics.fmean(values)
        in_limit = _in_limit(label, table)
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


def report_summary(results: dict[str, list[Result]]) -> None:
    """One row per case: median over repeats of the median and mean ratios."""
    header = f"{'step ms':>9}{'limit ms':>10}{'ratio (median)':>16}{'(mean)':>8}  goal"
    print(f"\n{'summary':30}{header}")
    for runs in results.values():
        step = statistics.median(statistics.median(r.step_times) for r in runs)
        limit = statistics.median(statistics.median(r.limit_times) for r in runs)
        median_ratio = statistics.median(r.median_ratio for r in runs)
        mean_ratio = statistics.median(r.mean_ratio for r in runs)
        verdict = "ok" if median_ratio <= RATIO_GOAL else "MISS"
        print(
            f"{runs[0].case.name:30}{ms(step):>9}{ms(limit):>10}{median_ratio:16.3f}"
            f"{mean_ratio:8.3f}  {verdict}"
        )
    print(
        f"(ratio = median env step / median limit step of one run; the median over "
        f"{len(next(iter(results.values())))} run(s))"
    )


def _part_order(label: str, table: list[tuple[Any, str, Any, bool]]) -> int:
    order = [p[2] if isinstance(p[2], str) else "metric[" for p in table]
    for i, prefix in enumerate(order):
        if label.startswith(prefix):
            return i * 10 + ("valid" not in label)
    return len(order) * 10


def _in_limit(label: str, table: list[tuple[Any, str, Any, bool]]) -> bool:
    if label.startswith("metric["):
        return label == "metric[valid]"
    return next(flag for _, _, lab, flag in table if lab == label)


def main(argv: list[str] | None = None) -> None:
    """Measure every requested (problem, learner) case and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (1/5 of the steps)")
    parser.add_argument("--seed", type=int, default=0, help="env seed and action seed")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; medians reported")
    parser.add_argument(
        "--learner", nargs="+", choices=list(LEARNERS), default=list(LEARNERS), help="learners"
    )
    parser.add_argument(
        "--problem", nargs="+", choices=["digits", "30k"], default=["digits", "30k"]
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="also print the instrumented breakdown"
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall time (perf_counter), or this process's CPU time (process_time) with BLAS and "
        "OpenMP limited to one thread",
    )
    args = parser.parse_args(argv)
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.clock == "cpu":  # CPU time of idle-spinning BLAS/OpenMP threads would count too
        threadpool_limits(limits=1)
    print(f"clock: {args.clock}; {args.repeat} run(s); steps: {'quick' if args.quick else 'full'}")
    warnings.simplefilter("ignore", ConvergenceWarning)  # logistic regression on raw digits
    results: dict[str, list[Result]] = {}
    for repeat in range(args.repeat):
        for case in cases(args.quick, args.learner, args.problem):
            step_times, limit_times, task = measure_ratio(case, args.seed + repeat)
            result = Result(case, task, step_times, limit_times)
            results.setdefault(case.name, []).append(result)
            report_case(result)
            if args.breakdown and repeat == 0:
                report_breakdown(case, measure_breakdown(case, args.seed))
    report_summary(results)


if __name__ == "__main__":
    main()
