"""The OBO-to-OWL mapping of kg.obo that mutation testing found unchecked: the exact triples
written for the header (ontology IRI, owl:imports, data-version), for [Typedef] clauses and
for class expressions (intersection_of, union_of lists), the conversion counts, and the
errors for files that cannot be converted.

Most tests compare the whole output with the graph expected, written in Turtle, up to the
blank node labels (rdflib's graph isomorphism)."""

from __future__ import annotations

import errno
import io
import logging
from pathlib import Path

import fastobo
import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

import kg.obo
from kg.errors import NotUTF8Error, OntologyParseError
from kg.namespaces import OBO
from kg.obo import OboStats, obo_to_ntriples

PREFIXES = """
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
#: The header triples every test file with ``format-version: 1.4`` and ``ontology: x`` makes.
X_HEADER = 'obo:x.owl a owl:Ontology ; oio:hasOBOFormatVersion "1.4" .'


def _convert(tmp_path: Path, text: str, name: str = "x.obo") -> tuple[str, OboStats]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    stats = obo_to_ntriples(path, out)
    return out.getvalue(), stats


def _assert_graph(ntriples: str, expected_turtle: str) -> None:
    """The N-Triples are exactly the expected graph (blank nodes matched by structure)."""
    got = rdflib.Graph().parse(data=ntriples, format="nt")
    want = rdflib.Graph().parse(data=PREFIXES + expected_turtle, format="turtle")
    if not isomorphic(got, want):
        _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
        pytest.fail(
            "written but not expected:\n"
            + only_got.serialize(format="nt")
            + "\nexpected but not written:\n"
            + only_want.serialize(format="nt")
        )


# -- header -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ontology", "iri", "ontology_id"),
    [
        ("x", OBO + "x.owl", "x"),
        ("x.obo", OBO + "x.owl", "x"),
        ("x.owl", OBO + "x.owl", "x"),
        ("http://example.org/x", "http://example.org/x", "http://example.org/x"),
        ("https://example.org/x", "https://example.org/x", "https://example.org/x"),
    ],
)
def test_ontology_line_names_the_ontology_and_its_unprefixed_ids(
    tmp_path: Path, ontology: str, iri: str, ontology_id: str
) -> None:
    text, stats = _convert(
        tmp_path,
        f"format-version: 1.4\ndata-version: v1\nontology: {ontology}\n\n[Typedef]\nid: overlaps\n",
        name="file.obo",
    )
    assert stats.ontology_iri == iri
    assert stats.version == "v1"
    subjects = {line.split(" ", 1)[0] for line in text.splitlines()}
    (relation,) = subjects - {f"<{iri}>"}
    # an unprefixed id is named after the ontology id (not the file name)
    assert relation.endswith(f"{ontology_id}#overlaps>")
    if not ontology_id.startswith("http"):
        assert relation == f"<{OBO}{ontology_id}#overlaps>"
    _assert_graph(
        text,
        f'<{iri}> a owl:Ontology ; oio:hasOBOFormatVersion "1.4" ; owl:versionInfo "v1" .'
        f'{relation} a owl:ObjectProperty ; oio:id "overlaps" .',
    )


def test_header_tags_become_ontology_annotations(tmp_path: Path) -> None:
    text, stats = _convert(
        tmp_path,
        "format-version: 1.4\ndata-version: x/releases/2025-02-03\n"
        "default-namespace: x_ns\nauto-generated-by: tool 1.0\nremark: first remark\n"
        'subsetdef: core "Core terms"\nsynonymtypedef: abbr "abbreviation"\n'
        "idspace: terms http://purl.org/dc/terms/\n"
        'property_value: terms:title "The X ontology" xsd:string\nontology: x\n',
    )
    assert stats.version == "x/releases/2025-02-03"
    assert stats.terms == 0
    _assert_graph(
        text,
        X_HEADER
        + """
        obo:x.owl owl:versionInfo "x/releases/2025-02-03" ;
            oio:default-namespace "x_ns" ; oio:auto-generated-by "tool 1.0" ;
            rdfs:comment "first remark" ; <http://purl.org/dc/terms/title> "The X ontology" .
        <http://purl.obolibrary.org/obo/x#core> a owl:AnnotationProperty ;
            rdfs:subPropertyOf oio:SubsetProperty ; rdfs:comment "Core terms" .
        <http://purl.obolibrary.org/obo/x#abbr> a owl:AnnotationProperty ;
            rdfs:subPropertyOf oio:SynonymTypeProperty ; rdfs:label "abbreviation" .
        """,
    )


@pytest.mark.parametrize(
    ("clause", "tag", "value"),
    [
        ("saved-by: someone", "saved-by", "someone"),
        (
            "treat-xrefs-as-relationship: MA homologous_to",
            "treat-xrefs-as-relationship",
            "MA homologous_to",
        ),
    ],
)
# fastobo 0.14's raw_tag() gives "saved-py" and "treat-xrefs-as-relationships" (fixed in kg.obo)
def test_header_tag_is_named_as_written(tmp_path: Path, clause: str, tag: str, value: str) -> None:
    text, _ = _convert(tmp_path, f"format-version: 1.4\n{clause}\nontology: x\n")
    _assert_graph(text, X_HEADER + f'obo:x.owl oio:{tag} "{value}" .')


def test_without_data_version_the_version_is_none(tmp_path: Path) -> None:
    text, stats = _convert(tmp_path, "format-version: 1.4\nontology: x\n")
    assert stats.version is None
    _assert_graph(text, X_HEADER)


@pytest.mark.parametrize(
    ("value", "imported"),
    [
        ("http://example.org/b.owl", "http://example.org/b.owl"),
        ("https://example.org/a.obo", "https://example.org/a.obo"),  # not an OBO PURL: as is
        (OBO + "go.obo", OBO + "go.owl"),
        (OBO + "go.owl", OBO + "go.owl"),
        ("https://purl.obolibrary.org/obo/go.obo", "https://purl.obolibrary.org/obo/go.owl"),
        ("go", OBO + "go.owl"),
        ("go.obo", OBO + "go.owl"),
        ("pato.owl", OBO + "pato.owl"),
        ("path/to/hp.obo", OBO + "hp.owl"),
    ],
)
def test_import_becomes_owl_imports(tmp_path: Path, value: str, imported: str) -> None:
    text, _ = _convert(tmp_path, f"format-version: 1.4\nimport: {value}\nontology: x\n")
    _assert_graph(text, X_HEADER + f"obo:x.owl owl:imports <{imported}> .")


def test_several_imports_each_become_owl_imports(tmp_path: Path) -> None:
    text, _ = _convert(
        tmp_path,
        "format-version: 1.4\nontology: x\nimport: go\nimport: http://example.org/b.owl\n",
    )
    _assert_graph(text, X_HEADER + "obo:x.owl owl:imports obo:go.owl, <http://example.org/b.owl> .")


def test_without_ontology_line_the_header_is_not_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # no owl:Ontology node to hang the header on: imports, version and tags are not written,
    # the version is still reported, and unprefixed ids are named after the file
    text, stats = _convert(
        tmp_path,
        "format-version: 1.4\ndata-version: v2\nimport: go\nremark: r\n\n"
        "[Term]\nid: X:1\nrelationship: part_of X:2\n\n[Typedef]\nid: part_of\n",
        name="noname.obo",
    )
    assert stats.ontology_iri is None
    assert stats.version == "v2"
    # the import is not loaded: a warning names the file and what it imports
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(tmp_path / "noname.obo") in warning.getMessage()
    assert OBO + "go.owl" in warning.getMessage()
    _assert_graph(
        text,
        """
        obo:X_1 a owl:Class ; oio:id "X:1" ; rdfs:subClassOf [ a owl:Restriction ;
            owl:onProperty <http://purl.obolibrary.org/obo/noname#part_of> ;
            owl:someValuesFrom obo:X_2 ] .
        <http://purl.obolibrary.org/obo/noname#part_of> a owl:ObjectProperty ;
            oio:id "part_of" .
        """,
    )


# -- typedefs ---------------------------------------------------------------------------------


def test_typedef_clauses_map_to_owl_property_axioms(tmp_path: Path) -> None:
    text, stats = _convert(
        tmp_path,
        "format-version: 1.4\nontology: x\n\n"
        "[Typedef]\nid: RO:0000001\nname: prefixed first\n\n"
        "[Typedef]\nid: part_of\nname: part of\nnamespace: relations\n"
        "is_a: overlaps\ndomain: X:1\nrange: X:2\ninverse_of: has_part\n"
        "equivalent_to: RO:0000009\nis_transitive: true\nis_symmetric: false\n"
        "is_asymmetric: true\nis_reflexive: true\nis_functional: true\n"
        "is_inverse_functional: true\nxref: BFO:0000050\n\n"
        "[Typedef]\nid: has_part\nxref: BFO:0000051\nis_symmetric: true\n\n"
        "[Typedef]\nid: overlaps\nis_reflexive: false\n",
    )
    assert stats.terms == 0
    _assert_graph(
        text,
        X_HEADER
        + """
        obo:RO_0000001 a owl:ObjectProperty ; oio:id "RO:0000001" ;
            rdfs:label "prefixed first" .
        obo:BFO_0000050 a owl:ObjectProperty, owl:TransitiveProperty,
                owl:AsymmetricProperty, owl:ReflexiveProperty, owl:FunctionalProperty,
                owl:InverseFunctionalProperty ;
            oio:id "part_of" ; oio:shorthand "part_of" ; rdfs:label "part of" ;
            oio:hasOBONamespace "relations" ;
            rdfs:subPropertyOf <http://purl.obolibrary.org/obo/x#overlaps> ;
            rdfs:domain obo:X_1 ; rdfs:range obo:X_2 ;
            owl:inverseOf obo:BFO_0000051 ; owl:equivalentProperty obo:RO_0000009 ;
            oio:hasDbXref "BFO:0000050" .
        obo:BFO_0000051 a owl:ObjectProperty, owl:SymmetricProperty ;
            oio:id "has_part" ; oio:shorthand "has_part" ; oio:hasDbXref "BFO:0000051" .
        <http://purl.obolibrary.org/obo/x#overlaps> a owl:ObjectProperty ; oio:id "overlaps" .
        """,
    )


@pytest.mark.parametrize(
    ("flag", "kind"), [("true", "AnnotationProperty"), ("false", "ObjectProperty")]
)
def test_metadata_tag_typedef_is_an_annotation_property(
    tmp_path: Path, flag: str, kind: str
) -> None:
    text, _ = _convert(
        tmp_path,
        "format-version: 1.4\nontology: x\n\n"
        f"[Typedef]\nid: IAO:0000116\nis_metadata_tag: {flag}\n",
    )
    _assert_graph(text, X_HEADER + f'obo:IAO_0000116 a owl:{kind} ; oio:id "IAO:0000116" .')


# fastobo keeps a [Typedef]'s replaced_by / consider id in .typedef: this crashed before
def test_obsolete_typedef_replaced_by_and_consider(tmp_path: Path) -> None:
    text, _ = _convert(
        tmp_path,
        "format-version: 1.4\nontology: x\n\n"
        "[Typedef]\nid: RO:0000001\nis_obsolete: true\nreplaced_by: RO:0000002\n"
        "consider: RO:0000003\n",
    )
    _assert_graph(
        text,
        X_HEADER
        + """
        obo:RO_0000001 a owl:ObjectProperty ; oio:id "RO:0000001" ;
            owl:deprecated true ; obo:IAO_0100001 obo:RO_0000002 ; oio:consider "RO:0000003" .
        """,
    )


# -- terms ------------------------------------------------------------------------------------


def test_intersection_of_is_an_equivalent_class_of_genus_and_differentia(tmp_path: Path) -> None:
    text, _ = _convert(
        tmp_path,
        "format-version: 1.4\nontology: x\n\n"
        "[Term]\nid: X:3\nintersection_of: X:1\nintersection_of: part_of X:2\n"
        "intersection_of: has_part X:4\n\n"
        "[Term]\nid: X:9\nintersection_of: X:1 ! genus only\n\n"
        "[Typedef]\nid: part_of\nxref: BFO:0000050\n",
    )
    _assert_graph(
        text,
        X_HEADER
        + """
        obo:X_3 a owl:Class ; oio:id "X:3" ;
            owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( obo:X_1
                [ a owl:Restriction ; owl:onProperty obo:BFO_0000050 ;
                  owl:someValuesFrom obo:X_2 ]
                [ a owl:Restriction ; owl:onProperty <http://purl.obolibrary.org/obo/x#has_part> ;
                  owl:someValuesFrom obo:X_4 ] ) ] .
        obo:X_9 a owl:Class ; oio:id "X:9" ;
            owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( obo:X_1 ) ] .
        obo:BFO_0000050 a owl:ObjectProperty ; oio:id "part_of" ; oio:shorthand "part_of" ;
            oio:hasDbXref "BFO:0000050" .
        """,
    )


def test_union_of_and_intersection_of_in_one_term(tmp_path: Path) -> None:
    text, _ = _convert(
        tmp_path,
        "format-version: 1.4\nontology: x\n\n"
        "[Term]\nid: X:5\nunion_of: X:6\nintersection_of: X:1\nunion_of: X:7\n"
        "union_of: X:8\nintersection_of: part_of X:2\n\n"
        "[Term]\nid: X:10\nname: ten\n",
    )
    _assert_graph(
        text,
        X_HEADER
        + """
        obo:X_5 a owl:Class ; oio:id "X:5" ;
            owl:equivalentClass [ a owl:Class ; owl:unionOf ( obo:X_6 obo:X_7 obo:X_8 ) ],
                [ a owl:Class ; owl:intersectionOf ( obo:X_1 [ a owl:Restriction ;
                    owl:onProperty <http://purl.obolibrary.org/obo/x#part_of> ;
                    owl:someValuesFrom obo:X_2 ] ) ] .
        obo:X_10 a owl:Class ; oio:id "X:10" ; rdfs:label "ten" .
        """,
    )


def test_term_class_axioms_and_annotations(tmp_path: Path) -> None:
    text, stats = _convert(
        tmp_path,
        "format-version: 1.4\nontology: x\n\n"
        "[Term]\nid: X:3\nname: three\nequivalent_to: X:7\nequivalent_to: X:8\n"
        "disjoint_from: X:9\nnamespace: x_ns\ncreated_by: someone\n"
        'comment: caused by gene X {source="PMID:1"}\nis_obsolete: false\n',
    )
    assert (stats.terms, stats.obsolete) == (1, 0)
    _assert_graph(
        text,
        X_HEADER
        + """
        obo:X_3 a owl:Class ; oio:id "X:3" ; rdfs:label "three" ;
            owl:equivalentClass obo:X_7, obo:X_8 ; owl:disjointWith obo:X_9 ;
            oio:hasOBONamespace "x_ns" ; oio:created_by "someone" ;
            rdfs:comment "caused by gene X" .
        """,
    )


# -- counts -----------------------------------------------------------------------------------


def test_counts_terms_obsolete_terms_and_every_triple_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # written out a few lines at a time: the triple count adds up every batch
    monkeypatch.setattr(kg.obo, "_FLUSH_EVERY", 4)
    text, stats = _convert(
        tmp_path,
        "format-version: 1.4\ndata-version: v3\nontology: x\n\n"
        "[Term]\nid: X:1\nname: one\n\n"
        "[Term]\nid: X:2\nname: two\nis_obsolete: true\n\n"
        "[Term]\nid: X:3\nname: three\nis_obsolete: false\n\n"
        "[Term]\nid: X:4\nis_obsolete: true\n\n"
        "[Typedef]\nid: part_of\n\n[Instance]\nid: I:1\n\n[Term]\nid: X:5\n",
    )
    assert stats == OboStats(
        terms=5,
        obsolete=2,
        triples=len(text.splitlines()),
        ontology_iri=OBO + "x.owl",
        version="v3",
        frames=7,  # the five terms, the typedef and the instance
    )
    assert stats.triples == 20
    assert len(rdflib.Graph().parse(data=text, format="nt")) == 20


def test_default_blank_prefix_is_b(tmp_path: Path) -> None:
    text, _ = _convert(
        tmp_path, "format-version: 1.4\nontology: x\n\n[Term]\nid: X:1\nrelationship: r X:2\n"
    )
    blanks = {line.split(" ", 1)[0] for line in text.splitlines() if line.startswith("_:")}
    assert blanks and all(label.startswith("_:b") and label[3:].isdigit() for label in blanks)


def test_blank_prefix_may_hold_underscores_and_digits(tmp_path: Path) -> None:
    path = tmp_path / "x.obo"
    path.write_text(
        "format-version: 1.4\n\n[Term]\nid: X:1\nrelationship: r X:2\n", encoding="utf-8"
    )
    out = io.StringIO()
    obo_to_ntriples(path, out, blank_prefix="my_file_2")
    assert out.getvalue().count("_:my_file_2") == 4


# -- errors -----------------------------------------------------------------------------------


def test_missing_file_is_enoent_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.obo"
    with pytest.raises(FileNotFoundError) as caught:
        obo_to_ntriples(missing, io.StringIO())
    assert caught.value.errno == errno.ENOENT
    assert caught.value.filename == str(missing)


def test_invalid_obo_says_why_and_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.obo"
    path.write_text(
        "format-version: 1.4\nontology: x\n\n[Term]\nid: X:1\n[Term]\nid X:2\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyParseError) as caught:
        obo_to_ntriples(path, io.StringIO())
    assert caught.value.path == str(path)
    assert caught.value.line == 7
    assert isinstance(caught.value.reason, str) and caught.value.reason.strip()


def test_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    # the file starts with an empty line: that newline counts too
    path = tmp_path / "latin1.obo"
    path.write_bytes(b"\nformat-version: 1.4\n\n[Term]\nid: X:1\nname: caf\xe9\n")
    with pytest.raises(NotUTF8Error) as caught:
        obo_to_ntriples(path, io.StringIO())
    assert caught.value.line == 6
    assert caught.value.path == str(path)
    assert "0xe9" in caught.value.reason


def test_not_utf8_error_for_a_file_that_decodes(tmp_path: Path) -> None:
    # fastobo reported a UTF-8 error that Python does not find: no line to name
    path = tmp_path / "fine.obo"
    path.write_text("format-version: 1.4\n", encoding="utf-8")
    error = kg.obo._not_utf8(path)
    assert isinstance(error, NotUTF8Error)
    assert (error.path, error.line) == (str(path), None)
    assert isinstance(error.reason, str) and error.reason.strip()


def test_parser_panic_is_a_parse_error_that_says_why(tmp_path: Path) -> None:
    path = tmp_path / "panic.obo"
    path.write_text(
        "format-version: 1.4\n\n[Instance]\nid: I:1\nrelationship: part_of I:2\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyParseError) as caught:
        obo_to_ntriples(path, io.StringIO())
    assert caught.value.path == str(path)
    assert caught.value.line is None
    assert isinstance(caught.value.reason, str) and caught.value.reason.strip()


def test_comment_line_in_a_frame_is_a_parse_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "comment.obo"
    path.write_text(
        "format-version: 1.4\nontology: t\n\n[Term]\nid: T:1\nname: one\n\n"
        "[Term]\nid: T:2\n! a comment\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyParseError) as caught:
        obo_to_ntriples(path, io.StringIO())
    assert (caught.value.path, caught.value.line) == (str(path), 10)


def test_an_id_whose_last_character_makes_no_iri_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ids.obo"
    path.write_text(
        "format-version: 1.4\nontology: t\n\n[Term]\nid: T:1\nis_a: T:2[\n", encoding="utf-8"
    )
    with pytest.raises(OntologyParseError) as caught:
        obo_to_ntriples(path, io.StringIO())
    assert (caught.value.path, caught.value.line) == (str(path), 6)
    assert f"<{OBO}T_2[>" in caught.value.reason  # the IRI it would make


def test_an_id_that_makes_no_iri_without_a_source_file(tmp_path: Path) -> None:
    doc = fastobo.loads("format-version: 1.4\nontology: t\n\n[Term]\nid: T:[1\n")
    writer = kg.obo._OboWriter(doc, io.StringIO(), "b", default_ontology="t")
    with pytest.raises(OntologyParseError) as caught:
        writer.run()
    assert caught.value.line is None
    assert caught.value.path == "<obo>"
    assert f"<{OBO}T_[1>" in caught.value.reason
