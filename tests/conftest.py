"""Shared fixtures: the shared data directory and the toy task."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tests.toy_task  # noqa: F401 - registers toy:linear

SHARED_DATA = Path(os.environ.get("AUTOLOOP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: MLAgentBench CSVs and BBEH tasks. Missing data is an error, not a skip."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}; set AUTOLOOP_SHARED_DATA")
    return SHARED_DATA
