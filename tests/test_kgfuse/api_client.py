"""A test client of the HTTP API on the mini HPO KG, shared by the API's tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The bearer token of the API test clients.
API_TOKEN = "s3cret-token"


@contextmanager
def api_client(home: Path, model: Path, **settings: Any) -> Iterator[Any]:
    """A TestClient of the API on the mini KG with a token (sent by default), a 20 kB body
    limit and ``settings``."""
    from fastapi.testclient import TestClient

    from kgfuse.api import ApiSettings, create_app

    options: dict[str, Any] = {"token": API_TOKEN, "max_body_bytes": 20_000, **settings}
    settings_ = ApiSettings(kg_path=home / "kgs" / "hpo", model_dir=model, home=home, **options)
    app = create_app(settings_)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {API_TOKEN}"
        yield client


@contextmanager
def served(
    home: Path, model: Path, *options: str, timeout: float = 180
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``kgfuse serve`` on the mini KG in a subprocess, on a free loopback port and without a
    token, given once ``/health`` answers: the process and its URL. Stopped on exit (SIGTERM)
    unless it has ended."""
    import httpx

    from kg.endpoint import free_port
    from kgfuse.serve_bench import local_url, process_tree_listens

    port = free_port()
    cmd = [sys.executable, "-m", "kgfuse.cli", "serve", "--port", str(port), *options]
    cmd += ["--kg", str(home / "kgs" / "hpo"), "--model", str(model), "--home", str(home)]
    env = {k: v for k, v in os.environ.items() if k != "KGFUSE_API_TOKEN"}  # no token
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = local_url(port)
    try:
        deadline = time.time() + timeout
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                # ours, not another process that took the free port meanwhile
                ours = process_tree_listens(server.pid, port)
                if ours and httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "the server did not start"
            time.sleep(0.5)
        yield server, url
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=60)
