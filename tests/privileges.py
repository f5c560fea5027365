"""Run a function as an unprivileged user, for tests of what a folder's or a file's mode
refuses: root ignores file modes, so a test run as root (as in CI containers) drops to the
user ``nobody`` in a forked child instead of skipping."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any

#: uid and gid of ``nobody``
NOBODY = 65534


def is_root() -> bool:
    """Whether this process runs as root (and so may drop to ``nobody``)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def as_nobody(fn: Callable[[], Any]) -> tuple[str, Any]:
    """``fn()`` in a forked child that runs as the user ``nobody``: ``("ok", its value)``
    or ``("error", "ExceptionName: message")``. The value must pickle. Only as root."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def child() -> None:
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            queue.put(("ok", fn()))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            queue.put(("error", f"{type(exc).__name__}: {exc}"))

    proc = ctx.Process(target=child)
    proc.start()
    result = queue.get(timeout=60)
    proc.join(timeout=60)
    return result
