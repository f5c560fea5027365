"""What mutation testing of train/task_data.py showed unchecked: where the errors of .json
and CSV files point (file and line), CSV rows that are blank, too long or hold an id, a
CSV file with no header at all, quoted cells read as written, the ',' / ';' warning only
where it applies, the 'spans' cell, span records that are not lists or objects, and the
UTF-16 hint (which characters are two units, spans on word boundaries, at the ends of a
text or inside an astral character)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from train.task_data import (
    MAX_TEXT_CHARS,
    TaskDataError,
    TaskExample,
    load_task_data,
    read_task_file,
)

TEXT, TOKENS = "text-classification", "token-classification"


def _error(path: Path, task: str = TEXT) -> TaskDataError:
    with pytest.raises(TaskDataError) as err:
        read_task_file(path, task)
    return err.value


# ---------------------------------------------------------------------- .json files
def test_a_json_array_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'[\n {"text": "ok", "label": "a"},\n {"text": "caf\xe9", "label": "b"}\n]\n')
    err = _error(path)
    assert err.line == 3 and str(err) == f"{path}:3: not valid UTF-8"


def test_a_json_array_after_blank_lines_is_read_with_the_lines_of_its_records(
    tmp_path: Path,
) -> None:
    path = tmp_path / "late.json"
    path.write_text('\n\n  [\n {"text": "x", "label": "a"},\n {"text": "y", "label": "b"}\n]\n')
    assert [(ex.text, ex.line) for ex in read_task_file(path, TEXT)] == [("x", 4), ("y", 5)]


def test_a_pretty_printed_object_is_named_by_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"text": "x", "label": "a"}, indent=1))
    err = _error(path)
    assert err.line == 1
    assert str(err).startswith(f"{path}:1: one JSON object written over several lines: ")


# ---------------------------------------------------------------------- CSV files
def test_a_stray_quote_in_a_csv_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('text,label\nok,a\n"bad"x,b\n')
    err = _error(path)
    assert err.line == 3 and str(err).startswith(f"{path}:3: not valid CSV (")


def test_an_empty_csv_says_it_has_no_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("\n\n")
    err = _error(path)
    assert err.line == 1
    assert str(err).startswith(f"{path}:1: the CSV header needs a 'text' column")
    assert "(columns found: none)" in str(err)


def test_a_row_with_more_fields_than_the_header_is_named(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("text,label\nok,a\nHe took it.,theft,extra\n")
    err = _error(path)
    assert err.line == 3 and str(err) == f"{path}:3: more fields than the header names"


def test_rows_of_blank_cells_are_skipped_and_the_rows_after_them_read(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("text,label\nfoo,a\n, \nbar,b\n")
    assert [(ex.text, ex.line) for ex in read_task_file(path, TEXT)] == [("foo", 2), ("bar", 4)]


def test_every_missing_and_twice_named_column_is_named(tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    short.write_text("text,label,id\nHe took it.\n")
    assert str(_error(short)) == f"{short}:2: fewer fields than the header names (no label, id)"
    twice = tmp_path / "twice.csv"
    twice.write_text("text,text,label,label\na,b,c,d\n")
    assert str(_error(twice)) == f"{twice}:1: the CSV header names label, text twice"


def test_a_csv_id_column_names_the_records(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id,text,label\n7,He took it.,theft\n,She hit him.,assault\n")
    assert [ex.id for ex in read_task_file(path, TEXT)] == ["7", "ids.csv:3"]


def test_a_quoted_cell_keeps_its_line_breaks_as_written(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(b'text,label\r\n"two\r\nlines",a\r\nnext,b\r\n')
    examples = read_task_file(path, TEXT)
    assert [(ex.text, ex.line) for ex in examples] == [("two\r\nlines", 2), ("next", 4)]


def test_the_separator_warning_only_for_cells_with_a_comma_or_semicolon(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("text,labels\nfoo,a\nbar,b\nbaz,a|b\n")
    with caplog.at_level(logging.WARNING, logger="train.task_data"):
        assert [ex.labels for ex in read_task_file(plain, TEXT)] == [("a",), ("b",), ("a", "b")]
    assert not caplog.records
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text("text,labels\nfoo,c;d\n")
    with caplog.at_level(logging.WARNING, logger="train.task_data"):
        read_task_file(semicolons, TEXT)
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith(f"{semicolons}: 1 'labels' cell(s) hold ',' or ';' but no '|'")
    assert "line 2: 'c;d'" in warning and "separate several labels with '|'" in warning


def test_the_spans_cell_of_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "spans.csv"
    path.write_text(
        'text,spans\nnothing here,\na crime,"[{""start"": 2, ""end"": 7, ""label"": ""o""}]"\n'
    )
    examples = read_task_file(path, TOKENS)
    assert examples[0].spans == ()  # an empty cell: no span
    assert [(s.start, s.end, s.label) for s in examples[1].spans or ()] == [(2, 7, "o")]
    bad = tmp_path / "bad.csv"
    bad.write_text('text,spans\na crime,[]\na crime,"[{start: 2}]"\n')
    err = _error(bad, TOKENS)
    assert err.line == 3 and str(err).startswith(f"{bad}:3: the 'spans' cell is not valid JSON (")


def test_a_one_column_header_holding_bars_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text("text|label\nHe took it.|theft\n")
    assert "the header is one column holding bars" in str(_error(path))


# ---------------------------------------------------------------------- spans
@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ("not a list", "'spans' must be a list of {start, end, label} objects"),
        (["x"], "span 1 must be an object with start, end, label"),
        ([{"start": "0", "end": 2, "label": "o"}], "span 1: start and end must be integers"),
    ],
)
def test_spans_that_are_not_span_objects_are_named_by_file_and_line(
    tmp_path: Path, spans: object, message: str
) -> None:
    path = tmp_path / "s.jsonl"
    records = [
        {"text": "fine", "spans": [{"start": 0, "end": 4, "label": "o"}]},
        {"text": "theft", "spans": spans},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    err = _error(path, TOKENS)
    assert err.line == 2 and str(err) == f"{path}:2: {message}"


# ---------------------------------------------------------------------- the UTF-16 hint
def _utf16_hints(path: Path, caplog: pytest.LogCaptureFixture, *records: dict) -> list[str]:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="train.task_data"):
        read_task_file(path, TOKENS)
    return [r.getMessage() for r in caplog.records if "UTF-16" in r.getMessage()]


def _span(start: int, end: int) -> dict:
    return {"start": start, "end": end, "label": "x"}


def test_u_ffff_is_one_utf16_unit_and_u_10000_two(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "\uffff\U00010000 the theft at night"  # 'theft' is 7-12, 8-13 in UTF-16 units
    # the first span is right (on word boundaries), the second counted in UTF-16 units
    (hint,) = _utf16_hints(
        tmp_path / "u.jsonl", caplog, {"text": text, "spans": [_span(3, 6), _span(8, 13)]}
    )
    assert hint.startswith(f"{tmp_path / 'u.jsonl'}: 1 span(s) start or end inside a word")
    assert "line 1: 8-13 is 'heft ', 'theft' in UTF-16 units" in hint


def test_the_hint_at_the_ends_of_a_text(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = "ab\U0001f600\U0001f600 cd efg"  # 'ab.. cd' is 0-9 in UTF-16 units, 0-7 in code points
    first = {"text": text, "spans": [_span(0, 9)]}
    last = {"text": "theft \U0001f600 night", "spans": [_span(8, 13)]}  # right, to the end
    (hint,) = _utf16_hints(tmp_path / "ends.jsonl", caplog, first, last)
    assert "line 1: 0-9 is 'ab\U0001f600\U0001f600 cd e'" in hint and "1 span(s)" in hint


def test_no_hint_for_spans_inside_words_in_both_readings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records = [
        {"text": "ab\U0001f600c de", "spans": [_span(1, 6)]},  # 'b.c d'; 'b.c ' in units
        {"text": "\U0001f600 theft", "spans": [_span(3, 5)]},  # 'he'; 'th' in units
    ]
    assert _utf16_hints(tmp_path / "inside.jsonl", caplog, *records) == []


def test_spans_ending_inside_an_astral_character_get_no_hint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # code point 3 falls between the two UTF-16 units of the second emoji: no UTF-16 reading
    text = "\U0001f600\U0001f600abc de"
    assert (
        _utf16_hints(tmp_path / "astral.jsonl", caplog, {"text": text, "spans": [_span(0, 3)]})
        == []
    )


def test_the_hint_comes_after_spans_that_need_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "the theft \U0001f600 at night again"  # 'night' is 15-20, 16-21 in UTF-16 units
    spans = [_span(5, 8), _span(16, 21)]  # 'hef' (the same in both readings), then 'ight '
    (hint,) = _utf16_hints(tmp_path / "after.jsonl", caplog, {"text": text, "spans": spans})
    assert "line 1: 16-21 is 'ight ', 'night' in UTF-16 units" in hint


def test_a_csv_with_old_mac_line_ends_is_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b"text,label\rfoo,a\rbar,b\r")
    assert [(ex.text, ex.line) for ex in read_task_file(path, TEXT)] == [("foo", 2), ("bar", 3)]


# ---------------------------------------------------------------------- records
def test_an_error_keeps_its_reason_apart_from_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"text": "x", "label": "a"}\nnot json\n')
    err = _error(path)
    assert (err.path, err.line, err.reason) == (str(path), 2, "not valid JSON (Expecting value)")
    assert str(err) == f"{path}:2: not valid JSON (Expecting value)"  # no hint for .jsonl


def test_an_example_without_a_label_names_none() -> None:
    assert TaskExample("x").label_names() == ()
    assert TaskExample("x", label="a").label_names() == ("a",)


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (True, "'label' must be a string, got true"),
        (1.5, "'label' must be a string, got 1.5"),
        (["a"], "'label' must be a string, got [\"a\"]"),
        (None, "'label' must be a string, got null"),
        ("  ", "'label' is empty"),
    ],
)
def test_labels_that_are_not_strings_are_refused_by_file_and_line(
    tmp_path: Path, label: object, message: str
) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(
        json.dumps({"text": "ok", "label": "a"})
        + "\n"
        + json.dumps({"text": "x", "label": label})
        + "\n"
    )
    assert str(_error(path)) == f"{path}:2: {message}"


def test_whole_number_labels_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text(json.dumps({"text": "x", "label": 3}) + "\n")
    assert read_task_file(path, TEXT)[0].label == "3"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([1], "expected a JSON object, got list"),
        ({"label": "a"}, "missing 'text'"),
        ({"text": 1, "label": "a"}, "'text' must be a string"),
        ({"text": "theft"}, "missing 'spans'"),  # no hint: it has no label either
        (
            {"text": "theft", "label": "a"},
            "missing 'spans' (for labels of whole texts use --task text-classification)",
        ),
        (
            {"text": "theft", "spans": [], "label": "a"},
            "a token-classification record has only 'spans'",
        ),
        (
            {"text": "theft", "spans": [], "labels": ["a"]},
            "a token-classification record has only 'spans'",
        ),
        ({"text": "theft", "spans": [_span(3, 3)]}, "span 1 is empty (start 3 >= end 3)"),
        ({"text": "theft", "spans": [_span(2, 9)]}, "span 1 (2-9) is outside the text (length 5)"),
        ({"text": "a   b", "spans": [_span(1, 2)]}, "span 1 (1-2) is white space"),
        (
            {"text": "theft", "spans": [_span(0, 3), _span(2, 5)]},
            "spans 1 and 2 overlap (0-3 'the' and 2-5 'eft'); spans must not overlap",
        ),
    ],
)
def test_token_records_that_do_not_fit_are_named_by_file_and_line(
    tmp_path: Path, record: object, message: str
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        json.dumps({"text": "ok", "spans": [_span(0, 2)]}) + "\n" + json.dumps(record) + "\n"
    )
    assert str(_error(path, TOKENS)) == f"{path}:2: {message}"


def test_spans_may_touch_and_lose_white_space_after_the_second_character(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    record = {"text": "burglary/theft ab   cd", "spans": [_span(0, 8), _span(8, 14), _span(17, 22)]}
    path.write_text(json.dumps(record) + "\n")
    (example,) = read_task_file(path, TOKENS)
    assert [(s.start, s.end) for s in example.spans or ()] == [(0, 8), (8, 14), (20, 22)]


def test_a_text_of_the_longest_length_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"text": "x" * MAX_TEXT_CHARS, "label": "a"}) + "\n")
    assert len(read_task_file(path, TEXT)[0].text) == MAX_TEXT_CHARS


def test_training_data_errors_name_the_file_and_the_data_its_task(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"text": "x", "label": "a"}) + "\n")
    assert str(_load_error(one)).startswith(f"{one}: only one label ('a') in the training data")
    no_spans = tmp_path / "nospans.jsonl"
    no_spans.write_text(json.dumps({"text": "x", "spans": []}) + "\n")
    assert (
        str(_load_error(no_spans, TOKENS)) == f"{no_spans}: no 'spans' label in the training data"
    )
    two = tmp_path / "two.jsonl"
    two.write_text("".join(json.dumps({"text": t, "label": t}) + "\n" for t in "ab"))
    data = load_task_data(TEXT, two)
    assert (data.task, data.kind, data.labels, data.valid) == (TEXT, "single", ["a", "b"], [])


def _load_error(path: Path, task: str = TEXT) -> TaskDataError:
    with pytest.raises(TaskDataError) as err:
        load_task_data(task, path)
    return err.value


def test_span_and_multi_label_records_keep_their_ids_and_texts(tmp_path: Path) -> None:
    spans = tmp_path / "s.jsonl"
    spans.write_text(
        json.dumps({"id": "r1", "text": "theft", "spans": [_span(0, 5)]})
        + "\n"
        + json.dumps({"text": "theft", "spans": []})
        + "\n"
    )
    assert [ex.id for ex in read_task_file(spans, TOKENS)] == ["r1", "s.jsonl:2"]
    multi = tmp_path / "m.jsonl"
    multi.write_text(
        json.dumps({"id": "r1", "text": "Entry.", "labels": ["a"]})
        + "\n"
        + json.dumps({"text": "Theft.", "labels": []})
        + "\n"
    )
    examples = read_task_file(multi, TEXT)
    assert [(ex.id, ex.text) for ex in examples] == [("r1", "Entry."), ("m.jsonl:2", "Theft.")]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"text": "x", "spans": [_span(0, 1)]},
            "has 'spans' but no label (for spans use --task token-classification)",
        ),
        ({"text": "x", "label": "a", "labels": ["a"]}, "give either 'label' or 'labels', not both"),
        ({"text": "x", "labels": "a|b"}, "'labels' must be a list of labels"),
        (
            {"text": "x", "labels": ["a"]},
            "uses 'labels' but line 1 uses 'label'; use one form per file",
        ),
    ],
)
def test_text_records_that_do_not_fit_are_named_by_file_and_line(
    tmp_path: Path, record: object, message: str
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "ok", "label": "a"}) + "\n" + json.dumps(record) + "\n")
    assert str(_error(path)) == f"{path}:2: {message}"


def test_an_unknown_task_or_suffix_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "ok", "label": "a"}) + "\n")
    with pytest.raises(ValueError) as err:
        read_task_file(path, "regression")
    assert str(err.value) == (
        "unknown task 'regression'; choose text-classification or token-classification"
    )
    other = tmp_path / "data.tsv"
    other.write_text("x")
    assert (
        str(_error(other))
        == f"{other}: unknown data format '.tsv'; use .jsonl, .ndjson, .json, .csv"
    )


def test_texts_past_u_ffff_without_spans_read_without_a_hint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "emoji.jsonl"
    path.write_text(json.dumps({"text": "He took it \U0001f600", "label": "theft"}) + "\n")
    with caplog.at_level(logging.WARNING, logger="train.task_data"):
        assert read_task_file(path, TEXT)[0].text == "He took it \U0001f600"
    assert not caplog.records
