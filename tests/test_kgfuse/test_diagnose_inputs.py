"""``kgfuse diagnose`` reads what ``kgfuse eval diagnosis`` reads, the same way: a raw
``ppkt_dev`` row (its onsets and ages, not its answer), v1 phenopackets, a JSON array, a
``.json`` file of JSON lines, a folder of phenopackets; an implausible age is dropped with a
warning; a disease onset that is no onset class gives way to the features' onsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.namespaces import compress
from kgfuse.cli import app
from kgfuse.commands.common import check_input_output
from kgfuse.diagnosis import RecordError, parse_record, read_records
from train.phenopacket import case_from_dev_row, read_cases

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

#: A ``ppkt_dev.jsonl`` row as the data file writes it (its README's fields).
ROW = {
    "id": "PMID_1_II_2",
    "cohort": "FBN1",
    "file": "notebooks/FBN1/phenopackets/PMID_1_II_2.json",
    "present_hpo": ["HP:0001166", "HP:0001083"],
    "present_labels": ["Arachnodactyly", "Ectopia lentis"],
    "excluded_hpo": ["HP:0000098"],
    "excluded_labels": ["Tall stature"],
    "diseases": ["OMIM:154700"],
    "disease_labels": ["Marfan syndrome"],
    "disease_onset": [None],
    "excluded_diseases": [],
    "genes": ["FBN1"],
    "sex": "female",
    "age_last_encounter": "P14Y",
    "vital_status": None,
    "feature_onsets": {"HP:0001083": "HP:0003577|Congenital onset", "HP:0001166": "P2Y"},
    "pmids": ["PMID:1"],
    "references": [{"id": "PMID:1", "description": "A family with Marfan syndrome"}],
    "hpo_version": "2025-08-11",
    "source_commit": "b694d17",
}


def packet(pid: str = "p1", **fields: object) -> dict:
    return {"id": pid, "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}], **fields}


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory):
    from kg.knowledge_graph import KnowledgeGraph
    from kg.store import build_kg

    dest = tmp_path_factory.mktemp("kg") / "hpo_mini"
    build_kg(["hpo"], dest, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return KnowledgeGraph.open(dest).hierarchy


# -- a ppkt_dev row ------------------------------------------------------------------------


def test_a_dev_row_is_read_as_eval_reads_it(hierarchy) -> None:
    record = parse_record(ROW)
    case = case_from_dev_row(ROW, hierarchy)
    assert record.present == ("HP:0001166", "HP:0001083")
    assert record.excluded == ("HP:0000098",)
    assert (record.sex, record.age) == (case.sex, case.age_years) == ("FEMALE", 14.0)
    assert record.onset == compress(case.onset or "") == "HP:0003577"  # congenital: earliest
    assert (
        record.warnings
        == case.warnings
        == (
            "no onset of the disease stated: read the earliest onset of a feature, "
            "'HP:0003577' (HP:0001083)",
        )
    )  # no "field 'excluded_diseases' is not read: did you mean 'excluded_labels'?"
    assert dict(record.names) == {
        "HP:0001166": "Arachnodactyly",
        "HP:0001083": "Ectopia lentis",
        "HP:0000098": "Tall stature",
    }


def test_a_dev_rows_answer_does_not_change_what_is_read() -> None:
    other = {
        **ROW,
        "diseases": ["OMIM:999999"],
        "disease_labels": ["Something else"],
        "pmids": ["PMID:2"],
        "references": [],
        "excluded_diseases": ["OMIM:154700"],
    }
    assert parse_record(other) == parse_record(ROW)


def test_a_dev_rows_fields_beside_and_its_errors() -> None:
    given = parse_record({**ROW, "age": 30, "onset": "HP:0003593", "text": "Tall."})
    assert (given.age, given.onset, given.text) == (30.0, "HP:0003593", "Tall.")
    assert given.warnings == (
        "no onset of the disease stated: read the earliest onset of a feature, "
        "'HP:0003577' (HP:0001083)",
        "age 30 replaces the row's age_last_encounter (14.0 years)",
        "onset 'HP:0003593' replaces the row's disease onset (HP:0003577)",
    )
    with pytest.raises(RecordError, match=r"record PMID_1_II_2: 'disease_onset' must be a list"):
        parse_record({**ROW, "disease_onset": "HP:0003577"})
    # a misspelt field of a row is named as in any record
    assert parse_record({**ROW, "feature_onset": {}}).warnings[-1] == (
        "field 'feature_onset' is not read: did you mean 'feature_onsets'?"
    )


def test_a_plain_record_with_a_rows_fields_is_not_warned_about_them() -> None:
    record = {"id": "r", "present_hpo": ["HP:0001166"], "excluded_diseases": [], "genes": []}
    assert parse_record(record).warnings == ()


# -- phenopackets --------------------------------------------------------------------------


def test_v1_negated_features_are_excluded_and_v1_onsets_read() -> None:
    features = [
        {"type": {"id": "HP:0001166"}, "classOfOnset": {"id": "HP:0003593"}},
        {"type": {"id": "HP:0001083"}, "negated": True},
    ]
    record = parse_record(packet(phenotypicFeatures=features))
    assert (record.present, record.excluded, record.onset) == (
        ("HP:0001166",),
        ("HP:0001083",),
        "HP:0003593",
    )


def test_a_disease_onset_that_is_no_onset_class_gives_way_to_the_features(hierarchy) -> None:
    features = [{"type": {"id": "HP:0001166"}, "onset": {"ontologyClass": {"id": "HP:0003577"}}}]
    for bad in ("HP:0001083", "HP:9999999"):
        onset = {"ontologyClass": {"id": bad}}
        document = packet(
            phenotypicFeatures=features, diseases=[{"term": {"id": "OMIM:1"}, "onset": onset}]
        )
        record = parse_record(document, hierarchy=hierarchy)
        assert record.onset == "HP:0003577"
        assert record.warnings[-1] == (
            "no onset of the disease stated: read the earliest onset of a feature, "
            "'HP:0003577' (HP:0001166)"
        )


def test_an_implausible_age_is_dropped_with_a_warning_and_the_record_kept() -> None:
    plain = parse_record({"id": "r", "present_hpo": ["HP:0001166"], "age": 200, "sex": "m"})
    assert (plain.age, plain.sex, plain.present) == (None, "MALE", ("HP:0001166",))
    assert plain.warnings == ("age 200 is not an age from 0 to 130 years; skipped",)
    assert parse_record({"id": "r", "present_hpo": ["HP:0001166"], "age": -1}).age is None
    old = packet(subject={"timeAtLastEncounter": {"age": {"iso8601duration": "P200Y"}}})
    assert parse_record(old).age is None
    # a given age that cannot be one leaves the phenopacket's own
    own = packet(subject={"timeAtLastEncounter": {"age": {"iso8601duration": "P14Y"}}}, age=500)
    record = parse_record(own)
    assert record.age == 14.0
    assert record.warnings == ("age 500 is not an age from 0 to 130 years; skipped",)
    with pytest.raises(RecordError, match="age must be a number of years"):
        parse_record({"id": "r", "present_hpo": ["HP:0001166"], "age": "12"})


def test_a_phenopacket_without_features_is_recognised_and_says_what_it_lacks() -> None:
    record = parse_record({"id": "p1", "subject": {"sex": "MALE"}, "metaData": {}})
    assert (record.present, record.sex) == ((), "MALE")
    assert record.warnings == (
        "no phenotypicFeatures: the phenopacket states no phenotypic feature",
    )


def test_the_sections_not_read_reach_the_warnings() -> None:
    record = parse_record(packet(measurements=[{"assay": {"id": "LOINC:1"}}]))
    assert record.warnings == (
        "not read: measurements (the diagnosis reads the patient's phenotypicFeatures, sex, "
        "age and onsets)",
    )


# -- files and folders ---------------------------------------------------------------------


def _ids(records: list) -> list:
    return [r.get("id") if isinstance(r, dict) else str(r) for _, r in records]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("array.json", json.dumps([packet("p1"), ROW, packet("p2")], indent=2)),
        ("array.jsonl", json.dumps([packet("p1"), ROW, packet("p2")])),
        ("lines.json", "\n".join(json.dumps(r) for r in (packet("p1"), ROW, packet("p2")))),
    ],
)
def test_both_commands_read_an_array_or_json_lines_alike(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    records = list(read_records(path))
    assert _ids(records) == [c.id for c in read_cases(path)] == ["p1", ROW["id"], "p2"]
    assert [index for index, _ in records] == [1, 2, 3]


def test_a_folder_of_phenopackets_is_read_file_by_file_in_sorted_order(tmp_path: Path) -> None:
    folder = tmp_path / "packets"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.json").write_text(json.dumps(packet("b")), encoding="utf-8")
    (folder / "a.json").write_text(json.dumps(packet("a"), indent=2), encoding="utf-8")
    (folder / "sub" / "c.json").write_text(json.dumps([packet("c1"), packet("c2")]))
    (folder / "z.json").write_text('{"id": "z",', encoding="utf-8")
    records = list(read_records(folder))
    assert _ids(records[:4]) == ["a", "b", "c1", "c2"]
    assert [index for index, _ in records] == [1, 2, 3, 4, 5]
    assert isinstance(records[4][1], RecordError)
    assert str(records[4][1]).startswith("z.json is not valid JSON")
    # the input check takes the folder where a command reads folders, says why elsewhere
    check_input_output(folder, tmp_path / "out.jsonl", folders=True)
    with pytest.raises(ValueError, match=r"is a folder: give a file of records"):
        check_input_output(folder, None)
    with pytest.raises(ValueError, match=r"a \.json file in the input folder"):
        check_input_output(folder, folder / "out.json", folders=True)
    with pytest.raises(FileNotFoundError, match="input file not found"):
        check_input_output(tmp_path / "missing", None, folders=True)


# -- the command ---------------------------------------------------------------------------


def test_diagnose_reads_rows_and_phenopackets_as_eval_does(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    onset_features = [
        {"type": {"id": "hp:0001166"}, "onset": {"ontologyClass": {"id": "HP:0003577"}}},
        {"type": {"id": "HP_0001083"}},
    ]
    not_an_onset = {"term": {"id": "OMIM:1"}, "onset": {"ontologyClass": {"id": "HP:0001083"}}}
    answer = {**ROW, "id": "answer", "diseases": ["OMIM:999999"], "pmids": ["PMID:2"]}
    records = [
        ROW,
        answer,
        packet("fallback", phenotypicFeatures=onset_features, diseases=[not_an_onset]),
        {"id": "empty", "subject": {"sex": "MALE"}, "metaData": {}},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(source), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    row, answer_line, fallback, empty = (
        json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()
    )
    assert row["onset"] == "HP:0003577"
    assert [f["curie"] for f in row["findings"]] == ["HP:0001166", "HP:0001083", "HP:0000098"]
    assert "excluded_diseases" not in " ".join(row["warnings"])
    # the row's answer does not move the ranking
    assert answer_line["ranking"] == row["ranking"]
    # a disease onset that is no onset class: the feature's onset, as eval reads it
    assert fallback["onset"] == "HP:0003577"
    assert [f["curie"] for f in fallback["findings"]] == ["HP:0001166", "HP:0001083"]
    assert empty["error"].endswith(
        "(no phenotypicFeatures: the phenopacket states no phenotypic feature)"
    )


def test_diagnose_reads_a_folder_and_another_spelling_of_an_id_is_no_replacement(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "packets"
    folder.mkdir()
    spelt = [{"type": {"id": "hp:0001166"}}, {"type": {"id": "HP_0001083"}}]
    (folder / "b.json").write_text(json.dumps(packet("b", phenotypicFeatures=spelt)))
    (folder / "a.json").write_text(json.dumps(packet("a"), indent=2), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(folder), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    a, b = (json.loads(x) for x in out.read_text(encoding="utf-8").splitlines())
    assert (a["id"], b["id"]) == ("a", "b")
    assert [f["curie"] for f in b["findings"]] == ["HP:0001166", "HP:0001083"]
    assert not [w for w in b["warnings"] if "replaced by" in w]
    assert a["ranking"] and b["ranking"]
