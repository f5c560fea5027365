"""The HTTP API on the mini HPO KG: routes, token, limits, bad requests, concurrency."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from kgfuse.api import ApiSettings, create_app
from tests.test_kgfuse.api_client import API_TOKEN, api_client, served

TOKEN = API_TOKEN


@pytest.fixture(scope="module")
def client(mini_home: Path, mini_model: Path):
    with api_client(mini_home, mini_model, preload=True) as c:
        yield c


def test_health_needs_no_token(client: TestClient) -> None:
    r = client.get("/health", headers={"Authorization": ""})
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["ready"]


#: What kgfuse.api documents as served without the token: liveness, the web page, its icon
#: and files, the API's docs and their files. Every other route of the app needs it.
OPEN_ROUTES = frozenset(
    {"/health", "/", "/favicon.ico", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
OPEN_MOUNTS = frozenset({"/static", "/static-offline-docs"})
#: Values of the routes' path parameters (any other: "x").
PATH_VALUES = {"curie": "HP:0001166", "record_id": "abc"}


def _guarded_requests(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route of ``app`` but the open ones, its parameters filled in;
    a mount's files as ``MOUNT/x``."""
    requests: list[tuple[str, str]] = []
    for route in app.routes:
        if isinstance(route, Mount):
            if route.path not in OPEN_MOUNTS:
                requests.append(("GET", route.path + "/x"))
        elif route.path not in OPEN_ROUTES:
            path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PATH_VALUES.get(m[1], "x"), route.path)
            methods = getattr(route, "methods", None) or {"GET"}
            requests += [(method, path) for method in sorted(methods)]
    return requests


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic czNjcmV0"])
def test_every_other_route_needs_the_token(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {"Authorization": ""}
    app: Any = client.app
    paths = {route.path for route in app.routes}
    assert paths >= OPEN_ROUTES | OPEN_MOUNTS  # the open list names routes the app has
    requests = _guarded_requests(app)
    assert {("POST", "/ask"), ("POST", "/link"), ("POST", "/diagnose")} <= set(requests)
    assert {("GET", "/terms/HP:0001166"), ("HEAD", "/audit/abc")} <= set(requests)
    for method, path in requests:
        body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (method, path, r.text)
        if method != "HEAD":
            assert "bearer token" in r.json()["detail"], (method, path)


def test_ask_answers_fbn1_with_iri(client: TestClient) -> None:
    r = client.post("/ask", json={"question": "Which genes are associated with Marfan syndrome?"})
    assert r.status_code == 200
    data = r.json()
    fbn1 = next(i for i in data["items"] if i["label"] == "FBN1")
    assert fbn1["iri"] == "https://identifiers.org/ncbigene:2200"
    assert data["facts"] and data["audit_id"]
    audit = client.get(f"/audit/{data['audit_id']}")
    assert audit.status_code == 200 and audit.json()["kind"] == "ask"
    assert audit.json()["curies"]["https://omim.org/entry/154700"] == "OMIM:154700"


def test_diagnose_and_link_follow_the_jsonl_contracts(client: TestClient) -> None:
    r = client.post(
        "/diagnose",
        json={"id": "p1", "present_hpo": ["HP:0001166", "HP:0001083"], "excluded_hpo": []},
    )
    assert r.status_code == 200
    out = r.json()
    assert out["id"] == "p1" and out["ranking"][0]["curie"] and out["audit_id"]
    note = "Tall, with arachnodactyly; no ectopia lentis."
    r = client.post("/link", json={"id": 7, "text": note})
    assert r.status_code == 200
    mentions = {m["curie"]: m["excluded"] for m in r.json()["mentions"]}
    assert mentions["HP:0001166"] is False and mentions["HP:0001083"] is True
    # a record without an id is named "text" by both, as the CLI's --text names it
    r = client.post("/diagnose", json={"present_hpo": ["HP:0001166"]})
    assert r.status_code == 200 and r.json()["id"] == "text"
    r = client.post("/link", json={"text": note})
    assert r.status_code == 200 and r.json()["id"] == "text"


def test_terms_known_and_unknown(client: TestClient) -> None:
    r = client.get("/terms/HP:0001166")
    assert r.status_code == 200
    term = r.json()
    assert term["label"] == "Arachnodactyly" and "spider" in term["definition"]
    r = client.get("/terms/HP:9999999")
    assert r.status_code == 404 and "HP:9999999" in r.json()["detail"]
    r = client.get("/terms/" + "'%7D%20DROP%20ALL")
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)",
        ),
        (
            {
                "content": b'{"question": "\xff\xfe"}',
                "headers": {"content-type": "application/json"},
            },
            400,
            "not valid UTF-8 (byte 0xff at offset 14)",
        ),
        ({"json": {"question": "q" * 10, "top_k": 5}}, 422, "Extra inputs are not permitted"),
        ({"json": {"question": ""}}, 422, '"the question is empty"'),  # as a blank one
        ({"json": {"question": "x" * 2001}}, 422, "at most 2000 characters"),
        ({"json": {"nothing": 1}}, 422, "Field required"),
        ({"json": {"question": "q" * 10, "limit": -1}}, 422, "greater than or equal"),
        ({"json": {"question": "q" * 10, "limit": "5"}}, 422, "valid integer"),
        ({"json": {"question": "q" * 10, "limit": True}}, 422, "valid integer"),
        ({"content": b"x" * 30_000, "headers": {"content-type": "application/json"}}, 413, "over"),
    ],
)
def test_bad_requests_get_clear_errors(client: TestClient, kwargs, status, message) -> None:
    r = client.post("/ask", **kwargs)
    assert r.status_code == status
    assert message in json.dumps(r.json())


def test_bad_records_and_hostile_strings_then_the_server_still_serves(client: TestClient) -> None:
    assert client.post("/diagnose", json={"id": "e", "text": "   "}).status_code == 422
    assert client.post("/diagnose", json=["not", "a", "record"]).status_code == 422
    hostile = "'} ; DROP ALL ; INSERT DATA { <a> <b> <c> } #"
    r = client.post("/ask", json={"question": hostile})
    assert r.status_code == 200 and r.json()["answered"] is False
    r = client.post("/ask", json={"question": "What is arachnodactyly?"})
    assert r.status_code == 200 and r.json()["answered"]


def test_concurrent_requests_are_all_served(client: TestClient) -> None:
    questions = [
        "What is arachnodactyly?",
        "Which diseases have ectopia lentis?",
        "Which genes are associated with Marfan syndrome?",
        "Is arachnodactyly a feature of Marfan syndrome?",
    ] * 4

    def one(q: str) -> int:
        return client.post("/ask", json={"question": q}).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, questions)) == [200] * len(questions)


def test_lookups_are_answered_while_diagnoses_hold_the_model_threads(
    mini_home: Path, mini_model: Path, monkeypatch
) -> None:
    settings = ApiSettings(
        kg_path=mini_home / "kgs" / "hpo", model_dir=mini_model, home=mini_home, workers=2
    )
    with TestClient(create_app(settings)) as c:
        service = c.app.state.services.diagnosis
        gate, started = threading.Event(), threading.Event()
        diagnose = service.run

        def held(record, index, *args, **kwargs):  # a long diagnosis, until the gate opens
            started.set()
            gate.wait(30)
            return diagnose(record, index, *args, **kwargs)

        monkeypatch.setattr(service, "run", held)
        record = {"id": "p", "present_hpo": ["HP:0001166"]}
        with ThreadPoolExecutor(2) as pool:
            pending = [pool.submit(c.post, "/diagnose", json=record) for _ in range(2)]
            try:
                assert started.wait(30)
                r = c.post("/ask", json={"question": "What is arachnodactyly?"})
                assert r.status_code == 200 and r.json()["intent"] == "definition"
                assert not any(p.done() for p in pending)  # the lookup did not wait for them
            finally:
                gate.set()
            assert [p.result().status_code for p in pending] == [200, 200]


def test_openapi_and_page(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/ask", "/diagnose", "/link", "/terms/{curie}", "/audit/{record_id}"} <= set(
        schema["paths"]
    )
    page = client.get("/")
    assert page.status_code == 200 and "kgfuse" in page.text
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")  # no CDN
    assert client.get("/static/app.js").status_code == 200


def test_diagnosis_questions_are_audited_once_after_diagnose_requests(
    client: TestClient, mini_home: Path
) -> None:
    from kgfuse.audit import AuditLog

    assert client.post("/diagnose", json={"id": "p", "present_hpo": ["HP:0001166"]}).is_success
    log = AuditLog(mini_home / "audit.sqlite")
    before = len(log)
    question = "Which diseases explain arachnodactyly and ectopia lentis?"
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200 and r.json()["intent"] == "diagnose"
    assert len(log) == before + 1 and log.get(r.json()["audit_id"]).kind == "ask"


def test_settings_travel_to_worker_processes_as_json(mini_home: Path, monkeypatch) -> None:
    from kgfuse.api import SETTINGS_ENV, app_from_environment

    local = ApiSettings(mini_home / "kgs" / "hpo", None, mini_home, token="t", workers=2)
    assert ApiSettings.from_json(local.to_json()) == local
    remote = ApiSettings("http://127.0.0.1:7878/query", home=mini_home)
    assert ApiSettings.from_json(remote.to_json()).kg_path == "http://127.0.0.1:7878/query"
    with pytest.raises(ValueError, match="unknown API settings"):
        ApiSettings.from_json(json.dumps({"kg_path": "x", "threads": 3}))
    fp32 = ApiSettings(mini_home / "kgs" / "hpo", home=mini_home, precision="fp32")
    assert ApiSettings.from_json(fp32.to_json()).precision == "fp32"
    with pytest.raises(ValueError, match="unknown precision 'fp16'"):
        ApiSettings(mini_home / "kgs" / "hpo", home=mini_home, precision="fp16")
    monkeypatch.delenv(SETTINGS_ENV, raising=False)
    with pytest.raises(RuntimeError, match=SETTINGS_ENV):
        app_from_environment()
    monkeypatch.setenv(SETTINGS_ENV, local.to_json())
    assert app_from_environment().title == "kgfuse"


def test_torch_threads_setting_is_checked_and_applied(mini_home: Path) -> None:
    import torch

    with pytest.raises(ValueError, match="torch_threads must be at least 1"):
        ApiSettings(mini_home / "kgs" / "hpo", torch_threads=0)
    before = torch.get_num_threads()
    settings = ApiSettings(mini_home / "kgs" / "hpo", home=mini_home, torch_threads=1)
    assert ApiSettings.from_json(settings.to_json()).torch_threads == 1
    try:
        create_app(replace(settings, preload=False))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_two_server_processes_share_one_port_and_one_audit_chain(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    import httpx

    from kgfuse.audit import AuditLog

    with served(mini_home, mini_model, "--processes", "2") as (_, url):
        before = len(AuditLog(mini_home / "audit.sqlite"))
        questions = ["What is arachnodactyly?", "Which genes are associated with Marfan syndrome?"]

        def one(i: int) -> int:
            q = questions[i % 2]
            return httpx.post(f"{url}/ask", json={"question": q}, timeout=60).status_code

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(one, range(24))) == [200] * 24
    log = AuditLog(mini_home / "audit.sqlite")
    assert len(log) == before + 24
    assert log.verify_chain().ok


def test_chunked_bodies_are_limited_too(client: TestClient) -> None:
    def chunks(total: int):
        body = json.dumps({"question": "What is arachnodactyly?" + " " * total}).encode()
        for i in range(0, len(body), 4096):
            yield body[i : i + 4096]

    r = client.post("/ask", content=chunks(30_000), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over 20,000 bytes" in r.json()["detail"]
    small = json.dumps({"question": "What is arachnodactyly?"}).encode()
    r = client.post(
        "/ask", content=iter([small[:10], small[10:]]), headers={"content-type": "application/json"}
    )
    assert r.status_code == 200 and r.json()["intent"] == "definition"


def _asgi_call(app, headers: list[tuple[bytes, bytes]], messages: list[dict]) -> list[dict]:
    """Run one HTTP request through an ASGI app; the messages it sent back."""
    import asyncio

    incoming = list(messages)
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent


def test_request_guard_refuses_bad_framing_and_hands_on_whole_bodies() -> None:
    from kgfuse.api_guard import RequestGuard

    seen: list[bytes] = []

    async def inner(scope, receive, send) -> None:
        message = await receive()
        seen.append(message["body"])
        assert not message["more_body"]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limited = RequestGuard(inner, max_bytes=10)
    json_type = (b"content-type", b"application/json")

    def status(sent: list[dict]) -> int:
        return sent[0]["status"]

    bad = _asgi_call(limited, [(b"content-length", b"12abc"), json_type], [])
    assert status(bad) == 400 and b"invalid Content-Length" in bad[1]["body"]
    assert status(_asgi_call(limited, [(b"content-length", b"11"), json_type], [])) == 413
    parts = [{"type": "http.request", "body": b"[1,2,3", "more_body": True}] * 2
    assert status(_asgi_call(limited, [json_type], parts)) == 413
    # a small declared length cannot carry a bigger body past the limit
    both = [(b"content-length", b"5"), (b"transfer-encoding", b"chunked"), json_type]
    sent = _asgi_call(limited, both, parts)
    assert status(sent) == 400 and b"not both" in sent[1]["body"]
    assert status(_asgi_call(limited, [(b"content-length", b"8"), json_type], parts)) == 413
    assert seen == []  # refused before the app read anything
    parts = [
        {"type": "http.request", "body": b'["abc"', "more_body": True},
        {"type": "http.request", "body": b",1]", "more_body": False},
    ]
    assert status(_asgi_call(limited, [json_type], parts)) == 204 and seen == [b'["abc",1]']


def test_request_guard_gives_up_on_a_body_that_does_not_arrive() -> None:
    import asyncio

    from kgfuse.api_guard import RequestGuard

    async def inner(scope, receive, send) -> None:  # pragma: no cover - never reached
        raise AssertionError("the app must not run")

    sent: list[dict] = []

    async def receive() -> dict:
        await asyncio.sleep(5)  # a client that sends its headers, then stalls
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/ask",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(RequestGuard(inner, max_bytes=100, body_seconds=0.2)(scope, receive, send))
    assert sent[0]["status"] == 408 and b"did not arrive within 0.2 s" in sent[1]["body"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b'{"question": NaN}', "NaN is not a JSON number"),
        (b'{"question": "x", "limit": Infinity}', "Infinity is not a JSON number"),
        (b'{"question": "\\ud800 arachnodactyly"}', "unpaired UTF-16 surrogate escape (U+D800)"),
        (b"[" * 5_000 + b"]" * 5_000, "nested too deeply"),
        (b'{"limit": ' + b"9" * 5000 + b"}", "an integer too long (over 4,300 digits)"),
    ],
)
def test_bodies_that_are_not_usable_json_get_400(
    client: TestClient, body: bytes, message: str
) -> None:
    r = client.post("/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert message in r.json()["detail"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_sent_as_json_gets_415(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/ask", content=b'{"question": "What is arachnodactyly?"}', headers=headers)
    assert r.status_code == 415 and "Content-Type: application/json" in r.json()["detail"]
    r = client.post(
        "/ask",
        content=b'{"question": "What is arachnodactyly?"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200


def test_the_token_is_checked_before_the_body_is_read(client: TestClient) -> None:
    r = client.post(
        "/ask",
        content=b"not json",
        headers={"content-type": "application/json", "Authorization": ""},
    )
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    wrong = client.get("/terms/HP:0001166", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "not this server's" in wrong.json()["detail"]
    lower = client.get("/terms/HP:0001166", headers={"Authorization": f"bearer {TOKEN}"})
    assert lower.status_code == 200


def test_get_routes_answer_head(client: TestClient) -> None:
    for path in ("/health", "/", "/terms/HP:0001166"):
        r = client.head(path)
        assert r.status_code == 200 and r.content == b"", path


def test_the_api_docs_need_no_cdn(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path, headers={"Authorization": ""})
        assert page.status_code == 200
        scripts = [line for line in page.text.splitlines() if "<script src" in line]
        assert scripts and not any("http" in line for line in scripts), scripts
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200


def test_a_422_quotes_a_long_input_cut_short(client: TestClient) -> None:
    r = client.post("/ask", json={"question": "x" * 5000})
    assert r.status_code == 422 and "at most 2000 characters" in r.text
    quoted = r.json()["detail"][0]["input"]
    assert quoted.endswith("... (5,000 characters)") and len(quoted) < 300


def test_link_takes_only_its_fields_and_strict_ids(client: TestClient) -> None:
    r = client.post("/link", json={"id": True, "text": "arachnodactyly"})
    assert r.status_code == 422
    r = client.post("/link", json={"id": "a", "text": "arachnodactyly", "txet": "x"})
    assert r.status_code == 422 and "Extra inputs" in r.text
    r = client.post("/link", json={"id": "a", "text": "   "})
    assert r.status_code == 422 and r.json()["detail"] == "text is empty"


def test_diagnose_refuses_a_bad_sex_and_too_many_terms(client: TestClient) -> None:
    r = client.post("/diagnose", json={"id": "a", "present_hpo": ["HP:0001166"], "sex": 5})
    assert r.status_code == 422 and "sex must be male, female" in r.json()["detail"]
    terms = [f"HP:{i:07d}" for i in range(1001)]
    r = client.post("/diagnose", json={"id": "a", "present_hpo": terms})
    assert r.status_code == 422 and "1,001 HPO terms exceed the 1,000" in r.json()["detail"]
    r = client.post("/diagnose", json={"id": "a", "present_hpo": ["HP:0001166"], "sex": "F"})
    assert r.status_code == 200


def test_an_unexpected_error_answers_500_and_the_server_goes_on(
    client: TestClient, monkeypatch
) -> None:
    services = client.app.state.services

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services.linker, "records", broken)
    r = client.post("/link", json={"id": "a", "text": "arachnodactyly"})
    assert r.status_code == 500 and r.json()["detail"] == "internal error: RuntimeError"
    monkeypatch.undo()
    r = client.post("/link", json={"id": "a", "text": "arachnodactyly"})
    assert r.status_code == 200 and r.json()["mentions"]


def test_empty_and_blank_texts_get_one_sentence_and_a_null_id_reads_as_none(
    client: TestClient,
) -> None:
    """The same mistake gets the same shape of answer (a client developer's review found a
    list of pydantic errors for "" and a sentence for "   "); /link reads a null id as
    /diagnose does."""
    for text in ("", "   "):
        asked = client.post("/ask", json={"question": text})
        assert asked.status_code == 422 and asked.json() == {"detail": "the question is empty"}
        linked = client.post("/link", json={"text": text})
        assert linked.status_code == 422 and isinstance(linked.json()["detail"], str)
        assert "empty" in linked.json()["detail"]
    r = client.post("/link", json={"id": None, "text": "arachnodactyly"})
    assert r.status_code == 200 and r.json()["id"] == "text" and r.json()["mentions"]


def test_the_diagnose_ranking_length_is_a_query_parameter(client: TestClient) -> None:
    record = {"id": "k", "present_hpo": ["HP:0001166", "HP:0001083"]}
    every = len(client.post("/diagnose", json=record).json()["ranking"])  # the mini KG's: 3
    assert every > 1
    assert len(client.post("/diagnose?top_k=1", json=record).json()["ranking"]) == 1
    for bad in ("0", "1001", "x"):
        assert client.post(f"/diagnose?top_k={bad}", json=record).status_code == 422
