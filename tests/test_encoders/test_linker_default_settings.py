"""A linker built from a KG without settings links as the CLI does: below HPO's
*Phenotypic abnormality* where the KG holds it, so "no family history of X" neither links
*Family history* nor rules X out for the patient (a library user's review found that
``linker_from_kg(kg)`` read it otherwise). The mini HPO with two more terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from encoders.linker import (
    HPO_PHENOTYPE_ROOT,
    LinkerConfig,
    default_linker_config,
    linker_from_kg,
)
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import to_iri
from tests.mini_hpo_env import build_extended_mini_hpo, obo_term, obo_terms

SCOLIOSIS = "HP:0002650"
FAMILY_HISTORY = "HP:0032316"
TERMS = obo_terms(
    obo_term(SCOLIOSIS, "Scoliosis"),
    obo_term(FAMILY_HISTORY, "Family history", parent="HP:0000001 ! All"),
)
TEXT = "No family history of scoliosis."


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    root: Path = tmp_path_factory.mktemp("default_settings")
    rows = [("OMIM:300200", "Scoliosis syndrome X", "", SCOLIOSIS, "", "P")]
    return KnowledgeGraph.open(build_extended_mini_hpo(root, TERMS, rows, []))


def test_the_default_settings_link_below_the_phenotype_root(kg: KnowledgeGraph) -> None:
    assert default_linker_config(kg).allowed_roots == (HPO_PHENOTYPE_ROOT,)
    mentions = linker_from_kg(kg).link(TEXT)
    assert to_iri(FAMILY_HISTORY) not in {m.iri for m in mentions}
    scoliosis = [m for m in mentions if m.iri == to_iri(SCOLIOSIS)]
    assert scoliosis and all(m.family for m in scoliosis)


def test_settings_given_are_kept(kg: KnowledgeGraph) -> None:
    mentions = linker_from_kg(kg, LinkerConfig()).link(TEXT)
    assert to_iri(FAMILY_HISTORY) in {m.iri for m in mentions}
