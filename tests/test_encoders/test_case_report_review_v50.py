"""Linking version 50, from a gastroenterologist's, a cancer geneticist's and a
dysmorphologist's case reports: a clause of its own after a negated item's "and", a
forward "suspected", "clear of", counts read as "multiple", words that modify an
investigation after a coordination, a compound split in two, catch-up weight gain, an
adverb's coordination, combining forms before a hyphen, "mutism", an INR and an oxygen
saturation without a range. Each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.clinical_names import CLINICAL_NAMES, DROPPED_NAMES
from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normalize import phrase_variants
from encoders.reference_intervals import read_unranged_values
from tests.test_encoders.context_fixtures import (
    clinical_name_links,
    context_flags,
    lexicon_of,
    mention_labels,
)

_TERMS = {
    "Hepatomegaly": (),
    "Splenomegaly": ("spleen enlarged",),
    "Abdominal distention": ("abdomen distended",),
    "Seizure": ("Seizures",),
    "Ataxia": (),
    "Large for gestational age": ("macrosomia",),
    "Arteriovenous malformation": ("AVM",),
    "Cafe-au-lait spot": (),
    "Multiple cafe-au-lait spots": (),
    "Exostoses": (),
    "Multiple exostoses": (),
    "Renal cyst": (),
    "Multiple renal cysts": (),
    "Pelvic kidney": (),
    "Overgrowth": (),
    "Increased body weight": ("Weight gain",),
    "Fragile skin": ("skin tears easily",),
    "Cutaneous wound": ("Skin wound",),
    "Tracheoesophageal fistula": (),
    "Hepatosplenomegaly": (),
    "Mutism": (),
    "Neoplasm": ("Tumour",),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "There was no hepatomegaly and the spleen was enlarged.",
            {"hepatomegaly": "N", "spleen was enlarged": "P"},
        ),
        (
            "He had no seizures by 48 h and his abdomen was distended.",
            {"seizures": "N", "abdomen was distended": "P"},
        ),
        # controls: a list ruled out as a whole, and a second item with no verb of its own
        ("No hepatomegaly and splenomegaly.", {"hepatomegaly": "N", "splenomegaly": "N"}),
        ("No hepatomegaly and the splenomegaly.", {"hepatomegaly": "N", "splenomegaly": "N"}),
        (
            "There was no hepatomegaly, and the spleen was enlarged.",
            {"hepatomegaly": "N", "spleen was enlarged": "P"},
        ),
    ],
)
def test_a_clause_of_its_own_after_a_negated_items_and(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He has suspected seizures.", {"seizures": "U"}),
        ("Suspected seizures.", {"seizures": "U"}),
        ("Emergency caesarean section for suspected macrosomia.", {"macrosomia": "U"}),
        # controls: the post-posed "suspected" hedges its own mention only
        ("Seizures were suspected.", {"seizures": "U"}),
        ("Seizures suspected by the parents were confirmed on EEG.", {"seizures": "P"}),
        ("Ataxia and seizures, Angelman syndrome suspected.", {"ataxia": "P", "seizures": "P"}),
    ],
)
def test_a_forward_suspected_hedges_what_follows(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Liver imaging was clear of AVMs.", {"avms": "N"}),
        # controls
        ("Liver imaging showed AVMs.", {"avms": "P"}),
        ("The lungs were clear; hepatomegaly.", {"hepatomegaly": "P"}),
    ],
)
def test_clear_of_rules_out(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She has six cafe-au-lait spots.", {"Multiple cafe-au-lait spots"}),
        ("There were 8 cafe-au-lait spots.", {"Multiple cafe-au-lait spots"}),
        ("Ultrasound showed 3 renal cysts.", {"Multiple renal cysts"}),
        ("He had numerous exostoses.", {"Multiple exostoses"}),
        ("He had several exostoses.", {"Multiple exostoses"}),
        # controls: one, a measure, a decimal, and a count of no name's plural
        ("She has one cafe-au-lait spot.", {"Cafe-au-lait spot"}),
        ("A 2 cm renal cyst.", {"Renal cyst"}),
        ("The liver showed 1.5 renal cysts.", {"Renal cyst"}),
        ("She is 3 years old and has exostoses.", {"Exostoses"}),
        # a number of thousands of digits is no count, and no error
        ("There were " + "9" * 5000 + " renal cysts.", {"Renal cyst"}),
        ("There were 1000 renal cysts.", {"Renal cyst"}),
    ],
)
def test_counts_read_as_multiple(linker: ConceptLinker, text: str, expected: set[str]) -> None:
    assert set(mention_labels(linker, text).values()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Renal ultrasound and pelvic ultrasound are planned annually.", set()),
        ("He had a renal ultrasound and pelvic MRI.", set()),
        ("Her growth for over a year had been poor.", set()),
        ("There was catch-up weight gain.", set()),
        ("The skin tears easily and wounds heal slowly.", {"Fragile skin"}),
        # controls
        ("He has a pelvic kidney.", {"Pelvic kidney"}),
        ("There was overgrowth.", {"Overgrowth"}),
        ("He had over-growth of the left leg.", {"Overgrowth"}),
        ("There was excessive weight gain.", {"Increased body weight"}),
        ("She has a skin wound.", {"Cutaneous wound"}),
    ],
)
def test_words_that_name_no_finding_together(
    linker: ConceptLinker, text: str, expected: set[str]
) -> None:
    assert set(mention_labels(linker, text).values()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She had a tracheo-oesophageal fistula.", {"Tracheoesophageal fistula"}),
        ("She had a tracheo-esophageal fistula.", {"Tracheoesophageal fistula"}),
        ("She has hepato-splenomegaly.", {"Hepatosplenomegaly"}),
        ("He has mutism.", {"Mutism"}),
        ("Tumour mutational burden was 280 mut/Mb.", {"Neoplasm"}),
        # controls: the one-word forms
        ("She had a tracheoesophageal fistula.", {"Tracheoesophageal fistula"}),
        ("She has hepatosplenomegaly.", {"Hepatosplenomegaly"}),
    ],
)
def test_combining_forms_and_mutism(linker: ConceptLinker, text: str, expected: set[str]) -> None:
    assert set(mention_labels(linker, text).values()) == expected


def test_a_split_compound_keeps_its_order() -> None:
    keys = phrase_variants("Overgrowth")
    assert ("over", "growth") in keys
    assert ("growth", "over") not in keys


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INR 1.8.", ("increased international normalized ratio", 1.8)),
        ("Her INR was 2.4 on admission.", ("increased international normalized ratio", 2.4)),
        ("SpO2 88% on air.", ("hypoxemia", 88.0)),
        ("Oxygen saturations were 85% in air.", ("hypoxemia", 85.0)),
        ("Her sats were 88%.", ("hypoxemia", 88.0)),
        # an iron study's "transferrin sats" is no oxygen saturation
        ("Transferrin sats 8%.", None),
        # controls: values within the limits, and an INR with its own range
        ("INR 1.1.", None),
        ("SpO2 97% on air.", None),
        ("INR 1.8 (0.8-1.2).", None),
    ],
)
def test_an_inr_and_an_oxygen_saturation(text: str, expected: tuple[str, float] | None) -> None:
    found = [(v.phrase, v.value) for v in read_unranged_values(text)]
    assert found == ([] if expected is None else [expected])


@pytest.mark.parametrize(
    ("curie", "name"),
    [
        ("HP:0001030", "skin tears"),
        ("HP:0010794", "visuospatial weakness"),
        ("HP:0000555", "white reflex"),
        ("HP:0030679", "ash-leaf macule"),
        ("HP:0002870", "obstructive apnoea"),
        ("HP:0001636", "TOF"),
        ("HP:0009718", "SEGA"),
        ("HP:0001518", "SGA"),
        ("HP:0004389", "CIPO"),
        ("HP:0001528", "lateralised overgrowth"),
        ("HP:0004381", "supravalvar aortic stenosis"),
        ("HP:0006254", "raised AFP"),
    ],
)
def test_the_reviewers_clinical_names(curie: str, name: str) -> None:
    assert name in CLINICAL_NAMES[curie]
    assert clinical_name_links(curie, name)


def test_an_oncology_clinic_is_no_neoplasm() -> None:
    assert "oncology" in DROPPED_NAMES["HP:0002664"]
