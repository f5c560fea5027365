"""Review fixes of ``kgfuse bench serve``: answers read (one that cannot answer is not a
success), answered answers/s as the headline, an untimed warm-up round, no run without a
model or with an output folder it cannot write, the load audited into a scratch database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

import kgfuse.serve_bench as serve_bench
from kg.endpoint import free_port
from kgfuse.cli import app
from kgfuse.serve_bench import ServeBenchConfig
from tests.http_stub import StubHandler, serve_stub

#: The stub server's answers: question -> (HTTP status, JSON body).
ANSWERS = {
    "lookup-ok": (200, {"answered": True, "text": "Ectopia lentis is ..."}),
    "lookup-no": (200, {"answered": False, "text": "I cannot answer this"}),
    "diagnose": (500, {"detail": "internal error"}),
}


@contextmanager
def stub_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server answering ``/ask`` from :data:`ANSWERS`; the URL and the
    questions it was asked, in order."""
    asked: list[str] = []

    class Handler(StubHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            question = json.loads(self.rfile.read(length))["question"]
            asked.append(question)
            status, answer = ANSWERS[question]
            self.reply(status, json.dumps(answer).encode())

    with serve_stub(Handler) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked


POOL = {"lookup": ["lookup-ok", "lookup-no"], "diagnosis": ["diagnose"]}
CONFIG = ServeBenchConfig(clients=2, seconds=0.6, diagnosis_share=0.3)


def test_answers_that_cannot_answer_are_counted_apart_from_the_answered() -> None:
    with stub_server() as (url, _):
        result = asyncio.run(serve_bench._load(url, POOL, CONFIG))
    lookup, diagnosis = result["per_kind"]["lookup"], result["per_kind"]["diagnosis"]
    assert lookup["answered"] > 0 and lookup["unanswered"] > 0 and lookup["errors"] == 0
    assert diagnosis["errors"] == diagnosis["requests"] > 0 and diagnosis["answered"] == 0
    assert result["latency_ms"]["lookup"]["n"] == lookup["answered"]  # answered ones only
    assert "diagnosis" not in result["latency_ms"]
    assert result["answered"] == lookup["answered"]
    assert result["unanswered"] == lookup["unanswered"]
    assert result["requests"] == lookup["requests"] + diagnosis["requests"]
    # the headline counts answered answers; attempted requests and errors beside it
    per_s = result["answered"] / result["elapsed_s"]
    assert result["answered_per_s"] == pytest.approx(per_s, rel=0.02)
    assert result["requests_per_s"] > result["answered_per_s"]
    assert result["error_rate"] == round(result["errors"] / result["requests"], 4)
    report = {
        **result,
        "config": CONFIG.__dict__,
        "machine": {"cpus": 2, "load_average": [0.0]},
        "server_startup_s": 1.0,
    }
    text = serve_bench.markdown(report)
    assert f"**{result['answered_per_s']} answered answers/s**" in text
    assert f"| lookup | {lookup['requests']} | {lookup['answered']} | {lookup['unanswered']} |" in (
        text
    )
    assert "| diagnosis |" in text and "untimed warm-up" in text


def test_an_untimed_warm_up_round_of_each_kind_comes_first() -> None:
    with stub_server() as (url, asked):
        result = asyncio.run(serve_bench._load(url, POOL, CONFIG))
    warmup = result["warmup"]
    assert warmup["requests"] == CONFIG.clients * 2  # one of each kind per client
    assert sorted(q.split("-")[0] for q in asked[: warmup["requests"]]) == [
        "diagnose",
        "diagnose",
        "lookup",
        "lookup",
    ]
    assert len(asked) == warmup["requests"] + result["requests"]  # not counted in the load


def test_clients_that_think_between_questions_ask_fewer_and_the_report_says_so() -> None:
    pool = {"lookup": ["lookup-ok"], "diagnosis": []}
    busy = ServeBenchConfig(clients=2, seconds=0.8, diagnosis_share=0.0)
    thinking = ServeBenchConfig(clients=2, seconds=0.8, diagnosis_share=0.0, think_seconds=0.2)
    with stub_server() as (url, _):
        closed = asyncio.run(serve_bench._load(url, pool, busy))
        paused = asyncio.run(serve_bench._load(url, pool, thinking))
    # two clients pausing 0.2 s on average ask ~8 questions in 0.8 s; a closed loop many more
    assert 0 < paused["requests"] < 30 and paused["requests"] * 2 < closed["requests"]
    assert paused["elapsed_s"] < 0.8 + 0.5  # a pause never runs past the window
    report = {
        **paused,
        "config": thinking.__dict__,
        "machine": {"cpus": 2, "load_average": [0.0]},
        "server_startup_s": 1.0,
    }
    assert "each pausing 0.2 s on average" in serve_bench.markdown(report)
    assert "as soon as it is answered" in serve_bench.markdown({**report, "config": busy.__dict__})


@pytest.mark.parametrize("think", [-1.0, float("nan"), float("inf")])
def test_a_think_time_that_is_no_pause_is_refused(think: float) -> None:
    with pytest.raises(ValueError, match="think_seconds"):
        ServeBenchConfig(think_seconds=think)


def _no_server(*args, **kwargs):
    raise AssertionError("the benchmark started a server")


def test_bench_serve_refuses_to_start_without_a_model(
    mini_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_bench, "_start_server", _no_server)
    args = ["bench", "serve", "--kg", str(mini_home / "kgs" / "hpo"), "--home", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--model", str(tmp_path / "none"), "--seconds", "1"])
    assert result.exit_code == 2, result.output
    assert "no trained diagnosis model" in result.output


def test_bench_serve_checks_its_output_folder_before_the_load(
    mini_home: Path, mini_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_bench, "_start_server", _no_server)
    afile = tmp_path / "afile"
    afile.write_text("not a folder", encoding="utf-8")
    args = ["bench", "serve", "--kg", str(mini_home / "kgs" / "hpo"), "--model", str(mini_model)]
    result = CliRunner().invoke(app, [*args, "--home", str(tmp_path), "--out", str(afile / "s")])
    assert result.exit_code == 2, result.output
    assert "is a file" in result.output and "Traceback" not in result.output


class _FakeProcess:
    pid = 0

    def terminate(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def kill(self) -> None:
        pass


def test_the_load_is_audited_into_a_scratch_database_that_is_removed(
    mini_home: Path, mini_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []

    real_popen = subprocess.Popen

    def popen(cmd, *args, **kwargs):  # the server command the benchmark really builds
        if "serve" not in cmd:  # another subprocess (the module is shared)
            return real_popen(cmd, *args, **kwargs)
        commands.append(list(cmd))
        return _FakeProcess()

    async def ready(port, process, timeout):
        return 0.5

    async def load(url, pool, config, server_pid=None):
        return {"requests": 0}

    monkeypatch.setattr(serve_bench.subprocess, "Popen", popen)
    monkeypatch.setattr(serve_bench, "_wait_ready", ready)
    monkeypatch.setattr(serve_bench, "_load", load)
    home = tmp_path / "home"
    serve_bench.run_serve_bench(mini_home / "kgs" / "hpo", mini_model, home)
    [command] = commands
    audit_db = Path(command[command.index("--audit-db") + 1])
    assert audit_db.name == "audit.sqlite" and (home / "tmp") in audit_db.parents
    assert not audit_db.parent.exists()  # removed with its folder


def test_the_server_records_into_the_audit_database_it_is_given(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    from kgfuse.audit import AuditLog, AuditRecordNotFoundError
    from tests.test_kgfuse.api_client import api_client

    scratch = tmp_path / "scratch" / "audit.sqlite"
    home_db = mini_home / "audit.sqlite"
    with api_client(mini_home, mini_model, audit_db=scratch) as client:
        asked = client.post("/ask", json={"question": "What is the definition of Marfan syndrome?"})
        assert asked.status_code == 200, asked.text
        diagnosed = client.post(
            "/diagnose", json={"id": "p1", "text": "Tall boy with arachnodactyly."}
        )
        assert diagnosed.status_code == 200, diagnosed.text
    ids = [asked.json()["audit_id"], diagnosed.json()["audit_id"]]
    log = AuditLog(scratch, readonly=True)
    assert [log.get(i, exact=True).id for i in ids] == ids
    if home_db.exists():  # made by an earlier test of the shared home: it holds neither
        home = AuditLog(home_db, readonly=True)
        for record_id in ids:
            with pytest.raises(AuditRecordNotFoundError):
                home.get(record_id, exact=True)


def test_services_given_an_audit_db_never_open_the_homes(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    """The QA service and the diagnosis service it loads write to ``audit_db`` only: the
    home gets no audit database of its own."""
    from kgfuse.audit import AuditLog
    from kgfuse.qa.service import QAService

    home = tmp_path / "home"
    home.mkdir()
    scratch = tmp_path / "scratch.sqlite"
    qa = QAService(mini_home / "kgs" / "hpo", mini_model, home, audit=True, audit_db=scratch)
    answer = qa.ask("What diseases fit a patient with arachnodactyly and tall stature?")
    assert answer.audit_id is not None
    assert qa.diagnosis.audit_log is not None and qa.diagnosis.audit_log.path == scratch
    assert not (home / "audit.sqlite").exists()
    assert AuditLog(scratch, readonly=True).get(answer.audit_id, exact=True).id == answer.audit_id


def test_results_are_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rename that fails (a full disk, a kill) leaves the previous results as they were."""
    (tmp_path / "bench_serve.json").write_text('{"previous": true}', encoding="utf-8")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        serve_bench.write_report({"requests": 1}, tmp_path)
    assert (tmp_path / "bench_serve.json").read_text(encoding="utf-8") == '{"previous": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench_serve.json"]


@contextmanager
def _waiting_parent_of(child_code: str) -> Iterator[subprocess.Popen[bytes]]:
    """A process that only waits on its child, which runs ``child_code``; both killed on
    exit."""
    import psutil

    start_child = (
        f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {child_code!r}]).wait()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", start_child])
    try:
        yield parent
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()


def test_cpu_of_the_server_and_its_workers_is_counted() -> None:
    """The server's CPU is read for its whole process tree (``--processes N`` serves from
    children), so a parent that only waits on a busy child still counts the child's time."""
    import psutil

    with _waiting_parent_of("while True: pass\n") as parent:
        deadline = time.monotonic() + 30
        used = 0.0
        while used < 0.5 and time.monotonic() < deadline:
            time.sleep(0.2)
            used = serve_bench.process_tree_cpu_s(parent.pid)
        own = psutil.Process(parent.pid).cpu_times()
    assert used >= 0.5  # the busy child's seconds
    assert own.user + own.system < used - 0.3  # not the waiting parent's own
    assert serve_bench.process_tree_cpu_s(parent.pid) == 0.0  # gone: nothing to count


def test_cpu_figures_per_answer_and_per_request() -> None:
    cpu = serve_bench._cpu_figures(
        server_s=3.0, client_s=1.0, elapsed=2.0, answered=150, requests=200
    )
    assert cpu == {
        "server_s": 3.0,
        "server_cores": 1.5,
        "server_ms_per_answer": 20.0,
        "client_s": 1.0,
        "client_ms_per_request": 5.0,
    }
    none = serve_bench._cpu_figures(server_s=0.0, client_s=0.0, elapsed=1.0, answered=0, requests=0)
    assert none["server_ms_per_answer"] is None and none["client_ms_per_request"] is None


def test_the_report_says_where_the_cpu_went() -> None:
    with stub_server() as (url, _):
        result = asyncio.run(serve_bench._load(url, POOL, CONFIG, server_pid=os.getpid()))
    cpu = result["cpu"]
    assert cpu["server_s"] > 0 and cpu["client_s"] > 0  # here both are this process
    report = {
        **result,
        "config": CONFIG.__dict__,
        "machine": {"cpus": 2, "load_average": [0.0]},
        "server_startup_s": 1.0,
    }
    assert f"the server {cpu['server_s']} s" in serve_bench.markdown(report)


def test_the_servers_memory_is_summed_over_its_processes() -> None:
    """Model processes hold the KG and model again: the report sums the tree's memory, the
    resident set of each and (where told) the PSS that counts shared pages once."""
    keep = (
        "import time\n"
        "block = bytearray(200 * 1024 * 1024)\n"
        "block[::4096] = b'x' * len(block[::4096])\n"  # every page touched: resident
        "time.sleep(60)\n"
    )
    with _waiting_parent_of(keep) as parent:
        deadline = time.monotonic() + 30
        memory = serve_bench.process_tree_memory(parent.pid)
        while (memory is None or memory["rss_mb"] < 200) and time.monotonic() < deadline:
            time.sleep(0.2)
            memory = serve_bench.process_tree_memory(parent.pid)
    assert memory is not None and memory["processes"] == 2
    assert memory["rss_mb"] >= 200  # the child's 200 MB block, touched page by page
    assert memory["pss_mb"] is None or 200 <= memory["pss_mb"] <= memory["rss_mb"]
    assert serve_bench.process_tree_memory(parent.pid) is None  # gone
    report = {
        "config": CONFIG.__dict__,
        "machine": {"cpus": 2, "load_average": [0.0]},
        "server_startup_s": 1.0,
        "requests": 0,
        "answered": 0,
        "unanswered": 0,
        "errors": 0,
        "answered_per_s": 0.0,
        "requests_per_s": 0.0,
        "per_kind": {},
        "latency_ms": {},
        "server_memory": memory,
    }
    assert f"{memory['rss_mb']:,} MB resident" in serve_bench.markdown(report)


def test_a_server_that_is_not_there_is_an_error_not_a_crash() -> None:
    port = free_port()  # nothing listens on it

    async def ask() -> tuple[str, str, float]:
        async with aiohttp.ClientSession() as session:
            return await serve_bench._ask(session, f"http://127.0.0.1:{port}", "lookup-ok")

    outcome, detail, ms = asyncio.run(ask())
    assert outcome == "error"
    assert "Connect" in detail  # aiohttp's ClientConnectorError, named
    assert ms >= 0
