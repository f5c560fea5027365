"""Review fixes of ``kgfuse bench scaling``: the KG and the config checked before torchrun
starts, a failed run one clear error, the ratio column named after its baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import train.bench_distributed as bench
from kg.store import build_kg
from kgfuse.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the mini HPO KG."""
    home = tmp_path_factory.mktemp("scaling-home")
    build_kg(["hpo"], home / "kgs" / "hpo", hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return home


def _fake_launch(speeds: list[float], launched: list[int]):
    def launch(n, module, args):
        launched.append(n)
        out = Path(args[args.index("--output") + 1])
        out.mkdir(parents=True)
        report = {"throughput": speeds.pop(0), "steps": 5, "best_valid": {"mrr": 0.5}}
        (out / "training.json").write_text(json.dumps(report))
        return 0

    return launch


def test_the_ratio_column_names_the_first_count_it_divides_by(tmp_path, monkeypatch) -> None:
    launched: list[int] = []
    monkeypatch.setattr(bench, "launch", _fake_launch([20.0, 30.0], launched))
    result = bench.run_scaling_benchmark(tmp_path, module="kgfuse.cli", processes=[2, 4], repeats=1)
    assert launched == [2, 4]
    table = (tmp_path / "bench_scaling.md").read_text(encoding="utf-8")
    assert "| ratio to 2 processes |" in table and "ratio to 1" not in table
    assert "| 4 | 30.0 | 30.0 | 30.0 | 1.50 |" in table
    assert "ratio to 1 process |" in bench.scaling_markdown({**result, "summary": []})


def _no_launch(n, module, args):
    raise AssertionError("torchrun was started")


def test_scaling_without_a_kg_is_one_error_before_torchrun(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(bench, "launch", _no_launch)
    args = ["bench", "scaling", "--home", str(tmp_path / "empty"), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--repeats", "1", "--nproc", "1"])
    assert result.exit_code == 2, result.output
    assert "no knowledge graph" in result.output and "Traceback" not in result.output


def test_scaling_with_a_bad_setting_is_one_error_before_torchrun(
    home, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(bench, "launch", _no_launch)
    args = ["bench", "scaling", "--home", str(home), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--set", "train.no_such_key=1", "--nproc", "1"])
    assert result.exit_code == 2, result.output
    assert "no_such_key" in result.output


def test_a_failed_training_run_is_one_clear_error(home, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(bench, "launch", lambda n, module, args: 1)
    args = ["bench", "scaling", "--home", str(home), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--repeats", "1", "--nproc", "1"])
    assert result.exit_code == 2, result.output
    assert "training with 1 process(es) failed (torchrun status 1)" in result.output
    assert "Traceback" not in result.output
