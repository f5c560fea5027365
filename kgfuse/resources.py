"""Shared, lazily built resources of the face: the default linker of a KG."""

from __future__ import annotations

from functools import lru_cache

from encoders.linker import ConceptLinker, LinkerConfig, linker_from_kg
from kg.knowledge_graph import KnowledgeGraph

#: HPO's "Phenotypic abnormality": findings are linked below it, which leaves out modifiers,
#: onsets, frequencies and modes of inheritance.
HPO_PHENOTYPE_ROOT = "HP:0000118"


def default_linker_config(kg: KnowledgeGraph) -> LinkerConfig:
    """Linker settings for a KG: below HPO's phenotype root when the KG has it."""
    from kg.namespaces import to_iri

    roots = (HPO_PHENOTYPE_ROOT,) if to_iri(HPO_PHENOTYPE_ROOT) in kg.hierarchy else ()
    return LinkerConfig(allowed_roots=roots)


@lru_cache(maxsize=4)
def _cached(kg_path: str, fingerprint: str) -> ConceptLinker:
    kg = KnowledgeGraph.open(kg_path)
    return linker_from_kg(kg, default_linker_config(kg))


def default_linker(kg: KnowledgeGraph) -> ConceptLinker:
    """The dictionary linker of a KG with its default settings (built once per KG)."""
    return _cached(str(kg.path), kg.fingerprint)
