"""Linking version 61: a predicate's adverb that is a word of the name is read with it ("the
eyes are widely spaced" for *Widely spaced eyes*), and an adverb that is not still passes
("speech is severely delayed" for *Delayed speech*). Version 64: so is a coordinated
predicate's ("the teeth are small and widely spaced"). With controls."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker
from tests.test_encoders.context_fixtures import hpo_linker, readings

_FINDINGS = {
    "Hypertelorism": "HP:0000316",
    "Widely spaced teeth": "HP:0000687",
    "Deeply set eye": "HP:0000490",
    "Delayed speech": "HP:0000750",
    "Posteriorly rotated ears": "HP:0000358",
    "Microdontia": "HP:0000691",
    "Microcephaly": "HP:0000252",
    "Mild microcephaly": "HP:0040196",
    "Progressive microcephaly": "HP:0000253",
}
_SYNONYMS = {"Widely spaced eyes": "HP:0000316", "Small teeth": "HP:0000691"}


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return hpo_linker(_FINDINGS, _SYNONYMS)


@pytest.mark.parametrize(
    ("text", "span", "curie"),
    [
        ("Her eyes are widely spaced.", "eyes are widely spaced", "HP:0000316"),
        ("The teeth were widely spaced.", "teeth were widely spaced", "HP:0000687"),
        ("The eyes are deeply set.", "eyes are deeply set", "HP:0000490"),
        ("The ears are posteriorly rotated.", "ears are posteriorly rotated", "HP:0000358"),
    ],
)
def test_an_adverb_of_the_name_is_read_with_its_predicate(
    linker: ConceptLinker, text: str, span: str, curie: str
) -> None:
    assert (span, curie, False) in readings(linker, text)


def test_an_adverb_that_is_no_word_of_the_name_is_still_passed_over(
    linker: ConceptLinker,
) -> None:
    assert ("speech is severely delayed", "HP:0000750", False) in readings(
        linker, "His speech is severely delayed."
    )


def test_denied_the_adverbs_predicate_is_ruled_out(linker: ConceptLinker) -> None:
    assert ("eyes are not widely spaced", "HP:0000316", True) in readings(
        linker, "The eyes are not widely spaced."
    )


def test_a_predicate_without_the_names_words_reads_nothing(linker: ConceptLinker) -> None:
    assert readings(linker, "The visits were widely spaced.") == []
    assert readings(linker, "The eyes are widely open.") == []


def test_a_coordinated_predicates_adverb_of_the_name_is_read_with_it(
    linker: ConceptLinker,
) -> None:
    read = readings(linker, "The teeth are small and widely spaced.")
    assert ("teeth are small", "HP:0000691", False) in read
    assert ("teeth are small and widely spaced", "HP:0000687", False) in read


def test_an_adverb_alone_completes_no_name_of_the_predicate(linker: ConceptLinker) -> None:
    # version 66, from a review: "mildly" alone completed *Mild microcephaly* (as
    # "microcephaly mild"), leaving the predicate's own word unread
    assert readings(linker, "The microcephaly is mildly progressive.") == [
        ("microcephaly is mildly progressive", "HP:0000253", False)
    ]
