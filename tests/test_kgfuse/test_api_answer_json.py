"""An answer holding a non-finite number is written with ``null`` there (strict JSON has
no NaN), logged, and answered 200: not a 422 that blames the request."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import kgfuse.api as api_module
from kgfuse.api import AnswerResponse
from tests.test_kgfuse.api_client import api_client


def test_a_non_finite_number_is_written_as_null(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="kgfuse.api"):
        body = AnswerResponse({"a": float("nan"), "b": [float("inf"), 1.5, ("x", -float("inf"))]})
    assert json.loads(body.body) == {"a": None, "b": [None, 1.5, ["x", None]]}
    assert "non-finite number" in caplog.text
    assert AnswerResponse({"a": 1.0}).body == b'{"a":1.0}'  # a finite answer as before


def test_a_route_answering_nan_answers_200(
    mini_home: Path, mini_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = api_module._term_json

    def with_nan(*args, **kwargs):
        page = real(*args, **kwargs)
        page["score"] = float("nan")
        return page

    monkeypatch.setattr(api_module, "_term_json", with_nan)
    with api_client(mini_home, mini_model) as client:
        answer = client.get("/terms/HP:0001166")
    assert answer.status_code == 200, answer.text
    assert answer.json()["score"] is None and answer.json()["curie"] == "HP:0001166"
