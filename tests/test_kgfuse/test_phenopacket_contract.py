"""``kgfuse diagnose`` on phenopackets: what reading one reports reaches the output's
``warnings``, ``sex`` / ``age`` / ``onset`` / ``text`` beside its fields are checked as in any
record and replace its own, an age outside 0-130 years is dropped with a warning, and a
pretty-printed ``.json`` file is read as one record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fusion.pipeline import UNKNOWN_TERM_HINT
from kg.namespaces import to_iri
from kgfuse.cli import app
from kgfuse.diagnosis import RecordError, parse_record, read_records


def packet(**fields: object) -> dict:
    document: dict = {
        "id": "p1",
        "subject": {"sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P14Y"}}},
        "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}],
        "diseases": [
            {"term": {"id": "OMIM:154700"}, "onset": {"ontologyClass": {"id": "HP:0003593"}}}
        ],
    }
    document.update(fields)
    return document


def refused(record: dict) -> str:
    with pytest.raises(RecordError) as info:
        parse_record(record)
    return str(info.value)


def test_the_readers_warnings_are_kept_with_the_ids_as_written() -> None:
    features = [
        {"type": {"label": "Arachnodactyly"}},
        {"type": {"id": "Ectopia lentis"}},
        {"type": {"id": "0001519"}},  # no prefix (HP_0001519 reads as HP:0001519)
        {"type": {"id": "HP:0001166"}},
        {"type": {"id": "HP:9999999"}, "excluded": True},
    ]
    onset = {"age": {"iso8601duration": "2y"}}
    record = parse_record(
        packet(phenotypicFeatures=features, diseases=[{"term": {"id": "X:1"}, "onset": onset}])
    )
    assert record.present == ("HP:0001166",)
    assert record.excluded == ("HP:9999999",)  # as written: the diagnoser names it so
    assert record.onset is None
    assert record.warnings == (
        "phenotypicFeatures[0] has no type.id ('Arachnodactyly'); skipped",
        "Ectopia lentis: not a CURIE or IRI; skipped",
        "0001519: not a CURIE or IRI; skipped",
        "diseases[0].onset.age.iso8601duration '2y' is not an ISO 8601 duration such as P2Y; "
        "skipped",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sex": "banana"}, "record p1: sex must be male, female, other or unknown, got 'banana'"),
        (
            {"sex": 2},
            "record p1: sex must be male, female, other or unknown, got 2 (a number is "
            "ambiguous here: phenopackets count 1 as female, PLINK files as male)",
        ),
        (
            {"age": "12"},
            "record p1: age must be a number of years (0 to 130 are read) or an ISO 8601 "
            "duration such as \"P3Y6M\", got '12'",
        ),
        (
            {"age": "P2Q"},
            "record p1: age must be a number of years (0 to 130 are read) or an ISO 8601 "
            "duration such as \"P3Y6M\", got 'P2Q'",
        ),
        ({"onset": "P2Q"}, "record p1: onset 'P2Q' is not an ISO 8601 duration such as P2Y"),
        ({"onset": 3}, "record p1: onset must be an HPO onset class or an age such as P2Y"),
        ({"text": 42}, "record p1: text must be a string"),
        ({"text": "  ", "phenotypicFeatures": []}, "record p1: empty text"),
    ],
)
def test_fields_beside_a_phenopacket_are_checked_as_in_any_record(
    fields: dict, message: str
) -> None:
    assert refused(packet(**fields)) == message
    if "phenotypicFeatures" not in fields:  # the same value in a present_hpo record
        assert refused({"id": "p1", "present_hpo": ["HP:0001166"], **fields}) == message


@pytest.mark.parametrize(("age", "years"), [("P3Y6M", 3.5), (" p14y ", 14.0), ("P18M", 1.5)])
def test_an_age_written_as_phenopackets_write_it_is_read(age: str, years: float) -> None:
    record = parse_record({"id": "p1", "present_hpo": ["HP:0001166"], "age": age})
    assert record.age == pytest.approx(years, abs=0.01) and record.warnings == ()


def test_an_iso_age_past_the_range_is_warned_of_and_skipped() -> None:
    record = parse_record({"id": "p1", "present_hpo": ["HP:0001166"], "age": "P200Y"})
    assert record.age is None
    assert record.warnings == ("age 200.0 is not an age from 0 to 130 years; skipped",)


def test_given_fields_replace_the_phenopackets_own_with_a_warning_when_they_differ() -> None:
    own = parse_record(packet())
    assert (own.sex, own.age, own.onset, own.text, own.warnings) == (
        "FEMALE",
        14.0,
        "HP:0003593",
        None,
        (),
    )
    same = parse_record(packet(sex="f", age=14, onset="HP:0003593"))
    assert (same.sex, same.age, same.onset, same.warnings) == ("FEMALE", 14.0, "HP:0003593", ())
    given = parse_record(packet(sex="male", age=30, onset="P2Y", text="Tall."))
    assert (given.sex, given.age, given.onset, given.text) == (
        "MALE",
        30.0,
        to_iri("HP:0011463"),  # two years: childhood onset
        "Tall.",
    )
    assert given.warnings == (
        "age 30 replaces the phenopacket's subject.timeAtLastEncounter (14.0 years)",
        "sex 'male' replaces the phenopacket's subject.sex (FEMALE)",
        "onset 'P2Y' replaces the phenopacket's disease onset (HP:0003593)",
    )


def test_an_undiagnosed_patient_states_its_onset_beside_the_phenopacket() -> None:
    record = parse_record(packet(diseases=[], onset="HP:0003593"))
    assert record.onset == "HP:0003593" and record.warnings == ()


@pytest.mark.parametrize(
    ("last_encounter", "shown"),
    [
        ({"age": {"iso8601duration": "P200Y"}}, "200.0"),
        ({"ageRange": {"start": {"iso8601duration": "P150Y"}}}, "150.0"),
    ],
)
def test_a_phenopackets_age_over_130_is_dropped_with_a_warning_like_a_records(
    last_encounter: dict, shown: str
) -> None:
    record = parse_record(packet(subject={"timeAtLastEncounter": last_encounter}))
    assert record.age is None and record.present == ("HP:0001166",)
    assert record.warnings == (
        f"subject.timeAtLastEncounter is {shown} years, not an age from 0 to 130 years; skipped",
    )
    row = parse_record({"id": "p1", "present_hpo": ["HP:0001166"], "age": 200})
    assert row.age is None
    assert row.warnings == ("age 200 is not an age from 0 to 130 years; skipped",)


def test_snake_case_and_enum_numbers_are_read() -> None:
    record = parse_record(
        {
            "id": "p1",
            "subject": {"sex": 2, "time_at_last_encounter": {"age": {"iso8601duration": "P3Y"}}},
            "phenotypic_features": [{"type": {"id": "HP:0001166"}}],
        }
    )
    assert (record.present, record.sex, record.age) == (("HP:0001166",), "MALE", 3.0)


def test_a_wrongly_typed_field_is_named_by_its_path() -> None:
    assert refused(packet(subject="F")) == (
        'record p1: not a valid phenopacket: subject must be an object, got a string ("F")'
    )


def test_a_family_is_refused_saying_to_give_its_proband() -> None:
    message = refused({"id": "f1", "proband": packet()})
    assert message == (
        "record f1: not a valid phenopacket: a Family, not a phenopacket: give its proband "
        '(the phenopacket under "proband") on its own'
    )


def test_a_pretty_printed_json_file_is_one_record(tmp_path: Path) -> None:
    pretty = tmp_path / "p1.json"
    pretty.write_bytes(b"\xef\xbb\xbf" + json.dumps(packet(), indent=2).encode())
    assert list(read_records(pretty)) == [(1, packet())]
    # the same without the suffix, read because its first line opens an object it does not end
    other = tmp_path / "p1.txt"
    other.write_text(json.dumps(packet(), indent=2), encoding="utf-8")
    assert list(read_records(other)) == [(1, packet())]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(packet(), indent=2).replace('"p1",', '"p1"'), encoding="utf-8")
    [(index, error)] = list(read_records(broken))
    assert isinstance(error, RecordError)
    assert str(error) == "broken.json is not valid JSON: Expecting ',' delimiter (line 3, column 3)"
    # JSON lines, even named .json, and a JSON-lines file whose first line is broken
    lines = tmp_path / "lines.json"
    lines.write_text(json.dumps(packet()) + "\n" + json.dumps(packet(id="p2")) + "\n")
    assert [r["id"] for _, r in read_records(lines)] == ["p1", "p2"]
    bad_first = tmp_path / "bad.jsonl"
    bad_first.write_text("{not json\n" + json.dumps(packet()) + "\n", encoding="utf-8")
    first, second = list(read_records(bad_first))
    assert isinstance(first[1], RecordError) and str(first[1]).startswith("line 1 is not valid")
    assert second == (2, packet())


def test_diagnose_outputs_the_phenopackets_warnings(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    features = [
        {"type": {"id": "Ectopia lentis"}},
        {"type": {"id": "HP:0001166"}},
        {"type": {"id": "HP:0001083"}, "excluded": True},
        {"type": {"id": "HP:0001083"}},
        {"type": {"id": "HP:9999999"}},
    ]
    document = packet(
        phenotypicFeatures=features,
        subject={"sex": "WOMAN", "timeAtLastEncounter": {"age": {"iso8601duration": "12 years"}}},
        diseases=[],
        onset="P3M",
    )
    source = tmp_path / "patient.json"
    source.write_text(json.dumps(document, indent=2), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(source), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert "error" not in line and line["ranking"]
    assert line["onset"] == "HP:0003593"  # three months: infantile
    assert [f["curie"] for f in line["findings"]] == ["HP:0001166", "HP:0001083"]
    assert line["warnings"] == [
        "Ectopia lentis: not a CURIE or IRI; skipped",
        "both present and excluded, counted as present: HP:0001083",
        "subject.sex 'WOMAN' is not a sex (MALE, FEMALE, OTHER_SEX, UNKNOWN_SEX or 0 to 3); "
        "read as unknown",
        "subject.timeAtLastEncounter.age.iso8601duration '12 years' is not an ISO 8601 "
        "duration such as P2Y; skipped",
        "unknown or obsolete term 'HP:9999999' skipped" + UNKNOWN_TERM_HINT,
    ]


def test_diagnose_reads_an_unknown_id_by_the_name_beside_it(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    features = [
        {"type": {"id": "HP:5200001", "label": "Bilateral ectopia lentis"}},
        {"type": {"id": "HP:5200002", "label": "Positive Coombs test"}},
    ]
    records = [
        packet(phenotypicFeatures=features),
        {
            "id": "r1",
            "present_hpo": ["HP:5200001", "HP:0000098"],
            "present_labels": ["Bilateral ectopia lentis", None],
        },
        {"id": "r2", "present_hpo": ["HP:5200001"]},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(source), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    packet_line, row_line, bare_line = (
        json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()
    )
    read = (
        "HP:5200001 ('Bilateral ectopia lentis'): not a term of this KG; read by its name "
        "as HP:0001083 (Ectopia lentis)"
    )
    assert [f["curie"] for f in packet_line["findings"]] == ["HP:0001083"]
    assert packet_line["warnings"] == [
        read,
        "unknown or obsolete term 'HP:5200002' skipped; its name 'Positive Coombs test' "
        "names no term of this KG",
    ]
    assert [f["curie"] for f in row_line["findings"]] == ["HP:0001083", "HP:0000098"]
    assert row_line["warnings"] == [read]
    # no name: skipped as before, and with nothing else to rank by, not ranked
    assert bare_line == {
        "id": "r2",
        "error": "record r2: no present finding recognised, so there is nothing to rank the "
        "diseases by (unknown or obsolete term 'HP:5200001' skipped" + UNKNOWN_TERM_HINT + ")",
    }


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("Arachnodactyly", "record p1: present_labels must be a list of names (strings)"),
        ([1], "record p1: present_labels must be a list of names (strings)"),
        (["a", "b"], "record p1: present_labels must give one name per id (1), got 2"),
    ],
)
def test_names_beside_a_records_ids_are_checked(labels: object, message: str) -> None:
    record = {"id": "p1", "present_hpo": ["HP:0001166"], "present_labels": labels}
    assert refused(record) == message
