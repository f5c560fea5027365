"""Labelled data of a user's own task: JSONL or CSV, checked line by line.

Records (one JSON object per line, or one CSV row with a header):

- text classification, one label: ``{"text": "...", "label": "theft"}``
- text classification, several labels: ``{"text": "...", "labels": ["theft", "burglary"]}``
  (CSV: a ``labels`` column with the labels separated by ``|``)
- token classification: ``{"text": "...", "spans": [{"start": 0, "end": 5, "label": "offence"}]}``
  (character offsets, end exclusive; CSV: a ``spans`` column holding that JSON list)

An optional ``id`` names a record. Every problem is a :class:`TaskDataError` naming the file
and line: not UTF-8, not JSON, an unpaired surrogate escape (``"\\ud800"``), no or empty
text, a bad label, spans outside the text or overlapping, records of two kinds in one file,
a CSV header without the columns (naming those it has), a CSV with both ``label`` and
``labels``, a validation label the training data lacks, training data with one label only
or (several labels per text) one label set only. Labels that differ only in case are
logged as a warning.
"""

from __future__ import annotations

import csv
import io
import json
import logging
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
#: File suffixes read as JSON lines and as CSV.
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
def _jsonl_records(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise TaskDataError(
                    path, lineno, f"not valid UTF-8 (byte {err.start} of the line)"
                ) from None
            if lineno == 1:
                line = line.lstrip("\ufeff")
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as err:
                raise TaskDataError(path, lineno, f"not valid JSON ({err.msg})") from None


#: The longest text of an example (the linker's ``LinkerConfig.max_chars``).
MAX_TEXT_CHARS = LinkerConfig().max_chars
#: The longest CSV cell read (characters): Python's default, 131,072, is shorter than a
#: long clinical note.
_CSV_FIELD_LIMIT = 10_000_000


def _csv_records(path: Path) -> Iterator[tuple[int, Any]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise TaskDataError(path, line, "not valid UTF-8") from None
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))  # texts are long
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [])
    columns = set(header)
    if len(columns) < len(header):
        twice = sorted({c for c in header if header.count(c) > 1})
        raise TaskDataError(path, 1, f"the CSV header names {', '.join(twice)} twice")
    if "text" not in columns or not columns & {"label", "labels", "spans"}:
        raise TaskDataError(path, 1, _header_problem(header))
    if {"label", "labels"} <= columns:
        raise TaskDataError(
            path,
            1,
            "the CSV header has both a 'label' and a 'labels' column: give either 'label' "
            f"(one label per text) or 'labels' (several, separated by {CSV_LABEL_SEPARATOR!r})",
        )
    last = reader.line_num
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as err:
            raise TaskDataError(path, last + 1, f"not valid CSV ({err})") from None
        lineno, last = last + 1, reader.line_num
        if None in row:
            raise TaskDataError(path, lineno, "more fields than the header names")
        short = [c for c in header if row.get(c) is None]
        if short and any((v or "").strip() for v in row.values()):
            raise TaskDataError(
                path, lineno, f"fewer fields than the header names (no {', '.join(short)})"
            )
        if not any((v or "").strip() for v in row.values()):
            continue
        record: dict[str, Any] = {"text": row["text"]}
        if row.get("id"):
            record["id"] = row["id"]
        if "label" in columns and row.get("label", "") != "":
            record["label"] = row["label"]
        if "labels" in columns:
            cell = (row.get("labels") or "").strip()
            parts = cell.split(CSV_LABEL_SEPARATOR) if cell else []
            record["labels"] = [p.strip() for p in parts]
        if "spans" in columns:
            try:
                record["spans"] = json.loads(row.get("spans") or "[]")
            except json.JSONDecodeError as err:
                raise TaskDataError(
                    path, lineno, f"the 'spans' cell is not valid JSON ({err.msg})"
                ) from None
        yield lineno, record


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
        spans.append((start, end, i, _label(item["label"], path, line, f"span {i}'s label")))
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
    if suffix in JSONL_SUFFIXES:
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
    for line, record in records:
        example = parse_example(record, task, path, line)
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
    return examples


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
    return TaskData(task, kind, labels, train, valid)


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
