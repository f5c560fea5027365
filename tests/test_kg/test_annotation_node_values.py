"""The annotations of a disease or a phenotype read from the annotation table's rows
(:attr:`kg.annotations.AnnotationTable.node_values`) are the ones the store answers."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyoxigraph as ox
import pytest

from kg.annotations import AnnotationTable
from kg.derived import write_derived
from kg.knowledge_graph import Q_ANNOTATIONS_OF, KnowledgeGraph
from kg.namespaces import KGV, RDFS_LABEL, RO_GENE_CONTRIBUTES_TO, RO_HAS_PHENOTYPE
from kg.sparql import IRI, run_select
from kg.store import build_kg, read_manifest, resolve_build
from kg.tensors import GraphTensors

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


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MARFAN = "https://omim.org/entry/154700"
ARACHNODACTYLY = "http://purl.obolibrary.org/obo/HP_0001166"
OWN = "https://example.org/disease/own-1"
EX = "https://example.org/annotation/"


def _annotation_node(a: str, disease: str, term: str) -> str:
    """N-Triples of an annotation node as a user's file would write it."""
    return (
        f"<{a}> <{RDF}type> <{KGV}PhenotypeAnnotation> .\n"
        f"<{a}> <{RDF}subject> <{disease}> .\n"
        f"<{a}> <{RDF}predicate> <{RO_HAS_PHENOTYPE}> .\n"
        f"<{a}> <{RDF}object> <{term}> .\n"
        f'<{a}> <{KGV}evidence> "TAS" .\n'
        f'<{a}> <{KGV}aspect> "P" .\n'
    )


def _build_with(tmp_path: Path, text: str, *, hpo_first: bool = True) -> Path:
    """HPO's mini fixture built with a file of ``text`` (N-Triples) beside it."""
    extra = tmp_path / "extra.nt"
    extra.write_text(text, encoding="utf-8")
    dest = tmp_path / "kg"
    sources: list[str | Path] = ["hpo", extra] if hpo_first else [extra, "hpo"]
    build_kg(sources, dest, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return dest


def test_a_build_with_another_file_reads_annotations_from_the_store(tmp_path: Path) -> None:
    """A file built beside HPO may add annotation nodes that HPO's converter never saw: the
    table holds them too, and answers as the store does."""
    extra = "https://example.org/annotation/extra-1"
    kg = KnowledgeGraph.open(_build_with(tmp_path, _annotation_node(extra, MARFAN, ARACHNODACTYLY)))
    assert extra in kg.annotations.annotation_iris
    assert extra in {x.iri for x in kg.annotations_of("OMIM:154700")}
    bound = {"disease": IRI(MARFAN)}
    assert _rows(kg._annotation_rows(bound)) == _rows(kg.select(Q_ANNOTATIONS_OF, **bound))


@pytest.mark.parametrize("hpo_first", [True, False])
def test_a_disease_of_ones_own_beside_hpo_is_in_the_table_and_the_graph(
    tmp_path: Path, hpo_first: bool
) -> None:
    """A disease that another file adds, with its phenotypes, is annotated for the ranking
    (the annotation table) and linked in the graph the embeddings learn from, whichever
    file comes first."""
    text = (
        f"<{OWN}> <{RDF}type> <{KGV}Disease> .\n"
        f'<{OWN}> <{RDFS_LABEL}> "Disease of my own" .\n'
        f"<{OWN}> <{RO_HAS_PHENOTYPE}> <{ARACHNODACTYLY}> .\n"
        + _annotation_node("https://example.org/annotation/own-1", OWN, ARACHNODACTYLY)
    )
    dest = _build_with(tmp_path, text, hpo_first=hpo_first)
    table = KnowledgeGraph.open(dest).annotations
    rows = table.rows_of_iri(OWN)
    assert [table.terms[table.term[r]] for r in rows] == [ARACHNODACTYLY]
    assert table.subject_labels[table.subjects.index(OWN)] == "Disease of my own"
    assert MARFAN in table.subjects  # HPO's own rows are all still there
    graph = GraphTensors.load(resolve_build(dest) / "derived" / "graph")
    index = graph.index_of()
    edges = np.asarray(graph.edge_index)
    targets = edges[1][edges[0] == index[OWN]]
    assert targets.tolist() == [index[ARACHNODACTYLY]]


FBN1 = "https://identifiers.org/ncbigene:2200"
ECTOPIA_LENTIS = "http://purl.obolibrary.org/obo/HP_0001083"
HPO_NODE = "{hpo_node}"  # one of HPO's own annotation nodes (of Marfan syndrome)
#: Files whose triples complete the converters' tables.
_COMPLETING = {
    "a node of an HPO disease": _annotation_node(EX + "a1", MARFAN, ARACHNODACTYLY),
    "a disease of ones own": (
        f"<{OWN}> <{RDF}type> <{KGV}Disease> .\n"
        f'<{OWN}> <{RDFS_LABEL}> "Disease of my own" .\n'
        f"<{OWN}> <{RO_HAS_PHENOTYPE}> <{ARACHNODACTYLY}> .\n"
        f"<{FBN1}> <{RO_GENE_CONTRIBUTES_TO}> <{OWN}> .\n"
        + _annotation_node(EX + "a2", OWN, ARACHNODACTYLY)
        + f'<{EX}a2> <{KGV}frequencyText> "2/3" .\n'
        f'<{EX}a2> <{KGV}frequencyValue> "0.6667"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
        f"<{EX}a2> <http://purl.org/dc/terms/source> <https://pubmed.ncbi.nlm.nih.gov/1> .\n"
        + _annotation_node(EX + "a3", OWN, ECTOPIA_LENTIS)
        + f'<{EX}a3> <{KGV}negated> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .\n'
    ),
    "edges HPO states too": f"<{MARFAN}> <{RO_HAS_PHENOTYPE}> <{ARACHNODACTYLY}> .\n"
    f"<{FBN1}> <{RO_GENE_CONTRIBUTES_TO}> <{MARFAN}> .\n",
    "a node of a gene": _annotation_node(EX + "a4", FBN1, ECTOPIA_LENTIS),
}
#: Files after which every table is read from the finished store.
_READ_FROM_THE_STORE = {
    "a value of an HPO node": f'<{HPO_NODE}> <{KGV}evidence> "XYZ" .\n',
    "a label of an HPO disease": f'<{MARFAN}> <{RDFS_LABEL}> "Marfan" .\n',
    "a blank annotation node": _annotation_node("_:b", OWN, ARACHNODACTYLY).replace("<_:b>", "_:b"),
    "a blank source": _annotation_node(EX + "a5", OWN, ARACHNODACTYLY)
    + f"<{EX}a5> <http://purl.org/dc/terms/source> _:s .\n",
}
_OTHER_FILES = {**_COMPLETING, **_READ_FROM_THE_STORE}


@pytest.fixture(scope="module")
def hpo_node(tmp_path_factory: pytest.TempPathFactory) -> str:
    dest = tmp_path_factory.mktemp("hpo") / "kg"
    build_kg(["hpo"], dest, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    table = KnowledgeGraph.open(dest).annotations
    return table.annotation_iris[int(table.rows_of_iri(MARFAN)[0])]


@pytest.mark.parametrize("hpo_first", [True, False])
@pytest.mark.parametrize("case", list(_OTHER_FILES))
def test_a_mixed_builds_tables_are_those_of_its_store(
    tmp_path: Path, hpo_node: str, case: str, hpo_first: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Every derived table of HPO built beside another file is the one computed from the
    finished store alone, with no converter's tables (as for an HPO build alone), whether
    the other file's triples complete those tables or are read from the store."""
    text = _OTHER_FILES[case].replace(HPO_NODE, hpo_node)
    with caplog.at_level(logging.INFO, logger="kg.store"):
        dest = _build_with(tmp_path, text, hpo_first=hpo_first)
    from_store = "reading the tables from the store" in caplog.text
    assert from_store == (case in _READ_FROM_THE_STORE), case
    build = resolve_build(dest)
    again = tmp_path / "again"
    write_derived(ox.Store.read_only(str(build / "store")), again, read_manifest(dest).fingerprint)
    derived = build / "derived"
    for name in ("annotations.json", "annotations.npz", "graph/graph.safetensors", "lexicon.jsonl"):
        assert (again / name).read_bytes() == (derived / name).read_bytes(), name


def test_a_value_another_file_adds_to_an_hpo_node_is_read(tmp_path: Path) -> None:
    """A second evidence code for one of HPO's annotation nodes: the table no longer stands
    for the nodes (two values of one property), and a lookup reads the store."""
    build_kg(["hpo"], tmp_path / "hpo", hpo_dir=FIXTURES / "hpo_mini", progress=False)
    hpo = KnowledgeGraph.open(tmp_path / "hpo").annotations
    node = hpo.annotation_iris[int(hpo.rows_of_iri(MARFAN)[0])]
    kg = KnowledgeGraph.open(_build_with(tmp_path, f'<{node}> <{KGV}evidence> "XYZ" .\n'))
    assert not kg.annotations.node_values
    evidence = {x.evidence for x in kg.annotations_of("OMIM:154700") if x.iri == node}
    assert "XYZ" in evidence


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


def test_concat_keeps_each_tables_rows_and_refuses_a_node_in_both(built: Path) -> None:
    table = KnowledgeGraph.open(built).annotations
    rows = table.rows_of_iri(table.subjects[0])
    extra = AnnotationTable.from_store(_store_with(""))
    both = AnnotationTable.concat(table, extra)
    assert both.annotation_iris == table.annotation_iris + extra.annotation_iris
    assert [both.subjects[i] for i in both.subject[: len(table)]] == [
        table.subjects[i] for i in table.subject
    ]
    assert [both.terms[i] for i in both.term[len(table) :]] == [extra.terms[i] for i in extra.term]
    assert len(rows) and both.node_values and extra.node_values
    assert both.subject_labels[: len(table.subjects)] == table.subject_labels
    with pytest.raises(ValueError, match="in both tables"):
        AnnotationTable.concat(both, extra)
