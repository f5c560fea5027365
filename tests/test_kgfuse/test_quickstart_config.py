"""The quickstart's training settings: bounded by steps (so a run reproduces from its seed),
with its learning rate decayed to 0 by the last step."""

from __future__ import annotations

import torch

from kgfuse.quickstart import quickstart_config
from train.loop import build_optimizer


def test_quickstart_training_is_bounded_by_steps_and_decays_to_zero_by_the_last() -> None:
    settings = quickstart_config(None).train
    assert settings.max_steps is not None
    # ~12,700 annotated diseases x 2 simulated patients: far more steps than max_steps
    model = torch.nn.Linear(4, 2)
    optimizer, scheduler, total, per_epoch = build_optimizer(model, settings, 25_000)
    assert per_epoch * settings.epochs > settings.max_steps
    assert total == settings.max_steps
    for _ in range(total):
        optimizer.step()
        scheduler.step()
    assert scheduler.get_last_lr() == [0.0]
    # the time budget is a safety net, never meant to stop the run first: at the pace of
    # 2 CPU cores (~1 s a step, 2026-12-01), max_steps take well under max_minutes
    assert settings.max_minutes is not None and settings.max_steps * 1.0 < settings.max_minutes * 60
