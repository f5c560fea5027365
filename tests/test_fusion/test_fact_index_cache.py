"""The saved fact index: when a cached one is reused or rebuilt (KG, encoder, graph
embeddings, settings), an explicit folder of another KG left alone, damaged files named,
saves that a kill or a second writer cannot break, and the search-time fixes (ties of a
sharded index, IVF without a filter, a single IRI, non-finite queries)."""

from __future__ import annotations

import json
import logging
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file

from encoders.text import TextEncoder, TextEncoderConfig
from fusion.faiss_index import IndexConfig, add_vectors, build_index, search_index
from fusion.retrieval import FactIndex, RetrievalConfig, default_index_dir
from kg.knowledge_graph import KnowledgeGraph
from kg.store import build_kg
from tests.test_fusion.conftest import make_tiny_encoder
from tests.tiny_bert import write_tiny_bert

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEGAL = "https://example.org/legal#"
FLAT = RetrievalConfig(index=IndexConfig(use_gpu=False))


class Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs, and no ``except Exception`` sees it."""


def _meta_path(folder: Path) -> Path:
    """facts.json of the index in ``folder``, in whichever layout the code saved it."""
    current = folder / "current"
    return (current if current.exists() else folder) / "facts.json"


@pytest.fixture
def kg(tmp_path: Path) -> KnowledgeGraph:
    """A fresh build of the legal KG (its default index folder is this test's own)."""
    build_kg([FIXTURES / "legal" / "legal.ttl"], tmp_path / "kg", progress=False)
    return KnowledgeGraph.open(tmp_path / "kg")


@pytest.fixture(scope="module")
def other_encoder(tmp_path_factory: pytest.TempPathFactory) -> TextEncoder:
    """A second tiny BERT of the same width as ``tiny_encoder`` (32) but other weights."""
    folder = write_tiny_bert(tmp_path_factory.mktemp("other_bert"), [])
    return TextEncoder(TextEncoderConfig(model_path=str(folder), precision="fp32", device="cpu"))


# ---- 2. and 3.: a cached index is rebuilt when it is stale ---------------------------------
def test_cached_index_is_rebuilt_for_another_encoder(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, other_encoder: TextEncoder
) -> None:
    folder = default_index_dir(kg)
    first = FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder, config=FLAT)
    again = FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder, config=FLAT)
    assert again.meta["build_seconds"] == first.meta["build_seconds"]  # reused, not rebuilt
    other = FactIndex.load_or_build(folder, kg, text_encoder=other_encoder, config=FLAT)
    assert Path(other.meta["encoder"]["path"]) == other_encoder.path
    query = other_encoder.encode(["theft"])[0]
    expected = FactIndex.build(kg, text_encoder=other_encoder, config=FLAT).search(query, k=5)
    assert [h.fact.id for h in other.search(query, k=5)] == [h.fact.id for h in expected]


def test_cached_index_is_rebuilt_for_other_graph_embeddings(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder
) -> None:
    folder = default_index_dir(kg)
    generator = torch.Generator().manual_seed(0)
    first = torch.randn(kg.graph.num_nodes, 24, generator=generator)
    second = torch.randn(kg.graph.num_nodes, 24, generator=generator)
    config = RetrievalConfig(graph_dim=16, index=IndexConfig(use_gpu=False))
    a = FactIndex.load_or_build(
        folder, kg, node_embeddings=first, text_encoder=tiny_encoder, config=config
    )
    b = FactIndex.load_or_build(
        folder, kg, node_embeddings=second, text_encoder=tiny_encoder, config=config
    )
    fresh = FactIndex.build(kg, second, tiny_encoder, config)
    assert not np.allclose(a.tables.node_graph, fresh.tables.node_graph)
    np.testing.assert_allclose(b.tables.node_graph, fresh.tables.node_graph, atol=1e-6)


def test_cached_index_of_other_settings_is_reindexed_to_the_wanted_ones(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = default_index_dir(kg)
    FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder, config=FLAT)
    # what `kgfuse facts --index-kind hnsw --shards 2` does to the cache
    cached = FactIndex.load(folder, kg)
    cached.rebuild_index(IndexConfig(kind="hnsw", shards=2, use_gpu=False))
    cached.save(folder)
    builds: list[int] = []
    real_build = FactIndex.build

    def counted(*args, **kwargs):
        builds.append(1)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(FactIndex, "build", counted)
    got = FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder, config=FLAT)
    assert (got.config.index.kind, got.config.index.shards) == ("flat", 1)
    assert builds == []  # re-indexed from the saved tables, nothing embedded again
    assert FactIndex.load(folder, kg).config.index.kind == "flat"


def test_training_gets_a_flat_index_after_kgfuse_facts_reindexed_the_cache(
    kg: KnowledgeGraph,
) -> None:
    from train.diagnosis import ensure_fact_index

    embeddings = torch.randn(kg.graph.num_nodes, 16, generator=torch.Generator().manual_seed(1))
    built = ensure_fact_index(kg, embeddings, progress=False)
    exact = built.vectors(np.arange(len(built)))
    cached = FactIndex.load(default_index_dir(kg), kg)
    cached.rebuild_index(IndexConfig(kind="ivfpq", shards=2, pq_m=8, use_gpu=False))
    cached.save(default_index_dir(kg))
    got = ensure_fact_index(kg, embeddings, progress=False)
    assert (got.config.index.kind, got.config.index.shards) == ("flat", 1)
    np.testing.assert_array_equal(got.vectors(np.arange(len(got))), exact)  # not PQ codes


# ---- 5.: an explicit folder of another KG is not replaced ----------------------------------
def test_explicit_folder_of_another_kg_is_refused_not_overwritten(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    build_kg([FIXTURES / "mini.obo"], tmp_path / "other", progress=False)
    other = KnowledgeGraph.open(tmp_path / "other")
    folder = tmp_path / "mine"
    FactIndex.build(other, text_encoder=tiny_encoder, config=FLAT).save(folder)
    with pytest.raises(ValueError, match="--rebuild") as caught:
        FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder, config=FLAT)
    assert str(folder) in str(caught.value)
    assert FactIndex.load(folder, other).fingerprint == other.fingerprint  # left as it was
    rebuilt = FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder, rebuild=True)
    assert rebuilt.fingerprint == kg.fingerprint


def test_save_refuses_a_folder_of_other_files(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work")
    index = FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT)
    with pytest.raises(ValueError, match="thesis.txt"):
        index.save(folder)
    assert (folder / "thesis.txt").read_text() == "years of work"


# ---- 6.: damaged files are named ------------------------------------------------------------
def _truncate(path: Path, keep: int = 40) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _cut_node_text(path: Path) -> None:
    tables = load_file(str(path))
    tables["node_text"] = tables["node_text"][:-3]
    save_file(tables, str(path))


DAMAGE = {
    "index.faiss cut short": ("index.faiss", _truncate),
    "index.faiss bad magic": ("index.faiss", lambda p: p.write_bytes(b"XXXX" + p.read_bytes()[4:])),
    "vectors.safetensors cut short": ("vectors.safetensors", _truncate),
    "facts.safetensors cut short": ("facts.safetensors", _truncate),
    "facts.json cut short": ("facts.json", _truncate),
    "node_text cut short": ("vectors.safetensors", _cut_node_text),
}


@pytest.mark.parametrize("search_only", [False, True], ids=["read", "mapped"])
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_index_file_is_named(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path, damage: str, search_only: bool
) -> None:
    folder = tmp_path / "facts"
    FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT).save(folder)
    name, spoil = DAMAGE[damage]
    spoil(_meta_path(folder).parent / name)
    with pytest.raises(ValueError, match=rf"{name}.*rebuild") as caught:
        FactIndex.load(folder, kg, search_only=search_only)
    if damage == "node_text cut short":
        assert "node_text" in str(caught.value)
    with pytest.raises(ValueError, match=name):  # an explicit folder is not replaced
        FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder)


def test_damaged_cached_index_is_rebuilt_with_a_warning(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    folder = default_index_dir(kg)
    FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder, config=FLAT)
    _truncate(_meta_path(folder).parent / "index.faiss")
    with caplog.at_level(logging.WARNING, logger="fusion.retrieval"):
        index = FactIndex.load_or_build(folder, kg, text_encoder=tiny_encoder, config=FLAT)
    assert index.index.ntotal == len(index)
    assert any("index.faiss" in r.getMessage() for r in caplog.records)
    assert FactIndex.load(folder, kg).index.ntotal == len(index)


# ---- 4.: saving cannot lose the index --------------------------------------------------------
def test_a_save_killed_before_the_swap_keeps_the_previous_index_and_leftovers_go(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path, monkeypatch
) -> None:
    import fusion.retrieval as retrieval

    folder = tmp_path / "facts"
    index = FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT)
    index.save(folder)
    real_replace = retrieval.os.replace

    def killed_at_the_swap(src, dst):  # the rename that puts the new index in place
        if Path(dst) in (folder, folder / "current"):
            raise Killed
        return real_replace(src, dst)

    monkeypatch.setattr(retrieval.os, "replace", killed_at_the_swap)
    with pytest.raises(Killed):
        index.save(folder)
    monkeypatch.undo()
    assert len(FactIndex.load(folder, kg)) == len(index)  # the previous index, whole
    # leftovers of a save killed by an older kgfuse, and of one killed mid-write
    for name in (".facts.tmp-0badc0de", ".facts.old-0badc0de"):
        shutil.copytree(_meta_path(folder).parent, tmp_path / name)
    (folder / "v-000099").mkdir()
    index.save(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["facts", "kg"]
    assert len([p for p in folder.iterdir() if p.name.startswith("v-")]) == 1  # the one in use
    assert len(FactIndex.load(folder, kg)) == len(index)


def test_a_copied_index_folder_loads_and_saves(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    index = FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT)
    index.save(tmp_path / "facts")
    shutil.copytree(tmp_path / "facts", tmp_path / "copy")  # the link copied as a folder
    assert len(FactIndex.load(tmp_path / "copy", kg)) == len(index)
    index.save(tmp_path / "copy")
    assert (tmp_path / "copy" / "current").is_symlink()
    assert len(FactIndex.load(tmp_path / "copy", kg)) == len(index)


def test_two_writers_and_a_reader_at_once(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    folder = tmp_path / "facts"
    index = FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT)
    index.save(folder)
    errors: list[str] = []
    start = threading.Barrier(3)

    def write() -> None:
        start.wait()
        for _ in range(15):
            try:
                index.save(folder)
            except Exception as err:  # noqa: BLE001 - collected for the assertion
                errors.append(f"save: {type(err).__name__}: {err}")

    def read() -> None:
        start.wait()
        for _ in range(30):
            try:
                assert len(FactIndex.load(folder, kg)) == len(index)
            except Exception as err:  # noqa: BLE001
                errors.append(f"load: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=f) for f in (write, write, read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(FactIndex.load(folder, kg)) == len(index)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---- 7.-9.: search ---------------------------------------------------------------------------
def test_sharded_search_breaks_ties_by_lower_id_like_one_index() -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((64, 8)).astype(np.float32)
    data[10:50] = data[10]  # 40 equal vectors, across both shards
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    query = data[10:11]
    ids = {}
    for shards in (1, 2, 3):
        config = IndexConfig(shards=shards, use_gpu=False)
        index = build_index(8, config)
        add_vectors(index, data, total=len(data))
        ids[shards] = search_index(index, config, query, 5)[1][0].tolist()
    assert ids[2] == [10, 11, 12, 13, 14] and ids[3] == ids[2]  # faiss' merge: 49, 48, ...
    assert ids[1] == ids[2]


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> FactIndex:
    """An index of about 1,900 facts (a generated ontology of 400 concepts), so that IVF
    has many lists."""
    rng = np.random.default_rng(0)
    lines = [
        "@prefix ex: <https://example.org/o#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        'ex:rel a owl:ObjectProperty ; rdfs:label "related to" .',
    ]
    for i in range(400):
        lines.append(f'ex:C{i} a owl:Class ; rdfs:label "concept {i} {"abcd"[i % 4]}" .')
        if i:
            lines.append(f"ex:C{i} rdfs:subClassOf ex:C{rng.integers(i)} .")
        lines += [f"ex:C{i} ex:rel ex:C{rng.integers(400)} ." for _ in range(3)]
    root = tmp_path_factory.mktemp("big")
    (root / "big.ttl").write_text("\n".join(lines) + "\n")
    build_kg([root / "big.ttl"], root / "kg", progress=False)
    encoder = TextEncoder(
        TextEncoderConfig(
            model_path=str(make_tiny_encoder(root / "bert")), precision="fp32", device="cpu"
        )
    )
    return FactIndex.build(KnowledgeGraph.open(root / "kg"), text_encoder=encoder, config=FLAT)


def test_ivf_without_a_filter_returns_k_facts_as_exact_search_would(big_index) -> None:
    query = np.random.default_rng(3).standard_normal(big_index.encoder_dim).astype(np.float32)
    exact = [h.fact.id for h in big_index.search(query, k=300)]
    try:
        big_index.rebuild_index(IndexConfig(kind="ivf", ivf_nprobe=1, use_gpu=False))
        assert big_index.index.nlist > 4  # one list probed holds far fewer than 300 facts
        approx = [h.fact.id for h in big_index.search(query, k=300)]
    finally:
        big_index.rebuild_index(IndexConfig(use_gpu=False))
    assert len(approx) == 300 and approx == exact


def test_search_takes_one_iri_as_a_string(kg: KnowledgeGraph, tiny_encoder: TextEncoder) -> None:
    index = FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT)
    query = tiny_encoder.encode(["theft"])[0]
    as_list = [h.fact.id for h in index.search(query, entity_iris=[LEGAL + "Theft"], k=5)]
    assert [h.fact.id for h in index.search(query, entity_iris=LEGAL + "Theft", k=5)] == as_list
    alone = index.search(None, entity_iris=LEGAL + "Theft", k=5)
    assert alone and all(LEGAL + "Theft" in h.entities for h in alone)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_search_refuses_a_non_finite_query_vector(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, bad: float
) -> None:
    index = FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT)
    vector = np.full(index.encoder_dim, bad, dtype=np.float32)
    with pytest.raises(ValueError, match="NaN or infinite"):
        index.search(vector, k=3)


def test_meta_counts_the_facts_added_before_a_save(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    from fusion.facts import Fact

    index = FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT)
    index.save(tmp_path / "facts")
    loaded = FactIndex.load(tmp_path / "facts", kg)
    loaded.add([Fact(-1, "triple", LEGAL + "Theft", LEGAL + "hasElement", LEGAL + "Robbery")])
    loaded.save(tmp_path / "facts")
    meta = json.loads(_meta_path(tmp_path / "facts").read_text())
    assert meta["num_facts"] == len(index) + 1
    assert len(FactIndex.load(tmp_path / "facts", kg)) == len(index) + 1


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_an_index_loaded_for_searching_only_finds_what_a_read_one_finds(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path, kind: str
) -> None:
    knobs = {"ivf_nlist": 2, "train_size": 64} if kind == "ivf" else {}
    config = RetrievalConfig(index=IndexConfig(kind=kind, use_gpu=False, **knobs))
    FactIndex.build(kg, text_encoder=tiny_encoder, config=config).save(tmp_path / "facts")
    read = FactIndex.load(tmp_path / "facts", kg)
    mapped = FactIndex.load(tmp_path / "facts", kg, search_only=True)
    assert mapped.search_only and not read.search_only
    rng = np.random.default_rng(0)
    for _ in range(5):
        query = rng.standard_normal(read.encoder_dim).astype(np.float32)
        found = [(f.fact.id, round(f.score, 6)) for f in mapped.search(query, k=5)]
        assert found == [(f.fact.id, round(f.score, 6)) for f in read.search(query, k=5)]
        assert len(found) == 5


def test_an_index_loaded_for_searching_only_refuses_to_grow_until_rebuilt(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    """faiss aborts the whole process on an add to vectors mapped from a file: the index
    says why instead; rebuilt, it is in memory and grows."""
    from fusion.facts import Fact

    FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT).save(tmp_path / "facts")
    mapped = FactIndex.load(tmp_path / "facts", kg, search_only=True)
    fact = Fact(-1, "triple", LEGAL + "Theft", LEGAL + "hasElement", LEGAL + "Robbery")
    before = len(mapped)
    with pytest.raises(ValueError, match="searching only"):
        mapped.add([fact])
    assert len(mapped) == before and mapped.index.ntotal == before  # nothing half-added
    mapped.rebuild_index(IndexConfig(use_gpu=False))
    assert not mapped.search_only
    mapped.add([fact])
    assert mapped.index.ntotal == before + 1


def test_a_loaded_fact_table_shares_equal_source_lists_and_keeps_every_fact_as_saved(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    from fusion.facts import Fact

    index = FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT)
    cited = ["https://pubmed.ncbi.nlm.nih.gov/1", "https://pubmed.ncbi.nlm.nih.gov/2"]
    for subject in ("Theft", "Burglary"):
        index.add(
            [
                Fact(
                    -1,
                    "triple",
                    LEGAL + subject,
                    LEGAL + "hasElement",
                    LEGAL + "Robbery",
                    sources=tuple(cited),
                )
            ]
        )
    index.save(tmp_path / "facts")
    loaded = FactIndex.load(tmp_path / "facts", kg).facts
    saved = index.facts
    assert loaded.sources == saved.sources  # every row, in order
    assert [loaded.fact(i) for i in range(len(saved))] == [saved.fact(i) for i in range(len(saved))]
    by_value: dict[tuple[str, ...], list[str]] = {}
    for row in loaded.sources:
        assert by_value.setdefault(tuple(row), row) is row  # equal rows: one list
    assert loaded.sources[-1] is loaded.sources[-2] and loaded.sources[-1] == cited
    own = Fact(
        -1, "triple", LEGAL + "Theft", LEGAL + "hasElement", LEGAL + "MensRea", sources=("x",)
    )
    loaded.append([own])
    assert loaded.sources[-3] == cited and loaded.sources[-1] == ["x"]  # a new row of its own


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc")
def test_an_index_loaded_for_searching_only_is_mapped_from_its_file(
    kg: KnowledgeGraph, tiny_encoder: TextEncoder, tmp_path: Path
) -> None:
    import faiss

    if not hasattr(faiss, "IO_FLAG_MMAP_IFC"):
        pytest.skip("faiss before 1.11 cannot map an index: it is read")
    FactIndex.build(kg, text_encoder=tiny_encoder, config=FLAT).save(tmp_path / "facts")
    index_file = str((_meta_path(tmp_path / "facts").parent / "index.faiss").resolve())

    def mapped() -> bool:
        return index_file in Path("/proc/self/maps").read_text()

    read = FactIndex.load(tmp_path / "facts", kg)
    assert not mapped()
    searched = FactIndex.load(tmp_path / "facts", kg, search_only=True)
    assert mapped()
    del read, searched
