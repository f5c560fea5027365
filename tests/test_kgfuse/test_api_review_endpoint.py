"""The HTTP API after a review (2026-12-02): a failing SPARQL endpoint behind the KG is a
502 or 503 that names no URL, deep JSON is refused at the door, and a token only a
hand-made header could carry is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import kgfuse.api as api
from kg.errors import EndpointQueryError, EndpointUnreachableError, NotAnEndpointError
from kgfuse.api import ApiSettings
from tests.test_kgfuse.api_client import API_TOKEN, api_client

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
SECRET_URL = "http://kguser:kgpass@endpoint.example/query"


@pytest.fixture(scope="module")
def client(mini_home: Path, mini_model: Path) -> Iterator[TestClient]:
    with api_client(mini_home, mini_model) as c:
        yield c


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (EndpointUnreachableError(f"no SPARQL endpoint answers at {SECRET_URL}"), 503, "does not"),
        (EndpointQueryError(SECRET_URL, 503, "<html>busy</html>"), 502, "with an error"),
        (NotAnEndpointError(f"{SECRET_URL} answered text/html"), 502, "with an error"),
    ],
)
def test_a_failing_endpoint_is_the_servers_error_and_names_no_url(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    status: int,
    words: str,
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(api, "_term_json", fail)
    r = client.get("/terms/HP:0001166", headers=AUTH)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"] and "SPARQL endpoint" in r.json()["detail"]
    assert "kgpass" not in r.text and "endpoint.example" not in r.text
    monkeypatch.undo()
    assert client.get("/terms/HP:0001166", headers=AUTH).status_code == 200  # still serving


def test_json_nested_past_the_limit_gets_400(client: TestClient) -> None:
    deep = b'{"id": "a", "present_hpo": ["HP:0001166"], "x": ' + b"[" * 80 + b"]" * 80 + b"}"
    r = client.post("/diagnose", content=deep, headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert "nested 81 deep, past the limit of 64" in r.json()["detail"]


@pytest.mark.parametrize("token", ["pässwörd", "tab\there", "snow\u2603man"])
def test_a_token_no_client_can_send_is_refused(mini_home: Path, token: str) -> None:
    with pytest.raises(ValueError, match="only visible ASCII"):
        ApiSettings(mini_home / "kgs" / "hpo", home=mini_home, token=token)


def test_a_token_of_the_bearer_alphabet_is_taken(mini_home: Path) -> None:
    settings = ApiSettings(mini_home / "kgs" / "hpo", home=mini_home, token="a-Z_0.9~+/x==")
    assert settings.token == "a-Z_0.9~+/x=="
