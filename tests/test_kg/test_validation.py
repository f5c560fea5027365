"""Tests of SHACL validation: packaged shapes, the legal fixture and store sampling."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
import rdflib.compare
from rdflib import namespace

from kg.namespaces import DCTERMS, KGD, KGV, OBO
from kg.validation import (
    ValidationReport,
    graph_from_store,
    sample_for_validation,
    shapes_for,
    validate,
)

LEGAL = rdflib.Namespace("https://example.org/legal#")
KGV_NS = rdflib.Namespace(KGV)
OBO_NS = rdflib.Namespace(OBO)
DCT = rdflib.Namespace(DCTERMS)
# Namespace objects stay out of the module globals: pytest probes those attributes and
# rdflib warns about undefined names in its closed namespaces.
OWL, RDF, RDFS = namespace.OWL, namespace.RDF, namespace.RDFS
ANNOTATION = rdflib.Namespace(KGD + "hpo/annotation/")
MARFAN = rdflib.URIRef("https://omim.org/entry/154700")


@pytest.fixture
def legal_graph(fixtures_dir: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(fixtures_dir / "legal" / "legal.ttl", format="turtle")


@pytest.fixture
def legal_shapes(fixtures_dir: Path) -> list[Path]:
    return [*shapes_for("ontology"), fixtures_dir / "legal" / "legal_shapes.ttl"]


def _annotation_graph() -> rdflib.Graph:
    """Two annotations of Marfan syndrome, in the kgfuse HPO annotation model."""
    graph = rdflib.Graph()
    graph.add((MARFAN, RDF.type, KGV_NS.Disease))
    graph.add((MARFAN, RDFS.label, rdflib.Literal("Marfan syndrome")))
    for term, label in [
        ("HP_0001166", "Arachnodactyly"),
        ("HP_0001083", "Ectopia lentis"),
        ("HP_0040281", "Very frequent"),
    ]:
        graph.add((OBO_NS[term], RDF.type, OWL.Class))
        graph.add((OBO_NS[term], RDFS.label, rdflib.Literal(label)))
    first, second = ANNOTATION["OMIM_154700-HP_0001166"], ANNOTATION["OMIM_154700-HP_0001083"]
    for node, phenotype in [(first, "HP_0001166"), (second, "HP_0001083")]:
        graph.add((node, RDF.type, KGV_NS.PhenotypeAnnotation))
        graph.add((node, RDF.type, RDF.Statement))
        graph.add((node, RDF.subject, MARFAN))
        graph.add((node, RDF.predicate, OBO_NS.RO_0002200))
        graph.add((node, RDF.object, OBO_NS[phenotype]))
        graph.add((node, KGV_NS.evidence, rdflib.Literal("PCS")))
        graph.add((node, KGV_NS.aspect, rdflib.Literal("P")))
        graph.add((node, DCT.source, rdflib.URIRef("https://pubmed.ncbi.nlm.nih.gov/1852208")))
    graph.add((first, KGV_NS.negated, rdflib.Literal(False)))
    graph.add((first, KGV_NS.frequency, OBO_NS.HP_0040281))
    graph.add(
        (first, KGV_NS.frequencyValue, rdflib.Literal("0.85", datatype=namespace.XSD.decimal))
    )
    graph.add((first, KGV_NS.frequencyText, rdflib.Literal("17/20")))
    graph.add((second, KGV_NS.negated, rdflib.Literal(True)))
    graph.add((second, KGV_NS.sex, rdflib.Literal("FEMALE")))
    graph.add((second, KGV_NS.onset, OBO_NS.HP_0003577))
    graph.add((second, KGV_NS.modifier, OBO_NS.HP_0012828))
    graph.add((second, DCT.source, MARFAN))
    return graph


def _store_of(graph: rdflib.Graph) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(input=graph.serialize(format="nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def test_shapes_for_resolves_packaged_files() -> None:
    assert [path.name for path in shapes_for("hpo")] == ["ontology.ttl", "hpo.ttl"]
    assert all(path.is_file() for path in shapes_for("hpo"))


def test_shapes_for_unknown_kind_lists_choices() -> None:
    with pytest.raises(ValueError, match="ontology, hpo"):
        shapes_for("medical")


def test_validate_legal_fixture_conforms(
    legal_graph: rdflib.Graph, legal_shapes: list[Path]
) -> None:
    report = validate(legal_graph, legal_shapes)
    assert report.conforms, report.to_text()
    assert report.results == []
    assert report.data_triples == len(legal_graph)


def test_validate_legal_offence_without_penalty_fails(
    legal_graph: rdflib.Graph, legal_shapes: list[Path]
) -> None:
    legal_graph.remove((LEGAL.Robbery, LEGAL.hasPenalty, None))
    report = validate(legal_graph, legal_shapes)
    assert not report.conforms
    assert [(r.focus, r.path) for r in report.results] == [
        (str(LEGAL.Robbery), str(LEGAL.hasPenalty))
    ]
    assert "penalty" in report.results[0].message
    assert report.results[0].severity == "Violation"


def test_validate_ontology_class_label_rules(legal_graph: rdflib.Graph) -> None:
    legal_graph.add((LEGAL.Theft, RDFS.label, rdflib.Literal("larceny")))
    legal_graph.remove((LEGAL.Recklessness, RDFS.label, None))
    legal_graph.remove((LEGAL.Dishonesty, RDFS.label, None))
    legal_graph.add((LEGAL.Dishonesty, OWL.deprecated, rdflib.Literal(True)))
    report = validate(legal_graph)
    assert {r.focus for r in report.results} == {str(LEGAL.Theft), str(LEGAL.Recklessness)}


def test_validate_ontology_subclass_of_literal_fails(legal_graph: rdflib.Graph) -> None:
    legal_graph.add((LEGAL.Theft, RDFS.subClassOf, rdflib.Literal("PropertyOffence")))
    report = validate(legal_graph)
    assert [r.path for r in report.results] == [str(RDFS.subClassOf)]


def test_validate_hpo_annotations_conform() -> None:
    report = validate(_annotation_graph(), shapes_for("hpo"))
    assert report.conforms, report.to_text()


def test_validate_hpo_annotation_with_two_objects_fails() -> None:
    graph = _annotation_graph()
    graph.add((ANNOTATION["OMIM_154700-HP_0001166"], RDF.object, OBO_NS.HP_0001083))
    report = validate(graph, shapes_for("hpo"))
    assert not report.conforms
    assert [(r.focus, r.path) for r in report.results] == [
        (str(ANNOTATION["OMIM_154700-HP_0001166"]), str(RDF.object))
    ]


@pytest.mark.parametrize(
    ("predicate", "value"),
    [
        (KGV_NS.evidence, rdflib.Literal("XYZ")),
        (KGV_NS.frequencyValue, rdflib.Literal("1.5", datatype=namespace.XSD.decimal)),
        (KGV_NS.sex, rdflib.Literal("male")),
        (KGV_NS.aspect, rdflib.Literal("Q")),
        (KGV_NS.negated, rdflib.Literal("no")),
    ],
)
def test_validate_hpo_annotation_bad_values_fail(
    predicate: rdflib.URIRef, value: rdflib.Literal
) -> None:
    graph = _annotation_graph()
    node = ANNOTATION["OMIM_154700-HP_0001166"]
    graph.remove((node, predicate, None))
    graph.add((node, predicate, value))
    report = validate(graph, shapes_for("hpo"))
    assert not report.conforms
    assert {r.path for r in report.results} == {str(predicate)}


def test_validate_hpo_disease_without_label_fails() -> None:
    graph = _annotation_graph()
    graph.remove((MARFAN, RDFS.label, None))
    report = validate(graph, shapes_for("hpo"))
    assert [(r.focus, r.path) for r in report.results] == [(str(MARFAN), str(RDFS.label))]


def test_report_renders_text_and_dict() -> None:
    graph = _annotation_graph()
    graph.remove((MARFAN, RDFS.label, None))
    report = validate(graph, shapes_for("hpo"))
    text = report.to_text()
    assert "does NOT conform" in text
    assert "OMIM:154700 rdfs:label: a disease needs exactly one rdfs:label" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["conforms"] is False
    assert data["results"][0]["shape"].startswith("https://w3id.org/kgfuse/shapes#DiseaseShape")
    assert isinstance(report, ValidationReport)


def test_graph_from_store_copies_all_triples(legal_graph: rdflib.Graph) -> None:
    copied = graph_from_store(_store_of(legal_graph))
    assert rdflib.compare.isomorphic(copied, legal_graph)


def test_sample_for_validation_limits_focus_nodes() -> None:
    store = _store_of(_annotation_graph())
    sample = sample_for_validation(store, "hpo", limit=1)
    annotations = set(sample.subjects(RDF.type, KGV_NS.PhenotypeAnnotation))
    assert len(annotations) == 1
    (annotation,) = annotations
    # one-hop context the shapes need: the disease's and the phenotype's types and labels
    assert (MARFAN, RDF.type, KGV_NS.Disease) in sample
    phenotype = sample.value(annotation, RDF.object)
    assert (phenotype, RDF.type, OWL.Class) in sample
    assert validate(sample, shapes_for("hpo")).conforms


def test_sample_for_validation_finds_broken_annotation() -> None:
    graph = _annotation_graph()
    for node in graph.subjects(RDF.type, KGV_NS.PhenotypeAnnotation):
        graph.remove((node, KGV_NS.evidence, None))
    sample = sample_for_validation(_store_of(graph), "hpo", limit=5)
    report = validate(sample, shapes_for("hpo"))
    assert {r.path for r in report.results} == {str(KGV_NS.evidence)}
    assert len(report.results) == 2


def test_sample_for_validation_keeps_restrictions(fixtures_dir: Path, tmp_path: Path) -> None:
    from kg.sources import load_source

    store = pyoxigraph.Store()
    load_source(store, fixtures_dir / "mini.obo", workdir=tmp_path)
    sample = sample_for_validation(store, "ontology", limit=100)
    report = validate(sample, shapes_for("ontology"))
    assert report.conforms, report.to_text()
    assert any(sample.subjects(RDF.type, OWL.Restriction))


def test_sample_for_validation_rejects_bad_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        sample_for_validation(pyoxigraph.Store(), "hpo", limit=0)
