"""What a library user gets for an argument of the wrong type: a ``TypeError`` that names
what was expected, not an ``AttributeError`` from deep inside (a review as a notebook user
found ``kg.term(None)`` failing on ``'NoneType' object has no attribute 'strip'``); and a
KG given by its name instead of its folder is told where its folder is; ids written as other
tools write them (Orphanet's prefix, OMIM's "MIM:", an https OBO PURL, an alternative id)
are read as the ids they are. The mini HPO."""

from __future__ import annotations

from pathlib import Path

import pytest

from encoders.linker import linker_from_kg
from kg.errors import KGNotFoundError, UnknownTermError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import to_iri
from kg.store import build_kg

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    folder = tmp_path_factory.mktemp("mini") / "kgs" / "hpo"
    build_kg(["hpo"], folder, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return KnowledgeGraph.open(folder)


@pytest.mark.parametrize("wrong", [None, 1166, ["HP:0001166"]])
def test_a_term_id_that_is_not_a_string_is_refused_by_name(
    kg: KnowledgeGraph, wrong: object
) -> None:
    for call in (kg.term, kg.label, kg.resolve, to_iri):
        with pytest.raises(TypeError, match="a term id is a string such as 'HP:0001166'"):
            call(wrong)  # type: ignore[operator]


@pytest.mark.parametrize("wrong", [None, b"seizures", 3])
def test_the_linker_refuses_text_that_is_not_a_string(kg: KnowledgeGraph, wrong: object) -> None:
    with pytest.raises(TypeError, match=f"text is a string, not {type(wrong).__name__}"):
        linker_from_kg(kg).link(wrong)  # type: ignore[arg-type]


def test_a_kg_path_that_is_not_a_path_is_refused() -> None:
    with pytest.raises(TypeError, match="a KG is opened from a folder path or URL, not NoneType"):
        KnowledgeGraph.open(None)  # type: ignore[arg-type]


def test_a_kg_given_by_its_name_is_told_where_its_folder_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(KGNotFoundError, match=r"kg\.store\.default_kg_path\('hpo'\)"):
        KnowledgeGraph.open("hpo")
    with pytest.raises(KGNotFoundError) as missing:  # a path is not taken for a name
        KnowledgeGraph.open(tmp_path / "nowhere")
    assert "default_kg_path" not in str(missing.value)


# ---- ids as they are written in the wild ----------------------------------------------------
@pytest.mark.parametrize(
    ("written", "iri"),
    [
        ("Orphanet:558", "https://www.orpha.net/ORDO/Orphanet_558"),
        ("ORPHANET:558", "https://www.orpha.net/ORDO/Orphanet_558"),
        ("Orphanet_558", "https://www.orpha.net/ORDO/Orphanet_558"),
        ("MIM:154700", "https://omim.org/entry/154700"),
        ("https://purl.obolibrary.org/obo/HP_0001166", "http://purl.obolibrary.org/obo/HP_0001166"),
        ("HP_0001166", "http://purl.obolibrary.org/obo/HP_0001166"),
        (
            "<http://purl.obolibrary.org/obo/HP_0001166>",
            "http://purl.obolibrary.org/obo/HP_0001166",
        ),
    ],
)
def test_other_spellings_of_known_ids_are_read(written: str, iri: str) -> None:
    assert to_iri(written) == iri


def test_an_unknown_prefix_in_the_underscore_form_is_no_id() -> None:
    with pytest.raises(ValueError, match="neither an IRI nor a CURIE"):
        to_iri("COVID_19")


def test_an_alternative_id_resolves_to_its_term(kg: KnowledgeGraph) -> None:
    """HP:0001505 is an ``alt_id`` of Arachnodactyly in the mini HPO: no node of the KG, but
    the term it stands for (as ``kgfuse diagnose`` reads it)."""
    assert kg.resolve("HP:0001505") == to_iri("HP:0001166")
    assert kg.term("HP:0001505").label == "Arachnodactyly"
    with pytest.raises(UnknownTermError):
        kg.resolve("HP:0009999")


def test_a_users_own_query_takes_bound_values(kg: KnowledgeGraph) -> None:
    query = "SELECT ?t WHERE { ?t rdfs:label ?name }"
    assert kg.query(query, name="Arachnodactyly") == (["t"], [(to_iri("HP:0001166"),)])
    assert kg.query(query, name="} ; DROP ALL ; {") == (["t"], [])  # one literal
    with pytest.raises(ValueError, match=r"\?nme is bound but is no variable"):
        kg.query(query, nme="Arachnodactyly")
    with pytest.raises(ValueError, match="an update"):
        kg.query("DELETE WHERE { ?a ?b ?name }", name="x")
