"""Two-stage ranking (fusion.shortlist): the prior shortlists, the model re-ranks; the
places after the lead go to the prior's pool by the prior plus the similarity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusion.shortlist import (
    DEFAULT_LEAD,
    DEFAULT_POOL,
    DEFAULT_SHORTLIST,
    DEFAULT_SIMILARITY_WEIGHT,
    RankingSettings,
    _top_members,
    fill_values,
    shortlist_keys,
    shortlist_order,
    shortlisted,
    tiered,
    tiered_keys,
)


def test_the_model_reorders_only_the_priors_top_candidates() -> None:
    prior = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    scores = np.array([0.0, 1.0, 9.0, 8.0, 7.0])  # the model prefers what the prior ranks low
    order = shortlist_order(scores, prior, 2)
    assert order.tolist() == [1, 0, 2, 3, 4]  # top-2 of the prior by score, then the prior
    assert shortlist_order(scores, prior, 0).tolist() == [2, 3, 4, 1, 0]  # no shortlist
    assert shortlist_order(scores, prior, 9).tolist() == [2, 3, 4, 1, 0]  # longer than the list


def test_the_shortlist_takes_in_the_priors_ties_at_its_end() -> None:
    prior = np.array([3.0, 2.0, 2.0, 2.0, 1.0])
    scores = np.array([0.0, 1.0, 2.0, 3.0, 9.0])
    # shortlist 2: the prior's best and the three tied with its second, by the model
    assert shortlist_order(scores, prior, 2).tolist() == [3, 2, 1, 0, 4]
    flat = np.zeros(5)  # no finding: every prior equal, the model picks the shortlist
    assert shortlist_order(scores, flat, 2).tolist() == [4, 3, 2, 1, 0]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        shortlist_order(np.zeros(3), np.zeros(3), -1)
    with pytest.raises(ValueError, match="one length"):
        shortlist_keys(np.zeros(3), np.zeros(4), 1)
    with pytest.raises(ValueError, match="lead and pool"):
        tiered(np.zeros(3), np.zeros(3), np.zeros(3), 1, -1, 2)
    with pytest.raises(ValueError, match="lead and pool"):
        tiered_keys(np.zeros(3), np.zeros(3), np.zeros(3), 1, 1, -2)
    with pytest.raises(ValueError, match="fill"):
        tiered(np.zeros(3), np.zeros(3), np.zeros(2), 1, 1, 2)


def test_the_places_after_the_lead_go_to_the_pool_by_its_fill() -> None:
    prior = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    scores = np.array([0.0, 9.0, 1.0, 2.0, 3.0, 8.0])
    # the similarity lifts the prior's fourth above its second and third
    fill = fill_values(prior, {0: 0.0, 1: 0.0, 2: 0.1, 3: 0.9}, 2.0)
    assert fill.tolist() == [6.0, 5.0, 4.2, 4.8, 2.0, 1.0]
    # shortlist 3 re-ranked by the model (1, 2, 0); its first leads; the pool of the
    # prior's first 4 follows by fill (0, 3, 2); then the rest as the shortlist orders it
    assert tiered(scores, prior, fill, 3, 1, 4).order.tolist() == [1, 0, 3, 2, 4, 5]
    assert tiered(scores, prior, fill, 3, 1, 4, top=2).order.tolist() == [1, 0]
    # what placed each: the model's lead, the pool, then the prior
    placed = tiered(scores, prior, fill, 3, 1, 4)
    assert placed.spans == (1, 3, 0)
    assert placed.placed_by() == ["model"] + ["prior+similarity"] * 3 + ["prior"] * 2
    assert tiered(scores, prior, fill, 3, 1, 4, top=2).placed_by() == [
        "model",
        "prior+similarity",
    ]
    # a pool shorter than the shortlist: the shortlist's others follow by the model
    assert tiered(scores, prior, fill, 3, 1, 2).placed_by() == [
        "model",
        "prior+similarity",
        "model",
        "prior",
        "prior",
        "prior",
    ]
    assert tiered(scores, prior, fill, 3, 1, 2).order.tolist() == [1, 0, 2, 3, 4, 5]
    # no pool: the shortlist by the model, the rest by the prior
    assert tiered(scores, prior, fill, 3, 1, 0).placed_by() == ["model"] * 3 + ["prior"] * 3
    keys = tiered_keys(scores, prior, fill, 3, 1, 4)
    assert np.argsort(-keys).tolist() == [1, 0, 3, 2, 4, 5]
    # no pool: the shortlist's order, and its keys
    assert tiered(scores, prior, fill, 3, 1, 0).order.tolist() == [1, 2, 0, 3, 4, 5]
    assert tiered_keys(scores, prior, fill, 3, 1, 0).tolist() == (
        shortlist_keys(scores, prior, 3).tolist()
    )


vectors = st.integers(min_value=1, max_value=30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(-5, 5).map(float), min_size=n, max_size=n),
        st.lists(st.integers(-5, 5).map(float), min_size=n, max_size=n),
    )
)


@given(vectors, st.integers(min_value=0, max_value=35))
def test_keys_rank_as_the_order_does_and_keep_ties(pair, size: int) -> None:
    scores, prior = (np.array(v) for v in pair)
    n = len(scores)
    order = shortlist_order(scores, prior, size)
    keys = shortlist_keys(scores, prior, size)
    assert sorted(order.tolist()) == list(range(n))
    assert np.all(np.diff(keys[order]) <= 0)  # the order never puts a lower key first
    for top in (0, 1, size, n):  # the first `top` alone, through the shortcut or not
        assert shortlist_order(scores, prior, size, top).tolist() == order[:top].tolist()
    lead = len(shortlisted(prior, size))
    inside = np.zeros(n, dtype=bool)
    inside[order[:lead]] = True
    assert sorted(order[:lead].tolist()) == shortlisted(prior, size).tolist()
    # the shortlist: every candidate outside is below every one inside on the prior alone
    if lead < n:
        assert lead >= min(size, n)
        assert prior[~inside].max() < prior[inside].min()
        assert keys[inside].min() > keys[~inside].max()
    # ties: equal keys exactly for equal scores inside, equal (prior, score) outside
    for i in range(n):
        for j in range(n):
            if inside[i] != inside[j]:
                assert keys[i] != keys[j]
            elif inside[i] and lead < n:
                assert (keys[i] == keys[j]) == (scores[i] == scores[j])
            elif inside[i]:  # no shortlist: the model's scores are the keys
                assert keys[i] - keys[j] == scores[i] - scores[j]
            else:
                same = prior[i] == prior[j] and scores[i] == scores[j]
                assert (keys[i] == keys[j]) == same


@given(
    vectors,
    st.lists(st.integers(-5, 5).map(float), min_size=30, max_size=30),
    st.integers(min_value=0, max_value=35),
    st.integers(min_value=0, max_value=8),
    st.integers(min_value=0, max_value=35),
)
def test_tiered_keys_rank_as_the_tiered_order_does(
    pair, fills: list[float], size: int, lead: int, pool: int
) -> None:
    scores, prior = (np.array(v) for v in pair)
    n = len(scores)
    fill = np.array(fills[:n])
    order = tiered(scores, prior, fill, size, lead, pool).order
    keys = tiered_keys(scores, prior, fill, size, lead, pool)
    assert sorted(order.tolist()) == list(range(n))
    assert np.all(np.diff(keys[order]) <= 0)  # the order never puts a lower key first
    for top in (0, 1, lead, lead + pool, n):
        assert tiered(scores, prior, fill, size, lead, pool, top).order.tolist() == (
            order[:top].tolist()
        )
    if pool == 0:
        assert order.tolist() == shortlist_order(scores, prior, size).tolist()
        assert keys.tolist() == shortlist_keys(scores, prior, size).tolist()
        return
    head = shortlist_order(scores, prior, size)[: min(lead, len(shortlisted(prior, size)))]
    assert order[: len(head)].tolist() == head.tolist()  # the lead is the model's
    members = np.lexsort((-scores, -prior))[:pool]  # the prior's first `pool`
    tail = [i for i in order[len(head) :] if i in set(members.tolist())]
    assert order[len(head) : len(head) + len(tail)].tolist() == tail  # the pool comes next
    triples = [(fill[i], prior[i], scores[i]) for i in tail]
    assert triples == sorted(triples, reverse=True)  # by fill, then prior, then score
    rest = order[len(head) + len(tail) :]
    placed = tiered(scores, prior, fill, size, lead, pool)
    assert placed.order.tolist() == order.tolist()
    assert placed.spans[:2] == (len(head), len(tail))
    by = placed.placed_by()
    chosen = set(shortlisted(prior, size).tolist())
    for k, i in enumerate(order.tolist()):  # the model places its shortlist, the prior no more
        if by[k] == "prior":
            assert i not in chosen
        elif by[k] == "model":
            assert i in chosen
    if len(head) and len(tail):
        assert keys[head].min() > keys[tail].max()
    if len(tail) and len(rest):
        assert keys[tail].min() > keys[rest].max()
    for a in tail:  # ties in the pool: equal keys exactly for equal triples
        for b in tail:
            same = (fill[a], prior[a], scores[a]) == (fill[b], prior[b], scores[b])
            assert (keys[a] == keys[b]) == same


@given(
    st.lists(st.integers(-3, 3), min_size=2, max_size=40).flatmap(
        lambda values: st.tuples(st.just(values), st.integers(1, len(values) - 1))
    )
)
def test_the_priors_top_members_match_a_full_partition(case: tuple[list[int], int]) -> None:
    # a prior puts most diseases on one floor value: the fast path must select as before
    values, k = np.array(case[0], dtype=np.float64), case[1]
    n = len(values)
    expected = np.flatnonzero(values >= np.partition(values, n - k)[n - k])
    assert _top_members(values, k).tolist() == expected.tolist()


def test_ranking_settings_default_check_and_cut_the_lead_to_the_shortlist() -> None:
    default = RankingSettings()
    assert (default.shortlist, default.similarity_weight, default.lead, default.pool) == (
        DEFAULT_SHORTLIST,
        DEFAULT_SIMILARITY_WEIGHT,
        DEFAULT_LEAD,
        DEFAULT_POOL,
    )
    assert default.ordered_probabilities is True
    weight = RankingSettings(similarity_weight=3).similarity_weight
    assert weight == 3.0 and isinstance(weight, float)
    for bad, message in (
        ({"shortlist": -1}, "shortlist"),
        ({"lead": -1}, "lead and pool"),
        ({"pool": -2}, "lead and pool"),
        ({"similarity_weight": -0.5}, "similarity weight"),
        ({"similarity_weight": float("nan")}, "similarity weight"),
        ({"similarity_weight": float("inf")}, "similarity weight"),
    ):
        with pytest.raises(ValueError, match=message):
            RankingSettings(**bad)
    # with a pool, a lead past a shortlist that leaves candidates out stops at its end
    assert RankingSettings(shortlist=3, lead=5, pool=20).for_candidates(100).lead == 3
    assert RankingSettings(shortlist=3, lead=5, pool=0).for_candidates(100).lead == 5
    assert RankingSettings(shortlist=0, lead=5, pool=20).for_candidates(100).lead == 5
    assert RankingSettings(shortlist=3, lead=5, pool=20).for_candidates(3).lead == 5
