"""A server on loopback answers requests that name it only: a web page whose name an
attacker re-points to 127.0.0.1 (DNS rebinding) gets 400, not the API."""

from __future__ import annotations

import asyncio
import json

import pytest

from kgfuse.api import ApiSettings
from kgfuse.api_guard import LOOPBACK_HOSTS, RequestGuard, host_name
from kgfuse.commands.ask import allowed_hosts


def _status(headers: list[tuple[bytes, bytes]], hosts: frozenset[str] | None) -> tuple[int, str]:
    """The status and body of one GET through a RequestGuard in front of a 204 app."""

    async def inner(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/health", "headers": headers}
    asyncio.run(RequestGuard(inner, max_bytes=10, hosts=hosts)(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body.decode()


@pytest.mark.parametrize(
    "host", [b"127.0.0.1:8000", b"localhost:8000", b"LocalHost", b"[::1]:8000", b"proxy.example"]
)
def test_the_servers_own_names_are_answered(host: bytes) -> None:
    hosts = frozenset(allowed_hosts("127.0.0.1", ["Proxy.Example:443"]) or ())
    assert _status([(b"host", host)], hosts)[0] == 204


@pytest.mark.parametrize(
    "headers",
    [
        [(b"host", b"attacker.example:8000")],
        [(b"host", b"localhost.attacker.example")],
        [(b"host", b"127.0.0.1.nip.io:8000")],
        [(b"host", b"localhost:8000"), (b"host", b"attacker.example")],
    ],
)
def test_other_names_get_400_naming_the_host_and_the_option(
    headers: list[tuple[bytes, bytes]],
) -> None:
    status, body = _status(headers, LOOPBACK_HOSTS)
    assert status == 400
    message = json.loads(body)["detail"]
    assert "does not serve the host" in message and "--allow-host" in message


def test_without_a_list_any_host_is_answered() -> None:
    assert _status([(b"host", b"attacker.example")], None)[0] == 204


def test_a_request_without_a_host_header_is_answered() -> None:
    assert _status([], LOOPBACK_HOSTS)[0] == 204  # HTTP/1.0: no browser sends one


def test_the_hosts_a_server_answers_follow_its_address() -> None:
    assert allowed_hosts("127.0.0.1", []) == sorted(LOOPBACK_HOSTS)
    assert allowed_hosts("localhost", ["a.example"]) == sorted(LOOPBACK_HOSTS | {"a.example"})
    assert allowed_hosts("0.0.0.0", []) is None  # beyond loopback: any, as before
    assert allowed_hosts("0.0.0.0", ["a.example:80"]) == ["a.example"]


@pytest.mark.parametrize(
    ("header", "name"),
    [("[::1]:8000", "[::1]"), ("LocalHost:80", "localhost"), ("a.example", "a.example")],
)
def test_host_name_drops_the_port(header: str, name: str) -> None:
    assert host_name(header) == name


def test_the_settings_carry_the_hosts_to_the_server_processes(tmp_path) -> None:
    settings = ApiSettings(kg_path=tmp_path, allowed_hosts=["localhost"])
    assert ApiSettings.from_json(settings.to_json()).allowed_hosts == ["localhost"]
