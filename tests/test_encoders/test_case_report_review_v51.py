"""Linking version 51, from a fetal medicine specialist's, a reproductive geneticist's and a
developmental paediatrician's case reports (written on version 50 and held out until they
were scored): an earlier pregnancy's child, a reading set aside, "could not be assessed",
a "normal" that a time limits, "has been normal", an intact lip, audiology, a nuchal
translucency in millimetres, and "hydrops". Each group has controls that must not
change."""

from __future__ import annotations

import pytest

from encoders.clinical_names import CLINICAL_NAMES, DROPPED_NAMES
from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normal_functions import read_normal_functions
from encoders.reference_intervals import read_unranged_values
from tests.test_encoders.context_fixtures import (
    clinical_name_links,
    context_flags,
    lexicon_of,
    mention_labels,
)

_TERMS = {
    "Global developmental delay": ("developmental delay",),
    "Joint stiffness": ("stiff joints",),
    "Hydrocephalus": (),
    "Seizure": ("Seizures",),
    "Cerebral palsy": (),
    "Dandy-Walker malformation": (),
    "Glaucoma": (),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig(include_family=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Previous child with developmental delay.", {"developmental delay": "F"}),
        (
            "A previous pregnancy ended at 24 weeks with stiff joints.",
            {"stiff joints": "F"},
        ),
        ("A prior pregnancy was affected by hydrocephalus.", {"hydrocephalus": "F"}),
        # controls: this pregnancy's findings, and the sentence after an earlier child's
        ("In this pregnancy there was hydrocephalus.", {"hydrocephalus": "P"}),
        (
            "A previous child had seizures. This fetus has hydrocephalus.",
            {"seizures": "F", "hydrocephalus": "P"},
        ),
    ],
)
def test_an_earlier_pregnancys_child_is_a_relative(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "excluded", "uncertain"),
    [
        ("These events were initially mistaken for seizures.", True, True),
        ("She was previously misdiagnosed as having cerebral palsy.", True, True),
        ("Whether a Dandy-Walker malformation was present could not be assessed.", False, True),
        ("Development, normal before seizure onset, plateaued.", False, False),
        ("Glaucoma screening has been normal.", True, True),
        # controls
        ("She has seizures.", False, False),
        ("A Dandy-Walker malformation was present.", False, False),
        ("Seizures, normally brief, recur weekly.", False, False),
        ("Normal glaucoma screening.", True, True),
    ],
)
def test_readings_set_aside_and_not_assessed(
    linker: ConceptLinker, text: str, excluded: bool, uncertain: bool
) -> None:
    [mention] = linker.link(text)
    assert (mention.excluded, mention.uncertain) == (excluded, uncertain)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The lip was intact.", ["cleft lip"]),
        ("Upper lip intact, palate intact.", ["cleft lip", "cleft palate"]),
        ("Audiology normal.", ["hearing impairment"]),
        # controls: a lip with a finding, and a lip's colour
        ("The upper lip was thin.", []),
        ("The lips were blue.", []),
    ],
)
def test_an_intact_lip_and_audiology(text: str, expected: list[str]) -> None:
    assert [f.phrase for f in read_normal_functions(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NT 4.2 mm at the dating scan.", [4.2]),
        ("Nuchal translucency at 12+3 weeks was 5.6 mm.", [5.6]),
        ("The nuchal translucency measured 3.9 mm.", [3.9]),
        # controls: within the limit, and NT-proBNP
        ("NT 1.8 mm.", []),
        ("NT-proBNP 5.6 mm.", []),
    ],
)
def test_a_nuchal_translucency_in_millimetres(text: str, expected: list[float]) -> None:
    found = [v for v in read_unranged_values(text) if v.phrase == "increased nuchal translucency"]
    assert [v.value for v in found] == expected


@pytest.mark.parametrize(
    ("curie", "name"),
    [
        ("HP:0001789", "fetal hydrops"),
        ("HP:0001789", "hydrops"),
        ("HP:0001623", "breech"),
        ("HP:0001511", "FGR"),
        ("HP:0002789", "tachypnoeic"),
        ("HP:0000051", "perineoscrotal hypospadias"),
        ("HP:0008689", "bilateral impalpable testes"),
        ("HP:0031217", "hot flushes"),
        ("HP:0000089", "renal hypodysplasia"),
        ("HP:0025486", "labial fusion"),
        ("HP:0000750", "slow to talk"),
        ("HP:0000316", "wide-spaced eyes"),
        ("HP:0011471", "gastrostomy-fed"),
        ("HP:0000966", "rarely sweats"),
        ("HP:0001344", "no spoken words"),
        ("HP:0025161", "frequent tantrums"),
    ],
)
def test_the_reviewers_clinical_names(curie: str, name: str) -> None:
    assert name in CLINICAL_NAMES[curie]
    assert clinical_name_links(curie, name)


def test_hydrops_is_no_plain_edema() -> None:
    assert "hydrops" in DROPPED_NAMES["HP:0000969"]


HYDROPS, _ = lexicon_of({"Hydrops fetalis": ("hydrops",)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The fetus had hydrops.", {"hydrops": "Hydrops fetalis"}),
        # an organ's hydrops is no fetus's
        ("Ultrasound showed gallbladder hydrops.", {}),
        ("Endolymphatic hydrops was suspected.", {}),
        ("She had acute corneal hydrops.", {}),
    ],
)
def test_an_organs_hydrops_is_no_fetuss(text: str, expected: dict[str, str]) -> None:
    assert mention_labels(ConceptLinker(HYDROPS, LinkerConfig()), text) == expected
