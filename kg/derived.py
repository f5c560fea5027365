"""Tables derived from a built store and saved beside it.

They are computed once at build time, from the store alone (so any ontology gets them), and
loaded in milliseconds by the upper layers: the lexicon (names of terms), the class
hierarchy, the annotation table, and the typed graph as tensors.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pyoxigraph as ox

from kg.annotations import AnnotationTable
from kg.graph_arrays import GraphArrays
from kg.hierarchy import TermHierarchy
from kg.lexicon import Lexicon, LexiconEntry, property_kind
from kg.namespaces import (
    DCTERMS,
    DEPRECATED_IS_TRUE,
    KGV,
    KGV_ANNOTATION,
    NAME_PREDICATES,
    OBOINOWL,
    OWL,
    OWL_CLASS,
    OWL_DEPRECATED,
    RDF,
    RDF_TYPE,
    RDFS,
    RO_HAS_PHENOTYPE,
    compress,
    label_rank,
)

if TYPE_CHECKING:
    from kg.remote import RemoteStore
    from kg.tensors import GraphTensors

logger = logging.getLogger(__name__)

#: rdf:types whose instances are structure (axioms, statements, declarations), not graph nodes.
STRUCTURAL_TYPES = frozenset(
    {
        OWL + "Ontology",
        OWL + "ObjectProperty",
        OWL + "DatatypeProperty",
        OWL + "AnnotationProperty",
        OWL + "TransitiveProperty",
        OWL + "SymmetricProperty",
        OWL + "Axiom",
        OWL + "Restriction",
        OWL + "Class_",
        RDF + "Statement",
        RDF + "Property",
        RDFS + "Class",
        RDFS + "Datatype",
        KGV_ANNOTATION,
    }
)
_SYNONYM_TYPES = f"""
SELECT ?s ?p ?o ?st ?st_label WHERE {{
  ?ax <{OWL}annotatedSource> ?s ; <{OWL}annotatedProperty> ?p ; <{OWL}annotatedTarget> ?o ;
      <{OBOINOWL}hasSynonymType> ?st .
  OPTIONAL {{ ?st <{RDFS}label> ?st_label }}
}}
"""
#: The synonym type of discarded synonyms (OBO's ``obsolete_synonym``, "discarded/obsoleted
#: synonym"): names that were wrong or misleading, kept out of the lexicon.
OBSOLETE_SYNONYM_TYPE = "obsolete_synonym"
#: A synonym type IRI whose local name is an ontology id (``HP_0034334``) rather than a name.
_ID_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9]*_\d+")
_TYPE_COUNTS = f"SELECT ?t (COUNT(?s) AS ?n) WHERE {{ ?s <{RDF_TYPE}> ?t }} GROUP BY ?t"
_TYPE_NODE = ox.NamedNode(RDF_TYPE)
_PREDICATES = "SELECT DISTINCT ?p WHERE { ?s ?p ?o }"
#: Predicates that describe annotation nodes and axioms rather than relate two graph nodes.
STRUCTURAL_PREDICATES = frozenset(
    {
        RDF_TYPE,
        RDF + "subject",
        RDF + "predicate",
        RDF + "object",
        OWL + "annotatedSource",
        OWL + "annotatedProperty",
        OWL + "annotatedTarget",
        OBOINOWL + "hasSynonymType",
        DCTERMS + "source",
    }
)
#: Deprecated nodes: ``owl:deprecated true``, or the string "true" (RDF/XML without a
#: datatype) that OWL tools read as true too.
_DEPRECATED = (
    f"SELECT DISTINCT ?s WHERE {{ ?s <{OWL_DEPRECATED}> ?dep . FILTER{DEPRECATED_IS_TRUE} }}"
)


def node_types(store: ox.Store | RemoteStore) -> dict[str, str]:
    """IRI -> node type for every typed, non-structural, non-deprecated IRI node.

    A node with several types gets the least common non-``owl:Class`` one (the most
    specific), so a disease typed both ``kgv:Disease`` and ``owl:Class`` is a disease.
    Types are listed first (aggregated inside the engine), so the 270k annotation nodes
    of HPO are never iterated in Python.
    """
    deprecated = {r["s"].value for r in cast(ox.QuerySolutions, store.query(_DEPRECATED))}
    frequency = {
        r["t"].value: int(r["n"].value)
        for r in cast(ox.QuerySolutions, store.query(_TYPE_COUNTS))
        if isinstance(r["t"], ox.NamedNode) and r["t"].value not in STRUCTURAL_TYPES
    }
    types: dict[str, list[str]] = {}
    for t in frequency:
        # an index scan per type (SPARQL substitutions would be applied after a full scan)
        for quad in store.quads_for_pattern(None, _TYPE_NODE, ox.NamedNode(t)):
            s = quad.subject
            if isinstance(s, ox.NamedNode) and s.value not in deprecated:
                types.setdefault(s.value, []).append(t)
    return {s: min(ts, key=lambda t: (t == OWL_CLASS, frequency[t], t)) for s, ts in types.items()}


def lexicon_from_store(
    store: ox.Store | RemoteStore, types: dict[str, str] | None = None
) -> Lexicon:
    """Every label and synonym of every typed node, with synonym types where declared.

    A term's labels come first, its preferred label (the first, :meth:`Lexicon.labels`)
    chosen by language (English, then none, then others: :func:`label_rank`), then
    ``rdfs:label`` before ``skos:prefLabel``, then by text.

    A synonym type is named by its IRI's local name (``layperson``), or by its label where
    that local name is an ontology id (``HP:0034334 "allelic_requirement"``). Discarded
    synonyms (type :data:`OBSOLETE_SYNONYM_TYPE`) are left out.
    """
    types = node_types(store) if types is None else types
    deprecated = frozenset(r["s"].value for r in cast(ox.QuerySolutions, store.query(_DEPRECATED)))
    synonym_type: dict[tuple[str, str, str], str] = {}
    for r in cast(ox.QuerySolutions, store.query(_SYNONYM_TYPES)):
        st, st_label = r["st"].value, r["st_label"]
        local = st.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if _ID_LIKE.fullmatch(local) and isinstance(st_label, ox.Literal):
            local = st_label.value
        synonym_type[(r["s"].value, r["p"].value, r["o"].value)] = local
    # (s, kind, text) -> (label rank, entry): one entry per name, of the best-ranked
    # language and the first naming property among equals
    found: dict[tuple[str, str, str], tuple[tuple[int, int], LexiconEntry]] = {}
    labels_in: dict[tuple[str, str], list[str]] = {}  # (term, language) -> its rdfs:labels
    graph = ox.DefaultGraph()
    # an index scan per naming property (a third faster than the same as one SPARQL query)
    for order, p in enumerate(NAME_PREDICATES):
        kind = property_kind(p)
        if kind is None:  # not a naming property after all
            continue
        for quad in store.quads_for_pattern(None, ox.NamedNode(p), None, graph):
            subject, obj = quad.subject, quad.object
            if not isinstance(subject, ox.NamedNode) or not isinstance(obj, ox.Literal):
                continue
            s, o = subject.value, obj.value
            if s in deprecated:
                continue
            if order == 0:
                labels_in.setdefault((s, obj.language or ""), []).append(o)
            # rdfs:label is NAME_PREDICATES[0], skos:prefLabel [1]
            rank = (label_rank(obj.language), order) if kind == "label" else (0, 0)
            key = (s, kind, o)
            kept = found.get(key)
            if kept is None or rank < kept[0]:
                st = synonym_type.get((s, p, o))
                if st == OBSOLETE_SYNONYM_TYPE:
                    continue
                entry = LexiconEntry(s, o, kind, st, types.get(s))
                found[key] = (rank, entry)
    _warn_several_labels(labels_in)
    ranked = sorted(
        found.values(), key=lambda r: (r[1].iri, r[1].kind != "label", r[0], r[1].text, r[1].kind)
    )
    return Lexicon([entry for _, entry in ranked], deprecated)


def _warn_several_labels(labels_in: dict[tuple[str, str], list[str]]) -> None:
    """Warn of terms with two or more ``rdfs:label`` in one language: most often one IRI
    that two source files define differently, whose definitions the KG merges."""
    several = [(key, texts) for key, texts in labels_in.items() if len(set(texts)) > 1]
    if not several:
        return
    (iri, language), texts = several[0]
    shown = ", ".join(repr(t) for t in sorted(set(texts))[:3])
    logger.warning(
        "%d term(s) with two or more rdfs:label in one language (one IRI that two files "
        "define differently? their statements are merged), e.g. %s%s: %s; the first by "
        "language and text is the term's label, the others are read as synonyms",
        len(several),
        iri,
        f" @{language}" if language else "",
        shown,
    )


def graph_from_store(
    store: ox.Store | RemoteStore,
    fingerprint: str,
    annotations: AnnotationTable,
    types: dict[str, str] | None = None,
    known_edges: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> GraphTensors:
    """:func:`graph_arrays_from_store`, as tensors."""
    from kg.tensors import GraphTensors  # torch, on first use

    return GraphTensors.from_arrays(
        graph_arrays_from_store(store, fingerprint, annotations, types, known_edges)
    )


def graph_arrays_from_store(
    store: ox.Store | RemoteStore,
    fingerprint: str,
    annotations: AnnotationTable,
    types: dict[str, str] | None = None,
    known_edges: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> GraphArrays:
    """The typed graph of IRI nodes and IRI-valued edges between them.

    Args:
        store: the Oxigraph store.
        fingerprint: the KG's fingerprint, stamped on the tensors.
        annotations: the annotation table (weights of phenotype edges).
        types: node types from :func:`node_types` (computed when None).
        known_edges: predicate -> (subject IRI, object IRI) pairs a domain builder already
            has in memory; those predicates are not scanned from the store.

    Phenotype edges (``RO:0002200``) of annotated subjects are weighted by the highest
    frequency of their :attr:`~kg.annotations.AnnotationTable.present` annotations (1 when no
    frequency is stated); all other edges weigh 1.
    """
    types = node_types(store) if types is None else types
    known_edges = known_edges or {}
    type_names = sorted(set(types.values()))
    type_index = {t: i for i, t in enumerate(type_names)}
    iris = sorted(types)
    index = {iri: i for i, iri in enumerate(iris)}
    relations: dict[str, int] = {}
    parts: list[tuple[np.ndarray, np.ndarray, int]] = []  # (sources, targets, relation)

    def add(p: str, pairs: Iterable[tuple[str, str]]) -> None:
        pairs = pairs if isinstance(pairs, list) else list(pairs)
        if not pairs:
            return
        sources, targets = zip(*pairs, strict=True)
        # the lookups as C calls (map), not one generator step each: 0.3 s less on HPO
        s = np.fromiter(map(index.get, sources, repeat(-1)), dtype=np.int64, count=len(pairs))
        o = np.fromiter(map(index.get, targets, repeat(-1)), dtype=np.int64, count=len(pairs))
        keep = (s >= 0) & (o >= 0) & (s != o)
        if keep.any():  # a relation is numbered once it has an edge
            parts.append((s[keep], o[keep], relations.setdefault(p, len(relations))))

    for p, pairs in known_edges.items():
        add(p, pairs)
    predicates = sorted(
        r["p"].value
        for r in cast(ox.QuerySolutions, store.query(_PREDICATES))
        if isinstance(r["p"], ox.NamedNode)
    )
    for p in predicates:
        if p in STRUCTURAL_PREDICATES or p in known_edges or p.startswith(KGV):
            continue
        quads = store.quads_for_pattern(None, ox.NamedNode(p), None)
        add(
            p,
            [
                (q.subject.value, q.object.value)
                for q in quads
                if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode)
            ],
        )
    # Relations numbered by IRI and edges sorted by (relation, source, target): the order
    # then depends on the graph alone, not on the store's scan order or on domain hints.
    names = sorted(relations)
    renumber = np.zeros(len(relations), dtype=np.int64)
    for i, name in enumerate(names):
        renumber[relations[name]] = i
    relations = {name: i for i, name in enumerate(names)}
    empty = np.empty(0, dtype=np.int64)
    src_arr = np.concatenate([s for s, _, _ in parts]) if parts else empty
    dst_arr = np.concatenate([o for _, o, _ in parts]) if parts else empty
    rel_arr = (
        np.concatenate([np.full(len(s), renumber[r], dtype=np.int64) for s, _, r in parts])
        if parts
        else empty
    )
    order_idx = np.lexsort((dst_arr, src_arr, rel_arr))
    src, dst, rel = (a[order_idx] for a in (src_arr, dst_arr, rel_arr))
    weight = np.ones(len(src), dtype=np.float32)
    if len(annotations) and RO_HAS_PHENOTYPE in relations:
        present = annotations.present
        freq = np.where(np.isnan(annotations.frequency), 1.0, annotations.frequency)
        subj = np.array([index.get(x, -1) for x in annotations.subjects], dtype=np.int64)
        term = np.array([index.get(x, -1) for x in annotations.terms], dtype=np.int64)
        n = len(iris)
        keys = subj[annotations.subject[present]] * n + term[annotations.term[present]]
        values = freq[present]
        # the highest frequency per (subject, term) key ...
        by_key = np.lexsort((values, keys))
        keys, values = keys[by_key], values[by_key]
        last = np.ones(len(keys), dtype=bool)
        last[:-1] = keys[1:] != keys[:-1]
        keys, best = keys[last], values[last]
        # ... weighs the phenotype edge with that key (1 where there is none)
        if len(keys):
            phenotype = rel == relations[RO_HAS_PHENOTYPE]
            edge_keys = src[phenotype] * n + dst[phenotype]
            at = np.minimum(np.searchsorted(keys, edge_keys), len(keys) - 1)
            weight[phenotype] = np.where(keys[at] == edge_keys, best[at], 1.0)
    order = names
    return GraphArrays(
        node_iris=iris,
        node_type=np.array([type_index[types[i]] for i in iris], dtype=np.int64),
        node_type_names=type_names,
        edge_index=np.stack([src, dst]).reshape(2, -1),
        edge_type=rel,
        relation_names=order,
        edge_weight=weight,
        fingerprint=fingerprint,
    )


@dataclass(frozen=True)
class DerivedTables:
    """The tables :func:`write_derived` computed and saved."""

    lexicon: Lexicon
    hierarchy: TermHierarchy
    annotations: AnnotationTable
    graph: GraphArrays


def _warn_unknown_terms(annotations: AnnotationTable, hierarchy: TermHierarchy) -> None:
    """Say how many annotation rows name a term that no class of the KG defines (a newer
    release's, a typo, one whose class was dropped): such rows make no graph edge."""
    unknown = [i for i, iri in enumerate(annotations.terms) if iri not in hierarchy]
    if not unknown:
        return
    rows = int(np.isin(annotations.term, np.asarray(unknown, dtype=annotations.term.dtype)).sum())
    shown = ", ".join(compress(annotations.terms[i]) for i in unknown[:5])
    logger.warning(
        "%d annotation row(s) name %d term(s) no class of the KG defines (%s%s): they give "
        "no graph edge, and the prior never matches them",
        rows,
        len(unknown),
        shown,
        " ..." if len(unknown) > 5 else "",
    )


def write_derived(
    store: ox.Store | RemoteStore,
    folder: Path,
    fingerprint: str,
    *,
    annotations: AnnotationTable | None = None,
    known_edges: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> DerivedTables:
    """Compute and save the lexicon, hierarchy, annotation table and graph tensors.

    ``annotations`` and ``known_edges`` let a domain builder hand over what it already
    holds in memory (reading 2.6M annotation triples back from RocksDB takes ~40 s).

    Returns:
        The tables as saved (so a build can count them without reading them back).
    """
    folder.mkdir(parents=True, exist_ok=True)
    clock = time.perf_counter()

    def lap(what: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        logger.info("derived %s in %.2f s", what, now - clock)
        clock = now

    types = node_types(store)
    lap("node types")
    lexicon = lexicon_from_store(store, types)
    lexicon.save(folder / "lexicon.jsonl")
    lap("lexicon")
    hierarchy = TermHierarchy.from_store(store)
    try:  # said where it is built: the readers of the hierarchy fail on a cycle later
        hierarchy.check_acyclic()
    except ValueError as exc:
        logger.warning(
            "%s; the KG is built, and what reads the hierarchy's depths (simulated patients, "
            "the rule checks of a diagnosis) will refuse it",
            exc,
        )
    hierarchy.save(folder)
    lap("hierarchy")
    if annotations is None:
        annotations = AnnotationTable.from_store(store)
    annotations = annotations.canonical()
    _warn_unknown_terms(annotations, hierarchy)
    annotations.save(folder)
    lap("annotation table")
    graph = graph_arrays_from_store(store, fingerprint, annotations, types, known_edges)
    graph.save(folder / "graph")
    lap("graph tensors")
    return DerivedTables(lexicon, hierarchy, annotations, graph)
