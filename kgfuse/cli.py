"""The ``kgfuse`` command line: thin typer wrappers around the library's functions."""

from __future__ import annotations

from typing import Annotated

import typer

from kgfuse.commands import bench as bench_commands
from kgfuse.commands import kg as kg_commands
from kgfuse.commands.common import setup_logging

app = typer.Typer(
    name="kgfuse",
    help="Knowledge-augmented NLP: ontologies as RDF KGs, GNN + FAISS fact retrieval fused "
    "into Transformer encoders, rule checks and an audit trail.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(kg_commands.app, name="kg")
app.add_typer(bench_commands.app, name="bench")


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    """kgfuse: load a domain ontology, fine-tune, ask, and audit."""
    setup_logging(verbose)


if __name__ == "__main__":  # pragma: no cover
    app()
