"""``training.json`` is valid JSON whatever numbers a run's result holds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from train.result_json import RESULT_FILE, json_safe, write_result_json


@dataclass
class _Result:
    out: Path
    ece: float
    history: list[dict[str, float]] = field(default_factory=list)
    dev: dict[str, float] | None = None


def _strict(text: str) -> dict:
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in training.json"))


def test_numbers_json_cannot_hold_are_written_as_null(tmp_path: Path) -> None:
    result = _Result(
        tmp_path / "model",
        float("nan"),
        [{"epoch": 1, "loss": float("nan")}, {"epoch": 2, "loss": 0.5}],
        {"mrr": float("inf"), "top1": 0.25},
    )
    write_result_json(tmp_path, result)
    data = _strict((tmp_path / RESULT_FILE).read_text(encoding="utf-8"))
    assert data == {
        "out": str(tmp_path / "model"),
        "ece": None,
        "history": [{"epoch": 1, "loss": None}, {"epoch": 2, "loss": 0.5}],
        "dev": {"mrr": None, "top1": 0.25},
    }
    assert not list(tmp_path.glob("*.tmp*"))


def test_only_a_result_record_is_written(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="dataclass"):
        write_result_json(tmp_path, {"ece": 0.1})
    assert not (tmp_path / RESULT_FILE).exists()


def test_json_safe_keeps_what_json_holds() -> None:
    value = {"loss": float("nan"), "x": (1.0, float("-inf")), "n": 3, "s": "a", "none": None}
    safe = json_safe(value)
    assert safe == {"loss": None, "x": [1.0, None], "n": 3, "s": "a", "none": None}
    assert json.dumps(safe, allow_nan=False)
