"""Which source a QA answer's fact names: a KG of several ontology files cannot tell which
file stated a triple, so such a fact names them all rather than the first."""

from __future__ import annotations

from types import SimpleNamespace

from kg.namespaces import HPO_ANNOTATION_PREFIX, RO_GENE_CONTRIBUTES_TO
from kg.rules.engine import CitedFact
from kgfuse.qa.answers import source_namer

DEFINITION = CitedFact(None, "http://x/A", "http://purl.obolibrary.org/obo/IAO_0000115", "text")


def _manifest(*files: tuple[str, str]) -> SimpleNamespace:
    sources = [SimpleNamespace(format=f, name=n, release=None) for f, n in files]
    return SimpleNamespace(name="bio", sources=sources)


def test_a_kg_of_one_file_names_it() -> None:
    assert source_namer(_manifest(("turtle", "cells.ttl")))(DEFINITION) == "cells.ttl"


def test_a_kg_of_several_files_names_them_all() -> None:
    manifest = _manifest(("turtle", "cells.ttl"), ("obo", "anat.obo"), ("json-ld", "g.jsonld"))
    assert source_namer(manifest)(DEFINITION) == "one of cells.ttl, anat.obo, g.jsonld"


def test_hpo_facts_name_their_file() -> None:
    manifest = SimpleNamespace(
        name="hpo",
        sources=[
            SimpleNamespace(format="obo", name="hp.obo", release="2025-05-06"),
            SimpleNamespace(format="hpoa", name="phenotype.hpoa", release="2025-05-06"),
            SimpleNamespace(format="hpo-genes", name="genes_to_phenotype.txt", release=None),
        ],
    )
    source_of = source_namer(manifest)
    assert source_of(DEFINITION) == "hp.obo (2025-05-06)"
    annotation = CitedFact("http://x/stmt", "http://x/D", "http://x/p", "http://x/T")
    assert source_of(annotation) == "phenotype.hpoa (2025-05-06)"


def _hpo_beside(*files: str) -> SimpleNamespace:
    """A manifest of HPO built with other files, before and after its three."""
    hpo = [
        SimpleNamespace(format="obo", name="hp.obo", release="2025-05-06"),
        SimpleNamespace(format="hpoa", name="phenotype.hpoa", release="2025-05-06"),
        SimpleNamespace(format="hpo-genes", name="genes_to_phenotype.txt", release=None),
    ]
    others = [SimpleNamespace(format="turtle", name=f, release=None) for f in files]
    return SimpleNamespace(name="hpo", sources=[others[0], *hpo, *others[1:]])


def test_annotations_other_files_add_beside_hpo_name_those_files() -> None:
    source_of = source_namer(_hpo_beside("mine.ttl"))
    hpo_row = CitedFact(HPO_ANNOTATION_PREFIX + "0a1b", "http://x/D", "http://x/p", "http://x/T")
    own_row = CitedFact("https://example.org/annotation/1", "http://x/D", "http://x/p", "x:T")
    assert source_of(hpo_row) == "phenotype.hpoa (2025-05-06)"
    assert source_of(own_row) == "mine.ttl"
    gene = CitedFact(None, "https://identifiers.org/ncbigene:2200", RO_GENE_CONTRIBUTES_TO, "x:D")
    assert source_of(gene) == "one of genes_to_phenotype.txt, mine.ttl"
    assert source_of(DEFINITION) == "one of mine.ttl, hp.obo (2025-05-06)"
    two = source_namer(_hpo_beside("mine.ttl", "yours.ttl"))
    assert two(own_row) == "one of mine.ttl, yours.ttl"
