"""A ranking's probabilities: the model's calibrated probabilities made to fall with the rank.

The fused model's calibrated softmax scores every candidate by its logit alone, while the
ranking is built in tiers with the similarity (:mod:`fusion.shortlist`), so along the
ranking the model's probabilities need not fall: on the 1,092 covered development
phenopackets, 88% of the top-10 lists (71% of the top 5) had a candidate more probable
than one ranked above it. A ranking's probabilities are the model's made non-increasing
along its order by antitonic regression (pool adjacent violators,
:func:`scipy.optimize.isotonic_regression`): the closest non-increasing sequence in least
squares, with the same sum, so a run of candidates that the ranking and the model order
differently shares its probability evenly. On those cases the true diseases' log-loss
falls from 5.78 to 5.38 nats (4.05 to 3.95 at the temperature ``kgfuse calibrate``
fits): the probabilities agree better with the outcomes, not only with the order.

The first place's probability is the largest mean of the probabilities of the first ``k``
places (:func:`first_probability`), which :mod:`train.calibration` fits a temperature to.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import isotonic_regression

__all__ = ["along_order", "first_probability"]


def _checked_order(n: int, order: np.ndarray) -> np.ndarray:
    order = np.asarray(order)
    if order.ndim != 1 or len(order) != n or not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"the order must be a permutation of the {n} candidates")
    return order


def along_order(probabilities: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``probabilities`` (``[candidates]``) made non-increasing along ``order`` (every
    candidate index, best first), by candidate index; their sum is kept.

    Raises:
        ValueError: ``order`` is not a permutation of the candidates.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    order = _checked_order(len(p), order)
    out = np.empty_like(p)
    if len(p):
        out[order] = isotonic_regression(p[order], increasing=False).x
    return out


def first_probability(ranked: np.ndarray) -> np.ndarray:
    """The probability :func:`along_order` gives the first place, for each row: the largest
    mean of the probabilities of the first ``k`` places, over ``k``.

    Args:
        ranked: ``[..., places]`` each row's probabilities in the ranking's order, best
            first (a prefix of the ranking gives a lower bound; its first place alone, that
            place's probability).
    """
    ranked = np.asarray(ranked, dtype=np.float64)
    means = np.cumsum(ranked, axis=-1) / np.arange(1, ranked.shape[-1] + 1)
    return means.max(axis=-1)
