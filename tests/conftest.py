"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def fixtures_dir() -> Path:
    """The folder of small test inputs (``tests/fixtures``)."""
    return Path(__file__).parent / "fixtures"
