"""Simulated patients never contradict their disease: what a patient was drawn to have is not
stated absent, and a disease's NOT (or 0-frequency) terms are never findings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kg.annotations import AnnotationTableBuilder
from kg.hierarchy import TermHierarchy
from train.simulate import PatientSimulator, SimulationConfig

# R -> A -> B -> C -> D ; B -> E -> E1 ; B -> H ; A -> L1..L6 ; R -> S -> S1 -> S2 ;
# A -> F -> G -> G1   (each term with its parents)
PARENTS: dict[str, list[str]] = {
    "R": [],
    "A": ["R"],
    "B": ["A"],
    "C": ["B"],
    "D": ["C"],
    "E": ["B"],
    "E1": ["E"],
    "H": ["B"],
    **{f"L{n}": ["A"] for n in range(1, 7)},
    "S": ["R"],
    "S1": ["S"],
    "S2": ["S1"],
    "F": ["A"],
    "G": ["F"],
    "G1": ["G"],
}
QUIET = SimulationConfig(
    min_terms=0,
    max_terms=100,
    mean_terms=100.0,
    imprecision_rate=0.0,
    min_depth=0,
    noise_mean=0.0,
    not_excluded_rate=0.0,
    frequent_excluded_rate=0.0,
    random_excluded_mean=0.0,
)


def iri(name: str) -> str:
    return f"http://example.org/T_{name}"


def simulator(rows: list[tuple[str, str, float | None, bool]], **config) -> PatientSimulator:
    """A simulator over :data:`PARENTS` and ``rows``: (disease, term, frequency, negated)."""
    names = list(PARENTS)
    index = {n: i for i, n in enumerate(names)}
    ptr = np.zeros(len(names) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(PARENTS[n]) for n in names])
    idx = np.array([index[p] for n in names for p in PARENTS[n]], dtype=np.int32)
    hierarchy = TermHierarchy(
        [iri(n) for n in names], names, np.zeros(len(names), dtype=bool), ptr, idx
    )
    b = AnnotationTableBuilder()
    # Background for noise: terms other diseases are annotated with.
    background = [("bg", t, None, False) for t in ("S1", "S2", "E", "E1", "G1", "H")]
    for n, (disease, term, freq, neg) in enumerate(rows + background):
        b.add(f"urn:a:{n}", f"urn:d:{disease}", iri(term), negated=neg, frequency=freq, aspect="P")
    return PatientSimulator(hierarchy, b.build(), replace(QUIET, **config))


def test_findings_dropped_by_the_cap_are_not_stated_absent() -> None:
    rows = [("d", f"L{n}", 1.0, False) for n in range(1, 6)] + [("d", "L6", 0.6, False)]
    sim = simulator(rows, max_terms=2, mean_terms=10.0, frequent_excluded_rate=1.0)
    data = sim.dataset(300, seed=0, diseases=["urn:d:d"])
    excluded = {t for p in data for t in p.excluded}
    # Every patient has L1..L5 (frequency 1), two of the findings recorded at most.
    assert all(len(p.present) <= 2 for p in data)
    assert excluded == {iri("L6")}  # only the one feature some patients lack
    assert not any(set(p.present) & set(p.excluded) for p in data)


def test_a_feature_implied_by_a_drawn_finding_is_not_stated_absent_after_imprecision() -> None:
    # D (always drawn) implies C; D made imprecise up to B must not leave C "absent".
    rows = [("d", "D", 1.0, False), ("d", "C", 0.6, False)]
    sim = simulator(rows, imprecision_rate=1.0, max_imprecision_steps=2, frequent_excluded_rate=1.0)
    data = sim.dataset(400, seed=0, diseases=["urn:d:d"])
    assert any(iri("B") in p.present for p in data)  # climbed above C
    assert not any(iri("C") in p.excluded for p in data)


def test_noise_never_draws_a_not_term_or_its_descendants() -> None:
    rows = [("d", "C", 1.0, False), ("d", "S1", None, True)]
    sim = simulator(rows, noise_mean=4.0, not_excluded_rate=1.0)
    data = sim.dataset(300, seed=0, diseases=["urn:d:d"])
    present = {t for p in data for t in p.present}
    assert not present & {iri("S1"), iri("S2")}
    assert iri("G1") in present  # noise is still drawn
    assert all(iri("S1") in p.excluded for p in data)


def test_near_misses_never_draw_a_not_term_or_its_descendants() -> None:
    # Cousins of C one level up: E, E1 (E is NOT-annotated) and H.
    rows = [("d", "C", 1.0, False), ("d", "E", None, True)]
    sim = simulator(rows, near_miss_mean=3.0, near_miss_steps=1)
    data = sim.dataset(300, seed=0, diseases=["urn:d:d"])
    present = {t for p in data for t in p.present}
    assert not present & {iri("E"), iri("E1")}
    assert iri("H") in present  # near misses are still drawn


def test_a_zero_frequency_annotation_is_absent_like_a_not_annotation() -> None:
    rows = [("d", "C", 1.0, False), ("d", "S1", 0.0, False)]
    sim = simulator(rows, noise_mean=4.0, not_excluded_rate=1.0)
    data = sim.dataset(300, seed=0, diseases=["urn:d:d"])
    present = {t for p in data for t in p.present}
    assert not present & {iri("S1"), iri("S2")}
    assert all(iri("S1") in p.excluded for p in data)


def test_a_not_term_implied_by_a_drawn_finding_is_not_stated_absent() -> None:
    # Contradictory annotations (D, and NOT its ancestor C): D made imprecise up to B still
    # implies C, so C is not stated absent.
    rows = [("d", "D", 1.0, False), ("d", "C", None, True)]
    sim = simulator(rows, imprecision_rate=1.0, max_imprecision_steps=2, not_excluded_rate=1.0)
    data = sim.dataset(200, seed=0, diseases=["urn:d:d"])
    assert any(iri("B") in p.present for p in data)
    assert not any(iri("C") in p.excluded for p in data)


def test_an_unknown_frequency_is_not_a_zero_frequency() -> None:
    rows = [("d", "C", 1.0, False), ("d", "S1", None, False)]
    sim = simulator(rows, unknown_frequency=0.0, not_excluded_rate=1.0)
    data = sim.dataset(50, seed=0, diseases=["urn:d:d"])
    assert not any(p.excluded for p in data)
