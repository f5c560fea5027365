"""Two-stage ranking: the symbolic prior shortlists, the fused model re-ranks the shortlist.

The fused model's logits are its likelihood-ratio prior plus a correction learned on
simulated patients. On real patients that correction sharpens the top of the ranking but
loses recall further down: on the 1,092 covered development phenopackets (present terms
only), the quickstart model ranking every candidate reached top-1 / top-10 42.9% / 60.3%
against the prior's 41.9% / 62.3%, and a model trained eight times longer 42.4% / 58.2%
(leakage-free cases: 30.6% and 27.0% top-10 against the prior's 35.2%). Re-ranking only the
prior's top :data:`DEFAULT_SHORTLIST` keeps the prior's recall and the model's precision:
43.2% / 62.1%, MRR 0.498 against 0.487 and 0.491 (leakage-free 11.2% / 34.9%, MRR 0.186
against 0.181 and 0.178).

The shortlist is the first ``size`` candidates by prior and every candidate tied with the
``size``-th of them (:func:`shortlisted`), so the prior alone decides which candidates the
model re-ranks: when the model's score broke those ties (before 2026-12), logit differences
of a few hundredths, below int8's noise, decided which tied diseases got the similarity and
a chance at the lead. The candidates outside it follow by prior, then score. A prior flat
at the shortlist's end (a note too short to tell most diseases apart, whose ``size``-th
value is the floor most diseases share) takes in every candidate: the model then ranks them
all. Of the 1,580 dev phenopackets, 24 (1.5%) have the prior tied across the end of a
shortlist of 10 (median 28 candidates shortlisted), 2 of them up to every candidate. (The
figures below were measured when the score broke the ties.)

Inside the shortlist the model's score gains :data:`DEFAULT_SIMILARITY_WEIGHT` times the
symmetric Resnik similarity of the patient and the candidate
(:meth:`kg.rules.resnik.ResnikRanker.score_candidates`): the best-match average over both
directions, or for a brief description (:data:`BRIEF_FINDINGS` present findings or fewer,
since ranking version 4) the mean of the two directions
(:attr:`RankingSettings.shortlist_similarity`). Neither the prior nor the
model charges a disease for its annotated features that the patient lacks; the similarity's
disease-to-patient half does. On the 1,092 covered dev phenopackets, weights 3-8 all raise
top-1 (44.6% -> 46.3-47.0% for the quickstart model, the LR prior's shortlist 42.7% ->
45.1-46.4%; weights picked by 5-fold cross-validation over gene cohorts: 4, 4, 6, 4, 4);
see docs/measurements.md for what the gain rests on.

The differential is then filled in two tiers. The model's first :data:`DEFAULT_LEAD`
lead it; the places after them go to the prior's top :data:`DEFAULT_POOL` (the shortlist
and the next candidates) ordered by the prior plus the same weight times the similarity
(:func:`tiered`). The model sharpens the top of the ranking but is no better than the
prior at telling the fifth candidate from the twelfth, and there the similarity, which
charges a disease for the annotated features the patient lacks, finds more of the true
diseases: on the 1,092 covered dev phenopackets top-10 63.0% -> 65.5% (leakage-free
35.2% -> 40.2%), top-1 to top-5 unchanged by construction; see docs/measurements.md. Each
entry of a ranking says which tier placed it (:class:`TieredOrder`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from kg.errors import KGMismatchError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import compress
from kg.rules.resnik import ResnikRanker

logger = logging.getLogger(__name__)

__all__ = [
    "BRIEF_FINDINGS",
    "DEFAULT_LEAD",
    "DEFAULT_POOL",
    "DEFAULT_SHORTLIST",
    "DEFAULT_SHORTLIST_SIMILARITY",
    "DEFAULT_SIMILARITY_WEIGHT",
    "PLACED_BY",
    "RANKING_VERSION",
    "SHORTLIST_SIMILARITIES",
    "CandidateMismatchError",
    "RankingSettings",
    "Similarities",
    "TieredOrder",
    "add_similarity",
    "candidate_similarity",
    "fill_values",
    "shortlist_keys",
    "shortlist_order",
    "shortlisted",
    "shortlist_combination",
    "shortlist_combination_for",
    "tiered",
    "tiered_keys",
]

#: The version of how a ranking is put together from the model's scores and the prior,
#: which every audit record stores beside the linker's (``kgfuse-ranking``), so that a
#: replay that ranks differently after a change says why. 1: the model's score broke the
#: prior's ties at the shortlist's end, and a lead longer than the shortlist ran past it;
#: 2 (2026-12-01): every candidate tied with the shortlist's last is shortlisted, the lead
#: stops at the shortlist's end, and a note the encoder reads cut short is warned about;
#: 3 (2026-12-02): a text rendered from structured findings that the encoder's window cuts
#: short is warned about by the findings it held, not by its tokens (the ranking is the same);
#: 4 (2026-12-05): for a patient with :data:`BRIEF_FINDINGS` present findings or fewer, the
#: similarity that lifts the shortlist is the mean of its two directions (``auto``); 5
#: (2026-12-06): the prior may credit a text's findings partly where a disease is annotated
#: with a broader term (:attr:`RankingSettings.text_partial_credit`, off by default).
RANKING_VERSION = 5

#: Candidates of the prior that the fused model re-ranks (0: the model ranks every candidate).
DEFAULT_SHORTLIST = 10
#: Weight of the symmetric Resnik similarity added to the scores the model re-ranks by.
DEFAULT_SIMILARITY_WEIGHT = 4.0
#: How the similarity added to the shortlist's scores combines its two directions
#: (:data:`SHORTLIST_SIMILARITIES`): ``auto``, their mean (``funSimAvg``) for a patient with
#: :data:`BRIEF_FINDINGS` present findings or fewer, else the best-match average over both
#: (``BMA``). The best-match average counts each of a disease's annotations as much as each
#: of the patient's findings, so for a brief description its disease-to-patient half rules
#: and diseases with few annotations rise. On the covered dev phenopackets described by 3 of
#: their findings the mean puts 31.2% first against 26.1% (+5.1 points, [2.7, 8.2] over
#: diseases; leakage-free +1.3 [-0.4, 3.6]), and on the real ones with 3 or fewer it gains 5
#: first places and loses none; on fuller descriptions it loses leakage-free ones (top-3
#: 28.1% against 30.1% over every covered case, [-4.5, -0.4]), so they keep the best-match
#: average (docs/measurements.md). The pool after the lead is ordered with the ``BMA``
#: either way.
DEFAULT_SHORTLIST_SIMILARITY = "auto"
#: The most present findings of a brief description (``auto``: the mean of the directions).
BRIEF_FINDINGS = 3
#: The ways the shortlist's similarity may combine its two directions.
SHORTLIST_SIMILARITIES = ("auto", "BMA", "funSimAvg")
#: Leading places of the differential that keep the model's order of its shortlist.
DEFAULT_LEAD = 5
#: The prior's top candidates that fill the places after the lead, by the prior plus the
#: weighted similarity (0: no such tier; the shortlist's order goes on).
DEFAULT_POOL = 20


@dataclass(frozen=True)
class RankingSettings:
    """How a differential is put together from the model's scores and the prior.

    The prior's top ``shortlist`` candidates (0: every one) are re-ranked by the model's
    score plus ``similarity_weight`` times the patient's symmetric Resnik similarity; the
    first ``lead`` places keep that order; the prior's top ``pool`` fill the places after
    the lead by the prior plus the weighted similarity (0: the shortlist's order goes on);
    the rest follow the prior. ``ordered_probabilities``: the probabilities fall with the
    rank (:mod:`fusion.ordered_probabilities`; False: the model's own, as decisions
    recorded before 2026-12-02 had them). ``shortlist_similarity``: how the similarity
    added to the shortlist's scores combines its two directions
    (:data:`SHORTLIST_SIMILARITIES`, :func:`shortlist_combination`); the pool is ordered with the
    best-match average (``BMA``) either way. ``text_partial_credit``: the prior credits the
    findings of a text (not of structured input) partly where a disease is annotated with a
    broader term (:attr:`kg.rules.likelihood.LikelihoodConfig.partial_credit`): a writer
    names a finding more precisely than the annotations ("mild learning disability",
    "hypertrophic cardiomyopathy"), and without it the disease pays the floor of an
    unexplained finding. Off by default: it lifts clinicians' prose, but on texts that list
    the phenopackets' HPO labels it costs top-10 places, as it does structured input
    (docs/measurements.md). Audit records keep them.

    Raises:
        ValueError: a count below 0, a weight that is not a number >= 0, or an unknown
            ``shortlist_similarity``.
    """

    shortlist: int = DEFAULT_SHORTLIST
    similarity_weight: float = DEFAULT_SIMILARITY_WEIGHT
    lead: int = DEFAULT_LEAD
    pool: int = DEFAULT_POOL
    ordered_probabilities: bool = True
    shortlist_similarity: str = DEFAULT_SHORTLIST_SIMILARITY
    text_partial_credit: bool = False

    def __post_init__(self) -> None:
        shortlist_combination(self.shortlist_similarity, 0)  # an unknown one is refused
        if self.shortlist < 0:
            raise ValueError(f"shortlist must be >= 0 (0: no shortlist), got {self.shortlist}")
        if self.lead < 0 or self.pool < 0:
            raise ValueError(
                f"lead and pool must be >= 0 (pool 0: no pool), got {self.lead}, {self.pool}"
            )
        weight = self.similarity_weight
        if not weight >= 0.0 or math.isinf(weight):
            raise ValueError(f"similarity weight must be a number >= 0, got {weight}")
        object.__setattr__(self, "similarity_weight", float(weight))
        object.__setattr__(self, "ordered_probabilities", bool(self.ordered_probabilities))
        object.__setattr__(self, "text_partial_credit", bool(self.text_partial_credit))

    def for_candidates(self, count: int) -> RankingSettings:
        """These settings over ``count`` candidates: with a pool, a lead longer than a
        shortlist that leaves candidates out stops at the shortlist's end (past it the model
        has placed nothing, and :func:`tiered` stops the lead there too)."""
        if self.pool > 0 and 0 < self.shortlist < count and self.lead > self.shortlist:
            logger.info("lead %d stops at the end of the shortlist (%d)", self.lead, self.shortlist)
            return replace(self, lead=self.shortlist)
        return self


def _checked(scores: np.ndarray, prior: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    if size < 0:
        raise ValueError(f"shortlist size must be >= 0, got {size}")
    if scores.shape != prior.shape or scores.ndim != 1:
        raise ValueError(
            f"scores {scores.shape} and prior {prior.shape} must be vectors of one length"
        )
    return scores, prior


def shortlist_keys(scores: np.ndarray, prior: np.ndarray, size: int) -> np.ndarray:
    """Sort keys, higher is better, of the two-stage ranking (for rank metrics).

    The shortlist is the first ``size`` candidates by ``prior`` and every candidate tied
    with the ``size``-th of them (:func:`shortlisted`); inside it the keys are the model's
    scores, lifted above every key outside it; outside it they follow (prior, score).
    Candidates share a key only when they tie on what orders them, so rank metrics can
    give ties their mean rank.

    Args:
        scores: ``[num_candidates]`` the model's scores.
        prior: ``[num_candidates]`` the prior's scores, same order.
        size: shortlist length; ``0`` (or at least the number of candidates, or a tie of
            the prior that takes in every candidate) orders every candidate by ``scores``.

    Raises:
        ValueError: ``size`` is negative, or the two score vectors differ in shape.
    """
    scores, prior = _checked(scores, prior, size)
    n = len(scores)
    inside = shortlisted(prior, size)
    if len(inside) == n:
        return scores.copy()
    rest = _rest_order(scores, prior, inside)
    # outside: 0, -1, -2, ... down the (prior, score) order, equal pairs sharing a key
    p, s = prior[rest], scores[rest]
    new_pair = np.concatenate([[False], (p[1:] != p[:-1]) | (s[1:] != s[:-1])])
    keys = np.empty(n, dtype=np.float64)
    keys[rest] = -np.cumsum(new_pair, dtype=np.float64)
    chosen = scores[inside]
    keys[inside] = chosen - chosen.min() + 1.0
    return keys


def _top_members(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the values at least the ``k``-th largest (ties included), in index order;
    ``0 < k < len(values)``.

    A prior gives most diseases the same floor value (8,172 of 8,359 HPO diseases for a
    short note), where ``np.partition`` slows ~10x (1 ms); the values above the floor are
    selected among first.
    """
    above = np.flatnonzero(values > values.min())
    if len(above) < k:  # the k-th largest is the floor: every value qualifies
        return np.arange(len(values))
    kept = values[above]
    kth = np.partition(kept, len(kept) - k)[len(kept) - k]
    return above[kept >= kth]


def shortlisted(prior: np.ndarray, size: int) -> np.ndarray:
    """Indices, in index order, of the candidates the model re-ranks: the prior's first
    ``size`` and every candidate tied with the ``size``-th of them, so that which of the
    candidates tied there make the shortlist never rests on the model's score (logit noise
    of a few hundredths, such as int8's, would otherwise decide it); every candidate when
    ``size`` is 0 or covers them all, or when the ``size``-th value is the prior's lowest
    (the floor that most diseases share after a short note).

    Raises:
        ValueError: ``size`` is negative.
    """
    prior = np.asarray(prior, dtype=np.float64)
    if size < 0:
        raise ValueError(f"shortlist size must be >= 0, got {size}")
    n = len(prior)
    if size == 0 or size >= n:
        return np.arange(n)
    return _top_members(prior, size)


def shortlist_order(
    scores: np.ndarray, prior: np.ndarray, size: int, top: int | None = None
) -> np.ndarray:
    """Candidate indices, best first: the shortlist (:func:`shortlisted`, the prior's top
    ``size`` with the candidates tied with the last of them) by the model's score (then the
    prior), then every other candidate by prior and score; only the first ``top`` when given
    (within the shortlist, without sorting the others). When the shortlist holds every
    candidate (``size`` 0, or the prior tied across its end) the order is by score alone,
    exact ties by index (the keys of :func:`shortlist_keys` tie them either way).

    Raises:
        ValueError: as :func:`shortlist_keys`.
    """
    scores, prior = _checked(scores, prior, size)
    return _shortlist_order(scores, prior, shortlisted(prior, size), top)


def _shortlist_order(
    scores: np.ndarray, prior: np.ndarray, inside: np.ndarray, top: int | None = None
) -> np.ndarray:
    """:func:`shortlist_order` with the shortlist (:func:`shortlisted`) already known."""
    n = len(scores)
    if len(inside) == n:
        order = np.argsort(-scores, kind="stable")
        return order if top is None else order[: max(top, 0)]
    head = inside[np.lexsort((-prior[inside], -scores[inside]))]  # by (score, prior)
    if top is not None and top <= len(head):  # only the shortlist is needed
        return head[: max(top, 0)]
    order = np.concatenate([head, _rest_order(scores, prior, head)])
    return order if top is None else order[: max(top, 0)]


def _rest_order(scores: np.ndarray, prior: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The candidates not ``inside`` the shortlist, by (prior, score), ties by index."""
    outside = np.ones(len(scores), dtype=bool)
    outside[inside] = False
    rest = np.flatnonzero(outside)
    return rest[np.lexsort((-scores[rest], -prior[rest]))]


class CandidateMismatchError(KGMismatchError):
    """A diagnosis model's candidate list is not the list of diseases the KG annotates
    (another annotation release, or a hand-edited ``kgfuse_model.json``)."""

    def __init__(self, what: str, model: Sequence[str], kg: Sequence[str]) -> None:
        self.expected = f"{len(model)} candidates"
        self.found = f"{len(kg)} diseases"
        first = next(
            (i for i, (a, b) in enumerate(zip(model, kg, strict=False)) if a != b),
            min(len(model), len(kg)),
        )

        def at(seq: Sequence[str]) -> str:
            return compress(seq[first]) if first < len(seq) else "(none)"

        ValueError.__init__(
            self,
            f"{what} differs from the diseases the KG annotates: the model has "
            f"{len(model)} candidates, the KG {len(kg)}; the first difference is at "
            f"position {first} (model {at(model)}, KG {at(kg)}). The model was trained on "
            "other annotations than this KG's: train it again on this KG, or load the KG "
            "it was trained on",
        )


def candidate_similarity(kg: KnowledgeGraph, candidates: Sequence[str]) -> ResnikRanker:
    """The symmetric (BMA) Resnik ranker over a model's candidate diseases, in their order
    (what :func:`add_similarity` re-ranks with).

    Raises:
        KGMismatchError: the KG does not annotate the candidates as the model was trained.
    """
    ranker = ResnikRanker(kg.hierarchy, kg.annotations, subjects=candidates, combine="BMA")
    if list(ranker.diseases) != list(candidates):
        raise CandidateMismatchError(
            "the model's candidate list (read by the similarity)", candidates, ranker.diseases
        )
    return ranker


def shortlist_combination(setting: str, present_findings: int) -> str:
    """How a patient's similarity to the shortlist combines its two directions under the
    setting ``setting`` (:data:`SHORTLIST_SIMILARITIES`): ``auto`` is ``funSimAvg`` (their
    mean) for :data:`BRIEF_FINDINGS` present findings or fewer, else ``BMA``.

    Raises:
        ValueError: an unknown setting.
    """
    if setting not in SHORTLIST_SIMILARITIES:
        raise ValueError(
            f"unknown shortlist similarity {setting!r}; choose one of "
            + ", ".join(SHORTLIST_SIMILARITIES)
        )
    if setting == "auto":
        return "funSimAvg" if present_findings <= BRIEF_FINDINGS else "BMA"
    return setting


def shortlist_combination_for(setting: str, present: Sequence[str]) -> str:
    """:func:`shortlist_combination` for the present terms ``present`` (each counted once)."""
    return shortlist_combination(setting, len(set(present)))


@dataclass(frozen=True)
class Similarities:
    """The similarities :func:`add_similarity` computed, by candidate index."""

    #: the best-match average (``BMA``) of the shortlist and the pool: what orders the pool
    pooled: dict[int, float]
    #: the shortlist's, as added (times the weight) to their scores
    shortlist: dict[int, float]


def add_similarity(
    scores: np.ndarray,
    prior: np.ndarray,
    size: int,
    present: Sequence[str],
    ranker: ResnikRanker,
    weight: float,
    pool: int = 0,
    shortlist_combine: str = DEFAULT_SHORTLIST_SIMILARITY,
) -> Similarities:
    """Add ``weight`` times the Resnik similarity of ``present`` (its two directions combined
    as :func:`shortlist_combination` says for ``shortlist_combine``) to the scores of the
    candidates the model re-ranks (:func:`shortlisted`: the prior's top ``size`` with the
    candidates tied with the last of them, or every candidate when ``size`` is 0 or covers
    them all), in place; those similarities, and the best-match averages of the shortlist
    and of the prior's top ``pool`` (the tier after the lead, :func:`tiered`).

    The shortlist does not depend on the scores. A weight >= 0 only lifts the shortlisted
    scores, so the pool can only lose candidates outside the shortlist to shortlisted ones
    tied with them on the prior: every candidate of the pool after the lift has its
    best-match average here.

    Args:
        scores: ``[num_candidates]`` the model's scores (float64; changed in place).
        prior: ``[num_candidates]`` the prior's scores, same order.
        size: shortlist length.
        present: the patient's present terms.
        ranker: a ranker over the same candidates, in the same order (``combine="BMA"``).
        weight: the similarity's weight.
        pool: the pool's length (0: none).
        shortlist_combine: ``auto``, ``BMA`` or ``funSimAvg`` (:data:`SHORTLIST_SIMILARITIES`).

    Raises:
        ValueError: an unknown ``shortlist_combine``.
    """
    combine = shortlist_combination_for(shortlist_combine, present)
    n = len(scores)
    inside = shortlisted(prior, size)
    extra = _pool(scores, prior, pool) if pool > 0 and len(inside) < n else inside[:0]
    scored = np.concatenate([inside, extra[~np.isin(extra, inside)]])
    pooled, combined = ranker.score_candidates_each(present, scored, ("BMA", combine))
    lift = combined[: len(inside)]
    scores[inside] += weight * lift
    return Similarities(
        dict(zip(scored.tolist(), pooled.tolist(), strict=True)),
        dict(zip(inside.tolist(), lift.tolist(), strict=True)),
    )


def fill_values(prior: np.ndarray, similarity: Mapping[int, float], weight: float) -> np.ndarray:
    """What the tier after the lead is ordered by: the prior plus ``weight`` times the
    similarity (of the candidates it is known for; the prior alone elsewhere)."""
    values = np.array(prior, dtype=np.float64)
    if similarity:
        index = np.fromiter(similarity.keys(), dtype=np.int64, count=len(similarity))
        values[index] += weight * np.fromiter(similarity.values(), np.float64, len(similarity))
    return values


def _pool(scores: np.ndarray, prior: np.ndarray, pool: int) -> np.ndarray:
    """The prior's first ``pool`` candidates, the score breaking the prior's ties, in order."""
    n = len(prior)
    if pool >= n:
        return np.lexsort((-scores, -prior))
    members = _top_members(prior, pool)
    return members[np.lexsort((-scores[members], -prior[members]))][:pool]


def _tiers(
    scores: np.ndarray,
    prior: np.ndarray,
    fill: np.ndarray,
    inside: np.ndarray,
    lead: int,
    pool: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The lead (the model's first ``lead`` of its shortlist ``inside``, at most all of it)
    and the pool's other candidates ordered by (fill, prior, score)."""
    head = _shortlist_order(scores, prior, inside, min(lead, len(inside)))
    members = _pool(scores, prior, pool)
    members = members[~np.isin(members, head)]
    tail = members[np.lexsort((-scores[members], -prior[members], -fill[members]))]
    return head, tail


def _checked_tiers(
    scores: np.ndarray, prior: np.ndarray, fill: np.ndarray, size: int, lead: int, pool: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores, prior = _checked(scores, prior, size)
    fill = np.asarray(fill, dtype=np.float64)
    if fill.shape != prior.shape:
        raise ValueError(f"fill {fill.shape} and prior {prior.shape} must be of one length")
    if lead < 0 or pool < 0:
        raise ValueError(f"lead and pool must be >= 0, got {lead} and {pool}")
    return scores, prior, fill


#: What placed a candidate in a tiered ranking (:class:`TieredOrder`).
PLACED_BY = ("model", "prior+similarity", "prior")


@dataclass(frozen=True)
class TieredOrder:
    """Candidate indices, best first, and what placed them: the first ``spans[0]`` places
    by the model, then ``spans[1]`` by the prior plus the similarity, then ``spans[2]`` by
    the model again (its shortlist's others, when the pool is shorter than it), the rest by
    the prior."""

    order: np.ndarray
    spans: tuple[int, int, int]

    def placed_by(self) -> list[str]:
        """One of :data:`PLACED_BY` for each index of :attr:`order`."""
        model, pooled, model_after = self.spans
        kinds = ["model"] * model + ["prior+similarity"] * pooled + ["model"] * model_after
        kinds += ["prior"] * max(len(self.order) - len(kinds), 0)
        return kinds[: len(self.order)]


def tiered(
    scores: np.ndarray,
    prior: np.ndarray,
    fill: np.ndarray,
    size: int,
    lead: int = DEFAULT_LEAD,
    pool: int = DEFAULT_POOL,
    top: int | None = None,
) -> TieredOrder:
    """Candidate indices, best first, in two tiers, and what placed each: the first
    ``lead`` of :func:`shortlist_order`, then the rest of the prior's top ``pool`` by
    ``fill`` (the prior plus the weighted similarity, :func:`fill_values`; ties by prior,
    then score), then every other candidate in :func:`shortlist_order`'s order. ``pool`` 0
    is :func:`shortlist_order` itself; only the first ``top`` when given.

    The lead is at most the shortlist (:func:`shortlisted`): the model places only the
    candidates it re-ranks, so a longer ``lead`` stops at the shortlist's end and the pool
    places what follows (:class:`fusion.pipeline.Diagnoser` also cuts its lead to the
    shortlist's length).

    Raises:
        ValueError: ``size``, ``lead`` or ``pool`` negative, or vectors of unequal shapes.
    """
    scores, prior, fill = _checked_tiers(scores, prior, fill, size, lead, pool)
    inside = shortlisted(prior, size)
    if pool == 0:
        order = _shortlist_order(scores, prior, inside, top)
        return TieredOrder(order, (len(inside), 0, 0))
    head, tail = _tiers(scores, prior, fill, inside, lead, pool)
    placed = np.concatenate([head, tail])
    model_after = int(np.isin(inside, placed, invert=True).sum())
    spans = (len(head), len(tail), model_after)
    if top is not None and top <= len(placed):
        return TieredOrder(placed[: max(top, 0)], spans)
    rest = _shortlist_order(scores, prior, inside)
    order = np.concatenate([placed, rest[~np.isin(rest, placed)]])
    return TieredOrder(order if top is None else order[: max(top, 0)], spans)


def tiered_keys(
    scores: np.ndarray,
    prior: np.ndarray,
    fill: np.ndarray,
    size: int,
    lead: int = DEFAULT_LEAD,
    pool: int = DEFAULT_POOL,
) -> np.ndarray:
    """Sort keys, higher is better, of :func:`tiered`'s order (for rank metrics): the lead's
    keys are the model's scores, above the pool's, which are equal exactly for candidates
    equal in (fill, prior, score), above :func:`shortlist_keys` for the rest. (Two
    candidates tied at the lead's last place are split by the order, and keep two keys.)

    Raises:
        ValueError: as :func:`tiered`.
    """
    scores, prior, fill = _checked_tiers(scores, prior, fill, size, lead, pool)
    keys = shortlist_keys(scores, prior, size)
    if pool == 0:
        return keys
    head, tail = _tiers(scores, prior, fill, shortlisted(prior, size), lead, pool)
    rest = np.ones(len(keys), dtype=bool)
    rest[head] = rest[tail] = False
    floor = keys[rest].max() if rest.any() else 0.0
    if len(tail):
        f, p, s = fill[tail], prior[tail], scores[tail]
        new = np.concatenate([[False], (f[1:] != f[:-1]) | (p[1:] != p[:-1]) | (s[1:] != s[:-1])])
        keys[tail] = floor + 1.0 + new.sum() - np.cumsum(new, dtype=np.float64)
        floor = keys[tail].max()
    if len(head):
        keys[head] = keys[head] - keys[head].min() + floor + 1.0
    return keys
