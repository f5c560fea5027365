"""What a resumed run keeps besides the weights: the random states of CUDA and of every DDP
rank, the time budget spent, the interrupted epoch's loss and throughput, TensorBoard steps
logged once, and no temporary file of a save that a kill interrupted."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import save_file

import train.loop as loop
from train.checkpoint import read_checkpoint, restore_checkpoint, write_checkpoint
from train.config import TrainSection
from train.loop import build_optimizer, fit


class _Killed(RuntimeError):
    """Stands for the process being killed."""


class _Noisy(torch.nn.Module):
    """A regression with dropout on its input, so that the random state matters."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> SimpleNamespace:
        out = self.linear(torch.nn.functional.dropout(x, 0.3, self.training)).squeeze(-1)
        return SimpleNamespace(loss=torch.nn.functional.mse_loss(out, y))


_DATA = torch.randn(20, 3, generator=torch.Generator().manual_seed(0))
_TARGET = torch.randn(20, generator=torch.Generator().manual_seed(1))


def _session(
    folder: Path,
    *,
    kill_at_step: int | None = None,
    resume: bool = True,
    log_dir: Path | None = None,
    clock: list[float] | None = None,
    **settings: object,
) -> dict:
    """One run of 2 epochs of 5 steps, checkpointed every 3 steps; killed when step
    ``kill_at_step`` of this session starts. With ``clock``, the loop's clock is that
    fake one, advanced 1 s per step."""
    folder.mkdir(exist_ok=True)
    torch.manual_seed(0)
    model = _Noisy()
    train = TrainSection(
        epochs=2, batch_size=4, checkpoint_every=3, warmup_fraction=0.0, patience=5
    ).model_copy(update=settings)
    optimizer, scheduler, total, per_epoch = build_optimizer(model, train, len(_DATA))
    steps = [0]

    def make_batch(idx: list[int], epoch: int) -> dict[str, torch.Tensor]:
        steps[0] += 1
        if clock is not None:
            clock[0] += 1.0
        if steps[0] == kill_at_step:
            raise _Killed
        return {"x": _DATA[idx], "y": _TARGET[idx]}

    def evaluate() -> tuple[dict[str, float], None]:
        return {"score": -float(model.linear.weight.detach().abs().sum())}, None

    result = fit(
        model,
        optimizer,
        scheduler,
        settings=train,
        num_examples=len(_DATA),
        make_batch=make_batch,
        evaluate=evaluate,
        select="score",
        checkpoint=folder / "checkpoint.safetensors",
        total_steps=total,
        steps_per_epoch=per_epoch,
        started=clock[0] if clock is not None else None,
        resume=resume,
        progress=False,
        log_dir=log_dir,
    )
    return {**result.state, "weight": model.linear.weight.detach().clone()}


def _killed_then_resumed(folder: Path, kill_at_step: int, **kwargs: object) -> dict:
    with pytest.raises(_Killed):
        _session(folder, kill_at_step=kill_at_step, **kwargs)
    return _session(folder, **kwargs)


def test_the_interrupted_epochs_loss_and_throughput_survive_a_resume(tmp_path: Path) -> None:
    whole = _session(tmp_path / "a")
    # killed as step 5 starts: step 4 ran after the checkpoint of step 3, and runs again
    resumed = _killed_then_resumed(tmp_path / "b", kill_at_step=5)
    assert torch.equal(resumed["weight"], whole["weight"])
    assert [r["loss"] for r in resumed["history"]] == [r["loss"] for r in whole["history"]]
    assert resumed["train_examples"] == whole["train_examples"] == 40


def test_a_checkpoint_without_the_running_sums_or_budget_still_resumes(tmp_path: Path) -> None:
    with pytest.raises(_Killed):
        _session(tmp_path, kill_at_step=5)
    path = tmp_path / "checkpoint.safetensors"
    tensors, header = read_checkpoint(path)  # as written before these were kept
    for key in ("epoch_loss_sum", "epoch_loss_steps", "elapsed_seconds", "train_examples"):
        header["state"].pop(key)
    save_file(tensors, str(path), metadata={"kgfuse": json.dumps(header)})
    resumed = _session(tmp_path)
    assert torch.equal(resumed["weight"], _session(tmp_path / "a")["weight"])
    assert resumed["global_step"] == 10 and len(resumed["history"]) == 2


def test_the_time_budget_counts_the_minutes_before_a_resume(tmp_path: Path, monkeypatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(loop.time, "perf_counter", lambda: clock[0])
    budget = {"epochs": 100, "max_minutes": 0.5}  # 30 s at 1 s a step; 500 steps planned
    # killed at 20 s (the checkpoint of step 18 counts 18 s); 12 s are left after it
    resumed = _killed_then_resumed(tmp_path, kill_at_step=20, clock=clock, **budget)
    assert resumed["stopped_by"] == "time budget"
    assert 29 <= resumed["global_step"] <= 31
    assert resumed["elapsed_seconds"] == pytest.approx(30.0, abs=1.5)


def test_the_summary_says_the_time_of_the_sessions_before_a_resume(
    tmp_path: Path, monkeypatch
) -> None:
    from train.run import TrainRunResult, run_measures, run_time

    clock = [0.0]
    monkeypatch.setattr(loop.time, "perf_counter", lambda: clock[0])
    whole = _session(tmp_path / "a", clock=clock)
    assert whole["seconds_before_resume"] == 0.0
    # killed at step 8 (the checkpoint of step 6 counts 6 s); the resumed session runs 4 steps
    resumed = _killed_then_resumed(tmp_path / "b", kill_at_step=8, clock=clock)
    assert resumed["seconds_before_resume"] == pytest.approx(6.0)
    monkeypatch.setattr("train.run.time.perf_counter", lambda: 64.0)
    measures = run_measures(resumed, 60.0, 1, ("cpu", "fp32"))
    result = TrainRunResult(output=tmp_path, **measures)
    assert (result.seconds, result.seconds_before) == (4.0, pytest.approx(6.0))
    assert run_time(result, "s") == "4.0 s (10.0 s in all, with the sessions before the resume)"
    fresh = TrainRunResult(output=tmp_path, **run_measures(whole, 54.0, 1, ("cpu", "fp32")))
    assert run_time(fresh, "s") == "10.0 s"


def test_a_checkpoint_without_the_time_spent_gets_the_whole_budget(
    tmp_path: Path, monkeypatch
) -> None:
    clock = [0.0]
    monkeypatch.setattr(loop.time, "perf_counter", lambda: clock[0])
    budget = {"epochs": 100, "max_minutes": 0.5}
    with pytest.raises(_Killed):
        _session(tmp_path, kill_at_step=20, clock=clock, **budget)
    path = tmp_path / "checkpoint.safetensors"
    tensors, header = read_checkpoint(path)
    header["state"].pop("elapsed_seconds")
    save_file(tensors, str(path), metadata={"kgfuse": json.dumps(header)})
    resumed = _session(tmp_path, clock=clock, **budget)
    assert 47 <= resumed["global_step"] <= 49  # 18 steps, then 30 s more


def _logged_steps(folder: Path, tag: str) -> list[int]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder), purge_orphaned_data=True)
    events.Reload()
    return [e.step for e in events.Scalars(tag)]


def test_tensorboard_logs_each_step_once_across_a_resume(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    logs = tmp_path / "tensorboard"
    _killed_then_resumed(tmp_path, kill_at_step=5, log_dir=logs)
    assert _logged_steps(logs, "train/loss") == list(range(1, 11))
    assert _logged_steps(logs, "valid/score") == [1, 2]


def test_a_run_from_the_start_clears_the_old_tensorboard_logs(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    logs = tmp_path / "tensorboard"
    _session(tmp_path, log_dir=logs, epochs=1)
    _session(tmp_path, log_dir=logs, resume=False)  # --no-resume
    assert len(list(logs.glob("events.out.tfevents.*"))) == 1
    assert _logged_steps(logs, "train/loss") == list(range(1, 11))


def test_a_run_removes_the_temporary_files_of_a_killed_save(tmp_path: Path) -> None:
    stale = tmp_path / ".checkpoint.safetensors.0123456789ab.tmp"
    stale.write_bytes(b"half a checkpoint")
    # the run's report, cut by a kill between the model and it (a kill-and-resume review
    # found these kept): the run holds its folder, so no other writer has it open
    report = tmp_path / ".training.json.0123456789ab.tmp"
    report.write_bytes(b"{")
    other = tmp_path / ".notes.json.0123456789ab.tmp"  # no file of the run's
    other.write_bytes(b"{")
    _session(tmp_path)
    assert not stale.exists() and not report.exists()
    assert other.exists()


def _tiny_model() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    model = torch.nn.Linear(2, 1)
    return model, torch.optim.AdamW(model.parameters())


def test_checkpoints_keep_and_restore_the_cuda_random_states(tmp_path: Path, monkeypatch) -> None:
    saved = [torch.arange(16, dtype=torch.uint8), torch.arange(16, 32, dtype=torch.uint8)]
    restored: list[list[torch.Tensor]] = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [s.clone() for s in saved])
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: restored.append(states))
    model, optimizer = _tiny_model()
    path = tmp_path / "ckpt.safetensors"
    write_checkpoint(path, model, optimizer, {"epoch": 0})
    tensors, _ = read_checkpoint(path)
    assert torch.equal(tensors["rng/cuda/0"], saved[0])
    assert torch.equal(tensors["rng/cuda/1"], saved[1])
    restore_checkpoint(path, model, optimizer)
    assert len(restored) == 1
    assert all(torch.equal(a, b) for a, b in zip(restored[0], saved, strict=True))


def test_cpu_checkpoints_and_cuda_checkpoints_load_both_ways(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    model, optimizer = _tiny_model()
    cpu_only = tmp_path / "cpu.safetensors"
    write_checkpoint(cpu_only, model, optimizer, {})
    cpu_state = torch.get_rng_state()
    restored: list[object] = []
    with monkeypatch.context() as cuda:
        cuda.setattr(torch.cuda, "is_available", lambda: True)
        cuda.setattr(torch.cuda, "device_count", lambda: 1)
        cuda.setattr(torch.cuda, "get_rng_state_all", lambda: [torch.zeros(16, dtype=torch.uint8)])
        cuda.setattr(torch.cuda, "set_rng_state_all", restored.append)
        torch.manual_seed(3)
        restore_checkpoint(cpu_only, model, optimizer)  # no CUDA state: left as seeded
        assert restored == []
        assert torch.equal(torch.get_rng_state(), cpu_state)
        with_cuda = tmp_path / "cuda.safetensors"
        write_checkpoint(with_cuda, model, optimizer, {})
    torch.manual_seed(3)
    with caplog.at_level("WARNING", logger="train.checkpoint"):
        restore_checkpoint(with_cuda, model, optimizer)  # on a host without CUDA
    assert torch.equal(torch.get_rng_state(), cpu_state)
    assert "CUDA generators stay as seeded" in caplog.text


def test_each_rank_restores_its_own_random_states(tmp_path: Path) -> None:
    model, optimizer = _tiny_model()
    states = [torch.manual_seed(seed).get_state() for seed in (10, 11)]
    path = tmp_path / "ckpt.safetensors"
    write_checkpoint(path, model, optimizer, {}, rank_rng=[{"torch": s} for s in states])
    for rank, expected in ((1, states[1]), (0, states[0]), (2, states[0])):  # 2: not saved
        torch.manual_seed(99)
        restore_checkpoint(path, model, optimizer, rank=rank)
        assert torch.equal(torch.get_rng_state(), expected), rank
