"""One process at a time in a folder: an advisory ``flock`` on a lock file.

Used by the KG build (``kg.store``) and by training runs (``train.checkpoint``): a second
process that wants the same folder fails at once, naming the process that holds it. Writers
of a fact index (``fusion.retrieval``) wait for each other instead (``wait=True``). The
operating system releases the lock when the holder ends, even killed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["exclusive_lock"]


@contextmanager
def exclusive_lock(
    path: Path, busy: Callable[[str], Exception], *, wait: bool = False
) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created when missing; this process's id is
    written into it) for the block.

    Args:
        path: the lock file.
        busy: makes the error raised when another process holds the lock, from that
            process's id (or "another process").
        wait: wait for the holder to finish instead of failing (``busy`` is then unused).

    On systems without ``fcntl`` no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise busy(holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
