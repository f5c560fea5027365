"""How questions read "with or without", gene symbols that are also clinical abbreviations,
abbreviated modes of inheritance and text in NFD, on the mini HPO with a few more terms,
diseases and genes (the questions are written for these tests)."""

from __future__ import annotations

import unicodedata

import pytest

from kg.knowledge_graph import KnowledgeGraph
from kgfuse.qa.entities import QuestionEntityLinker
from kgfuse.qa.questions import DISEASE, GENE, TERM
from tests.mini_hpo_env import build_extended_mini_hpo, obo_term, obo_terms

TERMS = obo_terms(
    obo_term("HP:0001250", "Seizure"),
    obo_term("HP:0001251", "Ataxia"),
    obo_term("HP:0001649", "Tachycardia"),
)
ANNOTATIONS = [
    ("OMIM:300100", "Kienböck-like syndrome", "HP:0001250"),
    ("OMIM:300101", "Ataxia syndrome C", "HP:0001251"),
]
GENES = [
    # NCBI id, symbol, term, disease
    ("367", "AR", "HP:0001250", "OMIM:300100"),
    ("55806", "HR", "HP:0001251", "OMIM:300101"),
    ("2271", "FH", "HP:0001251", "OMIM:300101"),
    ("3815", "KIT", "HP:0001250", "OMIM:300100"),
    ("6310", "ATXN1", "HP:0001251", "OMIM:300101"),
]


@pytest.fixture(scope="module")
def entities(tmp_path_factory: pytest.TempPathFactory) -> QuestionEntityLinker:
    root = tmp_path_factory.mktemp("review_qa")
    rows = [(disease, name, "", term, "", "P") for disease, name, term in ANNOTATIONS]
    build_extended_mini_hpo(root, TERMS, rows, GENES)
    return QuestionEntityLinker(KnowledgeGraph.open(root / "kgs" / "hpo"))


def read(entities: QuestionEntityLinker, question: str) -> list[tuple[str, str, str, bool]]:
    return [(e.text, e.curie, e.type, e.excluded) for e in entities.link(question)]


# ---- 3: "with or without" rules nothing out ------------------------------------------------------
def test_a_name_after_with_or_without_is_not_ruled_out(entities: QuestionEntityLinker) -> None:
    # a disease name found in full: only the question's own reading can rule it out
    question = "Which genes cause seizures with or without Ataxia syndrome C?"
    assert read(entities, question)[-1] == ("Ataxia syndrome C", "OMIM:300101", DISEASE, False)
    question = "Which genes cause seizures but not Ataxia syndrome C?"
    assert read(entities, question)[-1] == ("Ataxia syndrome C", "OMIM:300101", DISEASE, True)


def test_with_or_without_is_no_exclusion(entities: QuestionEntityLinker) -> None:
    # terms: the linker's context rules read "with or without" too
    for question in (
        "Which diseases show ataxia with or without seizures?",
        "Which diseases show ataxia, with/without seizures?",
    ):
        assert read(entities, question) == [
            ("ataxia", "HP:0001251", TERM, False),
            ("seizures", "HP:0001250", TERM, False),
        ], question
    assert read(entities, "Which diseases show ataxia without seizures?")[1][3] is True


# ---- 11: gene symbols that are clinical abbreviations ------------------------------------------
def test_clinical_abbreviations_are_no_genes_alone(entities: QuestionEntityLinker) -> None:
    assert read(entities, "Which diseases fit tachycardia with HR 190?") == [
        ("tachycardia", "HP:0001649", TERM, False)
    ]
    assert read(entities, "Which diseases fit ataxia and a positive FH?") == [
        ("ataxia", "HP:0001251", TERM, False)
    ]
    assert read(entities, "Which diseases fit a KIT of findings like ataxia?") == [
        ("ataxia", "HP:0001251", TERM, False)
    ]


def test_the_same_symbols_beside_gene_or_a_variant_are_genes(
    entities: QuestionEntityLinker,
) -> None:
    assert read(entities, "Which diseases are linked to the KIT gene?") == [
        ("KIT", "NCBIGene:3815", GENE, False)
    ]
    assert read(entities, "Which diseases are caused by mutations in FH?") == [
        ("FH", "NCBIGene:2271", GENE, False)
    ]
    assert read(entities, "What does FH p.(Arg190His) cause?") == [
        ("FH", "NCBIGene:2271", GENE, False)
    ]
    assert read(entities, "Which diseases are linked to ATXN1?") == [
        ("ATXN1", "NCBIGene:6310", GENE, False)
    ]
    # a question's causal link says gene too
    for question in ("Which diseases are caused by KIT?", "What is associated with KIT?"):
        assert read(entities, question) == [("KIT", "NCBIGene:3815", GENE, False)]


def test_an_abbreviated_mode_of_inheritance_is_its_term(entities: QuestionEntityLinker) -> None:
    assert read(entities, "Which diseases with AR inheritance cause seizures?") == [
        ("AR inheritance", "HP:0000007", TERM, False),
        ("seizures", "HP:0001250", TERM, False),
    ]
    assert read(entities, "Which diseases inherited in an AD manner cause ataxia?")[0] == (
        "AD manner",
        "HP:0000006",
        TERM,
        False,
    )


# ---- 9: text in NFD ------------------------------------------------------------------------------
def test_a_disease_name_in_nfd_is_found(entities: QuestionEntityLinker) -> None:
    question = unicodedata.normalize("NFD", "What are the features of Kienböck-like syndrome?")
    ((text, curie, kind, _),) = read(entities, question)
    assert (curie, kind) == ("OMIM:300100", DISEASE)
    assert text == unicodedata.normalize("NFD", "Kienböck-like syndrome")
