"""``kgfuse train --task ... --nproc N`` checks its inputs before torchrun starts: a bad
one is one error line (exit 2) and no process is launched. The launcher is replaced by one
that fails the test (or, for good inputs, records its arguments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kg.store import build_kg
from kgfuse.cli import app
from tests.legal_task_env import write_jsonl

EXAMPLES = Path(__file__).resolve().parents[2] / "kgfuse" / "examples"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TRAIN = EXAMPLES / "legal_train.jsonl"
VALID = EXAMPLES / "legal_valid.jsonl"


@pytest.fixture(scope="module")
def legal_kg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The legal KG (no encoder, no index: nothing is trained here)."""
    folder = tmp_path_factory.mktemp("legal_kg") / "kg"
    build_kg([FIXTURES / "legal" / "legal.ttl"], folder, progress=False)
    return folder


@pytest.fixture
def no_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    import train.distributed

    def launch(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("torchrun was started")

    monkeypatch.setattr(train.distributed, "launch", launch)


def _train(*args: Any) -> Any:
    command = ["train", "--nproc", "2", "-q", *args]
    return CliRunner().invoke(app, [str(a) for a in command], env={"COLUMNS": "250"})


def _one_error(result: Any, *words: str) -> None:
    """Exit 2 with one error line naming ``words``, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for word in words:
        assert word in lines[0], (word, result.output)


def _task(task: str, data: Path, home: Path, *extra: Any) -> Any:
    return _train("--task", task, "--data", data, "--home", home, *extra)


@pytest.mark.usefixtures("no_launch")
def test_a_missing_data_file_is_refused_before_torchrun(tmp_path: Path, legal_kg: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = _task("text-classification", missing, tmp_path, "--kg", legal_kg)
    _one_error(result, "data file not found", "nope.jsonl")


@pytest.mark.usefixtures("no_launch")
def test_a_missing_validation_file_is_refused_before_torchrun(
    tmp_path: Path, legal_kg: Path
) -> None:
    args = ["--kg", legal_kg, "--valid", tmp_path / "gone.jsonl"]
    _one_error(_task("text-classification", TRAIN, tmp_path, *args), "gone.jsonl")


@pytest.mark.usefixtures("no_launch")
def test_a_data_file_that_does_not_parse_names_its_line(tmp_path: Path, legal_kg: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "x"}\n{"text": \n', encoding="utf-8")
    _one_error(_task("text-classification", bad, tmp_path, "--kg", legal_kg), "bad.jsonl:2")


@pytest.mark.usefixtures("no_launch")
def test_data_the_task_refuses_is_refused_before_torchrun(tmp_path: Path, legal_kg: Path) -> None:
    one_label = write_jsonl(
        tmp_path / "one.jsonl", [{"text": "a", "label": "x"}, {"text": "b", "label": "x"}]
    )
    result = _task("text-classification", one_label, tmp_path, "--kg", legal_kg)
    _one_error(result, "one.jsonl", "only one label")


@pytest.mark.usefixtures("no_launch")
def test_a_validation_label_the_training_data_lacks_is_refused(
    tmp_path: Path, legal_kg: Path
) -> None:
    valid = write_jsonl(tmp_path / "valid.jsonl", [{"text": "a", "label": "arson"}])
    result = _task("text-classification", TRAIN, tmp_path, "--kg", legal_kg, "--valid", valid)
    _one_error(result, "valid.jsonl:1", "'arson'")


@pytest.mark.usefixtures("no_launch")
def test_a_missing_kg_is_refused_before_torchrun(tmp_path: Path) -> None:
    result = _task("text-classification", TRAIN, tmp_path / "empty")
    _one_error(result, "no knowledge graph")


@pytest.mark.usefixtures("no_launch")
def test_a_missing_text_encoder_is_refused_before_torchrun(tmp_path: Path, legal_kg: Path) -> None:
    args = ["--kg", legal_kg, "--set", f"model.encoder={tmp_path / 'no-encoder'}"]
    result = _task("text-classification", TRAIN, tmp_path, *args)
    _one_error(result, "text encoder folder not found", "no-encoder")


@pytest.mark.usefixtures("no_launch")
def test_a_batch_the_processes_cannot_share_is_refused(tmp_path: Path, legal_kg: Path) -> None:
    args = ["--kg", legal_kg, "--set", "train.batch_size=7"]
    _one_error(_task("text-classification", TRAIN, tmp_path, *args), "train.batch_size=7")


@pytest.mark.usefixtures("no_launch")
def test_token_classification_on_a_model_that_reads_no_text_is_refused(
    tmp_path: Path, legal_kg: Path
) -> None:
    spans = write_jsonl(
        tmp_path / "spans.jsonl",
        [{"text": "theft", "spans": [{"start": 0, "end": 5, "label": "offence"}]}],
    )
    args = ["--kg", legal_kg, "--set", "model.fusion=kg_only"]
    _one_error(_task("token-classification", spans, tmp_path, *args), "kg_only")


@pytest.mark.usefixtures("no_launch")
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--task", "summarise", "--data", TRAIN], ("unknown task", "summarise")),
        (["--data", TRAIN], ("--data and --valid go with --task",)),
        (["--task", "text-classification"], ("needs --data",)),
        (
            ["--task", "text-classification", "--data", TRAIN, "--dev-cases", TRAIN],
            ("--dev-cases",),
        ),
        (["--task", "text-classification", "--data", TRAIN, "--set", "nope=1"], ("nope",)),
    ],
)
def test_bad_options_of_a_task_are_refused_before_torchrun(
    tmp_path: Path, args: list[Any], words: tuple[str, ...]
) -> None:
    result = _train("--home", tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output, result.output
    for word in words:
        assert word in " ".join(result.output.split()), (word, result.output)


def test_good_inputs_launch_once_with_absolute_paths(
    tmp_path: Path, legal_kg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import train.distributed

    calls: list[tuple[int, str, list[str]]] = []

    def launch(nproc: int, module: str, args: list[str]) -> int:
        calls.append((nproc, module, list(args)))
        return 0

    monkeypatch.setattr(train.distributed, "launch", launch)
    result = _task("text-classification", TRAIN, tmp_path, "--kg", legal_kg, "--valid", VALID)
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    nproc, module, args = calls[0]
    assert (nproc, module) == (2, "kgfuse.cli")
    assert args[:3] == ["train", "--task", "text-classification"]
    assert args[args.index("--data") + 1] == str(TRAIN.resolve())
    assert args[args.index("--valid") + 1] == str(VALID.resolve())
