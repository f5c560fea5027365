"""The HTTP API fuzzed against its own OpenAPI schema (schemathesis, in-process over ASGI:
no sockets), on the mini HPO KG and the tiny model.

Each operation of the schema gets its examples, its coverage cases (values at and past each
bound, missing and wrong-typed fields, bodies of the wrong media type, methods the path is
not served with) and generated requests, valid and invalid. The promise: a bad request
answers a clear 4xx, never a 500; each answer has a status, media type and body that the
schema declares for the operation; without the bearer token every operation but
``/health`` answers 401; and the server goes on serving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from kg.errors import EndpointQueryError, EndpointUnreachableError
from kgfuse.api import ApiSettings, create_app
from tests.test_kgfuse.api_client import API_TOKEN

#: What every answer is checked for: no 5xx; a status code, media type and body the schema
#: declares for the operation; 405 for a method the path is not served with; and a 4xx for
#: a request the schema says is invalid. Not ``positive_data_acceptance``: a request the
#: schema allows may still be refused with the declared 422 of "an input the route
#: refuses", for what JSON Schema cannot say (a /diagnose record needs ``text``, HPO ids or
#: a phenopacket; a question must not be blank or hold a NUL; ``limit`` 5.0 is a JSON
#: Schema integer that the API refuses as it refuses "5").
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
    negative_data_rejection,
]
AUTHORIZED = {"Authorization": f"Bearer {API_TOKEN}"}
#: Seconds a request may take before it fails as a hang (a diagnosis on the tiny model,
#: the slowest, takes well under one).
REQUEST_SECONDS = 20.0
#: The operations the app serves: one left out of the schema would go unfuzzed.
OPERATIONS = {
    "GET /health",
    "POST /ask",
    "POST /diagnose",
    "POST /link",
    "GET /terms/{curie}",
    "GET /audit/{record_id}",
}


@pytest.fixture(scope="module")
def api_app(mini_home: Path, mini_model: Path) -> Iterator[Any]:
    """The app on the mini KG and tiny model with a token and a 20 kB body limit, as the
    API's other tests have it; schemathesis' client runs its lifespan (the preload), ended
    after the module."""
    from schemathesis.python.asgi import shutdown_lifespans

    yield create_app(
        ApiSettings(
            kg_path=mini_home / "kgs" / "hpo",
            model_dir=mini_model,
            home=mini_home,
            token=API_TOKEN,
            max_body_bytes=20_000,
        )
    )
    shutdown_lifespans()


@pytest.fixture(scope="module")
def api_schema(api_app: Any) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    schema.config.update(request_timeout=REQUEST_SECONDS)
    # The tests send the token themselves (it would undo a "negative" case whose only fault
    # is a missing Authorization header, which the token test covers), and the API ignores
    # query parameters it does not know, as HTTP APIs do: neither is a negative case here.
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    # 413 is the declared refusal of a body over the limit (schemathesis' list lacks it)
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis (4.32 at least) names each operation's subtest by rewriting the test's
    node id through pytest's private ``_nodeid``, which pytest 9 no longer has: give the
    test one (pytest itself reads ``nodeid``, unchanged)."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def test_the_schema_lists_every_operation(api_schema: Any) -> None:
    assert {result.ok().label for result in api_schema.get_all_operations()} == OPERATIONS


# No `derandomize` here: CI's profile (tests/conftest.py) derandomizes the draws.
@schema.parametrize()
@settings(max_examples=40, deadline=None)
def test_every_request_gets_a_declared_answer(case: Any) -> None:
    case.call_and_validate(headers=AUTHORIZED, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=15, deadline=None)
def test_without_the_token_only_health_answers(case: Any) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    response = case.call()
    if case.operation.path != "/health":
        assert response.status_code == 401, (case.method, case.formatted_path, response.text)
        assert response.headers["www-authenticate"] == ["Bearer"]
    elif case.method == "GET":
        assert response.status_code == 200, response.text
    else:  # the coverage phase's other methods
        assert response.status_code == 405, (case.method, response.text)
    case.validate_response(response, checks=CHECKS)


def test_a_successful_answer_of_each_operation_passes_the_checks(api_schema: Any) -> None:
    """The fuzzing rarely gets a 200 from a term page, never from /audit (no id to guess):
    one real answer of each operation, checked as the fuzzing checks them (the body
    against the 200 schema each declares, kgfuse.api_models)."""
    question = {"question": "Which genes are associated with Marfan syndrome?"}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("/ask", "POST", {"body": question}),
        ("/ask", "POST", {"body": {"question": "Tall boy with arachnodactyly."}}),
        ("/diagnose", "POST", {"body": {"id": "p", "present_hpo": ["HP:0001166"]}}),
        ("/link", "POST", {"body": {"id": 3, "text": "arachnodactyly, no scoliosis"}}),
        ("/terms/{curie}", "GET", {"path_parameters": {"curie": "OMIM:154700"}}),
        ("/terms/{curie}", "GET", {"path_parameters": {"curie": "HP:0001166"}}),
        ("/terms/{curie}", "GET", {"path_parameters": {"curie": "NCBIGene:2200"}}),
    ]
    audit_ids = []
    for path, method, kwargs in requests:
        case = api_schema[path][method].Case(**kwargs)
        response = case.call_and_validate(headers=AUTHORIZED, checks=CHECKS)
        assert response.status_code == 200, (path, response.text)
        audit_ids.append(response.json().get("audit_id"))
    for audit_id in filter(None, audit_ids):
        case = api_schema["/audit/{record_id}"]["GET"].Case(path_parameters={"record_id": audit_id})
        response = case.call_and_validate(headers=AUTHORIZED, checks=CHECKS)
        assert response.status_code == 200, response.text
    assert len([i for i in audit_ids if i]) == 3


def test_the_server_still_serves_after_the_fuzzing(api_app: Any) -> None:
    from schemathesis.python.asgi import get_client

    with get_client(api_app) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["ready"] is True
        linked = client.post(
            "/link", json={"id": "a", "text": "arachnodactyly"}, headers=AUTHORIZED
        )
        assert linked.status_code == 200 and linked.json()["mentions"], linked.text


# ---- what the fuzzing found ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "kwargs", "allowed"),
    [
        ("PUT", "/health", {}, "GET, HEAD"),
        (
            "POST",
            "/terms/HP:0001166",
            {"content": b"x", "headers": {"content-type": "text/plain"}},
            "GET, HEAD",
        ),
        ("PATCH", "/ask", {"json": {"question": "What is arachnodactyly?"}}, "POST"),
        ("PUT", "/audit/" + "0" * 32, {"content": b"{" * 30_000}, "GET, HEAD"),
        ("GET", "/ask", {}, "POST"),  # the same sentence as a PUT's (Starlette's own before)
        ("DELETE", "/diagnose", {}, "POST"),
    ],
)
def test_a_method_the_path_is_not_served_with_answers_405_not_415(
    api_app: Any, method: str, path: str, kwargs: dict[str, Any], allowed: str
) -> None:
    """PUT /health with no body answered 415 "send the body as JSON", as if JSON would
    do; now 405 naming the methods, with the body unread (whatever it is, however big)."""
    client = TestClient(api_app, headers=AUTHORIZED)
    r = client.request(method, path, **kwargs)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allowed
    assert r.json() == {"detail": f"{method} is not allowed here; use {allowed}"}


def test_bodies_of_served_and_unknown_paths_are_checked_as_before(api_app: Any) -> None:
    client = TestClient(api_app, headers=AUTHORIZED)
    text = {"content": b"{}", "headers": {"content-type": "text/plain"}}
    assert client.post("/ask", **text).status_code == 415
    assert client.post("/no-such-path", **text).status_code == 415
    assert client.post("/no-such-path", json={}).status_code == 404
    assert client.put("/ask", headers={"Authorization": ""}).status_code == 401  # token first


def test_the_guard_answers_405_before_reading_the_body_and_closes() -> None:
    from starlette.routing import Route, Router

    from kgfuse.api_guard import RequestGuard

    async def endpoint(request: Any) -> Any:  # pragma: no cover - never reached
        raise AssertionError("the route must not run")

    router = Router([Route("/only-get", endpoint, methods=["GET"])])
    received: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        received.append({})
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    scope = {"type": "http", "method": "POST", "path": "/only-get", "headers": headers}
    asyncio.run(RequestGuard(router, max_bytes=10, router=router)(scope, receive, send))
    assert sent[0]["status"] == 405 and not received
    assert (b"allow", b"GET, HEAD") in sent[0]["headers"]
    assert (b"connection", b"close") in sent[0]["headers"]  # the unread body ends nothing


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (EndpointUnreachableError("no SPARQL endpoint answers"), 503),
        (EndpointQueryError("http://endpoint.example/query", 500, "boom"), 502),
    ],
)
def test_a_kg_read_from_an_endpoint_declares_its_502_and_503(
    mini_home: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:
    """A failing endpoint answered 502/503 that no route's schema listed."""
    import kgfuse.api as api

    def fail(*args: object) -> None:
        raise error

    monkeypatch.setattr(api, "_term_json", fail)
    app = create_app(
        ApiSettings("http://endpoint.example/query", home=mini_home, token=API_TOKEN, preload=False)
    )
    endpoint_schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    for operation in endpoint_schema.get_all_operations():
        if operation.ok().path != "/health":
            assert {"502", "503"} <= set(operation.ok().definition.raw["responses"])
    case = endpoint_schema["/terms/{curie}"]["GET"].Case(path_parameters={"curie": "HP:0001166"})
    response = case.call(headers=AUTHORIZED)
    assert response.status_code == status, response.text
    declared = [status_code_conformance, content_type_conformance, response_schema_conformance]
    case.validate_response(response, checks=declared)


def test_a_local_kg_declares_no_endpoint_errors(api_schema: Any) -> None:
    for operation in api_schema.get_all_operations():
        assert "502" not in operation.ok().definition.raw["responses"]
