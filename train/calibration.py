"""Recalibrating a diagnosis model's probabilities on real labelled cases.

Training fits the softmax temperature on held-out *simulated* patients (Guo et al., 2017).
Real patients are harder than simulated ones, so on them the model is overconfident: on the
1,092 covered development phenopackets the quickstart-recipe model gives its first disease a
mean probability of 0.70 against 47% correct (expected calibration error 0.26).

:func:`fit_top1_temperature` fits the temperature on real cases instead, to the probability
that ``kgfuse diagnose`` reports for its first disease (the softmax made to fall along the
ranking, :mod:`fusion.ordered_probabilities`): the binary cross-entropy of that probability
against whether the first disease is a true one. The ranking does not change
(the temperature only rescales the logits). :func:`cross_validated_ece` estimates the
calibration error on cases whose diseases the fit never saw (folds grouped by disease).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eval.diagnosis import expected_calibration_error
from fusion.ordered_probabilities import first_probability

__all__ = [
    "MIN_CASES",
    "CalibrationFit",
    "cross_validated_ece",
    "fit_top1_temperature",
    "top1_confidence",
]

#: Fewest covered cases a temperature is fitted on.
MIN_CASES = 20
#: Temperatures searched (log-spaced), then refined around the best.
_GRID = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))


def _check(logits: np.ndarray, order: np.ndarray, correct: np.ndarray) -> None:
    if logits.ndim != 2 or len(order) != len(logits) or len(correct) != len(logits):
        raise ValueError(
            f"logits {logits.shape}, order {np.shape(order)} and correct {np.shape(correct)} "
            "must describe the same cases"
        )
    if len(logits) == 0:
        raise ValueError("no case to calibrate on")


#: Leading places whose prefix means decide the first probability in all but flat rows.
_PREFIX = 128


@dataclass(frozen=True)
class _Ranked:
    """Each case's logits arranged once for many temperatures: its ranking's first places,
    in order, and every logit less the row's largest (for the softmax's normaliser)."""

    places: np.ndarray  # [cases, places]
    shifted: np.ndarray  # [cases, candidates], <= 0
    largest: np.ndarray  # [cases, 1]

    @classmethod
    def of(cls, logits: np.ndarray, order: np.ndarray) -> _Ranked:
        logits = np.asarray(logits, dtype=np.float64)
        order = np.asarray(order)
        places = np.take_along_axis(logits, order[:, None] if order.ndim == 1 else order, axis=1)
        largest = logits.max(axis=1, keepdims=True)
        return cls(places, logits - largest, largest)

    def __getitem__(self, rows: np.ndarray) -> _Ranked:
        return _Ranked(self.places[rows], self.shifted[rows], self.largest[rows])

    def first(self, temperature: float) -> np.ndarray:
        """The first place's probability at ``temperature``: the largest prefix mean
        (:func:`fusion.ordered_probabilities.first_probability`). A prefix of ``k`` places
        decides it when its largest mean is at least ``1 / k``, since every longer prefix's
        mean is below that; the other rows read every place.

        Raises:
            ValueError: ``temperature`` is not positive.
        """
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        log_z = self.largest / temperature + np.log(
            np.exp(self.shifted / temperature).sum(axis=1, keepdims=True)
        )
        k = min(self.places.shape[1], _PREFIX)
        p = first_probability(np.exp(self.places[:, :k] / temperature - log_z))
        if k < self.places.shape[1]:
            flat = p < 1.0 / k
            if flat.any():
                p[flat] = first_probability(np.exp(self.places[flat] / temperature - log_z[flat]))
        return p


def top1_confidence(logits: np.ndarray, order: np.ndarray, temperature: float) -> np.ndarray:
    """The probability a ranking gives each case's first disease: ``softmax(logits / T)``
    made to fall along the case's order (:func:`fusion.ordered_probabilities.first_probability`).

    Args:
        logits: ``[cases, candidates]`` the model's logits.
        order: ``[cases, candidates]`` each case's candidate indices, best first; or
            ``[cases]``, the index of the first alone (its softmax: a ranking in the
            model's own order).
        temperature: the softmax temperature (> 0).
    """
    return _Ranked.of(logits, order).first(temperature)


def _loss(ranked: _Ranked, correct: np.ndarray, t: float) -> float:
    p = np.clip(ranked.first(t), 1e-9, 1 - 1e-9)
    k = correct.astype(np.float64)
    return float(-np.mean(k * np.log(p) + (1 - k) * np.log1p(-p)))


def fit_top1_temperature(logits: np.ndarray, order: np.ndarray, correct: np.ndarray) -> float:
    """The temperature whose first-disease probabilities best match how often the first
    disease is right (binary cross-entropy; a log-spaced grid over 0.05-20, then a finer one
    around its best).

    Args:
        logits: ``[cases, candidates]`` the model's logits of each case.
        order: each case's candidates, best first (``[cases, candidates]``), or its first
            (``[cases]``), as :func:`top1_confidence` reads them.
        correct: ``[cases]`` bool, that disease is a true one.

    Raises:
        ValueError: the arrays disagree in length, or there is no case.
    """
    return _fit(*_arranged(logits, order, correct))


def _arranged(
    logits: np.ndarray, order: np.ndarray, correct: np.ndarray
) -> tuple[_Ranked, np.ndarray]:
    """The cases checked (:func:`_check`) and arranged once for many temperatures."""
    logits = np.asarray(logits, dtype=np.float64)
    order, correct = np.asarray(order), np.asarray(correct, dtype=bool)
    _check(logits, order, correct)
    return _Ranked.of(logits, order), correct


def _fit(ranked: _Ranked, correct: np.ndarray) -> float:
    best = min(_GRID, key=lambda t: _loss(ranked, correct, float(t)))
    fine = best * np.exp(np.linspace(-0.05, 0.05, 21))
    return float(min(fine, key=lambda t: _loss(ranked, correct, float(t))))


def cross_validated_ece(
    logits: np.ndarray,
    order: np.ndarray,
    correct: np.ndarray,
    groups: np.ndarray,
    folds: int = 5,
) -> float:
    """Calibration error on held-out cases: each fold's temperature is fitted on the other
    folds, whose groups (the true diseases) it never shares.

    Raises:
        ValueError: fewer groups than folds, or the arrays disagree.
    """
    return _cross_validated(*_arranged(logits, order, correct), groups, folds)


def _cross_validated(ranked: _Ranked, correct: np.ndarray, groups: np.ndarray, folds: int) -> float:
    from sklearn.model_selection import GroupKFold

    if len(set(np.asarray(groups).tolist())) < folds:
        raise ValueError(f"cross-validation needs at least {folds} distinct diseases")
    held_out = np.empty(len(correct))
    for train, test in GroupKFold(folds).split(correct, groups=groups):
        held_out[test] = ranked[test].first(_fit(ranked[train], correct[train]))
    return expected_calibration_error(held_out, correct)


@dataclass(frozen=True)
class CalibrationFit:
    """A temperature fitted on real cases, with what it changes.

    Attributes:
        cases: the covered cases it was fitted on.
        temperature_before, temperature: the model's temperature before and after.
        top1_accuracy: share of cases whose first disease is a true one.
        mean_confidence_before, mean_confidence: mean first-disease probability.
        ece_before, ece: calibration error on these cases (15 bins).
        cv_ece: calibration error on held-out diseases (5 folds; None with fewer than 5
            distinct diseases).
    """

    cases: int
    temperature_before: float
    temperature: float
    top1_accuracy: float
    mean_confidence_before: float
    mean_confidence: float
    ece_before: float
    ece: float
    cv_ece: float | None

    @classmethod
    def of(
        cls,
        logits: np.ndarray,
        order: np.ndarray,
        correct: np.ndarray,
        groups: np.ndarray,
        temperature_before: float,
    ) -> CalibrationFit:
        """Fit on these cases (at least :data:`MIN_CASES`) and summarise.

        Raises:
            ValueError: too few cases, or the arrays disagree.
        """
        correct = np.asarray(correct, dtype=bool)
        if len(correct) < MIN_CASES:
            raise ValueError(
                f"{len(correct)} covered cases; at least {MIN_CASES} are needed to fit a "
                "temperature"
            )
        ranked, correct = _arranged(logits, order, correct)  # once for every fit below
        before = ranked.first(temperature_before)  # a bad temperature fails before the fit
        t = _fit(ranked, correct)
        after = ranked.first(t)
        try:
            cv: float | None = _cross_validated(ranked, correct, groups, 5)
        except ValueError:
            cv = None
        return cls(
            cases=len(correct),
            temperature_before=float(temperature_before),
            temperature=t,
            top1_accuracy=float(correct.mean()),
            mean_confidence_before=float(before.mean()),
            mean_confidence=float(after.mean()),
            ece_before=expected_calibration_error(before, correct),
            ece=expected_calibration_error(after, correct),
            cv_ece=cv,
        )
