"""Tests of GraphTensors: HeteroData round trips, save/load, shape checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from kg.graph_arrays import GraphArrays
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import KGV_DISEASE, OBO, OWL_CLASS, RDFS_SUBCLASS_OF, RO_HAS_PHENOTYPE
from kg.store import build_kg
from kg.tensors import GraphTensors

GENE_TYPE = "https://w3id.org/kgfuse/vocab#Gene"


@pytest.fixture(scope="module")
def hpo_graph(tmp_path_factory: pytest.TempPathFactory) -> GraphTensors:
    folder = Path(__file__).parents[1] / "fixtures" / "hpo_mini"
    dest = tmp_path_factory.mktemp("kg") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=folder, progress=False)
    return KnowledgeGraph.open(dest).graph


@pytest.fixture
def four_nodes() -> GraphTensors:
    """Two terms and two diseases: is_a between terms, weighted phenotype edges."""
    return GraphTensors(
        node_iris=[OBO + "HP_1", "urn:d:1", OBO + "HP_2", "urn:d:2"],
        node_type=torch.tensor([0, 1, 0, 1]),
        node_type_names=[OWL_CLASS, KGV_DISEASE],
        edge_index=torch.tensor([[2, 1, 3, 3], [0, 2, 2, 0]]),
        edge_type=torch.tensor([0, 1, 1, 1]),
        relation_names=[RDFS_SUBCLASS_OF, RO_HAS_PHENOTYPE],
        edge_weight=torch.tensor([1.0, 0.895, 0.25, 0.5]),
        fingerprint="f" * 64,
    )


def _edges(g: GraphTensors) -> list[tuple[str, str, str, float]]:
    """Edges by IRIs, in a canonical order (round trips may regroup edges by type pair)."""
    return sorted(
        (
            g.node_iris[s],
            g.relation_names[r],
            g.node_iris[d],
            round(w, 6),
        )
        for s, d, r, w in zip(
            g.edge_index[0].tolist(),
            g.edge_index[1].tolist(),
            g.edge_type.tolist(),
            g.edge_weight.tolist(),
            strict=True,
        )
    )


def _node_types(g: GraphTensors) -> list[tuple[str, str]]:
    types = g.node_type.tolist()
    return [(iri, g.node_type_names[t]) for iri, t in zip(g.node_iris, types, strict=True)]


def _assert_same_graph(a: GraphTensors, b: GraphTensors) -> None:
    assert b.node_iris == a.node_iris
    assert _node_types(b) == _node_types(a)
    assert _edges(b) == _edges(a)
    assert sorted(b.relation_names) == sorted(a.relation_names)
    assert b.fingerprint == a.fingerprint


def test_graph_tensors_hetero_data_round_trip_four_nodes(four_nodes: GraphTensors) -> None:
    data = four_nodes.to_hetero_data()

    assert set(data.node_types) == {"owl_Class", "kgv_Disease"}
    assert data["owl_Class"].iri == [OBO + "HP_1", OBO + "HP_2"]
    assert data["kgv_Disease"].global_id.tolist() == [1, 3]
    key = ("kgv_Disease", "RO_0002200", "owl_Class")
    assert data[key].edge_index.tolist() == [[0, 1, 1], [1, 1, 0]]  # local ids
    assert data[key].edge_weight.tolist() == pytest.approx([0.895, 0.25, 0.5])
    assert data[key].relation_iri == RO_HAS_PHENOTYPE
    assert data.fingerprint == "f" * 64

    _assert_same_graph(four_nodes, GraphTensors.from_hetero_data(data))


def test_graph_tensors_hetero_data_round_trip_mini_hpo(hpo_graph: GraphTensors) -> None:
    data = hpo_graph.to_hetero_data()
    back = GraphTensors.from_hetero_data(data)

    _assert_same_graph(hpo_graph, back)
    assert back.num_nodes == hpo_graph.num_nodes == 32
    # 54: no edge for DECIPHER:16's Excluded (frequency 0) Tall stature
    assert back.num_edges == hpo_graph.num_edges == 54
    assert sum(int(data[t].num_nodes) for t in data.node_types) == hpo_graph.num_nodes
    again = GraphTensors.from_hetero_data(back.to_hetero_data())
    assert torch.equal(again.edge_index, back.edge_index)  # a second trip changes nothing
    assert torch.equal(again.edge_weight, back.edge_weight)


def test_graph_tensors_phenotype_weights_are_frequencies(hpo_graph: GraphTensors) -> None:
    weights = {(s, p, o): w for s, p, o, w in _edges(hpo_graph)}
    marfan, orpha = "https://omim.org/entry/154700", "https://www.orpha.net/ORDO/Orphanet_394"
    # two rows (HP:0040281 = 0.895 and 12/20): the highest frequency wins
    assert weights[(marfan, RO_HAS_PHENOTYPE, OBO + "HP_0001166")] == pytest.approx(0.895)
    assert weights[(marfan, RO_HAS_PHENOTYPE, OBO + "HP_0000098")] == 1.0  # none stated
    assert weights[(orpha, RO_HAS_PHENOTYPE, OBO + "HP_0001166")] == pytest.approx(0.025)
    assert all(0.0 <= w <= 1.0 for w in weights.values())
    others = {w for (_, p, _), w in weights.items() if p != RO_HAS_PHENOTYPE}
    assert others == {1.0}  # is_a and gene-disease edges weigh 1


def test_graph_tensors_save_load_is_identical(hpo_graph: GraphTensors, tmp_path: Path) -> None:
    hpo_graph.save(tmp_path / "graph")
    loaded = GraphTensors.load(tmp_path / "graph")

    assert loaded.node_iris == hpo_graph.node_iris
    assert loaded.node_type_names == hpo_graph.node_type_names
    assert loaded.relation_names == hpo_graph.relation_names
    assert loaded.fingerprint == hpo_graph.fingerprint
    for name in ("node_type", "edge_index", "edge_type", "edge_weight"):
        assert torch.equal(getattr(loaded, name), getattr(hpo_graph, name)), name
    assert sorted(p.name for p in (tmp_path / "graph").iterdir()) == [
        "graph.json",
        "graph.safetensors",
    ]


def test_graph_arrays_write_the_files_graph_tensors_read(
    four_nodes: GraphTensors, tmp_path: Path
) -> None:
    arrays = four_nodes.to_arrays()
    assert isinstance(arrays, GraphArrays)
    assert (arrays.num_nodes, arrays.num_edges, arrays.num_relations) == (4, 4, 2)
    arrays.save(tmp_path / "from_arrays")
    four_nodes.save(tmp_path / "from_tensors")
    for name in ("graph.safetensors", "graph.json"):
        assert (tmp_path / "from_arrays" / name).read_bytes() == (
            tmp_path / "from_tensors" / name
        ).read_bytes()
    loaded = GraphTensors.load(tmp_path / "from_arrays")
    again = GraphTensors.from_arrays(arrays)
    for graph in (loaded, again):
        assert graph.node_iris == four_nodes.node_iris
        assert torch.equal(graph.edge_index, four_nodes.edge_index)
        assert torch.equal(graph.edge_type, four_nodes.edge_type)
        assert torch.equal(graph.edge_weight, four_nodes.edge_weight)
        assert torch.equal(graph.node_type, four_nodes.node_type)


def test_graph_tensors_lookups(four_nodes: GraphTensors) -> None:
    assert four_nodes.index_of() == {OBO + "HP_1": 0, "urn:d:1": 1, OBO + "HP_2": 2, "urn:d:2": 3}
    assert four_nodes.nodes_of_type(KGV_DISEASE).tolist() == [1, 3]
    assert four_nodes.num_relations == 2
    with pytest.raises(ValueError, match=f"'{GENE_TYPE}' is not in list"):  # no such node type
        four_nodes.nodes_of_type(GENE_TYPE)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("node_type", torch.tensor([0, 1, 0]), "node_type"),
        ("edge_index", torch.tensor([[0, 1, 2, 3]]), "edge_index"),
        ("edge_index", torch.tensor([[0, 1, 2, 3], [0, 1, 2, 4]]), "beyond"),
        ("edge_type", torch.tensor([0, 1, 1]), "edge_type"),
        ("edge_weight", torch.tensor([1.0]), "edge_weight"),
        # values out of range (a review, 2026-12-02)
        ("edge_index", torch.tensor([[0, 1, 2, -1], [0, 1, 2, 3]]), "negative node index"),
        ("edge_type", torch.tensor([0, 1, 2, 1]), r"edge_type must lie in \[0, 2\)"),
        ("edge_type", torch.tensor([0, -1, 1, 1]), r"edge_type must lie in \[0, 2\)"),
        ("node_type", torch.tensor([0, 1, 0, 2]), r"node_type must lie in \[0, 2\)"),
        ("edge_weight", torch.tensor([1.0, float("nan"), 0.25, 0.5]), "finite"),
        ("edge_weight", torch.tensor([1.0, 1.5, 0.25, 0.5]), r"\[0, 1\]"),
        ("edge_index", torch.tensor([[2.0, 1, 3, 3], [0, 2, 2, 0]]), "integers"),
    ],
)
def test_graph_tensors_refuse_inconsistent_shapes(
    four_nodes: GraphTensors, field: str, value: torch.Tensor, message: str
) -> None:
    fields = dict(four_nodes.__dict__)
    fields[field] = value
    with pytest.raises(ValueError, match=message):
        GraphTensors(**fields)


def test_graph_tensors_read_int32_ids_as_int64(four_nodes: GraphTensors) -> None:
    fields = dict(four_nodes.__dict__)
    for name in ("node_type", "edge_index", "edge_type"):
        fields[name] = fields[name].int()
    graph = GraphTensors(**fields)
    assert {graph.node_type.dtype, graph.edge_index.dtype, graph.edge_type.dtype} == {torch.long}
    assert torch.equal(graph.edge_index, four_nodes.edge_index)


def test_graph_tensors_hetero_round_trip_keeps_relations_without_edges(
    four_nodes: GraphTensors,
) -> None:
    fields = dict(four_nodes.__dict__)
    fields["relation_names"] = [RDFS_SUBCLASS_OF, OBO + "BFO_0000050", RO_HAS_PHENOTYPE]
    fields["edge_type"] = torch.tensor([0, 2, 2, 2])  # part_of has no edge
    graph = GraphTensors(**fields)
    back = GraphTensors.from_hetero_data(graph.to_hetero_data())
    assert back.relation_names == graph.relation_names
    assert torch.equal(back.edge_type.sort().values, graph.edge_type.sort().values)


def test_graph_tensors_refuse_relations_with_one_hetero_key(four_nodes: GraphTensors) -> None:
    fields = dict(four_nodes.__dict__)
    fields["relation_names"] = ["http://x/has-part", "http://x/has_part"]
    with pytest.raises(ValueError, match="share the HeteroData key"):
        GraphTensors(**fields).to_hetero_data()
