"""Triple-pattern lookups with one unknown, the only access the helper query plans need.

:data:`kg.knowledge_graph.INDEX_PLANS` evaluates the helper queries as a few lookups of the
form ``(s, p, ?)``, ``(?, p, o)``, ``(s, p, o)`` and ``(s, ?, ?)``. :class:`StoreLookups`
answers them with an Oxigraph store's index scans; :class:`kg.helper_triples.HelperTriples`
answers the same lookups from memory, in the store's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
_DEFAULT_GRAPH = ox.DefaultGraph()


class TripleLookups(Protocol):
    """Lookups in the default graph, answered in the store's order."""

    def objects(self, subject: Term, predicate: ox.NamedNode) -> Sequence[Term]:
        """Objects of ``(subject, predicate, ?)``."""
        ...

    def subjects(self, predicate: ox.NamedNode, obj: Term) -> Sequence[Term]:
        """Subjects of ``(?, predicate, obj)``."""
        ...

    def has(self, subject: Term, predicate: ox.NamedNode, obj: Term) -> bool:
        """Whether ``(subject, predicate, obj)`` is in the graph."""
        ...

    def properties(self, subject: Term) -> Sequence[tuple[ox.NamedNode, Term]]:
        """``(predicate, object)`` of every triple of ``subject``: one scan, not one per
        predicate."""
        ...


class StoreLookups:
    """:class:`TripleLookups` answered by an Oxigraph store's index scans."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def objects(self, subject: Term, predicate: ox.NamedNode) -> Sequence[Term]:
        if isinstance(subject, ox.Literal):  # a literal has no triples
            return []
        quads = self.store.quads_for_pattern(subject, predicate, None, _DEFAULT_GRAPH)
        return [q.object for q in quads]

    def subjects(self, predicate: ox.NamedNode, obj: Term) -> Sequence[Term]:
        quads = self.store.quads_for_pattern(None, predicate, obj, _DEFAULT_GRAPH)
        return [q.subject for q in quads]

    def has(self, subject: Term, predicate: ox.NamedNode, obj: Term) -> bool:
        if isinstance(subject, ox.Literal):
            return False
        quads = self.store.quads_for_pattern(subject, predicate, obj, _DEFAULT_GRAPH)
        return next(quads, None) is not None

    def properties(self, subject: Term) -> Sequence[tuple[ox.NamedNode, Term]]:
        if isinstance(subject, ox.Literal):
            return []
        quads = self.store.quads_for_pattern(subject, None, None, _DEFAULT_GRAPH)
        return [(q.predicate, q.object) for q in quads]
