"""Behaviours of kgfuse.api_guard that mutation testing found unchecked (the API's own tests
check most of them through the whole app, too slowly to run per mutant): the bearer token
(one header, the Bearer scheme, this server's token; open paths without it), the 405 of a
path served with other methods, the framing, length and media type of a body, its size as
it arrives, the 408 of a body that does not arrive, ``Connection: close`` exactly when a body
may be left unread, the body handed on whole, and the headers :class:`SecurityHeaders` adds.

Each request is driven straight through the ASGI callables: no server, no sockets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route, Router

from kgfuse.api_guard import (
    CONTENT_SECURITY_POLICY,
    DOCS_CONTENT_SECURITY_POLICY,
    RequestGuard,
    SecurityHeaders,
)

JSON = [(b"content-type", b"application/json")]


class _Answer:
    def __init__(self, status: int, headers: dict[bytes, bytes], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def closes(self) -> bool:
        return self.headers.get(b"connection") == b"close"


class _App:
    """An app that answers 200 with the body it received; notes each call."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.extra: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        if scope["type"] == "http" and scope["method"] in {"POST", "PUT", "PATCH"}:
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
            self.extra.append(await receive())  # what the server sends next
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _drive(
    app: Any,
    method: str = "POST",
    path: str = "/link",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
    *,
    stall: bool = False,
) -> _Answer:
    """Send a request to an ASGI app; ``stall``: the body never ends."""
    chunks = [b"{}"] if chunks is None else chunks
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1 or stall}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        if stall:
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": JSON if headers is None else headers,
        "query_string": b"",
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return _Answer(start["status"], dict(start.get("headers", [])), body)


def _guard(**kwargs: Any) -> tuple[RequestGuard, _App]:
    app = _App()
    return RequestGuard(app, **{"max_bytes": 10, **kwargs}), app


# ---- the token ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "authorization",
    [
        [],
        [(b"authorization", b"Bearer nope")],
        [(b"authorization", b"Basic s3cret")],
        [(b"authorization", b"Bearer")],
        [(b"authorization", b"Bearer   ")],
        [(b"authorization", b"s3cret Bearer")],
        [(b"authorization", b"Bearer s3cret"), (b"authorization", b"Bearer s3cret")],
        [(b"authorization", b"Bearer s3cret"), (b"authorization", b"Bearer nope")],
    ],
)
def test_a_request_without_the_one_right_bearer_token_gets_401(
    authorization: list[tuple[bytes, bytes]],
) -> None:
    guard, app = _guard(token="s3cret")
    r = _drive(guard, "GET", "/terms", authorization, [])
    assert r.status == 401 and r.headers[b"www-authenticate"] == b"Bearer"
    assert b"token" in r.body and not app.bodies


@pytest.mark.parametrize("value", [b"Bearer s3cret", b"bearer s3cret", b"  BEARER s3cret  "])
def test_the_right_bearer_token_is_let_through(value: bytes) -> None:
    guard, app = _guard(token="s3cret")
    headers = [(b"authorization", b""), (b"authorization", value), *JSON]
    assert _drive(guard, "POST", "/link", headers).status == 200
    assert app.bodies == [b"{}"]


@pytest.mark.parametrize("path", ["/health", "/", "/docs", "/static/app.js"])
def test_open_paths_need_no_token(path: str) -> None:
    guard, _ = _guard(token="s3cret")
    assert _drive(guard, "GET", path, [], []).status == 200
    assert _drive(guard, "GET", "/healthz", [], []).status == 401


def test_a_refusal_of_the_token_closes_the_connection_only_when_a_body_may_follow() -> None:
    guard, _ = _guard(token="s3cret")
    assert _drive(guard, "POST", "/link", [*JSON, (b"content-length", b"2")]).closes
    assert _drive(guard, "POST", "/link", [*JSON, (b"transfer-encoding", b"chunked")]).closes
    assert not _drive(guard, "POST", "/link", [*JSON, (b"content-length", b"0")], []).closes
    assert not _drive(guard, "GET", "/terms", [], []).closes


# ---- the method -----------------------------------------------------------------------------
async def _ok(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


def test_a_path_served_with_other_methods_answers_405_naming_them() -> None:
    router = Router([Route("/terms", _ok, methods=["GET"]), Route("/link", _ok, methods=["POST"])])
    guard, app = _guard(router=router)
    r = _drive(guard, "PUT", "/terms", [(b"content-length", b"2")])
    assert r.status == 405 and r.closes
    assert r.headers[b"allow"] == b"GET, HEAD" and b"GET" in r.body and b"PUT" in r.body
    assert not app.bodies
    assert _drive(guard, "POST", "/link").status == 200  # served with it
    assert _drive(guard, "POST", "/unknown").status == 200  # checked as any other path
    assert _drive(guard, "POST", "/unknown", [(b"content-type", b"text/plain")]).status == 415


# ---- the headers of the body ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([*JSON, (b"content-length", b"2"), (b"transfer-encoding", b"chunked")], 400),
        ([*JSON, (b"content-length", b"2"), (b"content-length", b"3")], 400),
        ([*JSON, (b"content-length", b"-2")], 400),
        ([*JSON, (b"content-length", b"11")], 413),
        ([(b"content-type", b"text/plain")], 415),
        ([], 415),
        ([(b"content-type", b"application/jsonx")], 415),
    ],
)
def test_a_body_badly_framed_too_long_or_not_json_is_refused_unread(
    headers: list[tuple[bytes, bytes]], status: int
) -> None:
    guard, app = _guard()
    r = _drive(guard, "POST", "/link", headers)
    assert r.status == status and not app.bodies
    assert r.closes == any(k in {b"content-length", b"transfer-encoding"} for k, _ in headers)


@pytest.mark.parametrize(
    "headers",
    [
        [*JSON, (b"content-length", b"10"), (b"content-length", b"10")],
        [(b"content-type", b"Application/JSON; charset=utf-8")],
        [(b"content-type", b"application/problem+json")],
    ],
)
def test_json_media_types_and_a_length_at_the_limit_are_taken(
    headers: list[tuple[bytes, bytes]],
) -> None:
    guard, app = _guard()
    assert _drive(guard, "POST", "/link", headers, [b'{"a": 12}']).status == 200
    assert app.bodies == [b'{"a": 12}']


def test_a_refusal_names_the_media_type_given_or_its_absence() -> None:
    guard, _ = _guard()
    assert b"text/plain" in _drive(guard, "POST", "/x", [(b"content-type", b"text/plain")]).body
    assert b"no Content-Type" in _drive(guard, "POST", "/x", []).body


# ---- the body as it arrives ------------------------------------------------------------------
def test_a_body_is_counted_as_it_arrives_and_handed_on_whole() -> None:
    guard, app = _guard()
    r = _drive(guard, "PATCH", "/link", JSON, [b"[1,", b"", b"2,", b"34]"])
    assert r.status == 200 and app.bodies == [b"[1,2,34]"]
    assert app.extra == [{"type": "http.disconnect"}]  # then what the client sends next
    r = _drive(guard, "POST", "/link", JSON, [b"[1,", b"2,", b"3,  4]"])  # 11 bytes
    assert r.status == 413 and r.closes and b"10 bytes" in r.body and len(app.bodies) == 1


def test_a_body_that_does_not_arrive_in_time_gets_408_and_a_close() -> None:
    guard, app = _guard(body_seconds=0.05)
    r = _drive(guard, "POST", "/link", JSON, [b"[1"], stall=True)
    assert r.status == 408 and r.closes and not app.bodies


def test_a_body_that_is_not_usable_json_gets_400_without_a_close() -> None:
    guard, app = _guard()
    r = _drive(guard, "POST", "/link", JSON, [b"[NaN]"])
    assert r.status == 400 and not r.closes and b"NaN" in r.body and not app.bodies


def test_other_methods_and_scopes_pass_through() -> None:
    guard, app = _guard()
    assert _drive(guard, "GET", "/terms", [], []).status == 200
    assert app.bodies == [b""]
    seen: list[str] = []

    async def lifespan(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    asyncio.run(RequestGuard(lifespan, max_bytes=1)({"type": "lifespan"}, None, None))
    asyncio.run(SecurityHeaders(lifespan)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan", "lifespan"]


# ---- the security headers --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/", CONTENT_SECURITY_POLICY),
        ("/terms", CONTENT_SECURITY_POLICY),
        ("/docs", DOCS_CONTENT_SECURITY_POLICY),
        ("/redoc", DOCS_CONTENT_SECURITY_POLICY),
    ],
)
def test_every_response_gets_the_security_headers(path: str, policy: str) -> None:
    r = _drive(SecurityHeaders(_App()), "GET", path, [], [])
    assert r.status == 200 and r.body == b"ok"
    assert r.headers[b"content-security-policy"] == policy.encode()
    assert r.headers[b"x-content-type-options"] == b"nosniff"
    assert r.headers[b"referrer-policy"] == b"no-referrer"


def test_a_header_the_app_set_itself_is_kept() -> None:
    async def own(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"Referrer-Policy", b"same-origin")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    asyncio.run(SecurityHeaders(own)(scope, None, send))
    headers = sent[0]["headers"]
    assert [v for k, v in headers if k.lower() == b"referrer-policy"] == [b"same-origin"]
    assert (b"x-content-type-options", b"nosniff") in headers
    assert sent[1] == {"type": "http.response.body", "body": b""}
