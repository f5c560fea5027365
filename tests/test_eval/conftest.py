"""Fixtures shared by the evaluation tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory):
    """The mini HPO KG (tests/fixtures/hpo_mini), built once per test module."""
    from kg.knowledge_graph import KnowledgeGraph
    from kg.store import build_kg

    dest = tmp_path_factory.mktemp("kg") / "hpo_mini"
    hpo_dir = Path(__file__).parents[1] / "fixtures" / "hpo_mini"
    build_kg(["hpo"], dest, hpo_dir=hpo_dir, progress=False)
    return KnowledgeGraph.open(dest)
