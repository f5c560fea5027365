"""What mutation testing of train/checkpoint.py showed unchecked: the folder a failed run
leaves (or not), the decorator that holds a run's output folder, a KG folder known by its
``current`` link alone, the temporary files of a killed save, the header read alone, an
unknown format, named generators, the optimizer's whole state and the CUDA warning."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from train.checkpoint import (
    FolderBusyError,
    check_output_folder,
    checkpoint_state,
    holding_output_folder,
    read_checkpoint,
    remove_stale_temporaries,
    restore_checkpoint,
    training_folder,
    write_checkpoint,
)
from train.distributed import DistributedContext


class _Failed(RuntimeError):
    """A run that fails after its folder was made."""


def _tiny() -> tuple[torch.nn.Linear, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    return model, torch.optim.AdamW(model.parameters(), lr=0.1, betas=(0.8, 0.95))


# ---------------------------------------------------------------------- the output folder
def test_a_failed_run_removes_the_folder_it_made_and_nothing_else(tmp_path: Path) -> None:
    made = tmp_path / "new" / "model"
    with pytest.raises(_Failed), training_folder(made):
        assert (made / ".lock").is_file()
        raise _Failed
    assert not made.exists() and (tmp_path / "new").is_dir()
    kept = tmp_path / "kept"  # a checkpoint to resume from was written: kept
    with pytest.raises(_Failed), training_folder(kept):
        (kept / "checkpoint.safetensors").write_bytes(b"x")
        raise _Failed
    assert (kept / "checkpoint.safetensors").is_file()
    before = tmp_path / "before"  # made before the run: kept, empty or not
    before.mkdir()
    with pytest.raises(_Failed), training_folder(before):
        raise _Failed
    assert before.is_dir()
    with training_folder(tmp_path / "fine") as folder:  # a run that ends well keeps it
        assert folder == tmp_path / "fine"
    assert folder.is_dir()


def test_a_folder_with_a_current_link_alone_is_a_kg_folder(tmp_path: Path) -> None:
    kg = tmp_path / "kg"
    kg.mkdir()
    (kg / "current").symlink_to(tmp_path)
    with pytest.raises(ValueError, match=r"is a KG folder"):
        check_output_folder(kg)


def _decorated(calls: list[Any], check: Any = None) -> Any:
    def output_of(config: Any, home: Path | None) -> Path:
        calls.append(("output_of", home))
        return Path(config.output)

    @holding_output_folder(output_of, check)
    def train(config: Any, *, home: Path | None = None, distributed: Any = None) -> str:
        calls.append(("train", config.output))
        out = Path(config.output)
        if distributed is None or distributed.rank == 0:
            with pytest.raises(FolderBusyError), training_folder(out):  # held while it trains
                pass
        if config.fail:
            raise _Failed
        return "trained"

    return train


def _config(out: Path, **fields: Any) -> SimpleNamespace:
    return SimpleNamespace(**{"output": str(out), "fail": False, **fields})


def test_a_decorated_run_trains_in_its_held_output_folder(tmp_path: Path) -> None:
    calls: list[Any] = []
    train = _decorated(calls)
    out = tmp_path / "model"
    assert train(_config(out), home=tmp_path) == "trained"
    assert calls == [("output_of", tmp_path), ("train", str(out))]
    assert (out / ".lock").is_file()
    assert train(config=_config(out)) == "trained"  # the config as a keyword
    rank1 = DistributedContext(1, 2, 1, "gloo", torch.device("cpu"))
    other = tmp_path / "rank1"
    assert train(_config(other), distributed=rank1) == "trained"
    assert other.is_dir() and not (other / ".lock").exists()  # other ranks take no lock
    with pytest.raises(_Failed):
        train(_config(tmp_path / "failed", fail=True))
    assert not (tmp_path / "failed").exists()


def test_a_decorated_run_refuses_bad_settings_before_making_its_folder(tmp_path: Path) -> None:
    calls: list[Any] = []

    def check(config: Any) -> None:
        calls.append("check")
        if config.bad:
            raise ValueError("bad setting")

    train = _decorated(calls, check)
    out = tmp_path / "model"
    with pytest.raises(ValueError, match="bad setting"):
        train(_config(out, bad=True))
    assert calls == ["check"] and not out.exists()
    data = tmp_path / "model" / "train.jsonl"  # an input inside the output folder
    with pytest.raises(ValueError, match=r"the input .*train\.jsonl lies in the output folder"):
        train(_config(out, bad=False, data=str(data)))
    assert not out.exists()
    encoder = tmp_path / "encoder"
    encoder.mkdir()
    model = SimpleNamespace(encoder=str(encoder))
    with pytest.raises(ValueError, match=r"the text encoder's folder"):
        train(_config(encoder, bad=False, model=model))


def test_the_temporaries_of_a_killed_save_are_removed_and_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "checkpoint.safetensors"
    stale = [tmp_path / f".checkpoint.safetensors.{tag}.tmp" for tag in ("bbb", "aaa")]
    keep = [tmp_path / ".other.safetensors.aaa.tmp", tmp_path / "checkpoint.safetensors.tmp"]
    for path in (*stale, *keep):
        path.write_bytes(b"half")
    with caplog.at_level(logging.INFO, logger="train.checkpoint"):
        assert remove_stale_temporaries(target) == sorted(stale)
    assert all(not p.exists() for p in stale) and all(p.exists() for p in keep)
    assert f"removed 2 temporary files of {target} left by a killed run" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="train.checkpoint"):
        assert remove_stale_temporaries(target) == []
    assert not caplog.records


# ---------------------------------------------------------------------- the file
def test_the_loop_state_is_read_from_the_header_alone(tmp_path: Path) -> None:
    model, optimizer = _tiny()
    path = tmp_path / "c.safetensors"
    state = {"epoch": 2, "fingerprint": "abc", "history": [{"loss": 0.5}]}
    write_checkpoint(path, model, optimizer, state)
    assert checkpoint_state(path) == state
    bare = tmp_path / "bare.safetensors"  # a kgfuse header without a state
    save_file({"x": torch.zeros(1)}, str(bare), metadata={"kgfuse": json.dumps({})})
    assert checkpoint_state(bare) == {}
    plain = tmp_path / "plain.safetensors"
    save_file({"x": torch.zeros(1)}, str(plain))
    with pytest.raises(ValueError, match=r"plain\.safetensors is not a kgfuse checkpoint"):
        checkpoint_state(plain)


def test_a_checkpoint_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.safetensors"
    header = {"format_version": "kgfuse-checkpoint/0", "state": {}}
    save_file({"x": torch.zeros(1)}, str(path), metadata={"kgfuse": json.dumps(header)})
    with pytest.raises(
        ValueError, match=r"old\.safetensors: unsupported checkpoint format 'kgfuse"
    ):
        read_checkpoint(path)


def test_named_generators_and_the_scheduler_resume_where_they_were(tmp_path: Path) -> None:
    model, optimizer = _tiny()
    sampler = torch.Generator().manual_seed(7)
    torch.randperm(10, generator=sampler)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.step()
    scheduler.step()
    path = tmp_path / "c.safetensors"
    write_checkpoint(
        path, model, optimizer, {}, generators={"sampler": sampler}, scheduler=scheduler
    )
    expected = torch.randperm(10, generator=sampler)
    again = torch.Generator().manual_seed(0)
    model2, optimizer2 = _tiny()
    scheduler2 = torch.optim.lr_scheduler.StepLR(optimizer2, step_size=1, gamma=0.5)
    restore_checkpoint(
        path, model2, optimizer2, generators={"sampler": again}, scheduler=scheduler2
    )
    assert torch.equal(torch.randperm(10, generator=again), expected)
    assert scheduler2.state_dict() == scheduler.state_dict()
    assert optimizer2.param_groups[0]["lr"] == pytest.approx(0.05)
    # a checkpoint without a scheduler or a generator leaves those as they are
    write_checkpoint(path, model, optimizer, {})
    assert read_checkpoint(path)[1]["scheduler"] is None
    fresh = torch.Generator().manual_seed(3)
    scheduler3 = torch.optim.lr_scheduler.StepLR(optimizer2, step_size=1, gamma=0.5)
    before = scheduler3.state_dict()
    restore_checkpoint(path, model2, optimizer2, generators={"fresh": fresh}, scheduler=scheduler3)
    assert scheduler3.state_dict() == before
    assert torch.equal(fresh.get_state(), torch.Generator().manual_seed(3).get_state())


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def test_the_optimizer_state_comes_back_whole(tmp_path: Path) -> None:
    model, optimizer = _tiny()
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    optimizer.state[model.weight]["calls"] = 3  # a state entry that is not a tensor
    path = tmp_path / "c.safetensors"
    write_checkpoint(path, model, optimizer, {})
    model2, optimizer2 = _tiny()
    restore_checkpoint(path, model2, optimizer2)
    saved, restored = optimizer.state_dict(), optimizer2.state_dict()
    assert _same(restored, saved), (restored, saved)
    assert restored["param_groups"][0]["betas"] == (0.8, 0.95)
    # a parameter whose state holds no tensor at all
    sgd = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.zero_grad(set_to_none=True)
    (model.weight * torch.ones(2, 3)).sum().backward()  # the bias's gradient is not used
    sgd.step()
    sgd.state[model.bias]["calls"] = 1
    write_checkpoint(path, model, sgd, {})
    sgd2 = torch.optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
    restore_checkpoint(path, model2, sgd2)
    assert _same(sgd2.state_dict(), sgd.state_dict())
    assert sgd2.state_dict()["state"][1] == {"calls": 1}


def test_cuda_states_of_another_device_count_are_named_in_the_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    model, optimizer = _tiny()
    states = [
        {
            "torch": torch.get_rng_state(),
            "cuda/0": torch.zeros(16, dtype=torch.uint8),
            "cuda/1": torch.ones(16, dtype=torch.uint8),
        }
    ]
    path = tmp_path / "c.safetensors"
    write_checkpoint(path, model, optimizer, {}, rank_rng=states)
    restored: list[object] = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", restored.append)
    with caplog.at_level(logging.WARNING, logger="train.checkpoint"):
        restore_checkpoint(path, model, optimizer)
    assert restored == []
    assert "holds the random states of 2 CUDA devices and this host has 1" in caplog.text


def test_a_checkpoint_of_another_model_names_the_keys(tmp_path: Path) -> None:
    model, optimizer = _tiny()
    path = tmp_path / "c.safetensors"
    write_checkpoint(path, model, optimizer, {}, skip={"bias"})
    other = torch.nn.Sequential(torch.nn.Linear(3, 2))
    with pytest.raises(ValueError) as err:
        restore_checkpoint(path, other, torch.optim.AdamW(other.parameters()))
    assert "missing ['0.bias', '0.weight'], unexpected ['weight']" in str(err.value)
    restore_checkpoint(path, *_tiny(), skip={"bias"})  # the skipped key is not missing


def test_a_host_without_cuda_names_no_devices_in_the_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    model, optimizer = _tiny()
    states = [{"torch": torch.get_rng_state(), "cuda/0": torch.zeros(16, dtype=torch.uint8)}]
    path = tmp_path / "c.safetensors"
    write_checkpoint(path, model, optimizer, {}, rank_rng=states)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a driver too old, say
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with caplog.at_level(logging.WARNING, logger="train.checkpoint"):
        restore_checkpoint(path, model, optimizer)
    assert "holds the random states of 1 CUDA devices and this host has 0" in caplog.text


def test_a_temporary_removed_meanwhile_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "checkpoint.safetensors"
    first, second = (tmp_path / f".checkpoint.safetensors.{tag}.tmp" for tag in ("aaa", "bbb"))
    for path in (first, second):
        path.write_bytes(b"half")
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == first:  # gone between the listing and its removal
            real_unlink(self)
            raise FileNotFoundError(self)
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    assert remove_stale_temporaries(target) == [second]
    assert not first.exists() and not second.exists()


def test_numbers_that_json_does_not_know_are_saved_as_floats(tmp_path: Path) -> None:
    import numpy as np

    model, optimizer = _tiny()
    path = tmp_path / "c.safetensors"
    state = {"best": np.float32(0.5), "loss": torch.tensor(0.25), "epoch": 3}
    write_checkpoint(path, model, optimizer, state)
    assert checkpoint_state(path) == {"best": 0.5, "loss": 0.25, "epoch": 3}


def test_one_process_restores_rank_zeros_random_state(tmp_path: Path) -> None:
    model, optimizer = _tiny()
    states = [torch.manual_seed(seed).get_state() for seed in (10, 11)]
    path = tmp_path / "c.safetensors"
    write_checkpoint(path, model, optimizer, {}, rank_rng=[{"torch": s} for s in states])
    torch.manual_seed(99)
    restore_checkpoint(path, model, optimizer)
    assert torch.equal(torch.get_rng_state(), states[0])


def test_a_checkpoint_missing_keys_or_with_keys_too_many_is_refused(tmp_path: Path) -> None:
    small = torch.nn.Sequential(torch.nn.Linear(3, 2))
    large = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 2))
    path = tmp_path / "small.safetensors"
    write_checkpoint(path, small, torch.optim.SGD(small.parameters(), lr=0.1), {})
    with pytest.raises(ValueError) as err:
        restore_checkpoint(path, large, torch.optim.SGD(large.parameters(), lr=0.1))
    assert "missing ['1.bias', '1.weight'], unexpected []" in str(err.value)
    path = tmp_path / "large.safetensors"
    write_checkpoint(path, large, torch.optim.SGD(large.parameters(), lr=0.1), {})
    with pytest.raises(ValueError) as err:
        restore_checkpoint(path, small, torch.optim.SGD(small.parameters(), lr=0.1))
    assert "missing [], unexpected ['1.bias', '1.weight']" in str(err.value)


def test_safetensors_private_temporaries_are_removed_and_no_save_leaves_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """safetensors' own save_file writes through a private ``.tmpXXXXXX`` that a kill left
    beside the checkpoint, where nothing removed it and the model's fingerprint counted it
    (a kill-and-resume review found three after three kills). kgfuse writes the bytes
    itself now, and a killed run's leftovers of either kind are removed."""
    import safetensors.torch

    target = tmp_path / "checkpoint.safetensors"
    leftover = tmp_path / ".tmpAbC123"
    leftover.write_bytes(b"half")
    assert remove_stale_temporaries(target) == [leftover] and not leftover.exists()

    def no_save_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("save_file writes through its own temporary")

    import encoders.graph_model as graph_model

    monkeypatch.setattr(safetensors.torch, "save_file", no_save_file)
    monkeypatch.setattr(graph_model, "save_file", no_save_file, raising=False)
    tensors = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}
    graph_model.atomic_save_tensors(tensors, target, {"k": "v"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.safetensors"]
    assert torch.equal(safetensors.torch.load_file(target)["w"], tensors["w"])
    with safetensors.safe_open(target, "pt") as read:
        assert read.metadata() == {"k": "v"}
