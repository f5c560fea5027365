"""Tests of encoders.measurements and of the linker's optional measurement path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.measurements import QUANTITIES, read_measurements
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import to_iri

SHORT, TALL = "HP:0004322", "HP:0000098"
LOW_WEIGHT, HIGH_WEIGHT = "HP:0004325", "HP:0004324"
MICRO, MACRO = "HP:0000252", "HP:0000256"
SGA, LGA, SHORT_AT_BIRTH, OBESITY = "HP:0001518", "HP:0001520", "HP:0003561", "HP:0001513"


def read(text: str) -> list[tuple[str, str]]:
    """(quantity, term) of each finding read."""
    return [(f.quantity, f.curie) for f in read_measurements(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # centiles: at or beyond the bound, or a stated side of it
        ("Her height was 121 cm (< 3rd centile).", [("height", SHORT)]),
        ("height 121 cm (2nd percentile)", [("height", SHORT)]),
        ("height 121 cm (3rd centile)", [("height", SHORT)]),
        ("height 121 cm (10th centile)", []),
        ("height 121 cm (3rd-10th centile)", []),  # a range read only as a whole
        ("height 170 cm (above the 97th centile)", [("height", TALL)]),
        ("Weight 50 kg (>99th percentile).", [("weight", HIGH_WEIGHT)]),
        ("OFC 42 cm (<P3)", [("head circumference", MICRO)]),
        # SD scores: signed, with a side, after SDS or z-score; unsigned ones are not read
        ("On examination the height was 98 cm (-2.4 SD).", [("height", SHORT)]),
        ("height \u22123 SD", [("height", SHORT)]),
        ("Height was 3 SD below the mean.", [("height", SHORT)]),
        ("head circumference +2.5 SD", [("head circumference", MACRO)]),
        (
            "head circumference 2.5 standard deviations above the mean",
            [("head circumference", MACRO)],
        ),
        ("height SDS -2.8", [("height", SHORT)]),
        ("length z-score of -2.1", [("height", SHORT)]),
        ("height -1.5 SD", []),
        ("height 3 SD", []),
        # birth weight: strictly below the 10th / above the 90th centile
        ("birth weight 2100 g (< 10th centile)", [("birth weight", SGA)]),
        ("birth weight 2300 g (10th centile)", []),
        ("birth weight 4300 g (95th centile)", [("birth weight", LGA)]),
        ("birth length 44 cm (-2.3 SD)", [("birth length", SHORT_AT_BIRTH)]),
        # BMI: a centile, an SD score or the value itself
        ("BMI 32.5 kg/m2", [("BMI", OBESITY)]),
        ("BMI was 24 (97th centile)", [("BMI", OBESITY)]),
        ("BMI 22 kg/m2", []),
    ],
)
def test_read_measurements_thresholds(text: str, expected: list[tuple[str, str]]) -> None:
    assert read(text) == expected


def test_the_number_belongs_to_the_nearest_measurement_word() -> None:
    text = "weight 30 kg (50th centile), head circumference 44 cm (< 3rd centile), height -1 SD"
    assert read(text) == [("head circumference", MICRO)]
    # a measurement of something else ends the clause of the word before it
    assert read("weight 30 kg, arm span 150 cm (>97th centile)") == []
    # the clause ends at a full stop (not a decimal point)
    assert read("Her weight was 30.5 kg. Later, at the 2nd centile of...") == []


def test_coordinated_words_share_a_number_or_take_one_each() -> None:
    assert read("Height and weight were both around the 3rd centile.") == [
        ("height", SHORT),
        ("weight", LOW_WEIGHT),
    ]
    text = "Height and weight were 90 cm (-2.5 SD) and 12 kg (-1 SD), respectively."
    assert read(text) == [("height", SHORT)]


def test_measurements_of_other_things_are_not_growth() -> None:
    assert read("The femur length was below the 3rd centile.") == []
    assert read("Her mother's height is 150 cm (<3rd centile).") == []
    assert read("The mid-parental height was 150 cm (<3rd centile).") == []
    assert read("The patient's height was 140 cm (-2.3 SD).") == [("height", SHORT)]


def test_acronyms_count_in_capitals_only() -> None:
    assert read("OFC 33 cm (<3rd centile)") == [("head circumference", MICRO)]
    assert read("the hc was at the 1st centile") == []


def test_finding_span_covers_the_word_and_the_number() -> None:
    text = "At 4 years, height was 92 cm (-2.6 SD) and speech was delayed."
    (found,) = read_measurements(text)
    assert text[found.start : found.end] == "height was 92 cm (-2.6 SD)"  # its bracket closed
    assert found.statement == "-2.6 SD"
    text = "weight 20 kg [< 3rd centile ], height -2.5 SD, OFC 40 cm (P2 (<P3))"
    spans = [text[f.start : f.end] for f in read_measurements(text)]
    assert spans == ["weight 20 kg [< 3rd centile ]", "height -2.5 SD", "OFC 40 cm (P2"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["height", "weight", "OFC", "BMI", "birth weight", " ", "(", ")", "-", "<", ">",
             "2", "3.5", "97th", "centile", "SD", "below", "and", ".", ";", "respectively",
             "mother's", "z-score", "P3", "kg/m2", "\u2212"]
        ),
        max_size=30,
    ).map(" ".join)
    | st.text(max_size=200)
)  # fmt: skip
def test_read_measurements_never_fails_and_stays_in_the_text(text: str) -> None:
    curies = {t.curie for q in QUANTITIES for t in (q.low, q.high) if t is not None}
    for found in read_measurements(text):
        assert 0 <= found.start < found.end <= len(text)
        assert found.curie in curies


# ---- the linker's measurement path ------------------------------------------------------------
ROOT = to_iri("HP:0000118")


@pytest.fixture(scope="module")
def growth_lexicon() -> tuple[Lexicon, dict[str, list[str]]]:
    names = [
        (ROOT, "Phenotypic abnormality"),
        (to_iri(SHORT), "Short stature"),
        (to_iri(MICRO), "Microcephaly"),
        (to_iri("HP:0001250"), "Seizure"),
    ]
    entries = [LexiconEntry(iri, text, "label", None, "owl:Class") for iri, text in names]
    parents = {iri: [ROOT] for iri, _ in names[1:]}
    return Lexicon(entries, frozenset()), parents


def test_linker_reads_measurements_only_when_asked(growth_lexicon) -> None:
    lexicon, parents = growth_lexicon
    text = "He has seizures; height 98 cm (-2.5 SD), weight 11 kg (-3 SD)."
    plain = ConceptLinker(lexicon, LinkerConfig(allowed_roots=(ROOT,)), parents=parents)
    assert [m.curie for m in plain.link(text)] == ["HP:0001250"]
    config = LinkerConfig(allowed_roots=(ROOT,), measurements=True)
    linker = ConceptLinker(lexicon, config, parents=parents)
    mentions = linker.link(text)
    # Decreased body weight is not in this lexicon: not linked
    assert [(m.curie, m.source) for m in mentions] == [
        ("HP:0001250", "dictionary"),
        (SHORT, "measurement"),
    ]
    short = mentions[1]
    assert text[short.start : short.end] == short.text == "height 98 cm (-2.5 SD)"
    assert short.label == "Short stature" and short.matched == "height -2.5 SD"
    assert not short.excluded and not short.family


def test_linker_marks_a_relatives_measurement_as_family(growth_lexicon) -> None:
    lexicon, parents = growth_lexicon
    config = LinkerConfig(allowed_roots=(ROOT,), measurements=True)
    linker = ConceptLinker(lexicon, config, parents=parents)
    (mention,) = linker.link("His brother also had a head circumference below the 3rd centile.")
    assert mention.curie == MICRO and mention.family
