"""Review fixes of linking version 28, from passages written in the style of case reports:
"absence of X" rules X out (unless a name holds the words), a backward "was normal" or "was
suspected" stays in its own clause after "and", and a name does not lead a noun phrase of
its own after "and her ...". Each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

_TERMS = {
    "Seizure": ("Seizures",),
    "Absence seizure": ("Absence seizures",),
    "Fever": (),
    "Skin rash": ("Rash",),
    "Lymphadenopathy": (),
    "Hepatomegaly": ("Enlarged liver",),
    "Cataract": ("Cataracts",),
    "Hypotonia": (),
    "Ataxia": (),
    "Short finger": ("Short fingers",),
    "Short toe": ("Short toes",),
    "Micrognathia": ("Small jaw",),
    "Microphthalmia": ("Small eye", "Small eyes"),
    "Agenesis of corpus callosum": ("Absence of the corpus callosum",),
    "Thin corpus callosum": (),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


def check(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    got = context_flags(linker, text)
    assert got == expected, got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("There was absence of hepatomegaly.", {"hepatomegaly": "N"}),
        (
            "Absence of fever, rash and lymphadenopathy.",
            {"fever": "N", "rash": "N", "lymphadenopathy": "N"},
        ),
        # "absence of seizures" is no Absence seizure: the seizures are ruled out
        ("In the absence of seizures, EEG was not repeated.", {"seizures": "N"}),
        # must not change: a name holding the words, absence seizures, and a structure's
        # absence that no name reads, with a finding after "with"
        ("MRI showed absence of the corpus callosum.", {"absence of the corpus callosum": "P"}),
        ("He had absence seizures.", {"absence seizures": "P"}),
        (
            "Autopsy revealed the absence of olfactory bulbs with a thin corpus callosum.",
            {"thin corpus callosum": "P"},
        ),
    ],
)
def test_absence_of_a_finding_rules_it_out(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He had cataracts and his hearing was normal.", {"cataracts": "P"}),
        ("There was hepatomegaly and the kidneys were normal.", {"hepatomegaly": "P"}),
        ("He had seizures and MRI was normal.", {"seizures": "P"}),
        ("He had hypotonia and was suspected to have ataxia.", {"hypotonia": "P", "ataxia": "U"}),
        # must not change: coordinated subjects of the trigger are all in its scope
        ("Seizures and ataxia were absent.", {"seizures": "N", "ataxia": "N"}),
        ("Fever and rash were not noted.", {"fever": "N", "rash": "N"}),
        ("Hypotonia and ataxia were suspected.", {"hypotonia": "U", "ataxia": "U"}),
    ],
)
def test_a_backward_trigger_stays_in_its_clause_after_and(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She has a small jaw and her eyes are far apart.", {"small jaw": "P"}),
        ("He had short fingers and his toes were long.", {"short fingers": "P"}),
        # must not change: a lead shared over a conjunct without a word of its own
        ("He had short fingers and toes.", {"short fingers": "P", "short fingers and toes": "P"}),
    ],
)
def test_a_name_does_not_lead_a_phrase_of_its_own(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


@pytest.fixture(scope="module")
def prefixed() -> ConceptLinker:
    lexicon, _ = lexicon_of(
        {
            "Hepatomegaly": (),
            "Splenomegaly": (),
            "Micrognathia": (),
            "Retrognathia": (),
            "Prenatal growth retardation": (),
            "Postnatal growth retardation": (),
            "Hypopigmented macule": ("Hypopigmented macules",),
            "Hyperpigmented macule": ("Hyperpigmented macules",),
        }
    )
    return ConceptLinker(lexicon, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "He had hepato- and splenomegaly.",
            {"hepato- and splenomegaly": "P", "splenomegaly": "P"},
        ),
        ("No hepato- or splenomegaly.", {"hepato- or splenomegaly": "N", "splenomegaly": "N"}),
        ("She had micro- and retrognathia.", {"micro- and retrognathia": "P", "retrognathia": "P"}),
        (
            "Pre- and postnatal growth retardation.",
            {"pre- and postnatal growth retardation": "P", "postnatal growth retardation": "P"},
        ),
        # the ending starts at a consonant: "hypo" + "pigmented", not + "erpigmented" (which
        # folds to "hyperpigmented" as "oe" folds to "e")
        (
            "There were hypo- and hyperpigmented macules.",
            {"hypo- and hyperpigmented macules": "P", "hyperpigmented macules": "P"},
        ),
        # must not change: words hyphenated with no name of the two
        ("A well- and long-known feature.", {}),
    ],
)
def test_a_prefix_written_apart_takes_the_next_words_place(
    prefixed: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(prefixed, text, expected)
    if "hypo-" in text:
        (first, _) = prefixed.link(text)
        assert first.label == "Hypopigmented macule"
