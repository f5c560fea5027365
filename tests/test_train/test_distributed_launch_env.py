"""torchrun's processes import kgfuse's packages, not a user's files of the same names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import train.distributed as distributed


def test_launch_runs_its_processes_with_a_safe_import_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dict[str, str]] = []

    def run(command: list[str], env: dict[str, str], check: bool) -> Any:
        seen.append(env)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(distributed.subprocess, "run", run)
    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    assert distributed.launch(1, "kgfuse.cli", ["train"]) == 0
    assert seen[0]["PYTHONSAFEPATH"] == "1"
    assert distributed.launch(1, "kgfuse.cli", ["train"], env={"PYTHONSAFEPATH": "0"}) == 0
    assert seen[1] == {"PYTHONSAFEPATH": "0"}  # a caller's own setting stands


def test_a_safe_import_path_keeps_a_users_train_py_out(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("raise SystemExit('the user train.py')\n", "utf-8")
    probe = [sys.executable, "-c", "import train.distributed, train; print(train.__file__)"]
    unsafe = subprocess.run(probe, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "the user train.py" in unsafe.stderr  # the shadowing is real ...
    safe = subprocess.run(
        probe,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONSAFEPATH": "1"},
    )
    assert safe.returncode == 0, safe.stderr  # ... and the setting launch uses prevents it
    assert Path(safe.stdout.strip()).parent.name == "train"
