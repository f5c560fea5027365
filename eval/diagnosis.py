r"""Differential-diagnosis evaluation: rank metrics with bootstrap CIs, case subsets, reports.

A *ranker* is any callable ``ranker(case) -> [(disease IRI, score), ...]`` (higher is
better). :func:`evaluate_rankers` runs each ranker on every case twice -- on the present
terms only (the headline) and on present + excluded terms -- and reports top-1/3/10 and MRR on
three subsets:

* ``all``: every case;
* ``covered``: the diagnosis has annotations in the KG (unannotated diagnoses cannot be ranked
  by an annotation-based model);
* ``leakage_free``: covered, and no PMID of the case is among the ``dcterms:source``
  references of its diagnosis's annotations (the annotations were not built from this patient).

The rank of the diagnosis counts ties as the mean of the positions they span (as in
:mod:`eval.linkpred`):

.. math::
    \mathrm{rank} = 1 + |\{c : s_c > s_t\}| + \tfrac{1}{2} |\{c \neq t : s_c = s_t\}|

A diagnosis missing from the ranking has rank :math:`\infty` (reciprocal rank 0). With several
diagnoses the best-ranked one counts. Confidence intervals are percentile bootstraps (seeded,
1000 resamples by default) that resample whole diseases, not cases: patients of one disease
(one published cohort, often one paper) are not independent, and one large cohort can carry
a difference (a cluster bootstrap). Beside the case-level figures the report gives each
ranker's macro average over diseases (every disease weighs the same, however many patients
it has) and, against a reference ranker, the ratio of top-1 accuracies with a paired interval.

:func:`run_baselines` reproduces the baseline table of ``../shared/data/README.md``
(Phenomizer-style Resnik and LIRICAL-style likelihood ratios).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

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
    "RankMetrics",
    "Ranker",
    "case_groups",
    "case_subsets",
    "check_resamples",
    "evaluate_rankers",
    "likelihood_ranker",
    "rank_metrics",
    "rank_of",
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


@dataclass(frozen=True)
class MetricCI:
    """A point estimate with its bootstrap confidence interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def as_ratio(self) -> str:
        """``1.29x [1.13-1.57]``, or ``n/a`` for an undefined ratio."""
        if math.isnan(self.value):
            return "n/a"
        return f"{self.value:.2f}x [{self.low:.2f}-{self.high:.2f}]"


@dataclass(frozen=True)
class RankMetrics:
    """Top-k accuracies and mean reciprocal rank of a set of ranks.

    Attributes:
        n: number of cases.
        top1, top3, top10: fraction of cases whose diagnosis is within the first k.
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
    ranks: Sequence[float] | np.ndarray,
    *,
    groups: Sequence[str] | np.ndarray | None = None,
    macro: bool = False,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> RankMetrics:
    """Top-1/3/10 and MRR of 1-based ranks, with percentile bootstrap CIs.

    Args:
        ranks: rank of the diagnosis per case (1 = first; ``inf`` = not ranked).
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
    r = np.asarray(ranks, dtype=np.float64).ravel()
    if np.isnan(r).any() or (r < 1).any():
        raise ValueError("ranks must be >= 1 (inf for a diagnosis that is not ranked)")
    if macro and groups is None:
        raise ValueError("a macro average needs groups")
    n = len(r)
    if n == 0:
        nan = MetricCI(math.nan, math.nan, math.nan)
        return RankMetrics(0, nan, nan, nan, nan)
    # [metrics, cases]: hit@1, hit@3, hit@10, reciprocal rank.
    values = np.stack([*(r <= k for k in TOP_K), 1.0 / r]).astype(np.float64)
    rng = np.random.default_rng(seed)
    if groups is None:
        point = values.mean(axis=1)
        idx = rng.integers(0, n, size=(n_resamples, n))
        boot = values[:, idx].mean(axis=2)  # [metrics, resamples]
    else:
        sums, counts = _group_sums(values, groups)
        idx = rng.integers(0, len(counts), size=(n_resamples, len(counts)))
        if macro:
            means = sums / counts
            point = means.mean(axis=1)
            boot = means[:, idx].mean(axis=2)
        else:
            point = sums.sum(axis=1) / counts.sum()
            boot = sums[:, idx].sum(axis=2) / counts[idx].sum(axis=1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(boot, [tail, 100.0 - tail], axis=1)
    cis = [
        MetricCI(float(p), float(lo), float(hi)) for p, lo, hi in zip(point, low, high, strict=True)
    ]
    return RankMetrics(n, *cis)


def check_resamples(n_resamples: int) -> int:
    """``n_resamples`` when a bootstrap can be made of it (at least one resample).

    Raises:
        ValueError: fewer than 1 resample.
    """
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, Integral) or n_resamples < 1:
        raise ValueError(f"bootstrap resamples must be an integer >= 1, got {n_resamples!r}")
    return n_resamples


def _group_sums(
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
    ranks: Sequence[float] | np.ndarray,
    reference: Sequence[float] | np.ndarray,
    groups: Sequence[str] | np.ndarray,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> MetricCI:
    """Top-1 accuracy of ``ranks`` divided by that of ``reference`` on the same cases, with a
    paired bootstrap over ``groups`` (both rankers see the same resampled clusters).

    Returns NaN values where the reference has no case first (or there are no cases);
    resamples in which it has none first are left out of the interval.

    Raises:
        ValueError: ranks of other lengths; fewer than 1 resample.
    """
    check_resamples(n_resamples)
    a = np.asarray(ranks, dtype=np.float64).ravel()
    b = np.asarray(reference, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"{len(a)} ranks against {len(b)} reference ranks")
    nan = MetricCI(math.nan, math.nan, math.nan)
    if not len(a) or not (b <= 1).any():
        return nan
    sums, _ = _group_sums(np.stack([a <= 1, b <= 1]).astype(np.float64), groups)
    idx = np.random.default_rng(seed).integers(0, sums.shape[1], size=(n_resamples, sums.shape[1]))
    boot_a, boot_b = sums[:, idx].sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = boot_a / boot_b
    boot = boot[np.isfinite(boot)]
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(boot, [tail, 100.0 - tail]) if len(boot) else (math.nan, math.nan)
    return MetricCI(float(sums[0].sum() / sums[1].sum()), float(low), float(high))


def rank_of(ranking: Iterable[tuple[str, float]], truth: Iterable[str]) -> float:
    """Mean-tie rank of the best-ranked true disease in ``ranking`` (``inf`` if absent)."""
    wanted = set(truth)
    items = list(ranking)
    if not items or not wanted:
        return math.inf
    scores = np.fromiter((s for _, s in items), dtype=np.float64, count=len(items))
    is_true = np.fromiter((d in wanted for d, _ in items), dtype=bool, count=len(items))
    if not is_true.any():
        return math.inf
    best = scores[is_true].max()
    greater = int((scores > best).sum())
    ties = int((scores == best).sum()) - 1
    return 1.0 + greater + ties / 2.0


def disease_sources(annotations: AnnotationTable) -> dict[str, set[str]]:
    """Subject IRI -> the source IRIs (PMIDs ...) cited by any of its annotations."""
    out: dict[str, set[str]] = {}
    for s, sources in zip(annotations.subject.tolist(), annotations.sources, strict=True):
        if sources:
            out.setdefault(annotations.subjects[s], set()).update(sources)
    return out


def case_subsets(cases: Sequence[Case], annotations: AnnotationTable) -> dict[str, np.ndarray]:
    """Boolean masks over ``cases`` for each of :data:`SUBSETS`.

    Args:
        cases: the cases.
        annotations: the KG's annotation table (subjects and their sources).
    """
    subjects = set(annotations.subjects)
    sources = disease_sources(annotations)
    covered = np.array([any(d in subjects for d in c.diseases) for c in cases], dtype=bool)
    leaked = np.array(
        [any(p in sources.get(d, ()) for d in c.diseases for p in c.pmids) for c in cases],
        dtype=bool,
    )
    return {
        "all": np.ones(len(cases), dtype=bool),
        "covered": covered,
        "leakage_free": covered & ~leaked,
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
        ranks: ranker -> mode -> ``[num_cases]`` ranks.
        metrics: ranker -> mode -> subset -> metrics.
        latency_ms: ranker -> mode -> median seconds per case, in milliseconds.
        config: what produced the report (saved, and hashed into ``config_hash``).
        calibration: ranker -> the calibration of its probabilities on the covered cases
            (rankers that give probabilities only).
        groups: the cluster (diagnosis) of each case (:func:`case_groups`).
        macro: ranker -> mode -> subset -> the metrics averaged per disease first.
        reference: the ranker the others' top-1 is compared with, if any.
        ratios: ranker -> mode -> subset -> top-1 over the reference's (:func:`top1_ratio`).
    """

    case_ids: list[str]
    subsets: dict[str, np.ndarray]
    ranks: dict[str, dict[str, np.ndarray]]
    metrics: dict[str, dict[str, dict[str, RankMetrics]]]
    latency_ms: dict[str, dict[str, float]]
    config: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Calibration] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    macro: dict[str, dict[str, dict[str, RankMetrics]]] = field(default_factory=dict)
    reference: str | None = None
    ratios: dict[str, dict[str, dict[str, MetricCI]]] = field(default_factory=dict)

    @property
    def config_hash(self) -> str:
        blob = json.dumps(self.config, sort_keys=True, default=str).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with per-case ranks (``null`` for unranked diagnoses)."""
        return {
            "config": self.config,
            "config_hash": self.config_hash,
            "subset_sizes": {k: int(v.sum()) for k, v in self.subsets.items()},
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
                    "ranks": {
                        r: {m: (None if math.isinf(v[i]) else float(v[i])) for m, v in by_m.items()}
                        for r, by_m in self.ranks.items()
                    },
                }
                for i, cid in enumerate(self.case_ids)
            ],
        }

    def to_markdown(self) -> str:
        """Tables of top-1 / top-10 (%) per subset; present terms first, excluded beside."""
        sizes = {k: int(v.sum()) for k, v in self.subsets.items()}
        head = " | ".join(f"{s} ({sizes[s]:,})" for s in SUBSETS)
        lines = [
            "Top-1 / top-10 accuracy (%), 95% bootstrap CI of top-1 in brackets "
            "(whole diseases resampled).",
            "",
            f"| ranker | terms | {head} |",
            "|---|---|" + "---|" * len(SUBSETS),
        ]
        for ranker, by_mode in self.metrics.items():
            for mode in MODES:
                if mode not in by_mode:
                    continue
                cells = []
                for s in SUBSETS:
                    m = by_mode[mode][s]
                    cells.append(
                        f"{100 * m.top1.value:.1f} / {100 * m.top10.value:.1f} "
                        f"[{100 * m.top1.low:.1f}-{100 * m.top1.high:.1f}]"
                    )
                label = "present only" if mode == "present" else "present + excluded"
                lines.append(f"| {ranker} | {label} | " + " | ".join(cells) + " |")
        lines += _table("MRR:", head, self.metrics, lambda m: f"{m.mrr.value:.3f}")
        if self.macro:
            groups = np.asarray(self.groups)
            head_macro = " | ".join(
                f"{s} ({len(set(groups[self.subsets[s]])):,} diseases)" for s in SUBSETS
            )
            lines += _table(
                "Macro average over diseases, top-1 / top-10 (%) (each disease weighs the same):",
                head_macro,
                self.macro,
                lambda m: f"{100 * m.top1.value:.1f} / {100 * m.top10.value:.1f}",
            )
        if self.ratios:
            lines += _table(
                f"Top-1 relative to {self.reference} (paired bootstrap over diseases, 95% CI):",
                head,
                self.ratios,
                MetricCI.as_ratio,
            )
        if self.calibration:
            lines += [
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
        return "\n".join(lines) + "\n"

    def plot_topk(self, path: Path, *, max_k: int = 50) -> None:
        """Write a PNG of top-k accuracy curves (one panel per subset)."""
        from matplotlib.figure import Figure  # Agg canvas; no global backend state

        fig = Figure(figsize=(5 * len(SUBSETS), 4), layout="constrained")
        axes = fig.subplots(1, len(SUBSETS), sharey=True)
        ks = np.arange(1, max_k + 1)
        for ax, subset in zip(np.atleast_1d(axes), SUBSETS, strict=True):
            mask = self.subsets[subset]
            for ranker, by_mode in self.ranks.items():
                for mode, ranks in by_mode.items():
                    r = ranks[mask]
                    if not len(r):
                        continue
                    curve = (r[None, :] <= ks[:, None]).mean(axis=1)
                    style = "-" if mode == "present" else "--"
                    ax.plot(ks, curve, style, label=f"{ranker} ({mode})")
            ax.set_title(f"{subset} (n={int(mask.sum())})")
            ax.set_xlabel("k")
            ax.set_xscale("log")
            ax.grid(True, alpha=0.3)
        np.atleast_1d(axes)[0].set_ylabel("top-k accuracy")
        np.atleast_1d(axes)[-1].legend(fontsize="small", loc="lower right")
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
        paths["json"].write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        paths["markdown"].write_text(self.to_markdown(), encoding="utf-8")
        self.plot_topk(paths["png"])
        logger.info("wrote %s", ", ".join(str(p) for p in paths.values()))
        return paths


def _table(
    title: str,
    head: str,
    by_ranker: Mapping[str, Mapping[str, Mapping[str, Any]]],
    cell: Callable[[Any], str],
) -> list[str]:
    """A Markdown table under ``title``: a row per ranker and mode, a cell per subset."""
    lines = ["", title, "", f"| ranker | terms | {head} |", "|---|---|" + "---|" * len(SUBSETS)]
    for ranker, by_mode in by_ranker.items():
        for mode in MODES:
            if mode in by_mode:
                cells = " | ".join(cell(by_mode[mode][s]) for s in SUBSETS)
                lines.append(f"| {ranker} | {mode} | {cells} |")
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
) -> EvalReport:
    """Rank every case with every ranker and summarise.

    Args:
        cases: the cases (their ``diseases`` are the truth).
        rankers: name -> ranker.
        annotations: the KG's annotations (for the covered and leakage-free subsets).
        out_dir: when given, the report is saved there (JSON, Markdown, PNG).
        modes: any of :data:`MODES` (default: both).
        n_resamples: bootstrap resamples (default: ``1000``).
        seed: bootstrap seed (default: ``0``).
        config: recorded in the report (and hashed).
        progress: show a progress bar.
        reference: a ranker of ``rankers`` whose top-1 the others' is divided by (e.g. the
            Resnik baseline). (default: ``None``, no ratios)

    Returns:
        The report.

    Raises:
        ValueError: no case; an unknown mode, or a reference that is not among the rankers;
            fewer than 1 resample. (Checked before any case is ranked.)
    """
    if not cases:
        raise ValueError("no cases to evaluate")
    check_resamples(n_resamples)
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise ValueError(f"unknown modes {unknown}; choose from {', '.join(MODES)}")
    if reference is not None and reference not in rankers:
        raise ValueError(f"reference {reference!r} is not among the rankers {list(rankers)}")
    subsets = case_subsets(cases, annotations)
    views = {
        "present": [replace(c, excluded=()) for c in cases],
        "present+excluded": list(cases),
    }
    ranks: dict[str, dict[str, np.ndarray]] = {}
    latency: dict[str, dict[str, float]] = {}
    for name, ranker in rankers.items():
        ranks[name], latency[name] = {}, {}
        for mode in modes:
            r = np.empty(len(cases))
            seconds = np.empty(len(cases))
            items = views[mode]
            if progress:
                from tqdm.auto import tqdm

                items = tqdm(items, desc=f"{name} ({mode})", leave=False)
            for i, case in enumerate(items):
                t0 = time.perf_counter()
                ranking = ranker(case)
                seconds[i] = time.perf_counter() - t0
                r[i] = rank_of(ranking, case.diseases)
            ranks[name][mode] = r
            latency[name][mode] = float(np.median(seconds) * 1e3) if len(cases) else math.nan
    groups = np.asarray(case_groups(cases))

    def summary(macro: bool) -> dict[str, dict[str, dict[str, RankMetrics]]]:
        return {
            name: {
                mode: {
                    s: rank_metrics(
                        r[mask],
                        groups=groups[mask],
                        macro=macro,
                        n_resamples=n_resamples,
                        seed=seed,
                    )
                    for s, mask in subsets.items()
                }
                for mode, r in by_mode.items()
            }
            for name, by_mode in ranks.items()
        }

    ratios = {
        name: {
            mode: {
                s: top1_ratio(
                    r[mask],
                    ranks[reference][mode][mask],
                    groups[mask],
                    n_resamples=n_resamples,
                    seed=seed,
                )
                for s, mask in subsets.items()
            }
            for mode, r in by_mode.items()
        }
        for name, by_mode in ranks.items()
        if reference is not None and name != reference
    }
    cfg = dict(config or {})
    cfg.setdefault("n_resamples", n_resamples)
    cfg.setdefault("seed", seed)
    cfg.setdefault("rankers", list(rankers))
    cfg.setdefault("bootstrap", "whole diseases resampled")
    report = EvalReport(
        [c.id for c in cases],
        subsets,
        ranks,
        summary(macro=False),
        latency,
        cfg,
        groups=[str(g) for g in groups],
        macro=summary(macro=True),
        reference=reference,
        ratios=ratios,
    )
    if out_dir is not None:
        report.save(Path(out_dir))
    return report


def likelihood_ranker(model: PhenotypeLikelihood) -> Ranker:
    """A ranker from a :class:`PhenotypeLikelihood` (log10 LR of present and excluded terms)."""

    def rank(case: Case) -> list[tuple[str, float]]:
        return model.score(case.present, case.excluded).ranking()

    return rank


def resnik_ranker(model: ResnikRanker) -> Ranker:
    """A ranker from a :class:`ResnikRanker` (present terms only: Resnik ignores exclusions)."""

    def rank(case: Case) -> list[tuple[str, float]]:
        return model.score(case.present).ranking()

    return rank


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
    )
