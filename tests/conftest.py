"""Shared pytest fixtures, and the property tests' profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI draws the same examples on every run (a change lands or not on its own merits, not on
# a draw); elsewhere each run draws new ones, and what they find becomes an @example
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def fixtures_dir() -> Path:
    """The folder of small test inputs (``tests/fixtures``)."""
    return Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def legal_task_env(tmp_path_factory: pytest.TempPathFactory):
    """The legal KG, a tiny random BERT and a home for task training (``tests.legal_task_env``)."""
    from tests.legal_task_env import make_legal_task_env

    return make_legal_task_env(tmp_path_factory.mktemp("legal_task"))


@pytest.fixture
def stop_ranking(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[int]]:
    """Counts each case an evaluation ranks (``eval.diagnosis.ranking_ties``): the first
    list gets an item per case; a number put in the second stops the run at that call, as
    a kill would (KeyboardInterrupt)."""
    import eval.diagnosis as evaluation

    ranked = evaluation.ranking_ties
    calls: list[str] = []
    stop_at: list[int] = []

    def ranking_ties(ranking, truth):
        if stop_at and len(calls) == stop_at[0]:
            raise KeyboardInterrupt
        calls.append("ranked")
        return ranked(ranking, truth)

    monkeypatch.setattr(evaluation, "ranking_ties", ranking_ties)
    return calls, stop_at
