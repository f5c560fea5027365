"""Linking version 31: a plain quantity that a term of increase names ("weight gain" for
*Increased body weight*) reads as its lessened counterpart after a lessening word
("inadequate weight gain" is *Failure to thrive*), or not at all where no name gives one.
Each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.lessened import LessenedNames
from encoders.linker import ConceptLinker, LinkerConfig
from tests.test_encoders.context_fixtures import lexicon_of

_TERMS = {
    "Increased body weight": ("Weight gain",),
    "Failure to thrive": ("Poor weight gain", "FTT"),
    "Hyperhidrosis": ("Sweating",),
    "Hypohidrosis": ("Decreased sweating",),
    "Anhidrosis": ("Lack of sweating",),
    "Lumbar hyperlordosis": ("Lumbar lordosis",),
    "Lumbar hypolordosis": ("Reduced lumbar lordosis",),
    "Hyperlordosis": ("Lordosis",),
    "Excessive shyness": ("Shyness",),
    "Seizure": ("Seizures",),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


def _read(linker: ConceptLinker, text: str) -> list[tuple[str, str, bool]]:
    return [(m.text, m.label, m.excluded) for m in linker.link(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("There was inadequate weight gain.", [("inadequate weight gain", "Failure to thrive")]),
        ("Slow weight gain since birth.", [("Slow weight gain", "Failure to thrive")]),
        ("She failed to gain weight.", [("failed to gain weight", "Failure to thrive")]),
        ("Failure to gain weight was noted.", [("Failure to gain weight", "Failure to thrive")]),
        ("He had not gained weight.", [("not gained weight", "Failure to thrive")]),
        ("She is not gaining weight.", [("not gaining weight", "Failure to thrive")]),
        ("Poor sweating.", [("Poor sweating", "Hypohidrosis")]),
        ("Impaired sweating.", [("Impaired sweating", "Hypohidrosis")]),
        # an absence takes the name of none before the name of less
        ("There was absent sweating.", [("absent sweating", "Anhidrosis")]),
        ("Loss of lumbar lordosis.", [("Loss of lumbar lordosis", "Lumbar hypolordosis")]),
    ],
)
def test_a_lessened_plain_quantity_reads_as_its_counterpart(
    linker: ConceptLinker, text: str, expected: list[tuple[str, str]]
) -> None:
    assert _read(linker, text) == [(t, label, False) for t, label in expected]


@pytest.mark.parametrize(
    "text",
    [
        "Loss of lordosis.",  # neither the name nor the bare "lordosis" inside it
        "Reduced shyness.",
    ],
)
def test_a_lessened_plain_quantity_without_a_counterpart_is_not_read(
    linker: ConceptLinker, text: str
) -> None:
    assert _read(linker, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He has gained weight rapidly.", [("gained weight", "Increased body weight", False)]),
        ("Excessive weight gain.", [("weight gain", "Increased body weight", False)]),
        ("Marked lumbar lordosis.", [("lumbar lordosis", "Lumbar hyperlordosis", False)]),
        # a plain negation stays one: "no sweating" in a review of systems
        (
            "No sweating, no seizures.",
            [("sweating", "Hyperhidrosis", True), ("seizures", "Seizure", True)],
        ),
        ("No weight gain.", [("weight gain", "Increased body weight", True)]),
        # a name of its own wins, and a term that is no increase is not turned around
        ("Poor weight gain.", [("Poor weight gain", "Failure to thrive", False)]),
        ("Reduced seizures.", [("seizures", "Seizure", False)]),
    ],
)
def test_controls_that_must_not_change(
    linker: ConceptLinker, text: str, expected: list[tuple[str, str, bool]]
) -> None:
    assert _read(linker, text) == expected


def test_plain_quantities_are_the_names_without_the_labels_word_of_increase() -> None:
    names = [(e.iri, e.text) for e in LEXICON]
    labels = LEXICON.labels()
    plain = {
        (labels[iri], name)
        for iri, name in LessenedNames.from_names(names, labels).plain_quantities()
    }
    assert plain == {
        ("Increased body weight", "weight gain"),
        ("Hyperhidrosis", "sweating"),
        ("Lumbar hyperlordosis", "lumbar lordosis"),
        ("Hyperlordosis", "lordosis"),
        ("Excessive shyness", "shyness"),
    }


def test_a_saved_index_keeps_the_lessened_names(tmp_path) -> None:
    built = ConceptLinker(LEXICON, LinkerConfig(), index_folder=tmp_path)
    restored = ConceptLinker(LEXICON, LinkerConfig(), index_folder=tmp_path)
    assert restored._index_source == "saved"
    text = "Inadequate weight gain and absent sweating."
    assert (
        _read(restored, text)
        == _read(built, text)
        == [
            ("Inadequate weight gain", "Failure to thrive", False),
            ("absent sweating", "Anhidrosis", False),
        ]
    )


@pytest.mark.parametrize(
    "rows",
    [None, [["iri", "name", 0]], [["iri", "name", 99, None]], [["iri", 3, None, None]]],
)
def test_rows_that_are_not_lessened_names_are_refused(rows: object) -> None:
    with pytest.raises(ValueError, match="lessened names? "):
        LessenedNames.from_rows(rows, num_names=10)
