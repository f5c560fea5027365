"""``kgfuse diagnose --resume``: a run stopped halfway goes on from the records it wrote to
``OUTPUT.partial``, handling (and auditing) only the records after them, and writes the
output an uninterrupted run writes; a partial output of another input, a missing one, or
``--resume`` without ``-o`` are refused before the model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kgfuse.diagnosis as diagnosis_module
from kgfuse.cli import app
from kgfuse.commands.resumed_output import check_resumed, read_resumed

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}
ROWS = [
    '{"id": "a", "present_hpo": ["HP:0001166", "HP:0001083"]}',
    '{"present_hpo": ["HP:0000098"]}',  # no id: named by its line
    "not json",  # an error record named by its line
    '{"id": 7, "present_hpo": ["HP:0001166"]}',
    '{"id": "e", "present_hpo": ["HP:0001083"], "excluded_hpo": ["HP:0000098"]}',
]


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def _diagnose(mini_home: Path, mini_model: Path, cases: Path, out: Path, *more: object):
    return _invoke(
        "diagnose", cases, "-o", out, "--model", mini_model, "--home", mini_home,
        "--no-audit", *more,
    )  # fmt: skip


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_stopped_diagnosis_run_goes_on_with_resume(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path, monkeypatch
) -> None:
    whole = tmp_path / "whole.jsonl"
    assert _diagnose(mini_home, mini_model, cases, whole).exit_code == 0
    expected = _records(whole)
    assert [r["id"] for r in expected] == ["a", "line-2", "line-3", "7", "e"]

    real = diagnosis_module.DiagnosisService.run
    calls: list[int] = []

    def run(self, raw, index, *args, **kwargs):
        if stop_at and len(calls) == stop_at[0]:
            raise KeyboardInterrupt
        calls.append(index)
        return real(self, raw, index, *args, **kwargs)

    monkeypatch.setattr(diagnosis_module.DiagnosisService, "run", run)
    out = tmp_path / "out.jsonl"
    stop_at = [3]  # a stop at the fourth record the model ranks (the fifth record)
    stopped = _diagnose(mini_home, mini_model, cases, out)
    assert stopped.exit_code == 130
    assert "the same command with --resume goes on from them" in stopped.output
    assert not out.exists()
    partial = out.with_name("out.jsonl.partial")
    assert [r["id"] for r in _records(partial)] == ["a", "line-2", "line-3", "7"]
    # a kill cut the last line short: it is dropped and its record ranked again
    partial.write_bytes(partial.read_bytes()[:-9])
    calls.clear()
    stop_at.clear()
    resumed = _diagnose(mini_home, mini_model, cases, out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert calls == [4, 5]  # only the records after those kept
    assert _records(out) == expected
    assert not partial.exists()


def test_resume_refuses_what_it_cannot_go_on_from(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    partial = out.with_name("out.jsonl.partial")
    missing = _diagnose(mini_home, mini_model, cases, out, "--resume")
    assert missing.exit_code != 0
    assert f"there is no {partial} to resume from" in missing.output.replace("\n", "")
    # the output of another input
    partial.write_text('{"id": "a", "ranking": []}\n{"id": "zz", "ranking": []}\n')
    other = _diagnose(mini_home, mini_model, cases, out, "--resume")
    assert other.exit_code == 2
    assert "record 2 of" in other.output and "'zz'" in other.output
    assert partial.read_text() == '{"id": "a", "ranking": []}\n{"id": "zz", "ranking": []}\n'
    # more records than the input has
    ids = ["a", "line-2", "line-3", 7, "e", "extra"]
    partial.write_text("".join(json.dumps({"id": i}) + "\n" for i in ids))
    longer = _diagnose(mini_home, mini_model, cases, out, "--resume")
    assert longer.exit_code == 2 and "holds 6 records" in longer.output
    # not a stopped run's output
    partial.write_text("hello\n")
    garbage = _diagnose(mini_home, mini_model, cases, out, "--resume")
    assert garbage.exit_code == 2 and "line 1 of" in garbage.output
    # --resume without an output file, or with --text
    alone = _invoke("diagnose", cases, "--resume", "--home", mini_home, "--no-audit")
    assert alone.exit_code == 2 and "--resume needs -o OUTPUT" in alone.output
    text = _invoke("diagnose", "--text", "tall", "-o", out, "--resume", "--home", mini_home)
    assert text.exit_code == 2 and "not --text" in text.output


def test_the_kept_records_are_checked_by_their_ids(tmp_path: Path) -> None:
    from kgfuse.diagnosis import diagnose_output_ids

    out = tmp_path / "o.jsonl"
    # "2": a record without an id, as versions before 2026-12-05 named it (now "line-2")
    out.with_name("o.jsonl.partial").write_bytes(
        b'{"id": "a"}\n{"id": "2", "error": "x"}\n{"id": "line-3"}\n{"id": "cut'
    )
    resumed = read_resumed(out)
    assert resumed.ids == ("a", "2", "line-3") and resumed.failed == 1
    records = [(1, {"id": "a"}), (2, {}), (3, ValueError("bad line")), (4, {"id": "b"})]
    check_resumed(resumed, records, diagnose_output_ids, Path("in.jsonl"))
    now = tmp_path / "n.jsonl"
    now.with_name("n.jsonl.partial").write_bytes(b'{"id": "a"}\n{"id": "line-2"}\n')
    check_resumed(read_resumed(now), records, diagnose_output_ids, Path("in.jsonl"))
    with pytest.raises(ValueError, match="record 1 of .* is 'a', where record 1 of in.jsonl"):
        check_resumed(
            resumed, [(1, {"id": "b"}), *records[1:]], diagnose_output_ids, Path("in.jsonl")
        )


def test_a_run_does_not_write_over_another_runs_output(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path
) -> None:
    import fcntl

    out = tmp_path / "out.jsonl"
    partial = out.with_name("out.jsonl.partial")
    partial.write_text('{"id": "a", "ranking": []}\n', encoding="utf-8")
    with partial.open("a", encoding="utf-8") as other:  # another run, writing
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = _diagnose(mini_home, mini_model, cases, out)
        assert busy.exit_code == 2
        assert f"another run is writing {partial}" in busy.output.replace("\n", "")
        assert "not written" not in busy.output  # nothing of its own to name
        assert partial.read_text(encoding="utf-8") == '{"id": "a", "ranking": []}\n'
    # once it is done, the same command writes the output
    assert _diagnose(mini_home, mini_model, cases, out).exit_code == 0
    assert len(_records(out)) == len(ROWS) and not partial.exists()
