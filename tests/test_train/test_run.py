"""What every training run shares (``train.run``): its start, its measures and its result."""

from __future__ import annotations

import time
from dataclasses import fields
from pathlib import Path

import pytest
import torch

from train.config import TrainSection
from train.diagnosis import DiagnosisTrainResult
from train.run import TrainRunResult, run_measures, start_run, trained_on
from train.task_training import TaskTrainResult


def test_start_run_seeds_torch_and_sets_its_threads() -> None:
    threads = torch.get_num_threads()
    try:
        start_run(TrainSection(seed=11, num_threads=1))
        first = torch.rand(4)
        assert torch.get_num_threads() == 1
        started = start_run(TrainSection(seed=11))
        assert torch.equal(torch.rand(4), first)
        assert 0 <= time.perf_counter() - started < 5
        start_run(TrainSection(seed=12))
        assert not torch.equal(torch.rand(4), first)
    finally:
        torch.set_num_threads(threads)


def test_run_measures_read_the_loops_state() -> None:
    state = {
        "epoch": 3,
        "global_step": 42,
        "best": {"mrr": 0.5},
        "history": [{"epoch": 1.0}],
        "train_examples": 600,
        "train_seconds": 4.0,
        "stopped_by": "time budget",
    }
    measures = run_measures(state, time.perf_counter() - 2.0, 2, ("cpu", "bf16"))
    assert measures["epochs"] == 3 and measures["steps"] == 42
    assert measures["best_valid"] == {"mrr": 0.5} and measures["history"] == [{"epoch": 1.0}]
    assert measures["throughput"] == pytest.approx(150.0)
    assert measures["stopped_by"] == "time budget" and measures["processes"] == 2
    assert (measures["device"], measures["precision"]) == ("cpu", "bf16")
    assert 2.0 <= measures["seconds"] < 10 and measures["peak_rss_mb"] > 0
    # every field of a result but its output folder
    assert set(measures) == {f.name for f in fields(TrainRunResult)} - {"output"}


def test_a_run_that_trained_no_step_reports_no_throughput_and_ended_by_its_epochs() -> None:
    state = {"epoch": 0, "global_step": 0, "best": {}, "history": []}
    measures = run_measures(state, time.perf_counter(), 1, ("cpu", "fp32"))
    assert measures["throughput"] == 0.0 and measures["stopped_by"] == "epochs"


def test_trained_on_names_the_models_device_and_precision() -> None:
    model = torch.nn.Linear(2, 2)
    assert trained_on(model, bf16=False) == ("cpu", "fp32")
    assert trained_on(model, bf16=True) == ("cpu", "bf16")


def test_both_tasks_results_hold_the_shared_fields_and_their_own(tmp_path: Path) -> None:
    measures = run_measures(
        {"epoch": 1, "global_step": 2, "best": {}, "history": []},
        time.perf_counter(),
        1,
        ("cpu", "fp32"),
    )
    diagnosis = DiagnosisTrainResult(output=tmp_path, temperature=1.5, **measures)
    task = TaskTrainResult(
        output=tmp_path,
        task="text-classification",
        labels=["a", "b"],
        examples=3,
        valid_examples=1,
        linked_fraction=0.5,
        **measures,
    )
    for result in (diagnosis, task):
        assert isinstance(result, TrainRunResult)
        assert (result.output, result.steps, result.device) == (tmp_path, 2, "cpu")
    assert diagnosis.temperature == 1.5 and diagnosis.dev == {}
    assert task.labels == ["a", "b"] and task.linked_fraction == 0.5
    with pytest.raises(TypeError):  # a task's own fields are required
        TaskTrainResult(output=tmp_path, **measures)  # type: ignore[call-arg]
