r"""Benchmark of link prediction: every GNN encoder and every shallow baseline on one split.

What it measures (target, from the issue that asked for it: the best GNN at or above the
best shallow baseline on the filtered MRR of ``has phenotype``; reported either way):

* **One split**: a seeded train / valid / test split of the edges of the target relations
  (:func:`~eval.linkpred.split_edges`; by default ``has phenotype``, i.e. the
  disease->phenotype and gene->phenotype edges of the HPO KG). Every model trains on
  ``split.train_graph`` only: no validation or test edge is used in message passing or
  as a training triple.
* **GNN encoders** (:data:`~encoders.graph_model.GRAPH_ENCODERS`: R-GCN and CompGCN, each
  with a KGE decoder) trained by :func:`~train.embed.train_graph_embedder` on that split.
* **Shallow baselines** (:data:`~eval.linkpred.KGE_BASELINES`: PyG's TransE, DistMult and
  RotatE) trained by :func:`~eval.linkpred.train_kge_baseline` on the same split.
* **Selection on validation only**: after every epoch each model is scored on the same
  fixed sample of validation triples; training stops after ``patience`` epochs without
  improvement and the best epoch's model is kept. The test triples are ranked once, at the
  end.
* **Metrics**: filtered MRR and Hits@1/3/10 (:func:`~eval.linkpred.filtered_ranks`: every
  node of the tail's type is a candidate, the other known true tails are removed, ties count
  as the mean position), over all test triples and per relation and head node type
  (``has phenotype`` from diseases and from genes); training wall time and epochs.

Results go to ``bench_linkpred.json`` and ``bench_linkpred.md`` (written again after every
model, so an interrupted run keeps what is done); the GNNs' best models and embeddings to
``models/<name>/``. The load average of the machine is recorded, since other jobs share it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from encoders.graph_model import GRAPH_ENCODERS, GraphEmbedder, GraphEncoderConfig
from encoders.kge_decoders import KGE_DECODERS
from eval.bench_kg import machine_info
from eval.linkpred import (
    BASELINE_BATCH_SIZE,
    BASELINE_LR,
    BASELINE_NUM_NEGATIVES,
    KGE_BASELINES,
    EdgeSplit,
    filtered_ranks,
    metrics,
    sample_triples,
    split_edges,
    train_kge_baseline,
)
from fusion.facts import relation_label
from kg.atomic import output_folder, write_atomic
from kg.namespaces import RO_GENE_CONTRIBUTES_TO, RO_HAS_PHENOTYPE, compress
from kg.tensors import GraphTensors
from train.embed import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LR,
    DEFAULT_NUM_NEGATIVES,
    MODEL_DIR,
    train_graph_embedder,
)

logger = logging.getLogger(__name__)

__all__ = [
    "GNN_MODELS",
    "LinkPredBenchmarkConfig",
    "LinkPredBenchmarkResult",
    "MODELS",
    "ModelRun",
    "SHALLOW_MODELS",
    "groups_of_test_triples",
    "parse_models",
    "run_linkpred_benchmark",
    "summary_rows",
    "to_markdown",
]

GNN_MODELS: tuple[str, ...] = tuple(GRAPH_ENCODERS)
SHALLOW_MODELS: tuple[str, ...] = tuple(KGE_BASELINES)
MODELS: tuple[str, ...] = GNN_MODELS + SHALLOW_MODELS
"""Every model the benchmark can run, GNN encoders first."""

JSON_FILE = "bench_linkpred.json"
MARKDOWN_FILE = "bench_linkpred.md"
MODELS_DIR = "models"


def parse_models(text: str | Sequence[str]) -> tuple[str, ...]:
    """Model names from a comma-separated string (``"compgcn,distmult"``, ``"all"``) or a
    sequence.

    Raises:
        ValueError: An unknown name (the message lists the choices).
    """
    if isinstance(text, str) and text.strip().lower() == "all":
        return MODELS
    parts = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(p.strip().lower() for p in parts if p.strip())
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown models {unknown}; choices: {', '.join(MODELS)}")
    if not names:
        raise ValueError(f"no models given; choices: {', '.join(MODELS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"a model is named twice in {list(names)}")
    return names


@dataclass(frozen=True)
class LinkPredBenchmarkConfig:
    """Settings of :func:`run_linkpred_benchmark`; saved and hashed next to the results.

    Args:
        models (tuple[str, ...], optional): Models to run, from :data:`MODELS`.
            (default: all)
        epochs (int, optional): Maximum epochs of every model (one epoch = one pass over the
            training triples). (default: :obj:`20`)
        patience (int, optional): Epochs without validation improvement before a model
            stops. (default: :obj:`3`)
        hidden_dim (int, optional): Embedding size of every model (shallow RotatE: complex
            dimensions). (default: :obj:`128`)
        seed (int, optional): Seed of the split, of every model's initialisation and of
            the negative sampling. (default: :obj:`0`)
        relations (tuple[str, ...], optional): IRIs of the relations whose edges are split
            and ranked. (default: ``has phenotype``)
        valid_frac (float, optional): Validation fraction of those edges.
            (default: :obj:`0.05`)
        test_frac (float, optional): Test fraction. (default: :obj:`0.05`)
        derived_via (str, optional): IRI of the relation whose edges make a node's target
            edges restate another's (HPO: a gene's phenotypes are its diseases'), for
            :func:`~eval.linkpred.split_edges`: restated triples are not held out and leave
            the training graph with their held-out sources. Unused when the graph lacks
            it; :obj:`None` treats every triple as independent.
            (default: ``contributes to condition``)
        max_valid_triples (int, optional): Size of the per-epoch validation sample;
            :obj:`None` uses all. (default: :obj:`2000`)
        decoder (str, optional): Decoder of the GNN encoders. (default: ``"distmult"``)
        gnn_batch_size (int, optional): GNN positives per step (one full-graph pass each).
            (default: :data:`~train.embed.DEFAULT_BATCH_SIZE`)
        gnn_num_negatives (int, optional): GNN negative pool size.
            (default: :data:`~train.embed.DEFAULT_NUM_NEGATIVES`)
        gnn_lr (float, optional): GNN learning rate. (default: :data:`~train.embed.DEFAULT_LR`)
        gnn_dropout (float, optional): Dropout on each GNN layer's input
            (:attr:`~encoders.graph_model.GraphEncoderConfig.dropout`). (default: :obj:`0.0`)
        baseline_batch_size (int, optional): Shallow positives per step.
            (default: :data:`~eval.linkpred.BASELINE_BATCH_SIZE`)
        baseline_num_negatives (int, optional): Shallow negative pool size.
            (default: :data:`~eval.linkpred.BASELINE_NUM_NEGATIVES`)
        baseline_lr (float, optional): Shallow learning rate.
            (default: :data:`~eval.linkpred.BASELINE_LR`)
    """

    models: tuple[str, ...] = MODELS
    epochs: int = 20
    patience: int = 3
    hidden_dim: int = 128
    seed: int = 0
    relations: tuple[str, ...] = (RO_HAS_PHENOTYPE,)
    valid_frac: float = 0.05
    test_frac: float = 0.05
    derived_via: str | None = RO_GENE_CONTRIBUTES_TO
    max_valid_triples: int | None = 2000
    decoder: str = "distmult"
    gnn_batch_size: int = DEFAULT_BATCH_SIZE
    gnn_num_negatives: int = DEFAULT_NUM_NEGATIVES
    gnn_lr: float = DEFAULT_LR
    gnn_dropout: float = 0.0
    baseline_batch_size: int = BASELINE_BATCH_SIZE
    baseline_num_negatives: int = BASELINE_NUM_NEGATIVES
    baseline_lr: float = BASELINE_LR

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", parse_models(self.models))
        object.__setattr__(self, "relations", tuple(self.relations))
        if self.decoder not in KGE_DECODERS:
            raise ValueError(
                f"unknown decoder {self.decoder!r}; choices: {', '.join(sorted(KGE_DECODERS))}"
            )
        if self.epochs < 1 or self.patience < 1 or self.hidden_dim < 1:
            raise ValueError("epochs, patience and hidden_dim must be positive")
        if not 0.0 <= self.gnn_dropout < 1.0:
            raise ValueError(f"gnn_dropout must be in [0, 1), got {self.gnn_dropout}")
        if self.decoder == "rotate" and self.hidden_dim % 2:
            raise ValueError("the RotatE decoder needs an even hidden_dim")

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of the fields."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass
class ModelRun:
    """One model trained and evaluated on the split.

    Attributes:
        name: ``"rgcn"``, ``"compgcn"``, ``"transe"``, ``"distmult"`` or ``"rotate"``.
        kind: ``"gnn"`` or ``"shallow"``.
        params: Its settings (architecture and optimisation).
        num_parameters: Trainable parameters.
        train_seconds: Wall clock of the training epochs, per-epoch validation included.
        total_seconds: Wall clock of the whole model: setup, training, saving, evaluation.
        epochs_run: Epochs trained.
        best_epoch: Epoch (1-based) of the kept model, chosen on validation.
        stopped_early: Whether patience ran out before the maximum epochs.
        valid: Filtered metrics on every validation triple.
        test: Filtered metrics on every test triple.
        test_by_group: Test metrics per relation (``"has phenotype"``) and per relation and
            head node type (``"has phenotype (Disease)"``).
        history: One dict per epoch: ``epoch``, ``loss``, ``valid_mrr`` (on the
            validation sample), ``seconds``.
        load_average: Load average when the model was done.
    """

    name: str
    kind: str
    params: dict[str, Any]
    num_parameters: int
    train_seconds: float
    total_seconds: float
    epochs_run: int
    best_epoch: int
    stopped_early: bool
    valid: dict[str, float]
    test: dict[str, float]
    test_by_group: dict[str, dict[str, float]]
    history: list[dict[str, float]] = field(default_factory=list)
    load_average: list[float] | None = None


@dataclass
class LinkPredBenchmarkResult:
    """Everything :func:`run_linkpred_benchmark` measured."""

    machine: dict[str, Any]
    config: dict[str, Any]
    config_hash: str
    kg: dict[str, Any]
    split: dict[str, Any]
    runs: list[ModelRun] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)
    load_average_end: list[float] | None = None
    wall_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def best(self, kind: str) -> ModelRun | None:
        """The run of ``kind`` (``"gnn"`` or ``"shallow"``) with the highest test MRR."""
        runs = [r for r in self.runs if r.kind == kind and r.test]
        return max(runs, key=lambda r: r.test["mrr"]) if runs else None


# ---- groups of test triples -------------------------------------------------------------
def _short_type(iri: str) -> str:
    name = compress(iri)
    return name.split(":", 1)[1] if ":" in name and "://" not in name else name


def groups_of_test_triples(split: EdgeSplit) -> dict[str, Tensor]:
    r"""Boolean masks over ``split.test``: per relation, and per relation and head type.

    A relation whose test heads are all of one node type gets no per-type group (it would
    repeat the relation's).

    Returns:
        ``{"has phenotype": mask, "has phenotype (Disease)": mask, ...}``.

    Shapes:
        - **output:** masks of :math:`(T)`
    """
    graph, test = split.graph, split.test
    head_type = graph.node_type[test[:, 0]] if test.numel() else torch.empty(0, dtype=torch.long)
    groups: dict[str, Tensor] = {}
    for r in sorted(set(test[:, 1].tolist())):
        iri = graph.relation_names[r]
        label = relation_label(iri, {})
        in_rel = test[:, 1] == r
        groups[label] = in_rel
        types = sorted(set(head_type[in_rel].tolist()))
        if len(types) > 1:
            for t in types:
                type_name = _short_type(graph.node_type_names[t])
                groups[f"{label} ({type_name})"] = in_rel & (head_type == t)
    return groups


def _group_metrics(ranks: Tensor, groups: dict[str, Tensor]) -> dict[str, dict[str, float]]:
    out = {}
    for name, mask in groups.items():
        if bool(mask.any()):
            out[name] = {**metrics(ranks[mask]), "count": int(mask.sum())}
    return out


# ---- one model --------------------------------------------------------------------------
def _run_gnn(
    name: str,
    graph: GraphTensors,
    split: EdgeSplit,
    config: LinkPredBenchmarkConfig,
    groups: dict[str, Tensor],
    out_dir: Path,
    progress: bool,
) -> ModelRun:
    start = time.perf_counter()
    gnn_config = GraphEncoderConfig(
        encoder=name,
        decoder=config.decoder,
        hidden_dim=config.hidden_dim,
        dropout=config.gnn_dropout,
        seed=config.seed,
    )
    folder = out_dir / MODELS_DIR / name
    trained = train_graph_embedder(
        graph,
        gnn_config,
        folder,
        epochs=config.epochs,
        patience=config.patience,
        batch_size=config.gnn_batch_size,
        lr=config.gnn_lr,
        num_negatives=config.gnn_num_negatives,
        max_valid_triples=config.max_valid_triples,
        max_test_triples=0,  # ranked below on every test triple, per group
        resume=False,
        progress=progress,
        split=split,
    )
    # the best model, with message passing over the training graph only
    model = GraphEmbedder.load(folder / MODEL_DIR, graph)
    model.eval()
    with torch.no_grad():
        z = model(model.prepare(split.train_graph))
        score_fn = partial(model.score_all_tails, z)
        valid = metrics(filtered_ranks(score_fn, split.valid, split.graph))
        test_ranks = filtered_ranks(score_fn, split.test, split.graph)
    return ModelRun(
        name=name,
        kind="gnn",
        params={
            **gnn_config.to_dict(),
            "batch_size": config.gnn_batch_size,
            "num_negatives": config.gnn_num_negatives,
            "lr": config.gnn_lr,
            "loss": "bce",
        },
        num_parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
        train_seconds=sum(h["seconds"] for h in trained.history),
        total_seconds=time.perf_counter() - start,
        epochs_run=trained.epochs_run,
        best_epoch=trained.best_epoch,
        stopped_early=trained.stopped_early,
        valid=valid,
        test=metrics(test_ranks),
        test_by_group=_group_metrics(test_ranks, groups),
        history=[
            {k: h[k] for k in ("epoch", "loss", "valid_mrr", "seconds")} for h in trained.history
        ],
    )


def _run_shallow(
    name: str,
    split: EdgeSplit,
    config: LinkPredBenchmarkConfig,
    groups: dict[str, Tensor],
    progress: bool,
) -> ModelRun:
    start = time.perf_counter()
    result = train_kge_baseline(
        name,
        split,
        config.epochs,
        hidden_dim=config.hidden_dim,
        batch_size=config.baseline_batch_size,
        lr=config.baseline_lr,
        num_negatives=config.baseline_num_negatives,
        seed=config.seed,
        patience=config.patience,
        max_valid_triples=config.max_valid_triples,
        progress=progress,
    )
    if result.test_ranks is None:
        raise ValueError("the split has no test triples; raise test_frac")
    return ModelRun(
        name=name,
        kind="shallow",
        params={
            "hidden_dim": config.hidden_dim,
            "batch_size": config.baseline_batch_size,
            "num_negatives": config.baseline_num_negatives,
            "lr": config.baseline_lr,
            "loss": "bce" if name == "rotate" else "margin",
            "seed": config.seed,
        },
        num_parameters=sum(p.numel() for p in result.model.parameters() if p.requires_grad),
        train_seconds=result.seconds,
        total_seconds=time.perf_counter() - start,
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
        stopped_early=result.stopped_early,
        valid=result.valid,
        test=result.test,
        test_by_group=_group_metrics(result.test_ranks, groups),
        history=result.history,
    )


# ---- the benchmark ----------------------------------------------------------------------
def run_linkpred_benchmark(
    graph: GraphTensors,
    out_dir: str | Path,
    config: LinkPredBenchmarkConfig | None = None,
    *,
    progress: bool = True,
) -> LinkPredBenchmarkResult:
    """Train and evaluate each model of ``config.models`` on one split; write the reports.

    Args:
        graph (GraphTensors): The full KG.
        out_dir (str or Path): Folder for ``bench_linkpred.json``, ``bench_linkpred.md``
            and the GNNs' ``models/<name>/`` (created).
        config (LinkPredBenchmarkConfig, optional): The settings. (default: :obj:`None`,
            the defaults)
        progress (bool, optional): Show progress bars. (default: :obj:`True`)

    Raises:
        ValueError: An unknown relation, or a split without validation or test triples.
    """
    config = config or LinkPredBenchmarkConfig()
    out_dir = output_folder(Path(out_dir))
    start = time.perf_counter()
    derived_via = config.derived_via if config.derived_via in graph.relation_names else None
    split = split_edges(
        graph,
        list(config.relations),
        config.valid_frac,
        config.test_frac,
        seed=config.seed,
        derived_via=derived_via,
    )
    if not split.valid.numel() or not split.test.numel():
        raise ValueError(
            f"the split has {split.valid.size(0)} validation and {split.test.size(0)} test "
            "triples; raise valid_frac and test_frac"
        )
    groups = groups_of_test_triples(split)
    result = LinkPredBenchmarkResult(
        machine=machine_info(),
        config=config.to_dict(),
        config_hash=config.config_hash(),
        kg={
            "fingerprint": graph.fingerprint,
            "num_nodes": graph.num_nodes,
            "num_edges": graph.num_edges,
            "node_types": [_short_type(t) for t in graph.node_type_names],
            "relations": graph.relation_names,
        },
        split={
            "seed": split.seed,
            "relations": list(split.relations),
            "derived_via": derived_via,
            "train_edges": split.train_graph.num_edges,
            "valid_triples": int(split.valid.size(0)),
            "test_triples": int(split.test.size(0)),
            "valid_sample": int(
                sample_triples(split.valid, config.max_valid_triples, config.seed + 1).size(0)
            ),
            "test_groups": {name: int(mask.sum()) for name, mask in groups.items()},
            "train_graph_fingerprint": split.train_graph.fingerprint,
        },
    )
    for name in config.models:
        logger.info("link-prediction benchmark: %s", name)
        if name in GNN_MODELS:
            run = _run_gnn(name, graph, split, config, groups, out_dir, progress)
        else:
            run = _run_shallow(name, split, config, groups, progress)
        run.load_average = machine_info()["load_average"]
        result.runs.append(run)
        result.wall_seconds = time.perf_counter() - start
        _write(result, out_dir)  # keep what is done if a later model is interrupted
    result.checks = _checks(result)
    result.load_average_end = machine_info()["load_average"]
    result.wall_seconds = time.perf_counter() - start
    _write(result, out_dir)
    return result


def _checks(result: LinkPredBenchmarkResult) -> dict[str, bool]:
    gnn, shallow = result.best("gnn"), result.best("shallow")
    if gnn is None or shallow is None:
        return {}
    return {"best_gnn_at_or_above_best_shallow": gnn.test["mrr"] >= shallow.test["mrr"]}


# ---- reports ----------------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _fmt_seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _target_name(result: LinkPredBenchmarkResult) -> str:
    return ", ".join(relation_label(r, {}) for r in result.split["relations"])


def _derived_note(split: dict[str, Any]) -> str:
    via = split.get("derived_via")
    if not via:
        return ""
    return (
        f" (edges that restate others', through *{relation_label(via, {})}*, are not held "
        "out and leave with their held-out sources)"
    )


def to_markdown(result: LinkPredBenchmarkResult) -> str:
    """The result as a Markdown report: the split, one row per model, groups, machine."""
    s, c, m = result.split, result.config, result.machine
    target = _target_name(result)
    lines = [
        "# Link-prediction benchmark",
        "",
        f"KG {result.kg['fingerprint'][:12]}: {result.kg['num_nodes']:,} nodes, "
        f"{result.kg['num_edges']:,} edges. One split (seed {s['seed']}) of the *{target}* "
        f"edges: {s['valid_triples']:,} validation and {s['test_triples']:,} test triples held "
        f"out; {s['train_edges']:,} edges (all relations) left for message passing and "
        f"training{_derived_note(s)}. Filtered ranking of each test triple's tail among "
        "every node of its type (other known true tails removed, ties at the mean "
        "position). Each model keeps its "
        f"best epoch by the MRR of {s['valid_sample']:,} validation triples (patience "
        f"{c['patience']}, at most {c['epochs']} epochs); the test triples are ranked once.",
        "",
        f"| model | kind | {target} test MRR | Hits@1 | Hits@3 | Hits@10 | valid MRR "
        "| epochs (best / run) | train s | s / epoch |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result.runs:
        per_epoch = r.train_seconds / r.epochs_run if r.epochs_run else float("nan")
        lines.append(
            f"| {r.name} | {r.kind} | {_fmt(r.test.get('mrr'))} | {_fmt(r.test.get('hits@1'))} "
            f"| {_fmt(r.test.get('hits@3'))} | {_fmt(r.test.get('hits@10'))} "
            f"| {_fmt(r.valid.get('mrr'))} | {r.best_epoch} / {r.epochs_run} "
            f"| {_fmt_seconds(r.train_seconds)} | {_fmt_seconds(per_epoch)} |"
        )
    group_names = list(s["test_groups"])
    if result.runs and group_names:
        lines += [
            "",
            "Test MRR / Hits@10 by relation and head node type (test triples: "
            + ", ".join(f"{g} {n:,}" for g, n in s["test_groups"].items())
            + "):",
            "",
            "| model | " + " | ".join(group_names) + " |",
            "|---|" + "---:|" * len(group_names),
        ]
        for r in result.runs:
            cells = []
            for g in group_names:
                gm = r.test_by_group.get(g)
                cells.append(f"{_fmt(gm['mrr'])} / {_fmt(gm['hits@10'])}" if gm else "")
            lines.append(f"| {r.name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Settings: dim {c['hidden_dim']}; GNNs (2 layers, {c['decoder']} decoder, BCE): "
        f"batch {c['gnn_batch_size']}, {c['gnn_num_negatives']} negatives, lr {c['gnn_lr']}, "
        f"dropout {c.get('gnn_dropout', 0.0)}; "
        f"shallow (margin loss, RotatE BCE): batch {c['baseline_batch_size']}, "
        f"{c['baseline_num_negatives']} negatives, lr {c['baseline_lr']}. Config hash "
        f"{result.config_hash[:12]}.",
        f"Machine: {m.get('cpu')}, {m.get('cores_usable')} usable cores, {m.get('ram_gib')} GiB; "
        f"load average at start {m.get('load_average')}, at end {result.load_average_end} "
        f"(other jobs share the machine: times are upper bounds). Wall time "
        f"{result.wall_seconds:.0f} s.",
    ]
    gnn, shallow = result.best("gnn"), result.best("shallow")
    if gnn is not None and shallow is not None:
        ok = result.checks.get("best_gnn_at_or_above_best_shallow", False)
        lines += [
            "",
            f"Target, best GNN at or above the best shallow baseline on {target} test MRR: "
            f"{gnn.name} {gnn.test['mrr']:.3f} vs {shallow.name} {shallow.test['mrr']:.3f}, "
            f"{'pass' if ok else 'FAIL'}.",
        ]
    return "\n".join(lines) + "\n"


def summary_rows(result: LinkPredBenchmarkResult) -> list[tuple[str, str]]:
    """(model, result) pairs for a console table."""
    return [
        (
            f"{r.name} ({r.kind})",
            f"test MRR {r.test['mrr']:.3f}, Hits@1/3/10 {r.test['hits@1']:.3f} / "
            f"{r.test['hits@3']:.3f} / {r.test['hits@10']:.3f}, valid MRR {r.valid['mrr']:.3f}, "
            f"epochs {r.best_epoch}/{r.epochs_run}, {r.train_seconds:.0f} s",
        )
        for r in result.runs
    ]


def _write(result: LinkPredBenchmarkResult, out_dir: Path) -> None:
    write_atomic(out_dir / JSON_FILE, json.dumps(result.to_dict(), indent=2, default=str))
    write_atomic(out_dir / MARKDOWN_FILE, to_markdown(result))
