"""Linking version 46, from case reports that a cardiologist and an ophthalmologist wrote for
a review: a relative's second predicate ("walked with a cane and died of heart failure"), a
"who" clause after "In her sister,", and findings said to be brought on by what a narrower
term's name writes first ("seizures were triggered by fever": *Febrile seizure*). Each group
has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of, mention_labels

_TERMS = {
    "Seizure": ("Seizures",),
    "Febrile seizure": ("Febrile seizures", "Fever induced seizures"),
    "Fever": (),
    "Myalgia": (),
    "Exercise-induced myalgia": (),
    "Hypoglycemia": (),
    "Fasting hypoglycemia": (),
    "Dyspnea": (),
    "Exertional dyspnea": (),
    "Hypotonia": (),
    "Congestive heart failure": ("Heart failure",),
    "Tremor": (),
    "Ataxia": (),
}
LEXICON, IRI = lexicon_of(_TERMS)
_NARROWER = {
    "Febrile seizure": "Seizure",
    "Exercise-induced myalgia": "Myalgia",
    "Fasting hypoglycemia": "Hypoglycemia",
    "Exertional dyspnea": "Dyspnea",
}
PARENTS = {IRI[child]: [IRI[parent]] for child, parent in _NARROWER.items()}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig(), parents=PARENTS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "His grandfather walked with a cane and died of heart failure.",
            {"heart failure": "F"},
        ),
        ("In her sister, who also has seizures, an EEG was normal.", {"seizures": "F"}),
        # must not change: the patient's own findings after a relative
        ("She lives with her grandfather and has seizures.", {"seizures": "P"}),
        ("His mother took him to clinic and he had seizures.", {"seizures": "P"}),
        (
            "His mother noticed the tremor and had him seen for ataxia.",
            {"tremor": "P", "ataxia": "P"},
        ),
        ("His grandfather died of heart failure.", {"heart failure": "F"}),
        (
            "In her sister, seizures began at 2 years, but the patient had ataxia.",
            {"seizures": "F", "ataxia": "P"},
        ),
    ],
)
def test_relatives_second_predicates(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Seizures were often triggered by a high fever.",
            {"seizures": "Febrile seizure", "fever": "Fever"},
        ),
        (
            "Her first seizure occurred during a febrile illness.",
            {"seizure": "Febrile seizure"},
        ),
        (
            "He had seizures in the context of fever.",
            {"seizures": "Febrile seizure", "fever": "Fever"},
        ),
        ("She had fever-associated seizures.", {"fever": "Fever", "seizures": "Febrile seizure"}),
        ("He reported myalgia after exercise.", {"myalgia": "Exercise-induced myalgia"}),
        ("Hypoglycemia when fasting.", {"hypoglycemia": "Fasting hypoglycemia"}),
        ("Dyspnea on exertion.", {"dyspnea": "Exertional dyspnea"}),
        # must not change: no narrower name, or nothing said to bring the finding on
        ("He had seizures and fever.", {"seizures": "Seizure", "fever": "Fever"}),
        ("Seizures without fever.", {"seizures": "Seizure", "fever": "Fever"}),
        ("Seizures were not triggered by fever.", {"seizures": "Seizure", "fever": "Fever"}),
        ("Hypotonia during fever.", {"hypotonia": "Hypotonia", "fever": "Fever"}),
        ("Seizures, and later a fever.", {"seizures": "Seizure", "fever": "Fever"}),
    ],
)
def test_findings_brought_on_by_what_a_narrower_name_writes(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


def test_what_brings_a_finding_on_keeps_its_own_context(linker: ConceptLinker) -> None:
    assert context_flags(linker, "Seizures were triggered by fever.") == {
        "seizures": "P",
        "fever": "U",
    }
    assert context_flags(linker, "No seizures on exertion or fasting hypoglycemia.") == {
        "seizures": "N",
        "fasting hypoglycemia": "N",
    }


def test_a_narrower_name_outside_the_hierarchy_is_not_taken() -> None:
    # the finding's term is not an ancestor of the composed name's term: kept as written
    unrelated = {IRI["Febrile seizure"]: [IRI["Fever"]]}
    linker = ConceptLinker(LEXICON, LinkerConfig(), parents=unrelated)
    assert mention_labels(linker, "Seizures were triggered by fever.") == {
        "seizures": "Seizure",
        "fever": "Fever",
    }
