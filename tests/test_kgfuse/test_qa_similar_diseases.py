"""The diseases whose annotated phenotypes are most like a disease's ("Which diseases are
similar to Noonan syndrome 1?"), on a mini HPO grown for it."""

from __future__ import annotations

import pytest

from kgfuse.qa import QAService
from kgfuse.qa.evaluation import _type_stem, evaluate, generate_questions
from kgfuse.qa.intent import IntentGuess
from kgfuse.qa.lookups import SHARED_CITED
from kgfuse.qa.questions import Intent
from kgfuse.qa.service import _fit_to_entities
from tests.mini_hpo_env import extended_mini_qa, obo_term, obo_terms

HP = "http://purl.obolibrary.org/obo/HP_"
NOONAN_1 = "https://omim.org/entry/163950"
NOONAN_2 = "https://omim.org/entry/605275"
SEIZURE_ONLY = "https://omim.org/entry/300000"

FEATURES = ["HP:0001250", "HP:0001251", "HP:0002650", "HP:0001166", "HP:0001083"]
ANNOTATIONS = [
    # disease, name, qualifier, term, frequency, aspect: Noonan syndrome 2 shares all five
    # features of Noonan syndrome 1, the epilepsy syndrome one of them
    *(("OMIM:163950", "Noonan syndrome 1", "", t, "", "P") for t in FEATURES),
    *(("OMIM:605275", "Noonan syndrome 2", "", t, "", "P") for t in FEATURES),
    ("OMIM:300000", "Epilepsy syndrome A", "", "HP:0001250", "", "P"),
    ("OMIM:300003", "Inheritance only syndrome", "", "HP:0000006", "", "I"),
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    root = tmp_path_factory.mktemp("similar")
    terms = obo_terms(
        obo_term("HP:0001250", "Seizure"),
        obo_term("HP:0001251", "Ataxia"),
        obo_term("HP:0002650", "Scoliosis"),
    )
    return extended_mini_qa(root, terms, ANNOTATIONS, [])


@pytest.mark.parametrize(
    "question",
    [
        "Which diseases are similar to Noonan syndrome 1?",
        "What is the differential diagnosis of Noonan syndrome 1?",
        "Which conditions mimic Noonan syndrome 1?",
    ],
)
def test_the_diseases_most_like_a_disease(qa: QAService, question: str) -> None:
    answer = qa.ask(question)
    assert answer.answered and answer.intent == Intent.SIMILAR_DISEASES.value
    listed = [i.iri for i in answer.items]
    assert NOONAN_1 not in listed  # not the disease itself
    assert listed[0] == NOONAN_2  # all its features in common
    similarities = [i.detail["similarity"] for i in answer.items]
    assert similarities == sorted(similarities, reverse=True)
    assert answer.items[0].detail["shared"] == 5
    assert "Noonan syndrome 2 (OMIM:605275; " in answer.text and "5 shared)" in answer.text
    # the shared features cited: annotations of the listed diseases with the asked one's terms
    of_noonan_2 = {f.object for f in answer.facts if f.subject == NOONAN_2}
    assert len(of_noonan_2) == SHARED_CITED
    assert of_noonan_2 <= {HP + t.removeprefix("HP:") for t in FEATURES}
    assert all(f.subject in listed for f in answer.facts)


def test_a_disease_with_no_phenotype_is_compared_with_none(qa: QAService) -> None:
    answer = qa.ask("Which diseases are similar to Inheritance only syndrome?")
    assert answer.answered and answer.items == []
    assert answer.text == (
        "No phenotype is annotated to Inheritance only syndrome (OMIM:300003), so no disease "
        "can be compared with it."
    )


def test_a_differential_of_a_disease_asks_for_the_diseases_like_it(qa: QAService) -> None:
    disease, _ = qa.understand("Noonan syndrome 1")
    diagnose = IntentGuess(Intent.DIAGNOSE, 0.9, "classifier")
    assert _fit_to_entities(diagnose, disease).intent is Intent.SIMILAR_DISEASES
    findings, _ = qa.understand("Seizure and ataxia")
    assert _fit_to_entities(diagnose, findings).intent is Intent.DIAGNOSE


@pytest.mark.parametrize(
    ("label", "stem"),
    [
        ("Noonan syndrome 1", "noonan syndrome"),
        ("Mitochondrial DNA depletion syndrome 12A", "mitochondrial dna depletion syndrome"),
        ("Osteogenesis imperfecta, type IV", "osteogenesis imperfecta"),
        ("Marfan syndrome", "marfan syndrome"),
    ],
)
def test_the_name_the_types_of_a_disease_share(label: str, stem: str) -> None:
    assert _type_stem(label) == stem


def test_the_evaluation_scores_the_other_types_among_the_first_ten(qa: QAService) -> None:
    items = [
        i
        for i in generate_questions(qa.kg, per_template=2, seed=0)
        if i.intent == Intent.SIMILAR_DISEASES.value
    ]
    assert items
    for item in items:  # the one type asked about, the other its gold
        asked, other = (
            (NOONAN_1, NOONAN_2) if "Noonan syndrome 1" in item.question else (NOONAN_2, NOONAN_1)
        )
        assert item.gold == (other,), item
    report = evaluate(qa, items, progress=False)["per_type"]["similar_diseases"]
    assert report["f1"] == pytest.approx(report["intent_accuracy"])  # read right: a hit
    assert report["intent_accuracy"] > 0.5  # not the agreement of two zeros
