"""``--resume``: a batch command stopped halfway goes on from the records it wrote.

``kgfuse diagnose`` and ``kgfuse predict`` write ``OUTPUT.partial`` a record at a time and
keep it when they stop (Ctrl-C, a kill, an error). With ``--resume`` the next run keeps its
complete lines, checks them against the input (the n-th line must be the n-th input record's
output, by its id), and handles only the input records after them, appending to the same
file; a last line cut short is dropped and its record handled again. Records already done
are not handled (nor audited) twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "ResumeOption",
    "ResumedOutput",
    "after_resumed",
    "check_resumed",
    "read_resumed",
    "resumed_output",
]

#: The ids an input record's output may carry: (its place in the input, the raw record or
#: its reading error) -> the ids, as strings.
IdsOf = Callable[[int, Any], Collection[str]]

ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Go on from a run that stopped halfway: keep the records it wrote to "
        "OUTPUT.partial (checked against the input's first records, by id) and handle only "
        "the records after them.",
    ),
]


@dataclass(frozen=True)
class ResumedOutput:
    """The complete records of ``OUTPUT.partial`` that a run stopped halfway left.

    Attributes:
        path: the ``OUTPUT.partial`` file.
        ids: each record's ``id``, in order.
        failed: how many of them are error records.
        size: bytes of the complete lines (the rest, a line cut short, is dropped).
    """

    path: Path
    ids: tuple[Any, ...]
    failed: int
    size: int


def read_resumed(output: Path) -> ResumedOutput:
    """The complete records of ``output``'s ``OUTPUT.partial``.

    Raises:
        FileNotFoundError: there is none (nothing to resume).
        ValueError: a complete line is not a JSON object with an ``id``: the file is not
            what a stopped run leaves.
    """
    from kgfuse.commands.common import partial_path

    partial = partial_path(output)
    if not partial.is_file():
        raise FileNotFoundError(
            f"--resume: there is no {partial} to resume from (a run of this command stopped "
            "halfway leaves one): run without --resume"
        )
    data = partial.read_bytes()
    size = data.rfind(b"\n") + 1  # a last line without its newline was cut short
    ids: list[Any] = []
    failed = 0
    for n, line in enumerate(data[:size].splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or "id" not in record:
            raise ValueError(
                f"--resume: line {n} of {partial} is not an output record (a JSON object "
                "with an id): it is not what a stopped run leaves; run without --resume"
            )
        ids.append(record["id"])
        failed += "error" in record
    return ResumedOutput(partial, tuple(ids), failed, size)


def check_resumed(
    resumed: ResumedOutput, records: Iterable[tuple[int, Any]], ids_of: IdsOf, input: Path
) -> None:
    """Check that the kept records are the outputs of the first input records, in order.

    Raises:
        ValueError: the partial output holds more records than the input, or a kept
            record's id is not its input record's (another input, or an edited one).
    """
    read = iter(records)
    for n, kept in enumerate(resumed.ids, 1):
        item = next(read, None)
        if item is None:
            raise ValueError(
                f"--resume: {resumed.path} holds {len(resumed.ids):,} records and {input} "
                f"only {n - 1:,}: it is the output of another input; run without --resume"
            )
        place, raw = item
        expected = ids_of(place, raw)
        if str(kept) not in expected:
            shown = " or ".join(repr(e) for e in sorted(expected))
            raise ValueError(
                f"--resume: record {n} of {resumed.path} is {str(kept)!r}, where record {n} "
                f"of {input} gives {shown}: it is the output of another input (or an edited "
                "one); run without --resume"
            )


def after_resumed(
    records: Iterable[tuple[int, Any]], resumed: ResumedOutput | None
) -> Iterator[tuple[int, Any]]:
    """The input records after those the kept output holds (all of them without one)."""
    return islice(records, len(resumed.ids) if resumed is not None else 0, None)


def resumed_output(
    input: Path | None,
    output: Path | None,
    resume: bool,
    read: Callable[[Path], Iterable[tuple[int, Any]]],
    ids_of: IdsOf,
) -> ResumedOutput | None:
    """What ``--resume`` keeps of a stopped run's output (None without ``--resume``), checked
    against the input's records as ``read`` reads them.

    Raises:
        ValueError: ``--resume`` without an input file or ``-o OUTPUT``, or a partial
            output that is not this input's (:func:`read_resumed`, :func:`check_resumed`).
        FileNotFoundError: no ``OUTPUT.partial``.
    """
    if not resume:
        return None
    if input is None:
        raise ValueError("--resume goes with an INPUT file, not --text")
    if output is None:
        raise ValueError("--resume needs -o OUTPUT: it goes on from OUTPUT.partial")
    resumed = read_resumed(output)
    check_resumed(resumed, read(input), ids_of, input)
    return resumed
