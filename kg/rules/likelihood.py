r"""LIRICAL-style phenotype likelihood ratios, vectorised over every annotated disease.

The clinical likelihood ratio of a finding :math:`h` for a disease :math:`D` is

.. math::
    \mathrm{LR}(h; D) = \frac{P(h \mid D)}{P(h \mid \neg D)}

and, assuming findings independent given the disease, the LR of a patient is the product of
the LRs of their findings (Robinson et al. 2020, "Interpretable clinical genomics with a
likelihood ratio paradigm", AJHG 107:403). Here every probability is read from the phenotype
annotations of the KG:

* :math:`p(D, t)` -- probability that a patient with :math:`D` shows :math:`t`, propagated up
  the hierarchy (true-path rule): a patient with a descendant of :math:`t` also has :math:`t`.
  With ``propagation="noisy_or"`` (default) :math:`p(D, t) = 1 - \prod_s (1 - f_s)` over the
  distinct terms :math:`s \sqsubseteq t` annotated on :math:`D` with frequency :math:`f_s`;
  with ``"max"`` it is :math:`\max_s f_s` (LIRICAL's choice). An annotation without a stated
  frequency gets ``unknown_frequency``; repeated annotations of one term keep the highest; a
  stated frequency of 0 ("0/5") means the feature was not seen and adds nothing.
* background :math:`q(t) = \frac{1}{N}\sum_D p(D, t)`: the fraction of diseases that have
  :math:`t`, each weighted by how often it shows it (``background="frequency"``, default), or
  the plain fraction (``"count"``); floored at half a disease, :math:`1/(2N)`.
* match :math:`m(D, h)` of a present finding: :math:`p(D, h)` when :math:`D` is annotated with
  :math:`h` or a descendant (exact or implied match), else, with ``partial_credit`` (off by
  default, see :class:`LikelihoodConfig`), partial credit when :math:`D` is annotated with a
  strict ancestor :math:`a` of :math:`h` (the patient is described more precisely than the
  disease): :math:`f_a \, q(h) / q(a)`, the ancestor's frequency times the
  share of the ancestor's background that the more specific term takes. Findings below a
  ``NOT`` annotation of :math:`D` get :math:`m = 0`.
* a recorded finding is unrelated to the disease (comorbidity, annotation gaps, recording
  error) with probability :math:`\alpha` (``false_positive_rate``), drawn from the background.
* with ``neighbours`` :math:`k > 0` and ``neighbour_weight`` :math:`\beta > 0`, the curated
  profile is completed from the diseases most like it (:func:`impute_from_neighbours`):
  :math:`p'(D, t) = 1 - (1 - p(D, t))(1 - \beta \bar p_k(D, t))`, where
  :math:`\bar p_k(D, t)` is the similarity-weighted mean of :math:`p(N, t)` over the
  :math:`k` diseases :math:`N` nearest to :math:`D` (cosine of their information-content
  weighted profiles), and the background is computed from :math:`p'`. A finding then matched
  only through the neighbours is :attr:`MatchKind.IMPUTED`.
* with ``counterpart_weight`` :math:`\gamma > 0`, before that, each profile is completed from
  the disease's counterparts, its entries in the KG's other sources (an Orphanet entry of an
  OMIM disease: :mod:`kg.rules.counterparts`):
  :math:`p(D, t) \leftarrow 1 - (1 - p(D, t))(1 - \gamma\, p(C_D, t))`, :math:`p(C_D, t)` the
  counterparts' propagated profile; the nearest diseases are then found and averaged over
  these fuller profiles. A finding matched only through counterparts or neighbours is
  :attr:`MatchKind.IMPUTED`.

So for a present finding and an excluded finding:

.. math::
    \mathrm{LR}^{+}(h; D) = \frac{(1-\alpha)\, m(D,h) + \alpha\, q(h)}{q(h)}, \qquad
    \mathrm{LR}^{-}(h; D) = \frac{(1-\alpha)\,(1 - p(D,h)) + \alpha\,(1 - q(h))}{1 - q(h)}

with :math:`1 - p(D,h) = 1` where :math:`D` has a ``NOT`` annotation on :math:`h` or one of
its ancestors. An unexplained present finding costs :math:`\log_{10}\alpha` at most, an excluded
finding the disease always shows costs about :math:`\log_{10}\alpha`. With an
``excluded_weight`` :math:`w < 1` the excluded findings are tempered: each counts
:math:`w \log_{10} \mathrm{LR}^{-}` (see :class:`LikelihoodConfig`). With a ``breadth_weight``
:math:`b > 0` each disease's total also carries a prior factor :math:`n_D^{-b}`, :math:`n_D` its
number of directly annotated terms.

Scores are :math:`\log_{10}` LRs. Post-test probabilities follow LIRICAL: per disease, pre-test
odds times the LR (uniform pre-test probability :math:`1/N` unless a prior is given).

Example:
    >>> kg = KnowledgeGraph.open(default_kg_path("hpo"))          # doctest: +SKIP
    >>> lr = PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations)   # doctest: +SKIP
    >>> res = lr.score(["HP:0001166", "HP:0001083"], ["HP:0001249"])     # doctest: +SKIP
    >>> res.ranking(3)                                                  # doctest: +SKIP
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from kg.annotations import AnnotationTable
from kg.hierarchy import TermHierarchy
from kg.namespaces import to_iri
from kg.rules.counterparts import Counterparts, disease_genes, find_counterparts, unit_profiles
from kg.rules.onset import ONSET_ROOT, is_onset_class, not_an_onset_class, related_onsets

if TYPE_CHECKING:
    from kg.knowledge_graph import KnowledgeGraph

logger = logging.getLogger(__name__)

__all__ = [
    "DiseaseTermMatrix",
    "LikelihoodConfig",
    "MAX_NEIGHBOURS",
    "MatchKind",
    "Neighbours",
    "PhenotypeLikelihood",
    "ScoreResult",
    "background_of",
    "dense_columns",
    "check_neighbours",
    "impute_from_neighbours",
    "nearest_diseases",
    "disease_term_matrix",
    "propagate_up",
]

_PROPAGATIONS = ("noisy_or", "max")
_BACKGROUNDS = ("frequency", "count")
#: Largest frequency used inside logarithms, so that a frequency of 1 stays finite.
_MAX_FREQUENCY = 1.0 - 1e-6
MAX_NEIGHBOURS = 1000
"""Most diseases :attr:`LikelihoodConfig.neighbours` may name."""


class MatchKind(enum.IntEnum):
    """How a finding relates to a disease's annotations (codes of ``ScoreResult.match``)."""

    UNEXPLAINED = 0
    """Present finding the disease's annotations do not account for."""
    EXACT_OR_IMPLIED = 1
    """Present finding annotated on the disease, or implied by a more specific annotation."""
    PARTIAL = 2
    """Present finding more specific than an annotation of the disease (partial credit)."""
    CONTRADICTED = 3
    """Present finding the disease is annotated ``NOT`` to have."""
    EXCLUDED_EXPECTED = 4
    """Excluded finding the disease may show (its probability counts against it)."""
    EXCLUDED_ABSENT = 5
    """Excluded finding the disease is not annotated with (or is annotated ``NOT`` to have)."""
    IMPUTED = 6
    """Present finding the disease is not annotated with, credited because its counterparts
    in the KG's other sources (``LikelihoodConfig.counterpart_weight``) or the diseases most
    like it (``LikelihoodConfig.neighbours``) are."""


@dataclass(frozen=True)
class LikelihoodConfig:
    """Parameters of :class:`PhenotypeLikelihood`.

    Attributes:
        unknown_frequency: frequency of an annotation that states none (default: ``0.5``,
            close to the mean stated frequency, 0.52, of the HPO 2025-01-16 annotations that
            state one).
        false_positive_rate: probability :math:`\\alpha` that a recorded finding is unrelated
            to the disease; also the lowest LR of one finding (default: ``0.1``).
        propagation: ``"noisy_or"`` or ``"max"``, how frequencies of several annotated
            descendants combine into the probability of their ancestor
            (default: ``"noisy_or"``).
        background: ``"frequency"`` (frequency-weighted fraction of diseases) or ``"count"``
            (plain fraction of diseases) (default: ``"frequency"``).
        partial_credit: give partial credit to findings more specific than an annotation
            (default: ``False``: on the development phenopackets, present terms only,
            partial credit lowered top-10 from 62.3% to 59.5% on the 1,092 covered cases
            (paired bootstrap 95% interval of the gain +1.6 to +4.1 points) and from 35.2%
            to 31.4% on the 545 leakage-free ones: it lifts diseases annotated with many broad
            terms above the true one. Models trained before this default changed record
            ``True`` in their metadata or are read as such).
        excluded_weight: weight of each excluded finding's log10 LR (default: ``1.0``,
            LIRICAL's).
        breadth_weight: :math:`b \\ge 0`; each disease's total is lowered by
            :math:`b \\log_{10} n_D`, :math:`n_D` the number of phenotype terms it is
            directly annotated with: a prior odds :math:`\\propto n_D^{-b}` favouring
            narrowly annotated diseases. The LR credits a finding that any of a disease's
            terms (or their ancestors) explain and never charges a disease for the terms
            the patient lacks, so a broadly annotated disease explains an arbitrary set of
            findings more easily (default: ``0.0``, none; the diagnosis model's prior
            takes it from ``model.prior_breadth_weight``).
        neighbours: :math:`k`, how many of the most similar diseases complete a disease's
            profile (default: ``0``, none; see :func:`impute_from_neighbours`).
        neighbour_weight: :math:`\\beta \\in [0, 1]`, how far their mean profile counts
            (default: ``0.0``, not at all). Both must be positive for any imputation, which
            needs the ``frequency`` background. Excluded findings are scored against the
            completed profiles too (a disease then "may show" a feature its neighbours
            have), which matters only with a positive ``excluded_weight``.
        counterpart_weight: :math:`\\gamma \\in [0, 1]`, how far the annotations of a
            disease's counterparts in the KG's other sources count in its profile
            (:mod:`kg.rules.counterparts`; default: ``0.0``, not at all). Needs the
            ``frequency`` background, and the other sources' subjects in the annotation
            table beside the candidates.
        counterpart_similarity: the least profile similarity of a counterpart found through
            a shared gene rather than its name (default: ``0.4``, chosen by cross-validation
            over the development diseases; see docs/measurements.md).
    """

    unknown_frequency: float = 0.5
    false_positive_rate: float = 0.1
    propagation: str = "noisy_or"
    background: str = "frequency"
    partial_credit: bool = False
    excluded_weight: float = 1.0
    breadth_weight: float = 0.0
    neighbours: int = 0
    neighbour_weight: float = 0.0
    counterpart_weight: float = 0.0
    counterpart_similarity: float = 0.4

    def __post_init__(self) -> None:
        if not 0.0 < self.unknown_frequency <= 1.0:
            raise ValueError(f"unknown_frequency must lie in (0, 1], got {self.unknown_frequency}")
        if not 0.0 < self.false_positive_rate < 1.0:
            raise ValueError(
                f"false_positive_rate must lie in (0, 1), got {self.false_positive_rate}"
            )
        if not 0.0 <= self.excluded_weight <= 1.0:
            raise ValueError(f"excluded_weight must lie in [0, 1], got {self.excluded_weight}")
        if not 0.0 <= self.breadth_weight <= 10.0:
            raise ValueError(f"breadth_weight must lie in [0, 10], got {self.breadth_weight}")
        if isinstance(self.neighbours, bool) or not isinstance(self.neighbours, int):
            raise ValueError(f"neighbours must be an integer, got {self.neighbours!r}")
        if not 0 <= self.neighbours <= MAX_NEIGHBOURS:
            raise ValueError(f"neighbours must lie in [0, {MAX_NEIGHBOURS}], got {self.neighbours}")
        if not 0.0 <= self.neighbour_weight <= 1.0:
            raise ValueError(f"neighbour_weight must lie in [0, 1], got {self.neighbour_weight}")
        for key in ("counterpart_weight", "counterpart_similarity"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise ValueError(f"{key} must lie in [0, 1], got {getattr(self, key)}")
        if (self.imputes or self.uses_counterparts) and self.background != "frequency":
            raise ValueError(
                "neighbours and counterparts need background='frequency': with 'count' every "
                "imputed probability, however small, would count as a whole disease"
            )
        if self.propagation not in _PROPAGATIONS:
            choices = ", ".join(_PROPAGATIONS)
            raise ValueError(f"unknown propagation {self.propagation!r}; choose one of {choices}")
        if self.background not in _BACKGROUNDS:
            raise ValueError(
                f"unknown background {self.background!r}; choose one of {', '.join(_BACKGROUNDS)}"
            )

    @property
    def imputes(self) -> bool:
        """Whether the profiles are completed from the nearest diseases."""
        return self.neighbours > 0 and self.neighbour_weight > 0.0

    @property
    def uses_counterparts(self) -> bool:
        """Whether the profiles are completed from the diseases' counterparts."""
        return self.counterpart_weight > 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LikelihoodConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, not ignored."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown likelihood settings {sorted(unknown)}")
        return cls(**data)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DiseaseTermMatrix:
    """Direct annotations of diseases as sparse matrices over the hierarchy's terms.

    Attributes:
        diseases: IRI of each row.
        disease_labels: label of each row ("" when unknown).
        frequency: ``[num_diseases, num_terms]`` CSR float, highest frequency of each
            (disease, term) annotation (unknown frequency already replaced); only positive
            frequencies are stored.
        negated: ``[num_diseases, num_terms]`` CSR bool, ``NOT`` annotations.
        unseen: ``[num_diseases, num_terms]`` CSR bool, the pairs whose every annotation
            states a frequency of 0 ("0/12": looked for, seen in none of the patients), or
            None (none known).
    """

    diseases: list[str]
    disease_labels: list[str]
    frequency: sp.csr_matrix
    negated: sp.csr_matrix
    unseen: sp.csr_matrix | None = None

    @property
    def annotated(self) -> sp.csr_matrix:
        """``[num_diseases, num_terms]`` bool: the positive direct annotations."""
        return (self.frequency > 0).tocsr()


def disease_term_matrix(
    hierarchy: TermHierarchy,
    annotations: AnnotationTable,
    *,
    aspects: Sequence[str] | None = ("P",),
    subjects: Iterable[str] | None = None,
    unknown_frequency: float = 0.5,
) -> DiseaseTermMatrix:
    """Collect the annotations of ``annotations`` into disease x term matrices.

    Args:
        hierarchy: the term hierarchy (column order of the matrices).
        annotations: the annotation table.
        aspects: aspect codes to keep (``None`` keeps every row) (default: ``("P",)``).
        subjects: restrict rows to these subject IRIs, in the table's order (default: every
            subject of the table, including those with no row of the kept aspects).
        unknown_frequency: frequency of rows that state none (default: ``0.5``).

    Returns:
        The matrices; rows of obsolete or unknown terms are dropped.
    """
    num_terms = len(hierarchy)
    index = {t: i for i, t in enumerate(hierarchy.terms)}
    term_col = np.array([index.get(t, -1) for t in annotations.terms], dtype=np.int64)
    if subjects is None:
        keep_subject = np.arange(len(annotations.subjects), dtype=np.int64)
    else:
        wanted = set(subjects)
        keep_subject = np.array(
            [i for i, s in enumerate(annotations.subjects) if s in wanted], dtype=np.int64
        )
    subject_row = np.full(len(annotations.subjects), -1, dtype=np.int64)
    subject_row[keep_subject] = np.arange(len(keep_subject))

    col = term_col[annotations.term] if len(annotations) else np.empty(0, dtype=np.int64)
    row = subject_row[annotations.subject] if len(annotations) else np.empty(0, dtype=np.int64)
    ok = (col >= 0) & (row >= 0)
    if len(col):
        ok &= ~hierarchy.obsolete[np.where(col >= 0, col, 0)]
    if aspects is not None:
        aspect_ok = np.isin(np.asarray(annotations.aspect, dtype=object), list(aspects))
        ok &= aspect_ok
    dropped = int((col < 0).sum())
    if dropped:
        logger.warning("%d annotation rows name terms outside the hierarchy; dropped", dropped)

    freq = np.asarray(annotations.frequency, dtype=np.float64)
    freq = np.where(np.isnan(freq), unknown_frequency, freq)
    shape = (len(keep_subject), num_terms)

    pos = ok & ~annotations.negated & (freq > 0)
    # Repeated (disease, term) rows keep their highest frequency: sort, then reduce.
    key = row[pos] * num_terms + col[pos]
    f = freq[pos]
    order = np.lexsort((-f, key))
    key, f = key[order], f[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, f = key[first], f[first]
    frequency = sp.csr_matrix(
        (np.minimum(f, 1.0), (key // num_terms, key % num_terms)), shape=shape
    )

    neg = ok & annotations.negated
    negated = sp.csr_matrix(
        (np.ones(int(neg.sum()), dtype=bool), (row[neg], col[neg])), shape=shape, dtype=bool
    )
    negated.sum_duplicates()
    diseases = [annotations.subjects[i] for i in keep_subject]
    labels = [annotations.subject_labels[i] for i in keep_subject]
    # pairs seen in none of the patients, and in no positive row either
    zero = ok & ~annotations.negated & (freq == 0)
    zero &= ~np.isin(row * num_terms + col, key)
    unseen = sp.csr_matrix(
        (np.ones(int(zero.sum()), dtype=bool), (row[zero], col[zero])), shape=shape, dtype=bool
    )
    unseen.sum_duplicates()
    return DiseaseTermMatrix(diseases, labels, frequency, negated, unseen)


def disease_onsets(
    hierarchy: TermHierarchy, annotations: AnnotationTable, subjects: Iterable[str] | None = None
) -> DiseaseTermMatrix | None:
    """The onset annotations of each disease (aspect C, classes under *Onset*), in the rows
    :func:`disease_term_matrix` gives for the same ``subjects``; None when the hierarchy has
    no onset classes."""
    root = hierarchy.resolve(ONSET_ROOT)
    if root is None:
        return None
    matrix = disease_term_matrix(hierarchy, annotations, aspects=("C",), subjects=subjects)
    onset_cols = np.zeros(len(hierarchy), dtype=bool)
    onset_cols[[hierarchy.index(t) for t in hierarchy.descendants(root)]] = True
    frequency = sp.csr_matrix(matrix.frequency @ sp.diags(onset_cols.astype(np.float64)))
    frequency.eliminate_zeros()
    return replace(matrix, frequency=frequency)


def propagate_up(
    frequency: sp.csr_matrix, closure: sp.csr_matrix, *, propagation: str = "noisy_or"
) -> sp.csc_matrix:
    r"""Probability of every ancestor term given the direct annotation frequencies.

    Args:
        frequency: ``[num_diseases, num_terms]`` direct frequencies (one entry per term).
        closure: ``[num_terms, num_terms]`` bool, ``closure[s, a]`` iff ``a`` is ``s`` or an
            ancestor of ``s``.
        propagation: ``"noisy_or"`` (:math:`1-\prod(1-f)`) or ``"max"``.

    Returns:
        ``[num_diseases, num_terms]`` CSC float64 :math:`p(D, t)`.
    """
    if propagation == "noisy_or":
        log_miss = frequency.copy().astype(np.float64)
        log_miss.data = np.log1p(-np.minimum(log_miss.data, _MAX_FREQUENCY))
        summed = (log_miss @ closure.astype(np.float64)).tocsc()
        summed.data = -np.expm1(summed.data)
        summed.eliminate_zeros()
        return summed
    if propagation != "max":
        raise ValueError(f"unknown propagation {propagation!r}; choose one of noisy_or, max")
    coo = frequency.tocoo()
    anc_counts = np.diff(closure.indptr)[coo.col]
    rows = np.repeat(coo.row, anc_counts)
    vals = np.repeat(coo.data, anc_counts)
    starts = closure.indptr[coo.col]
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(anc_counts) - anc_counts, anc_counts)
    cols = closure.indices[np.repeat(starts, anc_counts) + offsets]
    num_terms = frequency.shape[1]
    key = rows.astype(np.int64) * num_terms + cols
    order = np.lexsort((-vals, key))
    key, vals = key[order], vals[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, vals = key[first], vals[first]
    return sp.csc_matrix((vals, (key // num_terms, key % num_terms)), shape=frequency.shape)


@dataclass(frozen=True)
class Neighbours:
    """The diseases most like each disease, by their phenotype profiles.

    Attributes:
        index: ``[num_diseases, k]`` row indices of the nearest diseases, nearest first.
        similarity: ``[num_diseases, k]`` their cosine similarity, in ``[0, 1]``.
    """

    index: np.ndarray
    similarity: np.ndarray


def nearest_diseases(
    probability: sp.spmatrix, background: np.ndarray, k: int, *, chunk: int = 512
) -> Neighbours:
    """The ``k`` diseases nearest to each disease (never itself).

    Profiles are the rows of ``probability`` weighted by each term's information content,
    :math:`-\\log q(t)`, so that a shared rare feature counts for more than a shared common
    one; nearness is their cosine. Ties go to the lower row index, so the result depends on
    the data only.

    Args:
        probability: ``[num_diseases, num_terms]`` :math:`p(D, t)`.
        background: ``[num_terms]`` :math:`q(t)`, in ``(0, 1]``.
        k: neighbours per disease (at most ``num_diseases - 1`` are returned).
        chunk: rows compared at once (bounds the memory to ``chunk x num_diseases`` floats).
    """
    num = probability.shape[0]
    k = min(k, num - 1)
    if k <= 0:
        return Neighbours(np.zeros((num, 0), dtype=np.int64), np.zeros((num, 0)))
    unit = unit_profiles(probability, -np.log(background))
    unit_t = sp.csc_matrix(unit.T)
    index = np.empty((num, k), dtype=np.int64)
    similarity = np.empty((num, k), dtype=np.float64)
    for start in range(0, num, chunk):
        rows = np.arange(start, min(start + chunk, num))
        sim = (unit[rows] @ unit_t).toarray()
        sim[np.arange(len(rows)), rows] = -np.inf  # never its own neighbour
        index[rows], similarity[rows] = _top_k_by_index(sim, k)
    np.clip(similarity, 0.0, 1.0, out=similarity)
    return Neighbours(index, similarity)


def _top_k_by_index(sim: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``k`` largest values of each row, ordered by (-value,
    column): exact ties go to the lower column, whatever the selection algorithm keeps (a
    row whose k-th value is tied beyond the k kept is sorted whole)."""
    top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(sim, top, axis=1).min(axis=1)
    tied = np.flatnonzero((sim >= kth[:, None]).sum(axis=1) > k)
    for r in tied:  # more candidates than places: pick by (-value, column) among them all
        candidates = np.flatnonzero(sim[r] >= kth[r])
        top[r] = candidates[np.lexsort((candidates, -sim[r, candidates]))[:k]]
    values = np.take_along_axis(sim, top, axis=1)
    order = np.lexsort((top, -values), axis=1)
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(values, order, axis=1)


def check_neighbours(neighbours: Neighbours, num_diseases: int, k: int) -> None:
    """Refuse neighbours that are not :func:`nearest_diseases`' shape for these diseases.

    Raises:
        ValueError: the shape is not ``[num_diseases, min(k, num_diseases - 1)]``, an index
            is out of range or a disease's own, or a similarity is outside ``[0, 1]``.
    """
    index, similarity = np.asarray(neighbours.index), np.asarray(neighbours.similarity)
    want = (num_diseases, max(min(k, num_diseases - 1), 0))
    if index.shape != want or similarity.shape != want:
        raise ValueError(
            f"neighbours of shape {index.shape} / {similarity.shape} do not fit {want[0]} "
            f"diseases with {k} neighbours each"
        )
    if index.dtype != np.int64 or similarity.dtype != np.float64:
        raise ValueError(
            f"neighbours must be int64 indices and float64 similarities, got {index.dtype} "
            f"and {similarity.dtype}"
        )
    if index.size and (index.min() < 0 or index.max() >= num_diseases):
        raise ValueError("a neighbour index lies outside the diseases")
    if np.any(index == np.arange(num_diseases)[:, None]):
        raise ValueError("a disease is its own neighbour")
    if not np.all((similarity >= 0.0) & (similarity <= 1.0)):  # NaN fails too
        raise ValueError("a neighbour similarity lies outside [0, 1]")


def impute_from_neighbours(
    probability: sp.spmatrix, neighbours: Neighbours, weight: float
) -> sp.csc_matrix:
    r"""Complete each disease's profile from its nearest diseases.

    :math:`p'(D, t) = 1 - (1 - p(D, t))(1 - \beta \bar p(D, t))`, :math:`\bar p(D, t)` the
    similarity-weighted mean of :math:`p(N, t)` over the neighbours :math:`N` of :math:`D`
    and :math:`\beta` = ``weight``. Curated annotations are incomplete, and a feature that
    the diseases most like ``D`` show is more likely in ``D`` than in a random disease. The
    imputed share stays below :math:`\beta`: a disease annotated with a term at a frequency
    of :math:`\beta` or more counts for more than any disease credited with it through its
    neighbours alone (one annotated at a lower frequency, "occasional", may count for less).

    Args:
        probability: ``[num_diseases, num_terms]`` :math:`p(D, t)`.
        neighbours: from :func:`nearest_diseases` on the same rows.
        weight: :math:`\beta \in [0, 1]`.

    Returns:
        ``[num_diseases, num_terms]`` CSC :math:`p'(D, t)` (``probability`` where a disease has
        no neighbour with a positive similarity).
    """
    num, k = neighbours.index.shape
    total = neighbours.similarity.sum(axis=1, keepdims=True)
    share = np.divide(
        neighbours.similarity, total, out=np.zeros_like(neighbours.similarity), where=total > 0
    )
    mix = sp.csr_matrix(
        (share.ravel(), (np.repeat(np.arange(num), k), neighbours.index.ravel())),
        shape=(num, num),
    )
    curated = sp.csr_matrix(probability, dtype=np.float64)
    imputed = sp.csr_matrix(mix @ curated) * weight
    # p + (1 - p) * beta * mean, each term sparse (p = 1 stays 1 up to rounding)
    out = sp.csc_matrix(curated + imputed - curated.multiply(imputed))
    out.eliminate_zeros()
    return out


def background_of(probability: sp.spmatrix, kind: str = "frequency") -> np.ndarray:
    """:math:`q(t)` over the rows of ``probability``: the mean probability of each term
    (``"frequency"``) or the share of rows that have it (``"count"``), floored at half a
    row."""
    num = probability.shape[0]
    if kind == "frequency":
        mass = np.asarray(probability.sum(axis=0)).ravel()
    else:
        mass = np.diff(sp.csc_matrix(probability).indptr).astype(np.float64)
    return np.maximum(mass / num, 0.5 / num)


def counterparts_in(
    hierarchy: TermHierarchy,
    annotations: AnnotationTable,
    matrix: DiseaseTermMatrix,
    config: LikelihoodConfig,
    genes: Mapping[str, Iterable[str]],
    aspects: Sequence[str] | None = ("P",),
) -> Counterparts:
    """The counterparts of ``matrix``'s diseases among the other subjects of
    ``annotations`` (:func:`kg.rules.counterparts.find_counterparts`), their profiles
    propagated and weighted by information content as :func:`nearest_diseases` weighs them."""
    candidates = set(matrix.diseases)
    others = [s for s in annotations.subjects if s not in candidates]
    other = disease_term_matrix(
        hierarchy,
        annotations,
        aspects=aspects,
        subjects=others,
        unknown_frequency=config.unknown_frequency,
    )
    closure = hierarchy.closure
    own = propagate_up(matrix.frequency, closure, propagation=config.propagation)
    theirs = propagate_up(other.frequency, closure, propagation=config.propagation)
    num = own.shape[0]
    background = background_of(own)
    found = find_counterparts(
        matrix.diseases,
        matrix.disease_labels,
        own,
        other.diseases,
        other.disease_labels,
        theirs,
        other.frequency,
        -np.log(background),
        genes,
        config.counterpart_similarity,
    )
    logger.info(
        "%d of %d diseases have counterparts among %d other subjects",
        found.count,
        num,
        len(other.diseases),
    )
    return found


@dataclass
class ScoreResult:
    """Likelihood ratios of one patient against every disease.

    Attributes:
        diseases: IRI of each disease (row order of every array).
        findings: IRI of each finding used (column order of ``contributions``).
        excluded: ``[num_findings]`` bool, the finding is excluded (stated absent).
        contributions: ``[num_diseases, num_findings]`` float, log10 LR of each finding
            (an excluded one times the config's ``excluded_weight``).
        match: ``[num_diseases, num_findings]`` int8, :class:`MatchKind` code of each pair.
        total: ``[num_diseases]`` float, log10 LR of the patient (sum of contributions, of
            ``onset_contribution`` and of ``breadth_contribution``).
        pretest: ``[num_diseases]`` float, pre-test probability of each disease.
        skipped: input ids that are unknown or obsolete with no replacement.
        resolved: input id -> current IRI, for inputs that were replaced (obsolete, alt ids).
        onset: IRI of the patient's onset class, None when not given.
        onset_contribution: ``[num_diseases]`` float, log10 LR of the onset (0 for a disease
            with no onset annotation, and for every disease when no onset is given).
        breadth_contribution: ``[num_diseases]`` float, the breadth prior's log10 factor
            (see ``LikelihoodConfig.breadth_weight``; 0 everywhere when its weight is 0).
    """

    diseases: list[str]
    findings: list[str]
    excluded: np.ndarray
    contributions: np.ndarray
    match: np.ndarray
    total: np.ndarray
    pretest: np.ndarray
    skipped: list[str] = field(default_factory=list)
    resolved: dict[str, str] = field(default_factory=dict)
    onset: str | None = None
    onset_contribution: np.ndarray | None = None
    breadth_contribution: np.ndarray | None = None

    @property
    def posttest(self) -> np.ndarray:
        r"""``[num_diseases]`` LIRICAL post-test probability of each disease.

        :math:`\mathrm{odds}_{post} = \mathrm{odds}_{pre} \cdot \mathrm{LR}`, computed in log
        space so that large LRs do not overflow.
        """
        pre = np.clip(self.pretest, 1e-300, 1 - 1e-16)
        log_odds = np.log10(pre) - np.log10(1.0 - pre) + self.total
        return 1.0 / (1.0 + np.power(10.0, -np.clip(log_odds, -300, 300)))

    def order(self) -> np.ndarray:
        """Disease indices from the highest to the lowest total (stable on ties)."""
        return np.argsort(-self.total, kind="stable")

    def ranking(self, top_k: int | None = None) -> list[tuple[str, float]]:
        """``(disease IRI, log10 LR)`` from best to worst (the first ``top_k`` when given)."""
        idx = self.order()
        if top_k is not None:
            idx = idx[:top_k]
        names = np.asarray(self.diseases, dtype=object)[idx].tolist()
        return list(zip(names, self.total[idx].tolist(), strict=True))

    def explain(self, disease: int | str) -> list[tuple[str, bool, float, MatchKind]]:
        """``(finding IRI, excluded, log10 LR, match kind)`` of each finding for one disease."""
        i = disease if isinstance(disease, int) else self.diseases.index(disease)
        return [
            (
                f,
                bool(self.excluded[j]),
                float(self.contributions[i, j]),
                MatchKind(self.match[i, j]),
            )
            for j, f in enumerate(self.findings)
        ]


class PhenotypeLikelihood:
    """Phenotype likelihood ratios of a patient against every disease of a KG.

    Build it with :meth:`from_kg`; :meth:`score` then takes a few milliseconds.

    Args:
        hierarchy: the term hierarchy.
        matrix: the direct annotations (see :func:`disease_term_matrix`).
        config: the model's parameters (default: :class:`LikelihoodConfig`).
        pretest: ``[num_diseases]`` pre-test probabilities (default: uniform ``1/N``).
        onsets: the diseases' onset annotations (aspect C, same rows as ``matrix``); without
            them a patient's onset changes no score.
        neighbours: the nearest diseases to complete the profiles from, when the config
            imputes (default: computed, :func:`nearest_diseases`: a few seconds for HPO's
            8,000 OMIM diseases; pass those saved with a model to skip it).
        counterparts: the diseases' counterparts in the KG's other sources, when the config
            uses them (:func:`find_counterparts`, as :meth:`from_kg` calls it).

    Raises:
        ValueError: no disease has an annotation; ``neighbours`` do not fit the diseases or
            the config's ``neighbours``; the config uses counterparts and none fitting the
            diseases are given.

    A patient's onset class counts like a finding whose frequency is
    :math:`1 - \\alpha` for a disease annotated with a related onset (the same class, a
    broader or a narrower one) and :math:`\\alpha` for one annotated with only unrelated
    onsets, over its mean among the diseases with an onset annotation; a disease with none
    gets LR 1 (unknown, not a mismatch).

    Shapes:
        - ``probability``: ``[num_diseases, num_terms]`` CSC, :math:`p(D, t)`
        - ``background``: ``[num_terms]``, :math:`q(t)`
    """

    def __init__(
        self,
        hierarchy: TermHierarchy,
        matrix: DiseaseTermMatrix,
        config: LikelihoodConfig | None = None,
        pretest: np.ndarray | None = None,
        onsets: DiseaseTermMatrix | None = None,
        neighbours: Neighbours | None = None,
        counterparts: Counterparts | None = None,
        completion_cache: Path | None = None,
    ) -> None:
        self.hierarchy = hierarchy
        self.config = config or LikelihoodConfig()
        self.diseases = matrix.diseases
        self.disease_labels = matrix.disease_labels
        num = len(self.diseases)
        if num == 0:
            raise ValueError("no disease has an annotation of the requested aspects")
        closure = hierarchy.closure
        self._closure = closure
        own = propagate_up(matrix.frequency, closure, propagation=self.config.propagation)
        profile = own
        self.counterparts: Counterparts | None = None
        if self.config.uses_counterparts:
            if counterparts is None:
                raise ValueError(
                    "the config completes profiles from counterparts (counterpart_weight > 0): "
                    "pass counterparts (PhenotypeLikelihood.from_kg finds them)"
                )
            if len(counterparts.entries) != num or counterparts.frequency.shape != own.shape:
                raise ValueError(
                    f"counterparts of {len(counterparts.entries)} diseases x "
                    f"{counterparts.frequency.shape[1]} terms do not fit {num} x {own.shape[1]}"
                )
            self.counterparts = counterparts
        if self.counterparts is not None and self.counterparts.count:
            theirs = propagate_up(
                self.counterparts.frequency, closure, propagation=self.config.propagation
            )
            theirs = sp.csc_matrix(theirs * self.config.counterpart_weight)
            profile = sp.csc_matrix(own + theirs - own.multiply(theirs))
        self.background = self._background_of(profile)
        self.neighbours: Neighbours | None = None
        # the profiles the neighbours are averaged from (own, with the counterparts')
        self._enriched: sp.csc_matrix = profile
        if self.config.imputes:
            if neighbours is None:
                neighbours = nearest_diseases(profile, self.background, self.config.neighbours)
            check_neighbours(neighbours, num, self.config.neighbours)
            self.neighbours = neighbours
            weight = self.config.neighbour_weight
            if completion_cache is None:
                profile = impute_from_neighbours(profile, neighbours, weight)
            else:  # kept on disk by a hash of these inputs (1-2 s to compute on HPO)
                from kg.rules.completion_cache import cached_completion

                profile = cached_completion(profile, neighbours, weight, completion_cache)
            self.background = self._background_of(profile)
        self.probability = profile
        # the curated profiles when completed: a match only beyond them is IMPUTED
        self._curated: sp.csc_matrix | None = own if profile is not own else None
        self._direct_ratio = sp.csr_matrix(
            matrix.frequency.multiply(1.0 / self.background[None, :])
        ).tocsc()
        # the breadth prior: -b log10(number of directly annotated terms), read-only
        breadth = np.maximum(np.diff(matrix.frequency.tocsr().indptr), 1).astype(np.float64)
        self._breadth = -self.config.breadth_weight * np.log10(breadth)
        self._breadth.flags.writeable = False
        self._negated = matrix.negated.tocsc()
        self._has_negated = np.diff(self._negated.indptr) > 0
        unseen = (
            matrix.unseen
            if matrix.unseen is not None
            else sp.csr_matrix(matrix.negated.shape, dtype=bool)
        )
        self._unseen = unseen.tocsc()
        self._has_unseen = np.diff(self._unseen.indptr) > 0
        if pretest is None:
            self.pretest = np.full(num, 1.0 / num)
        else:
            pretest = np.asarray(pretest, dtype=np.float64)
            if pretest.shape != (num,):
                raise ValueError(f"pretest must have shape ({num},), got {pretest.shape}")
            self.pretest = pretest
        self._onsets = None
        self._onset_lr: dict[int, np.ndarray] = {}
        if onsets is not None:
            if onsets.diseases != self.diseases:
                raise ValueError("onsets must have the rows of the annotation matrix")
            self._onsets = (onsets.frequency > 0).tocsc()
        self._has_onset = (
            np.diff(self._onsets.tocsr().indptr) > 0
            if self._onsets is not None
            else np.zeros(num, dtype=bool)
        )
        logger.info(
            "phenotype likelihood over %d diseases x %d terms (%d propagated entries)",
            num,
            len(hierarchy),
            self.probability.nnz,
        )

    @classmethod
    def from_kg(
        cls,
        hierarchy: TermHierarchy,
        annotations: AnnotationTable,
        *,
        aspects: Sequence[str] | None = ("P",),
        subjects: Iterable[str] | None = None,
        config: LikelihoodConfig | None = None,
        pretest: np.ndarray | None = None,
        neighbours: Neighbours | None = None,
        genes: Mapping[str, Iterable[str]] | None = None,
        completion_cache: Path | None = None,
    ) -> PhenotypeLikelihood:
        """Precompute the model from a KG's hierarchy and annotation table.

        Args:
            hierarchy: ``kg.hierarchy``.
            annotations: ``kg.annotations``.
            aspects: annotation aspects to use (default: ``("P",)``, phenotypic abnormality).
            subjects: restrict the diseases to these IRIs (default: every annotated subject).
            config: model parameters (default: :class:`LikelihoodConfig`).
            pretest: pre-test probability per disease, in the order of ``.diseases``
                (default: uniform).
            neighbours: the nearest diseases, when the config imputes (default: computed).
            genes: disease IRI -> its genes' IRIs (:func:`kg.rules.counterparts.disease_genes`),
                to find counterparts by gene when the config uses them; without them
                counterparts are found by name only.
            completion_cache: a folder where the profiles completed from the nearest
                diseases are kept and read back (:mod:`kg.rules.completion_cache`; default:
                computed in each process).
        """
        config = config or LikelihoodConfig()
        subjects = list(subjects) if subjects is not None else None
        matrix = disease_term_matrix(
            hierarchy,
            annotations,
            aspects=aspects,
            subjects=subjects,
            unknown_frequency=config.unknown_frequency,
        )
        onsets = disease_onsets(hierarchy, annotations, subjects)
        counterparts = None
        if config.uses_counterparts:
            counterparts = counterparts_in(
                hierarchy, annotations, matrix, config, genes or {}, aspects=aspects
            )
        return cls(
            hierarchy,
            matrix,
            config,
            pretest,
            onsets,
            neighbours,
            counterparts,
            completion_cache=completion_cache,
        )

    @classmethod
    def from_graph(
        cls,
        kg: KnowledgeGraph,
        *,
        subjects: Iterable[str] | None = None,
        config: LikelihoodConfig | None = None,
        neighbours: Neighbours | None = None,
        completion_cache: Path | None = None,
    ) -> PhenotypeLikelihood:
        """:meth:`from_kg` on a KG's hierarchy and annotations, with its gene links
        (:func:`kg.rules.counterparts.disease_genes`) when the config uses counterparts."""
        config = config or LikelihoodConfig()
        return cls.from_kg(
            kg.hierarchy,
            kg.annotations,
            subjects=subjects,
            config=config,
            neighbours=neighbours,
            genes=disease_genes(kg) if config.uses_counterparts else None,
            completion_cache=completion_cache,
        )

    def imputed_from(
        self, term: str, diseases: np.ndarray, limit: int = 3
    ) -> list[list[tuple[str, float]]]:
        """For each of ``diseases`` (row indices): the entries whose profile has ``term`` and
        completed its own, as ``(disease IRI, similarity)``: its counterparts in other sources
        first, then its nearest diseases, nearest first; at most ``limit`` (empty when the
        config completes no profile); the term's column is read once."""
        empty: list[list[tuple[str, float]]] = [[] for _ in range(len(diseases))]
        if self._curated is None:
            return empty
        iri = self.hierarchy.resolve(term)
        if iri is None:
            return empty
        col = self.hierarchy.index(iri)
        out = (
            [
                [(c.disease, c.similarity) for c in found]
                for found in self.counterparts.showing(col, diseases)
            ]
            if self.counterparts is not None
            else [[] for _ in range(len(diseases))]
        )
        if self.neighbours is not None:
            column = dense_columns(self._enriched, np.array([col]))[0]
            index = self.neighbours.index[diseases]
            similarity = self.neighbours.similarity[diseases]
            # [diseases, k]: the neighbour's profile has the term and counts in the mean
            has = (column[index] > 0) & (similarity > 0)
            for row, found in enumerate(has):
                need = limit - len(out[row])
                if need > 0:  # the nearest first: only as many as are kept
                    out[row].extend(
                        (self.diseases[int(index[row, n])], float(similarity[row, n]))
                        for n in np.flatnonzero(found)[:need]
                    )
        return [sources[:limit] for sources in out]

    def _background_of(self, probability: sp.csc_matrix) -> np.ndarray:
        """:math:`q(t)` of the config's ``background`` kind, floored at half a disease."""
        return background_of(probability, self.config.background)

    def __len__(self) -> int:
        return len(self.diseases)

    def resolve_terms(self, terms: Iterable[str]) -> tuple[list[int], list[str], dict[str, str]]:
        """Term indices of input ids (deduplicated, input order), skipped ids, replacements."""
        out: list[int] = []
        seen: set[int] = set()
        skipped: list[str] = []
        replaced: dict[str, str] = {}
        for term in terms:
            iri = self.hierarchy.resolve(term)
            if iri is None:
                skipped.append(term)
                continue
            if iri != _as_iri(term):
                replaced[term] = iri
            i = self.hierarchy.index(iri)
            if i not in seen:
                seen.add(i)
                out.append(i)
        return out, skipped, replaced

    def score(
        self,
        present: Sequence[str],
        excluded: Sequence[str] = (),
        *,
        pretest: np.ndarray | None = None,
        onset: str | None = None,
        partial_credit: bool | None = None,
    ) -> ScoreResult:
        """Log10 likelihood ratio of a patient for every disease.

        Args:
            present: observed terms (IRIs or CURIEs).
            excluded: terms stated absent.
            pretest: pre-test probabilities overriding the model's (default: the model's).
            onset: the patient's onset class (a subclass of *Onset*, HP:0003674), or None.
            partial_credit: overrides :attr:`LikelihoodConfig.partial_credit` for this
                patient (None: the config's).

        Returns:
            A :class:`ScoreResult`; unknown or obsolete ids without replacement are listed in
            ``skipped`` and left out.

        Raises:
            ValueError: ``onset`` is a known term but not an onset class.
        """
        pos, skipped, replaced = self.resolve_terms(present)
        neg, skipped_neg, replaced_neg = self.resolve_terms(excluded)
        skipped += skipped_neg
        replaced.update(replaced_neg)
        onset_index = None
        if onset is not None:
            found, skipped_onset, replaced_onset = self.resolve_terms([onset])
            skipped += skipped_onset
            replaced.update(replaced_onset)
            onset_index = found[0] if found else None
        pos_set = set(pos)
        both = [i for i in neg if i in pos_set]
        if both:
            logger.warning(
                "%d terms are both present and excluded; kept as present only", len(both)
            )
            neg = [i for i in neg if i not in pos_set]
        if skipped:
            logger.info("skipped %d unknown or obsolete ids: %s", len(skipped), ", ".join(skipped))

        num = len(self.diseases)
        # Built as [findings, diseases] (contiguous per finding), exposed as its transpose.
        partial = self.config.partial_credit if partial_credit is None else partial_credit
        parts = [self._present(pos, partial)] if pos else []
        if neg:
            parts.append(self._excluded(neg))
        if parts:
            contrib = np.concatenate([c for c, _ in parts], axis=0).T
            match = np.concatenate([k for _, k in parts], axis=0).T
        else:
            contrib = np.zeros((num, 0), dtype=np.float64)
            match = np.zeros((num, 0), dtype=np.int8)
        terms = self.hierarchy.terms
        onset_lr = np.zeros(num, dtype=np.float64)
        if onset_index is not None:
            onset_lr = self._onset(onset_index)
        total = contrib.sum(axis=1)
        return ScoreResult(
            diseases=self.diseases,
            findings=[terms[i] for i in (*pos, *neg)],
            excluded=np.array([False] * len(pos) + [True] * len(neg), dtype=bool),
            contributions=contrib,
            match=match,
            total=total + onset_lr + self._breadth,
            pretest=self.pretest if pretest is None else np.asarray(pretest, dtype=np.float64),
            skipped=skipped,
            resolved=replaced,
            onset=None if onset_index is None else terms[onset_index],
            onset_contribution=onset_lr,
            breadth_contribution=self._breadth,
        )

    # ---- internals ----------------------------------------------------------------------
    def _onset(self, i: int) -> np.ndarray:
        """``[num_diseases]`` log10 LR of the onset class with term index ``i`` (kept per class:
        there are a few dozen)."""
        cached = self._onset_lr.get(i)
        if cached is None:
            cached = self._onset_uncached(i)
            cached.setflags(write=False)  # shared by every ScoreResult of this class
            self._onset_lr[i] = cached
        return cached

    def _onset_uncached(self, i: int) -> np.ndarray:
        h = self.hierarchy
        iri = h.terms[i]
        if not is_onset_class(h, iri):
            raise ValueError(not_an_onset_class(iri))
        if self._onsets is None or not self._has_onset.any():
            return np.zeros(len(self.diseases), dtype=np.float64)
        related = sorted(h.index(t) for t in related_onsets(h, iri))
        compatible = np.asarray(self._onsets[:, related].sum(axis=1)).ravel() > 0
        alpha = self.config.false_positive_rate
        p = (1.0 - alpha) * compatible + alpha
        return np.where(self._has_onset, np.log10(p / p[self._has_onset].mean()), 0.0)

    def _ancestors(self, i: int) -> np.ndarray:
        c = self._closure
        return c.indices[c.indptr[i] : c.indptr[i + 1]]

    def _negated_any(self, cols: np.ndarray) -> np.ndarray | None:
        """``[num_diseases]`` bool: a NOT annotation on any of ``cols`` (None when none)."""
        return _any_of(self._negated, self._has_negated, cols, len(self.diseases))

    def _unseen_any(self, cols: np.ndarray) -> np.ndarray | None:
        """``[num_diseases]`` bool: a 0/N-only annotation on any of ``cols`` (None when
        none): the disease's patients showed none of it, so no completion credits it."""
        return _any_of(self._unseen, self._has_unseen, cols, len(self.diseases))

    def _present(self, idx: list[int], partial_credit: bool) -> tuple[np.ndarray, np.ndarray]:
        """``[k, num_diseases]`` log10 LRs and match kinds of present findings."""
        alpha = self.config.false_positive_rate
        num = len(self.diseases)
        cols = np.asarray(idx, dtype=np.int64)
        q = self.background[cols]
        m = dense_columns(self.probability, cols)
        kind = np.where(m > 0, MatchKind.EXACT_OR_IMPLIED, MatchKind.UNEXPLAINED).astype(np.int8)
        if self._curated is not None:
            kind[
                (kind == MatchKind.EXACT_OR_IMPLIED) & (dense_columns(self._curated, cols) == 0)
            ] = MatchKind.IMPUTED
        ancestors = [self._ancestors(i) for i in idx]
        if partial_credit:
            # best f_a / q(a) over the strict ancestors a annotated on each disease, gathered
            # sparsely: flat index finding * num_diseases + disease.
            strict = [a[a != i] for a, i in zip(ancestors, idx, strict=True)]
            owner = np.repeat(np.arange(len(idx)), [len(s) for s in strict])
            rows, vals, which = _gather_columns(
                self._direct_ratio, np.concatenate(strict) if strict else np.empty(0, np.int64)
            )
            if len(rows):
                partial = np.zeros(len(idx) * num)
                np.maximum.at(partial, owner[which] * num + rows, vals)
                partial = partial.reshape(len(idx), num) * q[:, None]
                better = partial > m
                m = np.where(better, partial, m)
                kind[better] = MatchKind.PARTIAL
        for j, anc in enumerate(ancestors):
            contradicted = self._negated_any(anc)
            if contradicted is not None:
                m[j, contradicted] = 0.0
                kind[j, contradicted] = MatchKind.CONTRADICTED
            unseen = self._unseen_any(anc)
            if unseen is not None:  # credit only a completion gave: none, 0/N says
                blocked = unseen & (kind[j] == MatchKind.IMPUTED)
                m[j, blocked] = 0.0
                kind[j, blocked] = MatchKind.UNEXPLAINED
        lr = (1.0 - alpha) * np.minimum(m, 1.0) / q[:, None] + alpha
        return np.log10(lr), kind

    def _excluded(self, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """``[k, num_diseases]`` log10 LRs and match kinds of excluded findings."""
        alpha = self.config.false_positive_rate
        cols = np.asarray(idx, dtype=np.int64)
        q = np.minimum(self.background[cols], 1.0 - 0.5 / len(self.diseases))[:, None]
        p = np.minimum(dense_columns(self.probability, cols), 1.0)
        curated = dense_columns(self._curated, cols) if self._curated is not None else p
        for j, i in enumerate(idx):
            anc = self._ancestors(i)
            absent = self._negated_any(anc)
            if absent is not None:
                p[j, absent] = 0.0
            unseen = self._unseen_any(anc)
            if unseen is not None:  # what only a completion gave: 0/N says none
                p[j, unseen & (curated[j] == 0)] = 0.0
        kind = np.where(p > 0, MatchKind.EXCLUDED_EXPECTED, MatchKind.EXCLUDED_ABSENT)
        lr = ((1.0 - alpha) * (1.0 - p) + alpha * (1.0 - q)) / (1.0 - q)
        return self.config.excluded_weight * np.log10(lr), kind.astype(np.int8)


def _any_of(
    matrix: sp.csc_matrix, has: np.ndarray, cols: np.ndarray, num: int
) -> np.ndarray | None:
    """``[num]`` bool: the rows with an entry in any of ``cols`` (None when none has)."""
    cols = cols[has[cols]]
    if not len(cols):
        return None
    out = np.zeros(num, dtype=bool)
    for c in cols:
        out[matrix.indices[matrix.indptr[c] : matrix.indptr[c + 1]]] = True
    return out


def _gather_columns(
    matrix: sp.csc_matrix, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices, values and position in ``cols`` of the stored entries of ``cols``."""
    cols = np.asarray(cols, dtype=np.int64)
    starts = matrix.indptr[cols]
    lengths = matrix.indptr[cols + 1] - starts
    total = int(lengths.sum())
    which = np.repeat(np.arange(len(cols)), lengths)
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    src = np.repeat(starts, lengths) + offsets
    return matrix.indices[src], matrix.data[src], which


def dense_columns(matrix: sp.csc_matrix, cols: np.ndarray) -> np.ndarray:
    """``matrix[:, cols].T`` as a dense ``[len(cols), num_rows]`` array.

    Read straight from the CSC arrays: scipy's fancy indexing builds an intermediate sparse
    matrix per call, which at a few dozen columns per patient costs more than the scoring.
    """
    rows, vals, which = _gather_columns(matrix, cols)
    out = np.zeros((len(cols), matrix.shape[0]), dtype=matrix.dtype)
    out[which, rows] = vals
    return out


def _as_iri(term: str) -> str:
    try:
        return to_iri(term)
    except ValueError:
        return term
