"""Tests of the graph embedder: config, shapes, permutation, save/load, inductive text path."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from encoders.graph_features import NodeFeatures
from encoders.graph_model import (
    GRAPH_ENCODERS,
    GraphEmbedder,
    GraphEncoderConfig,
    load_node_embeddings,
    save_node_embeddings,
)
from encoders.registry import UnknownChoiceError
from kg.errors import KGMismatchError
from kg.tensors import GraphTensors

TEXT_DIM = 5


def _graph(fingerprint: str = "fp-toy") -> GraphTensors:
    """6 nodes (3 terms, 2 diseases, 1 gene), 7 edges over 2 relations."""
    edge_index = torch.tensor([[1, 2, 3, 3, 4, 5, 5], [0, 0, 1, 2, 2, 3, 1]])
    return GraphTensors(
        node_iris=[f"http://x/{i}" for i in range(6)],
        node_type=torch.tensor([0, 0, 0, 1, 1, 2]),
        node_type_names=["Term", "Disease", "Gene"],
        edge_index=edge_index,
        edge_type=torch.tensor([0, 0, 1, 1, 1, 1, 1]),
        relation_names=["subClassOf", "has_phenotype"],
        edge_weight=torch.tensor([1.0, 1.0, 0.5, 0.9, 0.2, 1.0, 1.0]),
        fingerprint=fingerprint,
    )


def _text(num_nodes: int = 6, seed: int = 0) -> torch.Tensor:
    return torch.randn(num_nodes, TEXT_DIM, generator=torch.Generator().manual_seed(seed))


CONFIGS = [
    GraphEncoderConfig(hidden_dim=8),
    GraphEncoderConfig(encoder="rgcn", decoder="rotate", hidden_dim=8, num_blocks=2),
    GraphEncoderConfig(encoder="compgcn", hidden_dim=8, composition="corr", num_bases=2),
    GraphEncoderConfig(encoder="compgcn", decoder="rotate", hidden_dim=8, features="both"),
]


def _model(config: GraphEncoderConfig, graph: GraphTensors) -> GraphEmbedder:
    text = None if config.features == "learned" else _text(graph.num_nodes)
    return GraphEmbedder.from_graph(config, graph, text_features=text)


@pytest.mark.parametrize("config", CONFIGS)
def test_graph_embedder_embed_and_score_shapes(config: GraphEncoderConfig) -> None:
    graph = _graph()
    model = _model(config, graph)
    z = model.embed(graph)
    assert z.shape == (6, 8)
    scores = model.score_all_tails(z, torch.tensor([3, 4]), torch.tensor([1, 1]), torch.arange(3))
    assert scores.shape == (2, 3)
    one = model.score(z, torch.tensor([3]), torch.tensor([1]), torch.tensor([2]))
    assert torch.allclose(one, scores[0, 2:3], atol=1e-5)


def test_graph_embedder_same_seed_same_parameters() -> None:
    graph = _graph()
    a, b = _model(CONFIGS[0], graph), _model(CONFIGS[0], graph)
    c = _model(replace(CONFIGS[0], seed=1), graph)
    assert torch.equal(a.embed(graph), b.embed(graph))
    assert not torch.equal(a.embed(graph), c.embed(graph))


@pytest.mark.parametrize("encoder", ["rgcn", "compgcn"])
def test_graph_embedder_permuting_nodes_permutes_output(encoder: str) -> None:
    graph = _graph()
    config = GraphEncoderConfig(encoder=encoder, hidden_dim=8, features="text")
    text = _text()
    model = GraphEmbedder.from_graph(config, graph, text_features=text)
    perm = torch.tensor([4, 2, 0, 5, 1, 3])  # new node i is old node perm[i]
    new_id = torch.empty_like(perm)
    new_id[perm] = torch.arange(6)
    permuted = GraphTensors(
        [graph.node_iris[i] for i in perm.tolist()],
        graph.node_type[perm],
        graph.node_type_names,
        new_id[graph.edge_index],
        graph.edge_type,
        graph.relation_names,
        graph.edge_weight,
        "fp-permuted",
    )
    other = GraphEmbedder.from_graph(config, permuted, text_features=text[perm])
    other.load_state_dict({**model.state_dict(), "features.text_features": text[perm]})
    assert torch.allclose(other.embed(permuted), model.embed(graph)[perm], atol=1e-5)


@pytest.mark.parametrize("config", CONFIGS)
def test_graph_embedder_save_load_gives_identical_vectors(
    config: GraphEncoderConfig, tmp_path: Path
) -> None:
    graph = _graph()
    model = _model(config, graph)
    model.save(tmp_path / "m")
    loaded = GraphEmbedder.load(tmp_path / "m", graph)
    assert loaded.config == config
    assert torch.equal(loaded.embed(graph), model.embed(graph))
    assert not list((tmp_path / "m").glob("*.tmp"))


def test_graph_embedder_load_with_other_fingerprint_raises(tmp_path: Path) -> None:
    model = _model(CONFIGS[0], _graph())
    model.save(tmp_path)
    with pytest.raises(KGMismatchError, match="fingerprint"):
        GraphEmbedder.load(tmp_path, _graph("fp-other"))
    with pytest.raises(KGMismatchError):
        model.embed(_graph("fp-other"))


def test_graph_embedder_inductive_text_path_embeds_new_node() -> None:
    graph = _graph()
    config = GraphEncoderConfig(encoder="compgcn", hidden_dim=8, features="text")
    text = _text()
    model = GraphEmbedder.from_graph(config, graph, text_features=text)
    new_text = torch.randn(1, TEXT_DIM)
    # Node 6 is new: a disease with phenotype term 0.
    extended = GraphTensors(
        graph.node_iris + ["http://x/new"],
        torch.cat([graph.node_type, torch.tensor([1])]),
        graph.node_type_names,
        torch.cat([graph.edge_index, torch.tensor([[6], [0]])], dim=1),
        torch.cat([graph.edge_type, torch.tensor([1])]),
        graph.relation_names,
        torch.cat([graph.edge_weight, torch.tensor([1.0])]),
        "fp-extended",
    )
    z = model.embed(extended, extra_text=new_text)
    assert z.shape == (7, 8)
    # The same weights with the new node's text in the table give the same vectors.
    retrained_free = GraphEmbedder.from_graph(
        config, extended, text_features=torch.cat([text, new_text])
    )
    retrained_free.load_state_dict(
        {**model.state_dict(), "features.text_features": torch.cat([text, new_text])}
    )
    assert torch.allclose(retrained_free.embed(extended), z, atol=1e-6)


def test_node_features_learned_mode_refuses_new_nodes() -> None:
    features = NodeFeatures(4, 8, "learned")
    assert features().shape == (4, 8)
    assert features(torch.tensor([1, 3])).shape == (2, 8)
    with pytest.raises(ValueError, match="feature mode 'text'"):
        features(None, torch.randn(1, TEXT_DIM))


def test_node_features_both_mode_sums_learned_and_text() -> None:
    text = _text(4)
    features = NodeFeatures(4, 8, "both", text)
    assert features.projection is not None and features.embedding is not None
    expected = features.embedding.weight + features.projection(text)
    assert torch.allclose(features(), expected)
    with pytest.raises(ValueError, match="needs text_features"):
        NodeFeatures(4, 8, "text")
    with pytest.raises(ValueError, match="shape"):
        NodeFeatures(4, 8, "text", torch.randn(3, TEXT_DIM))


def test_graph_encoder_config_validates_choices() -> None:
    with pytest.raises(ValueError, match="choices: compgcn, rgcn"):
        GraphEncoderConfig(encoder="gat")
    with pytest.raises(ValueError, match="rgcn' only"):
        GraphEncoderConfig(encoder="compgcn", num_blocks=2)
    with pytest.raises(ValueError, match="unknown GraphEncoderConfig keys"):
        GraphEncoderConfig.from_dict({"encoder": "rgcn", "hidden": 3})
    config = GraphEncoderConfig(encoder="compgcn", seed=3)
    assert GraphEncoderConfig.from_dict(config.to_dict()) == config
    assert config.config_hash() == GraphEncoderConfig(encoder="compgcn", seed=3).config_hash()


def test_graph_encoders_unknown_name_lists_choices() -> None:
    with pytest.raises(UnknownChoiceError, match="choices: compgcn, rgcn"):
        GRAPH_ENCODERS["gat"]


def test_node_embeddings_round_trip_checks_fingerprint(tmp_path: Path) -> None:
    graph = _graph()
    z = torch.randn(6, 4)
    save_node_embeddings(tmp_path, z, graph, extra={"note": "toy"})
    assert torch.equal(load_node_embeddings(tmp_path, graph), z)
    with pytest.raises(KGMismatchError):
        load_node_embeddings(tmp_path, _graph("fp-other"))
