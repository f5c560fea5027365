"""Functions a text states normal: "Hearing is normal", "normal development", "BAER was normal".

No name of the HPO is "hearing", so a dictionary reads nothing in "Hearing is normal", yet a
clinician reads it as hearing impairment ruled out. :func:`read_normal_functions` gives,
for each such statement, the finding it rules out as a phrase for the linker's dictionary
("hearing impairment"); the linker reads it as excluded. Hearing, vision, development,
cognition and growth are read, stated normal by the function's name ("hearing was
normal", "normal vision", "Development: normal", "no hearing concerns") or, for hearing,
by its tests ("audiometry was normal", "passed the newborn hearing screen"); an intact
palate rules out a cleft palate. Since linking version 54 a family's or a dictated note's
"fine" or "ok" says normal too ("Hearing's fine", "Feeding ok"), and feeding and speech are
read; so are a straight spine and a spleen or liver not felt. Since linking version 55 an
examination's and a report's measures and signs are read too: the intraocular pressure,
the blood pressure and the platelets stated normal, "within normal limits" as normal,
"normotensive", clear lenses and corneas, a trileaflet aortic valve. A statement that limits
itself in time ("development was normal until 9 months", "early development was normal")
rules nothing out, nor does "not normal".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["NormalFunction", "read_normal_functions"]


@dataclass(frozen=True)
class NormalFunction:
    """A function stated normal.

    Attributes:
        start: offset of its first word in the text.
        end: offset one past its last.
        phrase: the finding it rules out, for the linker's dictionary ("hearing impairment").
    """

    start: int
    end: int
    phrase: str


#: a function's name as a text writes it -> the finding its normality rules out
_FUNCTIONS = {
    "hearing": "hearing impairment",
    "vision": "visual impairment",
    "eyesight": "visual impairment",
    "development": "global developmental delay",
    "psychomotor development": "global developmental delay",
    "neurodevelopment": "global developmental delay",
    "cognition": "intellectual disability",
    "intellect": "intellectual disability",
    "intelligence": "intellectual disability",
    "growth": "growth abnormality",
    "developmental": "global developmental delay",
    "sweating": "hypohidrosis",  # since linking version 52
    "eye movements": "ophthalmoplegia",
    # since linking version 54: "Feeding fine", "his speech seems fine"
    "feeding": "feeding difficulties",
    "speech": "delayed speech and language development",
    # since linking version 55, an examination's and a report's measures stated normal:
    # "Intraocular pressure was normal", "blood pressure normal", "platelets normal"
    "intraocular pressure": "ocular hypertension",
    "intraocular pressures": "ocular hypertension",
    "iop": "ocular hypertension",
    "blood pressure": "hypertension",
    "platelet count": "thrombocytopenia",
    "platelets": "thrombocytopenia",
}
_HEARING_TESTS = (
    r"audiometry|audiogram|audiology|audiological\s+(?:assessment|evaluation|testing)"
    r"|hearing\s+(?:tests?|screen|screening|assessment|evaluation)"
    r"|BAERs?|ABRs?|brainstem\s+auditory\s+evoked\s+(?:potentials|responses)"
    r"|otoacoustic\s+emissions"
)
_NAME = "|".join(
    sorted((re.escape(k).replace(r"\ ", r"\s+") for k in _FUNCTIONS), key=len, reverse=True)
)
#: Words after a function's name that make it a measure or a part of it ("normal growth
#: velocity", "normal growth hormone levels", "normal hearing aid"): no statement of it.
_NOT_THE_FUNCTION = (
    r"(?:velocity|velocities|hormone|plates?|charts?|curves?|factors?|spurt|rate|aids?"
    r"|thresholds?|fields?|sounds?|therap\w*|tubes?)\b"
)
_COPULA = r"(?:is|was|were|are|has\s+been|had\s+been|remained|remains|appeared|appears)"
#: Since linking version 54, a family's or a dictated note's words: "Hearing's fine",
#: "his speech seems fine", "Development ok", "Feeding fine".
_SPOKEN_COPULA = r"(?:['\u2019]s|\s+(?:seems|seemed|looks|looked|sounds|sounded))"
_FINE = r"(?:fine|ok|okay)"
#: What may follow a verbless "normal": the clause's end, or where or how it was found.
_VERBLESS_END = r"(?=\s*[.;,)]|\s*$|\s+(?:on|in|at|for|bilaterally|throughout|and)\b)"
_ADVERB = (
    r"(?:(?:entirely|completely|reportedly|otherwise|clinically|grossly|always"
    r"|within)\s+)?"  # "within normal limits": since linking version 55
)
_STATED = re.compile(
    rf"\b(?P<name>{_NAME})\s+{_COPULA}\s+{_ADVERB}normal\b"
    # since linking version 48, a letter's verbless "Hearing normal on audiometry."
    rf"|\b(?P<name6>{_NAME})\s+normal{_VERBLESS_END}"
    rf"|\b(?P<name7>{_NAME})(?:\s+{_COPULA}|{_SPOKEN_COPULA})?\s+{_ADVERB}{_FINE}\b(?![-'])"
    rf"|\b(?P<name8>{_NAME}){_SPOKEN_COPULA}\s+{_ADVERB}normal\b"
    rf"|\bnormal\s+(?P<name2>{_NAME})\b(?!\s+{_NOT_THE_FUNCTION})"
    rf"|\b(?P<name3>{_NAME})\s*:\s*{_ADVERB}normal\b"
    rf"|\b(?P<test>{_HEARING_TESTS})\s+(?:results?\s+)?(?:{_COPULA}\s+)?{_ADVERB}normal\b"
    # since linking version 55, a report's heading: "Audiogram: within normal limits", "ABR:
    # normal", "Audiogram: WNL"
    rf"|\b(?P<test3>{_HEARING_TESTS})\s*:\s*(?:{_ADVERB}normal|WNL)\b"
    r"|\bpassed\s+(?:(?:the|his|her|their|a)\s+)?(?:newborn\s+|neonatal\s+)?"
    r"(?P<test2>hearing\s+(?:screen|screening|test))\b"
    rf"|\bno\s+(?P<name4>{_NAME})\s+(?:concerns?|problems?|issues?|difficulties)\b"
    r"|\bno\s+concerns?\s+(?:about|regarding|with|over)\s+(?:(?:her|his|their|the)\s+)?"
    rf"(?P<name5>{_NAME})\b"
    r"|\b(?P<palate>(?:the\s+)?palate\s+(?:(?:is|was|appeared|appears)\s+)?intact"
    r"|intact\s+(?:(?:hard\s+and\s+soft|secondary|soft|hard)\s+)?palate)\b",
    re.IGNORECASE,
)
#: Signs stated normal, each with the finding it rules out; looked for only in a window
#: that holds one of :data:`_SIGN_CUES` (each alternative more in :data:`_STATED` slowed
#: every window). Since linking version 51 the lip's ("The lip was intact", "upper lip
#: intact"); since 52 "She sweats normally", flexor plantar responses ("plantars flexor",
#: "downgoing plantars") and full eye movements.
_SIGNS = re.compile(
    r"\b(?P<lip>(?:the\s+)?(?:upper\s+)?lips?\s+(?:(?:is|was|were|appeared|appears)\s+)?intact"
    r"|intact\s+(?:upper\s+)?lips?)\b"
    r"|\b(?P<sweats>sweats\s+normally)\b"
    r"|\b(?P<plantars>(?:plantars|plantar\s+responses?)\s+(?:(?:are|were|was|is)\s+)?"
    r"(?:flexor|downgoing)|(?:flexor|downgoing)\s+(?:plantars|plantar\s+responses?))\b"
    r"|\b(?P<eyes>eye\s+movements\s+(?:(?:are|were)\s+)?full(?!\s+of)|full\s+eye\s+movements)\b"
    r"|\b(?P<spine>(?:spine|back)(?:\s+(?:is|was|looks|looked)|['\u2019]s)?\s+straight)\b"
    r"|\b(?P<spleen>spleen\s+(?:(?:is|was)\s+)?not\s+(?:felt|palpable|palpated))\b"
    r"|\b(?P<liver>liver(?:\s+edge)?\s+(?:(?:is|was)\s+)?not\s+(?:felt|palpable|palpated))\b"
    r"|\b(?P<normotensive>normotensive)\b"
    r"|\b(?P<lens>(?:the\s+)?lens(?:es)?\s+(?:(?:is|was|are|were)\s+)?clear"
    r"|clear\s+lens(?:es)?(?!\s+extraction))\b"
    r"|\b(?P<cornea>(?:the\s+)?corneas?\s+(?:(?:is|was|are|were)\s+)?clear|clear\s+corneas?)\b"
    r"|\b(?P<aortic_valve>(?:trileaflet|tricuspid)\s+(?:aortic\s+valve|AV)\b(?!\s+(?:was|is)\s+(?:dysplastic|stenotic|thickened)))",
    re.IGNORECASE,
)
_SIGN_CUES = (
    *("lip", "sweats", "plantar", "movements", "straight", "spleen", "liver"),
    *("normotensive", "trileaflet", "tricuspid", "clear"),  # since linking version 55
)
_SIGN_PHRASES = {
    "lip": "cleft lip",
    "sweats": _FUNCTIONS["sweating"],
    "plantars": "babinski sign",
    "eyes": _FUNCTIONS["eye movements"],
    # since linking version 54: "Spine's straight", "Spleen not felt", "liver not palpable"
    "spine": "scoliosis",
    "spleen": "splenomegaly",
    "liver": "hepatomegaly",
    # since linking version 55, an examination's and an echo report's words: "She was
    # normotensive", "a trileaflet aortic valve" (no *Bicuspid aortic valve*)
    "normotensive": "hypertension",
    "aortic_valve": "bicuspid aortic valve",
    "lens": "cataract",  # "the lenses were clear", "clear lenses"
    "cornea": "corneal opacity",
}
#: The groups of :data:`_STATED` that hold a function's name.
_NAME_GROUPS = tuple(g for g in _STATED.groupindex if g.startswith("name"))
_NAME_RE = re.compile(rf"\b(?:{_NAME})\b", re.IGNORECASE)
_LIST = rf"(?:(?:{_NAME})\s*,\s*)*(?:{_NAME})\s*,?\s+and\s+(?:{_NAME})"
#: several functions stated normal together ("growth and development were normal",
#: "normal hearing and vision")
_COORDINATED = re.compile(
    rf"\b(?P<list>{_LIST})\s+{_COPULA}\s+{_ADVERB}normal\b|\bnormal\s+(?P<list2>{_LIST})\b",
    re.IGNORECASE,
)
#: words after a statement that limit it in time ("normal until 9 months")
_LIMITED_AFTER = re.compile(
    r"\s*(?:,\s*)?(?:until|up\s+to|till|before|initially|at\s+first|in\s+infancy|for\s+the\s+first)\b",
    re.IGNORECASE,
)
_LIMITED_BEFORE = re.compile(
    r"\b(?:early|initial|initially|previously|formerly|prior|not|never|no\s+longer)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)


#: Words every statement holds (lower case), and how far before and after one of them a
#: statement may start and end: the expressions run only there (a scan of a whole note
#: cost a tenth of its linking).
_ANCHORS = (
    "normal",
    "intact",
    "passed",
    "concern",
    "problem",
    "issue",
    "difficult",
    "sweats",
    "flexor",
    "downgoing",
    "movements",
    # since linking version 54
    "fine",
    "ok",
    "straight",
    "felt",
    "palpa",
    # since linking version 55
    "normotensive",
    "trileaflet",
    "tricuspid",
    "clear",
    "wnl",
)
_BEFORE, _AFTER = 90, 60


def _windows(text: str) -> list[tuple[int, int]]:
    """The stretches of ``text`` around its anchor words, merged."""
    lowered = text.lower()
    spans = []
    for word in _ANCHORS:
        at = lowered.find(word)
        while at >= 0:
            spans.append((max(0, at - _BEFORE), min(len(text), at + len(word) + _AFTER)))
            at = lowered.find(word, at + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


#: Words one of which every statement names (lower case): a window without any is skipped.
#: The functions' own words, the hearing tests' and the palate's.
_NAMED = (
    *sorted({name.split()[-1] for name in _FUNCTIONS}),
    "palate", "lip", "sweats", "plantar", "movements", "audio", "baer", "abr", "brainstem",
    "otoacoustic", "spine", "back", "spleen", "liver", "normotensive", "trileaflet", "tricuspid",
    "lens", "cornea",
)  # fmt: skip


def read_normal_functions(text: str) -> Iterator[NormalFunction]:
    """The functions ``text`` states normal, each with the finding it rules out."""
    lowered = text.lower()
    for a, b in _windows(text):
        window = lowered[a:b]
        if any(word in window for word in _NAMED):
            yield from _read_window(text, a, b)


def _read_window(text: str, start: int, end: int) -> Iterator[NormalFunction]:
    found = list(_stated(text, start, end))
    window = text[start:end].lower()
    if any(cue in window for cue in _SIGN_CUES):
        taken = [(f.start, f.end) for f in found]
        signs = [
            NormalFunction(m.start(), m.end(), _SIGN_PHRASES[group])
            for m in _SIGNS.finditer(text, start, end)
            if not _limited(text, m) and not any(a < m.end() and m.start() < b for a, b in taken)
            for group in _SIGN_PHRASES
            if m[group] is not None
        ]
        if signs:
            found = sorted(found + signs, key=lambda f: (f.start, f.end))
    yield from found


def _stated(text: str, start: int, end: int) -> Iterator[NormalFunction]:
    taken: list[tuple[int, int]] = []
    for m in _COORDINATED.finditer(text, start, end):
        taken.append(m.span())
        if _limited(text, m):
            continue
        group = "list" if m.group("list") is not None else "list2"
        for named in _NAME_RE.finditer(text, m.start(group), m.end(group)):
            yield NormalFunction(
                m.start(), m.end(), _FUNCTIONS[" ".join(named.group(0).lower().split())]
            )
    for m in _STATED.finditer(text, start, end):
        if _limited(text, m) or any(a < m.end() and m.start() < b for a, b in taken):
            continue
        name = next((m[g] for g in _NAME_GROUPS if m[g]), None)
        if m["palate"] is not None:
            phrase = "cleft palate"
        elif name is not None:
            phrase = _FUNCTIONS[" ".join(name.lower().split())]
        else:
            phrase = _FUNCTIONS["hearing"]
        yield NormalFunction(m.start(), m.end(), phrase)


def _limited(text: str, m: re.Match[str]) -> bool:
    """Whether a statement limits itself in time ("normal until 9 months", "early
    development was normal") or is denied ("not normal hearing")."""
    return bool(
        _LIMITED_AFTER.match(text, m.end())
        or _LIMITED_BEFORE.search(text[max(0, m.start() - 30) : m.start()])
    )
