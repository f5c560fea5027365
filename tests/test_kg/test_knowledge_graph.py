"""Tests of KnowledgeGraph's helper queries on the mini HPO and legal KGs, and of bound values."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kg.errors import UnknownTermError
from kg.knowledge_graph import INDEX_PLANS, KnowledgeGraph
from kg.namespaces import OBO, compress, to_iri
from kg.sparql import IRI, bind, run_select
from kg.store import build_kg

LEGAL = "https://example.org/legal#"
OMIM = "https://omim.org/entry/"
ORPHA = "https://www.orpha.net/ORDO/Orphanet_"
DECIPHER = "https://www.deciphergenomics.org/syndrome/"
GENE = "https://identifiers.org/ncbigene:"

HOSTILE = [
    "} ; DROP ALL ; {",
    "<http://x> }",
    "http://x> } ; DROP ALL ; {",
    '" } DELETE WHERE { ?s ?p ?o } #',
    "' ; DROP GRAPH <urn:g> ; '",
    'HP:0001166" . ?s ?p ?o',
    "HP:0001166> ?p ?o } #",
    "back\\slash\\",
    '\\"',
    "line\nbreak",
    "HP:000\n1166",
    "urn:a b",
    "?term",
    "$term",
    "VALUES ?term { <http://purl.obolibrary.org/obo/HP_0001166> }",
    "",
    " ",
    "\x00",
    "\u2028",
    "http://",
]


@pytest.fixture(scope="module")
def hpo_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    folder = Path(__file__).parents[1] / "fixtures" / "hpo_mini"
    dest = tmp_path_factory.mktemp("kg") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=folder, progress=False)
    return KnowledgeGraph.open(dest)


@pytest.fixture(scope="module")
def legal_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    source = Path(__file__).parents[1] / "fixtures" / "legal" / "legal.ttl"
    dest = tmp_path_factory.mktemp("kg") / "legal"
    build_kg([source], dest, progress=False)
    return KnowledgeGraph.open(dest)


def _hp(local: str) -> str:
    return OBO + "HP_" + local


def _curies(iris: list[str]) -> set[str]:
    return {compress(i) for i in iris}


# ---- terms --------------------------------------------------------------------------------


def test_term_returns_label_definition_synonyms_parents_children(hpo_kg: KnowledgeGraph) -> None:
    info = hpo_kg.term("HP:0001166")
    assert info.iri == _hp("0001166")
    assert info.curie == "HP:0001166"
    assert info.label == "Arachnodactyly"
    assert info.definition == "Abnormally long and slender fingers (spider fingers)."
    assert info.synonyms == {"exact": ["Long slender fingers", "Spider fingers"]}
    assert [(p.curie, p.label) for p in info.parents] == [
        ("HP:0033127", "Abnormality of the musculoskeletal system")
    ]
    assert info.children == []

    parent = hpo_kg.term(_hp("0033127"))  # an IRI works as well as a CURIE
    assert [c.label for c in parent.children] == ["Arachnodactyly", "Tall stature"]
    assert hpo_kg.term("HP:0002616").synonyms == {"related": ["Aortic root dilatation"]}


def test_term_of_disease_and_obsolete_term(hpo_kg: KnowledgeGraph) -> None:
    marfan = hpo_kg.term("OMIM:154700")
    assert marfan.label == "Marfan syndrome"
    assert "https://w3id.org/kgfuse/vocab#Disease" in marfan.types
    obsolete = hpo_kg.term("HP:0001519")
    assert obsolete.label == "obsolete Disproportionate tall stature"
    assert obsolete.parents == []
    assert hpo_kg.hierarchy.resolve("HP:0001519") == _hp("0000098")


def test_names_lists_label_and_synonyms(hpo_kg: KnowledgeGraph) -> None:
    assert set(hpo_kg.names("HP:0001166")) == {
        ("label", "Arachnodactyly"),
        ("hasExactSynonym", "Long slender fingers"),
        ("hasExactSynonym", "Spider fingers"),
    }
    layperson = [e for e in hpo_kg.lexicon if e.synonym_type == "layperson"]
    assert {(compress(e.iri), e.text) for e in layperson} == {
        ("HP:0001166", "Spider fingers"),
        ("HP:0000098", "Increased body height"),
    }
    assert hpo_kg.names("NCBIGene:2200") == [("label", "FBN1")]


def test_ancestors_and_descendants(hpo_kg: KnowledgeGraph) -> None:
    assert _curies(hpo_kg.ancestors("HP:0001166")) == {"HP:0033127", "HP:0000118", "HP:0000001"}
    assert hpo_kg.ancestors("HP:0000001") == []
    assert _curies(hpo_kg.descendants("HP:0000118")) == {
        "HP:0033127",
        "HP:0001166",
        "HP:0000098",
        "HP:0000478",
        "HP:0001083",
        "HP:0001626",
        "HP:0002616",
        "HP:0001249",
    }
    assert _curies(hpo_kg.descendants("HP:0040279")) == {f"HP:004028{i}" for i in range(6)}
    assert hpo_kg.descendants("HP:0001166") == []
    # the SPARQL answers agree with the in-memory hierarchy
    for curie in ("HP:0001166", "HP:0003577", "HP:0040283"):
        assert set(hpo_kg.ancestors(curie)) == set(
            hpo_kg.hierarchy.ancestors(curie, include_self=False)
        )


# ---- annotations and links ----------------------------------------------------------------


def test_annotations_of_disease(hpo_kg: KnowledgeGraph) -> None:
    annotations = hpo_kg.annotations_of("OMIM:154700")
    assert len(annotations) == 7
    assert {a.disease.iri for a in annotations} == {OMIM + "154700"}
    assert sorted(a.phenotype.curie for a in annotations) == sorted(
        ["HP:0001166", "HP:0001166", "HP:0001083", "HP:0002616", "HP:0000098"]
        + ["HP:0001249", "HP:0000006"]
    )
    negated = [a for a in annotations if a.negated]
    assert [(a.phenotype.label, a.evidence) for a in negated] == [
        ("Intellectual disability", "PCS")
    ]
    ectopia = next(a for a in annotations if a.phenotype.curie == "HP:0001083")
    assert ectopia.frequency == pytest.approx(0.6)
    assert ectopia.frequency_label == "30/50"
    inheritance = next(a for a in annotations if a.phenotype.curie == "HP:0000006")
    assert inheritance.frequency is None and inheritance.frequency_label == "unknown"


def test_annotations_with_phenotype(hpo_kg: KnowledgeGraph) -> None:
    annotations = hpo_kg.annotations_with("HP:0001083")
    assert sorted((a.disease.curie, a.negated) for a in annotations) == [
        ("DECIPHER:16", True),
        ("OMIM:154700", False),
        ("ORPHA:394", False),
    ]
    homocystinuria = next(a for a in annotations if a.disease.curie == "ORPHA:394")
    assert homocystinuria.frequency_term == _hp("0040282")
    assert homocystinuria.frequency_label == "Frequent"  # the class label, not its midpoint
    assert hpo_kg.annotations_with("HP:0000118") == []  # exact term only


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("HP:0001083", ["OMIM:154700", "ORPHA:394"]),  # DECIPHER:16 has it NOT
        ("HP:0000478", ["OMIM:154700", "ORPHA:394"]),  # through the descendant
        ("HP:0001249", ["DECIPHER:16", "ORPHA:394"]),  # OMIM:154700 has it NOT
        ("HP:0001626", ["DECIPHER:16", "OMIM:154700"]),  # direct and through a descendant
        ("HP:0000118", ["DECIPHER:16", "OMIM:154700", "ORPHA:394"]),
        ("HP:0040281", []),
    ],
)
def test_diseases_with_term_or_descendants(
    hpo_kg: KnowledgeGraph, term: str, expected: list[str]
) -> None:
    found = hpo_kg.diseases_with(term)
    assert sorted(d.curie for d in found) == expected
    assert all(d.label for d in found)


def test_genes_of_and_diseases_of_gene(hpo_kg: KnowledgeGraph) -> None:
    assert [(g.curie, g.label) for g in hpo_kg.genes_of("OMIM:154700")] == [
        ("NCBIGene:2200", "FBN1"),
        ("NCBIGene:7048", "TGFBR2"),
    ]
    assert [g.label for g in hpo_kg.genes_of("ORPHA:394")] == ["CBS"]
    assert [g.label for g in hpo_kg.genes_of("DECIPHER:16")] == ["TBX1"]
    assert [(d.iri, d.label) for d in hpo_kg.diseases_of_gene("NCBIGene:2200")] == [
        (OMIM + "154700", "Marfan syndrome")
    ]
    assert [d.curie for d in hpo_kg.diseases_of_gene(GENE + "6899")] == ["DECIPHER:16"]
    assert hpo_kg.genes_of("HP:0001166") == []


def test_genes_with_term_or_descendants(hpo_kg: KnowledgeGraph) -> None:
    assert [g.label for g in hpo_kg.genes_with("HP:0001626")] == ["FBN1", "TBX1", "TGFBR2"]
    assert [g.label for g in hpo_kg.genes_with("HP:0001249")] == ["CBS", "TBX1"]
    assert [g.label for g in hpo_kg.genes_with("HP:0000005")] == ["CBS", "FBN1", "TBX1"]
    assert hpo_kg.genes_with("HP:0040279") == []


def test_stats_and_derived_tables(hpo_kg: KnowledgeGraph) -> None:
    assert hpo_kg.stats()["annotations"] == len(hpo_kg.annotations) == 20
    assert hpo_kg.labels[OMIM + "154700"] == "Marfan syndrome"
    assert len(hpo_kg.hierarchy) == 26
    assert hpo_kg.graph.fingerprint == hpo_kg.fingerprint


# ---- a second domain ----------------------------------------------------------------------


def test_legal_kg_answers_the_same_helpers(legal_kg: KnowledgeGraph) -> None:
    assert legal_kg.label(LEGAL + "Theft") == "theft"
    assert set(legal_kg.names(LEGAL + "Theft")) == {("label", "theft"), ("altLabel", "stealing")}
    info = legal_kg.term(LEGAL + "Burglary")
    assert info.label == "burglary"
    assert info.synonyms == {"exact": ["housebreaking"]}
    assert [p.label for p in info.parents] == ["property offence"]
    assert set(legal_kg.ancestors(LEGAL + "Theft")) == {
        LEGAL + "PropertyOffence",
        LEGAL + "Offence",
    }
    assert set(legal_kg.descendants(LEGAL + "Offence")) == {
        LEGAL + name
        for name in (
            "PropertyOffence",
            "OffenceAgainstPerson",
            "Theft",
            "Burglary",
            "Robbery",
            "Assault",
        )
    }
    assert set(legal_kg.descendants(LEGAL + "MensRea")) == {
        LEGAL + "Dishonesty",
        LEGAL + "IntentToDeprive",
        LEGAL + "Recklessness",
    }
    assert legal_kg.annotations_of(LEGAL + "Theft") == []
    assert legal_kg.diseases_with(LEGAL + "Offence") == []
    assert legal_kg.genes_with(LEGAL + "Offence") == []
    rows = legal_kg.select(
        f"SELECT ?offence ?years WHERE {{ ?offence <{LEGAL}hasPenalty>/<{LEGAL}maxYears> ?years }}",
        offence=IRI(LEGAL + "Burglary"),
    )
    assert rows == [{"offence": LEGAL + "Burglary", "years": 14}]


# ---- index plans give the rows of their SPARQL ------------------------------------------------

_EDGE_CASES = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a rdfs:label "a" , "a"@en , "b" , 7 ; skos:prefLabel "pref" ; skos:altLabel ex:notALiteral ;
     oio:hasExactSynonym "x" ; oio:hasRelatedSynonym "1"^^xsd:integer .
ex:b rdfs:subClassOf ex:a . ex:c rdfs:subClassOf ex:b , ex:a . ex:a rdfs:subClassOf ex:c .
_:anon rdfs:subClassOf ex:b . ex:d rdfs:subClassOf _:anon .
ex:g1 obo:RO_0003304 ex:a , ex:nolabel , "a literal" ; rdfs:label "G1" , "G one" .
ex:g2 obo:RO_0003304 ex:a . _:g3 obo:RO_0003304 ex:a ; rdfs:label "anonymous gene" .
ex:a obo:RO_0003304 ex:a .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:old rdfs:subClassOf ex:a , _:restriction , "not a class" ; owl:deprecated true ;
       a owl:Class , ex:Kind , "a literal type" .
ex:older rdfs:subClassOf ex:a ; owl:deprecated "1"^^xsd:boolean .
ex:kept rdfs:subClassOf ex:a ; owl:deprecated false .
_:restriction rdfs:subClassOf ex:top . ex:top rdfs:label "top" .
@prefix kgv: <https://w3id.org/kgfuse/vocab#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
ex:n1 a kgv:PhenotypeAnnotation ; rdf:subject ex:a ; rdf:object ex:b , ex:c ;
      kgv:frequencyValue 0.5 , "1/2" ; dcterms:source ex:s2 , ex:s1 , "s1" , ex:s2 .
ex:n2 a kgv:PhenotypeAnnotation ; rdf:subject ex:a , ex:g1 ; rdf:object ex:b ;
      kgv:negated "1"^^xsd:boolean ; kgv:onset ex:early ; kgv:sex "female" .
ex:n3 a kgv:PhenotypeAnnotation ; rdf:subject ex:a ; rdf:object "a literal" ;
      kgv:negated "maybe"^^xsd:boolean , "" , "x"@en , 0 , ex:a ; dcterms:source _:src .
ex:n4 a ex:Kind ; rdf:subject ex:a ; rdf:object ex:b .
[] a kgv:PhenotypeAnnotation ; rdf:subject ex:a ; rdf:object ex:b ; kgv:negated false .
ex:n5 a kgv:PhenotypeAnnotation ; rdf:subject ex:nolabel ; rdf:object ex:b ;
      dcterms:source ex:s1 , _:src .
"""


def _plan_and_sparql_rows(kg: KnowledgeGraph, query: str, variable: str, iri: str):
    plan = kg.select(query, **{variable: IRI(iri)})
    names, rows = run_select(kg.store, query, {variable: IRI(iri)})
    sparql = [dict(zip(names, row, strict=True)) for row in rows]
    return sorted(map(repr, plan)), sorted(map(repr, sparql))


@pytest.mark.parametrize("query", list(INDEX_PLANS))
def test_index_plans_give_the_rows_of_their_sparql(
    query: str, hpo_kg: KnowledgeGraph, legal_kg: KnowledgeGraph
) -> None:
    store = ox.Store()
    store.load(input=_EDGE_CASES, format=ox.RdfFormat.TURTLE)
    edge_cases = KnowledgeGraph(Path("unused"), store, hpo_kg.manifest)
    for variable in INDEX_PLANS[query]:
        checked = 0
        for kg in (hpo_kg, legal_kg, edge_cases):
            iris = {
                t.value
                for q in kg.store
                for t in (q.subject, q.object)
                if isinstance(t, ox.NamedNode)
            }
            for iri in sorted(iris) + ["http://example.org/unknown"]:
                plan, sparql = _plan_and_sparql_rows(kg, query, variable, iri)
                assert plan == sparql, iri
                checked += bool(plan)
        assert checked >= 3  # terms with rows, in all KGs


# ---- unknown terms ------------------------------------------------------------------------


def test_unknown_curie_raises_with_suggestions(hpo_kg: KnowledgeGraph) -> None:
    with pytest.raises(UnknownTermError) as info:
        hpo_kg.term("HP:0001167")
    assert "HP:0001166" in info.value.suggestions
    assert "did you mean" in str(info.value)
    assert isinstance(info.value, KeyError)
    for helper in (
        hpo_kg.names,
        hpo_kg.ancestors,
        hpo_kg.descendants,
        hpo_kg.annotations_of,
        hpo_kg.annotations_with,
        hpo_kg.diseases_with,
        hpo_kg.genes_of,
        hpo_kg.diseases_of_gene,
        hpo_kg.genes_with,
    ):
        with pytest.raises(UnknownTermError):
            helper("OMIM:999999")


def test_unknown_term_in_legal_kg_suggests_iris(legal_kg: KnowledgeGraph) -> None:
    with pytest.raises(UnknownTermError) as info:
        legal_kg.term(LEGAL + "Thef")
    assert LEGAL + "Theft" in info.value.suggestions


# ---- hostile input is data ----------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_are_unknown_terms(hpo_kg: KnowledgeGraph, text: str) -> None:
    before = len(hpo_kg.store)
    for helper in (hpo_kg.term, hpo_kg.ancestors, hpo_kg.annotations_of, hpo_kg.diseases_with):
        with pytest.raises(UnknownTermError):
            helper(text)
    assert len(hpo_kg.store) == before
    assert hpo_kg.term("HP:0001166").label == "Arachnodactyly"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_bind_as_literals(hpo_kg: KnowledgeGraph, text: str) -> None:
    before = len(hpo_kg.store)
    assert hpo_kg.select("SELECT ?x WHERE { }", x=text) == [{"x": text}]
    assert hpo_kg.select("SELECT ?term ?name WHERE { ?term rdfs:label ?name }", name=text) == []
    assert hpo_kg.ask("ASK WHERE { ?s ?p ?o }", o=text) is False
    try:  # as an IRI it is refused, or a well-formed IRI that matches nothing
        rows = hpo_kg.select("SELECT ?term WHERE { ?term ?p ?o }", term=IRI(text))
    except ValueError:
        rows = []
    assert rows == []
    assert len(hpo_kg.store) == before


def test_bound_label_matches_exactly_one_term(hpo_kg: KnowledgeGraph) -> None:
    rows = hpo_kg.select(
        "SELECT ?term ?name WHERE { ?term rdfs:label ?name }", name="Arachnodactyly"
    )
    assert rows == [{"term": _hp("0001166"), "name": "Arachnodactyly"}]


@pytest.mark.parametrize("name", ["x }", "x y", "1x", "x-y", "", "?x"])
def test_bind_refuses_bad_variable_names(name: str) -> None:
    with pytest.raises(ValueError, match="variable name"):
        bind("SELECT ?x WHERE { }", {name: "v"})


def test_bind_needs_a_where_group() -> None:
    with pytest.raises(ValueError, match="WHERE"):
        bind("SELECT * { ?s ?p ?o }", {"s": "v"})


def test_query_rejects_updates_and_bad_syntax(hpo_kg: KnowledgeGraph) -> None:
    before = len(hpo_kg.store)
    for text in ("DROP ALL", "# a comment\nDELETE WHERE { ?s ?p ?o }", "LOAD <http://e/x.ttl>"):
        with pytest.raises(ValueError, match="is an update: kgfuse runs read-only SELECT"):
            hpo_kg.query(text)
    with pytest.raises(ValueError, match="invalid SPARQL"):
        hpo_kg.query("SELEC ?x")
    with pytest.raises(ValueError, match="SELECT"):
        hpo_kg.query("ASK { ?s ?p ?o }")
    assert len(hpo_kg.store) == before


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text())
@example(text="Arachnodactyly")  # a label of the KG: the term is found by it
@example(text="Arachnodactyly\u200b")  # not by a label with a hidden character more
def test_arbitrary_text_round_trips_as_a_literal(hpo_kg: KnowledgeGraph, text: str) -> None:
    assert hpo_kg.select("SELECT ?x WHERE { }", x=text) == [{"x": text}]
    rows = hpo_kg.select(
        "SELECT ?term ?name WHERE { ?term rdfs:label ?name . FILTER(STRLEN(?name) >= 0) }",
        name=text,
    )
    labels = {r["name"] for r in hpo_kg.select("SELECT ?name WHERE { ?t rdfs:label ?name }")}
    assert bool(rows) == (text in labels)  # the bound text matches labels equal to it, only
    assert all(row["name"] == text and hpo_kg.labels[row["term"]] == text for row in rows)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text())
@example(text="HP:0001166")  # a CURIE of the KG
@example(text="  http://purl.obolibrary.org/obo/HP_0001166\n")  # its IRI, padded
@example(text="OMIM:154700")  # a disease
@example(text="Arachnodactyly")  # a label is no CURIE or IRI: unknown
@example(text="<http://purl.obolibrary.org/obo/HP_0001166>")  # nor an IRI in brackets
def test_arbitrary_text_as_a_term_is_unknown_or_resolved(hpo_kg: KnowledgeGraph, text: str) -> None:
    known = {"HP:0001166": _hp("0001166"), "OMIM:154700": OMIM + "154700"}
    known[_hp("0001166")] = _hp("0001166")
    try:
        iri = hpo_kg.resolve(text)
    except UnknownTermError:
        assert text.strip() not in known
        return
    assert iri == known.get(text.strip(), iri)
    assert iri == to_iri(text.strip())
    assert hpo_kg.ask("ASK WHERE { { ?t ?p ?o } UNION { ?s ?p ?t } }", t=IRI(iri))


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://a/> { ?s ?p ?o } }",
    ],
)
def test_query_refuses_to_call_other_endpoints(hpo_kg: KnowledgeGraph, text: str) -> None:
    with pytest.raises(ValueError, match="SERVICE calls another SPARQL endpoint"):
        hpo_kg.query(text)


def test_query_reads_service_as_a_word_elsewhere(hpo_kg: KnowledgeGraph) -> None:
    # a variable, a string, an IRI or a comment holding the word is no SERVICE clause
    text = 'SELECT ?service WHERE { ?service ?p "SERVICE # x" } LIMIT 1 # SERVICE <http://a/>'
    names, _ = hpo_kg.query(text)
    assert names == ["service"]


def test_query_refuses_other_forms_before_running_them_and_reads_the_words_elsewhere(
    hpo_kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.knowledge_graph as module

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the query ran")

    with monkeypatch.context() as patch:
        patch.setattr(module, "run_select", never)
        for form in ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "DESCRIBE <http://a/>"):
            with pytest.raises(ValueError, match=f"^{form.split()[0]} is not a SELECT query"):
                hpo_kg.query("PREFIX a: <http://a/#x>\n# a comment\n" + form)
    text = 'SELECT ?construct WHERE { ?construct ?p "DESCRIBE" } LIMIT 1 # ASK <http://a/>'
    names, _ = hpo_kg.query(text)
    assert names == ["construct"]


def test_a_frequency_of_counts_ranks_by_how_well_they_attest_it() -> None:
    from kg.knowledge_graph import Annotation, Named

    def annotation(text: str | None, frequency: float | None) -> Annotation:
        named = Named("http://x/d", "d")
        return Annotation("http://x/a", named, named, False, frequency, None, text, None, None,
                          None, ())  # fmt: skip

    one = annotation("1/1", 1.0).frequency_floor
    many = annotation("124/197", 124 / 197).frequency_floor
    assert one is not None and many is not None
    assert one == pytest.approx(0.2065, abs=1e-3) and many == pytest.approx(0.5597, abs=1e-3)
    assert many > one  # 124 of 197 patients attest it better than 1 of 1
    assert annotation("80%", 0.8).frequency_floor == 0.8  # no counts: the frequency itself
    assert annotation(None, 0.895).frequency_floor == 0.895  # a frequency class
    assert annotation(None, None).frequency_floor is None
    assert annotation("3/0", None).frequency_floor is None  # malformed counts: as stated
