"""Ages and onsets of cases: one onset table, one reading of ages for every format, the
onsets of features, and ISO 8601 durations at their edges."""

from __future__ import annotations

import pytest

from kg.namespaces import to_iri
from kg.rules.onset import ONSET_YEARS
from train.phenopacket import (
    HPO_ONSET_AGE_YEARS,
    CaseFormatError,
    case_from_dev_row,
    case_from_phenopacket,
    onset_of,
    parse_iso8601_age,
)

INFANTILE, CHILDHOOD, NEONATAL = (to_iri(c) for c in ("HP:0003593", "HP:0011463", "HP:0003623"))


def test_the_onset_ages_are_those_of_the_kg() -> None:
    assert HPO_ONSET_AGE_YEARS.keys() == ONSET_YEARS.keys()
    for onset, (low, high) in ONSET_YEARS.items():
        assert HPO_ONSET_AGE_YEARS[onset][0] == low
        assert high is None or HPO_ONSET_AGE_YEARS[onset][1] == high
    assert HPO_ONSET_AGE_YEARS[to_iri("HP:0410280")] == (0.0, 16.0)  # pediatric: before 16
    assert HPO_ONSET_AGE_YEARS[to_iri("HP:0003621")] == (5.0, 16.0)  # juvenile


def test_the_sixteenth_birthday_starts_adult_onset() -> None:
    assert onset_of("P16Y") == to_iri("HP:0011462")  # young adult, a subclass of adult onset
    assert onset_of("P15Y11M") == to_iri("HP:0003621")


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("PT", None),  # no number
        ("P1YT", None),
        ("P" + "9" * 400 + "Y", None),  # not finite
        ("PT12H", 0.5 / 365.25),  # hours count
        ("PT36H", 1.5 / 365.25),
        ("P1,5Y", 1.5),  # ISO 8601's comma decimal mark
        ("P1Y2M3DT4H", 1 + 2 / 12 + (3 + 4 / 24) / 365.25),
    ],
)
def test_parse_iso8601_age_edges(value: str, years: float | None) -> None:
    got = parse_iso8601_age(value)
    assert got == (None if years is None else pytest.approx(years))


def test_hours_after_birth_are_neonatal_onset() -> None:
    assert onset_of("PT12H") == NEONATAL
    with pytest.raises(ValueError, match="ISO 8601"):
        onset_of("PT")


@pytest.mark.parametrize(
    ("age", "years"),
    [
        ("GA:32w0d", 0.0),  # a gestational age: birth, as in a phenopacket
        ("HP:0003593|Infantile onset", (28 / 365.25 + 1.0) / 2),  # the class's midpoint
        ("P3Y", 3.0),
    ],
)
def test_a_dev_row_age_reads_as_a_phenopacket_age(age: str, years: float) -> None:
    row = {"id": "r", "present_hpo": ["HP:0001166"], "age_last_encounter": age}
    case = case_from_dev_row(row)
    assert case.age_years == pytest.approx(years)
    assert case.warnings == ()
    if age.startswith("GA:"):
        packet = {"subject": {"timeAtLastEncounter": {"gestationalAge": {"weeks": 32}}}}
    elif age.startswith("HP:"):
        packet = {"subject": {"timeAtLastEncounter": {"ontologyClass": {"id": "HP:0003593"}}}}
    else:
        packet = {"subject": {"timeAtLastEncounter": {"age": {"iso8601duration": age}}}}
    packet_age = case_from_phenopacket({"phenotypicFeatures": [], **packet}).age_years
    assert packet_age == pytest.approx(years)


@pytest.mark.parametrize("age", ["ten years", "HP:0001166|Arachnodactyly", "P2Q"])
def test_an_unreadable_dev_row_age_is_reported(age: str) -> None:
    case = case_from_dev_row({"id": "r", "present_hpo": [], "age_last_encounter": age})
    assert case.age_years is None
    assert any(age in w and w.endswith("skipped") for w in case.warnings)


def feature(term: str, onset: dict | None = None, excluded: bool = False) -> dict:
    out: dict = {"type": {"id": term}, "excluded": excluded}
    if onset is not None:
        out["onset"] = onset
    return out


def test_a_phenopacket_without_disease_onset_takes_the_earliest_feature_onset() -> None:
    data = {
        "phenotypicFeatures": [
            feature("HP:0001166", {"age": {"iso8601duration": "P3Y"}}),
            feature("HP:0001083", {"ontologyClass": {"id": "HP:0003593"}}),
            feature("HP:0000098"),
            feature("HP:0001249", {"age": {"iso8601duration": "P0D"}}, excluded=True),
        ],
        "diseases": [{"term": {"id": "OMIM:154700"}}],
    }
    case = case_from_phenopacket(data)
    assert case.onset == INFANTILE
    assert any("earliest onset of a feature" in w and "HP:0001083" in w for w in case.warnings)
    onset = {"age": {"iso8601duration": "P4Y"}}
    stated = {**data, "diseases": [{"term": {"id": "OMIM:154700"}, "onset": onset}]}
    with_onset = case_from_phenopacket(stated)
    assert with_onset.onset == CHILDHOOD  # the disease's own onset comes first
    assert with_onset.warnings == ()


def test_a_dev_row_without_disease_onset_takes_the_earliest_feature_onset() -> None:
    row = {
        "id": "r",
        "present_hpo": ["HP:0001166", "HP:0001083"],
        "excluded_hpo": ["HP:0001249"],
        "disease_onset": [None],
        "feature_onsets": {
            "HP:0001166": "P12Y",
            "HP:0001083": "HP:0003593|Infantile onset",
            "HP:0001249": "GA:20w0d",  # an excluded feature's onset is not the case's
        },
    }
    case = case_from_dev_row(row)
    assert case.onset == INFANTILE
    assert any("earliest onset of a feature" in w for w in case.warnings)
    stated = case_from_dev_row({**row, "disease_onset": ["P2Y"]})
    assert stated.onset == CHILDHOOD and stated.warnings == ()
    with pytest.raises(CaseFormatError, match="feature_onsets"):
        case_from_dev_row({**row, "feature_onsets": ["P2Y"]})
