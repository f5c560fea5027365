"""Task data set-ups that used to train silently or fail vaguely: one label set for every
text, CSV headers that name no known column or both label columns, labels that differ only
in case, unpaired surrogate escapes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from train.task_data import TaskDataError, load_task_data, read_task_file

TEXT, TOKENS = "text-classification", "token-classification"


def _jsonl(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_multi_label_data_with_one_label_set_is_refused(tmp_path: Path) -> None:
    same = _jsonl(
        tmp_path / "same.jsonl",
        *(json.dumps({"text": f"text {i}", "labels": ["theft"]}) for i in range(3)),
    )
    with pytest.raises(TaskDataError, match=r"same\.jsonl: every text has the same labels"):
        load_task_data(TEXT, same)
    both = _jsonl(
        tmp_path / "both.jsonl",
        *(json.dumps({"text": f"text {i}", "labels": ["b", "a"]}) for i in range(3)),
    )
    with pytest.raises(TaskDataError, match=r"same labels \('a', 'b'\)"):
        load_task_data(TEXT, both)
    # one label, on some texts and not on others: a detector, which is fine
    detector = _jsonl(
        tmp_path / "detector.jsonl",
        json.dumps({"text": "He stole it.", "labels": ["theft"]}),
        json.dumps({"text": "A quiet day.", "labels": []}),
    )
    assert load_task_data(TEXT, detector).labels == ["theft"]


def test_a_csv_with_label_and_labels_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    path.write_text("text,label,labels\nHe took it.,theft,theft|robbery\nShe hit him.,assault,\n")
    with pytest.raises(TaskDataError, match=r"both\.csv:1: .*both a 'label' and a 'labels'"):
        read_task_file(path, TEXT)


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [
        ("Text,Label", "He took it.,theft", "rename 'Text' to 'text', 'Label' to 'label'"),
        ("text, label", "He took it.,theft", "rename ' label' to 'label'"),
        ("text;label", "He took it.;theft", "one column holding semicolons"),
        ("text\tlabel", "He took it.\ttheft", "one column holding tabs"),
        ("sentence,category", "He took it.,theft", "columns found: 'sentence', 'category'"),
    ],
)
def test_an_unknown_csv_header_shows_its_columns_and_the_one_meant(
    tmp_path: Path, header: str, body: str, expected: str
) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"{header}\n{body}\n", encoding="utf-8")
    with pytest.raises(TaskDataError) as err:
        read_task_file(path, TEXT)
    message = str(err.value)
    assert message.startswith(f"{path}:1: the CSV header needs a 'text' column")
    assert "columns found: " in message and expected in message


def test_labels_that_differ_only_in_case_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _jsonl(
        tmp_path / "case.jsonl",
        json.dumps({"text": "He took it.", "label": "theft"}),
        json.dumps({"text": "She took it.", "label": "Theft"}),
        json.dumps({"text": "He hit him.", "label": "assault"}),
    )
    with caplog.at_level(logging.WARNING, logger="train.task_data"):
        data = load_task_data(TEXT, path)
    assert data.labels == ["Theft", "assault", "theft"]  # still what the file says
    (record,) = [r for r in caplog.records if "differ only in case" in r.getMessage()]
    assert "'Theft' and 'theft'" in record.getMessage() and "case.jsonl" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="train.task_data"):
        load_task_data(
            TEXT,
            _jsonl(
                tmp_path / "fine.jsonl",
                json.dumps({"text": "He took it.", "label": "theft"}),
                json.dumps({"text": "He hit him.", "label": "assault"}),
            ),
        )
    assert not caplog.records


@pytest.mark.parametrize(
    ("task", "line", "field"),
    [
        (TEXT, r'{"text": "x \ud800 y", "label": "a"}', "'text'"),
        (TEXT, r'{"text": "x", "label": "a\udc00"}', "'label'"),
        (TEXT, r'{"text": "x", "labels": ["a", "\ud800"]}', "a label in 'labels'"),
        (TEXT, r'{"id": "\ud800", "text": "x", "label": "a"}', "'id'"),
        (
            TOKENS,
            r'{"text": "theft", "spans": [{"start": 0, "end": 5, "label": "\ud800"}]}',
            "span 1's label",
        ),
    ],
)
def test_an_unpaired_surrogate_escape_is_refused_by_file_line_and_field(
    tmp_path: Path, task: str, line: str, field: str
) -> None:
    good = (
        '{"text": "fine", "label": "b"}'
        if task == TEXT
        else '{"text": "fine", "spans": [{"start": 0, "end": 4, "label": "o"}]}'
    )
    path = _jsonl(tmp_path / "s.jsonl", good, line)
    with pytest.raises(TaskDataError) as err:
        read_task_file(path, task)
    assert str(err.value).startswith(f"{path}:2: {field} is not valid Unicode")
    assert "U+D" in str(err.value)
