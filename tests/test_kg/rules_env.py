"""The rules fixture (``tests/fixtures/rules_hpo``) with annotation rows appended, built as
a KG: the tests of the rules add diseases of their own to it."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from kg.knowledge_graph import KnowledgeGraph
from kg.store import build_kg

FIXTURE = Path(__file__).parents[1] / "fixtures" / "rules_hpo"


def rules_kg_with(
    tmp_path_factory: pytest.TempPathFactory,
    disease: str,
    name: str,
    rows: Sequence[tuple[str, str, str]],
    pmid_base: int,
) -> KnowledgeGraph:
    """The fixture with ``disease`` (``OMIM:...``, ``name``) annotated with ``rows`` of
    (qualifier, HPO id, frequency), each citing ``PMID:<pmid_base + n>``."""
    source = tmp_path_factory.mktemp("src") / "rules_hpo"
    shutil.copytree(FIXTURE, source)
    with (source / "phenotype.hpoa").open("a", encoding="utf-8") as out:
        for n, (qualifier, term, frequency) in enumerate(rows, start=1):
            out.write(
                f"{disease}\t{name}\t{qualifier}\t{term}\tPMID:{pmid_base + n}\t"
                f"PCS\t\t{frequency}\t\t\tP\tHPO:curator[2025-02-02]\n"
            )
    dest = tmp_path_factory.mktemp("kg") / "rules_hpo"
    build_kg(["hpo"], dest, hpo_dir=source, progress=False)
    return KnowledgeGraph.open(dest)
