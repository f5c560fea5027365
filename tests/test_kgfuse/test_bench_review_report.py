"""Review fixes of ``kgfuse bench all`` (kgfuse.bench_report) and of the bench commands'
errors: kept sections from other inputs marked, a failure after measuring keeps the figures,
the pyhpo ratio per patient, ``--hpo-dir``, headlines that say what they count, output
folders checked before anything runs."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import kgfuse.bench_report as report_mod
from kgfuse.bench_report import (
    PROFILES,
    BarChart,
    ReportInputs,
    Section,
    SectionResult,
    run_report,
)
from kgfuse.cli import app

QUICK = replace(PROFILES["quick"], name="tiny")


def _reads_cases(inputs: ReportInputs, profile, work: Path) -> SectionResult:
    text = Path(str(inputs.cases)).read_text(encoding="utf-8").strip()
    return SectionResult([("cases say", text)], f"cases say {text}\n", {"cases": text})


def test_a_kept_section_whose_inputs_changed_is_marked(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("OLD\n", encoding="utf-8")
    inputs = ReportInputs(kg_path=tmp_path / "kg", home=tmp_path, work=tmp_path / "w", cases=cases)
    sections = {
        "a": Section("a", "Section A", _reads_cases, ("cases",)),
        "b": Section("b", "Section B", _reads_cases, ("cases",)),
    }
    out = tmp_path / "out"
    first = run_report(out, inputs, profile=QUICK, sections=sections)
    assert all("changed_since" not in s for s in first["sections"].values())
    cases.write_text("NEW\n", encoding="utf-8")
    report = run_report(out, inputs, profile=QUICK, sections=sections, only=["a"])
    assert "changed_since" not in report["sections"]["a"]  # run now, on the new file
    assert report["sections"]["b"]["changed_since"] == ["cases"]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    summary_b = next(line for line in markdown.splitlines() if line.startswith("| [Section B]"))
    assert "kept from an earlier run; changed since: cases" in summary_b
    section_b = markdown.split("## Section B", 1)[1]
    assert "**Not from these inputs: kept from an earlier run; changed since: cases**" in (
        section_b
    )
    saved = json.loads((out / "sections" / "b.json").read_text(encoding="utf-8"))
    assert "changed_since" not in saved  # the mark is the report's, not the record's
    # a run not given the file cannot say whether it changed, and says so
    unknown = replace(inputs, cases=None)
    report = run_report(out, unknown, profile=QUICK, sections=sections, only=["a"])
    assert report["sections"]["b"]["changed_since"] == ["cases (not given to this run)"]


def _measured_then_chart_fails(inputs: ReportInputs, profile, work: Path) -> SectionResult:
    chart = BarChart("nothing to draw", "ms", ["q"], {"p50": [None]}, log=True)
    return SectionResult([("x", "1")], "| measured | 1 |\n", {"x": 1}, [chart])


def _fine(inputs: ReportInputs, profile, work: Path) -> SectionResult:
    return SectionResult([("y", "2")], "fine\n", {"y": 2})


def test_a_failure_after_measuring_is_recorded_with_the_figures_and_the_rest_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_drawing(charts, path):
        raise ValueError("Data cannot be log-scaled")

    monkeypatch.setattr(report_mod, "draw_charts", broken_drawing)
    inputs = ReportInputs(kg_path=tmp_path / "kg", home=tmp_path, work=tmp_path / "w")
    sections = {
        "a": Section("a", "Section A", _measured_then_chart_fails),
        "b": Section("b", "Section B", _fine),
    }
    report = run_report(tmp_path / "out", inputs, profile=QUICK, sections=sections)
    a, b = report["sections"]["a"], report["sections"]["b"]
    assert a["status"] == "failed" and "after measuring: ValueError" in a["error"]
    assert a["data"] == {"x": 1} and a["summary"] == [["x", "1"]]
    assert b["status"] == "ok"
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "Measured before it failed:" in markdown and "| measured | 1 |" in markdown


def test_kgfuse_and_pyhpo_are_timed_alternately_on_each_patient() -> None:
    calls: list[tuple[str, str]] = []

    def pyhpo(patient: str) -> None:
        calls.append(("pyhpo", patient))
        time.sleep(0.02)

    first, second = report_mod._alternated_ms(
        ["p1", "p2"], lambda p: calls.append(("kgfuse", p)), pyhpo
    )
    assert calls == [
        ("kgfuse", "p1"),
        ("pyhpo", "p1"),
        ("kgfuse", "p1"),
        ("kgfuse", "p2"),
        ("pyhpo", "p2"),
        ("kgfuse", "p2"),
    ]
    assert all(s >= 20 for s in second) and all(f < 20 for f in first)  # ms, per patient


def test_bench_all_passes_hpo_dir_to_the_kg_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[ReportInputs] = []

    def fake_report(out, inputs, **kwargs) -> dict[str, Any]:
        seen.append(inputs)
        return {"sections": {}, "run": {"wall_seconds": 0.0}}

    monkeypatch.setattr(report_mod, "run_report", fake_report)
    hpo = tmp_path / "hpo"
    hpo.mkdir()
    args = ["bench", "all", "--home", str(tmp_path), "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, [*args, "--hpo-dir", str(hpo), "--only", "kg"])
    assert result.exit_code == 0, result.output
    assert seen[0].hpo_dir == hpo


def test_the_kg_section_says_which_hpo_it_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eval.bench_kg as bench_kg

    built: list[Path | None] = []

    class Result:
        helpers: list = []

        def to_dict(self) -> dict[str, Any]:
            return {}

    def fake_run(work, **kwargs):
        built.append(kwargs["hpo_dir"])
        return Result()

    monkeypatch.setattr(bench_kg, "run_kg_benchmark", fake_run)
    monkeypatch.setattr(bench_kg, "summary_rows", lambda result: [("build (s)", "1.0")])
    monkeypatch.setattr(bench_kg, "to_markdown", lambda result: "# KG benchmark (HPO)\n")
    hpo = tmp_path / "hpo"
    inputs = ReportInputs(kg_path=tmp_path / "kg", home=tmp_path, work=tmp_path, hpo_dir=hpo)
    section = report_mod._kg_section(inputs, QUICK, tmp_path)
    assert built == [hpo]
    assert dict(section.summary)["HPO built"] == f"the HPO files in {hpo} (--hpo-dir)"
    assert f"the HPO files in {hpo} (--hpo-dir)" in section.markdown
    assert "not the KG the other sections read" in section.markdown
    shipped = report_mod._kg_section(replace(inputs, hpo_dir=None), QUICK, tmp_path)
    assert dict(shipped.summary)["HPO built"].startswith("the HPO files shipped in pyhpo ")


def test_the_serve_headline_is_answered_answers_per_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kgfuse.serve_bench as serve_bench

    model = tmp_path / "model"
    model.mkdir()
    (model / "kgfuse_model.json").write_text("{}", encoding="utf-8")
    canned = {
        "config": {"clients": 8, "seconds": 20.0, "workers": 4},
        "machine": {"cpus": 2, "load_average": [0.0]},
        "server_startup_s": 3.0,
        "requests": 200,
        "answered": 150,
        "unanswered": 30,
        "errors": 20,
        "answered_per_s": 7.5,
        "requests_per_s": 10.0,
        "per_kind": {"lookup": {"requests": 200, "answered": 150, "unanswered": 30, "errors": 20}},
        "latency_ms": {"lookup": {"n": 150, "p50": 9, "p90": 12, "p99": 20, "min": 1, "max": 30}},
        "warmup": {"requests": 16},
    }
    monkeypatch.setattr(serve_bench, "run_serve_bench", lambda *args, **kwargs: canned)
    inputs = ReportInputs(kg_path=tmp_path / "kg", home=tmp_path, work=tmp_path, model_dir=model)
    section = report_mod._serve_section(inputs, QUICK, tmp_path)
    assert section.summary[:4] == [
        ("answered/s", "7.5"),
        ("requests/s attempted", "10.0"),
        ("cannot answer", "30"),
        ("errors", "20"),
    ]


def test_the_retrieval_summary_flags_an_operating_point_below_the_recall_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = [
        {"dataset": "synthetic-1000000", "kind": "hnsw", "shards": 1, "p50_ms": 0.7,
         "recall": 0.678, "index_bytes": 5e8, "operating_point": True,
         "recall_target_missed": True},
        {"dataset": "synthetic-1000000", "kind": "ivfpq", "shards": 1, "p50_ms": 0.3,
         "recall": 0.97, "index_bytes": 2e8, "operating_point": True,
         "recall_target_missed": False},
    ]  # fmt: skip

    def fake_child(command, **kwargs):
        (tmp_path / "bench_retrieval.json").write_text(json.dumps({"runs": runs}), "utf-8")
        (tmp_path / "bench_retrieval.md").write_text("# Fact retrieval benchmark\n", "utf-8")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(report_mod.subprocess, "run", fake_child)
    inputs = ReportInputs(kg_path=tmp_path / "kg", home=tmp_path, work=tmp_path)
    summary = dict(report_mod._retrieval_section(inputs, QUICK, tmp_path).summary)
    assert "(best recall, target not met)" in summary["synthetic-1000000 hnsw"]
    assert "target not met" not in summary["synthetic-1000000 ivfpq"]


def test_an_output_that_is_a_file_is_one_clear_error_before_anything_runs(
    tmp_path: Path,
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("a file", encoding="utf-8")
    runner = CliRunner()
    home = ["--home", str(tmp_path / "home")]
    for args in (
        ["bench", "kg", "-o", str(afile), *home],
        ["bench", "all", "-o", str(afile), "--only", "kg", *home],
        ["bench", "scaling", "-o", str(afile / "inside"), *home],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "is a file" in result.output and "Traceback" not in result.output, args
    assert not (tmp_path / "home" / "tmp").exists()  # nothing was built


def test_a_file_where_a_folder_is_wanted_is_a_user_error() -> None:
    from kgfuse.commands.common import handle_errors

    @handle_errors
    def command(error: OSError) -> None:
        raise error

    with pytest.raises(typer.Exit) as exit_:
        command(NotADirectoryError(20, "Not a directory", "/some/afile/sections"))
    assert exit_.value.exit_code == 2
    with pytest.raises(typer.Exit):
        command(FileExistsError(17, "File exists", "/some/afile"))
    with pytest.raises(FileExistsError):  # about no path the user gave: a bug, shown whole
        command(FileExistsError(17, "File exists"))
