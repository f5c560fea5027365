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
