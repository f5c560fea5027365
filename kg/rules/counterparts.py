"""A disease's counterparts: the entries of the same disease in the KG's other sources.

HPO annotates many diseases twice, curated apart: once as an OMIM entry and once as an
Orphanet one (Jacobsen syndrome is OMIM:147791 with 51 phenotype terms and ORPHA:2308 with
76, of which 22 are shared). When the candidates of a diagnosis are one source's entries,
the other sources' annotations of the same disease are evidence its own profile lacks.

A candidate's counterparts are annotated subjects outside the candidate list that

* bear the same name (case, punctuation and spacing aside), or
* share one of its genes and, of the subjects that do and bear another name, have the
  profile most like its own (cosine of the information-content weighted, propagated
  profiles), at least ``min_similarity``: one at most.

The KG states no cross-reference between the two sources, so these are matches found, not
read; each records how it was found and its profile similarity, and the prior that uses
them names them beside the findings they account for. On HPO 2025-01-16 with the OMIM
diseases as candidates and ``min_similarity`` 0.4, 2,600 of 8,359 have one (568 by name); of
25 gene matches drawn at random, 16 were the same disease, 5 the Orphanet group entry that
holds it (*Retinitis pigmentosa 10* -> *Retinitis pigmentosa*) and 4 another disease of the
same gene (*Adult syndrome* -> *Limb-mammary syndrome*).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from kg.knowledge_graph import KnowledgeGraph

__all__ = [
    "Counterpart",
    "Counterparts",
    "disease_genes",
    "find_counterparts",
    "name_key",
    "unit_profiles",
]

#: Every gene -> disease link of the KG (``RO:0003304``, contributes to condition).
Q_DISEASE_GENES = """
SELECT ?gene ?disease WHERE { ?gene obo:RO_0003304 ?disease }"""


@dataclass(frozen=True)
class Counterpart:
    """One counterpart of a candidate disease.

    Attributes:
        disease: its IRI.
        reason: ``"name"`` (the same name) or ``"gene"`` (a shared gene and the most
            similar profile among the other-named subjects of the candidate's genes).
        similarity: cosine of the two profiles, in ``[0, 1]``.
    """

    disease: str
    reason: str
    similarity: float


@dataclass(frozen=True)
class Counterparts:
    """The counterparts of each candidate and what they are annotated with.

    Attributes:
        entries: per candidate row, its counterparts (most similar first; empty for most).
        frequency: ``[num_candidates, num_terms]`` CSR, per candidate the highest direct
            annotation frequency of each term over its counterparts (0 where none).
        profiles: ``[num_others, num_terms]`` CSC, the other subjects' propagated profiles.
        rows: other subject IRI -> its row of ``profiles``.
    """

    entries: list[tuple[Counterpart, ...]]
    frequency: sp.csr_matrix
    profiles: sp.csc_matrix
    rows: dict[str, int]

    @property
    def count(self) -> int:
        """Candidates with at least one counterpart."""
        return sum(1 for e in self.entries if e)

    def showing(self, term: int, candidates: Iterable[int]) -> list[list[Counterpart]]:
        """For each of ``candidates`` (rows), its counterparts whose propagated profile has
        the term of column ``term``."""
        profiles = self.profiles
        start, end = profiles.indptr[term], profiles.indptr[term + 1]
        # read from the CSC arrays: scipy's column slicing costs more than the whole lookup
        having = set(profiles.indices[start:end][profiles.data[start:end] > 0].tolist())
        return [[c for c in self.entries[r] if self.rows[c.disease] in having] for r in candidates]


def name_key(label: str) -> str:
    """A disease name for matching: lower case, runs of other characters than letters and
    digits as one space."""
    return re.sub(r"[^0-9a-z]+", " ", label.lower()).strip()


def disease_genes(kg: KnowledgeGraph) -> dict[str, frozenset[str]]:
    """Disease IRI -> the IRIs of the genes linked to it, from one constant query."""
    out: dict[str, set[str]] = defaultdict(set)
    for row in kg.select(Q_DISEASE_GENES):
        out[str(row["disease"])].add(str(row["gene"]))
    return {d: frozenset(g) for d, g in out.items()}


def unit_profiles(profile: sp.spmatrix, weight: np.ndarray) -> sp.csr_matrix:
    """Rows of ``profile`` times ``weight`` per column (a term's information content),
    scaled to unit length (0 rows stay): their products are the profiles' cosines."""
    weighted = sp.csr_matrix(profile.multiply(weight[None, :]), dtype=np.float64)
    norm = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.where(norm > 0, norm, 1.0)) @ weighted)


def _row_max(source: sp.csr_matrix, pairs: Sequence[tuple[int, int]], num: int) -> sp.csr_matrix:
    """``[num, source columns]``: row ``i`` the column-wise maximum of the ``source`` rows
    ``j`` paired with it (``pairs`` of ``(i, j)``), gathered from the CSR arrays at once."""
    target = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
    picked = np.fromiter((j for _, j in pairs), dtype=np.int64, count=len(pairs))
    starts, ends = source.indptr[picked], source.indptr[picked + 1]
    lengths = ends - starts
    # the positions of every picked row's entries, row after row
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    positions = offsets + np.arange(int(lengths.sum()))
    rows = np.repeat(target, lengths)
    cols = source.indices[positions].astype(np.int64)
    values = source.data[positions]
    width = source.shape[1]
    key = rows * width + cols
    order = np.lexsort((-values, key))  # per (row, column) the highest value first
    key, values = key[order], values[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, values = key[first], values[first]
    return sp.csr_matrix((values, (key // width, key % width)), shape=(num, width))


def find_counterparts(
    candidates: Sequence[str],
    candidate_labels: Sequence[str],
    candidate_profiles: sp.spmatrix,
    others: Sequence[str],
    other_labels: Sequence[str],
    other_profiles: sp.spmatrix,
    other_frequency: sp.spmatrix,
    information_content: np.ndarray,
    genes: Mapping[str, Iterable[str]],
    min_similarity: float,
) -> Counterparts:
    """Each candidate's counterparts among ``others`` (see the module's docstring).

    Args:
        candidates: candidate IRIs (row order of ``candidate_profiles``).
        candidate_labels: their names.
        candidate_profiles: ``[num_candidates, num_terms]`` propagated profiles.
        others: IRIs of the other annotated subjects (never candidates).
        other_labels: their names.
        other_profiles: ``[num_others, num_terms]`` their propagated profiles.
        other_frequency: ``[num_others, num_terms]`` their direct annotation frequencies.
        information_content: ``[num_terms]`` weight of each term in the similarity.
        genes: disease IRI -> its genes' IRIs (a disease missing has none).
        min_similarity: the least profile similarity of a counterpart found by its genes.

    Raises:
        ValueError: a shape does not fit, or a subject is both a candidate and another.
    """
    num, num_others = len(candidates), len(others)
    if candidate_profiles.shape[0] != num or len(candidate_labels) != num:
        raise ValueError("candidate_profiles and candidate_labels need one row per candidate")
    if other_profiles.shape[0] != num_others or other_frequency.shape[0] != num_others:
        raise ValueError("other_profiles and other_frequency need one row per other subject")
    if len(other_labels) != num_others:
        raise ValueError("other_labels needs one name per other subject")
    if set(candidates) & set(others):
        raise ValueError("a subject cannot be both a candidate and its own counterpart")
    unit = unit_profiles(candidate_profiles, information_content)
    other_unit = unit_profiles(other_profiles, information_content)

    by_name: dict[str, list[int]] = defaultdict(list)
    for j, label in enumerate(other_labels):
        if key := name_key(label):
            by_name[key].append(j)
    by_gene: dict[str, list[int]] = defaultdict(list)
    for j, d in enumerate(others):
        for g in genes.get(d, ()):
            by_gene[g].append(j)

    pairs: dict[tuple[int, int], str] = {}
    for i, (d, label) in enumerate(zip(candidates, candidate_labels, strict=True)):
        for j in by_name.get(name_key(label), ()):
            pairs[(i, j)] = "name"
        for g in genes.get(d, ()):
            for j in by_gene.get(g, ()):
                pairs.setdefault((i, j), "gene")
    rows = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
    cols = np.fromiter((j for _, j in pairs), dtype=np.int64, count=len(pairs))
    similarity = (
        np.clip(np.asarray(unit[rows].multiply(other_unit[cols]).sum(axis=1)).ravel(), 0.0, 1.0)
        if len(pairs)
        else np.zeros(0)
    )

    found: list[list[Counterpart]] = [[] for _ in range(num)]
    best_by_gene: dict[int, tuple[float, int]] = {}  # candidate -> (similarity, other)
    for (i, j), reason, sim in zip(pairs, pairs.values(), similarity.tolist(), strict=True):
        if reason == "name":
            found[i].append(Counterpart(others[j], "name", sim))
        elif sim >= min_similarity:
            best = best_by_gene.get(i)
            if best is None or sim > best[0] or (sim == best[0] and j < best[1]):
                best_by_gene[i] = (sim, j)
    for i, (sim, j) in best_by_gene.items():
        if all(c.disease != others[j] for c in found[i]):
            found[i].append(Counterpart(others[j], "gene", sim))
    entries = [tuple(sorted(f, key=lambda c: (-c.similarity, c.disease))) for f in found]

    index = {d: j for j, d in enumerate(others)}
    merged = _row_max(
        sp.csr_matrix(other_frequency, dtype=np.float64),
        [(i, index[c.disease]) for i, entry in enumerate(entries) for c in entry],
        num,
    )
    return Counterparts(entries, merged, sp.csc_matrix(other_profiles, dtype=np.float64), index)
