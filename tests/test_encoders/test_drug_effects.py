"""Findings a text gives as a treatment's effect (:mod:`encoders.drug_effects`, linking
version 46): hedged, so that no disease is ranked on what a drug did. Each group has
controls that must not change: a drug that failed leaves the disease's findings as they are,
and a drug's name inside a finding's name opens no scope."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encoders.drug_effects import drug_effect_scopes, is_drug
from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

_TERMS = {
    "Hypothyroidism": (),
    "Arrhythmia": (),
    "Peripheral neuropathy": (),
    "Foot dorsiflexor weakness": ("Foot drop",),
    "Cheilitis": (),
    "Hypertriglyceridemia": ("Raised triglycerides",),
    "Wheezing": ("Wheeze",),
    "Hyperglycemia": (),
    "Bradycardia": (),
    "Fatigue": (),
    "Seizure": ("Seizures", "Epilepsy"),
    "Developmental regression": (),
    "Aminoglycoside-induced hearing loss": (),
    "Polyhydramnios": (),
    "Malignant hyperthermia": (),
    "Thrombocytopenia": (),
    "Neutrophilia": ("Raised neutrophil count",),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Amiodarone controlled the arrhythmia but was complicated by hypothyroidism.",
            {"arrhythmia": "P", "hypothyroidism": "U"},
        ),
        (
            "He developed a peripheral neuropathy with foot drop, attributed to vincristine.",
            {"peripheral neuropathy": "U", "foot drop": "U"},
        ),
        (
            "Oral acitretin was started, complicated by cheilitis and raised triglycerides.",
            {"cheilitis": "U", "raised triglycerides": "U"},
        ),
        ("Timolol was stopped after he developed wheeze.", {"wheeze": "U"}),
        ("She developed steroid-induced hyperglycemia.", {"hyperglycemia": "U"}),
        ("Sotalol caused bradycardia and fatigue.", {"bradycardia": "U", "fatigue": "U"}),
        (
            "Valproate was discontinued because of thrombocytopenia.",
            {"thrombocytopenia": "U"},
        ),
        ("Filgrastim raised the neutrophil count.", {"raised the neutrophil count": "U"}),
        # must not change: a drug that failed, a finding's own name, other complications
        ("Seizures persisted on valproate.", {"seizures": "P"}),
        (
            "Despite levetiracetam, the epilepsy caused developmental regression.",
            {"epilepsy": "P", "developmental regression": "P"},
        ),
        (
            "He had aminoglycoside-induced hearing loss.",
            {"aminoglycoside-induced hearing loss": "P"},
        ),
        ("The pregnancy was complicated by polyhydramnios.", {"polyhydramnios": "P"}),
        (
            "Surgery was complicated by malignant hyperthermia.",
            {"malignant hyperthermia": "P"},
        ),
        ("He has bradycardia and fatigue.", {"bradycardia": "P", "fatigue": "P"}),
        ("He had a raised neutrophil count.", {"raised neutrophil count": "P"}),
    ],
)
def test_a_treatments_effects_are_hedged(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("word", "drug"),
    [
        ("amiodarone", True),
        ("sotalol", True),
        ("bisoprolol", True),
        ("rituximab", True),
        ("carboplatin", True),
        ("prednisolone", True),
        ("steroids", True),
        ("april", False),
        ("seizures", False),
        ("hypotonia", False),
        ("father", False),
    ],
)
def test_drug_names(word: str, drug: bool) -> None:
    assert is_drug(word) is drug


@given(st.lists(st.sampled_from(["valproate", "caused", "due", "to", ",", ".", "a", "x"])))
def test_scopes_lie_in_the_text(words: list[str]) -> None:
    for start, end, direction in drug_effect_scopes(words):
        assert 0 <= start < end <= len(words)
        assert direction in ("forward", "backward")
