"""Findings of an examination stated as numbers (:mod:`encoders.examination`, linking
version 46): an organ's edge below the costal margin, a muscle's strength graded below
full; and the linker's reading of them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encoders.examination import read_examination
from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import context_flags, lexicon_of


def _phrases(text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.phrase) for f in read_examination(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The liver was palpable 7 cm below the costal margin.",
            [("liver was palpable 7 cm below the costal margin", "hepatomegaly")],
        ),
        (
            "Spleen tip 3 cm below the left costal margin.",
            [("Spleen tip 3 cm below the left costal margin", "splenomegaly")],
        ),
        (
            "liver edge 2 fingerbreadths below the right costal margin",
            [("liver edge 2 fingerbreadths below the right costal margin", "hepatomegaly")],
        ),
        (
            "Strength (MRC): hip adductors 3/5, ankle dorsiflexors 4+/5.",
            [("3/5", "proximal muscle weakness"), ("4+/5", "distal muscle weakness")],
        ),
        (
            "Power was 1/5 proximally and 2/5 distally.",
            [("1/5", "proximal muscle weakness"), ("2/5", "distal muscle weakness")],
        ),
        # the muscles of each grade, not of the sentence
        (
            "He could not walk on his toes, and his hip flexors were 4/5.",
            [("4/5", "proximal muscle weakness")],
        ),
        (
            "Weakness of hip adductors (MRC 3/5), while distal muscles were spared.",
            [("3/5", "proximal muscle weakness")],
        ),
        ("Power was MRC grade 4 in the deltoids.", [("MRC grade 4", "proximal muscle weakness")]),
        ("Neck flexion 3/5.", [("3/5", "neck muscle weakness")]),
        ("Power 4/5 on the left.", [("4/5", "muscle weakness")]),
        # visual acuity, of the better eye
        (
            "Visual acuity was 6/18 in each eye.",
            [("Visual acuity was 6/18", "moderately reduced visual acuity")],
        ),
        ("VA was 6/60 right and left.", [("VA was 6/60", "severely reduced visual acuity")]),
        ("Vision 20/200 OU.", [("Vision 20/200", "severely reduced visual acuity")]),
        ("VA 0.8 logMAR.", [("VA 0.8 logMAR", "moderately reduced visual acuity")]),
        (
            "Visual acuity had deteriorated to hand movements.",
            [
                (
                    "Visual acuity had deteriorated to hand movements",
                    "severely reduced visual acuity",
                )
            ],
        ),
        ("Visual acuity was 6/60 right and 6/9 left.", []),  # the better eye sees well
        ("Best-corrected visual acuity was 6/12.", []),  # within a young child's normal
        ("The VSD measured 6/10 mm.", []),
        # nothing stated: within an infant's normal, full strength, other scales and counts
        ("Liver edge 2 cm below the right costal margin.", []),
        ("Spleen 1 cm below the left costal margin.", []),
        ("Strength was 5/5 throughout.", []),
        ("A grade 3/6 systolic murmur.", []),
        ("Seizures in 3/5 patients.", []),
    ],
)
def test_examination_numbers(text: str, expected: list[tuple[str, str]]) -> None:
    assert _phrases(text) == expected


@given(st.text(alphabet=st.sampled_from(list("liverspn 0123456789/5cm.MRCbelowcostalmargin"))))
def test_findings_lie_in_the_text(text: str) -> None:
    for f in read_examination(text):
        assert 0 <= f.start < f.end <= len(text)


_TERMS = {
    "Hepatomegaly": (),
    "Splenomegaly": (),
    "Muscle weakness": (),
    "Proximal muscle weakness": (),
    "Distal muscle weakness": (),
}
LEXICON, _ = lexicon_of(_TERMS)


def test_the_linker_reads_them_in_context() -> None:
    linker = ConceptLinker(LEXICON, LinkerConfig())
    text = "The liver was palpable 5 cm below the costal margin. Hip flexors 3/5."
    assert [m.label for m in linker.link(text)] == ["Hepatomegaly", "Proximal muscle weakness"]
    assert context_flags(linker, "Her brother had hip flexors 3/5.") == {"3/5": "F"}
