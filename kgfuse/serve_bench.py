"""``kgfuse bench serve``: concurrent clients against ``kgfuse serve`` on loopback.

The server runs in its own process (as users run it), auditing every answer as a real
server does, but into a scratch audit database removed afterwards (``--audit-db``), not the
home's trail. The clients are asyncio tasks of one aiohttp session in this process (it
costs the shared cores about a third of the CPU an httpx client did), each sending its
next question as soon as the previous answer arrives (a closed loop: the load that
saturates the server), or after a pause of ``think_seconds`` on average (exponential,
seeded per client: users reading their answers). Questions mix KG lookups
(generated from the KG with the held-out templates) and diagnosis questions, so the
diagnosis model is required. Before the timed window every client sends one question of each
kind, untimed (the warm-up round). Every answer is read: one that says it cannot answer
(``"answered": false``) is counted apart from the answered ones, per kind; latency is
reported per kind (p50/p90/p99) over answered answers; the headline rate is answered
answers per second, with the attempted requests per second and the errors beside it.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kg.atomic import write_atomic
from kg.endpoint import free_port
from kg.knowledge_graph import KnowledgeGraph
from kg.store import kgfuse_home
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
    #: each client's mean pause between an answer and its next question (0: none)
    think_seconds: float = 0.0
    #: server processes of their own for the diagnoses (0: the server's threads)
    model_processes: int = 0

    def __post_init__(self) -> None:
        from fusion.precision import check_precision

        check_precision(self.precision)
        if self.model_processes < 0:
            raise ValueError(f"model_processes must be 0 or more, got {self.model_processes}")
        if self.model_processes and self.processes > 1:
            raise ValueError("give processes or model_processes, not both")
        if not (math.isfinite(self.think_seconds) and self.think_seconds >= 0):
            raise ValueError(f"think_seconds must be a number >= 0, got {self.think_seconds}")


def local_url(port: int) -> str:
    """The URL of a server on loopback ``port``."""
    return f"http://127.0.0.1:{port}"


def question_pool(kg: KnowledgeGraph, seed: int = 0) -> dict[str, list[str]]:
    """Lookup and diagnosis questions generated from the KG (held-out templates)."""
    items = generate_questions(kg, per_template=3, seed=seed)
    pool: dict[str, list[str]] = {"lookup": [], "diagnosis": []}
    for item in items:
        kind = "diagnosis" if item.intent == Intent.DIAGNOSE.value else "lookup"
        pool[kind].append(item.question)
    return pool


def require_model(model: Path | None, home: Path | None) -> Path:
    """The diagnosis model folder the server would load (``--model``, else the home's).

    Raises:
        FileNotFoundError: no trained model there: the server would answer every diagnosis
            question that it cannot, and the benchmark would time those refusals.
    """
    from fusion.model_meta import MODEL_META
    from kgfuse.diagnosis import default_model_dir

    folder = Path(model) if model is not None else default_model_dir(home)
    if not (folder / MODEL_META).is_file():
        raise FileNotFoundError(
            f"no trained diagnosis model in {folder}: train one with `kgfuse train` or "
            "`kgfuse quickstart`, or pass --model (or --diagnosis-share 0)"
        )
    return folder


def server_command(
    kg_path: Path | str,
    model: Path | None,
    home: Path | None,
    port: int,
    config: ServeBenchConfig,
    audit_db: Path | None = None,
) -> list[str]:
    """The ``kgfuse serve`` command line the benchmark starts."""
    cmd = [sys.executable, "-m", "kgfuse.cli", "serve", "--port", str(port), "--kg", str(kg_path)]
    cmd += ["--workers", str(config.workers), "--processes", str(config.processes)]
    cmd += ["--precision", config.precision]
    if config.model_processes:
        cmd += ["--model-processes", str(config.model_processes)]
    if config.torch_threads is not None:
        cmd += ["--torch-threads", str(config.torch_threads)]
    if model is not None:
        cmd += ["--model", str(model)]
    if home is not None:
        cmd += ["--home", str(home)]
    if audit_db is not None:
        cmd += ["--audit-db", str(audit_db)]
    return cmd


def _start_server(
    kg_path: Path | str,
    model: Path | None,
    home: Path | None,
    port: int,
    config: ServeBenchConfig,
    audit_db: Path,
) -> subprocess.Popen[bytes]:
    cmd = server_command(kg_path, model, home, port, config, audit_db)
    # the benchmark's clients send no token: the server runs without one
    env = {k: v for k, v in os.environ.items() if k != "KGFUSE_API_TOKEN"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def _wait_ready(port: int, process: subprocess.Popen, timeout: float) -> float:
    """Seconds until the server started as ``process`` answers ``/health`` as ready on
    loopback ``port`` (it, not another process that took the port meanwhile)."""
    import httpx

    url = local_url(port)
    started = time.perf_counter()
    async with httpx.AsyncClient() as client:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"the server exited during startup:\n{err[-2000:]}")
            if not process_tree_listens(process.pid, port):
                await asyncio.sleep(0.5)
                continue
            try:
                r = await client.get(url + "/health", timeout=2)
                if r.status_code == 200 and r.json().get("ready"):
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError(f"the server was not ready after {timeout:.0f} s")


async def _ask(session: Any, url: str, question: str) -> tuple[str, str, float]:
    """One ``/ask``: ``("answered" | "unanswered" | "error", detail, milliseconds)``; an
    answer is read whole, and one that says it cannot answer is ``unanswered``."""
    import aiohttp

    t0 = time.perf_counter()
    try:
        async with session.post(url + "/ask", json={"question": question}) as r:
            status, body = r.status, await r.read()
        ms = (time.perf_counter() - t0) * 1000
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return "error", f"{type(exc).__name__}: {exc}", (time.perf_counter() - t0) * 1000
    shown = body[:200].decode(errors="replace")
    if status != 200:
        return "error", f"{status}: {shown}", ms
    try:
        answer = json.loads(body)
    except ValueError:
        return "error", f"200 with a body that is not JSON: {shown}", ms
    answered = answer.get("answered") if isinstance(answer, dict) else None
    if not isinstance(answered, bool):
        return "error", f"200 without 'answered': {shown}", ms
    return ("answered" if answered else "unanswered"), str(answer.get("text", ""))[:200], ms


def _kinds(pool: dict[str, list[str]], config: ServeBenchConfig) -> list[str]:
    """The question kinds the clients send."""
    shares = {"lookup": 1 - config.diagnosis_share, "diagnosis": config.diagnosis_share}
    return [kind for kind, share in shares.items() if share > 0 and pool.get(kind)]


async def _warm_up(
    client: Any, url: str, pool: dict[str, list[str]], config: ServeBenchConfig
) -> dict[str, Any]:
    """Every client sends one question of each kind, untimed, before the timed window: the
    server's first requests (threads started, lazy paths, caches) are not counted."""
    outcomes: list[str] = []

    async def one_client(k: int) -> None:
        local = random.Random(config.seed * 1000 + k + 10_000_000)
        for kind in _kinds(pool, config):
            outcome, _, _ = await _ask(client, url, local.choice(pool[kind]))
            outcomes.append(outcome)

    started = time.perf_counter()
    await asyncio.gather(*(one_client(k) for k in range(config.clients)))
    return {
        "requests": len(outcomes),
        "errors": outcomes.count("error"),
        "unanswered": outcomes.count("unanswered"),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _process_tree(pid: int) -> list[Any] | None:
    """A process and its live descendants (psutil processes), or None when it is gone."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None


def process_tree_listens(pid: int, port: int) -> bool:
    """Whether a process or one of its live descendants listens on TCP ``port``: a server
    answering on a port chosen free a moment earlier may be another one that took it since
    (our server would then exit, having found it taken, after the other had answered)."""
    import psutil

    for process in _process_tree(pid) or []:
        # net_connections since psutil 6.0, connections before
        connections = getattr(process, "net_connections", None) or process.connections
        try:
            sockets = connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):  # exited meanwhile, or not ours
            continue
        if any(s.status == psutil.CONN_LISTEN and s.laddr.port == port for s in sockets):
            return True
    return False


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants."""
    import psutil

    processes = _process_tree(pid)
    if processes is None:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:  # a worker that exited meanwhile
            continue
        total += times.user + times.system
    return total


def process_tree_memory(pid: int) -> dict[str, Any] | None:
    """Memory of a process and its live descendants: how many, their summed resident set
    (pages they share counted in each) and summed proportional set size (PSS: a shared page
    split between its sharers; None where the system does not tell it), in MB."""
    import psutil

    processes = _process_tree(pid)
    if processes is None:
        return None
    rss = 0
    pss: int | None = 0
    counted = 0
    for process in processes:
        try:
            rss += process.memory_info().rss
            if pss is not None:
                full = process.memory_full_info()
                pss = pss + full.pss if hasattr(full, "pss") else None
        except psutil.AccessDenied:
            pss = None
        except psutil.NoSuchProcess:  # a worker that exited meanwhile
            continue
        counted += 1
    mb = 1024 * 1024
    return {
        "processes": counted,
        "rss_mb": round(rss / mb),
        "pss_mb": None if pss is None else round(pss / mb),
    }


def _cpu_figures(
    server_s: float, client_s: float, elapsed: float, answered: int, requests: int
) -> dict[str, float | None]:
    """Where the timed window's CPU went: the server's (per answered answer) and the load
    generator's own, which shares the machine's cores with the server."""
    return {
        "server_s": round(server_s, 2),
        "server_cores": round(server_s / elapsed, 2) if elapsed > 0 else None,
        "server_ms_per_answer": round(1000 * server_s / answered, 2) if answered else None,
        "client_s": round(client_s, 2),
        "client_ms_per_request": round(1000 * client_s / requests, 2) if requests else None,
    }


async def _load(
    url: str, pool: dict[str, list[str]], config: ServeBenchConfig, server_pid: int | None = None
) -> dict[str, Any]:
    import aiohttp

    latencies: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"requests": 0, "answered": 0, "unanswered": 0, "errors": 0}
    )
    errors: list[str] = []
    unanswered: list[str] = []

    async def client_loop(client: aiohttp.ClientSession, k: int, deadline: float) -> None:
        local = random.Random(config.seed * 1000 + k)
        while time.perf_counter() < deadline:
            kind = "diagnosis" if local.random() < config.diagnosis_share else "lookup"
            outcome, detail, ms = await _ask(client, url, local.choice(pool[kind]))
            counts[kind]["requests"] += 1
            if outcome == "error":
                counts[kind]["errors"] += 1
                errors.append(detail)
            elif outcome == "unanswered":
                counts[kind]["unanswered"] += 1
                unanswered.append(f"{kind}: {detail}")
            else:
                counts[kind]["answered"] += 1
                latencies[kind].append(ms)
            if config.think_seconds > 0:  # the user reads the answer (never past the end)
                pause = local.expovariate(1.0 / config.think_seconds)
                await asyncio.sleep(max(0.0, min(pause, deadline - time.perf_counter())))

    # one connection a client, kept alive between its questions
    connector = aiohttp.TCPConnector(limit=config.clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        warmup = await _warm_up(client, url, pool, config)
        server_cpu = process_tree_cpu_s(server_pid) if server_pid is not None else 0.0
        client_cpu = time.process_time()
        started = time.perf_counter()
        deadline = started + config.seconds
        await asyncio.gather(*(client_loop(client, k, deadline) for k in range(config.clients)))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        if server_pid is not None:
            server_cpu = process_tree_cpu_s(server_pid) - server_cpu
        memory = process_tree_memory(server_pid) if server_pid is not None else None
    requests = sum(c["requests"] for c in counts.values())
    answered = sum(c["answered"] for c in counts.values())
    cpu = _cpu_figures(server_cpu, client_cpu, elapsed, answered, requests)
    return {
        "elapsed_s": round(elapsed, 2),
        "requests": requests,
        "answered": answered,
        "unanswered": len(unanswered),
        "errors": len(errors),
        "error_rate": round(len(errors) / requests, 4) if requests else 0.0,
        "answered_per_s": round(answered / elapsed, 2),
        "requests_per_s": round(requests / elapsed, 2),
        "error_samples": errors[:5],
        "unanswered_samples": unanswered[:5],
        "per_kind": {kind: dict(c) for kind, c in counts.items()},
        "latency_ms": {kind: _percentiles(v) for kind, v in latencies.items()},
        "warmup": warmup,
        "cpu": cpu if server_pid is not None else None,
        "server_memory": memory,
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
    """Start ``kgfuse serve``, load it with concurrent clients, stop it; the figures.

    Raises:
        FileNotFoundError: no trained diagnosis model (:func:`require_model`), unless no
            diagnosis question is asked.
    """
    config = config or ServeBenchConfig()
    if config.diagnosis_share > 0:
        model = require_model(model, home)
    pool = question_pool(KnowledgeGraph.open(kg_path), config.seed)
    if not pool["diagnosis"]:
        config = ServeBenchConfig(**{**config.__dict__, "diagnosis_share": 0.0})
    port = free_port()
    url = local_url(port)
    scratch_root = kgfuse_home(home) / "tmp"
    scratch_root.mkdir(parents=True, exist_ok=True)
    # the load is audited as a real server's would be, into a database removed afterwards
    with tempfile.TemporaryDirectory(prefix="bench-serve-audit-", dir=scratch_root) as scratch:
        process = _start_server(kg_path, model, home, port, config, Path(scratch) / "audit.sqlite")
        try:
            startup = asyncio.run(_wait_ready(port, process, config.startup_timeout))
            result = asyncio.run(_load(url, pool, config, process.pid))
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
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


def _model_note(config: dict[str, Any]) -> str:
    processes = config.get("model_processes") or 0
    return f" + {processes} model process(es)" if processes else ""


def _think_note(config: dict[str, Any]) -> str:
    think = config.get("think_seconds") or 0.0
    if not think:
        return " (each asks again as soon as it is answered)"
    return f" (each pausing {think:g} s on average between an answer and its next question)"


def markdown(report: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    c = report["config"]
    warmup = report.get("warmup", {})
    requests = report["requests"]
    error_share = f" ({100 * report['errors'] / requests:.1f}%)" if requests else ""
    lines = [
        f"kgfuse bench serve: {c['clients']} clients for {c['seconds']:.0f} s on loopback"
        f"{_think_note(c)}, "
        f"{c.get('processes', 1)} server process(es) x {c['workers']} worker threads"
        f"{_model_note(c)}{_threads_note(c)}, "
        f"{report['machine']['cpus']} CPUs "
        f"(load average {report['machine']['load_average']}); after an untimed warm-up "
        f"round (each client one question of each kind: {warmup.get('requests', 0)} "
        "requests), answers audited into a scratch database, removed afterwards.",
        "",
        f"**{report['answered_per_s']} answered answers/s** ({report['answered']} of "
        f"{requests} requests answered; {report['requests_per_s']} requests/s attempted), "
        f"{report['unanswered']} answered 'cannot answer', errors {report['errors']}"
        f"{error_share}; server startup {report['server_startup_s']} s",
        "",
        "| question kind | requests | answered | cannot answer | errors "
        "| p50 ms | p90 ms | p99 ms | min ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, n in report["per_kind"].items():
        p = report["latency_ms"].get(kind)
        cells = (
            f"{p['p50']} | {p['p90']} | {p['p99']} | {p['min']} | {p['max']}"
            if p
            else "- | - | - | - | -"
        )
        lines.append(
            f"| {kind} | {n['requests']} | {n['answered']} | {n['unanswered']} | "
            f"{n['errors']} | {cells} |"
        )
    lines += ["", "Latencies are of the answered answers."]
    cpu = report.get("cpu")
    if cpu:
        lines += [
            "",
            f"CPU in the timed window: the server {cpu['server_s']} s ({cpu['server_cores']} "
            f"cores, {cpu['server_ms_per_answer']} ms per answered answer); the load generator "
            f"{cpu['client_s']} s ({cpu['client_ms_per_request']} ms per request) on the same "
            "cores. CPU per answer moves less than the rates when other work shares the machine.",
        ]
    memory = report.get("server_memory")
    if memory:
        pss = memory.get("pss_mb")
        shared = f" (PSS {pss:,} MB: the pages its processes share counted once)" if pss else ""
        lines += [
            "",
            f"Server memory after the load: {memory['processes']} process(es), "
            f"{memory['rss_mb']:,} MB resident{shared}.",
        ]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out: Path) -> None:
    """``bench_serve.json`` and ``bench_serve.md`` in ``out``, each written whole."""
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "bench_serve.json", json.dumps(report, indent=2))
    write_atomic(out / "bench_serve.md", markdown(report))
