"""Behaviours of kg.sparql that mutation testing found unchecked: an IRI with a space (or
empty) is refused when it is made, integers, booleans and floats bind as the typed literals
of the KG, typed literals come back as Python numbers and booleans, two variables bind at
once, and a query of the other form is refused by :func:`run_select` and :func:`run_ask`.

The store is an in-memory Oxigraph store: nothing is read from disk."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.namespaces import XSD
from kg.sparql import IRI, bind, run_ask, run_select, to_term

EX = "http://example.org/"
P = ox.NamedNode(EX + "p")


def _store(values: dict[str, ox.Literal]) -> ox.Store:
    """``ex:<name> ex:p <literal>`` for each name."""
    store = ox.Store()
    for name, literal in values.items():
        store.add(ox.Quad(ox.NamedNode(EX + name), P, literal))
    return store


def _typed(text: str, datatype: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(XSD + datatype))


TYPED = {
    "int": _typed("5", "integer"),
    "yes": _typed("true", "boolean"),
    "no": _typed("false", "boolean"),
    "half": _typed("2.5", "double"),
    "text": ox.Literal("5"),
}


@pytest.mark.parametrize("text", ["", "http://example.org/a b", "http://example.org/<x>"])
def test_an_iri_that_is_empty_or_holds_a_forbidden_character_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="IRI"):
        IRI(text)


@pytest.mark.parametrize(
    ("value", "subject"),
    [(5, "int"), (True, "yes"), (False, "no"), (2.5, "half"), ("5", "text")],
)
def test_python_values_bind_as_the_literals_of_their_type(
    value: int | float | str, subject: str
) -> None:
    store = _store(TYPED)
    query = "SELECT ?s WHERE { ?s <http://example.org/p> ?v }"
    _, rows = run_select(store, query, {"v": value})
    assert [row[0] for row in rows] == [EX + subject]
    assert run_ask(store, "ASK WHERE { ?s <http://example.org/p> ?v }", {"v": value})


def test_a_value_of_another_type_cannot_be_bound() -> None:
    with pytest.raises(TypeError, match="list"):
        to_term([1])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (_typed("7", "int"), 7),
        (_typed("8", "long"), 8),
        (_typed("9", "integer"), 9),
        (_typed("1.5", "float"), 1.5),
        (_typed("2.5", "double"), 2.5),
        (_typed("0.5", "decimal"), 0.5),
        (_typed("1", "boolean"), True),
        (_typed("true", "boolean"), True),
        (_typed("0", "boolean"), False),
        (ox.Literal("7"), "7"),
    ],
)
def test_typed_literals_come_back_as_python_values(literal: ox.Literal, expected: object) -> None:
    _, rows = run_select(_store({"s": literal}), "SELECT ?v WHERE { ?s ?p ?v }")
    [(value,)] = list(rows)
    assert value == expected and type(value) is type(expected)


def test_two_variables_bind_at_once() -> None:
    store = _store(TYPED)
    query = "SELECT ?s WHERE { ?s ?p ?v }"
    _, rows = run_select(store, query, {"v": 5, "p": IRI(EX + "p")})
    assert [row[0] for row in rows] == [EX + "int"]
    assert bind(query, {"v": 5, "p": IRI(EX + "p")}).count("VALUES") == 2


def test_select_and_ask_refuse_a_query_of_the_other_form() -> None:
    store = _store(TYPED)
    with pytest.raises(ValueError, match="ASK"):
        run_ask(store, "SELECT ?s WHERE { ?s ?p ?o }")
    with pytest.raises(ValueError, match="SELECT"):
        run_select(store, "ASK WHERE { ?s ?p ?o }")
