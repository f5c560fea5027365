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

The shortlist is the first ``size`` candidates by prior, the model's score breaking ties of
the prior; the candidates outside it follow in that same order.

Inside the shortlist the model's score gains :data:`DEFAULT_SIMILARITY_WEIGHT` times the
symmetric Resnik similarity of the patient and the candidate (best-match average over both
directions, :meth:`kg.rules.resnik.ResnikRanker.score_candidates`). Neither the prior nor the
model charges a disease for its annotated features that the patient lacks; the similarity's
disease-to-patient half does. On the 1,092 covered dev phenopackets, weights 3-8 all raise
top-1 (44.6% -> 46.3-47.0% for the quickstart model, the LR prior's shortlist 42.7% ->
45.1-46.4%; weights picked by 5-fold cross-validation over gene cohorts: 4, 4, 6, 4, 4);
see docs/measurements.md for what the gain rests on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kg.errors import KGMismatchError
from kg.knowledge_graph import KnowledgeGraph
from kg.rules.resnik import ResnikRanker

__all__ = [
    "DEFAULT_SHORTLIST",
    "DEFAULT_SIMILARITY_WEIGHT",
    "add_similarity",
    "candidate_similarity",
    "shortlist_keys",
    "shortlist_order",
]

#: Candidates of the prior that the fused model re-ranks (0: the model ranks every candidate).
DEFAULT_SHORTLIST = 10
#: Weight of the symmetric Resnik similarity added to the scores the model re-ranks by.
DEFAULT_SIMILARITY_WEIGHT = 4.0


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

    The shortlist is the first ``size`` candidates by ``prior`` (ties of the prior broken
    by ``scores``); inside it the keys are the model's scores, lifted above every key
    outside it; outside it they follow (prior, score). Candidates share a key only when
    they tie on what orders them, so rank metrics can give ties their mean rank.

    Args:
        scores: ``[num_candidates]`` the model's scores.
        prior: ``[num_candidates]`` the prior's scores, same order.
        size: shortlist length; ``0`` (or at least the number of candidates) orders every
            candidate by ``scores``.

    Raises:
        ValueError: ``size`` is negative, or the two score vectors differ in shape.
    """
    scores, prior = _checked(scores, prior, size)
    n = len(scores)
    if size == 0 or size >= n:
        return scores.copy()
    by_prior = np.lexsort((-scores, -prior))  # prior first, the model's score breaks ties
    inside, outside = by_prior[:size], by_prior[size:]
    # outside: 0, -1, -2, ... down the (prior, score) order, equal pairs sharing a key
    p, s = prior[outside], scores[outside]
    new_pair = np.concatenate([[False], (p[1:] != p[:-1]) | (s[1:] != s[:-1])])
    keys = np.empty(n, dtype=np.float64)
    keys[outside] = -np.cumsum(new_pair, dtype=np.float64)
    shortlisted = scores[inside]
    keys[inside] = shortlisted - shortlisted.min() + 1.0
    return keys


def shortlist_order(
    scores: np.ndarray, prior: np.ndarray, size: int, top: int | None = None
) -> np.ndarray:
    """Candidate indices, best first: the prior's top ``size`` (see :func:`shortlist_keys`)
    by the model's score (then the prior), then every other candidate by prior and score;
    only the first ``top`` when given (within the shortlist, without sorting the others).

    Raises:
        ValueError: as :func:`shortlist_keys`.
    """
    scores, prior = _checked(scores, prior, size)
    n = len(scores)
    if size == 0 or size >= n:
        order = np.argsort(-scores, kind="stable")
    else:
        if top is not None and top <= size:  # only the shortlist is needed
            pool = np.flatnonzero(prior >= np.partition(prior, n - size)[n - size])
            ranked = pool[np.lexsort((-scores[pool], -prior[pool]))]
        else:
            ranked = np.lexsort((-scores, -prior))
        inside = ranked[:size]
        order = np.concatenate([inside[np.argsort(-scores[inside], kind="stable")], ranked[size:]])
    return order if top is None else order[: max(top, 0)]


def candidate_similarity(kg: KnowledgeGraph, candidates: Sequence[str]) -> ResnikRanker:
    """The symmetric (BMA) Resnik ranker over a model's candidate diseases, in their order
    (what :func:`add_similarity` re-ranks with).

    Raises:
        KGMismatchError: the KG does not annotate the candidates as the model was trained.
    """
    ranker = ResnikRanker(kg.hierarchy, kg.annotations, subjects=candidates, combine="BMA")
    if list(ranker.diseases) != list(candidates):
        raise KGMismatchError("the similarity's diseases", "model candidates", "annotated diseases")
    return ranker


def add_similarity(
    scores: np.ndarray,
    prior: np.ndarray,
    size: int,
    present: Sequence[str],
    ranker: ResnikRanker,
    weight: float,
) -> dict[int, float]:
    """Add ``weight`` times the Resnik similarity of ``present`` to the scores of the
    candidates the model re-ranks (the prior's top ``size``, or every candidate when ``size``
    is 0 or covers them all), in place; their similarities by candidate index.

    A weight >= 0 only lifts the shortlisted scores, so the shortlist stays the same.

    Args:
        scores: ``[num_candidates]`` the model's scores (float64; changed in place).
        prior: ``[num_candidates]`` the prior's scores, same order.
        size: shortlist length.
        present: the patient's present terms.
        ranker: a ranker over the same candidates, in the same order (``combine="BMA"``).
        weight: the similarity's weight.
    """
    n = len(scores)
    inside = shortlist_order(scores, prior, size, size) if 0 < size < n else np.arange(n)
    similarity = ranker.score_candidates(present, inside)
    scores[inside] += weight * similarity
    return dict(zip(inside.tolist(), similarity.tolist(), strict=True))
