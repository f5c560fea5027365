"""The server's HTTP/1.1 connections: a request's headers must arrive in time.

uvicorn's h11 connections wait without limit for a request's headers: connections that
send nothing, or their headers a byte at a time, each hold one of the server's
``--max-connections`` until every other client gets 503. :class:`HeadersInTime` closes a
connection whose request line and headers have not all arrived
:data:`HEADER_SECONDS` after it opened, or after its last response (the next request of a
kept-alive connection). Bodies have their own limit in :mod:`kgfuse.api_guard`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HEADER_SECONDS", "HeadersInTime"]

#: Seconds a connection has to send a request's line and headers.
HEADER_SECONDS = 10.0


class HeadersInTime(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

    header_seconds = HEADER_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers_due: asyncio.TimerHandle | None = None
        self._waiting_cycle: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self._headers_due is not None and self.cycle is not self._waiting_cycle:
            self._stop_waiting()  # a new request's headers are in: its cycle began

    def on_response_complete(self) -> None:
        super().on_response_complete()
        done = self.cycle is not None and self.cycle.response_complete
        if done and self._headers_due is None and not self.transport.is_closing():
            self._await_headers()  # the next request of a kept-alive connection

    def _await_headers(self) -> None:
        self._waiting_cycle = self.cycle
        self._headers_due = self.loop.call_later(self.header_seconds, self._headers_late)

    def _stop_waiting(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _headers_late(self) -> None:
        self._headers_due = None
        if not self.transport.is_closing():
            self.transport.close()
