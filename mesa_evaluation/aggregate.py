"""Scores across a task suite, aggregated the way RL researchers trust (Agarwal et al., 2021).

Per task: the mean test score over splits and its 95 % percentile-bootstrap interval. Across
tasks: the interquartile mean (IQM: the mean of the middle 50 % of all run × task scores pooled)
and the mean, each with a 95 % *stratified* bootstrap interval (splits resampled with
replacement within every task, tasks kept), plus the mean rank of each method over tasks.

These are rliable's definitions (``metrics.aggregate_iqm`` = ``scipy.stats.trim_mean(x, 0.25,
axis=None)``, ``library.get_interval_estimates`` with ``StratifiedBootstrap``, percentile
intervals). rliable itself is not a dependency: on today's packages its ``arch`` dependency fails
to import under pandas 3 (``deprecate_kwarg()`` signature), so the ~20 lines are here, tested
against the definitions.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from scipy.stats import rankdata, trim_mean

__all__ = [
    "aggregate_iqm",
    "score_matrices",
    "stratified_bootstrap_ci",
    "suite_markdown",
    "suite_summary",
]


def aggregate_iqm(scores: np.ndarray) -> float:
    """Interquartile mean of every entry of a (runs × tasks) matrix (rliable's IQM)."""
    return float(trim_mean(np.asarray(scores, dtype=float), proportiontocut=0.25, axis=None))


def stratified_bootstrap_ci(
    scores: np.ndarray,
    statistic: Any,
    reps: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of ``statistic`` over bootstrap resamples of a (runs × tasks) matrix.

    Runs are resampled with replacement independently within each task (column).
    """
    scores = np.asarray(scores, dtype=float)
    runs, tasks = scores.shape
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, runs, size=(reps, runs, tasks))
    columns = np.arange(tasks)
    values = np.array([statistic(scores[pick, columns]) for pick in picks])
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)


def score_matrices(
    rows: list[dict[str, Any]], metric: str
) -> tuple[dict[str, np.ndarray], list[str]]:
    """``{method: (runs × tasks) scores}`` and the task order, from evaluation rows.

    Every method must have the same runs on every task (a complete grid); otherwise the
    comparison would not be like for like, and a ``ValueError`` says which cell is missing.
    """
    cells: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        cells[row["method"]][row["dataset"]][int(row["run"])] = float(row[metric])
    tasks = sorted({d for per_task in cells.values() for d in per_task})
    runs = sorted({r for per_task in cells.values() for d in per_task.values() for r in d})
    matrices = {}
    for method, per_task in cells.items():
        matrix = np.full((len(runs), len(tasks)), np.nan)
        for j, task in enumerate(tasks):
            for i, run in enumerate(runs):
                if run not in per_task.get(task, {}):
                    raise ValueError(f"{method} has no {metric} for {task} run {run}")
                matrix[i, j] = per_task[task][run]
        matrices[method] = matrix
    return matrices, tasks


def suite_summary(
    rows: list[dict[str, Any]], metric: str, reps: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """Per-task means with 95 % bootstrap intervals, and per-method IQM, mean and mean rank."""
    matrices, tasks = score_matrices(rows, metric)
    methods = list(matrices)
    task_means = np.array([matrices[m].mean(axis=0) for m in methods])  # methods × tasks
    ranks = rankdata(-task_means, axis=0, method="average").mean(axis=1)
    per_task: dict[str, dict[str, dict[str, float]]] = {}
    aggregate: dict[str, dict[str, float]] = {}
    for i, method in enumerate(methods):
        matrix = matrices[method]
        per_task[method] = {}
        for j, task in enumerate(tasks):
            low, high = stratified_bootstrap_ci(matrix[:, [j]], np.mean, reps, seed=seed + j)
            per_task[method][task] = {"mean": float(matrix[:, j].mean()), "lo": low, "hi": high}
        iqm_lo, iqm_hi = stratified_bootstrap_ci(matrix, aggregate_iqm, reps, seed=seed)
        mean_lo, mean_hi = stratified_bootstrap_ci(matrix, np.mean, reps, seed=seed)
        aggregate[method] = {
            "iqm": aggregate_iqm(matrix),
            "iqm_lo": iqm_lo,
            "iqm_hi": iqm_hi,
            "mean": float(matrix.mean()),
            "mean_lo": mean_lo,
            "mean_hi": mean_hi,
            "mean_rank": float(ranks[i]),
            "runs": int(matrix.shape[0]),
        }
    return {"metric": metric, "tasks": tasks, "per_task": per_task, "aggregate": aggregate}


def suite_markdown(summary: dict[str, Any]) -> str:
    """The aggregate table (IQM, mean, mean rank) and the per-task table (tasks × methods)."""
    metric, tasks = summary["metric"], summary["tasks"]
    agg = summary["aggregate"]
    order = sorted(agg, key=lambda m: -agg[m]["iqm"])
    runs = next(iter(agg.values()))["runs"]
    lines = [
        f"### {metric} over {len(tasks)} tasks × {runs} splits: IQM and mean with 95 % "
        "stratified-bootstrap intervals, mean rank over tasks (1 = best)",
        "",
        "| method | IQM | mean | mean rank |",
        "|---|---|---|---|",
    ]
    best_rank = min(a["mean_rank"] for a in agg.values())
    for m in order:
        a = agg[m]
        rank = f"{a['mean_rank']:.2f}"
        rank = f"**{rank}**" if np.isclose(a["mean_rank"], best_rank) else rank
        lines.append(
            f"| {m} | {a['iqm']:.3f} [{a['iqm_lo']:.3f}, {a['iqm_hi']:.3f}] | "
            f"{a['mean']:.3f} [{a['mean_lo']:.3f}, {a['mean_hi']:.3f}] | {rank} |"
        )
    lines += ["", f"### {metric} per task: mean [95 % bootstrap interval] over splits", ""]
    lines.append("| task | " + " | ".join(order) + " |")
    lines.append("|---" * (len(order) + 1) + "|")
    for task in tasks:
        cells = [summary["per_task"][m][task] for m in order]
        best = max(c["mean"] for c in cells)
        texts = []
        for c in cells:
            text = f"{c['mean']:.3f} [{c['lo']:.2f}, {c['hi']:.2f}]"
            texts.append(f"**{text}**" if np.isclose(c["mean"], best) else text)
        lines.append(f"| {task.removeprefix('keel:')} | " + " | ".join(texts) + " |")
    return "\n".join(lines)
