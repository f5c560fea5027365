"""A model folder's parts are checked when it loads: its fact index there and of its width,
its sidecar an object of the right kind, its text encoder never a pickle."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

import fusion.retrieval
from encoders.text import EncoderNotFoundError, TextEncoder, TextEncoderConfig
from fusion.model import load_text_encoder
from fusion.pipeline import Diagnoser, load_model_facts, load_model_meta

_FACTS_MODEL = SimpleNamespace(config=SimpleNamespace(uses_facts=True, fact_dim=8))


def test_a_model_saved_with_facts_refuses_to_load_without_them(tmp_path: Path) -> None:
    meta = {"kg_fingerprint": "x", "saved_items": ["model.safetensors", "facts"]}
    with pytest.raises(FileNotFoundError, match="facts is missing"):
        load_model_facts(tmp_path, _FACTS_MODEL, meta, kg=None)  # type: ignore[arg-type]
    # a model saved without an index, or before the items saved were listed, loads without
    assert load_model_facts(tmp_path, _FACTS_MODEL, {"kg_fingerprint": "x"}, kg=None) is None  # type: ignore[arg-type]


def test_a_fact_index_of_another_width_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "facts").mkdir()
    monkeypatch.setattr(
        fusion.retrieval.FactIndex,
        "load",
        classmethod(lambda cls, f, kg, **_: SimpleNamespace(dim=4)),
    )
    meta = {"kg_fingerprint": "x", "saved_items": ["facts"]}
    with pytest.raises(ValueError, match="holds 4-dimensional facts and the model reads 8"):
        load_model_facts(tmp_path, _FACTS_MODEL, meta, kg=None)  # type: ignore[arg-type]


def test_a_model_folder_lacking_an_item_it_was_saved_with_is_refused(tmp_path: Path) -> None:
    # a half-copied folder: without tokenizer.json, transformers builds a tokenizer of five
    # tokens from tokenizer_config.json alone, and every word reads as [UNK]
    meta = {
        "kg_fingerprint": "x",
        "saved_items": ["tokenizer.json", "prior_neighbours.safetensors"],
    }
    (tmp_path / "kgfuse_model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"lacks tokenizer\.json, which it was saved with"):
        load_model_meta(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    assert load_model_meta(tmp_path) == meta  # the prior's neighbours are computed again


@pytest.mark.parametrize("content", ["[]", '{"candidates": []}', '{"kg_fingerprint": 3}'])
def test_a_sidecar_of_the_wrong_shape_is_damaged(tmp_path: Path, content: str) -> None:
    (tmp_path / "kgfuse_model.json").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="is damaged"):
        load_model_meta(tmp_path)


def test_a_task_model_is_not_loaded_as_a_diagnosis_model(tmp_path: Path) -> None:
    meta = {"kg_fingerprint": "x", "task": "text-classification", "candidates": []}
    (tmp_path / "kgfuse_model.json").write_text(json.dumps(meta), encoding="utf-8")
    kg = SimpleNamespace(fingerprint="x")
    with pytest.raises(ValueError, match="holds a text-classification model.*kgfuse predict"):
        Diagnoser.load(tmp_path, kg)  # type: ignore[arg-type]


def test_a_text_encoder_folder_of_pickled_weights_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04not read")
    with pytest.raises(EncoderNotFoundError, match="no model.safetensors"):
        TextEncoder(TextEncoderConfig(model_path=str(tmp_path)))


def test_the_fused_models_encoder_loader_names_a_missing_folder(tmp_path: Path) -> None:
    """transformers' own error for a missing folder speaks of a hub repo id."""
    with pytest.raises(EncoderNotFoundError, match="text encoder folder not found"):
        load_text_encoder(tmp_path / "gone")
