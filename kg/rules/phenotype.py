"""Python rules: checks of a candidate diagnosis against phenotype annotations.

What SPARQL expresses badly lives here: is_a paths, frequency thresholds, age arithmetic and
likelihood ratios. Every rule reads the KG's in-memory hierarchy and annotation table (see
:class:`DiseaseProfile`) and cites each annotation it uses as it stands in the store.

The ``hpo`` pack (:func:`python_rules`):

* :class:`SupportedRule` -- a present finding matches an annotation of the disease exactly,
  through a more specific annotation (implied, true-path rule) or a broader one; the is_a
  path is shown and each edge cited.
* :class:`UnexplainedRule` -- present findings with no annotated match.
* :class:`ExcludedFeatureRule` -- an excluded finding the disease has as obligate or very
  frequent (fail) or frequent (warn); absence consistent with a ``NOT`` annotation (pass).
* :class:`MissingHallmarkRule` -- very frequent features of the disease the patient lacks or
  did not report.
* :class:`SexSpecificRule` -- a present finding the disease has only in the other sex.
* :class:`OnsetRule` -- age of onset against the patient's age.
* :class:`LikelihoodRule` -- each finding's LIRICAL-style likelihood ratio and the post-test
  probability (via :class:`kg.rules.likelihood.PhenotypeLikelihood`).

The ``generic`` pack: :class:`PresentExcludedRule`, a term stated both present and absent
(directly or through is_a), which needs only a class hierarchy.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from kg.annotations import SEX_CODES
from kg.errors import UnknownTermError
from kg.hpo import stated_count
from kg.namespaces import compress
from kg.rules.engine import (
    CandidateCheck,
    CitedFact,
    Finding,
    Rule,
    ancestor_indices,
    describe_statement,
    display,
    frequency_percent,
    is_a_path_indices,
    kg_cache,
    kg_memo,
    label_of,
    path_edges,
)
from kg.rules.likelihood import LikelihoodConfig, MatchKind, PhenotypeLikelihood, ScoreResult
from kg.rules.onset import ONSET_YEARS, is_onset_class, related_onsets

if TYPE_CHECKING:
    from kg.hierarchy import TermHierarchy
    from kg.knowledge_graph import KnowledgeGraph

__all__ = [
    "ONSET_YEARS",
    "DiseaseProfile",
    "IMPUTED_RULE_ID",
    "ExcludedFeatureRule",
    "LikelihoodRule",
    "Match",
    "MissingHallmarkRule",
    "OnsetClassRule",
    "OnsetRule",
    "PhenotypeRuleConfig",
    "PresentExcludedRule",
    "SexSpecificRule",
    "SupportedRule",
    "UnexplainedRule",
    "imputed_findings",
    "python_rules",
]

_SEX_NAMES = {code: name for name, code in SEX_CODES.items() if name}
_PROFILES_KEY = "phenotype.profiles"
_MAX_PROFILES = 512


@dataclass(frozen=True)
class PhenotypeRuleConfig:
    """Thresholds of the phenotype rules.

    Attributes:
        hallmark_frequency: lowest frequency of a hallmark (HPO *very frequent* starts at
            80%; obligate is 100%) (default: ``0.8``).
        frequent_frequency: lowest frequency at which an excluded finding argues against
            the disease (HPO *frequent* starts at 30%) (default: ``0.3``).
        min_depth: shallowest annotated term that may explain a more specific patient term;
            shallower ones (the root, "Phenotypic abnormality", organ systems) explain
            nothing (default: ``3``).
        aspects: annotation aspects read as phenotypes (default: ``("P",)``).
        likelihood: parameters of the likelihood ratios (default: ``LikelihoodConfig()``).
    """

    hallmark_frequency: float = 0.8
    frequent_frequency: float = 0.3
    min_depth: int = 3
    aspects: tuple[str, ...] = ("P",)
    likelihood: LikelihoodConfig = field(default_factory=LikelihoodConfig)

    def __post_init__(self) -> None:
        if not 0.0 < self.frequent_frequency <= self.hallmark_frequency <= 1.0:
            raise ValueError("need 0 < frequent_frequency <= hallmark_frequency <= 1")
        if self.min_depth < 0:
            raise ValueError(f"min_depth must be >= 0, got {self.min_depth}")


# ---- the annotations of one disease ---------------------------------------------------------
@dataclass
class Match:
    """How a patient term relates to a disease's annotations.

    Attributes:
        kind: ``exact``, ``implied`` (an annotation below the term), ``broader`` (an
            annotation above the term), or ``negated`` (the term is below a NOT annotation).
        annotated: index of the annotated term.
        path: term indices from the more specific to the more general term.
        rows: IRIs of the annotations on ``annotated``.
    """

    kind: str
    annotated: int
    path: list[int]
    rows: list[str]


@dataclass
class DiseaseProfile:
    """The annotations of one disease, indexed by term, with cached ancestor sets.

    Attributes:
        disease: the disease IRI.
        known: the annotation table has the disease.
        positive: term index -> IRIs of the positive annotations (phenotype aspects) with a
            frequency above 0 or none stated.
        negated: term index -> IRIs of the NOT annotations.
        other: term index -> IRIs of annotations of the other aspects (onset, inheritance).
        frequency: annotation IRI -> frequency (None when unstated).
        onset: annotation IRI -> onset class IRI.
        sex: annotation IRI -> ``MALE`` or ``FEMALE`` for sex-specific annotations.
        unseen: term index -> IRIs of the annotations with a stated frequency of 0 ("0/100":
            the feature was looked for and seen in none of the patients). They are evidence
            of absence, not support: like :func:`kg.rules.likelihood.disease_term_matrix`,
            which drops them, no rule counts them as the disease having the feature.
    """

    kg: KnowledgeGraph
    disease: str
    known: bool
    positive: dict[int, list[str]]
    negated: dict[int, list[str]]
    other: dict[int, list[str]]
    frequency: dict[str, float | None]
    onset: dict[str, str]
    sex: dict[str, str] = field(default_factory=dict)
    unseen: dict[int, list[str]] = field(default_factory=dict)
    _ancestors: dict[int, frozenset[int]] = field(default_factory=dict, repr=False)
    _facts: dict[str, CitedFact] | None = field(default=None, repr=False)
    _positive_below: dict[int, list[int]] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, kg: KnowledgeGraph, disease: str, aspects: Sequence[str]) -> DiseaseProfile:
        """The (cached) profile of a disease; an empty one when it has no annotation."""
        key = (disease, tuple(aspects))
        return kg_memo(
            kg, _PROFILES_KEY, key, lambda: cls._build(kg, disease, aspects), _MAX_PROFILES
        )

    @classmethod
    def _build(cls, kg: KnowledgeGraph, disease: str, aspects: Sequence[str]) -> DiseaseProfile:
        h, table = kg.hierarchy, kg.annotations
        positive: dict[int, list[str]] = {}
        negated: dict[int, list[str]] = {}
        other: dict[int, list[str]] = {}
        frequency: dict[str, float | None] = {}
        onset: dict[str, str] = {}
        sex: dict[str, str] = {}
        unseen: dict[int, list[str]] = {}
        try:
            rows = table.rows_of(disease)
        except (UnknownTermError, ValueError):
            return cls(kg, disease, False, positive, negated, other, frequency, onset, sex)
        for r in rows:
            term = table.terms[table.term[r]]
            if term not in h:
                continue
            ti = h.index(term)
            iri = table.annotation_iris[r]
            f = float(table.frequency[r])
            frequency[iri] = None if math.isnan(f) else f
            if table.onset[r]:
                onset[iri] = table.onset[r]
            if table.sex[r]:
                sex[iri] = _SEX_NAMES[int(table.sex[r])]
            if table.aspect[r] not in aspects:
                other.setdefault(ti, []).append(iri)
            elif table.negated[r]:
                negated.setdefault(ti, []).append(iri)
            elif f == 0.0:  # "0/100": seen in none of the patients, evidence of absence
                unseen.setdefault(ti, []).append(iri)
            else:
                positive.setdefault(ti, []).append(iri)
        return cls(kg, disease, True, positive, negated, other, frequency, onset, sex, unseen)

    @property
    def hierarchy(self) -> TermHierarchy:
        return self.kg.hierarchy

    def ancestors(self, i: int) -> frozenset[int]:
        """Term ``i`` and its ancestors (cached)."""
        got = self._ancestors.get(i)
        if got is None:
            got = self._ancestors[i] = frozenset(ancestor_indices(self.hierarchy, i).tolist())
        return got

    def is_ancestor(self, ancestor: int, term: int) -> bool:
        """Whether ``ancestor`` is ``term`` or one of its ancestors."""
        return ancestor in self.ancestors(term)

    def facts(self, iris: Iterable[str]) -> list[CitedFact]:
        """The annotations as cited facts, read from the store (each once).

        Raises:
            ValueError: an annotation of the table is not in the store (a stale table).
        """
        if self._facts is None:
            self._facts = {}
        out = []
        for iri in iris:
            fact = self._facts.get(iri)
            if fact is None:
                fact = describe_statement(self.kg, iri)
                if fact is None:
                    raise ValueError(f"annotation {iri} of the derived table is not in the store")
                self._facts[iri] = fact
            out.append(fact)
        return out

    def best_frequency(self, iris: Iterable[str]) -> float | None:
        values = [f for f in (self.frequency.get(i) for i in iris) if f is not None]
        return max(values) if values else None

    def below(self, i: int) -> list[int]:
        """Positively annotated terms at or below term ``i``, in annotation order."""
        index = self._positive_below
        if index is None:  # each ancestor of an annotated term -> the annotated terms under it
            index = {}
            for a in self.positive:
                for t in ancestor_indices(self.hierarchy, a).tolist():
                    index.setdefault(t, []).append(a)
            self._positive_below = index
        return index.get(i, [])

    def match(self, i: int, min_depth: int) -> Match | None:
        """Best positive match of term ``i``: exact, then implied, then broader (shortest)."""
        h = self.hierarchy
        if i in self.positive:
            return Match("exact", i, [i], list(self.positive[i]))
        implied = [a for a in self.below(i) if a != i]
        if implied:
            paths = [is_a_path_indices(h, a, i) for a in implied]
            path = min(paths, key=lambda p: (len(p), h.terms[p[0]]))
            return Match("implied", path[0], path, list(self.positive[path[0]]))
        return self.broader(i, min_depth)

    def broader(self, i: int, min_depth: int) -> Match | None:
        """The nearest positive annotation strictly above term ``i``, at ``min_depth`` or
        deeper (a ``broader`` match), whatever is annotated at or below ``i``."""
        h = self.hierarchy
        ancestors = self.ancestors(i)
        depth = _depths(self.kg)
        broader = [a for a in ancestors if a != i and a in self.positive and depth[a] >= min_depth]
        if broader:
            paths = [is_a_path_indices(h, i, a) for a in broader]
            path = min(paths, key=lambda p: (len(p), h.terms[p[-1]]))
            return Match("broader", path[-1], path, list(self.positive[path[-1]]))
        return None

    def unseen_rows(self, i: int) -> list[str]:
        """The 0/N annotations at or above term ``i`` of a term with no positive one (the
        disease's patients showed none of it), nearest first."""
        above = [a for a in self.unseen if a not in self.positive and self.is_ancestor(a, i)]
        h = self.hierarchy
        above.sort(key=lambda a: (len(is_a_path_indices(h, i, a)), h.terms[a]))
        return [r for a in above for r in self.unseen[a]]

    def negation(self, i: int) -> Match | None:
        """The NOT annotation at or above term ``i`` (the disease lacks the term), if any."""
        h = self.hierarchy
        above = [a for a in self.negated if self.is_ancestor(a, i)]
        if not above:
            return None
        paths = [is_a_path_indices(h, i, a) for a in above]
        path = min(paths, key=lambda p: (len(p), h.terms[p[-1]]))
        return Match("negated", path[-1], path, list(self.negated[path[-1]]))


def _depths(kg: KnowledgeGraph) -> np.ndarray:
    cache = kg_cache(kg)
    got = cache.get("phenotype.depth")
    if got is None:
        got = cache["phenotype.depth"] = kg.hierarchy.depth()
    return got


def _term_index(kg: KnowledgeGraph, term: str) -> tuple[int | None, str | None]:
    """Hierarchy index of a patient term (obsolete and alternative ids replaced)."""
    try:
        h = kg.hierarchy
    except OSError:
        return None, None
    iri = h.resolve(term)
    if iri is None:
        return None, None
    return h.index(iri), iri


# ---- wording -----------------------------------------------------------------------------------
def describe_frequency(kg: KnowledgeGraph, fact: CitedFact) -> str:
    """A cited annotation's frequency as a person reads it: ``124/197 (63%)``, ``Very frequent``."""
    if fact.frequency_text:
        if fact.frequency is not None and "%" not in fact.frequency_text:
            return f"{fact.frequency_text} ({frequency_percent(fact.frequency)})"
        return fact.frequency_text
    if fact.frequency_term:
        return label_of(kg, fact.frequency_term) or compress(fact.frequency_term)
    if fact.frequency is not None:
        return frequency_percent(fact.frequency)
    return "frequency not stated"


def describe_fact(kg: KnowledgeGraph, fact: CitedFact) -> str:
    """``frequency [references; evidence]`` of one cited annotation."""
    refs = ", ".join(compress(s) for s in fact.sources) or "no reference"
    extras = [refs]
    if fact.evidence:
        extras.append(f"evidence {fact.evidence}")
    if fact.sex:
        extras.append(f"{fact.sex.lower()} only")
    if fact.onset:
        extras.append(label_of(kg, fact.onset) or compress(fact.onset))
    return f"{describe_frequency(kg, fact)} [{'; '.join(extras)}]"


def format_probability(p: float) -> str:
    """A probability as a percentage with enough digits to tell it from 0 and 1."""
    if not 0.0 < p < 1.0:
        return f"{p:.0%}"
    tail = min(p, 1.0 - p)
    digits = max(1, min(12, math.ceil(-math.log10(tail)) - 1))
    return f"{100 * p:.{digits}f}%"


def _signed(log10: float) -> str:
    """A log10 figure with its sign and two decimals: zero (``-0.0`` too) is ``+0.00``; a
    small negative one keeps its sign (``-0.00``: a likelihood ratio just below 1)."""
    return "+0.00" if log10 == 0.0 else f"{log10:+.2f}"


#: Fewest patients a counted frequency ("3/4") must rest on for a feature to be called a
#: hallmark: 1/1 or 2/2 is one or two patients, not what defines a disease.
MIN_HALLMARK_PATIENTS = 3


def _counted_in_few(facts: Sequence[CitedFact]) -> bool:
    """Every fact's frequency is a count over fewer than :data:`MIN_HALLMARK_PATIENTS`
    patients (a frequency class or a percentage is no count)."""
    counts = [stated_count(f.frequency_text or "") for f in facts]
    return bool(counts) and all(c is not None and c[1] < MIN_HALLMARK_PATIENTS for c in counts)


def _describe_facts(kg: KnowledgeGraph, facts: Sequence[CitedFact]) -> str:
    return "; ".join(describe_fact(kg, f) for f in facts)


def _path_text(kg: KnowledgeGraph, path: Sequence[str]) -> str:
    return " is_a ".join(label_of(kg, t) or compress(t) for t in path)


def _finding(rule: _PythonRule, decision: CandidateCheck, **kwargs: Any) -> Finding:
    kwargs.setdefault("kind", rule.kind)
    kwargs.setdefault("severity", rule.severity)
    return Finding(rule_id=rule.id, rule_version=rule.version, disease=decision.disease, **kwargs)


# ---- rules ---------------------------------------------------------------------------------------
@dataclass
class _PythonRule:
    """Shared fields of the Python rules (see :class:`kg.rules.engine.Rule`)."""

    config: PhenotypeRuleConfig = field(default_factory=PhenotypeRuleConfig)
    id: str = ""
    version: str = "1"
    description: str = ""
    severity: str = "info"
    kind: str = "supported"

    def profile(self, kg: KnowledgeGraph, decision: CandidateCheck) -> DiseaseProfile:
        return DiseaseProfile.of(kg, decision.disease, self.config.aspects)

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        raise NotImplementedError


@dataclass
class SupportedRule(_PythonRule):
    """Present findings that match an annotation of the disease, with the is_a path."""

    id: str = "hpo.supported"
    version: str = "2"  # 2: no support from 0/N annotations, none under a NOT; 0.4%
    description: str = (
        "A present finding matches an annotation of the disease exactly or through is_a."
    )
    severity: str = "info"
    kind: str = "supported"

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        profile = self.profile(kg, decision)
        h = kg.hierarchy
        out: list[Finding] = []
        for term in decision.present:
            i, _ = _term_index(kg, term)
            if i is None:
                continue
            if profile.negation(i) is not None:
                continue  # the disease is annotated NOT to have it: the NOT rule's finding
            m = profile.match(i, self.config.min_depth)
            if m is None:
                continue
            facts = profile.facts(m.rows)
            path = [h.terms[j] for j in m.path]
            what, ann = display(kg, h.terms[i]), display(kg, h.terms[m.annotated])
            if h.terms[i] != term:
                what += f" (given as {compress(term)})"
            dis = display(kg, decision.disease)
            if m.kind == "exact":
                message = f"{what} is annotated for {dis}: {_describe_facts(kg, facts)}"
            elif m.kind == "implied":
                message = (
                    f"{what} is implied by the annotation {ann} of {dis} "
                    f"({_path_text(kg, path)}): {_describe_facts(kg, facts)}"
                )
            else:
                message = (
                    f"{what} is a kind of {ann}, annotated for {dis} "
                    f"({_path_text(kg, path)}): {_describe_facts(kg, facts)}"
                )
            out.append(
                _finding(
                    self,
                    decision,
                    status="pass",
                    message=message,
                    patient_term=term,
                    path=path if len(path) > 1 else [],
                    cites=[*facts, *path_edges(path)],
                    data={
                        "match": m.kind,
                        "annotated": h.terms[m.annotated],
                        "frequency": profile.best_frequency(m.rows),
                    },
                )
            )
        return out


@dataclass
class UnexplainedRule(_PythonRule):
    """Present findings that no annotation of the disease accounts for."""

    id: str = "hpo.unexplained"
    version: str = "2"  # 2: a finding annotated only 0/N is unexplained
    description: str = "A present finding has no matching annotation of the disease."
    severity: str = "warning"
    kind: str = "unexplained"

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        profile = self.profile(kg, decision)
        dis = display(kg, decision.disease)
        out: list[Finding] = []
        for term in decision.present:
            i, _ = _term_index(kg, term)
            if i is None:
                out.append(
                    _finding(
                        self,
                        decision,
                        status="warn",
                        message=f"{compress(term)} is not a current term of the KG",
                        patient_term=term,
                    )
                )
                continue
            if profile.match(i, self.config.min_depth) is not None:
                continue
            if profile.negation(i) is not None:
                continue  # a contradiction, reported by the NOT rule
            out.append(
                _finding(
                    self,
                    decision,
                    status="warn",
                    message=f"{display(kg, term)} is not explained by {dis}: "
                    "no annotation of the disease matches it or a related term",
                    patient_term=term,
                )
            )
        return out


@dataclass
class ExcludedFeatureRule(_PythonRule):
    """Excluded findings the disease usually has (and those it is known to lack)."""

    id: str = "hpo.excluded-frequent"
    # 2: frequencies near 0% and 100% with decimals; 3: a count over fewer than 3 patients
    # (1/1) is frequent, no hallmark (a warning, not a fail)
    version: str = "3"
    description: str = (
        "An excluded finding is obligate or very frequent (fail) or frequent (warn) in the "
        "disease; absence matching a NOT annotation passes."
    )
    severity: str = "critical"
    kind: str = "contradicted"

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        profile = self.profile(kg, decision)
        h = kg.hierarchy
        dis = display(kg, decision.disease)
        cfg = self.config
        out: list[Finding] = []
        for term in decision.excluded:
            i, _ = _term_index(kg, term)
            if i is None:
                continue
            what = display(kg, h.terms[i])
            neg = profile.negation(i)
            if neg is not None:
                path = [h.terms[j] for j in neg.path]
                out.append(
                    _finding(
                        self,
                        decision,
                        kind="supported",
                        severity="info",
                        status="pass",
                        message=f"{what} is stated absent, as {dis} is annotated NOT to have "
                        f"{display(kg, h.terms[neg.annotated])}",
                        patient_term=term,
                        path=path if len(path) > 1 else [],
                        cites=[*profile.facts(neg.rows), *path_edges(path)],
                        data={"match": "negated", "annotated": h.terms[neg.annotated]},
                    )
                )
                continue
            # the patient lacks the term, hence every more specific one
            best: tuple[float, int] | None = None
            for a in profile.below(i):
                f = profile.best_frequency(profile.positive[a])
                if f is not None and (best is None or f > best[0]):
                    best = (f, a)
            if best is None or best[0] < cfg.frequent_frequency:
                continue
            f, a = best
            rows = [r for r in profile.positive[a] if profile.frequency.get(r) == f]
            path = [h.terms[j] for j in is_a_path_indices(h, a, i)]
            facts = profile.facts(rows)
            hallmark = f >= cfg.hallmark_frequency and not _counted_in_few(facts)
            ann = what if a == i else f"{display(kg, h.terms[a])} ({_path_text(kg, path)})"
            message = (
                f"{what} is stated absent, but {dis} has {ann} "
                f"{'as a hallmark' if hallmark else 'frequently'}: {_describe_facts(kg, facts)}"
            )
            out.append(
                _finding(
                    self,
                    decision,
                    status="fail" if hallmark else "warn",
                    severity="critical" if hallmark else "warning",
                    message=message,
                    patient_term=term,
                    path=path if len(path) > 1 else [],
                    cites=[*facts, *path_edges(path)],
                    data={"frequency": f, "annotated": h.terms[a]},
                )
            )
        return out


@dataclass
class MissingHallmarkRule(_PythonRule):
    """Very frequent features of the disease that the patient lacks or did not report."""

    id: str = "hpo.missing-hallmark"
    # 2: frequencies near 0% and 100% with decimals; 3: a count over fewer than 3 patients
    # (1/1, 2/2) is no hallmark
    version: str = "3"
    description: str = "A very frequent or obligate feature of the disease is not reported."
    severity: str = "warning"
    kind: str = "missing_hallmark"

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        profile = self.profile(kg, decision)
        h = kg.hierarchy
        depth = _depths(kg)
        present = [i for i, _ in (_term_index(kg, t) for t in decision.present) if i is not None]
        excluded = {i for i, _ in (_term_index(kg, t) for t in decision.excluded) if i is not None}
        # a hallmark is reported when the patient has it or a more specific term (the hallmark
        # is among the ancestors of a present term), or a broader term deep enough to count
        at_or_above_present = set().union(*(profile.ancestors(p) for p in present))
        deep_present = {p for p in present if depth[p] >= self.config.min_depth}
        dis = display(kg, decision.disease)
        out: list[Finding] = []
        for a, rows in sorted(profile.positive.items(), key=lambda kv: h.terms[kv[0]]):
            f = profile.best_frequency(rows)
            if f is None or f < self.config.hallmark_frequency:
                continue
            above = profile.ancestors(a)
            reported = a in at_or_above_present or not above.isdisjoint(deep_present)
            if reported or not above.isdisjoint(excluded):
                continue  # excluded hallmarks are the excluded-feature rule's
            hallmark_rows = [r for r in rows if profile.frequency.get(r) == f]
            facts = profile.facts(hallmark_rows)
            if _counted_in_few(facts):
                continue  # "1/1": one patient's feature is no hallmark
            out.append(
                _finding(
                    self,
                    decision,
                    status="warn",
                    message=f"{display(kg, h.terms[a])}, a hallmark of {dis} "
                    f"({_describe_facts(kg, facts)}), is not reported",
                    patient_term=None,
                    cites=facts,
                    data={"hallmark": h.terms[a], "frequency": f},
                )
            )
        return out


@dataclass
class SexSpecificRule(_PythonRule):
    """Present findings the disease has only in patients of the other sex."""

    id: str = "hpo.sex-specific"
    version: str = "2"  # 2: 0/N annotations explain nothing; 0.4%
    description: str = (
        "A present finding matches only annotations of the disease that are restricted to the "
        "other sex."
    )
    severity: str = "warning"
    kind: str = "demographics"

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        if decision.sex is None:
            return []
        profile = self.profile(kg, decision)
        h = kg.hierarchy
        dis = display(kg, decision.disease)
        out: list[Finding] = []
        for term in decision.present:
            i, _ = _term_index(kg, term)
            if i is None:
                continue
            # the annotations that explain the term: on it or below it, else the broader match
            below = profile.below(i)
            if below:
                rows = [r for a in below for r in profile.positive[a]]
            else:
                m = profile.match(i, self.config.min_depth)
                rows = m.rows if m is not None else []
            sexes = {profile.sex.get(r) for r in rows}
            if not rows or None in sexes or decision.sex in sexes:
                continue
            path: list[str] = []
            if len(below) == 1 and below[0] != i:
                path = [h.terms[j] for j in is_a_path_indices(h, below[0], i)]
            facts = profile.facts(rows)
            only = " or ".join(sorted(s.lower() for s in sexes if s))
            out.append(
                _finding(
                    self,
                    decision,
                    status="warn",
                    message=f"{display(kg, term)} is annotated for {dis} only in {only} "
                    f"patients ({_describe_facts(kg, facts)}), but the patient is "
                    f"{decision.sex.lower()}",
                    patient_term=term,
                    path=path,
                    cites=[*facts, *path_edges(path)],
                    data={"annotated_sex": sorted(s for s in sexes if s)},
                )
            )
        return out


def _onset_range(kg: KnowledgeGraph, onset: str) -> tuple[str, tuple[float, float | None]] | None:
    """The onset class of ``ONSET_YEARS`` that is ``onset`` or its nearest ancestor."""
    if onset in ONSET_YEARS:
        return onset, ONSET_YEARS[onset]
    i, _ = _term_index(kg, onset)
    if i is None:
        return None
    h = kg.hierarchy
    for j in ancestor_indices(h, i)[::-1]:
        t = h.terms[int(j)]
        if t in ONSET_YEARS:
            return t, ONSET_YEARS[t]
    return None


def _years(value: float) -> str:
    return f"{value:g} y" if value >= 1 else f"{value * 12:.0f} months"


def _range_text(lo: float, hi: float | None) -> str:
    if hi is None:
        return f"{_years(lo)} or later"
    if hi == 0.0:
        return "before or at birth"
    return f"{_years(lo)} to {_years(hi)}"


def _annotated_onsets(kg: KnowledgeGraph, profile: DiseaseProfile) -> list[tuple[str, str]]:
    """(annotation, onset class) of a disease's annotations (any aspect) whose term is an onset
    class (under *Onset*, HP:0003674)."""
    h = kg.hierarchy
    return [
        (r, h.terms[a])
        for group in (profile.other, profile.positive)
        for a, rows in group.items()
        if is_onset_class(h, h.terms[a])
        for r in rows
    ]


@dataclass
class OnsetRule(_PythonRule):
    """Age of onset of the disease (and of matched findings) against the patient's age."""

    id: str = "hpo.onset-age"
    version: str = "2"  # 2: 0/N annotations match nothing; 0.4%
    description: str = "The disease's onset is later than the patient's age."
    severity: str = "warning"
    kind: str = "demographics"

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        if decision.age_years is None:
            return []
        age = decision.age_years
        profile = self.profile(kg, decision)
        dis = display(kg, decision.disease)
        out: list[Finding] = []
        # disease-level onset: annotations (any aspect) whose term is an onset class
        onsets: list[tuple[str, str, float, float | None]] = []  # row, class, range
        for r, onset in _annotated_onsets(kg, profile):
            rng = _onset_range(kg, onset)
            if rng is not None:
                onsets.append((r, onset, *rng[1]))
        if onsets:
            earliest = min(lo for _, _, lo, _ in onsets)
            compatible = [o for o in onsets if o[2] <= age]
            chosen = compatible or [o for o in onsets if o[2] == earliest]
            facts = profile.facts(o[0] for o in chosen)
            labels = ", ".join(
                f"{display(kg, cls)}: {_range_text(lo, hi)}" for _, cls, lo, hi in chosen
            )
            ok = bool(compatible)
            relation = "is compatible with" if ok else "is later than"
            out.append(
                _finding(
                    self,
                    decision,
                    status="pass" if ok else "warn",
                    message=f"onset of {dis} ({labels}) {relation} the patient's age, "
                    f"{_years(age)}",
                    cites=facts,
                    data={"age_years": age, "earliest_onset_years": earliest},
                )
            )
        # finding-level onset: matched annotations all stating a later onset
        for term in decision.present:
            i, _ = _term_index(kg, term)
            if i is None:
                continue
            m = profile.match(i, self.config.min_depth)
            if m is None:
                continue
            ranges = [(r, _onset_range(kg, profile.onset[r])) for r in m.rows if r in profile.onset]
            if not ranges or len(ranges) < len(m.rows):
                continue  # some annotation states no onset: nothing to contradict
            if all(rng is not None and rng[1][0] > age for _, rng in ranges):
                facts = profile.facts(r for r, _ in ranges)
                out.append(
                    _finding(
                        self,
                        decision,
                        status="warn",
                        message=f"{display(kg, term)} usually starts later in {dis} "
                        f"({_describe_facts(kg, facts)}) than the patient's age, {_years(age)}",
                        patient_term=term,
                        cites=facts,
                        data={"age_years": age},
                    )
                )
        return out


@dataclass
class OnsetClassRule(_PythonRule):
    """The stated onset class of the disease against the onsets annotated on the disease
    (the likelihood-ratio prior weighs the same comparison)."""

    id: str = "hpo.onset-class"
    version: str = "1"
    description: str = "The stated onset is none of the onsets annotated on the disease."
    severity: str = "warning"
    kind: str = "demographics"

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        if decision.onset is None:
            return []
        i, stated = _term_index(kg, decision.onset)
        h = kg.hierarchy
        if i is None or stated is None or not is_onset_class(h, stated):
            return []
        related = related_onsets(h, stated)
        profile = self.profile(kg, decision)
        annotated = _annotated_onsets(kg, profile)
        if not annotated:
            return []  # no onset known for the disease: nothing to compare
        matching = [(r, c) for r, c in annotated if c in related]
        chosen = matching or annotated
        labels = ", ".join(sorted({display(kg, c) for _, c in chosen}))
        relation = "matches" if matching else "is none of"
        return [
            _finding(
                self,
                decision,
                status="pass" if matching else "warn",
                message=f"the stated onset, {display(kg, stated)}, {relation} the onsets "
                f"annotated on {display(kg, decision.disease)} ({labels})",
                cites=profile.facts(r for r, _ in chosen),
                data={"onset": stated},
            )
        ]


_MATCH_WORDS = {
    MatchKind.UNEXPLAINED: "unexplained",
    MatchKind.EXACT_OR_IMPLIED: "exact or implied match",
    MatchKind.PARTIAL: "partial match (the disease is annotated with a broader term)",
    MatchKind.CONTRADICTED: "contradicted by a NOT annotation",
    MatchKind.EXCLUDED_EXPECTED: "excluded, but the disease may show it",
    MatchKind.EXCLUDED_ABSENT: "excluded, and the disease does not show it",
    MatchKind.IMPUTED: (
        "not annotated, credited because its entries in other sources or the diseases most "
        "like it show it"
    ),
}


@dataclass
class LikelihoodRule(_PythonRule):
    """Each finding's likelihood ratio for the disease, and the post-test probability.

    Built with ``likelihood`` (:meth:`of_model`, e.g. a diagnoser's prior), the rule scores
    with that model, its settings, candidates and neighbours, and weighs the decision's
    onset as the model does, so its figures and its rank are the ranking's own. Without it,
    the rule builds a model of the KG from ``config.likelihood`` and ignores the onset
    (the ``hpo.onset-class`` rule compares it).
    """

    id: str = "hpo.likelihood"
    # 3: a given model (the ranking's prior), its onset; cites by match. 4: findings stated
    # absent that the model does not weigh are named in the summary, not one finding each.
    # 5: the summary says its post-test probability is the likelihood ratios' alone, from a
    # pre-test probability every disease shares, not the ranking's probability
    version: str = "5"
    description: str = (
        "LIRICAL-style likelihood ratio of each finding (frequency in the disease against the "
        "background over all diseases) and the post-test probability."
    )
    severity: str = "info"
    kind: str = "likelihood"
    likelihood: PhenotypeLikelihood | None = field(default=None, repr=False, compare=False)
    _index: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def of_model(
        cls, likelihood: PhenotypeLikelihood, config: PhenotypeRuleConfig | None = None
    ) -> LikelihoodRule:
        """The rule on a given likelihood model (its ``config`` replaces
        ``config.likelihood``)."""
        base = config or PhenotypeRuleConfig()
        return cls(replace(base, likelihood=likelihood.config), likelihood=likelihood)

    @property
    def digest(self) -> str:
        """sha256 of the settings that shape the rule's figures (for
        :attr:`kg.rules.engine.RuleSet.fingerprint`)."""
        text = json.dumps(
            {
                "likelihood": self.config.likelihood.to_dict(),
                "aspects": list(self.config.aspects),
                "given_model": self.likelihood is not None,
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def model(self, kg: KnowledgeGraph) -> tuple[PhenotypeLikelihood, dict[str, int]]:
        """The likelihood model and its disease index: the given one, else the KG's (built
        once per opened KG)."""
        if self.likelihood is not None:
            if self._index is None:
                self._index = {d: i for i, d in enumerate(self.likelihood.diseases)}
            return self.likelihood, self._index
        cache = kg_cache(kg)
        key = ("phenotype.likelihood", self.config.likelihood, self.config.aspects)
        got = cache.get(key)
        if got is None:
            model = PhenotypeLikelihood.from_kg(
                kg.hierarchy,
                kg.annotations,
                aspects=self.config.aspects,
                config=self.config.likelihood,
            )
            got = cache[key] = (model, {d: i for i, d in enumerate(model.diseases)})
        return got

    def _onset(self, kg: KnowledgeGraph, decision: CandidateCheck) -> str | None:
        """The onset the model weighs: the decision's, when the rule has a given model and
        it is an onset class of the KG."""
        if self.likelihood is None or decision.onset is None:
            return None
        iri = kg.hierarchy.resolve(decision.onset)
        return iri if iri is not None and is_onset_class(kg.hierarchy, iri) else None

    def _score(
        self,
        kg: KnowledgeGraph,
        model: PhenotypeLikelihood,
        decision: CandidateCheck,
        known: ScoreResult | None = None,
    ) -> ScoreResult:
        """Scores of the patient against every disease, shared by the candidates checked for
        the same patient (the two most recent patients are kept, so a benchmark repeating
        the same notes measures the scoring, not a cache); ``known``, when given, is what
        that scoring gives (:meth:`remember`)."""
        onset = self._onset(kg, decision)
        return kg_memo(  # the current patient (and a concurrent one), no more
            kg,
            ("phenotype.scores", id(model)),
            (decision.present, decision.excluded, onset),
            (lambda: known)
            if known is not None
            else lambda: model.score(decision.present, decision.excluded, onset=onset),
            2,
        )

    def remember(
        self,
        kg: KnowledgeGraph,
        decision: CandidateCheck,
        scores: ScoreResult,
        made_by: PhenotypeLikelihood,
    ) -> bool:
        """Keep ``scores``, the scores of the decision's patient that ``made_by`` computed
        already (a diagnoser's prior), so that checking its candidates does not score the
        patient again (~8 ms for a phenopacket with 60 findings). Kept only when they are
        the very scores :meth:`check` would compute: ``made_by`` is this rule's given model,
        and the findings (in their order) and the onset are the decision's. Returns whether
        kept."""
        if self.likelihood is None or made_by is not self.likelihood:
            return False
        findings = [*decision.present, *decision.excluded]
        excluded = [False] * len(decision.present) + [True] * len(decision.excluded)
        if (
            list(scores.findings) != findings
            or scores.excluded.tolist() != excluded
            or scores.skipped
            or scores.resolved
            or scores.onset != self._onset(kg, decision)
        ):
            return False
        self._score(kg, self.likelihood, decision, known=scores)
        return True

    @staticmethod
    def _cited_match(
        profile: DiseaseProfile, i: int, excluded: bool, kind: MatchKind
    ) -> Match | None:
        """The annotation that accounts for the model's match kind of a finding: a NOT
        annotation for an excluded or contradicted one, an exact or implied one, a broader
        one for partial credit; none for an unexplained or imputed finding (the prior's
        imputed findings are traced apart, :func:`imputed_findings`)."""
        if excluded or kind == MatchKind.CONTRADICTED:
            return profile.negation(i)
        if kind == MatchKind.EXACT_OR_IMPLIED:
            m = profile.match(i, 0)
            return m if m is not None and m.kind in ("exact", "implied") else None
        if kind == MatchKind.PARTIAL:  # credit from an annotated strict ancestor
            return profile.broader(i, 0)
        return None

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        model, index = self.model(kg)
        d = index.get(decision.disease)
        if d is None:
            raise UnknownTermError(
                compress(decision.disease), (compress(x) for x in model.diseases)
            )
        res = self._score(kg, model, decision)
        profile = self.profile(kg, decision)
        h = kg.hierarchy
        out: list[Finding] = []
        inputs = {h.resolve(t): t for t in (*decision.present, *decision.excluded)}
        # findings stated absent that the model gives no weight: one line in the summary
        # rather than one finding each that says "likelihood ratio 1"
        weighs_excluded = model.config.excluded_weight > 0.0
        unweighed = [
            inputs.get(term, term)
            for term, excluded in zip(res.findings, res.excluded, strict=True)
            if excluded and not weighs_excluded
        ]
        for j, term in enumerate(res.findings):
            if res.excluded[j] and not weighs_excluded:
                continue
            c = float(res.contributions[d, j])
            kind = MatchKind(int(res.match[d, j]))
            i = h.index(term)
            m = self._cited_match(profile, i, bool(res.excluded[j]), kind)
            words = _MATCH_WORDS[kind]
            if m is not None:
                facts = profile.facts(m.rows)
            elif kind == MatchKind.EXCLUDED_EXPECTED:  # the annotations at or below the term
                below = profile.below(i)
                facts = profile.facts(r for a in below for r in profile.positive[a])
                if not facts:
                    words = "excluded; only the diseases most like it show it (imputed)"
            elif kind in (MatchKind.UNEXPLAINED, MatchKind.EXCLUDED_ABSENT) and (
                unseen := profile.unseen_rows(i)
            ):
                facts = profile.facts(unseen)
                words += ": seen in none of the disease's patients (0/N)"
            else:
                facts = []
            path = [h.terms[k] for k in m.path] if m is not None and len(m.path) > 1 else []
            sign = "stated absent" if res.excluded[j] else "present"
            out.append(
                _finding(
                    self,
                    decision,
                    status="pass" if c >= 0 else "warn",
                    message=f"{display(kg, term)} ({sign}): likelihood ratio {10**c:.3g} "
                    f"(log10 {_signed(c)}), {words}",
                    patient_term=inputs.get(term, term),
                    path=path,
                    cites=[*facts, *path_edges(path)],
                    data={
                        "log10_lr": c,
                        "match": kind.name.lower(),
                        "excluded": bool(res.excluded[j]),
                    },
                )
            )
        total = float(res.total[d])
        post = float(res.posttest[d])
        pre = float(res.pretest[d])
        rank = int(np.sum(res.total > total)) + 1
        onset = float(res.onset_contribution[d]) if res.onset_contribution is not None else 0.0
        breadth = (
            float(res.breadth_contribution[d]) if res.breadth_contribution is not None else 0.0
        )
        parts = []
        if res.onset is not None:
            parts.append(f"the onset {display(kg, res.onset)} log10 {_signed(onset)}")
        if breadth:
            parts.append(f"the breadth prior log10 {_signed(breadth)}")
        within = f" (with {' and '.join(parts)})" if parts else ""
        absent = ""
        if unweighed:
            many = "s" if len(unweighed) > 1 else ""
            absent = (
                f"; {len(unweighed)} finding{many} stated absent, not weighed (the prior "
                "leaves excluded findings out)"
            )
        out.append(
            _finding(
                self,
                decision,
                status="pass" if total >= 0 else "warn",
                message=f"{display(kg, decision.disease)}: combined likelihood ratio "
                f"10^{total:.2f}{within}, post-test probability {format_probability(post)} "
                f"by likelihood ratios alone (pre-test {format_probability(pre)}, the same for "
                "every disease: not the ranking's probability); "
                f"rank {rank} of {len(res.diseases)} diseases by likelihood ratio{absent}",
                data={
                    "not_weighed": unweighed,
                    "log10_lr": total,
                    "pretest": pre,
                    "posttest": post,
                    "rank": rank,
                    "num_diseases": len(res.diseases),
                    "skipped": list(res.skipped),
                    "onset": res.onset,
                    "onset_log10_lr": onset,
                    "breadth_log10_lr": breadth,
                },
            )
        )
        return out


@dataclass
class PresentExcludedRule(_PythonRule):
    """A term stated both present and absent, directly or through is_a."""

    id: str = "generic.present-and-excluded"
    version: str = "1"
    description: str = (
        "A term is stated both present and absent (or a present term is a kind of an absent one)."
    )
    severity: str = "critical"
    kind: str = "contradicted"

    def check(self, kg: KnowledgeGraph, decision: CandidateCheck) -> list[Finding]:
        out: list[Finding] = []
        if not decision.present or not decision.excluded:
            return out
        # each excluded term resolved once; a present term then meets the excluded terms
        # among its ancestors through one set lookup per ancestor
        position = {e: k for k, e in enumerate(decision.excluded)}
        resolved = [_term_index(kg, e)[0] for e in decision.excluded]
        by_index: dict[int, list[int]] = {}
        for k, ie in enumerate(resolved):
            if ie is not None:
                by_index.setdefault(ie, []).append(k)
        for p in decision.present:
            ip, _ = _term_index(kg, p)
            hits = set()
            if p in position:
                hits.add(position[p])
            if ip is not None and by_index:
                for a in ancestor_indices(kg.hierarchy, ip).tolist():
                    hits.update(by_index.get(a, ()))
            for k in sorted(hits):
                e, ie = decision.excluded[k], resolved[k]
                path: list[str] = []
                if p == e or ip is None or ie is None:
                    message = f"{display(kg, p)} is stated both present and absent"
                else:
                    h = kg.hierarchy
                    path = [h.terms[x] for x in is_a_path_indices(h, ip, ie)]
                    message = (
                        f"{display(kg, p)} is stated present, but it is a kind of "
                        f"{display(kg, e)}, stated absent ({_path_text(kg, path)})"
                    )
                out.append(
                    _finding(
                        self,
                        decision,
                        status="fail",
                        message=message,
                        patient_term=p,
                        path=path if len(path) > 1 else [],
                        cites=path_edges(path),
                        data={"excluded": e},
                    )
                )
        return out


#: The id of the findings that trace the prior's imputed credit (:func:`imputed_findings`).
IMPUTED_RULE_ID = "prior.imputed"


def imputed_findings(
    kg: KnowledgeGraph,
    disease: str,
    imputed: Sequence[tuple[str, float, Sequence[tuple[str, float]]]],
    aspects: Sequence[str] = ("P",),
    *,
    unexplained_log10_lr: float | None = None,
) -> list[Finding]:
    """Findings that trace the credit the symbolic prior gave a disease for findings it is
    not annotated with, because its counterparts in other sources or the diseases most like
    it are (:attr:`kg.rules.likelihood.MatchKind.IMPUTED`): one per finding, citing those
    entries' annotations of it.

    Args:
        kg: the KG.
        disease: IRI of the candidate.
        imputed: ``(finding IRI, its log10 likelihood ratio for the disease, [(counterpart
            or neighbour IRI, profile similarity), ...])`` as the prior gave them.
        aspects: annotation aspects read as phenotypes.
        unexplained_log10_lr: what the prior gives a finding it cannot explain (log10 of its
            false-positive rate), to say what the imputation changed.

    The prior's likelihood ratio of an imputed finding is often below 1: it is weighed as
    a feature the disease may show, not as an unexplained one, which is not yet support.
    """
    out = []
    h = kg.hierarchy
    for term, log10_lr, sources in imputed:
        i = h.index(term)
        cites: list[CitedFact] = []
        named = []
        for neighbour, similarity in sources:
            profile = DiseaseProfile.of(kg, neighbour, aspects)
            match = profile.match(i, 0)
            if match is None or match.kind not in ("exact", "implied"):  # not the neighbour's
                continue
            cites.extend(profile.facts(match.rows))
            named.append(f"{display(kg, neighbour)} (similarity {similarity:.2f})")
        instead = (
            ""
            if unexplained_log10_lr is None
            else f" instead of {10**unexplained_log10_lr:.3g} as an unexplained finding"
        )
        message = (
            f"{display(kg, term)} (present): not annotated to {display(kg, disease)}; the "
            f"ranking's prior weighs it with likelihood ratio {10**log10_lr:.3g} (log10 "
            f"{log10_lr:+.2f}){instead}, because its entries in other sources or the "
            "diseases most like it show it" + (f": {', '.join(named)}" if named else "")
        )
        out.append(
            Finding(
                rule_id=IMPUTED_RULE_ID,
                rule_version="1",
                kind="supported",
                status="pass",
                severity="info",
                message=message,
                disease=disease,
                patient_term=term,
                cites=cites,
                data={
                    "log10_lr": log10_lr,
                    "match": "imputed",
                    "from": [{"disease": d, "similarity": sim} for d, sim in sources],
                },
            )
        )
    return out


def python_rules(pack: str, config: PhenotypeRuleConfig | None = None) -> list[Rule]:
    """The Python rules of a packaged pack (``generic`` or ``hpo``), in running order.

    Raises:
        ValueError: an unknown pack (listing the choices).
    """
    config = config or PhenotypeRuleConfig()
    if pack == "generic":
        return [PresentExcludedRule(config)]
    if pack == "hpo":
        return [
            SupportedRule(config),
            UnexplainedRule(config),
            ExcludedFeatureRule(config),
            MissingHallmarkRule(config),
            SexSpecificRule(config),
            OnsetRule(config),
            OnsetClassRule(config),
            LikelihoodRule(config),
        ]
    raise ValueError(f"unknown rule pack {pack!r}; choose among generic, hpo")
