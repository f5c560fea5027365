"""Helpers for property tests of file readers: a valid file damaged in one place."""

from __future__ import annotations

#: The ways a line is damaged: dropped, written twice, or replaced by other bytes.
LINE_DAMAGE = ("drop", "repeat", "replace")


def line_damaged(data: bytes, at: int, how: str, line: bytes = b"") -> bytes:
    """``data`` with its line ``at`` (0-based, modulo the line count) dropped, repeated, or
    replaced by ``line`` (``how``: one of :data:`LINE_DAMAGE`)."""
    lines = data.splitlines(keepends=True)
    at %= len(lines)
    if how == "drop":
        del lines[at]
    elif how == "repeat":
        lines.insert(at, lines[at])
    elif how == "replace":
        lines[at] = line + b"\n"
    else:
        raise ValueError(f"unknown damage {how!r}; choose one of {', '.join(LINE_DAMAGE)}")
    return b"".join(lines)


def bytes_changed(data: bytes, edits: list[tuple[float, bytes]]) -> bytes:
    """``data`` with each edit's bytes written over it at its share of the length (0 to 1)."""
    out = bytearray(data)
    for share, new in edits:
        at = min(int(share * len(out)), len(out) - 1)
        out[at : at + len(new)] = new
    return bytes(out)
