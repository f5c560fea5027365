"""Linking version 37: lists written one item a line without bullets, and a muscle's
weakness or wasting written without "muscle".

A list in lower case ("Problems:\\nhypotonia\\nseizures") was read as one wrapped sentence
("hypotonia seizures": *Atonic seizure*), and a heading that rules out a list on the lines
below it ("Negative for:\\nSeizures\\nHypotonia") ruled out nothing. Wrapped prose, whose
lines are longer or leave their sentence unfinished, must still read across its breaks."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normalize import LINE_BREAK, scan
from tests.test_encoders.context_fixtures import context_flags, lexicon_of, mention_labels

_TERMS = {
    "Atonic seizure": ("Hypotonic seizures",),
    "Seizure": ("Seizures",),
    "Hypotonia": (),
    "Microcephaly": (),
    "Short stature": (),
    "Ataxia": (),
    "Asthenia": ("Weakness",),
    "Proximal muscle weakness": (),
    "Distal muscle atrophy": (),
    "Neck muscle weakness": (),
    "Skeletal muscle atrophy": ("Muscle atrophy",),
    "Generalized muscle weakness": (),
    "Generalized amyotrophy": ("Diffuse muscle atrophy",),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


def test_a_list_in_lower_case_one_item_a_line_is_read_item_by_item(
    linker: ConceptLinker,
) -> None:
    text = "Problems:\nhypotonia\nseizures\nmicrocephaly"
    assert mention_labels(linker, text) == {
        "hypotonia": "Hypotonia",
        "seizures": "Seizure",
        "microcephaly": "Microcephaly",
    }
    assert scan(text).raws.count(LINE_BREAK) == 3


@pytest.mark.parametrize(
    "text",
    [
        # a wrapped sentence goes on: long lines, or a line that leaves its sentence open
        "The patient was referred at the age of four years with marked\n"
        "hypotonia seizures and a small head that had been noted at birth",
        "She had no\nseizures and\nhypotonia was mild",
        "He does not have\nseizures or\nhypotonia today",
        "short\nstature",  # two short lines are no list
        "hypotonia,\nseizures\nand ataxia",
    ],
)
def test_wrapped_prose_still_reads_across_its_line_breaks(text: str) -> None:
    assert LINE_BREAK not in scan(text).raws


def test_the_narrow_wrapped_negations_keep_their_scope(linker: ConceptLinker) -> None:
    assert context_flags(linker, "She had no\nseizures or\nhypotonia today") == {
        "seizures": "N",
        "hypotonia": "N",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Negative for:\nSeizures\nHypotonia\nMicrocephaly",
            {"seizures": "N", "hypotonia": "N", "microcephaly": "N"},
        ),
        (
            "Negative for:\nseizures\nhypotonia\nmicrocephaly",
            {"seizures": "N", "hypotonia": "N", "microcephaly": "N"},
        ),
        (
            "Pertinent negatives:\r\nSeizures\r\nHypotonia.\r\n",
            {"seizures": "N", "hypotonia": "N"},
        ),
        # the list ends at a blank line, a label of its own, or a sentence
        (
            "Negative for:\nSeizures\nHypotonia\n\nAtaxia",
            {"seizures": "N", "hypotonia": "N", "ataxia": "P"},
        ),
        (
            "Negative for:\nSeizures\nExamination: ataxia",
            {"seizures": "N", "ataxia": "P"},
        ),
        (
            "Not present:\nseizures\nShe was found to have microcephaly.",
            {"seizures": "N", "microcephaly": "P"},
        ),
        # a heading that rules nothing out stays so
        ("Problems:\nSeizures\nHypotonia", {"seizures": "P", "hypotonia": "P"}),
        # the same list on one line, as before
        ("Negative for: seizures, hypotonia", {"seizures": "N", "hypotonia": "N"}),
    ],
)
def test_a_heading_that_rules_out_a_list_reaches_the_lines_below_it(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert context_flags(linker, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He has proximal weakness.", {"proximal weakness": "Proximal muscle weakness"}),
        ("There was distal wasting.", {"distal wasting": "Distal muscle atrophy"}),
        ("There was distal atrophy.", {"distal atrophy": "Distal muscle atrophy"}),
        ("She has neck weakness.", {"neck weakness": "Neck muscle weakness"}),
        ("Muscle wasting was marked.", {"muscle wasting": "Skeletal muscle atrophy"}),
        ("He had generalised weakness.", {"generalised weakness": "Generalized muscle weakness"}),
        # must not change: weakness alone; an atrophy said only to spread (a biopsy's fibres)
        ("He complained of weakness.", {"weakness": "Asthenia"}),
        ("The biopsy showed diffuse atrophy of type II fibres.", {}),
    ],
)
def test_a_muscles_weakness_or_wasting_without_muscle(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    assert mention_labels(linker, text) == expected
