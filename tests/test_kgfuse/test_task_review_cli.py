"""Review fixes of ``kgfuse train --task`` and ``kgfuse predict``: path options taken as
they are (never read as YAML), ids of records that name none, CJK texts read in windows,
a window the encoder cannot read whole warned about, the help's output fields."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

import fusion.tasks as tasks_module
import train.diagnosis as diagnosis_module
from fusion.tasks import TaskPredictor
from kgfuse.cli import app
from tests.legal_task_env import EXAMPLES, LegalTaskEnv

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


def _invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


def _train(env: LegalTaskEnv, data: Path, valid: Path, out: Path) -> Result:
    sets = env.overrides("model.fusion=text_only", "model.max_length=16", "train.epochs=1")
    return _invoke(
        "train", "--task", "text-classification", "--data", data, "--valid", valid,
        "--kg", env.kg, "-o", out, "--home", env.home, "-q",
        *[x for s in sets for x in ("--set", s)],
    )  # fmt: skip


@pytest.fixture(scope="module")
def trained(legal_task_env: LegalTaskEnv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A text classifier of the legal examples that reads 16 tokens at once."""
    out = tmp_path_factory.mktemp("trained") / "m"
    data, valid = EXAMPLES / "legal_train.jsonl", EXAMPLES / "legal_valid.jsonl"
    result = _train(legal_task_env, data, valid, out)
    assert result.exit_code == 0, result.output
    return out


def test_path_options_are_taken_as_they_are(legal_task_env: LegalTaskEnv, tmp_path: Path) -> None:
    data = tmp_path / "train #1.jsonl"
    valid = tmp_path / "cases: v2.jsonl"
    shutil.copy(EXAMPLES / "legal_train.jsonl", data)
    shutil.copy(EXAMPLES / "legal_valid.jsonl", valid)
    out = tmp_path / "run #2"
    result = _train(legal_task_env, data, valid, out)
    assert result.exit_code == 0, result.output
    assert (out / "model.safetensors").is_file()
    assert not (tmp_path / "run").exists()  # not cut at " #"
    meta = json.loads((out / "kgfuse_model.json").read_text(encoding="utf-8"))
    assert Path(meta["config"]["data"]).name == "train #1.jsonl"
    assert Path(meta["config"]["valid"]).name == "cases: v2.jsonl"
    assert Path(meta["config"]["output"]).name == "run #2"


class _Captured(Exception):
    def __init__(self, config: Any) -> None:
        super().__init__("captured")
        self.config = config


def test_diagnosis_training_takes_its_path_options_as_they_are(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def capture(config: Any, **kwargs: Any) -> None:
        raise _Captured(config)

    monkeypatch.setattr(diagnosis_module, "train_diagnosis", capture)
    kg, out = tmp_path / "kg #1", tmp_path / "models: v2"
    result = _invoke("train", "--kg", kg, "-o", out, "--set", "train.epochs=1")
    assert isinstance(result.exception, _Captured), result.output
    config = result.exception.config
    assert (config.kg, config.output, config.train.epochs) == (str(kg), str(out), 1)


def test_records_without_their_own_id_are_named_line_n(trained: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "ids.jsonl"
    inputs.write_text(
        '{"id": "a", "text": "He took a phone by force."}\n'
        '{"text": "no id here"}\n'
        '{"id": 7, "text": "int id"}\n'
        "not json\n"
        '{"id": "b", "text": ""}\n'
        "\n"
        "[1, 2]\n"
        '{"id": null, "text": "a null id"}\n',
        encoding="utf-8",
    )
    result = _invoke("predict", trained, inputs, "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == ["a", "line-2", 7, "line-4", "b", "line-7", "line-8"]
    assert ["error" in r for r in records] == [False, False, False, True, True, True, False]
    assert records[5]["error"] == "line 7: expected a JSON object, got list"


def test_a_cjk_text_is_read_in_windows(trained: Path) -> None:
    predictor = TaskPredictor.load(trained)
    text = "被告人抢劫了手机。" * 10  # 90 ideographs, a token each, with no space
    windows = predictor.prepare(text)
    assert [p.input.text for _, p in windows] == ["被告人抢劫了手机。"] * 10
    (record,) = predictor.predict([text])
    assert f"read in {len(windows)} windows" in record["warnings"][0]


def test_a_window_the_encoder_cannot_read_whole_is_warned_about(
    trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    predictor = TaskPredictor.load(trained)
    text = "The owner was at home. " * 6
    monkeypatch.setattr(tasks_module, "sentence_windows", lambda t, count, budget: [(0, len(t))])
    ((_, prepared),) = predictor.prepare(text)
    (warning,) = prepared.warnings
    assert warning.startswith(f"characters 0-{len(text)} of the text make ")
    assert "more than the 14 the model reads at once" in warning
    (record,) = predictor.predict([text])
    assert warning in record["warnings"]


def test_predict_help_says_scores_are_the_classifiers(legal_task_env: LegalTaskEnv) -> None:
    result = _invoke("predict", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert 'each span has its own "score"' in text
    assert '"line-N"' in text


def test_a_stopped_predict_run_goes_on_with_resume(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "texts.jsonl"
    inputs.write_text(
        '{"id": "a", "text": "He took a phone by force."}\n'
        '{"text": "no id here"}\n'
        "not json\n"
        '{"id": 7, "text": "He sold the stolen goods."}\n'
        '{"id": "b", "text": "She forged a signature."}\n',
        encoding="utf-8",
    )
    whole = tmp_path / "whole.jsonl"
    assert _invoke("predict", trained, inputs, "-o", whole, "--batch-size", 1).exit_code == 0
    real = TaskPredictor._predict_texts
    texts: list[str] = []

    def predict_texts(self: TaskPredictor, chunk: list[Any], batch_size: int) -> Any:
        if len(texts) == 2 and stop:
            raise KeyboardInterrupt
        texts.extend(p.input.text for windows in chunk for _, p in windows)
        return real(self, chunk, batch_size)

    monkeypatch.setattr(TaskPredictor, "_predict_texts", predict_texts)
    out = tmp_path / "out.jsonl"
    stop = True
    stopped = _invoke("predict", trained, inputs, "-o", out, "--batch-size", 1)
    assert stopped.exit_code == 130, stopped.output
    assert "--resume goes on from them" in stopped.output
    kept = out.with_name("out.jsonl.partial").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in kept] == ["a", "line-2", "line-3"]
    stop, texts[:] = False, []
    # another batch size moves the scores: a resume that mixed two is refused
    other = _invoke("predict", trained, inputs, "-o", out, "--batch-size", 8, "--resume")
    assert other.exit_code == 2 and "--batch-size" in " ".join(other.output.split()), other.output
    resumed = _invoke("predict", trained, inputs, "-o", out, "--batch-size", 1, "--resume")
    assert resumed.exit_code == 0, resumed.output
    # only the records after those kept are read (a text may be read in several windows)
    assert not any("phone" in t or "no id" in t for t in texts)
    assert any("sold" in t for t in texts) and any("forged" in t for t in texts)
    assert out.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")
