"""The inference precisions a fused model can run in, checked without loading torch (so a
command line or a settings object is checked before anything heavy loads).

What each precision means, and how ``auto`` resolves, is in
:func:`fusion.pipeline.resolve_precision`.
"""

from __future__ import annotations

__all__ = ["PRECISIONS", "check_precision"]

PRECISIONS = ("auto", "fp32", "bf16", "int8")


def check_precision(precision: str) -> str:
    """``precision`` when it is one of :data:`PRECISIONS` (for settings checked before any
    model is loaded).

    Raises:
        ValueError: not one of them; the message lists them.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    return precision
