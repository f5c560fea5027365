"""The onset a clinical text states."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encoders.onset_text import PERIODS, read_onset
from kg.namespaces import to_iri
from kg.rules.onset import onset_class_of_age


@pytest.mark.parametrize(
    ("text", "onset", "statement"),
    [
        (
            "The proband was a 39-year old woman who presented at the age of 12 years with A.",
            "HP:0003621",
            "presented at the age of 12 years",
        ),
        ("presented at the age of 2 years and 3 months with", "HP:0011463", None),
        ("She presented at 3 months of age with seizures.", "HP:0003593", None),
        ("The proband presented as an infant with B.", "HP:0003593", "presented as an infant"),
        ("He presented in\nchildhood with ataxia.", "HP:0011463", None),
        ("presented at birth with", "HP:0003577", None),
        ("presented as a newborn with", "HP:0003623", None),
        ("presented in the fetal period with", "HP:0030674", None),
        ("Onset was in adolescence.", "HP:0003621", None),
        ("Symptoms began at age 39 years.", "HP:0011462", None),
        ("Symptoms began at age 40 years.", "HP:0003596", None),  # a birthday starts a class
        ("presented at the age of 7 years, 4 months, and 2 days", "HP:0003621", None),
        ("a history of impaired vision since age 4 was", "HP:0011463", "since age 4"),
        ("deaf since birth", "HP:0003577", "since birth"),
        ("weakness since 3 months of age", "HP:0003593", None),
        ("Since the childhood luxations of the shoulders", "HP:0011463", None),
        # the earliest of several statements: a disease begins with its first finding
        (
            "weakness since early childhood; scoliosis since the age of 13 years",
            "HP:0011463",
            "since early childhood",
        ),
        ("presented at the age of 12 years with A; B since infancy", "HP:0003593", None),
        # at birth (0 days) before the neonatal period (up to 28 days)
        ("presented as a newborn with hypotonia; deaf since birth", "HP:0003577", None),
    ],
)
def test_stated_onsets(text: str, onset: str, statement: str | None) -> None:
    found = read_onset(text)
    assert found is not None and found.iri == to_iri(onset)
    assert text[found.start : found.end] == found.text
    if statement is not None:
        assert found.text == statement


@pytest.mark.parametrize(
    "text",
    [
        "adult-onset tremor",  # a name, not a statement of this patient's onset
        "She presented to the clinic at 5 years.",  # a visit, not the onset
        "At 8 months of age he was hospitalised.",  # an age, but no onset or presentation
        "The proband presented with seizures.",
        "presented at the age of 3 yearsold",  # no age unit word
        "She has been seizure-free since the age of 8 years.",  # a time without it
        "on levetiracetam since age 5",  # a treatment's start
        "no seizures since age 3",
        "since 2010",  # a year, not an age
        "presented at the age of 200 years with",  # no human age
        "presented at the age of " + "9" * 400 + " years with",  # not even a finite one
        "since age " + "9" * 400,
    ],
)
def test_no_onset_stated(text: str) -> None:
    assert read_onset(text) is None


@given(st.integers(0, 90), st.integers(0, 11))
def test_an_age_reads_as_its_class(years: int, months: int) -> None:
    found = read_onset(f"presented at the age of {years} years and {months} months with")
    assert found is not None
    assert found.iri == onset_class_of_age(years + months / 12)


def test_every_period_reads_as_its_class() -> None:
    for period, iri in PERIODS.items():
        found = read_onset(f"The patient presented {period} with hypotonia.")
        assert found is not None and found.iri == iri, period
