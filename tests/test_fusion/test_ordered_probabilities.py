"""A ranking's probabilities fall with the rank (fusion.ordered_probabilities)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusion.ordered_probabilities import along_order, first_probability

_distributions = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30).map(
    lambda v: np.asarray(v) / sum(v) if sum(v) > 0 else np.full(len(v), 1.0 / len(v))
)


@given(_distributions, st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_they_fall_along_the_order_and_keep_their_sum(p: np.ndarray, rng) -> None:
    order = np.arange(len(p))
    rng.shuffle(order)
    q = along_order(p, order)
    assert np.all(np.diff(q[order]) <= 1e-12)
    assert q.sum() == pytest.approx(p.sum(), abs=1e-12)
    assert np.all(q >= -1e-15)
    # the first place's probability: the largest mean of a prefix, for one case or many
    assert first_probability(p[order]) == pytest.approx(q[order[0]], rel=1e-9, abs=1e-15)
    both = first_probability(np.stack([p[order], np.sort(p)[::-1]]))
    assert both[1] == pytest.approx(p.max())


@given(_distributions)
@settings(max_examples=100, deadline=None)
def test_probabilities_already_in_the_order_are_unchanged(p: np.ndarray) -> None:
    order = np.argsort(-p, kind="stable")
    assert np.allclose(along_order(p, order), p, rtol=0, atol=1e-12)


def test_a_run_ranked_against_the_model_shares_its_probability_evenly() -> None:
    p = np.array([0.04, 0.55, 0.30, 0.10, 0.01])
    q = along_order(p, np.arange(5))
    assert q[:3] == pytest.approx([0.89 / 3] * 3)  # 0.04 < 0.55: pooled, then 0.30 joins
    assert q[3:] == pytest.approx([0.10, 0.01])
    assert first_probability(p[None, :2]) == pytest.approx([0.295])  # a prefix: a lower bound


def test_the_order_must_be_a_permutation_of_the_candidates() -> None:
    p = np.array([0.5, 0.3, 0.2])
    for bad in ([0, 1], [0, 1, 1], [0, 1, 3], [[0, 1, 2]]):
        with pytest.raises(ValueError, match="permutation of the 3 candidates"):
            along_order(p, np.asarray(bad))
    assert along_order(np.empty(0), np.empty(0, int)).shape == (0,)
