"""What ``kgfuse serve`` checks before any route runs (ASGI middleware).

In this order: the bearer token (when one is set), then for ``POST``/``PUT``/``PATCH``
whether the app serves the path with that method at all (a path it serves only with others
answers 405, naming them, the body unread: not a 415 asking for JSON that the path would
refuse anyway), then the body: its framing (one ``Content-Length`` or a transfer encoding,
never both, so a lying length cannot smuggle a bigger body past the limit), its media type
(JSON), its size (counted as it arrives, whatever the headers say), the time it takes to
arrive, and that it is JSON every later step can take (UTF-8, no ``NaN`` or ``Infinity``,
no unpaired UTF-16 surrogate escapes, no number past the float range, not nested more than
64 deep; a body over a few kilobytes is checked in a worker thread, off the event loop).
Each refusal is a JSON ``{"detail": ...}`` with the status that names it: 400, 401, 405,
408, 413 or 415. A refusal sent before the whole body was read also says ``Connection:
close`` and the server closes the connection after it: what the client sends next on it
would otherwise be read as the rest of the refused body (a pipelined request would get no
answer).

:class:`SecurityHeaders` adds to every response the headers that keep a browser from running
or framing anything the page did not ask for (a Content-Security-Policy, ``nosniff``, no
referrer).

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, which wraps every request and
response in extra tasks and streams.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from typing import Any

import anyio
from fastapi.responses import JSONResponse
from starlette.routing import Match, Router

from kgfuse.json_input import loads_json

#: Paths served without the token: liveness, the web page, its icon and files, the API's docs.
OPEN_PATHS = frozenset(
    {"/health", "/", "/favicon.ico", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
OPEN_PREFIXES = ("/static/", "/static-offline-docs/")
#: Methods whose body is read and checked here.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: Seconds a client may take to send its body (after its headers).
BODY_SECONDS = 30.0
#: Seconds the rest of a body over the limit is read (and dropped) before the 413.
LINGER_SECONDS = 2.0
#: Bodies up to this size are checked as JSON on the event loop (in well under a
#: millisecond, less than a worker thread's round trip); a larger one in a worker thread,
#: so that a body slow to check (a megabyte of ``{},`` took most of a second) holds up no
#: other request.
INLINE_CHECK_BYTES = 4096
#: Worker threads that check bodies at once (per server): a check holds the GIL, so more
#: would only slow each other and the event loop.
CHECK_THREADS = 2


def host_name(header: str) -> str:
    """The host of a ``Host`` header, without its port, in lower case: ``[::1]:8000`` ->
    ``[::1]``, ``LocalHost:80`` -> ``localhost``."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


#: The names of a server that listens on loopback.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


class RequestGuard:
    """ASGI middleware: token, then method, body framing, media type, size, arrival time
    and JSON.

    Args:
        app: the ASGI app behind it.
        max_bytes: the largest body accepted.
        token: the bearer token every path but :data:`OPEN_PATHS` needs (None: none).
        body_seconds: how long a body may take to arrive.
        router: the app's router, whose routes (as they are when a request comes) tell a
            path served with other methods only (405); None: every body is checked.
        hosts: the host names a request's ``Host`` header may give (any port; lower case);
            None: any. A server on loopback takes its own names only, so a web page whose
            name an attacker re-points to 127.0.0.1 (DNS rebinding) cannot call it.
    """

    def __init__(
        self,
        app: Any,
        *,
        max_bytes: int,
        token: str | None = None,
        body_seconds: float = BODY_SECONDS,
        router: Router | None = None,
        hosts: Collection[str] | None = None,
    ) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in hosts) if hosts is not None else None
        self.max_bytes = max_bytes
        self.token = token.encode() if token is not None else None
        self.body_seconds = body_seconds
        self.router = router
        self._checks = anyio.CapacityLimiter(CHECK_THREADS)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: Sequence[tuple[bytes, bytes]] = scope.get("headers") or ()
        if self.hosts is not None:
            problem = self._host_problem(headers)
            if problem is not None:
                await _refuse(scope, receive, send, 400, problem, close=_may_have_body(headers))
                return
        if self.token is not None and not _is_open(scope["path"]):
            problem = self._token_problem(headers)
            if problem is not None:
                await _refuse(
                    scope,
                    receive,
                    send,
                    401,
                    problem,
                    [(b"www-authenticate", b"Bearer")],
                    close=_may_have_body(headers),
                )
                return
        allowed = self._other_methods(scope)  # any method: GET /ask as PUT /ask is answered
        if allowed:
            message = f"{scope['method']} is not allowed here; use {', '.join(allowed)}"
            allow = [(b"allow", ", ".join(allowed).encode())]
            await _refuse(scope, receive, send, 405, message, allow, close=_may_have_body(headers))
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        refusal = self._header_problem(headers)
        if refusal is not None:
            await _refuse(scope, receive, send, *refusal, close=_may_have_body(headers))
            return
        try:
            with anyio.fail_after(self.body_seconds):
                body = await self._read(receive)
        except TimeoutError:
            message = f"the body did not arrive within {self.body_seconds:g} s"
            await _refuse(scope, receive, send, 408, message, close=True)
            return
        except _TooBig:
            # the client is still sending: read on a little, so that the connection closes
            # with nothing unread and the client gets the 413 rather than a reset
            await _discard(receive, self.max_bytes, LINGER_SECONDS)
            await _refuse(scope, receive, send, 413, self._too_big(), close=True)
            return
        if body is None:  # the client went away
            return
        if len(body) <= INLINE_CHECK_BYTES:
            problem = json_problem(body)
        else:
            problem = await anyio.to_thread.run_sync(json_problem, body, limiter=self._checks)
        if problem is not None:
            await _refuse(scope, receive, send, 400, problem)
            return
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _host_problem(self, headers: Sequence[tuple[bytes, bytes]]) -> str | None:
        assert self.hosts is not None
        values = [v for k, v in headers if k == b"host"]
        if not values:
            return None  # HTTP/1.0 without one: no browser sends such a request
        host = host_name(values[0].decode("latin-1"))
        if len(values) == 1 and host in self.hosts:
            return None
        shown = values[0].decode("latin-1")[:100].encode("unicode_escape").decode("ascii")
        return (
            f"this server does not serve the host {shown!r}; it answers "
            f"{', '.join(sorted(self.hosts))} (kgfuse serve --allow-host NAME adds one)"
        )

    def _token_problem(self, headers: Sequence[tuple[bytes, bytes]]) -> str | None:
        values = [v for k, v in headers if k == b"authorization" and v.strip()]
        if not values:
            return "a bearer token is required (Authorization: Bearer <token>)"
        scheme, _, given = values[0].strip().partition(b" ")
        if len(values) > 1 or scheme.lower() != b"bearer" or not given.strip():
            return "send the bearer token as one header: Authorization: Bearer <token>"
        assert self.token is not None
        if not secrets.compare_digest(given.strip(), self.token):
            return "the bearer token is not this server's (Authorization: Bearer <token>)"
        return None

    def _other_methods(self, scope: Any) -> list[str]:
        """The methods the app serves the request's path with, when no route takes its
        method there (the router would answer 405); else none. A path no route matches, or
        one under a mount, is checked as any other."""
        if self.router is None:
            return []
        allowed: set[str] = set()
        for route in self.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return []
            if match is Match.PARTIAL:
                allowed.update(getattr(route, "methods", None) or ())
        return sorted(allowed)

    def _header_problem(self, headers: Sequence[tuple[bytes, bytes]]) -> tuple[int, str] | None:
        lengths = [v for k, v in headers if k == b"content-length"]
        if lengths and any(k == b"transfer-encoding" for k, _ in headers):
            return 400, "send Content-Length or Transfer-Encoding, not both"
        if lengths:
            if len(set(lengths)) > 1 or not lengths[0].isdigit():
                return 400, "invalid Content-Length"
            if int(lengths[0]) > self.max_bytes:
                return 413, self._too_big()
        types = [v for k, v in headers if k == b"content-type"]
        media = types[0].split(b";")[0].strip().lower().decode("latin-1") if types else ""
        if media != "application/json" and not media.endswith("+json"):
            given = f"not {media}" if media else "no Content-Type was given"
            return 415, f"send the body as JSON (Content-Type: application/json); {given}"
        return None

    async def _read(self, receive: Any) -> bytes | None:
        """The whole body, counted as it arrives (None: the client disconnected).

        Raises:
            _TooBig: more than ``max_bytes`` arrived.
        """
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooBig
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_big(self) -> str:
        return f"request body over {self.max_bytes:,} bytes"


#: The policy of the web page and the API: the page's own script and style only (it has no
#: inline ones), no plugins, no <base>, never framed (a token box must not be clickjacked),
#: forms posted only here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
#: The policy of ``/docs`` and ``/redoc``: fastapi-offline's pages start their bundled
#: scripts with an inline script and style, Swagger UI shows data: images, and ReDoc runs
#: its search in a blob: worker.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
#: Pages served with :data:`DOCS_CONTENT_SECURITY_POLICY`.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


def _security_headers(policy: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]


_PAGE_HEADERS = _security_headers(CONTENT_SECURITY_POLICY)
_DOCS_HEADERS = _security_headers(DOCS_CONTENT_SECURITY_POLICY)


class SecurityHeaders:
    """ASGI middleware: ``Content-Security-Policy`` (:data:`CONTENT_SECURITY_POLICY`, or
    :data:`DOCS_CONTENT_SECURITY_POLICY` on the API's docs), ``X-Content-Type-Options:
    nosniff`` and ``Referrer-Policy: no-referrer`` on every HTTP response, refusals too.

    Args:
        app: the ASGI app behind it.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = _DOCS_HEADERS if scope["path"] in DOCS_PATHS else _PAGE_HEADERS

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in added if k not in names]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooBig(Exception):
    pass


async def _discard(receive: Any, max_bytes: int, seconds: float) -> None:
    """Read and drop what remains of a body, at most ``max_bytes`` of it within ``seconds``
    (a body slightly over the limit then ends before the refusal is sent)."""
    size = 0
    with anyio.move_on_after(seconds):
        while size <= max_bytes:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
            size += len(message.get("body", b""))


def json_problem(body: bytes) -> str | None:
    """Why a request body is not JSON that the routes can take
    (:func:`kgfuse.json_input.loads_json`), or None when it is."""
    try:
        loads_json(body)
    except ValueError as exc:
        return f"the body is {exc}"
    return None


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def _may_have_body(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """Whether a request's headers announce a body (a transfer encoding, or a
    ``Content-Length`` other than 0): refused unread, it must not be taken for the next
    request on the connection."""
    for key, value in headers:
        if key == b"transfer-encoding" or (key == b"content-length" and value.strip() != b"0"):
            return True
    return False


async def _refuse(
    scope: Any,
    receive: Any,
    send: Any,
    status: int,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    close: bool = False,
) -> None:
    """Answer ``{"detail": message}`` with ``status``; ``close``: with ``Connection:
    close`` (the body was not read to its end), so the server then closes the connection
    and the client knows to open another."""
    response = JSONResponse({"detail": message}, status_code=status)
    if headers:
        response.raw_headers.extend(headers)
    if close:
        response.raw_headers.append((b"connection", b"close"))
    await response(scope, receive, send)
