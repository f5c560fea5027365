"""The triples the helper queries read, saved beside the store and looked up in memory.

Each lookup in an Oxigraph store costs ~10 us (an index seek and the decoding of every
term), so a helper query of a few lookups costs as much as rdflib answering it from memory.
The build therefore copies the triples of the few predicates the helper plans look up
(labels and synonyms, definitions, ``rdfs:subClassOf``, ``owl:deprecated``, gene-disease
links) from the finished store into ``derived/helper_triples.json``, in the store's own
order; :class:`HelperTriples` loads them once and answers the same lookups from dicts, in
the same order, so the plans give the very rows the store would. Other predicates
(``rdf:type``, with one triple per annotation node) are looked up in the store.

The file holds each distinct term once (IRIs and plain strings as text, other terms in
N-Triples syntax, parsed back by Oxigraph) and each predicate's triples as pairs of term
numbers: it loads in about half the time N-Quads of the same triples take.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.lookups import Term, TripleLookups
from kg.namespaces import (
    IAO_DEFINITION,
    NAME_PREDICATES,
    OWL_DEPRECATED,
    RDFS_SUBCLASS_OF,
    RO_GENE_CONTRIBUTES_TO,
)

HELPER_TRIPLES_FILE = "helper_triples.json"
#: Predicates whose triples are kept; each is looked up forwards, ``(s, p, ?)``.
HELPER_PREDICATES = (
    *NAME_PREDICATES,
    IAO_DEFINITION,
    RDFS_SUBCLASS_OF,
    OWL_DEPRECATED,
    RO_GENE_CONTRIBUTES_TO,
)
#: Predicates also looked up backwards, ``(?, p, o)``.
REVERSED_PREDICATES = (RDFS_SUBCLASS_OF, RO_GENE_CONTRIBUTES_TO)
_SUBJECT = "<urn:kgfuse:s> <urn:kgfuse:p> "  # the line around each non-IRI term when parsed


def write_helper_triples(store: ox.Store, folder: Path) -> Path:
    """Copy the default-graph triples of :data:`HELPER_PREDICATES` into ``folder``.

    Read this from the finished on-disk store (or one that holds all of these triples): an
    in-memory store lists the same triples in another order.
    """
    # three blocks of numbered terms: IRIs, plain string literals, the other terms (by
    # their N-Triples text)
    blocks: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})
    iris, strings, others = blocks
    numbered: dict[str, list[tuple[int, int]]] = {}
    for p in HELPER_PREDICATES:
        pairs = numbered[p] = []
        for s, o in _scan(store, p):
            if s[0] == "<":
                subject = (0, iris.setdefault(s[1:-1], len(iris)))
            else:  # a blank node
                subject = (2, others.setdefault(s, len(others)))
            if o[0] == "<" and o[1] != "<":  # not a triple term, <<( ... )>>
                obj = (0, iris.setdefault(o[1:-1], len(iris)))
            elif o[-1] == '"' and o[0] == '"':  # no language, no datatype: xsd:string
                text = _unescape(o[1:-1]) if "\\" in o else o[1:-1]
                obj = (1, strings.setdefault(text, len(strings)))
            else:
                obj = (2, others.setdefault(o, len(others)))
            pairs += (subject, obj)
    offsets = (0, len(iris), len(iris) + len(strings))
    data = {
        "iris": list(iris),
        "strings": list(strings),
        "others": list(others),
        "triples": {p: [offsets[b] + n for b, n in pairs] for p, pairs in numbered.items()},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / HELPER_TRIPLES_FILE
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _scan(store: ox.Store, predicate: str) -> Iterator[tuple[str, str]]:
    """(subject, object) of the default-graph triples of ``predicate``, in N-Triples syntax,
    in the order of the store's ``(?, p, ?)`` scan.

    The store writes them as N-Triples text without the GIL (the build reads them while it
    converts on the main thread); creating a Python object per term holds it, ~6 us each.
    """
    query = f"CONSTRUCT {{ ?s <{predicate}> ?o }} WHERE {{ ?s <{predicate}> ?o }}"
    result = store.query(query)
    assert isinstance(result, ox.QueryTriples)
    text = result.serialize(format=ox.RdfFormat.N_TRIPLES)
    assert text is not None
    middle = f" <{predicate}> "
    lines = text.decode("utf-8").split("\n")  # a newline in a literal is escaped
    lines.pop()  # after the last newline
    for line in lines:
        # "<s> <p> o .": an IRI or blank node label holds no space, an object any text
        cut = line.index(" ")
        if not line.startswith(middle, cut) or not line.endswith(" ."):
            raise RuntimeError(f"unexpected N-Triples line from the store: {line[:200]!r}")
        yield line[:cut], line[cut + len(middle) : -2]


#: An N-Triples string escape: ECHAR or UCHAR.
_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([btnfr"\'\\]))')
_ECHAR = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    """The value of an N-Triples string's escaped text (between its quotes)."""
    return _ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)) if not m[3] else _ECHAR[m[3]], text)


class HelperTriples:
    """:class:`~kg.lookups.TripleLookups` from memory for the saved predicates, and from
    ``fallback`` (the store) for any other predicate or direction.

    A scan ``(?, p, ?)`` of the store lists triples by object, then subject; so the objects
    of one subject, and the subjects of one object, come in the order of the store's own
    ``(s, p, ?)`` and ``(?, p, o)`` scans.
    """

    def __init__(
        self, triples: Mapping[str, Sequence[tuple[Term, Term]]], fallback: TripleLookups
    ) -> None:
        self.fallback = fallback
        self._forward: dict[str, dict[Term, list[Term]]] = {}
        self._backward: dict[str, dict[Term, list[Term]]] = {}
        for p, pairs in triples.items():
            forward = self._forward[p] = {}
            for s, o in pairs:
                forward.setdefault(s, []).append(o)
            if p in REVERSED_PREDICATES:
                backward = self._backward[p] = {}
                for s, o in pairs:
                    backward.setdefault(o, []).append(s)

    @classmethod
    def load(cls, folder: Path, fallback: TripleLookups) -> HelperTriples:
        """Read what :func:`write_helper_triples` wrote into ``folder``."""
        # ~300k new containers and no reference cycles: the cyclic collector would scan the
        # whole heap several times meanwhile (a third of the time on HPO)
        collecting = gc.isenabled()
        gc.disable()
        try:
            return cls._read(folder, fallback)
        finally:
            if collecting:
                gc.enable()

    @classmethod
    def _read(cls, folder: Path, fallback: TripleLookups) -> HelperTriples:
        data: dict[str, Any] = json.loads(
            (folder / HELPER_TRIPLES_FILE).read_text(encoding="utf-8")
        )
        terms: list[Term] = [ox.NamedNode(iri) for iri in data["iris"]]
        terms += [ox.Literal(text) for text in data["strings"]]
        if data["others"]:
            text = "".join(f"{_SUBJECT}{t} .\n" for t in data["others"]).encode()
            terms += [t.object for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]
        lookups = cls({}, fallback)
        for p, flat in data["triples"].items():
            if p not in HELPER_PREDICATES:
                continue  # and a predicate the file lacks is looked up in the store
            # grouped by term number first (int keys hash fast), then keyed by term
            forward: dict[int, list[int]] = {}
            pairs = list(zip(flat[0::2], flat[1::2], strict=True))
            for s, o in pairs:
                forward.setdefault(s, []).append(o)
            lookups._forward[p] = {terms[s]: [terms[o] for o in os] for s, os in forward.items()}
            if p in REVERSED_PREDICATES:
                backward: dict[int, list[int]] = {}
                for s, o in pairs:
                    backward.setdefault(o, []).append(s)
                lookups._backward[p] = {
                    terms[o]: [terms[s] for s in ss] for o, ss in backward.items()
                }
        return lookups

    def triples(self) -> Iterator[tuple[Term, ox.NamedNode, Term]]:
        """Every triple held in memory."""
        for p, by_subject in self._forward.items():
            predicate = ox.NamedNode(p)
            for s, objects in by_subject.items():
                for o in objects:
                    yield s, predicate, o

    def objects(self, subject: Term, predicate: ox.NamedNode) -> Sequence[Term]:
        by_subject = self._forward.get(predicate.value)
        if by_subject is None:
            return self.fallback.objects(subject, predicate)
        return by_subject.get(subject, ())

    def subjects(self, predicate: ox.NamedNode, obj: Term) -> Sequence[Term]:
        by_object = self._backward.get(predicate.value)
        if by_object is None:
            return self.fallback.subjects(predicate, obj)
        return by_object.get(obj, ())

    def has(self, subject: Term, predicate: ox.NamedNode, obj: Term) -> bool:
        by_subject = self._forward.get(predicate.value)
        if by_subject is None:
            return self.fallback.has(subject, predicate, obj)
        return obj in by_subject.get(subject, ())

    def properties(self, subject: Term) -> Sequence[tuple[ox.NamedNode, Term]]:
        # every predicate of a subject is only in the store
        return self.fallback.properties(subject)
