"""Temperature fitted to the first disease's probability (train.calibration)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.diagnosis import expected_calibration_error
from fusion.ordered_probabilities import along_order
from train.calibration import (
    MIN_CASES,
    CalibrationFit,
    cross_validated_ece,
    fit_top1_temperature,
    top1_confidence,
)


def _cases(true_temperature: float, n: int = 3000, c: int = 12, seed: int = 0):
    """Cases whose truth is drawn from softmax(logits / T*): T* is the right temperature."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 3.0, size=(n, c))
    p = torch.softmax(torch.from_numpy(logits / true_temperature), -1).numpy()
    truth = np.array([rng.choice(c, p=row) for row in p])
    first = logits.argmax(1)
    return logits, first, first == truth, truth


@given(
    st.lists(st.floats(-30, 30), min_size=2, max_size=8),
    st.floats(0.1, 10.0),
)
@settings(max_examples=50, deadline=None)
def test_top1_confidence_is_the_softmax_of_the_first(row: list[float], t: float) -> None:
    logits = np.array([row])
    first = np.array([int(np.argmin(row))])  # any index, not only the best
    expected = torch.softmax(torch.tensor(row, dtype=torch.float64) / t, -1)[first[0]]
    assert top1_confidence(logits, first, t)[0] == pytest.approx(float(expected), rel=1e-9)


@given(
    st.lists(st.floats(-30, 30), min_size=2, max_size=8),
    st.floats(0.1, 10.0),
    st.randoms(use_true_random=False),
)
@settings(max_examples=50, deadline=None)
def test_top1_confidence_along_an_order_is_the_rankings_first_probability(
    row: list[float], t: float, rng
) -> None:
    logits = np.array([row])
    order = np.arange(len(row))
    rng.shuffle(order)
    p = torch.softmax(torch.tensor(row, dtype=torch.float64) / t, -1).numpy()
    expected = along_order(p, order)[order[0]]
    assert top1_confidence(logits, order[None, :], t)[0] == pytest.approx(expected, rel=1e-9)
    # in the model's own order, the softmax of the first
    own = np.argsort(-p, kind="stable")
    assert top1_confidence(logits, own[None, :], t)[0] == pytest.approx(p.max(), rel=1e-9)


@pytest.mark.parametrize("temperature", [0.3, 3.0, 300.0])
def test_top1_confidence_over_many_candidates_reads_as_far_as_it_must(temperature: float) -> None:
    # a few places decide sharp rows; flat ones (a high temperature) read every place
    rng = np.random.default_rng(1)
    logits = rng.normal(0.0, 4.0, size=(50, 400))
    order = np.argsort(rng.random((50, 400)), axis=1)  # rankings the model disagrees with
    p = torch.softmax(torch.from_numpy(logits / temperature), -1).numpy()
    expected = [along_order(row, o)[o[0]] for row, o in zip(p, order, strict=True)]
    assert top1_confidence(logits, order, temperature) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("true_temperature", [0.5, 3.0])
def test_fit_recovers_the_temperature_that_generated_the_outcomes(
    true_temperature: float,
) -> None:
    logits, first, correct, _ = _cases(true_temperature)
    t = fit_top1_temperature(logits, first, correct)
    assert t == pytest.approx(true_temperature, rel=0.2)
    fitted = expected_calibration_error(top1_confidence(logits, first, t), correct)
    at_one = expected_calibration_error(top1_confidence(logits, first, 1.0), correct)
    assert fitted < at_one


def test_cross_validated_error_and_summary() -> None:
    logits, first, correct, truth = _cases(3.0, n=600)
    cv = cross_validated_ece(logits, first, correct, truth)
    assert 0.0 <= cv < 0.1  # one temperature generated every fold
    fit = CalibrationFit.of(logits, first, correct, truth, temperature_before=1.0)
    assert fit.cases == 600 and fit.temperature_before == 1.0
    assert fit.ece < fit.ece_before and fit.cv_ece == pytest.approx(cv)
    assert fit.mean_confidence < fit.mean_confidence_before  # T* > 1: less confident


def test_bad_inputs_are_refused() -> None:
    logits, first, correct, truth = _cases(2.0, n=40)
    with pytest.raises(ValueError, match="same cases"):
        fit_top1_temperature(logits, first[:-1], correct)
    with pytest.raises(ValueError, match="no case"):
        fit_top1_temperature(logits[:0], first[:0], correct[:0])
    with pytest.raises(ValueError, match="positive"):
        top1_confidence(logits, first, 0.0)
    with pytest.raises(ValueError, match=f"at least {MIN_CASES}"):
        CalibrationFit.of(logits[:5], first[:5], correct[:5], truth[:5], 1.0)
    with pytest.raises(ValueError, match="distinct diseases"):
        cross_validated_ece(logits, first, correct, np.zeros(40, int))
    # fewer diseases than folds: fitted, without the cross-validated figure
    fit = CalibrationFit.of(logits, first, correct, np.arange(40) % 2, 1.0)
    assert fit.cv_ece is None
