"""Training throughput with 1 and N processes (``kgfuse train --nproc``): the scaling figures.

Every run is a fresh ``kgfuse train`` under torchrun (``train.distributed.launch``, also for
one process) on the same config, from scratch; its throughput is what the training loop
measured (patients per second in the training steps, all processes together: start-up,
validation, calibration and export left out). Each process count is run ``repeats`` times,
alternating counts, and summarised by the median, minimum and maximum; the ratio is the
median throughput of N processes over that of the first count given (the baseline, one
process by default). Written as JSON and Markdown with the
machine's cores and load, which decide these figures on a small machine.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench_kg import machine_info
from kg.atomic import output_folder, write_atomic
from train.distributed import launch

logger = logging.getLogger(__name__)

__all__ = ["ScalingRunError", "run_scaling_benchmark", "scaling_markdown"]


class ScalingRunError(RuntimeError):
    """A training run of the scaling benchmark failed (its processes printed why)."""


def run_scaling_benchmark(
    out: Path,
    *,
    module: str,
    config: Path | None = None,
    overrides: Sequence[str] = (),
    processes: Sequence[int] = (1, 2),
    repeats: int = 3,
    home: Path | None = None,
) -> dict[str, Any]:
    """Time ``repeats`` trainings per process count; write ``bench_scaling.json`` and ``.md``.

    Args:
        out: results folder (the trained models go to ``out/runs`` and are removed).
        module: the module whose ``train`` command the processes run (``kgfuse.cli``).
        config, overrides: the training config (``--config`` and ``--set`` values).
        processes: the process counts compared (the first is the baseline of the ratios).
        repeats: runs per process count.
        home: kgfuse home (KG, cached embeddings and fact index).

    Raises:
        ScalingRunError: a training run failed.
    """
    out = output_folder(out)
    base = ["train", "--no-resume", "--quiet"]
    if config is not None:
        base += ["--config", str(Path(config).resolve())]
    if home is not None:
        base += ["--home", str(Path(home).resolve())]
    for item in overrides:
        base += ["--set", item]
    machine_before = machine_info()
    runs: list[dict[str, Any]] = []
    for repeat in range(repeats):
        for n in processes:
            folder = out / "runs" / f"p{n}-r{repeat}"
            if folder.exists():
                shutil.rmtree(folder)
            started = time.perf_counter()
            code = launch(n, module, [*base, "--output", str(folder.resolve())])
            wall = time.perf_counter() - started
            if code:
                raise ScalingRunError(
                    f"training with {n} process(es) failed (torchrun status {code}); its "
                    "error is printed above"
                )
            report = json.loads((folder / "training.json").read_text(encoding="utf-8"))
            runs.append(
                {
                    "processes": n,
                    "repeat": repeat,
                    "patients_per_s": report["throughput"],
                    "steps": report["steps"],
                    "wall_s": round(wall, 2),
                    "best_valid": report["best_valid"],
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                }
            )
            logger.info("%d processes, run %d: %.1f patients/s", n, repeat, report["throughput"])
            shutil.rmtree(folder)
    summary = []
    for n in processes:
        values = [r["patients_per_s"] for r in runs if r["processes"] == n]
        walls = [r["wall_s"] for r in runs if r["processes"] == n]
        summary.append(
            {
                "processes": n,
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
                "wall_median_s": statistics.median(walls),
            }
        )
    for row in summary:
        row["ratio"] = row["median"] / summary[0]["median"]
    result = {
        "config": str(config) if config else None,
        "overrides": list(overrides),
        "repeats": repeats,
        "summary": summary,
        "runs": runs,
        "machine": machine_before,
        "load_average_after": machine_info()["load_average"],
    }
    write_atomic(out / "bench_scaling.json", json.dumps(result, indent=2))
    write_atomic(out / "bench_scaling.md", scaling_markdown(result))
    return result


def scaling_markdown(result: dict[str, Any]) -> str:
    """The summary as a Markdown table with the machine line."""
    m = result["machine"]
    base = result["summary"][0]["processes"] if result["summary"] else 1
    lines = [
        "| processes | patients/s (median) | min | max "
        f"| ratio to {base} process{'' if base == 1 else 'es'} | wall per run (s) |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["summary"]:
        lines.append(
            f"| {row['processes']} | {row['median']:.1f} | {row['min']:.1f} | {row['max']:.1f} "
            f"| {row['ratio']:.2f} | {row['wall_median_s']:.1f} |"
        )
    lines += [
        "",
        f"{result['repeats']} runs per process count; settings: "
        + (", ".join(result["overrides"]) or "defaults"),
        f"Machine: {m['cpu']}, {m['cores_usable']} usable cores; load average "
        f"{m['load_average']} before, {result['load_average_after']} after.",
    ]
    return "\n".join(lines) + "\n"
