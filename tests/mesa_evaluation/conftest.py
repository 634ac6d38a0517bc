"""Fixtures shared by several modules of tests/mesa_evaluation/."""

from __future__ import annotations

import pytest

from mesa_evaluation.protocol import evaluate
from tests.mesa_evaluation.requests import TINY


@pytest.fixture(scope="module")
def report():
    return evaluate(**TINY)
