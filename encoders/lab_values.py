"""Laboratory values stated against their reference range.

Case reports often give a laboratory finding only as numbers: "serum phosphate 0.72 mmol/L
(1.20-1.80 mmol/L)", "PTH 57.0 pmol/L (1.1-6.9 pmol/L)", "alkaline phosphatase of 256
umol/L (normal range 50-150 umol/L)", "CK was 5 times the upper limit of normal".
:func:`read_lab_values` reads a value followed by its range in brackets, or a multiple of the
upper limit of normal, and says whether the value is below or above it. Which analyte it is,
and so which term, is the linker's part (:mod:`encoders.linker`): it reads the words before
the value as "low X" or "high X" against its dictionary, where laboratory names are
indexed that way (:mod:`encoders.normalize`).

A range is ``LOW-HIGH`` (also with an en dash, ``to``, or a label such as ``normal range``,
``reference``, ``N:`` before it), ``< HIGH``, ``> LOW`` or ``MEAN +/- SD`` (read as MEAN +/- 2
SD). It is read only when nothing in the brackets says it is no reference range: a centile,
an SD score or an age after the numbers (``46 cm (5-10th percentile)``), or a unit that
differs from the value's. A value within its range is no finding and is not returned.

Numbers may have a decimal point or comma, or thousands separators (``12,000``). A comma
before three digits reads as a thousands separator unless the number starts ``0,``
(``0,720`` is 0.72) or the range writes a decimal comma (``2,125 mmol/L (2,2-2,6)``:
2.125).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["LabValue", "comparator_before", "read_lab_values", "read_number"]


@dataclass(frozen=True)
class LabValue:
    """A value outside its stated reference range.

    Attributes:
        start: offset of the value in the text.
        end: offset one past the closing bracket of the range.
        value: the value.
        unit: its unit as written ("" when none).
        low: the range's lower bound (None when only an upper one is stated).
        high: the range's upper bound (None when only a lower one is stated).
        direction: ``"low"`` or ``"high"``.
    """

    start: int
    end: int
    value: float
    unit: str
    low: float | None
    high: float | None
    direction: str


_NUM = r"\d+(?:[.,]\d+)*"
_UNIT = r"[^\W\d_][^\s()\[\],;]*|%"
_DASH = r"\s*(?:-|\u2013|\u2014|to)\s*"
# Written so that no two runs of whitespace can share the same spaces (a regular expression
# that can split one run of spaces between two ``\s*`` tries every split before it fails:
# "1 (1-2" and 100,000 spaces took hours). A unit or label starts with no space, so it
# comes with the spaces after it (``\s*(?:UNIT\s*)?``, the same text as ``\s*UNIT?\s*``);
# a label and ``rest`` end with no space (the shortest that match never do: the spaces
# after them are the next ``\s*``'s), and the spaces after the range are all taken
# (``(?!\s)``: fewer leave ``rest`` longer, which never matches where more did). The
# matches and their groups are those of the plain form.
_LAB_VALUE_RE = re.compile(
    rf"(?<![\w.,/-])(?P<value>{_NUM})\s*(?:(?P<unit>{_UNIT})\s*)?[(\[]\s*"
    r"(?:(?P<label>[^\W\d][^()\[\]\d<>\u2264\u2265\u00b1]{0,40}?)(?<!\s)\s*)?"
    rf"(?:(?P<lo>{_NUM}){_DASH}(?P<hi>{_NUM})"
    rf"|(?P<lt><=?|\u2264|up to|below|less than)\s*(?P<ub>{_NUM})"
    rf"|(?P<gt>>=?|\u2265|above|more than)\s*(?P<lb>{_NUM})"
    rf"|(?P<mean>{_NUM})\s*(?:\u00b1|\+/-)\s*(?P<sd>{_NUM}))"
    rf"\s*(?!\s)(?P<unit2>{_UNIT})?(?P<rest>(?:[^()\[\]]{{0,29}}?[^()\[\]\s])??)\s*[)\]]",
    re.IGNORECASE,
)
# Words after the numbers that make them no reference range (a centile, SD score or age).
_NOT_A_RANGE = re.compile(
    r"^(?:th|st|nd|rd|%ile|percentile|centile|p|sd|sds|z|years?|yrs?|y|months?|mo|weeks?"
    r"|wk|days?|d|h|hours?|min|minutes?|times|x|fold|patients?|cases?)$",
    re.IGNORECASE,
)
_NOT_A_RANGE_LABEL = re.compile(
    # "(age 3-5)" is no range; "(age reference 150-420)" is one (since linking version 48)
    r"percentile|centile|\bsd\b|\bage\b(?!\s+(?:reference|range|ref|normal)\b)|\baged\b",
    re.IGNORECASE,
)


def _decimal_comma(text: str) -> bool:
    """Whether a number's one comma can only be a decimal comma: not followed by a group of
    three digits (``0,72``), or after a leading 0, which starts no thousands (``0,720``)."""
    if "." in text or text.count(",") != 1:
        return False
    whole, fraction = text.split(",")
    return len(fraction) != 3 or whole == "0"


def read_number(text: str, decimal_comma: bool = False) -> float:
    """A number with a decimal comma or point, or with thousands separators (``14,020``);
    ``decimal_comma``: its one comma is a decimal comma (the range beside it writes one)."""
    if "," in text and "." in text and text.rfind(",") > text.rfind("."):
        # points group the thousands and the comma is decimal: 1.250,5 (Europe's style)
        return float(text.replace(".", "").replace(",", "."))
    if "," in text:
        if _decimal_comma(text) or (decimal_comma and "." not in text and text.count(",") == 1):
            return float(text.replace(",", "."))  # decimal comma: 0,72, 0,720
        text = text.replace(",", "")
    return float(text)


# A value written as a bound ("IgA <0.07 g/L", "CK > 12,000 U/L"): the comparator right
# before it, spaces between allowed.
_COMPARATOR_RE = re.compile(r"(?:(?P<lt><=?|\u2264)|(?P<gt>>=?|\u2265))[ \t]*$")
_COMPARATOR_REACH = 4


def comparator_before(text: str, start: int) -> tuple[int, str | None]:
    """Where a value at ``start`` begins counting a comparator written before it, and the
    side it says the value lies on: ``"low"`` for "<0.07" (at most), ``"high"`` for "> 12,000"
    (at least), None with no comparator. A value read as below its range is one only when it
    is no lower bound ("<0.07 (0.7-4.0)" is low; ">0.1 (0.3-1.0)" says nothing)."""
    found = _COMPARATOR_RE.search(text, max(0, start - _COMPARATOR_REACH), start)
    if found is None:
        return start, None
    return found.start(), "low" if found["lt"] else "high"


def _unit_key(unit: str) -> str:
    return unit.lower().replace("\u00b5", "u").replace("\u03bc", "u")


# A value stated as a multiple of the upper limit of normal: "2-fold higher than the upper
# limit of normal", "5 times the ULN", "twice the upper normal limit", "10x normal", "a
# threefold elevation above normal". Each optional part starts at a word, so no run of spaces
# can be split two ways (see _LAB_VALUE_RE).
_MULTIPLE = (
    rf"(?P<times>{_NUM}|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred)"
    r"\s*(?:-\s*)?(?:fold|times|x|\u00d7)"
    r"|(?P<twice>twice|double)"
)
_UPPER_LIMIT = (
    r"(?:the\s+)?(?:normal\s+)?upper\s+(?:normal\s+|reference\s+)?(?:limit|level|value|bound)"
    r"(?:\s+of\s+(?:the\s+)?(?:normal|reference)"
    r"(?:\s+(?:reference\s+)?(?:range|level|value|values|limit|interval))?)?"
    r"|(?:the\s+)?uln"
    r"|(?:the\s+)?normal(?:\s+(?:range|level|value|values|limit))?"
)
_FOLD_RE = re.compile(
    rf"(?<![\w.,/-])(?:{_MULTIPLE})(?!\w)\s*"
    r"(?:(?:higher|greater|more|above|over|elevated|increased|raised|elevation|increase)"
    r"(?:\s+(?:than|above|over))?\s+)?"
    rf"(?:of\s+)?(?:{_UPPER_LIMIT})(?!\w)",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0, "seven": 7.0,
    "eight": 8.0, "nine": 9.0, "ten": 10.0, "twenty": 20.0, "fifty": 50.0, "hundred": 100.0,
    "twice": 2.0, "double": 2.0,
}  # fmt: skip


def read_lab_values(text: str) -> Iterator[LabValue]:
    """Values outside their stated reference range, in text order: a value followed by its
    range in brackets, or a multiple above 1 of the upper limit of normal ("CK was 5 times
    the upper limit of normal"; read as the value in units of that limit, ``high`` 1.0).

    Args:
        text: any text.
    """
    found = [*_ranged_values(text), *_multiples_of_normal(text), *_flagged_values(text)]
    found.sort(key=lambda f: f.start)
    yield from found


# Since linking version 36, a value flagged as laboratories print it: "ALT 320 U/L
# (raised)", "caeruloplasmin 0.05 g/L (low)", "Ca 1.62 mmol/L LOW", "Phe 1,250 umol/L
# (cut-off 120)". Looked for only where a flag word is in the text.
_FLAG_HINTS = (
    "raised)", "high)", "elevated)", "increased)", "low)", "reduced)", "decreased)",
    "raised]", "high]", "low]", "cut-off", "cutoff", "cut off", "uln", "upper limit",
)  # fmt: skip
_CAPS_FLAGS = (" HIGH", " LOW")
_FLAGGED_RE = re.compile(
    rf"(?<![\w.,/-])(?P<value>{_NUM})\s*(?:(?P<unit>{_UNIT})\s*)?"
    r"(?:[(\[]\s*(?:(?:very|markedly|mildly|slightly|moderately|severely|significantly)\s+)?"
    r"(?P<flag>raised|high|elevated|increased|low|reduced|decreased)\s*[)\]]"
    r"|(?P<caps>(?-i:HIGH|LOW))\b"
    r"|[(\[]\s*(?:cut-?off|uln|upper limit(?: of normal)?)\s*:?\s*(?:<|\u2264)?\s*"
    rf"(?P<cut>{_NUM})\s*(?:{_UNIT})?\s*[)\]])",
    re.IGNORECASE,
)
_HIGH_FLAGS = frozenset({"raised", "high", "elevated", "increased"})


def _flagged_values(text: str) -> Iterator[LabValue]:
    if not any(flag in text for flag in _CAPS_FLAGS):
        lowered = text.lower()
        if not any(hint in lowered for hint in _FLAG_HINTS):
            return
    for match in _FLAGGED_RE.finditer(text):
        unit = match["unit"] or ""
        if _NOT_A_RANGE.match(unit):
            continue  # "3 years (low)" is no laboratory value
        try:
            value = read_number(match["value"])
            cut = read_number(match["cut"]) if match["cut"] else None
        except ValueError:
            continue
        begin, bound = comparator_before(text, match.start("value"))
        if cut is not None:
            if value > cut and bound != "low":
                yield LabValue(begin, match.end(), value, unit, None, cut, "high")
            continue
        flag = (match["flag"] or match["caps"] or "").lower()
        direction = "high" if flag in _HIGH_FLAGS else "low"
        yield LabValue(begin, match.end(), value, unit, None, None, direction)


# Where a multiple of normal may stand: the pattern is matched only in a window around each
# of these words (scanning every text with _FOLD_RE cost the linker ~10% of its time).
_MULTIPLIER_HINTS = (
    "fold", "Fold", "FOLD", "times", "Times", "twice", "Twice", "double", "Double", "\u00d7",
    "x ULN", "x uln", "X ULN", "x normal", "x the", "x upper", "x Upper", "x Normal",
    "x above", "x higher", "x greater", "x over",
)  # fmt: skip
# How far before a hint a match may start ("hundred-fold") and after it end.
_WINDOW_BEFORE, _WINDOW_AFTER = 24, 160


def _multiples_of_normal(text: str) -> Iterator[LabValue]:
    hints = set()
    for hint in _MULTIPLIER_HINTS:
        at = text.find(hint)
        while at >= 0:
            hints.add(at)
            at = text.find(hint, at + 1)
    seen: set[int] = set()
    for at in sorted(hints):
        start = max(0, at - _WINDOW_BEFORE)
        for match in _FOLD_RE.finditer(text, start, min(len(text), at + _WINDOW_AFTER)):
            if match.start() in seen or not match.start() <= at < match.end():
                continue
            seen.add(match.start())
            word = (match["times"] or match["twice"] or "").lower()
            try:
                value = _WORD_NUMBERS[word] if word in _WORD_NUMBERS else read_number(word)
            except ValueError:
                continue
            if value > 1.0:
                begin = match.start("times") if match["times"] else match.start("twice")
                yield LabValue(begin, match.end(), value, "x ULN", None, 1.0, "high")


def _ranged_values(text: str) -> Iterator[LabValue]:
    for match in _LAB_VALUE_RE.finditer(text):
        unit, unit2 = match["unit"] or "", match["unit2"] or ""
        if (
            _NOT_A_RANGE.match(unit2)
            or _NOT_A_RANGE.match(unit)
            or _NOT_A_RANGE_LABEL.search(match["label"] or "")
            or _NOT_A_RANGE_LABEL.search(match["rest"] or "")
        ):
            continue
        if unit and unit2 and _unit_key(unit) != _unit_key(unit2):
            continue
        # A value and its range are written alike: where a bound has a decimal comma
        # ("2,2-2,6"), the value's comma is one too ("2,125" is 2.125, not 2125).
        bounds = [match[g] for g in ("lo", "hi", "ub", "lb", "mean", "sd") if match[g]]
        comma = any(_decimal_comma(b) for b in bounds)
        try:
            value = read_number(match["value"], comma)
            low = high = None
            if match["lo"] is not None:
                low, high = read_number(match["lo"], comma), read_number(match["hi"], comma)
            elif match["ub"] is not None:
                high = read_number(match["ub"], comma)
            elif match["lb"] is not None:
                low = read_number(match["lb"], comma)
            else:
                mean, sd = read_number(match["mean"], comma), read_number(match["sd"], comma)
                low, high = mean - 2 * sd, mean + 2 * sd
        except ValueError:
            continue
        if low is not None and high is not None and low > high:
            continue
        if low is not None and value < low:
            direction = "low"
        elif high is not None and value > high:
            direction = "high"
        else:
            continue
        begin, bound = comparator_before(text, match.start("value"))
        if bound is not None and bound != direction:
            continue  # ">0.1 (0.3-1.0)": a lower bound below the range says nothing
        yield LabValue(begin, match.end(), value, unit, low, high, direction)
