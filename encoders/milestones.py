"""Developmental milestones stated with the age they were reached: "walked at 22 months",
"sat unsupported at 15 months", "said his first words at 3 years".

Case reports give a child's development as ages, and curators turn a late one into its HPO
term (*Delayed ability to walk* for "walked at 3 years"); a dictionary finds no name there.
:func:`read_milestones` reads such statements and gives the term when the age is past the
milestone's window:

=======================  ==========================================  ==================
milestone                phrasings (then ``at``/``after`` an age)    delayed from
=======================  ==========================================  ==================
head control             head control, held his head up              6 months
rolling over             rolled over                                 8 months
sitting without support  sat, sitting (unsupported, alone ...)       10 months
crawling                 crawled                                     14 months
walking with support     cruised, walked with support / a walker     15 months
standing alone           stood alone / independently / unsupported   17 months
walking alone            walked, first steps, started walking        18 months
first words              first words, said "mama", started saying    18 months
talking                  talked, spoke, started to talk              24 months
=======================  ==========================================  ==================

The motor windows are the WHO Multicentre Growth Reference Study's (the age by which 99% of
healthy children reach each milestone: sitting 9.2, standing alone 16.9, walking alone 17.6,
walking with assistance 13.7, hands-and-knees crawling 13.5 months), rounded up; head
control and rolling over follow the usual clinical red flags (no head control at 4-6 months,
no rolling by 6-7 months), words the AAP's (no single words by 16-18 months). A stated age
below the bound says nothing here (a normal milestone is no finding), nor does an age given
with ``by`` (an upper bound), nor a loss ("stopped walking at 3 years", "lost the ability to
sit at 2 years"), nor sentences or phrases ("spoke in sentences at 3 years": a later
milestone than first words). "Did not walk until 3 years" is read as walking at 3 years.

The reader knows nothing of context: the linker (:mod:`encoders.linker`) marks a relative's
milestone ("his brother walked at 2 years") as it does for named findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["MILESTONES", "Milestone", "StatedMilestone", "read_milestones"]


@dataclass(frozen=True)
class Milestone:
    """A developmental milestone: its name, the words that state it was reached (a
    case-insensitive regular expression ending where the age may follow), the age in months
    from which it is delayed, and the HPO term that a delay gives."""

    name: str
    pattern: str
    delayed_from: float
    curie: str


_PRONOUN = r"(?:his|her|their|the\s+child's|the\s+patient's)"
_ALONE = (
    r"(?:\s+(?:independently|alone|unaided|unassisted|unsupported|without\s+(?:support|aid|"
    r"help|assistance)|on\s+(?:his|her|their)\s+own|by\s+(?:him|her|them)sel(?:f|ves)|"
    r"upright|independent))?"
)
_SUPPORTED = (
    r"\s+with\s+(?:(?:some|a\s+little|minimal|bilateral)\s+)?(?:support|aid|aids|help|"
    r"assistance|a\s+(?:walker|walking\s+frame|frame|rollator))"
)
_BEGAN = (
    r"(?:(?:start(?:ed)?|began|begun|learn(?:ed|t)|was\s+able|were\s+able|became\s+able)"
    r"\s+to\s+|(?:start(?:ed)?|began)\s+)?"
)
_FIRST_WORDS = rf"(?:{_PRONOUN}\s+)?(?:first|1st)\s+(?:single\s+|meaningful\s+|spoken\s+)?words?"
_BABY_WORDS = r"(?:mama|mamma|mommy|mom|mum|dada|daddy|papa|baba)"

#: The milestones read, in order of precedence where their words overlap (walking with
#: support before walking alone).
MILESTONES: tuple[Milestone, ...] = (
    Milestone(
        "head control",
        rf"(?:(?:achieved|attained|gained|acquired|had|developed|showed)\s+)?(?:full\s+|good\s+)?"
        rf"head\s+(?:control|holding)(?:\s+(?:was\s+)?(?:achieved|attained|gained|acquired))?"
        rf"|(?:held|holding|hold|lifted|raised)\s+(?:up\s+)?{_PRONOUN}\s+head(?:\s+up)?"
        rf"(?:\s+(?:steadily|well|steady))?",
        6.0,
        "HP:0002421",
    ),
    Milestone("rolling over", rf"{_BEGAN}(?:rolled|roll|rolling)\s+over", 8.0, "HP:0032989"),
    Milestone(
        "walking with support",
        rf"{_BEGAN}(?:walked|walk|walking|ambulated|ambulate|ambulating){_SUPPORTED}"
        rf"|{_BEGAN}(?:cruised|cruise|cruising)(?:\s+(?:along|around)\s+(?:the\s+)?furniture)?",
        15.0,
        "HP:0033257",
    ),
    Milestone(
        "sitting without support",
        rf"{_BEGAN}(?:sat|sit|sitting)(?:\s+up)?{_ALONE}"
        rf"|(?:independent|unsupported|unassisted)\s+sitting(?:\s+(?:was\s+)?"
        rf"(?:achieved|attained|acquired))?",
        10.0,
        "HP:0025336",
    ),
    Milestone("crawling", rf"{_BEGAN}(?:crawled|crawl|crawling)", 14.0, "HP:0033128"),
    Milestone(
        "standing alone",
        rf"{_BEGAN}(?:stood|stand|standing)(?:\s+up)?\s+(?:independently|alone|unaided|"
        rf"unsupported|without\s+support|on\s+(?:his|her|their)\s+own)"
        rf"|(?:independent|unsupported)\s+standing(?:\s+(?:was\s+)?(?:achieved|attained))?",
        17.0,
        "HP:0025335",
    ),
    Milestone(
        "walking alone",
        rf"{_BEGAN}(?:walked|walk|walking|ambulated|ambulate|ambulating){_ALONE}"
        rf"|(?:independent|unsupported|unaided)\s+(?:walking|ambulation)"
        rf"(?:\s+(?:was\s+)?(?:achieved|attained|acquired))?"
        rf"|(?:took|take|taking)\s+{_PRONOUN}\s+first\s+(?:independent\s+)?steps"
        rf"|(?:{_PRONOUN}\s+)?first\s+(?:independent\s+)?steps(?:\s+were(?:\s+taken)?)?",
        18.0,
        "HP:0031936",
    ),
    Milestone(
        "first words",
        rf"(?:said|spoke|uttered|say|saying|speak|speaking|started\s+saying|began\s+saying|"
        rf"started\s+to\s+say|began\s+to\s+say|produced)\s+{_FIRST_WORDS}"
        rf"|{_FIRST_WORDS}(?:\s+(?:were|was)(?:\s+(?:spoken|said|produced|uttered))?)?"
        rf"|(?:said|saying|say|started\s+saying|began\s+saying|started\s+to\s+say|began\s+to\s+say)"
        rf"\s+(?:(?:some|a\s+few|single|his|her|the)\s+)?(?:words?|{_BABY_WORDS}"
        rf"(?:(?:\s*,\s*|\s+and\s+|\s+or\s+){_BABY_WORDS})*)",
        18.0,
        "HP:0000750",
    ),
    Milestone(
        "talking",
        r"(?:(?:start(?:ed)?|began|begun|learn(?:ed|t)|was\s+able|became\s+able)\s+to\s+"
        r"(?:talk|speak)|(?:start(?:ed)?|began)\s+(?:talking|speaking)|talked|spoke"
        r"|(?:talk|speak)(?=\s+(?:until|till)\b))",
        24.0,
        "HP:0000750",
    ),
)

_UNITS_WORDS = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
#: Ages in words, one to thirty-six ("two", "eighteen", "twenty-two", "thirty six").
_NUMBER_WORDS = {word: n for n, word in enumerate(_UNITS_WORDS, start=1)} | {
    f"{tens}{joint}{unit}".strip(): base + n
    for tens, base in (("twenty", 20), ("thirty", 30))
    for n, unit in enumerate(("", *_UNITS_WORDS[:9]))
    for joint in (("",) if not unit else ("-", " "))
    if base + n <= 36
}
_NUMBER = r"\d{1,3}(?:\.\d+)?|" + "|".join(
    re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_NUMBER_WORDS, key=len, reverse=True)
)
#: An age: "22 months", "2 years", "2.5 years", "2 1/2 years", "2 and a half years", "1 year
#: and 6 months", "18-month", "age 2" (years: the unit may be left out after "age"); a
#: referral's "18/12" (months) and "6/52" (weeks; since linking version 54).
_AGE = (
    rf"(?P<n>{_NUMBER})(?:\s*(?P<half>\u00bd)|\s+(?P<half2>1/2|and\s+a\s+half))?"
    rf"(?:[\s-]*(?P<unit>years?|yrs?|y|months?|mos?|weeks?|wks?|days?|/12|/52)(?![A-Za-z\d/])"
    rf"(?:\s*(?:,\s*)?(?:and\s+)?(?P<more>{_NUMBER})[\s-]*(?:months?|mos?)(?![A-Za-z]))?)?"
)
#: What joins a milestone's words to its age: "at", "at the age of", "at about", "after",
#: "only at", "not until"; a parent's "until he was", "when she turned" (since linking
#: version 54).
#: A child's age said as a parent says it ("until he was", "when she turned"), whose bare
#: number is years ("until he was 2").
_CHILD_WAS = r"(?:was|were|turned)"
_CHILD = rf"(?:he|she|they)\s+{_CHILD_WAS}"
_WHEN = (
    rf"(?P<when>(?:(?:only\s+|not\s+)?(?:at|around|after|until|till)(?:\s+{_CHILD})?"
    rf"|when\s+{_CHILD})"
    r"(?:\s+(?:about|around|approximately|roughly|almost|nearly|over|the\s+age\s+of|"
    r"an\s+age\s+of|age|aged))*)"
)
_OF_AGE = r"(?:\s+(?:of\s+age|old))?"
_CHILD_WAS_RE = re.compile(rf"\b{_CHILD_WAS}\b")
#: After a bare number: a range or a unit the reader does not take ("at age 6-8 months", "at
#: age 3 to 4 months", "at age 6 m"): no age read.
_NOT_BARE_RE = re.compile(r"\s*(?:[-\u2013/]|to\b|or\b|m\b|\d)", re.IGNORECASE)
#: After an age: a duration, not an age ("walked after 2 years of physiotherapy").
_DURATION_RE = re.compile(r"\s+of\b", re.IGNORECASE)
#: Right before the words: a state at that age, not the age the milestone was reached ("he
#: was walking at 2 years", "he can walk at 5 years").
_STATE_RE = re.compile(r"\b(?:was|were|is|are|can|could)\s+$", re.IGNORECASE)
#: Walking alone said to be with support after its age ("walked at 2 years with support").
_SUPPORT_AFTER_RE = re.compile(
    _SUPPORTED.replace("\\s+with", "\\s*(?:,\\s*)?with", 1), re.IGNORECASE
)
#: Words that say the milestone was lost or not reached, up to four words before its own
#: ("lost the ability to walk at", "stopped walking at", "was unable to sit at"); a
#: conjunction or a comma ends their reach ("never crawled and started to walk at").
_LOST_RE = re.compile(
    r"\b(?:stopped|lost|loss|losing|ceased|regressed|no\s+longer|unable|inability|"
    r"not\s+able|couldn['\u2019]t|could\s+not|cannot|can['\u2019]t|never|difficulty|difficulties|problems?|"
    r"trouble|impaired|deteriorated|still\s+not|not\s+yet)"
    r"(?:\s+(?!and\b|but\b|or\b)[\w'-]+){0,4}\s*$",
    re.IGNORECASE,
)
#: "Did not walk until": a late milestone, the age after "until".
_NOT_UNTIL_RE = re.compile(
    r"\b(?:did\s+not|didn['\u2019]t|was\s+not\s+able\s+to|wasn['\u2019]t\s+able\s+to|"
    r"could\s+not|couldn['\u2019]t|not\s+able\s+to|unable\s+to)\s*$",
    re.IGNORECASE,
)
#: An age said to be short of its number ("at nearly 18 months": not yet 18).
_SHORT_OF_RE = re.compile(r"\b(?:nearly|almost)\b")
#: How far before a milestone's words the clause is searched for a loss (characters).
_LOOKBACK = 80
#: The oldest age read; a larger number is no age of a milestone.
MAX_MONTHS = 18 * 12.0


@dataclass(frozen=True)
class StatedMilestone:
    """A milestone the text says was reached late.

    Attributes:
        start, end: character span of the statement (its words and its age).
        curie: the HPO term of the delay.
        milestone: the milestone's name.
        months: the age it was reached, in months.
        statement: the stated age as written (``at 22 months``).
    """

    start: int
    end: int
    curie: str
    milestone: str
    months: float
    statement: str


_DAYS_PER_MONTH = 365.25 / 12


def _number(text: str) -> float:
    word = " ".join(text.lower().split())
    return float(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else float(text)


def _months(match: re.Match[str], when: str) -> float | None:
    """The age of a statement in months, or None where it states none or is out of range."""
    number, half, half2, unit, more = match.group("n", "half", "half2", "unit", "more")
    value = _number(number) + (0.5 if half or half2 else 0.0)
    if unit is None:
        if not when.endswith(("age", "aged", "age of")) and not _CHILD_WAS_RE.search(when):
            return None  # "walked at 2": no unit, no age ("until he was 2": years)
        if _NOT_BARE_RE.match(match.string, match.end("age")):
            return None  # "at age 6-8 months": a range, or a unit not read
        unit = "years"
    unit = {"/12": "months", "/52": "weeks"}.get(unit, unit.lower())
    if unit.startswith("y"):
        months = value * 12.0
    elif unit.startswith("w"):
        months = value * 7 / _DAYS_PER_MONTH
    elif unit.startswith("d"):
        months = value / _DAYS_PER_MONTH
    else:
        months = value
    if more:
        months += _number(more)
    return months if 0.0 < months <= MAX_MONTHS else None


_WALKING_ALONE = next(m for m in MILESTONES if m.name == "walking alone")
_WALKING_SUPPORTED = next(m for m in MILESTONES if m.name == "walking with support")
_STATEMENT_RES = tuple(
    (
        milestone,
        re.compile(
            rf"\b(?P<words>{milestone.pattern})\s+{_WHEN}\s+(?:the\s+)?(?P<age>{_AGE}){_OF_AGE}",
            re.IGNORECASE,
        ),
    )
    for milestone in MILESTONES
)


def read_milestones(text: str) -> Iterator[StatedMilestone]:
    """Each milestone ``text`` says was reached past its window, in the text's order; one
    statement gives at most one milestone (the first of :data:`MILESTONES` whose words it
    holds)."""
    found: list[StatedMilestone] = []
    taken: list[tuple[int, int]] = []
    for milestone, pattern in _STATEMENT_RES:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(a < end and start < b for a, b in taken):
                continue
            when = re.sub(r"\s+", " ", match.group("when").lower())
            before = text[max(0, start - _LOOKBACK) : start]
            not_until = "until" in when or "till" in when
            if not_until and not (_NOT_UNTIL_RE.search(before) or when.startswith("not")):
                continue
            if not not_until and (_LOST_RE.search(before) or _STATE_RE.search(before)):
                continue
            if _DURATION_RE.match(text, end):
                continue  # "after 2 years of physiotherapy"
            months = _months(match, when)
            if months is not None and _SHORT_OF_RE.search(when):
                months -= 0.5  # "at nearly 18 months": not yet 18
            if months is None or months < milestone.delayed_from:
                continue
            if milestone is _WALKING_ALONE and _SUPPORT_AFTER_RE.match(text, end):
                milestone = _WALKING_SUPPORTED  # "walked at 2 years with support"
                if months < milestone.delayed_from:
                    continue
            taken.append((start, end))
            statement = text[match.start("when") : end]
            found.append(
                StatedMilestone(start, end, milestone.curie, milestone.name, months, statement)
            )
    found.sort(key=lambda m: m.start)
    yield from found
