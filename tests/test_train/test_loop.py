"""The shared training loop's learning-rate schedule and its fitting to a time budget."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import train.loop as loop
from train.checkpoint import read_checkpoint
from train.config import TrainSection
from train.loop import LinearSchedule, build_optimizer, fit


def test_linear_schedule_rises_then_decays_to_zero() -> None:
    schedule = LinearSchedule(warmup=4, total=20)
    assert [schedule(s) for s in range(4)] == pytest.approx([0.25, 0.475, 0.675, 0.85])
    assert schedule(10) == pytest.approx(0.5)
    assert schedule(20) == 0.0
    assert schedule(25) == 0.0


def test_linear_schedule_fits_its_horizon_within_the_planned_steps() -> None:
    schedule = LinearSchedule(warmup=0, total=100)
    assert not schedule.fit_horizon(100)
    assert schedule.fit_horizon(40)
    assert schedule.horizon == 40
    assert schedule(40) == 0.0
    assert schedule.fit_horizon(60)  # the pace picked up: later again
    assert schedule.horizon == 60
    assert schedule.fit_horizon(150)  # never past the steps planned
    assert schedule.horizon == 100
    assert schedule.fit_horizon(0)
    assert schedule.horizon == 1


@given(
    done=st.integers(0, 10_000),
    step_seconds=st.floats(0.001, 10.0),
    remaining=st.floats(-100.0, 10_000.0),
)
def test_budget_horizon_plans_within_the_time_left(
    done: int, step_seconds: float, remaining: float
) -> None:
    horizon = loop._budget_horizon(done, step_seconds, remaining)
    assert horizon > done
    # the planned steps fit into the time left (one step at least, to make progress)
    assert (horizon - done - 1) * step_seconds <= max(0.0, remaining)


class _Regression(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> SimpleNamespace:
        return SimpleNamespace(loss=torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), y))


def _run(tmp_path, monkeypatch, *, anneal: bool, pace=lambda step: 1.0, **overrides):
    """Train with a fake clock that advances ``pace(step)`` seconds per batch; 1-minute
    budget unless ``overrides`` (settings of :class:`TrainSection`) say otherwise."""
    clock = [0.0]
    monkeypatch.setattr(loop.time, "perf_counter", lambda: clock[0])
    torch.manual_seed(0)
    model = _Regression()
    settings = TrainSection(
        epochs=1,
        batch_size=4,
        max_minutes=1.0,
        anneal_to_budget=anneal,
        checkpoint_every=10,
        warmup_fraction=0.0,
    ).model_copy(update=overrides)
    data_x, data_y = torch.randn(4000, 3), torch.randn(4000)
    optimizer, scheduler, total, per_epoch = build_optimizer(model, settings, len(data_x))

    steps = [0]

    def make_batch(idx, epoch):
        clock[0] += pace(steps[0])
        steps[0] += 1
        return {"x": data_x[idx], "y": data_y[idx]}

    result = fit(
        model,
        optimizer,
        scheduler,
        settings=settings,
        num_examples=len(data_x),
        make_batch=make_batch,
        evaluate=None,
        select="mrr",
        checkpoint=tmp_path / "ckpt.safetensors",
        total_steps=total,
        steps_per_epoch=per_epoch,
        started=0.0,
        resume=False,
        progress=False,
    )
    return result.state, scheduler, optimizer, total, clock[0]


def test_time_budget_decays_the_learning_rate_to_zero(tmp_path, monkeypatch) -> None:
    state, scheduler, optimizer, total, _ = _run(tmp_path, monkeypatch, anneal=True)
    assert total == 1000
    steps = state["global_step"]
    # 60 s at 1 s a step: the schedule is re-planned to end inside the budget
    assert 50 <= steps <= 60
    assert state["schedule_horizon"] == steps
    assert state["stopped_by"] == "time budget"
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)
    schedule = scheduler.lr_lambdas[0]
    assert schedule.horizon == steps
    # the shortened horizon is saved with the checkpoint, so a resume keeps it
    header = read_checkpoint(tmp_path / "ckpt.safetensors")[1]
    assert header["scheduler"]["lr_lambdas"][0]["horizon"] < total


def test_without_annealing_the_budget_stops_a_half_decayed_schedule(
    tmp_path, monkeypatch, caplog
) -> None:
    with caplog.at_level("WARNING", logger="train.loop"):
        state, scheduler, optimizer, total, _ = _run(tmp_path, monkeypatch, anneal=False)
    steps = state["global_step"]
    assert 58 <= steps <= 61
    assert state["stopped_by"] == "time budget"
    assert f"stopped training at step {steps} of {total} planned" in caplog.text
    assert "schedule_horizon" not in state
    assert scheduler.lr_lambdas[0].horizon == total
    assert optimizer.param_groups[0]["lr"] == pytest.approx(3e-4 * (1 - steps / total))


def test_a_run_says_what_ended_it(tmp_path, monkeypatch, caplog) -> None:
    # bounded by steps inside its budget: the schedule decays to 0 by the last step
    with caplog.at_level("WARNING", logger="train.loop"):
        state, _, optimizer, total, _ = _run(tmp_path, monkeypatch, anneal=False, max_steps=20)
    assert (total, state["global_step"], state["stopped_by"]) == (20, 20, "steps")
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)
    assert "time budget" not in caplog.text
    # no budget and no step bound: every epoch runs
    state, *_ = _run(tmp_path, monkeypatch, anneal=False, max_minutes=None)
    assert (state["global_step"], state["stopped_by"]) == (1000, "epochs")


def test_the_fitted_schedule_follows_a_changing_pace(tmp_path, monkeypatch) -> None:
    # slow first steps (2 s), then 1 s: the horizon planned early grows again, so the run
    # still spends its budget and ends with the learning rate at 0
    state, _, optimizer, _, elapsed = _run(
        tmp_path, monkeypatch, anneal=True, pace=lambda step: 2.0 if step < 20 else 1.0
    )
    assert 55.0 <= elapsed <= 61.0
    assert 33 <= state["global_step"] <= 40
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


class _Wider(_Regression):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(5, 1)  # another shape: its weights cannot load


def _fit_once(tmp_path, model, fingerprint: str, *, resume: bool):
    settings = TrainSection(epochs=1, batch_size=4, checkpoint_every=1, warmup_fraction=0.0)
    width = model.linear.in_features
    data_x, data_y = torch.randn(8, width), torch.randn(8)
    optimizer, scheduler, total, per_epoch = build_optimizer(model, settings, len(data_x))
    return fit(
        model,
        optimizer,
        scheduler,
        settings=settings,
        num_examples=len(data_x),
        make_batch=lambda idx, epoch: {"x": data_x[idx], "y": data_y[idx]},
        evaluate=None,
        select="mrr",
        checkpoint=tmp_path / "ckpt.safetensors",
        total_steps=total,
        steps_per_epoch=per_epoch,
        resume=resume,
        progress=False,
        fingerprint=fingerprint,
    )


def test_a_checkpoint_of_another_run_is_refused_before_its_weights_load(tmp_path) -> None:
    _fit_once(tmp_path, _Regression(), "a" * 64, resume=False)
    assert loop.checkpoint_state(tmp_path / "ckpt.safetensors")["fingerprint"] == "a" * 64
    with pytest.raises(loop.CheckpointMismatchError, match="other settings, data or KG"):
        _fit_once(tmp_path, _Wider(), "b" * 64, resume=True)  # not a size-mismatch error


def test_the_run_fingerprint_follows_the_data_and_the_kg(tmp_path) -> None:
    from train.config import run_fingerprint

    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n')
    first = run_fingerprint("settings", "kg1", data, None)
    assert run_fingerprint("settings", "kg1", data, None) == first
    assert run_fingerprint("settings", "kg2", data, None) != first
    data.write_text('{"text": "a", "label": "y"}\n')  # same path, other labels
    assert run_fingerprint("settings", "kg1", data, None) != first


def test_a_save_killed_midway_leaves_no_model_meta(tmp_path, monkeypatch) -> None:
    from fusion.pipeline import MODEL_META

    out = tmp_path / "model"
    out.mkdir()
    (out / MODEL_META).write_text("{}")  # an earlier model's
    model = SimpleNamespace(
        save_pretrained=lambda folder: (Path(folder) / "model.safetensors").write_bytes(b"w"),
        config=SimpleNamespace(uses_facts=False),
    )
    moved = []
    real_replace = loop.os.replace

    def killed_after_one(src, dst):  # the kill, after the first item moved into the folder
        if Path(dst).parent == out:
            if moved:
                raise KeyboardInterrupt
            moved.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(loop.os, "replace", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        loop.save_model_folder(out, model, None, meta={"k": 1}, config_yaml="a: 1\n")
    assert len(moved) == 1 and moved[0].name != MODEL_META  # a new file is in
    assert not (out / MODEL_META).exists()  # loads as no model, not as a mix
    monkeypatch.undo()
    loop.save_model_folder(out, model, None, meta={"k": 1}, config_yaml="a: 1\n")
    assert (out / MODEL_META).is_file()
