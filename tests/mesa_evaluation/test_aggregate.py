"""Suite aggregates: rliable's IQM and stratified bootstrap, checked against their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from mesa_evaluation.aggregate import (
    aggregate_iqm,
    score_matrices,
    stratified_bootstrap_ci,
    suite_markdown,
    suite_summary,
)


def _rows():
    rows = []
    for run in range(3):
        for task, base in (("a", 0.9), ("b", 0.5), ("c", 0.2)):
            rows.append({"method": "good", "dataset": task, "run": run, "aucprc": base + 0.05})
            rows.append({"method": "bad", "dataset": task, "run": run, "aucprc": base})
    return rows


def test_iqm_is_the_mean_of_the_middle_half_of_all_scores_pooled():
    scores = np.arange(1.0, 9.0).reshape(2, 4)  # 1 … 8: the middle half is 3, 4, 5, 6
    assert aggregate_iqm(scores) == pytest.approx(4.5)
    outliers = np.array([[0.0, 0.5, 0.5, 100.0]])  # trimming drops the two extremes
    assert aggregate_iqm(outliers) == pytest.approx(0.5)


def test_stratified_bootstrap_resamples_runs_within_each_task():
    # Task 0's runs all score 0.2, task 1's all 0.8: any within-task resample keeps the mean
    # at 0.5 exactly, while a pooled resample would not.
    scores = np.array([[0.2, 0.8]] * 5)
    assert stratified_bootstrap_ci(scores, np.mean, reps=200) == pytest.approx((0.5, 0.5))
    rng = np.random.default_rng(0)
    noisy = rng.normal(0.5, 0.1, size=(10, 6))
    low, high = stratified_bootstrap_ci(noisy, np.mean, reps=500)
    assert low < noisy.mean() < high
    assert high - low == pytest.approx(2 * 1.96 * noisy.std(ddof=0) / np.sqrt(60), rel=0.35)


def test_suite_summary_ranks_and_aggregates_by_method():
    summary = suite_summary(_rows(), "aucprc", reps=100)
    assert summary["tasks"] == ["a", "b", "c"]
    agg = summary["aggregate"]
    assert agg["good"]["mean_rank"] == 1.0 and agg["bad"]["mean_rank"] == 2.0
    assert agg["good"]["mean"] == pytest.approx(np.mean([0.95, 0.55, 0.25]))
    assert summary["per_task"]["bad"]["b"] == {"mean": 0.5, "lo": 0.5, "hi": 0.5}
    table = suite_markdown(summary)
    assert table.index("| good |") < table.index("| bad |")  # sorted by IQM
    assert "**1.00**" in table


def test_an_incomplete_grid_is_refused_naming_the_cell():
    rows = [r for r in _rows() if not (r["method"] == "bad" and r["dataset"] == "c" and r["run"])]
    with pytest.raises(ValueError, match="bad has no aucprc for c run 1"):
        score_matrices(rows, "aucprc")
