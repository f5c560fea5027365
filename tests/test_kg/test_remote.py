"""A KG behind a SPARQL endpoint (``oxigraph serve``) answers as the local build it serves."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest
import torch

from kg.endpoint import free_port
from kg.errors import (
    EndpointQueryError,
    EndpointUnreachableError,
    NotAnEndpointError,
    UnknownTermError,
)
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import KGV, OBO, RDF_TYPE
from kg.remote import RemoteStore, is_endpoint, kg_location, remote_cache_dir
from kg.sparql import IRI
from kg.store import KG_DESCRIPTION_NODE, build_kg, fingerprint_of, resolve_build
from tests.endpoint_env import serving
from tests.http_stub import StubHandler, serve_stub

FIXTURES = Path(__file__).parents[1] / "fixtures"
MARFAN = "https://omim.org/entry/154700"
ARACHNODACTYLY = OBO + "HP_0001166"


@pytest.fixture(scope="module")
def hpo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("kgs") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return dest


@pytest.fixture(scope="module")
def legal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("kgs") / "legal"
    build_kg([FIXTURES / "legal" / "legal.ttl"], dest, progress=False)
    return dest


@pytest.fixture(scope="module")
def hpo_url(hpo_dir: Path) -> Iterator[str]:
    with serving(hpo_dir) as server:
        yield server.url


@pytest.fixture(scope="module")
def remote_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("remote-home")


@pytest.fixture(scope="module")
def local(hpo_dir: Path) -> KnowledgeGraph:
    return KnowledgeGraph.open(hpo_dir)


@pytest.fixture(scope="module")
def remote(hpo_url: str, remote_home: Path) -> KnowledgeGraph:
    return KnowledgeGraph.open(hpo_url, home=remote_home)


def test_build_describes_the_kg_in_its_store(local: KnowledgeGraph) -> None:
    node = ox.NamedNode(KG_DESCRIPTION_NODE)
    found = {
        q.predicate.value.removeprefix(KGV): q.object.value
        for q in local.store.quads_for_pattern(node, None, None)
    }
    assert found["fingerprint"] == local.fingerprint == fingerprint_of(local.manifest.sources)
    assert found["name"] == "hpo"
    assert [s["name"] for s in json.loads(found["sources"])] == [
        s.name for s in local.manifest.sources
    ]
    # the description node is no graph node and has no name: no derived table sees it
    assert KG_DESCRIPTION_NODE not in local.graph.node_iris
    assert all(e.iri != KG_DESCRIPTION_NODE for e in local.lexicon.entries)


def test_remote_kg_has_the_fingerprint_and_manifest_of_the_local_build(
    local: KnowledgeGraph, remote: KnowledgeGraph, hpo_url: str, remote_home: Path
) -> None:
    assert remote.fingerprint == local.fingerprint
    assert remote.manifest.name == local.manifest.name
    assert remote.manifest.sources == local.manifest.sources
    assert remote.manifest.counts == local.manifest.counts
    assert remote.stats() == local.stats()
    assert remote.location == hpo_url and remote.path.is_relative_to(remote_home / "remote")
    assert remote.path == remote_cache_dir(hpo_url, remote_home) / local.fingerprint[:16]
    assert (remote.path / "derived" / "lexicon.jsonl").is_file()


def test_remote_derived_tables_are_identical_to_the_local_ones(
    local: KnowledgeGraph, remote: KnowledgeGraph
) -> None:
    assert remote.lexicon.entries == local.lexicon.entries
    h, rh = local.hierarchy, remote.hierarchy
    assert rh.terms == h.terms and rh.labels == h.labels and rh.replaced_by == h.replaced_by
    for name in ("obsolete", "parent_ptr", "parent_idx"):
        assert np.array_equal(getattr(rh, name), getattr(h, name)), name
    a, ra = local.annotations, remote.annotations
    for name in (
        "subjects",
        "subject_labels",
        "terms",
        "annotation_iris",
        "frequency_term",
        "onset",
        "evidence",
        "aspect",
        "sources",
    ):
        assert getattr(ra, name) == getattr(a, name), name
    for name in ("subject", "term", "negated", "sex"):
        assert np.array_equal(getattr(ra, name), getattr(a, name)), name
    assert np.array_equal(ra.frequency, a.frequency, equal_nan=True)
    g, rg = local.graph, remote.graph
    assert rg.node_iris == g.node_iris and rg.relation_names == g.relation_names
    assert rg.node_type_names == g.node_type_names and rg.fingerprint == g.fingerprint
    for name in ("node_type", "edge_index", "edge_type", "edge_weight"):
        assert torch.equal(getattr(rg, name), getattr(g, name)), name


def test_remote_helper_queries_answer_as_the_local_kg(
    local: KnowledgeGraph, remote: KnowledgeGraph
) -> None:
    for term in ("HP:0001166", MARFAN, "HP:0000118"):
        assert remote.term(term) == local.term(term)
        assert remote.names(term) == local.names(term)
        assert sorted(remote.ancestors(term)) == sorted(local.ancestors(term))
        assert sorted(remote.descendants(term)) == sorted(local.descendants(term))
    by_iri = lambda rows: sorted(rows, key=lambda a: a.iri)  # noqa: E731
    assert by_iri(remote.annotations_of(MARFAN)) == by_iri(local.annotations_of(MARFAN))
    assert by_iri(remote.annotations_with(ARACHNODACTYLY)) == by_iri(
        local.annotations_with(ARACHNODACTYLY)
    )
    assert remote.diseases_with("HP:0000478") == local.diseases_with("HP:0000478")
    assert remote.genes_of(MARFAN) == local.genes_of(MARFAN)
    assert remote.genes_with("HP:0000478") == local.genes_with("HP:0000478")
    gene = local.genes_of(MARFAN)[0].iri
    assert remote.diseases_of_gene(gene) == local.diseases_of_gene(gene)
    query = "SELECT ?d ?label WHERE { ?d a kgv:Disease ; rdfs:label ?label } ORDER BY ?d"
    assert remote.query(query) == local.query(query)
    assert remote.ask("ASK WHERE { ?term a owl:Class }", term=IRI(ARACHNODACTYLY)) is True


@pytest.mark.parametrize("hostile", ["} ; DROP ALL ; {", "HP:0001166> ?p ?o } #", "line\nbreak"])
def test_remote_bound_values_stay_values(remote: KnowledgeGraph, hostile: str) -> None:
    with pytest.raises(UnknownTermError):
        remote.resolve(hostile)


def test_remote_unknown_term_suggests_as_local(
    local: KnowledgeGraph, remote: KnowledgeGraph
) -> None:
    with pytest.raises(UnknownTermError) as got_remote:
        remote.term("HP:0001167")
    with pytest.raises(UnknownTermError) as got_local:
        local.term("HP:0001167")
    assert got_remote.value.suggestions == got_local.value.suggestions


def test_remote_store_patterns_counts_and_construct_match_the_store(
    local: KnowledgeGraph, remote: KnowledgeGraph
) -> None:
    store, rstore = local.store, remote.store
    assert isinstance(rstore, RemoteStore) and len(rstore) == len(store)
    disease = ox.NamedNode(KGV + "Disease")
    patterns = [
        (None, ox.NamedNode(RDF_TYPE), disease, None),
        (ox.NamedNode(MARFAN), None, None, ox.DefaultGraph()),
        (None, None, ox.Literal("Arachnodactyly"), None),
        (ox.NamedNode(MARFAN), ox.NamedNode(RDF_TYPE), disease, ox.DefaultGraph()),
        (ox.NamedNode(MARFAN), ox.NamedNode(RDF_TYPE), ox.NamedNode(OBO + "HP_0"), None),
    ]
    for s, p, o, g in patterns:
        assert set(rstore.quads_for_pattern(s, p, o, g)) == set(store.quads_for_pattern(s, p, o, g))
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . FILTER(?s = <{MARFAN}>) }}"
    assert set(rstore.query(construct)) == set(store.query(construct))
    assert bool(rstore.query("ASK { ?s a ?t }")) is True
    with pytest.raises(ValueError, match="blank node"):
        list(rstore.quads_for_pattern(ox.BlankNode("b0"), None, None))


def test_remote_store_is_read_only(remote: KnowledgeGraph) -> None:
    assert not hasattr(remote.store, "update") and not hasattr(remote.store, "add")
    with pytest.raises(EndpointQueryError, match="HTTP 400"):
        remote.store.query("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(ValueError, match=r"at 1:\d+"):  # line numbers of the user's query
        remote.query("SELECT bad")


def test_remote_derived_tables_are_cached_once(
    remote: KnowledgeGraph, hpo_url: str, remote_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.derived

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("derived tables recomputed")

    monkeypatch.setattr(kg.derived, "write_derived", fail)
    again = KnowledgeGraph.open(hpo_url, home=remote_home)
    assert again.path == remote.path and again.fingerprint == remote.fingerprint


def test_endpoint_without_a_fingerprint_falls_back_to_a_hash_of_counts(
    hpo_url: str, tmp_path: Path, local: KnowledgeGraph, monkeypatch, caplog
) -> None:
    import kg.remote

    monkeypatch.setattr(kg.remote, "read_description", lambda store: {})
    with caplog.at_level(logging.WARNING, logger="kg.remote"):
        graph = KnowledgeGraph.open(hpo_url, home=tmp_path)
    assert graph.fingerprint == kg.remote.counts_fingerprint(graph.store) != local.fingerprint
    assert "no kgfuse fingerprint" in caplog.text
    assert graph.manifest.name == hpo_url and graph.manifest.sources == []
    assert graph.annotations.annotation_iris == local.annotations.annotation_iris


def test_generic_ontology_served_remotely_matches_local(legal_dir: Path, tmp_path: Path) -> None:
    local = KnowledgeGraph.open(legal_dir)
    with serving(legal_dir) as server:
        remote = KnowledgeGraph.open(server.url, home=tmp_path)
        assert remote.fingerprint == local.fingerprint
        assert remote.lexicon.entries == local.lexicon.entries
        assert remote.hierarchy.terms == local.hierarchy.terms
        assert torch.equal(remote.graph.edge_index, local.graph.edge_index)
        assert remote.manifest.counts == local.manifest.counts


def test_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(EndpointUnreachableError, match="no SPARQL endpoint answers at"):
        KnowledgeGraph.open(url, home=tmp_path)
    assert not (tmp_path / "remote").exists()


class _HtmlHandler(StubHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.reply(200, b"<html><body>a web page</body></html>", "text/html")


def test_non_sparql_urls_are_a_clear_error(hpo_url: str, tmp_path: Path) -> None:
    root = hpo_url.removesuffix("query")  # oxigraph's web page, not its query URL
    with pytest.raises(NotAnEndpointError, match="not a SPARQL query endpoint"):
        KnowledgeGraph.open(root, home=tmp_path)
    with serve_stub(_HtmlHandler) as server:
        page = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        with pytest.raises(NotAnEndpointError, match="text/html, not SPARQL results"):
            KnowledgeGraph.open(page, home=tmp_path)
    with pytest.raises(NotAnEndpointError, match="not a SPARQL endpoint URL"):
        RemoteStore("http://")


def test_kg_locations_keep_urls_and_make_folders_paths(tmp_path: Path) -> None:
    url = "http://127.0.0.1:7878/query"
    assert is_endpoint(url) and is_endpoint("HTTPS://host/sparql")
    assert not is_endpoint(Path("http:/x")) and not is_endpoint("kgs/hpo")
    assert kg_location(url) == url and kg_location(f" {url} ") == url
    assert kg_location(str(tmp_path)) == tmp_path


def test_served_build_is_the_current_one(hpo_dir: Path, hpo_url: str) -> None:
    from kg.endpoint import OxigraphServer

    server = OxigraphServer(hpo_dir, port=1)
    assert server.store_dir == resolve_build(hpo_dir) / "store"
    assert server.url == "http://127.0.0.1:1/query"
    assert OxigraphServer(hpo_dir, host="::1", port=2).url == "http://[::1]:2/query"
