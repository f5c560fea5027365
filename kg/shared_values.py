"""Columns read from JSON with their repeated values as one object each.

A JSON reader makes a new object for every value it reads: HPO's 271,659 annotation rows
hold 271,659 evidence strings of three values, and 271,659 source lists of about 21,600
(the fact table built on them 564,369). Read back as one object per distinct value they
take far less memory in every process that loads them, and less time to build. The rows
handed out are shared: callers read them and never change them in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["shared_rows", "shared_strings"]


def shared_strings(values: Iterable[str]) -> list[str]:
    """``values`` as a list in which equal strings are one object."""
    seen: dict[str, str] = {}
    return [seen.setdefault(value, value) for value in values]


def shared_rows(rows: Iterable[Sequence[str]]) -> list[list[str]]:
    """``rows`` as lists, equal rows as one list object (and their strings shared)."""
    seen: dict[tuple[str, ...], list[str]] = {}
    out: list[list[str]] = []
    for row in rows:
        key = tuple(row)
        found = seen.get(key)
        if found is None:
            found = seen[key] = list(key)
        out.append(found)
    return out
