"""Tables, files and figures of an evaluation: mean ± std per method and column, honestly.

The markdown table bolds the best mean per column and, where a dataset and method are the
paper's, prints the paper's number beside ours (``paper_results.json``, with its source).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from mesa_evaluation.experiments import EXPERIMENTS

__all__ = [
    "git_state",
    "learnability_gap",
    "markdown_tables",
    "paper_value",
    "provenance",
    "summarise",
    "write_outputs",
]

_PAPER = Path(__file__).with_name("paper_results.json")


def git_state(where: str | Path | None = None) -> dict[str, Any]:
    """``{"commit", "dirty"}`` of the git checkout holding this code (``None`` outside one).

    ``dirty`` says whether tracked files differ from the commit (untracked files are ignored).
    """
    import subprocess

    here = Path(where) if where is not None else Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(here), *args], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    # an installed copy inside some other repository (e.g. a venv in a checkout) is not its code
    tracked = where is not None or git("ls-files", "--error-unmatch", Path(__file__).name)
    commit = git("rev-parse", "HEAD") if tracked is not None else None
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def provenance() -> dict[str, Any]:
    """What produced a result besides its config: package versions, git commit, host, time."""
    import platform
    from datetime import datetime, timezone

    from agents.checkpoint import package_versions

    return {
        "packages": package_versions(),
        "git": git_state(),
        "platform": platform.platform(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def summarise(rows: list[dict[str, Any]], cfg: Any) -> dict[str, Any]:
    """``{metric: {method: {"dataset|col": {"mean", "std", "n"}}}}`` plus extra columns."""
    column = EXPERIMENTS[cfg.experiment].column
    tables: dict[str, Any] = {}
    for metric in [*cfg.metrics, "n_training_samples", "fit_seconds", "resample_seconds"]:
        groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            key = f"{row['dataset']}|{row[column]}"
            groups[row["method"]][key].append(float(row[metric]))
        tables[metric] = {
            method: {
                key: {"mean": float(np.mean(v)), "std": float(np.std(v)), "n": len(v)}
                for key, v in cols.items()
            }
            for method, cols in groups.items()
        }
    if cfg.experiment == "ablation" and "mesa" in cfg.methods:
        tables["gap"] = learnability_gap(rows, cfg.metrics[0])
    return tables


def learnability_gap(rows: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    """Learned sampler minus the best non-learned method, chosen on validation, scored on test.

    Per split (dataset × noise × run) the non-learned method with the highest ``valid_score``
    is picked and its test score subtracted from the learned sampler's (``mesa``); the gap is
    summarised over runs per ``"dataset|noise"``, with how often each method was picked.
    """
    splits: dict[tuple, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        if row.get("k") is not None:
            splits[(row["dataset"], row["noise"], row["run"], row["k"])][row["method"]] = row
    gaps: dict[str, list[float]] = defaultdict(list)
    picked: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (dataset, noise, _, _), methods in splits.items():
        learned = methods.get("mesa")
        rivals = [
            r
            for m, r in methods.items()
            if m != "mesa" and not m.startswith("mesa@") and "valid_score" in r
        ]
        if learned is None or not rivals:
            continue
        best = max(rivals, key=lambda r: r["valid_score"])  # first listed wins ties
        key = f"{dataset}|{noise}"
        gaps[key].append(float(learned[metric]) - float(best[metric]))
        picked[key][best["method"]] += 1
    return {
        key: {
            "mean": float(np.mean(v)),
            "std": float(np.std(v)),
            "n": len(v),
            "wins": int(np.sum(np.asarray(v) > 0)),
            "picked": dict(picked[key]),
        }
        for key, v in gaps.items()
    }


def paper_value(experiment: str, dataset: str, method: str, column: Any) -> float | None:
    """The paper's number for this cell, if the dataset and method are in its tables."""
    if not _PAPER.is_file():
        return None
    data = json.loads(_PAPER.read_text())
    table = data.get("experiments", {}).get(experiment, {})
    value = table.get(dataset, {}).get(method, {}).get(str(column))
    return float(value) if value is not None else None


def markdown_tables(report: dict[str, Any]) -> str:
    """One markdown table per metric: rows are methods, columns dataset × k/noise/learner."""
    cfg = report["config"]
    practitioner = cfg["experiment"] == "practitioner"
    timing = [_fit_seconds_markdown(report["rows"])] if practitioner and report["rows"] else []
    if cfg["experiment"] == "reference" or (practitioner and len(cfg["datasets"]) > 8):  # a suite
        from mesa_evaluation.aggregate import suite_markdown, suite_summary

        tables = [suite_markdown(suite_summary(report["rows"], m)) for m in cfg["metrics"]]
        return "\n\n".join([*tables, *timing])  # aggregate across tasks, then per task
    column = EXPERIMENTS[cfg["experiment"]].column
    out = [_metric_markdown(report, metric, column) for metric in cfg["metrics"]]
    if report["tables"].get("gap"):
        out.append(_gap_markdown(report["tables"]["gap"], cfg["metrics"][0]))
    out.extend(timing)
    sizes = report["tables"]["n_training_samples"]
    if cfg["experiment"] in ("oversampling", "resampling"):
        out.append(_training_sizes_markdown(sizes))
    return "\n\n".join(out)


def _metric_markdown(report: dict[str, Any], metric: str, column: str) -> str:
    """The table of ``metric``: rows are methods, columns dataset × ``column``; best in bold."""
    table = report["tables"][metric]
    methods = list(dict.fromkeys(r["method"] for r in report["rows"]))
    keys = list(dict.fromkeys(f"{r['dataset']}|{r[column]}" for r in report["rows"]))
    best = {
        key: max((table[m][key]["mean"] for m in methods if key in table[m]), default=None)
        for key in keys
    }
    header = [f"{k.split('|')[0]} {column}={k.split('|')[1]}" for k in keys]
    lines = [f"### {metric} (test, mean ± std over runs)", ""]
    lines.append("| method | " + " | ".join(header) + " |")
    lines.append("|---" * (len(keys) + 1) + "|")
    for method in methods:
        cells = [
            _metric_cell(report["config"], metric, table, method, key, best[key]) for key in keys
        ]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _metric_cell(
    cfg: dict[str, Any],
    metric: str,
    table: dict[str, Any],
    method: str,
    key: str,
    best: float | None,
) -> str:
    """One cell: mean ± std (bold when best), the paper's AUCPRC and the transfer gap if any."""
    cell = table[method].get(key)
    if cell is None:
        return "–"
    text = f"{cell['mean']:.3f} ± {cell['std']:.3f}"
    if best is not None and np.isclose(cell["mean"], best):
        text = f"**{text}**"
    dataset, col = key.split("|")
    paper = paper_value(cfg["experiment"], dataset, method, col)
    if paper is not None and metric == "aucprc":
        text += f" (paper {paper:.3f})"
    reference = table.get("mesa@self", {}).get(key)
    if cfg["experiment"] == "transfer" and method != "mesa@self" and reference:
        delta = 100 * (cell["mean"] - reference["mean"]) / reference["mean"]
        text += f" (Δ {delta:+.2f}%)"
    return text


def _training_sizes_markdown(sizes: dict[str, Any]) -> str:
    """Mean training instances each method used, per column of ``sizes``."""
    lines = ["### training instances used (mean)", ""]
    keys = list(next(iter(sizes.values())).keys())
    lines.append("| method | " + " | ".join(keys) + " |")
    lines.append("|---" * (len(keys) + 1) + "|")
    for method, cols in sizes.items():
        lines.append(f"| {method} | " + " | ".join(f"{cols[k]['mean']:.0f}" for k in keys) + " |")
    return "\n".join(lines)


def _fit_seconds_markdown(rows: list[dict[str, Any]]) -> str:
    """Fit seconds per method: mean over every task and split, median, and the largest."""
    seconds: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        seconds[row["method"]].append(float(row["fit_seconds"]))
    lines = ["### fit seconds per method (wall clock, every task × split)", ""]
    lines += ["| method | mean | median | max |", "|---|---|---|---|"]
    for method, values in seconds.items():
        lines.append(
            f"| {method} | {np.mean(values):.3f} | {np.median(values):.3f} | {np.max(values):.3f} |"
        )
    return "\n".join(lines)


def _gap_markdown(gap: dict[str, Any], metric: str) -> str:
    lines = [
        f"### learnability gap: learned − best non-learned ({metric}, test; "
        "the rival picked per run by validation score)",
        "",
        "| dataset | noise | gap (mean ± std) | runs learned wins | rival picked (runs) |",
        "|---|---|---|---|---|",
    ]
    for key, cell in gap.items():
        dataset, noise = key.split("|")
        picks = ", ".join(
            f"{m} ×{n}" for m, n in sorted(cell["picked"].items(), key=lambda x: -x[1])
        )
        verdict = f"{cell['wins']}/{cell['n']}"
        lines.append(
            f"| {dataset} | {noise} | {cell['mean']:+.3f} ± {cell['std']:.3f} | {verdict} | "
            f"{picks} |"
        )
    return "\n".join(lines)


def _plot(report: dict[str, Any], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = report["config"]
    metric = cfg["metrics"][0]
    rows = report["rows"]
    written = []
    for dataset in cfg["datasets"]:
        data = [r for r in rows if r["dataset"] == dataset]
        if cfg["experiment"] in ("eil", "oversampling") and len(cfg["ks"]) > 1:
            xkey = "n_training_samples" if cfg["experiment"] == "oversampling" else "k"
            fig, ax = plt.subplots(figsize=(5, 3.5))
            for method in dict.fromkeys(r["method"] for r in data):
                pts = defaultdict(list)
                for r in data:
                    if r["method"] == method:
                        pts[r["k"]].append((r[xkey], r[metric]))
                ks = sorted(pts)
                xs = [np.mean([p[0] for p in pts[k]]) for k in ks]
                ys = [np.mean([p[1] for p in pts[k]]) for k in ks]
                ax.plot(xs, ys, marker="o", label=method)
            ax.set(xlabel="training instances used" if xkey != "k" else "ensemble size k",
                   ylabel=f"test {metric}", title=dataset)  # fmt: skip
            ax.legend(fontsize=7)
            fig.tight_layout()
            path = out / f"{cfg['experiment']}_{dataset}.png"
            fig.savefig(path, dpi=120)
            plt.close(fig)
            written.append(path)
        if cfg["experiment"] == "ablation":
            written.extend(_plot_ablation(data, dataset, metric, out, plt))
    return written


def _plot_ablation(data: list[dict], dataset: str, metric: str, out: Path, plt: Any) -> list:
    """Test score against constant μ, with the learned policy's μ per step drawn over it."""
    written = []
    for noise in sorted({r["noise"] for r in data}):
        rows = [r for r in data if r["noise"] == noise]
        grid = sorted(
            {
                float(r["method"].split("-", 1)[1])
                for r in rows
                if r["method"].startswith("constant-")
            }
        )
        if not grid:
            continue
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        means = [np.mean([r[metric] for r in rows if r["method"] == f"constant-{g}"]) for g in grid]
        ax.plot(grid, means, marker="o", color="black", label="constant μ")
        learned = [r for r in rows if r["method"] == "mesa"]
        if learned:
            ax.axhline(np.mean([r[metric] for r in learned]), color="tab:blue", ls="--",
                       label="learned sampler")  # fmt: skip
            twin = ax.twinx()
            for r in learned:
                twin.plot(r["mu"], np.linspace(0, 1, len(r["mu"])), color="tab:blue", alpha=0.3)
            twin.set_ylabel("ensemble step (learned μ drawn)")
        ax.set(xlabel="μ", ylabel=f"test {metric}", title=f"{dataset}, label noise {noise}")
        ax.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        path = out / f"ablation_{dataset}_noise{noise}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written


def write_outputs(report: dict[str, Any], out: Path, cfg: Any) -> None:
    """Write the report files into ``out``.

    results.csv (one row per run), results.json (config, metadata: package versions and git
    commit, rows, tables), table.md, PNGs.
    """
    out.mkdir(parents=True, exist_ok=True)
    rows = report["rows"]
    if rows:
        fields = list(dict.fromkeys(k for r in rows for k in r))
        with open(out / "results.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            for r in rows:
                writer.writerow(
                    {k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()}
                )
    (out / "results.json").write_text(json.dumps(report, indent=1, default=str))
    (out / "table.md").write_text(markdown_tables(report) + "\n")
    report["figures"] = [str(p) for p in _plot(report, out)]
