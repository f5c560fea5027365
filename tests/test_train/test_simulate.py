"""Tests of train.simulate on the mini HPO KG (tests/fixtures/hpo_mini)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kg.errors import UnknownTermError
from kg.namespaces import to_iri
from train.simulate import (
    PatientSimulator,
    PhenotypeNames,
    SimulatedPatient,
    SimulationConfig,
    render_text,
)

MARFAN = to_iri("OMIM:154700")
HOMOCYSTINURIA = to_iri("ORPHA:394")
TALL = to_iri("HP:0000098")
ID = to_iri("HP:0001249")
QUIET = SimulationConfig(
    min_terms=0,
    max_terms=100,
    mean_terms=100.0,
    imprecision_rate=0.0,
    noise_mean=0.0,
    not_excluded_rate=0.0,
    frequent_excluded_rate=0.0,
    random_excluded_mean=0.0,
)


def simulator(kg, config: SimulationConfig | None = None) -> PatientSimulator:
    return PatientSimulator(kg.hierarchy, kg.annotations, config)


def ancestors_of(kg, terms) -> set[str]:
    return {a for t in terms for a in kg.hierarchy.ancestors(t)}


def test_simulate_covers_every_annotated_disease(kg) -> None:
    sim = simulator(kg)
    assert sorted(sim.diseases) == sorted(kg.annotations.subjects)
    data = sim.dataset(3, seed=0)
    assert len(data) == 3 * len(sim.diseases)
    assert all(isinstance(p, SimulatedPatient) and p.present for p in data)
    with pytest.raises(UnknownTermError):
        sim.sample("OMIM:000000", np.random.default_rng(0))


def test_simulate_is_deterministic_per_seed_and_disease(kg) -> None:
    sim = simulator(kg)
    assert sim.dataset(5, seed=11) == sim.dataset(5, seed=11)
    assert sim.dataset(5, seed=11) != sim.dataset(5, seed=12)
    # A disease's patients do not depend on which other diseases are simulated.
    alone = sim.dataset(5, seed=11, diseases=[MARFAN])
    assert alone == [p for p in sim.dataset(5, seed=11) if p.disease == MARFAN]


def test_simulate_respects_annotated_frequencies(kg) -> None:
    sim = simulator(kg, QUIET)
    n = 2000
    data = sim.dataset(n, seed=1, diseases=[MARFAN])
    # Marfan: Arachnodactyly 0.895 (and 0.6 in males only), Ectopia lentis 30/50,
    # Aortic root aneurysm 80%, Tall stature with no frequency -> unknown_frequency 0.5.
    expected = {"HP:0001166": 0.895, "HP:0001083": 0.6, "HP:0002616": 0.8, "HP:0000098": 0.5}
    for curie, f in expected.items():
        rate = np.mean([to_iri(curie) in p.present for p in data])
        assert abs(rate - f) < 4 * np.sqrt(f * (1 - f) / n), curie
    default = simulator(kg, replace(QUIET, unknown_frequency=0.9)).dataset(
        n, seed=1, diseases=[MARFAN]
    )
    assert np.mean([TALL in p.present for p in default]) == pytest.approx(0.9, abs=0.03)


def test_simulate_term_count_is_bounded(kg) -> None:
    config = replace(QUIET, min_terms=3, max_terms=3, mean_terms=3.0)
    data = simulator(kg, config).dataset(200, seed=2, diseases=[MARFAN])
    assert {len(p.present) for p in data} == {3}


def test_simulate_sex_specific_annotations_and_age(kg) -> None:
    data = simulator(kg, QUIET).dataset(400, seed=3, diseases=[HOMOCYSTINURIA])
    assert {p.sex for p in data} == {"MALE", "FEMALE"}
    # Tall stature is annotated for females only.
    assert not any(TALL in p.present for p in data if p.sex == "MALE")
    assert any(TALL in p.present for p in data if p.sex == "FEMALE")
    # Infantile onset (28 days to 1 year) is annotated: every patient has an age past it.
    assert all(p.age is not None and p.age >= 28 / 365.25 for p in data)


def test_simulate_imprecision_replaces_terms_by_ancestors(kg) -> None:
    config = replace(QUIET, imprecision_rate=1.0, min_depth=2)
    data = simulator(kg, config).dataset(100, seed=4, diseases=[MARFAN])
    disease_terms = {
        kg.annotations.terms[t]
        for s, t in zip(kg.annotations.subject, kg.annotations.term, strict=True)
        if kg.annotations.subjects[s] == MARFAN
    }
    strict_ancestors = ancestors_of(kg, disease_terms) - disease_terms
    depth = kg.hierarchy.depth()
    for p in data:
        assert p.present and set(p.present) <= strict_ancestors
        assert all(depth[kg.hierarchy.index(t)] >= 2 for t in p.present)


def test_simulate_noise_adds_unrelated_terms(kg) -> None:
    config = replace(QUIET, noise_mean=3.0)
    data = simulator(kg, config).dataset(200, seed=5, diseases=[HOMOCYSTINURIA])
    own = {"HP:0001083", "HP:0001249", "HP:0000098", "HP:0001166"}
    related = ancestors_of(kg, [to_iri(c) for c in own])
    extra = [t for p in data for t in p.present if t not in related]
    assert extra, "noise should add findings unrelated to the disease"
    # The only unrelated annotated findings in the mini KG sit under the cardiovascular system.
    cardio = to_iri("HP:0001626")
    assert all(cardio in kg.hierarchy.ancestors(t) for t in extra)


def test_simulate_near_misses_are_cousins_unrelated_to_the_disease(kg) -> None:
    # the mini KG is shallow: a cousin of Homocystinuria's findings shares only the
    # phenotype root (depth 1) with them, two levels above Ectopia lentis
    steps = 2
    config = replace(QUIET, near_miss_mean=3.0, near_miss_steps=steps, min_depth=1)
    sim = simulator(kg, config)
    data = sim.dataset(200, seed=5, diseases=[HOMOCYSTINURIA])
    own = {to_iri(c) for c in ("HP:0001083", "HP:0001249", "HP:0000098", "HP:0001166")}
    related = ancestors_of(kg, own) | {d for t in own for d in kg.hierarchy.descendants(t)}
    h = kg.hierarchy
    near = 0
    for p in data:
        kept = [t for t in p.present if t in related]
        for t in p.present:
            if t in related:
                continue
            near += 1
            # a cousin: it shares an ancestor at most `steps` levels above one of the
            # patient's own findings (parents at each step), and is not that finding's kin
            up: set[str] = set()
            frontier = set(kept)
            for _ in range(steps):
                frontier = {h.terms[j] for f in frontier for j in h.parents(h.index(f))}
                up |= frontier
            assert up & set(h.ancestors(t)), t
    assert near > 50, "near misses should be added"
    # the option off draws exactly the patients drawn before it existed
    assert simulator(kg, QUIET).dataset(20, seed=5) == simulator(
        kg, replace(QUIET, near_miss_steps=3)
    ).dataset(20, seed=5)


def test_simulate_excluded_findings(kg) -> None:
    config = replace(QUIET, not_excluded_rate=1.0, random_excluded_mean=2.0)
    data = simulator(kg, config).dataset(200, seed=6, diseases=[MARFAN])
    # Marfan is annotated NOT intellectual disability: always stated absent.
    assert all(ID in p.excluded for p in data)
    for p in data:
        implied = ancestors_of(kg, p.present)
        assert not set(p.excluded) & implied, "an excluded finding contradicts a present one"
    frequent = replace(QUIET, frequent_excluded_rate=1.0)
    data = simulator(kg, frequent).dataset(200, seed=7, diseases=[MARFAN])
    lacked = [p for p in data if to_iri("HP:0001083") not in p.present]
    assert lacked and all(to_iri("HP:0001083") in p.excluded for p in lacked)


def test_simulate_config_validation() -> None:
    with pytest.raises(ValueError, match="imprecision_rate"):
        SimulationConfig(imprecision_rate=1.5)
    with pytest.raises(ValueError, match="min_terms"):
        SimulationConfig(min_terms=5, max_terms=3)
    with pytest.raises(ValueError, match="near_miss_mean"):
        SimulationConfig(near_miss_mean=-1.0)
    with pytest.raises(ValueError, match="near_miss_steps"):
        SimulationConfig(near_miss_steps=0)


def test_render_text_spans_match_text(kg) -> None:
    sim = simulator(kg, replace(SimulationConfig(), not_excluded_rate=1.0))
    names = PhenotypeNames.from_lexicon(kg.lexicon)
    rng = np.random.default_rng(8)
    seen_negated = False
    texts = set()
    for p in sim.dataset(20, seed=8):
        text, spans = render_text(p, names, rng)
        texts.add(text)
        assert all(text[s.start : s.end] == s.surface for s in spans)
        assert {s.iri for s in spans if not s.excluded} == set(p.present)
        assert {s.iri for s in spans if s.excluded} == set(p.excluded)
        assert sorted(s.start for s in spans) == [
            s.start for s in sorted(spans, key=lambda s: s.start)
        ]
        seen_negated |= any(s.excluded for s in spans)
    assert seen_negated
    assert len(texts) > 10, "renderings should vary"


def test_render_text_is_reproducible_and_accepts_a_lexicon(kg) -> None:
    patient = SimulatedPatient(MARFAN, (to_iri("HP:0001166"), TALL), (ID,), "FEMALE", 14.2)
    a = render_text(patient, kg.lexicon, np.random.default_rng(9))
    b = render_text(patient, PhenotypeNames.from_lexicon(kg.lexicon), np.random.default_rng(9))
    assert a == b
    text, spans = a
    assert "14-year-old" in text
    assert len(spans) == 3
