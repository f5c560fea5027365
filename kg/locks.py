"""One process at a time in a folder: an advisory ``flock`` on a lock file.

Used by the KG build (``kg.store``), training runs (``train.checkpoint``) and evaluations'
journal folders (``eval.rank_journal``): a second process that wants the same folder fails
at once, naming the process that holds it. Writers of a fact index (``fusion.retrieval``)
wait for each other instead (``wait=True``). The operating system releases the lock when
the holder ends, even killed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["exclusive_lock", "same_file"]


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

    On systems without ``fcntl`` no lock is taken. A holder may remove the lock file before
    it releases the lock (as an evaluation's journal folder does once it is done): a lock
    taken on a file no longer at ``path`` is let go and ``path`` opened again, so two
    processes never hold the lock of one path at once.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            finally:
                os.close(fd)
            raise busy(holder or "another process") from None
        except BaseException:
            os.close(fd)
            raise
        if same_file(fd, path):
            break
        os.close(fd)  # removed by the holder that released it: lock the file now there
        Path(path).parent.mkdir(parents=True, exist_ok=True)  # its folder may be gone too
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (a lock taken on a file its
    holder renamed or removed is no lock on ``path``)."""
    try:
        at = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (at.st_dev, at.st_ino) == (held.st_dev, held.st_ino)
