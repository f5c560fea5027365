r"""Metrics of text and token classification.

- Single label: accuracy and macro-F1, the mean of per-label F1 over the labels that occur
  in the gold labels or the predictions.
- Multi-label: micro precision, recall and F1 over all (text, label) decisions, and subset
  accuracy (every label of a text right).
- Spans: exact-match precision, recall and F1, a predicted span counting only when its
  start, end and label equal a gold span's (CoNLL-style, micro over all texts).

With :math:`tp, fp, fn` counts, :math:`P = tp / (tp + fp)`, :math:`R = tp / (tp + fn)`,
:math:`F_1 = 2PR / (P + R)`, each 0 when its denominator is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["classification_metrics", "multilabel_metrics", "prf", "span_metrics"]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of counts (0 for an empty denominator)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def classification_metrics(pred: Sequence[int], gold: Sequence[int]) -> dict[str, float]:
    """Accuracy and macro-F1 of single-label predictions.

    Raises:
        ValueError: the two sequences differ in length.
    """
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predictions for {len(gold)} gold labels")
    if not gold:
        return {"accuracy": 0.0, "macro_f1": 0.0}
    p, g = np.asarray(pred), np.asarray(gold)
    f1s = []
    for label in np.union1d(p, g):
        tp = int(((p == label) & (g == label)).sum())
        fp = int(((p == label) & (g != label)).sum())
        fn = int(((p != label) & (g == label)).sum())
        f1s.append(prf(tp, fp, fn)[2])
    return {"accuracy": float((p == g).mean()), "macro_f1": float(np.mean(f1s))}


def multilabel_metrics(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Micro P/R/F1 and subset accuracy of ``(N, L)`` boolean decisions.

    Raises:
        ValueError: the shapes differ.
    """
    pred, gold = np.asarray(pred, dtype=bool), np.asarray(gold, dtype=bool)
    if pred.shape != gold.shape:
        raise ValueError(f"prediction shape {pred.shape} != gold shape {gold.shape}")
    tp = int((pred & gold).sum())
    fp = int((pred & ~gold).sum())
    fn = int((~pred & gold).sum())
    p, r, f = prf(tp, fp, fn)
    subset = float((pred == gold).all(axis=1).mean()) if len(gold) else 0.0
    return {"micro_precision": p, "micro_recall": r, "micro_f1": f, "subset_accuracy": subset}


def span_metrics(
    pred: Sequence[Iterable[tuple[int, int, str]]], gold: Sequence[Iterable[tuple[int, int, str]]]
) -> dict[str, float]:
    """Exact-match span precision, recall and F1 over texts (``(start, end, label)`` spans).

    Raises:
        ValueError: the two sequences differ in length.
    """
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predicted texts for {len(gold)} gold texts")
    tp = fp = fn = 0
    for p_spans, g_spans in zip(pred, gold, strict=True):
        p, g = set(p_spans), set(g_spans)
        tp += len(p & g)
        fp += len(p - g)
        fn += len(g - p)
    precision, recall, f1 = prf(tp, fp, fn)
    return {"precision": precision, "recall": recall, "f1": f1}
