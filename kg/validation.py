"""SHACL validation of knowledge graphs (with pyshacl) and sampling of large stores for it.

kgfuse ships SHACL shapes in ``kg/shapes/`` (see :func:`shapes_for`): ``ontology.ttl`` for any
OWL ontology and ``hpo.ttl`` for the HPO annotation model. pyshacl validates rdflib graphs in
pure Python, which is fine for ontologies of a few hundred thousand triples but slow for the
full HPO KG (millions of triples); :func:`sample_for_validation` extracts the neighbourhood of
a stated number of focus nodes per shape target from an Oxigraph store instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph
import rdflib
from rdflib.namespace import RDF as RDF_NS
from rdflib.namespace import SH

from kg.namespaces import OWL, RDF_TYPE, RDFS_LABEL, RDFS_SUBCLASS_OF, SKOS, XSD, compress

if TYPE_CHECKING:
    from kg.remote import RemoteStore

__all__ = [
    "SHAPE_KINDS",
    "ValidationReport",
    "ValidationResult",
    "graph_from_store",
    "sample_for_validation",
    "shapes_for",
    "validate",
]

logger = logging.getLogger(__name__)

SHAPE_KINDS: dict[str, tuple[str, ...]] = {
    "ontology": ("ontology.ttl",),
    "hpo": ("ontology.ttl", "hpo.ttl"),
}
"""Packaged shape files by kind: ``ontology`` for any OWL/OBO ontology, ``hpo`` for the HPO KG
(the ontology shapes plus the annotation, disease and gene shapes)."""

_XSD_STRING = XSD + "string"
# Predicates of a focus node's objects that the packaged shapes look at (sh:class needs the
# types; labels and deprecation decide whether a referenced class itself conforms).
_ONE_HOP_PREDICATES = (RDF_TYPE, RDFS_LABEL, SKOS + "prefLabel", OWL + "deprecated")


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL validation result.

    Attributes:
        focus: The node that failed (IRI, ``_:`` blank node or literal in N-Triples form).
        path: The property path, when the failing constraint is on a property.
        message: Why it failed (the shape's ``sh:message`` when it has one).
        severity: ``"Violation"``, ``"Warning"`` or ``"Info"``.
        shape: The shape that failed: its IRI, or ``<parent shape> / <path>`` for an anonymous
            property shape.
        value: The offending value, when there is one.
    """

    focus: str
    path: str | None
    message: str
    severity: str
    shape: str | None
    value: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form."""
        return {
            "focus": self.focus,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
            "shape": self.shape,
            "value": self.value,
        }


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one data graph.

    Attributes:
        conforms: Whether the graph has no violations.
        results: The validation results, sorted by focus node, path and message.
        data_triples: Number of triples that were validated.
        shapes: The shape files used.
    """

    conforms: bool
    results: list[ValidationResult]
    data_triples: int = 0
    shapes: tuple[str, ...] = field(default_factory=tuple)

    def to_text(self, limit: int | None = 50) -> str:
        """Readable rendering, one result per line with compact CURIEs.

        Args:
            limit: Most results to list (default: ``50``; ``None`` lists all).

        Returns:
            A multi-line summary.
        """
        verdict = "conforms" if self.conforms else "does NOT conform"
        shapes = ", ".join(Path(shape).name for shape in self.shapes) or "the given shapes"
        lines = [
            f"{self.data_triples} triples {verdict} to {shapes}: {len(self.results)} result(s)"
        ]
        shown = self.results if limit is None else self.results[:limit]
        for result in shown:
            where = _short(result.focus)
            if result.path is not None:
                where += f" {_short(result.path)}"
            value = f" (value: {_short(result.value)})" if result.value is not None else ""
            lines.append(f"  [{result.severity}] {where}: {result.message}{value}")
        if len(shown) < len(self.results):
            lines.append(f"  ... and {len(self.results) - len(shown)} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "conforms": self.conforms,
            "data_triples": self.data_triples,
            "shapes": list(self.shapes),
            "results": [result.to_dict() for result in self.results],
        }


def _short(term: str) -> str:
    return compress(term) if term.startswith(("http://", "https://")) else term


def shapes_for(kind: str) -> list[Path]:
    """Paths of the packaged SHACL shape files for a kind of knowledge graph.

    Args:
        kind: A key of :data:`SHAPE_KINDS` (``"ontology"`` or ``"hpo"``).

    Returns:
        The shape files, in the order they are meant to be combined.

    Raises:
        ValueError: If ``kind`` is unknown; the message lists the choices.
    """
    names = SHAPE_KINDS.get(kind)
    if names is None:
        raise ValueError(f"unknown shapes kind {kind!r}; choose one of {', '.join(SHAPE_KINDS)}")
    folder = files("kg").joinpath("shapes")
    return [Path(str(folder.joinpath(name))) for name in names]


def _import_pyshacl() -> Any:
    try:
        import pyshacl
    except ImportError as err:
        raise ImportError(
            "SHACL validation needs pyshacl; install it with `pip install pyshacl` "
            "(it is a dependency of kgfuse, so `pip install kgfuse` also brings it)"
        ) from err
    return pyshacl


def _load_shapes(shapes: Iterable[Path]) -> rdflib.Graph:
    """The shapes of Turtle files.

    Raises:
        FileNotFoundError: a file is missing.
        OntologyParseError: a file is not UTF-8 or not Turtle, naming it.
    """
    from kg.errors import OntologyParseError

    graph = rdflib.Graph()
    for path in shapes:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"shapes file not found: {path}")
        try:
            # Oxigraph first: its errors name the line and column (rdflib's may not say
            # more than "string index out of range")
            for _ in pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE):
                pass
        except SyntaxError as exc:
            reason = " ".join((exc.msg or str(exc)).split())[:300]
            raise OntologyParseError(
                path, f"not valid Turtle shapes: {reason}", exc.lineno
            ) from None
        except ValueError as exc:  # not UTF-8
            raise OntologyParseError(path, f"not valid Turtle shapes: {exc}") from None
        one = rdflib.Graph()
        try:
            one.parse(path, format="turtle")
        except UnicodeDecodeError as exc:
            raise OntologyParseError(path, f"not valid UTF-8 (byte {exc.start})") from None
        except Exception as exc:  # rdflib's parsers raise their own types (BadSyntax ...)
            reason = " ".join(str(exc).split())[:300]
            raise OntologyParseError(path, f"not valid Turtle shapes: {reason}") from None
        if not _holds_shapes(one):
            raise ValueError(
                f"{path}: holds no SHACL shapes (no sh:NodeShape or sh:PropertyShape, no "
                "target and no sh:property): nothing would be validated"
            )
        graph += one
    return graph


_SHAPE_TYPES = (SH.NodeShape, SH.PropertyShape)
_SHAPE_PREDICATES = (
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
    SH.property,
    SH.path,
)


def _holds_shapes(graph: rdflib.Graph) -> bool:
    """Whether a shapes graph declares any shape: a typed one, or a node with a target,
    a property shape or a path."""
    return any(
        next(iter(graph.subjects(RDF_NS.type, shape_type)), None) is not None
        for shape_type in _SHAPE_TYPES
    ) or any(next(iter(graph.subjects(p, None)), None) is not None for p in _SHAPE_PREDICATES)


def validate(data_graph: rdflib.Graph, shapes: list[Path] | None = None) -> ValidationReport:
    """Validate an rdflib graph against SHACL shapes with pyshacl.

    No inference is run: targets and ``sh:class`` follow only the ``rdf:type`` and
    ``rdfs:subClassOf`` triples present in ``data_graph``. SHACL-AF features (SPARQL-based
    targets and constraints) are enabled.

    Args:
        data_graph: The graph to validate (a whole small KG, or the output of
            :func:`sample_for_validation` for a large one).
        shapes: Turtle shape files (default: ``None``, the generic ontology shapes,
            ``shapes_for("ontology")``).

    Returns:
        The report; ``conforms`` is False when any result has severity Violation.

    Raises:
        ImportError: If pyshacl is not installed (with the command that installs it).
    """
    pyshacl = _import_pyshacl()
    shape_paths = list(shapes) if shapes is not None else shapes_for("ontology")
    shapes_graph = _load_shapes(shape_paths)
    conforms, results_graph, _ = pyshacl.validate(
        data_graph,
        shacl_graph=shapes_graph,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    results = sorted(
        _results(results_graph, shapes_graph),
        key=lambda result: (result.focus, result.path or "", result.message),
    )
    logger.info("SHACL validation: %d triples, %d results", len(data_graph), len(results))
    return ValidationReport(
        conforms=bool(conforms),
        results=results,
        data_triples=len(data_graph),
        shapes=tuple(str(path) for path in shape_paths),
    )


def _node_text(term: rdflib.term.Node | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return str(term)
    return term.n3()


def _results(results_graph: rdflib.Graph, shapes_graph: rdflib.Graph) -> Iterator[ValidationResult]:
    for node in results_graph.subjects(RDF_NS.type, SH.ValidationResult):
        messages = sorted(str(m) for m in results_graph.objects(node, SH.resultMessage))
        severity = results_graph.value(node, SH.resultSeverity)
        path = results_graph.value(node, SH.resultPath)
        yield ValidationResult(
            focus=_node_text(results_graph.value(node, SH.focusNode)) or "",
            path=_node_text(path),
            message="; ".join(messages) or "constraint not met",
            severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
            shape=_shape_name(results_graph.value(node, SH.sourceShape), shapes_graph, path),
            value=_node_text(results_graph.value(node, SH.value)),
        )


def _shape_name(
    shape: rdflib.term.Node | None, shapes_graph: rdflib.Graph, path: rdflib.term.Node | None
) -> str | None:
    if shape is None or isinstance(shape, rdflib.URIRef):
        return None if shape is None else str(shape)
    parent = shapes_graph.value(predicate=SH.property, object=shape)
    if isinstance(parent, rdflib.URIRef):
        return f"{parent} / {path}" if path is not None else str(parent)
    return None


def _to_rdflib(term: Any) -> rdflib.term.Node | None:
    if isinstance(term, pyoxigraph.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            # rdflib keeps "x" and "x"^^xsd:string apart; shapes written in Turtle use "x".
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype))
    return None  # RDF-star quoted triples: not used by kgfuse shapes


def _add_triples(graph: rdflib.Graph, triples: Iterable[Any]) -> None:
    for triple in triples:
        subject = _to_rdflib(triple.subject)
        obj = _to_rdflib(triple.object)
        if subject is None or obj is None:
            continue
        graph.add((subject, rdflib.URIRef(triple.predicate.value), obj))


def graph_from_store(store: pyoxigraph.Store | RemoteStore) -> rdflib.Graph:
    """Copy the default graph of an Oxigraph store into an in-memory rdflib graph.

    Meant for validating small KGs in full; use :func:`sample_for_validation` for large ones.

    Args:
        store: The store.

    Returns:
        A new rdflib graph with every triple of the store's default graph.
    """
    graph = rdflib.Graph()
    _add_triples(graph, store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()))
    return graph


def _targets(shapes_graph: rdflib.Graph) -> list[tuple[str, str]]:
    """``(kind, IRI)`` for each core SHACL target declared in the shapes."""
    targets: set[tuple[str, str]] = set()
    for kind in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"):
        for value in shapes_graph.objects(None, SH[kind]):
            if isinstance(value, rdflib.URIRef):
                targets.add((kind, str(value)))
    for shape in shapes_graph.subjects(SH.target, None):
        logger.warning("sampling ignores the SPARQL-based target of shape %s", shape)
    return sorted(targets)


def _focus_pattern(kind: str, iri: str) -> str:
    if kind == "targetClass":
        return f"?s <{RDF_TYPE}>/<{RDFS_SUBCLASS_OF}>* <{iri}> ."
    if kind == "targetSubjectsOf":
        return f"?s <{iri}> ?any ."
    if kind == "targetObjectsOf":
        return f"?any <{iri}> ?s . FILTER(!isLiteral(?s))"
    return f"VALUES ?s {{ <{iri}> }}"


def sample_for_validation(
    store: pyoxigraph.Store | RemoteStore, shapes_kind: str, limit: int
) -> rdflib.Graph:
    """Extract a validation sample from a store: up to ``limit`` focus nodes per target.

    This validates a **sample**, not the whole store. For every core target declared in the
    shapes of ``shapes_kind`` (``sh:targetClass``, ``sh:targetNode``, ``sh:targetSubjectsOf``,
    ``sh:targetObjectsOf``) the first ``limit`` focus nodes in the store's index order are
    taken (deterministic for a given store, but not a uniform random sample), with:

    * every triple whose subject is a focus node;
    * for each object of those triples: its ``rdf:type``, ``rdfs:label``, ``skos:prefLabel``
      and ``owl:deprecated`` triples (what ``sh:class`` and the class shapes look at), and every
      triple of an object that is a blank node (restrictions, axioms).

    Objects pulled in this way may become focus nodes of the sample themselves (a referenced
    class is typed ``owl:Class``); they carry their labels, so they are judged correctly on
    labels, but constraints on their other properties see only part of their data. SPARQL-based
    targets are not sampled (logged). To validate everything, pass
    :func:`graph_from_store` output to :func:`validate` instead.

    Args:
        store: The Oxigraph store holding the KG.
        shapes_kind: Which packaged shapes will be used (a key of :data:`SHAPE_KINDS`).
        limit: Most focus nodes per target (no default: state the sample size).

    Returns:
        An rdflib graph ready for :func:`validate` with ``shapes_for(shapes_kind)``.

    Raises:
        ValueError: If ``shapes_kind`` is unknown or ``limit`` is below 1.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    shapes_graph = _load_shapes(shapes_for(shapes_kind))
    one_hop = ", ".join(f"<{iri}>" for iri in _ONE_HOP_PREDICATES)
    graph = rdflib.Graph()
    for kind, iri in _targets(shapes_graph):
        query = f"""
            CONSTRUCT {{ ?s ?p ?o . ?o ?q ?v . }}
            WHERE {{
                {{ SELECT DISTINCT ?s WHERE {{ {_focus_pattern(kind, iri)} }} LIMIT {int(limit)} }}
                ?s ?p ?o .
                OPTIONAL {{ ?o ?q ?v . FILTER(isBlank(?o) || ?q IN ({one_hop})) }}
            }}
        """
        before = len(graph)
        triples = store.query(query)
        if not isinstance(triples, pyoxigraph.QueryTriples):
            raise TypeError(f"expected CONSTRUCT results, got {type(triples).__name__}")
        _add_triples(graph, triples)
        logger.debug("sample for %s %s: %d triples", kind, iri, len(graph) - before)
    logger.info(
        "validation sample (%s shapes, up to %d focus nodes per target): %d triples",
        shapes_kind,
        limit,
        len(graph),
    )
    return graph
