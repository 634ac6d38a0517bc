"""Fixtures shared by several modules of tests/mesa_evaluation/."""

from __future__ import annotations

import pytest

from mesa_evaluation.protocol import evaluate

TINY = {
    "experiment": "eil",
    "datasets": ("toy-less",),
    "runs": 2,
    "ks": (2, 3),
    "methods": ("mesa", "spe", "underbagging"),
    "metrics": ("aucprc", "rocauc", "gmean"),
}


@pytest.fixture(scope="module")
def report():
    return evaluate(**TINY)
