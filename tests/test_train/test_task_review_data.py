"""Review fixes of task data reading: CSV line numbers after blank lines, a byte-order mark
on a blank first line, a .json file holding one array, labels separated by ',' in a CSV,
span offsets counted in UTF-16 code units."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from train.task_data import TaskDataError, load_task_data, read_task_file

TC = "text-classification"


def test_csv_rows_after_blank_lines_name_their_own_line(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("text,label\nfoo,a\n\n\nbaz,b\n", encoding="utf-8")
    assert [(ex.text, ex.line, ex.id) for ex in read_task_file(path, TC)] == [
        ("foo", 2, "blank.csv:2"),
        ("baz", 5, "blank.csv:5"),
    ]
    path.write_text('text,label\nfoo,a\n\n"two\nlines",b\n\nbar,\n', encoding="utf-8")
    with pytest.raises(TaskDataError) as err:
        read_task_file(path, TC)
    assert err.value.line == 7 and str(err.value).startswith(f"{path}:7: needs 'label'")


def test_a_byte_order_mark_on_a_blank_first_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf\n{"text": "x", "label": "a"}\n\n{"text": "y", "label": "b"}\n')
    data = load_task_data(TC, path)
    assert [(ex.text, ex.line) for ex in data.train] == [("x", 2), ("y", 4)]


def test_a_json_file_may_hold_one_array_of_records(tmp_path: Path) -> None:
    records = [{"text": "x", "label": "a"}, {"text": "y", "label": "b"}]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records, indent=2), encoding="utf-8")
    data = load_task_data(TC, path)
    assert [(ex.text, ex.label, ex.line) for ex in data.train] == [("x", "a", 2), ("y", "b", 6)]
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(records).encode())  # one line, with a BOM
    assert [ex.line for ex in read_task_file(path, TC)] == [1, 1]
    # an error names the line of the record in the array
    path.write_text('[\n {"text": "x", "label": "a"},\n {"text": ""}\n]\n', encoding="utf-8")
    with pytest.raises(TaskDataError, match=r"records\.json:3: empty text"):
        read_task_file(path, TC)
    path.write_text('[\n {"text": "x", "label": "a"},\n {"text": }\n]\n', encoding="utf-8")
    with pytest.raises(TaskDataError, match=r"records\.json:3: not valid JSON"):
        read_task_file(path, TC)


def test_a_pretty_printed_json_object_is_refused_with_the_forms_a_json_file_takes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"text": "x", "label": "a"}, indent=1), encoding="utf-8")
    with pytest.raises(TaskDataError) as err:
        read_task_file(path, TC)
    assert "one JSON array of records" in str(err.value) and "JSON Lines" in str(err.value)
    # JSON Lines in a .json file still reads, and its errors say what a .json file holds
    path.write_text('{"text": "x", "label": "a"}\n{"text": "y", "label": "b"}\n', "utf-8")
    assert [ex.line for ex in read_task_file(path, TC)] == [1, 2]
    path.write_text('{"text": "x", "label": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(TaskDataError, match=r"one\.json:2: not valid JSON.*one JSON array"):
        read_task_file(path, TC)


def test_labels_separated_by_commas_in_a_csv_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('text,labels\nfoo,"a,b"\nbar,a\nbaz,a|b\nqux,c;d\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="train.task_data"):
        data = load_task_data(TC, path)
    assert data.labels == ["a", "a,b", "b", "c;d"]  # read as written
    (warning,) = [r.getMessage() for r in caplog.records if "'labels' cell" in r.getMessage()]
    assert "2 'labels' cell(s) hold ',' or ';' but no '|'" in warning
    assert "line 2: 'a,b'" in warning and "theft|burglary" in warning


def test_span_offsets_counted_in_utf16_units_get_a_hint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Victim \U0001f600 reported that the theft happened at night."

    def utf16(i: int) -> int:
        return len(text[:i].encode("utf-16-le")) // 2

    start = text.index("theft")
    end = start + len("theft")
    path = tmp_path / "utf16.jsonl"
    records = [
        {"text": text, "spans": [{"start": utf16(start), "end": utf16(end), "label": "x"}]},
        {"text": text, "spans": [{"start": start, "end": end, "label": "x"}]},  # code points
        {"text": "no emoji: the theft", "spans": [{"start": 15, "end": 19, "label": "x"}]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="train.task_data"):
        load_task_data("token-classification", path)
    (warning,) = [r.getMessage() for r in caplog.records if "UTF-16" in r.getMessage()]
    assert "1 span(s) start or end inside a word" in warning
    assert "line 1: 28-33 is 'heft ', 'theft' in UTF-16 units" in warning
    assert "Unicode code points" in warning
