"""Which source a QA answer's fact names: a KG of several ontology files cannot tell which
file stated a triple, so such a fact names them all rather than the first."""

from __future__ import annotations

from types import SimpleNamespace

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
