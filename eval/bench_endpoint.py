"""Latency of the KG helper queries behind a SPARQL endpoint, against the embedded store.

One process opens the same built KG twice: embedded (``KnowledgeGraph.open(folder)``, the
RocksDB store in this process) and remote (``oxigraph serve-read-only`` over the same store
on loopback, started here, read through :class:`kg.remote.RemoteStore`). For each helper
(``term``, ``annotations_of``, ``diseases_with``, ``genes_of``) over a seeded sample of
terms and diseases, the two are called alternately, so a load that changes during the run
weighs on both alike. Per repeat, each side's median latency is taken and the ratio
``endpoint p50 / embedded p50`` computed; the report gives the median of each over repeats,
with its min and max, and the load average before and after (the figures are only
comparable at a similar load). Answers of both sides are compared on the warm-up pass.

The first ``KnowledgeGraph.open`` of the endpoint derives the tables from it (once per KG,
cached in the kgfuse home by the endpoint's URL); its time is reported apart (0 when the
cache was already there). On a free port chosen for the run (no ``port`` given) the URL is
new each time, so the tables derived are removed at the end instead of left behind unused.
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.bench_kg import Spread, _load_average, machine_info, sample_arguments
from kg.atomic import output_folder, write_atomic
from kg.endpoint import OxigraphServer, free_port
from kg.knowledge_graph import KnowledgeGraph
from kg.remote import remote_cache_dir

logger = logging.getLogger(__name__)

#: Helper name -> the kind of argument it takes (see ``eval.bench_kg.sample_arguments``).
ENDPOINT_HELPERS: dict[str, str] = {
    "term": "phenotype",
    "annotations_of": "disease",
    "diseases_with": "phenotype",
    "genes_of": "disease",
}


@dataclass
class EndpointHelperResult:
    """One helper: p50 latency (ms) of each side and their ratio, over repeats."""

    name: str
    argument: str
    calls_per_repeat: int
    embedded_p50_ms: Spread
    endpoint_p50_ms: Spread
    ratio: Spread
    answers_agree: bool


@dataclass
class EndpointBenchmarkResult:
    """Everything :func:`run_endpoint_benchmark` measured."""

    machine: dict[str, Any]
    config: dict[str, Any]
    first_open_seconds: float
    derived_on_first_open: bool
    helpers: list[EndpointHelperResult]
    load_average_before: list[float] | None
    load_average_after: list[float] | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _comparable(value: Any) -> Any:
    """Helper answers with rows in a fixed order (SPARQL leaves some orders open)."""
    if isinstance(value, list):
        return sorted(repr(v) for v in value)
    return repr(value)


def run_endpoint_benchmark(
    kg_path: Path,
    out: Path,
    *,
    home: Path | None = None,
    samples: int = 20,
    repeats: int = 5,
    seed: int = 0,
    port: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> EndpointBenchmarkResult:
    """Time the helper queries embedded and through ``oxigraph serve``; write the report.

    Args:
        kg_path: a built KG folder.
        out: folder for ``bench_endpoint.json`` and ``bench_endpoint.md``.
        home: kgfuse home caching the endpoint's derived tables (default: the usual home).
        samples: terms and diseases sampled per helper (default: ``20``).
        repeats: timed passes over the samples (default: ``5``).
        seed: sampling seed (default: ``0``).
        port: loopback port of the server (default: a free one); the derived tables are
            cached per URL, so a fixed port lets later runs skip deriving them (on a free
            port, the tables this run derived are removed at the end).
        progress: called with a short message after each step.
    """
    say = progress or (lambda message: None)
    out = output_folder(out)
    load_before = _load_average()
    local = KnowledgeGraph.open(kg_path)
    with OxigraphServer(kg_path, port=port or free_port()) as server:
        cache = remote_cache_dir(server.url, home)
        existed = cache.is_dir()
        before = set(cache.iterdir()) if existed else set()
        try:
            started = time.perf_counter()
            remote = KnowledgeGraph.open(server.url, home=home)
            first_open = time.perf_counter() - started
            cached = remote.path in before
            say(f"opened {server.url} in {first_open:.1f} s")
            results = _time_helpers(local, remote, samples, repeats, seed, say)
            del remote
        finally:
            if port is None:  # a URL no later run asks for: its cache would never be read
                _remove_new(cache, before, existed)
    result = EndpointBenchmarkResult(
        machine=machine_info(),
        config={
            "kg": str(kg_path),
            "fingerprint": local.fingerprint,
            "samples": samples,
            "repeats": repeats,
            "seed": seed,
            "server": "oxigraph serve-read-only on 127.0.0.1 (same machine)",
        },
        first_open_seconds=round(first_open, 3),
        derived_on_first_open=not cached,
        helpers=results,
        load_average_before=load_before,
        load_average_after=_load_average(),
    )
    write_atomic(out / "bench_endpoint.json", json.dumps(result.to_dict(), indent=2))
    write_atomic(out / "bench_endpoint.md", to_markdown(result))
    return result


def _remove_new(cache: Path, before: set[Path], existed: bool) -> None:
    """Remove what this run added to an endpoint's cache folder (the folder too, when the
    run made it)."""
    if not cache.is_dir():
        return
    for path in set(cache.iterdir()) - before:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if not existed and not any(cache.iterdir()):
        cache.rmdir()


def _time_helpers(
    local: KnowledgeGraph,
    remote: KnowledgeGraph,
    samples: int,
    repeats: int,
    seed: int,
    say: Callable[[str], None],
) -> list[EndpointHelperResult]:
    """Each helper on both sides, alternated: answers compared on the warm-up pass, then
    ``repeats`` timed passes."""
    args = sample_arguments(local, samples, seed)
    results = []
    for name, kind in ENDPOINT_HELPERS.items():
        calls = args[kind]
        if not calls:
            continue
        sides = {"embedded": getattr(local, name), "endpoint": getattr(remote, name)}
        # every sample compared (a list, not all() over a generator, which would stop at
        # the first difference): this is also the warm-up pass of every call
        same = [
            _comparable(sides["embedded"](a)) == _comparable(sides["endpoint"](a)) for a in calls
        ]
        agree = all(same)
        p50: dict[str, list[float]] = {"embedded": [], "endpoint": []}
        for r in range(repeats):
            times: dict[str, list[float]] = {"embedded": [], "endpoint": []}
            order = ("embedded", "endpoint") if r % 2 == 0 else ("endpoint", "embedded")
            for a in calls:
                for side in order:
                    t0 = time.perf_counter()
                    sides[side](a)
                    times[side].append(time.perf_counter() - t0)
            for side, values in times.items():
                p50[side].append(statistics.median(values) * 1000)
        ratios = [e / max(b, 1e-9) for e, b in zip(p50["endpoint"], p50["embedded"], strict=True)]
        results.append(
            EndpointHelperResult(
                name,
                kind,
                len(calls),
                Spread.of(p50["embedded"]),
                Spread.of(p50["endpoint"]),
                Spread.of(ratios),
                agree,
            )
        )
        say(f"{name}: endpoint/embedded p50 ratio {statistics.median(ratios):.2f}")
    return results


def _spread(s: Spread, digits: int = 2) -> str:
    return f"{s.median:.{digits}f} ({s.min:.{digits}f} to {s.max:.{digits}f})"


def to_markdown(result: EndpointBenchmarkResult) -> str:
    """The report as a Markdown table (medians over repeats, min to max in parentheses)."""
    c = result.config
    lines = [
        "# KG helper queries: SPARQL endpoint against embedded store",
        "",
        f"KG {c['fingerprint'][:12]}, {c['samples']} samples per helper, {c['repeats']} "
        f"repeats, {c['server']}. Load average before {result.load_average_before}, after "
        f"{result.load_average_after}; {result.machine.get('cores_usable')} usable cores "
        f"({result.machine.get('cpu')}).",
        "",
        "| helper | embedded p50 ms | endpoint p50 ms | ratio endpoint / embedded | "
        "answers agree |",
        "|---|---|---|---|---|",
    ]
    for h in result.helpers:
        lines.append(
            f"| {h.name} | {_spread(h.embedded_p50_ms)} | {_spread(h.endpoint_p50_ms)} | "
            f"{_spread(h.ratio)} | {'yes' if h.answers_agree else 'NO'} |"
        )
    derived = "derived the tables" if result.derived_on_first_open else "tables already cached"
    lines += [
        "",
        f"First open of the endpoint: {result.first_open_seconds:.1f} s ({derived}).",
        "",
    ]
    return "\n".join(lines)
