"""Tests of the HPO converters: frequencies, annotation nodes, gene links, malformed rows."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from kg.errors import OntologyParseError
from kg.hpo import (
    FREQUENCY_TERMS,
    HPO_FILES,
    disease_iri,
    genes_to_ntriples,
    hpo_data_dir,
    hpoa_to_ntriples,
    parse_frequency,
    reference_iri,
)
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import KGD, OBO, RO_GENE_CONTRIBUTES_TO, RO_HAS_PHENOTYPE
from kg.sparql import IRI
from kg.store import build_kg

OMIM = "https://omim.org/entry/"
ORPHA = "https://www.orpha.net/ORDO/Orphanet_"
DECIPHER = "https://www.deciphergenomics.org/syndrome/"
PMID = "https://pubmed.ncbi.nlm.nih.gov/"
GENE = "https://identifiers.org/ncbigene:"
HEADER_LINES = 5  # four '#' lines, then the column header


@pytest.fixture(scope="module")
def hpo_mini() -> Path:
    return Path(__file__).parents[1] / "fixtures" / "hpo_mini"


@pytest.fixture(scope="module")
def mini_kg(hpo_mini: Path, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    dest = tmp_path_factory.mktemp("hpo-kg") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=hpo_mini, progress=False)
    return KnowledgeGraph.open(dest)


def _hpoa_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _obo(curie: str) -> str:
    return OBO + curie.replace(":", "_")


# ---- parse_frequency ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HP:0040280", ("HP:0040280", 1.0)),
        ("HP:0040281", ("HP:0040281", 0.895)),
        ("HP:0040282", ("HP:0040282", 0.545)),
        ("HP:0040283", ("HP:0040283", 0.17)),
        ("HP:0040284", ("HP:0040284", 0.025)),
        ("HP:0040285", ("HP:0040285", 0.0)),
        ("  HP:0040281 ", ("HP:0040281", 0.895)),
        ("3/8", (None, 0.375)),
        ("0/5", (None, 0.0)),
        ("7/7", (None, 1.0)),
        ("25%", (None, 0.25)),
        ("12.5%", (None, 0.125)),
        ("100%", (None, 1.0)),
        ("0%", (None, 0.0)),
        ("", (None, None)),
        ("   ", (None, None)),
    ],
)
def test_parse_frequency_accepts_terms_fractions_and_percentages(
    text: str, expected: tuple[str | None, float | None]
) -> None:
    term, value = parse_frequency(text)
    assert term == expected[0]
    assert value == pytest.approx(expected[1]) if expected[1] is not None else value is None


@pytest.mark.parametrize(
    "text",
    [
        "HP:0000118",  # an HP term, but not a frequency
        "HP:0040286",
        "5/0",
        "6/5",
        "-1/5",
        "1/2/3",
        "150%",
        "-5%",
        "5 %",
        "often",
        "-",
        "0.5",
    ],
)
def test_parse_frequency_bad_values_raise(text: str) -> None:
    with pytest.raises(ValueError, match="frequency"):
        parse_frequency(text)


def test_parse_frequency_covers_every_frequency_term() -> None:
    assert set(FREQUENCY_TERMS) == {f"HP:004028{i}" for i in range(6)}
    assert all(0.0 <= v <= 1.0 for v in FREQUENCY_TERMS.values())


def test_disease_and_reference_iris() -> None:
    assert disease_iri("OMIM:154700") == OMIM + "154700"
    assert disease_iri("ORPHA:394") == ORPHA + "394"
    assert disease_iri("DECIPHER:16") == DECIPHER + "16"
    with pytest.raises(ValueError, match="FOO:1"):
        disease_iri("FOO:1")
    assert reference_iri("PMID:123") == PMID + "123"
    assert reference_iri("https://doi.org/10.1/x") == "https://doi.org/10.1/x"
    assert reference_iri("ISBN-10:0-19-262896-8") == "https://isbnsearch.org/isbn/0-19-262896-8"
    assert reference_iri("odd ref<1>") == KGD + "reference/odd_ref_1_"


def test_hpo_data_dir_default_and_explicit(hpo_mini: Path, tmp_path: Path) -> None:
    shipped = hpo_data_dir()
    assert all((shipped / name).is_file() for name in HPO_FILES)
    assert hpo_data_dir(hpo_mini) == hpo_mini
    with pytest.raises(FileNotFoundError, match="hp.obo"):
        hpo_data_dir(tmp_path)


# ---- annotation nodes ---------------------------------------------------------------------

_ALL_ANNOTATIONS = """
SELECT ?a ?d ?p ?pred ?neg ?ft ?fv ?ftext ?onset ?sex ?ev ?aspect
       (GROUP_CONCAT(DISTINCT STR(?src); separator=" ") AS ?sources)
       (GROUP_CONCAT(DISTINCT STR(?mod); separator=" ") AS ?modifiers)
WHERE {
  ?a a kgv:PhenotypeAnnotation ; rdf:subject ?d ; rdf:predicate ?pred ; rdf:object ?p ;
     kgv:evidence ?ev ; kgv:aspect ?aspect .
  OPTIONAL { ?a kgv:negated ?neg }
  OPTIONAL { ?a kgv:frequency ?ft }
  OPTIONAL { ?a kgv:frequencyValue ?fv }
  OPTIONAL { ?a kgv:frequencyText ?ftext }
  OPTIONAL { ?a kgv:onset ?onset }
  OPTIONAL { ?a kgv:sex ?sex }
  OPTIONAL { ?a kgv:modifier ?mod }
  OPTIONAL { ?a dcterms:source ?src }
}
GROUP BY ?a ?d ?p ?pred ?neg ?ft ?fv ?ftext ?onset ?sex ?ev ?aspect
"""


def _expected_annotation(row: dict[str, str]) -> tuple:
    term, value = parse_frequency(row["frequency"])
    return (
        disease_iri(row["database_id"]),
        _obo(row["hpo_id"]),
        row["qualifier"] == "NOT",
        _obo(term) if term else None,
        round(value, 4) if value is not None else None,
        row["frequency"] if value is not None and term is None else None,
        _obo(row["onset"]) if row["onset"] else None,
        row["sex"] or None,
        frozenset(_obo(m) for m in row["modifier"].split(";") if m),
        row["evidence"],
        row["aspect"],
        frozenset(reference_iri(r) for r in row["reference"].split(";")),
    )


def test_every_hpoa_row_is_one_annotation_node(mini_kg: KnowledgeGraph, hpo_mini: Path) -> None:
    rows = _hpoa_rows(hpo_mini / "phenotype.hpoa")
    stored = mini_kg.select(_ALL_ANNOTATIONS)

    assert len(rows) == 20
    assert len(stored) == len({r["a"] for r in stored}) == len(rows)
    assert {r["pred"] for r in stored} == {RO_HAS_PHENOTYPE}
    assert all(r["a"].startswith(KGD + "hpo/annotation/") for r in stored)
    found = Counter(
        (
            r["d"],
            r["p"],
            bool(r["neg"]),
            r["ft"],
            round(r["fv"], 4) if r["fv"] is not None else None,
            r["ftext"],
            r["onset"],
            r["sex"],
            frozenset((r["modifiers"] or "").split()),
            r["ev"],
            r["aspect"],
            frozenset((r["sources"] or "").split()),
        )
        for r in stored
    )
    assert found == Counter(_expected_annotation(r) for r in rows)


def test_annotation_node_keeps_qualifiers_and_references(mini_kg: KnowledgeGraph) -> None:
    by_phenotype = {a.phenotype.curie: a for a in mini_kg.annotations_of("OMIM:154700")}
    aortic = by_phenotype["HP:0002616"]
    assert aortic.disease.label == "Marfan syndrome"
    assert aortic.frequency == pytest.approx(0.8)
    assert aortic.frequency_text == "80%"
    assert aortic.frequency_term is None
    assert aortic.onset == OBO + "HP_0003577"
    assert aortic.evidence == "TAS"
    assert aortic.sources == (OMIM + "154700",)
    modifiers = mini_kg.select("SELECT ?a ?m WHERE { ?a kgv:modifier ?m }", a=IRI(aortic.iri))
    assert [r["m"] for r in modifiers] == [OBO + "HP_0012828"]

    arachno = sorted(
        (a for a in mini_kg.annotations_of("OMIM:154700") if a.phenotype.curie == "HP:0001166"),
        key=lambda a: a.frequency or 0.0,
    )
    assert len(arachno) == 2  # two rows, two nodes, even for the same disease and term
    assert arachno[0].frequency_text == "12/20" and arachno[0].sex == "MALE"
    assert arachno[1].frequency_term == OBO + "HP_0040281"
    assert arachno[1].frequency == pytest.approx(0.895)
    assert arachno[1].sources == (PMID + "1000001", PMID + "1000002")

    deletion = {a.phenotype.curie: a for a in mini_kg.annotations_of("DECIPHER:16")}
    assert set(deletion["HP:0001626"].sources) == {
        DECIPHER + "16",
        PMID + "1000005",
        PMID + "1000006",
    }
    assert deletion["HP:0000098"].frequency == 0.0  # "Excluded" is a frequency, not NOT
    assert not deletion["HP:0000098"].negated


def test_not_rows_give_no_direct_phenotype_edge(mini_kg: KnowledgeGraph, hpo_mini: Path) -> None:
    edge = "ASK WHERE { ?d obo:RO_0002200 ?p }"
    rows = _hpoa_rows(hpo_mini / "phenotype.hpoa")
    negated = [r for r in rows if r["qualifier"] == "NOT"]
    assert len(negated) == 3
    for r in rows:
        d, p = IRI(disease_iri(r["database_id"])), IRI(_obo(r["hpo_id"]))
        # nor do rows of frequency 0 (DECIPHER:16 HP:0000098, Excluded): see test_hpo_edge
        present = r["qualifier"] != "NOT" and r["frequency"] != "HP:0040285"
        assert mini_kg.ask(edge, d=d, p=p) is present, r
    for r in negated:  # the NOT fact itself survives as a negated annotation node
        hits = [
            a for a in mini_kg.annotations_of(r["database_id"]) if a.phenotype.curie == r["hpo_id"]
        ]
        assert [a.negated for a in hits] == [True]
    graph = mini_kg.graph
    index = graph.index_of()
    r_ph = graph.relation_names.index(RO_HAS_PHENOTYPE)
    edges = set(
        zip(
            graph.edge_index[0][graph.edge_type == r_ph].tolist(),
            graph.edge_index[1][graph.edge_type == r_ph].tolist(),
            strict=True,
        )
    )
    for r in negated:
        pair = (index[disease_iri(r["database_id"])], index[_obo(r["hpo_id"])])
        assert pair not in edges


def test_diseases_are_typed_and_labelled(mini_kg: KnowledgeGraph) -> None:
    rows = mini_kg.select("SELECT ?d ?label WHERE { ?d a kgv:Disease ; rdfs:label ?label }")
    assert {(r["d"], r["label"]) for r in rows} == {
        (OMIM + "154700", "Marfan syndrome"),
        (ORPHA + "394", "Classic homocystinuria"),
        (DECIPHER + "16", "22q11 deletion syndrome"),
    }


def test_hpoa_to_ntriples_reports_stats(hpo_mini: Path) -> None:
    out = io.StringIO()
    stats = hpoa_to_ntriples(hpo_mini / "phenotype.hpoa", out)
    assert stats.annotations == 20
    assert stats.negated == 3
    assert stats.diseases == {"OMIM": 1, "ORPHA": 1, "DECIPHER": 1}
    assert stats.version == "2025-01-01-mini"
    assert stats.triples == out.getvalue().count("\n")


def test_genes_to_ntriples_links_genes(mini_kg: KnowledgeGraph, hpo_mini: Path) -> None:
    out = io.StringIO()
    edges: dict[str, list[tuple[str, str]]] = {}
    stats = genes_to_ntriples(hpo_mini / "genes_to_phenotype.txt", out, edges=edges)
    assert (stats.genes, stats.gene_phenotype, stats.gene_disease) == (4, 11, 4)
    assert stats.triples == out.getvalue().count("\n")
    assert sorted(edges[RO_GENE_CONTRIBUTES_TO]) == sorted(
        [
            (GENE + "2200", OMIM + "154700"),
            (GENE + "7048", OMIM + "154700"),
            (GENE + "875", ORPHA + "394"),
            (GENE + "6899", DECIPHER + "16"),
        ]
    )
    only_omim = genes_to_ntriples(
        hpo_mini / "genes_to_phenotype.txt", io.StringIO(), lambda d: d.startswith("OMIM:")
    )
    assert only_omim.gene_disease == 2
    symbols = mini_kg.select("SELECT ?g ?s WHERE { ?g a kgv:Gene ; rdfs:label ?s }")
    assert {r["s"] for r in symbols} == {"FBN1", "TGFBR2", "CBS", "TBX1"}


# ---- malformed input ----------------------------------------------------------------------


def _with_row(hpo_mini: Path, tmp_path: Path, row: str) -> tuple[Path, int]:
    """A copy of the mini phenotype.hpoa with ``row`` appended; returns (path, its line)."""
    text = (hpo_mini / "phenotype.hpoa").read_text(encoding="utf-8")
    path = tmp_path / "phenotype.hpoa"
    path.write_text(text + row + "\n", encoding="utf-8")
    return path, text.count("\n") + 1


_GOOD = ["OMIM:1", "X", "", "HP:0000118", "PMID:1", "PCS", "", "", "", "", "P", "HPO:x"]


def _row(**changes: str) -> str:
    fields = list(_GOOD)
    columns = ["database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence"]
    columns += ["onset", "frequency", "sex", "modifier", "aspect", "biocuration"]
    for key, value in changes.items():
        fields[columns.index(key)] = value
    return "\t".join(fields)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("OMIM:1\tX\t\tHP:0000118\tPMID:1", "columns"),
        (_row() + "\textra", "columns"),
        (_row(frequency="often"), "frequency"),
        (_row(frequency="9/4"), "frequency"),
        (_row(frequency="120%"), "frequency"),
        (_row(hpo_id="XP:0000118"), "not an HP term"),
        (_row(database_id="FOO:1"), "FOO:1"),
        # IRIs the store would refuse: caught where they are written (the store loads the
        # converters' text without validating each IRI again)
        (_row(database_id="OMIM:1%"), "not a valid IRI"),
        (_row(reference="PMID:1%zz"), "not a valid IRI"),
        (_row(hpo_id="HP:00%z1"), "not an HP term id"),
        (_row(modifier="HP:0012828;HP:1%"), "not an HP term id"),
        (_row(onset="HP:%"), "not an HP term id"),
        # what once built a wrong KG without a word
        (_row(qualifier="MAYBE"), "qualifier 'MAYBE'"),
        (_row(qualifier="NOT "), "qualifier 'NOT '"),  # would have counted as present
        (_row(sex="banana"), "sex 'banana'"),
        (_row(hpo_id="HP:0000118 "), "not an HP term id"),
        (_row(hpo_id="HP:"), "not an HP term id"),
        (_row(database_id="OMIM:"), "not a disease id"),
        (_row(database_id="OMIM:1 2"), "not a disease id"),
        (_row(onset="soon"), "not an HP term id"),
        (_row(modifier="hello world"), "not an HP term id"),
    ],
)
def test_hpoa_malformed_row_names_file_and_line(
    hpo_mini: Path, tmp_path: Path, row: str, reason: str
) -> None:
    path, line = _with_row(hpo_mini, tmp_path, row)
    with pytest.raises(OntologyParseError, match=reason) as info:
        hpoa_to_ntriples(path, io.StringIO())
    assert info.value.path == str(path)
    assert info.value.line == line == HEADER_LINES + 21
    assert f"phenotype.hpoa:{line}:" in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["", "#version: x\n#description: cut before the header\n", "\n"],
    ids=["empty", "comments only", "a blank line"],
)
def test_hpoa_that_ends_before_its_header_fails(tmp_path: Path, text: str) -> None:
    path = tmp_path / "phenotype.hpoa"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OntologyParseError, match="header"):
        hpoa_to_ntriples(path, io.StringIO())


def test_hpoa_header_must_name_every_column_in_order(hpo_mini: Path, tmp_path: Path) -> None:
    text = (hpo_mini / "phenotype.hpoa").read_text(encoding="utf-8")
    swapped = text.replace("\tsex\tmodifier\t", "\tmodifier\tsex\t", 1)
    assert swapped != text
    path = tmp_path / "phenotype.hpoa"
    path.write_text(swapped, encoding="utf-8")
    with pytest.raises(OntologyParseError, match="header row") as info:
        hpoa_to_ntriples(path, io.StringIO())
    assert info.value.line == HEADER_LINES


def test_hpo_tables_with_a_byte_order_mark_read_as_without(hpo_mini: Path, tmp_path: Path) -> None:
    for name, convert in (
        ("phenotype.hpoa", hpoa_to_ntriples),
        ("genes_to_phenotype.txt", genes_to_ntriples),
    ):
        text = (hpo_mini / name).read_text(encoding="utf-8")
        marked = tmp_path / name
        marked.write_text("\ufeff" + text, encoding="utf-8")
        plain, with_mark = io.StringIO(), io.StringIO()
        convert(hpo_mini / name, plain)
        convert(marked, with_mark)
        assert with_mark.getvalue() == plain.getvalue() != ""


def test_a_quote_in_a_genes_file_name_is_text(hpo_mini: Path, tmp_path: Path) -> None:
    lines = (hpo_mini / "genes_to_phenotype.txt").read_text(encoding="utf-8").splitlines()
    quoted = [lines[0]]
    for i, line in enumerate(lines[1:]):
        fields = line.split("\t")
        fields[3] = ('"' if i == 0 else "") + fields[3] + ('"' if i == 3 else "")
        quoted.append("\t".join(fields))
    path = tmp_path / "genes_to_phenotype.txt"
    path.write_text("\n".join(quoted) + "\n", encoding="utf-8")
    plain = genes_to_ntriples(hpo_mini / "genes_to_phenotype.txt", io.StringIO())
    assert genes_to_ntriples(path, io.StringIO()) == plain  # no row swallowed


def test_hpoa_without_header_row_fails(tmp_path: Path) -> None:
    path = tmp_path / "phenotype.hpoa"
    path.write_text("#version: x\n" + _row() + "\n", encoding="utf-8")
    with pytest.raises(OntologyParseError, match="header") as info:
        hpoa_to_ntriples(path, io.StringIO())
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("abc\tFBN1\tHP:0001166\tArachnodactyly\t-\tOMIM:154700", "gene id"),
        ("2200\tFBN1\tXP:0001166\tArachnodactyly\t-\tOMIM:154700", "HPO id"),
        ("2200\tFBN1\tHP:0001166\tArachnodactyly", "columns"),
        ("2200\tFBN1\tHP:0001166\tArachnodactyly\t-\tFOO:1", "FOO:1"),
        ("2200\tFBN1\tHP:00011%6\tArachnodactyly\t-\tOMIM:154700", "HPO id"),
        ("2200\tFBN1\tHP:0001166\tArachnodactyly\t-\tOMIM:1%", "not a valid IRI"),
    ],
)
def test_genes_malformed_row_names_file_and_line(
    hpo_mini: Path, tmp_path: Path, row: str, reason: str
) -> None:
    text = (hpo_mini / "genes_to_phenotype.txt").read_text(encoding="utf-8")
    path = tmp_path / "genes_to_phenotype.txt"
    path.write_text(text + row + "\n", encoding="utf-8")
    with pytest.raises(OntologyParseError, match=reason) as info:
        genes_to_ntriples(path, io.StringIO())
    assert info.value.line == text.count("\n") + 1
    assert str(info.value).startswith(f"{path}:{info.value.line}:")


def test_genes_bad_header_fails(tmp_path: Path) -> None:
    path = tmp_path / "genes_to_phenotype.txt"
    path.write_text("gene\tsymbol\n", encoding="utf-8")
    with pytest.raises(OntologyParseError, match="header") as info:
        genes_to_ntriples(path, io.StringIO())
    assert info.value.line == 1


def test_build_kg_with_malformed_hpoa_fails_cleanly(hpo_mini: Path, tmp_path: Path) -> None:
    folder = tmp_path / "hpo"
    folder.mkdir()
    for name in HPO_FILES:
        (folder / name).write_bytes((hpo_mini / name).read_bytes())
    _, line = _with_row(hpo_mini, folder, _row(frequency="sometimes"))

    with pytest.raises(OntologyParseError) as info:
        build_kg(["hpo"], tmp_path / "kg", hpo_dir=folder, progress=False)

    assert info.value.line == line
    assert "phenotype.hpoa" in str(info.value)
    assert not (tmp_path / "kg").exists()  # a first build that failed leaves nothing
