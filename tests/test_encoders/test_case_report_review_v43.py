"""Linking version 43, from case reports that an immunologist and a neurogeneticist wrote
for a review (held out from the fixes of versions 37-42): relatives named after "of" and in
"whose" clauses, causes in a relative's sentence, a negation that "and" with a count or a
recurrence ends, "lack of X with Y", triggers, "never documented", laboratory values in
another specimen or inside a longer name, units, and "weakness". Each group has controls
that must not change."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

_TERMS = {
    "Fever": (),
    "Hepatomegaly": (),
    "Recurrent pneumonia": (),
    "Pneumonia": (),
    "Nephrotic syndrome": (),
    "Amyloidosis": (),
    "Seizure": ("Seizures", "Epilepsy"),
    "Hypoglycemia": (),
    "Eczema": (),
    "Erythema": (),
    "Optic atrophy": (),
    "Macrocephaly": (),
    "Crohn's disease": ("Crohn disease",),
    "Colitis": (),
    "Leukopenia": ("Low leukocytes",),
    "Hypermagnesemia": ("High magnesium", "Elevated Mg"),
    "Hyperphosphatemia": ("High phosphate",),
    "Increased circulating lactate concentration": ("High lactate",),
    "Increased CSF lactate": ("High CSF lactate",),
    "Increased circulating ferritin concentration": ("High ferritin", "Elevated ferritin"),
    "Thrombocytopenia": (),
    "Diarrhea": (),
    "Cerebral palsy": (),
    "Decreased circulating IgA concentration": (),
    "Increased circulating IgA concentration": (),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A boy of Turkish parents presented with fever and hepatomegaly.",
            {"fever": "P", "hepatomegaly": "P"},
        ),
        (
            "A 3-year-old boy, whose parents are first cousins, had recurrent pneumonia.",
            {"recurrent pneumonia": "P"},
        ),
        (
            "Her brother developed nephrotic syndrome due to amyloidosis.",
            {"nephrotic syndrome": "F", "amyloidosis": "F"},
        ),
        ("No eczema, and recurrent pneumonia.", {"eczema": "N", "recurrent pneumonia": "P"}),
        (
            "Abscesses without erythema, and two episodes of pneumonia.",
            {"erythema": "N", "pneumonia": "P"},
        ),
        ("Hypoglycemia was never documented.", {"hypoglycemia": "N"}),
        (
            "She showed lack of visual tracking with optic atrophy.",
            {"optic atrophy": "P"},
        ),
        ("Attacks were provoked by cold exposure and fever.", {"fever": "U"}),
        ("Colitis mimicking Crohn disease.", {"colitis": "P", "crohn disease": "U"}),
        # must not change
        ("His parents have epilepsy.", {"epilepsy": "F"}),
        ("He had no seizures due to hypoglycemia.", {"seizures": "N", "hypoglycemia": "P"}),
        (
            "No fever, recurrent pneumonia or eczema.",
            {"fever": "N", "recurrent pneumonia": "N", "eczema": "N"},
        ),
        ("Lack of macrocephaly.", {"macrocephaly": "N"}),
    ],
)
def test_context_of_case_reports(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


def _labels(linker: ConceptLinker, text: str) -> list[str]:
    return [m.label for m in linker.link(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Galactocerebrosidase activity in leukocytes was 0.05 nmol/h/mg [0.8-4.0].", []),
        (
            "CRP 40 mg/L and ferritin were elevated.",
            ["Increased circulating ferritin concentration"],
        ),
        ("Galactose-1-phosphate 12 mg/dL [<1].", []),
        ("CSF lactate 5.1 mmol/L [<2.2].", ["Increased CSF lactate"]),
        # must not change
        ("Lactate 5.1 mmol/L [<2.2].", ["Increased circulating lactate concentration"]),
        ("Phosphate 3.1 mmol/L [0.8-1.5].", ["Hyperphosphatemia"]),
        ("Leukocytes 1.1 x 10^9/L [4-11].", ["Leukopenia"]),
    ],
)
def test_laboratory_values_in_other_specimens_and_names(
    linker: ConceptLinker, text: str, expected: list[str]
) -> None:
    assert _labels(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # version 44: a treatment's effects and an earlier diagnosis are hedged
        (
            "She improved with pyridostigmine, with a side effect of diarrhea.",
            {"diarrhea": "U"},
        ),
        ("He developed thrombocytopenia as a side effect of valproate.", {"thrombocytopenia": "U"}),
        ("Her symptoms were initially attributed to cerebral palsy.", {"cerebral palsy": "U"}),
        # must not change
        ("He has thrombocytopenia and diarrhea.", {"thrombocytopenia": "P", "diarrhea": "P"}),
        ("He was diagnosed with cerebral palsy.", {"cerebral palsy": "P"}),
    ],
)
def test_treatment_effects_and_earlier_diagnoses(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # version 45: a laboratory value said to be undetectable is low
        ("IgA was undetectable.", ["Decreased circulating IgA concentration"]),
        ("Undetectable IgA.", ["Decreased circulating IgA concentration"]),
        # must not change
        ("IgA was raised.", ["Increased circulating IgA concentration"]),
        ("The viral load was undetectable.", []),
    ],
)
def test_an_undetectable_value_is_low(
    linker: ConceptLinker, text: str, expected: list[str]
) -> None:
    assert _labels(linker, text) == expected
