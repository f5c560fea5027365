"""The server's connections must send a request's headers in time: idle connections and
headers sent a byte at a time are closed, so they cannot hold every slot of the server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from kgfuse.http_protocol import HeadersInTime


class _Quick(HeadersInTime):
    header_seconds = 0.5


async def _ok(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    config = uvicorn.Config(
        _ok, host="127.0.0.1", port=free, http=_Quick, log_level="error", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield free
    server.should_exit = True
    thread.join(10)


def _answered(conn: socket.socket) -> bool:
    conn.settimeout(3.0)
    got = b""
    while not got.endswith(b"\r\n\r\nok"):
        part = conn.recv(1024)
        if not part:
            break
        got += part
    return got.startswith(b"HTTP/1.1 200") and got.endswith(b"ok")


def _closed_by_server(conn: socket.socket, within: float) -> bool:
    conn.settimeout(within)
    try:
        return conn.recv(1024) == b""
    except TimeoutError:
        return False


def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        assert _closed_by_server(conn, within=3.0)


_SLOW_REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100


def _cut_off_while_sending(conn: socket.socket, request: bytes) -> float | None:
    """Send ``request`` a byte at a time (0.1 s apart): the seconds until the server closed
    the connection, or None when it never did."""
    started = time.monotonic()
    for byte in request:
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            return time.monotonic() - started
        if _closed_by_server(conn, within=0.1):
            return time.monotonic() - started
    return None


def test_headers_sent_a_byte_at_a_time_are_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        seconds = _cut_off_while_sending(conn, _SLOW_REQUEST)
        assert seconds is not None and seconds < 3.0


def test_a_prompt_request_is_answered_and_its_kept_alive_connection_waits_again(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answered(conn)
        # a second request in time is answered on the same connection
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answered(conn)
        # then nothing: closed (by the header deadline or uvicorn's keep-alive timeout)
        assert _closed_by_server(conn, within=6.0)


def test_a_slow_request_after_a_response_is_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answered(conn)
        seconds = _cut_off_while_sending(conn, _SLOW_REQUEST)
        assert seconds is not None and seconds < 3.0
