"""Answers read from the KG: one function per lookup intent, each from bound SPARQL templates
and the KG's tables in memory.

Each function takes the KG and the question's entities and returns a :class:`Lookup`: the
answer text, the items, the facts that support them and warnings. Entity values are always
bound (``kg.sparql``); nothing from the question is formatted into a query. The lookups of a
term "or any of its subtypes" walk the KG's hierarchy, annotation table and graph in memory
(a SPARQL ``rdfs:subClassOf*`` path over every annotation took half a minute for a broad
term) and read from the store only what they list.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

import numpy as np

from encoders.linker import HPO_PHENOTYPE_ROOT
from kg.hpo import FREQUENCY_BANDS, FREQUENCY_RANGES
from kg.knowledge_graph import Annotation, KnowledgeGraph
from kg.namespaces import (
    IAO_DEFINITION,
    KGV_GENE,
    OBOINOWL,
    RDFS_SUBCLASS_OF,
    RO_GENE_CONTRIBUTES_TO,
    RO_HAS_PHENOTYPE,
    compress,
    to_iri,
)
from kg.rules.engine import CitedFact, kg_memo
from kg.rules.resnik import ResnikRanker
from kg.sparql import IRI
from kgfuse.qa.answers import AnswerItem
from kgfuse.qa.entities import Entity, named_after
from kgfuse.qa.questions import DISEASE, GENE, TERM

#: The values of one annotation node cited with a disease that has a feature (``?a`` bound).
Q_ANNOTATION_VALUES = """
SELECT ?frequency ?frequency_term ?frequency_text ?evidence
       (GROUP_CONCAT(DISTINCT STR(?src); separator=" ") AS ?sources)
WHERE {
  OPTIONAL { ?a kgv:frequencyValue ?frequency }
  OPTIONAL { ?a kgv:frequency ?frequency_term }
  OPTIONAL { ?a kgv:frequencyText ?frequency_text }
  OPTIONAL { ?a kgv:evidence ?evidence }
  OPTIONAL { ?a dcterms:source ?src }
}
GROUP BY ?frequency ?frequency_term ?frequency_text ?evidence
"""
#: Genes with a phenotype link to exactly ``?term`` (for a term the KG's graph lacks).
Q_GENES_WITH_TERM = """
SELECT DISTINCT ?gene WHERE { ?gene obo:RO_0002200 ?term ; a kgv:Gene . }"""
#: Annotation aspects that are not phenotypic features, named apart in a disease's features
#: (HPO's aspects: P phenotypic abnormality, I inheritance, C onset and clinical course, M
#: clinical modifier, H past medical history).
OTHER_ASPECTS = {
    "I": "inheritance",
    "C": "onset and clinical course",
    "M": "clinical modifier",
    "H": "past medical history",
}
#: Features named in the text of a disease's features (the rest are counted).
FEATURES_LISTED = 8
#: Frequency of an annotation that states none, when diseases are ordered by frequency.
UNSTATED_FREQUENCY = 0.5
#: What an annotation of another aspect is to a disease, in a yes/no answer.
ASPECT_ROLE = {
    "I": "as its mode of inheritance",
    "C": "as its onset or clinical course",
    "M": "as a clinical modifier",
    "H": "as past medical history",
}
#: The terms an obsolete class names for use instead (``oboInOwl:consider``).
Q_CONSIDER = f"SELECT ?consider WHERE {{ ?term <{OBOINOWL}consider> ?consider }}"


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


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``count`` and the noun in its number: "1 disease", "2 diseases"."""
    return f"{count} {singular if count == 1 else many or singular + 's'}"


def node_label(kg: KnowledgeGraph, iri: str) -> str:
    """A node's label, or its CURIE where the source gives none or only "-" (two NCBI
    genes have the symbol "-")."""
    label = kg.labels.get(iri, "")
    return label if label.strip(" -") else compress(iri)


def obsolete_note(kg: KnowledgeGraph, term: Entity) -> str | None:
    """For an obsolete class, a sentence saying so and naming its replacement
    (``replaced_by``) or the classes to consider instead; None for a current one."""
    hierarchy = kg.hierarchy
    if term.type != TERM or term.iri not in hierarchy:
        return None
    if not hierarchy.obsolete[hierarchy.index(term.iri)]:
        return None
    current = hierarchy.resolve(term.iri)
    if current is not None:
        return f"{term.curie} is obsolete; it is replaced by {node_label(kg, current)} " + (
            f"({compress(current)}): ask for that."
        )
    consider = [str(r["consider"]) for r in kg.select(Q_CONSIDER, term=IRI(term.iri))]
    if consider:
        return (
            f"{term.curie} is obsolete; the KG suggests considering {', '.join(sorted(consider))}."
        )
    return f"{term.curie} is obsolete and the KG names no replacement."


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
    """Most frequent first, a frequency of counts by how well they attest it (124/197 before
    1/1: :attr:`kg.knowledge_graph.Annotation.frequency_floor`), then by label."""
    floor = a.frequency_floor
    return (-(floor if floor is not None else UNSTATED_FREQUENCY), a.phenotype.label.casefold())


def _list(names: Sequence[str], limit: int = 8, total: int | None = None) -> str:
    """The first ``limit`` names, and how many more of ``total`` (default: all names)."""
    shown = names[:limit]
    more = (len(names) if total is None else total) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _by_phenotype(annotations: Iterable[Annotation]) -> dict[str, list[Annotation]]:
    """Annotations grouped by phenotype IRI, in the order each phenotype first comes."""
    groups: dict[str, list[Annotation]] = {}
    for a in annotations:
        groups.setdefault(a.phenotype.iri, []).append(a)
    return groups


def _with_frequencies(group: Sequence[Annotation]) -> str:
    """A phenotype's label with the distinct frequencies of its annotations, in their order:
    "Arachnodactyly (Very frequent; 124/197)"."""
    frequencies = dict.fromkeys(a.frequency_label for a in group)
    return f"{group[0].phenotype.label} ({'; '.join(frequencies)})"


def _with_role(group: list[Annotation], aspect: str | None) -> str:
    """A phenotype with its frequencies, or a term of another aspect with its role ("...
    as its mode of inheritance"): a frequency no annotation states is not written there."""
    if aspect not in ASPECT_ROLE:
        return _with_frequencies(group)
    stated = [a for a in group if a.frequency_text or a.frequency is not None]
    shown = _with_frequencies(stated) if stated else group[0].phenotype.label
    return f"{shown} {ASPECT_ROLE[aspect]}"


def _records(disease: Entity) -> str:
    """Which disease records an answer about a disease and its same-name twins comes from."""
    if not disease.same_name:
        return ""
    curies = [disease.curie, *(compress(i) for i in disease.same_name)]
    return f", from the annotations of {', '.join(curies[:-1])} and {curies[-1]} (same name)"


# ---- what lies under a term, in memory --------------------------------------------------------
def _under(kg: KnowledgeGraph, term: str) -> list[str]:
    """The term and its subclasses, as ``rdfs:subClassOf*`` reads them (the KG's hierarchy)."""
    hierarchy = kg.hierarchy
    if term not in hierarchy:
        return [term]
    return [hierarchy.terms[i] for i in hierarchy.descendant_indices(hierarchy.index(term))]


def _annotation_rows_under(kg: KnowledgeGraph, term: str) -> np.ndarray:
    """Rows of the annotation table whose phenotype is the term or a subclass, NOT and
    zero-frequency ones left out (:attr:`kg.annotations.AnnotationTable.present`; in the
    table's order)."""
    rows = kg.annotations.rows_with_terms(_under(kg, term))
    return rows[kg.annotations.present[rows]]


@dataclass(frozen=True)
class _GeneLinks:
    """The gene -> phenotype links of a KG's graph, by node number (nodes sorted by IRI)."""

    node_iris: list[str]
    index: dict[str, int]
    gene: np.ndarray
    phenotype: np.ndarray


_GENE_LINKS_LOCK = threading.Lock()
_GENE_LINKS: weakref.WeakKeyDictionary[KnowledgeGraph, _GeneLinks] = weakref.WeakKeyDictionary()


def _gene_links(kg: KnowledgeGraph) -> _GeneLinks:
    """The ``RO:0002200`` edges from genes in the KG's graph (once per KG)."""
    with _GENE_LINKS_LOCK:
        found = _GENE_LINKS.get(kg)
        if found is None:
            graph = kg.graph
            edges = graph.edge_index.numpy()
            node_type = graph.node_type.numpy()
            keep = np.zeros(edges.shape[1], dtype=bool)
            if RO_HAS_PHENOTYPE in graph.relation_names and KGV_GENE in graph.node_type_names:
                keep = (graph.edge_type.numpy() == graph.relation_names.index(RO_HAS_PHENOTYPE)) & (
                    node_type[edges[0]] == graph.node_type_names.index(KGV_GENE)
                )
            found = _GENE_LINKS[kg] = _GeneLinks(
                graph.node_iris,
                {iri: i for i, iri in enumerate(graph.node_iris)},
                edges[0][keep],
                edges[1][keep],
            )
        return found


def _resnik(kg: KnowledgeGraph) -> ResnikRanker:
    """A Resnik best-match-average ranker over the KG's phenotype annotations (built once
    per KG, ~0.3 s on HPO)."""
    return kg_memo(
        kg,
        "qa.resnik",
        "BMA",
        lambda: ResnikRanker(kg.hierarchy, kg.annotations, combine="BMA"),
        keep=1,
    )


def _phenotypes(kg: KnowledgeGraph) -> frozenset[str] | None:
    """The terms below HPO's Phenotypic abnormality (once per KG), or None when the KG has
    no such root."""
    root = to_iri(HPO_PHENOTYPE_ROOT)
    if root not in kg.hierarchy:
        return None
    return kg_memo(kg, "qa.phenotypes", root, lambda: frozenset(_under(kg, root)), keep=1)


# ---- lookups -------------------------------------------------------------------------------------
def frequency_band(term_iri: str) -> tuple[float, float] | None:
    """The frequencies an HPO frequency class's IRI stands for, or None for another term."""
    return FREQUENCY_BANDS.get(compress(term_iri))


def _frequency_in_band(stated: str | None, value: float | None, term_iri: str) -> bool:
    """Whether an annotation's frequency is the frequency class's: that class stated, or a
    count or percentage within its range ("124/197" is Frequent, 30-79%)."""
    if stated:
        return stated == term_iri
    band = frequency_band(term_iri)
    if band is None or value is None or np.isnan(value):
        return False
    low, high = band
    return low == value == high or low <= value < high


def _in_band(a: Annotation, term_iri: str) -> bool:
    """:func:`_frequency_in_band` for an annotation."""
    return _frequency_in_band(a.frequency_term, a.frequency, term_iri)


def _row_in_band(table: Any, row: int, term_iri: str) -> bool:
    """:func:`_frequency_in_band` for a row of the annotation table."""
    return _frequency_in_band(table.frequency_term[row], float(table.frequency[row]), term_iri)


def _band_name(term: Entity) -> str:
    """A frequency class named with its range: "Very frequent (80-99%)"."""
    return f"{term.label} ({FREQUENCY_RANGES[compress(term.iri)]})"


def disease_features(
    kg: KnowledgeGraph,
    disease: Entity,
    *,
    without: Sequence[Entity] = (),
    frequency: Sequence[Entity] = (),
) -> Lookup:
    """Phenotypic features annotated to a disease and its same-name twins (the text says
    which records), most frequent first, each phenotype once with its frequencies merged;
    inheritance, onset, course and modifier terms (an annotation's aspect other than P) are
    named apart and not counted as features, and so are explicit NOT annotations.
    ``without``: terms ruled out in the question, left out with their subtypes (the text
    says so); ``frequency``: HPO frequency classes, only the features annotated with one
    of them, or a count or percentage in its range ("the very frequent features of X")."""
    annotations = sorted(_annotations(kg, disease.iris), key=_by_frequency)
    left_out = set().union(*(_under(kg, t.iri) for t in without)) if without else set()
    annotations = [a for a in annotations if a.phenotype.iri not in left_out]
    bands = [f for f in frequency if frequency_band(f.iri) is not None]
    if bands:
        annotations = [a for a in annotations if any(_in_band(a, f.iri) for f in bands)]
    present = [a for a in annotations if a.present]
    features = _by_phenotype(a for a in present if a.aspect not in OTHER_ASPECTS)
    other = _by_phenotype(a for a in present if a.aspect in OTHER_ASPECTS)
    other = {k: v for k, v in other.items() if k not in features}
    absent = _by_phenotype(a for a in annotations if not a.present)
    absent = {k: v for k, v in absent.items() if k not in features and k not in other}
    if not annotations and bands:
        asked = " or ".join(_band_name(f) for f in bands)
        text = f"No phenotype of {_name(disease)} is annotated with the frequency {asked}."
        return Lookup(text, answered=True)
    if not annotations:
        return Lookup(f"No phenotype is annotated to {_name(disease)}.", answered=True)
    items = []
    for group in (*features.values(), *other.values()):
        first = group[0]
        detail: dict[str, Any] = {
            "frequency": [a.frequency_label for a in group],
            "sources": [compress(a.disease.iri) for a in group],
        }
        aspect = first.aspect
        if aspect in OTHER_ASPECTS:
            detail["aspect"] = OTHER_ASPECTS[aspect]
        items.append(AnswerItem(first.phenotype.iri, first.phenotype.label, TERM, detail))
    items.extend(
        AnswerItem(g[0].phenotype.iri, g[0].phenotype.label, TERM, {"excluded": True})
        for g in absent.values()
    )
    count = len(features)
    text = f"{_name(disease)} has {plural(count, 'annotated feature')}"
    if bands:
        text += " of frequency " + " or ".join(_band_name(f) for f in bands)
    if without:
        text += f" other than {' and '.join(_name(t) for t in without)} and subtypes"
    text += _records(disease)
    names = [_with_frequencies(g) for g in features.values()]
    text += f": {_list(names, FEATURES_LISTED)}." if names else "."
    if other:
        named = [
            f"{g[0].phenotype.label} ({OTHER_ASPECTS[g[0].aspect or '']})" for g in other.values()
        ]
        text += f" Also annotated, not as features: {_list(named, 4)}."
    if absent:
        ruled_out = [g[0].phenotype.label for g in absent.values()]
        text += f" Explicitly not a feature: {_list(ruled_out, 4)}."
    return Lookup(text, items, [annotation_fact(a) for a in annotations])


#: What :func:`inheritance_and_onset` calls each aspect it answers, in its text's order.
INHERITANCE_ONSET_ASPECTS = {"I": "mode of inheritance", "C": "onset and clinical course"}


def inheritance_and_onset(
    kg: KnowledgeGraph, disease: Entity, *, aspects: Sequence[str] = ("I", "C")
) -> Lookup:
    """A disease's (and its same-name twins') annotations of the asked ``aspects``: I, its
    modes of inheritance; C, its onset and clinical course ("How is Huntington disease
    inherited?"). An aspect the KG annotates nothing of is said to have none annotated."""
    unknown = [a for a in aspects if a not in INHERITANCE_ONSET_ASPECTS]
    if unknown:
        raise ValueError(f"unknown annotation aspect(s) {unknown}: give I and/or C")
    annotations = sorted(_annotations(kg, disease.iris), key=_by_frequency)
    items: list[AnswerItem] = []
    facts: list[CitedFact] = []
    said = []
    for aspect in (a for a in INHERITANCE_ONSET_ASPECTS if a in aspects):
        name = INHERITANCE_ONSET_ASPECTS[aspect]
        found = [a for a in annotations if a.present and a.aspect == aspect]
        groups = _by_phenotype(found)
        if not groups:
            said.append(f"no {name.replace(' and ', ' or ')} annotated")
            continue
        labels = [
            f"{g[0].phenotype.label} ({compress(g[0].phenotype.iri)})" for g in groups.values()
        ]
        said.append(f"{name}: {_list(labels, 8)}")
        for group in groups.values():
            detail = {
                "aspect": OTHER_ASPECTS[aspect],
                "sources": [compress(a.disease.iri) for a in group],
            }
            items.append(AnswerItem(group[0].phenotype.iri, group[0].phenotype.label, TERM, detail))
        facts.extend(annotation_fact(a) for a in found)
    return Lookup(f"{_name(disease)}{_records(disease)}: {'; '.join(said)}.", items, facts)


#: Diseases listed by :func:`similar_diseases`.
SIMILAR_LISTED = 10
#: Annotations cited per similar disease (the features it shares, most frequent first).
SHARED_CITED = 3


def similar_diseases(kg: KnowledgeGraph, disease: Entity, *, limit: int = SIMILAR_LISTED) -> Lookup:
    """The diseases whose annotated phenotypes are most like a disease's: Resnik
    best-match average (BMA, as Phenomizer compares two term sets) of its phenotypic
    features (and its same-name twins') against every other disease's, highest first; each
    with its similarity and the features both are annotated with (the first
    :data:`SHARED_CITED` of those cited)."""
    annotations = _annotations(kg, disease.iris)
    mine = {a.phenotype.iri for a in annotations if a.present and a.aspect not in OTHER_ASPECTS}
    if not mine:
        return Lookup(
            f"No phenotype is annotated to {_name(disease)}, so no disease can be compared "
            "with it.",
            answered=True,
        )
    ranker = _resnik(kg)
    scores = ranker.score(sorted(mine))
    order = np.argsort(-scores.score, kind="stable")
    own = set(disease.iris)
    chosen = [int(i) for i in order if ranker.diseases[int(i)] not in own][:limit]
    items: list[AnswerItem] = []
    facts: list[CitedFact] = []
    listed = []
    for i in chosen:
        iri = ranker.diseases[i]
        theirs = [a for a in kg.annotations_of(iri) if a.present and a.phenotype.iri in mine]
        shared = _by_phenotype(sorted(theirs, key=_by_frequency))
        label = kg.labels.get(iri, "")
        similarity = round(float(scores.score[i]), 3)
        detail = {"similarity": similarity, "shared": len(shared)}
        items.append(AnswerItem(iri, label, DISEASE, detail))
        facts.extend(annotation_fact(g[0]) for g in list(shared.values())[:SHARED_CITED])
        listed.append(f"{label} ({compress(iri)}; {similarity:.2f}, {len(shared)} shared)")
    text = (
        f"Diseases whose annotated phenotypes are most like those of {_name(disease)}"
        f"{_records(disease)} (Resnik best-match average over its "
        f"{plural(len(mine), 'feature')}; the features both are annotated with): "
        + _list(listed, limit)
        + "."
    )
    return Lookup(text, items, facts)


def _features(items: Iterable[AnswerItem]) -> list[AnswerItem]:
    """The phenotypic features among :func:`disease_features`' items (neither an other
    aspect nor excluded)."""
    return [i for i in items if "frequency" in i.detail and "aspect" not in i.detail]


def diseases_with_feature(
    kg: KnowledgeGraph,
    term: Entity,
    *,
    limit: int | None = None,
    also: Sequence[Entity] = (),
    without: Sequence[Entity] = (),
    frequency: Sequence[Entity] = (),
) -> Lookup:
    """Diseases annotated with a term or any of its subtypes (NOT annotations left out), by
    the highest frequency of such an annotation (unstated: 0.5), then by label and IRI; each
    with that annotation (on a tie, one with a stated frequency, then the first by phenotype
    IRI and annotation IRI: the annotation table's order).

    The annotations are found in the KG's hierarchy and annotation table in memory; the
    first ``limit`` diseases (all when None) are listed, with their annotation's values read
    from the store, and ``total`` counts them all. ``also``: only the diseases annotated
    with each of these too (or a subtype; one annotation of each is cited); ``without``:
    none annotated with any of these (or a subtype); ``frequency``: HPO frequency classes,
    only the annotations of the term of one of them (or a count or percentage in its
    range: "the diseases with arachnodactyly as a very frequent feature").
    """
    table = kg.annotations
    bands = [f for f in frequency if frequency_band(f.iri) is not None]

    def rows_of(t: Entity) -> np.ndarray:
        under = _annotation_rows_under(kg, t.iri)
        if not bands:
            return under
        return under[[any(_row_in_band(table, int(r), f.iri) for f in bands) for r in under]]

    rows = rows_of(term)
    as_often = ", as " + " or ".join(_band_name(f) for f in bands) if bands else ""
    wanted = "".join(f" and with {_name(t)}" for t in also)
    wanted += "".join(f" and not with {_name(t)}" for t in without)
    for other in also:  # each of them of that frequency too
        rows = rows[np.isin(table.subject[rows], table.subject[rows_of(other)])]
    for other in without:
        rows = rows[
            ~np.isin(table.subject[rows], table.subject[_annotation_rows_under(kg, other.iri)])
        ]
    if not len(rows):
        subtypes = "its subtypes" if not wanted else "a subtype of each"
        return Lookup(
            f"No disease is annotated with {_name(term)}{wanted} (or {subtypes}){as_often}."
        )
    stated = table.frequency[rows]
    ranked_by = np.where(np.isnan(stated), UNSTATED_FREQUENCY, stated)
    subject = table.subject[rows]
    # one annotation per disease: its most frequent, a stated frequency before an unstated
    # one, then the first in the table's order (by phenotype IRI, then annotation IRI)
    order = np.lexsort((rows, np.isnan(stated), -ranked_by, subject))
    first = np.ones(len(order), dtype=bool)
    first[1:] = subject[order][1:] != subject[order][:-1]
    best = order[first]
    labels = kg.labels
    diseases = [table.subjects[s] for s in subject[best]]
    ranked = sorted(
        range(len(best)),
        key=lambda k: (-ranked_by[best[k]], labels.get(diseases[k], "").casefold(), diseases[k]),
    )
    listed = ranked if limit is None else ranked[:limit]
    items = []
    facts = []
    for k in listed:
        row = int(rows[best[k]])
        a, disease = table.annotation_iris[row], diseases[k]
        phenotype = table.terms[int(table.term[row])]
        values = kg.select(Q_ANNOTATION_VALUES, a=IRI(a))[0]
        frequency_term, frequency_text = values["frequency_term"], values["frequency_text"]
        items.append(
            AnswerItem(
                disease,
                labels.get(disease, ""),
                DISEASE,
                {
                    "via": node_name(kg, phenotype),
                    "frequency": frequency_text
                    or (labels.get(frequency_term, "") if frequency_term else ""),
                },
            )
        )
        facts.append(
            CitedFact(
                a,
                disease,
                RO_HAS_PHENOTYPE,
                phenotype,
                tuple(sorted(values["sources"].split())) if values["sources"] else (),
                values["evidence"],
                values["frequency"],
                frequency_term,
                frequency_text,
            )
        )
    for other in also:  # the annotation that puts each disease listed under each other term
        below = set(_under(kg, other.iri))
        for item in items:
            found = [a for a in kg.annotations_of(item.iri) if a.phenotype.iri in below]
            facts.extend(annotation_fact(a) for a in found[:1] if a.present)
    total = len(ranked)
    are = "is" if total == 1 else "are"
    each = " (each or a subtype of it)" if wanted else " or a subtype of it"
    text = (
        f"{plural(total, 'disease')} {are} annotated with {_name(term)}{wanted}{each}"
        f"{as_often}, e.g. {_list([i.label for i in items], 5, total)}."
    )
    return Lookup(text, items, facts, total=total)


def node_name(kg: KnowledgeGraph, iri: str) -> dict[str, str]:
    return {"iri": iri, "curie": compress(iri), "label": kg.labels.get(iri, "")}


def genes_of_disease(
    kg: KnowledgeGraph,
    disease: Entity,
    *,
    without: Sequence[Entity] = (),
    asked: Sequence[Entity] = (),
) -> Lookup:
    """Genes linked to a disease (and its same-name twins). ``without``: genes ruled out in
    the question, and the genes of diseases ruled out, left out (the text says so);
    ``asked``: genes the question names, each said to be among them or not."""
    left_out = {e.iri for e in without if e.type == GENE}
    for e in without:
        if e.type == DISEASE:
            left_out.update(g.iri for d in e.iris for g in kg.genes_of(d))
    items: dict[str, AnswerItem] = {}
    facts = []
    for d in disease.iris:
        for g in kg.genes_of(d):
            if g.iri in left_out:
                continue
            label = node_label(kg, g.iri)
            items.setdefault(g.iri, AnswerItem(g.iri, label, GENE, {"diseases": []}))
            items[g.iri].detail["diseases"].append(compress(d))
            facts.append(_triple(g.iri, RO_GENE_CONTRIBUTES_TO, d))
    ruled_out = [_name(e) if e.type == GENE else f"those of {_name(e)}" for e in without]
    other = f" other than {' and '.join(ruled_out)}" if without else ""
    lead = _asked_links(kg, disease, asked)
    records = _records(disease)
    if not items:
        return Lookup(f"{lead}No gene{other} is linked to {_name(disease)}{records} in the KG.")
    genes = sorted(items.values(), key=lambda i: i.label)
    _mark_asked(genes, asked)

    def shown(gene: AnswerItem) -> str:
        # the records of one name may be other diseases with other genes: each gene's own
        of = f"; of {' and '.join(gene.detail['diseases'])}" if records else ""
        return f"{gene.label} ({compress(gene.iri)}{of})"

    text = f"{lead}Genes associated with {_name(disease)}{records}{other}: " + _list(
        [shown(g) for g in genes], 20
    )
    return Lookup(text + ".", genes, facts)


def _asked_links(kg: KnowledgeGraph, looked_up: Entity, asked: Sequence[Entity]) -> str:
    """The answer to "Is FBN1 linked to Marfan syndrome?", one sentence per gene (or
    disease) the question names beside the disease (or gene) looked up: "Yes: ..." when the
    KG links them; "Not directly: ..." when it links the gene only to diseases named after
    the disease ("osteogenesis imperfecta": its types I-IV), named; else "Not linked: ..."
    (the KG not linking them does not say that they are unrelated). Empty when the question
    names none."""
    said = []
    for e in asked:
        gene, disease = (looked_up, e) if looked_up.type == GENE else (e, looked_up)
        linked = kg.diseases_of_gene(gene.iri)
        if set(disease.iris) & {d.iri for d in linked}:
            said.append(f"Yes: {_name(gene)} is linked to {_name(disease)} in the KG.")
            continue
        name = named_after(disease.label or disease.text)
        kinds = [d for d in linked if name is not None and name.search(d.label)]
        if kinds:
            said.append(
                f"Not directly: the KG links {_name(gene)} not to {_name(disease)} itself but "
                f"to {plural(len(kinds), 'disease')} named after it: "
                + _list([f"{d.label} ({d.curie})" for d in kinds], 5)
                + "."
            )
        else:
            said.append(
                f"Not linked: the KG does not link {_name(gene)} to {_name(disease)} (which "
                "does not say that they are unrelated)."
            )
    return " ".join(said) + (" " if said else "")


def _genes_under(kg: KnowledgeGraph, term: str) -> dict[str, str]:
    """Gene IRI -> the first phenotype by IRI, the term or a subtype, it is linked to.

    The links are read from the KG's graph and hierarchy in memory; a term the graph lacks
    (an obsolete id asked for by its CURIE) has its own links read from the store.
    """
    links = _gene_links(kg)
    under = _under(kg, term)
    known = np.asarray([links.index[t] for t in under if t in links.index], dtype=np.int64)
    keep = np.isin(links.phenotype, known)
    gene, phenotype = links.gene[keep], links.phenotype[keep]
    order = np.lexsort((phenotype, gene))  # by gene, then phenotype (nodes are by IRI)
    first = np.ones(len(order), dtype=bool)
    first[1:] = gene[order][1:] != gene[order][:-1]
    via = {
        links.node_iris[g]: links.node_iris[p]
        for g, p in zip(gene[order][first].tolist(), phenotype[order][first].tolist(), strict=True)
    }
    for t in under:
        if t not in links.index:
            for r in kg.select(Q_GENES_WITH_TERM, term=IRI(t)):
                via[r["gene"]] = min(via.get(r["gene"], t), t)
    return via


def genes_of_phenotype(
    kg: KnowledgeGraph,
    term: Entity,
    *,
    also: Sequence[Entity] = (),
    without: Sequence[Entity] = (),
) -> Lookup:
    """Genes linked to a phenotype or any of its subtypes, by symbol; each with the first of
    those phenotypes by IRI that it is linked to. ``also``: more phenotypes, every one of
    which a gene must be linked to as well (the count of each is given); ``without``:
    phenotypes ruled out, whose genes are left out."""
    via = _genes_under(kg, term.iri)
    counts = [(term, len(via))]
    more: dict[str, dict[str, str]] = {}
    for other in also:
        more[other.iri] = _genes_under(kg, other.iri)
        counts.append((other, len(more[other.iri])))
        via = {g: p for g, p in via.items() if g in more[other.iri]}
    for ruled_out in without:
        gone = _genes_under(kg, ruled_out.iri)
        via = {g: p for g, p in via.items() if g not in gone}
    asked = " and to ".join(_name(t) for t in (term, *also))
    asked += " (each or a subtype of it)" if also else " or a subtype of it"
    if without:
        asked += ", and not to " + " or ".join(_name(t) for t in without) + " or a subtype"
    if not via:
        text = f"No gene is linked to {asked}."
    else:
        labels = {g: node_label(kg, g) for g in via}
        ordered = sorted(via, key=lambda g: (labels[g], via[g], g))
        are = "is" if len(ordered) == 1 else "are"
        text = f"{plural(len(ordered), 'gene')} {are} linked to {asked}: "
        text += _list([labels[g] for g in ordered], 15) + "."
    if also:
        text += (
            " Linked to each alone: "
            + "; ".join(f"{_name(t)}: {plural(n, 'gene')}" for t, n in counts)
            + "."
        )
    if not via:
        return Lookup(text)
    genes = [AnswerItem(g, labels[g], GENE, {"via": node_name(kg, via[g])}) for g in ordered]
    facts = [_triple(g, RO_HAS_PHENOTYPE, via[g]) for g in ordered]
    facts += [_triple(g, RO_HAS_PHENOTYPE, more[t.iri][g]) for t in also for g in ordered]
    return Lookup(text, genes, facts)


def phenotypes_of_gene(kg: KnowledgeGraph, gene: Entity, *, limit: int | None = None) -> Lookup:
    """Phenotypes a gene is linked to (``RO:0002200``, from the annotations of the diseases
    it is linked to), those most of its diseases are annotated with first, then by label;
    each with that count of diseases. The first ``limit`` are listed (all when None);
    ``total`` counts them all."""
    links = _gene_links(kg)
    node = links.index.get(gene.iri)
    found = (
        sorted({links.node_iris[p] for p in links.phenotype[links.gene == node]})
        if node is not None
        else []
    )
    phenotypes = _phenotypes(kg)
    if phenotypes is not None:  # not its diseases' modes of inheritance, onsets
        found = [p for p in found if p in phenotypes]
    if not found:
        return Lookup(f"No phenotype is linked to {_name(gene)} in the KG.")
    diseases = {d.iri for d in kg.diseases_of_gene(gene.iri)}
    shared: dict[str, set[str]] = defaultdict(set)  # phenotype -> the gene's diseases with it
    for a in (a for d in diseases for a in kg.annotations_of(d) if a.present):
        shared[a.phenotype.iri].add(a.disease.iri)
    labels = kg.labels
    ordered = sorted(found, key=lambda p: (-len(shared.get(p, ())), labels.get(p, ""), p))
    listed = ordered if limit is None else ordered[:limit]
    items = [
        AnswerItem(p, labels.get(p, ""), TERM, {"diseases": len(shared.get(p, ()))}) for p in listed
    ]
    facts = [_triple(gene.iri, RO_HAS_PHENOTYPE, p) for p in listed]
    named = [f"{i.label} ({i.detail['diseases']})" for i in items]
    text = (
        f"{_name(gene)} is linked to {plural(len(ordered), 'phenotype')} through the "
        f"annotations of its {plural(len(diseases), 'disease')}, those of the most of them "
        "first (in brackets, how many of its diseases have it): "
        + _list(named, 15, len(ordered))
        + "."
    )
    return Lookup(text, items, facts, total=len(ordered))


def _diseases_annotated_under(kg: KnowledgeGraph, term: str) -> set[str]:
    """Diseases annotated with a term or a subtype (NOT annotations left out)."""
    table = kg.annotations
    return {table.subjects[s] for s in table.subject[_annotation_rows_under(kg, term)]}


def diseases_of_gene(
    kg: KnowledgeGraph,
    gene: Entity,
    *,
    having: Sequence[Entity] = (),
    asked: Sequence[Entity] = (),
) -> Lookup:
    """Diseases a gene contributes to; ``having``: only those annotated with each of these
    phenotypes or a subtype (the text says how many of all); ``asked``: diseases the
    question names, each said to be among them or not."""
    diseases = kg.diseases_of_gene(gene.iri)
    everyone = len(diseases)
    for term in having:
        annotated = _diseases_annotated_under(kg, term.iri)
        diseases = [d for d in diseases if d.iri in annotated]
    facts: list[CitedFact] = []
    for term in having:  # the annotation that puts each disease listed under each term
        below = set(_under(kg, term.iri))
        for d in diseases:
            found = [a for a in kg.annotations_of(d.iri) if a.phenotype.iri in below]
            facts.extend(annotation_fact(a) for a in found[:1] if a.present)
    wanted = " and ".join(f"{_name(t)} or a subtype of it" for t in having)
    lead = _asked_links(kg, gene, asked)
    if not diseases:
        if having and everyone:
            return Lookup(
                f"{lead}None of the {plural(everyone, 'disease')} {_name(gene)} is linked to "
                f"is annotated with {wanted}."
            )
        return Lookup(f"{lead}No disease is linked to {_name(gene)} in the KG.")
    items = [AnswerItem(d.iri, d.label, DISEASE) for d in diseases]
    _mark_asked(items, asked)
    facts = [_triple(gene.iri, RO_GENE_CONTRIBUTES_TO, d.iri) for d in diseases] + facts
    listed = _list([f"{d.label} ({d.curie})" for d in diseases], 10)
    if having:
        text = (
            f"Of the {plural(everyone, 'disease')} {_name(gene)} is linked to, "
            f"{len(items)} {'is' if len(items) == 1 else 'are'} annotated with {wanted}: {listed}"
        )
    else:
        text = f"{_name(gene)} is linked to {plural(len(items), 'disease')}: {listed}"
    return Lookup(lead + text + ".", items, facts)


def _mark_asked(items: Iterable[AnswerItem], asked: Sequence[Entity]) -> None:
    """Marks the items a question names ("Is FBN1 linked to Marfan syndrome?") with
    ``asked``: true, for readers of the structured answer."""
    named = {iri for e in asked for iri in e.iris}
    for item in items:
        if item.iri in named:
            item.detail["asked"] = True


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
        text = f"{_name(entity)} has no definition in the KG; "
        if info.parents:
            text += f"it is a kind of {', '.join(p.label for p in info.parents)}."
        else:
            text += obsolete_note(kg, entity) or "it is a top-level class (it has no parent)."
        return Lookup(
            text, [item], [_triple(entity.iri, RDFS_SUBCLASS_OF, p.iri) for p in info.parents]
        )
    if entity.type == DISEASE:
        features = disease_features(kg, entity)
        genes = genes_of_disease(kg, entity)
        text = (
            f"{_name(entity)} is a disease of the KG with "
            f"{plural(len(_features(features.items)), 'annotated feature')} and "
            f"{plural(genes.total or 0, 'associated gene')}."
        )
        item = AnswerItem(entity.iri, entity.label, DISEASE, {"same_name": list(entity.same_name)})
        return Lookup(text, [item], (genes.facts + features.facts))
    diseases = diseases_of_gene(kg, entity)
    text = (
        f"{_name(entity)} is a gene of the KG, linked to {plural(diseases.total or 0, 'disease')}."
    )
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
    are = "is a direct subtype" if len(items) == 1 else "are direct subtypes"
    text = f"{plural(len(items), 'term')} {are} of {_name(entity)}: " + _list(
        [c.label for c in info.children], 12
    )
    return Lookup(text + ".", items, facts)


def is_feature_of(kg: KnowledgeGraph, term: Entity, disease: Entity) -> Lookup:
    """Yes when the disease (or a same-name twin) is annotated with the term or a subtype
    (an inheritance, onset or modifier term named as what it is to the disease); No, stated,
    when it is annotated as NOT having the term or a broader one; else "Not annotated" (its
    ``answer`` no, not stated), as the term is not among its annotations (a NOT annotation
    of a subtype is named, and says nothing of the term). The annotations say why, each
    phenotype once with its frequencies merged; the item's ``stated`` says whether an
    annotation states the answer."""
    annotations = _annotations(kg, disease.iris)
    hierarchy = kg.hierarchy
    known = term.iri in hierarchy
    below = set(hierarchy.descendants(term.iri)) if known else {term.iri}
    above = set(hierarchy.ancestors(term.iri)) if known else {term.iri}
    # absent: NOT, or seen in none of the patients (0/n, Excluded)
    present = [a for a in annotations if a.phenotype.iri in below and a.present]
    negated = [a for a in annotations if not a.present and a.phenotype.iri in above]
    negated_below = [a for a in annotations if not a.present and a.phenotype.iri in below - above]
    item = AnswerItem(disease.iri, disease.label, DISEASE, {"term": compress(term.iri)})
    if present:
        groups = _by_phenotype(sorted(present, key=_by_frequency))
        what = ", ".join(_with_role(g, g[0].aspect) for g in groups.values())
        item.detail.update(answer="yes", stated=True)
        return Lookup(
            f"Yes: {_name(disease)} is annotated with {what}{_records(disease)}.",
            [item],
            [annotation_fact(a) for a in present],
        )
    if negated:
        item.detail.update(answer="no", stated=True)
        wider = sorted({a.phenotype.label for a in negated if a.phenotype.iri != term.iri})
        how = "as NOT having" if any(a.negated for a in negated) else "in none of its patients with"
        text = f"No: {_name(disease)} is explicitly annotated {how} "
        text += (
            f"{', '.join(wider)}, a broader term of {_name(term)}"
            if wider and not any(a.phenotype.iri == term.iri for a in negated)
            else _name(term)
        )
        return Lookup(text + f"{_records(disease)}.", [item], [annotation_fact(a) for a in negated])
    broader = [a for a in annotations if a.phenotype.iri in above and a.present]
    item.detail.update(answer="no", stated=False)
    # the KG not recording it does not say that patients never have it: no clinical "No"
    text = f"Not annotated: {_name(term)} is not among the annotations of {_name(disease)}"
    if broader:
        text += (
            "; it has the broader feature(s) "
            + ", ".join(sorted({a.phenotype.label for a in broader}))
            + ", which the KG does not narrow down"
        )
    if negated_below:
        text += (
            "; it is explicitly annotated "
            + (
                "as NOT having"
                if all(a.negated for a in negated_below)
                else "as NOT having (or in none of its patients with)"
            )
            + " the subtype(s) "
            + ", ".join(sorted({_name_of(a) for a in negated_below}))
            + " (which says nothing of the broader term)"
        )
    text += " (the KG does not record it, which does not say that it never occurs)"
    return Lookup(text + ".", [item], [annotation_fact(a) for a in [*broader, *negated_below]])


def _name_of(a: Annotation) -> str:
    return f"{a.phenotype.label} ({compress(a.phenotype.iri)})"


def distinguish(kg: KnowledgeGraph, first: Entity, second: Entity, *more: Entity) -> Lookup:
    """Features annotated to one disease and to neither the same term nor a related one of
    any other (a feature counts as shared when another has it, a subtype or a supertype);
    inheritance, onset and modifier terms (another aspect) are named apart as what they are.
    Diseases named twice, or by the records of one name (OMIM and Orphanet), are one."""
    hierarchy = kg.hierarchy

    def related(iri: str) -> set[str]:
        if iri not in hierarchy:
            return {iri}
        return set(hierarchy.ancestors(iri)) | set(hierarchy.descendants(iri)) | {iri}

    diseases: list[Entity] = []
    for e in (first, second, *more):
        if not any(e.iri in d.iris or d.iri in e.iris for d in diseases):
            diseases.append(e)
    if len(diseases) == 1:
        same = "the same record" if first.iri == second.iri else "one disease (same name)"
        return Lookup(f"{_name(first)} and {_name(second)} are {same}: nothing distinguishes them.")
    annotated = {e.iri: [a for a in _annotations(kg, e.iris) if a.present] for e in diseases}
    terms = {k: {a.phenotype.iri for a in v} for k, v in annotated.items()}
    each: list[list[tuple[AnswerItem, CitedFact]]] = []  # per disease, most frequent first
    parts = []
    apart = []
    for this in diseases:
        others = set().union(*(terms[d.iri] for d in diseases if d is not this))
        seen: set[str] = set()
        only = []
        mine: list[tuple[AnswerItem, CitedFact]] = []
        each.append(mine)
        for a in sorted(annotated[this.iri], key=_by_frequency):
            if a.phenotype.iri in seen or related(a.phenotype.iri) & others:
                continue
            seen.add(a.phenotype.iri)
            detail = {"only_in": compress(this.iri), "frequency": a.frequency_label}
            aspect = a.aspect
            if aspect in OTHER_ASPECTS:
                detail["aspect"] = OTHER_ASPECTS[aspect]
                apart.append(f"{a.phenotype.label} ({OTHER_ASPECTS[aspect]} of {_name(this)})")
            else:
                only.append(a)
            mine.append(
                (AnswerItem(a.phenotype.iri, a.phenotype.label, TERM, detail), annotation_fact(a))
            )
        parts.append(
            f"only {_name(this)}: "
            + (_list([f"{a.phenotype.label} ({a.frequency_label})" for a in only], 6) or "none")
        )
    # the diseases in turn, so that the first items of a list cut short show each one's
    # most frequent features, not only the first disease's
    taken = [pair for row in zip_longest(*each) for pair in row if pair is not None]
    items = [item for item, _ in taken]
    facts = [fact for _, fact in taken]
    rest = "the other" if len(diseases) == 2 else "any of the others"
    text = f"Features annotated for one and not {rest} — " + "; ".join(parts) + "."
    if apart:
        text += f" Annotated to one only, not as features: {_list(apart, 6)}."
    return Lookup(text, items, facts)
