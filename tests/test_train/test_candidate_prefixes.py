"""Which annotated subjects the diagnosis model ranks (``model.candidates``): CURIE
prefixes and IRI starts, so that diseases of one's own built beside HPO can be ranked."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import KGV, RO_HAS_PHENOTYPE, compress
from kg.store import build_kg
from train.diagnosis import candidate_subjects

FIXTURES = Path(__file__).parents[1] / "fixtures"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWN = "https://example.org/disease/"


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    folder = tmp_path_factory.mktemp("mixed")
    lines = []
    for i in (1, 2):
        a, d = f"<https://example.org/annotation/{i}>", f"<{OWN}{i}>"
        lines += [
            f"{a} <{RDF}type> <{KGV}PhenotypeAnnotation> .",
            f"{a} <{RDF}subject> {d} .",
            f"{a} <{RDF}predicate> <{RO_HAS_PHENOTYPE}> .",
            f"{a} <{RDF}object> <http://purl.obolibrary.org/obo/HP_0001166> .",
            f'{a} <{KGV}evidence> "TAS" .',
            f'{a} <{KGV}aspect> "P" .',
        ]
    extra = folder / "own.nt"
    extra.write_text("\n".join(lines) + "\n", encoding="utf-8")
    build_kg(["hpo", extra], folder / "kg", hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return KnowledgeGraph.open(folder / "kg")


def test_one_curie_prefix_names_its_subjects_in_the_tables_order(kg: KnowledgeGraph) -> None:
    omim = candidate_subjects(kg, "OMIM")
    assert omim and all(compress(s).startswith("OMIM:") for s in omim)
    assert omim == [s for s in kg.annotations.subjects if s in set(omim)]
    assert candidate_subjects(kg, "OMIM:") == omim
    assert candidate_subjects(kg, None) is None


@pytest.mark.parametrize("written", [f"OMIM {OWN}", f"OMIM,{OWN}", f" {OWN} , OMIM "])
def test_several_prefixes_and_an_iri_start_name_each_subject_once(
    kg: KnowledgeGraph, written: str
) -> None:
    chosen = candidate_subjects(kg, written)
    assert chosen is not None
    omim = candidate_subjects(kg, "OMIM")
    assert omim is not None
    assert set(chosen) == set(omim) | {OWN + "1", OWN + "2"}
    assert len(chosen) == len(set(chosen))
    assert chosen == [s for s in kg.annotations.subjects if s in set(chosen)]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("OMIM NOSUCH", "no annotated subject has the prefix 'NOSUCH'"),
        ("https://nowhere.example/", "no annotated subject has the prefix"),
        (" , ", "no candidate prefix given"),
    ],
)
def test_a_prefix_that_names_nothing_is_an_error(
    kg: KnowledgeGraph, written: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        candidate_subjects(kg, written)
