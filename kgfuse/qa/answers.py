"""The answer of a question: text, linked items, the facts behind them, findings, audit id.

Every item and every fact names its nodes by IRI, CURIE and label, so a page or a program can
link each one to the ontology. An answer with ``answered = False`` says why it cannot answer
and lists the closest facts found, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kg.namespaces import (
    HAS_BROAD_SYNONYM,
    HAS_EXACT_SYNONYM,
    HAS_NARROW_SYNONYM,
    HAS_RELATED_SYNONYM,
    HPO_ANNOTATION_PREFIX,
    IAO_DEFINITION,
    RDFS_SUBCLASS_OF,
    RO_GENE_CONTRIBUTES_TO,
    RO_HAS_PHENOTYPE,
    compress,
)
from kg.rules.engine import CitedFact, Finding

if TYPE_CHECKING:
    from kgfuse.explanation import Mention as ExplainedMention

#: Readable names of the predicates that answers cite, when the KG does not label them.
PREDICATE_LABELS = {
    RO_HAS_PHENOTYPE: "has phenotype",
    RO_GENE_CONTRIBUTES_TO: "contributes to",
    RDFS_SUBCLASS_OF: "is a",
    IAO_DEFINITION: "definition",
    HAS_EXACT_SYNONYM: "exact synonym",
    HAS_NARROW_SYNONYM: "narrow synonym",
    HAS_BROAD_SYNONYM: "broad synonym",
    HAS_RELATED_SYNONYM: "related synonym",
}

#: Version of the answer's JSON layout.
ANSWER_SCHEMA = "kgfuse-answer/1"


def node(iri: str | None, label: str = "") -> dict[str, Any] | None:
    """``{"iri", "curie", "label"}`` of a node (None stays None)."""
    if iri is None:
        return None
    return {"iri": iri, "curie": compress(iri), "label": label}


@dataclass
class AnswerItem:
    """One entity of an answer (a disease, gene, term or phenotype), with details."""

    iri: str
    label: str
    type: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**(node(self.iri, self.label) or {}), "type": self.type, "detail": self.detail}


@dataclass
class Answer:
    """What ``ask`` returns; see the module docstring.

    Attributes:
        question: the question as asked.
        intent: the detected intent (``unknown`` when none fits).
        confidence: the intent detector's confidence in [0, 1].
        answered: False when the question cannot be answered from the KG or the model.
        text: the answer for a person.
        entities: the linked entities of the question (``Entity.to_dict``).
        items: the answer's entities, best first.
        total: number of items before truncation to the page size.
        facts: the facts used, each with provenance.
        findings: rule findings (diagnosis answers).
        audit_id: the audit record of this answer, when recorded.
        warnings: notes for the reader.
        method: how the intent was found (``pattern`` or ``classifier``).
        suggestions: questions to ask instead, for an answer that is not sure how to read
            its question or names a disease the KG knows under a longer name.
    """

    question: str
    intent: str
    confidence: float
    answered: bool
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    items: list[AnswerItem] = field(default_factory=list)
    total: int = 0
    facts: list[CitedFact] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    audit_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    method: str = ""
    suggestions: list[str] = field(default_factory=list)
    rule_findings: list[Finding] = field(default_factory=list, repr=False)
    #: whether the diagnosis model ran for this answer (its audit record then names it)
    used_model: bool = field(default=False, repr=False)
    #: the findings a ranked differential was made from, as its linker read them
    #: (``kgfuse.explanation.Mention``; a treatment's among them): its audit record's mentions
    read: list[ExplainedMention] | None = field(default=None, repr=False)

    def to_dict(
        self,
        labels: dict[str, str] | None = None,
        source_of: Callable[[CitedFact], str | None] | None = None,
    ) -> dict[str, Any]:
        """JSON-ready dict; ``labels`` (IRI -> label) names the nodes of the facts and
        ``source_of`` names the source file a fact was read from."""
        labels = labels or {}
        return {
            "schema": ANSWER_SCHEMA,
            "question": self.question,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "method": self.method,
            "answered": self.answered,
            "text": self.text,
            "entities": self.entities,
            "items": [i.to_dict() for i in self.items],
            "total": self.total,
            "facts": [fact_dict(f, labels, source_of) for f in self.facts],
            "findings": self.findings,
            "audit_id": self.audit_id,
            "warnings": self.warnings,
            "suggestions": self.suggestions,
        }


def fact_dict(
    fact: CitedFact,
    labels: dict[str, str],
    source_of: Callable[[CitedFact], str | None] | None = None,
) -> dict[str, Any]:
    """A fact with its nodes named and its provenance: the KG source it was read from and
    the references it cites (as CURIEs with IRIs)."""
    return {
        "statement": node(fact.iri),
        "subject": node(fact.subject, labels.get(fact.subject, "")),
        "predicate": node(
            fact.predicate, labels.get(fact.predicate) or PREDICATE_LABELS.get(fact.predicate, "")
        ),
        "object": (
            {"literal": fact.object}
            if fact.object_is_literal
            else node(fact.object, labels.get(fact.object, ""))
        ),
        "negated": fact.negated,
        "frequency": fact.frequency_text
        or (labels.get(fact.frequency_term, "") if fact.frequency_term else None),
        "evidence": fact.evidence,
        "source": source_of(fact) if source_of else None,
        "sources": [node(s) for s in fact.sources],
    }


def source_namer(manifest: Any) -> Callable[[CitedFact], str | None]:
    """Names the KG source of a fact from a KG manifest: HPO's annotation statements come
    from its annotation file, gene links from its gene file, the rest from the ontology
    (HPO's three files; a KG of one source names that one). A KG built from several files
    keeps no record of which file stated a triple (they share one graph), so such a fact
    names each file that may have, as "one of A, B": the annotation nodes that other files
    built beside HPO add (their IRIs are not HPO's) name those files, and a gene link names
    HPO's gene file and the other files."""
    named = [
        (s.format, f"{s.name} ({s.release})" if s.release else s.name) for s in manifest.sources
    ]
    by_format = dict(named)
    files = list(dict.fromkeys(v for k, v in named if k not in ("hpoa", "hpo-genes")))
    # the files other than HPO's three (its ontology is the file just before its annotations)
    hpoa_at = next((i for i, (k, _) in enumerate(named) if k == "hpoa"), None)
    hpo_files = set() if hpoa_at is None else {v for _, v in named[max(hpoa_at - 1, 0) :][:3]}
    others = [v for _, v in named if v not in hpo_files]

    def one_of(names: list[str]) -> str:
        return names[0] if len(names) == 1 else f"one of {', '.join(names)}"

    ontology = one_of(files) if files else manifest.name

    def source_of(fact: CitedFact) -> str | None:
        if fact.iri is not None and "hpoa" in by_format:
            if fact.iri.startswith(HPO_ANNOTATION_PREFIX) or not others:
                return by_format["hpoa"]
            return one_of(others)
        if "hpo-genes" in by_format and (
            fact.predicate == RO_GENE_CONTRIBUTES_TO or "ncbigene" in fact.subject
        ):
            return one_of([by_format["hpo-genes"], *others])
        return ontology

    return source_of
