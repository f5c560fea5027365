"""The class hierarchy of a KG in memory: parents, ancestors, obsolete ids.

Upper layers (simulation, similarity, rules, the linker) walk the is_a hierarchy millions of
times; SPARQL property paths are too slow for that, so the hierarchy is read once from the
store and kept as CSR arrays, with the transitive closure as a sparse boolean matrix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pyoxigraph as ox
import scipy.sparse as sp

from kg.errors import UnknownTermError
from kg.namespaces import IAO_REPLACED_BY as REPLACED_BY
from kg.namespaces import (
    OBOINOWL,
    OWL_CLASS,
    OWL_DEPRECATED,
    RDFS_LABEL,
    RDFS_SUBCLASS_OF,
    SKOS,
    compress,
    is_true_flag,
    label_rank,
    to_iri,
)

if TYPE_CHECKING:
    from kg.remote import RemoteStore

# The terms: ontology classes, and a thesaurus's SKOS concepts (named by skos:prefLabel,
# their is_a skos:broader).
_CLASSES = f"""
SELECT ?c ?label ?dep WHERE {{
  {{ ?c a <{OWL_CLASS}> . OPTIONAL {{ ?c <{RDFS_LABEL}> ?label }} }}
  UNION
  {{ ?c a <{SKOS}Concept> . OPTIONAL {{ ?c <{SKOS}prefLabel> ?label }} }}
  FILTER(isIRI(?c))
  OPTIONAL {{ ?c <{OWL_DEPRECATED}> ?dep }}
}}
"""
_EDGES = f"""
SELECT ?c ?p WHERE {{
  {{ ?c <{RDFS_SUBCLASS_OF}> ?p }} UNION {{ ?c <{SKOS}broader> ?p }}
  FILTER(isIRI(?c) && isIRI(?p))
}}
"""
_REPLACED = f"SELECT ?c ?r WHERE {{ ?c <{REPLACED_BY}> ?r }}"
_ALT_IDS = f"SELECT ?c ?alt WHERE {{ ?c <{OBOINOWL}hasAlternativeId> ?alt }}"


@dataclass
class TermHierarchy:
    """is_a hierarchy of the classes of a KG (``rdfs:subClassOf``; a thesaurus's SKOS
    concepts by ``skos:broader``).

    Attributes:
        terms: IRI of each class; position = term index.
        labels: label of each class ("" when it has none).
        obsolete: ``[num_terms]`` bool, deprecated classes.
        parent_ptr, parent_idx: CSR arrays of direct parents.
        replaced_by: IRI of an obsolete or alternative id -> IRI of the current term.
    """

    terms: list[str]
    labels: list[str]
    obsolete: np.ndarray
    parent_ptr: np.ndarray
    parent_idx: np.ndarray
    replaced_by: dict[str, str] = field(default_factory=dict)
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _closure: sp.csr_matrix | None = field(default=None, repr=False)
    _below: sp.csc_matrix | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._index = {iri: i for i, iri in enumerate(self.terms)}

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, term: str) -> bool:
        return term in self._index

    def index(self, term: str) -> int:
        """Index of a term given as IRI or CURIE.

        Raises:
            UnknownTermError: not a class of this KG (with close matches).
        """
        iri = term if term in self._index else to_iri(term)
        try:
            return self._index[iri]
        except KeyError:
            raise UnknownTermError(term, (compress(t) for t in self.terms)) from None

    def resolve(self, term: str) -> str | None:
        """Current IRI of a term: itself, or its replacement when obsolete or an alt id.

        Returns None when the term is unknown or obsolete with no replacement.
        """
        try:
            iri = to_iri(term)
        except ValueError:
            return None
        seen = set()
        while iri in self.replaced_by and iri not in seen:
            seen.add(iri)
            iri = self.replaced_by[iri]
        i = self._index.get(iri)
        if i is None or self.obsolete[i]:
            return None
        return iri

    def parents(self, i: int) -> np.ndarray:
        """Indices of the direct parents of term ``i``."""
        return self.parent_idx[self.parent_ptr[i] : self.parent_ptr[i + 1]]

    @property
    def closure(self) -> sp.csr_matrix:
        """``[num_terms, num_terms]`` bool matrix: ``closure[i, j]`` iff j is i or an ancestor."""
        if self._closure is None:
            self._closure = self._compute_closure()
        return self._closure

    def _compute_closure(self) -> sp.csr_matrix:
        n = len(self.terms)
        order = self._topological_order()
        rows: list[np.ndarray] = [np.empty(0, dtype=np.int32)] * n
        for i in order:  # parents before children
            parts = [np.array([i], dtype=np.int32)]
            parts.extend(rows[p] for p in self.parents(i))
            rows[i] = np.unique(np.concatenate(parts))
        indptr = np.zeros(n + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(r) for r in rows])
        indices = np.concatenate(rows) if n else np.empty(0, dtype=np.int32)
        data = np.ones(len(indices), dtype=bool)
        return sp.csr_matrix((data, indices, indptr), shape=(n, n))

    def _topological_order(self) -> list[int]:
        n = len(self.terms)
        children: list[list[int]] = [[] for _ in range(n)]
        indegree = np.diff(self.parent_ptr).astype(np.int64)
        for i in range(n):
            for p in self.parents(i):
                children[p].append(i)
        queue = [i for i in range(n) if indegree[i] == 0]
        order: list[int] = []
        while queue:
            i = queue.pop()
            order.append(i)
            for c in children[i]:
                indegree[c] -= 1
                if indegree[c] == 0:
                    queue.append(c)
        if len(order) != n:
            cyclic = [compress(self.terms[i]) for i in range(n) if indegree[i] > 0][:5]
            raise ValueError(
                f"the subClassOf hierarchy has a cycle through {', '.join(cyclic)} (classes "
                "that are subclasses of each other are not merged: remove one of the statements)"
            )
        return order

    def check_acyclic(self) -> None:
        """Refuse a hierarchy with a cycle, where it is built rather than where it is read.

        Raises:
            ValueError: naming terms of the cycle.
        """
        self._topological_order()

    def ancestors(self, term: str, *, include_self: bool = True) -> list[str]:
        """IRIs of the ancestors of a term (the term itself first when ``include_self``)."""
        i = self.index(term)
        row = self.closure.indices[self.closure.indptr[i] : self.closure.indptr[i + 1]]
        out = [self.terms[j] for j in row if j != i]
        return [self.terms[i], *out] if include_self else out

    def descendant_indices(self, i: int) -> np.ndarray:
        """Indices of the descendants of term ``i``, itself included (the closure by column,
        built on first use)."""
        if self._below is None:
            self._below = self.closure.tocsc()
        return self._below.indices[self._below.indptr[i] : self._below.indptr[i + 1]]

    def descendants(self, term: str, *, include_self: bool = True) -> list[str]:
        """IRIs of the descendants of a term (the term itself first when ``include_self``)."""
        i = self.index(term)
        out = [self.terms[j] for j in self.descendant_indices(i) if j != i]
        return [self.terms[i], *out] if include_self else out

    def depth(self) -> np.ndarray:
        """Length of the longest is_a path from a root, per term."""
        depth = np.zeros(len(self.terms), dtype=np.int32)
        for i in self._topological_order():
            ps = self.parents(i)
            if len(ps):
                depth[i] = depth[ps].max() + 1
        return depth

    def save(self, folder: Path) -> None:
        """Write ``hierarchy.npz`` and ``hierarchy.json`` into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / "hierarchy.npz",
            obsolete=self.obsolete,
            parent_ptr=self.parent_ptr,
            parent_idx=self.parent_idx,
        )
        meta = {"terms": self.terms, "labels": self.labels, "replaced_by": self.replaced_by}
        (folder / "hierarchy.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TermHierarchy:
        """Read what :meth:`save` wrote (no pickles: ``allow_pickle=False``)."""
        arrays = np.load(folder / "hierarchy.npz", allow_pickle=False)
        meta = json.loads((folder / "hierarchy.json").read_text(encoding="utf-8"))
        return cls(
            meta["terms"],
            meta["labels"],
            arrays["obsolete"],
            arrays["parent_ptr"],
            arrays["parent_idx"],
            meta["replaced_by"],
        )

    @classmethod
    def from_store(cls, store: ox.Store | RemoteStore) -> TermHierarchy:
        """Read the classes, is_a edges, replacements and alternative ids of a store.

        The result depends on the triples alone, not on the order a store answers in: a
        class with several labels gets the preferred one (English, then no language tag,
        then any other; the least text among equals: ``label_rank``), ``replaced_by`` is
        ordered by IRI, and where a term has several replacements (or an alternative id
        several classes), the least IRI wins.
        """
        terms: list[str] = []
        labels: dict[str, str] = {}
        ranks: dict[str, tuple[int, str]] = {}  # of the label kept: (language rank, text)
        obsolete: set[str] = set()
        for row in cast(ox.QuerySolutions, store.query(_CLASSES)):
            iri = row["c"].value
            if iri not in labels:
                terms.append(iri)
                labels[iri] = ""
            if row["label"] is not None:
                label = row["label"]
                rank = (label_rank(getattr(label, "language", None)), label.value)
                if iri not in ranks or rank < ranks[iri]:
                    ranks[iri] = rank
                    labels[iri] = label.value
            dep = row["dep"]
            if isinstance(dep, ox.Literal) and is_true_flag(
                dep.value, dep.datatype.value if dep.datatype else None, dep.language
            ):
                obsolete.add(iri)
        terms.sort()  # an order of the classes alone, whatever store answers the query
        index = {iri: i for i, iri in enumerate(terms)}
        parents: list[list[int]] = [[] for _ in terms]
        for row in cast(ox.QuerySolutions, store.query(_EDGES)):
            c, p = index.get(row["c"].value), index.get(row["p"].value)
            if c is not None and p is not None and c != p:
                parents[c].append(p)
        ptr = np.zeros(len(terms) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(p) for p in parents])
        idx = np.array([p for ps in parents for p in sorted(set(ps))], dtype=np.int32)
        if len(idx) != ptr[-1]:  # duplicates removed: rebuild the pointer
            dedup = [sorted(set(ps)) for ps in parents]
            ptr[1:] = np.cumsum([len(p) for p in dedup])
        replaced: dict[str, str] = {}
        for c, r in sorted(
            (row["c"].value, row["r"].value)
            for row in cast(ox.QuerySolutions, store.query(_REPLACED))
        ):
            replaced.setdefault(c, r)
        alternatives = []
        for row in cast(ox.QuerySolutions, store.query(_ALT_IDS)):
            try:
                alternatives.append((to_iri(row["alt"].value), row["c"].value))
            except ValueError:
                continue
        for alt, c in sorted(alternatives):
            if alt != c:
                replaced.setdefault(alt, c)
        replaced = dict(sorted(replaced.items()))
        return cls(
            terms,
            [labels[t] for t in terms],
            np.array([t in obsolete for t in terms], dtype=bool),
            ptr,
            idx,
            replaced,
        )
