"""Two-stage ranking: the symbolic prior shortlists, the fused model re-ranks the shortlist.

The fused model's logits are its likelihood-ratio prior plus a correction learned on
simulated patients. On real patients that correction sharpens the top of the ranking but
loses recall further down: on the 1,092 covered development phenopackets (present terms
only), the quickstart model ranked every candidate to top-1 / top-10 42.9% / 60.3% against
the prior's 41.9% / 62.3%, and a model trained eight times longer 42.4% / 58.2% (leakage-free
cases: 30.6% and 27.0% top-10 against the prior's 35.2%). Re-ranking only the prior's top
:data:`DEFAULT_SHORTLIST` keeps the prior's recall and the model's precision: 43.2% / 62.3%
(leakage-free 11.2% / 35.2%, MRR 0.186 against 0.181 and 0.178).

Diseases tied with the last one of the shortlist on the prior join it, so a patient without
findings (every prior equal) is ranked by the model alone.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_SHORTLIST", "shortlist_keys", "shortlist_order"]

#: Candidates of the prior that the fused model re-ranks (0: the model ranks every candidate).
DEFAULT_SHORTLIST = 10


def _shortlisted(scores: np.ndarray, prior: np.ndarray, size: int) -> np.ndarray:
    """Boolean mask of the shortlist (every candidate when ``size`` is 0 or too large)."""
    if size < 0:
        raise ValueError(f"shortlist size must be >= 0, got {size}")
    if scores.shape != prior.shape or scores.ndim != 1:
        raise ValueError(
            f"scores {scores.shape} and prior {prior.shape} must be vectors of one length"
        )
    n = len(scores)
    if size == 0 or size >= n:
        return np.ones(n, dtype=bool)
    threshold = np.partition(prior, n - size)[n - size]  # the size-th largest prior
    return prior >= threshold


def shortlist_order(scores: np.ndarray, prior: np.ndarray, size: int) -> np.ndarray:
    """Candidate indices, best first: the prior's top ``size`` (with its ties) ordered by
    ``scores``, then every other candidate in the prior's order.

    Args:
        scores: ``[num_candidates]`` the model's scores.
        prior: ``[num_candidates]`` the prior's scores, same order.
        size: shortlist length; ``0`` (or at least the number of candidates) orders every
            candidate by ``scores``.

    Raises:
        ValueError: ``size`` is negative, or the two score vectors differ in shape.
    """
    scores, prior = np.asarray(scores), np.asarray(prior)
    mask = _shortlisted(scores, prior, size)
    inside, outside = np.flatnonzero(mask), np.flatnonzero(~mask)
    return np.concatenate(
        [
            inside[np.argsort(-scores[inside], kind="stable")],
            outside[np.argsort(-prior[outside], kind="stable")],
        ]
    )


def shortlist_keys(scores: np.ndarray, prior: np.ndarray, size: int) -> np.ndarray:
    """Sort keys (higher is better) that order candidates as :func:`shortlist_order` does
    and keep its ties as ties: the model's scores inside the shortlist, lifted above every
    prior outside it; the prior's scores outside. For rank metrics with mean-tie ranks.
    """
    scores = np.asarray(scores, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    mask = _shortlisted(scores, prior, size)
    if mask.all():
        return scores.copy()
    inside = scores[mask]
    keys = prior.copy()
    keys[mask] = inside - inside.min() + prior[~mask].max() + 1.0
    return keys
