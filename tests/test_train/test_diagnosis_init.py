"""The diagnosis model's init comes from the seed alone (whatever ran before it: graph
embeddings trained or read from the cache), and the calibration temperature says when its
bounds hold it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import train.diagnosis as diagnosis
from tests.mini_hpo_env import TINY_DIAGNOSIS
from train.config import load_config


class _Built(Exception):
    """Stops a run once its model is built."""


def _initial_weights(home: Path, out: Path, monkeypatch, draw_before: bool):
    """The state dict a tiny run builds its model with; ``draw_before``: something draws
    from torch's global generator between the run's start and the model (as training the
    graph embeddings with dropout would)."""
    real_index, real_build = diagnosis.ensure_fact_index, diagnosis.build_model

    def index(*args, **kwargs):
        if draw_before:
            torch.rand(7)
        return real_index(*args, **kwargs)

    def build(*args, **kwargs):
        model, _ = real_build(*args, **kwargs)
        raise _Built({k: v.clone() for k, v in model.state_dict().items()})

    monkeypatch.setattr(diagnosis, "ensure_fact_index", index)
    monkeypatch.setattr(diagnosis, "build_model", build)
    config = load_config(
        None, [f"kg={home / 'kgs' / 'hpo'}", f"output={out}", *TINY_DIAGNOSIS, "model.dropout=0.1"]
    )
    with pytest.raises(_Built) as built:
        diagnosis.train_diagnosis(config, home=home, progress=False)
    return built.value.args[0]


def test_the_models_init_does_not_depend_on_what_ran_before_it(
    mini_hpo_home: Path, tmp_path: Path, monkeypatch, restore_threads
) -> None:
    plain = _initial_weights(mini_hpo_home, tmp_path / "a", monkeypatch, draw_before=False)
    drawn = _initial_weights(mini_hpo_home, tmp_path / "b", monkeypatch, draw_before=True)
    assert plain.keys() == drawn.keys()
    assert all(torch.equal(plain[k], drawn[k]) for k in plain)


def test_a_temperature_held_by_its_bound_is_warned_about(caplog) -> None:
    labels = torch.tensor([0, 1, 2, 0])
    separable = torch.nn.functional.one_hot(labels, 3).float() * 0.3  # every one right
    with caplog.at_level("WARNING", logger="train.diagnosis"):
        temperature = diagnosis.fit_temperature(separable, labels)
    assert "reached its bound" in caplog.text and "overconfident" in caplog.text
    assert temperature == pytest.approx(diagnosis.TEMPERATURE_BOUNDS[0])
    caplog.clear()
    noisy = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    with caplog.at_level("WARNING", logger="train.diagnosis"):
        inside = diagnosis.fit_temperature(noisy, torch.arange(40) % 3)
    assert diagnosis.TEMPERATURE_BOUNDS[0] < inside < diagnosis.TEMPERATURE_BOUNDS[1]
    assert "reached its bound" not in caplog.text
