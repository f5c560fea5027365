"""Findings stated as measurements: a growth measurement with its centile or SD score.

Case reports state many findings only as numbers: "height 98 cm (-2 SD)", "head
circumference 29 cm (< 3rd percentile)", "birth weight 2,250 g (< 3rd centile)". A
dictionary finds no name there. :func:`read_measurements` reads such statements and gives
the HPO term whose definition the number meets:

- height, length: *Short stature* at or below the 3rd centile or -2 SD; *Tall stature* at or
  above the 97th centile or +2 SD;
- weight: *Decreased* / *Increased body weight*, the same bounds;
- head circumference: *Microcephaly* / *Macrocephaly*, the same bounds;
- birth weight: *Small* / *Large for gestational age*, below the 10th / above the 90th
  centile (-1.28 / +1.28 SD);
- birth length: *Birth length less than 3rd percentile* (or -2 SD);
- BMI: *Obesity* at or above the 95th centile, +2 SD or 30 kg/m2.

A centile is a number followed by ``centile``, ``percentile`` or ``%ile`` (``3rd``, ``10-25th``,
``< 3rd``, ``above the 97th``) or ``P3``; an SD score a signed number before ``SD``/``SDS``/
``standard deviations`` (``-2.5 SD``, ``3 SD below the mean``) or after ``z-score``/``SDS``.
A statement is read only when the whole stated range meets the threshold (``-1 to -2 SD``
does not meet -2 SD), and an SD without sign or direction is not read. A change of a
measurement (``weight gain``, ``weight loss``, ``height velocity``) is not the
measurement. The number belongs to the nearest measurement word
before it in the same clause; coordinated words share it (``height and weight were both
around the 3rd centile``), or take one each with ``respectively``. A measurement word after
another noun (``femur length``, ``mid-parental height``, ``arm span``) is not the patient's
growth (nor ``her mother's height``): it only ends the clause of the word before it.

The reader knows nothing of context: the linker (:mod:`encoders.linker`) marks a finding of
a relative or a hedged one as it does for named findings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

__all__ = ["QUANTITIES", "MeasuredFinding", "Quantity", "Threshold", "read_measurements"]


@dataclass(frozen=True)
class Threshold:
    """Where a measurement becomes a finding.

    Attributes:
        curie: the term it becomes.
        centile: the centile bound.
        sd: the SD-score bound.
        value: a bound on the raw value (BMI in kg/m2), or None.
        strict: the bound itself does not count (``below the 10th percentile``).
    """

    curie: str
    centile: float
    sd: float
    value: float | None = None
    strict: bool = False


@dataclass(frozen=True)
class Quantity:
    """A growth measurement: its name, the words that name it (a case-insensitive regular
    expression; an acronym of up to three letters counts only in capitals), and its
    thresholds."""

    name: str
    pattern: str
    low: Threshold | None
    high: Threshold | None


#: The quantities read, in order of precedence where their words overlap ("birth weight"
#: before "weight"). Thresholds from the HPO definitions of the terms.
QUANTITIES: tuple[Quantity, ...] = (
    Quantity(
        "birth weight",
        r"birth[\s-]*weight|weight\s+at\s+birth|BW",
        Threshold("HP:0001518", 10.0, -1.2816, strict=True),
        Threshold("HP:0001520", 90.0, 1.2816, strict=True),
    ),
    Quantity(
        "birth length",
        r"birth[\s-]*length|length\s+at\s+birth",
        Threshold("HP:0003561", 3.0, -2.0),
        None,
    ),
    Quantity(
        "head circumference",
        r"(?:occipito[\s-]*frontal|fronto[\s-]*occipital|frontal)(?:\s+head)?\s+circumference"
        r"|head\s+circumference|head\s+size|OFC|HC",
        Threshold("HP:0000252", 3.0, -2.0),
        Threshold("HP:0000256", 97.0, 2.0),
    ),
    Quantity(
        "BMI",
        r"BMI|body\s+mass\s+index",
        None,
        Threshold("HP:0001513", 95.0, 2.0, value=30.0),
    ),
    Quantity(
        "height",
        r"height|body\s+length|length|stature",
        Threshold("HP:0004322", 3.0, -2.0),
        Threshold("HP:0000098", 97.0, 2.0),
    ),
    Quantity(
        "weight",
        r"body\s+weight|weight",
        Threshold("HP:0004325", 3.0, -2.0),
        Threshold("HP:0004324", 97.0, 2.0),
    ),
)

#: The first letters of the quantities' words: a lookahead on them makes the scan ~6x faster.
_FIRST_LETTERS = "bfhlosw"
_KEYWORDS = re.compile(
    rf"(?<![\w-])(?=[{_FIRST_LETTERS}])(?:"
    + "|".join(rf"(?P<q{i}>{q.pattern})" for i, q in enumerate(QUANTITIES))
    + r")(?![\w-])",
    re.I,
)
#: Other measurements: they end the clause of a growth measurement before them.
_OTHER_MEASURES = re.compile(
    r"(?i:\b(?:circumference|span|width|diameter|volume|IQ|bone\s+age|blood\s+pressure)\b)"
)
#: Words that, right before a measurement word, make it the measurement of something else
#: than the patient's growth (a body part, an organ, a relative, a target).
_NOT_GROWTH = frozenset(
    (
        "abdominal", "arm", "bone", "canthal", "cervical", "cord", "crown", "ear", "egg",
        "father", "finger", "fissure", "foot", "femoral", "femur", "fetal", "foetal", "hand",
        "heel", "humerus", "jaw", "kidney", "leg", "lesion", "limb", "liver", "mother", "nail",
        "neck", "palpebral", "parental", "penile", "penis", "phallus", "renal", "rump",
        "segment", "sibling", "sitting", "span", "spleen", "step", "stretched", "target",
        "thyroid", "tibia", "toe", "tumor", "tumour", "uterine",
    )
)  # fmt: skip
#: Words after a measurement word that make it a change of the measurement ("weight gain",
#: "height velocity"), which no threshold of the measurement itself applies to.
_CHANGE = re.compile(r"[\s-]*(?:gain|loss|velocity|increment)\b", re.I)
#: Possessors whose measurement is the patient's ("the patient's height").
_PATIENT = frozenset(
    ("boy", "child", "girl", "infant", "patient", "proband", "boys", "girls", "patients")
)
_CLAUSE_END = re.compile(r"(?<!\d)\.(?!\d)|;|\n\s*\n|\b(?:while|whereas|but)\b")
_COORDINATION = re.compile(r"\s*(?:,|and|or|/|&)\s*(?:(?:the|his|her)\s+)?", re.I)
#: What any readable statement contains.
_HINT = re.compile(
    r"(?<![\w-])(?=[bcmpsz%])(?:centile|percentile|%ile|SDS?\b|standard\s+deviation"
    r"|z[\s-]*score|P\d|BMI\b|mass\s+index)",
    re.I,
)
#: Words one of which any statement holds (a cheaper test than :data:`_HINT` for most texts).
_HINT_WORDS = ("centile", "%ile", "sd", "deviation", "score", "bmi", "mass index")
_P_CENTILE = re.compile(r"\bP\d")
#: Around each statement, how far back its measurement word may stand and how far its
#: direction words ("3 SD below") may follow.
_BEFORE_HINT = 220
_AFTER_HINT = 60
_MAX_WINDOW = 100
_MAX_GROUP_WINDOW = 160

_NUMBER = r"\d+(?:\.\d+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_BELOW = r"<|≤|=<|<=|below|under|less\s+than|lower\s+than|smaller\s+than"
_ABOVE = r">|≥|>=|=>|above|over|greater\s+than|more\s+than|higher\s+than|beyond|exceeding"
_MINUS = "-−–"
_CENTILE = re.compile(
    rf"(?:(?P<below>{_BELOW})|(?P<above>{_ABOVE}))?\s*(?:the\s+)?"
    rf"(?P<a>{_NUMBER}){_ORDINAL}(?:\s*(?:-|–|to)\s*(?P<b>{_NUMBER}){_ORDINAL})?"
    r"\s*(?:centile|percentile|%ile)s?\b"
    rf"|(?:(?P<pbelow><|≤)|(?P<pabove>>|≥))?\s*\bP(?P<p>\d{{1,2}})\b",
    re.I,
)
_SD = re.compile(
    rf"(?:(?P<below>{_BELOW})|(?P<above>{_ABOVE}))?\s*"
    rf"(?P<sign>(?<![\d.])[{_MINUS}+]|minus\s+|plus\s+)?\s*(?P<v>{_NUMBER})\s*"
    r"(?:SDS?|SD\s+score|s\.d\.|standard\s+deviations?)(?![\w])"
    r"(?:\s+(?P<dir_below>below|under|lower)|\s+(?P<dir_above>above|over|higher))?"
    rf"|(?:z[\s-]*score|SDS|SD\s+score)\s*(?:of|was|=|:)?\s*(?P<zsign>[{_MINUS}+])?\s*"
    rf"(?P<z>{_NUMBER})",
    re.I,
)
_BMI_VALUE = re.compile(
    rf"^\D{{0,20}}?(?P<v>{_NUMBER})\s*(?:kg\s*/\s*m\s*(?:2|²|\^2)|kg\s*m\s*[{_MINUS}]2)?",
    re.I,
)


@dataclass(frozen=True)
class MeasuredFinding:
    """A finding read from a measurement.

    Attributes:
        start: offset of the measurement word.
        end: offset one past the number that makes it a finding, or past the bracket
            that closes one opened before it.
        curie: the term.
        quantity: the quantity's name (``height``).
        statement: the number as read, e.g. ``-2.5 SD`` or ``< 3rd centile``.
    """

    start: int
    end: int
    curie: str
    quantity: str
    statement: str


@dataclass(frozen=True)
class _Reading:
    """A stated value as a range in its unit: lo..hi; an open end excludes its bound."""

    unit: str  # "centile", "sd" or "value"
    lo: float
    hi: float
    lo_open: bool
    hi_open: bool
    start: int
    end: int
    text: str


def _range(
    unit: str, a: float, b: float | None, below: bool, above: bool, m: re.Match[str], offset: int
) -> _Reading:
    """The range a match states: ``< a``, ``> a``, ``a`` or ``a-b``."""
    at = (offset + m.start(), offset + m.end(), m.group(0).strip())
    if below:
        return _Reading(unit, -math.inf, a, True, True, *at)
    if above:
        return _Reading(unit, a, math.inf, True, True, *at)
    lo, hi = (a, a) if b is None else (min(a, b), max(a, b))
    return _Reading(unit, lo, hi, False, False, *at)


def _centile(m: re.Match[str], offset: int) -> _Reading | None:
    if m.group("p") is not None:
        a, b = float(m.group("p")), None
        below, above = bool(m.group("pbelow")), bool(m.group("pabove"))
    else:
        a = float(m.group("a"))
        b = float(m.group("b")) if m.group("b") else None
        below, above = bool(m.group("below")), bool(m.group("above"))
    if not 0.0 <= a <= 100.0 or (b is not None and not 0.0 <= b <= 100.0):
        return None
    return _range("centile", a, b, below, above, m, offset)


#: The first number and the joining word of an SD range, right before the second number
#: ("-1 to -2 SD", "between -1.5 and -2.5 SD", "1-2 SD below").
_SD_RANGE_HEAD = re.compile(
    rf"(?P<asign>(?<![\d.])[{_MINUS}+]|minus\s+|plus\s+)?\s*(?P<a>{_NUMBER})\s*"
    rf"(?:to|and|[{_MINUS}])\s*$",
    re.I,
)


def _sd_range(m: re.Match[str], offset: int, negative: bool | None) -> _Reading | None:
    """The range an SD score states with a first number before it (``-1 to -2 SD``), or
    None when no range is written there. ``negative``: the side the second number's sign
    or the words after it give (None: neither); a first number with no sign takes it."""
    at = m.start("sign") if m.group("sign") else m.start("v")
    head = _SD_RANGE_HEAD.search(m.string, max(0, at - 24), at)
    if head is None:
        return None
    asign = (head.group("asign") or "").strip().lower()
    if asign:
        a_negative = asign == "minus" or asign in _MINUS
        if negative is None:
            negative = a_negative
    elif negative is None:
        return None
    else:
        a_negative = negative
    a = -float(head.group("a")) if a_negative else float(head.group("a"))
    b = -float(m.group("v")) if negative else float(m.group("v"))
    start = head.start("asign") if head.group("asign") else head.start("a")
    text = m.string[start : m.end()].strip()
    lo, hi = min(a, b), max(a, b)
    return _Reading("sd", lo, hi, False, False, offset + start, offset + m.end(), text)


def _sd(m: re.Match[str], offset: int) -> _Reading | None:
    if m.group("z") is not None:
        value = float(m.group("z"))
        if m.group("zsign") and m.group("zsign") in _MINUS:
            value = -value
        return _range("sd", value, None, False, False, m, offset)
    sign = (m.group("sign") or "").strip().lower()
    below, above = bool(m.group("below")), bool(m.group("above"))
    # the side after the number wins, then the sign, then the bound's side ("below 3 SD")
    side: bool | None = None
    if m.group("dir_below") or m.group("dir_above"):
        side = bool(m.group("dir_below"))
    elif sign:
        side = sign == "minus" or sign in _MINUS
    if not (below or above):
        stated = _sd_range(m, offset, side)
        if stated is not None:
            return stated  # "-1 to -2 SD": the whole range must meet a threshold
    if side is not None:
        negative = side
    elif below or above:
        negative = below
    else:
        return None  # "3 SD": no sign, no side
    value = -float(m.group("v")) if negative else float(m.group("v"))
    return _range("sd", value, None, below, above, m, offset)


def _readings(window: str, offset: int, quantity: Quantity) -> list[_Reading]:
    """Every stated value in a window, in order of position."""
    found: list[_Reading] = []
    taken: list[tuple[int, int]] = []
    if not _HINT.search(window) and not (quantity.high and quantity.high.value):
        return found
    for pattern, read in ((_SD, _sd), (_CENTILE, _centile)):
        for m in pattern.finditer(window):
            if not m.group(0).strip() or any(a < m.end() and m.start() < b for a, b in taken):
                continue
            reading = read(m, offset)
            if reading is not None:
                found.append(reading)
                taken.append((m.start(), m.end()))
    if not found and quantity.high is not None and quantity.high.value is not None:
        raw = _BMI_VALUE.match(window)
        if raw:
            v, start = float(raw.group("v")), raw.start("v")
            text = window[start : raw.end()].strip()
            found.append(
                _Reading("value", v, v, False, False, offset + start, offset + raw.end(), text)
            )
    return sorted(found, key=lambda r: r.start)


def _bound(r: _Reading, t: Threshold) -> float | None:
    """The threshold's bound in the reading's unit (None: it has none)."""
    return {"centile": t.centile, "sd": t.sd, "value": t.value}[r.unit]


def _below(r: _Reading, t: Threshold) -> bool:
    bound = _bound(r, t)
    if bound is None:
        return False
    return r.hi < bound or (r.hi == bound and (r.hi_open or not t.strict))


def _above(r: _Reading, t: Threshold) -> bool:
    bound = _bound(r, t)
    if bound is None:
        return False
    return r.lo > bound or (r.lo == bound and (r.lo_open or not t.strict))


def _finding(q: Quantity, start: int, r: _Reading) -> MeasuredFinding | None:
    if q.low is not None and _below(r, q.low):
        return MeasuredFinding(start, r.end, q.low.curie, q.name, r.text)
    if q.high is not None and _above(r, q.high):
        return MeasuredFinding(start, r.end, q.high.curie, q.name, r.text)
    return None


@dataclass(frozen=True)
class _Word:
    quantity: Quantity | None  # None: another measurement, only a clause boundary
    start: int
    end: int


def _word_before(text: str, at: int) -> str:
    """The word right before offset ``at`` (spaces between allowed, punctuation not)."""
    end = at
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "'’-_"):
        start -= 1
    return text[start:end]


def _is_growth_word(before: str) -> bool:
    """Whether a measurement word after the word ``before`` is the patient's growth."""
    if before.endswith(("'s", "’s")):
        return before[:-2] in _PATIENT
    return before.split("-")[-1] not in _NOT_GROWTH


def _words(text: str, start: int, end: int) -> list[_Word]:
    """The measurement words of ``text[start:end]`` (offsets in ``text``)."""
    words = []
    for m in _KEYWORDS.finditer(text, start, end):
        if len(m.group(0)) <= 3 and not m.group(0).isupper():
            continue  # "hc", "bw": not the acronyms
        q = QUANTITIES[int(str(m.lastgroup)[1:])]  # the group q<i> that matched
        before = _word_before(text, m.start())
        own = not before or _is_growth_word(before.lower())
        if own and _CHANGE.match(text, m.end()):
            own = False  # "weight gain was 2 SD below": a change, not the weight
        words.append(_Word(q if own else None, m.start(), m.end()))
    for m in _OTHER_MEASURES.finditer(text, start, end):
        if not any(w.start <= m.start() < w.end for w in words):
            words.append(_Word(None, m.start(), m.end()))
    return sorted(words, key=lambda w: w.start)


def _clause_end(text: str, start: int, limit: int) -> int:
    m = _CLAUSE_END.search(text, start, limit)
    return m.start() if m else limit


def read_measurements(text: str) -> list[MeasuredFinding]:
    """The findings that the growth measurements of ``text`` state (see the module doc)."""
    found: list[MeasuredFinding] = []
    for start, end in _segments(text):
        found.extend(_closed(text, f) for f in _read(text, start, end))
    return found


def _closed(text: str, finding: MeasuredFinding) -> MeasuredFinding:
    """The finding with its span run on over the bracket that closes one it opens ("height
    150 cm (>97th centile)"), so that a span never ends inside a bracket."""
    end = finding.end
    for opening, closing in ("()", "[]"):
        span = text[finding.start : end]
        if span.count(opening) > span.count(closing):
            after = len(text[end:]) - len(text[end:].lstrip(" \t"))
            if text[end + after : end + after + 1] == closing:
                end += after + 1
    return finding if end == finding.end else replace(finding, end=end)


def _segments(text: str) -> list[tuple[int, int]]:
    """The parts of ``text`` around its centiles, SD scores and BMIs (merged where they
    meet): only there can a statement be read, and most texts have none."""
    out: list[tuple[int, int]] = []
    lowered = text.lower()
    if not any(word in lowered for word in _HINT_WORDS) and not _P_CENTILE.search(text):
        return out
    for m in _HINT.finditer(text):
        start, end = max(0, m.start() - _BEFORE_HINT), min(len(text), m.end() + _AFTER_HINT)
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _read(text: str, start: int, end: int) -> Iterator[MeasuredFinding]:
    """The findings of the measurement words in ``text[start:end]``."""
    words = _words(text, start, end)
    i = 0
    while i < len(words):
        group = [words[i]]
        # Coordinated measurement words share what follows them ("height and weight").
        while (
            i + len(group) < len(words)
            and group[-1].quantity is not None
            and words[i + len(group)].quantity is not None
            and _COORDINATION.fullmatch(text, group[-1].end, words[i + len(group)].start)
        ):
            group.append(words[i + len(group)])
        i += len(group)
        if group[0].quantity is None:
            continue
        last = group[-1]
        limit = min(
            words[i].start if i < len(words) else end,
            last.end + (_MAX_GROUP_WINDOW if len(group) > 1 else _MAX_WINDOW),
        )
        limit = _clause_end(text, last.end, limit)
        readings = _readings(text[last.end : limit], last.end, last.quantity)  # type: ignore[arg-type]
        if not readings:
            continue
        if len(group) > 1 and "respectively" in text[last.end : limit].lower():
            pairs = list(zip(group, readings, strict=False))
        else:
            pairs = [(w, readings[0]) for w in group]
        for word, reading in pairs:
            assert word.quantity is not None
            found = _finding(word.quantity, word.start, reading)
            if found is not None:
                yield found
