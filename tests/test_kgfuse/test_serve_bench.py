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


_LISTENER = """
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("psutil_api", ["net_connections", "connections"])
def test_a_port_is_ours_only_when_our_process_listens_on_it(
    psutil_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    import psutil

    from kgfuse.serve_bench import process_tree_listens

    if psutil_api == "connections":  # psutil before 6.0: the same method, named so
        monkeypatch.setattr(psutil.Process, "connections", psutil.Process.net_connections)
        monkeypatch.delattr(psutil.Process, "net_connections")

    listener = subprocess.Popen([sys.executable, "-c", _LISTENER], stdout=subprocess.PIPE)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert listener.stdout is not None
        port = int(listener.stdout.readline())
        assert process_tree_listens(listener.pid, port)
        assert not process_tree_listens(listener.pid, port + 1 if port < 65535 else port - 1)
        assert not process_tree_listens(idle.pid, port)  # another process's port
    finally:
        listener.kill()
        idle.kill()
        listener.wait()
        idle.wait()
    assert not process_tree_listens(listener.pid, port)  # gone


def test_the_benchmark_waits_for_its_own_server_not_one_that_took_its_port() -> None:
    """Another server answering /health on the chosen port is not the benchmark's: waiting
    goes on until its own process listens there (here it never does)."""
    import asyncio
    import subprocess

    from kgfuse.serve_bench import _wait_ready
    from tests.http_stub import StubHandler, serve_stub

    class Healthy(StubHandler):
        def do_GET(self) -> None:
            self.reply(200, b'{"ready": true}')

    with serve_stub(Healthy) as squatter:
        ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            with pytest.raises(TimeoutError, match="not ready after"):
                asyncio.run(_wait_ready(squatter.server_address[1], ours, timeout=2))
        finally:
            ours.kill()
            ours.wait()
