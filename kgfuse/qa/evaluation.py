"""QA evaluation: questions generated from the KG with held-out paraphrases, scored per type.

``generate_questions`` samples entities of the KG (seeded) and fills the *held-out* templates
of each intent (``kgfuse.qa.questions.HELDOUT_TEMPLATES``; the intent classifier never saw
them). The gold answer of each question is computed here from the derived tables (annotation
table, hierarchy, graph tensors), not from the SPARQL templates that answer it, so the two
paths check each other. ``evaluate`` asks every question end to end (entity linking, intent,
slots, answer) and reports, per question type, intent accuracy and answer-set
precision/recall/F1 (yes/no accuracy for "is X a feature of Y?"; hit@10 for diagnoses).
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from encoders.linker import HPO_PHENOTYPE_ROOT
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import KGV_GENE, RO_GENE_CONTRIBUTES_TO, RO_HAS_PHENOTYPE, to_iri
from kgfuse.qa.intent import fill_slots
from kgfuse.qa.questions import HELDOUT_TEMPLATES, Intent

#: The HPO root below which findings are sampled when the KG has it.
PHENOTYPE_ROOT = to_iri(HPO_PHENOTYPE_ROOT)


@dataclass(frozen=True)
class QAItem:
    """One evaluation question with its gold intent and answer."""

    question: str
    intent: str
    gold: tuple[str, ...]
    template: str
    answer_yes: bool | None = None


@dataclass
class TypeScores:
    """Scores of one question type."""

    n: int = 0
    intent_correct: int = 0
    answered: int = 0
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def mean(xs: list[float]) -> float | None:
            return round(float(np.mean(xs)), 4) if xs else None

        return {
            "n": self.n,
            "intent_accuracy": round(self.intent_correct / self.n, 4) if self.n else None,
            "answered": self.answered,
            "precision": mean(self.precision),
            "recall": mean(self.recall),
            "f1": mean(self.f1),
            "latency_ms_p50": round(float(np.median(self.latency_ms)), 2)
            if self.latency_ms
            else None,
        }


class _Gold:
    """Gold answers from the derived tables of a KG."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self.table = kg.annotations
        self.hierarchy = kg.hierarchy
        graph = kg.graph
        src, dst = graph.edge_index[0].tolist(), graph.edge_index[1].tolist()
        rel = graph.edge_type.tolist()
        names, iris = graph.relation_names, graph.node_iris
        node_types = [graph.node_type_names[t] for t in graph.node_type.tolist()]
        self.gene_disease: dict[str, set[str]] = defaultdict(set)
        self.disease_gene: dict[str, set[str]] = defaultdict(set)
        self.gene_phenotype: dict[str, set[str]] = defaultdict(set)
        for s, d, r in zip(src, dst, rel, strict=True):
            if names[r] == RO_GENE_CONTRIBUTES_TO:
                self.gene_disease[iris[s]].add(iris[d])
                self.disease_gene[iris[d]].add(iris[s])
            elif names[r] == RO_HAS_PHENOTYPE and node_types[s] == KGV_GENE:
                self.gene_phenotype[iris[s]].add(iris[d])
        t = self.table
        self.features: dict[str, set[str]] = defaultdict(set)
        #: (disease, aspect) -> the terms annotated to it of that aspect (I, C, ...)
        self.of_aspect: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in np.nonzero(t.present)[0]:
            self.features[t.subjects[t.subject[row]]].add(t.terms[t.term[row]])
            if t.aspect[row]:
                key = (t.subjects[t.subject[row]], str(t.aspect[row]))
                self.of_aspect[key].add(t.terms[t.term[row]])
        self.twins: dict[str, set[str]] = defaultdict(set)
        by_label: dict[str, list[str]] = defaultdict(list)
        for iri, label in zip(t.subjects, t.subject_labels, strict=True):
            if label:
                by_label[label.casefold()].append(iri)
        for group in by_label.values():
            for iri in group:
                self.twins[iri] = set(group)

    def below(self, term: str) -> set[str]:
        return set(self.hierarchy.descendants(term))

    def related(self, term: str) -> set[str]:
        if term not in self.hierarchy:
            return {term}
        return self.below(term) | set(self.hierarchy.ancestors(term))


def _children(kg: KnowledgeGraph, term: str) -> set[str]:
    h = kg.hierarchy
    i = h.index(term)
    below = h.descendants(term, include_self=False)
    return {d for d in below if i in h.parents(h.index(d)) and not h.obsolete[h.index(d)]}


def generate_questions(kg: KnowledgeGraph, per_template: int = 4, seed: int = 0) -> list[QAItem]:
    """Questions of every type from the held-out templates, with gold answers."""
    rng = random.Random(seed)
    gold = _Gold(kg)
    labels = kg.labels
    table = kg.annotations
    h = kg.hierarchy
    root = PHENOTYPE_ROOT if PHENOTYPE_ROOT in h else None
    phenotype_pool = set(root and gold.below(root) or h.terms)
    annotated_terms = sorted({table.terms[i] for i in set(table.term.tolist())} & phenotype_pool)
    diseases = sorted(d for d, f in gold.features.items() if len(f) >= 5 and labels.get(d))
    genetic = [d for d in diseases if gold.disease_gene.get(d)]
    genes = sorted(g for g in gold.gene_disease if labels.get(g))
    # terms whose label is unique among the names of the KG, so the question is unambiguous
    name_count: dict[str, int] = defaultdict(int)
    for e in kg.lexicon:
        name_count[e.text.casefold()] += 1
    terms = [t for t in annotated_terms if labels.get(t) and name_count[labels[t].casefold()] == 1]
    term_set = set(terms)
    # diseases by the name their numbered types share: "Noonan syndrome" for "Noonan syndrome
    # 1" and "Noonan syndrome 2" (those with 5 features or more, in two types or more)
    types: dict[str, set[str]] = defaultdict(set)
    for d in diseases:
        stem = _type_stem(labels[d])
        if stem != labels[d].casefold():
            types[stem].add(d)
    typed = [
        d
        for d in diseases
        if len(types.get(_type_stem(labels[d]), set()) - gold.twins[d] - {d}) >= 1
    ]
    items: list[QAItem] = []

    def add(
        intent: Intent,
        template: str,
        gold_set: Iterable[str],
        yes: bool | None = None,
        **slots: str,
    ) -> None:
        question = fill_slots(
            template,
            disease=slots.get("d", ""),
            disease2=slots.get("d2", ""),
            gene=slots.get("g", ""),
            term=slots.get("t", ""),
            findings=slots.get("ps", ""),
        )
        items.append(QAItem(question, intent.value, tuple(sorted(gold_set)), template, yes))

    for intent, templates in HELDOUT_TEMPLATES.items():
        for template in templates:
            for _ in range(per_template):
                if intent is Intent.DISEASE_FEATURES:
                    d = rng.choice(diseases)
                    add(intent, template, _union(gold.features, gold.twins[d] or {d}), d=labels[d])
                elif intent is Intent.DISEASES_WITH_FEATURE:
                    t = rng.choice(terms)
                    below = gold.below(t)
                    hits = {s for s, f in gold.features.items() if f & below}
                    add(intent, template, hits, t=labels[t])
                elif intent is Intent.GENES_OF_DISEASE:
                    d = rng.choice(genetic)
                    add(
                        intent,
                        template,
                        _union(gold.disease_gene, gold.twins[d] or {d}),
                        d=labels[d],
                    )
                elif intent is Intent.GENES_OF_PHENOTYPE:
                    t = rng.choice(terms)
                    below = gold.below(t)
                    hits = {g for g, f in gold.gene_phenotype.items() if f & below}
                    add(intent, template, hits, t=labels[t])
                elif intent is Intent.DISEASES_OF_GENE and "{D}" in template:
                    # "Is G a known cause of D?": one of its diseases or any genetic one
                    g = rng.choice(genes)
                    linked = sorted(d for d in gold.gene_disease[g] if labels.get(d))
                    d = rng.choice(linked if linked and rng.random() < 0.5 else genetic)
                    yes = bool(gold.twins[d] & gold.gene_disease[g] or d in gold.gene_disease[g])
                    add(intent, template, gold.gene_disease[g], yes, g=labels[g], d=labels[d])
                elif intent is Intent.DISEASES_OF_GENE:
                    g = rng.choice(genes)
                    add(intent, template, gold.gene_disease[g], g=labels[g])
                elif intent in (Intent.DEFINITION, Intent.SYNONYMS):
                    t = rng.choice(terms)
                    add(intent, template, {t}, t=labels[t])
                elif intent is Intent.PARENTS:
                    t = rng.choice(terms)
                    parents = {h.terms[p] for p in h.parents(h.index(t))}
                    add(intent, template, parents, t=labels[t])
                elif intent is Intent.CHILDREN:
                    t = rng.choice([x for x in terms if len(h.parents(h.index(x)))][:2000])
                    add(intent, template, _children(kg, t) or set(), t=labels[t])
                elif intent is Intent.IS_FEATURE_OF:
                    d = rng.choice(diseases)
                    features = _union(gold.features, gold.twins[d] or {d})
                    if rng.random() < 0.5:
                        t = rng.choice(sorted(f for f in features if f in term_set) or terms)
                        yes = True
                    else:
                        t = rng.choice(terms)
                        yes = bool(gold.below(t) & features)
                    add(intent, template, {d}, yes, t=labels[t], d=labels[d])
                elif intent is Intent.DISTINGUISH:
                    d1, d2 = rng.sample(diseases, 2)
                    f1 = _union(gold.features, gold.twins[d1] or {d1})
                    f2 = _union(gold.features, gold.twins[d2] or {d2})
                    only = {p for p in f1 if not gold.related(p) & f2}
                    only |= {p for p in f2 if not gold.related(p) & f1}
                    add(intent, template, only, d=labels[d1], d2=labels[d2])
                elif intent is Intent.PHENOTYPES_OF_GENE:
                    g = rng.choice(genes)
                    add(intent, template, gold.gene_phenotype[g] & phenotype_pool, g=labels[g])
                elif intent is Intent.SIMILAR_DISEASES and not typed:
                    continue  # no disease of the KG has numbered types
                elif intent is Intent.SIMILAR_DISEASES:
                    # gold: the other numbered types of its disease ("Noonan syndrome 2" for
                    # "Noonan syndrome 1"), named apart from the phenotypes the answer
                    # compares; scored as hit@10
                    d = rng.choice(typed)
                    add(intent, template, types[_type_stem(labels[d])] - gold.twins[d], d=labels[d])
                elif intent is Intent.INHERITANCE_ONSET:
                    # the held-out templates each ask one aspect: onset, or inheritance
                    aspect = "C" if _ONSET_WORDS.search(template) else "I"
                    d = rng.choice([x for x in diseases if gold.of_aspect.get((x, aspect))])
                    records = gold.twins[d] or {d}
                    annotated = set().union(*(gold.of_aspect[(x, aspect)] for x in records))
                    add(intent, template, annotated, d=labels[d])
                elif intent is Intent.DIAGNOSE:
                    d = rng.choice(genetic)
                    findings = sorted(f for f in gold.features[d] if f in term_set)
                    if len(findings) < 3:
                        continue
                    chosen = rng.sample(findings, 3)
                    ps = f"{labels[chosen[0]]}, {labels[chosen[1]]} and {labels[chosen[2]]}"
                    add(intent, template, gold.twins[d] or {d}, ps=ps)
    return items


#: Words of a held-out template that asks for a disease's onset (the others ask for its
#: mode of inheritance).
_ONSET_WORDS = re.compile(r"\b(?:age|old|onset|start|begin|appear|show|manifests?)\b")


#: The number or letter that names a type of a disease at the end of its label ("Noonan
#: syndrome 1", "Loeys-Dietz syndrome 3", "Osteogenesis imperfecta, type IV", "... 12A").
_DISEASE_TYPE = re.compile(r"(?:,?\s+type)?[,\s]+(?:\d+[a-z]?|[ivx]+)$")


def _type_stem(label: str) -> str:
    """A disease's label without the number of its type, case-folded (the label itself
    when it names no type)."""
    return _DISEASE_TYPE.sub("", label.casefold())


def _union(mapping: dict[str, set[str]], keys: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for k in keys:
        out |= mapping.get(k, set())
    return out


def _prf(predicted: set[str], gold: set[str]) -> tuple[float, float, float]:
    if not predicted and not gold:
        return 1.0, 1.0, 1.0
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(
    service: Any, items: Sequence[QAItem], *, with_diagnosis: bool = True, progress: bool = True
) -> dict[str, Any]:
    """Ask every question; per-type and overall intent accuracy and answer scores (the
    progress bar on stderr, so that a report printed as JSON on stdout stays JSON)."""
    from tqdm.auto import tqdm

    scores: dict[str, TypeScores] = defaultdict(TypeScores)
    errors: list[dict[str, str]] = []
    chosen = [i for i in items if with_diagnosis or i.intent != Intent.DIAGNOSE.value]
    iterator = tqdm(chosen, desc="asking", unit="question") if progress else chosen
    for item in iterator:
        s = scores[item.intent]
        s.n += 1
        started = time.perf_counter()
        answer = service.ask(item.question, limit=1_000_000)
        s.latency_ms.append((time.perf_counter() - started) * 1000)
        if answer.intent == item.intent:
            s.intent_correct += 1
        elif len(errors) < 50:
            errors.append({"question": item.question, "gold": item.intent, "got": answer.intent})
        s.answered += int(answer.answered)
        got = {i.iri for i in answer.items}
        gold = set(item.gold)
        if item.intent == Intent.IS_FEATURE_OF.value or item.answer_yes is not None:
            if item.intent == Intent.IS_FEATURE_OF.value:
                said = bool(answer.items) and answer.items[0].detail.get("answer") == "yes"
            else:  # "Is G linked to D?": D among G's diseases, marked as asked
                said = any(i.detail.get("asked") for i in answer.items)
            ok = float(answer.intent == item.intent and said == item.answer_yes)
            s.precision.append(ok)
            s.recall.append(ok)
            s.f1.append(ok)
        elif item.intent in (Intent.DIAGNOSE.value, Intent.SIMILAR_DISEASES.value):
            ranked = [i.iri for i in answer.items[:10]]
            hit = float(bool(set(ranked) & gold))
            s.precision.append(hit)
            s.recall.append(hit)
            s.f1.append(hit)
        else:
            p, r, f = _prf(got, gold)
            s.precision.append(p)
            s.recall.append(r)
            s.f1.append(f)
    total_n = sum(s.n for s in scores.values())
    overall_intent = (
        sum(s.intent_correct for s in scores.values()) / total_n if total_n else math.nan
    )
    return {
        "questions": total_n,
        "intent_accuracy": round(overall_intent, 4),
        "per_type": {k: scores[k].summary() for k in sorted(scores)},
        "intent_errors": errors,
        "notes": {
            "is_feature_of": "precision/recall/f1 hold yes/no accuracy",
            "diseases_of_gene": "its questions whether a gene is linked to a named disease "
            "score yes/no accuracy; the others answer-set precision/recall/f1",
            "diagnose": "precision/recall/f1 hold hit@10 of the disease the findings came from",
            "similar_diseases": "precision/recall/f1 hold hit@10 of another numbered type of "
            "the disease asked about (Noonan syndrome 2 for Noonan syndrome 1)",
        },
    }


def items_as_dicts(items: Sequence[QAItem]) -> list[dict[str, Any]]:
    return [asdict(i) for i in items]


__all__ = ["QAItem", "evaluate", "generate_questions", "items_as_dicts"]
