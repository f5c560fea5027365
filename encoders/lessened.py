"""Plain quantities that a lessening word turns around: "inadequate weight gain".

HPO files some plain quantities as names of their increase: *Weight gain* is a synonym of
*Increased body weight*, *Sweating* of *Hyperhidrosis*, *Lumbar lordosis* of *Lumbar
hyperlordosis*. Written after a word that lessens the quantity ("inadequate weight gain",
"absent sweating", "loss of lumbar lordosis", "failed to gain weight", "had not gained
weight"), such a name says the opposite of its term. :class:`LessenedNames` finds those
names in a dictionary, and for each the term that another name gives the lessened quantity:
"poor weight gain" names *Failure to thrive*, "decreased sweating" *Hypohidrosis*, "lack of
sweating" *Anhidrosis*, "reduced lumbar lordosis" *Lumbar hypolordosis*. The linker reads
that term instead, or nothing where no name gives one.

A plain quantity is a name of a term whose label holds a word of increase (``Increased``,
``Hyper-``, ``Excessive``, ...) while the name holds none.
Negation ("no sweating") is left to the context rules, since "no sweating, no fever" in a
review of systems rules out *Hyperhidrosis* rather than stating *Anhidrosis*; only a denied
verb ("did not gain weight", "is not gaining weight") reads as the lessened quantity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["LessenedNames", "Lessening"]

_INCREASE_LABEL = re.compile(
    r"\b(?:increased|hyper|excessive|elevated|high\b|enlarged|accelerated|abundant)",
    re.IGNORECASE,
)
_INCREASE_WORD = re.compile(
    r"increas|hyper|excess|elevat|high|enlarg|macro|large|accelerat|abundan|raised|great|big"
    r"|rapid|over|much|extra|heav|marked|promin|exagger",
    re.IGNORECASE,
)
#: Words that lessen what follows, by what they leave: none of it, or less of it.
_ABSENCE = ("absent", "lack of", "loss of", "lacking")
_DECREASE = (
    "poor",
    "decreased",
    "reduced",
    "diminished",
    "inadequate",
    "insufficient",
    "suboptimal",
    "slow",
    "low",
    "impaired",
    "deficient",
    "minimal",
    "failure to",
    "failed to",
    "fails to",
    "fail to",
    "unable to",
    "inability to",
)
#: Before a name read as a verb ("gained weight" for *Weight gain*) a denial lessens too.
_DENIALS = ("not", "never")
_LONGEST = max(len(w.split()) for w in (*_ABSENCE, *_DECREASE))


@dataclass(frozen=True, slots=True)
class Lessening:
    """What a lessening word before a plain quantity gives: the token where the words
    start, and the name (its id in the linker's names) of the lessened quantity's term, or
    ``None`` where no name gives one (the quantity is then not read)."""

    start: int
    name_id: int | None


class LessenedNames:
    """The plain quantities among a dictionary's names and the names of their lessening.

    Built from the names by :meth:`from_names`; the linker keeps :meth:`rows` in its saved
    index, so later processes read them back (:meth:`from_rows`) rather than scan every name.

    Args:
        counterparts: per plain quantity ``(term IRI, name in lower case)``, the name ids of
            its absence and of its decrease (None where no name gives one).

    Attributes:
        terms: the terms that some plain quantity names (a quick test before
            :meth:`reading`).
    """

    def __init__(
        self, counterparts: Mapping[tuple[str, str], tuple[int | None, int | None]]
    ) -> None:
        self._counterparts = dict(counterparts)
        self.terms = frozenset(iri for iri, _ in self._counterparts)

    @classmethod
    def from_names(
        cls, names: Sequence[tuple[str, str]], labels: Mapping[str, str]
    ) -> LessenedNames:
        """Find them among ``names`` (``(term IRI, name)`` per name id, in the linker's
        order), the terms' ``labels`` saying which term is an increase."""
        increase = {iri for iri, label in labels.items() if _INCREASE_LABEL.search(label)}
        prefixes = tuple(f"{w} " for w in (*_ABSENCE, *_DECREASE))
        by_text: dict[str, int] = {}  # the names that open with a lessening word
        plain: list[tuple[str, str]] = []
        for name_id, (iri, text) in enumerate(names):
            lower = text.lower()
            if lower.startswith(prefixes):
                by_text.setdefault(" ".join(lower.split()), name_id)
            if iri in increase and not _INCREASE_WORD.search(lower):
                plain.append((iri, " ".join(lower.split())))
        counterparts = {}
        for iri, name in plain:
            none = next(
                (by_text[f"{w} {name}"] for w in _ABSENCE if f"{w} {name}" in by_text), None
            )
            less = next(
                (by_text[f"{w} {name}"] for w in _DECREASE if f"{w} {name}" in by_text), None
            )
            counterparts[(iri, name)] = (none, less)
        return cls(counterparts)

    def rows(self) -> list[list[Any]]:
        """``[IRI, name, absence id, decrease id]`` per plain quantity (JSON-ready)."""
        return [[iri, name, none, less] for (iri, name), (none, less) in self._counterparts.items()]

    @classmethod
    def from_rows(cls, rows: Any, num_names: int) -> LessenedNames:
        """Read :meth:`rows` back, each name id checked against ``num_names``.

        Raises:
            ValueError: a row that is not of four fields of the right types.
        """
        if not isinstance(rows, list):
            raise ValueError("the lessened names are not a list")
        counterparts: dict[tuple[str, str], tuple[int | None, int | None]] = {}
        for row in rows:
            if not (isinstance(row, list) and len(row) == 4):
                raise ValueError(f"lessened name {len(counterparts)} is not of four fields")
            iri, name, none, less = row
            ids_ok = all(x is None or (type(x) is int and 0 <= x < num_names) for x in (none, less))
            if not (isinstance(iri, str) and isinstance(name, str) and ids_ok):
                raise ValueError(f"lessened name {len(counterparts)} is not a lessened name")
            counterparts[(iri, name)] = (none, less)
        return cls(counterparts)

    def plain_quantities(self) -> Iterable[tuple[str, str]]:
        """Each plain quantity as ``(term IRI, name in lower case)``."""
        return self._counterparts.keys()

    def reading(
        self, iri: str, name: str, lowers: Sequence[str], i: int, *, verbal: bool
    ) -> Lessening | None:
        """What the words before token ``i`` make of the name ``name`` of ``iri`` matched
        there: None where the name is no plain quantity or nothing lessens it.

        Args:
            iri: the matched term.
            name: the matched name.
            lowers: the text's tokens in lower case.
            i: the match's first token.
            verbal: the name was matched in another word order ("gained weight" for
                *Weight gain*), as a verb phrase, which a denial before it lessens.
        """
        counterpart = self._counterparts.get((iri, " ".join(name.lower().split())))
        if counterpart is None or i == 0:
            return None
        none, less = counterpart
        for size in range(min(_LONGEST, i), 0, -1):
            words = " ".join(lowers[i - size : i])
            if words in _ABSENCE:
                return Lessening(i - size, none if none is not None else less)
            if words in _DECREASE:
                return Lessening(i - size, less if less is not None else none)
        if verbal and lowers[i - 1] in _DENIALS:
            return Lessening(i - 1, less if less is not None else none)
        return None
