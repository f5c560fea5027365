"""The patient's sex and age read from a clinical text (``encoders.demographics_text``): the
phrasings that name the patient, not a relative, nor an age at some event."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encoders.demographics_text import MAX_YEARS, read_demographics


@pytest.mark.parametrize(
    ("text", "sex", "sex_text", "age", "age_text"),
    [
        ("A 3-year-old girl with hypotonia.", "FEMALE", "3-year-old girl", 3.0, "3-year-old"),
        (
            "An 18-month-old Caucasian boy.",
            "MALE",
            "18-month-old Caucasian boy",
            1.5,
            "18-month-old",
        ),
        ("A 45 years old previously healthy woman", "FEMALE", None, 45.0, "45 years old"),
        ("We report a 6 yo male with ataxia.", "MALE", "6 yo male", 6.0, "6 yo"),
        ("An eleven-year-old boy", "MALE", "eleven-year-old boy", 11.0, "eleven-year-old"),
        ("A 2-week-old infant with seizures.", None, None, 0.0383, "2-week-old"),
        ("A boy aged 6 years had seizures.", "MALE", "A boy", 6.0, "aged 6 years"),
        ("He is 4 years old and has ataxia.", "MALE", None, 4.0, "He is 4 years old"),
        ("We describe a girl with microcephaly.", "FEMALE", "a girl", None, None),
        ("The proband was the third male child of healthy parents.", "MALE", None, None, None),
        ("Patient 2, the first son of unrelated parents.", "MALE", "the first son of", None, None),
        ("Fetal karyotype was normal (46, XY).", "MALE", "46, XY", None, None),
        # a note's own forms: its header fields, the person noun first, shorthand
        ("Boy, 6 years, with clumsiness.", "MALE", "Boy, 6 years", 6.0, "Boy, 6 years"),
        ("girl, 18 months old, hypotonia", "FEMALE", None, 1.5, "girl, 18 months"),
        ("Sex: F. Age: 3 years. Seizures.", "FEMALE", "Sex: F", 3.0, "Age: 3 years"),
        ("Age: 18 months; gender: male", "MALE", "gender: male", 1.5, "Age: 18 months"),
        ("45M with chest pain and arachnodactyly", "MALE", "45M", 45.0, "45M"),
        ("3 yo F, seizures", "FEMALE", "3 yo F", 3.0, "3 yo F"),
        ("A girl 6 years of age with ataxia.", "FEMALE", "A girl", 6.0, "6 years of age"),
        ("The patient, now 12 years of age, has ataxia.", None, None, 12.0, "12 years of age"),
        # version 48: a note that opens with its patient without an article, an age in
        # brackets or after "now"
        ("Male infant with recurrent infections.", "MALE", "Male infant", None, None),
        ("Newborn girl with absent radii.", "FEMALE", "Newborn girl", None, None),
        ("Teenage girl (15 y) with candidiasis.", "FEMALE", "girl (15 y", 15.0, "girl (15 y"),
        (
            "This girl, now 5 years old, has ataxia.",
            "FEMALE",
            "girl, now 5 years",
            5.0,
            "girl, now 5 years",
        ),
        ("Her son (6 years) has seizures.", None, None, None, None),  # a relative
        ("He saw a male infant in clinic.", "MALE", "a male", None, None),
        # the person noun before "aged" says the sex too
        ("Boy aged 18 months with seizures.", "MALE", "boy aged 18 months", 1.5, "aged 18 months"),
        ("The patient aged 5 years had ataxia.", None, None, 5.0, "aged 5 years"),
        # a letter's header: the age, then the sex after a comma
        ("Re: G, 16 years, female.", "FEMALE", "16 years, female", 16.0, "16 years, female"),
        ("J, 11 months, male", "MALE", "11 months, male", 0.9167, "11 months, male"),
        ("S, 7 months, girl", "FEMALE", "7 months, girl", 0.5833, "7 months, girl"),
        (
            "Name: A, 3 years 2 months, F",
            "FEMALE",
            "3 years 2 months, F",
            3.1667,
            "3 years 2 months, F",
        ),
    ],
)
def test_the_patients_sex_and_age(
    text: str, sex: str | None, sex_text: str | None, age: float | None, age_text: str | None
) -> None:
    said = read_demographics(text)
    assert (said.sex, said.age_years, said.age_text) == (sex, age, age_text)
    if sex_text is not None:
        assert said.sex_text == sex_text
    assert (said.sex is None) == (said.sex_text is None)


@pytest.mark.parametrize(
    "text",
    [
        "Her 35-year-old mother had epilepsy.",  # a relative, by a possessive
        "His 9-year-old brother is affected.",
        "Born to a 30 years old mother.",  # a relative, by its noun
        "Her brother, a 5-year-old boy, is affected.",  # a relative, in apposition
        "Seizures since age 2; walked at 3 years.",  # ages at events: onsets, not ages
        "Seizure-free since the age of 8.",
        "A 9999-year-old man.",  # no age
        "Two girls and three boys were examined.",  # plurals: not one patient
        "The female-to-male ratio was 2:1.",
        "The male sibling was unaffected.",
        "At 6 years of age she developed seizures.",  # an age at an event
        "He walked at 3 years of age.",
        "Her son, 6 years, has ataxia.",  # a relative, by a possessive
        "Her son aged 6 years has ataxia.",
        "Mother, 35 years, healthy.",  # a relative's noun first
        "Her brother, 16 years, male, has seizures.",  # a relative before a header's form
        "Seizures began at 3 years, male cousin affected.",  # an age at an event
        "A sister 9 years of age is affected.",
        "1 M NaCl was added.",  # a unit, not a shorthand for a male
        "age: 200 years",
        "",
    ],
)
def test_nothing_is_read_of_relatives_events_or_plurals(text: str) -> None:
    said = read_demographics(text)
    assert (said.sex, said.age_years) == (None, None), said


def test_the_first_statement_about_the_patient_counts() -> None:
    said = read_demographics("A girl with ataxia. Her brother, a 5-year-old boy, is well.")
    assert (said.sex, said.sex_text, said.age_years) == ("FEMALE", "A girl", None)
    said = read_demographics("A 3-year-old girl; karyotype 46,XY (sex reversal).")
    assert said.sex == "FEMALE"  # the person noun before the karyotype


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_reads_without_error_and_an_age_in_range(text: str) -> None:
    said = read_demographics(text)
    assert said.sex in (None, "MALE", "FEMALE")
    assert said.age_years is None or 0.0 <= said.age_years <= MAX_YEARS
    for words in (said.sex_text, said.age_text):
        assert words is None or words in text
