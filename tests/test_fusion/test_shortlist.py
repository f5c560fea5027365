"""Two-stage ranking (fusion.shortlist): the prior shortlists, the model re-ranks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusion.shortlist import shortlist_keys, shortlist_order


def test_the_model_reorders_only_the_priors_top_candidates() -> None:
    prior = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    scores = np.array([0.0, 1.0, 9.0, 8.0, 7.0])  # the model prefers what the prior ranks low
    order = shortlist_order(scores, prior, 2)
    assert order.tolist() == [1, 0, 2, 3, 4]  # top-2 of the prior by score, then the prior
    assert shortlist_order(scores, prior, 0).tolist() == [2, 3, 4, 1, 0]  # no shortlist
    assert shortlist_order(scores, prior, 9).tolist() == [2, 3, 4, 1, 0]  # longer than the list


def test_the_model_breaks_the_priors_ties_at_the_end_of_the_shortlist() -> None:
    prior = np.array([3.0, 2.0, 2.0, 2.0, 1.0])
    scores = np.array([0.0, 1.0, 2.0, 3.0, 9.0])
    # the shortlist holds exactly 2: the prior's best, and the tied one the model prefers
    assert shortlist_order(scores, prior, 2).tolist() == [3, 0, 2, 1, 4]
    flat = np.zeros(5)  # no finding: every prior equal, the model picks the shortlist
    assert shortlist_order(scores, flat, 2).tolist() == [4, 3, 2, 1, 0]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        shortlist_order(np.zeros(3), np.zeros(3), -1)
    with pytest.raises(ValueError, match="one length"):
        shortlist_keys(np.zeros(3), np.zeros(4), 1)


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
    lead = n if size == 0 else min(size, n)
    inside = np.zeros(n, dtype=bool)
    inside[order[:lead]] = True
    # the shortlist: no candidate outside beats one inside on (prior, score)
    if lead < n:
        worst_in = min((prior[i], scores[i]) for i in np.flatnonzero(inside))
        best_out = max((prior[i], scores[i]) for i in np.flatnonzero(~inside))
        assert best_out <= worst_in
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
