"""Behaviours of fusion.ordered_probabilities that mutation testing found unchecked."""

from __future__ import annotations

import numpy as np
import pytest

from fusion.ordered_probabilities import along_order


def test_an_integer_one_hot_distribution_is_pooled_in_floats() -> None:
    # the model's certainty on the candidate ranked second: the two places share it
    q = along_order(np.array([0, 1, 0]), np.arange(3))
    assert q.dtype == np.float64
    assert q.tolist() == [0.5, 0.5, 0.0]


def test_an_order_that_is_not_a_vector_is_refused() -> None:
    with pytest.raises(ValueError, match="permutation of the 1 candidates"):
        along_order(np.array([1.0]), np.array(0))
