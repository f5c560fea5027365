"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def fixtures_dir() -> Path:
    """The folder of small test inputs (``tests/fixtures``)."""
    return Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def legal_task_env(tmp_path_factory: pytest.TempPathFactory):
    """The legal KG, a tiny random BERT and a home for task training (``tests.legal_task_env``)."""
    from tests.legal_task_env import make_legal_task_env

    return make_legal_task_env(tmp_path_factory.mktemp("legal_task"))
