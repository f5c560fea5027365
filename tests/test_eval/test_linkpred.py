"""Tests of the link-prediction split, filtered ranking, metrics and shallow baselines."""

from __future__ import annotations

import math

import pytest
import torch

from eval.linkpred import (
    KGE_BASELINES,
    candidates_of,
    filtered_ranks,
    graph_triples,
    kge_score_fn,
    link_prediction_loss,
    metrics,
    pooled_negative_scores,
    sample_negative_pools,
    sample_triples,
    split_edges,
    train_kge_baseline,
)
from kg.tensors import GraphTensors


def _ranking_graph() -> GraphTensors:
    """Nodes 0-1 diseases, 2-5 terms; relation 0 disease -> term, relation 1 term -> disease."""
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(6)],
        node_type=torch.tensor([0, 0, 1, 1, 1, 1]),
        node_type_names=["Disease", "Term"],
        edge_index=torch.tensor([[0, 0, 1, 2, 2], [2, 3, 4, 1, 0]]),
        edge_type=torch.tensor([0, 0, 0, 1, 1]),
        relation_names=["has_phenotype", "phenotype_of"],
        edge_weight=torch.ones(5),
        fingerprint="fp-rank",
    )


# Score table: row = head, column = candidate (relation ignored).
SCORES = torch.tensor(
    [
        [0.0, 0.0, 0.5, 0.9, 0.9, 0.1],
        [0.0, 0.0, 0.7, 0.7, 0.7, 0.2],
        [0.3, 0.8, 0.0, 0.0, 0.0, 0.0],
        [0.0] * 6,
        [0.0] * 6,
        [0.0] * 6,
    ]
)


def _table_score(h: torch.Tensor, r: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    return SCORES[h][:, c]


def test_filtered_ranks_hand_checked_example() -> None:
    # Candidates of a term tail: nodes 2, 3, 4, 5; of a disease tail: nodes 0, 1.
    # (0, 0, 2): s = 0.5; other true tail 3 filtered; 4 (0.9) above, 5 (0.1) below -> 2.
    # (0, 0, 3): s = 0.9; other true tail 2 filtered; 4 ties (0.9), 5 below -> 1 + 0.5 = 1.5.
    # (1, 0, 4): s = 0.7; no other true tail; 2 and 3 tie, 5 below -> 1 + 2 / 2 = 2.
    # (2, 1, 0): s = 0.3; other true tail 1 (0.8) filtered; nothing left above -> 1.
    triples = torch.tensor([[0, 0, 2], [0, 0, 3], [1, 0, 4], [2, 1, 0]])
    ranks = filtered_ranks(_table_score, triples, _ranking_graph(), batch_size=2)
    assert ranks.tolist() == [2.0, 1.5, 2.0, 1.0]
    # MRR = (1/2 + 1/1.5 + 1/2 + 1) / 4 = 2/3; one rank <= 1, all <= 3.
    result = metrics(ranks)
    assert result["mrr"] == pytest.approx(2 / 3)
    assert result["hits@1"] == pytest.approx(0.25)
    assert result["hits@3"] == pytest.approx(1.0)
    assert result["hits@10"] == pytest.approx(1.0)


def test_filtered_ranks_unfiltered_candidates_and_nan_scores() -> None:
    graph = _ranking_graph()
    # Restricting the term candidates to {2, 4}: (0, 0, 2) has 4 above -> 2.
    ranks = filtered_ranks(
        _table_score,
        torch.tensor([[0, 0, 2]]),
        graph,
        {0: torch.tensor([0, 1]), 1: torch.tensor([2, 4])},
    )
    assert ranks.tolist() == [2.0]

    def nan_score(h: torch.Tensor, r: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        out = _table_score(h, r, c).clone()
        out[:, -1] = math.nan
        return out

    # NaN on candidate 5 counts as -inf: ranks unchanged.
    triples = torch.tensor([[0, 0, 2], [1, 0, 4]])
    assert filtered_ranks(nan_score, triples, graph).tolist() == [2.0, 2.0]


def test_metrics_rejects_empty_ranks() -> None:
    with pytest.raises(ValueError, match="no ranks"):
        metrics(torch.empty(0))


def _split_graph() -> GraphTensors:
    """8 nodes: diseases 0-2, terms 3-7; 15 has_phenotype edges, 4 subClassOf edges."""
    heads = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 4, 5, 6, 7])
    tails = torch.tensor([3, 4, 5, 6, 7, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7, 3, 3, 4, 4])
    types = torch.tensor([0] * 15 + [1] * 4)
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(8)],
        node_type=torch.tensor([0, 0, 0, 1, 1, 1, 1, 1]),
        node_type_names=["Disease", "Term"],
        edge_index=torch.stack([heads, tails]),
        edge_type=types,
        relation_names=["has_phenotype", "subClassOf"],
        edge_weight=torch.rand(19, generator=torch.Generator().manual_seed(0)),
        fingerprint="fp-split",
    )


def _as_set(triples: torch.Tensor) -> set[tuple[int, ...]]:
    return {tuple(t) for t in triples.tolist()}


def test_split_edges_never_leaks_held_out_edges_into_train_graph() -> None:
    graph = _split_graph()
    split = split_edges(graph, ["has_phenotype"], valid_frac=0.2, test_frac=0.2, seed=0)
    train, valid, test = _as_set(split.train), _as_set(split.valid), _as_set(split.test)
    assert len(valid) == 3 and len(test) == 3
    assert not train & valid and not train & test and not valid & test
    assert train | valid | test == _as_set(graph_triples(graph))
    assert all(r == 0 for _, r, _ in valid | test)  # only the target relation is split
    assert split.train_graph.num_edges == 13
    assert split.train_graph.fingerprint != graph.fingerprint
    assert split.train_graph.edge_weight.numel() == 13


def test_split_edges_same_seed_same_split() -> None:
    graph = _split_graph()
    a = split_edges(graph, ["has_phenotype"], 0.2, 0.2, seed=3)
    b = split_edges(graph, ["has_phenotype"], 0.2, 0.2, seed=3)
    c = split_edges(graph, ["has_phenotype"], 0.2, 0.2, seed=4)
    assert torch.equal(a.valid, b.valid) and torch.equal(a.test, b.test)
    assert torch.equal(a.train_graph.edge_index, b.train_graph.edge_index)
    assert _as_set(a.test) != _as_set(c.test) or _as_set(a.valid) != _as_set(c.valid)


def test_split_edges_ignores_edge_order() -> None:
    graph = _split_graph()
    perm = torch.randperm(graph.num_edges, generator=torch.Generator().manual_seed(1))
    shuffled = GraphTensors(
        graph.node_iris,
        graph.node_type,
        graph.node_type_names,
        graph.edge_index[:, perm],
        graph.edge_type[perm],
        graph.relation_names,
        graph.edge_weight[perm],
        graph.fingerprint,
    )
    a = split_edges(graph, ["has_phenotype"], 0.2, 0.2)
    b = split_edges(shuffled, ["has_phenotype"], 0.2, 0.2)
    assert torch.equal(a.test, b.test)


def test_split_edges_keeps_a_training_triple_of_every_relation() -> None:
    graph = _split_graph()  # subClassOf has 4 triples: 0.4 + 0.4 of them round to all 4
    for seed in range(5):
        split = split_edges(graph, ["has_phenotype", "subClassOf"], 0.4, 0.4, seed=seed)
        assert int((split.train_graph.edge_type == 1).sum()) >= 1
        held = _as_set(split.valid) | _as_set(split.test)
        assert sum(r == 1 for _, r, _ in held) == 3


def test_split_edges_rejects_unknown_relation_and_bad_fractions() -> None:
    graph = _split_graph()
    with pytest.raises(ValueError, match="has_phenotype, subClassOf"):
        split_edges(graph, ["treats"])
    with pytest.raises(ValueError, match="sum < 1"):
        split_edges(graph, ["subClassOf"], valid_frac=0.6, test_frac=0.5)


def _gene_graph() -> GraphTensors:
    """Diseases 0-3, genes 4-6, terms 7-11. Gene 4 contributes to disease 0, gene 5 to
    diseases 0 and 1; a gene's has_phenotype edges restate its diseases' (as HPO's
    genes_to_phenotype.txt does), except gene 6's edge to term 11, which no disease has."""
    disease_terms = {0: [7, 8, 9], 1: [7, 10], 2: [8, 9, 10, 11], 3: [7, 9, 11]}
    contributes = [(4, 0), (5, 0), (5, 1)]
    edges = [(d, 0, t) for d, ts in disease_terms.items() for t in ts]
    for g, d in contributes:
        edges += [(g, 1, d)] + [(g, 0, t) for t in disease_terms[d]]
    edges.append((6, 0, 11))
    rows = torch.tensor(edges).unique(dim=0)
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(12)],
        node_type=torch.tensor([0] * 4 + [1] * 3 + [2] * 5),
        node_type_names=["Disease", "Gene", "Term"],
        edge_index=torch.stack([rows[:, 0], rows[:, 2]]),
        edge_type=rows[:, 1],
        relation_names=["has_phenotype", "contributes_to"],
        edge_weight=torch.ones(rows.size(0)),
        fingerprint="fp-genes",
    )


@pytest.mark.parametrize("seed", range(8))
def test_split_edges_derived_via_leaves_no_held_out_triple_readable_over_a_gene(
    seed: int,
) -> None:
    graph = _gene_graph()
    split = split_edges(
        graph, ["has_phenotype"], 0.25, 0.25, seed=seed, derived_via="contributes_to"
    )
    train = _as_set(split.train)
    held = _as_set(split.valid) | _as_set(split.test)
    genes_of = {(g, d) for g, r, d in _as_set(graph_triples(graph)) if r == 1}
    restated = {
        (g, 0, t)
        for g, d in genes_of
        for d2, r, t in _as_set(graph_triples(graph))
        if d2 == d and r == 0
    }
    assert held and not held & restated  # a gene's restatement is never held out
    for g, _, t in restated:  # a restatement stays exactly while one of its sources does
        sources = [
            (d, 0, t) for g2, d in genes_of if g2 == g if (d, 0, t) in _as_set(graph_triples(graph))
        ]
        assert ((g, 0, t) in train) == any(s in train for s in sources)
    assert (
        split.train_graph.fingerprint
        != split_edges(graph, ["has_phenotype"], 0.25, 0.25, seed=seed).train_graph.fingerprint
    )


def test_split_edges_derived_via_drops_a_gene_edge_only_with_all_its_sources() -> None:
    graph = _gene_graph()
    checked, independent_held = False, False
    for seed in range(40):
        split = split_edges(
            graph, ["has_phenotype"], 0.25, 0.25, seed=seed, derived_via="contributes_to"
        )
        held = _as_set(split.valid) | _as_set(split.test)
        independent_held |= (6, 0, 11) in held  # a gene edge no disease has: an ordinary triple
        if (0, 0, 7) in held and (1, 0, 7) not in held:
            train = _as_set(split.train)
            assert (4, 0, 7) not in train  # gene 4's only source of term 7 is held out
            assert (5, 0, 7) in train  # gene 5 still has it from disease 1
            checked = True
    assert checked, "no seed held out (0, 7) without (1, 7)"
    assert independent_held


def test_split_edges_derived_via_is_checked() -> None:
    graph = _gene_graph()
    with pytest.raises(ValueError, match="unknown relation derived_via"):
        split_edges(graph, ["has_phenotype"], derived_via="treats")
    with pytest.raises(ValueError, match="is one of the split relations"):
        split_edges(graph, ["has_phenotype"], derived_via="has_phenotype")


def test_filtered_ranks_refuses_tails_outside_the_candidates() -> None:
    graph = _ranking_graph()
    with pytest.raises(ValueError, match="not among the candidates"):
        filtered_ranks(
            _table_score,
            torch.tensor([[0, 0, 3]]),
            graph,
            {0: torch.tensor([0, 1]), 1: torch.tensor([2, 4])},
        )
    with pytest.raises(ValueError, match="no candidates for the tails' types"):
        filtered_ranks(_table_score, torch.tensor([[0, 0, 2]]), graph, {0: torch.tensor([0, 1])})


def test_sample_negative_pools_draw_nodes_of_the_tail_type() -> None:
    graph = _split_graph()
    tails = torch.tensor([3, 0, 5, 1])
    pools = sample_negative_pools(tails, graph.node_type, candidates_of(graph), 16)
    assert [rows.tolist() for rows, _ in pools] == [[1, 3], [0, 2]]
    assert set(pools[0][1].tolist()) <= {0, 1, 2}
    assert set(pools[1][1].tolist()) <= {3, 4, 5, 6, 7}


def test_pooled_negative_scores_align_with_batch_and_mask_own_tail() -> None:
    head, rel, tail = torch.tensor([0, 2, 1]), torch.tensor([0, 1, 0]), torch.tensor([2, 1, 4])
    pools = [
        (torch.tensor([1]), torch.tensor([0, 1])),
        (torch.tensor([0, 2]), torch.tensor([4, 5])),
    ]
    scores, mask = pooled_negative_scores(_table_score, head, rel, tail, pools)
    assert torch.equal(scores, torch.tensor([[0.9, 0.1], [0.3, 0.8], [0.7, 0.2]]))
    assert mask.tolist() == [[True, True], [True, False], [False, True]]


def test_link_prediction_loss_values() -> None:
    pos, neg = torch.tensor([0.0]), torch.tensor([[0.0, 5.0]])
    mask = torch.tensor([[True, False]])
    assert link_prediction_loss(pos, neg, mask, "bce").item() == pytest.approx(2 * math.log(2))
    margin = link_prediction_loss(torch.tensor([1.0]), torch.tensor([[0.5]]), None, "margin", 1.0)
    assert margin.item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="bce, margin"):
        link_prediction_loss(pos, neg, None, "hinge")


@pytest.mark.parametrize("name", ["transe", "distmult", "rotate"])
def test_kge_score_fn_matches_model_forward(name: str) -> None:
    torch.manual_seed(0)
    model = KGE_BASELINES[name](8, 2, 4)
    h, r, c = torch.tensor([0, 3, 5]), torch.tensor([0, 1, 1]), torch.arange(8)
    scores = kge_score_fn(model)(h, r, c)
    pairwise = model(h.repeat_interleave(8), r.repeat_interleave(8), c.repeat(3)).view(3, 8)
    assert torch.allclose(scores, pairwise, atol=1e-5)


def _sparse_graph() -> GraphTensors:
    """10 nodes: diseases 0-3, terms 4-9; each disease has 3 of the 6 terms (so a filtered
    rank is among the other 3, unlike in :func:`_split_graph` where every term is a true
    tail of every disease), and 4 subClassOf edges."""
    pairs = [(0, 4), (0, 5), (0, 6), (1, 5), (1, 7), (1, 8), (2, 6), (2, 8), (2, 9), (3, 4)]
    pairs += [(3, 7), (3, 9), (5, 4), (6, 4), (8, 7), (9, 7)]
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(10)],
        node_type=torch.tensor([0] * 4 + [1] * 6),
        node_type_names=["Disease", "Term"],
        edge_index=torch.tensor(pairs).T.contiguous(),
        edge_type=torch.tensor([0] * 12 + [1] * 4),
        relation_names=["has_phenotype", "subClassOf"],
        edge_weight=torch.ones(16),
        fingerprint="fp-sparse",
    )


def _brute_force_ranks(model: torch.nn.Module, triples: torch.Tensor, graph: GraphTensors):
    """Filtered, tie-aware ranks by the model's own forward, one triple at a time."""
    true = _as_set(graph_triples(graph))
    ranks = []
    with torch.no_grad():
        for h, r, t in triples.tolist():
            cands = [
                c
                for c in range(graph.num_nodes)
                if graph.node_type[c] == graph.node_type[t] and (c == t or (h, r, c) not in true)
            ]
            n = len(cands)
            scores = model(torch.full((n,), h), torch.full((n,), r), torch.tensor(cands))
            mine = scores[cands.index(t)]
            ranks.append(1 + int((scores > mine).sum()) + 0.5 * (int((scores == mine).sum()) - 1))
    return torch.tensor(ranks)


@pytest.mark.parametrize("name", ["transe", "distmult", "rotate"])
def test_train_kge_baseline_reports_filtered_metrics(name: str) -> None:
    split = split_edges(_sparse_graph(), ["has_phenotype"], 0.25, 0.25, seed=0)
    assert split.test.size(0) == split.valid.size(0) == 3
    result = train_kge_baseline(name, split, 2, hidden_dim=8, batch_size=8, num_negatives=4)
    assert result.name == name
    # the metrics are those of the returned model's filtered ranks ...
    score_fn = kge_score_fn(result.model)
    test_ranks = filtered_ranks(score_fn, split.test, split.graph)
    assert result.test_ranks is not None and torch.equal(result.test_ranks, test_ranks)
    assert result.test == pytest.approx(metrics(test_ranks))
    assert result.valid == pytest.approx(
        metrics(filtered_ranks(score_fn, split.valid, split.graph))
    )
    # ... which rank each true tail among the terms the disease does not have
    assert test_ranks.tolist() == pytest.approx(
        _brute_force_ranks(result.model, split.test, split.graph).tolist()
    )
    assert set(result.test) == {"mrr", "hits@1", "hits@3", "hits@10"}
    assert all(1.0 <= rank <= 4.0 for rank in test_ranks.tolist())  # 3 others at most


def test_train_kge_baseline_with_patience_keeps_the_best_validation_epoch() -> None:
    split = split_edges(_split_graph(), ["has_phenotype"], 0.2, 0.2, seed=0)
    result = train_kge_baseline(
        "distmult", split, 6, hidden_dim=8, batch_size=8, num_negatives=4, patience=1
    )
    mrrs = [row["valid_mrr"] for row in result.history]
    assert result.epochs_run == len(mrrs) <= 6
    assert mrrs[result.best_epoch - 1] == max(mrrs)
    assert result.stopped_early == (result.epochs_run < 6)
    # the returned model is the best epoch's: its validation MRR (all triples) is the same
    assert result.valid["mrr"] == pytest.approx(max(mrrs))
    assert result.test_ranks is not None
    assert result.test["mrr"] == pytest.approx(float((1.0 / result.test_ranks).mean()))


def test_sample_triples_is_seeded_ordered_and_bounded() -> None:
    triples = torch.arange(30).view(10, 3)
    a, b = sample_triples(triples, 4, seed=5), sample_triples(triples, 4, seed=5)
    assert torch.equal(a, b) and a.size(0) == 4
    assert torch.equal(a[:, 0], a[:, 0].sort().values)  # kept in the original order
    assert torch.equal(sample_triples(triples, None, seed=5), triples)
    assert sample_triples(triples, 0, seed=5).size(0) == 0
