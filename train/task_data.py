"""Labelled data of a user's own task: JSONL or CSV, checked line by line.

Records (one JSON object per line, a ``.json`` file holding one JSON array of them, or one
CSV row with a header):

- text classification, one label: ``{"text": "...", "label": "theft"}``
- text classification, several labels: ``{"text": "...", "labels": ["theft", "burglary"]}``
  (CSV: a ``labels`` column with the labels separated by ``|``)
- token classification: ``{"text": "...", "spans": [{"start": 0, "end": 5, "label": "offence"}]}``
  (offsets in characters, Unicode code points as Python counts them, end exclusive; CSV: a
  ``spans`` column holding that JSON list)

An optional ``id`` names a record. Every problem is a :class:`TaskDataError` naming the file
and line: not UTF-8, not JSON, an unpaired surrogate escape (``"\\ud800"``), no or empty
text, a bad label, spans outside the text or overlapping, records of two kinds in one file,
a CSV header without the columns (naming those it has), a CSV with both ``label`` and
``labels``, a validation label the training data lacks, training data with one label only
or (several labels per text) one label set only. Logged as warnings: labels that differ
only in case, a CSV ``labels`` cell holding ``,`` or ``;`` but no ``|`` (read as one
label), and spans that fall inside words but on word boundaries when counted in UTF-16
code units (as JavaScript and Label Studio count), in a text with characters past U+FFFF.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from encoders.linker import LinkerConfig

logger = logging.getLogger(__name__)

__all__ = [
    "LabelledSpan",
    "TaskData",
    "TaskDataError",
    "TaskExample",
    "load_task_data",
    "read_task_file",
]

TEXT_CLASSIFICATION = "text-classification"
TOKEN_CLASSIFICATION = "token-classification"
#: File suffixes read as JSON lines (a ``.json`` file may also hold one JSON array of
#: records) and as CSV.
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv",)
#: Separator of several labels in a CSV ``labels`` column.
CSV_LABEL_SEPARATOR = "|"
#: The columns a CSV header may name.
CSV_COLUMNS = ("id", "text", "label", "labels", "spans")

Kind = Literal["single", "multi", "spans"]


class TaskDataError(ValueError):
    """A problem in a task data file; the message starts with ``file:line``."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class LabelledSpan:
    """A labelled character span ``text[start:end]``."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class TaskExample:
    """One labelled text; exactly one of ``label``, ``labels``, ``spans`` is set."""

    text: str
    label: str | None = None
    labels: tuple[str, ...] | None = None
    spans: tuple[LabelledSpan, ...] | None = None
    id: str = ""
    line: int = 0

    @property
    def kind(self) -> Kind:
        if self.spans is not None:
            return "spans"
        return "multi" if self.labels is not None else "single"

    def label_names(self) -> tuple[str, ...]:
        """The labels this example uses."""
        if self.spans is not None:
            return tuple(s.label for s in self.spans)
        if self.labels is not None:
            return self.labels
        return (self.label,) if self.label is not None else ()


@dataclass
class TaskData:
    """Training (and validation) examples with their label set.

    Attributes:
        task: ``text-classification`` or ``token-classification``.
        kind: ``single`` (one label per text), ``multi`` (several) or ``spans``.
        labels: the label names of the training data, sorted (span labels for tokens).
        train, valid: the examples (``valid`` may be empty).
    """

    task: str
    kind: Kind
    labels: list[str]
    train: list[TaskExample]
    valid: list[TaskExample]

    @property
    def problem_type(self) -> str:
        """transformers' ``problem_type`` (``token_classification`` for spans)."""
        return {
            "single": "single_label_classification",
            "multi": "multi_label_classification",
            "spans": "token_classification",
        }[self.kind]


# ------------------------------------------------------------------------------ reading
#: The UTF-8 byte-order mark some editors write at the start of a file.
_UTF8_BOM = codecs.BOM_UTF8


def _jsonl_records(path: Path, hint: str = "") -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) of each non-blank line; a UTF-8 byte-order mark on the
    first line is skipped. ``hint`` ends the message of a line that is not JSON."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(_UTF8_BOM):
                raw = raw[len(_UTF8_BOM) :]
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise TaskDataError(
                    path, lineno, f"not valid UTF-8 (byte {err.start} of the line)"
                ) from None
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as err:
                raise TaskDataError(path, lineno, f"not valid JSON ({err.msg}){hint}") from None


#: White space and the comma between two elements of a JSON array.
_BETWEEN_ELEMENTS = re.compile(r"[ \t\r\n]*,?[ \t\r\n]*")
#: A character outside the Basic Multilingual Plane (two UTF-16 code units).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
#: What a ``.json`` file may hold, said when it holds neither.
_JSON_FORMS = (
    "a .json file holds one JSON array of records ([{...}, {...}]) or one JSON object per "
    "line (JSON Lines)"
)


def _json_records(path: Path) -> Iterator[tuple[int, Any]]:
    """The records of a ``.json`` file: the elements of the one JSON array it holds, each
    with the line it starts on; else its lines as JSON Lines (:func:`_jsonl_records`)."""
    data = path.read_bytes()
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise TaskDataError(path, line, "not valid UTF-8") from None
    start = len(text) - len(text.lstrip())
    if not text.startswith("[", start):
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, dict) and text.strip().count("\n"):
            raise TaskDataError(
                path, 1, f"one JSON object written over several lines: {_JSON_FORMS}"
            )
        yield from _jsonl_records(path, f"; {_JSON_FORMS}")
        return
    try:
        records = json.loads(text)
    except json.JSONDecodeError as err:
        raise TaskDataError(path, err.lineno, f"not valid JSON ({err.msg})") from None
    if not isinstance(records, list):  # "[1] [2]" and such fail above; kept for mypy
        raise TaskDataError(path, 1, _JSON_FORMS)
    # the line each element starts on: decode them again one by one, where they are
    decoder = json.JSONDecoder()
    at = start + 1
    line, seen = 1, 0  # text[seen] is on line ``line``
    for _ in records:
        at = _BETWEEN_ELEMENTS.match(text, at).end()  # type: ignore[union-attr]
        line += text.count("\n", seen, at)
        seen = at
        record, at = decoder.raw_decode(text, at)
        yield line, record


#: The longest text of an example (the linker's ``LinkerConfig.max_chars``).
MAX_TEXT_CHARS = LinkerConfig().max_chars
#: The longest CSV cell read (characters): Python's default, 131,072, is shorter than a
#: long clinical note.
_CSV_FIELD_LIMIT = 10_000_000


def _csv_records(path: Path) -> Iterator[tuple[int, Any]]:
    """(first line, record) of each CSV row after the header; blank lines are skipped and
    counted, so each record names the line it starts on (a quoted cell may span lines)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise TaskDataError(path, line, "not valid UTF-8") from None
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))  # texts are long
    # strict: a stray quote is an error, not rows merged into one cell
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)

    def rows() -> Iterator[tuple[int, list[str]]]:
        """(first line, fields) of each row that is not a blank line."""
        while True:
            first = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                raise TaskDataError(path, first, f"not valid CSV ({err})") from None
            if row:  # a blank line reads as no field at all
                yield first, row

    rows_read = rows()
    header_line, header = next(rows_read, (1, []))
    columns = set(header)
    if len(columns) < len(header):
        twice = sorted({c for c in header if header.count(c) > 1})
        raise TaskDataError(path, header_line, f"the CSV header names {', '.join(twice)} twice")
    if "text" not in columns or not columns & {"label", "labels", "spans"}:
        raise TaskDataError(path, header_line, _header_problem(header))
    if {"label", "labels"} <= columns:
        raise TaskDataError(
            path,
            header_line,
            "the CSV header has both a 'label' and a 'labels' column: give either 'label' "
            f"(one label per text) or 'labels' (several, separated by {CSV_LABEL_SEPARATOR!r})",
        )
    other_separator: list[tuple[int, str]] = []  # labels cells that look ,- or ;-separated
    for lineno, fields in rows_read:
        if len(fields) > len(header):
            raise TaskDataError(path, lineno, "more fields than the header names")
        row = dict(zip(header, fields, strict=False))
        if not any(v.strip() for v in row.values()):
            continue
        short = header[len(fields) :]
        if short:
            raise TaskDataError(
                path, lineno, f"fewer fields than the header names (no {', '.join(short)})"
            )
        record: dict[str, Any] = {"text": row["text"]}
        if row.get("id"):
            record["id"] = row["id"]
        if "label" in columns and row["label"] != "":
            record["label"] = row["label"]
        if "labels" in columns:
            cell = row["labels"].strip()
            parts = cell.split(CSV_LABEL_SEPARATOR) if cell else []
            record["labels"] = [p.strip() for p in parts]
            if CSV_LABEL_SEPARATOR not in cell and ("," in cell or ";" in cell):
                other_separator.append((lineno, cell))
        if "spans" in columns:
            try:
                record["spans"] = json.loads(row["spans"] or "[]")
            except json.JSONDecodeError as err:
                raise TaskDataError(
                    path, lineno, f"the 'spans' cell is not valid JSON ({err.msg})"
                ) from None
        yield lineno, record
    if other_separator:
        line, cell = other_separator[0]
        logger.warning(
            "%s: %d 'labels' cell(s) hold ',' or ';' but no %r, e.g. line %d: %r, read as "
            'one label; separate several labels with %r ("theft|burglary")',
            path,
            len(other_separator),
            CSV_LABEL_SEPARATOR,
            line,
            cell,
            CSV_LABEL_SEPARATOR,
        )


def _header_problem(header: Sequence[str]) -> str:
    """Why a CSV header names no text or label column: the columns it has, and which one
    was meant where a name differs from a known one in case or white space only, or where
    the header is one column holding another separator."""
    found = ", ".join(repr(c) for c in header) if header else "none"
    message = (
        "the CSV header needs a 'text' column and a 'label', 'labels' or 'spans' one "
        f"(columns found: {found})"
    )
    meant = [
        f"{name!r} to {name.strip().lower()!r}"
        for name in header
        if name not in CSV_COLUMNS and name.strip().lower() in CSV_COLUMNS
    ]
    hints = []
    if meant:
        hints.append(
            f"rename {', '.join(meant)} (column names are read exactly as written: lower "
            "case, no spaces around them)"
        )
    if len(header) == 1:
        for separator, called in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if separator in header[0]:
                hints.append(
                    f"the header is one column holding {called}: the columns of a CSV file "
                    "are separated by commas"
                )
                break
    return "; ".join([message, *hints])


def _valid_unicode(value: str, path: Path, line: int, what: str) -> str:
    """``value``, refused when it holds an unpaired UTF-16 surrogate (a JSON escape such as
    ``"\\ud800"`` decodes to one): no tokenizer or UTF-8 writer takes it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        code = ord(value[err.start])
        raise TaskDataError(
            path,
            line,
            f"{what} is not valid Unicode: it holds an unpaired UTF-16 surrogate escape "
            f"(U+{code:04X}, character {err.start})",
        ) from None
    return value


def _label(value: Any, path: Path, line: int, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TaskDataError(path, line, f"{what} must be a string, got {json.dumps(value)}")
    label = _valid_unicode(str(value), path, line, what).strip()
    if not label:
        raise TaskDataError(path, line, f"{what} is empty")
    return label


def _spans(value: Any, text: str, path: Path, line: int) -> tuple[LabelledSpan, ...]:
    if not isinstance(value, list):
        raise TaskDataError(path, line, "'spans' must be a list of {start, end, label} objects")
    spans = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, Mapping) or not {"start", "end", "label"} <= set(item):
            raise TaskDataError(path, line, f"span {i} must be an object with start, end, label")
        start, end = item["start"], item["end"]
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (start, end)):
            raise TaskDataError(path, line, f"span {i}: start and end must be integers")
        if start >= end:
            raise TaskDataError(path, line, f"span {i} is empty (start {start} >= end {end})")
        if start < 0 or end > len(text):
            raise TaskDataError(
                path,
                line,
                f"span {i} ({start}-{end}) is outside the text (length {len(text)})",
            )
        # white space at either end is no part of a mention (and no token could start there)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            raise TaskDataError(
                path, line, f"span {i} ({item['start']}-{item['end']}) is white space"
            )
        label = _label(item["label"], path, line, f"span {i}'s label")
        if label == OUTSIDE_TAG:
            raise TaskDataError(
                path,
                line,
                f"span {i}'s label is {OUTSIDE_TAG!r}, the tag of text outside every span; "
                "name the kind of span it is, or leave text outside spans unlabelled",
            )
        spans.append((start, end, i, label))
    ordered = sorted(spans)
    for (s1, e1, i1, _), (s2, e2, i2, _) in zip(ordered, ordered[1:], strict=False):
        if s2 < e1:
            first, second = sorted((i1, i2))
            raise TaskDataError(
                path,
                line,
                f"spans {first} and {second} overlap ({s1}-{e1} {text[s1:e1]!r} and "
                f"{s2}-{e2} {text[s2:e2]!r}); spans must not overlap",
            )
    return tuple(LabelledSpan(s, e, label) for s, e, _, label in ordered)


def parse_example(record: Any, task: str, path: Path, line: int) -> TaskExample:
    """One checked example of ``task`` from a parsed record.

    Raises:
        TaskDataError: the record is not a valid example of the task.
    """
    if not isinstance(record, Mapping):
        raise TaskDataError(path, line, f"expected a JSON object, got {type(record).__name__}")
    if "text" not in record:
        raise TaskDataError(path, line, "missing 'text'")
    text = record["text"]
    if not isinstance(text, str):
        raise TaskDataError(path, line, "'text' must be a string")
    if not text.strip():
        raise TaskDataError(path, line, "empty text")
    _valid_unicode(text, path, line, "'text'")
    if len(text) > MAX_TEXT_CHARS:  # what the linker reads of one text
        raise TaskDataError(
            path, line, f"text of {len(text):,} characters; at most {MAX_TEXT_CHARS:,}: split it"
        )
    rid = _valid_unicode(str(record.get("id", f"{path.name}:{line}")), path, line, "'id'")
    has = [k for k in ("label", "labels", "spans") if k in record]
    if task == TOKEN_CLASSIFICATION:
        if "spans" not in record:
            hint = " (for labels of whole texts use --task text-classification)" if has else ""
            raise TaskDataError(path, line, f"missing 'spans'{hint}")
        if len(has) > 1:
            raise TaskDataError(path, line, "a token-classification record has only 'spans'")
        return TaskExample(text, spans=_spans(record["spans"], text, path, line), id=rid, line=line)
    if task != TEXT_CLASSIFICATION:
        raise ValueError(
            f"unknown task {task!r}; choose text-classification or token-classification"
        )
    if has == ["spans"]:
        raise TaskDataError(
            path, line, "has 'spans' but no label (for spans use --task token-classification)"
        )
    if "label" in record and "labels" in record:
        raise TaskDataError(path, line, "give either 'label' or 'labels', not both")
    if "label" in record:
        return TaskExample(
            text, label=_label(record["label"], path, line, "'label'"), id=rid, line=line
        )
    if "labels" not in record:
        raise TaskDataError(path, line, "needs 'label' (one label) or 'labels' (a list)")
    value = record["labels"]
    if not isinstance(value, list):
        raise TaskDataError(path, line, "'labels' must be a list of labels")
    labels = tuple(dict.fromkeys(_label(v, path, line, "a label in 'labels'") for v in value))
    return TaskExample(text, labels=labels, id=rid, line=line)


def read_task_file(path: str | Path, task: str) -> list[TaskExample]:
    """Every example of a JSONL or CSV file, checked.

    Raises:
        FileNotFoundError: no such file.
        TaskDataError: a bad record (file:line), an unknown suffix, records of two kinds,
            or no example at all.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".json":
        records = _json_records(path)
    elif suffix in JSONL_SUFFIXES:
        records = _jsonl_records(path)
    elif suffix in CSV_SUFFIXES:
        records = _csv_records(path)
    else:
        raise TaskDataError(
            path,
            None,
            f"unknown data format {suffix!r}; use {', '.join(JSONL_SUFFIXES + CSV_SUFFIXES)}",
        )
    examples: list[TaskExample] = []
    utf16: list[str] = []  # spans whose offsets look like UTF-16 code units
    for line, record in records:
        example = parse_example(record, task, path, line)
        if example.spans and not example.text.isascii() and _ASTRAL.search(example.text):
            utf16 += _utf16_looking_spans(example.text, record["spans"], line)
        if examples and example.kind != examples[0].kind:
            first = examples[0]
            raise TaskDataError(
                path,
                line,
                f"uses {_form(example.kind)} but line {first.line} uses {_form(first.kind)}; "
                "use one form per file",
            )
        examples.append(example)
    if not examples:
        raise TaskDataError(path, None, "no examples")
    if utf16:
        logger.warning(
            "%s: %d span(s) start or end inside a word, but fall on word boundaries when "
            "their offsets are read as UTF-16 code units, e.g. %s: the offsets look like "
            "UTF-16 code units (JavaScript, Label Studio), which count a character past "
            "U+FFFF (an emoji) as two; give offsets in Unicode code points (Python string "
            "indices)",
            path,
            len(utf16),
            utf16[0],
        )
    return examples


def _utf16_looking_spans(text: str, spans: Sequence[Mapping[str, Any]], line: int) -> list[str]:
    """The spans (as given, before white space is trimmed) of a text with characters past
    U+FFFF whose offsets put them inside words when read as code points, but on word
    boundaries when read as UTF-16 code units (the sign of offsets counted in UTF-16 units),
    each shown with both readings."""
    units = [0]  # units[i]: the UTF-16 units before text[i]
    for char in text:
        units.append(units[-1] + (2 if ord(char) > 0xFFFF else 1))
    index = {u: i for i, u in enumerate(units)}
    out = []
    for span in spans:
        start, end = span["start"], span["end"]
        if _on_word_boundaries(text, start, end):
            continue
        a, b = index.get(start), index.get(end)
        if a is None or b is None or (a, b) == (start, end):
            continue
        if text[a:b].strip() and _on_word_boundaries(text, a, b):
            out.append(
                f"line {line}: {start}-{end} is {text[start:end]!r}, {text[a:b]!r} in UTF-16 units"
            )
    return out


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    """Whether neither end of ``text[start:end]`` falls between two letters or digits."""

    def inside(i: int) -> bool:
        return 0 < i < len(text) and text[i - 1].isalnum() and text[i].isalnum()

    return not inside(start) and not inside(end)


def _form(kind: Kind) -> str:
    return {"single": "'label'", "multi": "'labels'", "spans": "'spans'"}[kind]


def load_task_data(
    task: str, train_path: str | Path, valid_path: str | Path | None = None
) -> TaskData:
    """Training and validation examples with the label set of the training data.

    Raises:
        TaskDataError: a bad file; too few labels to learn from; a validation record of
            another form or with a label the training data lacks (file:line).
    """
    train = read_task_file(train_path, task)
    kind = train[0].kind
    labels = sorted({name for ex in train for name in ex.label_names()})
    if kind == "single" and len(labels) < 2:
        raise TaskDataError(
            train_path,
            None,
            f"only one label ({labels[0]!r}) in the training data; a classifier needs two or more",
        )
    if not labels:
        raise TaskDataError(train_path, None, f"no {_form(kind)} label in the training data")
    if kind == "multi":
        sets = {frozenset(ex.labels or ()) for ex in train}
        if len(sets) == 1:
            shown = ", ".join(repr(name) for name in labels)
            raise TaskDataError(
                train_path,
                None,
                f"every text has the same labels ({shown}): a classifier learns from texts "
                "with and without each label",
            )
    _warn_case_variants(labels, train_path)
    if kind == "spans":
        _warn_bio_prefixes(labels, train_path)
    valid: list[TaskExample] = []
    if valid_path is not None:
        valid = read_task_file(valid_path, task)
        known = set(labels)
        for ex in valid:
            if ex.kind != kind:
                raise TaskDataError(
                    valid_path,
                    ex.line,
                    f"uses {_form(ex.kind)} but the training data uses {_form(kind)}",
                )
            unknown = [name for name in ex.label_names() if name not in known]
            if unknown:
                raise TaskDataError(
                    valid_path,
                    ex.line,
                    f"unknown label {unknown[0]!r}: not in the training data "
                    f"(known: {', '.join(labels)})",
                )
    _warn_repeated_texts(train, valid, train_path, valid_path)
    return TaskData(task, kind, labels, train, valid)


def _warn_repeated_texts(
    train: Sequence[TaskExample],
    valid: Sequence[TaskExample],
    train_path: str | Path,
    valid_path: str | Path | None,
) -> None:
    """Log texts the training data holds more than once (each weighs as many texts), and
    validation texts that are training texts too (the validation figures then measure
    recall of training data, not what the model learnt)."""
    seen: dict[str, int] = {}
    repeated = []
    for ex in train:
        if ex.text in seen:
            repeated.append((ex.line, seen[ex.text]))
        else:
            seen[ex.text] = ex.line
    if repeated:
        line, first = repeated[0]
        logger.warning(
            "%s: %d text(s) are in the training data more than once (line %s repeats line "
            "%s); each copy weighs as one more text",
            train_path,
            len(repeated),
            line,
            first,
        )
    leaked = [ex for ex in valid if ex.text in seen]
    if leaked:
        logger.warning(
            "%s: %d of %d validation text(s) are training texts too (line %s is line %s of "
            "%s): the validation figures overstate what the model learnt",
            valid_path,
            len(leaked),
            len(valid),
            leaked[0].line,
            seen[leaked[0].text],
            train_path,
        )


#: The BIO tag of text outside every span (:func:`fusion.tasks.bio_tags`).
OUTSIDE_TAG = "O"


def _warn_bio_prefixes(labels: Sequence[str], path: str | Path) -> None:
    """Log span labels written as BIO tags ("B-COMP"): the tagger prefixes each label
    itself, so such a label is tagged "B-B-COMP" and predicted as "B-COMP"."""
    tagged = [name for name in labels if name[:2] in ("B-", "I-") and len(name) > 2]
    if tagged:
        logger.warning(
            "%s: span labels written with a BIO prefix (%s): spans are labelled with their "
            "kind alone (%s); the tagger adds the B-/I- tags itself",
            path,
            ", ".join(repr(n) for n in tagged[:5]),
            ", ".join(repr(n[2:]) for n in tagged[:5]),
        )


def _warn_case_variants(labels: Sequence[str], path: str | Path) -> None:
    """Log labels that differ only in case ("Theft" and "theft"): the model learns them as
    different labels, which is seldom what was meant."""
    groups: dict[str, list[str]] = {}
    for name in labels:
        groups.setdefault(name.casefold(), []).append(name)
    clashes = [names for names in groups.values() if len(names) > 1]
    if clashes:
        shown = "; ".join(" and ".join(repr(n) for n in names) for names in clashes)
        logger.warning(
            "%s: labels that differ only in case are different labels to the model: %s; "
            "write each label one way if they mean the same",
            path,
            shown,
        )
