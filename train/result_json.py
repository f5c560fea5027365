"""``training.json``: a training run's result as valid JSON, written whole.

A result may hold floats that JSON cannot (NaN, infinities: the loss of an epoch that ran no
step, a throughput of no step, a metric of an empty set); they are written as ``null``, so
every reader (``json.loads`` with strict constants, other languages) can read the file.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from kg.atomic import write_atomic

__all__ = ["json_safe", "write_result_json"]

#: The file of a model folder that holds its training run's result.
RESULT_FILE = "training.json"


def json_safe(value: Any) -> Any:
    """``value`` with every float JSON cannot hold as None and every path as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def write_result_json(folder: Path, result: Any) -> None:
    """Write the dataclass ``result`` as ``folder/training.json``, atomically."""
    if not is_dataclass(result):
        raise TypeError(f"a training result is a dataclass, got {type(result).__name__}")
    data = {f.name: json_safe(getattr(result, f.name)) for f in fields(result)}
    write_atomic(folder / RESULT_FILE, json.dumps(data, indent=2, allow_nan=False))
