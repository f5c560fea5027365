"""``kgfuse link``: concept recognition with negation, and ``kgfuse eval link``."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from kg.collector import kept_loaded
from kgfuse.commands.common import (
    STDIN_HELP,
    HomeOption,
    KGOption,
    MeasurementsOption,
    MilestonesOption,
    OutputOption,
    check_input_or_text,
    check_input_output,
    console,
    err_console,
    handle_errors,
    report_records,
    resolve_kg,
    stdin_for_dash,
    utf8_text,
    write_records,
)
from kgfuse.quick_exit import allow_quick_exit

if TYPE_CHECKING:
    from encoders.linker import ConceptLinker
    from kg.knowledge_graph import KnowledgeGraph


def _linker(
    kg_path: Path | str,
    home: Path | None = None,
    *,
    measurements: bool = False,
    milestones: bool = False,
) -> tuple[KnowledgeGraph, ConceptLinker]:
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.resources import default_linker

    kg = KnowledgeGraph.open(kg_path, home=home)
    return kg, default_linker(kg, measurements=measurements, milestones=milestones)


@handle_errors
def link(
    input: Annotated[
        Path | None,
        typer.Argument(help="JSONL of {id, text} records." + STDIN_HELP, callback=stdin_for_dash),
    ] = None,
    output: OutputOption = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text",
            help="Link one text: print a readable view, or with -o write its record there.",
            callback=utf8_text,
        ),
    ] = None,
    processes: Annotated[
        int, typer.Option("--processes", "-j", min=1, help="Worker processes.")
    ] = 1,
    measurements: MeasurementsOption = False,
    milestones: MilestonesOption = False,
    family: Annotated[
        bool,
        typer.Option(
            "--family",
            help='Keep relatives\' findings in the records, each with "family": true '
            "(left out unless given: a record lists the patient's findings).",
        ),
    ] = False,
    kg: KGOption = None,
    home: HomeOption = None,
) -> None:
    """Link clinical text to ontology terms (present or excluded), one record per line."""
    check_input_or_text(input, text)
    check_input_output(input, output)
    allow_quick_exit()  # its output is closed when it returns (the process skips teardown)
    with kept_loaded() as loaded:
        _, linker = _linker(
            resolve_kg(kg, home), home, measurements=measurements, milestones=milestones
        )
        loaded()  # the KG's tables and the linker stay (and forked workers share them)
        if family:  # the shared linker's index and tables, with relatives' findings kept
            linker = copy.copy(linker)
            linker.config = replace(linker.config, include_family=True)
        if text is not None and output is not None:  # the record the file path writes
            from encoders.linker import link_records

            (record,) = link_records([{"id": "text", "text": text}], linker)
            if "error" in record:
                err_console.print(f"[bold red]error:[/] {escape(record['error'])}")
            written, failed = write_records([record], output)
            report_records(None, written, failed, "linked")
            return
        if text is not None:
            from encoders.procedures import MENTION_SOURCE as TREATMENT_SOURCE

            mentions = linker.link(text)
            table = Table("span", "text", "term", "status", "score")
            for m in mentions:
                # a relative's finding is the relative's, negated or not ("no family history
                # of X" says nothing of the patient): the file output leaves it out unless
                # --family
                if m.family:
                    status = "family, excluded" if m.excluded else "family"
                else:
                    status = "excluded" if m.excluded else "present"
                if m.uncertain:
                    status += " (uncertain)"
                if m.source == TREATMENT_SOURCE:
                    status += ", from its treatment"  # "orchidopexy": Cryptorchidism
                table.add_row(
                    f"{m.start}-{m.end}",
                    escape(m.text),
                    escape(f"{m.label} ({m.curie})"),
                    status,
                    f"{m.score:.2f}",
                )
            console.print(table if mentions else "no concept found")
            return
        assert input is not None  # exactly one of input and text was checked above
        written, failed = write_records(
            _linked_lines(input, linker, processes), output, doing="linking"
        )
    report_records(input, written, failed, "linked")


def _linked_lines(input: Path, linker: ConceptLinker, processes: int) -> Iterator[dict[str, Any]]:
    """One output record per non-blank input line, in order: the linker's (``"id":
    "line-N"`` for a record without one), or an error record ``{"id": "line-N",
    "mentions": [], "error"}`` for a line that is not a JSON record (its reason kept)."""
    from encoders.linker import link_records
    from kgfuse.diagnosis import RecordError, read_jsonl

    unreadable: deque[tuple[int, dict[str, Any]]] = deque()
    fed: deque[int] = deque()  # line numbers of the records handed to the linker, in order

    def records() -> Iterator[Any]:
        for lineno, record in read_jsonl(input):
            if not isinstance(record, dict | Exception):  # named by its line, as diagnose does
                kind = type(record).__name__
                record = RecordError(f"line {lineno} is not a JSON object (a record), got {kind}")
            if isinstance(record, Exception):
                error = {"id": f"line-{lineno}", "mentions": [], "error": str(record)}
                unreadable.append((lineno, error))
                continue
            if "id" not in record:  # named by its line, as diagnose and predict name it
                record = {**record, "id": f"line-{lineno}"}
            fed.append(lineno)
            yield record

    for out in link_records(records(), linker, n_process=processes):
        lineno = fed.popleft()
        while unreadable and unreadable[0][0] < lineno:
            yield unreadable.popleft()[1]
        yield out
    while unreadable:
        yield unreadable.popleft()[1]
