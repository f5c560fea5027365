"""``kgfuse eval diagnosis`` with a model: ranks and the calibration of its probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from eval.diagnosis import Calibration, expected_calibration_error
from kgfuse.cli import app


def test_expected_calibration_error_by_hand() -> None:
    # two bins: 0.9 (2 cases, 1 right) and 0.3 (2 cases, 1 right)
    confidence = np.array([0.9, 0.9, 0.3, 0.3])
    correct = np.array([1, 0, 1, 0])
    assert expected_calibration_error(confidence, correct) == pytest.approx(
        0.5 * abs(0.9 - 0.5) + 0.5 * abs(0.3 - 0.5)
    )
    assert expected_calibration_error(np.array([0.7, 0.7]), np.array([1, 0]), bins=1) == (
        pytest.approx(0.2)
    )
    calibration = Calibration.of(confidence, correct, np.array([0.9, 0.1, 0.3, 0.2]))
    assert calibration.cases == 4 and calibration.top1_accuracy == 0.5
    assert calibration.mean_top1_probability == pytest.approx(0.6)
    assert calibration.mean_truth_probability == pytest.approx(0.375)


def test_eval_diagnosis_reports_the_models_calibration(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    rows = [
        {"id": "c1", "present_hpo": ["HP:0001166", "HP:0001083"], "diseases": ["OMIM:154700"]},
        {"id": "c2", "present_hpo": ["HP:0000098"], "diseases": ["OMIM:154700"]},
        {"id": "c3", "present_hpo": ["HP:0001249"], "diseases": ["ORPHA:394"]},
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "report"
    args = ["eval", "diagnosis", "--cases", str(cases), "--model", str(mini_model)]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    [(name, calibration)] = report["calibration"].items()  # the model, not the baselines
    assert name.startswith("kgfuse ") and calibration["cases"] == 3
    ranks = [case["ranks"][name]["present"] for case in report["cases"]]
    assert calibration["top1_accuracy"] == pytest.approx(np.mean([r == 1 for r in ranks]))
    assert 0.0 < calibration["mean_top1_probability"] <= 1.0
    assert 0.0 <= calibration["ece"] <= 1.0
    assert 0.0 < calibration["mean_truth_probability"] <= 1.0
    assert "Calibration of the probabilities" in (out / "diagnosis.md").read_text(encoding="utf-8")
