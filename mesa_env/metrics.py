"""Scores of an ensemble's positive-class probabilities, fast enough for ``env.step()``.

scikit-learn's ``average_precision_score`` spends most of its ~2 ms per call validating input
(``baselines-measured-facts.md``); the environment calls a metric once per split and step on
arrays it built itself, so it uses the exact vectorised definitions below instead. They agree with
scikit-learn to floating-point rounding (``tests/mesa_env/test_metrics.py``), ties included.
Scores must be finite (the env's are, by construction): scikit-learn refuses NaN, and here NaN
scores would each count as their own threshold, in whatever order the sort leaves them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["METRICS", "average_precision", "get_metric", "roc_auc"]


def _threshold_ends(y_true: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True positives at each distinct score threshold (highest first), and the positions.

    ``ends[j]`` is the position, in descending-score order, of the last example scoring at
    least threshold j, so ``ends[j] + 1`` examples are predicted positive there. The counts are
    taken at the last position of each run of equal scores (sklearn's convention), so they do
    not depend on the order inside a run: the sort need not be stable, and numpy's default one
    is ~5× faster than a stable sort on ensemble scores, which hold only a few distinct values
    (t + 1 for t pure trees).
    """
    order = np.argsort(score)[::-1]
    score_sorted = score[order]
    ends = np.flatnonzero(score_sorted[1:] != score_sorted[:-1])  # last position of each run
    ends = np.append(ends, score_sorted.size - 1)
    tps = np.cumsum(y_true[order], dtype=np.float64)[ends]
    return tps, ends


def _cumulative_counts(y_true: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True/false positives at each distinct score threshold, highest threshold first."""
    tps, ends = _threshold_ends(y_true, score)
    return tps, (ends + 1) - tps


def average_precision(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the precision-recall curve as average precision (the paper's AUCPRC).

    AP = Σ_n (R_n − R_{n−1}) · P_n over distinct thresholds, without interpolation, as defined by
    ``sklearn.metrics.average_precision_score``. ``y_true`` holds 0/1; with no positive the
    score is 0.0 (sklearn warns and returns 0.0 there). It runs on every env step, so it is
    written with as few numpy calls as the definition allows: tp + fp at a threshold is the
    (exact, integer) number of examples above it, and the recall gains are the differences of
    the true-positive counts.
    """
    tps, ends = _threshold_ends(y_true, score)
    n_pos = tps[-1]
    if n_pos == 0:
        return 0.0
    precision = tps / (ends + 1)
    gains = np.empty_like(tps)
    gains[0] = tps[0]
    np.subtract(tps[1:], tps[:-1], out=gains[1:])
    gains /= n_pos
    return float(np.dot(gains, precision))


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (trapezoidal over distinct thresholds, ties counted half)."""
    tps, fps = _cumulative_counts(y_true, score)
    n_pos, n_neg = tps[-1], fps[-1]
    if n_pos == 0 or n_neg == 0:
        return 0.5
    tpr = np.r_[0.0, tps / n_pos]
    fpr = np.r_[0.0, fps / n_neg]
    return float(np.trapezoid(tpr, fpr))


def _confusion(y_true: np.ndarray, score: np.ndarray) -> tuple[float, float, float, float]:
    pred = score > 0.5
    truth = y_true.astype(bool)
    tp = float(np.count_nonzero(pred & truth))
    fp = float(np.count_nonzero(pred & ~truth))
    fn = float(np.count_nonzero(~pred & truth))
    tn = float(truth.size - tp - fp - fn)
    return tp, fp, fn, tn


def f1(y_true: np.ndarray, score: np.ndarray) -> float:
    """Positive-class F1 of the labels ``score > 0.5``."""
    tp, fp, fn, _ = _confusion(y_true, score)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def gmean(y_true: np.ndarray, score: np.ndarray) -> float:
    """Geometric mean of TPR and TNR of the labels ``score > 0.5``."""
    tp, fp, fn, tn = _confusion(y_true, score)
    tpr = tp / (tp + fn) if tp + fn else 0.0
    tnr = tn / (tn + fp) if tn + fp else 0.0
    return float(np.sqrt(tpr * tnr))


def mcc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Matthews correlation coefficient of the labels ``score > 0.5`` (0 when undefined)."""
    tp, fp, fn, tn = _confusion(y_true, score)
    denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denom) if denom else 0.0


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "aucprc": average_precision,
    "rocauc": roc_auc,
    "f1": f1,
    "gmean": gmean,
    "mcc": mcc,
}


def get_metric(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """Look a metric up by name, with an error that lists the known names."""
    if not isinstance(name, str):
        raise TypeError(f"metric must be a string, one of {sorted(METRICS)}; got {type(name)!r}")
    try:
        return METRICS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; choose one of {sorted(METRICS)}") from None
