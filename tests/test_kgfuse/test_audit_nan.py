"""A NaN or infinity in what the audit log would store is refused by its field path,
before anything is written."""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kgfuse.audit import AuditLog, canonical_json
from kgfuse.explanation import Explanation, RankedAnswer

MARFAN = "https://omim.org/entry/154700"


def _explanation() -> Explanation:
    return Explanation(
        kind="test-diagnose",
        input_text="long thin fingers",
        ranking=[RankedAnswer(MARFAN, "Marfan syndrome", 8.6, 0.97)],
        kg_fingerprint="k" * 64,
        model_fingerprint="m" * 64,
    )


def _input(score: float) -> dict[str, Any]:
    ranking = [{"iri": MARFAN, "score": s} for s in (9.0, 8.0, 7.0, score)]
    return {"text": "long thin fingers", "outputs": {"ranking": ranking}}


def _rows(log: AuditLog) -> int:
    with sqlite3.connect(log.path) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_records").fetchone()[0])


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    with AuditLog(tmp_path / "audit.sqlite") as log:
        yield log


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_input_refused_by_field_and_log_stays_valid(log: AuditLog, bad: float) -> None:
    first = log.record(_explanation(), _input(6.0))
    head = log.verify_chain().head

    with pytest.raises(ValueError, match=re.escape(f"input.outputs.ranking[3].score is {bad!r}")):
        log.record(_explanation(), _input(bad))

    assert _rows(log) == 1
    report = log.verify_chain()
    assert report.ok and report.records == 1 and report.head == head
    second = log.record(_explanation(), _input(5.0))
    report = log.verify_chain(expect_head=head)
    assert report.ok and report.records == 2
    assert log.get(second).seq == 2 and log.get(second).prev_hash == log.get(first).hash


def test_non_finite_config_refused_by_field(log: AuditLog) -> None:
    log.record(_explanation(), "x", config={"top_k": 10})

    with pytest.raises(ValueError, match=re.escape('config["rule weights"][1] is nan')):
        log.record(_explanation(), "x", config={"top_k": 10, "rule weights": [1.0, math.nan]})

    assert _rows(log) == 1
    assert log.verify_chain().ok


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (math.nan, "value is nan"),
        ({"a": {"b": (1, -math.inf)}}, "value.a.b[1] is -inf"),
        ({"b": math.nan, "a": math.inf}, "value.a is inf"),  # the first in sorted-key order
        ({3: math.nan}, 'value["3"] is nan'),
        ({math.nan: 1}, "a key of value is nan"),
    ],
)
def test_canonical_json_names_the_non_finite_field(value: Any, where: str) -> None:
    with pytest.raises(ValueError, match=re.escape(where)):
        canonical_json(value)


def test_canonical_json_other_value_errors_unchanged() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        canonical_json(loop)
