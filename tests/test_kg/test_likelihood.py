"""Tests of kg.rules.likelihood: hand-checked LRs on a 7-term ontology, a brute-force reference."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from kg.annotations import AnnotationTable, AnnotationTableBuilder
from kg.hierarchy import TermHierarchy
from kg.namespaces import to_iri
from kg.rules.likelihood import (
    LikelihoodConfig,
    MatchKind,
    Neighbours,
    PhenotypeLikelihood,
    disease_term_matrix,
    nearest_diseases,
)

# A -> B -> C -> D ; B -> E ; A -> F -> G   (child -> parent written as parent lists below)
PARENTS = {"A": [], "B": ["A"], "C": ["B"], "D": ["C"], "E": ["B"], "F": ["A"], "G": ["F"]}


def iri(name: str) -> str:
    return f"http://example.org/T_{name}"


def make_hierarchy(parents: dict[str, list[str]], replaced: dict[str, str] | None = None):
    names = list(parents)
    index = {n: i for i, n in enumerate(names)}
    ptr = np.zeros(len(names) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(parents[n]) for n in names])
    idx = np.array([index[p] for n in names for p in parents[n]], dtype=np.int32)
    return TermHierarchy(
        [iri(n) for n in names],
        names,
        np.zeros(len(names), dtype=bool),
        ptr,
        idx,
        {iri(k): iri(v) for k, v in (replaced or {}).items()},
    )


def make_annotations(rows: list[tuple]) -> AnnotationTable:
    """rows: (disease, term, frequency or None, negated)."""
    b = AnnotationTableBuilder()
    for n, (disease, term, freq, neg) in enumerate(rows):
        b.add(f"urn:a:{n}", f"urn:d:{disease}", iri(term), negated=neg, frequency=freq, aspect="P")
    return b.build()


def model_annotations() -> AnnotationTable:
    return make_annotations(
        [
            ("d1", "C", 0.5, False),
            ("d1", "E", 0.4, False),
            ("d1", "G", 1.0, False),
            ("d2", "D", 0.8, False),
            ("d2", "G", None, True),
            ("d3", "E", None, False),
        ]
    )


@pytest.fixture
def model() -> PhenotypeLikelihood:
    hierarchy = make_hierarchy(PARENTS, replaced={"OLD": "G"})
    return PhenotypeLikelihood.from_kg(hierarchy, model_annotations())


def default_and(config: LikelihoodConfig) -> tuple[PhenotypeLikelihood, PhenotypeLikelihood]:
    """The test model with the default settings, and with ``config``."""
    hierarchy = make_hierarchy(PARENTS)
    return (
        PhenotypeLikelihood.from_kg(hierarchy, model_annotations()),
        PhenotypeLikelihood.from_kg(hierarchy, model_annotations(), config=config),
    )


def lr(m: float, q: float, alpha: float = 0.1) -> float:
    return math.log10((1 - alpha) * m / q + alpha)


def test_likelihood_exact_match_and_contradiction(model: PhenotypeLikelihood) -> None:
    res = model.score([iri("G")])
    q = 1.0 / 3.0  # only d1 has G, with frequency 1
    assert res.contributions.shape == (3, 1)
    assert res.contributions[0, 0] == pytest.approx(lr(1.0, q))
    assert res.contributions[1, 0] == pytest.approx(math.log10(0.1))  # NOT G
    assert res.contributions[2, 0] == pytest.approx(math.log10(0.1))  # unexplained
    assert list(res.match[:, 0]) == [
        MatchKind.EXACT_OR_IMPLIED,
        MatchKind.CONTRADICTED,
        MatchKind.UNEXPLAINED,
    ]
    assert res.ranking(1)[0][0] == "urn:d:d1"


def test_likelihood_implied_match_uses_noisy_or(model: PhenotypeLikelihood) -> None:
    res = model.score([iri("B")])
    p = np.array([1 - 0.5 * 0.6, 0.8, 0.5])  # d1: C and E; d2: via D; d3: E unknown -> 0.5
    q = p.mean()
    assert res.contributions[:, 0] == pytest.approx([lr(x, q) for x in p])
    maxed = PhenotypeLikelihood.from_kg(
        model.hierarchy,
        make_annotations(
            [("d1", "C", 0.5, False), ("d1", "E", 0.4, False), ("d2", "D", 0.8, False)]
        ),
        config=LikelihoodConfig(propagation="max"),
    )
    assert maxed.score([iri("B")]).contributions[0, 0] == pytest.approx(lr(0.5, (0.5 + 0.8) / 2))


def test_likelihood_partial_credit_for_more_specific_patient_term(
    model: PhenotypeLikelihood,
) -> None:
    partial = PhenotypeLikelihood(
        model.hierarchy,
        disease_term_matrix(model.hierarchy, model_annotations()),
        LikelihoodConfig(partial_credit=True),
    )
    res = partial.score([iri("D")])
    q_d, q_c = 0.8 / 3, (0.5 + 0.8) / 3
    # d1 is annotated with C, the parent of D: LR reduces to f_C / q(C).
    assert res.contributions[0, 0] == pytest.approx(lr(0.5 * q_d / q_c, q_d))
    assert res.match[0, 0] == MatchKind.PARTIAL
    assert res.contributions[1, 0] == pytest.approx(lr(0.8, q_d))
    # off by default: the more specific term is unexplained for d1
    default = model.score([iri("D")])
    assert default.contributions[0, 0] == pytest.approx(math.log10(0.1))
    assert default.match[0, 0] == MatchKind.UNEXPLAINED
    assert default.contributions[1, 0] == pytest.approx(lr(0.8, q_d))


def test_partial_credit_set_for_one_patient(model: PhenotypeLikelihood) -> None:
    """``score(partial_credit=...)`` overrides the config for that patient only (a text's
    findings, ranking version 5)."""
    q_d, q_c = 0.8 / 3, (0.5 + 0.8) / 3
    once = model.score([iri("D")], partial_credit=True)
    assert once.contributions[0, 0] == pytest.approx(lr(0.5 * q_d / q_c, q_d))
    assert once.match[0, 0] == MatchKind.PARTIAL
    assert model.score([iri("D")]).match[0, 0] == MatchKind.UNEXPLAINED  # the config again
    partial = PhenotypeLikelihood(
        model.hierarchy,
        disease_term_matrix(model.hierarchy, model_annotations()),
        LikelihoodConfig(partial_credit=True),
    )
    off = partial.score([iri("D")], partial_credit=False)
    assert off.contributions[0, 0] == pytest.approx(math.log10(0.1))


def test_likelihood_config_round_trip() -> None:
    config = LikelihoodConfig(partial_credit=True, false_positive_rate=0.2)
    assert LikelihoodConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown likelihood settings"):
        LikelihoodConfig.from_dict({"alpha": 0.1})


def test_likelihood_excluded_findings(model: PhenotypeLikelihood) -> None:
    res = model.score([], [iri("G")])
    q = 1.0 / 3.0
    assert res.excluded.tolist() == [True]
    assert res.contributions[0, 0] == pytest.approx(math.log10(0.1), abs=1e-4)  # d1 has G
    boost = math.log10((0.9 + 0.1 * (1 - q)) / (1 - q))
    assert res.contributions[1, 0] == pytest.approx(boost, rel=1e-5)  # d2: NOT G
    assert res.contributions[2, 0] == pytest.approx(boost, rel=1e-5)  # d3: never annotated with G
    assert res.match[0, 0] == MatchKind.EXCLUDED_EXPECTED
    assert res.match[1, 0] == MatchKind.EXCLUDED_ABSENT


@pytest.mark.parametrize("weight", [0.0, 0.3])
def test_likelihood_excluded_weight_tempers_only_excluded_findings(weight: float) -> None:
    full, tempered = default_and(LikelihoodConfig(excluded_weight=weight))
    a, b = full.score([iri("C")], [iri("G")]), tempered.score([iri("C")], [iri("G")])
    assert b.contributions[:, 0] == pytest.approx(a.contributions[:, 0])  # present: untouched
    assert b.contributions[:, 1] == pytest.approx(weight * a.contributions[:, 1])
    assert b.total == pytest.approx(b.contributions.sum(axis=1))
    assert b.match.tolist() == a.match.tolist()  # the kinds are still reported
    if weight == 0.0:  # ranks by the present findings alone
        assert b.total == pytest.approx(full.score([iri("C")]).total)


@pytest.mark.parametrize("weight", [0.5, 2.0])
def test_likelihood_breadth_weight_favours_narrowly_annotated_diseases(weight: float) -> None:
    plain, narrow = default_and(LikelihoodConfig(breadth_weight=weight))
    a, b = plain.score([iri("B")]), narrow.score([iri("B")])
    # d1 is annotated with 3 terms; d2 with 1 (its NOT annotation does not count); d3 with 1
    expected = -weight * np.log10([3.0, 1.0, 1.0])
    assert b.breadth_contribution == pytest.approx(expected)
    assert b.contributions == pytest.approx(a.contributions)  # the findings' LRs: untouched
    assert b.total == pytest.approx(a.total + expected)
    assert not a.breadth_contribution.any()  # weight 0 (the default): no prior
    assert not b.breadth_contribution.flags.writeable
    # B is implied by d1's C and E (noisy-or 0.7), d2's D (0.8) and d3's E (0.5): the
    # broadly annotated d1 comes before d3 without the prior, after it with
    assert a.order().tolist() == [1, 0, 2] and b.order().tolist() == [1, 2, 0]


def test_likelihood_total_is_sum_and_posttest_follows_odds(model: PhenotypeLikelihood) -> None:
    res = model.score([iri("G"), iri("C")], [iri("D")])
    assert res.contributions.shape == (3, 3)
    assert res.total == pytest.approx(res.contributions.sum(axis=1))
    odds = (1 / 3) / (2 / 3) * 10**res.total
    assert res.posttest == pytest.approx(odds / (1 + odds))
    assert [f for f, *_ in res.explain("urn:d:d1")] == [iri("G"), iri("C"), iri("D")]


def test_likelihood_resolves_replaced_and_skips_unknown_ids(model: PhenotypeLikelihood) -> None:
    res = model.score([iri("OLD"), "http://example.org/T_NEW", iri("G")], ["not a term"])
    assert res.findings == [iri("G")]
    assert res.resolved == {iri("OLD"): iri("G")}
    assert res.skipped == ["http://example.org/T_NEW", "not a term"]


def test_likelihood_no_findings_gives_zero(model: PhenotypeLikelihood) -> None:
    res = model.score([])
    assert res.contributions.shape == (3, 0)
    assert res.total == pytest.approx(np.zeros(3))


def test_likelihood_config_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="propagation"):
        LikelihoodConfig(propagation="sum")
    with pytest.raises(ValueError, match="false_positive_rate"):
        LikelihoodConfig(false_positive_rate=0.0)
    for weight in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match="excluded_weight"):
            LikelihoodConfig(excluded_weight=weight)
    for weight in (-0.1, 10.5, math.nan):
        with pytest.raises(ValueError, match="breadth_weight"):
            LikelihoodConfig(breadth_weight=weight)


def _reference_scores(
    hierarchy, annotations, present, excluded, alpha=0.1, unknown=0.5, partial_credit=False
):
    """Per-disease loops straight from the definitions (slow, for checking)."""
    m = disease_term_matrix(hierarchy, annotations, unknown_frequency=unknown)
    freq = m.frequency.toarray()
    neg = m.negated.toarray()
    closure = hierarchy.closure.toarray()  # [term, ancestor]
    n_d, n_t = freq.shape
    prob = np.zeros((n_d, n_t))
    for d in range(n_d):
        for t in range(n_t):
            below = [s for s in range(n_t) if closure[s, t] and freq[d, s] > 0]
            prob[d, t] = 1 - np.prod([1 - min(freq[d, s], 1 - 1e-6) for s in below])
    q = np.maximum(prob.mean(axis=0), 0.5 / n_d)
    out = np.zeros(n_d)
    for d in range(n_d):
        for t in present:
            anc = [a for a in range(n_t) if closure[t, a]]
            if any(neg[d, a] for a in anc):
                match = 0.0
            else:
                partial = [freq[d, a] * q[t] / q[a] for a in anc if a != t and freq[d, a] > 0]
                match = max([prob[d, t], *partial]) if partial_credit else prob[d, t]
            out[d] += math.log10((1 - alpha) * min(match, 1.0) / q[t] + alpha)
        for t in excluded:
            anc = [a for a in range(n_t) if closure[t, a]]
            p = 0.0 if any(neg[d, a] for a in anc) else prob[d, t]
            qt = min(q[t], 1 - 0.5 / n_d)
            out[d] += math.log10(((1 - alpha) * (1 - p) + alpha * (1 - qt)) / (1 - qt))
    return out


def test_likelihood_vectorised_matches_reference_on_random_ontology() -> None:
    rng = np.random.default_rng(7)
    names = [f"t{i}" for i in range(25)]
    parents = {"t0": []}
    for i in range(1, 25):
        k = 1 if rng.random() < 0.7 else 2
        parents[f"t{i}"] = sorted({f"t{j}" for j in rng.choice(i, size=min(k, i), replace=False)})
    hierarchy = make_hierarchy(parents)
    rows = []
    for d in range(12):
        for t in rng.choice(names[1:], size=int(rng.integers(1, 7)), replace=False):
            freq = None if rng.random() < 0.3 else float(rng.choice([0.025, 0.17, 0.545, 1.0]))
            rows.append((f"x{d}", str(t), freq, bool(rng.random() < 0.1)))
    annotations = make_annotations(rows)
    for partial_credit in (False, True):
        config = LikelihoodConfig(partial_credit=partial_credit)
        model = PhenotypeLikelihood.from_kg(hierarchy, annotations, config=config)
        for _ in range(10):
            present = rng.choice(25, size=int(rng.integers(1, 5)), replace=False)
            excluded = [t for t in rng.choice(25, size=2, replace=False) if t not in present]
            res = model.score([iri(names[t]) for t in present], [iri(names[t]) for t in excluded])
            ref = _reference_scores(
                hierarchy, annotations, list(present), excluded, partial_credit=partial_credit
            )
            assert res.total == pytest.approx(ref, abs=1e-9)


@pytest.fixture(scope="module")
def hpo_mini_kg(tmp_path_factory: pytest.TempPathFactory):
    from kg.knowledge_graph import KnowledgeGraph
    from kg.store import build_kg

    dest = tmp_path_factory.mktemp("kg") / "hpo_mini"
    build_kg(
        ["hpo"], dest, hpo_dir=Path(__file__).parents[1] / "fixtures" / "hpo_mini", progress=False
    )
    return KnowledgeGraph.open(dest)


def test_likelihood_on_built_mini_kg(hpo_mini_kg) -> None:
    model = PhenotypeLikelihood.from_kg(hpo_mini_kg.hierarchy, hpo_mini_kg.annotations)
    marfan = to_iri("OMIM:154700")
    # HP:0001505 is an alt id of Arachnodactyly, HP:0001519 obsolete -> Tall stature.
    res = model.score(["HP:0001505", "HP:0001083", "HP:0001519", "HP:9999999"], ["HP:0001249"])
    assert res.ranking(1)[0][0] == marfan
    assert res.skipped == ["HP:9999999"]
    assert set(res.resolved) == {"HP:0001505", "HP:0001519"}
    # Marfan is annotated NOT intellectual disability: excluding it supports Marfan.
    j = res.findings.index(to_iri("HP:0001249"))
    assert res.contributions[res.diseases.index(marfan), j] > 0


# ---- the onset of the disease ---------------------------------------------------------------

_OBO = "http://purl.obolibrary.org/obo/HP_"
ONSET, PEDIATRIC, INFANTILE, CHILDHOOD, ADULT = (
    _OBO + n for n in ("0003674", "0410280", "0003593", "0011463", "0003581")
)
FINDING = _OBO + "0000118"


@pytest.fixture
def onset_model() -> PhenotypeLikelihood:
    """d1: infantile onset, d2: adult onset, d3: no onset annotation; all share one finding."""
    terms = [FINDING, ONSET, PEDIATRIC, INFANTILE, CHILDHOOD, ADULT]
    parents = {FINDING: [], ONSET: [], PEDIATRIC: [ONSET], INFANTILE: [PEDIATRIC]}
    parents |= {CHILDHOOD: [PEDIATRIC], ADULT: [ONSET]}
    index = {t: i for i, t in enumerate(terms)}
    ptr = np.zeros(len(terms) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(parents[t]) for t in terms])
    idx = np.array([index[p] for t in terms for p in parents[t]], dtype=np.int32)
    hierarchy = TermHierarchy(terms, terms, np.zeros(len(terms), dtype=bool), ptr, idx, {})
    b = AnnotationTableBuilder()
    for n, (disease, term, aspect) in enumerate(
        [
            ("d1", FINDING, "P"),
            ("d1", INFANTILE, "C"),
            ("d2", FINDING, "P"),
            ("d2", ADULT, "C"),
            ("d3", FINDING, "P"),
        ]
    ):
        b.add(f"urn:a:{n}", f"urn:d:{disease}", term, frequency=0.5, aspect=aspect)
    return PhenotypeLikelihood.from_kg(hierarchy, b.build())


@pytest.mark.parametrize(
    ("onset", "d1", "d2"),
    [
        # a related onset: the same class, or a broader one (pediatric covers infantile)
        (INFANTILE, math.log10(1.0 / 0.55), math.log10(0.1 / 0.55)),
        (PEDIATRIC, math.log10(1.0 / 0.55), math.log10(0.1 / 0.55)),
        (ADULT, math.log10(0.1 / 0.55), math.log10(1.0 / 0.55)),
        # related to neither: the same LR for both, so 1
        (CHILDHOOD, 0.0, 0.0),
    ],
)
def test_the_onset_weighs_against_the_diseases_onset_annotations(
    onset_model: PhenotypeLikelihood, onset: str, d1: float, d2: float
) -> None:
    res = onset_model.score([FINDING], onset=onset)
    by_disease = dict(zip(res.diseases, res.onset_contribution.tolist(), strict=True))
    # (1 - alpha) for a related onset, alpha for an unrelated one, over their mean (0.55)
    assert by_disease == pytest.approx({"urn:d:d1": d1, "urn:d:d2": d2, "urn:d:d3": 0.0})
    assert res.onset == onset
    assert res.total == pytest.approx(res.contributions.sum(axis=1) + res.onset_contribution)
    # kept per onset class, read-only: a caller cannot change the next patient's scores
    again = onset_model.score([FINDING], onset=onset)
    assert again.onset_contribution.tolist() == res.onset_contribution.tolist()
    assert not again.onset_contribution.flags.writeable
    without = onset_model.score([FINDING])
    assert without.onset is None and not without.onset_contribution.any()
    assert res.contributions == pytest.approx(without.contributions)


def test_an_onset_must_be_an_onset_class(onset_model: PhenotypeLikelihood) -> None:
    with pytest.raises(ValueError, match="not an onset class"):
        onset_model.score([FINDING], onset=FINDING)
    res = onset_model.score([FINDING], onset=_OBO + "9999999")
    assert res.skipped == [_OBO + "9999999"] and res.onset is None
    assert not res.onset_contribution.any()


# ---- profiles completed from the nearest diseases ------------------------------------------
def _random_model_inputs(seed: int, diseases: int = 12, terms: int = 25):
    rng = np.random.default_rng(seed)
    names = [f"t{i}" for i in range(terms)]
    parents = {"t0": []}
    for i in range(1, terms):
        parents[f"t{i}"] = sorted({f"t{j}" for j in rng.choice(i, size=1 + (rng.random() < 0.3))})
    rows = []
    for d in range(diseases):
        for t in rng.choice(names[1:], size=int(rng.integers(1, 7)), replace=False):
            freq = None if rng.random() < 0.3 else float(rng.choice([0.025, 0.17, 0.545, 1.0]))
            rows.append((f"x{d:02d}", str(t), freq, False))
    return rng, names, make_hierarchy(parents), make_annotations(rows)


def _always(**terms: str) -> list[tuple]:
    """Annotation rows of diseases that always show their terms: ``d1="CE"`` gives d1 C and E."""
    return [(d, t, 1.0, False) for d, names in terms.items() for t in names]


def test_nearest_diseases_are_the_highest_cosines_ties_to_the_lower_index() -> None:
    _, _, hierarchy, annotations = _random_model_inputs(3)
    model = PhenotypeLikelihood.from_kg(hierarchy, annotations)
    weighted = model.probability.toarray() * -np.log(model.background)[None, :]
    unit = weighted / np.linalg.norm(weighted, axis=1, keepdims=True)
    cosine = unit @ unit.T
    for k in (1, 4, 11, 50):
        got = nearest_diseases(model.probability, model.background, k, chunk=5)
        assert got.index.shape == (12, min(k, 11))
        for d in range(12):
            others = [e for e in range(12) if e != d]
            # brute force: highest cosine first, exact ties to the lower index
            want = sorted(others, key=lambda e: (-round(cosine[d, e], 12), e))[: min(k, 11)]
            assert d not in got.index[d]
            assert got.similarity[d] == pytest.approx(cosine[d, want], abs=1e-12)
            assert np.all(np.diff(got.similarity[d]) <= 1e-12)  # nearest first
    identical = make_annotations([(d, "C", 0.5, False) for d in ("a", "b", "c", "d")])
    ties = PhenotypeLikelihood.from_kg(make_hierarchy(PARENTS), identical)
    got = nearest_diseases(ties.probability, ties.background, 2)
    assert got.index.tolist() == [[1, 2], [0, 2], [0, 1], [0, 1]]


def test_imputed_probability_follows_its_formula_and_scores_follow_it() -> None:
    rng, names, hierarchy, annotations = _random_model_inputs(5)
    plain = PhenotypeLikelihood.from_kg(hierarchy, annotations)
    config = LikelihoodConfig(neighbours=3, neighbour_weight=0.4)
    model = PhenotypeLikelihood.from_kg(hierarchy, annotations, config=config)
    assert model.neighbours is not None
    p = plain.probability.toarray()
    share = model.neighbours.similarity / model.neighbours.similarity.sum(axis=1, keepdims=True)
    mean = np.einsum("dk,dkt->dt", share, p[model.neighbours.index])
    want = p + (1 - p) * 0.4 * mean
    assert model.probability.toarray() == pytest.approx(want, abs=1e-12)
    assert np.all(model.probability.toarray() >= p)  # curated counts never fall
    q = np.maximum(want.mean(axis=0), 0.5 / 12)
    assert model.background == pytest.approx(q)
    for _ in range(5):
        present = rng.choice(25, size=3, replace=False)
        res = model.score([iri(names[t]) for t in present])
        ref = sum(np.log10(0.9 * np.minimum(want[:, t], 1.0) / q[t] + 0.1) for t in present)
        assert res.total == pytest.approx(ref, abs=1e-9)
        curated = p[:, present] > 0
        imputed = (want[:, present] > 0) & ~curated
        assert np.array_equal(res.match == MatchKind.IMPUTED, imputed)
        assert np.array_equal(res.match == MatchKind.EXACT_OR_IMPLIED, curated)


def test_a_finding_of_the_nearest_diseases_counts_for_a_disease_not_annotated_with_it() -> None:
    # d1 and d2 share C and E; only d2 has G; d3 shares nothing with d1
    rows = _always(d1="CE", d2="CEG", d3="F")
    hierarchy = make_hierarchy(PARENTS)
    plain = PhenotypeLikelihood.from_kg(hierarchy, make_annotations(rows))
    config = LikelihoodConfig(neighbours=1, neighbour_weight=0.5)
    model = PhenotypeLikelihood.from_kg(hierarchy, make_annotations(rows), config=config)
    assert model.neighbours is not None and model.neighbours.index[0, 0] == 1
    before, after = plain.score([iri("G")]), model.score([iri("G")])
    assert before.match[0, 0] == MatchKind.UNEXPLAINED
    assert after.match[0, 0] == MatchKind.IMPUTED
    assert after.contributions[0, 0] > before.contributions[0, 0]
    assert after.contributions[0, 0] < after.contributions[1, 0]  # below the curated d2


@pytest.mark.parametrize("neighbours, weight", [(0, 0.5), (5, 0.0)])
def test_no_imputation_unless_both_settings_are_positive(neighbours: int, weight: float) -> None:
    plain, other = default_and(LikelihoodConfig(neighbours=neighbours, neighbour_weight=weight))
    assert other.neighbours is None
    assert (other.probability != plain.probability).nnz == 0
    assert other.background == pytest.approx(plain.background)


def test_likelihood_config_rejects_bad_neighbour_settings() -> None:
    for bad in (-1, 1001, 2.5, True):
        with pytest.raises(ValueError, match="neighbours must"):
            LikelihoodConfig(neighbours=bad)  # type: ignore[arg-type]
    for weight in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match="neighbour_weight"):
            LikelihoodConfig(neighbour_weight=weight)
    config = LikelihoodConfig(neighbours=60, neighbour_weight=0.2)
    assert LikelihoodConfig.from_dict(config.to_dict()) == config


def test_given_neighbours_give_the_same_model_and_bad_ones_are_refused() -> None:
    _, names, hierarchy, annotations = _random_model_inputs(9)
    config = LikelihoodConfig(neighbours=4, neighbour_weight=0.3)
    computed = PhenotypeLikelihood.from_kg(hierarchy, annotations, config=config)
    assert computed.neighbours is not None
    given = PhenotypeLikelihood.from_kg(
        hierarchy, annotations, config=config, neighbours=computed.neighbours
    )
    assert (given.probability != computed.probability).nnz == 0
    index, similarity = computed.neighbours.index, computed.neighbours.similarity
    own = index.copy()
    own[0, 0] = 0
    outside = index.copy()
    outside[1, 1] = 12
    cases = {
        "do not fit": Neighbours(index[:, :3], similarity[:, :3]),
        "outside the diseases": Neighbours(outside, similarity),
        "its own neighbour": Neighbours(own, similarity),
        r"outside \[0, 1\]": Neighbours(index, np.full_like(similarity, np.nan)),
        "int64 indices": Neighbours(index.astype(float), similarity),
        "float64 similarities": Neighbours(index, similarity.astype(np.float32)),
    }
    for message, bad in cases.items():
        with pytest.raises(ValueError, match=message):
            PhenotypeLikelihood.from_kg(hierarchy, annotations, config=config, neighbours=bad)


def test_imputed_from_names_the_nearest_diseases_that_have_the_term() -> None:
    rows = _always(d1="CE", d2="CEG", d3="CG", d4="F")
    config = LikelihoodConfig(neighbours=3, neighbour_weight=0.5)
    model = PhenotypeLikelihood.from_kg(
        make_hierarchy(PARENTS), make_annotations(rows), config=config
    )
    sources = model.imputed_from(iri("G"), np.array([0]))[0]
    assert [d for d, _ in sources] == ["urn:d:d2", "urn:d:d3"]  # d4 lacks G (its parent F)
    assert sources[0][1] > sources[1][1] > 0
    assert model.imputed_from(iri("G"), np.array([0]), limit=1)[0] == sources[:1]
    assert model.imputed_from("http://example.org/unknown", np.array([0])) == [[]]
    plain = PhenotypeLikelihood.from_kg(make_hierarchy(PARENTS), make_annotations(rows))
    assert plain.imputed_from(iri("G"), np.array([0])) == [[]]


@pytest.mark.parametrize("chunk", [7, 512])
def test_tied_neighbours_go_to_the_lower_index_however_many_tie(chunk: int) -> None:
    # 97 diseases sharing 4 profiles: most neighbours tie, many past the k-th place
    rng = np.random.default_rng(0)
    profiles = [("C",), ("C", "E"), ("D", "G"), ("E", "G")]
    rows = [(f"d{i:03d}", t, 1.0, False) for i in range(97) for t in profiles[rng.integers(4)]]
    model = PhenotypeLikelihood.from_kg(make_hierarchy(PARENTS), make_annotations(rows))
    weighted = model.probability.toarray() * -np.log(model.background)[None, :]
    unit = weighted / np.linalg.norm(weighted, axis=1, keepdims=True)
    cosine = np.round(unit @ unit.T, 12)
    for k in (3, 7, 20):
        got = nearest_diseases(model.probability, model.background, k, chunk=chunk)
        for d in range(97):
            others = sorted((e for e in range(97) if e != d), key=lambda e: (-cosine[d, e], e))
            assert got.index[d].tolist() == others[:k]


def test_imputation_needs_the_frequency_background() -> None:
    with pytest.raises(ValueError, match="background='frequency'"):
        LikelihoodConfig(neighbours=5, neighbour_weight=0.2, background="count")
    LikelihoodConfig(neighbours=0, neighbour_weight=0.2, background="count")  # off: allowed
