"""Structures and abilities that only their absence names: "no speech", "no reflexes".

"He has no speech" states *Absent speech*; no name of the HPO is "speech", so a dictionary
reads nothing there, and a context rule would read "no" as ruling out whatever follows
("no speech, unsteady gait and seizures" ruled the gait and the seizures out).
:func:`denied_keys` gives, for each name that states an absence (``Absent X``, ``Absence of
X``, ``Lack of X``) of something no name of any term is, the dictionary key ``no X``; the
linker reads it as that term where the words end their phrase (:func:`ends_a_phrase`), so
"no speech therapy", "no kidney problems" are not read, nor is "no kidney stones", where a
longer name takes the words.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from encoders.normalize import content_tokens

__all__ = ["DENIED", "denied_keys", "ends_a_phrase"]

#: The variant of a dictionary key that :func:`denied_keys` makes.
DENIED = "denied"
_ABSENCE_OPENINGS = ("absent ", "absence of ", "lack of ")
_MAX_WORDS = 3
#: What may follow such a denial for its words to end their phrase.
_PHRASE_ENDS = frozenset(
    {
        ".",
        ",",
        ";",
        ":",
        "!",
        "?",
        ")",
        "but",
        "at",
        "by",
        "since",
        "until",
        "in",
        "on",
        "for",
        "from",
        "after",
        "yet",
        "was",
        "were",
        "is",
        "are",
        "has",
        "have",
        "had",
        "with",
        "despite",
        "\n",
        "-",
        "\u2013",
        "\u2014",
    }
)


def denied_keys(names: Sequence[str]) -> Iterator[tuple[int, tuple[str, ...]]]:
    """``(name id, key)`` of the key ``no X`` for each name ``Absent X`` (``Absence of X``,
    ``Lack of X``; ``X`` of at most three words) whose ``X`` is no name itself.

    Args:
        names: the dictionary's names, by name id.
    """
    plain = {content_tokens(text) for text in names}
    for name_id, text in enumerate(names):
        lower = text.lower()
        opening = next((o for o in _ABSENCE_OPENINGS if lower.startswith(o)), None)
        if opening is None:
            continue
        what = content_tokens(text[len(opening) :])
        if not what or len(what) > _MAX_WORDS or what in plain:
            continue
        yield name_id, ("no", *what)


def ends_a_phrase(lowers: Sequence[str], j: int) -> bool:
    """Whether the words before token ``j`` end their phrase: the text ends there, or a
    mark, a preposition or a verb follows ("no speech at 3 years", not "no speech therapy";
    nor "no speech or language delay", where "and" and "or" may share a head)."""
    return j >= len(lowers) or lowers[j] in _PHRASE_ENDS
