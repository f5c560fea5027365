"""Tests of format detection, UTF-8 checks and loading sources into Oxigraph."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph
import pytest
import rdflib

import kg.sources
from kg.errors import NotUTF8Error, OntologyParseError, UnsupportedFormatError
from kg.sources import (
    SUPPORTED_FORMATS,
    SourceStats,
    UnsupportedSyntaxError,
    check_utf8,
    detect_format,
    load_source,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.ttl", "turtle"),
        ("a.nt", "ntriples"),
        ("a.rdf", "rdfxml"),
        ("a.XML", "rdfxml"),
        ("a.jsonld", "jsonld"),
        ("a.json", "jsonld"),
        ("a.obo", "obo"),
    ],
)
def test_detect_format_by_extension(name: str, expected: str) -> None:
    assert detect_format(Path(name)) == expected


def test_detect_format_unknown_extension_lists_choices() -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        detect_format(Path("ontology.xlsx"))
    for name in SUPPORTED_FORMATS:
        assert name in str(caught.value)
    assert caught.value.path == "ontology.xlsx"


def test_detect_format_explicit_name_wins() -> None:
    assert detect_format(Path("data.txt"), "Turtle") == "turtle"
    with pytest.raises(UnsupportedFormatError, match="'n3'.*obo"):
        detect_format(Path("data.ttl"), "n3")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="x"></rdf:RDF>\n', "rdfxml"),
        ("\n  # a comment\n@prefix ex: <https://e.org/> .\n", "turtle"),
    ],
)
def test_detect_format_sniffs_owl_files(tmp_path: Path, head: str, expected: str) -> None:
    source = tmp_path / "onto.owl"
    source.write_text(head, encoding="utf-8")
    assert detect_format(source) == expected


@pytest.mark.parametrize(
    ("head", "syntax"),
    [
        ("Prefix(:=<https://e.org/>)\nOntology(<https://e.org/o>)\n", "Functional"),
        ("Prefix: : <https://e.org/>\nOntology: <https://e.org/o>\n", "Manchester"),
        ('<?xml version="1.0"?>\n<Ontology xmlns="http://www.w3.org/2002/07/owl#"/>', "OWL/XML"),
    ],
)
def test_detect_format_refuses_other_owl_syntaxes(tmp_path: Path, head: str, syntax: str) -> None:
    source = tmp_path / "onto.owl"
    source.write_text(head, encoding="utf-8")
    with pytest.raises(UnsupportedSyntaxError, match=syntax) as caught:
        detect_format(source)
    assert isinstance(caught.value, UnsupportedFormatError)
    assert "turtle" in str(caught.value)


def test_rdf_xml_that_lost_its_root_is_not_taken_for_owl_xml(tmp_path: Path) -> None:
    # the first element an owl:Ontology with rdf:about: RDF/XML whose rdf:RDF line is gone,
    # which the RDF/XML check then refuses for its root, not "OWL/XML is not supported"
    source = tmp_path / "onto.owl"
    source.write_text(
        '<?xml version="1.0"?>\n<Ontology xmlns="http://www.w3.org/2002/07/owl#" '
        'rdf:about="https://e.org/o">\n</Ontology>\n',
        encoding="utf-8",
    )
    assert detect_format(source) == "rdfxml"


def test_detect_format_missing_owl_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="gone.owl"):
        detect_format(tmp_path / "gone.owl")


def test_check_utf8_accepts_utf8_and_returns_the_files_sha256(fixtures_dir: Path) -> None:
    path = fixtures_dir / "legal" / "legal.ttl"
    assert check_utf8(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_check_utf8_reports_line_of_bad_byte(fixtures_dir: Path) -> None:
    with pytest.raises(NotUTF8Error) as caught:
        check_utf8(fixtures_dir / "latin1.ttl")
    assert caught.value.line == 2
    assert "0xe9" in str(caught.value)


def test_check_utf8_multibyte_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kg.sources, "_CHUNK_BYTES", 4)
    source = tmp_path / "multi.txt"
    source.write_text("ab\ncé€😀\nxyz\n" * 3, encoding="utf-8")
    check_utf8(source)
    source.write_bytes("ab\ncé€😀\n".encode() + b"x\n\xff\n")
    with pytest.raises(NotUTF8Error) as caught:
        check_utf8(source)
    assert caught.value.line == 4


def test_check_utf8_truncated_sequence_at_end(tmp_path: Path) -> None:
    source = tmp_path / "cut.txt"
    source.write_bytes("line\n€".encode()[:-1])
    with pytest.raises(NotUTF8Error) as caught:
        check_utf8(source)
    assert caught.value.line == 2


@pytest.fixture
def legal_graph(fixtures_dir: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(fixtures_dir / "legal" / "legal.ttl", format="turtle")


@pytest.mark.parametrize(
    ("rdflib_format", "suffix", "expected"),
    [
        ("turtle", ".ttl", "turtle"),
        ("nt", ".nt", "ntriples"),
        ("xml", ".rdf", "rdfxml"),
        ("xml", ".owl", "rdfxml"),
        ("turtle", ".owl", "turtle"),
        ("json-ld", ".jsonld", "jsonld"),
    ],
)
def test_load_source_formats_give_same_triples(
    tmp_path: Path, legal_graph: rdflib.Graph, rdflib_format: str, suffix: str, expected: str
) -> None:
    source = tmp_path / f"legal{suffix}"
    legal_graph.serialize(destination=source, format=rdflib_format, encoding="utf-8")
    store = pyoxigraph.Store()
    stats = load_source(store, source, workdir=tmp_path / "work")
    assert stats.format == expected
    assert stats.triples == len(store) == len(legal_graph)
    assert stats.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


def test_load_source_obo_converts_and_cleans_up(tmp_path: Path, fixtures_dir: Path) -> None:
    store = pyoxigraph.Store()
    workdir = tmp_path / "work"
    stats = load_source(store, fixtures_dir / "mini.obo", workdir=workdir)
    assert isinstance(stats, SourceStats)
    assert stats.format == "obo"
    assert stats.triples == len(store) > 50
    assert list(workdir.iterdir()) == []
    assert stats.to_dict()["sha256"] == stats.sha256


def test_load_source_keeps_blank_nodes_of_two_files_apart(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    query = "SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?b ?p ?o FILTER isBlank(?b) }"
    store = pyoxigraph.Store()
    load_source(store, fixtures_dir / "mini.obo", workdir=tmp_path)
    (once,) = store.query(query)
    copy = tmp_path / "copy.obo"
    copy.write_bytes((fixtures_dir / "mini.obo").read_bytes())
    load_source(store, copy, workdir=tmp_path)
    (twice,) = store.query(query)
    assert int(twice["n"].value) == 2 * int(once["n"].value) > 0


def test_load_source_bad_turtle_reports_line(tmp_path: Path, fixtures_dir: Path) -> None:
    with pytest.raises(OntologyParseError) as caught:
        load_source(pyoxigraph.Store(), fixtures_dir / "bad.ttl", workdir=tmp_path)
    assert caught.value.line == 5
    assert caught.value.path.endswith("bad.ttl")


def test_load_source_bad_obo_reports_line(tmp_path: Path, fixtures_dir: Path) -> None:
    with pytest.raises(OntologyParseError) as caught:
        load_source(pyoxigraph.Store(), fixtures_dir / "bad.obo", workdir=tmp_path)
    assert caught.value.line == 7
    assert caught.value.path.endswith("bad.obo")


def test_load_source_latin1_raises_not_utf8(tmp_path: Path, fixtures_dir: Path) -> None:
    with pytest.raises(NotUTF8Error):
        load_source(pyoxigraph.Store(), fixtures_dir / "latin1.ttl", workdir=tmp_path)


def test_load_source_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.ttl"):
        load_source(pyoxigraph.Store(), tmp_path / "nowhere.ttl", workdir=tmp_path)


def test_load_source_unknown_extension(tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(UnsupportedFormatError, match="jsonld"):
        load_source(pyoxigraph.Store(), source, workdir=tmp_path)
