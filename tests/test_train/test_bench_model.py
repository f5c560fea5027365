"""``kgfuse bench model``: the fused model's training and inference speed per precision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import train.bench_model as bench
from train.bench_model import ModelShape, model_bench_markdown, run_model_benchmark

TINY = ModelShape(
    hidden_size=32,
    layers=2,
    heads=2,
    intermediate_size=64,
    vocab_size=2000,
    frozen_layers=1,
    tokens=16,
    facts=4,
    fact_dim=8,
    candidates=50,
    nodes=100,
    node_dim=8,
    label_text_dim=4,
    fused_hidden=16,
    train_batch=4,
    infer_batch=8,
)


def test_the_bench_trains_through_the_loop_and_reports_each_precision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bool, int]] = []
    real_fit = bench.fit

    def spy(model, *args, **kwargs):
        result = real_fit(model, *args, **kwargs)
        calls.append((kwargs["bf16"], result.state["global_step"]))
        return result

    monkeypatch.setattr(bench, "fit", spy)
    result = run_model_benchmark(
        tmp_path / "out", device="cpu", rounds=2, steps=3, forwards=2, shape=TINY
    )
    # a warm-up round and 2 timed ones, the precisions alternated, 3 steps each
    assert calls == [(False, 3), (True, 3)] * 3
    assert [(r["round"], r["precision"]) for r in result["runs"]] == [
        (1, "fp32"),
        (1, "bf16"),
        (2, "fp32"),
        (2, "bf16"),
    ]
    for run in result["runs"]:
        assert run["train_patients_per_s"] > 0 and run["forward_1_ms"] > 0
        assert run["forward_8_patients_per_s"] > 0
    fp32 = result["summary"]["fp32"]
    values = [r["forward_1_ms"] for r in result["runs"] if r["precision"] == "fp32"]
    assert fp32["forward_1_ms"] == {
        "median": pytest.approx(sum(values) / 2),
        "min": min(values),
        "max": max(values),
    }
    assert fp32["ratio_to_fp32"] == {k: 1.0 for k in fp32["ratio_to_fp32"]}
    bf16 = result["summary"]["bf16"]
    assert bf16["ratio_to_fp32"]["train_patients_per_s"] == pytest.approx(
        bf16["train_patients_per_s"]["median"] / fp32["train_patients_per_s"]["median"]
    )
    assert result["device"] == {"type": "cpu", "name": "CPU"}
    saved = json.loads((tmp_path / "out" / "bench_model.json").read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(result))
    markdown = (tmp_path / "out" / "bench_model.md").read_text(encoding="utf-8")
    assert markdown == model_bench_markdown(result)
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| precision | training patients/s | forward of 1 (ms)")
    assert rows[1].startswith("| fp32 | ") and rows[1].endswith("| 1.00x / 1.00x / 1.00x |")
    assert rows[2].startswith("| bf16 | ")
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert names == {"bench_model.json", "bench_model.md"}  # no checkpoint left behind


def test_the_bench_model_has_the_shape_asked_for() -> None:
    model = bench.build_bench_model(TINY)
    assert model.config.num_candidates == 50 and model.kgfusion.node_embeddings.shape == (100, 8)
    assert model.kgfusion.encoder is not None
    assert model.kgfusion.encoder.config.num_hidden_layers == 2
    batch = bench.synthetic_batch(TINY, 3, torch.Generator().manual_seed(0))
    assert batch["input_ids"].shape == (3, 16) and batch["prior"].shape == (3, 50)
    assert ((batch["input_ids"] != 0) == batch["attention_mask"].bool()).all()
    out = model(**batch)
    assert out.logits.shape == (3, 50) and torch.isfinite(out.loss)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"precisions": ["fp16"]}, "precisions must be distinct ones of fp32, bf16"),
        ({"precisions": ["fp32", "fp32"]}, "precisions must be distinct"),
        ({"precisions": []}, "precisions must be"),
        ({"rounds": 0}, "at least 1"),
        ({"steps": 0}, "at least 1"),
        ({"shape": ModelShape(heads=5)}, "multiple of heads"),
        ({"shape": ModelShape(frozen_layers=7)}, "frozen_layers must lie in 0..6"),
        ({"shape": ModelShape(candidates=0)}, "at least 1: candidates"),
    ],
)
def test_bad_settings_are_refused_before_any_work(
    tmp_path: Path, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        run_model_benchmark(tmp_path / "out", device="cpu", **{"shape": TINY, **kwargs})
    assert not (tmp_path / "out").exists()


def test_a_gpu_that_is_not_there_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="sees no CUDA GPU"):
        run_model_benchmark(tmp_path / "out", device="cuda", shape=TINY)
    assert not (tmp_path / "out").exists()


def test_bf16_on_a_gpu_without_it_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Tesla T4")
    with pytest.raises(ValueError, match="does not compute bf16"):
        run_model_benchmark(tmp_path / "out", device="cuda", shape=TINY)
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_the_bench_runs_on_the_gpu(tmp_path: Path) -> None:
    result = run_model_benchmark(tmp_path, device="auto", rounds=1, steps=2, forwards=2, shape=TINY)
    assert result["device"]["type"] == "cuda" and result["device"]["name"] != "CPU"


def test_the_command_prints_the_table_and_names_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgfuse.cli import app

    monkeypatch.setattr(bench, "ModelShape", lambda: TINY)
    runner = CliRunner()
    args = ["bench", "model", "--device", "cpu", "--rounds", "1", "--steps", "2"]
    result = runner.invoke(
        app,
        [*args, "--forwards", "2", "--train-batch", "4", "--infer-batch", "3", "-o", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "forward of 3" in result.output
    assert "training patients/s" in result.output and "bench_model.md" in result.output
    assert "round 1/1 bf16" in result.output  # each round said as it starts
    saved = json.loads((tmp_path / "bench_model.json").read_text(encoding="utf-8"))
    assert saved["shape"]["infer_batch"] == 3 and saved["shape"]["train_batch"] == 4
    bad = runner.invoke(app, [*args, "--precision", "fp16", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "precisions must be distinct ones" in bad.output
    afile = tmp_path / "afile"
    afile.write_text("a file", encoding="utf-8")
    clash = runner.invoke(app, [*args, "--out", str(afile)])
    assert clash.exit_code == 2 and "is a file" in clash.output  # before any round ran
    assert "round" not in clash.output
