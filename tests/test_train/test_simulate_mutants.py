"""Behaviours of train.simulate that mutation testing found unchecked: which annotations a
simulated patient is drawn from, sex and age, the frequency-weighted cap and top-up, the
numbers of noise findings, and how a patient is written as text.

Statistical checks use a fixed seed and tolerances of five standard errors or more.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from kg.annotations import AnnotationTableBuilder
from kg.errors import UnknownTermError
from kg.hierarchy import TermHierarchy
from kg.lexicon import Lexicon, LexiconEntry
from kg.namespaces import OWL_CLASS, to_iri
from train.simulate import (
    PatientSimulator,
    PhenotypeNames,
    SimulatedPatient,
    SimulationConfig,
    render_text,
)

# Onset classes the simulator reads ages from (train.phenopacket.HPO_ONSET_AGE_YEARS).
ONSETS = {
    "CONGENITAL": to_iri("HP:0003577"),  # 0
    "INFANTILE": to_iri("HP:0003593"),  # 28 days to 1 year
    "ADULT": to_iri("HP:0003581"),  # 16 to 80 years
}
# R -> A -> B -> C -> D ; B -> E -> E1 ; A -> L1..L30 ; R -> P -> T, K1..K6 ;
# R -> Q -> N1..N6 ; R -> OB (obsolete) ; Z (a second root) ; ONSET -> the onset classes
PARENTS: dict[str, list[str]] = {
    "R": [],
    "A": ["R"],
    "B": ["A"],
    "C": ["B"],
    "D": ["C"],
    "E": ["B"],
    "E1": ["E"],
    **{f"L{n}": ["A"] for n in range(1, 31)},
    "P": ["R"],
    "T": ["P"],
    **{f"K{n}": ["P"] for n in range(1, 7)},
    "Q": ["R"],
    **{f"N{n}": ["Q"] for n in range(1, 7)},
    "OB": ["R"],
    "Z": [],
    "ONSET": [],
    **{name: ["ONSET"] for name in ONSETS},
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
    return ONSETS.get(name) or f"http://example.org/T_{name}"


def disease(name: str) -> str:
    return f"urn:d:{name}"


def row(name: str, term: str, frequency: float | None = None, **fields) -> tuple:
    """An annotation of disease ``name``: a phenotype (aspect P) unless ``fields`` say."""
    return name, term, frequency, fields


def simulator(rows: list[tuple], *, first: str = "R", **config) -> PatientSimulator:
    """A simulator over :data:`PARENTS` (``first`` at index 0, ``OB`` obsolete) and ``rows``;
    a background disease annotated with N1..N6 gives the noise its terms."""
    names = [first, *(n for n in PARENTS if n != first)]
    index = {n: i for i, n in enumerate(names)}
    ptr = np.zeros(len(names) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(PARENTS[n]) for n in names])
    idx = np.array([index[p] for n in names for p in PARENTS[n]], dtype=np.int32)
    obsolete = np.array([n == "OB" for n in names])
    hierarchy = TermHierarchy([iri(n) for n in names], names, obsolete, ptr, idx)
    b = AnnotationTableBuilder()
    background = [row("bg", f"N{n}") for n in range(1, 7)]
    for k, (name, term, frequency, fields) in enumerate(rows + background):
        term_iri = term if term.startswith("urn:") else iri(term)
        fields = {"aspect": "P", **fields}
        b.add(f"urn:a:{k}", disease(name), term_iri, frequency=frequency, **fields)
    return PatientSimulator(hierarchy, b.build(), replace(QUIET, **config))


def patients(sim: PatientSimulator, name: str, n: int, seed: int = 0) -> list[SimulatedPatient]:
    return sim.dataset(n, seed=seed, diseases=[disease(name)])


def share(data: list[SimulatedPatient], test) -> float:
    return float(np.mean([bool(test(p)) for p in data]))


# ---- configuration and which annotations count ------------------------------------------
@pytest.mark.parametrize(
    "rate",
    [
        "unknown_frequency",
        "imprecision_rate",
        "not_excluded_rate",
        "frequent_threshold",
        "frequent_excluded_rate",
    ],
)
@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_a_rate_outside_0_1_is_refused_naming_it(rate: str, value: float) -> None:
    with pytest.raises(ValueError, match=rate):
        SimulationConfig(**{rate: value})


def test_annotations_to_unknown_or_obsolete_terms_are_left_out() -> None:
    rows = [
        row("d", "C", 1.0),
        row("d", "OB", 1.0),
        row("d", "urn:not-in-the-hierarchy", 1.0),
        row("gone", "OB", 1.0),
        row("gone", "urn:not-in-the-hierarchy", 1.0),
    ]
    sim = simulator(rows)
    assert disease("d") in sim.diseases and disease("gone") not in sim.diseases
    data = patients(sim, "d", 50)
    assert {p.present for p in data} == {(iri("C"),)}
    with pytest.raises(UnknownTermError):
        sim.sample(disease("gone"), np.random.default_rng(0))


@pytest.mark.parametrize("first", ["R", "D", "ADULT"])
def test_the_first_term_of_the_hierarchy_is_read_like_any_other(first: str) -> None:
    # an annotated finding, or the disease's onset class, at term index 0
    rows = [row("d", "D", 1.0), row("d", "ADULT", aspect="C")]
    sim = simulator(rows, first=first, onset_delay_years=0.0)
    data = patients(sim, "d", 30)
    assert all(p.present == (iri("D"),) for p in data)
    assert all(p.age is not None and 16.0 <= p.age <= 80.0 for p in data)


def test_zero_frequency_annotations_are_never_findings() -> None:
    # too few findings: the top-up must not reach for a 0-frequency (absent) feature
    rows = [
        row("d", "C", 1.0),
        row("d", "E", 0.0),
        row("z", "E1", 0.0),
        row("z", "D", negated=True),
    ]
    sim = simulator(rows, min_terms=3)
    assert not any(iri("E") in p.present for p in patients(sim, "d", 200))
    # a disease with only absent features cannot be simulated
    assert disease("z") not in sim.diseases


def test_unknown_disease_error_names_it_and_suggests_close_ones(kg) -> None:
    sim = PatientSimulator(kg.hierarchy, kg.annotations)
    typo = to_iri("OMIM:154701")
    with pytest.raises(UnknownTermError, match="154701") as caught:
        sim.sample(typo, np.random.default_rng(0))
    assert to_iri("OMIM:154700") in caught.value.suggestions
    # a CURIE names a disease as well as its IRI does
    patient = sim.sample("OMIM:154700", np.random.default_rng(0))
    assert patient.disease == to_iri("OMIM:154700")


def test_dataset_size() -> None:
    sim = simulator([row("d", "C", 1.0)])
    assert sim.dataset(0, seed=0) == []
    with pytest.raises(ValueError, match="n_per_disease"):
        sim.dataset(-1, seed=0)


# ---- sex and age -------------------------------------------------------------------------
def test_sex_follows_sex_specific_annotations() -> None:
    rows = [
        row("male", "C", 1.0, sex="MALE"),
        row("male", "E", 0.5, sex="MALE"),
        row("female", "C", 1.0, sex="FEMALE"),
        row("both", "C", 1.0, sex="MALE"),
        row("both", "E", 1.0, sex="FEMALE"),
    ]
    sim = simulator(rows)
    assert {p.sex for p in patients(sim, "male", 40)} == {"MALE"}
    assert {p.sex for p in patients(sim, "female", 40)} == {"FEMALE"}
    both = patients(sim, "both", 200)
    assert {p.sex for p in both} == {"MALE", "FEMALE"}
    own = {"MALE": (iri("C"),), "FEMALE": (iri("E"),)}
    assert all(p.present == own[p.sex] for p in both)


def test_age_is_drawn_across_the_onset_range() -> None:
    rows = [
        row("course", "C", 1.0),
        row("course", "ADULT", aspect="C"),  # a clinical-course onset
        row("rows", "C", 1.0, onset=iri("ADULT")),  # the onset column of a row
        row("none", "C", 1.0),
    ]
    sim = simulator(rows, onset_delay_years=0.0)
    for name in ("course", "rows"):
        ages = np.array([p.age for p in patients(sim, name, 300)])
        assert ages.min() >= 16.0 and ages.max() <= 80.0, name
        # uniform over 16-80: both ends are reached
        assert ages.min() < 25.0 and ages.max() > 70.0, name
    assert all(p.age is None for p in patients(sim, "none", 20))
    delayed = simulator(rows, onset_delay_years=5.0)
    ages = np.array([p.age for p in patients(delayed, "course", 2000)])
    assert ages.mean() == pytest.approx(48.0 + 5.0, abs=2.5)  # standard error 0.43


def test_features_with_a_later_onset_are_left_out() -> None:
    rows = [
        row("baby", "INFANTILE", aspect="C"),
        row("baby", "C", 1.0),
        row("baby", "E", 1.0, onset=iri("ADULT")),  # later than any infant's age
        row("baby", "L1", 1.0, onset=iri("INFANTILE")),  # begins within the disease's onset
        row("newborn", "CONGENITAL", aspect="C"),
        row("newborn", "C", 1.0),
        row("newborn", "L1", 1.0, onset=iri("CONGENITAL")),  # at birth: an age of 0
    ]
    sim = simulator(rows, onset_delay_years=0.0)
    baby = patients(sim, "baby", 200)
    assert all(p.age is not None and p.age <= 1.0 for p in baby)
    assert {frozenset(p.present) for p in baby} == {frozenset({iri("C"), iri("L1")})}
    newborn = patients(sim, "newborn", 20)
    assert {p.age for p in newborn} == {0.0}
    assert {frozenset(p.present) for p in newborn} == {frozenset({iri("C"), iri("L1")})}


# ---- how many findings, and which -------------------------------------------------------
def test_number_of_findings_is_around_mean_terms() -> None:
    rows = [row("d", f"L{n}", 1.0) for n in range(1, 31)]
    sim = simulator(rows, min_terms=3, max_terms=30, mean_terms=7.0)
    counts = np.array([len(p.present) for p in patients(sim, "d", 1000)])
    assert counts.min() >= 3
    assert counts.mean() == pytest.approx(7.0, abs=0.4)  # standard error 0.06
    exact = simulator(rows, min_terms=3, max_terms=30, mean_terms=3.0)
    assert {len(p.present) for p in patients(exact, "d", 200)} == {3}


def test_findings_over_the_cap_are_kept_by_frequency() -> None:
    # L1 always drawn, L2 in 25% of patients; one finding recorded, L2 then with
    # probability 0.25 / 1.25 (0.5 if the cap ignored frequencies): 0.05 in all
    rows = [row("d", "L1", 1.0), row("d", "L2", 0.25)]
    sim = simulator(rows, min_terms=1, max_terms=1, mean_terms=1.0)
    data = patients(sim, "d", 2000)
    assert {len(p.present) for p in data} == {1}
    # standard error 0.005
    assert share(data, lambda p: iri("L2") in p.present) == pytest.approx(0.05, abs=0.025)


def test_top_up_draws_by_frequency() -> None:
    # L1 (0.4) and L2 (0.1), one finding recorded: L2 when drawn alone (0.06), when both
    # are drawn and L2 is kept under the cap (0.04 * 0.2), when neither is and the top-up
    # picks L2 (0.54 * 0.2): 0.176 in all (standard error 0.007)
    rows = [row("d", "L1", 0.4), row("d", "L2", 0.1)]
    sim = simulator(rows, min_terms=1, max_terms=1, mean_terms=1.0)
    data = patients(sim, "d", 3000)
    assert {len(p.present) for p in data} == {1}
    assert share(data, lambda p: iri("L2") in p.present) == pytest.approx(0.176, abs=0.04)


def test_top_up_skips_terms_related_to_the_findings() -> None:
    # D is always drawn; C (its parent) never joins it, E1 (unrelated) tops it up
    rows = [row("d", "D", 1.0), row("d", "C", 0.5), row("d", "E1", 0.5)]
    sim = simulator(rows, min_terms=2)
    assert {frozenset(p.present) for p in patients(sim, "d", 300)} == {
        frozenset({iri("D"), iri("E1")})
    }


def test_imprecision_climbs_at_most_max_steps_with_its_rate() -> None:
    sim = simulator([row("d", "D", 1.0)], imprecision_rate=0.3, max_imprecision_steps=1)
    data = patients(sim, "d", 1500)
    assert {p.present for p in data} == {(iri("D"),), (iri("C"),)}
    assert share(data, lambda p: p.present == (iri("C"),)) == pytest.approx(0.3, abs=0.07)


def test_noise_and_near_misses_come_in_their_mean_numbers() -> None:
    # T's cousins (near misses) are K1..K6; the unrelated background (noise) N1..N6
    sim = simulator([row("d", "T", 1.0)], noise_mean=2.0, near_miss_mean=2.0, near_miss_steps=1)
    data = patients(sim, "d", 3000)
    near = np.array([sum(t.startswith(iri("K")) for t in p.present) for p in data])
    noise = np.array([sum(t.startswith(iri("N")) for t in p.present) for p in data])
    assert all(iri("T") in p.present for p in data)
    assert all(len(p.present) == 1 + k + n for p, k, n in zip(data, near, noise, strict=True))
    # Poisson(2) counts (at most 6 distinct terms: P = 0.005 of more): standard error 0.026
    assert near.mean() == pytest.approx(2.0, abs=0.15)
    assert noise.mean() == pytest.approx(2.0, abs=0.15)
    # a mean under 1 draws near misses as well (standard error 0.022)
    few = simulator([row("d", "T", 1.0)], near_miss_mean=0.5, near_miss_steps=1)
    near = np.array(
        [sum(t.startswith(iri("K")) for t in p.present) for p in patients(few, "d", 1000)]
    )
    assert near.mean() == pytest.approx(0.5, abs=0.12)


def test_a_kg_without_annotations_has_no_disease_to_simulate() -> None:
    hierarchy = simulator([]).hierarchy
    sim = PatientSimulator(hierarchy, AnnotationTableBuilder().build())
    assert sim.diseases == [] and sim.dataset(3, seed=0) == []


def test_random_exclusions_may_name_the_diseases_not_terms() -> None:
    # stating a NOT term absent agrees with the disease: the random excluded findings may
    # draw it, while noise (present findings) never does
    rows = [row("d", "T", 1.0), row("d", "N1", negated=True)]
    sim = simulator(rows, random_excluded_mean=2.0, noise_mean=2.0)
    data = patients(sim, "d", 500)
    assert not any(iri("N1") in p.present for p in data)
    assert share(data, lambda p: iri("N1") in p.excluded) > 0.1


def test_a_feature_at_the_frequent_threshold_counts_as_frequent() -> None:
    rows = [row("d", "C", 1.0), row("d", "E", 0.5)]
    sim = simulator(rows, frequent_threshold=0.5, frequent_excluded_rate=1.0)
    data = patients(sim, "d", 200)
    lacking = [p for p in data if iri("E") not in p.present]
    assert lacking and all(iri("E") in p.excluded for p in lacking)


def test_relation_and_shared_depth_of_findings() -> None:
    sim = simulator([row("d", "C", 1.0)])
    d = disease("d")
    assert sim.relation(d, iri("D")) == "more_specific"
    assert sim.relation(d, iri("B")) == "less_specific"
    assert sim.shared_depth(d, iri("E1")) == 2  # B
    assert sim.shared_depth(d, iri("Z")) == -1  # another root: nothing shared
    assert sim.describe_findings(d, [iri("Z"), iri("C")]) == [("unrelated", -1), ("annotated", 3)]


# ---- text --------------------------------------------------------------------------------
#: name -> the way it reads mid-sentence (lower-cased unless its first word is an acronym)
NAMES = {
    "Tall stature": "tall stature",
    "Abnormal MRI finding": "abnormal MRI finding",
    "EEG abnormality": "EEG abnormality",
    "GH deficiency": "GH deficiency",
    "Ectopia lentis": "ectopia lentis",
    "Arachnodactyly": "arachnodactyly",
    "Seizure": "seizure",
}
TERMS = {f"urn:t:{n}": name for n, name in enumerate(NAMES)}
SENTENCES = re.compile(r"[A-Z0-9][^.]*\.( [A-Z0-9][^.]*\.)*")


def phenotype_names() -> PhenotypeNames:
    return PhenotypeNames({t: ([name], np.array([1.0])) for t, name in TERMS.items()})


def person(sex: str | None, age: float | None, present=(), excluded=()) -> SimulatedPatient:
    return SimulatedPatient("urn:d:d", tuple(present), tuple(excluded), sex, age)


def at_sentence_start(text: str, start: int) -> bool:
    return start == 0 or text[:start].endswith(". ")


def test_rendered_text_is_well_formed() -> None:
    terms = list(TERMS)
    names = phenotype_names()
    for seed in range(80):
        p = person("FEMALE", 9.0, terms[:5], terms[5:])
        text, spans = render_text(p, names, np.random.default_rng(seed))
        assert SENTENCES.fullmatch(text), text
        assert "{" not in text and "}" not in text and "  " not in text
        assert {s.iri for s in spans} == set(terms)
        for s in spans:
            mid = NAMES[TERMS[s.iri]]
            if at_sentence_start(text, s.start):
                assert s.surface == mid[:1].upper() + mid[1:], text
            else:
                assert s.surface == mid, text
            assert not text[s.end : s.end + 1].isalnum(), text
            assert s.excluded is (s.iri in p.excluded)


def test_findings_of_a_sentence_read_as_a_list() -> None:
    terms = list(TERMS)
    names = phenotype_names()
    longest = 0
    for seed in range(60):
        text, spans = render_text(
            person("MALE", 30.0, terms[:6]), names, np.random.default_rng(seed), distractor_rate=0
        )
        spans = sorted(spans, key=lambda s: s.start)
        runs: list[list[str]] = [[]]
        for a, b in zip(spans, spans[1:], strict=False):
            gap = text[a.end : b.start]
            if "." in gap:
                runs.append([])
            else:
                runs[-1].append(gap)
        for gaps in runs:  # "a", "a and b", "a, b and c"
            if gaps:
                assert gaps == [", "] * (len(gaps) - 1) + [" and "], text
            longest = max(longest, len(gaps) + 1)
    assert longest >= 3


def test_a_finding_without_a_name_is_left_out_of_the_text() -> None:
    terms = list(TERMS)
    p = person("MALE", 30.0, [terms[0], "urn:t:nameless"], ["urn:t:nameless-too"])
    for seed in range(10):
        text, spans = render_text(p, phenotype_names(), np.random.default_rng(seed))
        assert [s.iri for s in spans] == [terms[0]]
        assert SENTENCES.fullmatch(text), text


@pytest.mark.parametrize(
    ("sex", "age", "article", "who"),
    [
        ("FEMALE", 14.2, "a", "14-year-old girl"),
        ("FEMALE", 30.0, "a", "30-year-old woman"),
        ("MALE", 18.0, "an", "18-year-old man"),
        ("MALE", 18.5, "an", "18-year-old man"),
        ("MALE", 17.9, "a", "17-year-old boy"),
        ("MALE", 8.0, "an", "8-year-old boy"),
        ("MALE", 11.0, "an", "11-year-old boy"),
        ("FEMALE", 12.0, "a", "12-year-old girl"),
        ("FEMALE", 19.0, "a", "19-year-old woman"),
        ("FEMALE", 80.0, "an", "80-year-old woman"),
        ("FEMALE", 5.0, "a", "5-year-old girl"),
        ("MALE", 2.0, "a", "2-year-old boy"),
        ("MALE", 2.5, "a", "2-year-old boy"),
        ("MALE", 1.5, "an", "18-month-old boy"),
        ("FEMALE", 0.3, "a", "4-month-old girl"),
        ("FEMALE", 28 / 365.25, "a", "1-month-old girl"),
        ("FEMALE", 27.99 / 365.25, "a", "newborn girl"),
        ("MALE", 28.5 / 365.25, "a", "1-month-old boy"),
        (None, 40.0, "a", "40-year-old patient"),
        (None, 4.0, "a", "4-year-old child"),
        (None, None, "a", "child"),
        ("MALE", None, "a", "boy"),
    ],
)
def test_the_patient_is_introduced_by_sex_and_age(
    sex: str | None, age: float | None, article: str, who: str
) -> None:
    terms = list(TERMS)
    for seed in range(12):
        text, _ = render_text(
            person(sex, age, terms[:2]), phenotype_names(), np.random.default_rng(seed)
        )
        intro = text.split(". ")[0]
        assert re.search(rf"(^{article.capitalize()}| {article}|^This) {who}( |\.|$)", intro), (
            intro,
            article,
            who,
        )


@pytest.mark.parametrize(
    ("sex", "pronoun", "others"),
    [
        ("MALE", "He", ("She", "The patient")),
        ("FEMALE", "She", ("He", "The patient")),
        (None, "The patient", ("He", "She")),
    ],
)
def test_sentences_refer_to_the_patient_by_sex(sex: str | None, pronoun: str, others) -> None:
    terms = list(TERMS)
    texts = [
        render_text(
            person(sex, 30.0, terms[:4], terms[4:]), phenotype_names(), np.random.default_rng(seed)
        )[0]
        for seed in range(20)
    ]
    starts = {
        "The patient" if s.startswith("The patient") else s.split(" ")[0]
        for t in texts
        for s in t.split(". ")
    }
    assert pronoun in starts
    assert not starts & set(others)


def test_distractor_sentences_follow_their_rate() -> None:
    # one finding, none excluded: the intro, the finding's sentence, and a distractor or not
    p = person("MALE", 30.0, [next(iter(TERMS))])
    names = phenotype_names()
    counts = [
        render_text(p, names, np.random.default_rng(seed))[0].count(". ") + 1 for seed in range(600)
    ]
    assert set(counts) == {2, 3}
    assert np.mean(np.array(counts) == 3) == pytest.approx(0.3, abs=0.1)
    never = [
        render_text(p, names, np.random.default_rng(seed), distractor_rate=0.0)[0]
        for seed in range(20)
    ]
    assert {t.count(". ") for t in never} == {1}


def test_names_are_chosen_by_weight() -> None:
    names = PhenotypeNames({"urn:t:x": (["label", "synonym"], np.array([0.8, 0.2]))})
    rng = np.random.default_rng(0)
    drawn = [names.choose("urn:t:x", rng) for _ in range(2000)]
    assert np.mean([d == "label" for d in drawn]) == pytest.approx(0.8, abs=0.05)
    assert names.choose("urn:t:unknown", rng) == ""
    assert names.choose("urn:t:unknown", rng, fallback="it") == "it"


def test_names_from_a_lexicon_skip_obsolete_terms_and_other_nodes() -> None:
    gene = "https://w3id.org/kgfuse/vocab#Gene"
    lexicon = Lexicon(
        [
            LexiconEntry("urn:g:1", "FBN1", "label", None, gene),
            LexiconEntry("urn:t:old", "Old name", "label", None, OWL_CLASS),
            LexiconEntry("urn:t:a", "Tall stature", "label", None, OWL_CLASS),
            LexiconEntry("urn:t:a", "Big", "related", None, OWL_CLASS),  # not a usable name
            LexiconEntry("urn:t:a", "Increased body height", "exact", "layperson", OWL_CLASS),
            LexiconEntry("urn:t:b", "Seizure", "label", None, OWL_CLASS),
        ],
        frozenset({"urn:t:old"}),
    )
    names = PhenotypeNames.from_lexicon(lexicon)
    assert set(names.names) == {"urn:t:a", "urn:t:b"}
    texts, p = names.names["urn:t:a"]
    assert texts == ["Tall stature", "Increased body height"]
    assert p.sum() == pytest.approx(1.0) and p[0] > p[1]
    assert names.names["urn:t:b"][0] == ["Seizure"]
