"""``kgfuse bench all``'s precision section: ``bench model`` in the report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import train.bench_model as bench
from kgfuse.bench_report import PROFILES, SECTIONS, ReportInputs, run_report
from tests.test_train.test_bench_model import TINY


def test_the_precision_section_reports_each_precision_on_the_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "ModelShape", lambda: TINY)
    monkeypatch.setattr(bench, "training_device", lambda name="auto": bench.torch.device("cpu"))
    assert SECTIONS["precision"].reads == ()  # synthetic: needs no KG, model or file
    profile = replace(PROFILES["quick"], name="tiny", precision_rounds=2, precision_steps=2)
    inputs = ReportInputs(kg_path=tmp_path / "no-kg", home=tmp_path, work=tmp_path / "w")
    out = tmp_path / "out"
    report = run_report(out, inputs, profile=profile, sections=SECTIONS, only=["precision"])
    record = report["sections"]["precision"]
    assert record["status"] == "ok", record.get("error")
    data = record["data"]
    assert data["rounds"] == 2 and data["steps"] == 2 and data["forwards"] == 2
    assert [r["precision"] for r in data["runs"]] == ["fp32", "bf16"] * 2
    measures = [m for m, _ in record["summary"]]
    assert measures == ["fp32 on cpu", "bf16 on cpu"]
    assert record["summary"][0][1].startswith("training ") and "(x1.00)" in record["summary"][0][1]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| precision | training patients/s | forward of 1 (ms)" in markdown
    assert (out / "plots" / "precision.png").is_file()
    saved = json.loads((out / "sections" / "precision.json").read_text(encoding="utf-8"))
    assert saved["status"] == "ok"
