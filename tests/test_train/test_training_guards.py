"""Training refuses settings that are no numbers, a run that diverges, an output folder that
is the text encoder's, and a CSV whose stray quote would merge rows."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from train.checkpoint import check_output_folder
from train.config import load_config
from train.loop import LinearSchedule, _fresh_state, _Run
from train.task_data import TaskDataError, load_task_data


@pytest.mark.parametrize("value", ["inf", ".inf", "1e400", "nan"])
def test_settings_that_are_no_finite_number_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="lr"):
        load_config(None, [f"train.lr={value}"])


def test_a_loss_that_is_not_finite_stops_the_run_naming_the_step_and_rates() -> None:
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, LinearSchedule(0, 10))
    settings = load_config(None, []).train
    run = _Run(
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        settings=settings,
        checkpoint=Path("unused"),
        skip=set(),
        distributed=None,
        total_steps=10,
        started=0.0,
        state=_fresh_state(None),
        best_weights={},
    )
    before = [p.detach().clone() for p in model.parameters()]

    def diverged(**batch: torch.Tensor) -> SimpleNamespace:
        return SimpleNamespace(loss=model(batch["x"]).sum() * math.inf)

    expected = r"loss is -?(inf|nan) at step 1: the run diverged \(learning rates 0.5\)"
    with pytest.raises(FloatingPointError, match=expected):
        run.step(diverged, {"x": torch.ones(1, 2)}, bf16=False)  # type: ignore[arg-type]
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_the_text_encoders_folder_is_no_output(tmp_path: Path) -> None:
    encoder = tmp_path / "encoder"
    encoder.mkdir()
    with pytest.raises(ValueError, match="is the text encoder's folder"):
        check_output_folder(encoder, encoder=encoder)
    check_output_folder(tmp_path / "model", encoder=encoder)


def test_a_stray_quote_in_a_csv_is_an_error_not_merged_rows(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text(
        'text,label\n"Stop, he said,theft\nbye,y\nHe said "no",z\nmore,w\n', encoding="utf-8"
    )
    with pytest.raises(TaskDataError, match="train.csv"):
        load_task_data("text-classification", data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train:\n  lr: 0.1\n  lr: 0.2\n", r"cfg.yaml:3: not valid YAML \(the key 'lr' is given"),
        ("train:\n  lr: 0.1\ntrain:\n  epochs: 3\n", r"cfg.yaml:3: .*'train' is given twice"),
        ("output: 2024-01-01\n", r"cfg.yaml: .*date.* quoted string"),
        # nested aliases expand a few hundred bytes to billions of values
        (
            "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: [*b, *b, *b, *b, *b, *b, *b, *b]\n",
            r"cfg.yaml:2: not valid YAML \(an alias \(\*a\) repeats a value",
        ),
    ],
)
def test_a_config_file_with_a_key_twice_or_a_date_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_config(path)


def test_a_data_file_named_by_another_path_resumes_and_other_bytes_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from train.config import TaskConfig, run_fingerprint

    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def fingerprint(path: str) -> str:
        config = load_config(None, [f"data={path}", "task=text-classification"], TaskConfig)
        return run_fingerprint(config.resume_fingerprint(), "kg", config.data, config.valid)

    assert fingerprint("train.jsonl") == fingerprint(str(data))  # relative, then absolute
    copy = tmp_path / "copy.jsonl"
    copy.write_text(data.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fingerprint(str(copy)) != fingerprint(str(data))  # other bytes: another run
