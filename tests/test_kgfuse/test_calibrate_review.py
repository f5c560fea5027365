"""``kgfuse calibrate`` after a review: a kill between its two writes, cases ``kgfuse
diagnose`` refuses, a folder of cases, and a finished training run rerun on its model."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import kgfuse.calibration as calibration
from kg.knowledge_graph import KnowledgeGraph
from kgfuse.cli import app
from kgfuse.diagnosis import DiagnosisService
from kgfuse.model_files import model_fingerprint_of
from tests.mini_hpo_env import FACE_DIAGNOSIS, mini_case_rows


def _rows(home: Path, per_disease: int = 10) -> list[dict[str, Any]]:
    return mini_case_rows(home, per_disease)


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _temperature(model: Path) -> float:
    return float(_json(model / "config.json")["calibration_temperature"])


def _model(source: Path, tmp_path: Path, name: str = "model") -> Path:
    return Path(shutil.copytree(source, tmp_path / name))  # the session's model stays as trained


def _calibrate(home: Path, model: Path, cases: Path, *extra: str) -> str:
    args = ["calibrate", "--cases", str(cases), "--model", str(model), "--home", str(home)]
    result = CliRunner().invoke(app, [*args, "-q", *extra])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


# ---- 1. a kill between the two writes ----------------------------------------------------------
def _killed_after_first_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next calibration write die (as a kill would) once one of its two files,
    ``config.json`` or ``kgfuse_model.json``, is written, whichever comes first."""
    real_text, real_meta = calibration.atomic_write_text, calibration.save_model_meta

    def text(*args: Any, **kwargs: Any) -> None:
        real_text(*args, **kwargs)
        raise KeyboardInterrupt("killed")

    def meta(*args: Any, **kwargs: Any) -> None:
        real_meta(*args, **kwargs)
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(calibration, "atomic_write_text", text)
    monkeypatch.setattr(calibration, "save_model_meta", meta)


def test_a_kill_between_the_writes_leaves_the_trained_temperature_to_reset_to(
    mini_home: Path, mini_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(mini_model, tmp_path)
    cases = _write(tmp_path / "cases.jsonl", _rows(mini_home))
    trained = _temperature(model)
    base = _json(model / "kgfuse_model.json")["config_hash"]
    kg = KnowledgeGraph.open(mini_home / "kgs" / "hpo")

    with monkeypatch.context() as patch:
        _killed_after_first_write(patch)
        with pytest.raises(KeyboardInterrupt):
            calibration.recalibrate(kg, model, cases, progress=False)
    # the record, with the temperature training fitted, is on disk
    record = _json(model / "kgfuse_model.json")[calibration.RECALIBRATION]
    assert record["simulated_temperature"] == pytest.approx(trained)
    assert calibration.reset_calibration(model) == pytest.approx(trained)
    assert _temperature(model) == pytest.approx(trained)
    meta = _json(model / "kgfuse_model.json")
    assert calibration.RECALIBRATION not in meta
    assert model_fingerprint_of(meta) == base
    assert DiagnosisService(model, home=mini_home, audit=False).model_fingerprint == base

    # killed again, then fitted again: the record still holds the trained temperature, and
    # the fingerprint is that of an uninterrupted fit on the same cases
    with monkeypatch.context() as patch:
        _killed_after_first_write(patch)
        with pytest.raises(KeyboardInterrupt):
            calibration.recalibrate(kg, model, cases, progress=False)
    fit, _ = calibration.recalibrate(kg, model, cases, progress=False)
    meta = _json(model / "kgfuse_model.json")
    assert meta[calibration.RECALIBRATION]["simulated_temperature"] == pytest.approx(trained)
    assert _temperature(model) == pytest.approx(fit.temperature)
    clean = _model(mini_model, tmp_path, "clean")
    calibration.recalibrate(kg, clean, cases, progress=False)
    assert model_fingerprint_of(meta) == model_fingerprint_of(_json(clean / "kgfuse_model.json"))
    assert model_fingerprint_of(meta) != base


def test_a_temperature_changed_without_its_record_is_reset_to_the_trained_one(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    """What a kill between the writes of an earlier kgfuse left: a new temperature in
    ``config.json`` and no record. The trained temperature is the metadata's, not the
    config's: --reset puts it back, and a fit records it."""
    model = _model(mini_model, tmp_path)
    trained = _temperature(model)
    config = _json(model / "config.json")
    config["calibration_temperature"] = trained * 3
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")
    cases = _write(tmp_path / "cases.jsonl", _rows(mini_home))
    _calibrate(mini_home, model, cases)
    record = _json(model / "kgfuse_model.json")[calibration.RECALIBRATION]
    assert record["simulated_temperature"] == pytest.approx(trained)
    assert record["temperature_before"] == pytest.approx(trained * 3)  # the one applied
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")
    meta = _json(model / "kgfuse_model.json")
    del meta[calibration.RECALIBRATION]
    (model / "kgfuse_model.json").write_text(json.dumps(meta), encoding="utf-8")

    reset = ["calibrate", "--reset", "--model", str(model), "--home", str(mini_home)]
    result = CliRunner().invoke(app, reset)
    assert result.exit_code == 0 and "temperature reset to" in result.output, result.output
    assert _temperature(model) == pytest.approx(trained)
    again = CliRunner().invoke(app, reset)
    assert again.exit_code == 0, again.output
    assert "never recalibrated" in " ".join(again.output.split())


# ---- 2. cases kgfuse diagnose refuses ----------------------------------------------------------
def test_cases_without_a_present_finding_are_left_out_and_counted(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    rows = _rows(mini_home)
    good = _write(tmp_path / "good.jsonl", rows)
    disease = rows[0]["diseases"]
    refused = [
        {"id": "unknown", "present_hpo": ["HP:9999999"], "diseases": disease},
        {"id": "excluded", "present_hpo": [], "excluded_hpo": ["HP:0001166"], "diseases": disease},
        {"id": "well", "text": "The patient is well.", "disease_id": disease[0]},
    ]
    bad = _write(tmp_path / "bad.jsonl", refused)
    out = tmp_path / "refused.jsonl"
    args = ["diagnose", str(bad), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [("no present finding" in a.get("error", "")) for a in answers] == [True] * 3

    both = _write(tmp_path / "both.jsonl", [*rows, *refused])
    output = _calibrate(mini_home, mini_model, both, "--dry-run")
    assert f"{len(rows)} covered cases" in output
    assert "3 case(s) left out: no present finding recognised" in output
    kg = KnowledgeGraph.open(mini_home / "kgs" / "hpo")
    alone, none_left_out = calibration.recalibrate(kg, mini_model, good, write=False)
    mixed, left_out = calibration.recalibrate(kg, mini_model, both, write=False)
    assert (none_left_out, left_out) == (0, 3)
    assert mixed.cases == alone.cases == len(rows)
    assert mixed.temperature == pytest.approx(alone.temperature)


# ---- 3. a folder of cases ---------------------------------------------------------------------
def test_a_folder_of_cases_is_fitted_on_and_hashed_by_its_case_files(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    rows = _rows(mini_home)
    folder = tmp_path / "cases"
    (folder / "more").mkdir(parents=True)
    half = len(rows) // 2
    (folder / "a.json").write_text(json.dumps(rows[:half]), encoding="utf-8")
    (folder / "more" / "b.json").write_text(json.dumps(rows[half:]), encoding="utf-8")
    model = _model(mini_model, tmp_path)
    _calibrate(mini_home, model, folder)
    record = _json(model / "kgfuse_model.json")[calibration.RECALIBRATION]
    assert record["cases"] == len(rows) and record["cases_file"] == "cases"
    file_fit = _model(mini_model, tmp_path, "file-fit")
    _calibrate(mini_home, file_fit, _write(tmp_path / "cases.jsonl", rows))
    assert _temperature(model) == pytest.approx(_temperature(file_fit))

    digest = record["cases_sha256"]
    assert len(digest) == 64
    copy = Path(shutil.copytree(folder, tmp_path / "copy"))
    (copy / "notes.txt").write_text("not a case file", encoding="utf-8")  # not read
    assert calibration._cases_sha256(copy) == digest  # names and contents, not times or paths
    (copy / "a.json").rename(copy / "c.json")
    assert calibration._cases_sha256(copy) != digest
    (copy / "c.json").rename(copy / "a.json")
    (copy / "a.json").write_text(json.dumps(rows[: half - 1]), encoding="utf-8")
    assert calibration._cases_sha256(copy) != digest
    file_digest = _json(file_fit / "kgfuse_model.json")[calibration.RECALIBRATION]
    assert len(file_digest["cases_sha256"]) == 64  # a file: its bytes' sha256, as before


# ---- 4. the same training run again, on a recalibrated model ----------------------------------
def test_rerunning_a_finished_run_keeps_the_recalibration(
    mini_home: Path, mini_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from train.config import load_config
    from train.diagnosis import train_diagnosis

    model = _model(mini_model, tmp_path)  # with its checkpoint: the run is done
    assert (model / "checkpoint.safetensors").is_file()
    trained = _temperature(model)
    _calibrate(mini_home, model, _write(tmp_path / "cases.jsonl", _rows(mini_home)))
    recalibrated = _temperature(model)
    meta = _json(model / "kgfuse_model.json")
    assert abs(recalibrated - trained) > 0.1
    config = load_config(
        None, [f"kg={mini_home / 'kgs' / 'hpo'}", f"output={model}", *FACE_DIAGNOSIS]
    )
    with caplog.at_level(logging.WARNING, logger="train.diagnosis"):
        result = train_diagnosis(config, home=mini_home, progress=False)
    assert _temperature(model) == pytest.approx(recalibrated)
    assert _json(model / "kgfuse_model.json") == meta
    assert result.temperature == pytest.approx(trained)  # what training fitted, reported
    assert "recalibrated since" in caplog.text and "not exported again" in caplog.text

    # the export of another run's best epoch is no model of this run: exported again
    meta["best_valid"] = {"mrr": -1.0}
    (model / "kgfuse_model.json").write_text(json.dumps(meta), encoding="utf-8")
    train_diagnosis(config, home=mini_home, progress=False)
    assert _temperature(model) == pytest.approx(trained)
    assert calibration.RECALIBRATION not in _json(model / "kgfuse_model.json")
