"""Tests of the weighted R-GCN layer and encoder on 6-node graphs."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import RGCNConv

from encoders.pyg_templates import drop_generated_source
from encoders.relational_adjacency import RelationalAdjacency, add_inverse_edges
from encoders.rgcn import RGCNEncoder, WeightedRGCNConv


def _toy(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """6 nodes, 12 edges over 3 relations (a duplicate edge included), 8 features."""
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, 6, (2, 12), generator=g)
    edge_index[:, 11] = edge_index[:, 10]
    edge_type = torch.randint(0, 3, (12,), generator=g)
    edge_type[11] = edge_type[10]
    edge_weight = torch.rand(12, generator=g)
    x = torch.randn(6, 8, generator=g)
    return x, edge_index, edge_type, edge_weight


@pytest.mark.parametrize("kwargs", [{}, {"num_bases": 2}, {"num_blocks": 2}])
def test_weighted_rgcn_conv_matches_pyg_rgcnconv_with_unit_weights(kwargs: dict) -> None:
    x, edge_index, edge_type, _ = _toy()
    reference = RGCNConv(8, 4, 3, **kwargs)
    drop_generated_source(reference)
    conv = WeightedRGCNConv(8, 4, 3, **kwargs)
    conv.load_state_dict(reference.state_dict())
    adj = RelationalAdjacency.from_edges(edge_index, edge_type, None, 6, 3, add_inverse=False)
    expected = reference(x, edge_index, edge_type)
    assert torch.allclose(conv(x, edge_index, edge_type), expected, atol=1e-5)
    assert torch.allclose(conv(x, adj), expected, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"num_bases": 2}, {"num_blocks": 4}])
def test_weighted_rgcn_conv_adjacency_path_matches_edge_path(kwargs: dict) -> None:
    x, edge_index, edge_type, edge_weight = _toy(1)
    conv = WeightedRGCNConv(8, 4, 3, **kwargs)
    adj = RelationalAdjacency.from_edges(
        edge_index, edge_type, edge_weight, 6, 3, add_inverse=False
    )
    out = conv(x, adj)
    assert out.shape == (6, 4)
    assert torch.allclose(out, conv(x, edge_index, edge_type, edge_weight), atol=1e-5)


def test_weighted_rgcn_conv_scales_messages_by_edge_weight() -> None:
    x, edge_index, edge_type, edge_weight = _toy(2)
    conv = WeightedRGCNConv(8, 4, 3, root_weight=False, bias=False)
    full = conv(x, edge_index, edge_type, edge_weight)
    half = conv(x, edge_index, edge_type, edge_weight / 2)
    assert torch.allclose(half, full / 2, atol=1e-6)
    zero = conv(x, edge_index, edge_type, torch.zeros_like(edge_weight))
    assert torch.allclose(zero, torch.zeros_like(zero))


def test_weighted_rgcn_conv_rejects_both_decompositions() -> None:
    with pytest.raises(ValueError, match="either"):
        WeightedRGCNConv(8, 4, 3, num_bases=2, num_blocks=2)


def test_rgcn_encoder_output_shape_and_backward() -> None:
    x, edge_index, edge_type, edge_weight = _toy()
    encoder = RGCNEncoder(8, 16, 3, num_layers=2, num_bases=2)
    out = encoder(x, edge_index, edge_type, edge_weight)
    assert out.shape == (6, 16)
    out.sum().backward()
    assert all(p.grad is not None for p in encoder.parameters())


def test_rgcn_encoder_adds_inverse_relations() -> None:
    # One edge 0 -> 1: node 0 must hear from node 1 through the inverse relation.
    encoder = RGCNEncoder(4, 4, 1, num_layers=1, dropout=0.0)
    x = torch.randn(3, 4, requires_grad=True)
    out = encoder(x, torch.tensor([[0], [1]]), torch.tensor([0]))
    (grad,) = torch.autograd.grad(out[0].sum(), x)
    assert grad[1].abs().sum() > 0
    assert grad[2].abs().sum() == 0
    assert encoder.convs[0].num_relations == 2


def test_rgcn_encoder_precomputed_adjacency_matches_edges() -> None:
    x, edge_index, edge_type, edge_weight = _toy(3)
    encoder = RGCNEncoder(8, 8, 3).eval()
    adj = encoder.prepare(edge_index, edge_type, edge_weight, 6)
    assert adj.num_relations == 6
    assert torch.allclose(encoder(x, adj), encoder(x, edge_index, edge_type, edge_weight))


def test_rgcn_encoder_permuting_nodes_permutes_output() -> None:
    x, edge_index, edge_type, edge_weight = _toy(4)
    encoder = RGCNEncoder(8, 8, 3, num_blocks=2).eval()
    perm = torch.tensor([3, 0, 5, 1, 4, 2])  # new node i is old node perm[i]
    new_id = torch.empty_like(perm)
    new_id[perm] = torch.arange(6)
    out = encoder(x, edge_index, edge_type, edge_weight)
    out_perm = encoder(x[perm], new_id[edge_index], edge_type, edge_weight)
    assert torch.allclose(out_perm, out[perm], atol=1e-5)


def test_add_inverse_edges_reverses_and_offsets_relations() -> None:
    ei, et, ew = add_inverse_edges(torch.tensor([[0, 1], [2, 3]]), torch.tensor([0, 1]), None, 2)
    assert ei.tolist() == [[0, 1, 2, 3], [2, 3, 0, 1]]
    assert et.tolist() == [0, 1, 2, 3]
    assert ew.tolist() == [1.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="forward relations"):
        add_inverse_edges(torch.tensor([[0], [1]]), torch.tensor([2]), None, 2)
