"""A built knowledge graph: the store, its manifest, its derived tables and helper queries.

Example:
    >>> kg = KnowledgeGraph.open(default_kg_path("hpo"))        # doctest: +SKIP
    >>> kg.term("HP:0001166").label                            # doctest: +SKIP
    'Arachnodactyly'
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import islice, product
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.annotations import AnnotationTable
from kg.errors import KGNotFoundError, UnknownTermError
from kg.helper_triples import HELPER_TRIPLES_FILE, HelperTriples
from kg.hierarchy import TermHierarchy
from kg.lexicon import Lexicon
from kg.lookups import StoreLookups, Term, TripleLookups
from kg.namespaces import (
    DCTERMS,
    DEPRECATED_IS_TRUE,
    IAO_DEFINITION,
    KGV,
    KGV_ANNOTATION,
    NAME_PREDICATES,
    OWL_DEPRECATED,
    RDF,
    RDF_TYPE,
    RDFS_LABEL,
    RDFS_SUBCLASS_OF,
    RO_GENE_CONTRIBUTES_TO,
    XSD,
    compress,
    is_true_flag,
    label_rank,
    to_iri,
)
from kg.remote import RemoteStore, is_endpoint
from kg.sparql import IRI, QUERY_PREFIXES, BindingValue, run_ask, run_select, to_python
from kg.store import Manifest, resolve_build

if TYPE_CHECKING:
    # torch, imported on first use of ``KnowledgeGraph.graph``: opening a KG and querying it
    # need no torch (~2 s of imports for every command).
    from kg.tensors import GraphTensors

logger = logging.getLogger(__name__)

_NAME_VALUES = (
    "VALUES ?p { rdfs:label skos:prefLabel skos:altLabel oboInOwl:hasExactSynonym "
    "oboInOwl:hasNarrowSynonym oboInOwl:hasBroadSynonym oboInOwl:hasRelatedSynonym }"
)
Q_EXISTS = "ASK WHERE { { ?term ?p ?o } UNION { ?s ?p ?term } }"
Q_NAMES = (
    f"SELECT ?term ?p ?name (LANG(?name) AS ?lang) "
    f"WHERE {{ {_NAME_VALUES} ?term ?p ?name . FILTER(isLiteral(?name)) }}"
)
Q_DEFINITION = "SELECT ?term ?definition WHERE { ?term obo:IAO_0000115 ?definition } LIMIT 1"
Q_PARENTS = """
SELECT ?term ?parent ?label (LANG(?label) AS ?lang) WHERE {
  ?term rdfs:subClassOf ?parent . FILTER(isIRI(?parent)) OPTIONAL { ?parent rdfs:label ?label }
}"""
Q_CHILDREN = f"""
SELECT ?term ?child ?label (LANG(?label) AS ?lang) WHERE {{
  ?child rdfs:subClassOf ?term . OPTIONAL {{ ?child rdfs:label ?label }}
  FILTER NOT EXISTS {{ ?child owl:deprecated ?dep . FILTER{DEPRECATED_IS_TRUE} }}
}}"""
Q_ANCESTORS = (
    "SELECT DISTINCT ?term ?ancestor WHERE "
    "{ ?term rdfs:subClassOf+ ?ancestor . FILTER(isIRI(?ancestor)) }"
)
Q_DESCENDANTS = "SELECT DISTINCT ?term ?descendant WHERE { ?descendant rdfs:subClassOf+ ?term }"
Q_TYPES = "SELECT ?term ?t WHERE { ?term a ?t }"
_ANNOTATION_BODY = """
  ?a a kgv:PhenotypeAnnotation ; rdf:subject ?disease ; rdf:object ?phenotype .
  OPTIONAL { ?disease rdfs:label ?disease_label }
  OPTIONAL { ?phenotype rdfs:label ?phenotype_label }
  OPTIONAL { ?a kgv:negated ?neg }
  OPTIONAL { ?a kgv:frequencyValue ?frequency }
  OPTIONAL { ?a kgv:frequency ?frequency_term }
  OPTIONAL { ?a kgv:frequencyText ?frequency_text }
  OPTIONAL { ?a kgv:onset ?onset }
  OPTIONAL { ?a kgv:sex ?sex }
  OPTIONAL { ?a kgv:evidence ?evidence }
  OPTIONAL { ?a kgv:aspect ?aspect }
  OPTIONAL { ?a dcterms:source ?src }
  OPTIONAL { ?a kgv:modifier ?mod }
"""
_ANNOTATION_SELECT = """
SELECT ?a ?disease ?disease_label ?phenotype ?phenotype_label (BOUND(?neg) && ?neg AS ?negated)
       ?frequency ?frequency_term ?frequency_text ?onset ?sex ?evidence ?aspect
       (GROUP_CONCAT(DISTINCT STR(?src); separator=" ") AS ?sources)
       (GROUP_CONCAT(DISTINCT STR(?mod); separator=" ") AS ?modifiers)
"""
_ANNOTATION_GROUP = """
GROUP BY ?a ?disease ?disease_label ?phenotype ?phenotype_label ?neg ?frequency ?frequency_term
         ?frequency_text ?onset ?sex ?evidence ?aspect
"""
Q_ANNOTATIONS_OF = f"{_ANNOTATION_SELECT} WHERE {{ {_ANNOTATION_BODY} }} {_ANNOTATION_GROUP}"
Q_DISEASES_WITH = """
SELECT DISTINCT ?term ?disease ?label WHERE {
  ?phenotype rdfs:subClassOf* ?term . ?disease obo:RO_0002200 ?phenotype ; a kgv:Disease .
  OPTIONAL { ?disease rdfs:label ?label }
}"""
Q_GENES_OF_DISEASE = """
SELECT ?disease ?gene ?symbol WHERE {
  ?gene obo:RO_0003304 ?disease . OPTIONAL { ?gene rdfs:label ?symbol }
}"""
Q_DISEASES_OF_GENE = """
SELECT ?gene ?disease ?label WHERE {
  ?gene obo:RO_0003304 ?disease . OPTIONAL { ?disease rdfs:label ?label }
}"""
Q_GENES_OF_PHENOTYPE = """
SELECT DISTINCT ?term ?gene ?symbol WHERE {
  ?phenotype rdfs:subClassOf* ?term . ?gene obo:RO_0002200 ?phenotype ; a kgv:Gene .
  OPTIONAL { ?gene rdfs:label ?symbol }
}"""


# ---- single-pattern helper queries as index lookups ------------------------------------------
# Each helper's SPARQL text above is its definition: it runs as is on a SPARQL endpoint, and
# it is what benchmarks replay on other stores. On a local Oxigraph store, the queries below
# (a triple pattern with its labels, a subClassOf+ path, or the annotation nodes of a disease
# or a phenotype, from one bound IRI) are evaluated as a few triple lookups instead
# (:mod:`kg.lookups`): from the build's helper triples in memory (:mod:`kg.helper_triples`)
# where it has them, else by the store's index scans. Both give the rows of the SPARQL text,
# in the store's order (tests compare all three ways on every term), without parsing and
# planning a query on each call.

_LABEL = ox.NamedNode(RDFS_LABEL)
_SUBCLASS_OF = ox.NamedNode(RDFS_SUBCLASS_OF)
_TYPE = ox.NamedNode(RDF_TYPE)
_DEPRECATED = ox.NamedNode(OWL_DEPRECATED)
_CONTRIBUTES_TO = ox.NamedNode(RO_GENE_CONTRIBUTES_TO)
_DEFINITION = ox.NamedNode(IAO_DEFINITION)
#: The predicates of ``_NAME_VALUES``, in its order.
_NAME_PREDICATES = tuple(ox.NamedNode(p) for p in NAME_PREDICATES)
Rows = list[dict[str, Any]]
_NAME_ORDER = {p.value: i for i, p in enumerate(_NAME_PREDICATES)}
#: rdfs:label and skos:prefLabel: a term's label is one of their values.
_LABEL_PREDICATES = frozenset(p.value for p in _NAME_PREDICATES[:2])


def _label_preference(row: dict[str, Any]) -> tuple[int, int, str]:
    """A :data:`Q_NAMES` label row's place among a term's labels: English first, then no
    language tag, then others (``label_rank``); ``rdfs:label`` before ``skos:prefLabel``;
    then by text (the lexicon's preferred label, :func:`kg.derived.lexicon_from_store`)."""
    return label_rank(row["lang"]), _NAME_ORDER[row["p"]], str(row["name"])


def _named_once(rows: Rows, key: str) -> list[Named]:
    """One :class:`Named` per IRI of the ``key`` column of :data:`Q_PARENTS` or
    :data:`Q_CHILDREN` rows (one row per label), with its preferred label (by language,
    then text), sorted by label."""
    best: dict[str, tuple[tuple[int, str], str]] = {}
    for row in rows:
        label = row["label"]
        rank = (label_rank(row["lang"]), str(label)) if label is not None else (3, "")
        kept = best.get(row[key])
        if kept is None or rank < kept[0]:
            best[row[key]] = (rank, label or "")
    return sorted((Named(iri, label) for iri, (_, label) in best.items()), key=_label_of)


def _label_of(named: Named) -> str:
    return named.label


def _or_none(terms: Sequence[Term]) -> Sequence[Term | None]:
    """The terms, or one None when there are none (an unmatched OPTIONAL)."""
    return terms or (None,)


def _lang(term: Term | None) -> str | None:
    """``LANG(?x)``: a literal's language tag, "" for none, unbound (None) for anything else."""
    return (term.language or "") if isinstance(term, ox.Literal) else None


def _is_deprecated_value(term: Term) -> bool:
    """:data:`~kg.namespaces.DEPRECATED_IS_TRUE` of an ``owl:deprecated`` value."""
    return isinstance(term, ox.Literal) and is_true_flag(
        term.value, term.datatype.value if term.datatype else None, term.language
    )


def _names_rows(lookups: TripleLookups, term: ox.NamedNode) -> Rows:
    """:data:`Q_NAMES`."""
    rows = []
    for p in _NAME_PREDICATES:
        for name in lookups.objects(term, p):
            if isinstance(name, ox.Literal):
                rows.append(
                    {"term": term.value, "p": p.value, "name": to_python(name), "lang": _lang(name)}
                )
    return rows


def _definition_rows(lookups: TripleLookups, term: ox.NamedNode) -> Rows:
    """:data:`Q_DEFINITION` (its ``LIMIT 1``: the first definition in the store's order)."""
    for definition in lookups.objects(term, _DEFINITION):
        return [{"term": term.value, "definition": to_python(definition)}]
    return []


def _breadth_first(step: Callable[[Term], Sequence[Term]], start: Term) -> list[Term]:
    """Every node ``step`` reaches from ``start`` (one or more steps), breadth first, each
    once; ``start`` itself only when a cycle leads back to it."""
    reached: list[Term] = []
    seen: set[Term] = set()
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for other in step(node):
                if other not in seen:
                    seen.add(other)
                    following.append(other)
        reached += following
        frontier = following
    return reached


def _descendant_rows(lookups: TripleLookups, term: ox.NamedNode) -> Rows:
    """:data:`Q_DESCENDANTS`: ``subClassOf+`` walked backwards, breadth first."""
    children = partial(lookups.subjects, _SUBCLASS_OF)
    return [
        {"term": term.value, "descendant": to_python(d)} for d in _breadth_first(children, term)
    ]


def _ancestor_rows(lookups: TripleLookups, term: ox.NamedNode) -> Rows:
    """:data:`Q_ANCESTORS`: ``subClassOf+`` walked forwards, breadth first (through blank
    nodes too; only IRIs are answers)."""

    def parents(node: Term) -> Sequence[Term]:
        return lookups.objects(node, _SUBCLASS_OF)

    return [
        {"term": term.value, "ancestor": a.value}
        for a in _breadth_first(parents, term)
        if isinstance(a, ox.NamedNode)
    ]


def _labelled(lookups: TripleLookups, nodes: Iterable[Term]) -> Iterator[tuple[Term, Term | None]]:
    """(node, label) for each ``rdfs:label`` of each node, or (node, None) for a node without
    one: the rows of ``?node`` with ``OPTIONAL { ?node rdfs:label ?label }``."""
    for node in nodes:
        for label in _or_none(lookups.objects(node, _LABEL)):
            yield node, label


def _parent_rows(lookups: TripleLookups, term: ox.NamedNode) -> Rows:
    """:data:`Q_PARENTS`."""
    parents = (p for p in lookups.objects(term, _SUBCLASS_OF) if isinstance(p, ox.NamedNode))
    return [
        {
            "term": term.value,
            "parent": to_python(parent),
            "label": to_python(label),
            "lang": _lang(label),
        }
        for parent, label in _labelled(lookups, parents)
    ]


def _child_rows(lookups: TripleLookups, term: ox.NamedNode) -> Rows:
    """:data:`Q_CHILDREN`."""
    children = (
        c
        for c in lookups.subjects(_SUBCLASS_OF, term)
        if not any(map(_is_deprecated_value, lookups.objects(c, _DEPRECATED)))
    )
    return [
        {
            "term": term.value,
            "child": to_python(child),
            "label": to_python(label),
            "lang": _lang(label),
        }
        for child, label in _labelled(lookups, children)
    ]


def _type_rows(lookups: TripleLookups, term: ox.NamedNode) -> Rows:
    """:data:`Q_TYPES`."""
    return [{"term": term.value, "t": to_python(t)} for t in lookups.objects(term, _TYPE)]


def _genes_of_disease_rows(lookups: TripleLookups, disease: ox.NamedNode) -> Rows:
    """:data:`Q_GENES_OF_DISEASE`."""
    genes = lookups.subjects(_CONTRIBUTES_TO, disease)
    return [
        {"disease": disease.value, "gene": to_python(gene), "symbol": to_python(symbol)}
        for gene, symbol in _labelled(lookups, genes)
    ]


def _diseases_of_gene_rows(lookups: TripleLookups, gene: ox.NamedNode) -> Rows:
    """:data:`Q_DISEASES_OF_GENE`."""
    diseases = lookups.objects(gene, _CONTRIBUTES_TO)
    return [
        {"gene": gene.value, "disease": to_python(disease), "label": to_python(label)}
        for disease, label in _labelled(lookups, diseases)
    ]


_RDF_SUBJECT = ox.NamedNode(RDF + "subject")
_RDF_OBJECT = ox.NamedNode(RDF + "object")
_ANNOTATION_TYPE = ox.NamedNode(KGV_ANNOTATION)
_NEGATED = KGV + "negated"
#: The annotation's OPTIONAL values after ``negated``: result column -> predicate.
_ANNOTATION_VALUES = {
    "frequency": KGV + "frequencyValue",
    "frequency_term": KGV + "frequency",
    "frequency_text": KGV + "frequencyText",
    "onset": KGV + "onset",
    "sex": KGV + "sex",
    "evidence": KGV + "evidence",
    "aspect": KGV + "aspect",
}
_SOURCE = DCTERMS + "source"
_MODIFIER = KGV + "modifier"
_TRUE_OR_FALSE = {"true": True, "1": True, "false": False, "0": False}
_XSD_BOOLEAN = XSD + "boolean"


def _negated(value: Term | None) -> bool | None:
    """``BOUND(?neg) && ?neg`` of :data:`Q_ANNOTATIONS_OF` (None where SPARQL errs)."""
    if value is None:
        return False
    if isinstance(value, ox.Literal) and value.datatype.value == _XSD_BOOLEAN:
        known = _TRUE_OR_FALSE.get(value.value)
        if known is not None:
            return known
    # any other value: its effective boolean value as Oxigraph defines it (rare; exact)
    result = ox.Store().query(f"SELECT (BOUND(?v) && ?v AS ?n) WHERE {{ VALUES ?v {{ {value} }} }}")
    assert isinstance(result, ox.QuerySolutions)
    return to_python(next(result)["n"])


def _sources(values: Sequence[Term]) -> str | None:
    """``GROUP_CONCAT(DISTINCT STR(?src); separator=" ")`` over the sources (or modifiers) in
    the store's order: None (unbound) when there are none or one has no string (a blank
    node)."""
    texts = [v.value for v in values if isinstance(v, ox.NamedNode | ox.Literal)]
    if not values or len(texts) < len(values):
        return None
    return " ".join(dict.fromkeys(texts))


def _annotation_rows(lookups: TripleLookups, node: ox.NamedNode, position: ox.NamedNode) -> Rows:
    """:data:`Q_ANNOTATIONS_OF` with ``?disease`` (``position`` rdf:subject) or ``?phenotype``
    (rdf:object) bound: each annotation node's triples read in one scan."""
    rows: Rows = []
    for a in lookups.subjects(position, node):
        values: dict[str, list[Term]] = {}
        for p, o in lookups.properties(a):
            values.setdefault(p.value, []).append(o)
        if _ANNOTATION_TYPE not in values.get(RDF_TYPE, ()):
            continue
        sources = _sources(values.get(_SOURCE, ()))
        modifiers = _sources(values.get(_MODIFIER, ()))
        optional = [_or_none(values.get(p, ())) for p in _ANNOTATION_VALUES.values()]
        for disease, phenotype in product(
            values.get(_RDF_SUBJECT.value, ()), values.get(_RDF_OBJECT.value, ())
        ):
            if (disease if position == _RDF_SUBJECT else phenotype) != node:
                continue
            for d_label, p_label, neg, *rest in product(
                _or_none(lookups.objects(disease, _LABEL)),
                _or_none(lookups.objects(phenotype, _LABEL)),
                _or_none(values.get(_NEGATED, ())),
                *optional,
            ):
                row = {
                    "a": to_python(a),
                    "disease": to_python(disease),
                    "disease_label": to_python(d_label),
                    "phenotype": to_python(phenotype),
                    "phenotype_label": to_python(p_label),
                    "negated": _negated(neg),
                }
                row.update(zip(_ANNOTATION_VALUES, map(to_python, rest), strict=True))
                row["sources"] = sources
                row["modifiers"] = modifiers
                rows.append(row)
    return rows


_SEX_NAMES = {1: "MALE", 2: "FEMALE"}


def _table_annotation_rows(
    table: AnnotationTable, lookups: TripleLookups, node: ox.NamedNode, position: ox.NamedNode
) -> Rows:
    """:func:`_annotation_rows` from a table whose rows hold their nodes' values
    (:attr:`AnnotationTable.node_values`): the same rows, without reading each node's
    triples from the store (~70 us a node on disk); the labels are read as there."""
    of = table.rows_of_iri if position == _RDF_SUBJECT else table.rows_with_term
    found = of(node.value).tolist()
    assert table.frequency_text is not None and table.frequency_exact is not None
    labels: dict[str, list[Any]] = {}

    def labels_of(iri: str) -> list[Any]:
        got = labels.get(iri)
        if got is None:
            objects = lookups.objects(ox.NamedNode(iri), _LABEL)
            got = labels[iri] = [to_python(label) for label in _or_none(objects)]
        return got

    rows: Rows = []
    for r in found:
        disease, phenotype = table.subjects[table.subject[r]], table.terms[table.term[r]]
        frequency = float(table.frequency_exact[r])
        values = {
            "a": table.annotation_iris[r],
            "disease": disease,
            "phenotype": phenotype,
            "negated": bool(table.negated[r]),
            "frequency": None if math.isnan(frequency) else frequency,
            "frequency_term": table.frequency_term[r] or None,
            "frequency_text": table.frequency_text[r] or None,
            "onset": table.onset[r] or None,
            "sex": _SEX_NAMES.get(int(table.sex[r])),
            "evidence": table.evidence[r],
            "aspect": table.aspect[r],
            "sources": " ".join(dict.fromkeys(table.sources[r])) or None,
            "modifiers": " ".join(dict.fromkeys(table.modifier[r])) or None,
        }
        for d_label, p_label in product(labels_of(disease), labels_of(phenotype)):
            rows.append({**values, "disease_label": d_label, "phenotype_label": p_label})
    return rows


#: Query text -> its bound variable -> its evaluation by triple lookups.
INDEX_PLANS: dict[str, dict[str, Callable[[TripleLookups, ox.NamedNode], Rows]]] = {
    Q_NAMES: {"term": _names_rows},
    Q_DEFINITION: {"term": _definition_rows},
    Q_PARENTS: {"term": _parent_rows},
    Q_CHILDREN: {"term": _child_rows},
    Q_TYPES: {"term": _type_rows},
    Q_ANCESTORS: {"term": _ancestor_rows},
    Q_DESCENDANTS: {"term": _descendant_rows},
    Q_GENES_OF_DISEASE: {"disease": _genes_of_disease_rows},
    Q_DISEASES_OF_GENE: {"gene": _diseases_of_gene_rows},
    Q_ANNOTATIONS_OF: {
        "disease": partial(_annotation_rows, position=_RDF_SUBJECT),
        "phenotype": partial(_annotation_rows, position=_RDF_OBJECT),
    },
}


@dataclass(frozen=True, order=True)
class Named:
    """An IRI with its CURIE and label (ordered by IRI, then label)."""

    iri: str
    label: str

    @property
    def curie(self) -> str:
        return compress(self.iri)


def _by_label(n: Named) -> tuple[str, str]:
    return n.label, n.iri


def _annotation_order(a: Annotation) -> tuple[str, str, str, str]:
    return a.disease.label, a.phenotype.label, a.phenotype.iri, a.iri


#: A frequency stated as counts, "124/197".
_COUNTS = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
#: The normal quantile of a two-sided 95% interval.
_Z95 = 1.959964


@dataclass(frozen=True)
class Annotation:
    """One annotation fact with its provenance."""

    iri: str
    disease: Named
    phenotype: Named
    negated: bool
    frequency: float | None
    frequency_term: str | None
    frequency_text: str | None
    onset: str | None
    sex: str | None
    evidence: str | None
    sources: tuple[str, ...]
    aspect: str | None = None
    modifiers: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        """Whether it says the disease has the phenotype: neither NOT nor of frequency 0
        ("0/5", Excluded: none of the patients had it), the rule of the direct
        ``RO:0002200`` edges (:attr:`AnnotationTable.present`)."""
        return not self.negated and self.frequency != 0

    @property
    def frequency_floor(self) -> float | None:
        """The frequency to rank by: for one stated as n/m, the lower end of its 95% Wilson
        interval, so that 124/197 (0.56) ranks above 1/1 (0.21) as better attested; else
        the frequency itself (a class, a percentage), or None when none is stated."""
        counts = _COUNTS.fullmatch(self.frequency_text or "")
        if counts is None:
            return self.frequency
        k, n = int(counts.group(1)), int(counts.group(2))
        if n <= 0 or k > n:
            return self.frequency
        p, z2 = k / n, _Z95 * _Z95
        centre = p + z2 / (2 * n)
        spread = _Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        return max(0.0, (centre - spread) / (1 + z2 / n))

    @property
    def frequency_label(self) -> str:
        """Frequency as a person reads it: stated n/m, percentage, or frequency class."""
        if self.frequency_text:
            return self.frequency_text
        if self.frequency is not None:
            return f"{self.frequency:.0%}"
        return "unknown"


@dataclass(frozen=True)
class TermInfo:
    """Everything `kgfuse kg show` prints about one term."""

    iri: str
    label: str | None
    definition: str | None
    synonyms: dict[str, list[str]]
    parents: list[Named]
    children: list[Named]
    types: list[str] = field(default_factory=list)

    @property
    def curie(self) -> str:
        return compress(self.iri)


_UPDATE = re.compile(
    r"(?:\s*(?:PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>))*\s*"
    r"(INSERT|DELETE|DROP|LOAD|CLEAR|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(
    r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\''  # long strings
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''  # strings
    r'|<[^<>"{}|^`\\\s]*>'  # IRIs
)
_COMMENT = re.compile(r"#[^\n]*")
_SERVICE = re.compile(r"(?<![?$\w:])SERVICE\b", re.IGNORECASE)
#: the query form after the prologue: one other than SELECT is refused before it runs
_OTHER_FORM = re.compile(
    r"(?:\s*(?:PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>))*\s*(CONSTRUCT|DESCRIBE|ASK)\b",
    re.IGNORECASE,
)


def check_user_query(sparql: str) -> None:
    """Refuse a user's query that is an update, calls another endpoint, or is not a SELECT.

    Raises:
        ValueError: an update (``INSERT``, ``DELETE``, ``LOAD`` ...), a ``SERVICE`` clause,
            a ``CONSTRUCT``, ``DESCRIBE`` or ``ASK`` query, each named.
    """
    # strings and IRIs emptied first (they may hold '#' or the words), then comments dropped
    bare = _COMMENT.sub(" ", _QUOTED.sub(lambda m: "<>" if m[0][0] == "<" else '""', sparql))
    update = _UPDATE.match(bare)
    if update:
        raise ValueError(
            f"{update.group(1).upper()} is an update: kgfuse runs read-only SELECT queries"
        )
    if _SERVICE.search(bare):
        raise ValueError(
            "SERVICE calls another SPARQL endpoint: kgfuse does not fetch from the network "
            "for a query; query that endpoint directly"
        )
    other = _OTHER_FORM.match(bare)
    if other:  # refused before it runs (a CONSTRUCT would build all its triples first)
        raise ValueError(
            f"{other.group(1).upper()} is not a SELECT query: kgfuse runs SELECT queries (to "
            "see a node's triples: SELECT ?p ?o WHERE { <iri> ?p ?o }, or kgfuse kg show)"
        )


_PREFIX_DECLARATION = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:\s*<", re.IGNORECASE)
#: A prefixed name's prefix (``x:`` of ``x:y``, ``:`` alone); not a variable's (``?x``), a
#: blank node's (``_:b``) or a language tag's.
_PREFIXED_NAME = re.compile(r"(?<![\w?$@:.-])((?:[A-Za-z][\w.-]*)?):")
#: Oxigraph's messages list every character a token may go on with: cut them here.
_MAX_MESSAGE = 200


def syntax_error_message(sparql: str, error: SyntaxError) -> str:
    """A short message for a query Oxigraph cannot parse: the first prefix the query uses
    without declaring it (Oxigraph's message then ends in ~500 characters of Unicode
    ranges), else the parser's message, cut to :data:`_MAX_MESSAGE` characters."""
    bare = _COMMENT.sub(" ", _QUOTED.sub(lambda m: "<>" if m[0][0] == "<" else '""', sparql))
    declared = set(QUERY_PREFIXES) | {m.group(1) or "" for m in _PREFIX_DECLARATION.finditer(bare)}
    for m in _PREFIXED_NAME.finditer(bare):
        prefix = m.group(1)
        if prefix not in declared:
            return (
                f"unknown prefix '{prefix}:' in the query: declare it (PREFIX {prefix}: "
                f"<http://...>) or use a predeclared one ({', '.join(sorted(QUERY_PREFIXES))})"
            )
    message = " ".join(str(error).split())
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return f"invalid SPARQL query: {message}"


class KnowledgeGraph:
    """A built KG opened read-only: SPARQL, helper queries and derived tables.

    Several processes may open the same KG at once (the store is opened read-only). The KG
    may also sit behind a SPARQL 1.1 endpoint (:mod:`kg.remote`); ``path`` is then the cache
    folder of its derived tables and ``location`` the endpoint's URL.
    """

    def __init__(self, build_dir: Path, store: ox.Store | RemoteStore, manifest: Manifest) -> None:
        self.path = build_dir
        self.store = store
        self.manifest = manifest

    @property
    def location(self) -> str:
        """Where the KG is read from: its endpoint's URL, or its build folder."""
        return self.store.url if isinstance(self.store, RemoteStore) else str(self.path)

    @classmethod
    def open(cls, path: Path | str, *, home: Path | None = None) -> KnowledgeGraph:
        """Open the KG built at ``path`` (a KG folder or one of its builds), or the KG behind
        a SPARQL endpoint when ``path`` is an ``http(s)://`` URL string.

        Args:
            path: KG folder, build folder, or SPARQL query URL.
            home: kgfuse home holding the derived tables cached for an endpoint (default:
                ``$KGFUSE_HOME``, else ``~/.kgfuse``).

        Raises:
            KGNotFoundError: nothing is built there, or the build is damaged.
            EndpointUnreachableError, NotAnEndpointError: the URL gives no SPARQL endpoint.
            TypeError: ``path`` is neither a path nor a string.
        """
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"a KG is opened from a folder path or URL, not {type(path).__name__}")
        if is_endpoint(path):
            from kg.remote import open_endpoint

            remote, folder, remote_manifest = open_endpoint(str(path), home=home)
            return cls(folder, remote, remote_manifest)
        build = resolve_build(Path(path))
        try:
            manifest = Manifest.from_json((build / "manifest.json").read_text(encoding="utf-8"))
            store = ox.Store.read_only(str(build / "store"))
        except (OSError, RuntimeError, ValueError) as exc:  # JSON errors are ValueErrors
            raise KGNotFoundError(
                f"the KG build {build} is damaged ({exc}); rebuild it with kgfuse kg build"
            ) from None
        return cls(build, store, manifest)

    @property
    def fingerprint(self) -> str:
        return self.manifest.fingerprint

    # ---- derived tables (loaded on first use) -------------------------------------------
    @cached_property
    def lexicon(self) -> Lexicon:
        return Lexicon.load(self.path / "derived" / "lexicon.jsonl")

    @cached_property
    def hierarchy(self) -> TermHierarchy:
        return TermHierarchy.load(self.path / "derived")

    @cached_property
    def annotations(self) -> AnnotationTable:
        return AnnotationTable.load(self.path / "derived")

    @cached_property
    def graph(self) -> GraphTensors:
        from kg.tensors import GraphTensors

        return GraphTensors.load(self.path / "derived" / "graph")

    @cached_property
    def lookups(self) -> TripleLookups:
        """The triple lookups of the helper plans on a local store: the build's helper
        triples in memory (:mod:`kg.helper_triples`), or the store's index scans for a build
        that has none."""
        if not isinstance(self.store, ox.Store):
            raise TypeError("the helper plans run on a local store, not on a SPARQL endpoint")
        store_lookups = StoreLookups(self.store)
        derived = self.path / "derived"
        if (derived / HELPER_TRIPLES_FILE).is_file():
            return HelperTriples.load(derived, store_lookups)
        return store_lookups

    @cached_property
    def labels(self) -> dict[str, str]:
        """IRI -> label of every named node."""
        return self.lexicon.labels()

    # ---- SPARQL --------------------------------------------------------------------------
    def select(self, query: str, **bindings: BindingValue) -> list[dict[str, Any]]:
        """Rows of a SELECT query as dicts; keyword arguments are bound, never formatted.

        The helpers' single-pattern queries (:data:`INDEX_PLANS`) run as triple lookups
        (:attr:`lookups`) on a local store; every other query, and every query on an
        endpoint, as SPARQL.
        """
        plans = INDEX_PLANS.get(query)
        if plans is not None and isinstance(self.store, ox.Store) and len(bindings) == 1:
            [(variable, value)] = bindings.items()
            rows_of = plans.get(variable)
            if rows_of is not None and isinstance(value, IRI):
                return rows_of(self.lookups, ox.NamedNode(value.value))
        names, rows = run_select(self.store, query, bindings)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def ask(self, query: str, **bindings: BindingValue) -> bool:
        """Result of an ASK query with bound variables."""
        return run_ask(self.store, query, bindings)

    def query(
        self, sparql: str, *, max_rows: int | None = None, **bindings: BindingValue
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a user's own read-only SELECT query (the store is read-only).

        Args:
            sparql: the query.
            max_rows: read at most this many rows, streamed from the store (default: None,
                all). Ask for one more than you show to tell whether the cap cut the result.
            bindings: values for the query's variables (``name="Arachnodactyly"``,
                ``t=IRI(...)``), bound as RDF terms, never pasted into the text
                (:func:`kg.sparql.bind`).

        Raises:
            ValueError: the text is an update, calls another endpoint (``SERVICE``: a query
                must not make kgfuse fetch from the network), is not a valid SPARQL SELECT
                query (with the parser's message; a prefix it does not declare is named),
                or fails while its rows are read; ``max_rows`` is below 0; a binding names
                no variable of the query.
        """
        if max_rows is not None and max_rows < 0:
            raise ValueError(f"max_rows must be 0 or more, got {max_rows}")
        check_user_query(sparql)
        try:
            names, rows = run_select(self.store, sparql, bindings or None)
            # errors can come while the rows are read
            return names, list(rows if max_rows is None else islice(rows, max_rows))
        except SyntaxError as exc:  # Oxigraph's parse errors; callers treat bad input as ValueError
            raise ValueError(syntax_error_message(sparql, exc)) from None
        except (OSError, RuntimeError) as exc:
            raise ValueError(f"the query failed: {exc}") from None

    # ---- terms ---------------------------------------------------------------------------
    def resolve(self, term: str) -> str:
        """IRI of a CURIE or IRI known to this KG, or of the term an alternative id stands
        for (an obsolete term is known: its own IRI).

        Raises:
            TypeError: ``term`` is not a string.
            UnknownTermError: not in the KG; the message lists close matches.
        """
        if not isinstance(term, str):
            kind = type(term).__name__
            raise TypeError(f"a term id is a string such as 'HP:0001166', not {kind}")
        try:
            iri = to_iri(term.strip())
            known = iri in self.labels or self.ask(Q_EXISTS, term=IRI(iri))
        except ValueError:  # not a CURIE, or not a valid IRI (spaces, '>', newlines ...)
            known = False
        if known:
            return iri
        current = self.hierarchy.resolve(term)  # an alternative id (alt_id) of a term
        if current is not None:
            return current
        raise UnknownTermError(term, self._suggestion_pool())

    def _suggestion_pool(self) -> list[str]:
        return [compress(i) for i in self.labels]

    def label(self, term: str) -> str:
        """Label of a term ("" when it has none)."""
        return self.labels.get(to_iri(term), "")

    def named(self, iri: str) -> Named:
        return Named(iri, self.labels.get(iri, ""))

    def term(self, term: str) -> TermInfo:
        """Label, definition, synonyms by kind, parents and children of a term."""
        iri = self.resolve(term)
        bound = IRI(iri)
        rows = self._name_rows(iri)
        labels = [r for r in rows if r["p"] in _LABEL_PREDICATES]
        preferred = min(labels, key=_label_preference) if labels else None
        label = preferred["name"] if preferred is not None else None
        synonyms: dict[str, list[str]] = {}
        for row in rows:
            if row is preferred:
                continue
            p = row["p"].rsplit("#", 1)[-1]
            synonyms.setdefault(p.removeprefix("has").removesuffix("Synonym").lower(), []).append(
                row["name"]
            )
        defs = self.select(Q_DEFINITION, term=bound)
        parents = _named_once(self.select(Q_PARENTS, term=bound), "parent")
        children = _named_once(self.select(Q_CHILDREN, term=bound), "child")
        types = [r["t"] for r in self.select(Q_TYPES, term=bound)]
        return TermInfo(
            iri,
            label,
            defs[0]["definition"] if defs else None,
            {k: sorted(v, key=str) for k, v in synonyms.items()},  # names may be numbers
            parents,
            children,
            types,
        )

    def _name_rows(self, iri: str) -> Rows:
        """The rows of :data:`Q_NAMES` for a term, labels first (``rdfs:label``, then
        ``skos:prefLabel``), then synonyms in the order of ``_NAME_VALUES``, each kind by
        language (English, none, others: ``label_rank``) and text: the same order from any
        store."""
        rows = self.select(Q_NAMES, term=IRI(iri))
        return sorted(
            rows,
            key=lambda r: (_NAME_ORDER.get(r["p"], 0), label_rank(r["lang"]), str(r["name"])),
        )

    def names(self, term: str) -> list[tuple[str, str]]:
        """(kind, text) of every label and synonym of a term (labels first)."""
        iri = self.resolve(term)
        return [(r["p"].rsplit("#", 1)[-1], r["name"]) for r in self._name_rows(iri)]

    def ancestors(self, term: str) -> list[str]:
        """IRIs of all superclasses of a term (transitive, without the term)."""
        iri = self.resolve(term)
        return [r["ancestor"] for r in self.select(Q_ANCESTORS, term=IRI(iri))]

    def descendants(self, term: str) -> list[str]:
        """IRIs of all subclasses of a term (transitive, without the term), sorted."""
        iri = self.resolve(term)
        return sorted(r["descendant"] for r in self.select(Q_DESCENDANTS, term=IRI(iri)))

    # ---- annotations ---------------------------------------------------------------------
    def _annotations(self, **bindings: BindingValue) -> list[Annotation]:
        out = []
        for r in self._annotation_rows(bindings):
            out.append(
                Annotation(
                    iri=r["a"],
                    disease=Named(r["disease"], r["disease_label"] or ""),
                    phenotype=Named(r["phenotype"], r["phenotype_label"] or ""),
                    negated=bool(r["negated"]),
                    frequency=r["frequency"],
                    frequency_term=r["frequency_term"],
                    # a frequency class reads as its label ("Very frequent"), n/m as stated
                    frequency_text=r["frequency_text"]
                    or (self.labels.get(r["frequency_term"]) if r["frequency_term"] else None),
                    onset=r["onset"],
                    sex=r["sex"],
                    evidence=r["evidence"],
                    sources=tuple(sorted(r["sources"].split())) if r["sources"] else (),
                    aspect=r["aspect"],
                    modifiers=tuple(sorted(r["modifiers"].split())) if r["modifiers"] else (),
                )
            )
        # in one order whatever answered (the store's scans, its SPARQL engine, an endpoint)
        return sorted(out, key=_annotation_order)

    def _annotation_rows(self, bindings: Mapping[str, BindingValue]) -> Rows:
        """The rows of :data:`Q_ANNOTATIONS_OF` with one variable bound: with a disease or a
        phenotype, from the annotation table where its rows hold their nodes' values; else
        (an annotation node, ``a``, or a table without them) from the store."""
        [(variable, value)] = bindings.items()
        position = {"disease": _RDF_SUBJECT, "phenotype": _RDF_OBJECT}.get(variable)
        if position is not None and isinstance(self.store, ox.Store) and isinstance(value, IRI):
            table = self.annotations
            if table.node_values:
                return _table_annotation_rows(
                    table, self.lookups, ox.NamedNode(value.value), position
                )
        return self.select(Q_ANNOTATIONS_OF, **bindings)

    def annotations_of(self, disease: str) -> list[Annotation]:
        """The phenotype annotations of a disease, each with its provenance (by phenotype
        label)."""
        return self._annotations(disease=IRI(self.resolve(disease)))

    def annotations_with(self, phenotype: str) -> list[Annotation]:
        """The annotations whose phenotype is exactly this term (by disease label)."""
        return self._annotations(phenotype=IRI(self.resolve(phenotype)))

    def diseases_with(self, phenotype: str) -> list[Named]:
        """Diseases annotated with a term or any of its descendants."""
        rows = self.select(Q_DISEASES_WITH, term=IRI(self.resolve(phenotype)))
        return sorted(Named(r["disease"], r["label"] or "") for r in rows)

    def genes_of(self, disease: str) -> list[Named]:
        """Genes linked to a disease."""
        rows = self.select(Q_GENES_OF_DISEASE, disease=IRI(self.resolve(disease)))
        return sorted((Named(r["gene"], r["symbol"] or "") for r in rows), key=_by_label)

    def diseases_of_gene(self, gene: str) -> list[Named]:
        """Diseases linked to a gene."""
        rows = self.select(Q_DISEASES_OF_GENE, gene=IRI(self.resolve(gene)))
        return sorted(Named(r["disease"], r["label"] or "") for r in rows)

    def genes_with(self, phenotype: str) -> list[Named]:
        """Genes linked to a phenotype or any of its descendants."""
        rows = self.select(Q_GENES_OF_PHENOTYPE, term=IRI(self.resolve(phenotype)))
        return sorted((Named(r["gene"], r["symbol"] or "") for r in rows), key=_by_label)

    def stats(self) -> Mapping[str, int]:
        """Counts recorded at build time (triples, nodes per type, edges per predicate)."""
        return self.manifest.counts
