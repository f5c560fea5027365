"""The helper triples in memory answer the helper plans as the store and as SPARQL do.

Three ways to answer each helper query are compared on every node of the mini HPO KG, the
legal KG, a KG of edge cases and random graphs: the plans on the helper triples in memory
(the fast path), the plans on the store's index scans, and the SPARQL text itself.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import UnknownTermError
from kg.helper_triples import (
    HELPER_PREDICATES,
    HELPER_TRIPLES_FILE,
    HelperTriples,
    write_helper_triples,
)
from kg.knowledge_graph import INDEX_PLANS, Q_DEFINITION, KnowledgeGraph
from kg.lookups import StoreLookups, TripleLookups
from kg.namespaces import IAO_DEFINITION, OWL_DEPRECATED, RDFS_LABEL, RDFS_SUBCLASS_OF, XSD
from kg.namespaces import RO_GENE_CONTRIBUTES_TO as CONTRIBUTES_TO
from kg.sparql import IRI, run_select
from kg.store import build_kg
from tests.endpoint_env import serving

FIXTURES = Path(__file__).parents[1] / "fixtures"
EX = "http://example.org/"

#: Several names, labels and definitions of one term, literals of several kinds, subClassOf
#: through blank nodes and literals, cycles, deprecated classes (true, "1", false), links
#: to literals and from blank nodes.
EDGE_CASES = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a a owl:Class ; rdfs:label "a" , "a"@en , "b" , 7 , "7" ; skos:prefLabel "pref" ;
     skos:altLabel ex:notALiteral ; oio:hasExactSynonym "x" , "x"@fr ;
     oio:hasRelatedSynonym "1"^^xsd:integer ; oio:hasBroadSynonym "wide" ;
     oio:hasNarrowSynonym "narrow" ; obo:IAO_0000115 "first" , "second" , "third"@en .
ex:b a owl:Class ; rdfs:subClassOf ex:a ; rdfs:label "same" .
ex:c a owl:Class ; rdfs:subClassOf ex:b , ex:a ; rdfs:label "same" .
ex:a rdfs:subClassOf ex:c .
_:anon rdfs:subClassOf ex:b . ex:d a owl:Class ; rdfs:subClassOf _:anon , ex:e .
ex:e rdfs:subClassOf ex:b . ex:f rdfs:subClassOf ex:d , ex:e , ex:b ; rdfs:label "f" , "F" .
ex:g1 obo:RO_0003304 ex:a , ex:nolabel , "a literal" ; rdfs:label "G1" , "G one" .
ex:g2 obo:RO_0003304 ex:a ; rdfs:label "G1" . _:g3 obo:RO_0003304 ex:a ; rdfs:label "anon" .
ex:a obo:RO_0003304 ex:a .
ex:old rdfs:subClassOf ex:a , _:restriction , "not a class" ; owl:deprecated true ;
       a owl:Class , ex:Kind , "a literal type" ; rdfs:label "obsolete old" .
ex:older rdfs:subClassOf ex:a ; owl:deprecated "1"^^xsd:boolean .
ex:kept rdfs:subClassOf ex:a ; owl:deprecated false .
_:restriction rdfs:subClassOf ex:top . ex:top rdfs:label "top" .
"""


def _build(tmp_path_factory: pytest.TempPathFactory, sources: list[Any], **kw: Any) -> Path:
    dest = tmp_path_factory.mktemp("kg") / "kg"
    build_kg(sources, dest, progress=False, **kw)
    return dest


@pytest.fixture(scope="module")
def hpo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory, ["hpo"], hpo_dir=FIXTURES / "hpo_mini")


@pytest.fixture(scope="module")
def legal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory, [FIXTURES / "legal" / "legal.ttl"])


@pytest.fixture(scope="module")
def edge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("src") / "edge.ttl"
    source.write_text(EDGE_CASES, encoding="utf-8")
    return _build(tmp_path_factory, [source])


@pytest.fixture(scope="module", params=["hpo", "legal", "edge"])
def kg_dir(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(f"{request.param}_dir")


def _local(kg: KnowledgeGraph) -> ox.Store:
    assert isinstance(kg.store, ox.Store)
    return kg.store


def _nodes(store: ox.Store) -> list[Any]:
    """Every subject and resource object of the default graph, and one unknown IRI."""
    nodes = {
        t
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        for t in (q.subject, q.object)
        if not isinstance(t, ox.Literal)
    }
    return [*sorted(nodes, key=str), ox.NamedNode(EX + "unknown")]


def _sparql_rows(store: ox.Store, query: str, variable: str, iri: str) -> list[dict[str, Any]]:
    names, rows = run_select(store, query, {variable: IRI(iri)})
    return [dict(zip(names, row, strict=True)) for row in rows]


def _check_plans(store: ox.Store, fast: TripleLookups) -> int:
    """Every plan on every node: the fast rows are the store's, in order, and SPARQL's."""
    slow = StoreLookups(store)
    answered = 0
    for node in _nodes(store):
        if not isinstance(node, ox.NamedNode):
            continue  # the plans bind an IRI
        plans = [
            (q, v, rows_of) for q, by_var in INDEX_PLANS.items() for v, rows_of in by_var.items()
        ]
        for query, variable, rows_of in plans:
            rows = rows_of(fast, node)
            assert rows == rows_of(slow, node), (query, node)
            sparql = _sparql_rows(store, query, variable, node.value)
            if query == Q_DEFINITION:  # LIMIT 1: the very row
                assert rows == sparql, node
            else:
                assert sorted(map(repr, rows)) == sorted(map(repr, sparql)), (query, node)
            answered += bool(rows)
    return answered


def test_build_writes_the_helper_triples_of_the_store(kg_dir: Path) -> None:
    kg = KnowledgeGraph.open(kg_dir)
    assert isinstance(kg.lookups, HelperTriples)
    assert (kg.path / "derived" / HELPER_TRIPLES_FILE).is_file()
    kept = {ox.NamedNode(p) for p in HELPER_PREDICATES}
    expected = [
        (q.subject, q.predicate, q.object)
        for q in kg.store.quads_for_pattern(None, None, None)
        if q.predicate in kept
    ]
    assert sorted(kg.lookups.triples(), key=str) == sorted(expected, key=str)


def test_plans_on_helper_triples_give_the_store_and_sparql_rows(kg_dir: Path) -> None:
    kg = KnowledgeGraph.open(kg_dir)
    assert _check_plans(_local(kg), kg.lookups) >= 10


def test_helper_triples_defer_other_predicates_to_the_store(edge_dir: Path) -> None:
    kg = KnowledgeGraph.open(edge_dir)
    old, kind = ox.NamedNode(EX + "old"), ox.NamedNode(EX + "Kind")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert kind in kg.lookups.objects(old, rdf_type)
    assert old in kg.lookups.subjects(rdf_type, kind)
    assert kg.lookups.has(old, rdf_type, kind)
    label = ox.NamedNode(RDFS_LABEL)  # kept, but not reversed
    assert ox.NamedNode(EX + "top") in kg.lookups.subjects(label, ox.Literal("top"))
    true = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
    assert kg.lookups.has(old, ox.NamedNode(OWL_DEPRECATED), true)
    deprecated, store = ox.NamedNode(OWL_DEPRECATED), StoreLookups(_local(kg))
    assert not kg.lookups.has(ox.NamedNode(EX + "kept"), deprecated, true)
    older = ox.NamedNode(EX + "older")  # "1"^^xsd:boolean: as the store has it
    assert kg.lookups.has(older, deprecated, true) == store.has(older, deprecated, true)


# ---- the helpers: fast path, store lookups, SPARQL -----------------------------------------------


def _store_kg(path: Path) -> KnowledgeGraph:
    """The KG at ``path`` with its plans on the store's index scans (the path before)."""
    kg = KnowledgeGraph.open(path)
    kg.lookups = StoreLookups(_local(kg))  # type: ignore[misc,assignment]
    return kg


def _sparql_kg(path: Path) -> KnowledgeGraph:
    """The KG at ``path`` answering every helper query with SPARQL (as an endpoint does)."""
    kg = KnowledgeGraph.open(path)

    def select(query: str, **bindings: Any) -> list[dict[str, Any]]:
        names, rows = run_select(kg.store, query, bindings)
        return [dict(zip(names, row, strict=True)) for row in rows]

    kg.select = select  # type: ignore[method-assign]
    return kg


_HELPERS = ("term", "names", "ancestors", "descendants", "genes_of", "diseases_of_gene")


def _answer(helper: Callable[[str], Any], arg: str) -> Any:
    try:
        return helper(arg)
    except UnknownTermError as exc:
        return ("unknown", str(exc), exc.suggestions)
    except TypeError as exc:  # genes_of() sorting symbols of mixed kinds (7 and "G1")
        return ("TypeError", str(exc))


def _arguments(kg: KnowledgeGraph) -> Iterator[str]:
    """Every IRI of the KG (terms, obsolete terms, diseases, genes ...), then unknown ids."""
    for node in _nodes(_local(kg)):
        if isinstance(node, ox.NamedNode):
            yield node.value
    yield from ("HP:0001167", "OMIM:999999", "not an id", "")


def test_helpers_answer_as_the_store_and_as_sparql(kg_dir: Path) -> None:
    fast, store, sparql = (
        KnowledgeGraph.open(kg_dir),
        _store_kg(kg_dir),
        _sparql_kg(kg_dir),
    )
    checked = 0
    for arg in _arguments(fast):
        for name in _HELPERS:
            answer = _answer(getattr(fast, name), arg)
            assert answer == _answer(getattr(store, name), arg), (name, arg)
            expected = _answer(getattr(sparql, name), arg)
            if name == "ancestors" and isinstance(answer, list):
                # breadth first in the store's order; SPARQL's path order is the engine's
                assert sorted(answer) == sorted(expected), arg
            else:
                assert answer == expected, (name, arg)
            checked += bool(answer) and not isinstance(answer, tuple)
    assert checked >= 20


def test_hpo_helpers_cover_roots_obsolete_terms_and_unknown_ids(hpo_dir: Path) -> None:
    fast, store = KnowledgeGraph.open(hpo_dir), _store_kg(hpo_dir)
    for kg in (fast, store):
        assert kg.ancestors("HP:0000001") == []
        assert kg.term("HP:0000001").parents == []
        obsolete = kg.term("HP:0001519")
        assert obsolete.label == "obsolete Disproportionate tall stature"
        assert obsolete.parents == []
        with pytest.raises(UnknownTermError):
            kg.names("OMIM:999999")
    assert fast.term("HP:0001519") == store.term("HP:0001519")
    assert fast.term("HP:0001166").definition == store.term("HP:0001166").definition


def test_remote_kg_keeps_sparql_and_answers_as_the_fast_path(hpo_dir: Path, tmp_path: Path) -> None:
    with serving(hpo_dir) as server:
        remote = KnowledgeGraph.open(server.url, home=tmp_path)
        with pytest.raises(TypeError):
            remote.lookups  # noqa: B018 (an endpoint has no triple lookups)
        fast = KnowledgeGraph.open(hpo_dir)
        for arg in _arguments(fast):
            for name in _HELPERS:
                answer = _answer(getattr(fast, name), arg)
                expected = _answer(getattr(remote, name), arg)
                if name == "ancestors" and isinstance(answer, list):
                    assert sorted(answer) == sorted(expected), arg
                else:
                    assert answer == expected, (name, arg)


# ---- random graphs ------------------------------------------------------------------------------

_NODES = [ox.NamedNode(EX + f"n{i}") for i in range(6)] + [ox.BlankNode(f"b{i}") for i in range(2)]
_OBJECTS = _NODES + [
    ox.Literal("x"),
    ox.Literal("x", language="en"),
    ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
    ox.Literal("1", datatype=ox.NamedNode(XSD + "boolean")),
]
_PREDICATES = [
    ox.NamedNode(p)
    for p in (RDFS_SUBCLASS_OF, RDFS_LABEL, IAO_DEFINITION, OWL_DEPRECATED, CONTRIBUTES_TO)
] + [ox.NamedNode(p) for p in HELPER_PREDICATES[1:7]]
_TRIPLES = st.lists(
    st.tuples(st.sampled_from(_NODES), st.sampled_from(_PREDICATES), st.sampled_from(_OBJECTS)),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(triples=_TRIPLES)
def test_random_graphs_give_the_same_rows(triples: list[tuple[Any, Any, Any]]) -> None:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        store = ox.Store(str(folder / "store"))  # on disk: its order, not a memory store's
        store.extend(ox.Quad(s, p, o) for s, p, o in triples)
        write_helper_triples(store, folder / "derived")
        fast = HelperTriples.load(folder / "derived", StoreLookups(store))
        _check_plans(store, fast)
        del fast, store


def test_term_of_a_term_named_both_7_and_the_string_7(edge_dir: Path) -> None:
    """Typed literals (7) and strings ("7") among one term's names sort without a TypeError."""
    info = KnowledgeGraph.open(edge_dir).term("http://example.org/a")
    names = [info.label, *info.synonyms["label"]]  # the first label, then the others
    assert sorted(map(str, names)) == ["7", "7", "a", "a", "b"]
