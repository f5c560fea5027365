"""The scaling benchmark's bookkeeping (runs faked: the real runs are in test_distributed)."""

from __future__ import annotations

import json
from pathlib import Path

import train.bench_distributed as bench


def test_scaling_benchmark_summarises_runs_per_process_count(tmp_path: Path, monkeypatch) -> None:
    speeds = iter([10.0, 18.0, 12.0, 20.0, 11.0, 30.0])  # alternating 1, 2 processes
    launched = []

    def fake_launch(n, module, args):
        launched.append((n, module, args))
        out = Path(args[args.index("--output") + 1])
        out.mkdir(parents=True)
        report = {"throughput": next(speeds), "steps": 5, "best_valid": {"mrr": 0.5}}
        (out / "training.json").write_text(json.dumps(report))
        return 0

    monkeypatch.setattr(bench, "launch", fake_launch)
    result = bench.run_scaling_benchmark(
        tmp_path, module="kgfuse.cli", overrides=["train.epochs=1"], repeats=3
    )
    assert [n for n, _, _ in launched] == [1, 2, 1, 2, 1, 2]
    assert launched[0][2][:3] == ["train", "--no-resume", "--quiet"]
    one, two = result["summary"]
    assert (one["median"], one["min"], one["max"]) == (11.0, 10.0, 12.0)
    assert (two["median"], two["ratio"]) == (20.0, 20.0 / 11.0)
    assert not (tmp_path / "runs" / "p1-r0").exists()  # models removed after reading
    table = (tmp_path / "bench_scaling.md").read_text()
    assert "| 2 | 20.0 | 18.0 | 30.0 | 1.82 |" in table
    assert json.loads((tmp_path / "bench_scaling.json").read_text())["repeats"] == 3
