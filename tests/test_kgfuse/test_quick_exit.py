"""The console script's quick exit (``kgfuse.quick_exit``): what a normal exit does for the
user still happens (threads waited for, ``atexit`` handlers, flushed streams, the status),
and a command run through it writes what it writes in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kgfuse.cli import app
from kgfuse.quick_exit import exit_status

ENV = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
RUN = "from kgfuse.cli import run; run()"


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), (True, 1), (False, 0)])
def test_exit_status_maps_codes_as_the_interpreter_does(code: object, status: int) -> None:
    assert exit_status(code) == status


def test_exit_status_prints_a_message_and_gives_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_status("no model in /x") == 1
    assert capsys.readouterr().err == "no model in /x\n"


def test_leave_waits_for_threads_runs_atexit_and_flushes(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import atexit, sys, threading, time
        from pathlib import Path
        from kgfuse.quick_exit import leave

        out = Path(sys.argv[1])
        atexit.register(lambda: (out / "atexit").write_text("ran"))

        def late() -> None:
            time.sleep(0.3)
            (out / "thread").write_text("done")

        threading.Thread(target=late).start()
        sys.stdout.write("no newline, still buffered")
        leave(4)
        print("not reached")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 4, done.stderr
    assert done.stdout == "no newline, still buffered"
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "thread").read_text() == "done"


def test_leave_ends_the_workers_of_an_executor_never_shut_down(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from concurrent.futures import ThreadPoolExecutor
        from kgfuse.quick_exit import leave

        POOL = ThreadPoolExecutor(1)
        print(POOL.submit(lambda: "work done").result(), flush=True)
        leave(0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "work done\n"


def test_the_console_script_writes_what_the_app_writes(mini_home: Path, tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    rows = [{"id": "p1", "text": "Arachnodactyly and ectopia lentis."}, {"id": "p2", "text": ""}]
    records.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["link", str(records), "--home", str(mini_home), "-o"]
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args, str(tmp_path / "quick.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    in_process = CliRunner().invoke(app, [*args, str(tmp_path / "app.jsonl")], env=ENV)
    assert in_process.exit_code == 0, in_process.output
    assert done.returncode == 0, done.stderr
    quick = (tmp_path / "quick.jsonl").read_text(encoding="utf-8")
    assert quick == (tmp_path / "app.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["id"] for line in quick.splitlines()] == ["p1", "p2"]
    assert "error" in json.loads(quick.splitlines()[1])  # the empty text, named in its record
    assert not list(tmp_path.glob("*.partial*"))  # no half-written file left beside it


def test_the_console_script_keeps_the_status_of_an_error(mini_home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "absent.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", RUN, "link", str(missing), "--home", str(mini_home)],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert done.returncode == 2, done.stderr
    assert "absent.jsonl" in done.stderr
