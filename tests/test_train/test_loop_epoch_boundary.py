"""The shared loop when a step or time budget runs out exactly at the end of an epoch: no
empty epoch follows (no second validation of the same weights, no count towards patience)."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

import train.loop as loop
from train.config import TrainSection
from train.loop import build_optimizer, fit


class _Regression(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> SimpleNamespace:
        return SimpleNamespace(loss=torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), y))


def _fit(tmp_path: Path, *, tick: list[float] | None = None, **settings: Any) -> tuple[dict, int]:
    """20 examples in batches of 4 (5 steps an epoch), validated after every epoch; returns
    the loop state and how often validation ran. ``tick``: a fake clock advanced 1 s a step."""
    torch.manual_seed(0)
    model = _Regression()
    train = TrainSection(
        epochs=3, batch_size=4, patience=1, checkpoint_every=100, warmup_fraction=0.0
    ).model_copy(update=settings)
    data_x, data_y = torch.randn(20, 3), torch.randn(20)
    optimizer, scheduler, total, per_epoch = build_optimizer(model, train, len(data_x))
    validations = [0]

    def make_batch(idx: list[int], epoch: int) -> dict[str, torch.Tensor]:
        if tick is not None:
            tick[0] += 1.0
        return {"x": data_x[idx], "y": data_y[idx]}

    def evaluate() -> tuple[dict[str, float], None]:
        validations[0] += 1
        return {"score": 1.0}, None  # never better: each later epoch counts towards patience

    result = fit(
        model,
        optimizer,
        scheduler,
        settings=train,
        num_examples=len(data_x),
        make_batch=make_batch,
        evaluate=evaluate,
        select="score",
        checkpoint=tmp_path / "ckpt.safetensors",
        total_steps=total,
        steps_per_epoch=per_epoch,
        started=0.0,
        resume=True,
        progress=False,
    )
    return result.state, validations[0]


def test_max_steps_at_an_epoch_end_adds_no_empty_epoch(tmp_path: Path) -> None:
    state, validations = _fit(tmp_path, max_steps=5)
    assert (state["global_step"], state["epoch"], validations) == (5, 1, 1)
    assert [h["epoch"] for h in state["history"]] == [1]
    assert not any(math.isnan(h["loss"]) for h in state["history"])
    assert state["stopped_by"] == "steps"  # not "early stopping" by a repeated validation
    assert state["bad_epochs"] == 0
    # a bound inside an epoch still ends that epoch with its validation
    (tmp_path / "b").mkdir()
    state, validations = _fit(tmp_path / "b", max_steps=7)
    assert (state["global_step"], state["epoch"], validations) == (7, 2, 2)


def test_a_time_budget_spent_at_an_epoch_end_adds_no_empty_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [0.0]
    monkeypatch.setattr(loop.time, "perf_counter", lambda: clock[0])
    state, validations = _fit(tmp_path, tick=clock, max_minutes=4.5 / 60)  # 4.5 s: 5 steps
    assert (state["global_step"], state["epoch"], validations) == (5, 1, 1)
    assert state["stopped_by"] == "time budget"


def test_an_epoch_checkpointed_at_its_last_step_is_still_validated_on_resume(
    tmp_path: Path, kill_at_checkpoint
) -> None:
    disarm = kill_at_checkpoint(1)  # the first checkpoint: after step 5, before validation
    with pytest.raises(KeyboardInterrupt):
        _fit(tmp_path, checkpoint_every=5, epochs=2, patience=5)
    disarm()
    state, validations = _fit(tmp_path, checkpoint_every=5, epochs=2, patience=5)
    assert validations == 2 and [h["epoch"] for h in state["history"]] == [1, 2]
    # its steps ran before the resume, and their loss was kept in the checkpoint
    (tmp_path / "whole").mkdir()
    whole, _ = _fit(tmp_path / "whole", checkpoint_every=5, epochs=2, patience=5)
    assert state["history"] == whole["history"]
