"""Findings of a physical examination stated as numbers.

Case reports give some findings only as the examiner's numbers: "the liver was palpable 7
cm below the costal margin", "spleen tip 3 cm below the left costal margin", "strength (MRC):
hip flexors 3/5, ankle dorsiflexors 4/5", "MRC grade 4 in the deltoids".
:func:`read_examination` reads them as the finding they state, a phrase for the linker's
dictionary ("hepatomegaly", "proximal muscle weakness"):

- an organ's edge below the costal margin: the liver from 3 cm (or 2 finger breadths), the
  spleen from 2 cm (or 1 finger breadth), below which an infant's may be normal;
- a muscle's strength below full on the Medical Research Council scale (0-4 of 5, with "+"
  or "-"), with a word of strength or a muscle in its sentence; where the sentence names
  proximal or distal muscles (hips, shoulders, deltoids; ankles, wrists, grip), the weakness
  is said to be proximal or distal, the neck's flexors and extensors are the neck's;
- visual acuity (Snellen 6/x or 20/x, logMAR, hand movements) of the better eye as
  moderately reduced from 6/18 and severely from 6/60; a milder loss is within a young
  child's normal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass

__all__ = ["ExaminationFinding", "read_examination"]


@dataclass(frozen=True)
class ExaminationFinding:
    """A finding an examination's numbers state.

    Attributes:
        start: offset of its first word in the text.
        end: offset one past its last.
        phrase: the finding, for the linker's dictionary ("hepatomegaly").
    """

    start: int
    end: int
    phrase: str


_NUM = r"\d{1,2}(?:[.,]\d)?"
_ORGAN_RE = re.compile(
    r"\b(?P<organ>liver|spleen)(?:\s+(?:edge|tip))?"
    r"(?:\s+(?:was|is|were|being))?"
    r"(?:\s+(?:palpable|palpated|felt|enlarged|extending|extended|measured))?(?:\s+(?:at|to))?"
    rf"\s+(?P<size>{_NUM})\s*(?P<unit>cm|finger\s*-?breadths?|fingerbreadths?|fb)"
    r"\s+below\s+(?:the\s+)?(?:right\s+|left\s+)?costal\s+margin",
    re.IGNORECASE,
)
_ORGAN_LIMITS = {"liver": (3.0, 2.0), "spleen": (2.0, 1.0)}  # (cm, finger breadths)
# The other organ of the same sentence, its margin left to the first ("spleen palpable 12 cm
# below the left costal margin, liver 4 cm"): since linking version 47.
_ORGAN_TAIL_RE = re.compile(
    r"\s*(?:,|;|\band\b|\bwith\b)\s*(?:(?:the|a)\s+)?(?P<organ>liver|spleen)(?:\s+(?:edge|tip))?"
    r"(?:\s+(?:was|is|palpable|palpated|felt|at))*"
    rf"\s+(?P<size>{_NUM})\s*(?P<unit>cm|finger\s*-?breadths?|fingerbreadths?|fb)\b",
    re.IGNORECASE,
)
_ORGAN_PHRASES = {"liver": "hepatomegaly", "spleen": "splenomegaly"}

_GRADE_RE = re.compile(
    r"(?<![\d/.])(?P<grade>[0-4])\s*(?P<sign>[+-])?\s*/\s*5(?![\d/])"
    r"|\bMRC\s+(?:grade\s+)?(?P<mrc>[0-4])(?:\s*[+-])?(?![\d/])",
    re.IGNORECASE,
)
_SENTENCE_RE = re.compile(r"[.;!?](?=\s|$)|\n")
_STRENGTH_WORDS = re.compile(
    r"\b(?:power|strength|mrc|weak|weakness|muscles?|flexors?|extensors?|abductors?"
    r"|adductors?|flexion|extension|dorsiflexion|dorsiflexors?|deltoids?|biceps|triceps"
    r"|quadriceps|iliopsoas|glut(?:eal|ei|eus)|tibialis|grip)\b",
    re.IGNORECASE,
)
_PROXIMAL_WORDS = re.compile(
    r"\b(?:proximal(?:ly)?|hips?|shoulders?|deltoids?|biceps|triceps|quadriceps|iliopsoas"
    r"|glut(?:eal|ei|eus)|thighs?|girdle|hip\s+flexors?|knee\s+extensors?)\b",
    re.IGNORECASE,
)
_DISTAL_WORDS = re.compile(
    r"\b(?:distal(?:ly)?|ankles?|feet|foot|toes?|wrists?|fingers?|hands?|grip|tibialis"
    r"|dorsiflex(?:ion|ors?)|plantar\s*flex(?:ion|ors?)|intrinsic)\b",
    re.IGNORECASE,
)
_DYSPNOEA_RE = re.compile(r"\b(?:dyspn\w*|breathless\w*|short(?:ness)?\s+of\s+breath)", re.I)
_NECK_WORDS = re.compile(r"\bneck\s+(?:flexors?|extensors?|flexion|extension)\b", re.IGNORECASE)


def read_examination(text: str) -> Iterator[ExaminationFinding]:
    """The findings that examination numbers in ``text`` state, in text order."""
    found: list[ExaminationFinding] = []
    lowered = text.lower()
    if "costal" in lowered:
        for match in _ORGAN_RE.finditer(text):
            try:
                size = float(match["size"].replace(",", "."))
            except ValueError:
                continue
            organ = match["organ"].lower()
            if size >= _organ_limit(organ, match["unit"]):
                found.append(ExaminationFinding(match.start(), match.end(), _ORGAN_PHRASES[organ]))
            tail = _ORGAN_TAIL_RE.match(text, match.end())
            if tail is not None and tail["organ"].lower() != organ:
                other = tail["organ"].lower()
                with suppress(ValueError):
                    if float(tail["size"].replace(",", ".")) >= _organ_limit(other, tail["unit"]):
                        found.append(
                            ExaminationFinding(
                                tail.start("organ"), tail.end(), _ORGAN_PHRASES[other]
                            )
                        )
    if "/5" in lowered or "/ 5" in lowered or "mrc" in lowered:
        found.extend(_weakness(text))
    if "acuity" in lowered or "va " in lowered or "vision" in lowered:
        found.extend(_acuity(text))
    if "score" in lowered:
        found.extend(_scores(text))
    found.sort(key=lambda f: f.start)
    yield from found


# Since linking version 47: a bone density's Z-score (-2.0 or below: low for age at any
# age) and a Beighton score (6 of 9 or more: hypermobile at any age; 5 in adults).
_BMD_RE = re.compile(
    r"\b(?:BMD|bone\s+mineral\s+density|bone\s+density|DEXA|DXA)\b[^.;\n]{0,60}?"
    r"\bZ[- ]?score\s*(?:of|was|:|=)?\s*(?P<z>[-\u2212\u2013]\s*\d(?:[.,]\d{1,2})?)",
    re.IGNORECASE,
)
_LOW_BMD_Z = -2.0
_BEIGHTON_RE = re.compile(
    r"\bBeighton(?:\s+score)?\s*(?:of|was|:|=)?\s*(?P<score>\d)\s*(?:/|of|out\s+of)\s*9\b",
    re.IGNORECASE,
)
_HYPERMOBILE_BEIGHTON = 6


def _scores(text: str) -> Iterator[ExaminationFinding]:
    """A bone density's Z-score low for age, a Beighton score of hypermobility."""
    for match in _BMD_RE.finditer(text):
        magnitude = float(re.sub(r"[^\d.,]", "", match["z"]).replace(",", "."))
        if -magnitude <= _LOW_BMD_Z:  # the expression reads only negative scores
            yield ExaminationFinding(match.start(), match.end(), "reduced bone mineral density")
    for match in _BEIGHTON_RE.finditer(text):
        if int(match["score"]) >= _HYPERMOBILE_BEIGHTON:
            yield ExaminationFinding(match.start(), match.end(), "joint hypermobility")


def _organ_limit(organ: str, unit: str) -> float:
    """The size below the costal margin from which ``organ`` is enlarged, in ``unit``."""
    cm, breadths = _ORGAN_LIMITS[organ]
    return cm if unit.lower() == "cm" else breadths


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    """Each sentence of ``text`` with its offset."""
    bounds = [0, *(m.end() for m in _SENTENCE_RE.finditer(text)), len(text)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        yield a, text[a:b]


def _weakness(text: str) -> Iterator[ExaminationFinding]:
    """The weakness each grade below full states, in a sentence with a word of strength:
    proximal, distal or the neck's by the muscles named just before the grade (back to the
    grade before, at most :data:`_MUSCLE_REACH` characters) or just after it in its clause
    ("1/5 proximally"); weakness where they name none. Each phrase once a sentence."""
    for a, sentence in _sentences(text):
        grades = [
            g
            for g in _GRADE_RE.finditer(sentence)
            # the MRC's dyspnoea scale is no muscle's grade ("dyspnoea (MRC grade 3)")
            if g["mrc"] is None or _DYSPNOEA_RE.search(sentence) is None
        ]
        if not grades or _STRENGTH_WORDS.search(sentence) is None:
            continue
        said: set[str] = set()
        previous = 0
        for grade in grades:
            before = sentence[max(previous, grade.start() - _MUSCLE_REACH) : grade.start()]
            before = _CLAUSE_START_RE.split(before)[-1]  # "toes, and there was weakness of"
            after = _CLAUSE_END_RE.split(sentence[grade.end() : grade.end() + 20], maxsplit=1)[0]
            near = before + " " + after
            previous = grade.end()
            phrases = [
                phrase
                for phrase, words in _LOCATIONS
                if words.search(near) is not None and phrase not in said
            ]
            if not phrases and not said:
                phrases = ["muscle weakness"]
            for phrase in phrases:
                said.add(phrase)
                yield ExaminationFinding(a + grade.start(), a + grade.end(), phrase)


# Visual acuity: Snellen (6/x, 20/x), decimal, logMAR, or a count of fingers, hand
# movements or light perception, after the words that name it in its sentence.
_ACUITY_NAME_RE = re.compile(r"\b(?:visual\s+acuity|acuity|VA|vision)\b", re.IGNORECASE)
_SNELLEN_RE = re.compile(r"(?<![\d/.])(?P<num>6|20)\s*/\s*(?P<den>\d{1,3})(?![\d/])")
_LOGMAR_RE = re.compile(
    r"(?P<logmar>\d(?:\.\d{1,2})?)\s*logMAR|logMAR\s*(?:of\s+)?(?P<logmar2>\d(?:\.\d{1,2})?)",
    re.IGNORECASE,
)
_POOR_VISION_RE = re.compile(
    r"\b(?:hand\s+movements?|counting\s+fingers|count\s+fingers|light\s+perception"
    r"|perception\s+of\s+light|no\s+light\s+perception)\b",
    re.IGNORECASE,
)
#: logMAR from which acuity is moderately (6/18, 20/63) and severely (6/60, 20/200) reduced;
#: a milder loss is within a young child's normal and reads nothing.
_MODERATE_LOGMAR, _SEVERE_LOGMAR = 0.45, 1.0


def _acuity(text: str) -> Iterator[ExaminationFinding]:
    """The reduced acuity each sentence naming visual acuity states: of the better eye
    (the best value stated), moderately reduced from 6/18 (logMAR 0.45), severely from 6/60
    (logMAR 1.0) or hand movements."""
    for a, sentence in _sentences(text):
        named = _ACUITY_NAME_RE.search(sentence)
        if named is None:
            continue
        rest = sentence[named.end() :]
        values: list[tuple[float, int, int]] = []  # (logMAR, start, end) in the sentence
        offset = named.end()
        for m in _SNELLEN_RE.finditer(rest):
            den = int(m["den"])
            if den:
                values.append(
                    (math.log10(den / int(m["num"])), offset + m.start(), offset + m.end())
                )
        for m in _LOGMAR_RE.finditer(rest):
            number = m["logmar"] or m["logmar2"]
            values.append((float(number), offset + m.start(), offset + m.end()))
        for m in _POOR_VISION_RE.finditer(rest):
            values.append((2.0, offset + m.start(), offset + m.end()))
        if not values:
            continue
        best = min(values)
        if best[0] >= _SEVERE_LOGMAR:
            phrase = "severely reduced visual acuity"
        elif best[0] >= _MODERATE_LOGMAR:
            phrase = "moderately reduced visual acuity"
        else:
            continue
        # the span starts at the last name before the value, so that it holds no other
        # finding of the sentence ("Vision: optic atrophy with pale discs, acuity 6/36";
        # since linking version 48)
        names = [m.start() for m in _ACUITY_NAME_RE.finditer(sentence, 0, best[1])]
        yield ExaminationFinding(a + (names[-1] if names else named.start()), a + best[2], phrase)


#: How far before a grade the muscles it grades are looked for.
_MUSCLE_REACH = 50
_CLAUSE_START_RE = re.compile(r",\s+and\b|;|\b(?:while|but|whereas)\b")
_CLAUSE_END_RE = re.compile(r"[,;()]|\b(?:while|but|whereas|and)\b")
_LOCATIONS = (
    ("neck muscle weakness", _NECK_WORDS),
    ("proximal muscle weakness", _PROXIMAL_WORDS),
    ("distal muscle weakness", _DISTAL_WORDS),
)
