"""Answers read from the KG: one function per lookup intent, each from bound SPARQL templates.

Each function takes the KG and the question's entities and returns a :class:`Lookup`: the
answer text, the items, the facts that support them and warnings. Entity values are always
bound (``kg.sparql``); nothing from the question is formatted into a query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kg.knowledge_graph import Annotation, KnowledgeGraph
from kg.namespaces import (
    IAO_DEFINITION,
    RDFS_SUBCLASS_OF,
    RO_GENE_CONTRIBUTES_TO,
    RO_HAS_PHENOTYPE,
    compress,
    to_iri,
)
from kg.rules.engine import CitedFact
from kg.sparql import IRI
from kgfuse.qa.answers import AnswerItem
from kgfuse.qa.entities import Entity
from kgfuse.qa.questions import DISEASE, GENE, TERM

Q_DISEASES_WITH_FEATURE = """
SELECT ?disease ?label ?a ?phenotype ?frequency ?frequency_term ?frequency_text ?evidence
       (GROUP_CONCAT(DISTINCT STR(?src); separator=" ") AS ?sources)
WHERE {
  ?phenotype rdfs:subClassOf* ?term .
  ?a rdf:object ?phenotype ; a kgv:PhenotypeAnnotation ; rdf:subject ?disease .
  FILTER NOT EXISTS { ?a kgv:negated true }
  OPTIONAL { ?disease rdfs:label ?label }
  OPTIONAL { ?a kgv:frequencyValue ?frequency }
  OPTIONAL { ?a kgv:frequency ?frequency_term }
  OPTIONAL { ?a kgv:frequencyText ?frequency_text }
  OPTIONAL { ?a kgv:evidence ?evidence }
  OPTIONAL { ?a dcterms:source ?src }
}
GROUP BY ?disease ?label ?a ?phenotype ?frequency ?frequency_term ?frequency_text ?evidence
"""
Q_GENES_WITH_FEATURE = """
SELECT DISTINCT ?gene ?symbol ?phenotype WHERE {
  ?phenotype rdfs:subClassOf* ?term . ?gene obo:RO_0002200 ?phenotype ; a kgv:Gene .
  OPTIONAL { ?gene rdfs:label ?symbol }
}"""


@dataclass
class Lookup:
    """What a lookup found."""

    text: str
    items: list[AnswerItem] = field(default_factory=list)
    facts: list[CitedFact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total: int | None = None
    answered: bool = True

    def __post_init__(self) -> None:
        if self.total is None:
            self.total = len(self.items)


def _name(e: Entity) -> str:
    return f"{e.label or e.text} ({e.curie})"


def annotation_fact(a: Annotation) -> CitedFact:
    """The cited form of an annotation."""
    return CitedFact(
        a.iri,
        a.disease.iri,
        RO_HAS_PHENOTYPE,
        a.phenotype.iri,
        a.sources,
        a.evidence,
        a.frequency,
        a.frequency_term,
        a.frequency_text,
        a.negated,
        a.onset,
        a.sex,
    )


def _triple(s: str, p: str, o: str) -> CitedFact:
    return CitedFact(None, s, p, o)


def _annotations(kg: KnowledgeGraph, diseases: Iterable[str]) -> list[Annotation]:
    out: list[Annotation] = []
    for d in diseases:
        out.extend(kg.annotations_of(d))
    return out


def _by_frequency(a: Annotation) -> tuple[float, str]:
    return (-(a.frequency if a.frequency is not None else 0.5), a.phenotype.label.casefold())


def _list(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ---- lookups -------------------------------------------------------------------------------------
def disease_features(kg: KnowledgeGraph, disease: Entity) -> Lookup:
    """Phenotypes annotated to a disease (and its same-name twins), most frequent first."""
    annotations = sorted(_annotations(kg, disease.iris), key=_by_frequency)
    present = [a for a in annotations if not a.negated]
    absent = [a for a in annotations if a.negated]
    items: dict[str, AnswerItem] = {}
    for a in present:
        item = items.setdefault(
            a.phenotype.iri,
            AnswerItem(a.phenotype.iri, a.phenotype.label, TERM, {"frequency": [], "sources": []}),
        )
        item.detail["frequency"].append(a.frequency_label)
        item.detail["sources"].append(compress(a.disease.iri))
    for a in absent:
        items.setdefault(
            a.phenotype.iri,
            AnswerItem(a.phenotype.iri, a.phenotype.label, TERM, {"excluded": True}),
        )
    if not items:
        return Lookup(f"No phenotype is annotated to {_name(disease)}.", answered=True)
    names = [f"{a.phenotype.label} ({a.frequency_label})" for a in present]
    text = f"{_name(disease)} has {len(set(a.phenotype.iri for a in present))} annotated features"
    text += f": {_list(list(dict.fromkeys(names)))}." if names else "."
    if absent:
        text += f" Explicitly not a feature: {_list([a.phenotype.label for a in absent], 4)}."
    return Lookup(text, list(items.values()), [annotation_fact(a) for a in annotations])


def diseases_with_feature(kg: KnowledgeGraph, term: Entity) -> Lookup:
    """Diseases annotated with a term or any of its subtypes."""
    rows = kg.select(Q_DISEASES_WITH_FEATURE, term=IRI(term.iri))
    best: dict[str, dict] = {}
    for r in rows:
        freq = r["frequency"] if r["frequency"] is not None else 0.5
        known = best.get(r["disease"])
        if known is None or freq > known["_freq"]:
            best[r["disease"]] = {**r, "_freq": freq}
    ordered = sorted(best.values(), key=lambda r: (-r["_freq"], (r["label"] or "").casefold()))
    items = [
        AnswerItem(
            r["disease"],
            r["label"] or "",
            DISEASE,
            {
                "via": node_name(kg, r["phenotype"]),
                "frequency": r["frequency_text"]
                or (kg.labels.get(r["frequency_term"], "") if r["frequency_term"] else ""),
            },
        )
        for r in ordered
    ]
    facts = [
        CitedFact(
            r["a"],
            r["disease"],
            RO_HAS_PHENOTYPE,
            r["phenotype"],
            tuple(sorted(r["sources"].split())) if r["sources"] else (),
            r["evidence"],
            r["frequency"],
            r["frequency_term"],
            r["frequency_text"],
        )
        for r in ordered
    ]
    if not items:
        return Lookup(f"No disease is annotated with {_name(term)} or its subtypes.")
    text = (
        f"{len(items)} diseases are annotated with {_name(term)} or a subtype of it, e.g. "
        f"{_list([i.label for i in items], 5)}."
    )
    return Lookup(text, items, facts)


def node_name(kg: KnowledgeGraph, iri: str) -> dict[str, str]:
    return {"iri": iri, "curie": compress(iri), "label": kg.labels.get(iri, "")}


def genes_of_disease(kg: KnowledgeGraph, disease: Entity) -> Lookup:
    """Genes linked to a disease (and its same-name twins)."""
    items: dict[str, AnswerItem] = {}
    facts = []
    for d in disease.iris:
        for g in kg.genes_of(d):
            items.setdefault(g.iri, AnswerItem(g.iri, g.label, GENE, {"diseases": []}))
            items[g.iri].detail["diseases"].append(compress(d))
            facts.append(_triple(g.iri, RO_GENE_CONTRIBUTES_TO, d))
    if not items:
        return Lookup(f"No gene is linked to {_name(disease)} in the KG.")
    genes = sorted(items.values(), key=lambda i: i.label)
    text = f"Genes associated with {_name(disease)}: " + _list(
        [f"{g.label} ({compress(g.iri)})" for g in genes], 20
    )
    return Lookup(text + ".", genes, facts)


def genes_of_phenotype(kg: KnowledgeGraph, term: Entity) -> Lookup:
    """Genes linked to a phenotype or any of its subtypes."""
    rows = kg.select(Q_GENES_WITH_FEATURE, term=IRI(term.iri))
    items: dict[str, AnswerItem] = {}
    facts = []
    for r in sorted(rows, key=lambda r: (r["symbol"] or "", r["phenotype"])):
        if r["gene"] not in items:
            items[r["gene"]] = AnswerItem(
                r["gene"], r["symbol"] or "", GENE, {"via": node_name(kg, r["phenotype"])}
            )
            facts.append(_triple(r["gene"], RO_HAS_PHENOTYPE, r["phenotype"]))
    if not items:
        return Lookup(f"No gene is linked to {_name(term)} or its subtypes.")
    genes = list(items.values())
    text = f"{len(genes)} genes are linked to {_name(term)} or a subtype of it: " + _list(
        [g.label for g in genes], 15
    )
    return Lookup(text + ".", genes, facts)


def diseases_of_gene(kg: KnowledgeGraph, gene: Entity) -> Lookup:
    """Diseases a gene contributes to."""
    diseases = kg.diseases_of_gene(gene.iri)
    if not diseases:
        return Lookup(f"No disease is linked to {_name(gene)} in the KG.")
    items = [AnswerItem(d.iri, d.label, DISEASE) for d in diseases]
    facts = [_triple(gene.iri, RO_GENE_CONTRIBUTES_TO, d.iri) for d in diseases]
    text = f"{_name(gene)} is linked to {len(items)} diseases: " + _list(
        [f"{d.label} ({d.curie})" for d in diseases], 10
    )
    return Lookup(text + ".", items, facts)


def definition(kg: KnowledgeGraph, entity: Entity) -> Lookup:
    """The definition of a class; for a disease or gene, what the KG records about it."""
    if entity.type == TERM:
        info = kg.term(entity.iri)
        item = AnswerItem(entity.iri, info.label or entity.label, TERM)
        if info.definition:
            item.detail["definition"] = info.definition
            fact = CitedFact(
                None, entity.iri, IAO_DEFINITION, info.definition, object_is_literal=True
            )
            return Lookup(f"{_name(entity)}: {info.definition}", [item], [fact])
        parents = ", ".join(p.label for p in info.parents)
        return Lookup(
            f"{_name(entity)} has no definition in the KG; it is a kind of {parents or '-'}.",
            [item],
            [_triple(entity.iri, RDFS_SUBCLASS_OF, p.iri) for p in info.parents],
        )
    if entity.type == DISEASE:
        features = disease_features(kg, entity)
        genes = genes_of_disease(kg, entity)
        text = (
            f"{_name(entity)} is a disease of the KG with {features.total} annotated features "
            f"and {genes.total} associated genes."
        )
        item = AnswerItem(entity.iri, entity.label, DISEASE, {"same_name": list(entity.same_name)})
        return Lookup(text, [item], (genes.facts + features.facts))
    diseases = diseases_of_gene(kg, entity)
    text = f"{_name(entity)} is a gene of the KG, linked to {diseases.total} diseases."
    return Lookup(text, [AnswerItem(entity.iri, entity.label, GENE)], diseases.facts)


def synonyms(kg: KnowledgeGraph, entity: Entity) -> Lookup:
    """Every name of a node other than its label, by kind."""
    info = kg.term(entity.iri)
    item = AnswerItem(entity.iri, info.label or entity.label, entity.type, {"synonyms": {}})
    facts: list[CitedFact] = []
    for kind, names in info.synonyms.items():
        item.detail["synonyms"][kind] = names
        prop = _SYNONYM_PROPERTY.get(kind)
        if prop:
            facts.extend(
                CitedFact(None, entity.iri, prop, n, object_is_literal=True) for n in names
            )
    all_names = [n for names in info.synonyms.values() for n in names]
    if not all_names:
        return Lookup(f"{_name(entity)} has no synonyms in the KG.", [item])
    return Lookup(f"Other names of {_name(entity)}: {_list(all_names, 15)}.", [item], facts)


_SYNONYM_PROPERTY = {
    "exact": to_iri("oboInOwl:hasExactSynonym"),
    "narrow": to_iri("oboInOwl:hasNarrowSynonym"),
    "broad": to_iri("oboInOwl:hasBroadSynonym"),
    "related": to_iri("oboInOwl:hasRelatedSynonym"),
    "altlabel": to_iri("skos:altLabel"),
}


def parents(kg: KnowledgeGraph, entity: Entity) -> Lookup:
    """Direct superclasses of a class."""
    info = kg.term(entity.iri)
    items = [AnswerItem(p.iri, p.label, TERM) for p in info.parents]
    if not items:
        return Lookup(f"{_name(entity)} has no parent class in the KG.")
    facts = [_triple(entity.iri, RDFS_SUBCLASS_OF, p.iri) for p in info.parents]
    names = [f"{p.label} ({p.curie})" for p in info.parents]
    text = f"{_name(entity)} is a kind of " + _list(names)
    return Lookup(text + ".", items, facts)


def children(kg: KnowledgeGraph, entity: Entity) -> Lookup:
    """Direct subclasses of a class (obsolete ones left out)."""
    info = kg.term(entity.iri)
    items = [AnswerItem(c.iri, c.label, TERM) for c in info.children]
    if not items:
        return Lookup(f"{_name(entity)} has no subclasses in the KG.")
    facts = [_triple(c.iri, RDFS_SUBCLASS_OF, entity.iri) for c in info.children]
    text = f"{len(items)} terms are direct subtypes of {_name(entity)}: " + _list(
        [c.label for c in info.children], 12
    )
    return Lookup(text + ".", items, facts)


def is_feature_of(kg: KnowledgeGraph, term: Entity, disease: Entity) -> Lookup:
    """Yes when the disease is annotated with the term or a subtype; the annotations say why."""
    annotations = _annotations(kg, disease.iris)
    below = set(kg.hierarchy.descendants(term.iri)) if term.iri in kg.hierarchy else set()
    below.add(term.iri)
    above = set(kg.hierarchy.ancestors(term.iri)) if term.iri in kg.hierarchy else set()
    exact = [a for a in annotations if a.phenotype.iri in below]
    present = [a for a in exact if not a.negated]
    negated = [a for a in exact if a.negated]
    item = AnswerItem(disease.iri, disease.label, DISEASE)
    if present:
        what = ", ".join(
            f"{a.phenotype.label} ({a.frequency_label})" for a in sorted(present, key=_by_frequency)
        )
        item.detail["answer"] = "yes"
        return Lookup(
            f"Yes: {_name(disease)} is annotated with {what}.",
            [item],
            [annotation_fact(a) for a in present],
        )
    if negated:
        item.detail["answer"] = "no"
        return Lookup(
            f"No: {_name(disease)} is explicitly annotated as NOT having {_name(term)}.",
            [item],
            [annotation_fact(a) for a in negated],
        )
    broader = [a for a in annotations if a.phenotype.iri in above and not a.negated]
    item.detail["answer"] = "no"
    text = f"No: {_name(term)} is not among the annotations of {_name(disease)}"
    if broader:
        text += (
            "; it has the broader feature(s) "
            + ", ".join(sorted({a.phenotype.label for a in broader}))
            + ", which the KG does not narrow down"
        )
    return Lookup(text + ".", [item], [annotation_fact(a) for a in broader])


def distinguish(kg: KnowledgeGraph, first: Entity, second: Entity) -> Lookup:
    """Features annotated to one disease and to neither the same term nor a related one of the
    other (a feature counts as shared when the other has it, a subtype or a supertype)."""
    hierarchy = kg.hierarchy

    def related(iri: str) -> set[str]:
        if iri not in hierarchy:
            return {iri}
        return set(hierarchy.ancestors(iri)) | set(hierarchy.descendants(iri)) | {iri}

    annotated = {
        e.iri: [a for a in _annotations(kg, e.iris) if not a.negated] for e in (first, second)
    }
    terms = {k: {a.phenotype.iri for a in v} for k, v in annotated.items()}
    items: list[AnswerItem] = []
    facts: list[CitedFact] = []
    parts = []
    for this, other in ((first, second), (second, first)):
        seen: set[str] = set()
        only = []
        for a in sorted(annotated[this.iri], key=_by_frequency):
            if a.phenotype.iri in seen or related(a.phenotype.iri) & terms[other.iri]:
                continue
            seen.add(a.phenotype.iri)
            only.append(a)
            items.append(
                AnswerItem(
                    a.phenotype.iri,
                    a.phenotype.label,
                    TERM,
                    {"only_in": compress(this.iri), "frequency": a.frequency_label},
                )
            )
            facts.append(annotation_fact(a))
        parts.append(
            f"only {_name(this)}: "
            + (_list([f"{a.phenotype.label} ({a.frequency_label})" for a in only], 6) or "none")
        )
    text = "Features annotated for one and not the other — " + "; ".join(parts) + "."
    return Lookup(text, items, facts)
