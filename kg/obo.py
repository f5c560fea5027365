"""OBO 1.4 -> RDF (N-Triples) by the standard OBO-to-OWL mapping.

The OBO file is parsed with `fastobo <https://fastobo.readthedocs.io>`_ and written as
N-Triples, which Oxigraph bulk-loads much faster than any Python-side graph building.

Mapping (after the OBO 1.4 semantics, `owlapi`'s ``OWLAPIObo2Owl`` conventions):

* ids ``PREFIX:LOCAL`` -> ``http://purl.obolibrary.org/obo/PREFIX_LOCAL``; an ``idspace:``
  header line overrides a prefix; ``rdf``/``rdfs``/``owl``/``xsd`` are built in; URLs stay as
  they are; unprefixed ids (relation shorthands, subsets, synonym types) ->
  ``OBO + <ontology id> + "#" + id``, except that a ``[Typedef]`` whose first prefixed
  ``xref`` names a relation (``part_of`` -> ``BFO:0000050``) is written under that IRI, with
  ``oboInOwl:shorthand``.
* header: ``<OBO + ontology + ".owl"> a owl:Ontology``; ``data-version`` -> ``owl:versionInfo``;
  ``format-version`` -> ``oboInOwl:hasOBOFormatVersion``; ``remark`` -> ``rdfs:comment``;
  ``import`` -> ``owl:imports`` (a build warns about imports it did not load: kgfuse
  fetches nothing); ``subsetdef`` / ``synonymtypedef`` -> annotation properties under
  ``oboInOwl:SubsetProperty`` / ``oboInOwl:SynonymTypeProperty``; ``property_value`` on the
  ontology; any other header tag -> ``oboInOwl:<tag>`` literal.
* ``[Term]`` -> ``owl:Class`` with ``oboInOwl:id``; ``name`` -> ``rdfs:label`` (without
  leading or trailing blanks); ``def`` -> ``IAO:0000115`` (its xrefs as ``owl:Axiom``
  annotations with ``oboInOwl:hasDbXref``); ``synonym`` ->
  ``oboInOwl:has{Exact,Narrow,Broad,Related}Synonym`` (type and xrefs as ``owl:Axiom``
  annotations ``oboInOwl:hasSynonymType`` / ``oboInOwl:hasDbXref``); ``is_a`` ->
  ``rdfs:subClassOf``; ``relationship: R X`` -> ``rdfs:subClassOf [owl:Restriction;
  owl:onProperty R; owl:someValuesFrom X]``; ``intersection_of`` / ``union_of`` ->
  ``owl:equivalentClass`` of an ``owl:intersectionOf`` / ``owl:unionOf`` list;
  ``equivalent_to`` / ``disjoint_from`` -> ``owl:equivalentClass`` / ``owl:disjointWith``;
  ``xref`` -> ``oboInOwl:hasDbXref`` literal (a description becomes an axiom ``rdfs:label``);
  ``alt_id`` -> ``oboInOwl:hasAlternativeId``; ``is_obsolete: true`` ->
  ``owl:deprecated true``; ``replaced_by`` -> ``IAO:0100001`` IRI; ``consider`` ->
  ``oboInOwl:consider`` literal; ``comment`` -> ``rdfs:comment``; ``subset`` ->
  ``oboInOwl:inSubset``; ``property_value`` -> the property with a literal or IRI value;
  ``namespace`` / ``created_by`` / ``creation_date`` -> the ``oboInOwl`` properties.
* ``[Typedef]`` -> ``owl:ObjectProperty`` (``owl:AnnotationProperty`` when
  ``is_metadata_tag: true``) with the shared clauses above, ``is_a`` ->
  ``rdfs:subPropertyOf``, ``domain`` / ``range`` / ``inverse_of`` and the ``is_transitive``-
  style flags to their OWL counterparts.

Not mapped (skipped with one debug log line per tag): ``[Instance]`` frames (fastobo does not
expose their clauses), trailing ``{...}`` qualifiers, property chains (``holds_over_chain``,
``equivalent_to_chain``), ``transitive_over``, ``expand_*`` macros and the ``treat-xrefs-*``
header macros (kept as ``oboInOwl:`` literals, not expanded into axioms).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import fastobo
import pyoxigraph

from kg.errors import NotUTF8Error, OntologyParseError
from kg.namespaces import (
    HAS_DBXREF,
    HAS_SYNONYM_TYPE,
    IAO_DEFINITION,
    IAO_REPLACED_BY,
    OBO,
    OBOINOWL,
    OWL,
    OWL_CLASS,
    OWL_DEPRECATED,
    RDF,
    RDF_TYPE,
    RDFS,
    RDFS_LABEL,
    RDFS_SUBCLASS_OF,
    SYNONYM_PROPERTIES,
    XSD,
    obo_iri,
)
from kg.ntriples import nt_iri, nt_literal

__all__ = ["OboStats", "obo_to_ntriples"]

logger = logging.getLogger(__name__)

_BUILTIN_IDSPACES = {"rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD}
_FLUSH_EVERY = 50_000

# Predicates and objects, pre-formatted once.
_TYPE = nt_iri(RDF_TYPE)
_LABEL = nt_iri(RDFS_LABEL)
_COMMENT = nt_iri(RDFS + "comment")
_SUBCLASS_OF = nt_iri(RDFS_SUBCLASS_OF)
_SUBPROPERTY_OF = nt_iri(RDFS + "subPropertyOf")
_DOMAIN = nt_iri(RDFS + "domain")
_RANGE = nt_iri(RDFS + "range")
_FIRST = nt_iri(RDF + "first")
_REST = nt_iri(RDF + "rest")
_NIL = nt_iri(RDF + "nil")
_OWL_CLASS = nt_iri(OWL_CLASS)
_OWL_ONTOLOGY = nt_iri(OWL + "Ontology")
_OWL_OBJECT_PROPERTY = nt_iri(OWL + "ObjectProperty")
_OWL_ANNOTATION_PROPERTY = nt_iri(OWL + "AnnotationProperty")
_OWL_RESTRICTION = nt_iri(OWL + "Restriction")
_OWL_AXIOM = nt_iri(OWL + "Axiom")
_ON_PROPERTY = nt_iri(OWL + "onProperty")
_SOME_VALUES_FROM = nt_iri(OWL + "someValuesFrom")
_INTERSECTION_OF = nt_iri(OWL + "intersectionOf")
_UNION_OF = nt_iri(OWL + "unionOf")
_EQUIVALENT_CLASS = nt_iri(OWL + "equivalentClass")
_DISJOINT_WITH = nt_iri(OWL + "disjointWith")
_INVERSE_OF = nt_iri(OWL + "inverseOf")
_VERSION_INFO = nt_iri(OWL + "versionInfo")
_IMPORTS = nt_iri(OWL + "imports")
_ANNOTATED_SOURCE = nt_iri(OWL + "annotatedSource")
_ANNOTATED_PROPERTY = nt_iri(OWL + "annotatedProperty")
_ANNOTATED_TARGET = nt_iri(OWL + "annotatedTarget")
_DEPRECATED = nt_iri(OWL_DEPRECATED)
_TRUE = nt_literal("true", XSD + "boolean")
_DEFINITION = nt_iri(IAO_DEFINITION)
_REPLACED_BY = nt_iri(IAO_REPLACED_BY)
_HAS_DBXREF = nt_iri(HAS_DBXREF)
_HAS_SYNONYM_TYPE = nt_iri(HAS_SYNONYM_TYPE)
_SYNONYM_PREDICATES = {scope: nt_iri(iri) for scope, iri in SYNONYM_PROPERTIES.items()}
_OBO_ID = nt_iri(OBOINOWL + "id")
_SHORTHAND = nt_iri(OBOINOWL + "shorthand")
_ALT_ID = nt_iri(OBOINOWL + "hasAlternativeId")
_CONSIDER = nt_iri(OBOINOWL + "consider")
_IN_SUBSET = nt_iri(OBOINOWL + "inSubset")
_NAMESPACE = nt_iri(OBOINOWL + "hasOBONamespace")
_CREATED_BY = nt_iri(OBOINOWL + "created_by")
_CREATION_DATE = nt_iri(OBOINOWL + "creation_date")
_FORMAT_VERSION = nt_iri(OBOINOWL + "hasOBOFormatVersion")
_SUBSET_PROPERTY = nt_iri(OBOINOWL + "SubsetProperty")
_SYNONYM_TYPE_PROPERTY = nt_iri(OBOINOWL + "SynonymTypeProperty")

# Typedef flags (``is_transitive: true``) -> the OWL property characteristic they declare.
_PROPERTY_CHARACTERISTICS = {
    fastobo.typedef.IsTransitiveClause: nt_iri(OWL + "TransitiveProperty"),
    fastobo.typedef.IsSymmetricClause: nt_iri(OWL + "SymmetricProperty"),
    fastobo.typedef.IsAsymmetricClause: nt_iri(OWL + "AsymmetricProperty"),
    fastobo.typedef.IsReflexiveClause: nt_iri(OWL + "ReflexiveProperty"),
    fastobo.typedef.IsFunctionalClause: nt_iri(OWL + "FunctionalProperty"),
    fastobo.typedef.IsInverseFunctionalClause: nt_iri(OWL + "InverseFunctionalProperty"),
}


@dataclass(frozen=True)
class OboStats:
    """What one OBO -> N-Triples conversion produced.

    Attributes:
        terms: Number of ``[Term]`` frames, obsolete ones included.
        obsolete: Number of ``[Term]`` frames with ``is_obsolete: true``.
        triples: Number of N-Triples lines written.
        ontology_iri: IRI of the ``owl:Ontology`` node, or ``None`` without ``ontology:``.
        version: The ``data-version`` header value, or ``None``.
        frames: Number of frames of any kind (``[Term]``, ``[Typedef]``, ``[Instance]``).
    """

    terms: int
    obsolete: int
    triples: int
    ontology_iri: str | None
    version: str | None
    frames: int = 0


def obo_to_ntriples(path: Path, out: TextIO, *, blank_prefix: str = "b") -> OboStats:
    """Convert an OBO 1.4 file to N-Triples by the standard OBO-to-OWL mapping.

    The mapping is summarised in this module's docstring. Blank nodes (restrictions,
    ``owl:Axiom`` annotations, lists) are labelled ``_:{blank_prefix}{n}``, so files
    converted with distinct prefixes can share one store.

    Args:
        path: The ``.obo`` file (UTF-8).
        out: A text stream the N-Triples lines are written to.
        blank_prefix: Leading letters of this file's blank node labels: ASCII letters,
            digits and ``_``, starting with a letter (default: ``"b"``).

    Returns:
        Counts of terms and triples, the ontology IRI and its ``data-version``.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        NotUTF8Error: If the file is not UTF-8 (with the line of the first bad byte).
        OntologyParseError: If the file is not valid OBO (with the line fastobo reports).
        ValueError: If ``blank_prefix`` is not a valid label start.
    """
    if not (blank_prefix[:1].isascii() and blank_prefix[:1].isalpha()) or not (
        blank_prefix.isascii() and blank_prefix.replace("_", "").isalnum()
    ):
        raise ValueError(
            f"blank_prefix must be ASCII letters, digits or _, starting with a letter; "
            f"got {blank_prefix!r}"
        )
    path = Path(path)
    doc = _parse(path)
    writer = _OboWriter(doc, out, blank_prefix, default_ontology=path.stem, source=path)
    stats = writer.run()
    logger.debug(
        "%s: %d terms (%d obsolete) -> %d triples", path, stats.terms, stats.obsolete, stats.triples
    )
    return stats


def _parse(path: Path) -> Any:
    """Parse with fastobo, turning its errors into kgfuse errors that name file and line."""
    if not path.is_file():
        raise FileNotFoundError(2, "OBO file not found", str(path))
    try:
        return fastobo.load(str(path))
    except SyntaxError as err:
        raise OntologyParseError(path, f"invalid OBO: {err.msg}", err.lineno) from err
    except FileNotFoundError:
        raise
    except OSError as err:
        if "UTF-8" in str(err):
            raise _not_utf8(path) from err
        raise
    except BaseException as err:
        # fastobo (Rust) panics on a few malformed inputs; pyo3 raises PanicException, which
        # derives from BaseException. Report it as a parse error rather than crashing.
        if type(err).__name__ == "PanicException":
            line = _comment_line_in_frame(path)
            if line is not None:  # the one cause known
                raise OntologyParseError(
                    path,
                    "fastobo could not parse the file: a whole-line '!' comment inside a frame "
                    "(OBO allows '!' comments only after a clause): remove or move it",
                    line,
                ) from None
            raise OntologyParseError(path, f"fastobo could not parse the file: {err}") from None
        raise


def _comment_line_in_frame(path: Path) -> int | None:
    """The first line inside a ``[Term]``/``[Typedef]``/``[Instance]`` frame that holds only
    a ``!`` comment, on which fastobo panics; None when there is none."""
    in_frame = False
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            text = line.strip()
            if text.startswith("[") and text.endswith("]"):
                in_frame = True
            elif in_frame and text.startswith("!"):
                return n
    return None


def _first_line_with(path: Path, text: str) -> int | None:
    """The number of the first line of ``path`` that holds ``text``; None when none does."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            if text in line:
                return n
    return None


def _not_utf8(path: Path) -> NotUTF8Error:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return NotUTF8Error(
            path, f"not UTF-8: byte 0x{data[err.start]:02x} at offset {err.start}", line
        )
    return NotUTF8Error(path, "not UTF-8")


def _import_iri(value: str) -> str:
    """The IRI an OBO ``import:`` names, as the OBO-to-OWL mapping writes it: a URL as is
    (an OBO PURL's ``.obo`` as ``.owl``), an ontology id or file name as its OBO PURL."""
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        value = OBO + value.rsplit("/", 1)[-1].removesuffix(".obo").removesuffix(".owl") + ".owl"
    elif value.startswith((OBO, "https" + OBO.removeprefix("http"))) and value.endswith(".obo"):
        value = value.removesuffix(".obo") + ".owl"
    return value


def _clause_id(clause: Any) -> Any:
    """The id a ``replaced_by`` / ``consider`` clause names: fastobo keeps it in ``term`` in
    a [Term] frame and in ``typedef`` in a [Typedef] frame."""
    return clause.term if hasattr(clause, "term") else clause.typedef


#: Header tags that fastobo 0.14's ``raw_tag()`` misspells, to the tags OBO 1.4 writes.
_HEADER_TAGS = {
    "saved-py": "saved-by",
    "treat-xrefs-as-relationships": "treat-xrefs-as-relationship",
}


def _curie(ident: Any) -> str:
    """The id as written in OBO, without OBO escapes (``HP:0000118``, ``part_of``, a URL)."""
    if isinstance(ident, fastobo.id.PrefixedIdent):
        return f"{ident.prefix}:{ident.local}"
    if isinstance(ident, fastobo.id.UnprefixedIdent):
        return ident.unescaped
    return str(ident)


class _OboWriter:
    """One conversion: header first (id spaces, ontology id), then the entity frames."""

    def __init__(
        self,
        doc: Any,
        out: TextIO,
        blank_prefix: str,
        default_ontology: str,
        source: Path | None = None,
    ) -> None:
        self._doc = doc
        self._source = source
        self._out = out
        self._blank_prefix = f"_:{blank_prefix}"
        self._blank_count = 0
        self._lines: list[str] = []
        self._triples = 0
        self._refs: dict[str, str] = {}
        self._idspaces = dict(_BUILTIN_IDSPACES)
        self._ontology_id = default_ontology
        self._shorthands: dict[str, Any] = {}
        self._skipped: Counter[str] = Counter()
        self._frame_obsolete = False
        self._equivalents: list[tuple[str, list[str]]] = []
        common: dict[type, Callable[[str, Any], None]] = {
            fastobo.term.NameClause: self._name,
            fastobo.term.DefClause: self._def,
            fastobo.term.CommentClause: self._comment,
            fastobo.term.SynonymClause: self._synonym,
            fastobo.term.XrefClause: self._xref,
            fastobo.term.AltIdClause: self._alt_id,
            fastobo.term.IsObsoleteClause: self._is_obsolete,
            fastobo.term.ReplacedByClause: self._replaced_by,
            fastobo.term.ConsiderClause: self._consider,
            fastobo.term.SubsetClause: self._subset,
            fastobo.term.PropertyValueClause: self._property_value,
            fastobo.term.NamespaceClause: self._namespace,
            fastobo.term.CreatedByClause: self._created_by,
            fastobo.term.CreationDateClause: self._creation_date,
        }
        self._term_handlers: dict[type, Callable[[str, Any], None]] = {
            **common,
            fastobo.term.IsAClause: self._is_a,
            fastobo.term.RelationshipClause: self._relationship,
            fastobo.term.IntersectionOfClause: self._intersection_of,
            fastobo.term.UnionOfClause: self._union_of,
            fastobo.term.EquivalentToClause: self._equivalent_to,
            fastobo.term.DisjointFromClause: self._disjoint_from,
        }
        # fastobo has distinct clause classes per frame kind; map by tag name.
        by_name = {cls.__name__: handler for cls, handler in common.items()}
        self._typedef_handlers: dict[type, Callable[[str, Any], None]] = {
            getattr(fastobo.typedef, name): handler for name, handler in by_name.items()
        }
        self._typedef_handlers.update(
            {
                fastobo.typedef.IsAClause: self._sub_property_of,
                fastobo.typedef.DomainClause: self._domain,
                fastobo.typedef.RangeClause: self._range,
                fastobo.typedef.InverseOfClause: self._inverse_of,
                fastobo.typedef.IsMetadataTagClause: self._ignore,
                fastobo.typedef.EquivalentToClause: self._equivalent_property,
            }
        )
        for clause_type in _PROPERTY_CHARACTERISTICS:
            self._typedef_handlers[clause_type] = self._characteristic

    # -- output ---------------------------------------------------------------------------

    def _emit(self, subject: str, predicate: str, obj: str) -> None:
        self._lines.append(f"{subject} {predicate} {obj} .\n")
        if len(self._lines) >= _FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        self._triples += len(self._lines)
        self._out.write("".join(self._lines))
        self._lines.clear()

    def _blank(self) -> str:
        self._blank_count += 1
        return f"{self._blank_prefix}{self._blank_count}"

    def _axiom(
        self, source: str, predicate: str, target: str, annotations: list[tuple[str, str]]
    ) -> None:
        node = self._blank()
        self._emit(node, _TYPE, _OWL_AXIOM)
        self._emit(node, _ANNOTATED_SOURCE, source)
        self._emit(node, _ANNOTATED_PROPERTY, predicate)
        self._emit(node, _ANNOTATED_TARGET, target)
        for annotation_predicate, value in annotations:
            self._emit(node, annotation_predicate, value)

    def _list(self, items: list[str]) -> str:
        head = _NIL
        for item in reversed(items):
            cell = self._blank()
            self._emit(cell, _FIRST, item)
            self._emit(cell, _REST, head)
            head = cell
        return head

    def _skip(self, what: str) -> None:
        self._skipped[what] += 1

    # -- identifiers ------------------------------------------------------------------------

    def _expand(self, ident: Any) -> str:
        if isinstance(ident, fastobo.id.PrefixedIdent):
            prefix, local = ident.prefix, ident.local
            base = self._idspaces.get(prefix)
            return base + local if base is not None else obo_iri(f"{prefix}:{local}")
        if isinstance(ident, fastobo.id.UnprefixedIdent):
            name = ident.unescaped
            target = self._shorthands.get(name)
            if target is not None:
                return self._expand(target)
            return f"{OBO}{self._ontology_id}#{name}"
        return str(ident)

    def _ref(self, ident: Any) -> str:
        key = str(ident)
        ref = self._refs.get(key)
        if ref is None:
            ref = nt_iri(self._expand(ident))
            try:  # nt_iri escapes what N-Triples forbids; Oxigraph checks the rest (RFC 3987)
                pyoxigraph.NamedNode(ref[1:-1])
            except ValueError as err:
                raise self._bad_id(ident, ref[1:-1], err) from None
            self._refs[key] = ref
        return ref

    def _bad_id(self, ident: Any, iri: str, err: ValueError) -> OntologyParseError:
        """An id that expands to no valid IRI, named with the first line that writes it."""
        written = str(ident)
        line = _first_line_with(self._source, written) if self._source is not None else None
        return OntologyParseError(
            self._source or "<obo>",
            f"the id {written!r} does not make a valid IRI (<{iri}>: {err})",
            line,
        )

    # -- document ---------------------------------------------------------------------------

    def run(self) -> OboStats:
        header = self._doc.header
        ontology_iri = self._read_header(header)
        self._collect_shorthands()
        version = self._write_header(header, ontology_iri)
        terms = obsolete = 0
        frames = len(self._doc)
        for frame in self._doc:
            if isinstance(frame, fastobo.term.TermFrame):
                terms += 1
                obsolete += self._term(frame)
            elif isinstance(frame, fastobo.typedef.TypedefFrame):
                self._typedef(frame)
            else:
                self._skip(f"[{type(frame).__name__}]")
        self._flush()
        for what, count in sorted(self._skipped.items()):
            logger.debug("OBO %s not mapped to RDF: skipped %d", what, count)
        # The handler tables hold bound methods, a reference cycle: release the parsed
        # document (a million Python objects for hp.obo) without waiting for the collector.
        self._doc = None
        self._term_handlers.clear()
        self._typedef_handlers.clear()
        return OboStats(terms, obsolete, self._triples, ontology_iri, version, frames)

    def _read_header(self, header: Any) -> str | None:
        ontology_iri = None
        for clause in header:
            if isinstance(clause, fastobo.header.IdspaceClause):
                self._idspaces[str(clause.prefix)] = str(clause.url)
            elif isinstance(clause, fastobo.header.OntologyClause):
                ontology = clause.ontology
                if ontology.startswith(("http://", "https://")):
                    ontology_iri = ontology
                    self._ontology_id = ontology
                else:
                    # Some files (hp.obo) write ``ontology: hp.obo``; the id is ``hp``.
                    self._ontology_id = ontology.removesuffix(".obo").removesuffix(".owl")
                    ontology_iri = f"{OBO}{self._ontology_id}.owl"
        return ontology_iri

    def _collect_shorthands(self) -> None:
        for frame in self._doc:
            if not isinstance(frame, fastobo.typedef.TypedefFrame):
                continue
            if not isinstance(frame.id, fastobo.id.UnprefixedIdent):
                continue
            for clause in frame:
                if isinstance(clause, fastobo.typedef.XrefClause) and isinstance(
                    clause.xref.id, fastobo.id.PrefixedIdent
                ):
                    self._shorthands[frame.id.unescaped] = clause.xref.id
                    break

    def _write_header(self, header: Any, ontology_iri: str | None) -> str | None:
        version = None
        ontology = nt_iri(ontology_iri) if ontology_iri is not None else None
        if ontology is not None:
            self._emit(ontology, _TYPE, _OWL_ONTOLOGY)
        for clause in header:
            if isinstance(clause, fastobo.header.SubsetdefClause):
                subset = self._ref(clause.subset)
                self._emit(subset, _TYPE, _OWL_ANNOTATION_PROPERTY)
                self._emit(subset, _SUBPROPERTY_OF, _SUBSET_PROPERTY)
                self._emit(subset, _COMMENT, nt_literal(clause.description))
            elif isinstance(clause, fastobo.header.SynonymTypedefClause):
                synonym_type = self._ref(clause.typedef)
                self._emit(synonym_type, _TYPE, _OWL_ANNOTATION_PROPERTY)
                self._emit(synonym_type, _SUBPROPERTY_OF, _SYNONYM_TYPE_PROPERTY)
                self._emit(synonym_type, _LABEL, nt_literal(clause.description))
            elif isinstance(clause, fastobo.header.DataVersionClause):
                version = clause.version
                if ontology is not None:
                    self._emit(ontology, _VERSION_INFO, nt_literal(version))
            elif isinstance(clause, (fastobo.header.IdspaceClause, fastobo.header.OntologyClause)):
                continue
            elif isinstance(clause, fastobo.header.ImportClause):
                # the OBO-to-OWL mapping: the build warns about imports it did not load
                imported = _import_iri(clause.raw_value())
                if ontology is not None:
                    self._emit(ontology, _IMPORTS, nt_iri(imported))
                else:
                    logger.warning(
                        "%s imports %s, which kgfuse does not fetch: pass the imported "
                        "file(s) to the build as well",
                        self._source,
                        imported,
                    )
            elif ontology is None:
                self._skip(f"header {clause.raw_tag()} (no ontology: line)")
            elif isinstance(clause, fastobo.header.FormatVersionClause):
                self._emit(ontology, _FORMAT_VERSION, nt_literal(clause.version))
            elif isinstance(clause, fastobo.header.RemarkClause):
                self._emit(ontology, _COMMENT, nt_literal(clause.remark))
            elif isinstance(clause, fastobo.header.PropertyValueClause):
                self._property_value(ontology, clause)
            else:
                tag = _HEADER_TAGS.get(clause.raw_tag(), clause.raw_tag())
                self._emit(ontology, nt_iri(OBOINOWL + tag), nt_literal(clause.raw_value()))
        return version

    # -- frames -----------------------------------------------------------------------------

    def _term(self, frame: Any) -> int:
        """Write one term; return 1 when it is obsolete, else 0."""
        subject = self._ref(frame.id)
        self._emit(subject, _TYPE, _OWL_CLASS)
        self._emit(subject, _OBO_ID, nt_literal(_curie(frame.id)))
        self._frame_obsolete = False
        handlers = self._term_handlers
        for clause in frame:
            handler = handlers.get(type(clause))
            if handler is None:
                self._skip(f"[Term] {clause.raw_tag()}")
            else:
                handler(subject, clause)
        if self._equivalents:
            self._write_equivalents(subject)
        return 1 if self._frame_obsolete else 0

    def _typedef(self, frame: Any) -> None:
        subject = self._ref(frame.id)
        is_metadata = any(
            isinstance(clause, fastobo.typedef.IsMetadataTagClause) and clause.metadata_tag
            for clause in frame
        )
        kind = _OWL_ANNOTATION_PROPERTY if is_metadata else _OWL_OBJECT_PROPERTY
        self._emit(subject, _TYPE, kind)
        self._emit(subject, _OBO_ID, nt_literal(_curie(frame.id)))
        if (
            isinstance(frame.id, fastobo.id.UnprefixedIdent)
            and frame.id.unescaped in self._shorthands
        ):
            self._emit(subject, _SHORTHAND, nt_literal(frame.id.unescaped))
        handlers = self._typedef_handlers
        for clause in frame:
            handler = handlers.get(type(clause))
            if handler is None:
                self._skip(f"[Typedef] {clause.raw_tag()}")
            else:
                handler(subject, clause)

    # -- clauses shared by terms and typedefs -----------------------------------------------

    def _name(self, subject: str, clause: Any) -> None:
        # fastobo keeps the blank before a trailing ``! comment`` in the name
        self._emit(subject, _LABEL, nt_literal(clause.name.strip()))

    def _def(self, subject: str, clause: Any) -> None:
        text = nt_literal(clause.definition)
        self._emit(subject, _DEFINITION, text)
        xrefs = [(_HAS_DBXREF, nt_literal(_curie(xref.id))) for xref in clause.xrefs]
        if xrefs:
            self._axiom(subject, _DEFINITION, text, xrefs)

    def _comment(self, subject: str, clause: Any) -> None:
        # fastobo keeps the blank before a trailing ``{...}`` qualifier in the comment
        self._emit(subject, _COMMENT, nt_literal(clause.comment.rstrip(" \t")))

    def _synonym(self, subject: str, clause: Any) -> None:
        synonym = clause.synonym
        predicate = _SYNONYM_PREDICATES[synonym.scope]
        text = nt_literal(synonym.desc)
        self._emit(subject, predicate, text)
        annotations = [(_HAS_DBXREF, nt_literal(_curie(xref.id))) for xref in synonym.xrefs]
        if synonym.type is not None:
            annotations.insert(0, (_HAS_SYNONYM_TYPE, self._ref(synonym.type)))
        if annotations:
            self._axiom(subject, predicate, text, annotations)

    def _xref(self, subject: str, clause: Any) -> None:
        xref = clause.xref
        value = nt_literal(_curie(xref.id))
        self._emit(subject, _HAS_DBXREF, value)
        if xref.desc:
            self._axiom(subject, _HAS_DBXREF, value, [(_LABEL, nt_literal(xref.desc))])

    def _alt_id(self, subject: str, clause: Any) -> None:
        self._emit(subject, _ALT_ID, nt_literal(_curie(clause.alt_id)))

    def _is_obsolete(self, subject: str, clause: Any) -> None:
        if clause.obsolete:
            self._frame_obsolete = True
            self._emit(subject, _DEPRECATED, _TRUE)

    def _replaced_by(self, subject: str, clause: Any) -> None:
        self._emit(subject, _REPLACED_BY, self._ref(_clause_id(clause)))

    def _consider(self, subject: str, clause: Any) -> None:
        self._emit(subject, _CONSIDER, nt_literal(_curie(_clause_id(clause))))

    def _subset(self, subject: str, clause: Any) -> None:
        self._emit(subject, _IN_SUBSET, self._ref(clause.subset))

    def _property_value(self, subject: str, clause: Any) -> None:
        value = clause.property_value
        predicate = self._ref(value.relation)
        if isinstance(value, fastobo.pv.LiteralPropertyValue):
            obj = nt_literal(value.value, self._expand(value.datatype))
        else:
            obj = self._ref(value.value)
        self._emit(subject, predicate, obj)

    def _namespace(self, subject: str, clause: Any) -> None:
        self._emit(subject, _NAMESPACE, nt_literal(_curie(clause.namespace)))

    def _created_by(self, subject: str, clause: Any) -> None:
        self._emit(subject, _CREATED_BY, nt_literal(clause.creator))

    def _creation_date(self, subject: str, clause: Any) -> None:
        # The text as written: OBO dates are not always full xsd:dateTime values.
        self._emit(subject, _CREATION_DATE, nt_literal(clause.raw_value()))

    def _ignore(self, subject: str, clause: Any) -> None:
        """Clauses already accounted for elsewhere (``is_metadata_tag`` sets the type)."""

    # -- term-only clauses ------------------------------------------------------------------

    def _is_a(self, subject: str, clause: Any) -> None:
        self._emit(subject, _SUBCLASS_OF, self._ref(clause.term))

    def _restriction(self, relation: Any, filler: Any) -> str:
        node = self._blank()
        self._emit(node, _TYPE, _OWL_RESTRICTION)
        self._emit(node, _ON_PROPERTY, self._ref(relation))
        self._emit(node, _SOME_VALUES_FROM, self._ref(filler))
        return node

    def _relationship(self, subject: str, clause: Any) -> None:
        self._emit(subject, _SUBCLASS_OF, self._restriction(clause.typedef, clause.term))

    def _intersection_of(self, subject: str, clause: Any) -> None:
        if clause.typedef is None:
            member = self._ref(clause.term)
        else:
            member = self._restriction(clause.typedef, clause.term)
        self._pending(_INTERSECTION_OF).append(member)

    def _union_of(self, subject: str, clause: Any) -> None:
        self._pending(_UNION_OF).append(self._ref(clause.term))

    def _pending(self, operator: str) -> list[str]:
        for pending_operator, members in self._equivalents:
            if pending_operator == operator:
                return members
        new_members: list[str] = []
        self._equivalents.append((operator, new_members))
        return new_members

    def _write_equivalents(self, subject: str) -> None:
        for operator, members in self._equivalents:
            expression = self._blank()
            self._emit(subject, _EQUIVALENT_CLASS, expression)
            self._emit(expression, _TYPE, _OWL_CLASS)
            self._emit(expression, operator, self._list(members))
        self._equivalents = []

    def _equivalent_to(self, subject: str, clause: Any) -> None:
        self._emit(subject, _EQUIVALENT_CLASS, self._ref(clause.term))

    def _disjoint_from(self, subject: str, clause: Any) -> None:
        self._emit(subject, _DISJOINT_WITH, self._ref(clause.term))

    # -- typedef-only clauses ---------------------------------------------------------------

    def _sub_property_of(self, subject: str, clause: Any) -> None:
        self._emit(subject, _SUBPROPERTY_OF, self._ref(clause.typedef))

    def _domain(self, subject: str, clause: Any) -> None:
        self._emit(subject, _DOMAIN, self._ref(clause.domain))

    def _range(self, subject: str, clause: Any) -> None:
        self._emit(subject, _RANGE, self._ref(clause.range))

    def _inverse_of(self, subject: str, clause: Any) -> None:
        self._emit(subject, _INVERSE_OF, self._ref(clause.typedef))

    def _equivalent_property(self, subject: str, clause: Any) -> None:
        self._emit(subject, nt_iri(OWL + "equivalentProperty"), self._ref(clause.typedef))

    def _characteristic(self, subject: str, clause: Any) -> None:
        if clause.raw_value() == "true":
            self._emit(subject, _TYPE, _PROPERTY_CHARACTERISTICS[type(clause)])
