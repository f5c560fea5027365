"""Case files with bad lines or fields: each is refused by file, line and field, never read
as something else (a string split into characters, ``"false"`` read as true, null as the
text "None")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.namespaces import to_iri
from train.phenopacket import (
    CaseFormatError,
    case_from_phenopacket,
    read_cases,
    read_phenopacket,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
GOOD_ROW = {"id": "c1", "present_hpo": ["HP:0001166"], "diseases": ["OMIM:154700"]}


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(CaseFormatError) as info:
        read_cases(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("42", "a case must be a JSON object, got a number (42)"),
        ('"HP:0001250"', 'a case must be a JSON object, got a string ("HP:0001250")'),
        ("[1, 2]", "a case must be a JSON object, got a list"),
        ("null", "a case must be a JSON object, got null"),
        (
            '{"id": "c2", "present_hpo": [1250, null]}',
            "'present_hpo' must be a list of HPO ids (strings); item 1 is 1250",
        ),
        (
            '{"id": "c2", "present_hpo": ["HP:0001250", null]}',
            "'present_hpo' must be a list of HPO ids (strings); item 2 is null",
        ),
        (
            '{"id": "c2", "present_hpo": "HP:0001250"}',
            "'present_hpo' must be a list of HPO ids (strings), got \"HP:0001250\"",
        ),
        (
            '{"id": "c2", "present_hpo": [], "excluded_hpo": "HP:0001250"}',
            "'excluded_hpo' must be a list of HPO ids",
        ),
        (
            '{"id": "c2", "present_hpo": [], "diseases": "OMIM:154700"}',
            "'diseases' must be a list of disease ids",
        ),
        ('{"id": "c2", "present_hpo": [], "diseases": [154700]}', "item 1 is 154700"),
        ('{"id": "c2", "present_hpo": [], "sex": 1}', "'sex' must be a string, got 1"),
        ('{"id": "c2", "present_hpo": [], "age_last_encounter": 5}', "'age_last_encounter'"),
        ('{"id": "v1", "text": null}', "'text' must be a string, got null"),
        ('{"id": "v1", "text": 42}', "'text' must be a string, got 42"),
        ('{"id": "v1", "text": "  "}', "'text' is empty"),
        ('{"id": "v1", "text": "fever", "disease_id": 154700}', "'disease_id' must be a string"),
        ("{not json", "not valid JSON"),
    ],
)
def test_a_bad_line_is_refused_by_file_line_and_field(
    tmp_path: Path, line: str, message: str
) -> None:
    path = write_lines(tmp_path / "cases.jsonl", json.dumps(GOOD_ROW), line)
    text = refusal(path)
    assert text.startswith(f"{path}:2: ")
    assert message in text


def test_a_latin1_file_is_refused_by_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(
        (json.dumps(GOOD_ROW) + "\n" + '{"id": "v1", "text": "Fieber, ärger"}\n').encode("latin-1")
    )
    text = refusal(path)
    assert text.startswith(f"{path}:2: not valid UTF-8 (byte 0xe4 at position 31 of the line)")


def test_a_byte_order_mark_is_read_and_the_first_case_kept(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    rows = [GOOD_ROW, {"id": "v1", "text": "Tall with long fingers.", "disease_id": "OMIM:154700"}]
    path.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in rows).encode())
    cases = read_cases(path)
    assert [c.id for c in cases] == ["c1", "v1"]
    assert cases[0].present == (to_iri("HP:0001166"),)
    assert cases[1].text == "Tall with long fingers."


def test_a_phenopacket_file_with_a_byte_order_mark_or_latin1(tmp_path: Path) -> None:
    document = {"id": "p1", "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}]}
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(document).encode())
    assert read_phenopacket(bom).present == (to_iri("HP:0001166"),)
    latin = tmp_path / "latin.json"
    latin.write_bytes(json.dumps({**document, "x": "ä"}, ensure_ascii=False).encode("latin-1"))
    with pytest.raises(CaseFormatError, match=r"latin\.json: not valid UTF-8 \(byte 0xe4"):
        read_phenopacket(latin)


def test_vignette_text_is_kept_as_written(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "v.jsonl", json.dumps({"id": "v1", "text": "Seizures."}))
    [case] = read_cases(path)
    assert case.text == "Seizures." and case.diseases == ()


def phenopacket(excluded: object, *, absent: bool = False) -> dict:
    feature: dict = {"type": {"id": "HP:0001250", "label": "Seizure"}}
    if not absent:
        feature["excluded"] = excluded
    return {
        "id": "p1",
        "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}, feature],
    }


@pytest.mark.parametrize("value", ["false", "no", "true", 0, 1, "", [], {}])
def test_excluded_must_be_a_json_boolean(value: object) -> None:
    with pytest.raises(CaseFormatError) as info:
        case_from_phenopacket(phenopacket(value))
    assert str(info.value) == (
        "phenotypic feature HP:0001250: 'excluded' must be true or false (a JSON boolean), "
        f"got {json.dumps(value)}"
    )
    assert isinstance(info.value, ValueError)  # what `kgfuse diagnose` turns into a record error


@pytest.mark.parametrize(
    ("value", "absent", "excluded"),
    [(True, False, True), (False, False, False), (None, False, False), (None, True, False)],
)
def test_excluded_booleans_and_absent(value: object, absent: bool, excluded: bool) -> None:
    case = case_from_phenopacket(phenopacket(value, absent=absent))
    seizure = to_iri("HP:0001250")
    assert (seizure in case.excluded) is excluded
    assert (seizure in case.present) is not excluded


def test_a_disease_excluded_flag_must_be_a_boolean_too() -> None:
    document = {
        "id": "p1",
        "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}],
        "diseases": [{"term": {"id": "OMIM:154700"}, "excluded": "false"}],
    }
    with pytest.raises(CaseFormatError, match=r"disease OMIM:154700: 'excluded' must be true"):
        case_from_phenopacket(document)


def test_a_bad_phenopacket_line_names_file_line_and_feature(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", json.dumps(phenopacket("no")))
    text = refusal(path)
    assert text.startswith(f"{path}:1: phenotypic feature HP:0001250: 'excluded' must be")


def test_diagnose_reports_a_bad_excluded_flag_per_record() -> None:
    from kgfuse.diagnosis import RecordError, parse_record

    with pytest.raises(RecordError, match=r"record p1: not a valid phenopacket: .*got \"false\""):
        parse_record(phenopacket("false"))


def _packet(**fields: object) -> dict:
    return {"id": "p1", "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}], **fields}


def test_a_skipped_feature_or_onset_is_named_as_written() -> None:
    features = [
        {"type": {"label": "Ectopia lentis"}},
        {"type": {"id": "Ectopia lentis"}},
        {"type": {"id": "0001519"}},  # no prefix (HP_0001519 reads as HP:0001519)
        {"type": {"id": "HP:0001166"}},
    ]
    disease = {"term": {"id": "OMIM:154700"}, "onset": {"age": {"iso8601duration": "2y"}}}
    case = case_from_phenopacket(
        {"id": "p1", "phenotypicFeatures": features, "diseases": [disease]}
    )
    assert case.present == (to_iri("HP:0001166"),) and case.onset is None
    assert case.warnings == (
        "phenotypicFeatures[0] has no type.id ('Ectopia lentis'); skipped",
        "Ectopia lentis: not a CURIE or IRI; skipped",
        "0001519: not a CURIE or IRI; skipped",
        "diseases[0].onset.age.iso8601duration '2y' is not an ISO 8601 duration such as P2Y; "
        "skipped",
    )


def test_a_malformed_age_at_the_last_encounter_is_a_warning() -> None:
    case = case_from_phenopacket(
        _packet(subject={"timeAtLastEncounter": {"age": {"iso8601duration": "12 years"}}})
    )
    assert case.age_years is None
    assert case.warnings == (
        "subject.timeAtLastEncounter.age.iso8601duration '12 years' is not an ISO 8601 "
        "duration such as P2Y; skipped",
    )


def test_a_term_both_present_and_excluded_is_counted_as_present_with_a_warning() -> None:
    features = [
        {"type": {"id": "HP:0001083"}, "excluded": True},
        {"type": {"id": "HP:0001166"}},
        {"type": {"id": "HP:0001083"}},
    ]
    case = case_from_phenopacket({"id": "p1", "phenotypicFeatures": features})
    assert case.present == (to_iri("HP:0001166"), to_iri("HP:0001083")) and case.excluded == ()
    assert case.warnings == ("both present and excluded, counted as present: HP:0001083",)


def test_protobuf_field_names_are_read_like_the_json_names(tmp_path: Path) -> None:
    camel = json.loads((FIXTURES / "diagnosis" / "phenopacket_v2.json").read_text())
    snake = {
        "id": camel["id"],
        "subject": {
            "sex": "FEMALE",
            "time_at_last_encounter": {
                "age_range": {
                    "start": {"iso8601duration": "P14Y"},
                    "end": {"iso8601duration": "P15Y"},
                }
            },
        },
        "phenotypic_features": camel["phenotypicFeatures"],
        "diseases": [
            {"term": {"id": "OMIM:154700"}, "onset": {"ontology_class": {"id": "HP:0011463"}}},
            {"term": {"id": "ORPHA:394"}, "excluded": True},
        ],
        "interpretations": camel["interpretations"],
        "meta_data": {"external_references": [{"id": "PMID:1000009"}]},
    }
    assert case_from_phenopacket(snake) == case_from_phenopacket(camel)
    # a JSON-lines file detects the protobuf names too
    [read] = read_cases(write_lines(tmp_path / "snake.jsonl", json.dumps(snake)))
    assert read == case_from_phenopacket(camel)
    gestational = _packet(
        diseases=[{"term": {"id": "OMIM:1"}, "onset": {"gestational_age": {"weeks": 30}}}]
    )
    assert case_from_phenopacket(gestational).onset == to_iri("HP:0030674")  # antenatal


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": "F"}, 'subject must be an object, got a string ("F")'),
        ({"subject": {"sex": ["F"]}}, "subject.sex must be a sex such as FEMALE (or its number"),
        (  # a string is v1's age ({"age": "P2Y"}), read; a number is not an age
            {"subject": {"timeAtLastEncounter": {"age": 2}}},
            "subject.timeAtLastEncounter.age must be an object, got a number (2)",
        ),
        (
            {"subject": {"time_at_last_encounter": {"age": {"iso8601duration": 12}}}},
            "subject.time_at_last_encounter.age.iso8601duration must be a string, got a number",
        ),
        ({"diseases": ["OMIM:154700"]}, 'diseases[0] must be an object, got a string ("OMIM'),
        ({"diseases": {"term": {}}}, "diseases must be a list of objects, got an object"),
        ({"diseases": [{"term": "OMIM:154700"}]}, "diseases[0].term must be an object"),
        ({"diseases": [{"term": {"id": 154700}}]}, "diseases[0].term.id must be a string"),
        ({"interpretations": [{"diagnosis": []}]}, "interpretations[0].diagnosis must be an"),
        ({"metaData": {"externalReferences": "PMID:1"}}, "metaData.externalReferences must be"),
        ({"meta_data": []}, "meta_data must be an object, got a list"),
    ],
)
def test_a_field_of_the_wrong_type_is_named_by_its_path(fields: dict, message: str) -> None:
    with pytest.raises(CaseFormatError) as info:
        case_from_phenopacket(_packet(**fields))
    assert message in str(info.value)
    assert "unexpected shape" not in str(info.value)


@pytest.mark.parametrize(
    ("sex", "read"),
    [
        (0, None),
        (1, "FEMALE"),
        (2, "MALE"),
        (3, "OTHER"),
        ("FEMALE", "FEMALE"),
        ("female", "FEMALE"),
        ("F", "FEMALE"),
        ("m", "MALE"),
        ("OTHER_SEX", "OTHER"),
        ("UNKNOWN_SEX", None),
    ],
)
def test_sex_names_and_enum_numbers(sex: object, read: str | None) -> None:
    case = case_from_phenopacket(_packet(subject={"sex": sex}))
    assert case.sex == read and case.warnings == ()


@pytest.mark.parametrize("sex", ["WOMAN", "banana", 7])
def test_an_unknown_sex_is_read_as_unknown_with_a_warning(sex: object) -> None:
    case = case_from_phenopacket(_packet(subject={"sex": sex}))
    assert case.sex is None
    assert case.warnings == (
        f"subject.sex {sex!r} is not a sex (MALE, FEMALE, OTHER_SEX, UNKNOWN_SEX or 0 to 3); "
        "read as unknown",
    )


def test_a_family_or_a_cohort_is_refused_saying_what_to_give(tmp_path: Path) -> None:
    family = {"id": "f1", "proband": _packet(), "metaData": {}}
    with pytest.raises(CaseFormatError) as info:
        case_from_phenopacket(family)
    assert str(info.value) == (
        'a Family, not a phenopacket: give its proband (the phenopacket under "proband") on its own'
    )
    cohort = {"id": "c1", "members": [_packet(), _packet(id="p2")]}
    path = write_lines(tmp_path / "cohort.jsonl", json.dumps(cohort))
    assert refusal(path) == (
        f"{path}:1: a Cohort, not a phenopacket: give each of its 2 members (the phenopackets "
        'under "members") on its own'
    )


def test_a_timestamp_onset_does_not_hide_an_age_onset_of_a_later_disease() -> None:
    diseases = [
        {"term": {"id": "OMIM:1"}, "onset": {"timestamp": "2020-01-01T00:00:00Z"}},
        {"term": {"id": "OMIM:2"}, "onset": {"age": {"iso8601duration": "P3M"}}},
    ]
    case = case_from_phenopacket(_packet(diseases=diseases))
    assert case.onset == to_iri("HP:0003593")  # infantile
    assert case.warnings == ()
    alone = case_from_phenopacket(_packet(diseases=diseases[:1]))
    assert alone.onset is None
    assert alone.warnings == (
        "diseases[0].onset: an onset given as a timestamp or interval is not read",
    )


def test_ids_as_written_for_a_caller_that_resolves_them() -> None:
    features = [
        {"type": {"id": " HP:0001166 "}},
        {"type": {"id": "http://purl.obolibrary.org/obo/HP_0001166"}},  # the same term
        {"type": {"id": "http://purl.obolibrary.org/obo/HP_9999999"}, "excluded": True},
    ]
    disease = {"term": {"id": "OMIM:1"}, "onset": {"ontologyClass": {"id": "HP:0003593"}}}
    case = case_from_phenopacket(
        {"id": "p1", "phenotypicFeatures": features, "diseases": [disease]}, as_written=True
    )
    assert case.present == ("HP:0001166",)
    assert case.excluded == ("http://purl.obolibrary.org/obo/HP_9999999",)
    assert case.onset == "HP:0003593"
