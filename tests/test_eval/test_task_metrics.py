"""Metrics of text and token classification on hand-counted cases."""

from __future__ import annotations

import numpy as np
import pytest

from eval.task_metrics import classification_metrics, multilabel_metrics, prf, span_metrics


def test_prf_handles_empty_denominators() -> None:
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)
    assert prf(2, 2, 0) == (0.5, 1.0, pytest.approx(2 / 3))


def test_classification_metrics_macro_f1_by_hand() -> None:
    # label 0: tp 1 fp 1 fn 0 -> F1 2/3; label 1: tp 1 fp 0 fn 1 -> 2/3; label 2: tp 1 -> 1
    out = classification_metrics([0, 0, 1, 2], [0, 1, 1, 2])
    assert out["accuracy"] == 0.75
    assert out["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    with pytest.raises(ValueError, match="predictions"):
        classification_metrics([0], [0, 1])


def test_multilabel_metrics_micro_by_hand() -> None:
    pred = np.array([[1, 0, 1], [0, 0, 0]], dtype=bool)
    gold = np.array([[1, 1, 0], [0, 0, 0]], dtype=bool)
    out = multilabel_metrics(pred, gold)
    assert out["micro_precision"] == 0.5 and out["micro_recall"] == 0.5
    assert out["micro_f1"] == 0.5 and out["subset_accuracy"] == 0.5


def test_span_metrics_exact_match_only() -> None:
    gold = [{(0, 5, "offence"), (10, 15, "element")}, set()]
    pred = [{(0, 5, "offence"), (10, 14, "element")}, {(1, 2, "offence")}]
    out = span_metrics(pred, gold)
    assert out["precision"] == pytest.approx(1 / 3)
    assert out["recall"] == pytest.approx(1 / 2)
    assert out["f1"] == pytest.approx(0.4)
