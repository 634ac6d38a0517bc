"""What ``MesaEnv.render()`` draws: one text line (``"ansi"``) or a small picture (``"rgb_array"``).

The picture is drawn with numpy alone (no matplotlib state, ~0.1 ms a frame), so
``gymnasium.wrappers.RecordVideo`` and SB3's vectorised envs can call it freely. It has three
panels, left to right: the training error histogram (blue bars), the validation error histogram
(orange bars), and the episode so far: μ chosen at each step (blue squares) and the validation
score of F_t for t = 1 … k (green line; scores outside [0, 1] are clipped). Bars and curves are
drawn on a fixed [0, 1] scale so frames of one video compare directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

__all__ = ["FRAME_SHAPE", "ansi_line", "rgb_frame"]

PANEL = 120  # pixels per panel side
MARGIN = 8  # pixels between a panel's border and its plot area
FRAME_SHAPE = (PANEL, 3 * PANEL, 3)

_AXIS = (150, 150, 150)
_TRAIN = (31, 119, 180)  # matplotlib tab:blue
_VALID = (255, 127, 14)  # tab:orange
_MU = (31, 119, 180)
_SCORE = (44, 160, 44)  # tab:green


def ansi_line(
    size: int,
    n_estimators: int,
    mu: float | None,
    train_score: float,
    valid_score: float,
    train_hist: np.ndarray,
    valid_hist: np.ndarray,
) -> str:
    """One line: ensemble size t/k, the last μ, train/valid scores and both histograms."""
    mu_text = "  -  " if mu is None else f"{mu:.3f}"

    def hist(values: np.ndarray) -> str:
        return "[" + " ".join(f"{v:.2f}" for v in values) + "]"

    return (
        f"F_{size}/{n_estimators} mu {mu_text} | train {train_score:.4f} valid {valid_score:.4f}"
        f" | train errors {hist(train_hist)} valid errors {hist(valid_hist)}"
    )


def rgb_frame(
    train_hist: np.ndarray,
    valid_hist: np.ndarray,
    mus: Sequence[float],
    valid_scores: Sequence[float],
    n_estimators: int,
) -> np.ndarray:
    """An (H, W, 3) uint8 picture: train histogram, validation histogram, μ and score so far.

    ``mus[i]`` is the action of step i + 1 (it built F_{i+2}); ``valid_scores[t]`` the score of
    F_{t+1}. Both are drawn over the ensemble sizes 1 … ``n_estimators``.
    """
    frame = np.full(FRAME_SHAPE, 255, dtype=np.uint8)
    for panel, (hist, colour) in enumerate(((train_hist, _TRAIN), (valid_hist, _VALID))):
        _axes(frame, panel)
        _bars(frame, panel, np.asarray(hist, dtype=np.float64), colour)
    _axes(frame, 2)
    span = max(n_estimators - 1, 1)
    score_x = [t / span for t in range(len(valid_scores))]
    scores = np.clip(np.asarray(valid_scores, dtype=np.float64), 0.0, 1.0)
    points = [_to_pixel(2, x, y) for x, y in zip(score_x, scores, strict=True)]
    for (r0, c0), (r1, c1) in pairwise(points):
        _line(frame, r0, c0, r1, c1, _SCORE)
    for i, mu in enumerate(mus):
        row, col = _to_pixel(2, (i + 1) / span, min(max(float(mu), 0.0), 1.0))
        frame[max(row - 1, 0) : row + 2, max(col - 1, 0) : col + 2] = _MU
    return frame


def _plot_box(panel: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) pixel bounds of a panel's plot area, inclusive."""
    left = panel * PANEL + MARGIN
    return MARGIN, PANEL - 1 - MARGIN, left, left + PANEL - 1 - 2 * MARGIN


def _to_pixel(panel: int, x: float, y: float) -> tuple[int, int]:
    top, bottom, left, right = _plot_box(panel)
    return round(bottom - y * (bottom - top)), round(left + x * (right - left))


def _axes(frame: np.ndarray, panel: int) -> None:
    top, bottom, left, right = _plot_box(panel)
    frame[bottom + 1, left - 1 : right + 2] = _AXIS
    frame[top : bottom + 2, left - 1] = _AXIS
    if panel:  # a thin separator between panels
        frame[:, panel * PANEL] = (220, 220, 220)


def _bars(frame: np.ndarray, panel: int, hist: np.ndarray, colour: tuple[int, int, int]) -> None:
    top, bottom, left, right = _plot_box(panel)
    width = (right - left + 1) / max(hist.size, 1)
    for i, value in enumerate(np.clip(hist, 0.0, 1.0)):
        height = round(value * (bottom - top + 1))
        if height == 0:
            continue
        c0, c1 = round(left + i * width) + 1, round(left + (i + 1) * width) - 1
        frame[bottom + 1 - height : bottom + 1, c0 : max(c1, c0 + 1)] = colour


def _line(
    frame: np.ndarray, r0: int, c0: int, r1: int, c1: int, colour: tuple[int, int, int]
) -> None:
    n = max(abs(r1 - r0), abs(c1 - c0)) + 1
    rows = np.rint(np.linspace(r0, r1, n)).astype(np.intp)
    cols = np.rint(np.linspace(c0, c1, n)).astype(np.intp)
    frame[rows, cols] = colour
    frame[np.minimum(rows + 1, frame.shape[0] - 1), cols] = colour  # 2 px thick
