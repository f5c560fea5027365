"""Fixes from a review of ``--resume``'s run key and the evaluation's journal: the partial
output is held from the check to the writing, the run key is removed before the output is
renamed, equal options given in other words resume, the audit is keyed, and what is
written beside the output is checked before any work."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kgfuse.diagnosis as diagnosis_module
from kgfuse.cli import app
from kgfuse.commands.common import OutputBusyError, jsonl_output
from kgfuse.commands.resumed_output import run_key_path
from tests.test_kgfuse.diagnose_stops import stop_diagnosis_after

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}
ROWS = [
    '{"present_hpo": ["HP:0001166", "HP:0001083"]}',
    '{"present_hpo": ["HP:0000098"]}',
    '{"present_hpo": ["HP:0001166"]}',
]


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def _stopped(home: Path, model: Path, cases: Path, out: Path, monkeypatch, *more: object):
    with monkeypatch.context() as patch:
        stop_diagnosis_after(patch, 1)
        result = _invoke("diagnose", cases, "-o", out, "--model", model, "--home", home, *more)
    assert result.exit_code == 130, result.output
    return out.with_name(out.name + ".partial")


def test_the_partial_output_is_held_from_the_resume_check_to_the_writing(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "out.jsonl"
    _stopped(mini_home, mini_model, cases, out, monkeypatch, "--no-audit")
    real = diagnosis_module.DiagnosisService.__init__
    refused: list[str] = []

    def load(self, *args, **kwargs):  # another run given the same -o, while this one loads
        with pytest.raises(OutputBusyError) as busy, jsonl_output(out):
            pass
        refused.append(str(busy.value))
        real(self, *args, **kwargs)

    monkeypatch.setattr(diagnosis_module.DiagnosisService, "__init__", load)
    resumed = _invoke(
        "diagnose", cases, "-o", out, "--model", mini_model, "--home", mini_home, "--no-audit",
        "--resume",
    )  # fmt: skip
    assert resumed.exit_code == 0, resumed.output
    assert refused and "another run is writing" in refused[0]
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(ROWS)


def test_a_second_run_fails_before_it_loads_anything(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path, monkeypatch
) -> None:
    import fcntl

    out = tmp_path / "out.jsonl"
    partial = out.with_name("out.jsonl.partial")
    loads: list[int] = []
    monkeypatch.setattr(
        diagnosis_module.DiagnosisService, "__init__", lambda *a, **k: loads.append(1)
    )
    with partial.open("a") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = _invoke("diagnose", cases, "-o", out, "--model", mini_model, "--home", mini_home)
    assert busy.exit_code == 2 and "another run is writing" in _flat(busy.output)
    assert loads == []


def test_resume_without_a_partial_output_leaves_none(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    result = _invoke(
        "diagnose", cases, "-o", out, "--model", mini_model, "--home", mini_home, "--resume"
    )
    assert result.exit_code != 0 and "there is no" in _flat(result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl"]


def test_a_failed_start_keeps_a_stopped_runs_records(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "out.jsonl"
    partial = _stopped(mini_home, mini_model, cases, out, monkeypatch, "--no-audit")
    kept, key = partial.read_bytes(), run_key_path(out).read_bytes()
    missing = _invoke("diagnose", cases, "-o", out, "--model", tmp_path / "nowhere")
    assert missing.exit_code != 0
    assert partial.read_bytes() == kept and run_key_path(out).read_bytes() == key


def test_the_key_is_removed_before_the_output_is_renamed(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out.jsonl"
    seen: list[bool] = []
    replace = os.replace

    def renamed(source, target):
        seen.append(run_key_path(out).exists())
        replace(source, target)

    monkeypatch.setattr(os, "replace", renamed)
    with jsonl_output(out, run_key={"version": 1}) as sink:
        assert run_key_path(out).exists()
        sink.write("{}\n")
    assert seen[-1] is False and out.read_text() == "{}\n"


def test_equal_options_given_in_other_words_resume(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "out.jsonl"
    _stopped(mini_home, mini_model, cases, out, monkeypatch, "--no-audit")
    key = json.loads(run_key_path(out).read_text(encoding="utf-8"))
    assert "--kg" not in key["options"] and key["options"]["--precision"] != "auto"
    # the home's KG named, where the stopped run took it by default
    resumed = _invoke(
        "diagnose", cases, "-o", out, "--model", mini_model, "--home", mini_home, "--no-audit",
        "--kg", mini_home / "kgs" / "hpo", "--resume",
    )  # fmt: skip
    assert resumed.exit_code == 0, resumed.output


def test_the_audit_is_part_of_the_key(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "out.jsonl"
    _stopped(mini_home, mini_model, cases, out, monkeypatch, "--no-audit")
    audited = _invoke(
        "diagnose", cases, "-o", out, "--model", mini_model, "--home", mini_home, "--resume"
    )
    assert audited.exit_code == 2
    assert "audit was not given, now" in _flat(audited.output)


def test_a_run_key_that_is_a_folder_is_refused_before_any_work(
    mini_home: Path, mini_model: Path, cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    run_key_path(out).mkdir()
    result = _invoke("diagnose", cases, "-o", out, "--model", mini_model, "--home", mini_home)
    assert result.exit_code == 2
    assert "is a folder, where --resume's run key is kept" in _flat(result.output)
    assert not out.with_name("out.jsonl.partial").exists()


def test_an_output_name_too_long_for_what_is_written_beside_it(
    mini_home: Path, cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / ("o" * 240 + ".jsonl")
    result = _invoke("diagnose", cases, "-o", out, "--home", mini_home)
    assert result.exit_code == 2 and "the output's name is too long" in _flat(result.output)
    fits = tmp_path / ("o" * 237 + ".jsonl")  # .partial.run brings it to 255 bytes
    with jsonl_output(fits, run_key={"version": 1}) as sink:
        sink.write("{}\n")
    assert fits.read_text() == "{}\n"


def test_a_waiting_lock_goes_on_when_its_holder_removed_the_folder(tmp_path: Path) -> None:
    from kg.locks import exclusive_lock

    folder = tmp_path / "work"
    folder.mkdir()
    lock = folder / ".lock"
    held, entered = threading.Event(), []

    def waiter() -> None:
        held.wait()
        with exclusive_lock(lock, RuntimeError, wait=True):
            entered.append(lock.is_file())

    thread = threading.Thread(target=waiter)
    with exclusive_lock(lock, RuntimeError):
        thread.start()
        held.set()
        time.sleep(0.2)  # the waiter has opened the file and waits on it
        lock.unlink()
        folder.rmdir()
    thread.join(10)
    assert entered == [True]


def test_a_subfolder_named_like_a_case_file_is_looked_in(tmp_path: Path) -> None:
    from train.phenopacket import case_files

    (tmp_path / "sub.json").mkdir()
    (tmp_path / "sub.json" / "a.json").write_text("{}")
    assert case_files(tmp_path) == [tmp_path / "sub.json" / "a.json"]
