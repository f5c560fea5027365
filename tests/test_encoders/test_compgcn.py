"""Tests of the CompGCN layer and encoder on 6-node graphs."""

from __future__ import annotations

import pytest
import torch

from encoders.compgcn import CompGCNConv, CompGCNEncoder, circular_correlation, compose
from encoders.relational_adjacency import RelationalAdjacency, add_inverse_edges


def _toy(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """6 nodes, 10 forward edges over 2 relations, 8 features."""
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, 6, (2, 10), generator=g)
    edge_type = torch.randint(0, 2, (10,), generator=g)
    edge_weight = torch.rand(10, generator=g)
    x = torch.randn(6, 8, generator=g)
    return x, edge_index, edge_type, edge_weight


def test_circular_correlation_matches_its_definition() -> None:
    a, b = torch.randn(5), torch.randn(5)
    expected = torch.stack([sum(a[i] * b[(i + k) % 5] for i in range(5)) for k in range(5)])
    assert torch.allclose(circular_correlation(a, b), expected, atol=1e-5)


def test_circular_correlation_of_no_rows_is_empty() -> None:
    # a relation without edges gives an empty block: MKL's FFT refuses a (0, d) input
    out = circular_correlation(torch.empty(0, 8), torch.randn(8))
    assert out.shape == (0, 8)


@pytest.mark.parametrize("composition", ["sub", "mult", "corr"])
def test_compgcn_encoder_with_a_relation_without_edges(composition: str) -> None:
    x, edge_index, edge_type, edge_weight = _toy(5)
    encoder = CompGCNEncoder(8, 8, 3, composition=composition).eval()  # type: ignore[arg-type]
    out = encoder(x, edge_index, edge_type, edge_weight)  # relation 2 has no edge
    assert out.shape == (6, 8) and bool(torch.isfinite(out).all())


def test_compose_rejects_unknown_composition() -> None:
    with pytest.raises(ValueError, match="choices: sub, mult, corr"):
        compose(torch.ones(2), torch.ones(2), "add")  # type: ignore[arg-type]


@pytest.mark.parametrize("composition", ["sub", "mult", "corr"])
def test_compgcn_conv_adjacency_path_matches_edge_path(composition: str) -> None:
    x, edge_index, edge_type, edge_weight = _toy()
    conv = CompGCNConv(8, 4, 2, composition=composition)  # type: ignore[arg-type]
    rel = torch.randn(4, 8)
    ei, et, ew = add_inverse_edges(edge_index, edge_type, edge_weight, 2)
    adj = RelationalAdjacency.from_edges(edge_index, edge_type, edge_weight, 6, 2, norm="symmetric")
    out_edges, rel_edges = conv(x, ei, rel, et, ew)
    out_adj, rel_adj = conv(x, adj, rel)
    assert out_adj.shape == (6, 4) and rel_adj.shape == (4, 4)
    assert torch.allclose(out_adj, out_edges, atol=1e-5)
    assert torch.allclose(rel_adj, rel_edges)


@pytest.mark.parametrize("composition", ["mult", "corr"])
def test_compgcn_conv_scales_messages_by_edge_weight(composition: str) -> None:
    x, edge_index, edge_type, edge_weight = _toy(1)
    conv = CompGCNConv(8, 4, 2, composition=composition, bias=False)  # type: ignore[arg-type]
    rel = torch.randn(4, 8)
    ei, et, ew = add_inverse_edges(edge_index, edge_type, edge_weight, 2)
    loop = compose(x, conv.loop_relation, composition) @ conv.weight_loop  # type: ignore[arg-type]
    full = conv(x, ei, rel, et, ew)[0] - loop
    half = conv(x, ei, rel, et, ew / 2)[0] - loop
    assert torch.allclose(half, full / 2, atol=1e-5)


def test_compgcn_conv_uses_separate_direction_weights() -> None:
    # Edge 0 -> 1 (forward) reaches 1 through weight_forward, and 0 through weight_inverse.
    conv = CompGCNConv(4, 4, 1)
    x, rel = torch.randn(2, 4), torch.randn(2, 4)
    ei, et, ew = add_inverse_edges(torch.tensor([[0], [1]]), torch.tensor([0]), None, 1)
    before = conv(x, ei, rel, et, ew)[0]
    with torch.no_grad():
        conv.weight_inverse.zero_()
    after = conv(x, ei, rel, et, ew)[0]
    assert torch.allclose(before[1], after[1])
    assert not torch.allclose(before[0], after[0])


@pytest.mark.parametrize("num_bases", [None, 2])
def test_compgcn_encoder_output_shape_and_backward(num_bases: int | None) -> None:
    x, edge_index, edge_type, edge_weight = _toy(2)
    encoder = CompGCNEncoder(8, 16, 2, num_layers=2, composition="corr", num_bases=num_bases)
    out = encoder(x, edge_index, edge_type, edge_weight)
    assert out.shape == (6, 16)
    out.sum().backward()
    assert encoder.relation_emb.grad is not None
    assert encoder.initial_relations().shape == (4, 8)


def test_compgcn_encoder_permuting_nodes_permutes_output() -> None:
    x, edge_index, edge_type, edge_weight = _toy(3)
    encoder = CompGCNEncoder(8, 8, 2, composition="sub").eval()
    perm = torch.tensor([2, 5, 0, 4, 1, 3])
    new_id = torch.empty_like(perm)
    new_id[perm] = torch.arange(6)
    out = encoder(x, edge_index, edge_type, edge_weight)
    out_perm = encoder(x[perm], new_id[edge_index], edge_type, edge_weight)
    assert torch.allclose(out_perm, out[perm], atol=1e-5)


def test_compgcn_encoder_precomputed_adjacency_matches_edges() -> None:
    x, edge_index, edge_type, edge_weight = _toy(4)
    encoder = CompGCNEncoder(8, 8, 2).eval()
    adj = encoder.prepare(edge_index, edge_type, edge_weight, 6)
    assert torch.allclose(encoder(x, adj), encoder(x, edge_index, edge_type, edge_weight))
