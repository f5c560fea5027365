"""Tests of encoders.milestones and of the linker's milestone path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.milestones import MILESTONES, read_milestones
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import to_iri

WALK, WALK_SUPPORTED, SIT, STAND = "HP:0031936", "HP:0033257", "HP:0025336", "HP:0025335"
SPEECH, HEAD, ROLL, CRAWL = "HP:0000750", "HP:0002421", "HP:0032989", "HP:0033128"


def read(text: str) -> list[tuple[str, float]]:
    """(term, months) of each late milestone read."""
    return [(m.curie, m.months) for m in read_milestones(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # late: each milestone past its window, in the phrasings of case reports
        ("He walked at 22 months.", [(WALK, 22.0)]),
        ("She started to walk at the age of 5 years with an ataxic gait.", [(WALK, 60.0)]),
        ("He walked independently at age 2.", [(WALK, 24.0)]),
        ("He took his first steps at 2 1/2 years.", [(WALK, 30.0)]),
        ("Independent walking was achieved at 26 months.", [(WALK, 26.0)]),
        ("She walked at 1 year and 9 months.", [(WALK, 21.0)]),
        ("He began walking at two years of age.", [(WALK, 24.0)]),
        ("He sat at 15 months.", [(SIT, 15.0)]),
        ("She sat unsupported at the age of 1 year.", [(SIT, 12.0)]),
        ("He was able to sit by himself at 15 months.", [(SIT, 15.0)]),
        ("He showed head control at 12 months.", [(HEAD, 12.0)]),
        ("She held her head up at 8 months.", [(HEAD, 8.0)]),
        ("He rolled over at 10 months.", [(ROLL, 10.0)]),
        ("She crawled at 16 months.", [(CRAWL, 16.0)]),
        ("He stood alone at 20 months.", [(STAND, 20.0)]),
        ("He cruised at 18 months.", [(WALK_SUPPORTED, 18.0)]),
        ("He walked with a walker at 4 years of age.", [(WALK_SUPPORTED, 48.0)]),
        ("walking with aid at 20 months", [(WALK_SUPPORTED, 20.0)]),
        ("He said his first words at 3 years.", [(SPEECH, 36.0)]),
        ("Her first words were at 2 years and 6 months.", [(SPEECH, 30.0)]),
        ("She started saying mama and dada at 2 years of age.", [(SPEECH, 24.0)]),
        ("He said mama at 24 months.", [(SPEECH, 24.0)]),
        ("She started to talk at 3 years.", [(SPEECH, 36.0)]),
        ("She started to walk after the age of 3 years.", [(WALK, 36.0)]),
        ("He did not walk until 3 years of age.", [(WALK, 36.0)]),
        # in time: nothing to read
        ("He walked at 12 months.", []),
        ("She sat at 6 months and walked at 13 months.", []),
        ("He spoke his first words at 11 months.", []),
        ("She achieved head control at 3 months.", []),
        ("She started to talk at 20 months.", []),  # talking: from 24 months
        ("He said his first words at 16 months.", []),  # first words: from 18 months
        # what says nothing of when the milestone was reached
        ("He walked by 2 years.", []),  # an upper bound
        ("She stopped walking at 4 years.", []),  # a loss
        ("He lost the ability to walk at 6 years.", []),
        ("She was not able to sit at 12 months.", []),
        ("He had difficulty walking at 3 years.", []),
        ("He walked at 2.", []),  # no unit, no "age"
        ("He sat with support at 11 months.", []),  # supported sitting is no milestone here
        ("He spoke in sentences at 3 years.", []),  # a later milestone than words
        ("He walked until 3 years of age.", []),  # "until" without a negation
        ("He walked at 300 years.", []),  # no age of a milestone
        # found in review: ranges, units, states, durations, the bound itself
        ("He rolled over at age 6-8 months.", []),
        ("He sat at age 9-10 months.", []),
        ("Head control at age 3 to 4 months.", []),
        ("He held his head up at age 6 weeks.", []),
        ("He was walking at 2 years.", []),  # a state at that age
        ("He could walk at 2 years.", []),
        ("He can walk at 5 years with an ataxic gait.", []),
        ("He walked steadily at 3 years.", []),  # how, not when
        ("He walked after 2 years of physiotherapy.", []),  # a duration
        ("He walked at nearly 18 months.", []),
        ("He walked at 18 months.", [(WALK, 18.0)]),  # past the 99th centile, 17.6 months
        ("He walked at 2 years with support.", [(WALK_SUPPORTED, 24.0)]),
        ("He walked at 2\u00bd years.", [(WALK, 30.0)]),
        ("She walked at twenty-two months.", [(WALK, 22.0)]),
        ("She walked at twenty two months.", [(WALK, 22.0)]),
        ("She sat at fourteen months.", [(SIT, 14.0)]),
        ("He walked at the age of 2.", [(WALK, 24.0)]),
        ("He walked at 1 year and 6 months.", [(WALK, 18.0)]),
    ],
)
def test_read_milestones(text: str, expected: list[tuple[str, float]]) -> None:
    assert read(text) == expected


def test_each_statement_of_a_sentence_is_read_with_its_own_age() -> None:
    text = "He sat at 15 months, walked at 22 months, said mama at 24 months and climbed stairs."
    found = list(read_milestones(text))
    assert [(m.milestone, m.months) for m in found] == [
        ("sitting without support", 15.0),
        ("walking alone", 22.0),
        ("first words", 24.0),
    ]
    assert [text[m.start : m.end] for m in found] == [
        "sat at 15 months",
        "walked at 22 months",
        "said mama at 24 months",
    ]
    assert found[1].statement == "at 22 months"


def test_a_negation_before_another_milestone_does_not_reach_this_one() -> None:
    assert read("She never crawled and started to walk at the age of 2 years.") == [(WALK, 24.0)]


def test_every_milestone_window_is_positive_and_its_term_a_curie() -> None:
    for milestone in MILESTONES:
        assert milestone.delayed_from > 0
        assert milestone.curie.startswith("HP:")


def test_long_runs_of_whitespace_are_read_in_linear_time() -> None:
    """A run of spaces after an age once made the reader backtrack quadratically (130 s for
    32,000 spaces); a run of 100,000 is read at once."""
    import time

    for filler in (" ", "\n "):
        text = "He walked at 2 years" + filler * 50_000 + "x"
        began = time.perf_counter()
        assert read(text) == [(WALK, 24.0)]
        assert time.perf_counter() - began < 2.0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["He", "walked", "sat", "said", "first", "words", "at", "after", "until", "not",
             "did", "the", "age", "of", "2", "18", "1/2", "and", "a", "half", "years",
             "months", "mama", "with", "support", ",", ".", "lost", "never"]
        ),
        max_size=30,
    ).map(" ".join)
    | st.text(max_size=200)
)  # fmt: skip
def test_read_milestones_never_fails_and_stays_in_the_text(text: str) -> None:
    curies = {m.curie for m in MILESTONES}
    windows = {m.name: m.delayed_from for m in MILESTONES}
    for found in read_milestones(text):
        assert 0 <= found.start < found.end <= len(text)
        assert found.curie in curies
        assert found.months >= windows[found.milestone]


# ---- the linker's milestone path --------------------------------------------------------------
ROOT = to_iri("HP:0000118")


def _linker(config: LinkerConfig) -> ConceptLinker:
    names = [
        (ROOT, "Phenotypic abnormality"),
        (to_iri(WALK), "Delayed ability to walk"),
        (to_iri(SIT), "Delayed ability to sit"),
        (to_iri("HP:0001250"), "Seizure"),
    ]
    entries = [LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in names]
    parents = {iri: [ROOT] for iri, _ in names[1:]}
    return ConceptLinker(Lexicon(entries, frozenset()), config, parents=parents)


@pytest.fixture(scope="module")
def milestone_linker() -> ConceptLinker:
    return _linker(LinkerConfig(allowed_roots=(ROOT,), milestones=True))


def test_linker_reads_late_milestones(milestone_linker: ConceptLinker) -> None:
    text = "He has seizures. He sat at 15 months and said his first words at 3 years."
    mentions = milestone_linker.link(text)
    # Delayed speech is not in this lexicon: not linked
    assert [(m.curie, m.source) for m in mentions] == [
        ("HP:0001250", "dictionary"),
        (SIT, "milestone"),
    ]
    sat = mentions[1]
    assert text[sat.start : sat.end] == sat.text == "sat at 15 months"
    assert sat.label == "Delayed ability to sit"
    assert sat.matched == "sitting without support at 15 months"
    assert not sat.excluded and not sat.family and not sat.uncertain


def test_linker_reads_milestones_only_when_asked(milestone_linker: ConceptLinker) -> None:
    off = _linker(LinkerConfig(allowed_roots=(ROOT,)))  # off by default
    assert off.link("He walked at 22 months.") == []
    assert [m.curie for m in milestone_linker.link("He walked at 22 months.")] == [WALK]


def test_a_late_milestone_read_through_a_negation_is_present(
    milestone_linker: ConceptLinker,
) -> None:
    for text in (
        "He did not walk until 3 years of age.",
        "She never crawled and started to walk at the age of 2 years.",
        "There were no seizures; he walked at 2 years.",
    ):
        (walk,) = [m for m in milestone_linker.link(text) if m.curie == WALK]
        assert not walk.excluded, text


def test_a_relatives_milestone_is_theirs(milestone_linker: ConceptLinker) -> None:
    for text in (
        "His older brother walked at 3 years.",
        "His brothers walked at 3 years.",
        "Both siblings walked at 3 years.",
    ):
        (walk,) = milestone_linker.link(text)
        assert walk.family, text
    (own,) = milestone_linker.link("The child walked at 3 years.")
    assert not own.family
