"""The patient's sex and age as a clinical text states them: "a 3-year-old girl", "an
18-month-old boy", "a 45-year-old woman", "a 6 yo male", "a boy aged 6 years", "we report a
girl with ...", "the first son of", "46,XY".

Free text gives no ``sex`` or ``age`` field, yet the rules read them (an X-linked recessive
disease in a girl, findings of one sex only, an onset later than the patient's age).
:func:`read_demographics` reads the phrasings that name the patient by an age and a person
noun, or by a person noun after an article; of several, the first in the text counts (a case
report names its patient first). A phrase about a relative ("her 35-year-old mother", "a
9-year-old brother") is not read, and neither is an age at some event ("seizures since age
2", "walked at 3 years": :mod:`encoders.onset_text` reads onsets). Conservative by design:
what it does not read stays unknown, as a text without it would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["StatedDemographics", "read_demographics"]

#: Oldest age read; a larger number is no age ("a 9999-year-old").
MAX_YEARS = 130.0
_NUMBERS = {
    word: float(i)
    for i, word in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        + ["eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"]
        + ["eighteen", "nineteen", "twenty"]
    )
}
_YEARS_PER = {"year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25}
_UNIT = {"y": "year", "yr": "year", "mo": "month", "wk": "week"}
_NUMBER = r"(\d{1,3}(?:\.\d+)?|" + "|".join(_NUMBERS) + r")"
#: person nouns that name the patient, with the sex each states (None: none)
_PERSON: dict[str, str | None] = {
    "girl": "FEMALE", "woman": "FEMALE", "female": "FEMALE", "lady": "FEMALE",
    "daughter": "FEMALE", "boy": "MALE", "man": "MALE", "male": "MALE", "gentleman": "MALE",
    "son": "MALE", "infant": None, "child": None, "toddler": None, "baby": None,
    "newborn": None, "neonate": None, "patient": None, "proband": None, "individual": None,
    "adolescent": None, "teenager": None, "adult": None, "person": None, "subject": None,
}  # fmt: skip
#: relatives: a phrase about one is not about the patient
_RELATIVES = (
    "mother|father|brother|sister|sibling|siblings|sib|twin|cousin|aunt|uncle|grandmother|"
    "grandfather|grandparent|parent|parents|niece|nephew|husband|wife|spouse|half-brother|"
    "half-sister|stepbrother|stepsister"
)
_PLURAL = {"girls", "boys", "women", "men", "females", "males", "children", "patients"}
_WORD = r"[A-Za-z][A-Za-z'-]*"
#: "3-year-old", "18 months old", "six-year-old", "6 yo", "6 y/o"
_AGE_OLD = re.compile(
    rf"\b{_NUMBER}[\s-]*(year|yr|month|mo|week|wk|day)s?[\s-]+old\b|\b(\d{{1,3}})\s*(?:yo|y/o|y\.o\.)(?![A-Za-z])",
    re.IGNORECASE,
)
#: "aged 6 years", "aged 18 months"
_AGED = re.compile(rf"\baged\s+{_NUMBER}\s*(year|yr|month|mo|week|wk|day)s?\b", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\b(?:his|her|their|its|whose|patient's|proband's)\s*$", re.IGNORECASE)
#: "a girl", "this boy", "the female patient", "an affected male"
_ARTICLE_PERSON = re.compile(
    rf"\b(?:a|an|the|this|our|one)\s+(?:{_WORD}\s+){{0,2}}?(girl|boy|woman|man|female|male|lady|gentleman)\b(?!\s*(?:{_RELATIVES})\b)(?!-)",
    re.IGNORECASE,
)
#: "the first son of", "a daughter of": the patient named as a child of the parents
_CHILD_OF = re.compile(
    rf"\b(?:the|a|an)\s+(?:{_WORD}\s+){{0,2}}?(son|daughter)\s+(?:of|born)\b", re.IGNORECASE
)
#: the patient's karyotype, "46,XY" or "46, XX"
_KARYOTYPE = re.compile(r"\b46\s*,\s*(XX|XY)\b")
#: "her brother, a", "the mother (a": a relative named just before, in apposition
_RELATIVE_BEFORE = re.compile(rf"\b(?:{_RELATIVES})\s*[,(]\s*(?:a|an)?\s*$", re.IGNORECASE)
#: "she is 4 years old", "the patient was 7 months old"
_IS_OLD = re.compile(
    rf"\b(she|he|the patient|the proband|the child|the girl|the boy)\s+(?:is|was)\s+(?:now\s+)?"
    rf"{_NUMBER}[\s-]*(year|yr|month|mo|week|wk|day)s?[\s-]+old\b",
    re.IGNORECASE,
)
_PRONOUN_SEX = {"she": "FEMALE", "he": "MALE", "the girl": "FEMALE", "the boy": "MALE"}


@dataclass(frozen=True)
class StatedDemographics:
    """What a text says of the patient: ``sex`` ``MALE`` or ``FEMALE`` and ``age_years``,
    each with the words it was read from (None: not stated)."""

    sex: str | None = None
    sex_text: str | None = None
    age_years: float | None = None
    age_text: str | None = None


def _years(number: str, unit: str) -> float | None:
    value = _NUMBERS.get(number.lower())
    if value is None:
        try:
            value = float(number)
        except ValueError:
            return None
    unit = _UNIT.get(unit.lower(), unit.lower())
    years = value * _YEARS_PER[unit]
    return years if years <= MAX_YEARS else None


def _noun_after(text: str, end: int) -> tuple[str, int] | None:
    """The person noun within three words after ``end`` (and where it ends), if any; None
    when the first such noun is a relative or a plural."""
    window = text[end : end + 80]
    for m in re.finditer(_WORD, window):
        word = m.group(0).lower()
        if word in _PERSON:
            return word, end + m.end()
        if re.fullmatch(_RELATIVES, word) or word in _PLURAL:
            return None
        if len(window[: m.start()].split()) >= 3 or "." in window[: m.start()]:
            return None
    return None


def read_demographics(text: str) -> StatedDemographics:
    """The patient's sex and age stated in ``text`` (see the module's docstring)."""
    sex: tuple[int, str, str] | None = None  # (where, sex, words)
    age: tuple[int, float, str] | None = None
    for m in _AGE_OLD.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        if _POSSESSIVE.search(before) or _RELATIVE_BEFORE.search(before):
            continue  # "her 10-year-old son", "her brother, a 5-year-old boy": a relative
        noun = _noun_after(text, m.end())
        if noun is None:
            continue
        number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), "year")
        years = _years(number, unit)
        if years is None:
            continue
        word, end = noun
        if age is None:
            age = (m.start(), years, m.group(0))
        if sex is None and _PERSON[word] is not None:
            sex = (m.start(), str(_PERSON[word]), text[m.start() : end])
        break
    if age is None:
        for m in _IS_OLD.finditer(text):
            years = _years(m.group(2), m.group(3))
            if years is not None:
                age = (m.start(), years, m.group(0))
                said = _PRONOUN_SEX.get(m.group(1).lower())
                if sex is None and said is not None:
                    sex = (m.start(), said, m.group(0))
                break
    if age is None:
        for m in _AGED.finditer(text):
            words = text[max(0, m.start() - 40) : m.start()].lower().split()
            if any(w.strip(",") in _PERSON for w in words[-4:]):
                years = _years(m.group(1), m.group(2))
                if years is not None:
                    age = (m.start(), years, m.group(0))
                    break
    for pattern in (_ARTICLE_PERSON, _CHILD_OF):
        found = pattern.search(text)
        if found is None or (sex is not None and sex[0] <= found.end()):
            continue  # the patient's age phrase (or another phrase) named the sex first
        sex = (found.start(), str(_PERSON[found.group(1).lower()]), found.group(0))
    if sex is None and (karyotype := _KARYOTYPE.search(text)) is not None:
        said = "MALE" if karyotype.group(1) == "XY" else "FEMALE"
        sex = (karyotype.start(), said, karyotype.group(0))
    return StatedDemographics(
        sex=sex[1] if sex else None,
        sex_text=sex[2] if sex else None,
        age_years=round(age[1], 4) if age else None,
        age_text=age[2] if age else None,
    )
