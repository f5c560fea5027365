"""Questions whether a gene is linked to a disease ("Is FBN1 associated with Marfan
syndrome?"), on a mini HPO with a group disease whose gene is linked to its types only."""

from __future__ import annotations

import pytest

from kgfuse.qa import QAService
from kgfuse.qa.evaluation import evaluate, generate_questions
from kgfuse.qa.intent import IntentGuess
from kgfuse.qa.questions import HELDOUT_TEMPLATES, TRAIN_TEMPLATES, Intent
from kgfuse.qa.service import _fit_to_entities
from tests.mini_hpo_env import extended_mini_qa, obo_term, obo_terms

MARFAN = "https://omim.org/entry/154700"
EDS_CLASSIC = "https://omim.org/entry/130000"
FBN1 = "https://identifiers.org/ncbigene:2200"

ANNOTATIONS = [
    # disease, name, qualifier, term, frequency, aspect
    ("OMIM:130000", "Ehlers-Danlos syndrome, classic type", "", "HP:0002650", "", "P"),
    ("ORPHA:98249", "Ehlers-Danlos syndrome", "", "HP:0002650", "", "P"),
]
GENES = [
    # NCBI id, symbol, term, disease: COL5A1 is linked to the classic type, not to the group
    ("1289", "COL5A1", "HP:0002650", "OMIM:130000"),
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    root = tmp_path_factory.mktemp("gene_links")
    scoliosis = obo_term(
        "HP:0002650", "Scoliosis", parent="HP:0033127 ! Abnormality of the musculoskeletal system"
    )
    return extended_mini_qa(root, obo_terms(scoliosis), ANNOTATIONS, GENES)


def asked(answer) -> set[str]:
    return {i.iri for i in answer.items if i.detail.get("asked")}


@pytest.mark.parametrize(
    "question",
    [
        "Is FBN1 associated with Marfan syndrome?",
        "Does FBN1 cause Marfan syndrome?",
        "Is Marfan syndrome caused by FBN1?",
    ],
)
def test_a_linked_gene_and_disease_is_a_yes_with_the_link_cited(
    qa: QAService, question: str
) -> None:
    answer = qa.ask(question)
    assert answer.answered and answer.intent == Intent.DISEASES_OF_GENE.value
    assert answer.text.startswith(
        "Yes: FBN1 (NCBIGene:2200) is linked to Marfan syndrome (OMIM:154700) in the KG."
    )
    assert asked(answer) == {MARFAN}
    assert any(f.subject == FBN1 and f.object == MARFAN for f in answer.facts)


def test_a_gene_not_linked_to_the_disease_is_not_a_no(qa: QAService) -> None:
    answer = qa.ask("Is CBS associated with Marfan syndrome?")
    assert answer.answered and answer.intent == Intent.DISEASES_OF_GENE.value
    assert answer.text.startswith(
        "Not linked: the KG does not link CBS (NCBIGene:875) to Marfan syndrome (OMIM:154700)"
    )
    assert "does not say that they are unrelated" in answer.text
    assert asked(answer) == set()
    assert "Classic homocystinuria" in answer.text  # the gene's own diseases follow


def test_a_group_disease_names_the_types_the_gene_is_linked_to(qa: QAService) -> None:
    answer = qa.ask("Is COL5A1 associated with Ehlers-Danlos syndrome?")
    assert answer.answered
    assert answer.text.startswith(
        "Not directly: the KG links COL5A1 (NCBIGene:1289) not to Ehlers-Danlos syndrome "
        "(ORPHA:98249) itself but to 1 disease named after it: Ehlers-Danlos syndrome, "
        "classic type (OMIM:130000)."
    )
    assert asked(answer) == set()


def test_each_disease_named_gets_its_own_answer(qa: QAService) -> None:
    answer = qa.ask("Is FBN1 a gene for Marfan syndrome and Classic homocystinuria?")
    assert answer.text.startswith("Yes: FBN1 (NCBIGene:2200) is linked to Marfan syndrome")
    assert "Not linked: the KG does not link FBN1 (NCBIGene:2200) to Classic homocystinuria" in (
        answer.text
    )


def test_the_genes_of_a_disease_answer_a_gene_named_with_it(qa: QAService) -> None:
    answer = qa.ask("Is FBN1 one of the genes of Marfan syndrome?")
    assert answer.answered
    assert answer.text.startswith("Yes: FBN1 (NCBIGene:2200) is linked to Marfan syndrome")
    assert asked(answer) == {FBN1}


def test_a_gene_and_a_disease_read_as_a_comparison_ask_for_their_link(qa: QAService) -> None:
    # the intent read needs two diseases; a gene and a disease ask whether they are linked
    entities, _ = qa.understand("Is FBN1 associated with Marfan syndrome?")
    for intent in (Intent.DISTINGUISH, Intent.IS_FEATURE_OF):
        read = _fit_to_entities(IntentGuess(intent, 0.9, "classifier"), entities)
        assert read.intent is Intent.DISEASES_OF_GENE
    comparison = IntentGuess(Intent.DISTINGUISH, 0.9, "classifier")
    # a comparison asked in words keeps its reading: the answer says a gene is no disease
    assert _fit_to_entities(comparison, entities, compares=True).intent is Intent.DISTINGUISH
    two_diseases, _ = qa.understand("Marfan syndrome and Classic homocystinuria")
    assert _fit_to_entities(comparison, two_diseases).intent is Intent.DISTINGUISH


def test_the_yes_no_templates_are_disjoint_and_evaluated(qa: QAService) -> None:
    held_out = [t for t in HELDOUT_TEMPLATES[Intent.DISEASES_OF_GENE] if "{D}" in t]
    trained = [t for t in TRAIN_TEMPLATES[Intent.DISEASES_OF_GENE] if "{D}" in t]
    assert held_out and trained and not set(held_out) & set(trained)
    items = [
        i
        for i in generate_questions(qa.kg, per_template=6, seed=3)
        if i.intent == Intent.DISEASES_OF_GENE.value and i.answer_yes is not None
    ]
    assert {i.template for i in items} == set(held_out)
    assert {i.answer_yes for i in items} == {True, False}
    report = evaluate(qa, items, progress=False)
    scores = report["per_type"]["diseases_of_gene"]
    assert scores["n"] == len(items)
    # f1 holds yes/no accuracy: every question read as asked gets its yes or no right
    assert scores["f1"] == pytest.approx(scores["intent_accuracy"])
    assert scores["intent_accuracy"] > 0.5
