"""``kgfuse bench serve``: concurrent clients against ``kgfuse serve`` on loopback.

The server runs in its own process (as users run it); the clients are asyncio tasks of one
httpx client in this process, each sending its next question as soon as the previous answer
arrives. Questions mix KG lookups (generated from the KG with the held-out templates) and
diagnosis questions; latency is reported per kind (p50/p90/p99), with errors and requests
per second.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kg.knowledge_graph import KnowledgeGraph
from kgfuse.qa.evaluation import generate_questions
from kgfuse.qa.questions import Intent


@dataclass(frozen=True)
class ServeBenchConfig:
    """Settings of the load benchmark."""

    clients: int = 16
    seconds: float = 60.0
    diagnosis_share: float = 0.2
    workers: int = 4
    processes: int = 1
    seed: int = 0
    startup_timeout: float = 300.0
    torch_threads: int | None = None
    precision: str = "auto"

    def __post_init__(self) -> None:
        from fusion.precision import check_precision

        check_precision(self.precision)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def question_pool(kg: KnowledgeGraph, seed: int = 0) -> dict[str, list[str]]:
    """Lookup and diagnosis questions generated from the KG (held-out templates)."""
    items = generate_questions(kg, per_template=3, seed=seed)
    pool: dict[str, list[str]] = {"lookup": [], "diagnosis": []}
    for item in items:
        kind = "diagnosis" if item.intent == Intent.DIAGNOSE.value else "lookup"
        pool[kind].append(item.question)
    return pool


def server_command(
    kg_path: Path | str,
    model: Path | None,
    home: Path | None,
    port: int,
    config: ServeBenchConfig,
) -> list[str]:
    """The ``kgfuse serve`` command line the benchmark starts."""
    cmd = [sys.executable, "-m", "kgfuse.cli", "serve", "--port", str(port), "--kg", str(kg_path)]
    cmd += ["--workers", str(config.workers), "--processes", str(config.processes)]
    cmd += ["--precision", config.precision]
    if config.torch_threads is not None:
        cmd += ["--torch-threads", str(config.torch_threads)]
    if model is not None:
        cmd += ["--model", str(model)]
    if home is not None:
        cmd += ["--home", str(home)]
    return cmd


def _start_server(
    kg_path: Path | str,
    model: Path | None,
    home: Path | None,
    port: int,
    config: ServeBenchConfig,
):
    cmd = server_command(kg_path, model, home, port, config)
    # the benchmark's clients send no token: the server runs without one
    env = {k: v for k, v in os.environ.items() if k != "KGFUSE_API_TOKEN"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def _wait_ready(url: str, process: subprocess.Popen, timeout: float) -> float:
    import httpx

    started = time.perf_counter()
    async with httpx.AsyncClient() as client:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"the server exited during startup:\n{err[-2000:]}")
            try:
                r = await client.get(url + "/health", timeout=2)
                if r.status_code == 200 and r.json().get("ready"):
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError(f"the server was not ready after {timeout:.0f} s")


async def _load(url: str, pool: dict[str, list[str]], config: ServeBenchConfig) -> dict[str, Any]:
    import httpx

    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    status_counts: dict[int, int] = defaultdict(int)
    deadline = time.perf_counter() + config.seconds
    limits = httpx.Limits(max_connections=config.clients, max_keepalive_connections=config.clients)

    async def client_loop(client: httpx.AsyncClient, k: int) -> None:
        local = random.Random(config.seed * 1000 + k)
        while time.perf_counter() < deadline:
            kind = "diagnosis" if local.random() < config.diagnosis_share else "lookup"
            question = local.choice(pool[kind])
            t0 = time.perf_counter()
            try:
                r = await client.post(url + "/ask", json={"question": question}, timeout=60)
                status_counts[r.status_code] += 1
                if r.status_code != 200:
                    errors.append(f"{r.status_code}: {r.text[:200]}")
                    continue
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies[kind].append((time.perf_counter() - t0) * 1000)

    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits) as client:
        await asyncio.gather(*(client_loop(client, k) for k in range(config.clients)))
    elapsed = time.perf_counter() - started
    done = sum(len(v) for v in latencies.values())
    return {
        "elapsed_s": round(elapsed, 2),
        "requests": done + len(errors),
        "errors": len(errors),
        "error_samples": errors[:5],
        "status_counts": dict(status_counts),
        "requests_per_s": round((done + len(errors)) / elapsed, 2),
        "latency_ms": {kind: _percentiles(v) for kind, v in latencies.items()},
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {
        "n": int(a.size),
        "p50": round(float(np.percentile(a, 50)), 1),
        "p90": round(float(np.percentile(a, 90)), 1),
        "p99": round(float(np.percentile(a, 99)), 1),
        "min": round(float(a.min()), 1),
        "max": round(float(a.max()), 1),
    }


def run_serve_bench(
    kg_path: Path | str,
    model: Path | None = None,
    home: Path | None = None,
    config: ServeBenchConfig | None = None,
) -> dict[str, Any]:
    """Start ``kgfuse serve``, load it with concurrent clients, stop it; the figures."""
    config = config or ServeBenchConfig()
    pool = question_pool(KnowledgeGraph.open(kg_path), config.seed)
    if not pool["diagnosis"]:
        config = ServeBenchConfig(**{**config.__dict__, "diagnosis_share": 0.0})
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = _start_server(kg_path, model, home, port, config)
    try:
        startup = asyncio.run(_wait_ready(url, process, config.startup_timeout))
        result = asyncio.run(_load(url, pool, config))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return {
        "benchmark": "serve",
        "config": config.__dict__,
        "server_startup_s": round(startup, 1),
        "questions": {k: len(v) for k, v in pool.items()},
        **result,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    }


def _threads_note(config: dict[str, Any]) -> str:
    threads = config.get("torch_threads")
    return "" if threads is None else f" ({threads} torch thread(s) each)"


def markdown(report: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    c = report["config"]
    lines = [
        f"kgfuse bench serve: {c['clients']} clients for {c['seconds']:.0f} s on loopback, "
        f"{c.get('processes', 1)} server process(es) x {c['workers']} worker threads"
        f"{_threads_note(c)}, "
        f"{report['machine']['cpus']} CPUs "
        f"(load average {report['machine']['load_average']})",
        "",
        f"requests {report['requests']}, errors {report['errors']}, "
        f"{report['requests_per_s']} requests/s, server startup {report['server_startup_s']} s",
        "",
        "| question kind | n | p50 ms | p90 ms | p99 ms | min ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, p in report["latency_ms"].items():
        lines.append(
            f"| {kind} | {p['n']} | {p['p50']} | {p['p90']} | {p['p99']} | "
            f"{p['min']} | {p['max']} |"
        )
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_serve.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "bench_serve.md").write_text(markdown(report), encoding="utf-8")
