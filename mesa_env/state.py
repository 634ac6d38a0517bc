"""The meta-state (paper Eqs. 1–2): error histograms of the ensemble on train and validation.

Entry i of a histogram is the fraction of examples whose error |F(x) − y| falls in
[(i−1)/b, i/b) (an error of exactly 1 counts in the last bin), so each half of the state sums to 1
and the state is independent of dataset size and features, which is what lets a sampler transfer.
The original code histogrammed majority-class errors only, between their min and max: that is
``histogram="majority"``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["HISTOGRAM_MODES", "error_histogram", "majority_histogram", "meta_state"]

HISTOGRAM_MODES = ("all", "majority")
HistogramMode = Literal["all", "majority"]


def error_histogram(errors: np.ndarray, n_bins: int) -> np.ndarray:
    """Eq. 1: fraction of errors e with (i−1)/b ≤ e < i/b, for i = 1 … b (e = 1 in bin b)."""
    idx = (errors * n_bins).astype(np.intp)
    # e·b can round across an edge (15/22 · 22 < 15): compare with the edges i/b themselves.
    idx -= idx / n_bins > errors
    idx += (idx + 1) / n_bins <= errors
    np.minimum(idx, n_bins - 1, out=idx)
    return np.bincount(idx, minlength=n_bins) / errors.size


def majority_histogram(errors: np.ndarray, n_bins: int) -> np.ndarray:
    """``np.histogram(errors, n_bins)`` as fractions: bins between the errors' min and max.

    This is the original code's state; it only applies when ``histogram="majority"``.
    """
    return np.histogram(errors, bins=n_bins)[0] / errors.size


def meta_state(
    train_errors: np.ndarray,
    valid_errors: np.ndarray,
    y_train: np.ndarray,
    y_valid: np.ndarray,
    n_bins: int,
    histogram: HistogramMode = "all",
) -> np.ndarray:
    """Eq. 2: s = [Ê_train : Ê_valid] as float32 values in [0, 1], length 2·n_bins."""
    if histogram == "all":
        parts = (error_histogram(train_errors, n_bins), error_histogram(valid_errors, n_bins))
    else:
        parts = (
            majority_histogram(train_errors[y_train == 0], n_bins),
            majority_histogram(valid_errors[y_valid == 0], n_bins),
        )
    return np.concatenate(parts).astype(np.float32)
