"""``kgfuse eval diagnosis`` and ``kgfuse eval link`` refuse bad inputs, options and outputs
with one clear line (exit code 2, no traceback), before any KG or model is loaded.

The commands run against an empty kgfuse home: an input that passed every check would fail
on the missing KG instead, so each message below also shows that nothing was loaded first.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.diagnosis import Case, evaluate_rankers, rank_metrics, top1_ratio
from eval.linking import load_gold
from kgfuse.cli import app

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}  # wide enough that messages keep one line
NO_KG = "no knowledge graph at"
ROW = {"id": "c1", "present_hpo": ["HP:0001166"], "diseases": ["OMIM:154700"]}
TEXT = "The patient has seizures and arachnodactyly."


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=ENV)
    # no traceback: an exit, not an exception that escaped
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def cases_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def diagnosis(home: Path, cases: Path, *args: str, out: Path | None = None) -> tuple[int, str]:
    out = out or home.parent / "report"
    return run(
        "eval", "diagnosis", "--cases", str(cases), "--home", str(home), "--out", str(out), *args
    )


# -- eval diagnosis: cases -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("42", "a case must be a JSON object, got a number (42)"),
        ('"text"', 'a case must be a JSON object, got a string ("text")'),
        ('{"id": "c2", "present_hpo": [1250, null]}', "item 1 is 1250"),
        ('{"id": "c2", "present_hpo": "HP:0001250"}', "'present_hpo' must be a list of HPO ids"),
        ('{"id": "v1", "text": null}', "'text' must be a string, got null"),
        ('{"id": "v1", "text": 42}', "'text' must be a string, got 42"),
        ('{"id": "v1", "text": ""}', "'text' is empty"),
    ],
)
def test_eval_diagnosis_refuses_a_bad_case_line_by_file_and_line(
    tmp_path: Path, home: Path, line: str, message: str
) -> None:
    cases = cases_file(tmp_path, json.dumps(ROW), line, json.dumps(ROW))
    code, output = diagnosis(home, cases)
    assert code == 2
    assert output.startswith(f"error: {cases}:2: ")
    assert message in output and NO_KG not in output


def test_eval_diagnosis_refuses_a_latin1_file_by_line(tmp_path: Path, home: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes((json.dumps(ROW) + '\n{"id": "v", "text": "ärger"}\n').encode("latin-1"))
    code, output = diagnosis(home, cases)
    assert code == 2
    assert output.startswith(f"error: {cases}:2: not valid UTF-8 (byte 0xe4")


def test_eval_diagnosis_reads_a_byte_order_mark(tmp_path: Path, home: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b"\xef\xbb\xbf" + (json.dumps(ROW) + "\n").encode())
    code, output = diagnosis(home, cases)
    assert code == 2 and output.startswith(f"error: {NO_KG}")  # the cases passed


def test_eval_diagnosis_refuses_a_model_folder_missing_or_without_a_model(
    tmp_path: Path, home: Path
) -> None:
    cases = cases_file(tmp_path, json.dumps(ROW))
    missing = tmp_path / "no-model"
    code, output = diagnosis(home, cases, "--model", str(missing))
    assert (code, output) == (2, f"error: --model folder not found: {missing}")
    empty = tmp_path / "empty-model"
    empty.mkdir()
    code, output = diagnosis(home, cases, "--model", str(empty))
    assert code == 2 and output.startswith(f"error: no kgfuse model at {empty} ")
    assert NO_KG not in output


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_eval_diagnosis_refuses_an_empty_case_file(
    tmp_path: Path, home: Path, content: str
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(content, encoding="utf-8")
    code, output = diagnosis(home, cases)
    assert (code, output) == (2, f"error: no cases in {cases} (empty file)")


def test_eval_diagnosis_takes_a_folder_of_phenopackets(
    tmp_path: Path, home: Path, fixtures_dir: Path
) -> None:
    folder = tmp_path / "phenopackets"
    folder.mkdir()
    code, output = diagnosis(home, folder)
    assert (code, output) == (
        2,
        f"error: no cases in {folder} (no phenopacket (*.json) in the folder)",
    )
    document = (fixtures_dir / "diagnosis" / "phenopacket_v2.json").read_text(encoding="utf-8")
    (folder / "p1.json").write_text(document, encoding="utf-8")
    code, output = diagnosis(home, folder)
    assert code == 2 and output.startswith(f"error: {NO_KG}")  # read; then the KG is missing
    code, output = diagnosis(home, tmp_path / "missing")
    assert (code, output) == (2, f"error: cases file or folder not found: {tmp_path / 'missing'}")


def test_eval_diagnosis_refuses_a_phenopacket_whose_excluded_is_a_string(
    tmp_path: Path, home: Path
) -> None:
    document = {
        "id": "p1",
        "phenotypicFeatures": [{"type": {"id": "HP:0001250"}, "excluded": "false"}],
    }
    folder = tmp_path / "phenopackets"
    folder.mkdir()
    (folder / "p1.json").write_text(json.dumps(document), encoding="utf-8")
    code, output = diagnosis(home, folder)
    assert code == 2
    assert output == (
        f"error: {folder / 'p1.json'}: phenotypic feature HP:0001250: 'excluded' must be true "
        'or false (a JSON boolean), got "false"'
    )


# -- eval diagnosis: options and output ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resamples", "0"], "Invalid value for '--resamples'"),
        (["--resamples", "-5"], "Invalid value for '--resamples'"),
        (["--sample", "-2"], "Invalid value for '--sample'"),
        (["--sample", "0"], "Invalid value for '--sample'"),
        (["--limit", "-1"], "Invalid value for '--limit'"),
        (["--limit", "0"], "Invalid value for '--limit'"),
    ],
)
def test_eval_diagnosis_refuses_counts_below_one(
    tmp_path: Path, home: Path, args: list[str], message: str
) -> None:
    code, output = diagnosis(home, cases_file(tmp_path, json.dumps(ROW)), *args)
    assert code == 2
    assert message in output and "greater than or equal to 1" in output
    assert NO_KG not in output


def test_eval_diagnosis_refuses_an_output_that_is_a_file(tmp_path: Path, home: Path) -> None:
    cases = cases_file(tmp_path, json.dumps(ROW))
    existing = tmp_path / "report.txt"
    existing.write_text("keep me", encoding="utf-8")
    code, output = diagnosis(home, cases, out=existing)
    assert code == 2
    assert output == (
        f"error: --out {existing} is a file: give a folder for the report "
        "(diagnosis.json, diagnosis.md, topk.png)"
    )
    assert existing.read_text(encoding="utf-8") == "keep me"
    code, output = diagnosis(home, cases, out=existing / "sub")
    assert (code, output) == (
        2,
        f"error: cannot make the report folder {existing / 'sub'}: {existing} is a file",
    )


def test_eval_diagnosis_refuses_a_report_file_that_is_a_folder(tmp_path: Path, home: Path) -> None:
    out = tmp_path / "report"
    (out / "diagnosis.md").mkdir(parents=True)
    code, output = diagnosis(home, cases_file(tmp_path, json.dumps(ROW)), out=out)
    assert code == 2
    assert output == f"error: the output {out / 'diagnosis.md'} is a folder: give a file name"


def test_eval_diagnosis_refuses_a_folder_it_cannot_write(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = cases_file(tmp_path, json.dumps(ROW))
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(  # as for a user without write permission (the tests may run as root)
        os,
        "access",
        lambda p, mode: not (Path(p) == locked and mode & os.W_OK) and real_access(p, mode),
    )
    code, output = diagnosis(home, cases, out=locked / "report")
    assert code == 2
    assert output == (
        f"error: cannot make the report folder {locked / 'report'}: cannot write to {locked}"
    )
    code, output = diagnosis(home, cases, out=locked)
    assert code == 2 and output == f"error: cannot write to the output folder {locked}"


def test_eval_diagnosis_writes_over_an_earlier_report_folder(tmp_path: Path, home: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "diagnosis.json").write_text("{}", encoding="utf-8")
    code, output = diagnosis(home, cases_file(tmp_path, json.dumps(ROW)), out=out)
    assert code == 2 and output.startswith(f"error: {NO_KG}")  # the folder passed


# -- eval link --------------------------------------------------------------------------------


def gold_file(tmp_path: Path, *annotations: dict, doc_id: str = "d1") -> Path:
    path = tmp_path / "gold.jsonl"
    row = {"id": doc_id, "text": TEXT, "annotations": list(annotations)}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


def link(home: Path, gold: Path, *args: str) -> tuple[int, str]:
    return run("eval", "link", "--gold", str(gold), "--home", str(home), *args)


SEIZURE = {"start": 16, "end": 24, "hpo_id": "HP:0001250", "text": "seizures"}


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (
            {**SEIZURE, "hpo_id": 1250},
            "'hpo_id' must be a term id such as \"HP:0001250\", got 1250",
        ),
        ({"start": 16, "end": 24}, "no term id ('hpo_id_2025' or 'hpo_id')"),
        ({**SEIZURE, "hpo_id": None}, "no term id"),
        ({**SEIZURE, "flag": "Maybe"}, 'annotation 1 (HP:0001250): unknown flag "Maybe"'),
        ({**SEIZURE, "flag": 1}, "unknown flag 1"),
        ({**SEIZURE, "start": True}, "'start' and 'end' must be offsets"),
    ],
)
def test_eval_link_refuses_a_bad_annotation_by_line_document_and_field(
    tmp_path: Path, home: Path, annotation: dict, message: str
) -> None:
    gold = gold_file(tmp_path, annotation, doc_id="doc-7")
    code, output = link(home, gold)
    assert code == 2
    assert output.startswith(f"error: {gold}:1: not a gold document in the id68.jsonl format")
    assert "document doc-7, annotation 1" in output and message in output
    assert NO_KG not in output


def test_eval_link_refuses_an_empty_gold_file(tmp_path: Path, home: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n", encoding="utf-8")
    assert link(home, gold) == (2, f"error: no gold documents in {gold}")


@pytest.mark.parametrize(
    ("args", "option", "bound"),
    [
        (["--repeats", "0"], "--repeats", 1),
        (["--repeats", "-2"], "--repeats", 1),
        (["--abstracts", "-5"], "--abstracts", 0),
        (["--processes", "0"], "--processes", 1),
    ],
)
def test_eval_link_refuses_counts_out_of_range(
    tmp_path: Path, home: Path, args: list[str], option: str, bound: int
) -> None:
    code, output = link(home, gold_file(tmp_path, SEIZURE), *args)
    assert code == 2
    assert f"Invalid value for '{option}'" in output
    assert f"greater than or equal to {bound}" in output


def test_eval_link_checks_its_output_folder_before_linking(tmp_path: Path, home: Path) -> None:
    gold = gold_file(tmp_path, SEIZURE)
    existing = tmp_path / "taken"
    existing.write_text("x", encoding="utf-8")
    code, output = link(home, gold, "--out", str(existing))
    assert code == 2
    assert output == (
        f"error: --out {existing} is a file: give a folder for the report "
        "(eval_link.json, eval_link.md, eval_link_errors.jsonl)"
    )
    code, output = link(home, gold, "--out", str(tmp_path / "new" / "report"))
    assert code == 2 and output.startswith(f"error: {NO_KG}")  # a missing folder is made


def test_eval_link_checks_the_ner_options_first(tmp_path: Path, home: Path) -> None:
    gold = gold_file(tmp_path, SEIZURE)
    ner = tmp_path / "ner"
    code, output = link(home, gold, "--ner", str(ner), "--ner-mode", "both")
    assert (code, output) == (2, "error: unknown --ner-mode 'both'; choose one of ner, combined")
    code, output = link(home, gold, "--ner", str(ner))
    assert (code, output) == (2, f"error: --ner model folder not found: {ner}")


# -- the library functions the commands call --------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "read"),
    [
        (None, None),
        ("", None),
        ("Neg", "Neg"),
        ("neg", "Neg"),
        ("NEG", "Neg"),
        ("related", "Related"),
        ("Related", "Related"),
    ],
)
def test_gold_flags_are_read_whatever_their_case(
    tmp_path: Path, flag: str | None, read: str | None
) -> None:
    [doc] = load_gold(gold_file(tmp_path, {**SEIZURE, "flag": flag}))
    [mention] = doc.mentions
    assert mention.flag == read
    assert mention.excluded is (read == "Neg")


def test_gold_prefers_the_current_id(tmp_path: Path) -> None:
    annotation = {**SEIZURE, "hpo_id": "HP:0000001", "hpo_id_2025": "HP:0001250"}
    [doc] = load_gold(gold_file(tmp_path, annotation))
    assert doc.mentions[0].iri.endswith("HP_0001250")
    [doc] = load_gold(gold_file(tmp_path, {**annotation, "hpo_id_2025": None}))
    assert doc.mentions[0].iri.endswith("HP_0000001")


def test_rankers_refuse_no_cases_and_no_resamples() -> None:
    with pytest.raises(ValueError, match="no cases to evaluate"):
        evaluate_rankers([], {}, annotations=None)  # type: ignore[arg-type]
    case = Case("c1", present=("x",), diseases=("d",))
    for n in (0, -5):
        with pytest.raises(ValueError, match=rf"resamples must be an integer >= 1, got {n}"):
            evaluate_rankers([case], {}, annotations=None, n_resamples=n)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="resamples must be an integer >= 1"):
            rank_metrics([1.0, 2.0], n_resamples=n)
        with pytest.raises(ValueError, match="resamples must be an integer >= 1"):
            top1_ratio([1.0], [1.0], ["d"], n_resamples=n)
    one = rank_metrics([1.0, 3.0], n_resamples=1)
    assert one.n == 2 and one.top1.value == 0.5 and not math.isnan(one.top1.low)
