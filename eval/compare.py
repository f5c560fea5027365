r"""Two diagnosis evaluations compared case by case, with paired intervals.

``kgfuse eval diagnosis --out DIR`` writes every case's expected rank under each ranker to
``DIR/diagnosis.json``. This module reads two such reports, or two rankers of one report,
over the same cases, and says what changed between them (A, the baseline, and B):

* for each subset (all, covered, leakage-free), top-1/3/10 and MRR of each side and the
  difference B - A, with a percentile bootstrap that resamples whole diseases and gives
  both sides the same resampled diseases (a paired cluster bootstrap, as the report's own
  intervals resample diseases);
* the cases each side ranks better, and the first places and top-10 places gained and lost;
* the cases whose rank moved most.

Ties are read back as the report wrote them: a case's expected rank :math:`r` and the
:math:`n` candidates sharing its score give :math:`b = r - (n + 1) / 2` candidates above it
(:class:`eval.diagnosis.TiedRanks`), so the figures here are the report's own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.diagnosis import (
    MODES,
    SUBSETS,
    TOP_K,
    MetricCI,
    TiedRanks,
    check_resamples,
    cluster_bootstrap,
    group_sums,
)
from kg.namespaces import compress

__all__ = [
    "Comparison",
    "PairedMetric",
    "RankedCases",
    "SubsetComparison",
    "compare_ranked",
    "markdown_cell",
    "rankers_in",
    "read_ranked_cases",
]

#: The file ``kgfuse eval diagnosis --out DIR`` writes, read when a folder is given.
REPORT_FILE = "diagnosis.json"
METRICS = (*(f"top{k}" for k in TOP_K), "mrr")


@dataclass(frozen=True)
class RankedCases:
    """One ranker's positions over a report's cases.

    Attributes:
        source: the report file.
        ranker: the ranker's name in it.
        terms: ``present`` or ``present+excluded``.
        ids: the cases' ids, in the report's order.
        diseases: each case's disease (the bootstrap's cluster; its id when the report has
            none).
        subsets: subset name -> ``[cases]`` bool.
        ranks: where each case's diagnosis lies, ties kept.
        named_diseases: every case names its disease.
    """

    source: str
    ranker: str
    terms: str
    ids: list[str]
    diseases: list[str]
    subsets: dict[str, np.ndarray]
    ranks: TiedRanks
    named_diseases: bool = True

    @property
    def label(self) -> str:
        return f"{self.ranker} ({self.terms}) in {self.source}"


def _report_path(path: Path) -> Path:
    return path / REPORT_FILE if path.is_dir() else path


def _read_report(file: Path) -> dict[str, Any]:
    """The JSON of a diagnosis report file, checked to hold its cases.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not UTF-8 JSON, or not a diagnosis report.
    """
    if not file.is_file():
        raise FileNotFoundError(f"no diagnosis report at {file} (`kgfuse eval diagnosis --out`)")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{file} is not a JSON diagnosis report ({exc})") from None
    except RecursionError:
        raise ValueError(f"{file} is not a diagnosis report: JSON nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ValueError(
            f"{file} is not a diagnosis report: no 'cases' list (`kgfuse eval diagnosis "
            "--out DIR` writes DIR/diagnosis.json)"
        )
    return data


def rankers_in(report: Mapping[str, Any]) -> list[str]:
    """The rankers a report ranked its cases with, in its order."""
    metrics = report.get("metrics")
    if isinstance(metrics, dict) and metrics:
        return [str(r) for r in metrics]
    cases = report.get("cases") or []
    first = cases[0].get("ranks") if cases and isinstance(cases[0], dict) else None
    return [str(r) for r in first] if isinstance(first, dict) else []


def _default_ranker(names: Sequence[str], file: Path) -> str:
    """The report's first kgfuse ranker (the model's ranking)."""
    for name in names:
        if name.startswith("kgfuse"):
            return name
    raise ValueError(f"{file} has no kgfuse ranker; name one of: {', '.join(names) or 'none'}")


def _position(case: Mapping[str, Any], ranker: str, terms: str, where: str) -> tuple[float, float]:
    """``(better, tied)`` of one case as the report wrote it (expected rank and tie count)."""
    ranks, tied = case.get("ranks"), case.get("tied")
    if not isinstance(ranks, dict) or not isinstance(ranks.get(ranker), dict):
        raise ValueError(f"{where}: no ranks of {ranker!r}")
    if terms not in ranks[ranker]:
        have = ", ".join(ranks[ranker]) or "none"
        raise ValueError(f"{where}: {ranker!r} has no {terms!r} ranks (it has: {have})")
    rank = ranks[ranker][terms]
    if rank is None:
        return math.inf, 1.0
    count = (tied or {}).get(ranker, {}).get(terms) if isinstance(tied, dict) else None
    count = 1.0 if count is None else count
    if (
        isinstance(rank, bool)
        or not isinstance(rank, int | float)
        or isinstance(count, bool)
        or not isinstance(count, int | float)
        or not math.isfinite(rank)
        or not math.isfinite(count)
        or count < 1
        or rank < (count + 1) / 2
    ):
        raise ValueError(f"{where}: rank {rank!r} with {count!r} tied is not a position")
    return float(rank) - (float(count) + 1.0) / 2.0, float(count)


def read_ranked_cases(
    path: str | Path, ranker: str | None = None, terms: str = "present"
) -> RankedCases:
    """One ranker's positions from a report ``kgfuse eval diagnosis --out`` wrote.

    Args:
        path: ``diagnosis.json``, or the folder holding it.
        ranker: a ranker's name in the report (default: its first kgfuse ranker).
        terms: ``present`` (the headline) or ``present+excluded``.

    Raises:
        FileNotFoundError: no report there.
        ValueError: not a diagnosis report; an unknown ranker or terms; a case without an
            id, a repeated id, or a rank that is no position.
    """
    if terms not in MODES:
        raise ValueError(f"unknown terms {terms!r}; choose one of: {', '.join(MODES)}")
    file = _report_path(Path(path))
    report = _read_report(file)
    names = rankers_in(report)
    name = ranker if ranker is not None else _default_ranker(names, file)
    if name not in names:
        raise ValueError(f"{file} has no ranker {name!r}; it has: {', '.join(names) or 'none'}")
    ids: list[str] = []
    diseases: list[str] = []
    named = True
    masks: dict[str, list[bool]] = {s: [] for s in SUBSETS}
    better: list[float] = []
    tied: list[float] = []
    for i, case in enumerate(report["cases"]):
        where = f"{file}: case {i + 1}"
        if not isinstance(case, dict) or not isinstance(case.get("id"), str):
            raise ValueError(f"{where} has no id")
        ids.append(case["id"])
        disease = case.get("disease")
        named = named and isinstance(disease, str)
        diseases.append(disease if isinstance(disease, str) else case["id"])
        for s in SUBSETS:
            masks[s].append(bool(case.get(s, s == "all")))
        b, n = _position(case, name, terms, f"{where} ({case['id']})")
        better.append(b)
        tied.append(n)
    seen: set[str] = set()
    for cid in ids:
        if cid in seen:
            raise ValueError(f"{file}: case id {cid!r} is repeated")
        seen.add(cid)
    return RankedCases(
        str(file),
        name,
        terms,
        ids,
        diseases,
        {s: np.asarray(m, dtype=bool) for s, m in masks.items()},
        TiedRanks(np.asarray(better), np.asarray(tied)),
        named,
    )


@dataclass(frozen=True)
class PairedMetric:
    """One metric of both sides and their paired difference ``b - a``."""

    metric: str
    a: float
    b: float
    difference: MetricCI


@dataclass(frozen=True)
class SubsetComparison:
    """Both sides over one subset of the cases.

    Attributes:
        subset: ``all``, ``covered`` or ``leakage_free``.
        cases: cases in it; diseases: the diseases they belong to (the bootstrap's clusters).
        metrics: top-1/3/10 and MRR of each side, with the difference's interval.
        better_in_b / better_in_a: cases whose expected rank is lower on that side.
        first_gained / first_lost: cases B puts first that A does not, and the reverse
            (ties count as their chance, so these may be fractions).
        top10_gained / top10_lost: the same for the first ten places.
        diseases_top1 / diseases_top10: ``(rise, fall)``, the diseases whose mean top-1
            (top-10) over their cases is higher in B, and those where it is lower.
    """

    subset: str
    cases: int
    diseases: int
    metrics: list[PairedMetric]
    better_in_b: int
    better_in_a: int
    first_gained: float
    first_lost: float
    top10_gained: float
    top10_lost: float
    diseases_top1: tuple[int, int] = (0, 0)
    diseases_top10: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Comparison:
    """What changed from A to B, case by case (:func:`compare_ranked`)."""

    a: str
    b: str
    subsets: list[SubsetComparison]
    moved: list[dict[str, Any]]
    flagged_differently: int
    n_resamples: int
    seed: int
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``null`` for an unranked case's rank and undefined figures)."""

        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {
            "a": self.a,
            "b": self.b,
            "bootstrap": {
                "resamples": self.n_resamples,
                "seed": self.seed,
                "confidence": self.confidence,
                "clusters": "diseases",
            },
            "flagged_differently": self.flagged_differently,
            "subsets": {
                s.subset: {
                    "cases": s.cases,
                    "diseases": s.diseases,
                    "metrics": {
                        m.metric: {
                            "a": num(m.a),
                            "b": num(m.b),
                            "difference": {
                                "value": num(m.difference.value),
                                "low": num(m.difference.low),
                                "high": num(m.difference.high),
                            },
                        }
                        for m in s.metrics
                    },
                    "better_in_b": s.better_in_b,
                    "better_in_a": s.better_in_a,
                    "first_gained": s.first_gained,
                    "first_lost": s.first_lost,
                    "top10_gained": s.top10_gained,
                    "top10_lost": s.top10_lost,
                    "diseases_top1": {"rise": s.diseases_top1[0], "fall": s.diseases_top1[1]},
                    "diseases_top10": {"rise": s.diseases_top10[0], "fall": s.diseases_top10[1]},
                }
                for s in self.subsets
            },
            "moved": [
                {**m, "rank_a": num(m["rank_a"]), "rank_b": num(m["rank_b"])} for m in self.moved
            ],
        }

    def to_markdown(self) -> str:
        """Per subset a table of each metric, A, B and B - A with its interval; the cases
        each side ranks better; the cases that moved most."""
        pct = int(round(self.confidence * 100))
        lines = [f"A: {self.a}", "", f"B: {self.b}", ""]
        lines.append(
            f"B - A with a paired {pct}% bootstrap interval ({self.n_resamples:,} resamples of "
            "whole diseases, seed "
            f"{self.seed}); top-k and MRR as the reports count them (ties as their chance)."
        )
        if self.flagged_differently:
            lines += [
                "",
                f"{self.flagged_differently} case(s) belong to other subsets in B than in A "
                "(another KG?): the subsets are A's.",
            ]
        for s in self.subsets:
            lines += [
                "",
                f"**{s.subset}** ({s.cases:,} cases, {s.diseases:,} diseases)",
                "",
                "| metric | A | B | B - A |",
                "|---|---:|---:|---|",
            ]
            for m in s.metrics:
                scale = 1.0 if m.metric == "mrr" else 100.0
                fmt = "{:.3f}" if m.metric == "mrr" else "{:.1f}"
                d = m.difference
                diff = (
                    "n/a"
                    if d.undefined
                    else f"{fmt.format(d.value * scale)} [{fmt.format(d.low * scale)}, "
                    f"{fmt.format(d.high * scale)}]"
                )
                a = "n/a" if math.isnan(m.a) else fmt.format(m.a * scale)
                b = "n/a" if math.isnan(m.b) else fmt.format(m.b * scale)
                lines.append(f"| {m.metric} | {a} | {b} | {diff} |")
            lines += [
                "",
                f"Cases ranked better in B: {s.better_in_b:,}; in A: {s.better_in_a:,}. "
                f"First places gained / lost in B: {_count(s.first_gained)} / "
                f"{_count(s.first_lost)}; top-10 places: {_count(s.top10_gained)} / "
                f"{_count(s.top10_lost)}. Diseases whose mean top-1 rises / falls in B: "
                f"{s.diseases_top1[0]:,} / {s.diseases_top1[1]:,}; top-10: "
                f"{s.diseases_top10[0]:,} / {s.diseases_top10[1]:,}.",
            ]
        if self.moved:
            lines += [
                "",
                "Cases that moved most (all subsets):",
                "",
                "| case | disease | rank A | rank B |",
                "|---|---|---:|---:|",
            ]
            for row in self.moved:
                lines.append(
                    f"| {markdown_cell(row['id'])} | {markdown_cell(row['disease'])} | "
                    f"{_rank(row['rank_a'])} | "
                    f"{_rank(row['rank_b'])} |"
                )
        return "\n".join(lines) + "\n"


def _count(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _rank(x: float) -> str:
    return "not ranked" if not math.isfinite(x) else _count(x)


def markdown_cell(text: str) -> str:
    """A report's text in a Markdown table cell: pipes and line breaks escaped."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _values(ranks: TiedRanks) -> np.ndarray:
    """``[metrics, cases]``: each case's hit@k (k of :data:`TOP_K`) and reciprocal rank."""
    return np.vstack([ranks.hits(np.asarray(TOP_K, dtype=np.float64)), ranks.reciprocal()])


def _paired(
    a: np.ndarray,
    b: np.ndarray,
    groups: np.ndarray,
    n_resamples: int,
    seed: int,
    confidence: float,
) -> list[MetricCI]:
    """Per metric (rows of ``a`` and ``b``, ``[metrics, cases]``), the mean difference
    ``b - a`` with a percentile bootstrap over the clusters ``groups`` (the same resampled
    clusters for both sides, since each case's difference is resampled whole)."""
    if not a.shape[1]:
        return [MetricCI(math.nan, math.nan, math.nan)] * a.shape[0]
    return cluster_bootstrap(
        b - a, groups, n_resamples=n_resamples, seed=seed, confidence=confidence
    )


def _by_disease(change: np.ndarray, groups: np.ndarray) -> tuple[int, int]:
    """How many diseases' mean ``change`` over their cases is above 0, and below 0."""
    if not len(change):
        return 0, 0
    sums, counts = group_sums(change[None, :], groups)
    means = sums[0] / counts
    tol = 1e-12  # sums of fractional ties that cancel
    return int((means > tol).sum()), int((means < -tol).sum())


def compare_ranked(
    a: RankedCases,
    b: RankedCases,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    moved: int = 15,
) -> Comparison:
    """Compare two rankers' positions over the same cases (see the module's docstring).

    Args:
        a: the baseline; b: the ranking compared with it.
        n_resamples: bootstrap resamples; seed: their seed; confidence: the interval's.
        moved: how many of the cases that moved most to list (by the change of the
            logarithm of their expected rank; an unranked case counts as rank 100,000).

    Raises:
        ValueError: the reports hold other cases (ids), or give a case another disease;
            fewer than 1 resample; a confidence outside (0, 1).
    """
    check_resamples(n_resamples)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    if set(a.ids) != set(b.ids):
        only_a = [i for i in a.ids if i not in set(b.ids)]
        only_b = [i for i in b.ids if i not in set(a.ids)]
        raise ValueError(
            f"the reports hold other cases: {len(only_a)} only in A "
            f"({', '.join(only_a[:5])}{' ...' if len(only_a) > 5 else ''}), {len(only_b)} only "
            f"in B ({', '.join(only_b[:5])}{' ...' if len(only_b) > 5 else ''}); compare "
            "evaluations of the same cases file"
        )
    if a.named_diseases != b.named_diseases:
        which = "A" if b.named_diseases else "B"
        raise ValueError(
            f"{which} does not name each case's disease (not written by `kgfuse eval "
            "diagnosis`?): the two cannot be checked to hold the same cases"
        )
    order = {cid: i for i, cid in enumerate(b.ids)}
    at = np.asarray([order[cid] for cid in a.ids], dtype=np.int64)
    for cid, da, j in zip(a.ids, a.diseases, at, strict=True):
        if b.diseases[j] != da:
            raise ValueError(f"case {cid!r} is {da} in A and {b.diseases[j]} in B")
    ranks_b = b.ranks[at]
    differs = np.zeros(len(a.ids), dtype=bool)
    for s in SUBSETS:
        differs |= a.subsets[s] != b.subsets[s][at]
    va, vb = _values(a.ranks), _values(ranks_b)
    ea, eb = a.ranks.expected(), ranks_b.expected()
    groups = np.asarray(a.diseases)
    out = []
    for s in SUBSETS:
        mask = a.subsets[s]
        cis = _paired(va[:, mask], vb[:, mask], groups[mask], n_resamples, seed, confidence)
        n = int(mask.sum())
        means_a = va[:, mask].mean(axis=1) if n else np.full(len(METRICS), math.nan)
        means_b = vb[:, mask].mean(axis=1) if n else np.full(len(METRICS), math.nan)
        first = vb[0, mask] - va[0, mask]
        top10 = vb[TOP_K.index(10), mask] - va[TOP_K.index(10), mask]
        out.append(
            SubsetComparison(
                s,
                n,
                len(set(groups[mask].tolist())),
                [
                    PairedMetric(name, float(x), float(y), ci)
                    for name, x, y, ci in zip(METRICS, means_a, means_b, cis, strict=True)
                ],
                int((eb[mask] < ea[mask]).sum()),
                int((ea[mask] < eb[mask]).sum()),
                float(first[first > 0].sum()),
                float(abs(first[first < 0].sum())),
                float(top10[top10 > 0].sum()),
                float(abs(top10[top10 < 0].sum())),
                _by_disease(first, groups[mask]),
                _by_disease(top10, groups[mask]),
            )
        )
    cap = 100_000.0
    shift = np.abs(np.log(np.minimum(eb, cap)) - np.log(np.minimum(ea, cap)))
    listed = [int(i) for i in np.argsort(-shift, kind="stable")[:moved] if shift[i] > 0]
    moves = [
        {
            "id": a.ids[i],
            "disease": compress(a.diseases[i]),
            "rank_a": float(ea[i]),
            "rank_b": float(eb[i]),
        }
        for i in listed
    ]
    return Comparison(
        a.label, b.label, out, moves, int(differs.sum()), n_resamples, seed, confidence
    )
