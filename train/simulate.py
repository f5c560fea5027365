"""Simulated patients drawn from the phenotype annotations, and their rendering as clinical text.

A simulated patient of a disease (after Köhler et al. 2009 and Robinson et al. 2020, who
evaluated Phenomizer and LIRICAL the same way):

1. **sex** -- drawn 50/50, unless every sex-specific annotation of the disease names one sex
   and it has no other; annotations specific to the other sex are left out;
2. **age** -- when the disease has onset annotations (clinical-course terms or the onset column
   of its rows): an onset age drawn within one of them, plus an exponential delay to the
   encounter; features whose own onset is later than that age are left out;
3. **present findings** -- each annotated term kept with its frequency (unknown frequency ->
   ``unknown_frequency``); the number of findings is then brought into a range like that of
   published case reports (``min_terms``..``max_terms``, around ``mean_terms``) by
   frequency-weighted subsampling or topping up; only the most specific of related findings
   are kept, as curators record them;
4. **imprecision** -- each finding replaced, with probability ``imprecision_rate``, by an
   ancestor one or two levels up (never above ``min_depth``);
5. **noise** -- a Poisson number of unrelated findings (not ancestors or descendants of the
   disease's terms), drawn by background frequency (how many diseases are annotated with them),
   and a Poisson number of *near misses*: findings close to one of the patient's own but not
   annotated to the disease (a cousin: another descendant of an ancestor one to
   ``near_miss_steps`` levels up), as published patients often have; neither is ever one of
   the disease's ``NOT`` (or 0-frequency) terms or a descendant of one;
6. **excluded findings** -- the disease's ``NOT`` and 0-frequency annotations (each with
   ``not_excluded_rate``), frequent features the patient happens to lack (each with
   ``frequent_excluded_rate``), and a Poisson number of random unrelated findings stated
   absent; never a term implied by a finding drawn in step 3 (kept under the cap or not)
   or presented after imprecision.

Sampling is seeded: :meth:`PatientSimulator.dataset` draws each disease's patients from its own
generator, seeded by ``(seed, disease index)``, so any subset of diseases reproduces.

:func:`render_text` turns a patient into varied clinical prose with the character span of every
rendered finding, so concept-recognition training data is labelled by construction.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from kg.annotations import AnnotationTable
from kg.hierarchy import TermHierarchy
from kg.lexicon import Lexicon
from kg.namespaces import OWL_CLASS, to_iri
from train.phenopacket import HPO_ONSET_AGE_YEARS

logger = logging.getLogger(__name__)

__all__ = [
    "PatientSimulator",
    "PhenotypeNames",
    "SimulatedPatient",
    "SimulationConfig",
    "TermSpan",
    "render_text",
]

_SEX_NAMES = {1: "MALE", 2: "FEMALE"}


@dataclass(frozen=True)
class SimulationConfig:
    """Parameters of :class:`PatientSimulator`.

    Attributes:
        unknown_frequency: frequency of annotations that state none (default: ``0.5``).
        aspects: annotation aspects findings are drawn from (default: ``("P",)``).
        min_terms: fewest present findings when the disease has enough terms
            (default: ``3``).
        max_terms: most present findings (default: ``15``).
        mean_terms: mean of the per-patient cap on findings, ``min_terms + Poisson``
            (default: ``7.0``).
        imprecision_rate: probability of replacing a finding by an ancestor
            (default: ``0.25``).
        max_imprecision_steps: most levels climbed by one replacement (default: ``2``).
        min_depth: replacements never climb to terms shallower than this (root = 0;
            HPO organ-system terms are at depth 2) (default: ``3``).
        noise_mean: mean number of unrelated findings added (default: ``0.7``).
        near_miss_mean: mean number of near-miss findings added, each a cousin of one of
            the patient's findings that is not related to the disease's terms
            (default: ``0.0``).
        near_miss_steps: most levels climbed from a finding to the shared ancestor of a
            near miss (default: ``2``).
        not_excluded_rate: probability of stating each ``NOT`` annotation as excluded
            (default: ``0.5``).
        frequent_threshold: frequency from which a feature counts as frequent
            (default: ``0.5``).
        frequent_excluded_rate: probability of stating each frequent feature the patient
            lacks as excluded (default: ``0.05``).
        random_excluded_mean: mean number of random unrelated findings stated absent
            (default: ``0.7``).
        onset_delay_years: mean of the exponential delay from onset to encounter
            (default: ``3.0``).
    """

    unknown_frequency: float = 0.5
    aspects: tuple[str, ...] = ("P",)
    min_terms: int = 3
    max_terms: int = 15
    mean_terms: float = 7.0
    imprecision_rate: float = 0.25
    max_imprecision_steps: int = 2
    min_depth: int = 3
    noise_mean: float = 0.7
    near_miss_mean: float = 0.0
    near_miss_steps: int = 2
    not_excluded_rate: float = 0.5
    frequent_threshold: float = 0.5
    frequent_excluded_rate: float = 0.05
    random_excluded_mean: float = 0.7
    onset_delay_years: float = 3.0

    def __post_init__(self) -> None:
        rates = {
            "unknown_frequency": self.unknown_frequency,
            "imprecision_rate": self.imprecision_rate,
            "not_excluded_rate": self.not_excluded_rate,
            "frequent_threshold": self.frequent_threshold,
            "frequent_excluded_rate": self.frequent_excluded_rate,
        }
        for name, value in rates.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if not 0 <= self.min_terms <= self.max_terms:
            raise ValueError(
                f"need 0 <= min_terms <= max_terms, got {self.min_terms}, {self.max_terms}"
            )
        if self.near_miss_steps < 1:
            raise ValueError(f"near_miss_steps must be >= 1, got {self.near_miss_steps}")
        for name in (
            "mean_terms",
            "noise_mean",
            "near_miss_mean",
            "random_excluded_mean",
            "onset_delay_years",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class SimulatedPatient:
    """One simulated patient.

    Attributes:
        disease: IRI of the disease simulated.
        present: IRIs of the observed findings.
        excluded: IRIs of the findings stated absent.
        sex: ``"MALE"`` or ``"FEMALE"``.
        age: age at the encounter in years, None when the disease has no onset annotation.
    """

    disease: str
    present: tuple[str, ...]
    excluded: tuple[str, ...]
    sex: str | None
    age: float | None


@dataclass
class _Profile:
    """What sampling needs about one disease (term indices into the hierarchy)."""

    index: int
    terms: np.ndarray
    frequency: np.ndarray
    sex: np.ndarray
    onset: list[tuple[float, float] | None]
    negated: np.ndarray  # NOT and 0-frequency terms
    disease_onsets: list[tuple[float, float]]
    related: set[int] = field(default_factory=set)
    term_set: set[int] = field(default_factory=set)
    negated_set: set[int] = field(default_factory=set)


class PatientSimulator:
    """Draws simulated patients for the annotated diseases of a KG.

    Args:
        hierarchy: the term hierarchy.
        annotations: the annotation table.
        config: sampling parameters (default: :class:`SimulationConfig`).

    Attributes:
        diseases: IRIs of the diseases that can be simulated (those with at least one
            positive annotation of the configured aspects).
    """

    def __init__(
        self,
        hierarchy: TermHierarchy,
        annotations: AnnotationTable,
        config: SimulationConfig | None = None,
    ) -> None:
        self.hierarchy = hierarchy
        self.annotations = annotations
        self.config = config or SimulationConfig()
        cfg = self.config
        index = {t: i for i, t in enumerate(hierarchy.terms)}
        col = np.array([index.get(t, -1) for t in annotations.terms], dtype=np.int64)
        row_term = col[annotations.term] if len(annotations) else np.empty(0, np.int64)
        valid = row_term >= 0
        valid &= ~hierarchy.obsolete[np.where(valid, row_term, 0)]
        aspect = np.asarray(annotations.aspect, dtype=object)
        freq = np.asarray(annotations.frequency, dtype=np.float64)
        freq = np.where(np.isnan(freq), cfg.unknown_frequency, freq)
        self._row_term = row_term
        self._freq = freq
        self._phenotype = valid & np.isin(aspect, list(cfg.aspects))
        self._positive = self._phenotype & ~annotations.negated & (freq > 0)
        # Stated absent in the disease's patients: NOT rows and rows of frequency 0 ("0/1").
        stated_zero = np.asarray(annotations.frequency, dtype=np.float64) == 0
        self._absent = self._phenotype & (annotations.negated | stated_zero)
        onset_col = np.array(
            [HPO_ONSET_AGE_YEARS.get(o, (math.nan, math.nan)) for o in annotations.onset],
            dtype=np.float64,
        ).reshape(-1, 2)
        self._row_onset = onset_col
        # Disease-level onset: clinical-course annotations naming an onset class.
        self._onset_term = np.array(
            [HPO_ONSET_AGE_YEARS.get(t, (math.nan, math.nan)) for t in hierarchy.terms],
            dtype=np.float64,
        ).reshape(-1, 2)
        order = np.argsort(annotations.subject, kind="stable")
        bounds = np.searchsorted(
            annotations.subject[order], np.arange(len(annotations.subjects) + 1)
        )
        self._rows = [order[bounds[i] : bounds[i + 1]] for i in range(len(annotations.subjects))]
        has_positive = np.zeros(len(annotations.subjects), dtype=bool)
        has_positive[annotations.subject[self._positive]] = True
        self._disease_ids = np.flatnonzero(has_positive)
        self.diseases = [annotations.subjects[i] for i in self._disease_ids]
        self._subject_index = {s: i for i, s in enumerate(annotations.subjects)}
        self._depth = hierarchy.depth()
        # Background for noise: how many diseases are annotated with each term directly.
        pos_rows = np.flatnonzero(self._positive)
        pairs = np.unique(
            annotations.subject[pos_rows].astype(np.int64) * len(hierarchy) + row_term[pos_rows]
        )
        counts = np.bincount(pairs % len(hierarchy), minlength=len(hierarchy)).astype(np.float64)
        self._noise_terms = np.flatnonzero(counts)
        self._noise_cdf = np.cumsum(counts[self._noise_terms])
        closure = hierarchy.closure
        self._anc_ptr, self._anc_idx = closure.indptr, closure.indices
        logger.info("patient simulator over %d diseases", len(self.diseases))

    # ---- helpers ------------------------------------------------------------------------
    def _ancestors(self, i: int) -> np.ndarray:
        return self._anc_idx[self._anc_ptr[i] : self._anc_ptr[i + 1]]

    def _profile(self, disease: str) -> _Profile:
        try:
            s = self._subject_index[disease]
        except KeyError:
            s = self._subject_index.get(to_iri(disease), -1)
        if s < 0 or not self._positive[self._rows[s]].any():
            from kg.errors import UnknownTermError

            raise UnknownTermError(disease, self.diseases)
        rows = self._rows[s]
        pos = rows[self._positive[rows]]
        neg_rows = rows[self._absent[rows]]
        onsets: list[tuple[float, float]] = []
        for t in self._row_term[rows]:
            if t >= 0 and not np.isnan(self._onset_term[t, 0]):
                onsets.append((float(self._onset_term[t, 0]), float(self._onset_term[t, 1])))
        row_onsets = self._row_onset[pos]
        profile = _Profile(
            index=s,
            terms=self._row_term[pos],
            frequency=np.minimum(self._freq[pos], 1.0),
            sex=self.annotations.sex[pos],
            onset=[None if np.isnan(o[0]) else (float(o[0]), float(o[1])) for o in row_onsets],
            negated=np.unique(self._row_term[neg_rows]),
            disease_onsets=onsets
            or sorted({(float(o[0]), float(o[1])) for o in row_onsets if not np.isnan(o[0])}),
        )
        related: set[int] = set()
        for t in np.unique(profile.terms):
            related.update(self._ancestors(int(t)).tolist())
        profile.related = related
        profile.term_set = set(profile.terms.tolist())
        profile.negated_set = set(profile.negated.tolist())
        return profile

    def _related_to(self, profile: _Profile, term: int) -> bool:
        """True when ``term`` is an ancestor-or-self or a descendant of a disease term."""
        return self._relation(profile, term) != "unrelated"

    def _relation(self, profile: _Profile, i: int) -> str:
        """:meth:`relation` of term index ``i`` to a disease's profile."""
        if i in profile.term_set:
            return "annotated"
        if not profile.term_set.isdisjoint(self._ancestors(i).tolist()):
            return "more_specific"
        return "less_specific" if i in profile.related else "unrelated"

    def _forbidden(self, profile: _Profile, i: int) -> bool:
        """True when term ``i`` is a ``NOT`` (or 0-frequency) term of the disease or a
        descendant of one: never a finding of its patients."""
        return bool(profile.negated_set) and not profile.negated_set.isdisjoint(
            self._ancestors(i).tolist()
        )

    def _most_specific(self, terms: list[int]) -> list[int]:
        """Drop terms that are ancestors of other terms of the list (order kept)."""
        unique = list(dict.fromkeys(terms))
        implied: set[int] = set()
        for t in unique:
            implied.update(int(a) for a in self._ancestors(t) if a != t)
        return [t for t in unique if t not in implied]

    def _top_up(
        self,
        present: list[int],
        candidates: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
    ) -> list[int]:
        """Add frequency-weighted candidates unrelated to ``present`` up to ``min_terms``."""
        if not len(candidates):
            return present
        # Weighted random order without replacement (Efraimidis & Spirakis 2006).
        keys = rng.random(len(candidates)) ** (1.0 / np.maximum(weights, 1e-12))
        out = list(present)
        covered: set[int] = set()
        for t in out:
            covered.update(self._ancestors(t).tolist())
        for t in candidates[np.argsort(-keys)].tolist():
            if len(out) >= self.config.min_terms:
                break
            ancestors = self._ancestors(t)
            if t in covered or any(a in out for a in ancestors.tolist()):
                continue
            out.append(t)
            covered.update(ancestors.tolist())
        return out

    def _climb(self, term: int, rng: np.random.Generator, max_steps: int) -> int:
        """A random ancestor 1 to ``max_steps`` levels up (never above ``min_depth``)."""
        steps = int(rng.integers(1, max_steps + 1))
        for _ in range(steps):
            parents = self.hierarchy.parents(term)
            parents = parents[self._depth[parents] >= self.config.min_depth]
            if not len(parents):
                break
            term = int(parents[rng.integers(len(parents))])
        return term

    def _unrelated(
        self, profile: _Profile, count: int, rng: np.random.Generator, present: bool = True
    ) -> list[int]:
        """``count`` background-weighted terms unrelated to the disease (best effort); to be
        ``present``, none that is forbidden (:meth:`_forbidden`)."""
        out: list[int] = []
        if count <= 0 or not len(self._noise_terms):
            return out
        for _ in range(8):
            u = rng.random(count * 2) * self._noise_cdf[-1]
            draw = self._noise_terms[np.searchsorted(self._noise_cdf, u, side="right")]
            for t in draw.tolist():
                if (
                    t not in out
                    and not self._related_to(profile, t)
                    and not (present and self._forbidden(profile, t))
                ):
                    out.append(t)
                    if len(out) == count:
                        return out
        return out

    def _near_misses(
        self, profile: _Profile, findings: list[int], count: int, rng: np.random.Generator
    ) -> list[int]:
        """``count`` cousins of random ``findings`` unrelated to the disease (best effort)."""
        out: list[int] = []
        if count <= 0 or not findings:
            return out
        for _ in range(count * 8):
            t = findings[int(rng.integers(len(findings)))]
            t = self._climb(t, rng, self.config.near_miss_steps)
            below = self.hierarchy.descendant_indices(t)
            cousin = int(below[rng.integers(len(below))])
            if (
                cousin not in out
                and not self._related_to(profile, cousin)
                and not self._forbidden(profile, cousin)
            ):
                out.append(cousin)
                if len(out) == count:
                    break
        return out

    # ---- how a finding relates to a disease ------------------------------------------------
    def describe_findings(self, disease: str, terms: Sequence[str]) -> list[tuple[str, int]]:
        """``(relation, shared depth)`` of each finding of a patient of ``disease`` (the
        disease read once): see :meth:`relation` and :meth:`shared_depth`.

        Raises:
            UnknownTermError: ``disease`` has no positive annotation, or a term is unknown.
        """
        profile = self._profile(disease)
        out = []
        for term in terms:
            i = self._term_index(term)
            shared = profile.related.intersection(self._ancestors(i).tolist())
            depth = int(self._depth[list(shared)].max()) if shared else -1
            out.append((self._relation(profile, i), depth))
        return out

    def relation(self, disease: str, term: str) -> str:
        """How a finding relates to a disease's positive annotations: ``"annotated"`` (one of
        them), ``"more_specific"`` (a descendant of one), ``"less_specific"`` (an ancestor of
        one) or ``"unrelated"``.

        Raises:
            UnknownTermError: ``disease`` has no positive annotation, or ``term`` is unknown.
        """
        return self.describe_findings(disease, [term])[0][0]

    def shared_depth(self, disease: str, term: str) -> int:
        """Depth of the deepest ancestor (or self) that ``term`` shares with an annotation of
        ``disease`` (or with one of its ancestors); root = 0, -1 when none."""
        return self.describe_findings(disease, [term])[0][1]

    def _term_index(self, term: str) -> int:
        iri = self.hierarchy.resolve(term)
        if iri is None:
            from kg.errors import UnknownTermError

            raise UnknownTermError(term)
        return self.hierarchy.index(iri)

    # ---- sampling -----------------------------------------------------------------------
    def sample(self, disease: str, rng: np.random.Generator) -> SimulatedPatient:
        """One simulated patient of ``disease``.

        Args:
            disease: IRI or CURIE of an annotated disease.
            rng: the random generator (the only source of randomness).

        Raises:
            UnknownTermError: the disease has no positive annotation of the configured aspects.
        """
        return self._sample(self._profile(disease), rng)

    def _sample(self, p: _Profile, rng: np.random.Generator) -> SimulatedPatient:
        cfg = self.config
        # 1. sex
        specific = set(p.sex[p.sex > 0].tolist())
        if len(specific) == 1 and (p.sex > 0).all():
            sex_code = specific.pop()
        else:
            sex_code = int(rng.integers(1, 3))
        eligible = (p.sex == 0) | (p.sex == sex_code)
        # 2. age
        age: float | None = None
        if p.disease_onsets:
            low, high = p.disease_onsets[int(rng.integers(len(p.disease_onsets)))]
            onset_age = float(rng.uniform(low, high)) if high > low else low
            age = onset_age + float(rng.exponential(cfg.onset_delay_years))
            for j, o in enumerate(p.onset):
                if o is not None and o[0] > age:
                    eligible[j] = False
        # 3. present findings: keep each term with its frequency (one draw per term)
        terms = np.unique(p.terms[eligible])
        freq = np.zeros(len(terms))
        np.maximum.at(freq, np.searchsorted(terms, p.terms[eligible]), p.frequency[eligible])
        kept = rng.random(len(terms)) < freq
        cap = min(
            cfg.max_terms, cfg.min_terms + int(rng.poisson(max(cfg.mean_terms - cfg.min_terms, 0)))
        )
        drawn = chosen = terms[kept]
        if len(chosen) > cap:
            w = freq[kept] / freq[kept].sum()
            chosen = rng.choice(chosen, size=cap, replace=False, p=w)
        present = self._most_specific([int(t) for t in chosen])
        if len(present) < cfg.min_terms:
            present = self._top_up(present, terms[~kept], freq[~kept], rng)
        # The patient has what was drawn (kept under the cap or not) and all it implies.
        had: set[int] = set()
        for t in (*drawn.tolist(), *present):
            had.update(self._ancestors(t).tolist())
        frequent = [t for t in terms[freq >= cfg.frequent_threshold].tolist() if t not in had]
        # 4. imprecision
        if cfg.imprecision_rate > 0:
            flip = rng.random(len(present)) < cfg.imprecision_rate
            present = [
                self._climb(t, rng, cfg.max_imprecision_steps) if f else t
                for t, f in zip(present, flip, strict=True)
            ]
            present = self._most_specific(present)
        # 5. noise: unrelated findings, then near misses (no draw when the mean is 0, so
        # patients drawn without near misses are the same as before the option existed)
        noise = self._unrelated(p, int(rng.poisson(cfg.noise_mean)), rng)
        if cfg.near_miss_mean > 0:
            noise += self._near_misses(p, present, int(rng.poisson(cfg.near_miss_mean)), rng)
        present = self._most_specific(present + noise)
        # 6. excluded findings
        implied = set(had)
        for t in present:
            implied.update(self._ancestors(t).tolist())
        excluded: list[int] = []
        if len(p.negated):
            take = rng.random(len(p.negated)) < cfg.not_excluded_rate
            excluded += p.negated[take].tolist()
        if frequent:
            take = rng.random(len(frequent)) < cfg.frequent_excluded_rate
            excluded += [t for t, x in zip(frequent, take, strict=True) if x]
        excluded += self._unrelated(
            p, int(rng.poisson(cfg.random_excluded_mean)), rng, present=False
        )
        # An excluded term must not be implied by a finding, drawn or presented (after
        # imprecision and noise), nor be an ancestor of one.
        excluded = [t for t in dict.fromkeys(excluded) if t not in implied]
        names = self.hierarchy.terms
        return SimulatedPatient(
            disease=self.annotations.subjects[p.index],
            present=tuple(names[t] for t in present),
            excluded=tuple(names[t] for t in excluded),
            sex=_SEX_NAMES[sex_code],
            age=age,
        )

    def iter_dataset(
        self, n_per_disease: int, seed: int, diseases: Sequence[str] | None = None
    ) -> Iterator[SimulatedPatient]:
        """Patients of every disease (or of ``diseases``), one disease after another."""
        wanted = self.diseases if diseases is None else list(diseases)
        for disease in wanted:
            profile = self._profile(disease)
            rng = np.random.default_rng([seed, profile.index])
            for _ in range(n_per_disease):
                yield self._sample(profile, rng)

    def dataset(
        self, n_per_disease: int, seed: int, diseases: Sequence[str] | None = None
    ) -> list[SimulatedPatient]:
        """``n_per_disease`` patients of every simulable disease (or of ``diseases``).

        Args:
            n_per_disease: patients per disease.
            seed: the seed; each disease draws from ``default_rng([seed, subject index])``
                (its row in the annotation table), whatever else is simulated.
            diseases: restrict to these disease IRIs (default: :attr:`diseases`).
        """
        if n_per_disease < 0:
            raise ValueError(f"n_per_disease must be >= 0, got {n_per_disease}")
        return list(self.iter_dataset(n_per_disease, seed, diseases))


# ---- text rendering ---------------------------------------------------------------------
@dataclass(frozen=True)
class TermSpan:
    """Where a finding was rendered in the text.

    Attributes:
        start, end: character offsets (``text[start:end] == surface``).
        iri: the finding's IRI.
        excluded: the finding is stated absent.
        surface: the name used.
    """

    start: int
    end: int
    iri: str
    excluded: bool
    surface: str


#: Weight of each (kind, synonym type) of name when choosing how to write a finding.
_NAME_WEIGHTS: dict[tuple[str, str | None], float] = {
    ("label", None): 3.0,
    ("exact", None): 1.0,
    ("exact", "layperson"): 1.5,
    ("exact", "plural_form"): 0.5,
    ("exact", "uk_spelling"): 0.5,
    ("exact", "abbreviation"): 0.3,
    ("related", "layperson"): 0.5,
}


@dataclass
class PhenotypeNames:
    """Names of each term usable in text: labels, exact and layperson synonyms, weighted."""

    names: dict[str, tuple[list[str], np.ndarray]]

    @classmethod
    def from_lexicon(cls, lexicon: Lexicon) -> PhenotypeNames:
        """Index a lexicon once (reuse the result when rendering many patients)."""
        grouped: dict[str, tuple[list[str], list[float]]] = {}
        for e in lexicon:
            if e.iri in lexicon.obsolete or e.node_type not in (None, OWL_CLASS):
                continue
            w = _NAME_WEIGHTS.get((e.kind, e.synonym_type))
            if w is None:
                continue
            texts, weights = grouped.setdefault(e.iri, ([], []))
            if e.text not in texts:
                texts.append(e.text)
                weights.append(w)
        return cls({k: (t, np.asarray(w) / sum(w)) for k, (t, w) in grouped.items()})

    def choose(self, iri: str, rng: np.random.Generator, fallback: str = "") -> str:
        """One name of ``iri`` drawn by weight (``fallback`` when it has none)."""
        entry = self.names.get(iri)
        if entry is None:
            return fallback
        texts, p = entry
        return texts[int(rng.choice(len(texts), p=p))]


_INTROS = (
    "The proband is {a} {who}.",
    "We report {a} {who}.",
    "{A} {who} was referred for genetic evaluation.",
    "{A} {who} presented to the clinic.",
    "This {who} was seen in the genetics clinic.",
)
_PRESENT = (
    "{S} had {X}.",
    "Examination revealed {X}.",
    "Clinical findings included {X}.",
    "On examination there was {X}.",
    "{S} was found to have {X}.",
    "Notable features were {X}.",
    "The parents reported {X}.",
    "{S} also showed {X}.",
    "Further findings comprised {X}.",
)
_PRESENT_ONE = ("{X} was noted.", "{X} was present.", "{X} was documented.")
_ABSENT = (
    "No {X} was observed.",
    "{S} denies {X}.",
    "Negative for {X}.",
    "There was no evidence of {X}.",
    "{S} did not have {X}.",
    "{X} was absent.",
)
_WITHOUT = "{S} had {X} without {Y}."
_DISTRACTORS = (
    "Family history was unremarkable.",
    "The parents are healthy and non-consanguineous.",
    "Routine laboratory studies were within normal limits.",
    "Written informed consent was obtained.",
    "Vaccinations were up to date.",
    "The family lives in a rural area.",
    "Genetic testing was performed after counselling.",
    "A younger sibling is healthy.",
    "Follow-up was arranged in six months.",
)


def _mid_sentence(name: str) -> str:
    """Lower-case the first letter unless the first word looks like an acronym or eponym."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and (first[1:].lower() != first[1:] or any(c.isdigit() for c in first)):
        return name
    return name[:1].lower() + name[1:]


def _who(sex: str | None, age: float | None) -> tuple[str, str, str]:
    """(noun phrase, article, subject pronoun) for the patient."""
    child = age is None or age < 18
    noun = {
        "MALE": "boy" if child else "man",
        "FEMALE": "girl" if child else "woman",
    }.get(sex or "", "child" if child else "patient")
    pronoun = {"MALE": "He", "FEMALE": "She"}.get(sex or "", "The patient")
    if age is None:
        return noun, "a", pronoun
    if age < 28 / 365.25:
        return f"newborn {noun}", "a", pronoun
    if age < 2:
        months = max(1, int(round(age * 12)))
        return f"{months}-month-old {noun}", _article(months), pronoun
    years = int(age)
    return f"{years}-year-old {noun}", _article(years), pronoun


def _article(number: int) -> str:
    """ "an" before numbers read with a leading vowel sound (8, 11, 18, 80 ...)."""
    return "an" if str(number).startswith("8") or number in (11, 18) else "a"


class _TextBuilder:
    """Appends text and records the span of every inserted finding."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[TermSpan] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def add_term(self, iri: str, surface: str, excluded: bool) -> None:
        self.spans.append(TermSpan(self.length, self.length + len(surface), iri, excluded, surface))
        self.add(surface)

    def template(
        self,
        template: str,
        fields: dict[str, list[tuple[str, str, bool]] | str],
    ) -> None:
        """Fill ``template``; a field is plain text or findings joined as "a, b and c"."""
        pos = 0
        while pos < len(template):
            start = template.find("{", pos)
            if start < 0:
                self.add(template[pos:])
                break
            self.add(template[pos:start])
            end = template.index("}", start)
            value = fields[template[start + 1 : end]]
            sentence_start = start == 0
            if isinstance(value, str):
                self.add(value)
            else:
                for j, (iri, surface, excluded) in enumerate(value):
                    if j:
                        self.add(" and " if j == len(value) - 1 else ", ")
                    if sentence_start and j == 0:
                        surface = surface[:1].upper() + surface[1:]
                    self.add_term(iri, surface, excluded)
            pos = end + 1

    @property
    def text(self) -> str:
        return "".join(self.parts)


def render_text(
    patient: SimulatedPatient,
    lexicon: Lexicon | PhenotypeNames,
    rng: np.random.Generator,
    *,
    distractor_rate: float = 0.3,
) -> tuple[str, list[TermSpan]]:
    """Render a patient as a short clinical description.

    Findings are named by their label or a synonym (layperson synonyms included), shuffled,
    grouped into sentences from varied templates; excluded findings are negated ("no",
    "denies", "without", "negative for"); unrelated distractor sentences are mixed in.

    Args:
        patient: the patient.
        lexicon: the KG's lexicon, or a :class:`PhenotypeNames` built from it once (faster
            when rendering many patients).
        rng: the random generator.
        distractor_rate: probability of a distractor sentence after each sentence
            (default: ``0.3``).

    Returns:
        The text and the span of each rendered finding (``text[s.start:s.end] == s.surface``).
        A finding with no name in the lexicon is left out of the text.
    """
    names = lexicon if isinstance(lexicon, PhenotypeNames) else PhenotypeNames.from_lexicon(lexicon)

    def named(iris: Sequence[str], excluded: bool) -> list[tuple[str, str, bool]]:
        out = []
        for iri in iris:
            surface = names.choose(iri, rng)
            if surface:
                out.append((iri, _mid_sentence(surface), excluded))
        return out

    present = named(patient.present, False)
    absent = named(patient.excluded, True)
    rng.shuffle(present)
    rng.shuffle(absent)
    who, article, pronoun = _who(patient.sex, patient.age)
    sentences: list[tuple[str, dict]] = []
    while present:
        size = int(rng.integers(1, min(3, len(present)) + 1))
        group, present = present[:size], present[size:]
        if absent and rng.random() < 0.2:
            sentences.append((_WITHOUT, {"S": pronoun, "X": group, "Y": [absent.pop()]}))
        elif size == 1 and rng.random() < 0.25:
            sentences.append((_PRESENT_ONE[int(rng.integers(len(_PRESENT_ONE)))], {"X": group}))
        else:
            sentences.append(
                (_PRESENT[int(rng.integers(len(_PRESENT)))], {"S": pronoun, "X": group})
            )
    while absent:
        size = int(rng.integers(1, min(2, len(absent)) + 1))
        group, absent = absent[:size], absent[size:]
        sentences.append((_ABSENT[int(rng.integers(len(_ABSENT)))], {"S": pronoun, "X": group}))
    order = rng.permutation(len(sentences))
    builder = _TextBuilder()
    intro = _INTROS[int(rng.integers(len(_INTROS)))]
    builder.template(intro, {"a": article, "A": article.capitalize(), "who": who})
    for k in order:
        template, fields = sentences[int(k)]
        builder.add(" ")
        builder.template(template, fields)
        if rng.random() < distractor_rate:
            builder.add(" " + _DISTRACTORS[int(rng.integers(len(_DISTRACTORS)))])
    return builder.text, builder.spans
