"""Tests of encoders.text on a tiny random BERT (hidden 32, 2 layers) saved to tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from encoders.text import (
    EncoderNotFoundError,
    TextEncoder,
    TextEncoderConfig,
    benchmark_precision,
    bf16_is_fast,
    bf16_is_native,
    default_encoder_path,
    encoder_folder,
)
from tests.tiny_bert import write_tiny_bert

_WORDS = [
    "heart",
    "defect",
    "septal",
    "ventricular",
    "seizure",
    "short",
    "stature",
    "no",
    "the",
    "of",
    "a",
]


def make_tiny_encoder(folder: Path) -> Path:
    """Write a random 2-layer BERT with a word-piece tokenizer of a few words to ``folder``."""
    return write_tiny_bert(folder, _WORDS, max_position_embeddings=64)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny_bert"))


def test_text_encoder_encode_shape_and_norm(tiny_model: Path) -> None:
    enc = TextEncoder(TextEncoderConfig(model_path=str(tiny_model), precision="fp32"))
    vectors = enc.encode(["heart defect", "seizure", "short stature of the heart"])
    assert vectors.shape == (3, 32)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_text_encoder_batching_keeps_order(tiny_model: Path) -> None:
    enc = TextEncoder(TextEncoderConfig(model_path=str(tiny_model), precision="fp32"))
    texts = ["seizure", "heart defect ventricular septal", "a", "short stature"]
    together = enc.encode(texts, batch_size=8)
    one_by_one = np.stack([enc.encode([t])[0] for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    np.testing.assert_allclose(enc.encode(texts, batch_size=1), together, atol=1e-5)


def test_text_encoder_mean_and_cls_pooling(tiny_model: Path) -> None:
    cfg = dict(model_path=str(tiny_model), precision="fp32", normalize=False)
    mean = TextEncoder(TextEncoderConfig(pooling="mean", **cfg))
    cls = TextEncoder(TextEncoderConfig(pooling="cls", **cfg))
    states, mask = mean.token_states(["heart defect"])
    assert states.device.type == mean.device.type  # where the encoder runs (a GPU when present)
    states, mask = states.cpu(), mask.cpu()
    assert states.shape[:2] == mask.shape
    np.testing.assert_allclose(mean.encode(["heart defect"])[0], states[0].mean(0), atol=1e-5)
    np.testing.assert_allclose(cls.encode(["heart defect"])[0], states[0, 0], atol=1e-5)


def test_text_encoder_truncation(tiny_model: Path) -> None:
    enc = TextEncoder(TextEncoderConfig(model_path=str(tiny_model), max_length=8))
    states, _ = enc.token_states(["heart " * 100])
    assert states.shape[1] == 8


def test_text_encoder_bf16_close_to_fp32(tiny_model: Path) -> None:
    fp32 = TextEncoder(TextEncoderConfig(model_path=str(tiny_model), precision="fp32"))
    bf16 = TextEncoder(TextEncoderConfig(model_path=str(tiny_model), precision="bf16"))
    assert bf16.use_bf16 and not fp32.use_bf16
    a, b = fp32.encode(["heart defect"]), bf16.encode(["heart defect"])
    assert float((a * b).sum()) > 0.98


def test_benchmark_precision_restores_setting(tiny_model: Path) -> None:
    enc = TextEncoder(TextEncoderConfig(model_path=str(tiny_model), precision="fp32"))
    result = benchmark_precision(enc, ["heart defect", "seizure"], repeats=1)
    assert result.fp32_s > 0 and result.bf16_s > 0
    assert result.speedup == pytest.approx(result.fp32_s / result.bf16_s)
    assert not enc.use_bf16


def test_text_encoder_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(EncoderNotFoundError):
        TextEncoder(TextEncoderConfig(model_path=str(tmp_path / "nope")))


def test_text_encoder_config_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="pooling"):
        TextEncoderConfig(pooling="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="precision"):
        TextEncoderConfig(precision="fp8")  # type: ignore[arg-type]


def test_bf16_is_fast_is_false_on_meta_device() -> None:
    assert bf16_is_fast(torch.device("meta")) is False


def test_default_encoder_path_is_local() -> None:
    path = default_encoder_path()
    assert (path / "config.json").is_file()


def test_bf16_is_native_on_amx_or_avx512_bf16_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    import encoders.text as text
    from train.loop import use_bf16

    cpu = torch.device("cpu")
    for amx, avx512_bf16, native in (
        (True, False, True),
        (False, True, True),
        (False, False, False),
    ):
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda v=avx512_bf16: v)
        assert bf16_is_native(cpu) is native
        assert bf16_is_fast(cpu) is amx  # inference: int8 beats bf16 without AMX
        assert use_bf16("auto") is native  # training: bf16 wherever it is native
        assert use_bf16("bf16") and not use_bf16("fp32")
    assert text.bf16_is_native(torch.device("meta")) is False


def test_a_gpu_computes_bf16_but_encodes_faster_in_fp32(monkeypatch: pytest.MonkeyPatch) -> None:
    gpu = torch.device("cuda", 0)
    for supported in (True, False):
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, s=supported, **k: s)
        assert bf16_is_native(gpu) is supported
        assert bf16_is_fast(gpu) is False  # launch-bound there: autocast's casts cost more


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (None, "text encoder folder not found"),
        ({}, "no Hugging Face model (config.json)"),
        ({"config.json": "{}", "pytorch_model.bin": "pickle"}, "no model.safetensors"),
    ],
)
def test_encoder_folder_names_what_is_missing(
    tmp_path: Path, files: dict[str, str] | None, message: str
) -> None:
    folder = tmp_path / "encoder"
    if files is not None:
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(EncoderNotFoundError, match=re.escape(message)) as caught:
        encoder_folder(folder)
    assert str(folder) in str(caught.value)


def test_encoder_folder_accepts_a_model_and_defaults_to_minilm(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "model-00001-of-00002.safetensors").write_bytes(b"")  # sharded weights
    assert encoder_folder(tmp_path) == tmp_path
    assert encoder_folder(None) == default_encoder_path()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_text_encoder_on_the_gpu_matches_the_cpu(tiny_model: Path) -> None:
    """A GPU is taken when present, with the CPU's vectors (in bf16 too)."""
    texts = ["heart defect", "seizure", "short stature of the heart", "no seizure"]
    gpu = TextEncoder(TextEncoderConfig(model_path=str(tiny_model)))
    cpu = TextEncoder(TextEncoderConfig(model_path=str(tiny_model), precision="fp32", device="cpu"))
    assert gpu.device.type == "cuda" and not gpu.use_bf16  # auto: fp32 there (measured)
    a, b = gpu.encode(texts), cpu.encode(texts)
    assert a.dtype == np.float32 and a.shape == b.shape
    assert (a * b).sum(1).min() > 0.9999  # unit vectors: cosine
    bf16 = TextEncoder(TextEncoderConfig(model_path=str(tiny_model), precision="bf16"))
    assert bf16.device.type == "cuda" and bf16.use_bf16
    assert (bf16.encode(texts) * b).sum(1).min() > 0.99
