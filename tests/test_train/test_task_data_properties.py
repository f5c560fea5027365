"""Properties of the task data reader for any record (hypothesis): an example is read, or
refused with a :class:`TaskDataError` naming its file and line, never another exception; and
each valid example with one value replaced by any JSON value is the same. Whole files too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.json_values import JSON, json_paths, replaced
from train.task_data import TaskDataError, TaskExample, load_task_data, parse_example

TASKS = {
    "text-classification": [
        {"text": "He took the phone by force.", "label": "robbery"},
        {"text": "He took the phone.", "labels": ["theft", "robbery"]},
    ],
    "token-classification": [
        {"text": "He took the phone.", "spans": [{"start": 3, "end": 7, "label": "act"}]},
    ],
}
CASES = [(task, record) for task, records in TASKS.items() for record in records]
WHERE = Path("data.jsonl")
_PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read_or_refused(record: Any, task: str) -> None:
    try:
        example = parse_example(record, task, WHERE, 3)
    except TaskDataError as exc:
        assert str(exc).startswith("data.jsonl:3: ") and len(str(exc)) > len("data.jsonl:3: ")
    else:
        assert isinstance(example, TaskExample) and example.text.strip()


def test_the_valid_examples_are_read() -> None:
    for task, record in CASES:
        assert isinstance(parse_example(record, task, WHERE, 1), TaskExample)


@_PROPERTY
@given(st.sampled_from(sorted(TASKS)), JSON)
def test_any_json_value_is_read_or_refused_with_its_file_and_line(task: str, value: Any) -> None:
    _read_or_refused(value, task)


@_PROPERTY
@given(st.sampled_from(CASES), st.data(), JSON)
def test_a_valid_example_with_one_value_replaced_is_read_or_refused_by_place(
    case: tuple[str, dict[str, Any]], data: st.DataObject, new: Any
) -> None:
    task, record = case
    path = data.draw(st.sampled_from(json_paths(record)))
    _read_or_refused(replaced(record, path, new), task)


@_PROPERTY
@given(
    st.sampled_from(sorted(TASKS)),
    st.lists(st.one_of(JSON.map(json.dumps), st.text(max_size=30)), min_size=1, max_size=6),
)
def test_any_file_is_loaded_or_refused_with_its_file_and_line(
    tmp_path: Path, task: str, lines: list[str]
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(line.replace("\n", " ") for line in lines) + "\n", encoding="utf-8")
    try:
        data = load_task_data(task, path)
    except TaskDataError as exc:
        assert str(exc).startswith(f"{path}:") or str(path) in str(exc)
    else:
        assert data.train and data.labels


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00", b'{"text": "a\\ud800", "label": "x"}\n'])
def test_bytes_that_are_no_text_are_refused_by_place(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(raw)
    with pytest.raises(TaskDataError, match=r"train\.jsonl"):
        load_task_data("text-classification", path)
