"""Behaviours of train.calibration that mutation testing found unchecked: the fitted
temperature is the minimum of the cross-entropy to within the fine grid, a hopeless case does
not swamp it, probabilities are computed in double precision, and the summary's figures are
the ones its fields name."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from eval.diagnosis import expected_calibration_error
from train.calibration import (
    MIN_CASES,
    CalibrationFit,
    cross_validated_ece,
    fit_top1_temperature,
    top1_confidence,
)


def _cases(true_temperature: float, n: int, c: int = 12, seed: int = 0):
    """Cases whose truth is drawn from softmax(logits / T*), the model's first ranked first."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 3.0, size=(n, c))
    z = logits / true_temperature
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    truth = np.array([rng.choice(c, p=row) for row in p])
    first = logits.argmax(1)
    return logits, first, first == truth, truth


def _cross_entropy(logits, order, correct, t: float) -> float:
    p = np.clip(top1_confidence(logits, order, t), 1e-12, 1 - 1e-12)
    return float(-np.mean(np.where(correct, np.log(p), np.log1p(-p))))


@pytest.mark.parametrize(("true_temperature", "seed"), [(0.8, 1), (2.0, 2), (2.6, 3), (5.0, 4)])
def test_fit_is_the_minimum_of_the_cross_entropy(true_temperature: float, seed: int) -> None:
    logits, first, correct, _ = _cases(true_temperature, n=400, seed=seed)
    t = fit_top1_temperature(logits, first, correct)
    best = minimize_scalar(
        lambda log_t: _cross_entropy(logits, first, correct, float(np.exp(log_t))),
        bounds=(np.log(0.05), np.log(20.0)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    # the grid (5% apart) refined 0.5% apart: within 1% of the true minimum
    assert abs(np.log(t) - best.x) < 0.01, (t, float(np.exp(best.x)))


def test_a_hopeless_true_first_disease_does_not_swamp_the_fit() -> None:
    # the truth ranked first at a probability that underflows to 0 at every temperature
    logits, first, correct, _ = _cases(2.0, n=300)
    hopeless = np.zeros((2, logits.shape[1]))
    hopeless[:, 0] = -1e5
    with_them = fit_top1_temperature(
        np.vstack([logits, hopeless]),
        np.concatenate([first, [0, 0]]),
        np.concatenate([correct, [True, True]]),
    )
    assert with_them == pytest.approx(fit_top1_temperature(logits, first, correct), rel=1e-9)
    assert with_them > 1.0


def test_probabilities_are_computed_in_double_precision() -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(0.0, 8.0, size=(40, 30)).astype(np.float32)
    order = np.argsort(-logits, axis=1)
    for t in (0.3, 1.0, 7.0):
        assert top1_confidence(logits, order, t) == pytest.approx(
            top1_confidence(logits.astype(np.float64), order, t), rel=1e-12, abs=0.0
        )
        assert top1_confidence(logits, order[:, 0], t) == pytest.approx(
            top1_confidence(logits.astype(np.float64), order[:, 0], t), rel=1e-12, abs=0.0
        )


def test_summary_reports_the_fitted_temperature_and_its_errors() -> None:
    logits, first, correct, truth = _cases(3.0, n=300, seed=6)
    fit = CalibrationFit.of(logits, first, correct, truth, temperature_before=1.0)
    assert fit.temperature == pytest.approx(fit_top1_temperature(logits, first, correct))
    assert fit.top1_accuracy == pytest.approx(correct.mean())
    after = top1_confidence(logits, first, fit.temperature)
    before = top1_confidence(logits, first, 1.0)
    assert fit.mean_confidence == pytest.approx(after.mean())
    assert fit.mean_confidence_before == pytest.approx(before.mean())
    assert fit.ece == pytest.approx(expected_calibration_error(after, correct))
    assert fit.ece_before == pytest.approx(expected_calibration_error(before, correct))
    assert 0.0 < fit.ece < fit.ece_before
    # held-out error: a real error, near the in-sample one when one temperature made the data
    cv = cross_validated_ece(logits, first, correct, truth)
    assert fit.cv_ece == pytest.approx(cv)
    assert 0.0 < cv < fit.ece + 0.05


def test_the_least_data_accepted_is_min_cases_and_as_many_diseases_as_folds() -> None:
    logits, first, correct, _ = _cases(2.0, n=MIN_CASES, seed=7)
    groups = np.arange(MIN_CASES) % 5  # five diseases: one per fold
    fit = CalibrationFit.of(logits, first, correct, groups, temperature_before=1.0)
    assert fit.cases == MIN_CASES
    assert fit.cv_ece is not None and fit.cv_ece >= 0.0
    assert cross_validated_ece(logits, first, correct, groups) == pytest.approx(fit.cv_ece)
    with pytest.raises(ValueError, match=str(MIN_CASES)):
        CalibrationFit.of(logits[:-1], first[:-1], correct[:-1], groups[:-1], 1.0)
