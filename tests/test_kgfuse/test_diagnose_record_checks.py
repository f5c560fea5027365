"""``kgfuse diagnose`` refuses to rank a patient in whom no present finding was recognised
(a ranking by the prior alone would be a guess), and names a field that reads like one of
the record's own but is not read (``exluded_hpo``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fusion.pipeline import UNKNOWN_TERM_HINT
from kgfuse.cli import app
from kgfuse.diagnosis import RecordError, parse_record


def diagnosed(records: list[dict], home: Path, model: Path, tmp_path: Path) -> list[dict]:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(source), "-o", str(out), "--model", str(model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == 0, result.output
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]


def test_no_present_finding_gives_an_error_record_not_a_ranking(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    records = [
        {"id": "unknown", "present_hpo": ["HP:9999999"]},
        {"id": "nothing", "text": "hello world"},
        {"id": "ruled-out", "text": "No arachnodactyly.", "excluded_hpo": ["HP:0001083"]},
        {"id": "nameless", "phenotypicFeatures": [{"type": {"label": "Arachnodactyly"}}]},
        {"id": "fine", "present_hpo": ["HP:0001166"]},
    ]
    unknown, nothing, ruled_out, nameless, fine = diagnosed(
        records, mini_home, mini_model, tmp_path
    )
    no_finding = "no present finding recognised, so there is nothing to rank the diseases by"
    assert unknown == {
        "id": "unknown",
        "error": f"record unknown: {no_finding} (unknown or obsolete term 'HP:9999999' "
        f"skipped{UNKNOWN_TERM_HINT})",
    }
    assert nothing == {"id": "nothing", "error": f"record nothing: {no_finding}"}
    assert ruled_out == {
        "id": "ruled-out",
        "error": f"record ruled-out: {no_finding} (only ruled out: Arachnodactyly, Ectopia lentis)",
    }
    assert nameless["error"] == (
        f"record nameless: {no_finding} (phenotypicFeatures[0] has no type.id "
        "('Arachnodactyly'); skipped)"
    )
    assert "error" not in fine and fine["ranking"]


def test_a_field_that_reads_like_a_records_own_is_named(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    record = {
        "id": "p",
        "present_hpo": ["HP:0001166"],
        "exluded_hpo": ["HP:0001083"],
        "presentLabels": [],
        "cohort": "Marfan",  # another table's field: passes without a word
        "diseases": ["OMIM:154700"],
    }
    assert parse_record(record).warnings == (
        "field 'exluded_hpo' is not read: did you mean 'excluded_hpo'?",
        "field 'presentLabels' is not read: did you mean 'present_labels'?",
    )
    [line] = diagnosed([record], mini_home, mini_model, tmp_path)
    assert line["warnings"][:2] == list(parse_record(record).warnings)
    assert [f["curie"] for f in line["findings"]] == ["HP:0001166"]  # nothing excluded


def test_a_record_with_only_a_misspelt_field_says_so() -> None:
    with pytest.raises(RecordError) as info:
        parse_record({"id": "p", "present_hp": ["HP:0001166"]})
    assert str(info.value) == (
        "record p: needs 'text', 'present_hpo'/'excluded_hpo' or a phenopacket (field "
        "'present_hp' is not read: did you mean 'present_hpo'?)"
    )
