"""The command line ``kgfuse bench serve`` starts its server with."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kgfuse.serve_bench import ServeBenchConfig, server_command


def test_the_server_gets_the_benchmarks_settings(tmp_path: Path) -> None:
    config = ServeBenchConfig(workers=3, processes=2, torch_threads=1, precision="fp32")
    cmd = server_command(tmp_path / "kg", tmp_path / "model", tmp_path, 8123, config)
    assert cmd[:4] == [sys.executable, "-m", "kgfuse.cli", "serve"]
    options = dict(zip(cmd[4::2], cmd[5::2], strict=True))
    assert options == {
        "--port": "8123",
        "--kg": str(tmp_path / "kg"),
        "--workers": "3",
        "--processes": "2",
        "--precision": "fp32",
        "--torch-threads": "1",
        "--model": str(tmp_path / "model"),
        "--home": str(tmp_path),
    }
    default = server_command("http://127.0.0.1:7878/query", None, None, 1, ServeBenchConfig())
    assert "--model" not in default and "--home" not in default and "--torch-threads" not in default
    assert default[default.index("--precision") + 1] == "auto"


def test_an_unknown_precision_is_refused_before_any_server_starts() -> None:
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        ServeBenchConfig(precision="fp8")
