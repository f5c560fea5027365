"""Linking version 53: a finding absent since a time or for a duration was there before
("no seizures since the age of 5", "no seizures for two years", "no more seizures after
valproate"); absent since birth, or since the last visit, it is ruled out as before."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

LEXICON, _ = lexicon_of({"Seizure": ("Seizures",), "Hypoglycemia": ("Hypoglycaemia",)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He has had no seizures since childhood.", {"seizures": "P"}),
        ("No seizures since 2019.", {"seizures": "P"}),
        ("No seizures since the age of 5 years.", {"seizures": "P"}),
        ("A febrile seizure at 2; no seizures since then.", {"seizure": "P", "seizures": "P"}),
        ("He has had no seizures for two years.", {"seizures": "P"}),
        ("No seizures for the last 3 months.", {"seizures": "P"}),
        ("No seizures for over a year on valproate.", {"seizures": "P"}),
        ("She has not had hypoglycaemia since starting cornstarch.", {"hypoglycaemia": "P"}),
        ("No more seizures were observed after valproate was started.", {"seizures": "P"}),
        # controls: never there, a follow-up's interval, no duration after "for"
        ("No seizures since birth.", {"seizures": "N"}),
        ("No seizures since the last visit.", {"seizures": "N"}),
        ("No seizures were reported.", {"seizures": "N"}),
        ("No seizures for review.", {"seizures": "N"}),
        ("He has never had seizures or hypoglycaemia.", {"seizures": "N", "hypoglycaemia": "N"}),
        (
            "No hypoglycaemia for a reason, and no seizures.",
            {"hypoglycaemia": "N", "seizures": "N"},
        ),
    ],
)
def test_findings_absent_since_a_time(text: str, expected: dict[str, str]) -> None:
    linker = ConceptLinker(LEXICON, LinkerConfig())
    assert context_flags(linker, text) == expected


CONTRACTED, _ = lexicon_of({"Seizure": ("Seizures",), "Hypoglycemia": ("Hypoglycaemic",)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # since linking version 53, a contracted "n't" is a negation
        ("He doesn't have seizures.", {"seizures": "N"}),
        ("She wasn't hypoglycaemic.", {"hypoglycaemic": "N"}),
        ("He hasn't had seizures since 2019.", {"seizures": "P"}),
        ("He didn't have seizures until age 5.", {"seizures": "P"}),
        # controls
        ("He does not have seizures.", {"seizures": "N"}),
        ("He can't walk and has seizures.", {"seizures": "P"}),
        ("He has seizures; his brother doesn't.", {"seizures": "P"}),
    ],
)
def test_a_contracted_not(text: str, expected: dict[str, str]) -> None:
    linker = ConceptLinker(CONTRACTED, LinkerConfig())
    assert context_flags(linker, text) == expected
