"""Checks a build makes of its sources, and how their terms read afterwards.

RDF/XML that is not well-formed or not RDF, relative IRIs without a base, owl:imports that
were not loaded, a file given twice, labels in several languages, ``owl:deprecated "true"``
as a string, OBO names with a trailing comment, and SHACL shapes files that are broken or
hold no shapes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.derived import lexicon_from_store, node_types
from kg.errors import OntologyParseError
from kg.hierarchy import TermHierarchy
from kg.knowledge_graph import KnowledgeGraph
from kg.sources import UnsupportedSyntaxError, load_source
from kg.store import build_kg
from kg.validation import graph_from_store, validate

EX = "http://example.org/t/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PREFIXES = f"""\
@prefix ex: <{EX}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _load(tmp_path: Path, path: Path) -> ox.Store:
    store = ox.Store()
    load_source(store, path, workdir=tmp_path / "work")
    return store


def _rdfxml(body: str, root_attributes: str = "") -> str:
    return (
        '<?xml version="1.0"?>\n'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"'
        f' xmlns:owl="http://www.w3.org/2002/07/owl#"{root_attributes}>\n{body}\n</rdf:RDF>\n'
    )


# ---- RDF/XML: well-formed, rooted in rdf:RDF ---------------------------------------------


def test_truncated_rdfxml_is_refused_with_its_line(tmp_path: Path) -> None:
    whole = _rdfxml(
        f'<owl:Class rdf:about="{EX}a"><rdfs:label>a</rdfs:label></owl:Class>\n'
        f'<owl:Class rdf:about="{EX}b"><rdfs:label>b</rdfs:label></owl:Class>'
    )
    cut = _write(tmp_path / "cut.owl", whole[: whole.index("<rdfs:label>b") + 8])
    with pytest.raises(OntologyParseError, match=r"cut\.owl:4: not well-formed XML") as info:
        _load(tmp_path, cut)
    assert "truncated" in str(info.value)


def test_xml_that_is_not_rdf_is_refused(tmp_path: Path) -> None:
    pom = _write(
        tmp_path / "pom.rdf",
        '<?xml version="1.0"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">'
        "<name>x</name></project>\n",
    )
    with pytest.raises(OntologyParseError, match=r"pom\.rdf:2: the root element .*<project>"):
        _load(tmp_path, pom)


@pytest.mark.parametrize("name", ["onto.rdf", "onto.xml"])
def test_owl_xml_under_rdf_or_xml_names_gets_the_convert_hint(tmp_path: Path, name: str) -> None:
    owlxml = _write(
        tmp_path / name,
        '<?xml version="1.0"?>\n<Ontology xmlns="http://www.w3.org/2002/07/owl#" '
        f'ontologyIRI="{EX}o"><Declaration><Class IRI="{EX}A"/></Declaration></Ontology>\n',
    )
    with pytest.raises(UnsupportedSyntaxError, match="OWL/XML .*robot convert"):
        _load(tmp_path, owlxml)


def test_mismatched_rdfxml_tag_names_line_and_column(tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "bad.rdf",
        _rdfxml(
            f'<rdf:Description rdf:about="{EX}a"><rdfs:label>a</rdfs:labelX></rdf:Description>'
        ),
    )
    with pytest.raises(OntologyParseError, match=r"bad\.rdf:3: .*column \d+: mismatched tag"):
        _load(tmp_path, bad)


def test_rdfxml_with_internal_entities_loads(tmp_path: Path) -> None:
    # the DOCTYPE of OWL files saved by Protege
    text = _rdfxml('<owl:Class rdf:about="&ex;a"><rdfs:label>a</rdfs:label></owl:Class>').replace(
        '<?xml version="1.0"?>\n',
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY ex "{EX}"> ]>\n',
    )
    store = _load(tmp_path, _write(tmp_path / "entities.owl", text))
    assert list(store.quads_for_pattern(ox.NamedNode(EX + "a"), None, None))


def test_a_document_of_one_node_element_loads(tmp_path: Path) -> None:
    """RDF/XML allows a single node element as the root, without rdf:RDF around it."""
    text = (
        '<?xml version="1.0"?>\n<owl:Class xmlns:owl="http://www.w3.org/2002/07/owl#"'
        f' xmlns:rdf="{RDF_NS}" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"'
        f' rdf:about="{EX}one"><rdfs:label>one</rdfs:label></owl:Class>\n'
    )
    store = _load(tmp_path, _write(tmp_path / "one.rdf", text))
    assert list(store.quads_for_pattern(ox.NamedNode(EX + "one"), None, None))


def test_cli_build_of_a_truncated_owl_exits_2_without_traceback(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kgfuse.cli import app

    whole = _rdfxml(f'<owl:Class rdf:about="{EX}a"><rdfs:label>a</rdfs:label></owl:Class>')
    cut = _write(tmp_path / "cut.owl", whole[:-12])
    result = CliRunner().invoke(
        app, ["kg", "build", str(cut), "-o", str(tmp_path / "kg"), "-q"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2, result.output
    assert "cut.owl:" in result.output and "not well-formed XML" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "kg").exists()


# ---- relative IRIs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "hint"),
    [
        ("rel.ttl", '<#C1> <http://www.w3.org/2000/01/rdf-schema#label> "c1" .\n', "@base"),
        ("rel.jsonld", '{"@id": "relthing", "http://example.org/p": "x"}\n', '"@base"'),
        (
            "rel.rdf",
            _rdfxml(
                '<rdf:Description rdf:about="#C1"><rdfs:label>c1</rdfs:label></rdf:Description>'
            ),
            "xml:base",
        ),
    ],
)
def test_relative_iris_without_a_base_are_refused(
    tmp_path: Path, name: str, text: str, hint: str
) -> None:
    source = _write(tmp_path / name, text)
    with pytest.raises(OntologyParseError, match="relative IRI") as info:
        _load(tmp_path, source)
    message = str(info.value)
    assert name in message and hint in message
    assert "#C1" in message or "relthing" in message


def test_a_file_with_its_own_base_gives_the_same_iris_in_any_folder(tmp_path: Path) -> None:
    text = f'@base <{EX}> .\n<C1> <http://www.w3.org/2000/01/rdf-schema#label> "c1" .\n'
    stores = [_load(tmp_path, _write(tmp_path / d / "o.ttl", text)) for d in ("a", "b")]
    subjects = [{q.subject.value for q in s} for s in stores]
    assert subjects[0] == subjects[1] == {EX + "C1"}
    rdfxml = _rdfxml(
        '<rdf:Description rdf:ID="C2"><rdfs:label>c2</rdfs:label></rdf:Description>',
        f' xml:base="{EX}"',
    )
    store = _load(tmp_path, _write(tmp_path / "c" / "o.rdf", rdfxml))
    assert {q.subject.value for q in store} == {EX + "#C2"}


def test_the_scan_for_relative_iris_sees_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.sources

    monkeypatch.setattr(kg.sources, "_CHUNK_BYTES", 300)  # IRIs cut by every chunk's end
    lines = "".join(f"<{EX}c{i}> <{EX}p> <{EX}o{i}> .\n" for i in range(200))
    absolute = _write(tmp_path / "abs.ttl", lines)
    assert not kg.sources._may_have_relative_iris(absolute, ox.RdfFormat.TURTLE)
    relative = _write(tmp_path / "rel.ttl", lines[:3000] + "<#x> <#p> <#o> .\n" + lines[3000:])
    assert kg.sources._may_have_relative_iris(relative, ox.RdfFormat.TURTLE)


def test_relative_iris_refused_in_a_build_leave_no_kg(tmp_path: Path) -> None:
    source = _write(tmp_path / "rel.ttl", "<#C1> a <http://www.w3.org/2002/07/owl#Class> .\n")
    with pytest.raises(OntologyParseError, match=r"rel\.ttl: the relative IRI <#C1>"):
        build_kg([source], tmp_path / "kg", progress=False)
    assert not (tmp_path / "kg").exists()


# ---- owl:imports ---------------------------------------------------------------------------


def test_imports_not_loaded_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    main = _write(
        tmp_path / "main.ttl",
        PREFIXES + f"<{EX}main> a owl:Ontology ; owl:imports <{EX}other.owl> , <{EX}given.owl> .\n"
        'ex:A a owl:Class ; rdfs:label "a" .\n',
    )
    given = _write(tmp_path / "given.ttl", PREFIXES + f"<{EX}given.owl> a owl:Ontology .\n")
    obo = _write(
        tmp_path / "o.obo",
        "format-version: 1.2\nimport: http://purl.obolibrary.org/obo/ro.obo\nontology: o\n\n"
        "[Term]\nid: O:1\nname: one\n",
    )
    with caplog.at_level(logging.WARNING):
        build_kg([main, given, obo], tmp_path / "kg", progress=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    main_warning = [w for w in warnings if "main.ttl imports" in w]
    assert len(main_warning) == 1
    assert f"<{EX}other.owl>" in main_warning[0] and "given.owl" not in main_warning[0]
    assert "pass the imported file(s)" in main_warning[0]
    assert any("o.obo imports <http://purl.obolibrary.org/obo/ro.owl>" in w for w in warnings)


# ---- a file given twice --------------------------------------------------------------------


def test_a_file_given_twice_is_loaded_once_and_said_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        PREFIXES + 'ex:A a owl:Class ; rdfs:label "a" ; rdfs:subClassOf [ a owl:Restriction ] .\n'
    )
    source = _write(tmp_path / "a.ttl", text)
    copy = _write(tmp_path / "copy" / "a2.ttl", text)
    with caplog.at_level(logging.WARNING):
        manifest = build_kg([source, source, copy], tmp_path / "kg", progress=False)
    warnings = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "given twice" in warnings and "a2.ttl" in warnings
    assert "added no triple" not in warnings
    assert [s.name for s in manifest.sources] == ["a.ttl"]
    assert manifest.counts["triples"] == 4 + 3  # the restriction once; 3 describe the KG


# ---- labels in several languages -----------------------------------------------------------

LANGUAGES = (
    PREFIXES
    + """\
ex:Disease a owl:Class ; rdfs:label "disease"@en , "Krankheit"@de .
ex:Heart a owl:Class ; rdfs:label "heart disease"@en-GB , "Herzkrankheit"@de ;
    rdfs:subClassOf ex:Disease .
ex:Plain a owl:Class ; rdfs:label "Zplain" , "Apfel"@de ; rdfs:subClassOf ex:Disease .
ex:Pref a owl:Class ; skos:prefLabel "pref"@en ; rdfs:subClassOf ex:Disease .
"""
)


@pytest.fixture
def languages_kg(tmp_path: Path) -> KnowledgeGraph:
    build_kg([_write(tmp_path / "lang.ttl", LANGUAGES)], tmp_path / "kg", progress=False)
    return KnowledgeGraph.open(tmp_path / "kg")


def test_the_preferred_label_is_english_then_untagged(languages_kg: KnowledgeGraph) -> None:
    labels = languages_kg.labels
    assert labels[EX + "Disease"] == "disease"
    assert labels[EX + "Heart"] == "heart disease"
    assert labels[EX + "Plain"] == "Zplain"
    assert languages_kg.term(EX + "Heart").label == "heart disease"
    assert languages_kg.term(EX + "Plain").label == "Zplain"
    hierarchy = languages_kg.hierarchy
    assert hierarchy.labels[hierarchy.terms.index(EX + "Heart")] == "heart disease"


def test_parents_and_children_are_listed_once_per_iri(languages_kg: KnowledgeGraph) -> None:
    heart = languages_kg.term(EX + "Heart")
    assert [(p.iri, p.label) for p in heart.parents] == [(EX + "Disease", "disease")]
    children = languages_kg.term(EX + "Disease").children
    assert sorted((c.iri, c.label) for c in children) == [
        (EX + "Heart", "heart disease"),
        (EX + "Plain", "Zplain"),
        (EX + "Pref", ""),
    ]


def test_validation_accepts_one_label_per_language_and_skos_pref_labels(
    languages_kg: KnowledgeGraph, tmp_path: Path
) -> None:
    report = validate(graph_from_store(languages_kg.store))
    assert report.conforms, report.to_text()
    store = ox.Store()
    store.load(
        input=PREFIXES + 'ex:Two a owl:Class ; rdfs:label "a"@en , "b"@en .\n'
        'ex:TwoPlain a owl:Class ; rdfs:label "a" , "b" .\nex:None a owl:Class .\n',
        format=ox.RdfFormat.TURTLE,
    )
    report = validate(graph_from_store(store))
    assert sorted(r.focus for r in report.results) == [EX + "None", EX + "Two", EX + "TwoPlain"]


# ---- owl:deprecated "true" -----------------------------------------------------------------


def test_deprecated_as_a_string_is_obsolete(tmp_path: Path) -> None:
    ttl = _write(
        tmp_path / "dep.ttl",
        PREFIXES + 'ex:Top a owl:Class ; rdfs:label "top" .\n'
        'ex:Old a owl:Class ; rdfs:label "old" ; owl:deprecated "true" ;\n'
        "    rdfs:subClassOf ex:Top .\n"
        'ex:Kept a owl:Class ; rdfs:label "kept" ; owl:deprecated false ;\n'
        "    rdfs:subClassOf ex:Top .\n",
    )
    rdf = _write(
        tmp_path / "dep.rdf",
        _rdfxml(
            f'<owl:Class rdf:about="{EX}OldXml"><rdfs:label>old xml</rdfs:label>'
            f'<rdfs:subClassOf rdf:resource="{EX}Top"/>'
            "<owl:deprecated>true</owl:deprecated></owl:Class>"
        ),
    )
    build_kg([ttl, rdf], tmp_path / "kg", progress=False)
    kg = KnowledgeGraph.open(tmp_path / "kg")
    assert {EX + "Old", EX + "OldXml"} <= kg.lexicon.obsolete
    assert EX + "Kept" not in kg.lexicon.obsolete
    assert EX + "Old" not in kg.labels and EX + "OldXml" not in kg.labels
    assert [c.iri for c in kg.term(EX + "Top").children] == [EX + "Kept"]
    h = kg.hierarchy
    assert h.obsolete[h.terms.index(EX + "Old")] and h.obsolete[h.terms.index(EX + "OldXml")]
    assert not h.obsolete[h.terms.index(EX + "Kept")]
    store = ox.Store()
    store.load(input=ttl.read_bytes(), format=ox.RdfFormat.TURTLE)
    assert EX + "Old" not in node_types(store)
    assert EX + "Old" in lexicon_from_store(store).obsolete
    assert TermHierarchy.from_store(store).obsolete.sum() == 1


# ---- OBO names -----------------------------------------------------------------------------


def test_obo_names_lose_the_blank_before_a_trailing_comment(tmp_path: Path) -> None:
    obo = _write(
        tmp_path / "n.obo",
        "format-version: 1.2\nontology: n\n\n[Term]\nid: N:1\nname: root thing\n\n"
        "[Term]\nid: N:2\nname: child thing ! a comment\nis_a: N:1 ! root thing\n",
    )
    build_kg([obo], tmp_path / "kg", progress=False)
    kg = KnowledgeGraph.open(tmp_path / "kg")
    assert kg.term("N:2").label == "child thing"
    assert kg.labels["http://purl.obolibrary.org/obo/N_2"] == "child thing"


# ---- SHACL shapes files --------------------------------------------------------------------


def test_a_broken_shapes_file_names_file_line_and_error(tmp_path: Path) -> None:
    from kg.validation import _load_shapes

    bad = _write(tmp_path / "shapes.ttl", "@prefix sh: <http://www.w3.org/ns/shacl#> .\nsh:x sh:y")
    with pytest.raises(OntologyParseError, match=r"shapes\.ttl:2: not valid Turtle") as info:
        _load_shapes([bad])
    assert "string index out of range" not in str(info.value)


def test_a_shapes_file_without_shapes_is_refused(tmp_path: Path) -> None:
    from kg.validation import _load_shapes

    empty = _write(tmp_path / "none.ttl", PREFIXES + "ex:a ex:b ex:c .\n")
    with pytest.raises(ValueError, match=r"none\.ttl: holds no SHACL shapes"):
        _load_shapes([empty])


def test_an_obo_id_that_makes_no_iri_is_named_with_the_obo_file(tmp_path: Path) -> None:
    source = tmp_path / "p.obo"
    source.write_text(
        "format-version: 1.2\nontology: t\n\n[Term]\nid: T:0000001\nname: one\nis_a: T:a[1]\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyParseError) as info:
        build_kg([source], tmp_path / "kg", progress=False)
    message = str(info.value)
    assert message.startswith(f"{source}:7: the id 'T:a[1]' does not make a valid IRI")
    assert "T_a[1]>" in message and "Invalid IRI code point '['" in message
    assert ".nt" not in message  # not the deleted conversion


def test_an_owl_file_of_turtle_that_begins_with_an_iri_is_read_as_turtle(tmp_path: Path) -> None:
    source = tmp_path / "onto.owl"
    source.write_text(
        "<http://ex.org/onto> a <http://www.w3.org/2002/07/owl#Ontology> .\n"
        "<http://ex.org/A> a <http://www.w3.org/2002/07/owl#Class> ;\n"
        '  <http://www.w3.org/2000/01/rdf-schema#label> "A" .\n',
        encoding="utf-8",
    )
    manifest = build_kg([source], tmp_path / "kg", progress=False)
    assert [s.format for s in manifest.sources] == ["turtle"]
    assert KnowledgeGraph.open(tmp_path / "kg").label("http://ex.org/A") == "A"


# ---- OBO: a file with no frame ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "format-version: 1.4\nontology: x\n",  # a header alone
        PREFIXES + "ex:a a owl:Class ;\n    rdfs:label: 'a' .\n",  # Turtle named .obo
    ],
)
def test_an_obo_file_without_a_frame_is_refused(tmp_path: Path, text: str) -> None:
    # fastobo reads any "key: value" line as a header tag: the build would load nothing
    # and, as the KG's current build, replace a good one
    path = _write(tmp_path / "x.obo", text)
    with pytest.raises(OntologyParseError, match=r"x\.obo: no \[Term\], \[Typedef\] or"):
        _load(tmp_path, path)
    framed = _write(tmp_path / "y.obo", text.split("\n")[0] + "\n\n[Term]\nid: X:1\nname: a\n")
    if text.startswith("format-version"):
        assert len(_load(tmp_path, framed)) > 0
