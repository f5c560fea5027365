"""Properties of loading a damaged RDF source (hypothesis): the legal ontology's Turtle, and
the same graph written as RDF/XML, with a line dropped, repeated or replaced, cut short, or
with bytes changed, are loaded or refused with an error naming the file (a parse error, or a
syntax kgfuse does not read), never another exception."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import OntologyParseError, UnsupportedFormatError
from kg.sources import load_source
from tests.damaged_files import LINE_DAMAGE, bytes_changed, line_damaged

LEGAL = Path(__file__).parents[1] / "fixtures" / "legal" / "legal.ttl"
TURTLE = LEGAL.read_bytes()
RDF_XML = pyoxigraph.serialize(
    pyoxigraph.parse(TURTLE, format=pyoxigraph.RdfFormat.TURTLE),
    format=pyoxigraph.RdfFormat.RDF_XML,
)
SOURCES = {"ttl": TURTLE, "owl": RDF_XML}
PIECES = st.sampled_from(
    [b"<", b">", b"@prefix", b"@base", b" a ", b";", b".", b",", b'"', b'"""', b"#", b"_:b",
     b"<rdf:RDF>", b"</rdf:RDF>", b"<owl:Class", b"/>", b"rdf:about=", b"&", b"\\u", b"\xff"]
)  # fmt: skip
_PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _loaded_or_refused(tmp_path: Path, suffix: str, data: bytes) -> None:
    path = tmp_path / f"damaged.{suffix}"
    path.write_bytes(data)
    store = pyoxigraph.Store()
    try:
        stats = load_source(store, path, workdir=tmp_path / "work")
    except (OntologyParseError, UnsupportedFormatError) as exc:
        assert "damaged" in str(exc)
    else:  # what it reports it loaded is in the store (a repeated triple is held once)
        assert len(store) <= stats.triples and (len(store) > 0) == (stats.triples > 0)


def test_both_forms_load_whole(tmp_path: Path) -> None:
    for suffix, data in SOURCES.items():
        path = tmp_path / f"legal.{suffix}"
        path.write_bytes(data)
        assert load_source(pyoxigraph.Store(), path, workdir=tmp_path).triples > 50


@_PROPERTY
@given(
    st.sampled_from(sorted(SOURCES)),
    st.data(),
    st.sampled_from(LINE_DAMAGE),
    st.lists(PIECES | st.binary(max_size=5), max_size=5).map(b"".join),
)
def test_a_line_dropped_repeated_or_replaced(
    tmp_path: Path, suffix: str, data: st.DataObject, how: str, line: bytes
) -> None:
    at = data.draw(st.integers(0, SOURCES[suffix].count(b"\n")))
    _loaded_or_refused(tmp_path, suffix, line_damaged(SOURCES[suffix], at, how, line))


@_PROPERTY
@given(st.sampled_from(sorted(SOURCES)), st.floats(0, 1))
def test_cut_short_anywhere(tmp_path: Path, suffix: str, share: float) -> None:
    whole = SOURCES[suffix]
    _loaded_or_refused(tmp_path, suffix, whole[: int(share * len(whole))])


@_PROPERTY
@given(
    st.sampled_from(sorted(SOURCES)),
    st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=3)), min_size=1, max_size=4),
)
def test_bytes_changed_anywhere(
    tmp_path: Path, suffix: str, edits: list[tuple[float, bytes]]
) -> None:
    _loaded_or_refused(tmp_path, suffix, bytes_changed(SOURCES[suffix], edits))


@pytest.mark.parametrize("suffix", sorted(SOURCES))
@pytest.mark.parametrize("data", [b"", b"\n", b"\xef\xbb\xbf", b"\x00\x00"])
def test_files_with_nearly_nothing(tmp_path: Path, suffix: str, data: bytes) -> None:
    _loaded_or_refused(tmp_path, suffix, data)
