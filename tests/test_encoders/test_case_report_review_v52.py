"""Linking version 52, from an adult neurogeneticist's, a psychiatric geneticist's and an
oral medicine specialist's case reports (written on version 51 and held out until they
were scored): sweating stated normal, flexor plantars, full eye movements, "less likely",
and the reviewers' clinical phrasings. Each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.clinical_names import CLINICAL_NAMES, DROPPED_NAMES
from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normal_functions import read_normal_functions
from tests.test_encoders.context_fixtures import clinical_name_links, context_flags, lexicon_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She sweats normally.", ["hypohidrosis"]),
        ("Sweating was normal.", ["hypohidrosis"]),
        ("Reflexes were brisk and plantars flexor.", ["babinski sign"]),
        ("Plantar responses were flexor bilaterally.", ["babinski sign"]),
        ("Downgoing plantars.", ["babinski sign"]),
        ("Eye movements were full.", ["ophthalmoplegia"]),
        ("Full eye movements.", ["ophthalmoplegia"]),
        # controls: "full" of something, a sweat that is no statement, upgoing plantars
        ("Eye movements were full of saccadic intrusions.", []),
        ("He sweats at night.", []),
        ("Upgoing plantars.", []),
        ("A full-term baby.", []),
    ],
)
def test_functions_stated_normal(text: str, expected: list[str]) -> None:
    assert [f.phrase for f in read_normal_functions(text)] == expected


LEXICON, _ = lexicon_of({"Alzheimer disease": (), "Seizure": ("Seizures",)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Early-onset Alzheimer disease is considered less likely.", {"alzheimer disease": "U"}),
        ("Seizures are less likely.", {"seizures": "U"}),
        # controls
        ("He has Alzheimer disease.", {"alzheimer disease": "P"}),
        ("Seizures are likely.", {"seizures": "P"}),
    ],
)
def test_less_likely_hedges(text: str, expected: dict[str, str]) -> None:
    linker = ConceptLinker(LEXICON, LinkerConfig())
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("curie", "name"),
    [
        ("HP:0006323", "early exfoliation of the primary teeth"),
        ("HP:0006286", "yellow-brown teeth"),
        ("HP:0011069", "supernumeraries"),
        ("HP:0031936", "walked late"),
        ("HP:0002659", "history of fractures"),
        ("HP:0008765", "hearing voices"),
        ("HP:0011999", "paranoid ideation"),
        ("HP:0100785", "sleeplessness"),
        ("HP:0000722", "obsessive checking"),
        ("HP:0033051", "dysexecutive"),
        ("HP:0000020", "incontinent of urine"),
        ("HP:0002376", "loss of skills"),
        ("HP:0006695", "AVSD"),
        ("HP:0025401", "staring spells"),
        ("HP:0002300", "mute"),
        ("HP:0002077", "migraine with visual aura"),
        ("HP:0000757", "absent insight"),
        ("HP:0002145", "FTD"),
        ("HP:0001257", "spastic catch"),
        ("HP:0003487", "babinski positive"),
    ],
)
def test_the_reviewers_clinical_names(curie: str, name: str) -> None:
    assert name in CLINICAL_NAMES[curie]
    assert clinical_name_links(curie, name)


def test_sweating_alone_is_no_hyperhidrosis() -> None:
    assert "sweating" in DROPPED_NAMES["HP:0000975"]
