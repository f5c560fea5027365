r"""Differential-diagnosis evaluation: rank metrics with bootstrap CIs, case subsets, reports.

A *ranker* is any callable ``ranker(case) -> [(disease IRI, score), ...]`` (higher is
better). :func:`evaluate_rankers` runs each ranker on every case twice -- on the present
terms only (the headline) and on present + excluded terms -- and reports top-1/3/10 and MRR on
three subsets:

* ``all``: every case;
* ``covered``: the diagnosis is among the ranked candidates and has annotations in the KG
  (unannotated diagnoses cannot be ranked by an annotation-based model);
* ``leakage_free``: covered, the case cites a PMID, and none of its PMIDs is among the
  ``dcterms:source`` references of its diagnosis's annotations (the annotations were not built
  from this patient). Covered cases that cite no PMID cannot be checked: they are counted apart
  and are not leakage-free.

Ties count as their expectation under a uniformly random tie-break. With :math:`b` candidates
scored above the best-scored true diagnosis :math:`t` and :math:`n` sharing its score (itself
included; the case's other true diagnoses count in neither), :math:`t` lies at each position
:math:`b + 1, \dots, b + n` with chance :math:`1/n`, so

.. math::
    \mathrm{hit@}k = \mathrm{clip}\Big(\frac{k - b}{n}, 0, 1\Big), \qquad
    \mathrm{RR} = \frac{1}{n} \sum_{p=b+1}^{b+n} \frac{1}{p}, \qquad
    \mathrm{rank} = b + \frac{n + 1}{2}

(the expected rank, reported per case). A diagnosis missing from the ranking has rank
:math:`\infty` (reciprocal rank 0). Every figure (bootstrap, per-disease averages, ratios,
top-k curves, calibration) uses these per-case values. A NaN score is an error.

Confidence intervals are percentile bootstraps (seeded, 1000 resamples by default) that
resample whole diseases, not cases: patients of one disease (one published cohort, often one
paper) are not independent, and one large cohort can carry a difference (a cluster bootstrap).
Beside the case-level figures the report gives each ranker's macro average over diseases
(every disease weighs the same, however many patients it has) and, against a reference ranker,
the ratio of top-1 accuracies with a paired interval. Rankers that ignore excluded findings
(:class:`PresentOnlyRanker`, e.g. Resnik) are run on present terms only.

:func:`run_baselines` reproduces the baseline table of ``../shared/data/README.md``
(Phenomizer-style Resnik and LIRICAL-style likelihood ratios).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from numbers import Integral
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy.special import digamma

from eval.rank_journal import JournalFolder, RankedCase, RankJournal, journal_key
from kg.annotations import AnnotationTable
from kg.hierarchy import TermHierarchy
from kg.rules.likelihood import LikelihoodConfig, PhenotypeLikelihood
from kg.rules.resnik import ResnikRanker

logger = logging.getLogger(__name__)

__all__ = [
    "MODES",
    "SUBSETS",
    "Case",
    "EvalReport",
    "MetricCI",
    "PresentOnlyRanker",
    "ProbableRanking",
    "RankMetrics",
    "Ranker",
    "TiedRanks",
    "case_counts",
    "case_groups",
    "case_subsets",
    "check_resamples",
    "cluster_bootstrap",
    "group_sums",
    "evaluate_rankers",
    "likelihood_ranker",
    "rank_metrics",
    "rank_of",
    "rank_ties",
    "ranking_ties",
    "resnik_ranker",
    "run_baselines",
    "top1_ratio",
]

#: Evaluation modes: the headline uses present terms only.
MODES = ("present", "present+excluded")
#: Case subsets reported for every ranker and mode.
SUBSETS = ("all", "covered", "leakage_free")
TOP_K = (1, 3, 10)
#: Candidate diseases of the README's baseline table: OMIM entries (the diagnoses are OMIM).
OMIM_NAMESPACE = "https://omim.org/entry/"


@dataclass(frozen=True)
class Case:
    """One patient to diagnose (read by :mod:`train.phenopacket`).

    Attributes:
        id: the case's identifier.
        present: IRIs of the observed terms.
        excluded: IRIs of the terms stated absent.
        sex: ``"MALE"``, ``"FEMALE"``, ``"OTHER"`` or None when unknown.
        age_years: age at the last encounter in years, None when unknown.
        onset: IRI of the HPO onset class of the disease (``HP:0003674`` subtree), None when
            unknown.
        diseases: IRIs of the diagnoses.
        pmids: PubMed IRIs (``https://pubmed.ncbi.nlm.nih.gov/<id>``) of the publications
            that describe the patient.
        text: free-text description (vignettes), None for coded cases.
        warnings: what went wrong while reading the case (unknown ids ...).
    """

    id: str
    present: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    sex: str | None = None
    age_years: float | None = None
    onset: str | None = None
    diseases: tuple[str, ...] = ()
    pmids: tuple[str, ...] = ()
    text: str | None = None
    warnings: tuple[str, ...] = ()


Ranker = Callable[[Case], Sequence[tuple[str, float]]]
"""``ranker(case) -> [(disease IRI, score), ...]``, higher scores first or in any order."""


@runtime_checkable
class ManyCaseRanker(Protocol):
    """A ranker that can also rank many cases elsewhere (in other processes), giving each
    case's place in the input's order: what :func:`evaluate_rankers` asks of it when it has
    this method; ``name`` and ``mode`` name the pass in its errors, ``start`` is the number
    of the first case (a resumed pass starts past the cases ranked before)."""

    def __call__(self, case: Case) -> Sequence[tuple[str, float]]: ...

    def rank_many(
        self, name: str, mode: str, cases: Iterable[Case], start: int = 0
    ) -> Iterator[RankedCase]: ...


class PresentOnlyRanker:
    """A ranker that is given a case's present terms only: excluded findings cannot change
    its ranking, so it is not run (nor reported) on present + excluded terms."""

    def __init__(self, rank: Callable[[Sequence[str]], Sequence[tuple[str, float]]]) -> None:
        self.rank = rank

    def __call__(self, case: Case) -> Sequence[tuple[str, float]]:
        return self.rank(case.present)


class ProbableRanking(list[tuple[str, float]]):
    """A ranking with the ranker's probability of its first disease and of the case's true
    diseases (for the calibration table; the scores themselves need not be probabilities)."""

    def __init__(
        self,
        items: Iterable[tuple[str, float]],
        *,
        top1_probability: float,
        truth_probability: float,
    ) -> None:
        super().__init__(items)
        self.top1_probability = top1_probability
        self.truth_probability = truth_probability


@dataclass(frozen=True, eq=False)
class TiedRanks:
    """Where the best-scored true diagnosis of each case lies in its ranking, ties kept.

    Attributes:
        better: ``[cases]`` candidates scored above it (``inf``: not ranked).
        tied: ``[cases]`` candidates sharing its score, itself included (>= 1).

    Under a uniformly random tie-break it lies at each position ``better + 1 ...
    better + tied`` with the same chance; the metrics are expectations over that.
    """

    better: np.ndarray
    tied: np.ndarray

    def __post_init__(self) -> None:
        better = np.asarray(self.better, dtype=np.float64).ravel()
        tied = np.asarray(self.tied, dtype=np.float64).ravel()
        if better.shape != tied.shape:
            raise ValueError(f"{len(better)} counts of better candidates, {len(tied)} of ties")
        if np.isnan(better).any() or (better < 0).any() or np.isnan(tied).any():
            raise ValueError("counts of better candidates must be >= 0 (inf: not ranked)")
        if (tied < 1).any() or np.isinf(tied).any():
            raise ValueError("tie counts must be finite and >= 1 (the diagnosis itself)")
        object.__setattr__(self, "better", better)
        object.__setattr__(self, "tied", tied)

    @classmethod
    def of_ranks(cls, ranks: Sequence[float] | np.ndarray) -> TiedRanks:
        """Untied 1-based ranks (``inf``: not ranked).

        Raises:
            ValueError: a rank below 1, or a NaN rank.
        """
        r = np.asarray(ranks, dtype=np.float64).ravel()
        if np.isnan(r).any() or (r < 1).any():
            raise ValueError("ranks must be >= 1 (inf for a diagnosis that is not ranked)")
        return cls(r - 1.0, np.ones_like(r))

    def __len__(self) -> int:
        return len(self.better)

    def __getitem__(self, index: Any) -> TiedRanks:
        return TiedRanks(self.better[index], self.tied[index])

    def hits(self, k: float | np.ndarray) -> np.ndarray:
        """Chance the diagnosis is within the first ``k``: ``[cases]``, or ``[len(k), cases]``
        for an array of ``k``."""
        k = np.asarray(k, dtype=np.float64)
        if k.ndim:
            k = k[:, None]
        return np.clip((k - self.better) / self.tied, 0.0, 1.0)

    def reciprocal(self) -> np.ndarray:
        """Expected reciprocal rank: the mean of ``1 / position`` over the tied positions."""
        b, n = self.better, self.tied
        with np.errstate(invalid="ignore", divide="ignore"):
            # sum_{p=b+1}^{b+n} 1/p = psi(b + n + 1) - psi(b + 1)
            spread = (digamma(b + n + 1.0) - digamma(b + 1.0)) / n
            return np.where(n > 1, spread, 1.0 / (b + 1.0))

    def expected(self) -> np.ndarray:
        """Expected 1-based rank (``inf``: not ranked)."""
        return self.better + (self.tied + 1.0) / 2.0


def as_tied(ranks: Sequence[float] | np.ndarray | TiedRanks) -> TiedRanks:
    """``ranks`` as :class:`TiedRanks` (plain ranks are untied positions)."""
    return ranks if isinstance(ranks, TiedRanks) else TiedRanks.of_ranks(ranks)


@dataclass(frozen=True)
class MetricCI:
    """A point estimate with its bootstrap confidence interval."""

    value: float
    low: float
    high: float

    @property
    def undefined(self) -> bool:
        """No value (NaN, or ``None`` as read back from the JSON report)."""
        return self.value is None or math.isnan(self.value)

    def __str__(self) -> str:
        if self.undefined:
            return "n/a"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def as_ratio(self) -> str:
        """``1.29x [1.13-1.57]``, or ``n/a`` for an undefined ratio."""
        if self.undefined:
            return "n/a"
        return f"{self.value:.2f}x [{self.low:.2f}-{self.high:.2f}]"


@dataclass(frozen=True)
class RankMetrics:
    """Top-k accuracies and mean reciprocal rank of a set of ranks.

    Attributes:
        n: number of cases.
        top1, top3, top10: fraction of cases whose diagnosis is within the first k (ties
            counted as their expectation, :class:`TiedRanks`).
        mrr: mean reciprocal rank.
    """

    n: int
    top1: MetricCI
    top3: MetricCI
    top10: MetricCI
    mrr: MetricCI

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rank_metrics(
    ranks: Sequence[float] | np.ndarray | TiedRanks,
    *,
    groups: Sequence[str] | np.ndarray | None = None,
    macro: bool = False,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> RankMetrics:
    """Top-1/3/10 and MRR of 1-based ranks, with percentile bootstrap CIs.

    Args:
        ranks: where the diagnosis of each case lies, ties kept (:class:`TiedRanks`), or its
            untied rank (1 = first; ``inf`` = not ranked).
        groups: a cluster key per case (its disease); the bootstrap then resamples whole
            clusters, since cases of one cluster are not independent. (default: ``None``,
            cases are resampled)
        macro: with ``groups``, average each metric within a cluster first and then over
            the clusters (every cluster weighs the same). (default: ``False``)
        n_resamples: bootstrap resamples (default: ``1000``).
        seed: seed of the resampling (default: ``0``).
        confidence: coverage of the intervals (default: ``0.95``).

    Returns:
        The metrics (``n`` counts cases); with no case every value is NaN.

    Raises:
        ValueError: a rank below 1, or a NaN rank; ``groups`` of another length than
            ``ranks``; ``macro`` without ``groups``; fewer than 1 resample.
    """
    check_resamples(n_resamples)
    r = as_tied(ranks)
    if macro and groups is None:
        raise ValueError("a macro average needs groups")
    n = len(r)
    if n == 0:
        nan = MetricCI(math.nan, math.nan, math.nan)
        return RankMetrics(0, nan, nan, nan, nan)
    # [metrics, cases]: hit@1, hit@3, hit@10, reciprocal rank (expected under random tie-breaks)
    values = np.stack([*(r.hits(k) for k in TOP_K), r.reciprocal()]).astype(np.float64)
    if groups is not None:
        cis = cluster_bootstrap(
            values,
            groups,
            macro=macro,
            n_resamples=n_resamples,
            seed=seed,
            confidence=confidence,
        )
        return RankMetrics(n, *cis)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_resamples, n))
    boot = values[:, idx].mean(axis=2)  # [metrics, resamples]
    return RankMetrics(n, *_percentile_cis(values.mean(axis=1), boot, confidence))


def cluster_bootstrap(
    values: np.ndarray,
    groups: Sequence[str] | np.ndarray,
    *,
    macro: bool = False,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[MetricCI]:
    """Per row of ``values`` (``[metrics, cases]``), its mean over the cases with a
    percentile bootstrap that resamples whole clusters (``groups``, one key per case); with
    ``macro``, the mean of the clusters' means (every cluster weighs the same).

    Raises:
        ValueError: ``groups`` of another length than the cases; fewer than 1 resample.
    """
    check_resamples(n_resamples)
    sums, counts = group_sums(values, groups)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(counts), size=(n_resamples, len(counts)))
    if macro:
        means = sums / counts
        point = means.mean(axis=1)
        boot = means[:, idx].mean(axis=2)
    else:
        point = sums.sum(axis=1) / counts.sum()
        boot = sums[:, idx].sum(axis=2) / counts[idx].sum(axis=1)
    return _percentile_cis(point, boot, confidence)


def _percentile_cis(point: np.ndarray, boot: np.ndarray, confidence: float) -> list[MetricCI]:
    """Each point estimate with the percentile interval of its row of ``boot``."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(boot, [tail, 100.0 - tail], axis=1)
    return [
        MetricCI(float(p), float(lo), float(hi)) for p, lo, hi in zip(point, low, high, strict=True)
    ]


def check_resamples(n_resamples: int) -> int:
    """``n_resamples`` when a bootstrap can be made of it (at least one resample).

    Raises:
        ValueError: fewer than 1 resample.
    """
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, Integral) or n_resamples < 1:
        raise ValueError(f"bootstrap resamples must be an integer >= 1, got {n_resamples!r}")
    return n_resamples


def group_sums(
    values: np.ndarray, groups: Sequence[str] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sums of ``values`` (``[metrics, cases]``) and the clusters' sizes."""
    keys = np.asarray(groups)
    if keys.shape != (values.shape[1],):
        raise ValueError(f"{len(keys)} groups for {values.shape[1]} cases")
    _, code = np.unique(keys, return_inverse=True)
    sums = np.stack([np.bincount(code, weights=row) for row in values])
    return sums, np.bincount(code).astype(np.float64)


def top1_ratio(
    ranks: Sequence[float] | np.ndarray | TiedRanks,
    reference: Sequence[float] | np.ndarray | TiedRanks,
    groups: Sequence[str] | np.ndarray,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> MetricCI:
    """Top-1 accuracy of ``ranks`` divided by that of ``reference`` on the same cases, with a
    paired bootstrap over ``groups`` (both rankers see the same resampled clusters).

    Top-1 counts ties as their expectation (:class:`TiedRanks`). Returns NaN values where the
    reference has no case first (or there are no cases); resamples in which it has none
    first are left out of the interval.

    Raises:
        ValueError: ranks of other lengths; fewer than 1 resample.
    """
    check_resamples(n_resamples)
    a, b = as_tied(ranks).hits(1), as_tied(reference).hits(1)
    if a.shape != b.shape:
        raise ValueError(f"{len(a)} ranks against {len(b)} reference ranks")
    nan = MetricCI(math.nan, math.nan, math.nan)
    if not len(a) or not (b > 0).any():
        return nan
    sums, _ = group_sums(np.stack([a, b]), groups)
    idx = np.random.default_rng(seed).integers(0, sums.shape[1], size=(n_resamples, sums.shape[1]))
    boot_a, boot_b = sums[:, idx].sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = boot_a / boot_b
    boot = boot[np.isfinite(boot)]
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(boot, [tail, 100.0 - tail]) if len(boot) else (math.nan, math.nan)
    return MetricCI(float(sums[0].sum() / sums[1].sum()), float(low), float(high))


def rank_ties(scores: np.ndarray, truth: np.ndarray) -> TiedRanks:
    """Where the best-scored true candidate of each row lies, ties kept.

    Args:
        scores: ``[cases, candidates]`` scores, higher is better.
        truth: ``[cases, candidates]`` bool, the true candidates of each case.

    Returns:
        Per case, the candidates scored above its best-scored true one and those sharing
        its score (itself included); its other true candidates count in neither. A case with
        no true candidate is not ranked (``better`` is ``inf``).

    Raises:
        ValueError: a NaN score (naming its row and column); shapes that differ.
    """
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    t = np.atleast_2d(np.asarray(truth, dtype=bool))
    if s.shape != t.shape:
        raise ValueError(f"scores of shape {s.shape} against truth of shape {t.shape}")
    nan = np.argwhere(np.isnan(s))
    if len(nan):
        row, col = nan[0].tolist()
        raise ValueError(f"NaN score (row {row}, candidate {col}): scores must be numbers")
    ranked = t.any(axis=1)
    best = np.where(t, s, -np.inf).max(axis=1, initial=-np.inf)[:, None]
    rivals = ~t
    better = ((s > best) & rivals).sum(axis=1).astype(np.float64)
    tied = 1.0 + ((s == best) & rivals).sum(axis=1)
    return TiedRanks(np.where(ranked, better, math.inf), np.where(ranked, tied, 1.0))


def ranking_ties(ranking: Iterable[tuple[str, float]], truth: Iterable[str]) -> TiedRanks:
    """:func:`rank_ties` of one ``[(disease, score), ...]`` ranking (one case).

    Raises:
        ValueError: a NaN score, naming its disease.
    """
    wanted = set(truth)
    items = list(ranking)
    scores = np.fromiter((s for _, s in items), dtype=np.float64, count=len(items))
    is_true = np.fromiter((d in wanted for d, _ in items), dtype=bool, count=len(items))
    if np.isnan(scores).any():
        bad = items[int(np.flatnonzero(np.isnan(scores))[0])][0]
        raise ValueError(f"NaN score for {bad}: scores must be numbers")
    return rank_ties(scores[None, :], is_true[None, :])


def rank_of(ranking: Iterable[tuple[str, float]], truth: Iterable[str]) -> float:
    """Expected rank of the best-scored true disease in ``ranking`` under a random tie-break
    (the mean of the positions its ties span; ``inf`` if absent).

    Raises:
        ValueError: a NaN score.
    """
    return float(ranking_ties(ranking, truth).expected()[0])


def disease_sources(annotations: AnnotationTable) -> dict[str, set[str]]:
    """Subject IRI -> the source IRIs (PMIDs ...) cited by any of its annotations."""
    out: dict[str, set[str]] = {}
    for s, sources in zip(annotations.subject.tolist(), annotations.sources, strict=True):
        if sources:
            out.setdefault(annotations.subjects[s], set()).update(sources)
    return out


def case_subsets(
    cases: Sequence[Case], annotations: AnnotationTable, candidates: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """Boolean masks over ``cases`` for each of :data:`SUBSETS`.

    Args:
        cases: the cases.
        annotations: the KG's annotation table (subjects and their sources).
        candidates: the diseases the rankers rank (default: every annotated subject); a case
            is covered when one of its diagnoses is among them and annotated.

    A covered case that cites no PMID is not leakage-free (it cannot be checked).
    """
    subjects = set(annotations.subjects)
    if candidates is not None:
        subjects &= set(candidates)
    sources = disease_sources(annotations)
    covered = np.array([any(d in subjects for d in c.diseases) for c in cases], dtype=bool)
    leaked = np.array(
        [any(p in sources.get(d, ()) for d in c.diseases for p in c.pmids) for c in cases],
        dtype=bool,
    )
    cited = np.array([bool(c.pmids) for c in cases], dtype=bool)
    return {
        "all": np.ones(len(cases), dtype=bool),
        "covered": covered,
        "leakage_free": covered & cited & ~leaked,
    }


def case_groups(cases: Sequence[Case]) -> list[str]:
    """The cluster of each case for the bootstrap and the macro average: its diagnoses
    (a case with none is a cluster of its own)."""
    return [" ".join(sorted(c.diseases)) if c.diseases else f"case:{c.id}" for c in cases]


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 15
) -> float:
    """ECE of top-1 confidences: the case-weighted mean gap between confidence and accuracy
    over equal-width confidence bins."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (confidence > lo) & (confidence <= hi)
        if m.any():
            ece += m.mean() * abs(confidence[m].mean() - correct[m].mean())
    return float(ece)


@dataclass(frozen=True)
class Calibration:
    """How well a model's probabilities match real outcomes, over a set of cases.

    Attributes:
        cases: the cases scored.
        top1_accuracy: share whose first disease is a true one.
        mean_top1_probability: mean probability of the first disease.
        ece: expected calibration error of that probability (15 bins).
        mean_truth_probability: mean probability given to the true diseases.
    """

    cases: int
    top1_accuracy: float
    mean_top1_probability: float
    ece: float
    mean_truth_probability: float

    @classmethod
    def of(
        cls, top1_probability: np.ndarray, top1_correct: np.ndarray, truth_probability: np.ndarray
    ) -> Calibration:
        p, c = np.asarray(top1_probability, float), np.asarray(top1_correct, float)
        if not len(p):
            return cls(0, 0.0, 0.0, 0.0, 0.0)
        return cls(
            len(p),
            float(c.mean()),
            float(p.mean()),
            expected_calibration_error(p, c),
            float(np.mean(truth_probability)),
        )


@dataclass
class EvalReport:
    """Results of :func:`evaluate_rankers`.

    Attributes:
        case_ids: the cases, in order.
        subsets: subset name -> ``[num_cases]`` bool mask.
        positions: ranker -> mode -> where each case's diagnosis lies, ties kept.
        metrics: ranker -> mode -> subset -> metrics.
        latency_ms: ranker -> mode -> median seconds per case, in milliseconds.
        config: what produced the report (saved, and hashed into ``config_hash``).
        calibration: ranker -> the calibration of its probabilities on the covered cases
            (rankers that give probabilities only).
        groups: the cluster (diagnosis) of each case (:func:`case_groups`).
        macro: ranker -> mode -> subset -> the metrics averaged per disease first.
        reference: the ranker the others' top-1 is compared with, if any.
        ratios: ranker -> mode -> subset -> top-1 over the reference's (:func:`top1_ratio`).
        present_only: rankers that ignore excluded findings (not run on them).
        no_pmid: ``[num_cases]`` bool, the case cites no PMID (its leakage is not checked).
        case_warnings: what went wrong reading each case (:attr:`Case.warnings`).
        no_present: ``[num_cases]`` bool, no present finding of the case was recognised
            (``kgfuse diagnose`` refuses such a record; here it is ranked and counted).
        no_diagnosis: ``[num_cases]`` bool, the case has no diagnosis (counted as a miss).
    """

    case_ids: list[str]
    subsets: dict[str, np.ndarray]
    positions: dict[str, dict[str, TiedRanks]]
    metrics: dict[str, dict[str, dict[str, RankMetrics]]]
    latency_ms: dict[str, dict[str, float]]
    config: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Calibration] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    macro: dict[str, dict[str, dict[str, RankMetrics]]] = field(default_factory=dict)
    reference: str | None = None
    ratios: dict[str, dict[str, dict[str, MetricCI]]] = field(default_factory=dict)
    present_only: list[str] = field(default_factory=list)
    no_pmid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    case_warnings: list[tuple[str, ...]] = field(default_factory=list)
    no_present: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    no_diagnosis: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def ranks(self) -> dict[str, dict[str, np.ndarray]]:
        """Ranker -> mode -> each case's expected rank (``inf``: not ranked)."""
        return {r: {m: p.expected() for m, p in by_m.items()} for r, by_m in self.positions.items()}

    @property
    def config_hash(self) -> str:
        blob = json.dumps(self.config, sort_keys=True, default=str).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    @property
    def unchecked(self) -> int:
        """Covered cases that cite no PMID (left out of ``leakage_free``)."""
        if not len(self.no_pmid):
            return 0
        return int((self.subsets["covered"] & self.no_pmid).sum())

    @property
    def case_counts(self) -> dict[str, int]:
        """How many cases had warnings while read, have no present finding recognised, and
        have no diagnosis (the counts the report gives beside its figures)."""
        return _counted(self.case_warnings, self.no_present, self.no_diagnosis)

    def _case_notes(self, i: int) -> dict[str, Any]:
        """What the report says of case ``i`` beside its ranks, only where there is
        something to say (its warnings, no present finding, no diagnosis)."""
        notes: dict[str, Any] = {}
        if i < len(self.case_warnings) and self.case_warnings[i]:
            notes["warnings"] = list(self.case_warnings[i])
        if i < len(self.no_present) and self.no_present[i]:
            notes["no_present_findings"] = True
        if i < len(self.no_diagnosis) and self.no_diagnosis[i]:
            notes["no_diagnosis"] = True
        return notes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with per-case expected ranks and tie counts (``null`` for
        unranked diagnoses and undefined figures)."""
        ranks = self.ranks
        data = {
            "config": self.config,
            "config_hash": self.config_hash,
            "ties": TIES_NOTE,
            "subset_sizes": {k: int(v.sum()) for k, v in self.subsets.items()},
            "covered_without_pmid": self.unchecked,
            **self.case_counts,
            "ignores_excluded_findings": list(self.present_only),
            "metrics": {
                r: {m: {s: v.to_dict() for s, v in by_s.items()} for m, by_s in by_m.items()}
                for r, by_m in self.metrics.items()
            },
            "latency_ms": self.latency_ms,
            "calibration": {r: asdict(c) for r, c in self.calibration.items()},
            "macro_per_disease": {
                r: {m: {s: v.to_dict() for s, v in by_s.items()} for m, by_s in by_m.items()}
                for r, by_m in self.macro.items()
            },
            "top1_ratio": {
                "reference": self.reference,
                "ratios": {
                    r: {m: {s: asdict(v) for s, v in by_s.items()} for m, by_s in by_m.items()}
                    for r, by_m in self.ratios.items()
                },
            },
            "cases": [
                {
                    "id": cid,
                    **({"disease": self.groups[i]} if self.groups else {}),
                    **{s: bool(mask[i]) for s, mask in self.subsets.items()},
                    **({"no_pmid": bool(self.no_pmid[i])} if len(self.no_pmid) else {}),
                    **self._case_notes(i),
                    "ranks": {
                        r: {m: float(v[i]) for m, v in by_m.items()} for r, by_m in ranks.items()
                    },
                    "tied": {
                        r: {
                            m: float(p.tied[i]) if math.isfinite(p.better[i]) else None
                            for m, p in by_m.items()
                        }
                        for r, by_m in self.positions.items()
                    },
                }
                for i, cid in enumerate(self.case_ids)
            ],
        }
        return _json_ready(data)

    def to_markdown(self) -> str:
        """Tables of top-1 / top-10 (%) per subset; present terms first, excluded beside."""
        sizes = {k: int(v.sum()) for k, v in self.subsets.items()}
        head = " | ".join(f"{s} ({sizes[s]:,})" for s in SUBSETS)
        skip = set(self.present_only)
        drawn = self.config.get("draw_findings")
        lines = (
            [
                f"Each structured case is described by {drawn} of its present findings, drawn "
                f"at random (seed {self.config.get('sample_seed', 0)} and the case's "
                "id), and none of its excluded ones.",
                "",
            ]
            if drawn
            else []
        )
        lines += self._headline_lines(head, skip)
        lines += _table("MRR:", head, self.metrics, lambda m: _num(m.mrr.value), skip)
        if self.macro:
            groups = np.asarray(self.groups)
            head_macro = " | ".join(
                f"{s} ({len(set(groups[self.subsets[s]])):,} diseases)" for s in SUBSETS
            )
            lines += _table(
                "Macro average over diseases, top-1 / top-10 (%) (each disease weighs the same):",
                head_macro,
                self.macro,
                lambda m: (
                    "n/a" if m.top1.undefined else f"{_pct(m.top1.value)} / {_pct(m.top10.value)}"
                ),
                skip,
            )
        if self.ratios:
            lines += _table(
                f"Top-1 relative to {self.reference} (paired bootstrap over diseases, 95% CI):",
                head,
                self.ratios,
                MetricCI.as_ratio,
                skip,
            )
        if len(self.no_pmid):
            lines += [
                "",
                f"{self.unchecked:,} covered case(s) cite no PMID: their leakage cannot be "
                "checked, so they are not counted as leakage-free.",
            ]
        lines += self._case_lines()
        if self.calibration:
            lines += self._calibration_lines()
        return "\n".join(lines) + "\n"

    def _headline_lines(self, head: str, skip: Collection[str]) -> list[str]:
        """The first table: top-1 / top-10 (%) with the top-1 interval, per ranker and mode."""
        lines = [
            "Top-1 / top-10 accuracy (%), 95% bootstrap CI of top-1 in brackets "
            "(whole diseases resampled).",
            "",
            TIES_NOTE,
            "",
            f"| ranker | terms | {head} |",
            "|---|---|" + "---|" * len(SUBSETS),
        ]
        for ranker, by_mode in self.metrics.items():
            for mode in MODES:
                label = "present only" if mode == "present" else "present + excluded"
                if mode not in by_mode:
                    if ranker in skip and mode == "present+excluded" and "present" in by_mode:
                        lines.append(f"| {ranker} | {label} | " + _ignored_cells() + " |")
                    continue
                cells = []
                for s in SUBSETS:
                    m = by_mode[mode][s]
                    cells.append(
                        "n/a"
                        if m.top1.undefined
                        else f"{_pct(m.top1.value)} / {_pct(m.top10.value)} "
                        f"[{_pct(m.top1.low)}-{_pct(m.top1.high)}]"
                    )
                lines.append(f"| {ranker} | {label} | " + " | ".join(cells) + " |")
        return lines

    def _case_lines(self) -> list[str]:
        """How many cases had warnings while read (always, when the report knows), and the
        cases without a present finding or a diagnosis (when there are any), the first
        ones named."""
        lines = []
        counts = self.case_counts
        if len(self.case_warnings) == len(self.case_ids):
            lines += [
                "",
                f"{counts['cases_with_warnings']:,} of {len(self.case_ids):,} case(s) had "
                "warnings while read (unknown or replaced ids, ages not read ...): see each "
                'case\'s "warnings" in diagnosis.json.',
            ]
        if counts["cases_without_present_findings"]:
            lines += [
                "",
                f"{counts['cases_without_present_findings']:,} case(s) have no present finding "
                "recognised (`kgfuse diagnose` refuses such a record); they are ranked and "
                f"counted here as the rankers rank them: {self._named(self.no_present)}.",
            ]
        if counts["cases_without_diagnoses"]:
            lines += [
                "",
                f"{counts['cases_without_diagnoses']:,} case(s) have no diagnosis and count as "
                f"misses: {self._named(self.no_diagnosis)}.",
            ]
        return lines

    def _named(self, mask: np.ndarray) -> str:
        """The ids of the cases of ``mask``, the first :data:`NAMED_CASES` of them."""
        ids = [self.case_ids[i] or "(no id)" for i in np.flatnonzero(mask)]
        more = f" and {len(ids) - NAMED_CASES:,} more" if len(ids) > NAMED_CASES else ""
        return ", ".join(ids[:NAMED_CASES]) + more

    def _calibration_lines(self) -> list[str]:
        """The calibration table of the rankers that give probabilities."""
        lines = [
            "",
            "Calibration of the probabilities on the covered cases (present terms):",
            "",
            "| ranker | cases | top-1 accuracy | mean top-1 probability | ECE "
            "| mean probability of the true disease |",
            "|---|---|---|---|---|---|",
        ]
        for ranker, c in self.calibration.items():
            lines.append(
                f"| {ranker} | {c.cases:,} | {c.top1_accuracy:.3f} | "
                f"{c.mean_top1_probability:.3f} | {c.ece:.3f} "
                f"| {c.mean_truth_probability:.3f} |"
            )
        return lines

    def plot_topk(self, path: Path, *, max_k: int = 50) -> None:
        """Write a PNG of top-k accuracy curves (one panel per subset; ties counted as their
        expectation)."""
        from matplotlib.figure import Figure  # Agg canvas; no global backend state

        fig = Figure(figsize=(5 * len(SUBSETS), 4), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(SUBSETS), sharey=True))
        ks = np.arange(1, max_k + 1)
        for ax, subset in zip(axes, SUBSETS, strict=True):
            mask = self.subsets[subset]
            for ranker, by_mode in self.positions.items():
                for mode, positions in by_mode.items():
                    p = positions[mask]
                    if not len(p):
                        continue
                    curve = p.hits(ks).mean(axis=1)
                    style = "-" if mode == "present" else "--"
                    ax.plot(ks, curve, style, label=f"{ranker} ({mode})")
            ax.set_title(f"{subset} (n={int(mask.sum())})")
            ax.set_xlabel("k")
            ax.set_xscale("log")
            ax.grid(True, alpha=0.3)
        axes[0].set_ylabel("top-k accuracy")
        drawn = [ax for ax in axes if ax.lines]
        if drawn:  # the first panel with curves (a subset may be empty)
            drawn[0].legend(fontsize="small", loc="lower right")
        fig.savefig(path, dpi=120)

    def save(self, out_dir: Path) -> dict[str, Path]:
        """Write ``diagnosis.json``, ``diagnosis.md`` and ``topk.png`` into ``out_dir``."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {
            "json": out_dir / "diagnosis.json",
            "markdown": out_dir / "diagnosis.md",
            "png": out_dir / "topk.png",
        }
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        paths["json"].write_text(text, encoding="utf-8")
        paths["markdown"].write_text(self.to_markdown(), encoding="utf-8")
        self.plot_topk(paths["png"])
        logger.info("wrote %s", ", ".join(str(p) for p in paths.values()))
        return paths


#: Cases the Markdown names of those without a present finding or a diagnosis (the JSON
#: flags every one).
NAMED_CASES = 10
#: How the report counts ties (in the Markdown and the JSON).
TIES_NOTE = (
    "Ties count as their expectation under a uniformly random tie-break: with b candidates "
    "scored above the true diagnosis and n sharing its score (itself included; the case's "
    "other true diagnoses count in neither), top-k counts clip((k - b) / n, 0, 1) and the "
    "reciprocal rank is the mean of 1/position over positions b+1 ... b+n."
)
_IGNORED = "n/a (ignores excluded findings)"


def _ignored_cells() -> str:
    return " | ".join(_IGNORED for _ in SUBSETS)


def _pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.1f}"


def _num(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.3f}"


def _json_ready(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, inf) as ``None`` (JSON ``null``)."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def _table(
    title: str,
    head: str,
    by_ranker: Mapping[str, Mapping[str, Mapping[str, Any]]],
    cell: Callable[[Any], str],
    present_only: Collection[str] = (),
) -> list[str]:
    """A Markdown table under ``title``: a row per ranker and mode, a cell per subset
    (rankers that ignore excluded findings: ``n/a`` on present + excluded terms)."""
    lines = ["", title, "", f"| ranker | terms | {head} |", "|---|---|" + "---|" * len(SUBSETS)]
    for ranker, by_mode in by_ranker.items():
        for mode in MODES:
            if mode in by_mode:
                cells = " | ".join(cell(by_mode[mode][s]) for s in SUBSETS)
                lines.append(f"| {ranker} | {mode} | {cells} |")
            elif ranker in present_only and mode == "present+excluded" and "present" in by_mode:
                lines.append(f"| {ranker} | {mode} | {_ignored_cells()} |")
    return lines


def evaluate_rankers(
    cases: Sequence[Case],
    rankers: Mapping[str, Ranker],
    *,
    annotations: AnnotationTable,
    out_dir: Path | None = None,
    modes: Sequence[str] = MODES,
    n_resamples: int = 1000,
    seed: int = 0,
    config: Mapping[str, Any] | None = None,
    progress: bool = False,
    reference: str | None = None,
    candidates: Iterable[str] | None = None,
    no_present: Sequence[bool] | None = None,
    journal: Path | JournalFolder | None = None,
    journal_config: Mapping[str, Any] | None = None,
) -> EvalReport:
    """Rank every case with every ranker and summarise.

    Args:
        cases: the cases (their ``diseases`` are the truth).
        rankers: name -> ranker. A :class:`PresentOnlyRanker` is run on present terms only;
            a ranker that returns :class:`ProbableRanking` gets a calibration table.
        annotations: the KG's annotations (for the covered and leakage-free subsets).
        out_dir: when given, the report is saved there (JSON, Markdown, PNG).
        modes: any of :data:`MODES` (default: both).
        n_resamples: bootstrap resamples (default: ``1000``).
        seed: bootstrap seed (default: ``0``).
        config: recorded in the report (and hashed).
        progress: show a progress bar.
        reference: a ranker of ``rankers`` whose top-1 the others' is divided by (e.g. the
            Resnik baseline). (default: ``None``, no ratios)
        candidates: the diseases the baselines rank, for the covered subset (default: every
            annotated subject).
        no_present: per case, no present finding of it was recognised (``kgfuse diagnose``
            refuses such a record), reported and counted as ranked (default: the case has
            no present term).
        journal: a folder where each ranked case is noted as it is ranked
            (:mod:`eval.rank_journal`), so that a run stopped halfway and started again
            with the same folder, ``config``, rankers and cases ranks only the cases not
            noted yet; held by its lock while the cases are ranked, or a
            :class:`JournalFolder` the caller holds already (to hold it longer, and remove
            its journals once the report is saved) (default: no journal).
            ``config`` must then name what identifies each ranker (a model's files).
        journal_config: what keys the journal instead of ``config`` (default: ``config``):
            a copy without what names the same thing in other words, such as paths, so that
            the same cases and models given by another path resume.

    Returns:
        The report (with each case's warnings, and which cases have no present finding or
        no diagnosis: reported, counted as they rank).

    Raises:
        ValueError: no case; an unknown mode, or a reference that is not among the rankers;
            fewer than 1 resample, or ``no_present`` of another length than ``cases``
            (checked before any case is ranked); a NaN score (naming the ranker and the case).
        JournalBusyError: another evaluation holds the ``journal`` folder.
    """
    _check_arguments(cases, rankers, modes, n_resamples, reference)
    warnings, unrecognised, no_diagnosis = _noted_cases(cases, no_present)
    subsets = case_subsets(cases, annotations, candidates)
    views = _mode_views(cases)
    present_only = [n for n, r in rankers.items() if isinstance(r, PresentOnlyRanker)]
    positions: dict[str, dict[str, TiedRanks]] = {}
    latency: dict[str, dict[str, float]] = {}
    # ranker -> [cases, 2]: probability of the first disease and of the truth (present terms)
    probabilities: dict[str, np.ndarray] = {}
    case_ids = [c.id for c in cases]
    held: AbstractContextManager[JournalFolder | None] = (
        nullcontext(journal)
        if journal is None or isinstance(journal, JournalFolder)
        else JournalFolder(Path(journal))
    )
    with held as folder:
        for name, ranker in rankers.items():
            positions[name], latency[name] = {}, {}
            for mode in modes:
                if mode != "present" and name in present_only:
                    continue
                notes = None
                if folder is not None:
                    keyed = config if journal_config is None else journal_config
                    key = journal_key(keyed, name, mode, views[mode])
                    notes = folder.journal(key, case_ids, label=f"{name} ({mode})")
                ranked = _rank_cases(
                    name,
                    ranker,
                    mode,
                    views[mode],
                    progress=progress,
                    noted=probabilities.get(name),
                    journal=notes,
                )
                positions[name][mode], latency[name][mode] = ranked.positions, ranked.latency_ms
                if ranked.probabilities is not None:
                    probabilities[name] = ranked.probabilities
    groups = np.asarray(case_groups(cases))
    bootstrap = {"n_resamples": n_resamples, "seed": seed}
    ratios = _top1_ratios(positions, reference, subsets, groups, **bootstrap)
    calibration = _calibration_tables(probabilities, positions, subsets["covered"])
    cfg = _recorded_config(config, rankers, n_resamples=n_resamples, seed=seed)
    report = EvalReport(
        case_ids,
        subsets,
        positions,
        _summaries(positions, subsets, groups, macro=False, **bootstrap),
        latency,
        cfg,
        calibration=calibration,
        groups=[str(g) for g in groups],
        macro=_summaries(positions, subsets, groups, macro=True, **bootstrap),
        reference=reference,
        ratios=ratios,
        present_only=present_only,
        no_pmid=np.array([not c.pmids for c in cases], dtype=bool),
        case_warnings=warnings,
        no_present=unrecognised,
        no_diagnosis=no_diagnosis,
    )
    if out_dir is not None:
        report.save(Path(out_dir))
    return report


def _check_arguments(
    cases: Sequence[Case],
    rankers: Mapping[str, Ranker],
    modes: Sequence[str],
    n_resamples: int,
    reference: str | None,
) -> None:
    """Refuse no case, too few resamples, an unknown mode, or a reference not among the
    rankers or ranking none of the modes."""
    if not cases:
        raise ValueError("no cases to evaluate")
    check_resamples(n_resamples)
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise ValueError(f"unknown modes {unknown}; choose from {', '.join(MODES)}")
    if reference is not None and reference not in rankers:
        raise ValueError(f"reference {reference!r} is not among the rankers {list(rankers)}")
    if isinstance(rankers.get(reference or ""), PresentOnlyRanker) and "present" not in modes:
        raise ValueError(
            f"reference {reference!r} ranks present terms only, and the modes {list(modes)} "
            "leave them out: add 'present' to the modes or choose another reference"
        )


def case_counts(cases: Sequence[Case], no_present: Sequence[bool] | None = None) -> dict[str, int]:
    """The :attr:`EvalReport.case_counts` of an evaluation of ``cases`` (``no_present`` as
    :func:`evaluate_rankers` takes it), known before any case is ranked (for its config)."""
    return _counted(*_noted_cases(cases, no_present))


def _noted_cases(
    cases: Sequence[Case], no_present: Sequence[bool] | None
) -> tuple[list[tuple[str, ...]], np.ndarray, np.ndarray]:
    """What a report notes of each case: its warnings, no present finding recognised
    (:func:`_case_flags`) and no diagnosis."""
    warnings = [tuple(c.warnings) for c in cases]
    no_diagnosis = np.array([not c.diseases for c in cases], dtype=bool)
    return warnings, _case_flags(cases, no_present), no_diagnosis


def _counted(
    warnings: Sequence[Sequence[str]], no_present: np.ndarray, no_diagnosis: np.ndarray
) -> dict[str, int]:
    """The counts of :attr:`EvalReport.case_counts`."""
    return {
        "cases_with_warnings": sum(1 for w in warnings if w),
        "cases_without_present_findings": int(np.sum(no_present)),
        "cases_without_diagnoses": int(np.sum(no_diagnosis)),
    }


def _case_flags(cases: Sequence[Case], no_present: Sequence[bool] | None) -> np.ndarray:
    """``no_present`` as a bool array over ``cases`` (default: the case has no present term).

    Raises:
        ValueError: ``no_present`` of another length than ``cases``.
    """
    if no_present is None:
        return np.array([not c.present for c in cases], dtype=bool)
    flags = np.asarray(no_present, dtype=bool).ravel()
    if len(flags) != len(cases):
        raise ValueError(f"{len(flags)} no-present-finding flags for {len(cases)} cases")
    return flags


def _mode_views(cases: Sequence[Case]) -> dict[str, list[Case]]:
    """The cases each mode ranks: without their excluded terms, and as they are."""
    return {
        "present": [replace(c, excluded=()) for c in cases],
        "present+excluded": list(cases),
    }


@dataclass(frozen=True)
class _Ranked:
    """One ranker's pass over the cases in one mode.

    Attributes:
        positions: where each case's diagnosis lies, ties kept.
        latency_ms: median seconds per case, in milliseconds.
        probabilities: ``[cases, 2]`` probability of the first disease and of the truth
            (NaN where the ranking gave none), or None when no ranking gave them.
    """

    positions: TiedRanks
    latency_ms: float
    probabilities: np.ndarray | None


def _rank_cases(
    name: str,
    ranker: Ranker,
    mode: str,
    cases: Sequence[Case],
    *,
    progress: bool,
    noted: np.ndarray | None = None,
    journal: RankJournal | None = None,
) -> _Ranked:
    """Rank every case with one ranker in one mode (``noted``: probabilities kept so far;
    ``journal``: the cases ranked before are read from it, and each case ranked now is noted
    in it)."""
    with journal or nullcontext():
        done = journal.done if journal is not None else []
        better = np.empty(len(cases))
        tied = np.empty(len(cases))
        seconds = np.empty(len(cases))
        for i, before in enumerate(done):
            better[i], tied[i], seconds[i] = before.better, before.tied, before.seconds
            if mode == "present" and before.probabilities is not None:
                if noted is None:
                    noted = np.full((len(cases), 2), np.nan)
                noted[i] = before.probabilities
        start = len(done)
        items = cases[start:]
        placed = (
            ranker.rank_many(name, mode, items, start)
            if isinstance(ranker, ManyCaseRanker)
            else (place_case(name, mode, ranker, case, i) for i, case in enumerate(items, start))
        )
        bar: Any = nullcontext()
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(  # no bar drawn into a log (not a terminal): disable=None
                desc=f"{name} ({mode})", leave=False, initial=start, total=len(cases), disable=None
            )
        with bar:  # closed when the pass ends or stops
            for i, ranked in enumerate(placed, start):
                better[i], tied[i], seconds[i] = ranked.better, ranked.tied, ranked.seconds
                pair = ranked.probabilities
                if pair is not None and mode == "present":
                    if noted is None:
                        noted = np.full((len(cases), 2), np.nan)
                    noted[i] = pair
                if journal is not None:
                    journal.append(i, cases[i].id, ranked)
                if progress:
                    bar.update()
    return _Ranked(TiedRanks(better, tied), float(np.median(seconds) * 1e3), noted)


def place_case(name: str, mode: str, ranker: Ranker, case: Case, i: int) -> RankedCase:
    """Rank one case: where its diagnosis is placed, the time taken, and the probabilities of
    a :class:`ProbableRanking`.

    Raises:
        ValueError: the ranking is unusable (a NaN score), naming the ranker, the mode and
            the case (``i``: its place among the cases, from 0).
    """
    t0 = time.perf_counter()
    ranking = ranker(case)
    seconds = time.perf_counter() - t0
    try:
        found = ranking_ties(ranking, case.diseases)
    except ValueError as e:
        raise ValueError(
            f"ranker {name!r} ({mode} terms), case {case.id!r} (number {i + 1}): {e}"
        ) from e
    pair = None
    if isinstance(ranking, ProbableRanking):
        pair = (ranking.top1_probability, ranking.truth_probability)
    return RankedCase(float(found.better[0]), float(found.tied[0]), seconds, pair)


def _summaries(
    positions: Mapping[str, Mapping[str, TiedRanks]],
    subsets: Mapping[str, np.ndarray],
    groups: np.ndarray,
    *,
    macro: bool,
    n_resamples: int,
    seed: int,
) -> dict[str, dict[str, dict[str, RankMetrics]]]:
    """Ranker -> mode -> subset -> metrics (with ``macro``, averaged per disease first)."""
    return {
        name: {
            mode: {
                s: rank_metrics(
                    p[mask], groups=groups[mask], macro=macro, n_resamples=n_resamples, seed=seed
                )
                for s, mask in subsets.items()
            }
            for mode, p in by_mode.items()
        }
        for name, by_mode in positions.items()
    }


def _reference_in(by_mode: Mapping[str, TiedRanks], mode: str) -> TiedRanks:
    """The reference's positions in ``mode``."""
    # a reference that ignores excluded findings ranks the same on either
    return by_mode[mode] if mode in by_mode else by_mode["present"]


def _top1_ratios(
    positions: Mapping[str, Mapping[str, TiedRanks]],
    reference: str | None,
    subsets: Mapping[str, np.ndarray],
    groups: np.ndarray,
    *,
    n_resamples: int,
    seed: int,
) -> dict[str, dict[str, dict[str, MetricCI]]]:
    """Ranker -> mode -> subset -> its top-1 over the reference's (none without a reference)."""
    if reference is None:
        return {}
    return {
        name: {
            mode: {
                s: top1_ratio(
                    p[mask],
                    _reference_in(positions[reference], mode)[mask],
                    groups[mask],
                    n_resamples=n_resamples,
                    seed=seed,
                )
                for s, mask in subsets.items()
            }
            for mode, p in by_mode.items()
        }
        for name, by_mode in positions.items()
        if name != reference
    }


def _calibration_tables(
    probabilities: Mapping[str, np.ndarray],
    positions: Mapping[str, Mapping[str, TiedRanks]],
    covered: np.ndarray,
) -> dict[str, Calibration]:
    """Ranker -> the calibration of its probabilities on the covered cases that have them."""
    calibration = {}
    for name, noted in probabilities.items():
        use = covered & ~np.isnan(noted).any(axis=1)
        if not use.any():
            continue
        hit = positions[name]["present"].hits(1)
        calibration[name] = Calibration.of(noted[use, 0], hit[use], noted[use, 1])
    return calibration


def _recorded_config(
    config: Mapping[str, Any] | None, rankers: Mapping[str, Ranker], *, n_resamples: int, seed: int
) -> dict[str, Any]:
    """``config`` with the evaluation's settings added where it does not give them."""
    cfg = dict(config or {})
    cfg.setdefault("n_resamples", n_resamples)
    cfg.setdefault("seed", seed)
    cfg.setdefault("rankers", list(rankers))
    cfg.setdefault("bootstrap", "whole diseases resampled")
    cfg.setdefault("ties", "expectation under a uniformly random tie-break")
    return cfg


def likelihood_ranker(model: PhenotypeLikelihood) -> Ranker:
    """A ranker from a :class:`PhenotypeLikelihood` (log10 LR of present and excluded terms)."""

    def rank(case: Case) -> list[tuple[str, float]]:
        return model.score(case.present, case.excluded).ranking()

    return rank


def resnik_ranker(model: ResnikRanker) -> Ranker:
    """A ranker from a :class:`ResnikRanker` (present terms only: Resnik ignores exclusions)."""
    return PresentOnlyRanker(lambda present: model.score(present).ranking())


def run_baselines(
    kg: Any,
    cases_path: Path,
    out_dir: Path,
    *,
    read_cases: Callable[[Path, TermHierarchy], Sequence[Case]],
    candidates: str | None = OMIM_NAMESPACE,
    likelihood_config: LikelihoodConfig | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    progress: bool = False,
) -> EvalReport:
    """Reproduce the baseline table of the data README on a case file.

    Ranks the cases of ``cases_path`` with the Phenomizer-style one-sided Resnik ranker and the
    LIRICAL-style likelihood-ratio ranker, on present terms only and on present + excluded
    terms, and writes the report into ``out_dir``.

    Args:
        kg: an opened :class:`kg.knowledge_graph.KnowledgeGraph` (its ``hierarchy``,
            ``annotations`` and ``fingerprint`` are used).
        cases_path: the cases (e.g. ``ppkt_dev.jsonl``).
        out_dir: where the JSON, Markdown and PNG go.
        read_cases: reader of ``cases_path`` (``train.phenopacket.read_cases``; passed in
            because ``eval`` sits below ``train`` in the layer order).
        candidates: IRI prefix of the candidate diseases (default: OMIM, as in the README's
            table; ``None`` ranks every annotated subject, ORPHA and DECIPHER included).
        likelihood_config: parameters of the LR model (default: :class:`LikelihoodConfig`).
        n_resamples: bootstrap resamples (default: ``1000``).
        seed: bootstrap seed (default: ``0``).
        progress: show progress bars.

    Returns:
        The report (also saved).
    """
    hierarchy: TermHierarchy = kg.hierarchy
    annotations: AnnotationTable = kg.annotations
    cases = list(read_cases(Path(cases_path), hierarchy))
    subjects = (
        None
        if candidates is None
        else [s for s in annotations.subjects if s.startswith(candidates)]
    )
    lr_config = likelihood_config or LikelihoodConfig()
    t0 = time.perf_counter()
    resnik = ResnikRanker(hierarchy, annotations, subjects=subjects, combine="one_sided")
    likelihood = PhenotypeLikelihood.from_kg(
        hierarchy, annotations, subjects=subjects, config=lr_config
    )
    logger.info("baseline models built in %.1f s", time.perf_counter() - t0)
    config = {
        "cases_path": str(cases_path),
        "num_cases": len(cases),
        "kg_fingerprint": getattr(kg, "fingerprint", None),
        "candidates": candidates or "all annotated subjects",
        "num_candidates": len(likelihood),
        "resnik": {"combine": "one_sided", "ic_weighting": "count", "aspects": ["P"]},
        "likelihood": asdict(lr_config),
        "cases_with_warnings": sum(1 for c in cases if c.warnings),
    }
    return evaluate_rankers(
        cases,
        {
            "Resnik one-sided": resnik_ranker(resnik),
            "LIRICAL-style LR": likelihood_ranker(likelihood),
        },
        annotations=annotations,
        out_dir=Path(out_dir),
        n_resamples=n_resamples,
        seed=seed,
        config=config,
        progress=progress,
        reference="Resnik one-sided",
        candidates=subjects,
    )
