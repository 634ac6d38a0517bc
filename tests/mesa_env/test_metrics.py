"""The fast metrics agree with scikit-learn / imbalanced-learn, ties included."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    matthews_corrcoef,
    roc_auc_score,
)

from mesa_env.metrics import METRICS, average_precision, f1, get_metric, gmean, mcc, roc_auc


def random_cases(n_cases: int = 300, seed: int = 0):
    """Labels with both classes, and scores with many ties (few distinct values) or none."""
    rng = np.random.default_rng(seed)
    for k in range(n_cases):
        n = int(rng.integers(2, 200))
        y = (rng.random(n) < rng.uniform(0.05, 0.5)).astype(np.int64)
        y[rng.choice(n, 2, replace=False)] = [0, 1]  # both classes present
        if k % 3 == 0:
            score = rng.random(n)
        elif k % 3 == 1:
            score = rng.integers(0, int(rng.integers(1, 6)), n) / 5  # heavy ties, like F_t
        else:
            score = np.round(rng.random(n), 1)
        yield y, score


def test_average_precision_equals_sklearn():
    for y, score in random_cases():
        assert average_precision(y, score) == pytest.approx(
            average_precision_score(y, score), abs=1e-12
        )


def test_roc_auc_equals_sklearn():
    for y, score in random_cases(seed=1):
        assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_ranking_metrics_on_hand_checked_ties():
    y = np.array([0, 1, 0, 1, 1, 0])
    score = np.array([0.5, 0.5, 0.2, 0.9, 0.5, 0.5])
    # thresholds 0.9 (P=1, R=1/3), 0.5 (P=3/5, R=1), 0.2 (R=1): AP = 1/3 + 2/3 · 3/5
    assert average_precision(y, score) == pytest.approx(1 / 3 + 2 / 3 * 3 / 5, abs=1e-15)
    # pairs (pos, neg): 9; wins: 0.9 beats all 3; each 0.5 beats 0.2 and ties two 0.5s
    assert roc_auc(y, score) == pytest.approx((3 + 2 * (1 + 2 * 0.5)) / 9, abs=1e-15)


def test_no_positive_gives_zero_average_precision():
    assert average_precision(np.zeros(5, np.int64), np.linspace(0, 1, 5)) == 0.0
    assert roc_auc(np.zeros(5, np.int64), np.linspace(0, 1, 5)) == 0.5


@pytest.mark.parametrize(
    ("ours", "reference"),
    [
        (f1, lambda y, p: f1_score(y, p, zero_division=0.0)),
        (gmean, geometric_mean_score),
        (mcc, matthews_corrcoef),
    ],
)
def test_threshold_metrics_equal_reference_on_thresholded_labels(ours, reference):
    for y, score in random_cases(seed=2):
        pred = (score > 0.5).astype(np.int64)
        assert ours(y, score) == pytest.approx(reference(y, pred), abs=1e-12)


def test_metric_table_and_lookup():
    assert set(METRICS) == {"aucprc", "rocauc", "f1", "gmean", "mcc"}
    assert get_metric("AUCPRC") is average_precision
    with pytest.raises(ValueError, match=r"unknown metric 'auprc'.*aucprc"):
        get_metric("auprc")
    with pytest.raises(TypeError, match="metric must be a string"):
        get_metric(None)
