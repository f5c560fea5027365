"""The ``kgfuse`` command line: thin typer wrappers around the library's functions."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kgfuse.commands import ask as ask_commands
from kgfuse.commands import audit as audit_commands
from kgfuse.commands import bench as bench_commands
from kgfuse.commands import evaluate as evaluate_commands
from kgfuse.commands import facts as facts_commands
from kgfuse.commands import kg as kg_commands
from kgfuse.commands import link as link_commands
from kgfuse.commands import model as model_commands
from kgfuse.commands import task as task_commands
from kgfuse.commands import tune as tune_commands
from kgfuse.commands.common import setup_logging, stop_on_sigterm
from kgfuse.quick_exit import leave, quick_exit_allowed

app = typer.Typer(
    name="kgfuse",
    help="Knowledge-augmented NLP: ontologies as RDF KGs, GNN + FAISS fact retrieval fused "
    "into Transformer encoders, rule checks and an audit trail.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(kg_commands.app, name="kg")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(bench_commands.app, name="bench")
app.add_typer(evaluate_commands.app, name="eval")
app.command("link")(link_commands.link)
app.command("embed")(model_commands.embed)
app.command("train")(model_commands.train)
app.command("diagnose")(model_commands.diagnose)
app.command("calibrate")(model_commands.calibrate)
app.command("predict")(task_commands.predict)
app.command("distant")(task_commands.distant)
app.command("quickstart")(model_commands.quickstart)
app.command("tune")(tune_commands.tune)
app.command("facts")(facts_commands.facts)
app.command("ask")(ask_commands.ask)
app.command("serve")(ask_commands.serve)
bench_commands.app.command("serve")(ask_commands.bench_serve)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("kgfuse")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown"
        typer.echo(f"kgfuse {number}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log progress details; with an error, its traceback."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the kgfuse version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """kgfuse: load a domain ontology, fine-tune, ask, and audit."""
    setup_logging(verbose)


def run() -> None:
    """The ``kgfuse`` console script: the app, then the process ends at once when the command
    allowed it (:mod:`kgfuse.quick_exit`: its outputs closed, millions of loaded objects left
    for the operating system to take back)."""
    code: str | int | None = 0
    stop_on_sigterm()  # a SIGTERM stops a command as Ctrl-C does (exit status 143)
    try:
        app()  # standalone: ends with SystemExit
    except SystemExit as stop:
        code = stop.code
    if quick_exit_allowed():
        leave(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
