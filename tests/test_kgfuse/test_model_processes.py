"""``kgfuse serve --model-processes``: diagnoses in processes of their own, fed from one
queue, answered and audited as in the server's threads; a process that stops is replaced."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kgfuse.api import ApiSettings, Refused, error_answer
from kgfuse.audit import AuditLog
from kgfuse.serve_bench import ServeBenchConfig, server_command
from tests.test_kgfuse.api_client import api_client, served
from tests.test_kgfuse.test_worker_pool import alive

RECORD = {"id": "p1", "present_hpo": ["HP:0001166", "HP:0001083"], "sex": "female"}
QUESTION = "Which diseases explain arachnodactyly and ectopia lentis?"


@pytest.fixture(scope="module")
def clients(mini_home: Path, mini_model: Path):
    """The same server twice: diagnoses in its threads, and in one model process."""
    with (
        api_client(mini_home, mini_model, preload=True) as threaded,
        api_client(mini_home, mini_model, preload=True, model_processes=1) as separate,
    ):
        yield threaded, separate


def _ranking(out: dict[str, Any]) -> list[tuple[str, float]]:
    return [(r["curie"], r["probability"]) for r in out["ranking"]]


def test_diagnoses_run_in_the_model_process_and_answer_as_in_threads(
    clients: tuple[TestClient, TestClient], mini_home: Path
) -> None:
    threaded, separate = clients
    processes = separate.app.state.services.model_processes
    assert processes is not None and processes.processes == 1
    assert threaded.app.state.services.model_processes is None
    assert threaded.get("/health").json()["diagnoses"] == {"in": "threads"}
    health = separate.get("/health").json()
    assert health["diagnoses"] == {"in": "processes", "processes": 1, "restarts": 0}
    # the server process did not load the model: the model process did
    assert separate.app.state.services.qa._diagnosis is None
    log = AuditLog(mini_home / "audit.sqlite")
    before = len(log)
    a = threaded.post("/diagnose", json=RECORD)
    b = separate.post("/diagnose", json=RECORD)
    assert a.status_code == b.status_code == 200
    ranked_a, ranked_b = _ranking(a.json()), _ranking(b.json())
    assert [c for c, _ in ranked_a] == [c for c, _ in ranked_b] and ranked_a
    assert [p for _, p in ranked_b] == pytest.approx([p for _, p in ranked_a], rel=1e-5)
    assert b.json()["audit_id"] != a.json()["audit_id"]
    one = separate.post("/diagnose?top_k=1", json=RECORD)  # the ranking's length crosses too
    assert one.status_code == 200 and _ranking(one.json()) == ranked_b[:1]
    a = threaded.post("/ask", json={"question": QUESTION})
    b = separate.post("/ask", json={"question": QUESTION})
    assert a.status_code == b.status_code == 200
    assert b.json()["intent"] == "diagnose"
    assert [i["iri"] for i in b.json()["items"]] == [i["iri"] for i in a.json()["items"]]
    # each decision recorded once, in the one database, its chain whole
    log = AuditLog(mini_home / "audit.sqlite")
    assert len(log) == before + 5
    assert log.get(b.json()["audit_id"]).kind == "ask"
    assert log.verify_chain().ok


def test_errors_in_a_model_process_answer_as_in_threads(
    clients: tuple[TestClient, TestClient],
) -> None:
    threaded, separate = clients
    bad = [
        {"id": "x", "present_hpo": ["HP:0001166"], "sex": "sometimes"},
        {"id": "x", "text": "   "},
        {"id": "x", "present_hpo": "HP:0001166"},
    ]
    for record in bad:
        a = threaded.post("/diagnose", json=record)
        b = separate.post("/diagnose", json=record)
        assert a.status_code == 422, a.text
        assert (b.status_code, b.json()) == (a.status_code, a.json())
    # lookups stay with the server process, and it goes on serving
    r = separate.post("/ask", json={"question": "What is arachnodactyly?"})
    assert r.status_code == 200 and r.json()["answered"]


def test_error_answer_gives_the_status_of_each_handler() -> None:
    from fastapi import HTTPException

    from kg.errors import EndpointUnreachableError, UnknownTermError
    from kgfuse.diagnosis import RecordError
    from kgfuse.qa.service import QuestionError

    assert error_answer(QuestionError("empty question")) == (422, "empty question")
    assert error_answer(RecordError("bad sex")) == (422, "bad sex")
    status, detail = error_answer(UnknownTermError("HP:9999999"))
    assert status == 404 and detail.startswith("unknown term 'HP:9999999'")  # not quoted again
    assert error_answer(ValueError("no")) == (422, "no")
    assert error_answer(HTTPException(503, "no model")) == (503, "no model")
    assert error_answer(Refused(418, "teapot")) == (418, "teapot")
    status, detail = error_answer(EndpointUnreachableError("http://user:pw@host/query"))
    assert status == 503 and "pw" not in detail
    assert error_answer(KeyError("x")) == (500, "internal error: KeyError")


def test_a_model_process_that_stops_answers_500_then_is_replaced(
    clients: tuple[TestClient, TestClient],
) -> None:
    _, separate = clients
    processes = separate.app.state.services.model_processes
    pids = list(processes._pool._processes)
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGKILL)
    statuses = []
    for _ in range(3):  # the request in flight, or the next, meets the stopped process
        r = separate.post("/diagnose", json=RECORD)
        statuses.append(r.status_code)
        if r.status_code == 500:
            assert "model process stopped" in r.json()["detail"]
            break
    assert 500 in statuses
    r = separate.post("/diagnose", json=RECORD)
    assert r.status_code == 200 and r.json()["ranking"]
    assert list(processes._pool._processes) != pids
    assert separate.get("/health").json()["diagnoses"]["restarts"] == 1


def test_no_model_means_no_model_processes_and_a_503(mini_home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    with api_client(mini_home, empty, preload=True, model_processes=1) as client:
        assert client.app.state.services.model_processes is None
        r = client.post("/diagnose", json=RECORD)
        assert r.status_code == 503 and "no diagnosis model" in r.json()["detail"]


def test_model_processes_are_checked(mini_home: Path) -> None:
    from kgfuse.cli import app

    with pytest.raises(ValueError, match="model_processes must be 0 or more"):
        ApiSettings(mini_home / "kgs" / "hpo", model_processes=-1)
    with pytest.raises(ValueError, match="not both"):
        ServeBenchConfig(processes=2, model_processes=1)
    cmd = server_command("kg", None, None, 8000, ServeBenchConfig(model_processes=2))
    assert cmd[cmd.index("--model-processes") + 1] == "2"
    assert "--model-processes" not in server_command("kg", None, None, 8000, ServeBenchConfig())
    result = CliRunner().invoke(
        app, ["serve", "--processes", "2", "--model-processes", "1", "--home", str(mini_home)]
    )
    assert result.exit_code == 2
    assert "not both" in result.output


def test_the_server_stops_on_ctrl_c_with_its_model_processes_and_records_kept(
    mini_home: Path, mini_model: Path
) -> None:
    import httpx
    import psutil

    with served(mini_home, mini_model, "--model-processes", "1") as (server, url):
        answer = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60).json()
        assert answer["intent"] == "diagnose" and answer["audit_id"]
        children = psutil.Process(server.pid).children()
        workers = [c.pid for c in children if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 1
        server.send_signal(signal.SIGINT)
        status = server.wait(timeout=60)
    assert status == 0
    assert not [pid for pid in workers if alive(pid)]
    log = AuditLog(mini_home / "audit.sqlite")
    assert log.get(answer["audit_id"]).kind == "ask" and log.verify_chain().ok
