"""Task training in process: multi-label CSV, exact resume after a kill, validation metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from encoders.text import int8_is_available
from fusion.tasks import TaskPredictor
from tests.legal_task_env import LegalTaskEnv
from train.config import TaskConfig, load_config
from train.task_training import train_task


def _config(env: LegalTaskEnv, data: Path, out: Path, *extra: str) -> TaskConfig:
    sets = env.overrides(f"data={data}", f"kg={env.kg}", f"output={out}", *extra)
    return load_config(None, sets, schema=TaskConfig)


def test_multi_label_csv_trains_and_predicts_label_sets(
    legal_task_env: LegalTaskEnv, tmp_path: Path
) -> None:
    data = tmp_path / "multi.csv"
    data.write_text(
        "text,labels\n"
        "He broke into the house and took a laptop.,burglary|theft\n"
        "She pushed him and took his phone.,robbery|assault\n"
        "A wallet was stolen from a bag.,theft\n"
        "The mugging involved violence.,robbery\n"
        "Nothing happened.,\n",
        encoding="utf-8",
    )
    result = train_task(
        _config(
            legal_task_env,
            data,
            tmp_path / "m",
            "task=text-classification",
            "model.fusion=kg_only",
            f"valid={data}",
        ),
        home=legal_task_env.home,
        progress=False,
    )
    assert result.labels == ["assault", "burglary", "robbery", "theft"]
    assert set(result.best_valid) == {
        "micro_precision",
        "micro_recall",
        "micro_f1",
        "subset_accuracy",
    }
    assert len(result.history) == 2 and result.linked_fraction == pytest.approx(0.2)
    predictor = TaskPredictor.load(tmp_path / "m")
    assert predictor.model.config.problem_type == "multi_label_classification"
    out = predictor.predict(["The robbery involved violence.", "A quiet day."])
    for record in out:
        assert isinstance(record["labels"], list)
        assert set(record["scores"]) == set(result.labels)
        assert record["labels"] == [k for k, v in record["scores"].items() if v >= 0.5]
    assert out[0]["concepts"] and not out[1]["concepts"]
    if int8_is_available():  # the encoder in int8: close scores, the same label sets
        int8 = TaskPredictor.load(tmp_path / "m", precision="int8")
        assert (predictor.precision, int8.precision) == ("fp32", "int8")
        assert not any(type(m) is torch.nn.Linear for m in int8.model.kgfusion.modules())
        quantized = int8.predict(["The robbery involved violence.", "A quiet day."])
        for exact, approx in zip(out, quantized, strict=True):
            assert approx["scores"] == pytest.approx(exact["scores"], abs=0.05)
    training = json.loads((tmp_path / "m" / "training.json").read_text())
    assert training["examples"] == 5 and training["task"] == "text-classification"
    assert training["device"] == "cpu" and training["precision"] in ("fp32", "bf16")


def test_task_training_resumes_exactly_after_a_kill(
    legal_task_env: LegalTaskEnv, tmp_path: Path, kill_at_checkpoint
) -> None:
    data = Path(__file__).parents[2] / "kgfuse" / "examples" / "legal_valid.jsonl"
    extra = ("model.fusion=text_only", "model.freeze_layers=1", "train.checkpoint_every=1")
    train_task(
        _config(legal_task_env, data, tmp_path / "a", *extra),
        home=legal_task_env.home,
        progress=False,
    )
    disarm = kill_at_checkpoint(2)
    with pytest.raises(KeyboardInterrupt):
        train_task(
            _config(legal_task_env, data, tmp_path / "b", *extra),
            home=legal_task_env.home,
            progress=False,
        )
    assert not (tmp_path / "b" / "model.safetensors").exists()
    disarm()
    train_task(
        _config(legal_task_env, data, tmp_path / "b", *extra),
        home=legal_task_env.home,
        progress=False,
    )
    a = load_file(str(tmp_path / "a" / "model.safetensors"))
    b = load_file(str(tmp_path / "b" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # frozen encoder weights are not checkpointed (they come back from the encoder folder)
    ckpt = load_file(str(tmp_path / "b" / "checkpoint.safetensors"))
    assert not any("embeddings" in k for k in ckpt if k.startswith("model/"))


def test_train_task_needs_data(legal_task_env: LegalTaskEnv, tmp_path: Path) -> None:
    config = load_config(None, [f"kg={legal_task_env.kg}"], schema=TaskConfig)
    with pytest.raises(ValueError, match="no training data"):
        train_task(config, home=legal_task_env.home, progress=False)
