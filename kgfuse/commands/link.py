"""``kgfuse link``: concept recognition with negation, and ``kgfuse eval link``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kgfuse.commands.common import (
    HomeOption,
    KGOption,
    MeasurementsOption,
    check_input_output,
    console,
    handle_errors,
    jsonl_output,
    resolve_kg,
    utf8_text,
)


def _linker(kg_path: Path | str, home: Path | None = None, *, measurements: bool = False):
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.resources import default_linker

    kg = KnowledgeGraph.open(kg_path, home=home)
    return kg, default_linker(kg, measurements=measurements)


@handle_errors
def link(
    input: Annotated[Path | None, typer.Argument(help="JSONL of {id, text} records.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output JSONL (default: stdout).")
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="Link one text and print a readable view.", callback=utf8_text),
    ] = None,
    processes: Annotated[int, typer.Option("--processes", "-j", help="Worker processes.")] = 1,
    measurements: MeasurementsOption = False,
    kg: KGOption = None,
    home: HomeOption = None,
) -> None:
    """Link clinical text to ontology terms (present or excluded), one record per line."""
    from encoders.linker import link_records

    if (input is None) == (text is None):
        raise ValueError("give either an INPUT.jsonl file or --text")
    check_input_output(input, output)
    _, linker = _linker(resolve_kg(kg, home), home, measurements=measurements)
    if text is not None:
        mentions = linker.link(text)
        table = Table("span", "text", "term", "status", "score")
        for m in mentions:
            status = "excluded" if m.excluded else ("family" if m.family else "present")
            if m.uncertain:
                status += " (uncertain)"
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
    with jsonl_output(output) as sink, input.open("rb") as fh:
        records = (_parse_line(i, raw) for i, raw in enumerate(fh, start=1) if raw.strip())
        for out in link_records(records, linker, n_process=processes):
            sink.write(json.dumps(out, ensure_ascii=False) + "\n")


def _parse_line(lineno: int, raw: bytes):
    """A record, or an object the linker reports as a per-record error."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return {"id": f"line-{lineno}", "text": raw}  # the linker reports it as not UTF-8
    except json.JSONDecodeError as exc:
        return f"line {lineno}: not valid JSON ({exc.msg})"
