"""Serving a built KG as a SPARQL 1.1 endpoint with ``oxigraph serve-read-only``.

The ``oxigraph`` command (PyPI package ``oxigraph``, a dependency of kgfuse) opens the
RocksDB store that a build wrote (``<kg>/current/store``) as it is, read-only, so several
readers (this server, local ``KnowledgeGraph.open`` calls) can share it; nothing is copied.

Example:
    >>> with OxigraphServer(default_kg_path("hpo"), port=7878) as server:  # doctest: +SKIP
    ...     kg = KnowledgeGraph.open(server.url)
"""

from __future__ import annotations

import ipaddress
import logging
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import httpx

from kg.errors import EndpointServerError
from kg.store import resolve_build

logger = logging.getLogger(__name__)


def oxigraph_binary() -> str:
    """Path of the ``oxigraph`` command (on ``PATH``, or beside this Python).

    Raises:
        FileNotFoundError: it is not installed, with the command that installs it.
    """
    found = shutil.which("oxigraph")
    if found is None:
        beside = Path(sys.executable).with_name("oxigraph")
        found = str(beside) if beside.is_file() else None
    if found is None:
        raise FileNotFoundError(
            "the `oxigraph` server command is not installed; `pip install oxigraph` "
            "(it comes with kgfuse's dependencies)"
        )
    return found


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` at the time of the call."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class OxigraphServer:
    """``oxigraph serve-read-only`` over the store of a built KG, as a child process.

    Args:
        kg: KG folder (or one of its builds).
        host: address to listen on (default: ``"127.0.0.1"``, loopback only).
        port: TCP port (default: ``7878``, Oxigraph's own default).
        startup_timeout: seconds to wait for the first answer (default: ``60``).

    Raises:
        KGNotFoundError: nothing is built at ``kg``.
    """

    def __init__(
        self,
        kg: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 7878,
        startup_timeout: float = 60.0,
    ) -> None:
        self.build = resolve_build(Path(kg))
        self.store_dir = self.build / "store"
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def _authority(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The SPARQL query URL (``http://HOST:PORT/query``)."""
        return f"http://{self._authority}/query"

    def start(self) -> str:
        """Start the server and wait until it answers a query; returns :attr:`url`.

        Raises:
            FileNotFoundError: ``oxigraph`` is not installed.
            EndpointServerError: the server exited or did not answer in time (its output
                is in the message: a port in use, a store it cannot open ...).
        """
        if self.process is not None:
            return self.url
        command = [
            oxigraph_binary(),
            "serve-read-only",
            "--location",
            str(self.store_dir),
            "--bind",
            self._authority,
        ]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        logger.info("starting %s", " ".join(command))
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=5.0) as client:
            while True:
                status = self.process.poll()
                if status is not None:
                    output = self._output()
                    self.stop()
                    raise EndpointServerError(
                        f"oxigraph serve exited with status {status}: {output}"
                    )
                try:
                    response = client.post(
                        self.url,
                        content=b"ASK {}",
                        headers={
                            "Content-Type": "application/sparql-query",
                            "Accept": "application/sparql-results+json",
                        },
                    )
                    if response.status_code == 200:
                        return self.url
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    output = self._output()
                    self.stop()
                    raise EndpointServerError(
                        f"oxigraph serve did not answer at {self.url} within "
                        f"{self.startup_timeout:.0f} s: {output}"
                    )
                time.sleep(0.1)

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return text[-2000:] or "(no output)"

    def wait(self) -> int:
        """Block until the server exits; its exit status."""
        if self.process is None:
            raise RuntimeError("the server is not started")
        return self.process.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> OxigraphServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
