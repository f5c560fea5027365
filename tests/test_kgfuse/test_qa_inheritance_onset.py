"""Questions on a disease's mode of inheritance and onset ("How is Marfan syndrome
inherited?"), answered from its annotations of those aspects, on a mini HPO."""

from __future__ import annotations

import pytest

from kg.namespaces import RO_HAS_PHENOTYPE
from kgfuse.qa import QAService
from kgfuse.qa.evaluation import evaluate, generate_questions
from kgfuse.qa.intent import IntentGuess, _pattern_intent
from kgfuse.qa.lookups import inheritance_and_onset
from kgfuse.qa.questions import DISEASE, TERM, Intent
from kgfuse.qa.service import _fit_to_entities, aspects_asked
from tests.mini_hpo_env import extended_mini_qa, obo_term, obo_terms

HP = "http://purl.obolibrary.org/obo/HP_"

ANNOTATIONS = [
    # disease, name, qualifier, term, frequency, aspect
    ("OMIM:154700", "Marfan syndrome", "", "HP:0003577", "", "C"),
    ("OMIM:300000", "Epilepsy syndrome A", "", "HP:0001250", "", "P"),
    ("OMIM:300001", "Ataxia syndrome B", "", "HP:0001251", "", "P"),
    ("OMIM:300002", "Spastic paraplegia, autosomal recessive", "", "HP:0000007", "", "I"),
    ("OMIM:300002", "Spastic paraplegia, autosomal recessive", "", "HP:0003577", "", "C"),
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    root = tmp_path_factory.mktemp("inheritance_onset")
    terms = obo_terms(obo_term("HP:0001250", "Seizure"), obo_term("HP:0001251", "Ataxia"))
    return extended_mini_qa(root, terms, ANNOTATIONS, [])


def test_how_a_disease_is_inherited(qa: QAService) -> None:
    answer = qa.ask("How is Marfan syndrome inherited?")
    assert answer.answered and answer.intent == Intent.INHERITANCE_ONSET.value
    assert answer.text == (
        "Marfan syndrome (OMIM:154700): mode of inheritance: Autosomal dominant inheritance "
        "(HP:0000006)."
    )
    assert [(i.iri, i.detail["aspect"]) for i in answer.items] == [(HP + "0000006", "inheritance")]
    assert [(f.predicate, f.object) for f in answer.facts] == [(RO_HAS_PHENOTYPE, HP + "0000006")]


@pytest.mark.parametrize(
    "question", ["When does Marfan syndrome start?", "What is the age of onset of Marfan syndrome?"]
)
def test_when_a_disease_starts(qa: QAService, question: str) -> None:
    answer = qa.ask(question)
    assert answer.intent == Intent.INHERITANCE_ONSET.value
    assert answer.text == (
        "Marfan syndrome (OMIM:154700): onset and clinical course: Congenital onset (HP:0003577)."
    )


def test_both_asked_and_none_annotated(qa: QAService) -> None:
    both = qa.ask("How is Marfan syndrome inherited and at what age does it start?")
    assert {i.iri for i in both.items} == {HP + "0000006", HP + "0003577"}
    none = qa.ask("When does Epilepsy syndrome A start?")
    assert none.answered and none.items == []
    assert none.text == "Epilepsy syndrome A (OMIM:300000): no onset or clinical course annotated."


def test_the_aspects_a_question_asks_for() -> None:
    assert aspects_asked("How is ENT_DISEASE inherited?") == ("I",)
    assert aspects_asked("Is ENT_DISEASE dominant or recessive?") == ("I",)
    assert aspects_asked("How old are patients when ENT_DISEASE manifests?") == ("C",)
    assert aspects_asked("Inheritance and onset of ENT_DISEASE") == ("I", "C")
    assert aspects_asked("Tell me about ENT_DISEASE") == ("I", "C")
    assert aspects_asked("When does ENT_DISEASE start?") == ("C",)


def test_the_words_of_a_diseases_name_ask_nothing(qa: QAService) -> None:
    answer = qa.ask("How old are patients when Spastic paraplegia, autosomal recessive manifests?")
    assert answer.intent == Intent.INHERITANCE_ONSET.value
    assert [i.iri for i in answer.items] == [HP + "0003577"]  # its onset, not its inheritance


def test_an_unknown_aspect_is_refused(qa: QAService) -> None:
    marfan = qa.understand("Marfan syndrome")[0][0]
    with pytest.raises(ValueError, match=r"unknown annotation aspect\(s\) \['P'\]"):
        inheritance_and_onset(qa.kg, marfan, aspects=("P",))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how old are patients when ent_disease manifests?", Intent.INHERITANCE_ONSET),
        ("is ent_disease hereditary?", Intent.INHERITANCE_ONSET),
        ("what is the treatment of early onset ent_disease?", None),  # out of scope
        ("what are the features of early-onset ent_disease?", None),  # the classifier's
        ("onset of ent_term in ent_disease", None),  # a phenotype's onset in a disease
        ("age of onset of ent_disease or ent_disease", None),  # two diseases
    ],
)
def test_the_pattern_for_inheritance_and_onset(text: str, intent: Intent | None) -> None:
    assert _pattern_intent(text) is intent


def test_findings_with_their_onset_describe_a_patient(qa: QAService) -> None:
    findings, _ = qa.understand("Seizure and ataxia")
    assert [e.type for e in findings] == [TERM, TERM]
    onset = IntentGuess(Intent.INHERITANCE_ONSET, 0.9, "classifier")
    assert _fit_to_entities(onset, findings).intent is Intent.DIAGNOSE
    assert _fit_to_entities(onset, findings[:1]).intent is Intent.DISEASES_WITH_FEATURE
    disease, _ = qa.understand("Marfan syndrome")
    assert [e.type for e in disease] == [DISEASE]
    assert _fit_to_entities(onset, disease).intent is Intent.INHERITANCE_ONSET
    answer = qa.ask("A boy with onset of seizure at age 2 and ataxia")
    assert answer.intent == Intent.DIAGNOSE.value


def test_the_evaluation_scores_the_aspect_each_template_asks(qa: QAService) -> None:
    items = [
        i
        for i in generate_questions(qa.kg, per_template=3, seed=1)
        if i.intent == Intent.INHERITANCE_ONSET.value
    ]
    assert items
    # the diseases of the mini HPO with 5 features or more: (inheritance, onset)
    annotated = {
        "Marfan syndrome": (HP + "0000006", HP + "0003577"),
        "Classic homocystinuria": (HP + "0000007", HP + "0003593"),
    }
    for item in items:
        onset = any(w in item.template for w in ("old", "age", "start", "show", "manifest"))
        (name,) = [n for n in annotated if n in item.question]
        assert item.gold == (annotated[name][onset],)
    report = evaluate(qa, items, progress=False)["per_type"]["inheritance_onset"]
    assert report["n"] == len(items)
    assert report["f1"] == pytest.approx(report["intent_accuracy"])  # read right: set right
    assert report["intent_accuracy"] > 0.5  # not the agreement of two zeros
