"""Behaviours of fusion.shortlist that mutation testing found unchecked: the settings' edge
values, the tie-breaks inside and outside the shortlist, the similarity added to the
shortlist and the pool, the candidate check against the KG and its message."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from fusion.shortlist import (
    BRIEF_FINDINGS,
    CandidateMismatchError,
    RankingSettings,
    add_similarity,
    candidate_similarity,
    fill_values,
    shortlist_combination,
    shortlist_combination_for,
    shortlist_keys,
    shortlist_order,
    shortlisted,
    tiered,
    tiered_keys,
)
from kg.annotations import AnnotationTableBuilder
from kg.errors import KGMismatchError
from kg.hierarchy import TermHierarchy
from kg.namespaces import compress
from kg.rules.resnik import ResnikRanker

# A -> B -> D ; A -> C -> E: three diseases, on D, on E, and on B and C
_PARENTS = {"A": [], "B": ["A"], "C": ["A"], "D": ["B"], "E": ["C"]}
_ANNOTATED = {100: ["D"], 200: ["E"], 300: ["B", "C"]}


def _term(name: str) -> str:
    return f"http://example.org/T_{name}"


@pytest.fixture(scope="module")
def kg() -> SimpleNamespace:
    """What :func:`candidate_similarity` reads of a KG, made in memory (a KG store cannot be
    built again in a forked process, as mutation testing runs the tests)."""
    names = list(_PARENTS)
    index = {n: i for i, n in enumerate(names)}
    ptr = np.zeros(len(names) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(_PARENTS[n]) for n in names])
    idx = np.array([index[p] for n in names for p in _PARENTS[n]], dtype=np.int32)
    hierarchy = TermHierarchy(
        [_term(n) for n in names], names, np.zeros(len(names), bool), ptr, idx
    )
    table = AnnotationTableBuilder()
    for number, terms in _ANNOTATED.items():
        for term in terms:
            table.add(
                f"urn:a:{number}:{term}",
                f"https://omim.org/entry/{number}",
                _term(term),
                aspect="P",
            )
    return SimpleNamespace(hierarchy=hierarchy, annotations=table.build())


# ---- RankingSettings ---------------------------------------------------------------------------
def test_ranking_settings_accept_the_edge_values() -> None:
    edge = RankingSettings(shortlist=0, similarity_weight=0.0, lead=0, pool=0)
    assert (edge.shortlist, edge.similarity_weight, edge.lead, edge.pool) == (0, 0.0, 0, 0)
    assert RankingSettings(similarity_weight=0.5).similarity_weight == 0.5
    # the flag is stored as a bool, whatever truthy or falsy value it was given
    assert RankingSettings(ordered_probabilities=1).ordered_probabilities is True  # type: ignore[arg-type]
    assert RankingSettings(ordered_probabilities=0).ordered_probabilities is False  # type: ignore[arg-type]


def test_the_lead_stops_at_the_shortlist_with_any_pool_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="fusion.shortlist"):
        cut = RankingSettings(shortlist=3, lead=7, pool=1).for_candidates(50)
    assert cut.lead == 3 and (cut.shortlist, cut.pool) == (3, 1)
    messages = [r.getMessage() for r in caplog.records if r.name == "fusion.shortlist"]
    assert len(messages) == 1 and "7" in messages[0] and "3" in messages[0]
    # a shortlist of one still stops the lead
    assert RankingSettings(shortlist=1, lead=7, pool=20).for_candidates(50).lead == 1
    # a lead that already fits is kept, and nothing is said
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="fusion.shortlist"):
        kept = RankingSettings(shortlist=3, lead=3, pool=20).for_candidates(50)
    assert kept.lead == 3
    assert not [r for r in caplog.records if r.name == "fusion.shortlist"]


# ---- orders and keys ---------------------------------------------------------------------------
def test_ties_inside_the_shortlist_go_by_prior_and_outside_by_score() -> None:
    prior = np.array([5.0, 4.0, 3.0, 0.0, 0.0, 0.0])
    scores = np.array([1.0, 2.0, 2.0, 1.0, 3.0, 2.0])
    # inside (0, 1, 2): 1 and 2 tie on the score, the higher prior first; outside (3, 4, 5)
    # all tie on the prior: by score
    assert shortlist_order(scores, prior, 3).tolist() == [1, 2, 0, 4, 5, 3]


def test_a_top_past_the_shortlist_gives_that_many() -> None:
    prior = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0])
    scores = np.array([0.0, 1.0, 2.0, 5.0, 4.0, 3.0])
    full = shortlist_order(scores, prior, 2)
    assert full.tolist() == [1, 0, 2, 3, 4, 5]
    for top in (3, 4, 5):
        assert shortlist_order(scores, prior, 2, top).tolist() == full[:top].tolist()


def test_the_size_must_not_be_negative_and_the_message_says_which() -> None:
    with pytest.raises(ValueError, match="size.*-1"):
        shortlisted(np.zeros(3), -1)


def test_unsigned_integer_vectors_rank_as_their_values() -> None:
    # uint8 cannot be negated: the functions work on float64 copies
    scores = np.array([0, 3, 2, 0, 1, 4, 0], dtype=np.uint8)
    prior = np.array([9, 8, 7, 2, 0, 2, 0], dtype=np.uint8)
    fill = np.array([0, 5, 0, 3, 0, 1, 2], dtype=np.uint8)
    fs, fp, ff = (v.astype(np.float64) for v in (scores, prior, fill))
    assert shortlist_order(scores, prior, 3).tolist() == [1, 2, 0, 5, 3, 4, 6]
    assert shortlist_order(scores, prior, 3).tolist() == shortlist_order(fs, fp, 3).tolist()
    assert shortlist_keys(scores, prior, 3).tolist() == shortlist_keys(fs, fp, 3).tolist()
    for size, lead, pool in ((3, 1, 5), (0, 2, 6)):
        got = tiered(scores, prior, fill, size, lead, pool)
        want = tiered(fs, fp, ff, size, lead, pool)
        assert got.order.tolist() == want.order.tolist() and got.spans == want.spans
        assert tiered_keys(scores, prior, fill, size, lead, pool).tolist() == (
            tiered_keys(fs, fp, ff, size, lead, pool).tolist()
        )
    # the pool after a lead of 1 goes by fill: 3 (fill 3), 5 (1), then 0 and 2 (0) by prior
    assert tiered(scores, prior, fill, 3, 1, 5).order.tolist()[:5] == [1, 3, 5, 0, 2]


def test_tiered_keys_put_the_shortlists_others_below_the_pool() -> None:
    # shortlist 0-3, lead 1 (candidate 3), pool (0, 1): candidate 2, shortlisted but neither
    # in the lead nor the pool, follows the pool, though its key inside the shortlist is high
    prior = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    scores = np.array([0.0, 1.0, 2.0, 3.0, 0.0, 0.0])
    placed = tiered(scores, prior, prior, 4, 1, 2)
    assert placed.order.tolist() == [3, 0, 1, 2, 4, 5]
    assert placed.spans == (1, 2, 1)
    assert placed.placed_by() == ["model"] + ["prior+similarity"] * 2 + ["model"] + ["prior"] * 2
    keys = tiered_keys(scores, prior, prior, 4, 1, 2)
    assert np.all(np.diff(keys[placed.order]) < 0)  # strictly falling along the order


def test_fill_values_of_an_integer_prior_are_floats() -> None:
    prior = np.array([3, 1, 0])
    values = fill_values(prior, {0: 0.5, 2: 0.25}, 2.0)
    assert values.tolist() == [4.0, 1.0, 0.5]
    assert prior.tolist() == [3, 1, 0]  # the prior is not changed
    assert fill_values(prior, {}, 2.0).tolist() == [3.0, 1.0, 0.0]


# ---- add_similarity ------------------------------------------------------------------------------
class _Ranker:
    """Best-match average 0.1 * (index + 1), the mean of the directions 0.2 * (index + 1);
    remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], list[int], tuple[str, ...]]] = []

    def score_candidates_each(
        self, present: list[str], rows: np.ndarray, combines: tuple[str, ...]
    ) -> list[np.ndarray]:
        rows = np.asarray(rows)
        self.calls.append((list(present), rows.tolist(), tuple(combines)))
        scale = {"BMA": 0.1, "funSimAvg": 0.2}
        return [scale[c] * (rows + 1.0) for c in combines]


def test_the_similarity_lifts_the_shortlist_and_is_given_for_the_pool() -> None:
    prior = np.array([9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0])
    scores = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    ranker = _Ranker()
    similarity = add_similarity(scores, prior, 3, ["HP:1"], ranker, 2.0, 5, "BMA")  # type: ignore[arg-type]
    # the best-match average of the shortlist, then of the pool's others: what fills
    assert similarity.pooled == pytest.approx({i: 0.1 * (i + 1) for i in range(5)})
    assert list(similarity.pooled) == [0, 1, 2, 3, 4]
    # and, so set, what lifts the shortlist
    assert similarity.shortlist == pytest.approx({i: 0.1 * (i + 1) for i in range(3)})
    assert scores == pytest.approx([1.2, 1.4, 1.6, 1.0, 1.0, 1.0, 1.0, 1.0])  # in place
    assert [call[:2] for call in ranker.calls] == [(["HP:1"], [0, 1, 2, 3, 4])]  # one call


def test_the_shortlist_can_be_lifted_by_the_mean_of_the_directions() -> None:
    prior = np.array([9.0, 8.0, 7.0, 6.0, 5.0])
    scores = np.ones(5)
    ranker = _Ranker()
    similarity = add_similarity(scores, prior, 2, [], ranker, 2.0, 3, "funSimAvg")  # type: ignore[arg-type]
    assert similarity.shortlist == pytest.approx({0: 0.2, 1: 0.4})
    # the pool is still ordered by the best-match average
    assert similarity.pooled == pytest.approx({0: 0.1, 1: 0.2, 2: 0.3})
    assert scores == pytest.approx([1.4, 1.8, 1.0, 1.0, 1.0])
    # one call, each candidate once, both combinations at once
    assert ranker.calls == [([], [0, 1, 2], ("BMA", "funSimAvg"))]
    with pytest.raises(ValueError, match="unknown shortlist similarity 'one_sided'"):
        add_similarity(np.ones(5), prior, 2, [], _Ranker(), 2.0, 3, "one_sided")  # type: ignore[arg-type]


def test_without_a_pool_only_the_shortlist_is_scored() -> None:
    prior = np.array([9.0, 8.0, 7.0, 6.0, 5.0])
    scores = np.array([2.0, 2.0, 2.0, 2.0, 2.0])
    similarity = add_similarity(scores, prior, 2, [], _Ranker(), 10.0, shortlist_combine="BMA")  # type: ignore[arg-type]
    assert similarity.pooled == pytest.approx({0: 0.1, 1: 0.2})
    assert scores == pytest.approx([3.0, 4.0, 2.0, 2.0, 2.0])
    scores = np.array([2.0, 2.0, 2.0, 2.0, 2.0])
    again = add_similarity(scores, prior, 2, [], _Ranker(), 10.0, 0, "funSimAvg")  # type: ignore[arg-type]
    assert again.pooled == pytest.approx({0: 0.1, 1: 0.2})
    assert again.shortlist == pytest.approx({0: 0.2, 1: 0.4})
    assert scores == pytest.approx([4.0, 6.0, 2.0, 2.0, 2.0])


def test_a_shortlist_of_every_candidate_is_scored_once_whatever_the_pool() -> None:
    prior = np.array([3.0, 2.0, 1.0])
    scores = np.zeros(3)
    ranker = _Ranker()
    similarity = add_similarity(scores, prior, 0, [], ranker, 1.0, 2, "BMA")  # type: ignore[arg-type]
    assert similarity.pooled == pytest.approx({0: 0.1, 1: 0.2, 2: 0.3})
    assert scores == pytest.approx([0.1, 0.2, 0.3])
    assert [rows for _, rows, _ in ranker.calls] == [[0, 1, 2]]


# ---- the candidates against the KG ---------------------------------------------------------------
def test_candidate_similarity_is_the_symmetric_ranker_over_the_candidates(
    kg: Any,
) -> None:
    diseases = list(ResnikRanker(kg.hierarchy, kg.annotations).diseases)
    assert len(diseases) == 3
    ranker = candidate_similarity(kg, diseases)
    assert list(ranker.diseases) == diseases
    # a part of the annotated diseases: the ranker covers those only
    assert list(candidate_similarity(kg, diseases[:2]).diseases) == diseases[:2]
    # the similarity is the best-match average over both directions, not the one-sided one
    bma = ResnikRanker(kg.hierarchy, kg.annotations, subjects=diseases, combine="BMA")
    one_sided = ResnikRanker(kg.hierarchy, kg.annotations, subjects=diseases)
    present = [_term("D")]
    rows = np.arange(3)
    got = ranker.score_candidates(present, rows)
    assert got == pytest.approx(bma.score_candidates(present, rows))
    assert not np.allclose(got, one_sided.score_candidates(present, rows))


def test_each_combination_at_once_is_each_computed_alone(kg: Any) -> None:
    diseases = list(ResnikRanker(kg.hierarchy, kg.annotations).diseases)
    ranker = candidate_similarity(kg, diseases)
    combines = ("BMA", "funSimAvg", "one_sided", "funSimMax")
    for present in ([_term("D")], [_term("D"), _term("B")], []):
        rows = np.array([2, 0])
        each = ranker.score_candidates_each(present, rows, combines)
        alone = [ranker.score_candidates(present, rows, combine=c) for c in combines]
        assert [e.tolist() for e in each] == [a.tolist() for a in alone]
    # the combinations differ on this KG, so the comparison can tell them apart
    both = ranker.score_candidates_each([_term("D")], np.arange(3), ("BMA", "funSimAvg"))
    assert not np.allclose(both[0], both[1])


def test_the_shortlists_similarity_is_checked() -> None:
    assert RankingSettings().shortlist_similarity == "auto"
    assert RankingSettings(shortlist_similarity="BMA").shortlist_similarity == "BMA"
    with pytest.raises(ValueError, match="unknown shortlist similarity 'max'"):
        RankingSettings(shortlist_similarity="max")
    with pytest.raises(ValueError, match="choose one of auto, BMA, funSimAvg"):
        shortlist_combination("max", 2)


def test_auto_takes_the_mean_of_the_directions_for_a_brief_description_only() -> None:
    assert BRIEF_FINDINGS == 3
    brief = [shortlist_combination("auto", n) for n in range(BRIEF_FINDINGS + 1)]
    assert brief == ["funSimAvg"] * (BRIEF_FINDINGS + 1)
    assert shortlist_combination("auto", BRIEF_FINDINGS + 1) == "BMA"
    for fixed in ("BMA", "funSimAvg"):  # a fixed setting holds whatever the count
        assert {shortlist_combination(fixed, n) for n in (0, 3, 4, 40)} == {fixed}
    # each term counted once, however often it was written
    assert shortlist_combination_for("auto", ["a", "b", "c", "a", "b"]) == "funSimAvg"
    assert shortlist_combination_for("auto", ["a", "b", "c", "d"]) == "BMA"


def test_auto_lifts_the_shortlist_by_the_count_of_present_findings() -> None:
    prior = np.array([9.0, 8.0, 7.0, 6.0, 5.0])
    for present, lift in ((["a", "b", "c"], 0.2), (["a", "b", "c", "d"], 0.1)):
        scores, ranker = np.zeros(5), _Ranker()
        similarity = add_similarity(scores, prior, 1, present, ranker, 1.0)  # type: ignore[arg-type]
        assert similarity.shortlist == pytest.approx({0: lift})
        assert scores == pytest.approx([lift, 0.0, 0.0, 0.0, 0.0])
        assert similarity.pooled == pytest.approx({0: 0.1})


def test_candidates_the_kg_does_not_annotate_in_that_order_are_refused(kg: Any) -> None:
    diseases = list(ResnikRanker(kg.hierarchy, kg.annotations).diseases)
    with pytest.raises(CandidateMismatchError) as err:
        candidate_similarity(kg, diseases[::-1])
    assert isinstance(err.value, KGMismatchError) and isinstance(err.value, ValueError)
    message = str(err.value)
    assert "candidate list" in message and "position 0" in message
    assert f"model {compress(diseases[2])}, KG {compress(diseases[0])}" in message
    unknown = "https://omim.org/entry/999"
    with pytest.raises(CandidateMismatchError, match="position 3") as err:
        candidate_similarity(kg, [*diseases, unknown])
    assert "4 candidates, the KG 3" in str(err.value)
    assert f"model {compress(unknown)}, KG (none)" in str(err.value)


def test_the_mismatch_names_the_counts_and_the_first_difference() -> None:
    a, b, c, x = (f"https://omim.org/entry/{i}" for i in (100, 200, 300, 900))
    err = CandidateMismatchError("the list", [a, b, c], [a, x, c])
    assert (err.expected, err.found) == ("3 candidates", "3 diseases")
    message = str(err)
    assert message.startswith("the list differs from the diseases the KG annotates")
    assert "the model has 3 candidates, the KG 3" in message
    assert "position 1 (model OMIM:200, KG OMIM:900)" in message
    # one list a prefix of the other: the difference is where the shorter one ends
    err = CandidateMismatchError("the list", [a, b], [a, b, c])
    assert (err.expected, err.found) == ("2 candidates", "3 diseases")
    assert "position 2 (model (none), KG OMIM:300)" in str(err)
    err = CandidateMismatchError("the list", [a, b, c], [a])
    assert "position 1 (model OMIM:200, KG (none))" in str(err)
