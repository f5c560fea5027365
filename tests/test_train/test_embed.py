"""Tests of graph-embedding training: it learns, and an interrupted run resumes exactly."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

import train.embed as embed_module
from encoders.graph_model import GraphEmbedder, GraphEncoderConfig, load_node_embeddings
from eval.linkpred import candidates_of, split_edges
from kg.errors import KGMismatchError
from kg.tensors import GraphTensors
from train.embed import train_graph_embedder

CLUSTERS, DISEASES, TERMS = 6, 3, 4


def _clustered_graph(fingerprint: str = "fp-clusters") -> GraphTensors:
    """Diseases have the phenotypes of their cluster; terms are subclasses of a cluster root.

    6 clusters of 3 diseases and 4 terms (42 nodes); each disease has 3 of its cluster's 4
    terms, so a held-out phenotype is predictable from the cluster.
    """
    n_dis = CLUSTERS * DISEASES
    heads, tails, types = [], [], []
    for c in range(CLUSTERS):
        terms = [n_dis + c * TERMS + k for k in range(TERMS)]
        for d in range(DISEASES):
            disease = c * DISEASES + d
            for k in range(TERMS):
                if k != d:  # each disease misses a different term of its cluster
                    heads.append(disease)
                    tails.append(terms[k])
                    types.append(0)
        for k in terms[1:]:
            heads.append(k)
            tails.append(terms[0])
            types.append(1)
    n = n_dis + CLUSTERS * TERMS
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(n)],
        node_type=torch.tensor([0] * n_dis + [1] * (CLUSTERS * TERMS)),
        node_type_names=["Disease", "Term"],
        edge_index=torch.tensor([heads, tails]),
        edge_type=torch.tensor(types),
        relation_names=["has_phenotype", "subClassOf"],
        edge_weight=torch.ones(len(heads)),
        fingerprint=fingerprint,
    )


CONFIG = GraphEncoderConfig(hidden_dim=16, dropout=0.2, seed=0)
TRAIN_KWARGS = {
    "batch_size": 16,
    "lr": 0.02,
    "num_negatives": 8,
    "relations": ["has_phenotype"],
    "valid_frac": 0.15,
    "test_frac": 0.15,
    "max_valid_triples": None,
    "progress": False,
}


def _random_mrr(graph: GraphTensors, triples: torch.Tensor) -> float:
    """Expected MRR of uniformly random scores: H_m / m for m unfiltered candidates."""
    candidates = candidates_of(graph)
    true = {
        tuple(t)
        for t in torch.stack(
            [graph.edge_index[0], graph.edge_type, graph.edge_index[1]], 1
        ).tolist()
    }
    total = 0.0
    for h, r, t in triples.tolist():
        cands = candidates[int(graph.node_type[t])].tolist()
        m = sum(1 for c in cands if c == t or (h, r, c) not in true)
        total += sum(1.0 / k for k in range(1, m + 1)) / m
    return total / triples.size(0)


@pytest.mark.parametrize("encoder", ["rgcn", "compgcn"])
def test_train_graph_embedder_learns_above_random(encoder: str, tmp_path: Path) -> None:
    graph = _clustered_graph()
    config = GraphEncoderConfig(encoder=encoder, hidden_dim=16, dropout=0.1, seed=0)
    result = train_graph_embedder(graph, config, tmp_path, epochs=25, patience=25, **TRAIN_KWARGS)
    split = split_edges(graph, ["has_phenotype"], 0.15, 0.15, seed=0)
    baseline = _random_mrr(graph, split.valid)
    assert result.best_valid_mrr > baseline + 0.2
    assert result.embeddings.shape == (graph.num_nodes, 16)
    assert set(result.test_metrics) == {"mrr", "hits@1", "hits@3", "hits@10"}
    # Outputs: the model, the embeddings with IRIs and fingerprint, the metrics.
    loaded = GraphEmbedder.load(tmp_path / "model", graph)
    assert torch.equal(loaded.embed(graph), result.embeddings)
    assert torch.equal(load_node_embeddings(tmp_path, graph), result.embeddings)
    meta = json.loads((tmp_path / "embeddings.json").read_text())
    assert meta["node_iris"] == graph.node_iris and meta["fingerprint"] == graph.fingerprint
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["best_valid_mrr"] == pytest.approx(result.best_valid_mrr)


class _Killed(RuntimeError):
    """Stands for the process being killed right after a checkpoint."""


def test_train_graph_embedder_resume_after_interrupt_matches_uninterrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = _clustered_graph()
    full = train_graph_embedder(graph, CONFIG, tmp_path / "a", epochs=6, patience=6, **TRAIN_KWARGS)

    original = embed_module._write_checkpoint

    def write_then_die(path: Path, *args: object, **kwargs: object) -> None:
        original(path, *args, **kwargs)  # type: ignore[arg-type]
        state = args[4]
        if state.epoch == 3:  # type: ignore[attr-defined]
            raise _Killed

    monkeypatch.setattr(embed_module, "_write_checkpoint", write_then_die)
    with pytest.raises(_Killed):
        train_graph_embedder(graph, CONFIG, tmp_path / "b", epochs=6, patience=6, **TRAIN_KWARGS)
    monkeypatch.setattr(embed_module, "_write_checkpoint", original)
    torch.manual_seed(1234)  # the global RNG state of the new process is irrelevant
    resumed = train_graph_embedder(
        graph, CONFIG, tmp_path / "b", epochs=6, patience=6, **TRAIN_KWARGS
    )

    assert torch.equal(resumed.embeddings, full.embeddings)
    assert [h["valid_mrr"] for h in resumed.history] == [h["valid_mrr"] for h in full.history]
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in full.history]
    assert resumed.test_metrics == full.test_metrics
    assert resumed.epochs_run == 6


def test_train_graph_embedder_checkpoint_is_safetensors_with_json_state(tmp_path: Path) -> None:
    graph = _clustered_graph()
    train_graph_embedder(graph, CONFIG, tmp_path, epochs=2, patience=2, **TRAIN_KWARGS)
    with safe_open(str(tmp_path / "checkpoint.safetensors"), framework="pt") as handle:
        header = json.loads(handle.metadata()["kgfuse"])
        keys = set(handle.keys())
    assert header["state"]["epoch"] == 2 and header["state"]["finished"]
    assert {"rng/torch", "rng/sampler"} <= keys
    assert any(k.startswith("optim/") for k in keys) and any(k.startswith("best/") for k in keys)
    assert not list(tmp_path.glob("*.tmp"))


def test_train_graph_embedder_finished_run_is_not_retrained(tmp_path: Path) -> None:
    graph = _clustered_graph()
    first = train_graph_embedder(graph, CONFIG, tmp_path, epochs=2, patience=2, **TRAIN_KWARGS)
    again = train_graph_embedder(graph, CONFIG, tmp_path, epochs=2, patience=2, **TRAIN_KWARGS)
    assert torch.equal(first.embeddings, again.embeddings)
    assert again.history == first.history


def test_train_graph_embedder_finished_run_given_more_epochs_trains_on(tmp_path: Path) -> None:
    graph = _clustered_graph()
    straight = train_graph_embedder(
        graph, CONFIG, tmp_path / "a", epochs=4, patience=4, **TRAIN_KWARGS
    )
    train_graph_embedder(graph, CONFIG, tmp_path / "b", epochs=2, patience=4, **TRAIN_KWARGS)
    longer = train_graph_embedder(
        graph, CONFIG, tmp_path / "b", epochs=4, patience=4, **TRAIN_KWARGS
    )
    assert longer.epochs_run == 4
    assert [h["loss"] for h in longer.history] == [h["loss"] for h in straight.history]
    assert torch.equal(longer.embeddings, straight.embeddings)


def test_train_graph_embedder_refuses_checkpoint_of_other_run(tmp_path: Path) -> None:
    graph = _clustered_graph()
    train_graph_embedder(graph, CONFIG, tmp_path, epochs=1, patience=1, **TRAIN_KWARGS)
    other = {**TRAIN_KWARGS, "lr": 0.5}
    with pytest.raises(ValueError, match="lr"):
        train_graph_embedder(graph, CONFIG, tmp_path, epochs=2, **other)
    with pytest.raises(KGMismatchError):
        train_graph_embedder(
            _clustered_graph("fp-other"), CONFIG, tmp_path, epochs=2, **TRAIN_KWARGS
        )
    fresh = train_graph_embedder(graph, CONFIG, tmp_path, epochs=1, resume=False, **other)
    assert fresh.epochs_run == 1


def test_train_graph_embedder_rejects_unknown_loss(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bce, margin"):
        train_graph_embedder(_clustered_graph(), CONFIG, tmp_path, loss="hinge")  # type: ignore[arg-type]


def test_train_graph_embedder_rejects_no_relations(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="relations is empty"):
        train_graph_embedder(_clustered_graph(), CONFIG, tmp_path, relations=[])


def _synthetic_hpo_sized_graph(seed: int = 0) -> GraphTensors:
    """A random typed graph of the HPO KG's shape: 19k terms, 12.7k diseases, 5k genes;
    24k subClassOf, 280k disease and 312k gene has_phenotype (popular terms drawn more
    often), 8k gene contributes_to disease edges (~600k forward edges)."""
    g = torch.Generator().manual_seed(seed)
    n_term, n_dis, n_gene = 19_000, 12_700, 5_000
    term = torch.arange(n_term)
    dis = torch.arange(n_term, n_term + n_dis)
    gene = torch.arange(n_term + n_dis, n_term + n_dis + n_gene)
    popularity = torch.arange(1, n_term + 1).float().pow(-0.8)

    def draw(ids: torch.Tensor, n: int, weights: torch.Tensor | None = None) -> torch.Tensor:
        if weights is None:
            return ids[torch.randint(0, ids.numel(), (n,), generator=g)]
        return ids[torch.multinomial(weights, n, replacement=True, generator=g)]

    child = draw(term[1:], 24_000)
    parent = (torch.rand(24_000, generator=g) * child.float()).long()
    parts = [
        (child, parent, 0, torch.ones(24_000)),
        (draw(dis, 280_000), draw(term, 280_000, popularity), 1, torch.rand(280_000, generator=g)),
        (draw(gene, 312_000), draw(term, 312_000, popularity), 1, torch.ones(312_000)),
        (draw(gene, 8_000), draw(dis, 8_000), 2, torch.ones(8_000)),
    ]
    n = n_term + n_dis + n_gene
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(n)],
        node_type=torch.cat(
            [torch.zeros(n_term), torch.ones(n_dis), torch.full((n_gene,), 2)]
        ).long(),
        node_type_names=["Term", "Disease", "Gene"],
        edge_index=torch.stack(
            [torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])]
        ),
        edge_type=torch.cat([torch.full((p[0].numel(),), p[2]) for p in parts]),
        relation_names=["subClassOf", "has_phenotype", "contributes_to"],
        edge_weight=torch.cat([p[3] for p in parts]),
        fingerprint=f"synthetic-hpo-sized-{seed}",
    )


@pytest.mark.slow
@pytest.mark.parametrize("encoder", ["rgcn", "compgcn"])
def test_train_graph_embedder_epoch_time_at_hpo_size(encoder: str, tmp_path: Path) -> None:
    """Benchmark: one epoch with the default settings on a graph of the HPO KG's size.

    The defaults are chosen so that a full run (``DEFAULT_EPOCHS`` epochs at most) fits the
    quickstart's budget of 3-4 minutes on 2 CPU cores.
    """
    graph = _synthetic_hpo_sized_graph()
    result = train_graph_embedder(
        graph, GraphEncoderConfig(encoder=encoder), tmp_path, epochs=1, progress=False
    )
    seconds = result.history[0]["seconds"]
    cpu_seconds = result.history[0]["cpu_seconds"]
    logging.getLogger(__name__).info("%s: %.1f s/epoch (%.1f CPU s)", encoder, seconds, cpu_seconds)
    # A full run of DEFAULT_EPOCHS must fit in the quickstart's 4 minutes (on an idle machine).
    assert seconds * embed_module.DEFAULT_EPOCHS < 240


def test_train_graph_embedder_leaves_the_callers_random_state_alone(tmp_path: Path) -> None:
    graph = _clustered_graph()
    torch.manual_seed(5)
    before = torch.get_rng_state()
    first = train_graph_embedder(graph, CONFIG, tmp_path / "a", epochs=2, **TRAIN_KWARGS)
    assert torch.equal(torch.get_rng_state(), before)
    # and the run is deterministic (its init is seeded from the config)
    second = train_graph_embedder(graph, CONFIG, tmp_path / "b", epochs=2, **TRAIN_KWARGS)
    assert torch.equal(first.embeddings, second.embeddings)


def test_train_graph_embedder_removes_the_temporary_files_of_a_killed_save(
    tmp_path: Path,
) -> None:
    tmp_path.mkdir(exist_ok=True)
    stale = tmp_path / ".checkpoint.safetensors.0123456789ab.tmp"
    stale.write_bytes(b"half a checkpoint")
    train_graph_embedder(_clustered_graph(), CONFIG, tmp_path, epochs=1, **TRAIN_KWARGS)
    assert not stale.exists()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_train_graph_embedder_trains_on_the_gpu_as_on_the_cpu(tmp_path: Path) -> None:
    """The same init and the same negatives (drawn on the CPU): without dropout a GPU run
    trains what a CPU run does, up to the order floats are summed in."""
    graph = _clustered_graph()
    config = GraphEncoderConfig(hidden_dim=16, dropout=0.0, seed=0)
    args = {"epochs": 6, "patience": 6, **TRAIN_KWARGS}
    cpu = train_graph_embedder(graph, config, tmp_path / "cpu", **args)
    gpu = train_graph_embedder(graph, config, tmp_path / "gpu", device="cuda", **args)
    assert gpu.embeddings.device.type == "cpu" and gpu.epochs_run == 6
    torch.testing.assert_close(gpu.embeddings, cpu.embeddings, rtol=1e-2, atol=1e-3)
    assert [h["loss"] for h in gpu.history] == pytest.approx(
        [h["loss"] for h in cpu.history], rel=1e-3
    )
    assert torch.equal(load_node_embeddings(tmp_path / "gpu", graph), gpu.embeddings)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_train_graph_embedder_resumes_a_killed_gpu_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropout draws from the GPU's generator there: the checkpoint keeps its state too."""
    graph = _clustered_graph()
    args = {"epochs": 6, "patience": 6, "device": "cuda", **TRAIN_KWARGS}
    full = train_graph_embedder(graph, CONFIG, tmp_path / "a", **args)
    original = embed_module._write_checkpoint

    def write_then_die(path: Path, *rest: object, **kwargs: object) -> None:
        original(path, *rest, **kwargs)  # type: ignore[arg-type]
        if rest[4].epoch == 3:  # type: ignore[attr-defined]
            raise _Killed

    monkeypatch.setattr(embed_module, "_write_checkpoint", write_then_die)
    with pytest.raises(_Killed):
        train_graph_embedder(graph, CONFIG, tmp_path / "b", **args)
    monkeypatch.setattr(embed_module, "_write_checkpoint", original)
    torch.manual_seed(1234)
    torch.cuda.manual_seed_all(1234)  # the new process's generators are irrelevant
    resumed = train_graph_embedder(graph, CONFIG, tmp_path / "b", **args)
    # GPU scatter-adds are not bit-reproducible: the same run up to their last bits
    torch.testing.assert_close(resumed.embeddings, full.embeddings, rtol=1e-4, atol=1e-5)
    assert [h["loss"] for h in resumed.history] == pytest.approx(
        [h["loss"] for h in full.history], rel=1e-5
    )
