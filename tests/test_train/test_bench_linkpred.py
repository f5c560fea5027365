"""Tests of the link-prediction benchmark on a tiny graph: every model, one split, reports."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from encoders.graph_model import GraphEncoderConfig
from eval.linkpred import split_edges
from kg.errors import KGMismatchError
from kg.namespaces import RDFS_SUBCLASS_OF, RO_GENE_CONTRIBUTES_TO, RO_HAS_PHENOTYPE
from kg.tensors import GraphTensors
from train.bench_linkpred import (
    MODELS,
    LinkPredBenchmarkConfig,
    groups_of_test_triples,
    parse_models,
    run_linkpred_benchmark,
)
from train.embed import train_graph_embedder

CLUSTERS, DISEASES, GENES, TERMS = 4, 3, 2, 4
KGV = "https://w3id.org/kgfuse/vocab#"
OWL_CLASS = "http://www.w3.org/2002/07/owl#Class"


def _phenotype_graph(fingerprint: str = "fp-bench") -> GraphTensors:
    """Diseases and genes have phenotypes of their cluster; terms are subclasses of its root.

    4 clusters of 3 diseases, 2 genes and 4 terms (36 nodes); each disease has 3 of its
    cluster's 4 terms, each gene 2, so held-out phenotypes are predictable from the cluster.
    """
    n_dis, n_gene = CLUSTERS * DISEASES, CLUSTERS * GENES
    first_term = n_dis + n_gene
    heads, tails, types = [], [], []
    for c in range(CLUSTERS):
        terms = [first_term + c * TERMS + k for k in range(TERMS)]
        for d in range(DISEASES):
            for k in range(TERMS):
                if k != d:
                    heads.append(c * DISEASES + d)
                    tails.append(terms[k])
                    types.append(0)
        for g in range(GENES):
            for k in (g, g + 2):
                heads.append(n_dis + c * GENES + g)
                tails.append(terms[k])
                types.append(0)
        for k in terms[1:]:
            heads.append(k)
            tails.append(terms[0])
            types.append(1)
    n = first_term + CLUSTERS * TERMS
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(n)],
        node_type=torch.tensor([1] * n_dis + [2] * n_gene + [0] * (CLUSTERS * TERMS)),
        node_type_names=[OWL_CLASS, KGV + "Disease", KGV + "Gene"],
        edge_index=torch.tensor([heads, tails]),
        edge_type=torch.tensor(types),
        relation_names=[RO_HAS_PHENOTYPE, RDFS_SUBCLASS_OF],
        edge_weight=torch.ones(len(heads)),
        fingerprint=fingerprint,
    )


TINY = {
    "epochs": 3,
    "patience": 2,
    "hidden_dim": 8,
    "valid_frac": 0.2,
    "test_frac": 0.2,
    "gnn_batch_size": 32,
    "gnn_num_negatives": 8,
    "baseline_batch_size": 32,
    "baseline_num_negatives": 8,
}
METRICS = ("mrr", "hits@1", "hits@3", "hits@10")


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    """The benchmark run once on the tiny graph with every model."""
    out = tmp_path_factory.mktemp("bench")
    run_linkpred_benchmark(_phenotype_graph(), out, LinkPredBenchmarkConfig(**TINY), progress=False)
    report = json.loads((out / "bench_linkpred.json").read_text(encoding="utf-8"))
    return out, report, (out / "bench_linkpred.md").read_text(encoding="utf-8")


def _in_unit_range(value: float) -> bool:
    return math.isfinite(value) and 0.0 <= value <= 1.0


def test_bench_linkpred_json_has_every_model_with_metrics_in_unit_range(
    bench: tuple[Path, dict, str],
) -> None:
    _, report, _ = bench
    runs = {r["name"]: r for r in report["runs"]}
    assert list(runs) == list(MODELS)
    assert {r["kind"] for r in report["runs"]} == {"gnn", "shallow"}
    for name, run in runs.items():
        for part in (run["valid"], run["test"]):
            assert set(part) == set(METRICS), name
            assert all(_in_unit_range(part[k]) for k in METRICS), (name, part)
        assert run["test"]["mrr"] > 0.0
        assert run["test"]["hits@1"] <= run["test"]["hits@3"] <= run["test"]["hits@10"]
        assert 1 <= run["best_epoch"] <= run["epochs_run"] <= TINY["epochs"]
        assert len(run["history"]) == run["epochs_run"]
        assert run["train_seconds"] > 0.0 and run["num_parameters"] > 0
        groups = run["test_by_group"]
        assert set(groups) == {"has phenotype", "has phenotype (Disease)", "has phenotype (Gene)"}
        assert all(_in_unit_range(g[k]) for g in groups.values() for k in METRICS)
        # one relation split: its group is every test triple
        assert groups["has phenotype"]["mrr"] == pytest.approx(run["test"]["mrr"])
    counts = report["split"]["test_groups"]
    assert (
        counts["has phenotype (Disease)"] + counts["has phenotype (Gene)"]
        == counts["has phenotype"]
        == report["split"]["test_triples"]
    )
    assert report["config"]["models"] == list(MODELS)
    assert len(report["config_hash"]) == 64
    assert set(report["checks"]) == {"best_gnn_at_or_above_best_shallow"}


def test_bench_linkpred_markdown_has_a_row_per_model_with_metrics_in_unit_range(
    bench: tuple[Path, dict, str],
) -> None:
    _, report, markdown = bench
    lines = markdown.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| model | kind |"))
    rows = [line.split("|")[1:-1] for line in lines[header + 2 : header + 2 + len(MODELS)]]
    assert [cells[0].strip() for cells in rows] == list(MODELS)
    for cells in rows:
        values = [float(c) for c in cells[2:7]]  # test MRR, Hits@1/3/10, valid MRR
        assert all(_in_unit_range(v) for v in values), cells
        best, run = (int(x) for x in cells[7].split("/"))
        assert 1 <= best <= run <= TINY["epochs"]
        assert float(cells[8]) >= 0.0 and float(cells[9]) >= 0.0  # seconds, per epoch
    assert "has phenotype (Gene)" in markdown
    assert "Target, best GNN at or above the best shallow baseline" in markdown


def test_bench_linkpred_gnns_train_on_the_benchmark_split(bench: tuple[Path, dict, str]) -> None:
    out, report, _ = bench
    for name in ("rgcn", "compgcn"):
        run = json.loads((out / "models" / name / "metrics.json").read_text(encoding="utf-8"))
        assert run["run"]["split"] == report["split"]["train_graph_fingerprint"]
        assert run["run"]["relations"] == [RO_HAS_PHENOTYPE]


def test_train_graph_embedder_with_given_split_equals_its_own_split(tmp_path: Path) -> None:
    graph = _phenotype_graph()
    config = GraphEncoderConfig(hidden_dim=8, seed=1)
    kwargs = {"epochs": 2, "batch_size": 32, "num_negatives": 8, "progress": False}
    own = train_graph_embedder(
        graph,
        config,
        tmp_path / "own",
        relations=[RO_HAS_PHENOTYPE],
        valid_frac=0.2,
        test_frac=0.2,
        **kwargs,
    )
    split = split_edges(graph, [RO_HAS_PHENOTYPE], 0.2, 0.2, seed=1)
    given = train_graph_embedder(graph, config, tmp_path / "given", split=split, **kwargs)
    assert torch.equal(own.embeddings, given.embeddings)
    assert own.test_metrics == given.test_metrics


def test_train_graph_embedder_refuses_a_split_of_another_kg(tmp_path: Path) -> None:
    split = split_edges(_phenotype_graph("fp-other"), [RO_HAS_PHENOTYPE], 0.2, 0.2)
    with pytest.raises(KGMismatchError, match="edge split"):
        train_graph_embedder(
            _phenotype_graph(), GraphEncoderConfig(hidden_dim=8), tmp_path, split=split
        )


def test_groups_of_test_triples_split_has_phenotype_by_head_type() -> None:
    split = split_edges(_phenotype_graph(), [RO_HAS_PHENOTYPE, RDFS_SUBCLASS_OF], 0.3, 0.3)
    groups = groups_of_test_triples(split)
    assert set(groups) == {
        "has phenotype",
        "has phenotype (Disease)",
        "has phenotype (Gene)",
        "is a",  # heads of one type only: no per-type groups
    }
    assert int(groups["has phenotype"].sum()) + int(groups["is a"].sum()) == split.test.size(0)


def test_parse_models_accepts_all_and_subsets_and_lists_choices() -> None:
    assert parse_models("all") == MODELS
    assert parse_models(" CompGCN, distmult ") == ("compgcn", "distmult")
    with pytest.raises(ValueError, match="choices: rgcn, compgcn, transe, distmult, rotate"):
        parse_models("compgcn,complex")
    with pytest.raises(ValueError, match="twice"):
        LinkPredBenchmarkConfig(models=("rgcn", "rgcn"))
    with pytest.raises(ValueError, match="no models"):
        parse_models(" , ")


def test_gnn_dropout_reaches_the_gnns_and_the_report(tmp_path: Path) -> None:
    config = LinkPredBenchmarkConfig(**{**TINY, "epochs": 1}, models=("compgcn",), gnn_dropout=0.5)
    run_linkpred_benchmark(_phenotype_graph(), tmp_path, config, progress=False)
    report = json.loads((tmp_path / "bench_linkpred.json").read_text(encoding="utf-8"))
    assert report["config"]["gnn_dropout"] == 0.5
    assert report["runs"][0]["params"]["dropout"] == 0.5
    assert "lr 0.01, dropout 0.5;" in (tmp_path / "bench_linkpred.md").read_text(encoding="utf-8")
    assert LinkPredBenchmarkConfig().gnn_dropout == 0.0  # the default is the trainer's own
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="gnn_dropout must be in"):
            LinkPredBenchmarkConfig(gnn_dropout=bad)


def _graph_with_gene_links() -> GraphTensors:
    """The tiny graph with each gene contributing to its cluster's first disease and
    restating that disease's phenotypes (as HPO's genes_to_phenotype.txt does)."""
    base = _phenotype_graph("fp-genes")
    n_dis = CLUSTERS * DISEASES
    keep = base.node_type[base.edge_index[0]] != 2  # the genes' own edges, replaced
    edges = [tuple(e) for e in base.edge_index[:, keep].t().tolist()]
    types = base.edge_type[keep].tolist()
    for c in range(CLUSTERS):
        disease = c * DISEASES
        terms = [t for (h, t), r in zip(edges, types, strict=True) if h == disease and r == 0]
        for g in range(GENES):
            gene = n_dis + c * GENES + g
            edges += [(gene, disease)] + [(gene, t) for t in terms]
            types += [2] + [0] * len(terms)
    return GraphTensors(
        node_iris=base.node_iris,
        node_type=base.node_type,
        node_type_names=base.node_type_names,
        edge_index=torch.tensor(edges).t(),
        edge_type=torch.tensor(types),
        relation_names=[RO_HAS_PHENOTYPE, RDFS_SUBCLASS_OF, RO_GENE_CONTRIBUTES_TO],
        edge_weight=torch.ones(len(types)),
        fingerprint="fp-genes",
    )


@pytest.mark.parametrize("derived_via", [RO_GENE_CONTRIBUTES_TO, None])
def test_bench_linkpred_holds_out_no_restated_gene_triple(
    derived_via: str | None, tmp_path: Path
) -> None:
    settings = {**TINY, "models": ("distmult",), "epochs": 1, "derived_via": derived_via}
    run_linkpred_benchmark(
        _graph_with_gene_links(), tmp_path, LinkPredBenchmarkConfig(**settings), progress=False
    )
    report = json.loads((tmp_path / "bench_linkpred.json").read_text(encoding="utf-8"))
    markdown = (tmp_path / "bench_linkpred.md").read_text(encoding="utf-8")
    assert report["split"]["derived_via"] == derived_via
    genes_held = report["split"]["test_groups"].get("has phenotype (Gene)", 0)
    if derived_via:  # every gene triple restates its disease's: none is held out
        assert genes_held == 0 and "restate" in markdown
    else:
        assert genes_held > 0 and "restate" not in markdown
