"""Task data files: the three record forms in JSONL and CSV, and every error naming file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from train.task_data import TaskDataError, load_task_data, read_task_file

TEXT, TOKENS = "text-classification", "token-classification"


def _jsonl(path: Path, *records: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_single_label_jsonl(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "a.jsonl",
        {"id": "x", "text": "He took the bike.", "label": "theft"},
        "",
        {"text": "He pushed her.", "label": "assault"},
    )
    data = load_task_data(TEXT, path)
    assert data.kind == "single" and data.problem_type == "single_label_classification"
    assert data.labels == ["assault", "theft"]
    assert [ex.line for ex in data.train] == [1, 3]
    assert data.train[0].id == "x" and data.train[1].id == "a.jsonl:3"


def test_read_multi_label_and_spans(tmp_path: Path) -> None:
    multi = _jsonl(
        tmp_path / "m.jsonl",
        {"text": "Entry and theft.", "labels": ["burglary", "theft", "theft"]},
        {"text": "Nothing here.", "labels": []},
    )
    data = load_task_data(TEXT, multi)
    assert data.kind == "multi" and data.train[0].labels == ("burglary", "theft")
    spans = _jsonl(
        tmp_path / "s.jsonl",
        {"text": "theft and violence", "spans": [{"start": 10, "end": 18, "label": "element"}]},
        {"text": "a crime", "spans": [{"start": 2, "end": 7, "label": "offence"}]},
    )
    data = load_task_data(TOKENS, spans)
    assert data.problem_type == "token_classification"
    assert data.labels == ["element", "offence"]
    assert data.train[0].spans[0].start == 10


def test_read_csv_forms(tmp_path: Path) -> None:
    single = tmp_path / "s.csv"
    single.write_text('text,label\n"He took it, then ran.",theft\nShe hit him.,assault\n')
    data = load_task_data(TEXT, single)
    assert [ex.label for ex in data.train] == ["theft", "assault"]
    assert data.train[0].text == "He took it, then ran."
    multi = tmp_path / "m.csv"
    multi.write_text("id,text,labels\n1,Entry and theft.,burglary|theft\n2,Nothing.,\n")
    data = load_task_data(TEXT, multi)
    assert data.train[0].labels == ("burglary", "theft") and data.train[1].labels == ()
    spans = tmp_path / "t.csv"
    spans.write_text('text,spans\na crime,"[{""start"": 2, ""end"": 7, ""label"": ""offence""}]"\n')
    assert load_task_data(TOKENS, spans).train[0].spans[0].label == "offence"


def test_csv_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('text,label\nfine,theft\n"two\nlines",theft\n  ,theft\n')
    with pytest.raises(TaskDataError, match=r"bad\.csv:5: empty text"):
        read_task_file(path, TEXT)
    header = tmp_path / "header.csv"
    header.write_text("sentence,label\nx,theft\n")
    with pytest.raises(TaskDataError, match=r"header\.csv:1: .*'text' column"):
        read_task_file(header, TEXT)


@pytest.mark.parametrize(
    ("task", "records", "message"),
    [
        (TEXT, [{"text": "", "label": "a"}], r"e\.jsonl:1: empty text"),
        (TEXT, [{"text": "ok", "label": "a"}, {"text": "  \t", "label": "b"}], r":2: empty text"),
        (TEXT, [{"label": "a"}], r":1: missing 'text'"),
        (TEXT, [{"text": 3, "label": "a"}], r":1: 'text' must be a string"),
        (TEXT, [{"text": "x"}], r":1: needs 'label' \(one label\) or 'labels'"),
        (TEXT, [{"text": "x", "label": ""}], r":1: 'label' is empty"),
        (TEXT, [{"text": "x", "label": "a", "labels": ["a"]}], r":1: give either"),
        (TEXT, [{"text": "x", "spans": []}], r"--task token-classification"),
        (
            TEXT,
            [{"text": "x", "label": "a"}, {"text": "y", "labels": ["a"]}],
            r":2: uses 'labels' but line 1 uses 'label'",
        ),
        (TEXT, ["not json"], r":1: not valid JSON"),
        (TEXT, ["[1, 2]"], r":1: expected a JSON object, got list"),
        (TEXT, [{"text": "x", "label": "a"}, {"text": "y", "label": "a"}], "only one label"),
        (TOKENS, [{"text": "x", "label": "a"}], r":1: missing 'spans' \(for labels of whole"),
        (
            TOKENS,
            [{"text": "theft", "spans": [{"start": 2, "end": 9, "label": "o"}]}],
            r":1: span 1 \(2-9\) is outside the text \(length 5\)",
        ),
        (
            TOKENS,
            [{"text": "theft", "spans": [{"start": -1, "end": 2, "label": "o"}]}],
            r"outside the text",
        ),
        (
            TOKENS,
            [{"text": "theft", "spans": [{"start": 3, "end": 3, "label": "o"}]}],
            r"span 1 is empty",
        ),
        (
            TOKENS,
            [
                {
                    "text": "use of force",
                    "spans": [
                        {"start": 7, "end": 12, "label": "e"},
                        {"start": 0, "end": 9, "label": "e"},
                    ],
                }
            ],
            r":1: spans 1 and 2 overlap \(0-9 'use of fo' and 7-12 'force'\)",
        ),
        (TOKENS, [{"text": "x", "spans": [{"start": 0, "end": 1}]}], r"start, end, label"),
        (TOKENS, [{"text": "xy", "spans": [{"start": 0.5, "end": 1, "label": "a"}]}], "integers"),
        (TOKENS, [{"text": "x", "spans": []}], "no 'spans' label"),
    ],
)
def test_bad_records_raise_with_file_and_line(
    tmp_path: Path, task: str, records: list, message: str
) -> None:
    path = _jsonl(tmp_path / "e.jsonl", *records)
    with pytest.raises(TaskDataError, match=message):
        load_task_data(task, path)


def test_unknown_labels_in_valid_name_the_valid_line(tmp_path: Path) -> None:
    train = _jsonl(
        tmp_path / "train.jsonl", {"text": "a", "label": "theft"}, {"text": "b", "label": "robbery"}
    )
    valid = _jsonl(
        tmp_path / "valid.jsonl",
        {"text": "c", "label": "theft"},
        {"text": "d", "label": "fraud"},
    )
    with pytest.raises(
        TaskDataError, match=r"valid\.jsonl:2: unknown label 'fraud'.*robbery, theft"
    ):
        load_task_data(TEXT, train, valid)
    spans_train = _jsonl(
        tmp_path / "st.jsonl", {"text": "theft", "spans": [{"start": 0, "end": 5, "label": "o"}]}
    )
    spans_valid = _jsonl(
        tmp_path / "sv.jsonl", {"text": "theft", "spans": [{"start": 0, "end": 5, "label": "x"}]}
    )
    with pytest.raises(TaskDataError, match=r"sv\.jsonl:1: unknown label 'x'"):
        load_task_data(TOKENS, spans_train, spans_valid)
    other_form = _jsonl(tmp_path / "of.jsonl", {"text": "c", "labels": ["theft"]})
    with pytest.raises(TaskDataError, match=r"of\.jsonl:1: uses 'labels' but the training"):
        load_task_data(TEXT, train, other_form)


def test_non_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"text": "ok", "label": "a"}\n{"text": "caf\xe9", "label": "b"}\n')
    with pytest.raises(TaskDataError, match=r"latin1\.jsonl:2: not valid UTF-8"):
        read_task_file(path, TEXT)
    csv_path = tmp_path / "latin1.csv"
    csv_path.write_bytes(b"text,label\nok,a\ncaf\xe9,b\n")
    with pytest.raises(TaskDataError, match=r"latin1\.csv:3: not valid UTF-8"):
        read_task_file(csv_path, TEXT)


def test_utf8_bom_and_non_ascii_text_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        "\ufeff".encode() + json.dumps({"text": "Café théft", "label": "a"}).encode() + b"\n"
    )
    assert read_task_file(path, TEXT)[0].text == "Café théft"


def test_missing_file_empty_file_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="data file not found"):
        read_task_file(tmp_path / "nope.jsonl", TEXT)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(TaskDataError, match=r"empty\.jsonl: no examples"):
        read_task_file(empty, TEXT)
    other = tmp_path / "data.txt"
    other.write_text("x")
    with pytest.raises(TaskDataError, match="unknown data format '.txt'"):
        read_task_file(other, TEXT)


def test_spans_lose_the_white_space_at_their_ends(tmp_path: Path) -> None:
    spans = _jsonl(
        tmp_path / "s.jsonl",
        {"text": "a theft here", "spans": [{"start": 1, "end": 8, "label": "offence"}]},
    )
    (example,) = load_task_data(TOKENS, spans).train
    assert (example.spans[0].start, example.spans[0].end) == (2, 7)  # " theft " -> "theft"
    blank = _jsonl(
        tmp_path / "b.jsonl", {"text": "a  b", "spans": [{"start": 1, "end": 3, "label": "x"}]}
    )
    with pytest.raises(TaskDataError, match=r"b\.jsonl:1: span 1 \(1-3\) is white space"):
        load_task_data(TOKENS, blank)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,label,label\nHe took it.,theft,assault\n", r":1: the CSV header names label twice"),
        ("id,text,label\n1,He took it.\n", r":2: fewer fields .*no label"),
        # a cell over csv's default 131,072 characters is read, then named as too long a text
        (f'text,label\n"{"word " * 30_000}",theft\n', r":2: text of 150,000 characters"),
    ],
)
def test_csv_rows_and_headers_that_do_not_fit_are_named(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(content)
    with pytest.raises(TaskDataError, match=r"data\.csv" + message):
        load_task_data(TEXT, path)


def test_a_text_longer_than_the_linker_reads_is_named_by_line(tmp_path: Path) -> None:
    long = _jsonl(
        tmp_path / "long.jsonl",
        {"text": "He took it.", "label": "theft"},
        {"text": "x" * 100_001, "label": "theft"},
    )
    with pytest.raises(TaskDataError, match=r"long\.jsonl:2: text of 100,001 characters"):
        load_task_data(TEXT, long)


def test_the_outside_tag_is_the_taggers() -> None:
    from fusion.tasks import OUTSIDE
    from train.task_data import OUTSIDE_TAG

    assert OUTSIDE_TAG == OUTSIDE  # task data is checked without importing torch


def test_a_span_labelled_with_the_outside_tag_is_refused(tmp_path: Path) -> None:
    spans = _jsonl(
        tmp_path / "o.jsonl",
        {"text": "a theft here", "spans": [{"start": 2, "end": 7, "label": "offence"}]},
        {"text": "nothing happened", "spans": [{"start": 0, "end": 7, "label": "O"}]},
    )
    with pytest.raises(TaskDataError, match=r"o\.jsonl:2: span 1's label is 'O', the tag of text"):
        load_task_data(TOKENS, spans)


def test_span_labels_written_as_bio_tags_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tagged = _jsonl(
        tmp_path / "b.jsonl",
        {"text": "a theft here", "spans": [{"start": 2, "end": 7, "label": "B-offence"}]},
        {"text": "the thief", "spans": [{"start": 4, "end": 9, "label": "person"}]},
    )
    with caplog.at_level("WARNING", logger="train.task_data"):
        data = load_task_data(TOKENS, tagged)
    assert data.labels == ["B-offence", "person"]  # kept as written: a warning, not a refusal
    assert "BIO prefix ('B-offence')" in caplog.text and "kind alone ('offence')" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="train.task_data"):
        load_task_data(
            TEXT,
            _jsonl(
                tmp_path / "c.jsonl",
                *({"text": f"text {i}", "label": label} for i, label in enumerate(("B-x", "y"))),
            ),
        )
    assert "BIO prefix" not in caplog.text  # a class label is no span tag


def test_repeated_texts_and_validation_texts_from_training_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [{"text": f"text {i}", "label": "ab"[i % 2]} for i in range(4)]
    train = _jsonl(tmp_path / "t.jsonl", *rows, rows[1])
    valid = _jsonl(tmp_path / "v.jsonl", {"text": "new", "label": "a"}, rows[2])
    with caplog.at_level("WARNING", logger="train.task_data"):
        data = load_task_data(TEXT, train, valid)
    assert len(data.train) == 5  # kept: a warning, not a refusal
    assert "1 text(s) are in the training data more than once (line 5 repeats line 2)" in (
        caplog.text
    )
    assert "1 of 2 validation text(s) are training texts too (line 2 is line 3 of" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="train.task_data"):
        load_task_data(TEXT, _jsonl(tmp_path / "u.jsonl", *rows))
    assert "more than once" not in caplog.text and "training texts too" not in caplog.text
