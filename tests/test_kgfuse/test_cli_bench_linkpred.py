"""Tests of ``kgfuse bench linkpred`` through typer's CliRunner on the mini HPO KG."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.store import build_kg
from kgfuse.cli import app

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def hpo_kg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("kgs") / "hpo"
    fixtures = Path(__file__).parents[1] / "fixtures"
    build_kg(["hpo"], dest, hpo_dir=fixtures / "hpo_mini", progress=False)
    return dest


def test_cli_bench_linkpred_on_mini_hpo_writes_json_and_markdown(
    hpo_kg: Path, tmp_path: Path
) -> None:
    args = ["bench", "linkpred", "--kg", str(hpo_kg), "--home", str(tmp_path / "home")]
    args += ["--models", "compgcn,rgcn,distmult", "--epochs", "2", "--dim", "8", "--quiet"]
    args += ["--valid-frac", "0.2", "--test-frac", "0.2", "--relation", "RO:0002200"]
    args += ["--batch-size", "16", "--negatives", "4"]
    result = CliRunner().invoke(app, args, env=ENV)

    assert result.exit_code == 0, result.output
    out = tmp_path / "home" / "bench" / "linkpred"  # the default: under the kgfuse home
    report = json.loads((out / "bench_linkpred.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in report["runs"]] == ["compgcn", "rgcn", "distmult"]
    for run in report["runs"]:
        assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in run["test"].values())
        assert "has phenotype" in run["test_by_group"]
    markdown = (out / "bench_linkpred.md").read_text(encoding="utf-8")
    assert all(f"| {name} |" in markdown for name in ("compgcn", "rgcn", "distmult"))
    assert "compgcn (gnn)" in result.output and "bench_linkpred.md" in result.output
    passed = sum(report["checks"].values())
    summary = " ".join(result.output.split())  # rich may wrap the line
    assert f"passed {passed} of {len(report['checks'])} checks; results in " in summary
    config = report["config"]
    assert (config["gnn_batch_size"], config["baseline_batch_size"]) == (16, 16)
    assert (config["gnn_num_negatives"], config["baseline_num_negatives"]) == (4, 4)


def test_cli_bench_linkpred_unknown_model_lists_the_choices(hpo_kg: Path, tmp_path: Path) -> None:
    args = ["bench", "linkpred", "--kg", str(hpo_kg), "--out", str(tmp_path), "--models", "complex"]
    result = CliRunner().invoke(app, args, env=ENV)

    assert result.exit_code == 2
    assert "choices: rgcn, compgcn, transe, distmult, rotate" in " ".join(result.output.split())
    assert not (tmp_path / "bench_linkpred.json").exists()
