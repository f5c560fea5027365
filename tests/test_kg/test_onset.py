"""Tests of kg.rules.onset: the onset class of an age."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.namespaces import to_iri
from kg.rules.onset import ONSET_YEARS, onset_class_of_age


@pytest.mark.parametrize(
    ("years", "curie"),
    [
        (0.0, "HP:0003577"),  # congenital
        (10 / 365.25, "HP:0003623"),  # neonatal
        (0.5, "HP:0003593"),  # infantile
        (28 / 365.25, "HP:0003593"),  # the 28th day starts infantile onset
        (1.0, "HP:0011463"),  # the first birthday starts childhood
        (3.0, "HP:0011463"),  # childhood
        (5.0, "HP:0003621"),  # juvenile from 5
        (12.0, "HP:0003621"),  # juvenile
        (15.99, "HP:0003621"),  # juvenile up to 16
        (16.0, "HP:0011462"),  # adult onset (young adult) from 16 years on, as HPO defines it
        (25.0, "HP:0011462"),  # young adult
        (40.0, "HP:0003596"),  # middle age from 40
        (50.0, "HP:0003596"),  # middle age
        (60.0, "HP:0003584"),  # late from 60
        (75.0, "HP:0003584"),  # late
    ],
)
def test_onset_class_of_age(years: float, curie: str) -> None:
    assert onset_class_of_age(years) == to_iri(curie)


@given(st.floats(min_value=0.0, max_value=150.0))
def test_an_age_falls_in_the_range_of_its_class(years: float) -> None:
    low, high = ONSET_YEARS[onset_class_of_age(years)]
    assert low <= years and (years < (math.inf if high is None else high) or years == 0.0)


@pytest.mark.parametrize("years", [-1.0, math.nan, math.inf])
def test_impossible_ages_are_refused(years: float) -> None:
    with pytest.raises(ValueError, match="age of onset"):
        onset_class_of_age(years)
