"""Properties of reading an OBO file that is damaged anywhere (hypothesis): the mini OBO file
with a line dropped, repeated or replaced, cut short, or with bytes changed is converted and
loaded as a build reads it, or refused with an OntologyParseError naming the file, never
another exception."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import OntologyParseError
from kg.obo import obo_to_ntriples
from kg.sources import load_source
from tests.damaged_files import LINE_DAMAGE, bytes_changed, line_damaged

MINI = Path(__file__).parents[1] / "fixtures" / "mini.obo"
WHOLE = MINI.read_bytes()
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
    store = pyoxigraph.Store()
    try:  # converted to N-Triples and loaded, as a build reads it
        stats = load_source(store, path, workdir=tmp_path / "work")
    except OntologyParseError as exc:
        assert "damaged.obo" in str(exc)
    else:  # what it reports it loaded is in the store (a repeated triple is held once)
        assert len(store) <= stats.triples and (len(store) > 0) == (stats.triples > 0)


def test_the_file_itself_is_converted(tmp_path: Path) -> None:
    assert obo_to_ntriples(MINI, io.StringIO()).terms > 5


@_PROPERTY
@given(st.integers(0, WHOLE.count(b"\n")), st.sampled_from(LINE_DAMAGE), LINE)
def test_a_line_dropped_repeated_or_replaced(
    tmp_path: Path, at: int, how: str, line: bytes
) -> None:
    _converted_or_refused(tmp_path, line_damaged(WHOLE, at, how, line))


@_PROPERTY
@given(st.integers(0, len(WHOLE)))
def test_cut_short_anywhere(tmp_path: Path, at: int) -> None:
    _converted_or_refused(tmp_path, WHOLE[:at])


@_PROPERTY
@given(
    st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=3)), min_size=1, max_size=4)
)
def test_bytes_changed_anywhere(tmp_path: Path, edits: list[tuple[float, bytes]]) -> None:
    _converted_or_refused(tmp_path, bytes_changed(WHOLE, edits))


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf", b"[Term]\n"])
def test_files_with_nearly_nothing(tmp_path: Path, data: bytes) -> None:
    _converted_or_refused(tmp_path, data)
