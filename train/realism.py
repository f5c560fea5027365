"""How simulated patients compare with real ones, finding by finding.

Each present finding of a patient is classed by its relation to the diagnosed disease's
annotations (:meth:`train.simulate.PatientSimulator.relation`): one of them, more specific,
less specific, or unrelated; an unrelated finding is also placed by the depth of the deepest
ancestor it shares with the disease's terms (a cousin of an annotated term shares a deep
one; a finding from another organ system only the root's children). Comparing these mixes
for real cases and for simulated patients of the same diseases shows what the simulator's
settings (``SimulationConfig``: imprecision, noise, near misses, the number of findings)
leave unlike real patients. Only aggregate figures are reported: the point is to set the
simulator's rates, not to fit single cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from train.simulate import PatientSimulator

__all__ = [
    "RELATIONS",
    "FindingMix",
    "compare_with_cases",
    "finding_mix",
    "mix_rows",
    "to_markdown",
]

#: The classes of :meth:`PatientSimulator.relation`, in report order.
RELATIONS = ("annotated", "more_specific", "less_specific", "unrelated")


@dataclass(frozen=True)
class FindingMix:
    """The present findings of a set of patients, by relation to their disease.

    Attributes:
        patients: patients with at least one finding known to the KG.
        findings_mean, findings_median: findings per patient.
        shares: mean share of each patient's findings in each of :data:`RELATIONS`.
        mostly_unrelated: share of patients with at least half their findings unrelated.
        unrelated_deep: share of the unrelated findings whose deepest shared ancestor with
            the disease's terms lies at depth 4 or more (near misses rather than noise).
    """

    patients: int
    findings_mean: float
    findings_median: float
    shares: dict[str, float]
    mostly_unrelated: float
    unrelated_deep: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def finding_mix(
    simulator: PatientSimulator, patients: Iterable[tuple[str, Sequence[str]]]
) -> FindingMix:
    """The :class:`FindingMix` of ``(disease IRI, present finding ids)`` pairs.

    Findings unknown to the KG are left out; diseases the simulator cannot simulate (no
    positive annotation) are skipped.
    """
    counts: list[int] = []
    shares: dict[str, list[float]] = {r: [] for r in RELATIONS}
    deep: list[bool] = []
    simulable = set(simulator.diseases)
    for disease, present in patients:
        if disease not in simulable:
            continue
        known = [t for t in present if simulator.hierarchy.resolve(t) is not None]
        if not known:
            continue
        described = simulator.describe_findings(disease, known)
        relations = [r for r, _ in described]
        counts.append(len(known))
        for r in RELATIONS:
            shares[r].append(relations.count(r) / len(known))
        deep += [depth >= 4 for r, depth in described if r == "unrelated"]
    if not counts:
        raise ValueError("no patient with a simulable disease and a known finding")
    unrelated = np.asarray(shares["unrelated"])
    return FindingMix(
        patients=len(counts),
        findings_mean=float(np.mean(counts)),
        findings_median=float(np.median(counts)),
        shares={r: float(np.mean(v)) for r, v in shares.items()},
        mostly_unrelated=float(np.mean(unrelated >= 0.5)),
        unrelated_deep=float(np.mean(deep)) if deep else 0.0,
    )


def compare_with_cases(
    simulator: PatientSimulator,
    cases: Iterable[tuple[str, Sequence[str]]],
    seed: int = 0,
) -> dict[str, FindingMix]:
    """``{"real": ..., "simulated": ...}``: the real cases' mix, and that of one simulated
    patient per real case, of the same disease (seeded), so both cover the same diseases.

    Args:
        simulator: the simulator, with the settings to check.
        cases: ``(disease IRI, present finding ids)`` of the real cases; cases of diseases
            the simulator cannot simulate are skipped on both sides.
        seed: seeds the simulated patients.
    """
    simulable = set(simulator.diseases)
    real = [(d, list(p)) for d, p in cases if d in simulable]
    rng = np.random.default_rng(seed)
    simulated = [(d, list(simulator.sample(d, rng).present)) for d, _ in real]
    return {"real": finding_mix(simulator, real), "simulated": finding_mix(simulator, simulated)}


def mix_rows(mixes: dict[str, FindingMix]) -> list[tuple[str, list[str]]]:
    """The rows of the comparison table: a label and one formatted cell per mix."""
    found = list(mixes.values())
    rows = [
        (
            "findings per patient (mean / median)",
            [f"{m.findings_mean:.1f} / {m.findings_median:.0f}" for m in found],
        )
    ]
    rows += [
        (f"share {r.replace('_', ' ')}", [f"{m.shares[r]:.3f}" for m in found]) for r in RELATIONS
    ]
    rows.append(
        ("patients with half or more unrelated", [f"{m.mostly_unrelated:.3f}" for m in found])
    )
    rows.append(
        ("unrelated sharing a depth >= 4 ancestor", [f"{m.unrelated_deep:.3f}" for m in found])
    )
    return rows


def to_markdown(mixes: dict[str, FindingMix]) -> str:
    """The comparison as a Markdown table."""
    lines = [f"| | {' | '.join(mixes)} |", "|---|" + "---:|" * len(mixes)]
    lines += [f"| {label} | {' | '.join(cells)} |" for label, cells in mix_rows(mixes)]
    return "\n".join(lines) + "\n"
