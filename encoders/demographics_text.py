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
#: a note that opens with its patient without an article (since linking version 48): "Male
#: infant with ...", "Newborn girl with ...", "Teenage boy (15 y)"
_OPENING_SEX_FIRST = re.compile(
    r"\A\W*(male|female)\s+(?:infant|newborn|neonate|child|toddler|baby|adolescent|teenager"
    r"|patient)\b",
    re.IGNORECASE,
)
_OPENING_SEX_LAST = re.compile(
    r"\A\W*(?:newborn|infant|baby|teenage|adolescent|young|preterm|term)\s+(girl|boy)\b",
    re.IGNORECASE,
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
_UNITS = r"(years?|yrs?|y|months?|mo|weeks?|wks?|days?)"
#: a note's header fields: "Age: 6 years", "Age: 18 months", "Sex: F", "Gender: male"
_HEADER_AGE = re.compile(rf"\bage\s*[:=]\s*{_NUMBER}\s*{_UNITS}?(?![A-Za-z])", re.IGNORECASE)
_HEADER_SEX = re.compile(
    r"\b(?:sex|gender)\s*[:=]\s*(male|female|m|f|boy|girl|man|woman)(?![A-Za-z])", re.IGNORECASE
)
_HEADER_SEXES = {"m": "MALE", "f": "FEMALE"}
#: the person noun first, then the age: "Boy, 6 years, with ...", "girl, 18 months old"
_PERSON_THEN_AGE = re.compile(
    rf"\b({'|'.join(_PERSON)})\s*[,(]\s*(?:aged\s+|now\s+)?{_NUMBER}[\s-]*{_UNITS}(?![A-Za-z])"
    r"(?!\s+of\s+age)",
    re.IGNORECASE,
)
#: the age first, then the sex after a comma, as a letter's header writes them: "Re: G,
#: 16 years, female", "J, 11 months, male", "S, 7 months, girl", "age 3 years 2 months, F"
_AGE_THEN_PERSON = re.compile(
    rf"\b{_NUMBER}\s*{_UNITS}(?:\s+{_NUMBER}\s*{_UNITS})?\s*,\s*"
    r"(male|female|girl|boy|man|woman|m|f)(?![A-Za-z])",
    re.IGNORECASE,
)
#: "a boy 6 years of age", "the patient, now 12 years of age" (not "at 6 years of age")
_OF_AGE = re.compile(rf"\b{_NUMBER}[\s-]*{_UNITS}\s+of\s+age\b", re.IGNORECASE)
_EVENT_BEFORE = re.compile(
    r"\b(?:at|since|from|by|until|till|before|after|about|around|between|to|and|or)\s*$",
    re.IGNORECASE,
)
#: a note that opens with its patient's age and sex: "45M with chest pain", "3 yo F"
#: ("45 M" is not read: "1 M NaCl")
_SHORTHAND = re.compile(r"\A\W*(\d{1,3})(?:\s*(?:y|yo|y/o|yrs?)\s*)?([MF])(?![A-Za-z0-9])")


@dataclass(frozen=True)
class StatedDemographics:
    """What a text says of the patient: ``sex`` ``MALE`` or ``FEMALE`` and ``age_years``,
    each with the words it was read from (None: not stated)."""

    sex: str | None = None
    sex_text: str | None = None
    age_years: float | None = None
    age_text: str | None = None


def _years(number: str, unit: str | None) -> float | None:
    value = _NUMBERS.get(number.lower())
    if value is None:
        try:
            value = float(number)
        except ValueError:
            return None
    unit = (unit or "year").lower().rstrip("s")  # "years", "yrs": the singular
    unit = _UNIT.get(unit, unit)
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


def _age_in_other_forms(
    text: str,
) -> tuple[tuple[int, float, str] | None, tuple[int, str, str] | None]:
    """The patient's age (and the sex said with it) in the forms read after the phrasings
    above: a note opening with its age and sex ("45M ..."), a header field ("Age: 6
    years"), the person noun first ("Boy, 6 years, ..."), "a boy 6 years of age"."""
    if (m := _SHORTHAND.search(text)) is not None and (years := _years(m.group(1), None)):
        sex = "MALE" if m.group(2) == "M" else "FEMALE"
        return (m.start(1), years, m.group(0).strip()), (m.start(1), sex, m.group(0).strip())
    if (m := _HEADER_AGE.search(text)) is not None and (
        years := _years(m.group(1), m.group(2))
    ) is not None:
        return (m.start(), years, m.group(0).strip()), None
    for m in _PERSON_THEN_AGE.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        years = _years(m.group(2), m.group(3))
        if years is None or _POSSESSIVE.search(before) or _RELATIVE_BEFORE.search(before):
            continue  # "her son, 6 years": a relative
        said = _PERSON[m.group(1).lower()]
        return (m.start(), years, m.group(0)), (
            (m.start(), said, m.group(0)) if said is not None else None
        )
    for m in _AGE_THEN_PERSON.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        if _POSSESSIVE.search(before) or _RELATIVE_BEFORE.search(before):
            continue  # "her brother, 16 years, male": a relative
        if _EVENT_BEFORE.search(before):
            continue  # "at 3 years, male ..." is no header
        years = _years(m.group(1), m.group(2))
        if years is None:
            continue
        if m.group(3) is not None:
            more = _years(m.group(3), m.group(4))
            years = years + more if more is not None else years
        word = m.group(5).lower()
        said = _PERSON.get(word) or _HEADER_SEXES.get(word)
        return (m.start(), years, m.group(0)), (
            (m.start(), said, m.group(0)) if said is not None else None
        )
    for m in _OF_AGE.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        words = [w.strip(",()").lower() for w in before.split()[-4:]]
        if _EVENT_BEFORE.search(before) or not any(w in _PERSON for w in words):
            continue  # "at 6 years of age she ...": an age at an event
        if _POSSESSIVE.search(before) or any(re.fullmatch(_RELATIVES, w) for w in words):
            continue
        years = _years(m.group(1), m.group(2))
        if years is not None:
            return (m.start(), years, m.group(0)), None
    return None, None


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
            words = [w.strip(",") for w in text[max(0, m.start() - 40) : m.start()].lower().split()]
            persons = [k for k in range(max(0, len(words) - 4), len(words)) if words[k] in _PERSON]
            if not persons:
                continue
            k = persons[-1]
            if _POSSESSIVE.search(" ".join(words[:k])):
                continue  # "her son aged 6 years": a relative
            years = _years(m.group(1), m.group(2))
            if years is not None:
                age = (m.start(), years, m.group(0))
                said = _PERSON[words[k]]  # "Boy aged 18 months": the person's sex too
                if sex is None and said is not None:
                    sex = (m.start(), str(said), f"{words[k]} {m.group(0)}")
                break
    if age is None:
        age, said_sex = _age_in_other_forms(text)
        if sex is None and said_sex is not None:
            sex = said_sex
    for pattern in (_ARTICLE_PERSON, _CHILD_OF, _OPENING_SEX_FIRST, _OPENING_SEX_LAST):
        found = pattern.search(text)
        if found is None or (sex is not None and sex[0] <= found.end()):
            continue  # the patient's age phrase (or another phrase) named the sex first
        sex = (found.start(), str(_PERSON[found.group(1).lower()]), found.group(0))
    if sex is None and (header := _HEADER_SEX.search(text)) is not None:
        word = header.group(1).lower()
        said = _HEADER_SEXES.get(word) or _PERSON[word]
        sex = (header.start(), str(said), header.group(0))
    if sex is None and (karyotype := _KARYOTYPE.search(text)) is not None:
        said = "MALE" if karyotype.group(1) == "XY" else "FEMALE"
        sex = (karyotype.start(), said, karyotype.group(0))
    return StatedDemographics(
        sex=sex[1] if sex else None,
        sex_text=sex[2] if sex else None,
        age_years=round(age[1], 4) if age else None,
        age_text=age[2] if age else None,
    )
