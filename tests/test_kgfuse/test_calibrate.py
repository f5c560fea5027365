"""``kgfuse calibrate``: the temperature refitted on labelled cases, written, reset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from kgfuse.cli import app
from kgfuse.diagnosis import DiagnosisService
from tests.mini_hpo_env import mini_case_rows


def _fingerprint(home: Path, model: Path) -> str:
    return DiagnosisService(model, home=home, audit=False).model_fingerprint


def _cases(home: Path, path: Path, per_disease: int = 10) -> int:
    """Cases of the mini KG's diseases: one or two of each disease's own phenotype terms."""
    rows = mini_case_rows(home, per_disease)
    # a free-text case too, linked as `kgfuse diagnose` links it
    text = "Tall with arachnodactyly and ectopia lentis."
    rows.append({"id": "text", "text": text, "disease_id": "OMIM:154700"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def _diagnose(home: Path, model: Path, cases: Path, out: Path) -> list[dict]:
    args = ["diagnose", str(cases), "-o", str(out), "--model", str(model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_calibrate_writes_the_temperature_keeps_rankings_and_resets(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(mini_model, model)  # the session's model stays as trained
    cases = tmp_path / "cases.jsonl"
    n = _cases(mini_home, cases)
    assert n >= 20
    before = _diagnose(mini_home, model, cases, tmp_path / "before.jsonl")
    config_before = json.loads((model / "config.json").read_text(encoding="utf-8"))
    fingerprint = _fingerprint(mini_home, model)

    args = ["calibrate", "--cases", str(cases), "--model", str(model), "--home", str(mini_home)]
    dry = CliRunner().invoke(app, [*args, "--dry-run", "-q"])
    assert dry.exit_code == 0, dry.output
    assert "not written" in dry.output
    assert json.loads((model / "config.json").read_text(encoding="utf-8")) == config_before

    result = CliRunner().invoke(app, [*args, "-q"])
    assert result.exit_code == 0, result.output
    assert "calibration error (ECE)" in result.output
    meta = json.loads((model / "kgfuse_model.json").read_text(encoding="utf-8"))
    record = meta["recalibration"]
    temperature = json.loads((model / "config.json").read_text(encoding="utf-8"))[
        "calibration_temperature"
    ]
    assert record["temperature"] == pytest.approx(temperature)
    assert record["simulated_temperature"] == pytest.approx(
        config_before["calibration_temperature"]
    )
    assert record["cases"] == n and record["cases_file"] == "cases.jsonl"  # text one too
    assert len(record["cases_sha256"]) == 64
    assert 0.0 <= record["ece"] <= 1.0 and 0.0 <= record["ece_before"] <= 1.0

    after = _diagnose(mini_home, model, cases, tmp_path / "after.jsonl")
    for b, a in zip(before, after, strict=True):  # same order, rescaled probabilities
        assert [r["curie"] for r in a["ranking"]] == [r["curie"] for r in b["ranking"]]
    # the tiny model's simulated temperature does not fit these cases: it moves
    assert abs(temperature - config_before["calibration_temperature"]) > 0.1
    first_b = np.array([b["ranking"][0]["probability"] for b in before])
    first_a = np.array([a["ranking"][0]["probability"] for a in after])
    assert not np.allclose(first_a, first_b)
    # the fit is of the probability diagnose reports first (falling with the rank)
    assert record["mean_confidence"] == pytest.approx(first_a.mean(), rel=1e-4)
    assert record["mean_confidence_before"] == pytest.approx(first_b.mean(), rel=1e-4)
    # the fit's own objective, the cross-entropy of the first disease's probability against
    # whether it is right, falls on these very cases (the ECE, a binned summary, need not)
    rows = [json.loads(line) for line in cases.read_text(encoding="utf-8").splitlines()]
    truth = [set(r.get("diseases") or [r.get("disease_id")]) for r in rows]
    right = np.array([b["ranking"][0]["curie"] in t for b, t in zip(before, truth, strict=True)])

    def cross_entropy(p: np.ndarray) -> float:
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return float(-np.mean(np.where(right, np.log(p), np.log(1 - p))))

    assert cross_entropy(first_a) < cross_entropy(first_b)

    # audited decisions of the model before no longer replay: its fingerprint says so
    calibrated = _fingerprint(mini_home, model)
    assert calibrated.startswith(f"{fingerprint}+calibration:")
    # the same fit on the same cases again: the same temperature and fingerprint, and the
    # simulated temperature is still the one training fitted
    again = CliRunner().invoke(app, [*args, "-q"])
    assert again.exit_code == 0, again.output
    assert _fingerprint(mini_home, model) == calibrated
    record = json.loads((model / "kgfuse_model.json").read_text(encoding="utf-8"))["recalibration"]
    assert record["temperature"] == pytest.approx(temperature)
    assert record["simulated_temperature"] == pytest.approx(
        config_before["calibration_temperature"]
    )

    reset = CliRunner().invoke(
        app, ["calibrate", "--reset", "--model", str(model), "--home", str(mini_home)]
    )
    assert reset.exit_code == 0, reset.output
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    assert config["calibration_temperature"] == pytest.approx(
        config_before["calibration_temperature"]
    )
    assert "recalibration" not in json.loads(
        (model / "kgfuse_model.json").read_text(encoding="utf-8")
    )
    assert _fingerprint(mini_home, model) == fingerprint


def test_calibrate_refuses_too_few_cases_and_bad_arguments(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    cases = tmp_path / "few.jsonl"
    rows = [{"id": "c1", "present_hpo": ["HP:0001166"], "diseases": ["OMIM:154700"]}]
    cases.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    base = ["calibrate", "--model", str(mini_model), "--home", str(mini_home)]
    few = CliRunner().invoke(app, [*base, "--cases", str(cases), "--dry-run", "-q"])
    assert few.exit_code != 0 and "at least 20" in few.output
    missing = CliRunner().invoke(app, [*base, "--cases", str(tmp_path / "none.jsonl")])
    assert missing.exit_code != 0 and "not found" in missing.output
    neither = CliRunner().invoke(app, base)  # neither --cases nor --reset
    assert neither.exit_code == 2 and "give --cases FILE or FOLDER (or --reset)" in neither.output
    assert isinstance(neither.exception, SystemExit)  # a refusal, not a crash
    both = CliRunner().invoke(app, [*base, "--reset", "--cases", str(cases)])
    assert both.exit_code != 0 and "--reset" in both.output
