"""``kgfuse diagnose --workers N``: several processes give the output and the audit records
of one, in the input's order; a worker that cannot load stops the run with its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fusion.shortlist import RankingSettings
from kgfuse.audit import AuditLog
from kgfuse.cli import app
from kgfuse.diagnosis_workers import DiagnosisWorkers, WorkerSettings
from tests.test_kgfuse.diagnose_stops import stop_diagnosis_after

RECORDS = [
    {"id": "marfan", "text": "Tall with arachnodactyly and ectopia lentis."},
    {"id": "terms", "present_hpo": ["HP:0001166", "HP:0001083"], "excluded_hpo": []},
    {"id": "unknown", "present_hpo": ["HP:9999999"]},  # nothing to rank by: an error record
    None,  # an unreadable line
    {"id": "lens", "text": "Ectopia lentis since childhood."},
    {"text": "Arachnodactyly."},  # no id: named by its line
]
#: What two audit records of the same decision may differ in.
PER_RECORD = ("seq", "id", "created_at", "prev_hash", "hash")


def _input(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    lines = ["{not json" if r is None else json.dumps(r) for r in RECORDS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _diagnose(home: Path, model: Path, source: Path, out: Path, *options: str) -> Any:
    args = ["diagnose", str(source), "-o", str(out), "--model", str(model), "--home", str(home)]
    return CliRunner().invoke(app, [*args, *options])


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _same_decision(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in PER_RECORD}


def test_workers_write_the_output_and_audit_records_of_one_process(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    source = _input(tmp_path)
    alone, shared = tmp_path / "alone.jsonl", tmp_path / "workers.jsonl"
    result = _diagnose(mini_home, mini_model, source, alone)
    assert result.exit_code == 0, result.output
    result = _diagnose(mini_home, mini_model, source, shared, "--workers", "2")
    assert result.exit_code == 0, result.output
    one, many = _read(alone), _read(shared)
    assert [r["id"] for r in many] == ["marfan", "terms", "unknown", "line-4", "lens", "line-6"]
    assert "error" in many[2] and "error" in many[3] and "ranking" in many[4]
    one_ids = [r.pop("audit_id", None) for r in one]
    many_ids = [r.pop("audit_id", None) for r in many]
    assert many == one
    log = AuditLog(mini_home / "audit.sqlite")
    audited = [i for i in many_ids if i is not None]
    assert len(audited) == 4  # every diagnosed record, none of the errors
    records = [log.get(i).to_dict() for i in audited]
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)  # the input's order
    alone_records = [log.get(i).to_dict() for i in one_ids if i is not None]
    assert [_same_decision(r) for r in records] == [_same_decision(r) for r in alone_records]
    assert log.verify_chain().ok
    verified = CliRunner().invoke(app, ["audit", "verify", audited[0], "--home", str(mini_home)])
    assert verified.exit_code == 0, verified.output
    assert "re-runs the same" in verified.output


def test_workers_resume_a_run_stopped_in_one_process(
    mini_home: Path, mini_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _input(tmp_path)
    whole = tmp_path / "whole.jsonl"
    assert _diagnose(mini_home, mini_model, source, whole, "--no-audit").exit_code == 0
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as patch:
        stop_diagnosis_after(patch, 2)
        stopped = _diagnose(mini_home, mini_model, source, out, "--no-audit")
    assert stopped.exit_code == 130 and not out.exists()
    result = _diagnose(
        mini_home, mini_model, source, out, "--no-audit", "--resume", "--workers", "2"
    )
    assert result.exit_code == 0, result.output
    assert _read(out) == _read(whole)


def test_no_model_or_no_kg_is_refused_before_the_workers_start(
    mini_home: Path, mini_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kgfuse.worker_pool

    def no_start(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the workers were started")

    monkeypatch.setattr(kgfuse.worker_pool.WorkerPool, "__init__", no_start)
    out = tmp_path / "out.jsonl"
    missing = tmp_path / "no-model"
    result = _diagnose(mini_home, missing, _input(tmp_path), out, "--workers", "2")
    assert result.exit_code == 2, result.output
    said = result.output.replace("\n", "")
    assert f"error: no kgfuse model at {missing}" in said and "could not load" not in said
    no_kg = tmp_path / "no-kg"
    result = _diagnose(
        mini_home, mini_model, _input(tmp_path), out, "--workers", "2", "--kg", str(no_kg)
    )
    assert result.exit_code == 2, result.output
    said = result.output.replace("\n", "")
    assert f"error: no knowledge graph at {no_kg}" in said and "could not load" not in said
    assert not out.exists()


def test_a_worker_that_cannot_load_stops_the_run_with_its_reason(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    import shutil

    broken = tmp_path / "broken-model"
    shutil.copytree(mini_model, broken)
    # weights cut short: the folder looks whole (its listed items are there), and only
    # loading them, in the workers, finds the damage
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    out = tmp_path / "out.jsonl"
    result = _diagnose(mini_home, broken, _input(tmp_path), out, "--workers", "2")
    assert result.exit_code == 2
    said = result.output.replace("\n", "")
    assert "error: a diagnosis worker could not load: " in said and str(broken) in said
    assert not out.exists()


def test_workers_go_with_a_file_not_with_text(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    args = ["diagnose", "--text", "Tall.", "--workers", "2", "--model", str(mini_model)]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 2 and "--workers goes with an input file" in result.output
    result = _diagnose(
        mini_home, mini_model, _input(tmp_path), tmp_path / "o.jsonl", "--workers", "0"
    )
    assert result.exit_code == 2 and "--workers" in result.output


def test_diagnosis_workers_need_two() -> None:
    settings = WorkerSettings(None, None, None, RankingSettings(), "fp32")
    with pytest.raises(ValueError, match="at least 2"):
        DiagnosisWorkers(settings, 1)
