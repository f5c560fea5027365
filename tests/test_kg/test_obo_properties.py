"""Properties of reading an OBO file that is damaged anywhere (hypothesis): the mini OBO file
with a line dropped, repeated or replaced, cut short, or with bytes changed is converted, or
refused with an OntologyParseError naming the file, never another exception."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import OntologyParseError
from kg.obo import obo_to_ntriples

MINI = Path(__file__).parents[1] / "fixtures" / "mini.obo"
LINES = MINI.read_bytes().splitlines(keepends=True)
_PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
#: Bits of OBO that make a line look like it belongs: clause tags, frame headers, qualifiers.
PIECES = st.sampled_from(
    [b"[Term]", b"[Typedef]", b"id: ", b"is_a: ", b"name: ", b"synonym: ", b"def: ", b'"',
     b"{", b"}", b"[", b"]", b"!", b":", b"\\", b"relationship: ", b"intersection_of: ",
     b"is_obsolete: true", b"MINI:0000002", b"EXACT", b"\t", b"\n", b"\xc3\xa9", b"\xff"]
)  # fmt: skip
LINE = st.lists(PIECES | st.binary(max_size=6), max_size=6).map(b"".join)


def _converted_or_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "damaged.obo"
    path.write_bytes(data)
    try:
        stats = obo_to_ntriples(path, io.StringIO())
    except OntologyParseError as exc:
        assert "damaged.obo" in str(exc)
    else:
        assert stats.triples >= 0


def test_the_file_itself_is_converted(tmp_path: Path) -> None:
    assert obo_to_ntriples(MINI, io.StringIO()).terms > 5


@_PROPERTY
@given(st.integers(0, len(LINES) - 1), st.sampled_from(["drop", "repeat", "replace"]), LINE)
def test_a_line_dropped_repeated_or_replaced(
    tmp_path: Path, at: int, how: str, line: bytes
) -> None:
    lines = list(LINES)
    if how == "drop":
        del lines[at]
    elif how == "repeat":
        lines.insert(at, lines[at])
    else:
        lines[at] = line + b"\n"
    _converted_or_refused(tmp_path, b"".join(lines))


@_PROPERTY
@given(st.integers(0, len(b"".join(LINES))))
def test_cut_short_anywhere(tmp_path: Path, at: int) -> None:
    _converted_or_refused(tmp_path, b"".join(LINES)[:at])


@_PROPERTY
@given(
    st.lists(
        st.tuples(st.integers(0, len(LINES) * 20), st.binary(min_size=1, max_size=3)),
        min_size=1,
        max_size=4,
    )
)
def test_bytes_changed_anywhere(tmp_path: Path, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(b"".join(LINES))
    for at, new in edits:
        at %= len(data)
        data[at : at + len(new)] = new
    _converted_or_refused(tmp_path, bytes(data))


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf", b"[Term]\n"])
def test_files_with_nearly_nothing(tmp_path: Path, data: bytes) -> None:
    _converted_or_refused(tmp_path, data)
