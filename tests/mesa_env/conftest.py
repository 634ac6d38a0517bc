"""Fixtures shared by several modules of tests/mesa_env/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mesa_env import keel


# --------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def keel_home() -> Path:
    """The filled real cache; skip without it (fail under CI, where `make test` fills it)."""
    try:
        return keel.fetch_keel(download_if_missing=os.environ.get("CI") == "true")
    except OSError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"KEEL data not available: {exc}")
