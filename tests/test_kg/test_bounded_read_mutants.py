"""Behaviours of kg.bounded_read that mutation testing found unchecked: a file whose size is
not known before it is read (a named pipe, a file still growing) is read only up to the
limit and one more byte, then refused as too large."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from kg.bounded_read import read_document


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_document_larger_than_its_stat_says_is_refused_after_the_limit_is_read(
    tmp_path: Path,
) -> None:
    pipe = tmp_path / "cases.json"
    os.mkfifo(pipe)  # its size is 0 until it is read
    broken: list[bool] = []

    def write() -> None:
        with open(pipe, "wb") as fh:
            try:
                for _ in range(64):  # 4 MiB, far more than a pipe's buffer
                    fh.write(b" " * 65536)
                    fh.flush()
            except BrokenPipeError:
                broken.append(True)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with pytest.raises(ValueError, match="too large"):
        read_document(pipe, 100)
    writer.join(10)
    assert not writer.is_alive()
    assert broken, "the whole stream was read, not the limit and one more byte"
