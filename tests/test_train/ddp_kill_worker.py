"""One process of a ``kgfuse train`` run under torchrun that rank 0 kills with SIGKILL right
after writing its N-th checkpoint (the kill-and-resume test of distributed training;
0: never).

Usage: ``python -m tests.test_train.ddp_kill_worker N KGFUSE_ARGS...``
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import train.loop as loop_module
from kgfuse.cli import app


def main(argv: list[str]) -> None:
    kill_after = int(argv[0])
    real = loop_module.write_checkpoint
    written = 0

    def write_then_die(*args: Any, **kwargs: Any) -> None:
        nonlocal written
        real(*args, **kwargs)
        written += 1
        if written == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    loop_module.write_checkpoint = write_then_die  # only rank 0 writes checkpoints
    app(args=argv[1:], prog_name="kgfuse")


if __name__ == "__main__":
    main(sys.argv[1:])
