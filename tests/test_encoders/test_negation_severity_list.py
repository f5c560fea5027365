"""A forward negation list ends at a comma before a word of degree or quantity
(encoders.negation._DEGREE_OPENERS): "no seizures, severe hypotonia" rules out the seizures
only. A list of alternatives ("no fever, severe pain or rash") stays wholly negated, and so
do lists whose item begins with a word left out of the rule ("mild", "significant").

The sentences are written for these tests."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

_TERMS = {
    "Seizure": ("Seizures",),
    "Hypotonia": (),
    "Ataxia": (),
    "Fever": (),
    "Cough": (),
    "Rash": (),
    "Pain": (),
    "Weight loss": (),
    "Scoliosis": (),
    "Neutrophil infiltration": ("Neutrophils",),
    "Macrophage infiltration": ("Macrophages",),
    "T-cell infiltration": ("T lymphocytes",),
    "Cafe-au-lait spot": ("Cafe-au-lait spots",),
    "Lipoma": ("Lipomas",),
}
LEXICON, _ = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


def check(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    got = context_flags(linker, text)
    assert {k: got.get(k) for k in expected} == expected, got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No seizures, severe hypotonia.", {"seizures": "N", "hypotonia": "P"}),
        ("No seizures, marked hypotonia.", {"seizures": "N", "hypotonia": "P"}),
        ("No fever, markedly painful rash.", {"fever": "N", "rash": "P"}),
        ("No seizures, prominent hypotonia.", {"seizures": "N", "hypotonia": "P"}),
        ("No seizures, profound hypotonia.", {"seizures": "N", "hypotonia": "P"}),
        ("No seizures, moderate ataxia.", {"seizures": "N", "ataxia": "P"}),
        ("No neutrophils, abundant macrophages.", {"neutrophils": "N", "macrophages": "P"}),
        ("No neutrophils, many T lymphocytes.", {"neutrophils": "N", "t lymphocytes": "P"}),
        (
            "No cafe-au-lait spots, multiple lipomas.",
            {"cafe-au-lait spots": "N", "lipomas": "P"},
        ),
        # the rest of the list after the new statement is present too
        (
            "No fever, severe hypotonia and scoliosis.",
            {"fever": "N", "hypotonia": "P", "scoliosis": "P"},
        ),
        # after a list of alternatives that is over
        (
            "No seizures or ataxia, severe hypotonia.",
            {"seizures": "N", "ataxia": "N", "hypotonia": "P"},
        ),
        # ", and" + a degree word
        ("No seizures, and severe hypotonia.", {"seizures": "N", "hypotonia": "P"}),
        # a hedge's list ends there too
        ("Possible seizures, severe hypotonia.", {"seizures": "U", "hypotonia": "P"}),
    ],
)
def test_degree_word_after_comma_ends_the_negated_list(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # must not change: a plain negated list
        ("No fever, cough or rash.", {"fever": "N", "cough": "N", "rash": "N"}),
        ("No fever, cough, rash.", {"fever": "N", "cough": "N", "rash": "N"}),
        # an "or" further on: a list of alternatives ruled out
        ("No fever, severe cough or rash.", {"fever": "N", "cough": "N", "rash": "N"}),
        ("No fever, or severe cough.", {"fever": "N", "cough": "N"}),
        # words left out of the rule
        ("No fever, mild cough.", {"fever": "N", "cough": "N"}),
        ("Denies fever, significant weight loss.", {"fever": "N", "weight loss": "N"}),
        ("No fever, persistent cough.", {"fever": "N", "cough": "N"}),
        # the degree word inside the first item
        ("No severe hypotonia, ataxia or scoliosis.", {"hypotonia": "N", "ataxia": "N"}),
        # the separators already handled: "; " and ", but"
        ("No seizures; severe hypotonia.", {"seizures": "N", "hypotonia": "P"}),
        ("No seizures, but severe hypotonia.", {"seizures": "N", "hypotonia": "P"}),
    ],
)
def test_negated_lists_that_do_not_change(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a cue after a comma that follows a finding opens one item of the list, not the
        # rest of it (linking version 20)
        (
            "Hypotonia, no seizures, scoliosis.",
            {"hypotonia": "P", "seizures": "N", "scoliosis": "P"},
        ),
        (
            "Ataxia, no fever or rash, and scoliosis.",
            {"ataxia": "P", "fever": "N", "rash": "N", "scoliosis": "P"},
        ),
        ("Ataxia, possible seizures, scoliosis.", {"seizures": "U", "scoliosis": "P"}),
        # must not change: a cue that opens the list, or one after "but"
        ("No seizures, ataxia, or rash.", {"seizures": "N", "ataxia": "N", "rash": "N"}),
        (
            "Hypotonia but no seizures, ataxia or rash.",
            {"hypotonia": "P", "seizures": "N", "ataxia": "N", "rash": "N"},
        ),
    ],
)
def test_a_cue_inside_a_list_of_findings_opens_one_item(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)
