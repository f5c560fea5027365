"""The onset a clinical text states: "presented at the age of 3 years with", "presented as an
infant with", "onset was in childhood".

The prior weighs a patient's onset against the onset annotations of each disease
(:mod:`kg.rules.likelihood`); structured input gives it as a field. :func:`read_onset` reads
it from the phrasings that state it: the age or period at which the patient *presented*,
an explicit *onset*, and the age or period *since* which a finding has been there ("impaired
vision since age 4", "weakness since early childhood"; not after "free", "no", "without" or a
treatment: "seizure-free since the age of 8"). An age becomes its HPO onset class
(:func:`kg.rules.onset.onset_class_of_age`); a period names one ("as an infant": *Infantile
onset*). Of several statements the earliest onset counts: a disease begins with its first
finding ("weakness since early childhood ... scoliosis since the age of 13 years"). Other
ages in a text (at examination, at a test) say nothing of the onset and are not read, nor is
a statement about a relative ("his brother has had seizures since infancy": the family scope
of :mod:`encoders.negation`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from encoders.negation import ContextRules
from encoders.normalize import scan
from kg.namespaces import OBO
from kg.rules.onset import ANTENATAL_ONSET, CONGENITAL_ONSET, ONSET_YEARS, onset_class_of_age

__all__ = ["StatedOnset", "read_onset"]

_NEONATAL, _INFANTILE, _CHILDHOOD = OBO + "HP_0003623", OBO + "HP_0003593", OBO + "HP_0011463"
_JUVENILE, _ADULT = OBO + "HP_0003621", OBO + "HP_0003581"

#: Periods of life -> their onset class.
PERIODS: dict[str, str] = {
    "at birth": CONGENITAL_ONSET,
    "congenitally": CONGENITAL_ONSET,
    "as a newborn": _NEONATAL,
    "as a neonate": _NEONATAL,
    "in the neonatal period": _NEONATAL,
    "as an infant": _INFANTILE,
    "in infancy": _INFANTILE,
    "in early infancy": _INFANTILE,
    "in childhood": _CHILDHOOD,
    "in early childhood": _CHILDHOOD,
    "as a child": _CHILDHOOD,
    "as a toddler": _CHILDHOOD,
    "as an adolescent": _JUVENILE,
    "in adolescence": _JUVENILE,
    "in adulthood": _ADULT,
    "as an adult": _ADULT,
    "in the fetal period": ANTENATAL_ONSET,
    "prenatally": ANTENATAL_ONSET,
    "antenatally": ANTENATAL_ONSET,
}
_YEARS_PER = {"year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25}
#: Oldest age read as an onset; a larger number is no age ("presented at the age of 9999").
MAX_YEARS = 130.0
_AGE = r"(\d+(?:\.\d+)?)[\s-]*(year|month|week|day)s?"
_AGES = rf"{_AGE}(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+){_AGE})*"
_PERIODS = "|".join(
    re.escape(p).replace(r"\ ", r"\s+") for p in sorted(PERIODS, key=len, reverse=True)
)
_WHEN = (
    rf"(?:at\s+(?:the\s+)?age\s+(?:of\s+)?(?P<age>{_AGES})"
    rf"|at\s+(?P<age_of>{_AGES})\s+of\s+age"
    rf"|(?P<period>{_PERIODS}))"
)
# "presented", "onset (was)", "symptoms began/started", then the age or period. Each run of
# spaces is one quantifier's: two side by side ("onset\s+" then "\s*") try every split of a
# run before they fail ("onset" and 100,000 spaces took minutes).
_ONSET_RE = re.compile(
    rf"\b(?:presented\s*|(?:onset(?:\s+was)?|symptoms\s+(?:began|started))\s+){_WHEN}(?![\w-])",
    re.IGNORECASE,
)

#: Periods after "since" -> their onset class.
SINCE_PERIODS: dict[str, str] = {
    "birth": CONGENITAL_ONSET,
    "the neonatal period": _NEONATAL,
    "infancy": _INFANTILE,
    "early infancy": _INFANTILE,
    "childhood": _CHILDHOOD,
    "early childhood": _CHILDHOOD,
    "the childhood": _CHILDHOOD,
    "adolescence": _JUVENILE,
}
_SINCE_PERIODS = "|".join(
    re.escape(p).replace(r"\ ", r"\s+") for p in sorted(SINCE_PERIODS, key=len, reverse=True)
)
_SINCE_RE = re.compile(
    rf"\bsince\s+(?:(?:the\s+)?age\s+(?:of\s+)?(?P<bare>\d+(?:\.\d+)?)(?!\d|\.\d)"
    rf"(?:[\s-]*(?P<unit>year|month|week|day)s?)?"
    rf"|(?P<age_of>{_AGES})\s+of\s+age"
    rf"|(?P<period>{_SINCE_PERIODS}))(?![\w-])",
    re.IGNORECASE,
)
#: Words shortly before "since" that make it a time free of the finding or under treatment.
_NOT_SINCE_RE = re.compile(
    r"\b(?:free|no|not|none|without|stable|treated|treatment|therapy|on|taking|receiving)\b"
    r"[^.;:]{0,30}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StatedOnset:
    """An onset stated in a text.

    Attributes:
        start: offset of the statement in the text.
        end: offset one past its end.
        iri: IRI of the HPO onset class it states.
        text: the statement as written.
    """

    start: int
    end: int
    iri: str
    text: str


def _years(ages: str) -> float:
    return sum(float(n) * _YEARS_PER[u.lower()] for n, u in re.findall(_AGE, ages, re.I))


def _class_of(years: float) -> str | None:
    """The onset class of an age; None for no human age (beyond :data:`MAX_YEARS`)."""
    return onset_class_of_age(years) if 0.0 <= years <= MAX_YEARS else None


def _statements(text: str) -> list[StatedOnset]:
    out = []
    for match in _ONSET_RE.finditer(text):
        if match["period"]:
            iri: str | None = PERIODS[" ".join(match["period"].lower().split())]
        else:
            iri = _class_of(_years(match["age"] or match["age_of"]))
        if iri is not None:
            out.append(StatedOnset(match.start(), match.end(), iri, match.group(0)))
    for match in _SINCE_RE.finditer(text):
        if _NOT_SINCE_RE.search(text, max(0, match.start() - 40), match.start()):
            continue
        if match["period"]:
            iri = SINCE_PERIODS[" ".join(match["period"].lower().split())]
        elif match["age_of"]:
            iri = _class_of(_years(match["age_of"]))
        else:  # "since age 4": years unless a unit says otherwise
            unit = (match["unit"] or "year").lower()
            iri = _class_of(float(match["bare"]) * _YEARS_PER[unit])
        if iri is not None:
            out.append(StatedOnset(match.start(), match.end(), iri, match.group(0)))
    return out


def read_onset(text: str) -> StatedOnset | None:
    """The earliest onset the text states (the first statement of it), or None.

    Args:
        text: a clinical text.
    """
    statements = _statements(text)
    if statements:
        statements = _of_the_patient(text, statements)
    if not statements:
        return None
    return min(statements, key=lambda s: (*_span(s.iri), s.start))


@lru_cache(maxsize=1)
def _context_rules() -> ContextRules:
    return ContextRules()


def _of_the_patient(text: str, statements: list[StatedOnset]) -> list[StatedOnset]:
    """The statements not made about a relative (outside every family scope)."""
    tokens = scan(text)
    starts = tokens.starts
    spans = []
    for s in statements:
        i = bisect.bisect_left(starts, s.start)
        j = max(i + 1, bisect.bisect_left(starts, s.end))
        spans.append((i, min(j, len(starts))))
    results = _context_rules().analyze(tokens, spans)
    return [s for s, ctx in zip(statements, results, strict=True) if not ctx.family]


def _span(iri: str) -> tuple[float, float]:
    """An onset class's ages in years, an open end as infinity (a congenital onset, 0-0,
    comes before a neonatal one, 0-28 days)."""
    low, high = ONSET_YEARS[iri]
    return low, float("inf") if high is None else high
