"""Phenopackets as others write them: v1's fields read as v2's, the sections not read named
in one warning, malformed onsets and implausible ages reported (the case is kept), and a
phenopacket recognised by its subject or metadata when it lists no features."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.namespaces import to_iri
from train.phenopacket import (
    CaseFormatError,
    case_from_dev_row,
    case_from_phenopacket,
    read_cases,
)

INFANTILE, CONGENITAL, CHILDHOOD = (to_iri(c) for c in ("HP:0003593", "HP:0003577", "HP:0011463"))
NOT_READ = "(the diagnosis reads the patient's phenotypicFeatures, sex, age and onsets)"


def packet(**fields: object) -> dict:
    return {"id": "p1", "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}], **fields}


# -- v1 ------------------------------------------------------------------------------------


def test_v1_negated_is_read_as_excluded() -> None:
    features = [
        {"type": {"id": "HP:0001166"}},
        {"type": {"id": "HP:0001083"}, "negated": True},
        {"type": {"id": "HP:0000098"}, "negated": False},
    ]
    case = case_from_phenopacket(packet(phenotypicFeatures=features))
    assert case.present == (to_iri("HP:0001166"), to_iri("HP:0000098"))
    assert case.excluded == (to_iri("HP:0001083"),)
    assert case.warnings == ()


def test_v1_negated_that_disagrees_with_excluded_reads_as_excluded_with_a_warning() -> None:
    features = [{"type": {"id": "HP:0001166"}}, {"type": {"id": "HP:0001083"}}]
    features[1].update(excluded=False, negated=True)
    case = case_from_phenopacket(packet(phenotypicFeatures=features))
    assert case.excluded == (to_iri("HP:0001083"),)
    assert case.warnings == (
        "phenotypic feature HP:0001083: 'excluded' (false) and v1's 'negated' (true) "
        "disagree; read as excluded",
    )
    features[1] = {"type": {"id": "HP:0001083"}, "negated": "true"}
    with pytest.raises(CaseFormatError, match="'negated' must be true or false"):
        case_from_phenopacket(packet(phenotypicFeatures=features))


@pytest.mark.parametrize(
    ("disease", "onset"),
    [
        ({"classOfOnset": {"id": "HP:0003593", "label": "Infantile onset"}}, INFANTILE),
        ({"ageOfOnset": {"age": "P3M"}}, INFANTILE),
        ({"ageRangeOfOnset": {"start": {"age": "P2Y"}, "end": {"age": "P4Y"}}}, CHILDHOOD),
        ({"age_of_onset": {"age": "P3M"}}, INFANTILE),  # protobuf's field name
        ({"onset": {"age": "P3M"}}, INFANTILE),  # v1's age where v2 puts a time element
    ],
)
def test_v1_disease_onsets_are_read_as_v2s(disease: dict, onset: str) -> None:
    case = case_from_phenopacket(packet(diseases=[{"term": {"id": "OMIM:1"}, **disease}]))
    assert case.onset == onset
    assert case.warnings == ()


def test_v1_feature_onsets_and_ages_are_read_as_v2s() -> None:
    features = [
        {"type": {"id": "HP:0001166"}, "ageOfOnset": {"age": "P3Y"}},
        {"type": {"id": "HP:0001083"}, "classOfOnset": {"id": "HP:0003577"}},
    ]
    case = case_from_phenopacket(
        packet(phenotypicFeatures=features, subject={"ageAtCollection": {"age": "P7Y"}})
    )
    assert case.onset == CONGENITAL
    assert case.age_years == pytest.approx(7.0)
    assert case.warnings == (
        "no onset of the disease stated: read the earliest onset of a feature, "
        "'HP:0003577' (HP:0001083)",
    )
    v1_age = {"timeAtLastEncounter": {"age": "P7Y"}}  # v1's Age in v2's place
    assert case_from_phenopacket(packet(subject=v1_age)).age_years == pytest.approx(7.0)
    ranged = {"ageRangeAtCollection": {"start": {"age": "P6Y"}, "end": {"age": "P8Y"}}}
    assert case_from_phenopacket(packet(subject=ranged)).age_years == pytest.approx(7.0)


def test_a_v1_onset_beside_a_v2_onset_is_reported_not_read() -> None:
    disease = {
        "term": {"id": "OMIM:1"},
        "onset": {"ontologyClass": {"id": "HP:0003593"}},
        "classOfOnset": {"id": "HP:0003577"},
    }
    case = case_from_phenopacket(packet(diseases=[disease]))
    assert case.onset == INFANTILE
    assert case.warnings == (
        "diseases[0].classOfOnset is not read: diseases[0].onset gives the time already",
    )


def test_v1_genes_and_variants_are_named_as_not_read() -> None:
    case = case_from_phenopacket(packet(genes=[{"id": "HGNC:1"}], variants=[{"hgvsAllele": {}}]))
    assert case.warnings == (f"not read: genes, variants {NOT_READ}",)


# -- sections not read ---------------------------------------------------------------------


def test_the_sections_not_read_are_named_in_one_warning() -> None:
    document = packet(
        subject={"sex": "FEMALE", "vitalStatus": {"status": "DECEASED"}},
        measurements=[{"assay": {"id": "LOINC:8302-2"}}],
        medicalActions=[{"treatment": {"agent": {"id": "DrugCentral:1"}}}],
        biosamples=[
            {"id": "b0"},
            {"id": "b1", "phenotypicFeatures": [{"type": {"id": "HP:0001083"}}]},
        ],
    )
    case = case_from_phenopacket(document)
    assert case.present == (to_iri("HP:0001166"),)  # not the biosample's feature
    assert case.warnings == (
        "not read: biosamples[].phenotypicFeatures, measurements, medicalActions, "
        f"subject.vitalStatus {NOT_READ}",
    )
    # empty sections and a biosample without features say nothing
    quiet = packet(measurements=[], medicalActions=[], biosamples=[{"id": "b0"}])
    assert case_from_phenopacket(quiet).warnings == ()


# -- malformed onsets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("onset", "warning"),
    [
        (
            {"ageRange": {"start": {"age": {"iso8601duration": "P3Y"}}}},
            'diseases[0].onset.ageRange.start is not an age such as {"iso8601duration": "P2Y"} '
            '(got {"age": {"iso8601duration": "P3Y"}}); skipped',
        ),
        (
            {"ageRange": {"end": {"iso8601duration": "P3Y"}}},
            "diseases[0].onset.ageRange.start is absent: the onset of an age range is its "
            "start; skipped",
        ),
        (
            {"iso8601duration": "P3Y"},
            "diseases[0].onset is not a time element (age, ageRange, gestationalAge, "
            'ontologyClass, timestamp or interval; got {"iso8601duration": "P3Y"}); skipped',
        ),
        (
            {"age": {"years": 3}},
            'diseases[0].onset.age is not an age such as {"iso8601duration": "P2Y"} '
            '(got {"years": 3}); skipped',
        ),
    ],
)
def test_a_malformed_onset_is_reported(onset: dict, warning: str) -> None:
    case = case_from_phenopacket(packet(diseases=[{"term": {"id": "OMIM:1"}, "onset": onset}]))
    assert case.onset is None
    assert case.warnings == (warning,)


def test_a_malformed_age_at_the_last_encounter_is_reported() -> None:
    subject = {"timeAtLastEncounter": {"ageRange": {"start": {"age": {"iso8601duration": "P3Y"}}}}}
    case = case_from_phenopacket(packet(subject=subject))
    assert case.age_years is None
    assert case.warnings == (
        "subject.timeAtLastEncounter.ageRange.start is not an age such as "
        '{"iso8601duration": "P2Y"} (got {"age": {"iso8601duration": "P3Y"}}); skipped',
    )


# -- implausible ages ----------------------------------------------------------------------


def test_an_age_over_130_years_is_dropped_with_a_warning_and_the_case_kept(
    tmp_path: Path,
) -> None:
    document = packet(subject={"timeAtLastEncounter": {"age": {"iso8601duration": "P200Y"}}})
    case = case_from_phenopacket(document)
    assert case.age_years is None and case.present == (to_iri("HP:0001166"),)
    assert case.warnings == (
        "subject.timeAtLastEncounter is 200.0 years, not an age from 0 to 130 years; skipped",
    )
    row = {"id": "r", "present_hpo": ["HP:0001166"], "age_last_encounter": "P200Y"}
    assert case_from_dev_row(row).warnings == (
        "age_last_encounter is 200.0 years, not an age from 0 to 130 years; skipped",
    )
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(document) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    assert [(c.id, c.age_years) for c in read_cases(path)] == [("p1", None), ("r", None)]


# -- a non-onset disease onset: the features' onset instead ---------------------------------


def test_a_disease_onset_that_is_no_onset_class_gives_way_to_the_features(hierarchy) -> None:
    features = [{"type": {"id": "HP:0001166"}, "onset": {"ontologyClass": {"id": "HP:0003577"}}}]
    for bad in ("HP:0001083", "HP:9999999"):
        onset = {"ontologyClass": {"id": bad}}
        document = packet(
            phenotypicFeatures=features, diseases=[{"term": {"id": "OMIM:1"}, "onset": onset}]
        )
        for as_written in (False, True):
            case = case_from_phenopacket(document, hierarchy, as_written=as_written)
            assert case.onset == ("HP:0003577" if as_written else CONGENITAL)
            assert case.warnings[-1] == (
                "no onset of the disease stated: read the earliest onset of a feature, "
                "'HP:0003577' (HP:0001166)"
            )


# -- a phenopacket without features --------------------------------------------------------


def test_a_phenopacket_without_features_is_recognised_and_says_what_it_lacks(
    tmp_path: Path,
) -> None:
    document = {"id": "p1", "subject": {"sex": "MALE"}, "metaData": {"created": "2024"}}
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(document) + "\n", encoding="utf-8")
    [case] = read_cases(path)
    assert case.present == () and case.sex == "MALE"
    assert case.warnings == ("no phenotypicFeatures: the phenopacket states no phenotypic feature",)
    path.write_text(json.dumps({"id": "p2", "subject": {"sex": "MALE"}}) + "\n")
    assert [c.id for c in read_cases(path)] == ["p2"]  # the subject alone makes it one


def test_a_gestational_onset_is_named_as_a_row_writes_it() -> None:
    features = [{"type": {"id": "HP:0001166"}, "onset": {"gestationalAge": {"weeks": 21}}}]
    case = case_from_phenopacket(packet(phenotypicFeatures=features))
    row = {"id": "r", "present_hpo": ["HP:0001166"], "feature_onsets": {"HP:0001166": "GA:21w0d"}}
    assert case.onset == case_from_dev_row(row).onset == to_iri("HP:0030674")  # antenatal
    assert (
        case.warnings
        == case_from_dev_row(row).warnings
        == (
            "no onset of the disease stated: read the earliest onset of a feature, 'GA:21w0d' "
            "(HP:0001166)",
        )
    )
