"""Checking what clients send holds up nothing else: the server checks a large body as JSON in
a worker thread, not on the event loop (a megabyte of ``{},`` took most of a second, during
which no other request was answered), with the same answers; the depth check is cheap; and
files are read without holding more than a limit of them in memory (a line of a JSON Lines
file, a JSON document)."""

from __future__ import annotations

import asyncio
import io
import json
import random
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

import kg.bounded_read as bounded_read
from kgfuse import api_guard, json_input
from kgfuse.api_guard import INLINE_CHECK_BYTES, RequestGuard, json_problem
from kgfuse.json_input import (
    LineTooLongError,
    bounded_lines,
    loads_json,
    read_document,
)

JSON = {"content-type": "application/json"}


async def _echo(scope: Any, receive: Any, send: Any) -> None:
    """An app that answers the size of the body it got."""
    body = b""
    if scope["method"] == "POST":
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _client() -> httpx.AsyncClient:
    app = RequestGuard(_echo, max_bytes=1_000_000)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def test_a_large_body_is_checked_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check of the large body waits until the other request has been answered: were it
    # run on the event loop, that request could never be.
    release = threading.Event()
    threads: list[int] = []

    def slow_problem(body: bytes) -> str | None:
        threads.append(threading.get_ident())
        if len(body) > INLINE_CHECK_BYTES:
            assert release.wait(10), "the other request was not answered meanwhile"
        return json_problem(body)

    monkeypatch.setattr(api_guard, "json_problem", slow_problem)
    big = b"[" + b"{}," * 100_000 + b"{}]"

    async def main() -> tuple[httpx.Response, httpx.Response, int]:
        async with _client() as client:
            posted = asyncio.create_task(client.post("/link", content=big, headers=JSON))
            while not threads:  # the check has begun
                await asyncio.sleep(0.01)
            other = await client.post("/link", content=b'{"text": "seizure"}', headers=JSON)
            release.set()
            return await posted, other, threading.get_ident()

    posted, other, loop_thread = asyncio.run(main())
    assert other.status_code == 200 and other.text == "19"
    assert posted.status_code == 200 and posted.text == str(len(big))
    assert threads[0] != loop_thread  # the large body, in a worker thread
    assert threads[1] == loop_thread  # the small one, inline


@pytest.mark.parametrize(
    "body",
    [
        b"[NaN]",
        b'{"a": 1e400}',
        b'{"k": 1, "k": 2}',
        b'["\\ud800"]',
        b'["a\xff"]',
        b"[" * 65 + b"]" * 65,
        b"[" * 5000,
        b'{"text": "x",}',
        b"",
        b'{"text": "fine"}',
    ],
)
@pytest.mark.parametrize("pad", [0, INLINE_CHECK_BYTES + 1])
def test_a_large_body_gets_the_answer_a_small_one_gets(body: bytes, pad: int) -> None:
    body = b" " * pad + body

    async def main() -> httpx.Response:
        async with _client() as client:
            return await client.post("/link", content=body, headers=JSON)

    r = asyncio.run(main())
    problem = json_problem(body)
    if problem is None:
        assert r.status_code == 200 and r.text == str(len(body))
    else:
        assert r.status_code == 400 and r.json() == {"detail": problem}
        assert problem.startswith("the body is ")


# ---- the depth check --------------------------------------------------------------------------
def _depth_by_recursion(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth_by_recursion, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth_by_recursion, value), default=0)
    return 0


def test_the_depth_is_that_of_the_value() -> None:
    rng = random.Random(0)

    def value(level: int) -> Any:
        r = rng.random()
        if level > 7 or r < 0.3:
            return rng.choice([1, "a", None, 1.5, True])
        if r < 0.65:
            return [value(level + 1) for _ in range(rng.randint(0, 4))]
        return {str(i): value(level + 1) for i in range(rng.randint(0, 4))}

    for _ in range(3000):
        v = value(0)
        assert json_input._depth(v) == _depth_by_recursion(v), v
    assert json_input._depth([{}] * 100_000) == 2
    with pytest.raises(ValueError, match="nested 65 deep, past the limit of 64"):
        loads_json(b"[" * 65 + b"]" * 65)
    assert loads_json(b"[" * 64 + b"]" * 64) is not None


# ---- reading files ----------------------------------------------------------------------------
def _lines(data: bytes, limit: int) -> list[bytes | str]:
    out: list[bytes | str] = []
    for item in bounded_lines(io.BytesIO(data), limit):
        out.append(f"too long: {item.size}" if isinstance(item, LineTooLongError) else item)
    return out


def test_lines_within_the_limit_are_read_as_iterating_a_file_reads_them() -> None:
    data = b'{"a": 1}\n\n  \r\n{"b": 2}\r\n12345678\n123456789'
    assert _lines(data, 9) == list(io.BytesIO(data))
    assert _lines(b"", 9) == []
    assert _lines(b"123456789\n", 9) == [b"123456789\n"]  # the limit, without the newline


def test_a_line_over_the_limit_is_an_error_in_its_place_and_the_next_lines_are_read() -> None:
    data = b"1\n" + b"x" * 10 + b"\n3\n" + b"y" * 25 + b"\n5\n" + b"z" * 12
    assert _lines(data, 9) == [
        b"1\n",
        "too long: 10",
        b"3\n",
        "too long: 25",
        b"5\n",
        "too long: 12",  # the last line, with no newline
    ]
    [error] = list(bounded_lines(io.BytesIO(b"x" * 30), 9))
    assert isinstance(error, LineTooLongError) and isinstance(error, ValueError)
    assert error.head == b"x" * 10
    assert str(error) == "too long: 30 bytes, over the limit of 9 bytes for one line"


class _CountingReads(io.BytesIO):
    """A file that notes how many bytes each ``readline`` returned."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def readline(self, size: int | None = -1, /) -> bytes:
        line = super().readline(size)
        self.reads.append(len(line))
        return line


def test_a_line_without_a_newline_is_read_a_bounded_piece_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bounded_read, "_SKIP_CHUNK", 1000)
    record = json.dumps({"id": 1, "text": "seizure " * 100_000}).encode()
    fh = _CountingReads(record + b"\n{}\n")
    items = list(bounded_lines(fh, 50_000))
    assert isinstance(items[0], LineTooLongError) and items[0].size == len(record)
    assert items[1:] == [b"{}\n"]
    assert max(fh.reads) == 50_001  # the limit and one more, then 1,000 at a time
    assert sorted(set(fh.reads))[-2] <= 1000


def test_a_document_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_bytes(b"[" + b"{}," * 100 + b"{}]")
    assert read_document(path) == path.read_bytes()
    assert read_document(path, path.stat().st_size) == path.read_bytes()
    with pytest.raises(ValueError) as caught:
        read_document(path, 100)
    assert str(caught.value) == (
        "too large: 304 bytes, over the limit of 100 bytes for one JSON document (write its "
        "records one per line, as JSON Lines)"
    )
    assert json_input.MAX_DOCUMENT_BYTES >= 100 * 1024 * 1024
    assert json_input.MAX_LINE_BYTES > 12 * 100_000  # a text of 100,000 escaped characters
