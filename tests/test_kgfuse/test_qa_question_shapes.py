"""How the shape of a question and the names it uses decide how it is read, on a mini HPO
grown for it: readings the classifier is not sure of, disease names the linker does not
know, a gene beside a name of both a phenotype and a disease, list and comparison
questions, frequency questions, and top-level classes of a user's own ontology."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest

from kg.store import build_kg
from kgfuse.qa import QAService
from kgfuse.qa.intent import IntentGuess
from kgfuse.qa.questions import GENE, TERM, Intent
from kgfuse.qa.service import MIN_CONFIDENCE, SURE_CONFIDENCE
from tests.mini_hpo_env import build_extended_mini_hpo, obo_term, obo_terms

HP = "http://purl.obolibrary.org/obo/HP_"
MARFAN = "https://omim.org/entry/154700"
EDS_CLASSIC = "https://omim.org/entry/130000"
EDS_VASCULAR = "https://omim.org/entry/130050"
EPILEPSY = "https://omim.org/entry/300000"
ATAXIA_SYNDROME = "https://omim.org/entry/300001"
HOMOCYSTINURIA = "https://www.orpha.net/ORDO/Orphanet_394"

TERMS = obo_terms(
    obo_term("HP:0001250", "Seizure"),
    obo_term("HP:0001251", "Ataxia"),
    obo_term(
        "HP:0002650", "Scoliosis", parent="HP:0033127 ! Abnormality of the musculoskeletal system"
    ),
    obo_term(
        "HP:0000256",
        "Macrocephaly",
        'def: "Occipitofrontal head circumference above the 97th centile." []',
        'synonym: "Big head" EXACT layperson []',
    ),
    obo_term("HP:0002156", "Homocystinuria"),
    obo_term("HP:0099991", "Reduced enzyme activity"),
    obo_term(
        "HP:0099990",
        "Lonely concept",
        'def: "A class of the ontology with no parent." []',
        parent=None,
    ),
)

ANNOTATIONS = [
    # disease, name, qualifier, term, frequency, aspect
    ("OMIM:225100", "Ectopia lentis", "", "HP:0001083", "", "P"),
    ("OMIM:300000", "Epilepsy syndrome A", "", "HP:0001250", "", "P"),
    ("OMIM:300001", "Ataxia syndrome B", "", "HP:0001250", "", "P"),
    ("OMIM:300001", "Ataxia syndrome B", "", "HP:0001251", "", "P"),
    ("OMIM:130000", "Ehlers-Danlos syndrome, classic type", "", "HP:0002650", "", "P"),
    ("OMIM:130050", "Ehlers-Danlos syndrome, vascular type", "", "HP:0000098", "", "P"),
    ("OMIM:153470", "Macrocephaly", "", "HP:0000256", "", "P"),
    ("OMIM:154700", "Marfan syndrome", "", "HP:0002650", "4/10", "P"),
    ("OMIM:160120", "Muscle fiber activity syndrome", "", "HP:0001251", "", "P"),
]
GENES = [
    # NCBI id, symbol, term, disease
    ("3785", "KCNQ2", "HP:0001250", "OMIM:300000"),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini HPO with the terms and diseases above, in a home of its own."""
    root = tmp_path_factory.mktemp("shapes")
    build_extended_mini_hpo(root, TERMS, ANNOTATIONS, GENES)
    return root


@pytest.fixture(scope="module")
def qa(home: Path) -> QAService:
    return QAService(home / "kgs" / "hpo", home=home, audit=False)


class FixedClassifier:
    """An intent classifier that reads every question one way, with a given confidence,
    and has a second reading (what :meth:`QAService.ask` needs of a classifier)."""

    def __init__(self, intent: Intent, confidence: float, second: Intent) -> None:
        self.intent, self.confidence, self.second = intent, confidence, second

    def predict(
        self, delexicalised: str, feasible: Collection[Intent] | None = None
    ) -> IntentGuess:
        return IntentGuess(self.intent, self.confidence, "classifier")

    def classify(
        self, delexicalised: str, feasible: Collection[Intent] | None = None
    ) -> IntentGuess:
        if feasible is not None and self.intent not in feasible:
            return IntentGuess(self.second, 1 - self.confidence, "classifier")
        return self.predict(delexicalised)


def with_classifier(home: Path, classifier: FixedClassifier) -> QAService:
    return QAService(home / "kgs" / "hpo", home=home, audit=False, classifier=classifier)  # type: ignore[arg-type]


def iris(answer) -> set[str]:
    return {i.iri for i in answer.items}


def read(qa: QAService, question: str) -> list[tuple[str, str]]:
    entities, _ = qa.understand(question)
    return [(e.curie, e.type) for e in entities]


# ---- H2: a reading the classifier is not sure of is offered, not answered ---------------------
def test_a_reading_between_the_thresholds_is_offered_with_the_next_one(home: Path) -> None:
    unsure = (MIN_CONFIDENCE + SURE_CONFIDENCE) / 2
    qa = with_classifier(
        home, FixedClassifier(Intent.PARENTS, unsure, Intent.DISEASES_WITH_FEATURE)
    )
    answer = qa.ask("list disorders with any kind of seizure")
    assert not answer.answered and answer.items == []
    assert "I am not sure what this asks" in answer.text
    assert "parents (superclasses) of a term" in answer.text
    assert answer.suggestions == [
        "What are the parents of Seizure?",
        "Which diseases have Seizure?",
    ]
    assert answer.to_dict()["suggestions"] == answer.suggestions


def test_a_sure_reading_is_answered(home: Path) -> None:
    qa = with_classifier(home, FixedClassifier(Intent.PARENTS, SURE_CONFIDENCE, Intent.CHILDREN))
    answer = qa.ask("list disorders with any kind of seizure")
    assert answer.answered and answer.intent == "parents" and answer.suggestions == []


# ---- H3: a disease named by words the linker does not know ------------------------------------
@pytest.mark.parametrize(
    "question",
    ["Is scoliosis seen in Ehlers-Danlos syndrome?", "Is scoliosis seen in Ehlers Danlos?"],
)
def test_a_yes_no_question_is_never_the_list_of_every_disease(home: Path, question: str) -> None:
    # read as "which diseases have scoliosis?", and sure of it: still a yes/no question
    lists = FixedClassifier(Intent.DISEASES_WITH_FEATURE, 0.9, Intent.IS_FEATURE_OF)
    answer = with_classifier(home, lists).ask(question)
    assert not answer.answered and answer.intent != "diseases_with_feature"
    assert iris(answer) == {EDS_CLASSIC, EDS_VASCULAR}  # did you mean: the diseases so named
    assert "'Ehlers" in answer.text and "names no disease of the KG" in answer.text


def test_a_part_of_a_disease_name_offers_the_diseases_named_after_it(qa: QAService) -> None:
    """ "Ehlers Danlos" names two diseases: they are offered, and the question asked with the
    first of them."""
    answer = qa.ask("Is scoliosis a symptom of Ehlers Danlos?")
    assert not answer.answered
    assert iris(answer) == {EDS_CLASSIC, EDS_VASCULAR}
    assert answer.suggestions == ["Is Scoliosis a feature of Ehlers-Danlos syndrome, classic type?"]
    asked = qa.ask(answer.suggestions[0])
    assert asked.answered and asked.items[0].detail["answer"] == "yes"


def test_a_disease_named_by_its_short_name_is_answered(qa: QAService) -> None:
    """ "Marfan" is the one disease *Marfan syndrome* without its head word
    (:mod:`kgfuse.qa.disease_names`): answered, not offered."""
    answer = qa.ask("Is tall stature a symptom of Marfan?")
    assert answer.answered and answer.items[0].detail["answer"] == "yes"
    assert MARFAN in {e["iri"] for e in answer.entities}
    assert not answer.suggestions


def test_words_of_the_ontologys_vocabulary_offer_no_disease(qa: QAService) -> None:
    """A term's name the linker does not find whole leaves words of phenotype names
    ("activity"), which name no disease a question calls by a short name; the terms named
    with them are offered instead."""
    answer = qa.ask("Alternative names for reduced enzyme 5 activity?")
    assert not answer.answered
    assert "https://omim.org/entry/160120" not in iris(answer)
    assert "names no disease of the KG" not in answer.text
    assert "'reduced enzyme' is no name of a term; terms named with it" in answer.text
    assert answer.suggestions == ["What are the synonyms of Reduced enzyme activity?"]


def test_genes_of_a_disease_named_in_part(qa: QAService) -> None:
    answer = qa.ask("What genes are involved in Ehlers Danlos?")
    assert not answer.answered and EDS_CLASSIC in iris(answer)
    assert answer.suggestions[0].startswith("Which genes are associated with Ehlers-Danlos")


# ---- H4: a gene beside a name of both a phenotype and a disease -------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "Does FBN1 cause ectopia lentis?",
        "Is ectopia lentis linked to FBN1?",
        "Can FBN1 mutations cause ectopia lentis?",
    ],
)
def test_a_gene_and_a_name_of_both_is_the_gene_and_the_phenotype(
    qa: QAService, question: str
) -> None:
    assert sorted(read(qa, question)) == [("HP:0001083", TERM), ("NCBIGene:2200", GENE)]
    answer = qa.ask(question)
    assert answer.answered and answer.intent == "diseases_of_gene"
    assert answer.text.startswith("Yes: of the 1 disease FBN1")
    assert iris(answer) == {MARFAN}
    assert "not among them" not in answer.text
    cited = {f.subject for f in answer.facts if f.object == HP + "0001083"}
    assert cited == {MARFAN}  # the annotation that answers it


def test_a_list_of_a_genes_diseases_with_a_name_of_both(qa: QAService) -> None:
    answer = qa.ask("Which diseases have ectopia lentis and are linked to FBN1?")
    assert answer.answered and iris(answer) == {MARFAN}
    assert "not among them" not in answer.text and not answer.text.startswith("Yes")


# ---- H5: top-level classes of an ontology are concepts; "All" is not --------------------------
def test_a_class_without_parent_is_found_by_name(qa: QAService) -> None:
    assert read(qa, "What is a lonely concept?") == [("HP:0099990", TERM)]
    assert read(qa, "What is all of it?") == []


def test_a_flat_ontology_is_asked_by_name(tmp_path: Path) -> None:
    ttl = tmp_path / "flat.ttl"
    ttl.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix obo: <http://purl.obolibrary.org/obo/> .\n"
        "@prefix ex: <http://example.org/flat/> .\n"
        'ex:Tort a owl:Class ; rdfs:label "Tort" ; obo:IAO_0000115 "A civil wrong." .\n'
        'ex:Lease a owl:Class ; rdfs:label "Lease agreement" ;\n'
        '    obo:IAO_0000115 "A contract to rent property." .\n',
        encoding="utf-8",
    )
    build_kg([ttl], tmp_path / "kg", progress=False)
    qa = QAService(tmp_path / "kg", home=tmp_path, audit=False)
    answer = qa.ask("What is a lease agreement?")
    assert answer.answered and "A contract to rent property." in answer.text


# ---- M7: list questions are the set lookup, a described patient the differential -------------
def test_diseases_with_one_finding_but_not_another(qa: QAService) -> None:
    answer = qa.ask("Which diseases have seizure but not ataxia?")
    assert answer.intent == "diseases_with_feature" and answer.answered
    assert iris(answer) == {EPILEPSY}
    assert "and not with Ataxia (HP:0001251)" in answer.text


def test_diseases_with_both_findings(qa: QAService) -> None:
    answer = qa.ask("Which disorders involve both seizure and ataxia?")
    assert answer.intent == "diseases_with_feature" and iris(answer) == {ATAXIA_SYNDROME}
    cited = {(f.subject, f.object) for f in answer.facts}
    assert {(ATAXIA_SYNDROME, HP + "0001250"), (ATAXIA_SYNDROME, HP + "0001251")} <= cited


def test_a_described_patient_is_still_a_differential(qa: QAService) -> None:
    _, guess = qa.understand("A boy with seizure and ataxia: which diseases have these?")
    assert guess.intent is Intent.DIAGNOSE
    _, guess = qa.understand("Which diseases explain seizure and ataxia?")
    assert guess.intent is Intent.DIAGNOSE


# ---- M11: definition and synonyms of a name of both: the reading that has them ---------------
def test_synonyms_and_definition_of_a_name_of_both(qa: QAService) -> None:
    synonyms = qa.ask("What are the synonyms of macrocephaly?")
    assert synonyms.answered and "Big head" in synonyms.text
    assert "OMIM:153470" in synonyms.text  # the other reading is offered
    definition = qa.ask("Define macrocephaly")
    assert "above the 97th centile" in definition.text


# ---- M12: "X vs Y" compares -------------------------------------------------------------------
@pytest.mark.parametrize(
    "question", ["Marfan syndrome vs homocystinuria", "Marfan syndrome vs. homocystinuria?"]
)
def test_a_comparison_asks_what_distinguishes(qa: QAService, question: str) -> None:
    answer = qa.ask(question)
    assert not answer.answered and "two diseases" in answer.text
    assert HOMOCYSTINURIA in iris(answer)  # the diseases named after the finding
    both = qa.ask(question.replace("homocystinuria", "Classic homocystinuria"))
    assert both.answered and both.intent == "distinguish"


# ---- L2, L6: wording of yes/no answers --------------------------------------------------------
def test_excluded_asks_whether_it_is_not_so(qa: QAService) -> None:
    answer = qa.ask("Is intellectual disability excluded in Marfan syndrome?")
    assert answer.answered and answer.items[0].detail["answer"] == "yes"
    assert "explicitly annotated as NOT having Intellectual disability" in answer.text
    assert "Not used in this answer" not in answer.text


def test_a_feature_not_annotated_is_no_clinical_no(qa: QAService) -> None:
    answer = qa.ask("Is seizure a feature of Marfan syndrome?")
    assert answer.items[0].detail["answer"] == "no"
    assert answer.text.startswith("Not annotated: Seizure (HP:0001250) is not among")
    assert "does not say that it never occurs" in answer.text


def test_an_entity_left_out_is_named_in_a_sentence(qa: QAService) -> None:
    answer = qa.ask("Is arachnodactyly a feature of Marfan syndrome and KCNQ2?")
    assert "a question whether a phenotype is a feature of a disease cannot" in answer.text


def test_how_often_a_feature_occurs_is_its_frequency(qa: QAService) -> None:
    answer = qa.ask("What percentage of Marfan syndrome patients have scoliosis?")
    assert answer.answered and not answer.text.startswith("Yes")
    assert "Scoliosis (4/10)" in answer.text
