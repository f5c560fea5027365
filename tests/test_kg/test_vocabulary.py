"""Tests of Vocabulary: stable ids, inverse lookups, save/load, refusal of another KG."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from kg.errors import KGMismatchError, UnknownTermError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import KGV_DISEASE, KGV_GENE, OBO, OWL_CLASS, RDFS_SUBCLASS_OF, RO_HAS_PHENOTYPE
from kg.store import build_kg
from kg.tensors import GraphTensors
from kg.vocabulary import Vocabulary

HPO_MINI = Path(__file__).parents[1] / "fixtures" / "hpo_mini"


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[GraphTensors, GraphTensors]:
    """The graphs of two separate builds of the same sources."""
    root = tmp_path_factory.mktemp("kg")
    graphs = []
    for name in ("first", "second"):
        build_kg(["hpo"], root / name, hpo_dir=HPO_MINI, progress=False)
        graphs.append(KnowledgeGraph.open(root / name).graph)
    return graphs[0], graphs[1]


@pytest.fixture(scope="module")
def vocab(two_builds: tuple[GraphTensors, GraphTensors]) -> Vocabulary:
    return Vocabulary.from_graph(two_builds[0])


def _shuffled(graph: GraphTensors, seed: int) -> GraphTensors:
    """The same graph with its nodes renumbered at random."""
    perm = torch.randperm(graph.num_nodes, generator=torch.Generator().manual_seed(seed))
    new_of_old = torch.empty_like(perm)
    new_of_old[perm] = torch.arange(graph.num_nodes)
    return GraphTensors(
        [graph.node_iris[i] for i in perm.tolist()],
        graph.node_type[perm],
        graph.node_type_names,
        new_of_old[graph.edge_index],
        graph.edge_type,
        graph.relation_names,
        graph.edge_weight,
        graph.fingerprint,
    )


def test_vocabulary_ids_are_sorted_positions(vocab: Vocabulary) -> None:
    assert set(vocab.nodes) == {OWL_CLASS, KGV_DISEASE, KGV_GENE}
    for iris in vocab.nodes.values():
        assert iris == sorted(iris)
    assert len(vocab.nodes[KGV_DISEASE]) == 3
    assert len(vocab.nodes[KGV_GENE]) == 4
    genes = [f"https://identifiers.org/ncbigene:{n}" for n in ("2200", "6899", "7048", "875")]
    assert vocab.nodes[KGV_GENE] == genes  # string order
    assert vocab.id(genes[3]) == (KGV_GENE, 3)
    assert set(vocab.relations) == {RDFS_SUBCLASS_OF, RO_HAS_PHENOTYPE, OBO + "RO_0003304"}


def test_vocabulary_id_and_iri_are_inverse(vocab: Vocabulary) -> None:
    for node_type, iris in vocab.nodes.items():
        for local, iri in enumerate(iris):
            assert vocab.id(iri) == (node_type, local)
            assert vocab.iri(node_type, local) == iri
    for rid, iri in enumerate(vocab.relations):
        assert vocab.relation_id(iri) == rid


def test_vocabulary_stable_across_builds_and_node_orders(
    two_builds: tuple[GraphTensors, GraphTensors], vocab: Vocabulary
) -> None:
    second = Vocabulary.from_graph(two_builds[1])
    shuffled = Vocabulary.from_graph(_shuffled(two_builds[0], seed=3))

    for other in (second, shuffled):
        assert other.nodes == vocab.nodes
        assert other.relations == vocab.relations
        assert other.fingerprint == vocab.fingerprint


def test_vocabulary_save_load_round_trip(vocab: Vocabulary, tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.json"
    vocab.save(path)
    loaded = Vocabulary.load(path)

    assert loaded.nodes == vocab.nodes
    assert loaded.relations == vocab.relations
    assert loaded.fingerprint == vocab.fingerprint
    assert loaded.id(OBO + "HP_0001166") == vocab.id(OBO + "HP_0001166")


def test_vocabulary_unknown_iri_raises(vocab: Vocabulary) -> None:
    with pytest.raises(UnknownTermError) as info:
        vocab.id(OBO + "HP_0001167")
    assert "HP:0001166" in info.value.suggestions
    with pytest.raises(UnknownTermError):
        vocab.relation_id(OBO + "RO_9999999")


def test_vocabulary_refuses_another_kg(vocab: Vocabulary) -> None:
    vocab.check(vocab.fingerprint)  # the same KG: no error
    other = "0" * 64
    with pytest.raises(KGMismatchError) as info:
        vocab.check(other, "the embeddings")
    assert info.value.expected == vocab.fingerprint
    assert info.value.found == other
    message = str(info.value)
    assert message.startswith("the embeddings")
    assert vocab.fingerprint[:12] in message and other[:12] in message
    assert isinstance(info.value, ValueError)
