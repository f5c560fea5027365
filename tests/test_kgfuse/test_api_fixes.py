"""The HTTP API's answers to what it should not take or cannot vouch for: numbers past the
float range, a tampered audit record, an empty token, a too-large body on a keep-alive
connection, the icon without a token; and the OpenAPI schema's errors match its bodies."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kgfuse.api import ApiSettings, create_app
from tests.test_kgfuse.api_client import API_TOKEN, api_client

TOKEN = API_TOKEN
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client(mini_home: Path, mini_model: Path) -> Iterator[TestClient]:
    with api_client(mini_home, mini_model) as c:
        yield c


# ---- numbers past the float range -------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "number"),
    [
        ("/diagnose", b'{"id": 1e400, "present_hpo": ["HP:0001166"]}', "1e400"),
        ("/ask", b'{"question": "What is arachnodactyly?", "limit": 1e400}', "1e400"),
        ("/link", b'{"id": "a", "text": "x", "n": [[-2.5E+999]]}', "-2.5E+999"),
    ],
)
def test_a_number_past_the_float_range_gets_400_naming_it(
    client: TestClient, path: str, body: bytes, number: str
) -> None:
    r = client.post(path, content=body, headers=JSON)
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == (
        f"the body is not usable JSON: the number {number} is out of range "
        "(past the largest float, about 1.8e308)"
    )


def test_loads_json_refuses_overflowing_numbers_and_keeps_others() -> None:
    from kgfuse.json_input import loads_json

    assert loads_json(b"[1.5, -0.0, 1e-400, 1e308, 12345678901234567890]") == [
        1.5,
        -0.0,
        0.0,
        1e308,
        12345678901234567890,
    ]
    long = b"9" * 400 + b".5"
    with pytest.raises(ValueError, match=r"the number 9{40}\.\.\. \(402 characters\) is out"):
        loads_json(long)


def test_diagnose_names_the_line_of_a_number_past_the_float_range(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    import json

    from kgfuse.cli import app

    records = tmp_path / "in.jsonl"
    records.write_bytes(
        b'{"id": "a", "present_hpo": ["HP:0001166"]}\n'
        b'{"id": 1e400, "present_hpo": ["HP:0001166"]}\n'
    )
    out = tmp_path / "out.jsonl"
    args = ["diagnose", str(records), "-o", str(out), "--model", str(mini_model), "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["id"] == "a" and lines[0]["ranking"]
    assert lines[1]["error"] == (
        "line 2 is not usable JSON: the number 1e400 is out of range "
        "(past the largest float, about 1.8e308)"
    )


# ---- a tampered audit record -----------------------------------------------------------------
def test_a_tampered_audit_record_answers_500_naming_it(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgfuse.audit import AuditLog
    from tests.test_kgfuse.test_audit import append

    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as log:
        ids = [append(log, f"long thin fingers {i}") for i in range(3)]
    conn = sqlite3.connect(db)  # as someone who drops the append-only triggers first
    conn.execute("DROP TRIGGER IF EXISTS audit_records_no_update")
    conn.execute("UPDATE audit_records SET created_at = '2020-01-01T00:00:00' WHERE seq = 2")
    conn.commit()
    conn.close()
    monkeypatch.setattr(client.app.state.services.qa, "audit_log", AuditLog(db))
    r = client.get(f"/audit/{ids[1]}")
    assert r.status_code == 500, r.text
    detail = r.json()["detail"]
    assert detail.startswith(
        f"the server's audit log fails its integrity check: audit record {ids[1]} (seq 2) "
        "does not match its hash"
    ), detail
    assert "changed after it was written" in detail
    assert client.get(f"/audit/{ids[0]}").status_code == 200  # the others still answer
    assert client.get("/audit/" + "f" * 32).status_code == 404


# ---- the token ---------------------------------------------------------------------------------
@pytest.mark.parametrize("token", ["", "   ", "\t\n"])
def test_an_empty_token_is_refused(mini_home: Path, token: str) -> None:
    with pytest.raises(ValueError, match="the API token is empty"):
        ApiSettings(mini_home / "kgs" / "hpo", home=mini_home, token=token)


def test_a_token_with_spaces_around_it_is_refused(mini_home: Path) -> None:
    """A client's header is read without them: such a token could never match."""
    with pytest.raises(ValueError, match="starts or ends with whitespace"):
        ApiSettings(mini_home / "kgs" / "hpo", home=mini_home, token=" s3cret")


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--token", ""], {}),
        (["--token", "  "], {}),
        ([], {"KGFUSE_API_TOKEN": "   "}),
        ([], {"KGFUSE_API_TOKEN": ""}),
    ],
)
def test_serve_refuses_an_empty_token(
    mini_home: Path, args: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from kgfuse.cli import app

    def run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("kgfuse serve started a server with an empty token")

    monkeypatch.setattr(uvicorn, "run", run)

    kg = ["--kg", str(mini_home / "kgs" / "hpo"), "--home", str(mini_home)]
    result = CliRunner().invoke(app, ["serve", "--port", "8899", *args, *kg], env=env)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: the API token is empty;"), result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "serving" not in result.output


@pytest.mark.parametrize(
    ("args", "env", "warned"),
    [(["--token", "s3cret"], {}, True), ([], {"KGFUSE_API_TOKEN": "s3cret"}, False)],
)
def test_serve_warns_of_a_token_in_the_process_list_and_names_its_hosts(
    mini_home: Path,
    args: list[str],
    env: dict[str, str],
    warned: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    from kgfuse.cli import app
    from kgfuse.http_protocol import HeadersInTime

    started: list[dict[str, Any]] = []

    def run(app: Any, **kwargs: Any) -> None:
        started.append({"settings": app.state.services.settings, **kwargs})

    monkeypatch.setattr(uvicorn, "run", run)
    kg = ["--kg", str(mini_home / "kgs" / "hpo"), "--home", str(mini_home)]
    audit = ["--audit-db", str(mini_home / "serve-audit.sqlite")]
    result = CliRunner().invoke(
        app, ["serve", "--port", "8899", "--allow-host", "kg.example", *args, *kg, *audit], env=env
    )
    assert result.exit_code == 0, result.output
    assert ("is in the process list" in result.output) is warned, result.output
    assert started[0]["http"] is HeadersInTime
    hosts = started[0]["settings"].allowed_hosts
    assert hosts == ["127.0.0.1", "[::1]", "kg.example", "localhost"]


# ---- refusals before the body is read close the connection ----------------------------------
def _guard_call(headers: list[tuple[bytes, bytes]], body: bytes = b"") -> list[dict]:
    """One POST through a RequestGuard (token, 10-byte limit) in front of a 204 app."""
    from kgfuse.api_guard import RequestGuard

    async def inner(scope, receive, send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict] = []
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/ask", "headers": headers}
    asyncio.run(RequestGuard(inner, max_bytes=10, token="t")(scope, receive, send))
    return sent


def _closes(sent: list[dict]) -> bool:
    return (b"connection", b"close") in sent[0]["headers"]


def test_refusals_before_the_body_is_read_say_connection_close() -> None:
    auth = (b"authorization", b"Bearer t")
    json_type = (b"content-type", b"application/json")
    too_big = _guard_call([auth, json_type, (b"content-length", b"2000000")])
    assert too_big[0]["status"] == 413 and _closes(too_big)
    no_token = _guard_call([json_type, (b"content-length", b"2")], b"{}")
    assert no_token[0]["status"] == 401 and _closes(no_token)
    not_json = _guard_call([auth, (b"content-type", b"text/plain"), (b"content-length", b"2")])
    assert not_json[0]["status"] == 415 and _closes(not_json)
    chunked = _guard_call([auth, json_type, (b"transfer-encoding", b"chunked")], b"[" * 11)
    assert chunked[0]["status"] == 413 and _closes(chunked)
    # read to its end, a refused body leaves the connection usable
    bad_json = _guard_call([auth, json_type, (b"content-length", b"2")], b"{x")
    assert bad_json[0]["status"] == 400 and not _closes(bad_json)
    assert _guard_call([auth, json_type, (b"content-length", b"2")], b"{}")[0]["status"] == 204


def _receive_until_closed(sock: socket.socket, seconds: float) -> tuple[bytes, bool]:
    """What arrives within ``seconds``, and whether the server closed the connection."""
    sock.settimeout(0.2)
    data = b""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            return data, True
        data += chunk
    return data, False


POST = b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
GET = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"


def _chunked(body: bytes, size: int = 4096) -> bytes:
    parts = (body[i : i + size] for i in range(0, len(body), size))
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@pytest.mark.parametrize(
    "request_bytes",
    [
        # a too-large Content-Length whose body never comes: the GET would be read as it
        POST + b"Content-Length: 2000000\r\n\r\n" + GET,
        # a chunked body over the limit: read to its end, then refused, nothing left unread
        POST + b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(b"[" + b"1," * 800 + b"1]") + GET,
    ],
    ids=["declared", "chunked"],
)
def test_a_413_on_a_keep_alive_connection_closes_it(mini_home: Path, request_bytes: bytes) -> None:
    """A request pipelined after a body refused unread must not be read as that body: the
    server answers 413 with Connection: close and closes, so the client reconnects."""
    from tests.test_kgfuse.test_web import serving

    settings = ApiSettings(
        mini_home / "kgs" / "hpo", home=mini_home, preload=False, max_body_bytes=1000
    )
    with serving(create_app(settings)) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(request_bytes)
            data, closed = _receive_until_closed(sock, 5)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.lower().startswith(b"http/1.1 413"), data
    assert b"connection: close" in head.lower(), data
    assert body == b'{"detail":"request body over 1,000 bytes"}'  # and no answer to the GET
    assert closed, "the server kept the connection open after refusing an unread body"


# ---- the icon ----------------------------------------------------------------------------------
def test_the_icon_needs_no_token(client: TestClient) -> None:
    for method in ("GET", "HEAD"):
        r = client.request(method, "/favicon.ico", headers={"Authorization": ""})
        assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert client.get("/favicon.ico").content.startswith(b"<svg")
    assert client.get("/static/favicon.svg", headers={"Authorization": ""}).status_code == 200
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").text


# ---- the OpenAPI schema's errors ---------------------------------------------------------------
def _check(value: Any, schema: dict[str, Any], defs: dict[str, Any], where: str = "$") -> None:
    """Fail unless ``value`` validates against ``schema`` (the JSON Schema subset FastAPI
    writes: $ref, anyOf, type, properties, required, additionalProperties, items)."""
    if "$ref" in schema:
        _check(value, defs[schema["$ref"].rsplit("/", 1)[1]], defs, where)
        return
    if "anyOf" in schema:
        problems = []
        for option in schema["anyOf"]:
            try:
                _check(value, option, defs, where)
                return
            except AssertionError as exc:
                problems.append(str(exc))
        raise AssertionError(f"{where}: matches no option: {problems}")
    types = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "null": type(None),
    }
    if "type" in schema:
        assert isinstance(value, types[schema["type"]]), f"{where}: not {schema['type']}: {value}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: {key} missing"
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                _check(item, properties[key], defs, f"{where}.{key}")
            else:
                assert schema.get("additionalProperties", True) is not False, f"{where}.{key}"
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(item, schema["items"], defs, f"{where}[{i}]")


def test_openapi_lists_the_errors_the_routes_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    posted = {"400", "401", "408", "413", "415", "422", "500"}
    assert posted <= set(paths["/ask"]["post"]["responses"])
    assert posted <= set(paths["/link"]["post"]["responses"])
    assert posted | {"503"} <= set(paths["/diagnose"]["post"]["responses"])
    assert {"401", "404", "500"} <= set(paths["/terms/{curie}"]["get"]["responses"])
    assert {"401", "404", "500"} <= set(paths["/audit/{record_id}"]["get"]["responses"])
    assert "401" not in paths["/health"]["get"]["responses"]


def test_openapi_without_a_token_lists_no_401(mini_home: Path) -> None:
    app = create_app(ApiSettings(mini_home / "kgs" / "hpo", home=mini_home, preload=False))
    paths = app.openapi()["paths"]
    assert "401" not in paths["/ask"]["post"]["responses"]
    assert "404" in paths["/terms/{curie}"]["get"]["responses"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("post", "/ask", {"content": b'{"limit": 1e400}', "headers": JSON}, 400),
        ("post", "/ask", {"json": {"question": "x"}, "headers": {"Authorization": ""}}, 401),
        ("post", "/ask", {"content": b"x" * 30_000, "headers": JSON}, 413),
        ("post", "/ask", {"content": b"{}", "headers": {"content-type": "text/plain"}}, 415),
        ("post", "/ask", {"json": {"question": "q", "top_k": 5}}, 422),  # a list of errors
        ("post", "/ask", {"json": {"question": "What\u0000 is it?"}}, 422),  # a sentence
        ("post", "/link", {"json": {"id": True, "text": "x"}}, 422),
        ("post", "/diagnose", {"json": {"id": "a", "present_hpo": [], "sex": 5}}, 422),
        ("post", "/diagnose", {"json": ["not", "a", "record"]}, 422),
        ("get", "/terms/HP:9999999", {}, 404),
        ("get", "/audit/" + "0" * 32, {}, 404),
    ],
)
def test_error_bodies_validate_against_the_openapi_schema(
    client: TestClient, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    schema = client.get("/openapi.json").json()
    defs = schema["components"]["schemas"]
    r = client.request(method.upper(), path, **kwargs)
    assert r.status_code == status, r.text
    template = next(p for p in schema["paths"] if path.startswith(p.split("{")[0]))
    documented = schema["paths"][template][method]["responses"][str(status)]
    _check(r.json(), documented["content"]["application/json"]["schema"], defs)


def test_a_500_body_validates_against_the_openapi_schema(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = client.get("/openapi.json").json()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(client.app.state.services.linker, "records", broken)
    r = client.post("/link", json={"id": "a", "text": "arachnodactyly"})
    assert r.status_code == 500
    documented = schema["paths"]["/link"]["post"]["responses"]["500"]
    body_schema = documented["content"]["application/json"]["schema"]
    _check(r.json(), body_schema, schema["components"]["schemas"])
    with pytest.raises(AssertionError):  # the checker does check
        _check({"detail": [1]}, body_schema, schema["components"]["schemas"])


def test_diagnose_brief_leaves_the_rule_findings_to_the_audit_record(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    import json

    from kgfuse.audit import AuditLog
    from kgfuse.cli import app

    records = tmp_path / "in.jsonl"
    records.write_text('{"id": "a", "present_hpo": ["HP:0001166", "HP:0001083"]}\n')
    home = tmp_path / "home"
    outputs = {}
    for brief in (False, True):
        out = tmp_path / f"out-{brief}.jsonl"
        args = ["diagnose", str(records), "-o", str(out), "--model", str(mini_model)]
        args += ["--kg", str(mini_home / "kgs" / "hpo"), "--home", str(home)]
        result = CliRunner().invoke(app, [*args, *(["--brief"] if brief else [])])
        assert result.exit_code == 0, result.output
        outputs[brief] = json.loads(out.read_text(encoding="utf-8"))
    full, brief_out = outputs[False], outputs[True]
    assert full["findings_checked"] and "findings_checked" not in brief_out
    assert {k: v for k, v in full.items() if k not in ("findings_checked", "audit_id")} == {
        k: v for k, v in brief_out.items() if k != "audit_id"
    }
    with AuditLog(home / "audit.sqlite") as log:  # the record keeps every finding
        kept = log.get(brief_out["audit_id"]).explanation.findings
    assert len(kept) == len(full["findings_checked"])
