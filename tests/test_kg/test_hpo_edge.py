"""Tests of the HPO ingestion on the edge cases of ``fixtures/hpo_edge`` (see its README):
zero-frequency annotations, gene rows resting on NOT or 0/n annotations, discarded synonyms,
diseases with several names, tiny frequencies, ISBN references and annotation modifiers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

import kg.store as kg_store
from kg.annotations import AnnotationTable
from kg.derived import write_derived
from kg.errors import KGMismatchError
from kg.hpo import (
    decimal_text,
    genes_to_ntriples,
    hpo_data_dir,
    hpoa_to_ntriples,
    reference_iri,
)
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OBO, RDFS_LABEL, RO_HAS_PHENOTYPE, SKOS
from kg.sparql import IRI
from kg.store import DATA_MODEL_VERSION, build_kg, read_manifest, resolve_build
from kg.validation import graph_from_store, shapes_for, validate

HPO_EDGE = Path(__file__).parents[1] / "fixtures" / "hpo_edge"
OMIM = "https://omim.org/entry/"
ORPHA = "https://www.orpha.net/ORDO/Orphanet_"
DECIPHER = "https://www.deciphergenomics.org/syndrome/"
GENE = "https://identifiers.org/ncbigene:"
ISBN = "https://isbnsearch.org/isbn/"
EDGE = "ASK WHERE { ?d obo:RO_0002200 ?p }"
_ENV = {"COLUMNS": "250", "NO_COLOR": "1"}  # wide enough that rows keep one line
HEADER = (
    "#version: test\ndatabase_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\t"
    "onset\tfrequency\tsex\tmodifier\taspect\tbiocuration\n"
)


def _hp(number: str) -> str:
    return f"{OBO}HP_{number}"


def _row(disease: str, name: str, term: str, frequency: str = "", qualifier: str = "") -> str:
    return "\t".join(
        [disease, name, qualifier, term, "PMID:1", "PCS", "", frequency, "", "", "P", "HPO:x"]
    )


@pytest.fixture(scope="module")
def edge_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    dest = tmp_path_factory.mktemp("kgs") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=HPO_EDGE, progress=False)
    return KnowledgeGraph.open(dest)


def _phenotype_edges(kg: KnowledgeGraph) -> set[tuple[str, str]]:
    """The direct ``RO:0002200`` edges of the KG's graph tensors, as IRI pairs."""
    graph = kg.graph
    r = graph.relation_names.index(RO_HAS_PHENOTYPE)
    keep = graph.edge_type == r
    sources = graph.edge_index[0][keep].tolist()
    targets = graph.edge_index[1][keep].tolist()
    return {(graph.node_iris[s], graph.node_iris[t]) for s, t in zip(sources, targets, strict=True)}


# ---- 1. zero-frequency annotations give no direct edge ------------------------------------


def test_hpoa_to_ntriples_writes_no_edge_for_zero_frequency_rows(tmp_path: Path) -> None:
    path = tmp_path / "phenotype.hpoa"
    rows = [
        _row("OMIM:1", "A", "HP:0000001", "0/3"),  # none of 3: no edge
        _row("OMIM:1", "A", "HP:0000002", "0/2"),  # 0/2 first, then 1/2: an edge
        _row("OMIM:1", "A", "HP:0000002", "1/2"),
        _row("OMIM:1", "A", "HP:0000003", "HP:0040285"),  # Excluded (0%): no edge
        _row("OMIM:1", "A", "HP:0000004", "0%"),
        _row("OMIM:1", "A", "HP:0000005"),  # frequency not stated: an edge
    ]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    out = io.StringIO()
    stats = hpoa_to_ntriples(path, out)
    triples = [line.split() for line in out.getvalue().splitlines()]
    assert sorted(o for _, p, o, _ in triples if p == f"<{RO_HAS_PHENOTYPE}>") == [
        f"<{_hp('0000002')}>",
        f"<{_hp('0000005')}>",
    ]
    assert stats.annotations == 6  # every row keeps its annotation node
    assert (stats.zero_frequency, stats.absent_pairs) == (4, 3)
    assert stats.triples == out.getvalue().count("\n")


def test_zero_frequency_pairs_have_no_edge_in_store_graph_or_queries(
    edge_kg: KnowledgeGraph,
) -> None:
    marfan, deletion = OMIM + "154700", DECIPHER + "16"
    cardio, arachno, tall = _hp("0001626"), _hp("0001166"), _hp("0000098")
    assert not edge_kg.ask(EDGE, d=IRI(marfan), p=IRI(cardio))  # 0/3 only
    assert not edge_kg.ask(EDGE, d=IRI(deletion), p=IRI(tall))  # Excluded only
    assert edge_kg.ask(EDGE, d=IRI(deletion), p=IRI(arachno))  # 0/2 and 3/10
    # the annotation node stays, as evidence of absence
    zero = [a for a in edge_kg.annotations_of("OMIM:154700") if a.phenotype.iri == cardio]
    assert [(a.frequency_text, a.negated, a.present) for a in zero] == [("0/3", False, False)]
    # the graph tensors have the store's direct edges, no more
    in_store = {
        (r["d"], r["p"])
        for r in edge_kg.select("SELECT ?d ?p WHERE { ?d obo:RO_0002200 ?p ; a kgv:Disease }")
    }
    graph_edges = _phenotype_edges(edge_kg)
    assert {(d, p) for d, p in graph_edges if not d.startswith(GENE)} == in_store
    assert (marfan, cardio) not in graph_edges and (deletion, tall) not in graph_edges
    # the table's present rows give exactly those pairs
    table = edge_kg.annotations
    present = table.present
    pairs = {
        (table.subjects[s], table.terms[t])
        for s, t in zip(table.subject[present].tolist(), table.term[present].tolist(), strict=True)
    }
    assert pairs == in_store
    # helper queries follow the direct edges
    assert {d.iri for d in edge_kg.diseases_with("HP:0000098")} == {
        marfan,
        ORPHA + "394",
        OMIM + "600001",
    }  # not DECIPHER:16 (Excluded)


def test_zero_frequency_edge_weights_come_from_present_rows(edge_kg: KnowledgeGraph) -> None:
    graph = edge_kg.graph
    index = {iri: i for i, iri in enumerate(graph.node_iris)}
    r = graph.relation_names.index(RO_HAS_PHENOTYPE)
    weights = {
        (s, t): w
        for s, t, e, w in zip(
            graph.edge_index[0].tolist(),
            graph.edge_index[1].tolist(),
            graph.edge_type.tolist(),
            graph.edge_weight.tolist(),
            strict=True,
        )
        if e == r
    }
    assert weights[(index[DECIPHER + "16"], index[_hp("0001166")])] == pytest.approx(0.3)
    assert min(weights.values()) > 0  # no edge rests on a frequency of 0


# ---- 2. gene links resting only on NOT or zero-frequency annotations ----------------------


def test_genes_to_ntriples_skips_rows_resting_on_not_or_zero_annotations(
    edge_kg: KnowledgeGraph,
) -> None:
    folder = hpo_data_dir(HPO_EDGE)
    out = io.StringIO()
    edges: dict[str, list[tuple[str, str]]] = {}
    stats = genes_to_ntriples(
        folder / "genes_to_phenotype.txt", out, edges=edges, annotations=edge_kg.annotations
    )
    assert (stats.skipped_rows, stats.skipped_links) == (5, 4)
    assert stats.triples == out.getvalue().count("\n")
    links = set(edges[RO_HAS_PHENOTYPE])
    for gene, term in [("2200", "0001249"), ("2200", "0001626"), ("6899", "0000098")]:
        assert (GENE + gene, _hp(term)) not in links
    assert (GENE + "875", _hp("0002616")) not in links  # CBS: a NOT row only
    assert (GENE + "6899", _hp("0001249")) in links  # also from DECIPHER:16's positive row
    assert (GENE + "6899", _hp("0001166")) in links  # 0/2 and 3/10
    # the gene -> disease links of skipped rows stay
    assert stats.gene_disease == 5
    # without the table every row gives its link, as before
    every = genes_to_ntriples(folder / "genes_to_phenotype.txt", io.StringIO())
    assert every.gene_phenotype == stats.gene_phenotype + 4


def test_gene_links_left_out_are_counted_in_the_manifest(edge_kg: KnowledgeGraph) -> None:
    counts = {s.name: s.counts for s in edge_kg.manifest.sources}
    assert counts["genes_to_phenotype.txt"] == {
        "gene_phenotype_rows_skipped": 5,
        "gene_phenotype_links_skipped": 4,
    }
    assert counts["phenotype.hpoa"] == {
        "annotations_zero_frequency": 3,
        "disease_phenotype_pairs_absent_only": 5,  # 3 NOT, Excluded and 0/3
        "disease_alt_labels": 2,
    }
    assert read_manifest(edge_kg.path).sources == edge_kg.manifest.sources  # saved
    from kgfuse.cli import app

    shown = CliRunner().invoke(app, ["kg", "stats", "--kg", str(edge_kg.path)], env=_ENV)
    line = next(x for x in shown.stdout.splitlines() if "gene_phenotype_rows_skipped" in x)
    assert "genes_to_phenotype.txt:" in line and line.split()[-2] == "5"
    assert "TBX1" not in {g.label for g in edge_kg.genes_with("HP:0000098")}
    assert "FBN1" not in {g.label for g in edge_kg.genes_with("HP:0001249")}
    assert "TBX1" in {g.label for g in edge_kg.genes_with("HP:0001249")}


# ---- 3. discarded synonyms and 10. synonym types named by an id --------------------------


def test_lexicon_leaves_out_discarded_synonyms(edge_kg: KnowledgeGraph) -> None:
    names = {(e.iri, e.text) for e in edge_kg.lexicon}
    assert (_hp("0000098"), "Increased body height") in names
    assert (_hp("0000098"), "Gigantism") not in names
    # the synonym stays in the store, with its type
    synonyms = edge_kg.select(
        "SELECT ?s WHERE { ?t oboInOwl:hasExactSynonym ?s }", t=IRI(_hp("0000098"))
    )
    assert "Gigantism" in {r["s"] for r in synonyms}


def test_lexicon_names_a_synonym_type_declared_by_an_id_by_its_label(
    edge_kg: KnowledgeGraph,
) -> None:
    types = {e.text: e.synonym_type for e in edge_kg.lexicon if e.iri == _hp("0000006")}
    assert types["Monoallelic"] == "allelic_requirement"
    assert types["AD"] == "abbreviation"


def test_comment_before_a_trailing_qualifier_keeps_no_blank(edge_kg: KnowledgeGraph) -> None:
    rows = edge_kg.select("SELECT ?c WHERE { ?t rdfs:comment ?c }", t=IRI(_hp("0000098")))
    assert [r["c"] for r in rows] == ["Height above the 97th centile."]


# ---- 4. diseases with several names -------------------------------------------------------


def test_disease_label_is_the_most_frequent_name_and_others_are_alt_labels(
    edge_kg: KnowledgeGraph,
) -> None:
    q = "SELECT ?p ?name WHERE { ?d ?p ?name FILTER(?p IN (rdfs:label, skos:altLabel)) }"
    renamed = {(r["p"], r["name"]) for r in edge_kg.select(q, d=IRI(OMIM + "617635"))}
    assert renamed == {
        (RDFS_LABEL, "Intellectual developmental disorder, autosomal dominant 47"),
        (SKOS + "altLabel", "Mental retardation, autosomal dominant 47"),
    }
    tie = {(r["p"], r["name"]) for r in edge_kg.select(q, d=IRI(OMIM + "600001"))}
    assert tie == {
        (RDFS_LABEL, "New tie name"),  # the later row
        (SKOS + "altLabel", "Old tie name"),
    }
    table = edge_kg.annotations
    labels = dict(zip(table.subjects, table.subject_labels, strict=True))
    assert labels[OMIM + "617635"] == "Intellectual developmental disorder, autosomal dominant 47"
    entries = {(e.text, e.kind) for e in edge_kg.lexicon if e.iri == OMIM + "617635"}
    assert ("Mental retardation, autosomal dominant 47", "exact") in entries


def test_disease_alt_labels_conform_to_the_shapes(edge_kg: KnowledgeGraph) -> None:
    assert isinstance(edge_kg.store, ox.Store)
    report = validate(graph_from_store(edge_kg.store), shapes_for("hpo"))
    assert report.conforms, report.to_text()


def test_questions_find_a_disease_by_its_other_name(edge_kg: KnowledgeGraph) -> None:
    from kgfuse.qa.entities import QuestionEntityLinker

    linker = QuestionEntityLinker(edge_kg)
    for name in (
        "Intellectual developmental disorder, autosomal dominant 47",  # the label
        "Mental retardation, autosomal dominant 47",  # the other name
    ):
        found = linker.link(f"What are the features of {name}?")
        assert OMIM + "617635" in {e.iri for e in found}, name


# ---- 6. frequencies below 1e-4 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5e-05, "0.00005"),
        (1.5e-07, "0.00000015"),
        (0.00012345, "0.0001234"),
        (0.895, "0.895"),
        (1.0, "1"),
        (0.0, "0"),
    ],
)
def test_decimal_text_has_no_exponent(value: float, text: str) -> None:
    assert decimal_text(value) == text


def test_tiny_frequency_is_a_valid_decimal(edge_kg: KnowledgeGraph) -> None:
    rows = edge_kg.select(
        "SELECT ?v (STR(?v) AS ?text) (?v < 0.5 AS ?lt) WHERE "
        "{ ?a kgv:frequencyText '1/20000' ; kgv:frequencyValue ?v }"
    )
    assert [(r["text"], r["lt"]) for r in rows] == [("0.00005", True)]


# ---- 7. the data model version -------------------------------------------------------------


def test_a_build_of_this_data_model_has_another_fingerprint_than_data_model_2(
    edge_kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = edge_kg.manifest
    assert manifest.data_model == DATA_MODEL_VERSION != "kgfuse-kg/2"
    monkeypatch.setattr(kg_store, "DATA_MODEL_VERSION", "kgfuse-kg/2")  # the same sources
    old = kg_store.fingerprint_of(manifest.sources)
    assert manifest.fingerprint != old


def test_a_kg_mismatch_tells_to_rebuild_or_retrain() -> None:
    message = str(KGMismatchError("the model at m", "a" * 64, "b" * 64))
    assert "retrain" in message and "rebuild" in message and "data model" in message


# ---- 8. modifiers and aspects --------------------------------------------------------------


def test_annotation_table_has_modifiers(edge_kg: KnowledgeGraph, tmp_path: Path) -> None:
    table = edge_kg.annotations
    modified = {
        (table.subjects[table.subject[r]], table.terms[table.term[r]]): table.modifier[r]
        for r in range(len(table))
        if table.modifier[r]
    }
    severe = [_hp("0012828")]
    assert modified == {
        (OMIM + "154700", _hp("0002616")): severe,
        (DECIPHER + "16", _hp("0001249")): severe,
        (OMIM + "617635", _hp("0001083")): severe,
    }
    table.save(tmp_path)
    assert AnnotationTable.load(tmp_path).modifier == table.modifier
    # the same column from the store alone
    assert isinstance(edge_kg.store, ox.Store)
    again = AnnotationTable.from_store(edge_kg.store).canonical()
    assert again.modifier == table.modifier


def test_annotation_table_saved_without_modifiers_loads(tmp_path: Path) -> None:
    table = AnnotationTable(
        ["s"], ["S"], ["t"], ["a"], np.zeros(1, np.int32), np.zeros(1, np.int32),
        np.zeros(1, bool), np.full(1, np.nan, np.float32), [""], [""], np.zeros(1, np.int8),
        ["PCS"], ["P"], [[]],
    )  # fmt: skip
    table.save(tmp_path)
    meta = json.loads((tmp_path / "annotations.json").read_text(encoding="utf-8"))
    del meta["modifier"]  # as a table saved by data model 2
    (tmp_path / "annotations.json").write_text(json.dumps(meta), encoding="utf-8")
    assert AnnotationTable.load(tmp_path).modifier == [[]]


def test_kg_show_lists_aspect_modifiers_and_absent_rows(edge_kg: KnowledgeGraph) -> None:
    from kgfuse.cli import app

    runner = CliRunner()
    env = _ENV
    args = ["kg", "show", "OMIM:154700", "--kg", str(edge_kg.path)]
    shown = runner.invoke(app, [*args, "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    rows = {a["phenotype"]["curie"]: a for a in json.loads(shown.stdout)["annotations"]}
    aortic = rows["HP:0002616"]
    assert aortic["aspect"] == "P"
    assert aortic["modifiers"] == [
        {"iri": _hp("0012828"), "curie": "HP:0012828", "label": "Severe"}
    ]
    assert rows["HP:0000006"]["aspect"] == "I"
    assert rows["HP:0001626"]["present"] is False and rows["HP:0001626"]["negated"] is False
    table = runner.invoke(app, args, env=env)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    aortic_line = next(line for line in lines if "Aortic root aneurysm" in line)
    assert "Severe" in aortic_line and " P " in aortic_line
    zero_line = next(line for line in lines if "HP:0001626" in line)
    assert "NONE Abnormality of the cardiovascular system" in zero_line
    not_line = next(line for line in lines if "HP:0001249" in line)
    assert "NOT Intellectual disability" in not_line
    # what the disease has comes first, the absent rows last
    assert lines.index(aortic_line) < lines.index(zero_line)


# ---- 9. ISBN-10 and ISBN-13 references -----------------------------------------------------


def test_isbn_10_and_13_references_are_isbn_iris(edge_kg: KnowledgeGraph) -> None:
    assert reference_iri("ISBN-13:978-0-19-530456-6") == ISBN + "978-0-19-530456-6"
    assert reference_iri("ISBN-10:0-19-530456-1") == ISBN + "0-19-530456-1"
    assert reference_iri("ISBN:0-19-530456-1") == ISBN + "0-19-530456-1"
    sources = {s for sources in edge_kg.annotations.sources for s in sources}
    assert {ISBN + "978-0-19-530456-6", ISBN + "0-19-530456-1"} <= sources
    assert not any("reference/ISBN" in s for s in sources)


# ---- the derived tables from the store alone ------------------------------------------------


def test_write_derived_from_the_built_store_gives_the_build_tables(
    edge_kg: KnowledgeGraph, tmp_path: Path
) -> None:
    build = resolve_build(edge_kg.path)
    store = ox.Store.read_only(str(build / "store"))
    write_derived(store, tmp_path, read_manifest(edge_kg.path).fingerprint)
    for name in ("annotations.json", "annotations.npz", "lexicon.jsonl", "hierarchy.json"):
        assert (tmp_path / name).read_bytes() == (build / "derived" / name).read_bytes(), name
    for name in ("graph/graph.json", "graph/graph.safetensors"):
        assert (tmp_path / name).read_bytes() == (build / "derived" / name).read_bytes(), name
