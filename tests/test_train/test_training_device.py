"""Where training runs (``train.device``): the GPU when present, bf16 autocast on its kind.

The CUDA tests run where torch sees a GPU (skipped elsewhere, as on CI); the others mock
what torch says about CUDA.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from pydantic import ValidationError

import train.loop as loop
from train.config import DiagnosisConfig, TrainSection
from train.loop import autocast, build_optimizer, fit, training_device, use_bf16

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def one_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)


def test_auto_trains_on_the_cpu_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    no_cuda(monkeypatch)
    assert training_device("auto") == torch.device("cpu")
    assert training_device() == torch.device("cpu")
    assert training_device("cpu") == torch.device("cpu")


def test_auto_takes_the_current_gpu_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    one_gpu(monkeypatch)
    assert training_device("auto") == torch.device("cuda", 0)
    assert training_device("cuda") == torch.device("cuda", 0)
    assert training_device("cuda:0") == torch.device("cuda", 0)
    assert training_device("cpu") == torch.device("cpu")  # asked for: the CPU


def test_a_gpu_that_is_not_there_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    no_cuda(monkeypatch)
    with pytest.raises(ValueError, match=r"train.device='cuda'.*sees no CUDA GPU"):
        training_device("cuda")
    one_gpu(monkeypatch)
    with pytest.raises(ValueError, match=r"'cuda:1'.*1 CUDA GPU\(s\).*cuda:0 to cuda:0"):
        training_device("cuda:1")
    with pytest.raises(ValueError, match="choose auto, cpu, cuda or cuda:N"):
        training_device("tpu")


def test_the_config_takes_the_devices_torch_names() -> None:
    assert TrainSection().device == "auto"
    assert TrainSection(device="cuda:1").device == "cuda:1"
    for bad in ("gpu", "cuda:", "cuda:x", "CPU", ""):
        with pytest.raises(ValidationError):
            TrainSection(device=bad)


def test_a_run_resumes_on_another_device() -> None:
    """The device changes where floats are summed, not what is trained (as the threads)."""
    cpu = DiagnosisConfig.model_validate({"train": {"device": "cpu"}})
    gpu = DiagnosisConfig.model_validate({"train": {"device": "cuda:0"}})
    assert cpu.resume_fingerprint() == gpu.resume_fingerprint()
    assert cpu.config_hash() != gpu.config_hash()  # the model's record says where


def test_bf16_is_automatic_on_cpus_that_compute_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import encoders.text as text

    cpu, gpu = torch.device("cpu"), torch.device("cuda", 0)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    for native in (True, False):
        monkeypatch.setattr(text, "bf16_is_native", lambda device, native=native: native)
        assert use_bf16("auto", cpu) is native
        assert use_bf16("auto") is native
        assert not use_bf16("auto", gpu)  # measured slower there at the recipe's sizes
        assert use_bf16("bf16", gpu) and use_bf16("bf16", cpu)  # asked for
        assert not use_bf16("fp32", gpu) and not use_bf16("fp32", cpu)


def test_bf16_on_a_gpu_without_it_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    one_gpu(monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Tesla T4")
    with pytest.raises(ValueError, match=r"precision=bf16, but cuda:0 \(Tesla T4\) does not"):
        use_bf16("bf16", torch.device("cuda", 0))
    assert not use_bf16("auto", torch.device("cuda", 0))  # auto: fp32 there


def test_autocast_casts_on_the_device_it_is_given() -> None:
    linear = torch.nn.Linear(4, 2)
    x = torch.randn(3, 4)
    with autocast(True, torch.device("cpu")):
        assert linear(x).dtype == torch.bfloat16
    with autocast(True):
        assert linear(x).dtype == torch.bfloat16
    with autocast(False, torch.device("cpu")):
        assert linear(x).dtype == torch.float32


def test_a_missing_gpu_fails_before_the_kg_is_opened(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from train.diagnosis import train_diagnosis

    no_cuda(monkeypatch)
    config = DiagnosisConfig.model_validate(
        {
            "kg": str(tmp_path / "no-kg"),
            "output": str(tmp_path / "out"),
            "train": {"device": "cuda"},
        }
    )
    with pytest.raises(ValueError, match="sees no CUDA GPU"):  # not the missing KG's error
        train_diagnosis(config, home=tmp_path, progress=False)


def test_a_task_run_checks_its_device_before_reading_its_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from train.config import TaskConfig
    from train.task_training import train_task

    no_cuda(monkeypatch)
    config = TaskConfig.model_validate(
        {
            "task": "text-classification",
            "data": str(tmp_path / "missing.jsonl"),
            "output": str(tmp_path / "out"),
            "train": {"device": "cuda:0"},
        }
    )
    with pytest.raises(ValueError, match="sees no CUDA GPU"):  # not the missing file's error
        train_task(config, home=tmp_path, progress=False)


class _Regression(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)
        self.dtypes: list[torch.dtype] = []

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> SimpleNamespace:
        out = self.linear(x).squeeze(-1)
        self.dtypes.append(out.dtype)
        return SimpleNamespace(loss=torch.nn.functional.mse_loss(out.float(), y))


class _Killed(Exception):
    pass


def _train(
    device: torch.device, folder: Path, *, bf16: bool = False, kill_at: int | None = None
) -> _Regression:
    """Train 12 steps on ``device`` (checkpoints every 2), raising at batch ``kill_at``."""
    folder.mkdir(parents=True, exist_ok=True)  # the callers' output folder
    torch.manual_seed(0)
    model = _Regression().to(device)
    settings = TrainSection(epochs=1, batch_size=4, checkpoint_every=2, warmup_fraction=0.0)
    data = torch.randn(48, 3, generator=torch.Generator().manual_seed(1))
    target = data.sum(-1)
    optimizer, scheduler, total, per_epoch = build_optimizer(model, settings, len(data))
    calls = [0]

    def batch(idx: list[int], epoch: int) -> dict[str, torch.Tensor]:
        calls[0] += 1
        if calls[0] == kill_at:
            raise _Killed
        return {"x": data[idx], "y": target[idx]}  # CPU tensors: fit moves them

    fit(
        model,
        optimizer,
        scheduler,
        settings=settings,
        num_examples=len(data),
        make_batch=batch,
        evaluate=None,
        select="loss",
        checkpoint=folder / "checkpoint.safetensors",
        total_steps=total,
        steps_per_epoch=per_epoch,
        progress=False,
        bf16=bf16,
    )
    return model


@needs_cuda
def test_fit_trains_on_the_gpu_and_resumes_a_killed_run(tmp_path: Path) -> None:
    device = training_device("auto")
    assert device.type == "cuda"
    whole = _train(device, tmp_path / "whole")
    assert whole.linear.weight.device.type == "cuda"
    with pytest.raises(_Killed):
        _train(device, tmp_path / "killed", kill_at=8)
    resumed = _train(device, tmp_path / "killed")  # from the checkpoint of step 6
    for a, b in zip(whole.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    cpu = _train(torch.device("cpu"), tmp_path / "cpu")
    for a, b in zip(whole.parameters(), cpu.parameters(), strict=True):
        torch.testing.assert_close(a.cpu(), b, rtol=1e-4, atol=1e-5)  # the same training


@needs_cuda
def test_fit_runs_bf16_autocast_on_the_gpu(tmp_path: Path) -> None:
    model = _train(training_device("auto"), tmp_path, bf16=True)
    assert set(model.dtypes) == {torch.bfloat16}
    fp32 = _train(training_device("auto"), tmp_path / "fp32")
    assert set(fp32.dtypes) == {torch.float32}


def test_fit_trains_where_the_model_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the CPU the same code path runs: batches follow the model, autocast its kind."""
    seen: list[torch.device | None] = []
    real = loop.autocast

    def spy(enabled: bool, device: torch.device | None = None):
        seen.append(device)
        return real(enabled, device)

    monkeypatch.setattr(loop, "autocast", spy)
    model = _train(torch.device("cpu"), tmp_path, bf16=True)
    assert seen and set(seen) == {torch.device("cpu")}
    assert set(model.dtypes) == {torch.bfloat16}


def test_a_training_record_names_the_device() -> None:
    assert loop.device_label(torch.device("cpu")) == "cpu"


@needs_cuda
def test_a_training_record_names_the_gpu() -> None:
    label = loop.device_label(training_device("auto"))
    assert label == f"cuda:{torch.cuda.current_device()} ({torch.cuda.get_device_name()})"
