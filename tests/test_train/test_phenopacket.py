"""Tests of train.phenopacket: phenopacket v2, dev rows, vignettes, and the shared dev data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kg.namespaces import to_iri
from train.phenopacket import (
    Case,
    CaseFormatError,
    case_from_dev_row,
    case_from_phenopacket,
    case_from_vignette,
    parse_iso8601_age,
    pmid_iri,
    read_cases,
    read_phenopacket,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"


def shared_data_dir() -> Path:
    env = os.environ.get("KGFUSE_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("P6Y", 6.0),
        ("P5Y6M", 5.5),
        ("P2W", 14 / 365.25),
        ("P1Y0M3D", 1 + 3 / 365.25),
        ("P0D", 0.0),
        (None, None),
        ("", None),
        ("6 years", None),
        ("P", None),
    ],
)
def test_parse_iso8601_age(value: str | None, years: float | None) -> None:
    got = parse_iso8601_age(value)
    assert got == (None if years is None else pytest.approx(years))


def test_read_phenopacket_v2(hierarchy) -> None:
    case = read_phenopacket(FIXTURES / "diagnosis" / "phenopacket_v2.json", hierarchy)
    assert isinstance(case, Case)
    assert case.id == "PMID_1000009_patient_1"
    # The alt id HP:0001505 resolves to Arachnodactyly (deduplicated); the obsolete
    # HP:0001519 is replaced by Tall stature; HP:9999999 is unknown.
    assert case.present == (
        to_iri("HP:0001166"),
        to_iri("HP:0001083"),
        to_iri("HP:0000098"),
    )
    assert case.excluded == (to_iri("HP:0001249"), to_iri("HP:0002616"))
    assert case.sex == "FEMALE"
    assert case.age_years == pytest.approx(14.5)
    assert case.diseases == (to_iri("OMIM:154700"),)  # the excluded ORPHA disease is left out
    assert case.onset == to_iri("HP:0011463")  # Marfan's onset at P2Y: Childhood onset
    assert set(case.pmids) == {to_iri("PMID:1000009"), to_iri("PMID:1000010")}
    assert any("HP:9999999" in w and "skipped" in w for w in case.warnings)
    assert any("HP:0001519" in w and "replaced" in w for w in case.warnings)


def test_phenopacket_without_hierarchy_keeps_ids_as_iris() -> None:
    data = json.loads((FIXTURES / "diagnosis" / "phenopacket_v2.json").read_text())
    case = case_from_phenopacket(data)
    assert read_phenopacket(data) == case
    assert to_iri("HP:9999999") in case.present
    assert case.warnings == ()
    with pytest.raises(CaseFormatError):
        case_from_phenopacket(["not", "an", "object"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"phenotypicFeatures": "HP:0001166"}, "must be a list of objects"),
        ({"phenotypicFeatures": ["HP:0001166"]}, r"phenotypicFeatures\[0\] must be an object"),
        ({"phenotypicFeatures": [{"type": "HP:0001166"}]}, 'needs "type": {"id"'),
        ({"phenotypicFeatures": [{"type": {"id": 5}}]}, r"\(got \{\"id\": 5\}\)"),
        ({"phenotypicFeatures": [], "subject": {"sex": 3.5}}, "subject.sex must be a sex"),
        ({"phenotypicFeatures": [], "diseases": ["OMIM:154700"]}, r"diseases\[0\] must be an"),
    ],
)
def test_a_phenopacket_of_another_shape_is_refused_by_name(document: dict, message: str) -> None:
    with pytest.raises(CaseFormatError, match=message):
        case_from_phenopacket(document)


def test_phenopacket_time_elements() -> None:
    base = {"id": "x", "phenotypicFeatures": []}
    onset = {**base, "subject": {"timeAtLastEncounter": {"ontologyClass": {"id": "HP:0011463"}}}}
    assert case_from_phenopacket(onset).age_years == pytest.approx(3.0)  # childhood: 1-5 y
    ranged = {
        **base,
        "subject": {
            "timeAtLastEncounter": {
                "ageRange": {"start": {"iso8601duration": "P2Y"}, "end": {"iso8601duration": "P4Y"}}
            }
        },
    }
    assert case_from_phenopacket(ranged).age_years == pytest.approx(3.0)
    assert case_from_phenopacket({**base, "subject": {"sex": "UNKNOWN_SEX"}}).sex is None


@pytest.mark.parametrize(
    ("time_element", "onset"),
    [
        ({"ontologyClass": {"id": "HP:0003593"}}, "HP:0003593"),
        ({"age": {"iso8601duration": "P0D"}}, "HP:0003577"),  # at birth: congenital
        ({"age": {"iso8601duration": "P3M"}}, "HP:0003593"),  # infantile
        ({"ageRange": {"start": {"iso8601duration": "P20Y"}}}, "HP:0011462"),  # young adult
        ({"gestationalAge": {"weeks": 30}}, "HP:0030674"),  # antenatal
        ({"timestamp": "2020-01-01T00:00:00Z"}, None),
    ],
)
def test_phenopacket_disease_onset(time_element: dict, onset: str | None) -> None:
    data = {
        "id": "x",
        "diseases": [
            {
                "term": {"id": "OMIM:1"},
                "excluded": True,
                "onset": {"age": {"iso8601duration": "P70Y"}},
            },
            {"term": {"id": "OMIM:2"}, "onset": time_element},
        ],
    }
    case = case_from_phenopacket(data)
    assert case.onset == (None if onset is None else to_iri(onset))


def test_an_onset_that_is_no_onset_class_is_reported(hierarchy) -> None:
    row = {"id": "r", "present_hpo": ["HP:0001166"], "disease_onset": ["HP:0001166|Arachnodactyly"]}
    case = case_from_dev_row(row, hierarchy)
    assert case.onset is None
    assert any("not an onset class" in w for w in case.warnings)
    bad_age = case_from_dev_row({**row, "disease_onset": ["P2Q"]}, hierarchy)
    assert bad_age.onset is None
    assert any("not an ISO 8601 duration" in w for w in bad_age.warnings)


def test_dev_row_and_vignette_rows(hierarchy) -> None:
    row = {
        "id": "PMID_1_a",
        "present_hpo": ["HP:0001166", "HP:0000000"],
        "excluded_hpo": ["HP:0001249", "HP:0001166"],
        "diseases": ["OMIM:154700"],
        "sex": "MALE",
        "age_last_encounter": "P3Y",
        "disease_onset": ["HP:0003593|Infantile onset", "P2Y"],
        "pmids": ["PMID:1"],
    }
    case = case_from_dev_row(row, hierarchy)
    assert case.onset == to_iri("HP:0003593")  # the first one stated
    assert case_from_dev_row({**row, "disease_onset": ["P30Y"]}).onset == to_iri("HP:0011462")
    # the 40th birthday starts middle age onset
    assert case_from_dev_row({**row, "disease_onset": ["P40Y"]}).onset == to_iri("HP:0003596")
    assert case_from_dev_row({**row, "disease_onset": [None]}).onset is None
    gestational = case_from_dev_row({**row, "disease_onset": ["GA:33w0d"]}, hierarchy)
    assert gestational.onset == to_iri("HP:0030674")  # antenatal
    assert gestational.warnings == case.warnings
    assert case.present == (to_iri("HP:0001166"),)
    assert case.excluded == (to_iri("HP:0001249"),)  # a present term is never also excluded
    assert case.sex == "MALE" and case.age_years == 3.0
    assert case.diseases == (to_iri("OMIM:154700"),)
    assert case.pmids == ("https://pubmed.ncbi.nlm.nih.gov/1",)
    assert case.warnings == (
        "HP:0000000: unknown or obsolete term; skipped",
        "both present and excluded, counted as present: HP:0001166",
    )
    vignette = case_from_vignette(
        {
            "id": "v",
            "title": "Marfan syndrome",
            "text": "A tall boy.",
            "disease_id": "OMIM:154700",
            "pmid": "PMID:2",
        }
    )
    assert vignette.text == "A tall boy." and vignette.present == ()
    assert vignette.diseases == (to_iri("OMIM:154700"),)


def test_a_diagnosis_written_with_a_space_or_as_a_phenotype_is_read_or_warned_of() -> None:
    row = {"id": "c1", "present_hpo": ["HP:0001166"], "pmids": []}
    spaced = case_from_dev_row({**row, "diseases": ["OMIM: 154700"]})
    assert spaced.diseases == (to_iri("OMIM:154700"),) and spaced.warnings == ()
    assert to_iri("OMIM:154700") == "https://omim.org/entry/154700"  # no space inside
    phenotype = case_from_dev_row({**row, "diseases": ["HP:0001250", "OMIM:154700"]})
    assert phenotype.diseases == (to_iri("OMIM:154700"),)
    assert phenotype.warnings == ("HP:0001250: a phenotype's id (HPO), not a disease's; skipped",)


def test_read_cases_detects_formats_and_reports_bad_lines(tmp_path: Path) -> None:
    packet = json.loads((FIXTURES / "diagnosis" / "phenopacket_v2.json").read_text())
    rows = [
        packet,
        {"id": "r", "present_hpo": ["HP:0001166"], "diseases": ["OMIM:154700"]},
        {"id": "v", "text": "text", "disease_id": "OMIM:154700"},
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert [c.id for c in read_cases(path)] == [packet["id"], "r", "v"]
    folder = tmp_path / "packets"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(packet))
    assert len(read_cases(folder)) == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rows[1]) + "\n{not json\n")
    with pytest.raises(CaseFormatError, match=r"bad.jsonl:2"):
        read_cases(bad)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"foo": 1}) + "\n")
    with pytest.raises(CaseFormatError, match="unknown case format"):
        read_cases(other)


def test_read_dev_phenopackets(hierarchy) -> None:
    path = shared_data_dir() / "ppkt_dev.jsonl"
    if not path.exists():
        pytest.skip(f"shared evaluation data not found at {path} (set KGFUSE_DATA_DIR)")
    cases = read_cases(path)
    assert len(cases) == 1580
    assert all(len(c.diseases) == 1 and c.present and c.pmids for c in cases)
    assert all(c.diseases[0].startswith("https://omim.org/entry/") for c in cases)
    # Against a KG that lacks almost every id: warnings, never an error.
    mini = read_cases(path, hierarchy)
    assert len(mini) == 1580
    assert sum(1 for c in mini if c.warnings) > 1500


@pytest.mark.parametrize(
    "reference",
    [
        "PMID:123",
        "pmid: 0123",
        "PMID_123",
        "123",
        "https://www.ncbi.nlm.nih.gov/pubmed/123",
        "http://pubmed.ncbi.nlm.nih.gov/123/",
        " https://pubmed.ncbi.nlm.nih.gov/123 ",
    ],
)
def test_every_way_of_writing_a_pubmed_id_gives_one_iri(reference: str) -> None:
    assert pmid_iri(reference) == "https://pubmed.ncbi.nlm.nih.gov/123"


@pytest.mark.parametrize(
    "reference", ["doi:10.1000/182", "PMID:", "PMID:12a", "https://example.org/123", "0"]
)
def test_a_reference_that_is_no_pubmed_id_gives_none(reference: str) -> None:
    assert pmid_iri(reference) is None
