"""Facts of a knowledge graph, as retrieval sees them, and their verbalisation.

A *fact* is either

- an **annotation** record (an n-ary ``kgv:PhenotypeAnnotation`` node: subject, relation,
  object, negation, frequency, evidence code and sources), or
- a **triple** ``(subject, predicate, object)`` between two graph nodes (gene-phenotype,
  gene-disease, ``rdfs:subClassOf``, any object property of any ontology).

A triple that an annotation record already states (same subject, predicate and object) is
not a separate fact: the annotation is the richer one and carries its provenance.

:class:`FactTable` holds the facts column-wise (HPO has about 570k of them) and makes a
:class:`Fact` object only for the facts a caller looks at. Every fact has a verbalisation
such as ``"Marfan syndrome has phenotype Arachnodactyly; frequent; evidence TAS;
PMID:12345"``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from kg.annotations import AnnotationTable
from kg.namespaces import (
    RDF_TYPE,
    RDFS_SUBCLASS_OF,
    RO_GENE_CONTRIBUTES_TO,
    RO_HAS_PHENOTYPE,
    compress,
    to_iri,
)
from kg.shared_values import shared_rows
from kg.tensors import GraphTensors

if TYPE_CHECKING:
    from kg.knowledge_graph import KnowledgeGraph

__all__ = [
    "ANNOTATION",
    "TRIPLE",
    "Fact",
    "FactTable",
    "extract_facts",
    "facts_from_tables",
    "relation_label",
    "verbalise",
]

FactKind = Literal["annotation", "triple"]
TRIPLE, ANNOTATION = 0, 1
_KIND_NAMES: tuple[FactKind, FactKind] = ("triple", "annotation")

#: Readable names of common relations whose IRIs carry no label in most KGs.
DEFAULT_RELATION_LABELS: dict[str, str] = {
    RO_HAS_PHENOTYPE: "has phenotype",
    RO_GENE_CONTRIBUTES_TO: "contributes to condition",
    RDFS_SUBCLASS_OF: "is a",
    RDF_TYPE: "is a",
}
#: Sources named in a verbalisation (all of them stay in :attr:`Fact.sources`).
MAX_SOURCES_IN_TEXT = 3


def relation_label(iri: str, labels: Mapping[str, str]) -> str:
    """Readable name of a relation: its label, a known default, or its split local name.

    Example:
        >>> relation_label("https://example.org/legal#hasElement", {})
        'has element'
    """
    if labels.get(iri):
        return labels[iri]
    if iri in DEFAULT_RELATION_LABELS:
        return DEFAULT_RELATION_LABELS[iri]
    local = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ")
    return words.lower().strip() or compress(iri)


def verbalise(
    subject_label: str,
    predicate_label: str,
    object_label: str,
    *,
    negated: bool = False,
    frequency_label: str | None = None,
    evidence: str | None = None,
    sources: Sequence[str] = (),
) -> str:
    """The sentence of a fact: ``"<subject> <relation> <object>"`` and its qualifiers.

    Qualifiers follow after semicolons: frequency, ``evidence <code>``, up to
    :data:`MAX_SOURCES_IN_TEXT` source CURIEs. A negated fact starts with ``NOT``.

    Example:
        >>> verbalise("Marfan syndrome", "has phenotype", "Arachnodactyly",
        ...           frequency_label="frequent", sources=["https://pubmed.ncbi.nlm.nih.gov/1"])
        'Marfan syndrome has phenotype Arachnodactyly; frequent; PMID:1'
    """
    parts = [f"{'NOT ' if negated else ''}{subject_label} {predicate_label} {object_label}"]
    if frequency_label:
        parts.append(frequency_label)
    if evidence:
        parts.append(f"evidence {evidence}")
    if sources:
        cited = [compress(s) for s in sources[:MAX_SOURCES_IN_TEXT]]
        more = len(sources) - len(cited)
        parts.append(", ".join(cited) + (f" (+{more} more)" if more > 0 else ""))
    return "; ".join(parts)


@dataclass(frozen=True)
class Fact:
    """One fact with its IRIs, labels and provenance.

    To add a fact to an index, build one with ``id=-1``; the index assigns the id and
    recomputes ``text``.

    Attributes:
        id: row of the fact in its table (and in the FAISS index); -1 before it is added.
        kind: ``"annotation"`` or ``"triple"``.
        subject, predicate, object: IRIs.
        subject_label, predicate_label, object_label: readable names ("" when unknown).
        annotation: IRI of the annotation node (annotation facts only).
        negated: the NOT qualifier (an excluded phenotype).
        frequency: stated frequency in [0, 1], or None.
        frequency_term: IRI of the frequency class (``HP:0040281`` ...), or None.
        frequency_label: frequency as a reader sees it (``"frequent"``, ``"50%"``) or None.
        evidence: evidence code (``TAS``, ``PCS``, ``IEA`` ...), or None.
        sources: source IRIs (PMIDs, OMIM entries ...).
        subject_type, object_type: node type IRIs, when known.
        text: the verbalisation (:func:`verbalise`).
    """

    id: int
    kind: FactKind
    subject: str
    predicate: str
    object: str
    subject_label: str = ""
    predicate_label: str = ""
    object_label: str = ""
    annotation: str | None = None
    negated: bool = False
    frequency: float | None = None
    frequency_term: str | None = None
    frequency_label: str | None = None
    evidence: str | None = None
    sources: tuple[str, ...] = ()
    subject_type: str | None = None
    object_type: str | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _KIND_NAMES:
            raise ValueError(f"unknown fact kind {self.kind!r}; choose one of {_KIND_NAMES}")
        if self.frequency is not None and not 0.0 <= self.frequency <= 1.0:
            raise ValueError(f"frequency must be in [0, 1], got {self.frequency}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view with IRIs and CURIEs."""
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "subject": {
                "iri": self.subject,
                "curie": compress(self.subject),
                "label": self.subject_label,
            },
            "predicate": {
                "iri": self.predicate,
                "curie": compress(self.predicate),
                "label": self.predicate_label,
            },
            "object": {
                "iri": self.object,
                "curie": compress(self.object),
                "label": self.object_label,
            },
            "annotation": self.annotation,
            "negated": self.negated,
            "frequency": self.frequency,
            "frequency_term": self.frequency_term,
            "frequency_label": self.frequency_label,
            "evidence": self.evidence,
            "sources": list(self.sources),
            "source_curies": [compress(s) for s in self.sources],
        }


@dataclass
class FactTable:
    """Facts as parallel columns, over a node table and a relation table.

    Attributes:
        nodes: IRI of each node; the first rows are the graph's nodes in graph order.
        node_labels: label of each node (its CURIE when it has none).
        node_type: ``[num_nodes]`` int16 index into ``node_type_names``, -1 when unknown.
        node_type_names: node type IRIs.
        relations: predicate IRIs; the first rows are the graph's relations in its order.
        relation_labels: readable name of each relation.
        evidence_codes: evidence codes, most frequent first.
        kind: ``[num_facts]`` int8, :data:`TRIPLE` or :data:`ANNOTATION`.
        subject, predicate, object: ``[num_facts]`` int32 rows of ``nodes`` / ``relations``.
        negated: ``[num_facts]`` bool.
        frequency: ``[num_facts]`` float32, NaN when not stated.
        frequency_term: ``[num_facts]`` int32 row of ``nodes``, -1 when none.
        evidence: ``[num_facts]`` int16 index into ``evidence_codes``, -1 when none.
        annotations: ``[num_facts]`` annotation IRI, "" for triples.
        sources: ``[num_facts]`` source IRIs.
    """

    nodes: list[str]
    node_labels: list[str]
    node_type: np.ndarray
    node_type_names: list[str]
    relations: list[str]
    relation_labels: list[str]
    evidence_codes: list[str]
    kind: np.ndarray
    subject: np.ndarray
    predicate: np.ndarray
    object: np.ndarray
    negated: np.ndarray
    frequency: np.ndarray
    frequency_term: np.ndarray
    evidence: np.ndarray
    annotations: list[str]
    sources: list[list[str]]
    _node_index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n = len(self.kind)
        columns = ("subject", "predicate", "object", "negated", "frequency")
        for name in (*columns, "frequency_term", "evidence"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"column {name} has {len(getattr(self, name))} rows, expected {n}")
        if len(self.annotations) != n or len(self.sources) != n:
            raise ValueError("annotations and sources need one entry per fact")
        if len(self.node_labels) != len(self.nodes) or len(self.node_type) != len(self.nodes):
            raise ValueError("node_labels and node_type need one entry per node")
        self._node_index = {iri: i for i, iri in enumerate(self.nodes)}

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    def node_index(self, iri: str) -> int | None:
        """Row of a node given as IRI or CURIE, or None when no fact table row has it."""
        i = self._node_index.get(iri)
        if i is None and not iri.startswith(("http://", "https://", "urn:")):
            try:
                i = self._node_index.get(to_iri(iri))
            except ValueError:
                return None
        return i

    def add_node(self, iri: str, label: str = "", type_iri: str | None = None) -> int:
        """Row of a node, appending it when new."""
        i = self._node_index.get(iri)
        if i is not None:
            return i
        i = len(self.nodes)
        self.nodes.append(iri)
        self.node_labels.append(label or compress(iri))
        t = -1
        if type_iri:
            if type_iri not in self.node_type_names:
                self.node_type_names.append(type_iri)
            t = self.node_type_names.index(type_iri)
        self.node_type = np.append(self.node_type, np.int16(t))
        self._node_index[iri] = i
        return i

    def add_relation(self, iri: str, label: str = "") -> int:
        """Row of a relation, appending it when new."""
        if iri in self.relations:
            return self.relations.index(iri)
        self.relations.append(iri)
        self.relation_labels.append(label or relation_label(iri, {}))
        return len(self.relations) - 1

    def frequency_label(self, i: int) -> str | None:
        """Frequency of fact ``i`` as a reader sees it (class label or percentage)."""
        ft = int(self.frequency_term[i])
        if ft >= 0:
            return self.node_labels[ft].lower()
        f = float(self.frequency[i])
        return None if np.isnan(f) else f"{f:.0%}"

    def text(self, i: int) -> str:
        """Verbalisation of fact ``i``."""
        ev = int(self.evidence[i])
        return verbalise(
            self.node_labels[int(self.subject[i])],
            self.relation_labels[int(self.predicate[i])],
            self.node_labels[int(self.object[i])],
            negated=bool(self.negated[i]),
            frequency_label=self.frequency_label(i),
            evidence=self.evidence_codes[ev] if ev >= 0 else None,
            sources=self.sources[i],
        )

    def _type_of(self, node: int) -> str | None:
        t = int(self.node_type[node])
        return self.node_type_names[t] if t >= 0 else None

    def fact(self, i: int) -> Fact:
        """Fact ``i`` as an object."""
        if not 0 <= i < len(self):
            raise IndexError(f"fact {i} out of range (0..{len(self) - 1})")
        s, p, o = int(self.subject[i]), int(self.predicate[i]), int(self.object[i])
        f = float(self.frequency[i])
        ft, ev = int(self.frequency_term[i]), int(self.evidence[i])
        return Fact(
            id=i,
            kind=_KIND_NAMES[int(self.kind[i])],
            subject=self.nodes[s],
            predicate=self.relations[p],
            object=self.nodes[o],
            subject_label=self.node_labels[s],
            predicate_label=self.relation_labels[p],
            object_label=self.node_labels[o],
            annotation=self.annotations[i] or None,
            negated=bool(self.negated[i]),
            frequency=None if np.isnan(f) else f,
            frequency_term=self.nodes[ft] if ft >= 0 else None,
            frequency_label=self.frequency_label(i),
            evidence=self.evidence_codes[ev] if ev >= 0 else None,
            sources=tuple(self.sources[i]),
            subject_type=self._type_of(s),
            object_type=self._type_of(o),
            text=self.text(i),
        )

    def __getitem__(self, i: int) -> Fact:
        return self.fact(i)

    def append(self, facts: Sequence[Fact]) -> np.ndarray:
        """Append facts (their ``id`` and ``text`` are ignored); returns their new ids."""
        start = len(self)
        rows: dict[str, list[Any]] = {k: [] for k in ("k", "s", "p", "o", "n", "f", "ft", "ev")}
        for fact in facts:
            rows["k"].append(ANNOTATION if fact.kind == "annotation" else TRIPLE)
            rows["s"].append(self.add_node(fact.subject, fact.subject_label, fact.subject_type))
            rows["p"].append(self.add_relation(fact.predicate, fact.predicate_label))
            rows["o"].append(self.add_node(fact.object, fact.object_label, fact.object_type))
            rows["n"].append(fact.negated)
            rows["f"].append(np.nan if fact.frequency is None else fact.frequency)
            rows["ft"].append(self.add_node(fact.frequency_term) if fact.frequency_term else -1)
            if fact.evidence and fact.evidence not in self.evidence_codes:
                self.evidence_codes.append(fact.evidence)
            rows["ev"].append(self.evidence_codes.index(fact.evidence) if fact.evidence else -1)
            self.annotations.append(fact.annotation or "")
            self.sources.append(list(fact.sources))
        self.kind = np.concatenate([self.kind, np.asarray(rows["k"], dtype=np.int8)])
        self.subject = np.concatenate([self.subject, np.asarray(rows["s"], dtype=np.int32)])
        self.predicate = np.concatenate([self.predicate, np.asarray(rows["p"], dtype=np.int32)])
        self.object = np.concatenate([self.object, np.asarray(rows["o"], dtype=np.int32)])
        self.negated = np.concatenate([self.negated, np.asarray(rows["n"], dtype=bool)])
        self.frequency = np.concatenate([self.frequency, np.asarray(rows["f"], dtype=np.float32)])
        self.frequency_term = np.concatenate(
            [self.frequency_term, np.asarray(rows["ft"], dtype=np.int32)]
        )
        self.evidence = np.concatenate([self.evidence, np.asarray(rows["ev"], dtype=np.int16)])
        return np.arange(start, len(self), dtype=np.int64)

    # ---- filters -------------------------------------------------------------------------
    def relation_mask(self, relations: Iterable[str]) -> np.ndarray:
        """``[num_facts]`` bool: the fact's predicate is one of ``relations`` (IRIs or CURIEs).

        Raises:
            ValueError: a relation is not in the table; the message lists the known ones.
        """
        wanted = []
        for r in relations:
            iri = r if r in self.relations else _maybe_iri(r)
            if iri not in self.relations:
                known = ", ".join(compress(x) for x in self.relations)
                raise ValueError(f"unknown relation {r!r}; the facts have: {known}")
            wanted.append(self.relations.index(iri))
        return np.isin(self.predicate, np.asarray(wanted, dtype=np.int32))

    def node_type_mask(self, node_types: Iterable[str]) -> np.ndarray:
        """``[num_facts]`` bool: the subject's or the object's type is one of ``node_types``.

        Raises:
            ValueError: a type is not in the table; the message lists the known ones.
        """
        wanted = []
        for t in node_types:
            iri = t if t in self.node_type_names else _maybe_iri(t)
            if iri not in self.node_type_names:
                known = ", ".join(compress(x) for x in self.node_type_names)
                raise ValueError(f"unknown node type {t!r}; the facts have: {known}")
            wanted.append(self.node_type_names.index(iri))
        ok = np.zeros(len(self.node_type_names) + 1, dtype=bool)  # last slot: type -1
        ok[wanted] = True
        types = self.node_type.astype(np.int64)
        types[types < 0] = len(self.node_type_names)
        return ok[types[self.subject]] | ok[types[self.object]]

    # ---- persistence ---------------------------------------------------------------------
    def columns(self) -> dict[str, np.ndarray]:
        """The numeric columns (for safetensors)."""
        return {
            "node_type": self.node_type.astype(np.int16),
            "kind": self.kind,
            "subject": self.subject,
            "predicate": self.predicate,
            "object": self.object,
            "negated": self.negated.astype(np.uint8),
            "frequency": self.frequency,
            "frequency_term": self.frequency_term,
            "evidence": self.evidence,
        }

    def strings(self) -> dict[str, Any]:
        """The string columns (for JSON)."""
        return {
            "nodes": self.nodes,
            "node_labels": self.node_labels,
            "node_type_names": self.node_type_names,
            "relations": self.relations,
            "relation_labels": self.relation_labels,
            "evidence_codes": self.evidence_codes,
            "annotations": self.annotations,
            "sources": self.sources,
        }

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, np.ndarray], strings: Mapping[str, Any]
    ) -> FactTable:
        """Inverse of :meth:`columns` + :meth:`strings`."""
        return cls(
            nodes=list(strings["nodes"]),
            node_labels=list(strings["node_labels"]),
            node_type=np.asarray(columns["node_type"], dtype=np.int16),
            node_type_names=list(strings["node_type_names"]),
            relations=list(strings["relations"]),
            relation_labels=list(strings["relation_labels"]),
            evidence_codes=list(strings["evidence_codes"]),
            kind=np.asarray(columns["kind"], dtype=np.int8),
            subject=np.asarray(columns["subject"], dtype=np.int32),
            predicate=np.asarray(columns["predicate"], dtype=np.int32),
            object=np.asarray(columns["object"], dtype=np.int32),
            negated=np.asarray(columns["negated"]).astype(bool),
            frequency=np.asarray(columns["frequency"], dtype=np.float32),
            frequency_term=np.asarray(columns["frequency_term"], dtype=np.int32),
            evidence=np.asarray(columns["evidence"], dtype=np.int16),
            annotations=list(strings["annotations"]),
            sources=shared_rows(strings["sources"]),
        )


def _maybe_iri(term: str) -> str:
    try:
        return to_iri(term)
    except ValueError:
        return term


def facts_from_tables(
    graph: GraphTensors, annotations: AnnotationTable, labels: Mapping[str, str]
) -> FactTable:
    """Every annotation record and every graph edge not stated by one, as a fact table.

    Annotation facts come first (in annotation-table order), then triples (in edge order),
    so ids are deterministic for a given KG build.

    Args:
        graph: the KG's typed graph (nodes, node types, edges, relations).
        annotations: the KG's annotation records (may be empty).
        labels: IRI -> label of named nodes and relations.
    """
    nodes = list(graph.node_iris)
    node_labels = [labels.get(iri) or compress(iri) for iri in nodes]
    node_type = graph.node_type.numpy().astype(np.int16)
    index = {iri: i for i, iri in enumerate(nodes)}
    extra_types: list[int] = []

    def node(iri: str) -> int:
        i = index.get(iri)
        if i is None:
            i = index[iri] = len(nodes)
            nodes.append(iri)
            node_labels.append(labels.get(iri) or compress(iri))
            extra_types.append(-1)
        return i

    relations = list(graph.relation_names)
    num = len(annotations)
    subj_rows = np.asarray([node(s) for s in annotations.subjects], dtype=np.int64)
    term_rows = np.asarray([node(t) for t in annotations.terms], dtype=np.int64)
    a_subject = subj_rows[annotations.subject] if num else np.empty(0, dtype=np.int64)
    a_object = term_rows[annotations.term] if num else np.empty(0, dtype=np.int64)
    if num and RO_HAS_PHENOTYPE not in relations:
        relations.append(RO_HAS_PHENOTYPE)
    ft_rows = {t: node(t) for t in set(annotations.frequency_term) if t}
    a_ft = np.asarray([ft_rows.get(t, -1) for t in annotations.frequency_term], dtype=np.int32)
    counts = Counter(e for e in annotations.evidence if e)
    evidence_codes = [e for e, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
    ev_index = {e: i for i, e in enumerate(evidence_codes)}
    a_ev = np.asarray([ev_index.get(e, -1) for e in annotations.evidence], dtype=np.int16)

    src = graph.edge_index[0].numpy().astype(np.int64)
    dst = graph.edge_index[1].numpy().astype(np.int64)
    rel = graph.edge_type.numpy().astype(np.int64)
    keep = np.ones(len(src), dtype=bool)
    if num and RO_HAS_PHENOTYPE in graph.relation_names:
        r_ph = graph.relation_names.index(RO_HAS_PHENOTYPE)
        width = len(nodes)
        stated = np.unique(a_subject * width + a_object)
        is_ph = rel == r_ph
        keep[is_ph] = ~np.isin(src[is_ph] * width + dst[is_ph], stated)
    src, dst, rel = src[keep], dst[keep], rel[keep]
    num_triples = len(src)

    r_ann = relations.index(RO_HAS_PHENOTYPE) if num else 0
    return FactTable(
        nodes=nodes,
        node_labels=node_labels,
        node_type=np.concatenate([node_type, np.asarray(extra_types, dtype=np.int16)]),
        node_type_names=list(graph.node_type_names),
        relations=relations,
        relation_labels=[relation_label(r, labels) for r in relations],
        evidence_codes=evidence_codes,
        kind=np.concatenate(
            [np.full(num, ANNOTATION, dtype=np.int8), np.full(num_triples, TRIPLE, dtype=np.int8)]
        ),
        subject=np.concatenate([a_subject, src]).astype(np.int32),
        predicate=np.concatenate([np.full(num, r_ann, dtype=np.int64), rel]).astype(np.int32),
        object=np.concatenate([a_object, dst]).astype(np.int32),
        # absent: NOT, or seen in none of the patients (frequency 0: no RO:0002200 edge)
        negated=np.concatenate([~annotations.present, np.zeros(num_triples, bool)]),
        frequency=np.concatenate(
            [annotations.frequency.astype(np.float32), np.full(num_triples, np.nan, np.float32)]
        ),
        frequency_term=np.concatenate([a_ft, np.full(num_triples, -1, dtype=np.int32)]),
        evidence=np.concatenate([a_ev, np.full(num_triples, -1, dtype=np.int16)]),
        annotations=list(annotations.annotation_iris) + [""] * num_triples,
        sources=[list(s) for s in annotations.sources] + [[] for _ in range(num_triples)],
    )


def extract_facts(kg: KnowledgeGraph) -> FactTable:
    """The facts of a built KG (from its derived tables; the store is not scanned)."""
    return facts_from_tables(kg.graph, kg.annotations, kg.labels)
