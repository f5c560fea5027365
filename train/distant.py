"""Distant supervision for concept NER: sentences whose concept spans are known by construction.

No hand-labelled text is needed (the way PhenoTagger trains): texts are rendered from the
ontology with :func:`train.simulate.render_text`, which records where each concept was
written, from two sources:

- **simulated patients** (``train.simulate``), for ontologies with annotations such as HPO:
  findings drawn by annotation frequency, with imprecision, noise and excluded findings;
- **name sentences**: a few random concepts of the ontology (below ``allowed_roots``) per
  text, so that every concept is seen, not only the annotated ones.

Each concept is written as its label, an exact or layperson synonym, or, with probability
``definition_rate`` when it has one, a short definition turned into a phrase
(``Arachnodactyly`` -> "abnormally long and slender fingers"), which teaches the tagger
paraphrases no dictionary holds. Every written concept is a span of label ``label``,
present or excluded alike (negation is the linker's context rules' job). With probability
``context_rate`` a text also gets sentences that name no concept (birth history,
measurements, tests, care), so the tagger learns that clinical prose holds more than findings.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kg.atomic import written_whole
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import IAO_DEFINITION, OWL_CLASS, to_iri
from train.simulate import PatientSimulator, PhenotypeNames, SimulatedPatient, render_text

logger = logging.getLogger(__name__)

__all__ = [
    "DistantConfig",
    "context_sentence",
    "distant_examples",
    "short_definitions",
    "write_distant_data",
]

#: Definitions that open like this describe a class of things, not a finding one can write.
_GENERIC_OPENINGS = re.compile(
    r"^(an? )?(abnormality|anomaly|structural anomaly|abnormal (morphology|form|shape)|"
    r"any|a condition|the presence|this term)\b",
    re.IGNORECASE,
)


#: Case-report sentences that name no finding (slots filled at random by ``context_sentence``).
_CONTEXT_TEMPLATES = (
    "{He} was born at {weeks} weeks of gestation by {delivery}.",
    "Birth weight was {kg} kg and length {cm} cm.",
    "The pregnancy was {pregnancy}.",
    "{He} is the {ordinal} child of {parents} parents.",
    "At {months} months of age {he} was referred to the {clinic} clinic.",
    "{He} was first seen by us at the age of {years} years.",
    "{test} was {result}.",
    "The mother was {mother_age} years old at delivery.",
    "Weight is {kg2} kg, height {cm2} cm and head circumference {hc} cm.",
    "Apgar scores were {apgar1} and {apgar5} at one and five minutes.",
    "{He} was discharged home on day {day}.",
    "{He} attends a {school} school.",
    "Consent for {test_lower} was obtained from the parents.",
    "The family was counselled about the recurrence risk.",
    "{He} received {treatment} for {weeks2} weeks.",
    "Blood pressure was {bp1}/{bp2} mmHg and heart rate {hr} beats per minute.",
    "{He} was admitted to the {ward} at the age of {days} days.",
    "Samples from both parents were sent for segregation analysis.",
)
_CONTEXT_SLOTS: dict[str, tuple[str, ...]] = {
    "delivery": (
        "spontaneous vaginal delivery",
        "caesarean section",
        "NSVD",
        "elective C-section",
        "assisted vaginal delivery",
    ),
    "pregnancy": ("uneventful", "unremarkable", "followed in a local hospital", "planned"),
    "ordinal": ("first", "second", "third", "fourth"),
    "parents": ("healthy", "non-consanguineous", "unrelated", "first-cousin"),
    "clinic": ("genetics", "neurology", "paediatric", "metabolic", "developmental"),
    "test": (
        "Chromosomal microarray",
        "Exome sequencing",
        "Karyotype analysis",
        "Newborn screening",
        "Echocardiography",
        "Metabolic screening",
        "Hearing screening",
    ),
    "result": ("normal", "unremarkable", "non-diagnostic", "pending", "done in another centre"),
    "treatment": ("physiotherapy", "speech therapy", "occupational therapy", "antibiotics"),
    "school": ("mainstream", "special-needs", "local"),
    "ward": ("neonatal unit", "paediatric ward", "intensive care unit"),
}


def context_sentence(rng: np.random.Generator) -> str:
    """A random case-report sentence that names no finding (birth, measurements, tests)."""
    template = _CONTEXT_TEMPLATES[int(rng.integers(len(_CONTEXT_TEMPLATES)))]
    he = ("He", "She", "The child")[int(rng.integers(3))]
    values: dict[str, str] = {
        name: options[int(rng.integers(len(options)))] for name, options in _CONTEXT_SLOTS.items()
    }
    test = values["test"]
    values |= {
        "He": he,
        "he": he.lower(),  # mid-sentence: "the child"
        "test_lower": test[:1].lower() + test[1:],
        "weeks": str(int(rng.integers(30, 42))),
        "weeks2": str(int(rng.integers(1, 12))),
        "kg": f"{rng.uniform(1.5, 4.5):.1f}",
        "kg2": f"{rng.uniform(3, 70):.1f}",
        "cm": str(int(rng.integers(40, 56))),
        "cm2": str(int(rng.integers(50, 180))),
        "hc": f"{rng.uniform(30, 56):.1f}",
        "months": str(int(rng.integers(1, 24))),
        "years": str(int(rng.integers(1, 18))),
        "days": str(int(rng.integers(1, 30))),
        "day": str(int(rng.integers(2, 15))),
        "mother_age": str(int(rng.integers(18, 45))),
        "apgar1": str(int(rng.integers(3, 10))),
        "apgar5": str(int(rng.integers(6, 11))),
        "bp1": str(int(rng.integers(80, 130))),
        "bp2": str(int(rng.integers(40, 85))),
        "hr": str(int(rng.integers(60, 160))),
    }
    return template.format(**values)


#: A verb or relative clause: the definition is a sentence about the term, not a phrase for it.
_CLAUSE = re.compile(r"\b(is|are|was|were|that|which|whose|in which|refers)\b", re.IGNORECASE)


@dataclass(frozen=True)
class DistantConfig:
    """How many distantly supervised texts, and how concepts are written in them.

    Attributes:
        patients: simulated patients rendered as text (0 without annotations).
            (default: ``2000``)
        name_sentences: texts naming 1-4 random concepts. (default: ``2000``)
        definition_rate: probability of writing a concept as its short definition, when it
            has one. (default: ``0.25``)
        max_definition_words: longest definition used as a phrase. (default: ``8``)
        allowed_roots: concepts of name sentences are these terms' descendants (CURIEs or
            IRIs); empty: every class with a name (``owl:Class``; not the ontology itself,
            its properties or individuals). (default: ``()``)
        context_rate: probability that a text gets 1-3 sentences naming no concept
            before and after it (:func:`context_sentence`). (default: ``0.5``)
        label: the span label. (default: ``"phenotype"``)
        seed: random seed. (default: ``0``)
    """

    patients: int = 2000
    name_sentences: int = 2000
    definition_rate: float = 0.25
    max_definition_words: int = 8
    allowed_roots: tuple[str, ...] = field(default_factory=tuple)
    context_rate: float = 0.5
    label: str = "phenotype"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.patients < 0 or self.name_sentences < 0:
            raise ValueError("patients and name_sentences must be >= 0")
        if not 0 <= self.definition_rate <= 1:
            raise ValueError("definition_rate must be in [0, 1]")
        if not 0 <= self.context_rate <= 1:
            raise ValueError("context_rate must be in [0, 1]")


def short_definitions(kg: KnowledgeGraph, max_words: int = 8) -> dict[str, str]:
    """Definitions short and specific enough to stand for their term in a sentence.

    ``"Abnormally long and slender fingers ("spider fingers")."`` becomes
    ``"abnormally long and slender fingers"``: parentheses and the final period go, the
    first letter is lowered; definitions that open generically ("An abnormality of ..."),
    hold a clause ("... that is ...") or run longer than ``max_words`` words are left out.
    """
    rows = kg.select(f"SELECT ?term ?definition WHERE {{ ?term <{IAO_DEFINITION}> ?definition }}")
    out: dict[str, str] = {}
    for row in rows:
        text = re.sub(r"\s*\([^)]*\)", "", str(row["definition"])).strip()
        text = text.split(". ", 1)[0].rstrip(" .;:")
        if not text or _GENERIC_OPENINGS.match(text) or len(text.split()) > max_words:
            continue
        if any(c in text for c in "[]{};:") or _CLAUSE.search(text):
            continue
        out[str(row["term"])] = text[:1].lower() + text[1:]
    return out


def _names_with_definitions(
    names: PhenotypeNames, definitions: dict[str, str], rate: float
) -> PhenotypeNames:
    """``names`` with each term's short definition added, drawn with probability ``rate``."""
    if rate <= 0 or not definitions:
        return names
    out: dict[str, tuple[list[str], np.ndarray]] = {}
    for iri, (texts, p) in names.names.items():
        definition = definitions.get(iri)
        if definition is None or definition in texts:
            out[iri] = (texts, p)
            continue
        out[iri] = ([*texts, definition], np.append(np.asarray(p) * (1 - rate), rate))
    return PhenotypeNames(out)


def _candidate_terms(
    kg: KnowledgeGraph, names: PhenotypeNames, roots: tuple[str, ...]
) -> list[str]:
    if not roots:
        return sorted(names.names)
    hierarchy = kg.hierarchy
    allowed: set[str] = set()
    for root in roots:
        iri = to_iri(root)
        if iri in hierarchy:  # the root itself is too general to be a finding
            allowed.update(hierarchy.descendants(iri, include_self=False))
    return sorted(i for i in names.names if i in allowed)


def distant_examples(kg: KnowledgeGraph, config: DistantConfig) -> Iterator[dict[str, Any]]:
    """Token-classification records ``{"id", "text", "spans"}`` (``train.task_data``)."""
    rng = np.random.default_rng(config.seed)
    # the classes' names only: not the ontology's title, its properties or individuals
    names = _names_with_definitions(
        PhenotypeNames.from_lexicon(kg.lexicon.filter([OWL_CLASS])),
        short_definitions(kg, config.max_definition_words),
        config.definition_rate,
    )

    def record(kind: str, i: int, patient: SimulatedPatient) -> dict[str, Any]:
        text, spans = render_text(patient, names, rng)
        shift = 0
        if rng.random() < config.context_rate:
            before = [context_sentence(rng) for _ in range(int(rng.integers(0, 3)))]
            after = [context_sentence(rng) for _ in range(int(rng.integers(1, 3)))]
            prefix = "".join(sentence + " " for sentence in before)
            text = prefix + text + "".join(" " + sentence for sentence in after)
            shift = len(prefix)
        return {
            "id": f"{kind}-{i}",
            "text": text,
            "spans": [
                {"start": s.start + shift, "end": s.end + shift, "label": config.label}
                for s in spans
            ],
        }

    if config.patients:
        simulator = PatientSimulator(kg.hierarchy, kg.annotations)
        diseases = list(simulator.diseases)
        if not diseases:
            logger.warning(
                "the KG has no annotated subjects (no disease with phenotype annotations): "
                "no simulated patient texts are written; --names writes texts of the "
                "ontology's names"
            )
        for i in range(config.patients if diseases else 0):
            disease = diseases[int(rng.integers(len(diseases)))]
            yield record("patient", i, simulator.sample(disease, rng))
    terms = _candidate_terms(kg, names, config.allowed_roots)
    if config.name_sentences and not terms:
        raise ValueError("no named concept below the allowed roots: nothing to write")
    for i in range(config.name_sentences):
        chosen = rng.choice(
            len(terms), size=min(len(terms), int(rng.integers(1, 6))), replace=False
        )
        picked = [terms[int(j)] for j in chosen]
        n_excluded = int(rng.random() < 0.3 and len(picked) > 1)
        patient = SimulatedPatient(
            disease="",
            present=tuple(picked[n_excluded:]),
            excluded=tuple(picked[:n_excluded]),
            sex=("MALE", "FEMALE", None)[int(rng.integers(3))],
            age=float(rng.uniform(0, 60)) if rng.random() < 0.7 else None,
        )
        yield record("names", i, patient)


def write_distant_data(kg: KnowledgeGraph, path: str | Path, config: DistantConfig) -> int:
    """Write :func:`distant_examples` as JSON lines; returns the number of texts.

    The lines go to a temporary file beside ``path``, renamed onto it when all are written:
    a run killed halfway leaves no shorter data set to train on by mistake (an earlier file
    stays as it was; the same seed writes the same texts again).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with written_whole(path) as (fd, _), os.fdopen(fd, "w", encoding="utf-8") as fh:
        for rec in distant_examples(kg, config):
            if rec["spans"]:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    logger.info("wrote %d distantly supervised texts to %s", n, path)
    return n
