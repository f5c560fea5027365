"""A birth stated with its gestational age: "delivered at 31 weeks", "born at 34+2 weeks".

Case reports give a preterm birth as the week the child was born in more often than by the
word: "Premature labor occurred and delivery took place at a gestational age of 35 weeks".
:func:`read_preterm_births` reads a birth (born, delivered, delivery, birth) stated at
fewer than 37 completed weeks as *Premature birth*, a phrase for the linker's dictionary.
A week stated without a birth ("at 20 weeks' gestation, a scan showed ...") is the
pregnancy's, and reads nothing; so is a birth at term. The linker reads them with its
``measurements`` setting (``--measurements``), off by default: on the dev vignettes the one
case it changed fell a place, and ID-68's annotators left preterm births out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["PretermBirth", "read_preterm_births"]

#: Completed weeks below which a birth is preterm (WHO).
TERM_WEEKS = 37


@dataclass(frozen=True)
class PretermBirth:
    """A birth before term.

    Attributes:
        start: offset of its first word in the text.
        end: offset one past its last.
        weeks: the completed weeks of gestation stated.
        phrase: the finding, for the linker's dictionary ("premature birth").
    """

    start: int
    end: int
    weeks: int
    phrase: str = "premature birth"


_BIRTH_RE = re.compile(
    r"\b(?:born|delivered|delivery|birth)\b"
    r"(?P<gap>[^.;:\n\d]{0,40}?)"
    r"\b(?:at|after)\s+(?:(?:a\s+)?(?:gestational\s+age|GA)\s+(?:of\s+)?)?"
    r"(?P<weeks>\d{2})(?:\s*(?:\+|and)\s*\d(?:/7)?(?:\s*days?)?)?"
    r"\s*(?:completed\s+)?(?:weeks?|wks?|/\s*40)\b",
    re.IGNORECASE,
)


def read_preterm_births(text: str) -> Iterator[PretermBirth]:
    """The births ``text`` states at fewer than :data:`TERM_WEEKS` weeks, in text order."""
    lowered = text.lower()
    if "week" not in lowered and "wk" not in lowered and "/40" not in lowered:
        return  # a substring test first: most texts state no week
    for match in _BIRTH_RE.finditer(text):
        weeks = int(match["weeks"])
        if 20 <= weeks < TERM_WEEKS:
            yield PretermBirth(match.start(), match.end(), weeks)
