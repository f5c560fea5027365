"""Linking version 47, from what the case reviews of version 46 left open and four clinicians'
case reports: functions stated normal ruled out ("Hearing is normal"), one episode that is no
recurrence ("an episode of fever"), a verb form that is a name of its own ("fainted"), and an
examination's own words ("vision reduced to hand movements"). Each group has controls that
must not change."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normal_functions import read_normal_functions
from tests.test_encoders.context_fixtures import context_flags, lexicon_of, mention_labels

_TERMS = {
    "Hearing impairment": ("Hearing loss",),
    "Visual impairment": (),
    "Global developmental delay": (),
    "Intellectual disability": (),
    "Growth abnormality": (),
    "Fever": (),
    "Recurrent fever": ("Episodic fever",),
    "Vomiting": (),
    "Episodic vomiting": (),
    "Syncope": ("Fainting", "Fainted"),
    "Diminished movement": ("Reduced movements",),
    "Severely reduced visual acuity": (),
    "Seizure": ("Seizures",),
}
LEXICON, IRI = lexicon_of(_TERMS)
PARENTS = {
    IRI["Recurrent fever"]: [IRI["Fever"]],
    IRI["Episodic vomiting"]: [IRI["Vomiting"]],
}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig(), parents=PARENTS)


def _read(text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.phrase) for f in read_normal_functions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hearing is normal.", [("Hearing is normal", "hearing impairment")]),
        ("She has normal hearing.", [("normal hearing", "hearing impairment")]),
        ("Hearing: normal.", [("Hearing: normal", "hearing impairment")]),
        ("Vision was entirely normal.", [("Vision was entirely normal", "visual impairment")]),
        (
            "Her psychomotor development was normal.",
            [("psychomotor development was normal", "global developmental delay")],
        ),
        ("Cognition is normal.", [("Cognition is normal", "intellectual disability")]),
        ("Audiometry was normal.", [("Audiometry was normal", "hearing impairment")]),
        ("BAER results were normal.", [("BAER results were normal", "hearing impairment")]),
        (
            "He passed the newborn hearing screen.",
            [("passed the newborn hearing screen", "hearing impairment")],
        ),
        (
            "Growth and development were normal.",
            [
                ("Growth and development were normal", "growth abnormality"),
                ("Growth and development were normal", "global developmental delay"),
            ],
        ),
        (
            "She had normal hearing and vision.",
            [
                ("normal hearing and vision", "hearing impairment"),
                ("normal hearing and vision", "visual impairment"),
            ],
        ),
        # limited in time, or denied: nothing ruled out
        ("Development was normal until 9 months, when she lost skills.", []),
        ("Early development was normal.", []),
        ("Early growth and development were normal.", []),
        ("Hearing was not normal.", []),
        ("Not normal hearing.", []),
        # another function, another word
        ("Renal function was normal.", []),
        ("The hearing aid was fitted.", []),
    ],
)
def test_functions_stated_normal(text: str, expected: list[tuple[str, str]]) -> None:
    assert _read(text) == expected


_WORDS = ["hearing", "normal", "vision", "growth", "and", "was", "until", "early", ":", ",", " "]


@given(st.lists(st.sampled_from(_WORDS), max_size=12))
def test_readings_lie_in_the_text(words: list[str]) -> None:
    text = " ".join(words)
    for f in read_normal_functions(text):
        assert 0 <= f.start < f.end <= len(text)


def test_the_linker_rules_them_out_in_context(linker: ConceptLinker) -> None:
    assert context_flags(linker, "Hearing is normal.") == {"hearing is normal": "N"}
    assert mention_labels(linker, "Hearing is normal.") == {
        "hearing is normal": "Hearing impairment"
    }
    # a relative's function is the relative's
    assert context_flags(linker, "His sister's hearing is normal.") == {"hearing is normal": "F"}
    # a stated loss stays present
    assert context_flags(linker, "Hearing loss was found; vision was normal.") == {
        "hearing loss": "P",
        "vision was normal": "N",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She had an episode of fever.", {"episode of fever": "Fever"}),
        ("She had one episode of vomiting.", {"episode of vomiting": "Vomiting"}),
        (
            "During an episode of fever she had a seizure.",
            {"episode of fever": "Fever", "seizure": "Seizure"},
        ),
        # several, or each of several: recurrent
        ("She had episodes of fever.", {"episodes of fever": "Recurrent fever"}),
        ("Each episode of fever lasted three days.", {"episode of fever": "Recurrent fever"}),
        ("Another episode of vomiting followed.", {"episode of vomiting": "Episodic vomiting"}),
        ("Episodic fever since infancy.", {"episodic fever": "Recurrent fever"}),
    ],
)
def test_one_episode_is_no_recurrence(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected


def test_a_verb_form_that_is_a_name_of_its_own(linker: ConceptLinker) -> None:
    assert mention_labels(linker, "She fainted twice.") == {"fainted": "Syncope"}
    assert context_flags(linker, "She never fainted.") == {"fainted": "N"}


def test_an_examination_reading_keeps_its_own_words(linker: ConceptLinker) -> None:
    text = "Her vision was reduced to hand movements."
    assert mention_labels(linker, text) == {
        "vision was reduced to hand movements": "Severely reduced visual acuity"
    }
    # outside the reading, the words are read as before
    assert mention_labels(linker, "Reduced movements of the left arm.") == {
        "reduced movements": "Diminished movement"
    }
