"""Linking versions 32 and 33, from clinic letters a reviewer wrote: a letter's shorthand
for an absent finding ("Scoliosis not seen.", "Not present: ...", "Hypogonadism - not yet",
"Seizures -ve"), "has not had any", a plan's "to look for" and "consider", a relative
labelled with an age ("Father (45): ..."), a dash written apart ending a list's item, and
(version 33) a question mark written against a finding ("?ptosis ?hypertelorism") querying
it. Each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

_TERMS = {
    "Scoliosis": (),
    "Cleft palate": (),
    "Mitral valve prolapse": ("MVP",),
    "Seizure": ("Seizures",),
    "Hearing impairment": ("Hearing loss",),
    "Situs inversus totalis": ("Situs inversus",),
    "Hypogonadism": (),
    "Allergy": ("Allergies",),
    "Cardiomyopathy": (),
    "Hypothyroidism": (),
    "Tall stature": ("Tall",),
    "Ptosis": (),
    "Hypertelorism": (),
    "Short stature": (),
    "Epilepsy": (),
    "Hypotonia": (),
    "Microcephaly": (),
    "Hepatomegaly": ("Enlarged liver",),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Scoliosis not seen.", {"scoliosis": "N"}),
        ("Cleft palate not seen on ultrasound.", {"cleft palate": "N"}),
        ("MVP not heard.", {"mvp": "N"}),
        ("He has not had any seizures.", {"seizures": "N"}),
        (
            "Not present: hearing loss, situs inversus.",
            {"hearing loss": "N", "situs inversus": "N"},
        ),
        ("Hypogonadism - not yet.", {"hypogonadism": "N"}),
        ("Allergies: none known.", {"allergies": "N"}),
        ("Seizures -ve.", {"seizures": "N"}),
        ("Hypotonia +ve, seizures -ve.", {"hypotonia": "P", "seizures": "N"}),
        ("Scoliosis: -ve.", {"scoliosis": "N"}),
        # must not change: a finding that is there, and a clause of its own after "but"
        ("Scoliosis was seen on the radiograph.", {"scoliosis": "P"}),
        ("Seizures were not seen but hypotonia was noted.", {"seizures": "N", "hypotonia": "P"}),
        ("He has had seizures.", {"seizures": "P"}),
        ("Present: hearing loss, scoliosis.", {"hearing loss": "P", "scoliosis": "P"}),
    ],
)
def test_a_letters_shorthand_for_an_absent_finding(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plan: echo to look for cardiomyopathy.", {"cardiomyopathy": "U"}),
        ("Consider hypothyroidism.", {"hypothyroidism": "U"}),
        ("Endocrine review for hypogonadism in a year.", {"hypogonadism": "U"}),
        # must not change: what the patient has, said before the plan
        ("Cardiomyopathy on echo. Plan: repeat echo.", {"cardiomyopathy": "P"}),
        ("He was referred for a review of his seizures.", {"seizures": "P"}),
    ],
)
def test_a_plans_tests_are_hedged(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Father (45): tall, scoliosis.", {"tall": "F", "scoliosis": "F"}),
        ("Mother, 38: short stature.", {"short stature": "F"}),
        ("Mother aged 38 years: epilepsy.", {"epilepsy": "F"}),
        ("Maternal grandfather (67): hearing loss.", {"hearing loss": "F"}),
        # must not change: the label without an age, and the patient's own line after it
        ("Mother: epilepsy.\nPatient: seizures.", {"epilepsy": "F", "seizures": "P"}),
        ("Father (45): tall. He has scoliosis.", {"tall": "F", "scoliosis": "P"}),
    ],
)
def test_a_relative_labelled_with_an_age(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hypotonia - no seizures - microcephaly.",
            {"hypotonia": "P", "seizures": "N", "microcephaly": "P"},
        ),
        (
            "Hypotonia \u2013 no seizures \u2013 microcephaly.",
            {"hypotonia": "P", "seizures": "N", "microcephaly": "P"},
        ),
        # must not change: a list ruled out whole, and a hyphen inside a word
        (
            "No seizures, hypotonia or microcephaly.",
            {"seizures": "N", "hypotonia": "N", "microcephaly": "N"},
        ),
        ("No non-febrile seizures.", {"seizures": "N"}),
    ],
)
def test_a_dash_written_apart_ends_a_lists_item(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O/E: ?ptosis ?hypertelorism.", {"ptosis": "U", "hypertelorism": "U"}),
        ("Mild ?ptosis and hypotonia.", {"ptosis": "U", "hypotonia": "P"}),
        # must not change: a question's end before the next sentence, written either way,
        # hedges nothing after it (the question's own finding is asked about, so hedged,
        # since linking version 67)
        ("Does he have seizures? Hypotonia is present.", {"seizures": "U", "hypotonia": "P"}),
        ("Does he have seizures?Hypotonia was noted.", {"seizures": "U", "hypotonia": "P"}),
    ],
)
def test_a_question_mark_written_against_a_finding_queries_it(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected
