"""Re-running audited decisions of the real services (mini KG, tiny model): the model's
content fingerprint, a moved model or KG and the ``--model``/``--kg`` overrides, ``ask``
records, and writers that check the audit database before loading the model."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kgfuse.audit import AuditLog, verify_record
from kgfuse.cli import app
from kgfuse.diagnosis import DiagnosisService
from kgfuse.model_files import model_files_fingerprint
from kgfuse.qa import QAService

PATIENT = {"id": "p1", "present_hpo": ["HP:0001166", "HP:0001083"], "sex": "female", "age": 12}
QUESTION = "Which diseases explain arachnodactyly and ectopia lentis?"


@pytest.fixture
def model(mini_model: Path, tmp_path: Path) -> Path:
    """A copy of the tiny model that a test may change, move or delete."""
    return Path(shutil.copytree(mini_model, tmp_path / "model"))


@pytest.fixture
def kg(mini_home: Path) -> Path:
    return mini_home / "kgs" / "hpo"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


def _recalibrate(model: Path, factor: float = 2.0) -> None:
    path = model / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["calibration_temperature"] = config["calibration_temperature"] * factor
    path.write_text(json.dumps(config), encoding="utf-8")


def _diagnosed(model: Path, kg: Path, home: Path) -> str:
    out, _ = DiagnosisService(model, kg, home).run(PATIENT, 0, 5)
    return str(out["audit_id"])


# ---- 3. the model's content fingerprint ----------------------------------------------------------
def test_a_decision_records_the_model_files_and_verify_names_the_changed_ones(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (model / "training.json").write_text("{}", encoding="utf-8")
    (model / "tensorboard").mkdir(exist_ok=True)
    (model / "tensorboard" / "events").write_text("x", encoding="utf-8")
    (model / "checkpoint.safetensors").write_bytes(b"x")
    rid = _diagnosed(model, kg, home)
    log = AuditLog(home / "audit.sqlite", readonly=True)
    record = log.get(rid)
    files = record.explanation.metadata["model_files"]
    assert {"config.json", "kgfuse_model.json", "model.safetensors"} <= files["files"].keys()
    assert not {"training.json", "tensorboard/events", "checkpoint.safetensors"} & set(
        files["files"]
    )
    assert files == model_files_fingerprint(model) and len(files["sha256"]) == 64
    assert record.config is not None and record.config["model_config_hash"]
    assert record.config["model_dir"] == str(model.absolute())
    assert verify_record(log, rid).identical
    (model / "training.json").write_text('{"steps": 1}', encoding="utf-8")  # not loaded
    assert verify_record(log, rid).identical

    _recalibrate(model)
    report = verify_record(log, rid)
    assert not report.identical and not report.findings_only and not report.rules_changed
    assert report.differences[0] == "model file config.json: changed"
    assert any("probability" in d for d in report.differences[1:]), report.differences
    code, out = _run("audit", "verify", rid, "--home", str(home))
    assert code == 1 and "different: decision" in out
    assert out.index("model file config.json: changed") < out.index("probability")


def test_a_new_file_in_the_model_folder_is_named_and_the_outputs_said_the_same(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    rid = _diagnosed(model, kg, home)
    (model / "notes.txt").write_text("read me", encoding="utf-8")
    report = verify_record(AuditLog(home / "audit.sqlite", readonly=True), rid)
    assert not report.identical and report.outputs_identical
    assert report.differences[0] == "model file notes.txt: new"
    code, out = _run("audit", "verify", rid, "--home", str(home))
    assert code == 1, out
    assert "model files changed: decision" in out and "re-runs to the recorded outputs" in out
    assert "only the model files above differ" in out


# ---- 4. a moved model or KG, and the overrides -------------------------------------------------
def test_a_moved_model_is_named_and_may_be_given_when_it_is_the_same(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    rid = _diagnosed(model, kg, home)
    moved = model.rename(tmp_path / "moved")
    code, out = _run("audit", "verify", rid, "--home", str(home))
    assert code == 2, out
    assert f"error: the recorded model folder {model} no longer exists; give --model DIR" in out
    code, out = _run("audit", "verify", rid, "--home", str(home), "--model", str(moved))
    assert code == 0 and "identical" in out, out
    other = Path(shutil.copytree(moved, tmp_path / "other"))
    _recalibrate(other)
    code, out = _run("audit", "verify", rid, "--home", str(home), "--model", str(other))
    assert code == 2, out
    assert f"error: --model {other} is not the model of decision {rid}" in out
    assert "model file config.json: changed" in out
    code, out = _run("audit", "verify", rid[:8], "--home", str(home), "--model", "none")
    assert code == 2 and "error: no model folder at none" in out, out


def test_a_moved_kg_is_named_and_may_be_given_when_its_fingerprint_is_the_record(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    copy = Path(shutil.copytree(kg, tmp_path / "kg", symlinks=True))
    rid = _diagnosed(model, copy, home)
    shutil.rmtree(copy)
    code, out = _run("audit", "verify", rid, "--home", str(home))
    assert code == 2 and f"error: the recorded KG folder {copy} no longer exists" in out, out
    code, out = _run("audit", "verify", rid, "--home", str(home), "--kg", str(kg))
    assert code == 0 and "identical" in out, out


def test_an_old_record_without_the_model_files_takes_a_model_of_its_fingerprint(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    service = DiagnosisService(model, kg, home, audit=False)
    _, explanation = service.run(PATIENT, 0, 5)
    config: dict[str, Any] = {"model_dir": str(tmp_path / "gone"), "kg": str(kg), "top_k": 5}
    config["rules_top"] = 3
    config.update(service.diagnoser.ranking_settings)
    with AuditLog(home / "audit.sqlite") as log:  # as kgfuse wrote it before
        rid = log.record(explanation, PATIENT, config=config, kind="diagnose")
    code, out = _run("audit", "verify", rid, "--home", str(home))
    assert code == 2 and f"the recorded model folder {tmp_path / 'gone'} no longer" in out
    code, out = _run("audit", "verify", rid, "--home", str(home), "--model", str(model))
    assert code == 0 and "identical" in out, out
    meta = json.loads((model / "kgfuse_model.json").read_text(encoding="utf-8"))
    meta["config_hash"] = "0" * 64
    (model / "kgfuse_model.json").write_text(json.dumps(meta), encoding="utf-8")
    code, out = _run("audit", "verify", rid, "--home", str(home), "--model", str(model))
    assert code == 2 and f"its fingerprint is {'0' * 64}, the record's" in out, out


# ---- 4, 7, 8. ask records ----------------------------------------------------------------------
def test_an_ask_record_keeps_its_model_folder_and_its_facts_sources(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    qa = QAService(kg, model, home)
    answer = qa.ask(QUESTION)
    genes = qa.ask("Which genes are associated with Marfan syndrome?")
    log = AuditLog(home / "audit.sqlite", readonly=True)
    record = log.get(answer.audit_id or "")
    assert record.config is not None and record.config["model_dir"] == str(model.absolute())
    assert record.explanation.metadata["model_files"] == model_files_fingerprint(model)
    facts = log.get(genes.audit_id or "").to_dict()["explanation"]["facts"]
    assert facts and all(f["source"].startswith("genes_to_phenotype.txt") for f in facts)
    assert "model_files" not in log.get(genes.audit_id or "").explanation.metadata
    assert verify_record(log, answer.audit_id or "").identical
    moved = model.rename(tmp_path / "moved")
    with pytest.raises(ValueError, match=f"the recorded model folder {model} no longer exists"):
        verify_record(log, answer.audit_id or "")
    report = verify_record(log, answer.audit_id or "", overrides={"model_dir": moved})
    assert report.identical, report.differences
    # an answer that used no model needs none
    assert verify_record(log, genes.audit_id or "").identical
    with pytest.raises(ValueError, match="used no model: --model does not apply"):
        verify_record(log, genes.audit_id or "", overrides={"model_dir": moved})


def test_an_old_ask_record_re_run_without_its_model_says_so_first(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    model = model.rename(home / "models" / "diagnosis")
    qa = QAService(kg, None, home, audit=False)
    answer = qa.ask(QUESTION)
    explanation = qa.explanation_of(answer)
    config: dict[str, Any] = {"kg": str(kg), "model_dir": None, "home": None, "top_k": 10}
    config.update(qa.diagnosis.diagnoser.ranking_settings)
    with AuditLog(home / "audit.sqlite") as log:  # as kgfuse wrote it before
        rid = log.record(explanation, {"question": QUESTION}, config=config, kind="ask")
        report = verify_record(log, rid, overrides={"home": home})
        assert report.identical, report.differences
        shutil.rmtree(model)
        report = verify_record(log, rid, overrides={"home": home})
    assert report.differences[0].startswith(
        "the re-run could not use the model the decision was made with"
    )
    assert report.differences[1].startswith('answer: recorded "Read: ')
    assert "it needs the diagnosis model, which is missing" in report.differences[1]
    assert any(d.startswith("findings: none of the") for d in report.differences)


# ---- 5, 11. writers check the database before loading the model --------------------------------
@pytest.fixture
def no_model_load(monkeypatch: pytest.MonkeyPatch) -> None:
    from fusion.pipeline import Diagnoser

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(Diagnoser, "load", refuse)


def _damaged_home(tmp_path: Path) -> Path:
    from tests.test_kgfuse.test_audit import append

    home = tmp_path / "home"
    home.mkdir()
    with AuditLog(home / "audit.sqlite") as log:
        for i in range(40):
            append(log, f"long thin fingers {i} " * 40)
    path = home / "audit.sqlite"
    os.truncate(path, path.stat().st_size // 2)
    return home


@pytest.mark.usefixtures("no_model_load")
def test_writers_refuse_a_damaged_database_before_loading_the_model(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    home = _damaged_home(tmp_path)
    base = ["--kg", str(kg), "--model", str(model), "--home", str(home)]
    for args in (["diagnose", "--text", "long thin fingers", *base], ["ask", QUESTION, *base]):
        code, out = _run(*args)
        assert code == 2, (args, out)
        assert out.startswith(f"error: cannot read the audit database {home / 'audit.sqlite'}")
        assert "database disk image is malformed" in out


@pytest.mark.usefixtures("no_model_load")
def test_writers_refuse_a_read_only_database_before_loading_the_model(
    model: Path, kg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgfuse import audit

    home = tmp_path / "home"
    home.mkdir()
    AuditLog(home / "audit.sqlite").check_writable()  # it exists, and
    real_access = os.access
    database = home / "audit.sqlite"

    def access(path: Any, mode: int, **kwargs: Any) -> bool:  # the database cannot be written
        return Path(path) != database and real_access(path, mode, **kwargs)

    monkeypatch.setattr(audit.os, "access", access)
    base = ["--kg", str(kg), "--model", str(model), "--home", str(home)]
    for args in (["diagnose", "--text", "long thin fingers", *base], ["ask", QUESTION, *base]):
        code, out = _run(*args)
        assert code == 2, (args, out)
        assert out.startswith(f"error: cannot write the audit database {home / 'audit.sqlite'}")
        assert "--no-audit" in out and "Traceback" not in out


# ---- 1. the HTTP API refuses an edited record --------------------------------------------------
def test_the_api_refuses_an_edited_record(kg: Path, mini_model: Path, tmp_path: Path) -> None:
    import sqlite3

    from fastapi.testclient import TestClient

    from kgfuse.api import ApiSettings, create_app

    home = tmp_path / "home"
    settings = ApiSettings(kg_path=kg, model_dir=mini_model, home=home, preload=False)
    with TestClient(create_app(settings)) as client:
        asked = client.post("/ask", json={"question": "What is arachnodactyly?"}).json()
        rid = asked["audit_id"]
        assert client.get(f"/audit/{rid}").status_code == 200
        conn = sqlite3.connect(home / "audit.sqlite")
        conn.execute("DROP TRIGGER audit_records_no_update")
        conn.execute("UPDATE audit_records SET created_at = '2020-01-01' WHERE id = ?", (rid,))
        conn.commit()
        conn.close()
        r = client.get(f"/audit/{rid}")
        assert r.status_code == 500 and "does not match its hash" in r.json()["detail"], r.text
        r = client.get(f"/audit/{rid[:3]}")  # only a full id is looked up over HTTP
        assert r.status_code == 404 and "full id" in r.json()["detail"]


def test_verify_reads_kg_name_as_the_homes_kg(model: Path, kg: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "kgs").mkdir(parents=True)
    (home / "kgs" / "hpo").symlink_to(kg, target_is_directory=True)
    rid = _diagnosed(model, kg, home)
    code, out = _run("audit", "verify", rid, "--home", str(home), "--kg", "hpo")
    assert code == 0 and "identical" in out, out


def test_records_verified_one_after_another_load_the_model_once_until_it_changes(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    from kgfuse import diagnosis

    home = tmp_path / "home"
    first, second = _diagnosed(model, kg, home), _diagnosed(model, kg, home)
    log = AuditLog(home / "audit.sqlite", readonly=True)
    assert verify_record(log, first).identical
    kept = list(diagnosis._REPLAY_SERVICE.values())
    assert verify_record(log, second).identical
    assert list(diagnosis._REPLAY_SERVICE.values()) == kept and len(kept) == 1
    (model / "sub").mkdir()
    (model / "sub" / "extra").write_text("x", encoding="utf-8")  # a file under a subfolder
    assert verify_record(log, second).outputs_identical
    assert list(diagnosis._REPLAY_SERVICE.values())[0] is not kept[0]
    _recalibrate(model)
    assert not verify_record(log, first).identical


def test_a_decision_keeps_the_linkers_opt_in_readings_and_is_replayed_with_them(
    model: Path, kg: Path, tmp_path: Path
) -> None:
    """``kgfuse diagnose --milestones`` reads milestones' ages; its audit record says so and
    is re-run with them. A decision without them keeps the config it always had."""
    from kgfuse import diagnosis

    home = tmp_path / "home"
    text = {"id": "t1", "text": "Arachnodactyly and ectopia lentis; walked at 3 years."}
    plain = DiagnosisService(model, kg, home)
    assert plain.diagnoser.linker.config.milestones is False
    assert not {"milestones", "measurements"} & plain.audit_config(5).keys()
    reading = DiagnosisService(model, kg, home, milestones=True)
    assert reading.diagnoser.linker.config.milestones is True
    assert reading.audit_config(5)["milestones"] is True
    rid = str(reading.run(text, 0, 5)[0]["audit_id"])
    log = AuditLog(home / "audit.sqlite", readonly=True)
    assert log.get(rid).config["milestones"] is True
    assert verify_record(log, rid).identical
    (replayed,) = diagnosis._REPLAY_SERVICE.values()
    assert replayed.readings == {"milestones": True}
    plain_id = str(plain.run(text, 0, 5)[0]["audit_id"])
    assert verify_record(log, plain_id).identical
    (replayed,) = diagnosis._REPLAY_SERVICE.values()
    assert replayed.readings == {}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_diagnose_takes_the_linkers_opt_in_readings_in_one_process_or_several(
    model: Path, kg: Path, tmp_path: Path, workers: str
) -> None:
    records, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"id": f"t{n}", "text": "Arachnodactyly; walked at 3 years."} for n in range(2)]
    records.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    db = tmp_path / "audit.sqlite"
    code, output = _run(
        "diagnose", str(records), "-o", str(out), "--model", str(model), "--kg", str(kg),
        "--home", str(tmp_path / "home"), "--audit-db", str(db), "--milestones",
        "--measurements", "--workers", workers,
    )  # fmt: skip
    assert code == 0, output
    log = AuditLog(db, readonly=True)
    for line in out.read_text(encoding="utf-8").splitlines():
        config = log.get(json.loads(line)["audit_id"]).config
        assert config is not None
        assert (config["milestones"], config["measurements"]) == (True, True)
