"""Where :func:`kg.sparql.bind` puts its ``VALUES`` blocks, and which names it binds: a
``WHERE {`` or a variable written in a comment or a string literal is not the query's own,
and a binding that names no variable of the query is refused (it would leave the query
unbound and return every row). The store is an in-memory Oxigraph store."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.sparql import IRI, bind, blank_comments_and_strings, run_select

EX = "http://example.org/"


def _store() -> ox.Store:
    store = ox.Store()
    for name in ("a", "b", "c"):
        store.add(ox.Quad(ox.NamedNode(EX + name), ox.NamedNode(EX + "label"), ox.Literal(name)))
    return store


def test_a_where_group_in_a_comment_does_not_receive_the_bindings() -> None:
    query = f"# the labels WHERE {{ they are }}\nSELECT ?t WHERE {{ ?t <{EX}label> ?name }}"
    _, rows = run_select(_store(), query, {"name": "b"})
    assert [r[0] for r in rows] == [EX + "b"]


def test_a_where_group_in_a_string_does_not_receive_the_bindings() -> None:
    query = f'SELECT ?t WHERE {{ ?t <{EX}label> ?name FILTER(?name != "WHERE {{ x") }}'
    bound = bind(query, {"name": "c"})
    assert bound.index("VALUES") > bound.index("SELECT ?t WHERE {")
    _, rows = run_select(_store(), query, {"name": "c"})
    assert [r[0] for r in rows] == [EX + "c"]


def test_a_hash_inside_an_iri_is_not_a_comment() -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(EX + "x"), ox.NamedNode(EX + "p#q"), ox.Literal("v")))
    _, rows = run_select(store, f"SELECT ?s WHERE {{ ?s <{EX}p#q> ?o }}", {"o": "v"})
    assert [r[0] for r in rows] == [EX + "x"]


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT ?t WHERE {{ ?t <{EX}label> ?name }}",  # misspelt: ?nme bound below
        f'SELECT ?t WHERE {{ ?t <{EX}label> "?nme" }}',  # only in a string
        f"SELECT ?t WHERE {{ ?t <{EX}label> ?name }} # ?nme",  # only in a comment
    ],
)
def test_a_binding_that_names_no_variable_of_the_query_is_refused(query: str) -> None:
    with pytest.raises(ValueError, match=r"\?nme is bound but is no variable"):
        bind(query, {"nme": IRI(EX + "b")})


def test_a_dollar_variable_can_be_bound() -> None:
    _, rows = run_select(_store(), f"SELECT ?t WHERE {{ ?t <{EX}label> $name }}", {"name": "a"})
    assert [r[0] for r in rows] == [EX + "a"]


def test_blanking_keeps_positions_and_line_breaks() -> None:
    query = "SELECT ?x # note\nWHERE { ?x ?p '''a\nb''' }"
    blank = blank_comments_and_strings(query)
    assert len(blank) == len(query)
    assert blank.count("\n") == query.count("\n")
    assert "note" not in blank and "a\nb" not in blank
    assert blank.startswith("SELECT ?x ") and "WHERE { ?x ?p" in blank
