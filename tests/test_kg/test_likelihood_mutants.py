"""Behaviours of kg.rules.likelihood that mutation testing found unchecked: the settings' edge
values, the annotation matrix (dropped rows, repeats, 0/N pairs), the two backgrounds, the
excluded findings' cap, completions (0/N blocks, zero-similarity neighbours, counterparts),
onsets, pre-test probabilities, the score's bookkeeping and :meth:`from_graph`.

Every model is built in memory: a KG store cannot be built again in a forked process, as
mutation testing runs the tests."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Collection
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from kg.annotations import AnnotationTable, AnnotationTableBuilder
from kg.hierarchy import TermHierarchy
from kg.rules.counterparts import Counterparts
from kg.rules.likelihood import (
    MAX_NEIGHBOURS,
    DiseaseTermMatrix,
    LikelihoodConfig,
    MatchKind,
    Neighbours,
    PhenotypeLikelihood,
    ScoreResult,
    background_of,
    check_neighbours,
    disease_term_matrix,
    nearest_diseases,
    propagate_up,
)
from tests.test_kg.test_likelihood import (
    ADULT,
    CHILDHOOD,
    FINDING,
    INFANTILE,
    ONSET,
    PARENTS,
    PEDIATRIC,
    iri,
    make_annotations,
    make_hierarchy,
    model_annotations,
)

TERMS = list(PARENTS)
ALPHA = 0.1
#: a clinical-course class that is not an onset (HP:0003676, Progressive)
PROGRESSIVE = "http://purl.obolibrary.org/obo/HP_0003676"


def col(name: str) -> int:
    return TERMS.index(name)


def table(rows: list[tuple], labels: dict[str, str] | None = None) -> AnnotationTable:
    """rows: (disease, term, frequency or None[, negated[, aspect]]); a term is a name of
    PARENTS or an IRI."""
    b = AnnotationTableBuilder()
    for n, (disease, term, freq, *rest) in enumerate(rows):
        b.add(
            f"urn:a:{n}",
            f"urn:d:{disease}",
            term if term.startswith("http") else iri(term),
            subject_label=(labels or {}).get(disease, ""),
            negated=rest[0] if rest else False,
            frequency=freq,
            aspect=rest[1] if len(rest) > 1 else "P",
        )
    return b.build()


def hierarchy_with(parents: dict[str, list[str]], obsolete: Collection[str] = ()):
    """A hierarchy over IRIs (``iri(name)`` for names of PARENTS, else the key itself)."""
    names = list(parents)
    index = {n: i for i, n in enumerate(names)}
    ptr = np.zeros(len(names) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(parents[n]) for n in names])
    idx = np.array([index[p] for n in names for p in parents[n]], dtype=np.int32)
    terms = [n if n.startswith("http") else iri(n) for n in names]
    return TermHierarchy(
        terms, names, np.array([n in obsolete for n in names], dtype=bool), ptr, idx, {}
    )


def lr(m: float, q: float) -> float:
    return math.log10((1 - ALPHA) * m / q + ALPHA)


# ---- settings -------------------------------------------------------------------------------
def test_the_settings_edges_are_where_the_documentation_puts_them() -> None:
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="unknown_frequency"):
            LikelihoodConfig(unknown_frequency=bad)
    for bad in (1.0, 1.5):
        with pytest.raises(ValueError, match="false_positive_rate"):
            LikelihoodConfig(false_positive_rate=bad)
    # the closed ends are allowed
    assert LikelihoodConfig(unknown_frequency=1.0).unknown_frequency == 1.0
    assert LikelihoodConfig(breadth_weight=10.0).breadth_weight == 10.0
    assert LikelihoodConfig(neighbours=MAX_NEIGHBOURS).neighbours == MAX_NEIGHBOURS
    assert LikelihoodConfig(neighbour_weight=1.0).neighbour_weight == 1.0
    with pytest.raises(ValueError) as error:
        LikelihoodConfig(propagation="sum")
    assert "noisy_or" in str(error.value) and "max" in str(error.value)  # names the choices
    with pytest.raises(ValueError, match="background"):
        LikelihoodConfig(background="bogus")


def test_the_unknown_frequency_fills_unstated_frequencies() -> None:
    # d3 is annotated with E without a frequency
    h = make_hierarchy(PARENTS)
    d3 = 2
    assert disease_term_matrix(h, model_annotations()).frequency[d3, col("E")] == 0.5
    model = PhenotypeLikelihood.from_kg(
        h, model_annotations(), config=LikelihoodConfig(unknown_frequency=0.8)
    )
    assert model.probability[d3, col("E")] == pytest.approx(0.8)


# ---- the annotation matrix ------------------------------------------------------------------
def test_rows_outside_the_hierarchy_obsolete_or_of_other_aspects_are_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = hierarchy_with(PARENTS, obsolete={"E"})
    rows = [
        ("d1", "A", 0.3),  # the first column of the hierarchy: kept
        ("d1", "C", 0.5),
        ("d1", "http://example.org/T_ZZZ", 0.5),  # outside the hierarchy
        ("d1", "E", 0.5),  # obsolete
        ("d2", "G", 0.7),
        ("d2", "D", 0.9, False, "C"),  # another aspect
    ]
    with caplog.at_level(logging.WARNING, logger="kg.rules.likelihood"):
        matrix = disease_term_matrix(h, table(rows))
    want = np.zeros((2, len(TERMS)))
    want[0, col("A")], want[0, col("C")], want[1, col("G")] = 0.3, 0.5, 0.7
    assert matrix.frequency.toarray() == pytest.approx(want)
    [message] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "1" in message.split() and "hierarchy" in message  # how many, and why
    every_aspect = disease_term_matrix(h, table(rows), aspects=None).frequency.toarray()
    assert every_aspect[1, col("D")] == pytest.approx(0.9)


def test_repeated_annotations_keep_their_highest_frequency() -> None:
    rows = [("d1", "C", 0.3), ("d1", "C", 0.9), ("d2", "D", 0.2), ("d2", "D", 0.6)]
    rows.append(("d2", "D", 0.4))
    frequency = disease_term_matrix(make_hierarchy(PARENTS), table(rows)).frequency.toarray()
    assert frequency[0, col("C")] == pytest.approx(0.9)
    assert frequency[1, col("D")] == pytest.approx(0.6)


def test_unseen_pairs_are_the_kept_rows_stating_0_only() -> None:
    rows = [
        ("d1", "C", 0.5),
        ("d1", "D", None, True),  # NOT D: negated, not unseen
        ("d1", "F", 0.0, False, "C"),  # 0/N of another aspect: not kept
        ("d2", "G", 0.0),  # 0/N only: unseen
        ("d2", "E", 0.0),  # 0/N, and seen in another row: not unseen
        ("d2", "E", 0.5),
    ]
    matrix = disease_term_matrix(make_hierarchy(PARENTS), table(rows))
    assert matrix.unseen is not None
    assert [tuple(x) for x in np.argwhere(matrix.unseen.toarray())] == [(1, col("G"))]
    assert [tuple(x) for x in np.argwhere(matrix.negated.toarray())] == [(0, col("D"))]
    assert matrix.frequency[1, col("E")] == pytest.approx(0.5)


def test_an_empty_table_or_subjects_matching_none_give_no_disease() -> None:
    h = make_hierarchy(PARENTS)
    empty = AnnotationTableBuilder().build()
    matrix = disease_term_matrix(h, empty)
    assert matrix.frequency.shape == (0, len(TERMS)) and matrix.diseases == []
    with pytest.raises(ValueError, match="no disease"):
        PhenotypeLikelihood.from_kg(h, empty)
    with pytest.raises(ValueError, match="no disease"):
        PhenotypeLikelihood.from_kg(h, model_annotations(), subjects=["urn:d:none"])


def test_a_matrix_without_unseen_pairs_scores_as_one_with_none() -> None:
    h = make_hierarchy(PARENTS)
    full = disease_term_matrix(h, model_annotations())
    bare = DiseaseTermMatrix(full.diseases, full.disease_labels, full.frequency, full.negated)
    a = PhenotypeLikelihood(h, full).score([iri("G"), iri("B")], [iri("D")])
    b = PhenotypeLikelihood(h, bare).score([iri("G"), iri("B")], [iri("D")])
    assert b.contributions == pytest.approx(a.contributions)


# ---- propagation and backgrounds ------------------------------------------------------------
def test_propagation_defaults_to_noisy_or_and_max_takes_the_highest_descendant() -> None:
    rng = np.random.default_rng(11)
    parents: dict[str, list[str]] = {"t0": []}
    for i in range(1, 20):
        parents[f"t{i}"] = sorted({f"t{j}" for j in rng.choice(i, size=1 + (rng.random() < 0.4))})
    h = make_hierarchy(parents)
    rows = [
        (f"x{d}", f"t{t}", float(rng.choice([0.1, 0.3, 0.6, 0.9])), False)
        for d in range(6)
        for t in rng.choice(np.arange(1, 20), size=4, replace=False)
    ]
    frequency = disease_term_matrix(h, make_annotations(rows)).frequency
    closure = h.closure
    default = propagate_up(frequency, closure).toarray()
    assert default == pytest.approx(
        propagate_up(frequency, closure, propagation="noisy_or").toarray()
    )
    dense, below = frequency.toarray(), closure.toarray().astype(bool)  # below[s, a]
    want = np.array(
        [[max(dense[d, below[:, t]], default=0.0) for t in range(20)] for d in range(6)]
    )
    assert propagate_up(frequency, closure, propagation="max").toarray() == pytest.approx(want)
    with pytest.raises(ValueError, match="propagation"):
        propagate_up(frequency, closure, propagation="sum")


def test_the_two_backgrounds() -> None:
    probability = sp.csc_matrix(np.array([[0.5, 0.0, 1.0], [0.25, 0.0, 0.0]]))
    # the mean probability (the default), or the share of rows; floored at half a row
    assert background_of(probability) == pytest.approx([0.375, 0.25, 0.5])
    assert background_of(probability, "count") == pytest.approx([1.0, 0.25, 0.5])
    model = PhenotypeLikelihood.from_kg(
        make_hierarchy(PARENTS), model_annotations(), config=LikelihoodConfig(background="count")
    )
    # A..G: A and B everywhere; C in d1, d2; D in d2; E in d1, d3; F and G in d1
    assert model.background == pytest.approx([1, 1, 2 / 3, 1 / 3, 2 / 3, 1 / 3, 1 / 3])
    assert model.score([iri("C")]).contributions[0, 0] == pytest.approx(lr(0.5, 2 / 3))


# ---- present and excluded findings ----------------------------------------------------------
def test_an_excluded_finding_every_disease_shows_has_its_background_capped() -> None:
    rows = [("d1", "C", 1.0, False), ("d2", "C", 1.0, False), ("d3", "C", 1.0, False)]
    model = PhenotypeLikelihood.from_kg(make_hierarchy(PARENTS), make_annotations(rows))
    res = model.score([], [iri("C")])
    p = model.probability[0, col("C")]
    q = 1 - 0.5 / 3  # half a disease lacks it, however many show it
    want = math.log10(((1 - ALPHA) * (1 - p) + ALPHA * (1 - q)) / (1 - q))
    assert res.contributions[:, 0] == pytest.approx([want] * 3)
    assert want == pytest.approx(math.log10(ALPHA), abs=1e-4)


def test_with_partial_credit_a_finding_no_annotation_touches_stays_unexplained() -> None:
    h = make_hierarchy(PARENTS)
    model = PhenotypeLikelihood.from_kg(
        h, model_annotations(), config=LikelihoodConfig(partial_credit=True)
    )
    res = model.score([iri("D")])
    # d1 has C (D's parent), d2 has D, d3 only E
    assert res.match[:, 0].tolist() == [
        MatchKind.PARTIAL,
        MatchKind.EXACT_OR_IMPLIED,
        MatchKind.UNEXPLAINED,
    ]
    assert res.contributions[2, 0] == pytest.approx(math.log10(ALPHA))


def test_a_0_of_n_annotation_blocks_a_completion_for_that_disease_only() -> None:
    rows = [
        ("d1", "C", 1.0, False),
        ("d1", "E", 1.0, False),
        ("d1", "G", 0.0, False),  # looked for, seen in none of d1's patients
        *[(d, t, 1.0, False) for d in ("d2", "d3") for t in "CEG"],
        ("d4", "C", 1.0, False),
        ("d4", "E", 1.0, False),
    ]
    config = LikelihoodConfig(neighbours=2, neighbour_weight=0.5)
    model = PhenotypeLikelihood.from_kg(
        make_hierarchy(PARENTS), make_annotations(rows), config=config
    )
    present = model.score([iri("G")])
    assert present.match[:, 0].tolist() == [
        MatchKind.UNEXPLAINED,
        MatchKind.EXACT_OR_IMPLIED,
        MatchKind.EXACT_OR_IMPLIED,
        MatchKind.IMPUTED,
    ]
    assert present.contributions[0, 0] == pytest.approx(math.log10(ALPHA))
    assert present.contributions[3, 0] > math.log10(ALPHA)
    excluded = model.score([], [iri("G")])
    assert excluded.match[:, 0].tolist() == [
        MatchKind.EXCLUDED_ABSENT,
        MatchKind.EXCLUDED_EXPECTED,
        MatchKind.EXCLUDED_EXPECTED,
        MatchKind.EXCLUDED_EXPECTED,
    ]
    # d1 cannot show it (0/N), d4 may (its neighbours do): excluding it favours d1 more
    assert excluded.contributions[0, 0] > excluded.contributions[3, 0]


# ---- neighbours ------------------------------------------------------------------------------
def test_neighbours_of_zero_similarity_complete_nothing_and_are_named_nowhere() -> None:
    # d1 and d3 are identical (similarity 1); d2 shares only the root with either, which
    # every disease shows (with "max" exactly: it weighs 0, and the similarity is 0)
    rows = [("d1", "C", 1.0, False), ("d2", "G", 1.0, False), ("d3", "C", 1.0, False)]
    h = make_hierarchy(PARENTS)
    plain = PhenotypeLikelihood.from_kg(
        h, make_annotations(rows), config=LikelihoodConfig(propagation="max")
    )
    config = LikelihoodConfig(propagation="max", neighbours=2, neighbour_weight=0.5)
    model = PhenotypeLikelihood.from_kg(h, make_annotations(rows), config=config)
    assert model.neighbours is not None
    assert model.neighbours.index.tolist() == [[2, 1], [0, 2], [0, 1]]
    assert model.neighbours.similarity == pytest.approx(
        np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    )
    assert not model.neighbours.similarity[:, 1].any() and not model.neighbours.similarity[1].any()
    got, want = model.probability.toarray(), plain.probability.toarray()
    assert got == pytest.approx(want)  # d2 has no neighbour to average; d1 and d3 agree
    assert model.imputed_from(iri("G"), np.array([0]), limit=3) == [[]]
    assert model.score([iri("G")]).match[0, 0] == MatchKind.UNEXPLAINED


def test_identical_profiles_have_a_similarity_of_at_most_1() -> None:
    # these frequencies make the two unit profiles' product round to just above 1
    profile = [("D", 0.2), ("E", 0.2), ("G", 0.9)]
    rows = [(d, t, f, False) for d in ("a", "b") for t, f in profile] + [("c", "C", 1.0, False)]
    h = make_hierarchy(PARENTS)
    model = PhenotypeLikelihood.from_kg(h, make_annotations(rows))
    found = nearest_diseases(model.probability, model.background, 2)
    assert found.index[0, 0] == 1 and found.similarity[0, 0] == 1.0
    assert found.similarity.max() <= 1.0
    config = LikelihoodConfig(neighbours=1, neighbour_weight=0.5)
    assert (
        PhenotypeLikelihood.from_kg(h, make_annotations(rows), config=config).neighbours is not None
    )


def test_one_disease_or_fewer_diseases_than_neighbours_asked_for() -> None:
    h = make_hierarchy(PARENTS)
    config = LikelihoodConfig(neighbours=50, neighbour_weight=0.5)
    one = PhenotypeLikelihood.from_kg(h, make_annotations([("d1", "C", 0.5, False)]), config=config)
    assert len(one) == 1 and one.neighbours is not None
    assert one.neighbours.index.shape == (1, 0) and one.neighbours.index.dtype == np.int64
    assert one.score([iri("C")]).total.shape == (1,)
    three = PhenotypeLikelihood.from_kg(h, model_annotations(), config=config)
    assert three.neighbours is not None and three.neighbours.index.shape == (3, 2)
    none = nearest_diseases(three.probability, three.background, 0)
    assert none.index.shape == none.similarity.shape == (3, 0)
    assert none.index.dtype == np.int64 and none.similarity.dtype == np.float64


def test_check_neighbours_refuses_either_array_out_of_shape_or_range() -> None:
    model = PhenotypeLikelihood.from_kg(make_hierarchy(PARENTS), model_annotations())
    good = nearest_diseases(model.probability, model.background, 2)
    check_neighbours(good, 3, 2)
    with pytest.raises(ValueError, match="do not fit"):
        check_neighbours(Neighbours(good.index[:, :1], good.similarity), 3, 2)
    for bad in (1.5, -0.1):
        with pytest.raises(ValueError, match="outside"):
            check_neighbours(Neighbours(good.index, np.full_like(good.similarity, bad)), 3, 2)


def test_imputed_from_names_at_most_three_by_default() -> None:
    rows = [(d, t, 1.0, False) for d, terms in [("d1", "CE")] for t in terms]
    rows += [(d, t, 1.0, False) for d in ("d2", "d3", "d4", "d5") for t in "CEG"]
    config = LikelihoodConfig(neighbours=4, neighbour_weight=0.5)
    model = PhenotypeLikelihood.from_kg(
        make_hierarchy(PARENTS), make_annotations(rows), config=config
    )
    assert len(model.imputed_from(iri("G"), np.array([0]), limit=4)[0]) == 4
    assert len(model.imputed_from(iri("G"), np.array([0]))[0]) == 3


# ---- counterparts ----------------------------------------------------------------------------
LABELS = {"omim1": "Alpha syndrome", "omim2": "Beta disease", "orpha1": "ALPHA SYNDROME"}
CANDIDATES = ["urn:d:omim1", "urn:d:omim2"]


def test_a_counterpart_completes_a_profile_as_its_formula_says() -> None:
    rows = [
        ("omim1", "G", 0.5),
        ("omim1", "C", 1.0),
        ("omim2", "E", 1.0),
        ("orpha1", "G", 0.8),
        ("orpha1", "D", None),  # no frequency stated: the config's unknown_frequency
        ("orpha1", "E", 1.0, False, "C"),  # another aspect
    ]
    h = make_hierarchy(PARENTS)
    config = LikelihoodConfig(counterpart_weight=1.0, unknown_frequency=0.9)
    model = PhenotypeLikelihood.from_kg(h, table(rows, LABELS), subjects=CANDIDATES, config=config)
    p = model.probability.toarray()[0]
    assert p[col("G")] == pytest.approx(1 - (1 - 0.5) * (1 - 0.8))  # own and theirs, noisy-or
    assert p[col("D")] == pytest.approx(0.9)
    assert p[col("E")] == 0.0  # not a phenotype row
    every = PhenotypeLikelihood.from_kg(
        h, table(rows, LABELS), aspects=None, subjects=CANDIDATES, config=config
    )
    assert every.probability[0, col("E")] == pytest.approx(1.0, abs=1e-5)


def test_a_counterparts_profile_propagates_as_the_config_says() -> None:
    rows = [("omim1", "G", 1.0), ("omim2", "E", 1.0), ("orpha1", "C", 0.5), ("orpha1", "E", 0.5)]
    config = LikelihoodConfig(counterpart_weight=1.0, propagation="max")
    model = PhenotypeLikelihood.from_kg(
        make_hierarchy(PARENTS), table(rows, LABELS), subjects=CANDIDATES, config=config
    )
    assert model.probability[0, col("B")] == pytest.approx(0.5)  # max(0.5, 0.5), not 0.75


def test_a_counterpart_by_gene_is_compared_on_the_configs_profiles() -> None:
    # with "max" the two profiles are the same (similarity 1); with noisy-or on either side
    # they would fall below 0.99
    rows = [("x", "C", 0.5), ("x", "E", 0.5), ("z", "G", 1.0), ("y", "C", 0.5), ("y", "E", 0.5)]
    labels = {"x": "X", "z": "Z", "y": "Y"}
    config = LikelihoodConfig(
        counterpart_weight=1.0, counterpart_similarity=0.99, propagation="max"
    )
    model = PhenotypeLikelihood.from_kg(
        make_hierarchy(PARENTS),
        table(rows, labels),
        subjects=["urn:d:x", "urn:d:z"],
        config=config,
        genes={"urn:d:x": ["gene:1"], "urn:d:y": ["gene:1"]},
    )
    assert model.counterparts is not None
    assert [(c.disease, c.reason) for c in model.counterparts.entries[0]] == [("urn:d:y", "gene")]


def test_counterparts_must_fit_the_diseases() -> None:
    h = make_hierarchy(PARENTS)
    matrix = disease_term_matrix(h, model_annotations())
    wrong = Counterparts(
        [(), ()], sp.csr_matrix((3, len(TERMS))), sp.csc_matrix((0, len(TERMS))), {}
    )
    with pytest.raises(ValueError, match="do not fit"):
        PhenotypeLikelihood(h, matrix, LikelihoodConfig(counterpart_weight=0.5), counterparts=wrong)


# ---- the model's inputs ----------------------------------------------------------------------
def test_labels_and_pretest_probabilities_are_kept() -> None:
    rows = [("omim1", "C", 0.5), ("omim2", "E", 1.0), ("orpha1", "G", 0.8)]
    h = make_hierarchy(PARENTS)
    pre = [0.5, 0.3, 0.2]
    model = PhenotypeLikelihood.from_kg(h, table(rows, LABELS), pretest=np.array(pre))
    assert model.disease_labels == ["Alpha syndrome", "Beta disease", "ALPHA SYNDROME"]
    assert model.pretest.tolist() == pre
    res = model.score([iri("C")])
    assert res.pretest.tolist() == pre
    odds = np.array(pre) / (1 - np.array(pre)) * 10**res.total
    assert res.posttest == pytest.approx(odds / (1 + odds))
    override = model.score([iri("C")], pretest=np.array([0.1, 0.1, 0.8]))
    assert override.pretest.tolist() == [0.1, 0.1, 0.8]
    assert model.pretest.tolist() == pre
    with pytest.raises(ValueError, match="pretest"):
        PhenotypeLikelihood.from_kg(h, table(rows, LABELS), pretest=np.array([0.5, 0.5]))


# ---- onsets ----------------------------------------------------------------------------------
ONSET_PARENTS = {
    FINDING: [],
    ONSET: [],
    PEDIATRIC: [ONSET],
    INFANTILE: [PEDIATRIC],
    CHILDHOOD: [PEDIATRIC],
    ADULT: [ONSET],
    PROGRESSIVE: [],
}


def onset_table() -> AnnotationTable:
    return table(
        [
            ("d1", FINDING, 0.5),
            ("d1", INFANTILE, None, False, "C"),
            ("d2", FINDING, 0.5),
            ("d2", ADULT, None, False, "C"),
            ("d3", FINDING, 0.5),
            ("d3", PROGRESSIVE, None, False, "C"),  # a clinical course, not an onset
            ("d3", INFANTILE, None, False, "P"),  # an onset class out of its aspect
        ]
    )


def test_only_onset_classes_of_the_clinical_course_aspect_are_onsets() -> None:
    h = hierarchy_with(ONSET_PARENTS)
    model = PhenotypeLikelihood.from_kg(h, onset_table())
    res = model.score([FINDING], onset=INFANTILE)
    # related onset (1 - alpha) or not (alpha), over their mean (0.55); d3 has no onset
    want = [math.log10(1.0 / 0.55), math.log10(0.1 / 0.55), 0.0]
    assert res.onset_contribution == pytest.approx(want)
    # the onset annotations are no phenotypes: d2's adult onset is not one of its findings
    assert model.probability[1, h.index(ADULT)] == 0.0
    every = PhenotypeLikelihood.from_kg(h, onset_table(), aspects=None)
    assert every.probability[1, h.index(ADULT)] == pytest.approx(0.5)


def test_the_onsets_follow_the_chosen_subjects() -> None:
    h = hierarchy_with(ONSET_PARENTS)
    model = PhenotypeLikelihood.from_kg(h, onset_table(), subjects=["urn:d:d1", "urn:d:d2"])
    assert model.diseases == ["urn:d:d1", "urn:d:d2"]
    res = model.score([FINDING], onset=ADULT)
    assert res.onset_contribution == pytest.approx([math.log10(0.1 / 0.55), math.log10(1.0 / 0.55)])
    other = disease_term_matrix(h, onset_table(), aspects=("C",))
    with pytest.raises(ValueError, match="onsets"):
        PhenotypeLikelihood(h, disease_term_matrix(h, onset_table()), onsets=replace_rows(other))


def replace_rows(matrix: DiseaseTermMatrix) -> DiseaseTermMatrix:
    """``matrix`` with its rows named in reverse (no longer the annotation matrix's)."""
    return DiseaseTermMatrix(
        matrix.diseases[::-1], matrix.disease_labels, matrix.frequency, matrix.negated
    )


def test_an_onset_changes_nothing_where_no_disease_has_an_onset() -> None:
    h = hierarchy_with(ONSET_PARENTS)
    rows = [("d1", FINDING, 0.5), ("d2", FINDING, 0.5)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mean of an empty selection
        res = PhenotypeLikelihood.from_kg(h, table(rows)).score([FINDING], onset=INFANTILE)
        assert res.onset_contribution is not None and not res.onset_contribution.any()
        matrix = disease_term_matrix(h, onset_table())
        without = PhenotypeLikelihood(h, matrix).score([FINDING], onset=ADULT)  # no onsets given
        assert without.onset_contribution is not None
        assert without.onset_contribution.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="not an onset class") as error:
        PhenotypeLikelihood(h, matrix).score([FINDING], onset=PROGRESSIVE)
    assert PROGRESSIVE in str(error.value)


# ---- the score's bookkeeping -----------------------------------------------------------------
@pytest.fixture
def model() -> PhenotypeLikelihood:
    return PhenotypeLikelihood.from_kg(make_hierarchy(PARENTS), model_annotations())


def test_a_term_both_present_and_excluded_counts_as_present_only(
    model: PhenotypeLikelihood, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="kg.rules.likelihood"):
        res = model.score([iri("G")], [iri("D"), iri("G"), iri("C")])
    assert res.findings == [iri("G"), iri("D"), iri("C")]
    assert res.excluded.tolist() == [False, True, True]
    assert res.contributions[:, 0] == pytest.approx(model.score([iri("G")]).contributions[:, 0])
    [message] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "1" in message.split() and "present and excluded" in message


def test_unknown_ids_are_skipped_and_reported_wherever_they_stand(
    model: PhenotypeLikelihood, caplog: pytest.LogCaptureFixture
) -> None:
    unknown = ["http://example.org/T_NEW", "http://example.org/T_NEWER"]
    with caplog.at_level(logging.INFO, logger="kg.rules.likelihood"):
        res = model.score([unknown[0], iri("C")], [unknown[1]])
    assert res.findings == [iri("C")]  # the term after an unknown one is kept
    assert res.skipped == unknown
    [message] = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert "2" in message.split() and all(u in message for u in unknown)
    h = hierarchy_with(ONSET_PARENTS)
    onsets = PhenotypeLikelihood.from_kg(h, onset_table())
    with_onset = onsets.score([unknown[0], FINDING], onset=INFANTILE)
    assert with_onset.skipped == [unknown[0]] and with_onset.onset == INFANTILE


def test_the_result_arrays_have_their_documented_types(model: PhenotypeLikelihood) -> None:
    nothing = model.score([])
    assert nothing.match.shape == (3, 0) and nothing.match.dtype == np.int8
    assert nothing.excluded.dtype == bool
    assert model.score([iri("C")]).match.dtype == np.int8
    assert model.score([], [iri("C")]).match.dtype == np.int8


def test_ranking_order_and_explain() -> None:
    total = np.zeros(60)
    total[::3] = 1.0
    diseases = [f"urn:d:{i}" for i in range(60)]
    res = ScoreResult(
        diseases=diseases,
        findings=[iri("C"), iri("D")],
        excluded=np.array([False, True]),
        contributions=np.tile([1.0, -0.5], (60, 1)),
        match=np.tile(np.array([1, 4], dtype=np.int8), (60, 1)),
        total=total,
        pretest=np.full(60, 1 / 60),
    )
    # ties keep the diseases' order
    want = list(range(0, 60, 3)) + [i for i in range(60) if i % 3]
    assert res.order().tolist() == want
    assert res.ranking(2) == [("urn:d:0", 1.0), ("urn:d:3", 1.0)]
    assert len(res.ranking()) == 60
    by_index, by_name = res.explain(1), res.explain("urn:d:1")
    assert by_index == by_name
    assert by_index[1] == (iri("D"), True, -0.5, MatchKind.EXCLUDED_EXPECTED)


# ---- from_graph ------------------------------------------------------------------------------
def test_from_graph_reads_the_kg_and_its_genes_only_when_needed() -> None:
    rows = [("x", "C", 0.5), ("x", "E", 0.5), ("z", "G", 1.0), ("y", "C", 0.5), ("y", "E", 0.5)]
    queries: list[str] = []

    def select(query: str) -> list[dict[str, str]]:
        queries.append(query)
        return [{"disease": "urn:d:x", "gene": "gene:1"}, {"disease": "urn:d:y", "gene": "gene:1"}]

    h = make_hierarchy(PARENTS)
    kg = SimpleNamespace(hierarchy=h, annotations=table(rows), select=select)
    plain = PhenotypeLikelihood.from_graph(kg)  # type: ignore[arg-type]
    assert plain.config == LikelihoodConfig() and not queries
    assert plain.diseases == ["urn:d:x", "urn:d:z", "urn:d:y"]
    subjects = ["urn:d:x", "urn:d:z"]
    config = LikelihoodConfig(counterpart_weight=1.0, counterpart_similarity=0.5)
    model = PhenotypeLikelihood.from_graph(kg, subjects=subjects, config=config)  # type: ignore[arg-type]
    assert model.config is config and model.diseases == subjects and len(queries) == 1
    assert model.counterparts is not None
    assert [c.disease for c in model.counterparts.entries[0]] == ["urn:d:y"]  # by its gene
    imputing = LikelihoodConfig(neighbours=1, neighbour_weight=0.5)
    given = PhenotypeLikelihood.from_kg(h, table(rows), config=imputing).neighbours
    assert given is not None
    again = PhenotypeLikelihood.from_graph(kg, config=imputing, neighbours=given)  # type: ignore[arg-type]
    assert again.neighbours is given
