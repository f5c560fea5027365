"""Rule checks of a candidate decision against a KG: findings that cite the facts they use.

A *decision* to check is a :class:`CandidateCheck`: a candidate answer (a disease, an offence,
any node of the KG) with the patient's present and excluded terms and, optionally, sex and
age. Each rule reads the KG and returns :class:`Finding` objects; a finding names its rule
(id and version), its kind (supported, contradicted, unexplained, missing hallmark,
demographics, likelihood), a status (pass, fail, warn) and the facts it relies on, each as a
:class:`CitedFact` with its provenance (source, PMID, evidence code, frequency).

Rules come in two flavours behind one :class:`Rule` protocol:

* :class:`SparqlRule`: a SPARQL SELECT file (``*.rq``) with a comment header, written by a
  domain expert without Python (loading a folder of them is one Python call,
  ``RuleSet.load([folder])``; no command takes a rules folder). The binding contract (which
  variables the engine binds, which result variables it reads) and the limits are
  documented in ``sparql/README.md`` next to the packaged rules.
* Python rules (:mod:`kg.rules.phenotype`) for what SPARQL expresses badly: is_a paths,
  frequency thresholds, likelihood ratios.

:class:`RuleSet` loads the packaged rule packs plus user folders and runs them. A rule that
raises, or a SPARQL rule past :data:`MAX_RULE_ROWS` rows or :data:`RULE_DEADLINE_S`, becomes
a finding with status ``error`` (never a silent pass), and every cited fact is checked
against the store (:func:`verify_citations`).

Example:
    >>> kg = KnowledgeGraph.open(default_kg_path("hpo"))                  # doctest: +SKIP
    >>> rules = RuleSet.load()                                           # doctest: +SKIP
    >>> decision = CandidateCheck("OMIM:154700", present=["HP:0001166"])  # doctest: +SKIP
    >>> for f in rules.check(kg, decision): print(f.status, f.message)   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import pyoxigraph as ox

from kg.namespaces import (
    DCTERMS,
    KGV,
    RDF,
    RDFS_LABEL,
    RDFS_SUBCLASS_OF,
    RO_HAS_PHENOTYPE,
    compress,
    to_iri,
)
from kg.sparql import IRI, QUERY_PREFIXES, BindingValue, blank_comments_and_strings, to_term

if TYPE_CHECKING:
    from kg.hierarchy import TermHierarchy
    from kg.knowledge_graph import KnowledgeGraph

logger = logging.getLogger(__name__)

#: A term of a query result.
RDFTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

__all__ = [
    "KINDS",
    "PACKS",
    "SCOPES",
    "SEVERITIES",
    "STATUSES",
    "CandidateCheck",
    "CitationProblem",
    "CitedFact",
    "Finding",
    "Rule",
    "MAX_RULE_ROWS",
    "RULE_DEADLINE_S",
    "RuleDefinitionError",
    "RuleLimitError",
    "RuleSet",
    "SparqlRule",
    "check",
    "describe_statement",
    "describe_statements",
    "display",
    "error_finding",
    "frequency_percent",
    "is_a_path",
    "kg_cache",
    "kg_memo",
    "label_of",
    "path_edges",
    "verify_citations",
]

#: Kinds of findings.
KINDS = (
    "supported",
    "contradicted",
    "unexplained",
    "missing_hallmark",
    "demographics",
    "likelihood",
    "error",
)
#: Outcome of a finding: ``pass`` (the KG agrees), ``fail`` (the KG contradicts the
#: decision), ``warn`` (worth a look), ``error`` (the rule could not run).
STATUSES = ("pass", "fail", "warn", "error")
#: How much a rule matters when it does not pass.
SEVERITIES = ("info", "warning", "critical")
#: What a SPARQL rule runs over: once per decision, per present term, per excluded term, or
#: per term of either kind.
SCOPES = ("decision", "present", "excluded", "terms")
#: Packaged rule packs: SPARQL folder under ``kg/rules/sparql/`` plus Python rules.
PACKS = ("generic", "hpo")

_HEADER_KEYS = ("id", "version", "description", "severity", "kind", "scope", "status", "message")
_REQUIRED_KEYS = ("id", "version", "description", "severity", "kind")
_HEADER_LINE = re.compile(r"^#\s*([A-Za-z_]+)\s*:\s*(.*?)\s*$")
_RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CITE_TRIPLE = re.compile(r"^cite_([spo])(_\w+)?$")
_INPUT_VARIABLES = ("patient_sex", "patient_age")
#: Variables a message template may name besides the query's own: what the engine binds.
_BOUND_VARIABLES = ("disease", "term", "term_status", *_INPUT_VARIABLES)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_OTHER_FORM = re.compile(r"\b(ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_SYNTAX_AT = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)
_SEXES = ("MALE", "FEMALE")
#: Most rows a SPARQL rule may return for one decision; a rule returning more is stopped
#: and reported as an ``error`` finding (a cross product must not fill the memory).
MAX_RULE_ROWS = 100_000
#: Seconds a SPARQL rule may spend returning its rows. Checked between rows: Oxigraph
#: evaluates a query in Rust, where nothing can stop it, so a query that computes for long
#: before its first row (an aggregate, ORDER BY over a cross product) is not cut short.
RULE_DEADLINE_S = 60.0


class RuleDefinitionError(ValueError):
    """A rule file is malformed; names the file and, when known, the line.

    ``key`` names the header key at fault, when it is one (the loader adds its line).
    """

    def __init__(
        self, source: str, message: str, line: int | None = None, *, key: str | None = None
    ) -> None:
        self.source = source
        self.line = line
        self.key = key
        self.reason = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class RuleLimitError(RuntimeError):
    """A SPARQL rule returned more rows than :data:`MAX_RULE_ROWS`, or ran past its
    deadline; the rule set reports it as an ``error`` finding naming the rule."""


# ---- facts and findings -------------------------------------------------------------------
@dataclass(frozen=True)
class CitedFact:
    """One fact of the KG that a finding relies on, with its provenance.

    Either a reified statement (an annotation node: ``iri`` set, ``subject predicate object``
    read from its ``rdf:subject``, ``rdf:predicate``, ``rdf:object``) or a plain triple
    (``iri`` is None), e.g. one ``rdfs:subClassOf`` edge of an is_a path.

    Attributes:
        iri: IRI of the statement node, or None for a plain triple.
        subject, predicate, object: the triple (IRIs; ``object`` is the lexical form when
            ``object_is_literal``).
        sources: IRIs of the references (PubMed, OMIM ...), sorted.
        evidence: evidence code (``PCS``, ``TAS``, ``IEA`` ...).
        frequency: frequency in [0, 1] as stored in the KG.
        frequency_term: IRI of the frequency class (e.g. HP:0040281 Very frequent).
        frequency_text: the frequency as stated by the source (``"124/197"``, ``"80%"``).
        negated: a ``NOT`` statement (the subject does not have the object).
        onset: IRI of the onset class of an annotation.
        sex: ``"MALE"`` or ``"FEMALE"`` for sex-specific annotations.
        object_is_literal: the object is a literal, not an IRI.
    """

    iri: str | None
    subject: str
    predicate: str
    object: str
    sources: tuple[str, ...] = ()
    evidence: str | None = None
    frequency: float | None = None
    frequency_term: str | None = None
    frequency_text: str | None = None
    negated: bool = False
    onset: str | None = None
    sex: str | None = None
    object_is_literal: bool = False

    @property
    def key(self) -> tuple[str | None, str, str, str]:
        """Identity of the fact (statement IRI, or the triple)."""
        return (self.iri, self.subject, self.predicate, self.object)

    @property
    def pmids(self) -> list[str]:
        """The PubMed references as ``PMID:n`` CURIEs."""
        return [compress(s) for s in self.sources if compress(s).startswith("PMID:")]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "iri": self.iri,
            "subject": self.subject,
            "predicate": self.predicate,
            "object": self.object,
            "sources": list(self.sources),
            "evidence": self.evidence,
            "frequency": self.frequency,
            "frequency_term": self.frequency_term,
            "frequency_text": self.frequency_text,
            "negated": self.negated,
            "onset": self.onset,
            "sex": self.sex,
            "object_is_literal": self.object_is_literal,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CitedFact:
        """Inverse of :meth:`to_dict`."""
        return cls(
            iri=data.get("iri"),
            subject=data["subject"],
            predicate=data["predicate"],
            object=data["object"],
            sources=tuple(data.get("sources") or ()),
            evidence=data.get("evidence"),
            frequency=data.get("frequency"),
            frequency_term=data.get("frequency_term"),
            frequency_text=data.get("frequency_text"),
            negated=bool(data.get("negated", False)),
            onset=data.get("onset"),
            sex=data.get("sex"),
            object_is_literal=bool(data.get("object_is_literal", False)),
        )


@dataclass
class Finding:
    """The outcome of one rule for one decision (and, for per-term rules, one term).

    Attributes:
        rule_id, rule_version: the rule that produced it.
        kind: one of :data:`KINDS`.
        status: one of :data:`STATUSES`.
        severity: one of :data:`SEVERITIES` (the rule's).
        message: one sentence for a person, with labels and CURIEs.
        disease: IRI of the candidate the finding is about.
        patient_term: IRI of the patient's term it is about (None for decision-level ones).
        path: is_a path between the patient's term and the KG term it matched, from the more
            specific to the more general term (each step is an ``rdfs:subClassOf`` edge).
        cites: the facts it relies on.
        data: machine-readable values (e.g. ``log10_lr``, ``posttest``, ``match``).
    """

    rule_id: str
    rule_version: str
    kind: str
    status: str
    severity: str
    message: str
    disease: str | None = None
    patient_term: str | None = None
    path: list[str] = field(default_factory=list)
    cites: list[CitedFact] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown finding kind {self.kind!r}; choose one of {', '.join(KINDS)}"
            )
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; choose one of {', '.join(STATUSES)}")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"unknown severity {self.severity!r}; choose one of {', '.join(SEVERITIES)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "kind": self.kind,
            "status": self.status,
            "severity": self.severity,
            "message": self.message,
            "disease": self.disease,
            "patient_term": self.patient_term,
            "path": list(self.path),
            "cites": [c.to_dict() for c in self.cites],
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Inverse of :meth:`to_dict`."""
        return cls(
            rule_id=data["rule_id"],
            rule_version=data["rule_version"],
            kind=data["kind"],
            status=data["status"],
            severity=data["severity"],
            message=data["message"],
            disease=data.get("disease"),
            patient_term=data.get("patient_term"),
            path=list(data.get("path") or []),
            cites=[CitedFact.from_dict(c) for c in data.get("cites") or []],
            data=dict(data.get("data") or {}),
        )


@dataclass(frozen=True)
class CandidateCheck:
    """A candidate decision to check against the KG.

    Args:
        disease: the candidate answer (IRI or CURIE): a disease, an offence, any KG node.
        present: terms stated present (IRIs or CURIEs).
        excluded: terms stated absent.
        sex: ``"MALE"``, ``"FEMALE"`` (any case) or None when unknown.
        age_years: the patient's age in years, or None when unknown.
        onset: the onset class of the disease (IRI or CURIE), or None when unknown.

    Raises:
        ValueError: an id is neither an IRI nor a CURIE, an unknown sex, a negative age.
    """

    disease: str
    present: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    sex: str | None = None
    age_years: float | None = None
    onset: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "disease", to_iri(self.disease.strip()))
        if self.onset is not None:
            object.__setattr__(self, "onset", to_iri(self.onset.strip()))
        object.__setattr__(self, "present", _unique_iris(self.present))
        object.__setattr__(self, "excluded", _unique_iris(self.excluded))
        if self.sex is not None:
            sex = self.sex.strip().upper()
            if sex not in _SEXES:
                raise ValueError(f"unknown sex {self.sex!r}; choose one of male, female")
            object.__setattr__(self, "sex", sex)
        if self.age_years is not None:
            age = float(self.age_years)
            if not age >= 0.0:  # also rejects NaN
                raise ValueError(f"age must be a number of years >= 0, got {self.age_years!r}")
            object.__setattr__(self, "age_years", age)

    def to_dict(self) -> dict[str, Any]:
        return {
            "disease": self.disease,
            "present": list(self.present),
            "excluded": list(self.excluded),
            "sex": self.sex,
            "age_years": self.age_years,
            "onset": self.onset,
        }


def _unique_iris(terms: Iterable[str]) -> tuple[str, ...]:
    if isinstance(terms, str):
        raise TypeError("pass a sequence of terms, not one string")
    out: list[str] = []
    for t in terms:
        iri = to_iri(t.strip())
        if iri not in out:
            out.append(iri)
    return tuple(out)


def frequency_percent(frequency: float) -> str:
    """A frequency in [0, 1] as a percentage: whole percents, with the digits it takes to
    tell a frequency from 0% and 100% (``2/470`` is ``0.4%``, not ``0%``)."""
    text = f"{frequency:.0%}"
    if 0.0 < frequency < 1.0 and text in ("0%", "100%"):
        tail = 100.0 * min(frequency, 1.0 - frequency)
        digits = max(1, min(12, math.ceil(-math.log10(tail))))
        text = f"{100.0 * frequency:.{digits}f}%"
    return text


# ---- per-KG caches --------------------------------------------------------------------------
class _KGCache:
    """Lazily built lookups of one opened KG (the store is read-only, so they stay valid)."""

    def __init__(self) -> None:
        self.labels: dict[str, str] | None = None
        self.extra_labels: dict[str, str] = {}
        self.values: dict[Any, Any] = {}


_CACHES: weakref.WeakKeyDictionary[Any, _KGCache] = weakref.WeakKeyDictionary()


def kg_cache(kg: KnowledgeGraph) -> dict[Any, Any]:
    """A dict of cached values tied to one opened KG (dropped with it); for rule modules."""
    return _cache(kg).values


T = TypeVar("T")


#: Guards every :func:`kg_memo` LRU: the server diagnoses on several threads, and a key
#: found by one thread could be evicted by another before it was moved to the end.
_MEMO_LOCK = threading.Lock()


def kg_memo(kg: KnowledgeGraph, namespace: Any, key: Any, make: Callable[[], T], keep: int) -> T:
    """``make()`` for ``key``, kept in the KG's cache among the ``keep`` most recently used
    keys of ``namespace`` (an LRU per opened KG). Thread-safe; ``make`` runs outside the
    lock (two threads missing the same key may both make it; the last one is kept)."""
    with _MEMO_LOCK:
        cache: OrderedDict[Any, T] = kg_cache(kg).setdefault(namespace, OrderedDict())
        got = cache.get(key)
        if got is not None:
            cache.move_to_end(key)
            return got
    made = make()
    with _MEMO_LOCK:
        cache[key] = made
        cache.move_to_end(key)
        while len(cache) > keep:
            cache.popitem(last=False)
    return made


def _cache(kg: KnowledgeGraph) -> _KGCache:
    cache = _CACHES.get(kg)
    if cache is None:  # two threads at once: both get the one that was stored first
        cache = _CACHES.setdefault(kg, _KGCache())
    return cache


_Q_LABEL = "SELECT ?label WHERE { ?x <" + RDFS_LABEL + "> ?label } LIMIT 1"


def label_of(kg: KnowledgeGraph, iri: str) -> str:
    """Label of a node ("" when it has none).

    Reads the in-memory hierarchy and annotation tables first (the full lexicon of HPO takes
    seconds to load), then asks the store.
    """
    cache = _cache(kg)
    if cache.labels is None:
        labels: dict[str, str] = {}
        try:
            h = kg.hierarchy
            labels.update((t, lab) for t, lab in zip(h.terms, h.labels, strict=True) if lab)
            a = kg.annotations
            labels.update(
                (s, lab) for s, lab in zip(a.subjects, a.subject_labels, strict=True) if lab
            )
        except OSError:  # a KG built without derived tables: the store answers
            logger.debug("no derived tables for %s; labels come from the store", kg.path)
        cache.labels = labels
    got = cache.labels.get(iri)
    if got is None:
        got = cache.extra_labels.get(iri)
    if got is None:
        try:
            rows = kg.select(_Q_LABEL, x=IRI(iri))
        except ValueError:  # not an IRI (a literal value)
            rows = []
        got = cache.extra_labels[iri] = str(rows[0]["label"]) if rows else ""
    return got


def display(kg: KnowledgeGraph, iri: str | None) -> str:
    """``Label (CURIE)`` of a node, or its CURIE when it has no label."""
    if not iri:
        return ""
    label = label_of(kg, iri)
    curie = compress(iri)
    return f"{label} ({curie})" if label else curie


# ---- citations --------------------------------------------------------------------------------
def describe_statement(kg: KnowledgeGraph, fact: str) -> CitedFact | None:
    """A reified statement of the KG as a :class:`CitedFact` (None when ``fact`` is not one).

    Reads the node's triples with one pattern lookup: ``rdf:subject``, ``rdf:predicate``,
    ``rdf:object``, ``dcterms:source`` and the ``kgv:`` qualifiers (negated, evidence,
    frequency, frequencyValue, frequencyText, onset, sex).
    """
    values: dict[str, list[tuple[str, bool]]] = {}
    for p, o, literal in _triples_of(kg, fact):
        values.setdefault(p, []).append((o, literal))

    def one(predicate: str) -> str | None:
        got = sorted(values.get(predicate, []))
        return got[0][0] if got else None

    subject, predicate = one(RDF + "subject"), one(RDF + "predicate")
    objects = sorted(values.get(RDF + "object", []))
    if subject is None or predicate is None or not objects:
        return None
    frequency = one(KGV + "frequencyValue")
    return CitedFact(
        iri=fact,
        subject=subject,
        predicate=predicate,
        object=objects[0][0],
        sources=tuple(sorted(o for o, _ in values.get(DCTERMS + "source", []))),
        evidence=one(KGV + "evidence"),
        frequency=float(frequency) if frequency is not None else None,
        frequency_term=one(KGV + "frequency"),
        frequency_text=one(KGV + "frequencyText"),
        negated=one(KGV + "negated") in ("true", "1"),
        onset=one(KGV + "onset"),
        sex=one(KGV + "sex"),
        object_is_literal=objects[0][1],
    )


def describe_statements(
    kg: KnowledgeGraph, *, fact: str | None = None, subject: str | None = None
) -> dict[str, CitedFact]:
    """Reified statements of the KG as :class:`CitedFact`, by statement IRI.

    Args:
        kg: the KG.
        fact: describe this one statement node.
        subject: describe every statement whose ``rdf:subject`` is this node (e.g. all the
            annotations of one disease).
    """
    iris: list[str] = [fact] if fact is not None else []
    if subject is not None:
        quads = kg.store.quads_for_pattern(
            None, ox.NamedNode(RDF + "subject"), ox.NamedNode(subject), ox.DefaultGraph()
        )
        iris += sorted(q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode))
    out: dict[str, CitedFact] = {}
    for iri in iris:
        described = describe_statement(kg, iri)
        if described is not None:
            out[iri] = described
    return out


def path_edges(path: Sequence[str]) -> list[CitedFact]:
    """The ``rdfs:subClassOf`` triples along an is_a path (specific -> general)."""
    return [
        CitedFact(None, child, RDFS_SUBCLASS_OF, parent)
        for child, parent in zip(path[:-1], path[1:], strict=True)
    ]


_Triple = tuple[str, str, str, bool]  # subject, predicate, object, object is a literal
_VERIFIED_KEY = "citations.verified"
_TRIPLES_KEY = "store.triples"
_MAX_SUBJECTS = 50_000
_MAX_VERIFIED = 200_000


def _required_triples(fact: CitedFact) -> list[_Triple]:
    """The triples that must be in the KG for a cited fact to hold, as cited."""
    if fact.iri is None:
        return [(fact.subject, fact.predicate, fact.object, fact.object_is_literal)]
    f = fact.iri
    out: list[_Triple] = [
        (f, RDF + "subject", fact.subject, False),
        (f, RDF + "predicate", fact.predicate, False),
        (f, RDF + "object", fact.object, fact.object_is_literal),
    ]
    out += [(f, DCTERMS + "source", src, False) for src in fact.sources]
    if fact.evidence is not None:
        out.append((f, KGV + "evidence", fact.evidence, True))
    if fact.frequency_term is not None:
        out.append((f, KGV + "frequency", fact.frequency_term, False))
    if fact.frequency_text is not None:
        out.append((f, KGV + "frequencyText", fact.frequency_text, True))
    if fact.onset is not None:
        out.append((f, KGV + "onset", fact.onset, False))
    if fact.sex is not None:
        out.append((f, KGV + "sex", fact.sex, True))
    if fact.negated:
        out.append((f, KGV + "negated", "true", True))
    return out


def _triples_of(kg: KnowledgeGraph, subject: str) -> frozenset[tuple[str, str, bool]]:
    """(predicate, object, object is a literal) of every triple of a subject (default graph).

    A direct pattern lookup: the same test as ``ASK { <s> <p> <o> }``, without parsing and
    planning a query per triple. The store is read-only, so lookups are kept (LRU) for the
    opened KG: describing a fact and verifying its citation read the store once.
    """

    def read() -> frozenset[tuple[str, str, bool]]:
        quads = kg.store.quads_for_pattern(ox.NamedNode(subject), None, None, ox.DefaultGraph())
        return frozenset(
            (q.predicate.value, _value(q.object) or "", isinstance(q.object, ox.Literal))
            for q in quads
        )

    return kg_memo(kg, _TRIPLES_KEY, subject, read, _MAX_SUBJECTS)


def _check_iris(*values: str) -> None:
    for v in values:
        IRI(v)  # raises ValueError for what cannot be an IRI


@dataclass(frozen=True)
class CitationProblem:
    """A cited fact that is not in the KG (or differs from it)."""

    finding: int
    rule_id: str
    fact: CitedFact
    reason: str


def _citation_problem(fact: CitedFact, kg: KnowledgeGraph) -> str | None:
    """Why a cited fact does not hold in the KG (None when it holds)."""
    required = _required_triples(fact)
    try:
        for s, p, o, literal in required:
            _check_iris(s, p, *(() if literal else (o,)))
    except ValueError as exc:
        return f"not a valid fact: {exc}"
    for s, p, o, literal in required:
        if (p, o, literal) not in _triples_of(kg, s):
            return f"not in the KG (no {compress(s)} {compress(p)} {compress(o)})"
    if fact.iri is not None and not fact.negated:
        negation = {(KGV + "negated", v, True) for v in ("true", "1")}
        if negation & _triples_of(kg, fact.iri):
            return "not in the KG as cited (the statement is negated)"
    return None


def verify_citations(kg: KnowledgeGraph, findings: Sequence[Finding]) -> list[CitationProblem]:
    """Check that every fact any finding cites is in the KG, as cited.

    A statement is checked with its subject, predicate and object, each source, its
    evidence code, frequency class and text, onset, sex and negation (a statement cited as
    positive must not be ``NOT``); a plain triple as it stands. Facts that held once are
    remembered for the opened KG (its store is read-only).

    Returns:
        The problems, in finding order (empty when every citation holds).
    """
    verified: set[CitedFact] = kg_cache(kg).setdefault(_VERIFIED_KEY, set())
    if len(verified) > _MAX_VERIFIED:
        verified.clear()
    reasons: dict[CitedFact, str | None] = {}
    problems: list[CitationProblem] = []
    for i, f in enumerate(findings):
        for fact in f.cites:
            if fact in verified:
                continue
            if fact not in reasons:
                reasons[fact] = _citation_problem(fact, kg)
                if reasons[fact] is None:
                    verified.add(fact)
            reason = reasons[fact]
            if reason is not None:
                problems.append(CitationProblem(i, f.rule_id, fact, reason))
    return problems


# ---- rules ------------------------------------------------------------------------------------
@runtime_checkable
class Rule(Protocol):
    """A check of a decision against the KG.

    Attributes:
        id: unique name, e.g. ``hpo.not-annotated``.
        version: bumped whenever what the rule concludes may change.
        description: one sentence for the rule catalogue.
        severity: one of :data:`SEVERITIES`.
        kind: the kind of its findings (one of :data:`KINDS`).
    """

    @property
    def id(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        """The findings of this rule for one decision."""
        ...


@dataclass(frozen=True)
class SparqlRule:
    """A rule written as a SPARQL SELECT query with a comment header.

    The header (``# key: value`` lines before the query) holds ``id``, ``version``,
    ``description``, ``severity`` and ``kind`` (required) and ``scope``, ``status``,
    ``message`` (optional). Each result row is one firing of the rule; rows about the same
    ``?term`` and ``?annotated`` term become one finding citing all their facts. See
    ``kg/rules/sparql/README.md`` for the binding contract.

    Attributes:
        scope: one of :data:`SCOPES` (default: ``decision``).
        status: status of a firing (default: ``fail``); a row may override it with ``?status``.
        message: message template; ``{var}`` is replaced by the value of ``?var`` in the row
            (``Label (CURIE)`` for IRIs), also ``{disease}``, ``{term}``, ``{patient_sex}``,
            ``{patient_age}`` (default: the description).
        query: the SPARQL text.
        source: where the rule was read from.
    """

    id: str
    version: str
    description: str
    severity: str
    kind: str
    query: str
    scope: str = "decision"
    status: str = "fail"
    message: str = ""
    source: str = "<text>"
    #: most rows the query may return for one decision (:data:`MAX_RULE_ROWS`)
    max_rows: int = field(default=MAX_RULE_ROWS, compare=False)
    #: seconds the query may spend returning its rows (:data:`RULE_DEADLINE_S`; 0: none)
    deadline_s: float = field(default=RULE_DEADLINE_S, compare=False)

    def __post_init__(self) -> None:
        checks = (
            ("severity", self.severity, SEVERITIES),
            ("kind", self.kind, KINDS[:-1]),
            ("scope", self.scope, SCOPES),
            ("status", self.status, STATUSES[:-1]),
        )
        for name, value, choices in checks:
            if value not in choices:
                raise RuleDefinitionError(
                    self.source,
                    f"unknown {name} {value!r}; choose one of {', '.join(choices)}",
                    key=name,
                )
        if not _RULE_ID.match(self.id):
            raise RuleDefinitionError(
                self.source, f"rule id {self.id!r} is not a plain name", key="id"
            )
        variables = _select_variables(self.query, self.source)
        if _WHERE.search(blank_comments_and_strings(self.query)) is None:
            raise RuleDefinitionError(self.source, "the query needs a 'WHERE {' group")
        if self.scope != "decision" and "term" not in variables:
            raise RuleDefinitionError(
                self.source,
                f"a rule of scope {self.scope!r} must select the variable ?term "
                "(rows of all terms come back together)",
            )
        known = set(variables) | set(_BOUND_VARIABLES)
        unknown = [n for n in _PLACEHOLDER.findall(self.message) if n not in known]
        if unknown:
            raise RuleDefinitionError(
                self.source,
                f"the message names {', '.join('{' + n + '}' for n in unknown)}, which is no "
                f"variable of the rule; choose among {', '.join(sorted(known))}",
                key="message",
            )

    @property
    def digest(self) -> str:
        """sha256 of the rule's text (header and query): what exactly ran."""
        text = "\n".join(
            [self.id, self.version, self.severity, self.kind, self.scope, self.status]
            + [self.message, self.query]
        )
        return hashlib.sha256(text.encode()).hexdigest()

    @cached_property
    def reads_disease(self) -> bool:
        """Whether the query reads ``?disease`` (else its rows are the same for every
        candidate of a patient, and are run once: :func:`_cached_rows`)."""
        return _mentions(self.query, "disease")

    @cached_property
    def requires(self) -> tuple[str, ...]:
        """Patient variables the query reads (the rule is skipped when one is unknown);
        worked out once per rule (a rule is immutable)."""
        return tuple(v for v in _INPUT_VARIABLES if _mentions(self.query, v))

    @classmethod
    def from_text(cls, text: str, source: str = "<text>") -> SparqlRule:
        """Parse a rule file's text (a leading byte order mark is dropped).

        The query keeps the file's line numbers (the header lines are blanked, not removed),
        so a syntax error names the line of the file.

        Raises:
            RuleDefinitionError: missing or unknown header keys, bad values, unknown message
                placeholders, a SPARQL syntax error, not a SELECT query.
        """
        text = text.removeprefix("\ufeff")
        header: dict[str, str] = {}
        header_lines: dict[str, int] = {}
        query_lines: list[str] = []
        in_header = True
        for lineno, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if in_header and (not stripped or stripped.startswith("#")):
                m = _HEADER_LINE.match(stripped)
                if m:
                    key = m.group(1).lower()
                    if key not in _HEADER_KEYS:
                        raise RuleDefinitionError(
                            source,
                            f"unknown header key {key!r}; choose among {', '.join(_HEADER_KEYS)}",
                            lineno,
                        )
                    if key in header:
                        raise RuleDefinitionError(source, f"header key {key!r} repeated", lineno)
                    header[key] = m.group(2)
                    header_lines[key] = lineno
                query_lines.append("")  # keep line numbers of the query intact
                continue
            in_header = False
            query_lines.append(line)
        missing = [k for k in _REQUIRED_KEYS if not header.get(k)]
        if missing:
            raise RuleDefinitionError(source, f"the header lacks {', '.join(missing)}")
        query = "\n".join(query_lines).rstrip()  # leading blank lines keep the numbering
        if not query.strip():
            raise RuleDefinitionError(source, "no query after the header")
        try:
            return cls(
                id=header["id"],
                version=header["version"],
                description=header["description"],
                severity=header["severity"],
                kind=header["kind"],
                query=query,
                scope=header.get("scope") or "decision",
                status=header.get("status") or "fail",
                message=header.get("message") or "",
                source=source,
            )
        except RuleDefinitionError as exc:
            if exc.line is None and exc.key in header_lines:
                raise RuleDefinitionError(
                    source, exc.reason, header_lines[exc.key], key=exc.key
                ) from None
            raise

    @classmethod
    def from_file(cls, path: Path | Traversable) -> SparqlRule:
        """Read a ``.rq`` file (UTF-8, with or without a byte order mark).

        Raises:
            RuleDefinitionError: the file is not UTF-8 text, or not a valid rule.
        """
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise RuleDefinitionError(
                str(path),
                f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); "
                "save the file as UTF-8",
                line,
            ) from None
        return cls.from_text(text, source=str(path))

    # ---- running ------------------------------------------------------------------------
    def _bindings(
        self, decision: CandidateCheck
    ) -> tuple[dict[str, BindingValue], list[str], list[tuple[BindingValue, ...]]]:
        """Single-valued bindings, and the per-term table (variable names and rows)."""
        base: dict[str, BindingValue] = {}
        if self.reads_disease:  # a query that ignores it is the same for every candidate
            base["disease"] = IRI(decision.disease)
        if decision.sex is not None and "patient_sex" in self.requires:
            base["patient_sex"] = decision.sex
        if decision.age_years is not None and "patient_age" in self.requires:
            base["patient_age"] = float(decision.age_years)
        if self.scope == "decision":
            return base, [], []
        rows: list[tuple[BindingValue, ...]] = []
        if self.scope in ("present", "terms"):
            rows += [(IRI(t), "present") for t in decision.present]
        if self.scope in ("excluded", "terms"):
            rows += [(IRI(t), "excluded") for t in decision.excluded]
        if self.scope == "terms":
            return base, ["term", "term_status"], rows
        return base, ["term"], [r[:1] for r in rows]

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        """Run the query for the decision and turn its rows into findings.

        Per-term scopes bind ``?term`` to every term at once (a multi-row ``VALUES`` table:
        one query, not one per term); rows are told apart by their ``?term``.
        """
        missing = [
            v
            for v in self.requires
            if (v == "patient_sex" and decision.sex is None)
            or (v == "patient_age" and decision.age_years is None)
        ]
        if missing:
            logger.debug("rule %s skipped: %s unknown", self.id, ", ".join(missing))
            return []
        bindings, names, table = self._bindings(decision)
        if names and not table:
            return []  # no term of the rule's scope
        query = _bind_table(self.query, names, table, bindings)
        groups: dict[tuple[Any, ...], list[dict[str, RDFTerm | None]]] = {}
        for row in _cached_rows(kg, decision, query, self):
            key = tuple(_value(row.get(k)) for k in ("term", "term_status", "annotated"))
            groups.setdefault(key, []).append(row)
        return [self._finding(kg, decision, bindings, rows) for rows in groups.values()]

    def _finding(
        self,
        kg: KnowledgeGraph,
        decision: CandidateCheck,
        bindings: Mapping[str, BindingValue],
        rows: list[dict[str, RDFTerm | None]],
    ) -> Finding:
        first = rows[0]
        values: dict[str, RDFTerm | None] = {
            "disease": ox.NamedNode(decision.disease),
            **{k: to_term(v) for k, v in bindings.items() if k != "disease"},
        }
        values.update({k: v for k, v in first.items() if v is not None or k not in values})
        term = _value(values.get("term"))
        if term and self.scope == "terms" and values.get("term_status") is None:
            values["term_status"] = ox.Literal(
                "present" if term in decision.present else "excluded"
            )
        annotated = _value(first.get("annotated"))
        status = self.status
        if first.get("status") is not None:
            status = _value(first["status"]) or ""
            if status not in STATUSES[:-1]:
                raise ValueError(f"rule {self.id} returned an unknown ?status {status!r}")
        if first.get("message") is not None:
            message = _value(first["message"]) or ""
        else:
            message = _fill(kg, self.message or self.description, values)
        cites: list[CitedFact] = []
        path: list[str] = []
        if term and annotated and term != annotated:
            path = is_a_path(kg, term, annotated)
            cites.extend(path_edges(path))
        seen: set[tuple[Any, ...]] = {c.key for c in cites}
        for row in rows:
            for fact in _row_citations(kg, row):
                if fact.key not in seen:
                    seen.add(fact.key)
                    cites.append(fact)
        return Finding(
            rule_id=self.id,
            rule_version=self.version,
            kind=self.kind,
            status=status,
            severity=self.severity,
            message=message,
            disease=decision.disease,
            patient_term=term,
            path=path,
            cites=cites,
            data={"rows": len(rows), **({"annotated": annotated} if annotated else {})},
        )


def _mentions(query: str, variable: str) -> bool:
    """Whether the query names ``?variable`` or ``$variable`` outside comments and strings."""
    return re.search(rf"[?$]{variable}\b", blank_comments_and_strings(query)) is not None


_EMPTY_STORE: list[ox.Store] = []


def _select_variables(query: str, source: str) -> list[str]:
    """The variables a rule's query selects, read by Oxigraph from an empty store (parsing it
    without reading the KG).

    Raises:
        RuleDefinitionError: a syntax error (with the query's line), not a SELECT query.
    """
    if not _EMPTY_STORE:
        _EMPTY_STORE.append(ox.Store())
    try:
        result = _EMPTY_STORE[0].query(query, prefixes=QUERY_PREFIXES)
    except SyntaxError as exc:
        m = _SYNTAX_AT.match(str(exc))
        if m is None:
            raise RuleDefinitionError(source, f"SPARQL syntax error: {exc}") from None
        line, column, what = int(m.group(1)), int(m.group(2)), " ".join(m.group(3).split())
        if len(what) > 160:  # Oxigraph lists every character class it expected
            what = what[:160] + " ..."
        raise RuleDefinitionError(
            source, f"SPARQL syntax error at column {column}: {what}", line
        ) from None
    if not isinstance(result, ox.QuerySolutions):
        blank = blank_comments_and_strings(query)
        form = _OTHER_FORM.search(blank)
        at = blank.count("\n", 0, form.start()) + 1 if form else None
        kind = form.group(1).upper() if form else type(result).__name__
        raise RuleDefinitionError(source, f"a rule is a SPARQL SELECT query, not {kind}", at)
    return [v.value for v in result.variables]


def _bind_table(
    query: str,
    names: Sequence[str],
    rows: Sequence[Sequence[BindingValue]],
    bindings: Mapping[str, BindingValue] | None = None,
) -> str:
    """The query with ``VALUES ?x { .. }`` for each of ``bindings`` and ``VALUES (?a ?b)
    { (..) (..) }`` for the table, at the start of its first ``WHERE {`` group (found
    outside comments and strings: a comment naming ``where {`` does not receive them).

    Like :func:`kg.sparql.bind`, each value is made an RDF term by Oxigraph and serialised,
    never pasted as text.

    Raises:
        ValueError: a name is not a SPARQL variable name, the query has no ``WHERE {``.
    """
    blocks = []
    for name, value in (bindings or {}).items():
        if not _VARIABLE.fullmatch(name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
        blocks.append(f"VALUES ?{name} {{ {to_term(value)} }}")
    if names:
        for name in names:
            if not _VARIABLE.fullmatch(name):
                raise ValueError(f"not a SPARQL variable name: {name!r}")
        cells = " ".join("(" + " ".join(str(to_term(v)) for v in row) + ")" for row in rows)
        blocks.append(f"VALUES ({' '.join('?' + n for n in names)}) {{ {cells} }}")
    if not blocks:
        return query
    at = _where_end(query)
    if at is None:
        raise ValueError("a query with bound variables needs a 'WHERE {' group")
    return f"{query[:at]} {' '.join(blocks)} {query[at:]}"


@lru_cache(maxsize=256)
def _where_end(query: str) -> int | None:
    """Offset just past the first ``WHERE {`` of ``query`` outside comments and strings
    (None when it has none); kept per query, since a rule binds the same text each call."""
    m = _WHERE.search(blank_comments_and_strings(query))
    return None if m is None else m.end()


def _select_terms(
    kg: KnowledgeGraph,
    query: str,
    max_rows: int = MAX_RULE_ROWS,
    deadline_s: float = RULE_DEADLINE_S,
) -> list[dict[str, RDFTerm | None]]:
    """Rows of a SELECT as Oxigraph terms (literals keep their lexical form and datatype).

    Raises:
        RuleLimitError: more than ``max_rows`` rows, or rows still coming after
            ``deadline_s`` seconds (0: no deadline); the rows are read one by one, so a
            cross product stops at the limit instead of filling the memory.
    """
    started = time.monotonic()
    result = kg.store.query(query, prefixes=QUERY_PREFIXES)
    if not isinstance(result, ox.QuerySolutions):
        raise ValueError("a rule must be a SELECT query")
    names = [v.value for v in result.variables]
    rows: list[dict[str, RDFTerm | None]] = []
    for row in result:
        if len(rows) >= max_rows:
            raise RuleLimitError(
                f"the query returned more than {max_rows:,} rows and was stopped: narrow it "
                "(bind ?disease or ?term early, add a LIMIT)"
            )
        if deadline_s > 0 and len(rows) % 256 == 0 and time.monotonic() - started > deadline_s:
            raise RuleLimitError(
                f"the query ran past {deadline_s:g} s and was stopped after {len(rows):,} rows"
            )
        rows.append({n: row[n] for n in names})
    return rows


#: Patients whose rule rows are kept: the current one (its candidates are checked in turn)
#: and one more for a concurrent request. Rows are not kept across patients, so a benchmark
#: repeating the same notes measures the queries, not a cache.
_RULE_ROWS_PATIENTS = 2


def _cached_rows(
    kg: KnowledgeGraph, decision: CandidateCheck, query: str, rule: SparqlRule | None = None
) -> list[dict[str, RDFTerm | None]]:
    """:func:`_select_terms` of a fully bound rule query, kept for the other candidates of
    the same patient (a KG build does not change; its rows are immutable terms)."""
    patient = (decision.present, decision.excluded, decision.sex, decision.age_years)
    queries: dict[str, list[dict[str, RDFTerm | None]]] = kg_memo(
        kg, "engine.rule_rows", patient, dict, _RULE_ROWS_PATIENTS
    )
    rows = queries.get(query)
    if rows is None:
        if rule is None:
            rows = _select_terms(kg, query)
        else:
            rows = _select_terms(kg, query, rule.max_rows, rule.deadline_s)
        queries[query] = rows
    return rows


def _value(term: RDFTerm | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def _fill(kg: KnowledgeGraph, template: str, values: Mapping[str, RDFTerm | None]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            logger.warning("message placeholder {%s} names no variable of the rule", name)
            return m.group(0)
        term = values[name]
        if term is None:  # an optional variable left unbound in this row
            return ""
        if isinstance(term, ox.NamedNode):
            return display(kg, term.value)
        return _value(term) or ""

    return _PLACEHOLDER.sub(sub, template)


def _row_citations(kg: KnowledgeGraph, row: Mapping[str, RDFTerm | None]) -> list[CitedFact]:
    out: list[CitedFact] = []
    triples: dict[str, dict[str, RDFTerm]] = {}
    for name, term in row.items():
        if term is None:
            continue
        if name == "fact" or name.startswith("fact_"):
            if not isinstance(term, ox.NamedNode):
                raise ValueError(f"?{name} must be the IRI of a statement, got {term}")
            described = describe_statement(kg, term.value)
            if described is None:
                raise ValueError(f"?{name} {term.value} is not a reified statement of the KG")
            out.append(described)
            continue
        m = _CITE_TRIPLE.match(name)
        if m:
            triples.setdefault(m.group(2) or "", {})[m.group(1)] = term
    for suffix, spo in sorted(triples.items()):
        if set(spo) != {"s", "p", "o"}:
            raise ValueError(f"?cite_s{suffix}, ?cite_p{suffix}, ?cite_o{suffix} must all be bound")
        s, p, o = spo["s"], spo["p"], spo["o"]
        if not isinstance(s, ox.NamedNode) or not isinstance(p, ox.NamedNode):
            raise ValueError(f"?cite_s{suffix} and ?cite_p{suffix} must be IRIs")
        if not isinstance(o, (ox.NamedNode, ox.Literal)):
            raise ValueError(f"?cite_o{suffix} must be an IRI or a literal")
        out.append(
            CitedFact(
                None,
                s.value,
                p.value,
                o.value,
                object_is_literal=isinstance(o, ox.Literal),
            )
        )
    return out


def is_a_path(kg: KnowledgeGraph, a: str, b: str) -> list[str]:
    """Shortest is_a path between two terms, from the more specific to the more general.

    Returns ``[a]`` when ``a == b`` and ``[]`` when neither is an ancestor of the other (or a
    term is not a class of the KG).
    """
    try:
        h = kg.hierarchy
        ia, ib = h.index(a), h.index(b)
    except (KeyError, ValueError, OSError):
        return []
    return [h.terms[i] for i in is_a_path_indices(h, ia, ib)]


def ancestor_indices(hierarchy: TermHierarchy, i: int) -> np.ndarray:
    """Sorted indices of term ``i`` and its ancestors (a row of the closure)."""
    c = hierarchy.closure
    return c.indices[c.indptr[i] : c.indptr[i + 1]]


def is_ancestor(hierarchy: TermHierarchy, ancestor: int, term: int) -> bool:
    """Whether ``ancestor`` is ``term`` or one of its ancestors."""
    row = ancestor_indices(hierarchy, term)
    k = int(np.searchsorted(row, ancestor))
    return k < len(row) and int(row[k]) == ancestor


def is_a_path_indices(hierarchy: TermHierarchy, a: int, b: int) -> list[int]:
    """:func:`is_a_path` on term indices."""
    if is_ancestor(hierarchy, b, a):
        lo, hi = a, b
    elif is_ancestor(hierarchy, a, b):
        lo, hi = b, a
    else:
        return []
    # breadth-first up from the specific term, staying below the general one
    prev: dict[int, int] = {lo: -1}
    frontier = [lo]
    while frontier and hi not in prev:
        nxt: list[int] = []
        for i in frontier:
            for p in hierarchy.parents(i):
                p = int(p)
                if p not in prev and is_ancestor(hierarchy, hi, p):
                    prev[p] = i
                    nxt.append(p)
        frontier = nxt
    out = [hi]
    while prev[out[-1]] != -1:
        out.append(prev[out[-1]])
    return out[::-1]


# ---- rule sets --------------------------------------------------------------------------------
def _pack_folder(pack: str) -> Traversable:
    return resources.files("kg.rules").joinpath("sparql", pack)


def _python_rules(pack: str) -> list[Rule]:
    from kg.rules import phenotype  # local: phenotype imports this module

    return phenotype.python_rules(pack)


@dataclass
class RuleSet:
    """An ordered collection of rules, run together on a decision.

    Build it with :meth:`load`; run it with :meth:`check`.
    """

    rules: list[Rule]

    def __post_init__(self) -> None:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> Rule:
        """The rule with this id.

        Raises:
            KeyError: no such rule (the message lists the ids).
        """
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"no rule {rule_id!r}; known: {', '.join(r.id for r in self.rules)}")

    @classmethod
    def load(
        cls,
        folders: Sequence[Path | str] = (),
        *,
        packs: Sequence[str] = PACKS,
        python: bool = True,
    ) -> RuleSet:
        """The packaged rules of ``packs`` followed by the ``*.rq`` files of ``folders``.

        A rule file of ``folders`` whose id equals a packaged rule's replaces it (logged as a
        warning), so a domain expert can override a packaged rule without touching the
        package; two rules of the same id anywhere else (two files of the folders) are an
        error naming both.

        Args:
            folders: folders of ``.rq`` files (read in name order, not recursively).
            packs: packaged packs to include (default: every pack, :data:`PACKS`).
            python: include the packs' Python rules (default: ``True``).

        Raises:
            ValueError: an unknown pack name (listing the choices), a folder not found.
            RuleDefinitionError: a malformed rule file, two rule files with the same id.
        """
        rules: dict[str, Rule] = {}
        packaged: set[str] = set()

        def add(rule: Rule, user: bool) -> None:
            if rule.id in rules:
                earlier = rules[rule.id]
                if not (user and rule.id in packaged):
                    raise RuleDefinitionError(
                        _source(rule),
                        f"rule id {rule.id!r} is already the id of {_source(earlier)}",
                    )
                logger.warning(
                    "rule %s from %s replaces the packaged one (%s)",
                    rule.id,
                    _source(rule),
                    _source(earlier),
                )
                packaged.discard(rule.id)
            elif not user:
                packaged.add(rule.id)
            rules[rule.id] = rule

        for pack in packs:
            if pack not in PACKS:
                raise ValueError(f"unknown rule pack {pack!r}; choose among {', '.join(PACKS)}")
            folder = _pack_folder(pack)
            files = sorted(
                (f for f in folder.iterdir() if f.name.endswith(".rq")), key=lambda f: f.name
            )
            for f in files:
                add(SparqlRule.from_file(f), False)
            if python:
                for rule in _python_rules(pack):
                    add(rule, False)
        for user_folder in folders:
            path = Path(user_folder).expanduser()
            if not path.is_dir():
                raise FileNotFoundError(f"rules folder not found: {path}")
            for f in sorted(path.glob("*.rq")):
                add(SparqlRule.from_file(f), True)
        logger.info("loaded %d rules", len(rules))
        return cls(list(rules.values()))

    def with_rule(self, rule: Rule) -> RuleSet:
        """A copy of the set with ``rule`` in place of the rule of the same id.

        Raises:
            KeyError: the set has no rule of that id.
        """
        self.get(rule.id)
        return RuleSet([rule if r.id == rule.id else r for r in self.rules])

    @property
    def fingerprint(self) -> str:
        """sha256 over every rule's id, version and (for SPARQL rules) text."""
        h = hashlib.sha256()
        for r in self.rules:
            h.update(f"{r.id}\t{r.version}\t{getattr(r, 'digest', '')}\n".encode())
        return h.hexdigest()

    def catalogue(self) -> list[dict[str, str]]:
        """id, version, kind, severity, description and source of each rule."""
        return [
            {
                "id": r.id,
                "version": r.version,
                "kind": r.kind,
                "severity": r.severity,
                "description": r.description,
                "source": _source(r),
            }
            for r in self.rules
        ]

    def check(
        self, kg: KnowledgeGraph, decision: CandidateCheck, *, verify: bool = True
    ) -> list[Finding]:
        """Run every rule on a decision.

        A rule that raises yields one finding with status ``error`` naming the exception
        (so does a SPARQL rule past its row limit or deadline, :class:`RuleLimitError`).
        With ``verify`` every cited fact is checked against the store; a citation that does
        not hold yields an ``error`` finding of the pseudo-rule ``kgfuse.citations``, and so
        does a phenotype annotation a SPARQL rule cites about another subject than the
        candidate (a query that left ``?disease`` unbound).
        """
        findings: list[Finding] = []
        sparql_findings: set[int] = set()
        for rule in self.rules:
            started = time.perf_counter()
            try:
                got = list(rule.check(kg, decision))
                wrong = [type(f).__name__ for f in got if not isinstance(f, Finding)]
                if wrong:
                    raise TypeError(f"a rule must return Finding objects, got {', '.join(wrong)}")
            except Exception as exc:  # noqa: BLE001 - any failure must surface as a finding
                logger.warning("rule %s failed: %s: %s", rule.id, type(exc).__name__, exc)
                got = [error_finding(rule, decision, exc)]
            if isinstance(rule, SparqlRule):
                sparql_findings.update(range(len(findings), len(findings) + len(got)))
            logger.debug(
                "rule %s: %d findings in %.1f ms",
                rule.id,
                len(got),
                1000 * (time.perf_counter() - started),
            )
            findings.extend(got)
        if verify:
            problems = verify_citations(kg, findings) + _subject_problems(findings, sparql_findings)
            for problem in sorted(problems, key=lambda p: p.finding):
                f = findings[problem.finding]
                findings.append(
                    Finding(
                        rule_id="kgfuse.citations",
                        rule_version="1",
                        kind="error",
                        status="error",
                        severity="critical",
                        message=(
                            f"rule {f.rule_id} cites a fact {problem.reason}: "
                            f"{_fact_text(problem.fact)}"
                        ),
                        disease=f.disease,
                        patient_term=f.patient_term,
                        cites=[],
                        data={"finding": problem.finding, "fact": problem.fact.to_dict()},
                    )
                )
        return findings


def _subject_problems(findings: Sequence[Finding], which: Iterable[int]) -> list[CitationProblem]:
    """Phenotype annotations (``has phenotype`` statements) that the findings ``which`` cite
    about another subject than their candidate: the rule blames the candidate for another
    node's facts (e.g. a query whose ``?disease`` was left unbound)."""
    out = []
    for i in sorted(which):
        f = findings[i]
        for fact in f.cites:
            if (
                fact.iri is not None
                and fact.predicate == RO_HAS_PHENOTYPE
                and f.disease is not None
                and fact.subject != f.disease
            ):
                reason = (
                    f"about {compress(fact.subject)}, not about the candidate {compress(f.disease)}"
                )
                out.append(CitationProblem(i, f.rule_id, fact, reason))
    return out


def error_finding(rule: Rule, decision: CandidateCheck, exc: BaseException) -> Finding:
    """The finding that stands for a rule that failed to run."""
    return Finding(
        rule_id=getattr(rule, "id", type(rule).__name__),
        rule_version=str(getattr(rule, "version", "?")),
        kind="error",
        status="error",
        severity="critical",
        message=f"rule {getattr(rule, 'id', rule)} failed to run: {type(exc).__name__}: {exc}",
        disease=decision.disease,
        data={"rule_kind": getattr(rule, "kind", None), "exception": type(exc).__name__},
    )


def _fact_text(fact: CitedFact) -> str:
    triple = f"{compress(fact.subject)} {compress(fact.predicate)} {compress(fact.object)}"
    return f"{fact.iri} ({triple})" if fact.iri else triple


def _source(rule: Rule) -> str:
    return str(getattr(rule, "source", f"python:{type(rule).__module__}.{type(rule).__name__}"))


_DEFAULT_RULES: list[RuleSet] = []


def check(
    kg: KnowledgeGraph,
    decision: CandidateCheck,
    rules: RuleSet | None = None,
    *,
    verify: bool = True,
) -> list[Finding]:
    """Check a decision with ``rules`` (default: every packaged pack, loaded once)."""
    if rules is None:
        if not _DEFAULT_RULES:
            _DEFAULT_RULES.append(RuleSet.load())
        rules = _DEFAULT_RULES[0]
    return rules.check(kg, decision, verify=verify)
