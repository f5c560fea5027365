"""Tests of fusion.facts, fusion.faiss_index and fusion.retrieval on the legal fixture KG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from encoders.text import TextEncoder
from fusion.facts import Fact, extract_facts, facts_from_tables, relation_label, verbalise
from fusion.faiss_index import (
    IndexConfig,
    add_vectors,
    build_index,
    index_files,
    is_sharded,
    load_index,
    reconstruct_rows,
    save_index,
    search_index,
    search_parameters,
    shard_offsets,
    to_gpu,
)
from fusion.retrieval import FactIndex, RetrievalConfig, index_version
from kg.annotations import AnnotationTableBuilder
from kg.errors import KGMismatchError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OWL_CLASS, RDF, RDFS_SUBCLASS_OF, RO_HAS_PHENOTYPE
from kg.sparql import IRI
from kg.store import build_kg
from kg.tensors import GraphTensors

LEGAL = "https://example.org/legal#"
HAS_ELEMENT = LEGAL + "hasElement"
DEFINED_IN = LEGAL + "definedIn"
STATUTE = LEGAL + "Statute"
PENALTY = LEGAL + "Penalty"


def _index(
    kg: KnowledgeGraph, encoder: TextEncoder, kind: str = "flat", shards: int = 1, **kwargs
) -> FactIndex:
    index = IndexConfig(kind=kind, use_gpu=False, shards=shards)
    return FactIndex.build(kg, text_encoder=encoder, config=RetrievalConfig(index=index, **kwargs))


def _signature(hits) -> list[tuple[int, float]]:
    return [(h.fact.id, round(h.score, 5)) for h in hits]


def _fact_in_kg(kg: KnowledgeGraph, fact: Fact) -> bool:
    if fact.kind == "annotation":
        return kg.ask(
            f"ASK WHERE {{ ?a <{RDF}subject> ?s ; <{RDF}predicate> ?p ; <{RDF}object> ?o }}",
            a=IRI(fact.annotation or ""),
            s=IRI(fact.subject),
            p=IRI(fact.predicate),
            o=IRI(fact.object),
        )
    return kg.ask(
        "ASK WHERE { ?s ?p ?o }", s=IRI(fact.subject), p=IRI(fact.predicate), o=IRI(fact.object)
    )


# ---- facts --------------------------------------------------------------------------------
def test_extract_facts_legal_triples(legal_kg: KnowledgeGraph) -> None:
    facts = extract_facts(legal_kg)
    assert len(facts) == legal_kg.graph.num_edges
    texts = {facts.text(i) for i in range(len(facts))}
    assert "theft has element dishonesty" in texts
    assert "theft is a property offence" in texts
    assert all(facts.fact(i).kind == "triple" for i in range(len(facts)))


def test_relation_label_fallbacks() -> None:
    assert relation_label(RDFS_SUBCLASS_OF, {}) == "is a"
    assert relation_label(LEGAL + "hasElement", {}) == "has element"
    assert relation_label(LEGAL + "hasElement", {LEGAL + "hasElement": "element"}) == "element"


def test_verbalise_qualifiers_and_negation() -> None:
    text = verbalise(
        "Marfan syndrome",
        "has phenotype",
        "Arachnodactyly",
        frequency_label="frequent",
        evidence="TAS",
        sources=[f"https://pubmed.ncbi.nlm.nih.gov/{i}" for i in range(5)],
    )
    assert text == (
        "Marfan syndrome has phenotype Arachnodactyly; frequent; evidence TAS; "
        "PMID:0, PMID:1, PMID:2 (+2 more)"
    )
    assert verbalise("a", "r", "b", negated=True) == "NOT a r b"


def _tiny_annotated_tables():
    obo = "http://purl.obolibrary.org/obo/"
    disease, gene = "https://omim.org/entry/154700", "https://identifiers.org/ncbigene:2200"
    hp1, hp2, freq = obo + "HP_0001166", obo + "HP_0001083", obo + "HP_0040281"
    graph = GraphTensors(
        node_iris=[disease, gene, hp1, hp2, freq],
        node_type=torch.tensor([1, 2, 0, 0, 0]),
        node_type_names=[
            OWL_CLASS,
            "https://w3id.org/kgfuse/vocab#Disease",
            "https://w3id.org/kgfuse/vocab#Gene",
        ],
        edge_index=torch.tensor([[0, 0, 1], [2, 3, 2]]),
        edge_type=torch.tensor([0, 0, 0]),
        relation_names=[RO_HAS_PHENOTYPE],
        edge_weight=torch.ones(3),
        fingerprint="f" * 64,
    )
    b = AnnotationTableBuilder()
    b.add(
        "https://w3id.org/kgfuse/data/a1",
        disease,
        hp1,
        frequency=0.9,
        frequency_term=freq,
        evidence="TAS",
        sources=["https://pubmed.ncbi.nlm.nih.gov/123"],
    )
    b.add("https://w3id.org/kgfuse/data/a2", disease, hp2, negated=True, evidence="IEA")
    labels = {
        disease: "Marfan syndrome",
        gene: "FBN1",
        hp1: "Arachnodactyly",
        hp2: "Ectopia lentis",
        freq: "Very frequent",
    }
    return graph, b.build(), labels


def test_facts_from_tables_annotations_replace_their_triples() -> None:
    graph, annotations, labels = _tiny_annotated_tables()
    facts = facts_from_tables(graph, annotations, labels)
    # two annotation records + the gene edge; the two disease edges are stated by annotations
    assert len(facts) == 3
    first = facts.fact(0)
    assert first.kind == "annotation"
    assert first.annotation == "https://w3id.org/kgfuse/data/a1"
    assert first.frequency == pytest.approx(0.9)
    assert first.evidence == "TAS"
    assert first.sources == ("https://pubmed.ncbi.nlm.nih.gov/123",)
    assert first.text == (
        "Marfan syndrome has phenotype Arachnodactyly; very frequent; evidence TAS; PMID:123"
    )
    assert facts.fact(1).negated and facts.fact(1).text.startswith("NOT Marfan syndrome")
    assert (
        facts.fact(2).kind == "triple" and facts.fact(2).text == "FBN1 has phenotype Arachnodactyly"
    )


# ---- faiss indexes ------------------------------------------------------------------------
def _clustered(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 64 random centres (queries are drawn the same way)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((64, dim)).astype(np.float32)
    x = centres[rng.integers(0, 64, n)] + 0.4 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _recall(exact: np.ndarray, approx: np.ndarray) -> float:
    pairs = zip(exact, approx, strict=True)
    return float(np.mean([len(set(a) & set(b)) / len(a) for a, b in pairs]))


@pytest.mark.parametrize(
    "config",
    [IndexConfig(kind="hnsw"), IndexConfig(kind="ivf", ivf_nprobe=8)],
    ids=["hnsw", "ivf"],
)
def test_approximate_index_recall_against_flat(config: IndexConfig) -> None:
    points = _clustered(4100, 64)
    data, queries = points[:4000], points[4000:]
    flat = build_index(64, IndexConfig())
    flat.add(data)
    approx = build_index(64, config, data)
    approx.add(data)
    _, exact_ids = flat.search(queries, 32)
    _, approx_ids = approx.search(queries, 32, params=search_parameters(approx, config, 32))
    assert _recall(exact_ids, approx_ids) >= 0.95


def test_index_config_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown index kind"):
        IndexConfig(kind="annoy")
    with pytest.raises(ValueError, match="unknown index settings"):
        IndexConfig.from_dict({"kind": "flat", "efSearch": 3})


@pytest.mark.parametrize("shards", [0, -2, 1.5, True, "2", None])
def test_index_config_rejects_bad_shards(shards) -> None:
    with pytest.raises(ValueError, match="shards"):
        IndexConfig(shards=shards)
    with pytest.raises(ValueError, match="shards"):
        IndexConfig.from_dict({"kind": "ivfpq", "shards": shards})


def _filled(config: IndexConfig, data: np.ndarray, chunk: int = 64):
    """An index of ``config`` holding ``data``, added chunk by chunk as FactIndex does."""
    index = build_index(data.shape[1], config, data)
    for lo in range(0, len(data), chunk):
        add_vectors(index, data[lo : lo + chunk], total=len(data))
    return index


@pytest.mark.parametrize("shards", [2, 3, 5])
def test_sharded_flat_index_matches_unsharded(shards: int) -> None:
    rng = np.random.default_rng(1)
    data = rng.standard_normal((301, 16)).astype(np.float32)
    queries = rng.standard_normal((9, 16)).astype(np.float32)
    flat, config = _filled(IndexConfig(), data), IndexConfig(shards=shards)
    sharded = _filled(config, data)
    assert is_sharded(sharded) and not is_sharded(flat)
    assert sharded.ntotal == 301 and sharded.count() == shards
    assert shard_offsets(sharded).tolist() == [301 * s // shards for s in range(shards + 1)]
    exact_scores, exact_ids = search_index(flat, IndexConfig(), queries, 20)
    scores, ids = search_index(sharded, config, queries, 20)
    np.testing.assert_array_equal(ids, exact_ids)
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-5)
    # an id filter is applied shard by shard, each on its own range of ids
    allowed = np.zeros(301, dtype=bool)
    allowed[rng.choice(301, size=15, replace=False)] = True
    _, exact_ids = search_index(flat, IndexConfig(), queries, 20, allowed)
    _, ids = search_index(sharded, config, queries, 20, allowed)
    np.testing.assert_array_equal(ids, exact_ids)
    assert allowed[ids[:, :15]].all() and (ids[:, 15:] == -1).all()
    rows = np.array([300, 0, 150, 299, 1])
    np.testing.assert_array_equal(reconstruct_rows(sharded, rows), data[rows])
    with pytest.raises(IndexError):
        reconstruct_rows(sharded, np.array([301]))
    # growth after the build lands in the last shard and keeps ids = rows
    more = rng.standard_normal((7, 16)).astype(np.float32)
    add_vectors(sharded, more)
    add_vectors(flat, more)
    assert shard_offsets(sharded)[-2:].tolist() == [301 * (shards - 1) // shards, 308]
    np.testing.assert_array_equal(
        search_index(sharded, config, queries, 20)[1],
        search_index(flat, IndexConfig(), queries, 20)[1],
    )


@pytest.mark.parametrize(
    "config",
    [IndexConfig(shards=3), IndexConfig(kind="hnsw", shards=2), IndexConfig(kind="ivf", shards=2)],
    ids=["flat", "hnsw", "ivf"],
)
def test_sharded_index_save_load_round_trip(config: IndexConfig, tmp_path: Path) -> None:
    data = _clustered(500, 32)
    index = _filled(config, data)
    paths = save_index(index, tmp_path, "index")
    assert [p.name for p in paths] == index_files("index", config.shards)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    loaded = load_index(tmp_path, config.shards, "index")
    assert is_sharded(loaded) and loaded.ntotal == 500
    assert shard_offsets(loaded).tolist() == shard_offsets(index).tolist()
    queries = data[:8] + 0.05
    np.testing.assert_array_equal(
        search_index(loaded, config, queries, 10)[1], search_index(index, config, queries, 10)[1]
    )
    np.testing.assert_array_equal(reconstruct_rows(loaded, np.arange(500)), data)
    paths[-1].unlink()
    with pytest.raises(FileNotFoundError, match="shard"):
        load_index(tmp_path, config.shards, "index")


# ---- retrieval ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_fact_index_round_trip_gives_identical_results(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path, kind: str
) -> None:
    index = _index(legal_kg, tiny_encoder, kind)
    query = tiny_encoder.encode(["theft dishonesty"])[0]
    before = index.search(query, entity_iris=[LEGAL + "Theft"], k=10)
    filtered_before = index.search(query, k=5, relations=[HAS_ELEMENT])
    index.save(tmp_path / "facts")
    loaded = FactIndex.load(tmp_path / "facts", legal_kg, use_gpu=False)
    assert len(loaded) == len(index)
    assert _signature(loaded.search(query, entity_iris=[LEGAL + "Theft"], k=10)) == _signature(
        before
    )
    assert _signature(loaded.search(query, k=5, relations=[HAS_ELEMENT])) == _signature(
        filtered_before
    )
    np.testing.assert_allclose(loaded.vectors(range(len(index))), index.vectors(range(len(index))))


def test_sharded_fact_index_matches_flat_and_round_trips(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    flat = _index(legal_kg, tiny_encoder)
    sharded = _index(legal_kg, tiny_encoder, "flat", shards=3)
    assert is_sharded(sharded.index) and sharded.index.ntotal == len(sharded)
    query = tiny_encoder.encode(["theft dishonesty"])[0]
    before = sharded.search(query, entity_iris=[LEGAL + "Theft"], k=10)
    assert _signature(before) == _signature(flat.search(query, entity_iris=[LEGAL + "Theft"], k=10))
    np.testing.assert_allclose(
        sharded.vectors(range(len(flat))), flat.vectors(range(len(flat))), atol=1e-6
    )
    sharded.save(tmp_path / "facts")
    saved = index_version(tmp_path / "facts")
    assert saved is not None and (saved / "index.shard002.faiss").is_file()
    assert not (saved / "index.faiss").exists()
    loaded = FactIndex.load(tmp_path / "facts", legal_kg, use_gpu=False)
    assert loaded.config.index.shards == 3 and is_sharded(loaded.index)
    after = loaded.search(query, entity_iris=[LEGAL + "Theft"], k=10)
    assert _signature(after) == _signature(before)
    # a fact added later is found, in the last shard, and survives another round trip
    fraud = Fact(-1, "triple", LEGAL + "Fraud", HAS_ELEMENT, LEGAL + "Dishonesty", "fraud")
    (new_id,) = loaded.add([fraud], text_encoder=tiny_encoder)
    assert shard_offsets(loaded.index)[-1] == new_id + 1
    loaded.save(tmp_path / "facts")
    again = FactIndex.load(tmp_path / "facts", legal_kg, use_gpu=False)
    assert again.search(None, entity_iris=[LEGAL + "Fraud"], k=1)[0].fact.id == new_id


def test_fact_vectors_are_unit_length_and_sized(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder
) -> None:
    index = _index(legal_kg, tiny_encoder, dim=64, graph_dim=16)
    vectors = index.vectors(np.arange(len(index)))
    assert vectors.shape == (len(index), 64)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors, index.fact_vectors(np.arange(len(index))), atol=1e-6)


@pytest.mark.parametrize(
    ("kind", "shards"), [("flat", 1), ("hnsw", 1), ("ivf", 1), ("flat", 3), ("hnsw", 2)]
)
def test_fact_index_filters_by_relation_and_node_type(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder, kind: str, shards: int
) -> None:
    index = _index(legal_kg, tiny_encoder, kind, shards)
    query = tiny_encoder.encode(["theft"])[0]
    by_relation = index.search(query, k=50, relations=["https://example.org/legal#definedIn"])
    assert len(by_relation) == 4  # every offence's statute, nothing else
    assert {h.fact.predicate for h in by_relation} == {DEFINED_IN}
    by_type = index.search(query, k=50, node_types=[PENALTY])
    assert len(by_type) == 4
    assert all(PENALTY in (h.fact.subject_type, h.fact.object_type) for h in by_type)
    both = index.search(query, k=50, relations=[HAS_ELEMENT], node_types=[STATUTE])
    assert both == []
    scores = [h.score for h in by_relation]
    assert scores == sorted(scores, reverse=True)


def test_fact_index_unknown_filters_fail_listing_choices(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder
) -> None:
    index = _index(legal_kg, tiny_encoder)
    query = tiny_encoder.encode(["theft"])[0]
    with pytest.raises(ValueError, match="hasElement"):
        index.search(query, relations=[LEGAL + "hasVictim"])
    with pytest.raises(ValueError, match="unknown node type"):
        index.search(query, node_types=[LEGAL + "Court"])
    with pytest.raises(ValueError, match="entity_mode"):
        index.search(query, entity_mode="rerank")
    with pytest.raises(ValueError, match="dimension"):
        index.search(np.ones(7, dtype=np.float32))
    with pytest.raises(ValueError, match="text vector or at least one entity"):
        index.search(None)
    assert index.search(None, entity_iris=[LEGAL + "NoSuchThing"]) == []


def test_fact_index_entity_boost_and_filter(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder
) -> None:
    index = _index(legal_kg, tiny_encoder)
    query = tiny_encoder.encode(["use of force"])[0]
    burglary = LEGAL + "Burglary"
    touching = {
        i
        for i in range(len(index))
        if burglary in (index.facts.fact(i).subject, index.facts.fact(i).object)
    }
    boosted = index.search(
        query, entity_iris=["https://example.org/legal#Burglary"], k=len(touching) + 3
    )
    assert {h.fact.id for h in boosted[: len(touching)]} == touching
    assert all(h.entities == (burglary,) for h in boosted[: len(touching)])
    assert all(h.score == pytest.approx(h.similarity + 0.5) for h in boosted[: len(touching)])
    assert all(h.entities == () for h in boosted[len(touching) :])
    only = index.search(query, entity_iris=[burglary], k=50, entity_mode="filter")
    assert {h.fact.id for h in only} == touching
    # the entities alone (no text) are a query too
    assert {
        h.fact.id for h in index.search(None, entity_iris=[burglary], k=len(touching))
    } == touching
    # two linked entities: the fact joining them gets both boosts and ranks first
    pair = index.search(query, entity_iris=[burglary, LEGAL + "Dishonesty"], k=3)
    assert pair[0].fact.text == "burglary has element dishonesty"
    assert len(pair[0].entities) == 2


def test_fact_index_incremental_add_finds_new_fact(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    index = _index(legal_kg, tiny_encoder, "hnsw")
    size = len(index)
    fraud = Fact(
        id=-1,
        kind="triple",
        subject=LEGAL + "Fraud",
        predicate=HAS_ELEMENT,
        object=LEGAL + "Dishonesty",
        subject_label="fraud",
        subject_type=OWL_CLASS,
    )
    ids = index.add([fraud], text_encoder=tiny_encoder)
    assert ids == [size] and len(index) == size + 1 == index.index.ntotal
    hits = index.search(tiny_encoder.encode(["fraud"])[0], entity_iris=[LEGAL + "Fraud"], k=1)
    assert hits[0].fact.id == size
    assert hits[0].fact.text == "fraud has element dishonesty"
    # the added fact survives a round trip
    index.save(tmp_path / "facts")
    loaded = FactIndex.load(tmp_path / "facts", legal_kg)
    assert loaded.search(None, entity_iris=[LEGAL + "Fraud"], k=1)[0].fact.id == size
    assert loaded.meta["added_facts"] == 1


def test_fact_index_add_new_node_needs_encoder(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder
) -> None:
    index = _index(legal_kg, tiny_encoder)
    new = Fact(-1, "triple", LEGAL + "Fraud", HAS_ELEMENT, LEGAL + "Dishonesty")
    with pytest.raises(ValueError, match="text encoder"):
        index.add([new])
    known = Fact(-1, "triple", LEGAL + "Theft", HAS_ELEMENT, LEGAL + "UseOfForce")
    assert index.add([known]) == [len(index) - 1]  # known nodes: no encoder needed


def test_fact_index_refuses_another_kg(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path, fixtures_dir: Path
) -> None:
    index = _index(legal_kg, tiny_encoder)
    index.save(tmp_path / "facts")
    build_kg([fixtures_dir / "mini.obo"], tmp_path / "other", progress=False)
    other = KnowledgeGraph.open(tmp_path / "other")
    with pytest.raises(KGMismatchError):
        FactIndex.load(tmp_path / "facts", other)


def test_fact_index_returned_facts_exist_in_kg(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder
) -> None:
    index = _index(legal_kg, tiny_encoder, exact_text=True)
    hits = index.search(
        tiny_encoder.encode(["robbery force"])[0], entity_iris=[LEGAL + "Robbery"], k=len(index)
    )
    assert len(hits) == len(index)
    assert all(_fact_in_kg(legal_kg, h.fact) for h in hits)


def test_fact_index_with_node_embeddings(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    emb = torch.randn(legal_kg.graph.num_nodes, 24)
    config = RetrievalConfig(graph_dim=16, index=IndexConfig(use_gpu=False))
    index = FactIndex.build(legal_kg, emb, tiny_encoder, config)
    assert index.graph_dim == 16 and index.vectors([0]).shape == (1, 128)
    query = tiny_encoder.encode(["theft"])[0]
    before = index.search(query, entity_iris=[LEGAL + "Theft"], k=5)
    index.save(tmp_path / "facts")
    after = FactIndex.load(tmp_path / "facts", legal_kg).search(
        query, entity_iris=[LEGAL + "Theft"], k=5
    )
    assert _signature(after) == _signature(before)


@pytest.mark.parametrize(("kind", "shards"), [("hnsw", 1), ("ivf", 1), ("ivfpq", 1), ("ivfpq", 2)])
def test_rebuild_index_kinds_agree_with_flat(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder, kind: str, shards: int
) -> None:
    index = _index(legal_kg, tiny_encoder)
    query = tiny_encoder.encode(["burglary"])[0]
    exact = [h.fact.id for h in index.search(query, k=5)]
    index.rebuild_index(IndexConfig(kind=kind, pq_m=8, use_gpu=False, shards=shards))
    assert index.config.index.kind == kind and index.index.ntotal == len(index)
    approx = [h.fact.id for h in index.search(query, k=5)]
    assert len(set(exact) & set(approx)) >= (3 if kind == "ivfpq" else 5)


def test_gpu_placement_without_a_gpu_stays_on_cpu_or_says_why(monkeypatch) -> None:
    import fusion.faiss_index as faiss_index

    monkeypatch.setattr(faiss_index, "gpu_available", lambda: False)  # as on CI, whatever faiss
    index = build_index(8, IndexConfig(kind="flat", use_gpu=None))
    assert to_gpu(index, IndexConfig(kind="flat", use_gpu=None)) is None  # auto: CPU
    assert to_gpu(index, IndexConfig(kind="flat", use_gpu=False)) is None
    with pytest.raises(RuntimeError, match="use_gpu=True but faiss sees no GPU"):
        to_gpu(index, IndexConfig(kind="flat", use_gpu=True))


def test_an_index_whose_current_link_was_lost_is_damaged_not_missing(
    legal_kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    from fusion.retrieval import DamagedIndexError, IndexNotReplacedError

    index = _index(legal_kg, tiny_encoder)
    folder = tmp_path / "facts"
    index.save(folder)
    version = index_version(folder)
    assert version is not None
    (folder / "current").unlink()  # rsync -r, a zip or git without symbolic links
    with pytest.raises(DamagedIndexError, match="no current link"):
        FactIndex.load(folder, legal_kg, use_gpu=False)
    with pytest.raises(IndexNotReplacedError):  # a user's folder: never built over
        FactIndex.load_or_build(folder, legal_kg, text_encoder=tiny_encoder)
    assert version.is_dir()  # the saved index is still there
