"""Tests of kg.rules.resnik that mutation testing found missing: the frequency-weighted IC,
the aspects and subjects that make up the diseases, the ranking's order of ties and its
``top_k``, what a score reports beside the scores, and independence of the term order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kg.annotations import AnnotationTable, AnnotationTableBuilder
from kg.hierarchy import TermHierarchy
from kg.rules.resnik import ResnikRanker

# A -> B -> C -> D ; B -> E ; A -> F -> G
PARENTS = {"A": [], "B": ["A"], "C": ["B"], "D": ["C"], "E": ["B"], "F": ["A"], "G": ["F"]}
CAP = 1.0 - 1e-6  # a frequency of 1 counts as this much (kg.rules.likelihood)


def iri(name: str) -> str:
    return f"http://example.org/T_{name}"


def hierarchy_of(parents: dict[str, list[str]], order: list[str] | None = None) -> TermHierarchy:
    """The hierarchy of ``parents`` with its terms in ``order`` (default: as listed)."""
    names = order or list(parents)
    index = {n: i for i, n in enumerate(names)}
    ptr = np.zeros(len(names) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(parents[n]) for n in names])
    idx = np.array([index[p] for n in names for p in parents[n]], dtype=np.int32)
    return TermHierarchy([iri(n) for n in names], names, np.zeros(len(names), bool), ptr, idx)


def annotations_of(rows: list[tuple]) -> AnnotationTable:
    """Rows of ``(disease, term)`` or ``(disease, term, frequency or None, aspect)``."""
    b = AnnotationTableBuilder()
    for n, row in enumerate(rows):
        disease, term, frequency, aspect = row if len(row) == 4 else (*row, None, "P")
        b.add(
            f"urn:a:{n}",
            f"urn:d:{disease}",
            iri(term),
            aspect=aspect,
            frequency=frequency,
            subject_label=f"label {disease}",
        )
    return b.build()


def ic(ranker: ResnikRanker, name: str) -> float:
    return float(ranker.ic[ranker.hierarchy.index(iri(name))])


def test_frequency_weighted_ic_counts_each_disease_by_its_chance_of_the_term() -> None:
    rows = [("d1", "C", 0.5, "P"), ("d2", "E", None, "P"), ("d3", "G", 1.0, "P")]
    ranker = ResnikRanker(
        hierarchy_of(PARENTS), annotations_of(rows), ic_weighting="frequency", unknown_frequency=0.2
    )
    assert ic(ranker, "C") == pytest.approx(-math.log(0.5 / 3))
    assert ic(ranker, "E") == pytest.approx(-math.log(0.2 / 3))  # the unknown frequency
    assert ic(ranker, "B") == pytest.approx(-math.log((0.5 + 0.2) / 3))  # summed over diseases
    assert ic(ranker, "A") == pytest.approx(-math.log((0.5 + 0.2 + CAP) / 3))
    assert ic(ranker, "D") == 0.0  # no disease has it
    # an annotation without a frequency counts as 0.5 unless told otherwise
    default = ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows), ic_weighting="frequency")
    assert ic(default, "E") == pytest.approx(-math.log(0.5 / 3))
    # the count weighting counts each disease whole
    counted = ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows))
    assert ic(counted, "C") == pytest.approx(-math.log(1 / 3))
    with pytest.raises(ValueError, match="ic_weighting"):
        ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows), ic_weighting="share")


def test_only_the_requested_aspects_make_up_the_diseases() -> None:
    rows = [("d1", "C"), ("d2", "G"), ("d3", "D", None, "I")]  # d3: another aspect only
    default = ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows))
    assert default.diseases == ["urn:d:d1", "urn:d:d2", "urn:d:d3"]  # d3 stays a candidate
    assert ic(default, "D") == 0.0 and ic(default, "C") == pytest.approx(-math.log(1 / 3))
    assert default.score([iri("D")]).score.tolist()[2] == 0.0
    every = ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows), aspects=None)
    assert ic(every, "D") == pytest.approx(-math.log(1 / 3))
    assert every.score([iri("D")]).score[2] == pytest.approx(-math.log(1 / 3))


def test_subjects_restrict_the_diseases_and_the_ic_denominator() -> None:
    rows = [("d1", "C"), ("d2", "G"), ("d3", "E"), ("d4", "G")]
    ranker = ResnikRanker(
        hierarchy_of(PARENTS), annotations_of(rows), subjects=["urn:d:d1", "urn:d:d2"]
    )
    assert ranker.diseases == ["urn:d:d1", "urn:d:d2"] and len(ranker) == 2
    assert ranker.disease_labels == ["label d1", "label d2"]
    assert ic(ranker, "G") == pytest.approx(-math.log(1 / 2))
    assert ic(ranker, "E") == 0.0  # d3 is left out
    with pytest.raises(ValueError, match="no disease"):
        ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows), subjects=["urn:d:none"])


def test_a_score_names_its_terms_and_the_skipped_ones() -> None:
    rows = [("d1", "C"), ("d2", "G"), ("d3", "E")]
    ranker = ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows))
    res = ranker.score(["HP:0000000", iri("D"), iri("D"), iri("G")])
    assert res.terms == [iri("D"), iri("G")]  # each once, in their order
    assert res.skipped == ["HP:0000000"]
    assert res.best_match.shape == (3, 2)
    # an unknown term first does not stop the others from counting
    assert res.score == pytest.approx(ranker.score([iri("D"), iri("G")]).score)
    none = ranker.score(["HP:0000000"])
    assert none.terms == [] and none.skipped == ["HP:0000000"]
    assert none.best_match.shape == (3, 0)
    assert none.score.tolist() == [0.0, 0.0, 0.0]


def test_the_ranking_keeps_tied_diseases_in_their_order_and_cuts_at_top_k() -> None:
    terms = ["C", "E", "G"]
    rows = [(f"x{i:02d}", terms[(i * 7) % 3]) for i in range(60)]
    ranker = ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows))
    res = ranker.score([iri("D")])  # C-diseases best, then E (via B), then G (nothing shared)
    ranking = res.ranking()
    assert len(ranking) == 60
    by_term = {t: [f"urn:d:x{i:02d}" for i in range(60) if terms[(i * 7) % 3] == t] for t in terms}
    assert [d for d, _ in ranking] == by_term["C"] + by_term["E"] + by_term["G"]
    scores = [s for _, s in ranking]
    assert scores == sorted(scores, reverse=True)
    assert res.ranking(3) == ranking[:3]


def test_the_scores_do_not_depend_on_the_order_of_the_terms() -> None:
    """The root listed last: each term's ancestors then start with an informative one."""
    rows = [("d1", "C"), ("d1", "E"), ("d2", "D"), ("d2", "G"), ("d3", "E"), ("d4", "G")]
    listed = ResnikRanker(hierarchy_of(PARENTS), annotations_of(rows))
    reordered = ResnikRanker(
        hierarchy_of(PARENTS, ["G", "D", "E", "C", "F", "B", "A"]), annotations_of(rows)
    )
    for patient in (["D"], ["D", "G"], ["E", "C", "F"], ["G", "E"]):
        ids = [iri(t) for t in patient]
        for combine in ("one_sided", "BMA"):
            a = listed.score(ids, combine=combine)
            b = reordered.score(ids, combine=combine)
            assert b.score == pytest.approx(a.score)
            assert b.best_match == pytest.approx(a.best_match)
            assert reordered.score_candidates(ids, [3, 1], combine=combine) == pytest.approx(
                a.score[[3, 1]]
            )
