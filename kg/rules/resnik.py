r"""Phenomizer-style ranking of diseases by Resnik best-match-average similarity, vectorised.

The information content of a term is :math:`IC(t) = -\ln p(t)`, with :math:`p(t)` the share
of diseases annotated with :math:`t` or one of its descendants (``ic_weighting="count"``, as
pyhpo and Phenomizer compute it), or the frequency-weighted share
(``ic_weighting="frequency"``: each disease counts with the propagated probability that it
shows :math:`t`). Terms no disease has get :math:`IC = 0`, as in pyhpo.

Annotations with a stated frequency of 0 (e.g. "0/5": none of the reported patients had the
feature) are left out, both of the IC counts and of the disease's own term set (so they are
never a disease's best match); pyhpo keeps them in both. That is the difference from pyhpo's
scores, and it is not small. Over the 8,359 OMIM diseases of the 2025-01-16 release (all
aspects), 623 of the 11,113 terms with an IC above 0 differ from pyhpo's
``information_content.omim`` by more than 0.03 nats, by up to 2.64 nats (HP:6001064: 6.39 in
pyhpo, 9.03 here); 14 terms whose only OMIM annotations are of frequency 0 fall from pyhpo's
IC (up to 9.03) to 0, so they are uninformative as query terms; and the term sets of 1,089
diseases change, whose scores can then differ by much more. On identical inputs (no
frequency-0 row) the scores equal pyhpo's (see ``tests/test_kg/test_resnik.py``).

The Resnik similarity of two terms is the IC of their most informative common ancestor,
:math:`\mathrm{sim}(s, t) = \max_{a \in A(s) \cap A(t)} IC(a)` with :math:`A(\cdot)` the
ancestors-or-self (Resnik 1995). A patient with terms :math:`Q` is compared with a disease
annotated with :math:`D` (Köhler et al. 2009, Phenomizer) by

.. math::
    \mathrm{sim}(Q \to D) = \frac{1}{|Q|} \sum_{q \in Q} \max_{d \in D} \mathrm{sim}(q, d)

(``combine="one_sided"``, default), or symmetrically: ``"funSimAvg"`` (mean of the two
directions), ``"funSimMax"`` (their maximum) or ``"BMA"`` (all best matches averaged together),
as pyhpo's ``HPOSet.similarity`` defines them.

Vectorisation: :math:`\max_{d \in D} \mathrm{sim}(q, d) = \max_{a \in A(q) \cap A(D)} IC(a)`
with :math:`A(D)` the ancestors of all of the disease's terms, so the patient-to-disease side
is one gather of the disease x ancestor matrix per patient; the disease-to-patient side is, for
every term, the best IC among its ancestors that are also ancestors of a patient term, averaged
over each disease's terms with one sparse product.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from kg.annotations import AnnotationTable
from kg.hierarchy import TermHierarchy
from kg.rules.likelihood import dense_columns, disease_term_matrix, propagate_up

logger = logging.getLogger(__name__)

__all__ = ["COMBINE_METHODS", "ResnikRanker", "ResnikScores"]

COMBINE_METHODS = ("one_sided", "funSimAvg", "funSimMax", "BMA")
_IC_WEIGHTINGS = ("count", "frequency")


@dataclass
class ResnikScores:
    """Similarity of one patient to every disease.

    Attributes:
        diseases: IRI of each disease.
        score: ``[num_diseases]`` combined similarity.
        best_match: ``[num_diseases, num_patient_terms]`` IC of the best match of each
            patient term in each disease (the patient-to-disease side).
        terms: IRI of each patient term used (column order of ``best_match``).
        skipped: input ids that are unknown or obsolete with no replacement.
    """

    diseases: list[str]
    score: np.ndarray
    best_match: np.ndarray
    terms: list[str]
    skipped: list[str]

    def ranking(self, top_k: int | None = None) -> list[tuple[str, float]]:
        """``(disease IRI, similarity)`` from best to worst (the first ``top_k`` when given)."""
        idx = np.argsort(-self.score, kind="stable")
        if top_k is not None:
            idx = idx[:top_k]
        names = np.asarray(self.diseases, dtype=object)[idx].tolist()
        return list(zip(names, self.score[idx].tolist(), strict=True))


class ResnikRanker:
    """Rank diseases by Resnik best-match-average similarity to a patient's terms.

    Args:
        hierarchy: the term hierarchy.
        annotations: the annotation table.
        aspects: annotation aspects that make up each disease's term set and the IC counts
            (default: ``("P",)``; ``None`` keeps all, as pyhpo does).
        subjects: restrict the diseases (and the IC denominator) to these IRIs
            (default: every annotated subject).
        combine: one of :data:`COMBINE_METHODS` (default: ``"one_sided"``).
        ic_weighting: ``"count"`` or ``"frequency"`` (default: ``"count"``).
        unknown_frequency: frequency of annotations that state none, used by
            ``ic_weighting="frequency"`` (default: ``0.5``).

    Shapes:
        - ``ic``: ``[num_terms]``
        - ``ancestors``: ``[num_diseases, num_terms]`` CSC bool, :math:`A(D)`
    """

    def __init__(
        self,
        hierarchy: TermHierarchy,
        annotations: AnnotationTable,
        *,
        aspects: Sequence[str] | None = ("P",),
        subjects: Iterable[str] | None = None,
        combine: str = "one_sided",
        ic_weighting: str = "count",
        unknown_frequency: float = 0.5,
    ) -> None:
        _check_combine(combine)
        if ic_weighting not in _IC_WEIGHTINGS:
            raise ValueError(
                f"unknown ic_weighting {ic_weighting!r}; choose one of {', '.join(_IC_WEIGHTINGS)}"
            )
        self.hierarchy = hierarchy
        self.combine = combine
        matrix = disease_term_matrix(
            hierarchy,
            annotations,
            aspects=aspects,
            subjects=subjects,
            unknown_frequency=unknown_frequency,
        )
        self.diseases = matrix.diseases
        self.disease_labels = matrix.disease_labels
        num = len(self.diseases)
        if num == 0:
            raise ValueError("no disease has an annotation of the requested aspects")
        self._closure = hierarchy.closure.tocsr()
        direct = matrix.annotated.astype(np.float64)
        self.ancestors = ((direct @ self._closure.astype(np.float64)) > 0).tocsc()
        # Diseases without any annotation of the kept aspects still count in the IC
        # denominator (pyhpo divides by every disease of the kind).
        if ic_weighting == "count":
            mass = np.diff(self.ancestors.indptr).astype(np.float64)
        else:
            mass = np.asarray(propagate_up(matrix.frequency, self._closure).sum(axis=0)).ravel()
        with np.errstate(divide="ignore"):
            self.ic = np.where(mass > 0, -np.log(np.maximum(mass, 1e-300) / num), 0.0)
        self._ancestor_ic = self.ancestors.astype(np.float64).multiply(self.ic[None, :]).tocsc()
        self._ancestor_ic.eliminate_zeros()
        counts = np.diff(direct.indptr).astype(np.float64)
        inv = np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0)
        #: ``[num_diseases, num_terms]`` each disease's direct terms weighted 1/|D|.
        self._direct_mean = sp.diags(inv) @ direct
        self._direct_count = counts
        #: the same two matrices by rows, for the scores of a few diseases
        self._ancestor_ic_rows = self._ancestor_ic.tocsr()
        self._direct_mean_rows = sp.csr_matrix(self._direct_mean)
        logger.info("Resnik ranker over %d diseases (%s)", num, combine)

    def __len__(self) -> int:
        return len(self.diseases)

    def _resolve(self, terms: Iterable[str]) -> tuple[list[int], list[str]]:
        out: list[int] = []
        skipped: list[str] = []
        for term in terms:
            iri = self.hierarchy.resolve(term)
            if iri is None:
                skipped.append(term)
                continue
            i = self.hierarchy.index(iri)
            if i not in out:
                out.append(i)
        return out, skipped

    def _term_ancestors(self, i: int) -> np.ndarray:
        c = self._closure
        return c.indices[c.indptr[i] : c.indptr[i + 1]]

    def score(self, terms: Sequence[str], *, combine: str | None = None) -> ResnikScores:
        """Similarity of a patient's terms to every disease.

        Args:
            terms: the patient's present terms (IRIs or CURIEs).
            combine: overrides the ranker's combine method.

        Returns:
            The scores; with no known term every score is 0.
        """
        combine = self._checked(combine)
        idx, skipped = self._resolve(terms)
        num = len(self.diseases)
        if not idx:
            return ResnikScores(self.diseases, np.zeros(num), np.zeros((num, 0)), [], skipped)
        anc, union, inverse = self._patient_ancestors(idx)
        # [|union|, num_diseases]: IC of each union ancestor where the disease has it.
        best = _best_matches(dense_columns(self._ancestor_ic, union), anc, inverse)
        row_sum = best.sum(axis=0)
        if combine == "one_sided":
            score = row_sum / len(idx)
        else:
            # every term's best IC against the patient, averaged over each disease's terms
            col_mean = self._direct_mean @ self._best_ic(self._closure, union)
            score = _symmetric(combine, row_sum, col_mean, len(idx), self._direct_count)
        return ResnikScores(
            self.diseases,
            score,
            best.T,
            [self.hierarchy.terms[i] for i in idx],
            skipped,
        )

    def score_candidates(
        self,
        terms: Sequence[str],
        candidates: Sequence[int] | np.ndarray,
        *,
        combine: str | None = None,
    ) -> np.ndarray:
        """``score(terms).score[candidates]``, computed for those diseases only (a shortlist
        costs a fraction of a millisecond where every disease costs ~10 ms on HPO).

        Args:
            terms: the patient's present terms (IRIs or CURIEs); unknown ones are skipped.
            candidates: indices into :attr:`diseases`.
            combine: overrides the ranker's combine method.
        """
        return self.score_candidates_each(terms, candidates, (combine or self.combine,))[0]

    def score_candidates_each(
        self, terms: Sequence[str], candidates: Sequence[int] | np.ndarray, combines: Sequence[str]
    ) -> list[np.ndarray]:
        """:meth:`score_candidates` for each of ``combines`` (:data:`COMBINE_METHODS`), the
        two directions computed once."""
        combines = [self._checked(c) for c in combines]
        rows = np.asarray(candidates, dtype=np.int64)
        idx, _ = self._resolve(terms)
        if not idx or not len(rows):
            return [np.zeros(len(rows)) for _ in combines]
        anc, union, inverse = self._patient_ancestors(idx)
        # [|union|, len(rows)]: IC of each union ancestor where the disease has it.
        gathered = self._ancestor_ic_rows[rows][:, union].toarray().T
        row_sum = _best_matches(gathered, anc, inverse).sum(axis=0)
        col_mean = None
        if any(c != "one_sided" for c in combines):
            direct = self._direct_mean_rows[rows]
            # only the candidates' own terms need their best IC against the patient's ancestors
            used = np.unique(direct.indices)
            best_of_term = np.zeros(len(self.ic))
            best_of_term[used] = self._best_ic(self._closure[used], union)
            col_mean = direct @ best_of_term
        return [
            row_sum / len(idx)
            if col_mean is None or c == "one_sided"
            else _symmetric(c, row_sum, col_mean, len(idx), self._direct_count[rows])
            for c in combines
        ]

    def _checked(self, combine: str | None) -> str:
        return _check_combine(combine or self.combine)

    def _best_ic(self, closure_rows: sp.spmatrix, union: np.ndarray) -> np.ndarray:
        """For each term of ``closure_rows`` (its ancestors-or-self): the best IC among its
        ancestors that are also in ``union`` (the ancestors of the patient's terms)."""
        sub = closure_rows[:, union].astype(np.float64).multiply(self.ic[union][None, :])
        return np.asarray(sp.csr_matrix(sub).max(axis=1).todense()).ravel()

    def _patient_ancestors(self, idx: list[int]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """Each patient term's ancestors, their union, and where each ancestor sits in it."""
        anc = [self._term_ancestors(i) for i in idx]
        union, inverse = np.unique(np.concatenate(anc), return_inverse=True)
        return anc, union, inverse


def _check_combine(combine: str) -> str:
    if combine not in COMBINE_METHODS:
        raise ValueError(
            f"unknown combine method {combine!r}; choose one of {', '.join(COMBINE_METHODS)}"
        )
    return combine


def _best_matches(gathered: np.ndarray, anc: list[np.ndarray], inverse: np.ndarray) -> np.ndarray:
    """``[num_patient_terms, n]``: each patient term's best IC in each of ``n`` diseases, from
    the ``[|union|, n]`` ICs of the union of the terms' ancestors."""
    best = np.empty((len(anc), gathered.shape[1]))
    start = 0
    for j, a in enumerate(anc):
        best[j] = gathered[inverse[start : start + len(a)]].max(axis=0)
        start += len(a)
    return best


def _symmetric(
    combine: str, row_sum: np.ndarray, col_mean: np.ndarray, num_terms: int, counts: np.ndarray
) -> np.ndarray:
    """The two directions combined: ``row_sum`` of the patient's best matches, ``col_mean``
    of the diseases' (``counts`` terms each)."""
    row_mean = row_sum / num_terms
    if combine == "funSimAvg":
        return (row_mean + col_mean) / 2.0
    if combine == "funSimMax":
        return np.maximum(row_mean, col_mean)
    col_sum = col_mean * counts  # BMA
    return (row_sum + col_sum) / (num_terms + counts)
