"""Behaviours of eval.task_metrics that mutation testing found unchecked."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from eval.task_metrics import classification_metrics, multilabel_metrics, span_metrics


def test_no_gold_labels_score_zero() -> None:
    assert classification_metrics([], []) == {"accuracy": 0.0, "macro_f1": 0.0}


def test_multilabel_counts_false_positives_and_negatives_apart() -> None:
    # tp 2, fp 1, fn 3: P 2/3, R 2/5, F1 1/2; one of three texts exactly right
    pred = np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]], dtype=bool)
    gold = np.array([[1, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=bool)
    out = multilabel_metrics(pred, gold)
    assert out["micro_precision"] == pytest.approx(2 / 3)
    assert out["micro_recall"] == pytest.approx(2 / 5)
    assert out["micro_f1"] == pytest.approx(1 / 2)
    assert out["subset_accuracy"] == pytest.approx(1 / 3)
    # decisions given as 0/1 floats (a thresholded tensor) count as the booleans do
    assert multilabel_metrics(pred.astype(np.float32), gold.astype(np.float64)) == out


def test_multilabel_of_no_texts_scores_zero_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = multilabel_metrics(np.zeros((0, 3), dtype=bool), np.zeros((0, 3), dtype=bool))
    assert out == {
        "micro_precision": 0.0,
        "micro_recall": 0.0,
        "micro_f1": 0.0,
        "subset_accuracy": 0.0,
    }


def test_mismatched_inputs_are_refused_naming_what_differs() -> None:
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*shape \(3, 2\)"):
        multilabel_metrics(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"1 predicted.*2 gold"):
        span_metrics([set()], [set(), set()])
