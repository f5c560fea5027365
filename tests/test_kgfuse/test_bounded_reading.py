"""Input files are read without holding a huge line or document in memory."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import kg.bounded_read as bounded_read
from kg.bounded_read import LineTooLongError, bounded_lines, read_document
from kgfuse.diagnosis import RecordError, read_jsonl, read_records


def test_bounded_lines_stands_a_long_line_in_and_keeps_the_numbering() -> None:
    data = b'{"id": "a"}\n' + b"x" * 50 + b"\n" + b'{"id": "b"}\n' + b"y" * 30
    items = list(bounded_lines(io.BytesIO(data), max_bytes=20))
    assert items[0] == b'{"id": "a"}\n' and items[2] == b'{"id": "b"}\n'
    assert isinstance(items[1], LineTooLongError) and items[1].size == 50
    assert len(items[1].head) == 21  # the limit and one more byte, never the whole line
    assert isinstance(items[3], LineTooLongError) and items[3].size == 30  # no newline at end
    assert len(items) == 4


def test_a_jsonl_line_over_the_limit_is_one_error_and_the_next_lines_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounded_read, "MAX_LINE_BYTES", 1_000)
    path = tmp_path / "in.jsonl"
    huge = json.dumps({"id": "big", "text": "fever " * 1_000})
    path.write_text(f'{{"id": "p1"}}\n{huge}\n{{"id": "p2"}}\n', encoding="utf-8")
    for read in (read_jsonl, read_records):
        got = list(read(path))
        assert [n for n, _ in got] == [1, 2, 3]
        assert got[0][1] == {"id": "p1"} and got[2][1] == {"id": "p2"}
        assert isinstance(got[1][1], RecordError)
        assert f"line 2 is too long: {len(huge):,} bytes" in str(got[1][1])


def test_a_json_document_over_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([{"id": str(n)} for n in range(200)]), encoding="utf-8")
    assert len(read_document(path)) == path.stat().st_size
    with pytest.raises(ValueError, match="too large: .* bytes, over the limit of 100 bytes"):
        read_document(path, max_bytes=100)
    monkeypatch.setattr(bounded_read, "MAX_DOCUMENT_BYTES", 100)
    got = list(read_records(path))
    assert len(got) == 1 and isinstance(got[0][1], RecordError)
    assert "cases.json is too large" in str(got[0][1])


@pytest.mark.parametrize(
    "first", ['{"id": "t0", "present_hpo": ["HP:00012', '["id", "present_hpo"]']
)
def test_json_lines_over_the_document_limit_with_a_broken_first_line_keep_their_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """A first line that opens a document but is broken, in a file too large to read as
    one: the file is still read line by line, the first line alone an error."""
    path = tmp_path / "cases.jsonl"
    rows = [json.dumps({"id": f"p{n}", "present_hpo": ["HP:0001250"]}) for n in range(20)]
    path.write_text("\n".join([first, *rows]) + "\n", encoding="utf-8")
    monkeypatch.setattr(bounded_read, "MAX_DOCUMENT_BYTES", 100)
    got = list(read_records(path))
    assert len(got) == 21
    # the broken line is its own error; the list, a value the record reader then refuses
    assert isinstance(got[0][1], RecordError if first.startswith("{") else list)
    assert [v["id"] for _, v in got[1:]] == [f"p{n}" for n in range(20)]


def test_a_pretty_printed_document_over_the_limit_is_still_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cases.jsonl"  # named as JSON lines, but one indented document
    path.write_text(json.dumps([{"id": str(n)} for n in range(30)], indent=2), encoding="utf-8")
    monkeypatch.setattr(bounded_read, "MAX_DOCUMENT_BYTES", 100)
    got = list(read_records(path))
    assert len(got) == 1 and "too large" in str(got[0][1])
