"""The annotations of a disease or a phenotype read from the annotation table's rows
(:attr:`kg.annotations.AnnotationTable.node_values`) are the ones the store answers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest

from kg.annotations import AnnotationTable
from kg.knowledge_graph import Q_ANNOTATIONS_OF, KnowledgeGraph
from kg.namespaces import KGV
from kg.sparql import IRI, run_select
from kg.store import build_kg

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module", params=["hpo_mini", "hpo_edge"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp(request.param) / "hpo"
    build_kg(["hpo"], dest, hpo_dir=FIXTURES / request.param, progress=False)
    return dest


def _rows(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, str], ...]]:
    """Rows in one order, each source and modifier list in one order (an annotation sorts
    them), the values with their types (0.5 and "0.5" differ)."""

    def value(key: str, v: Any) -> str:
        if key in ("sources", "modifiers") and v:
            v = " ".join(sorted(v.split()))
        return repr(v)

    return sorted(tuple(sorted((k, value(k, v)) for k, v in r.items())) for r in rows)


def _every_node(kg: KnowledgeGraph) -> list[tuple[str, str]]:
    table = kg.annotations
    return [("disease", d) for d in table.subjects] + [("phenotype", t) for t in table.terms]


def test_a_build_keeps_the_nodes_values(built: Path) -> None:
    table = KnowledgeGraph.open(built).annotations
    assert table.node_values
    assert table.frequency_text is not None and table.frequency_exact is not None
    assert table.frequency_exact.dtype == np.float64
    assert any(table.frequency_text), "the fixture states a frequency as n/m or n%"


def test_the_table_answers_as_the_store_scans_and_the_sparql_engine(built: Path) -> None:
    kg = KnowledgeGraph.open(built)
    assert isinstance(kg.store, ox.Store)
    nodes = _every_node(kg)
    assert len(nodes) > 10
    for variable, iri in nodes:
        bound = {variable: IRI(iri)}
        from_table = kg._annotation_rows(bound)
        assert from_table, f"{iri} is annotated"
        scanned = kg.select(Q_ANNOTATIONS_OF, **bound)  # the index plan over the store
        names, rows = run_select(kg.store, Q_ANNOTATIONS_OF, bound)  # Oxigraph's engine
        by_engine = [dict(zip(names, row, strict=True)) for row in rows]
        assert _rows(from_table) == _rows(scanned) == _rows(by_engine), iri


def test_a_node_no_annotation_has_answers_no_row(built: Path) -> None:
    kg = KnowledgeGraph.open(built)
    assert kg._annotation_rows({"disease": IRI("https://example.org/no-such-disease")}) == []
    assert kg._annotation_rows({"phenotype": IRI("https://example.org/no-such-term")}) == []


def test_reading_the_store_gives_the_builds_columns(built: Path) -> None:
    kg = KnowledgeGraph.open(built)
    assert isinstance(kg.store, ox.Store)
    again = AnnotationTable.from_store(kg.store).canonical()
    table = kg.annotations
    assert again.node_values
    assert again.annotation_iris == table.annotation_iris
    assert again.frequency_text == table.frequency_text
    assert again.frequency_exact is not None and table.frequency_exact is not None
    assert np.array_equal(again.frequency_exact, table.frequency_exact, equal_nan=True)


def test_a_table_saved_without_the_columns_reads_the_store(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "hpo"
    shutil.copytree(built, copy, symlinks=True)
    derived = KnowledgeGraph.open(copy).path / "derived"
    meta = json.loads((derived / "annotations.json").read_text(encoding="utf-8"))
    del meta["frequency_text"]  # as a table saved before the columns
    (derived / "annotations.json").write_text(json.dumps(meta), encoding="utf-8")
    arrays = dict(np.load(derived / "annotations.npz"))
    del arrays["frequency_exact"]
    np.savez(derived / "annotations.npz", **arrays)

    old, new = KnowledgeGraph.open(copy), KnowledgeGraph.open(built)
    assert not old.annotations.node_values
    for variable, iri in _every_node(new)[:40]:
        of = old.annotations_of if variable == "disease" else old.annotations_with
        of_new = new.annotations_of if variable == "disease" else new.annotations_with
        assert of(iri) == of_new(iri)
    assert new.annotations.node_values  # the build copied, not changed


def _store_with(extra: str, stated: str = "3/7") -> ox.Store:
    """A store of one annotation node written as the HPO build writes it (its frequency
    stated as ``stated``), plus ``extra``."""
    store = ox.Store()
    a, d, t = "<urn:a:1>", "<urn:d:1>", "<http://purl.obolibrary.org/obo/HP_0000001>"
    text = (
        f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{KGV}PhenotypeAnnotation> .\n"
        f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> {d} .\n"
        f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> {t} .\n"
        f'{a} <{KGV}evidence> "PCS" .\n'
        f'{a} <{KGV}aspect> "P" .\n'
        f'{a} <{KGV}frequencyValue> "0.4286"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
        f'{a} <{KGV}frequencyText> "{stated}" .\n' + extra
    )
    store.load(text.encode(), format=ox.RdfFormat.N_TRIPLES)
    return store


@pytest.mark.parametrize(
    "extra",
    [
        # a second onset: the store answers two rows, a table row holds one
        f"<urn:a:1> <{KGV}onset> <http://purl.obolibrary.org/obo/HP_0003577> .\n"
        f"<urn:a:1> <{KGV}onset> <http://purl.obolibrary.org/obo/HP_0003593> .\n",
        f'<urn:a:1> <{KGV}sex> "male" .\n',  # not MALE: the table would say MALE
        f'<urn:a:1> <{KGV}negated> "yes" .\n',  # no boolean
        f'<urn:a:1> <{KGV}onset> "infantile" .\n',  # a literal where a term belongs
        "<urn:a:1> <http://purl.org/dc/terms/source> _:b1 .\n",  # the store: no sources
    ],
)
def test_a_store_with_other_values_keeps_no_node_values(extra: str) -> None:
    assert AnnotationTable.from_store(_store_with("")).node_values
    table = AnnotationTable.from_store(_store_with(extra))
    assert len(table) == 1
    assert not table.node_values


def test_a_build_with_another_file_reads_annotations_from_the_store(tmp_path: Path) -> None:
    """A file built beside HPO may add annotation nodes (or values) that HPO's converter
    never saw: the table then does not stand for the nodes, and the store answers."""
    extra = tmp_path / "extra.nt"
    a = "<https://example.org/annotation/extra-1>"
    marfan = "<https://omim.org/entry/154700>"
    term = "<http://purl.obolibrary.org/obo/HP_0001166>"
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    extra.write_text(
        f"{a} <{rdf}type> <{KGV}PhenotypeAnnotation> .\n"
        f"{a} <{rdf}subject> {marfan} .\n"
        f"{a} <{rdf}object> {term} .\n"
        f'{a} <{KGV}evidence> "TAS" .\n'
        f'{a} <{KGV}aspect> "P" .\n',
        encoding="utf-8",
    )
    dest = tmp_path / "kg"
    build_kg(["hpo", extra], dest, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    kg = KnowledgeGraph.open(dest)
    assert not kg.annotations.node_values
    found = {x.iri for x in kg.annotations_of("OMIM:154700")}
    assert "https://example.org/annotation/extra-1" in found


def test_an_empty_stated_frequency_keeps_no_node_values() -> None:
    # the table's "" means none stated; the store would answer the empty text
    assert not AnnotationTable.from_store(_store_with("", stated="")).node_values


def test_an_annotation_node_bound_is_read_from_the_store(built: Path) -> None:
    kg = KnowledgeGraph.open(built)
    table = kg.annotations
    node = table.annotation_iris[0]
    [annotation] = {x.iri: x for x in kg._annotations(a=IRI(node))}.values()
    assert annotation.iri == node
    disease = table.subjects[table.subject[0]]
    assert annotation in kg.annotations_of(disease)
