"""Starting ``oxigraph serve`` over a built KG from a test.

Without the ``oxigraph`` command a test is skipped with the reason, except under ``CI=true``
where it fails: CI installs kgfuse with its dependencies, so the command must be there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kg.endpoint import EndpointServerError, OxigraphServer, free_port, oxigraph_binary


def require_oxigraph() -> str:
    """The ``oxigraph`` command, or skip (fail under ``CI=true``) with the reason."""
    try:
        return oxigraph_binary()
    except FileNotFoundError as exc:
        reason = f"oxigraph server missing: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@contextmanager
def serving(kg: Path, attempts: int = 3) -> Iterator[OxigraphServer]:
    """``oxigraph serve-read-only`` over ``kg`` on a free loopback port, stopped on exit."""
    require_oxigraph()
    for attempt in range(attempts):
        server = OxigraphServer(kg, host="127.0.0.1", port=free_port())
        try:
            server.start()
            break
        except EndpointServerError:  # another process took the free port meanwhile
            if attempt == attempts - 1:
                raise
    try:
        yield server
    finally:
        server.stop()
