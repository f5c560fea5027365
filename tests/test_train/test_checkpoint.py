"""Checkpoints: exact round trip of model, optimizer, scheduler and RNG; no pickles."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from train.checkpoint import (
    DamagedCheckpointError,
    FolderBusyError,
    checkpoint_state,
    read_checkpoint,
    restore_checkpoint,
    training_folder,
    write_checkpoint,
)


def _setup(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1 + s))
    return model, opt, sched


def _steps(model, opt, sched, n: int) -> None:
    for _ in range(n):
        x = torch.randn(16, 4)
        loss = torch.nn.functional.dropout(model(x), 0.2).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def test_checkpoint_resume_equals_uninterrupted_run(tmp_path) -> None:
    model, opt, sched = _setup()
    _steps(model, opt, sched, 3)
    write_checkpoint(tmp_path / "c.safetensors", model, opt, {"step": 3}, scheduler=sched)
    _steps(model, opt, sched, 4)
    expected = [p.detach().clone() for p in model.parameters()]

    model2, opt2, sched2 = _setup(seed=123)  # different init: everything must come from the file
    state, _ = restore_checkpoint(tmp_path / "c.safetensors", model2, opt2, scheduler=sched2)
    assert state == {"step": 3}
    _steps(model2, opt2, sched2, 4)
    for a, b in zip(expected, model2.parameters(), strict=True):
        assert torch.equal(a, b)


def test_checkpoint_skip_and_extra(tmp_path) -> None:
    model, opt, _ = _setup()
    best = {"w": torch.arange(3.0)}
    write_checkpoint(tmp_path / "c.safetensors", model, opt, {}, extra=best, skip={"0.bias"})
    tensors, header = read_checkpoint(tmp_path / "c.safetensors")
    assert "model/0.bias" not in tensors and "model/0.weight" in tensors
    _, extra = restore_checkpoint(tmp_path / "c.safetensors", model, opt, skip={"0.bias"})
    assert torch.equal(extra["w"], best["w"])


def test_checkpoint_mismatch_and_foreign_files(tmp_path) -> None:
    model, opt, _ = _setup()
    write_checkpoint(tmp_path / "c.safetensors", model, opt, {})
    other = torch.nn.Linear(3, 3)
    with pytest.raises(ValueError, match="does not match"):
        restore_checkpoint(tmp_path / "c.safetensors", other, torch.optim.AdamW(other.parameters()))
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(ValueError, match="not a kgfuse checkpoint"):
        read_checkpoint(tmp_path / "plain.safetensors")


@pytest.mark.parametrize("keep", [0, 7, 200, -5000])
def test_a_checkpoint_cut_short_is_named_damaged_with_what_to_do(tmp_path, keep: int) -> None:
    model, opt, _ = _setup()
    path = tmp_path / "c.safetensors"
    write_checkpoint(path, model, opt, {"step": 1})
    whole = path.read_bytes()
    path.write_bytes(whole[:keep])  # empty, inside the header's length, the header, the tensors
    with pytest.raises(DamagedCheckpointError, match=r"c\.safetensors is damaged.*--no-resume"):
        restore_checkpoint(path, model, opt)
    with pytest.raises(DamagedCheckpointError, match="is damaged"):
        checkpoint_state(path)  # what a resume reads first


def test_one_training_run_per_output_folder(tmp_path) -> None:
    out = tmp_path / "model"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = rf"in use by another training run \(pid {holder.pid}\)"
        with pytest.raises(FolderBusyError, match=busy), training_folder(out):
            pass
        with training_folder(out, owner=False):  # a DDP rank > 0 takes no lock
            pass
    finally:
        holder.kill()
        holder.wait()
    with training_folder(out) as folder:  # a killed holder leaves the folder free
        assert folder == out
        with pytest.raises(FolderBusyError), training_folder(out):  # in-process too
            pass


_HOLD = """
import sys, time
from pathlib import Path
from train.checkpoint import training_folder
with training_folder(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""
