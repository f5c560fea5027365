"""The face with ``--kg http://HOST:PORT/query``: KG helpers, linking, QA, diagnosis and training
against ``oxigraph serve`` give what they give on the KG folder it serves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from kg.endpoint import free_port
from kg.knowledge_graph import KnowledgeGraph
from kgfuse.cli import app
from tests.endpoint_env import require_oxigraph, serving
from tests.mini_hpo_env import FACE_DIAGNOSIS

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}
QUESTIONS = [
    "Which genes are associated with Marfan syndrome?",
    "What are the features of Marfan syndrome?",
    "Which diseases have an abnormality of the eye?",
    "What distinguishes Marfan syndrome from homocystinuria?",
    "Which diseases explain arachnodactyly and ectopia lentis but no intellectual disability?",
]
PATIENTS = [
    {
        "id": "p1",
        "text": "Tall boy with arachnodactyly and ectopia lentis, no intellectual disability.",
    },
    {"id": "p2", "present_hpo": ["HP:0001166", "HP:0002616"], "excluded_hpo": ["HP:0001249"]},
]


@pytest.fixture(scope="module")
def kg_dir(mini_home: Path) -> Path:
    return mini_home / "kgs" / "hpo"


@pytest.fixture(scope="module")
def url(kg_dir: Path) -> Iterator[str]:
    with serving(kg_dir) as server:
        yield server.url


@pytest.fixture(scope="module")
def remote_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home of its own, so every derived table of the endpoint is read from it."""
    return tmp_path_factory.mktemp("remote-home")


def _cli(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_kg_helpers_answer_the_same_from_the_endpoint(
    kg_dir: Path, url: str, remote_home: Path
) -> None:
    for command in (
        ["kg", "show", "HP:0001166", "--json"],
        ["kg", "show", "OMIM:154700", "--json"],
        ["kg", "show", "HP:0000478"],
        ["kg", "query", "SELECT ?d ?l WHERE { ?d a kgv:Disease ; rdfs:label ?l } ORDER BY ?d"],
        ["link", "--text", "Arachnodactyly and ectopia lentis; no intellectual disability."],
    ):
        local = _cli(*command, "--kg", kg_dir)
        assert _cli(*command, "--kg", url, "--home", remote_home) == local, command
    local_stats = json.loads(_cli("kg", "stats", "--json", "--kg", kg_dir))
    remote_stats = json.loads(_cli("kg", "stats", "--json", "--kg", url, "--home", remote_home))
    # the endpoint does not say when its KG was built: the time is the local cache's
    assert remote_stats.pop("endpoint") == url
    cached_at, seconds = remote_stats.pop("cached_at"), remote_stats.pop("cache_seconds")
    assert cached_at.startswith("20") and seconds >= 0 and "built_at" not in remote_stats
    local_stats.pop("built_at"), local_stats.pop("build_seconds")
    assert remote_stats == local_stats
    text = _cli("kg", "stats", "--kg", url, "--home", remote_home)
    assert f"at {url}, tables cached here" in text and " built " not in text
    assert (remote_home / "remote").is_dir()


def test_qa_answers_the_same_from_the_endpoint(
    mini_home: Path, mini_model: Path, kg_dir: Path, url: str, remote_home: Path
) -> None:
    from kgfuse.qa import QAService

    local = QAService(kg_dir, mini_model, mini_home, audit=False)
    remote = QAService(url, mini_model, remote_home, audit=False)
    assert remote.kg.fingerprint == local.kg.fingerprint and remote.kg_path == url
    for question in QUESTIONS:
        a, b = local.ask(question), remote.ask(question)
        assert b.answered == a.answered and b.intent == a.intent, question
        assert remote.answer_dict(b) == local.answer_dict(a), question


def test_diagnosis_is_the_same_from_the_endpoint(
    mini_home: Path, mini_model: Path, kg_dir: Path, url: str, remote_home: Path
) -> None:
    from kgfuse.diagnosis import DiagnosisService, parse_record

    local = DiagnosisService(mini_model, kg_dir, mini_home, audit=False)
    remote = DiagnosisService(mini_model, url, remote_home, audit=False)  # the model is accepted
    for i, raw in enumerate(PATIENTS):
        record = parse_record(raw, i)
        a, b = local.diagnose(record), remote.diagnose(record)
        ra, rb = a.to_record(), b.to_record()
        ra.pop("seconds", None), rb.pop("seconds", None)
        assert rb == ra
        ea = local.explain(record, a, 5).to_dict()
        eb = remote.explain(record, b, 5).to_dict()
        assert eb["findings"] == ea["findings"] and eb["ranking"] == ea["ranking"]


def test_cli_diagnose_and_ask_take_the_endpoint(
    mini_home: Path, mini_model: Path, kg_dir: Path, url: str, remote_home: Path, tmp_path: Path
) -> None:
    records = tmp_path / "patients.jsonl"
    records.write_text("".join(json.dumps(p) + "\n" for p in PATIENTS), encoding="utf-8")
    base = ["--model", mini_model, "--no-audit"]
    out = {}
    for name, kg, home in (("local", kg_dir, mini_home), ("remote", url, remote_home)):
        out[name] = tmp_path / f"{name}.jsonl"
        _cli("diagnose", records, "-o", out[name], *base, "--kg", kg, "--home", home)
    local = [json.loads(line) for line in out["local"].read_text().splitlines()]
    remote = [json.loads(line) for line in out["remote"].read_text().splitlines()]
    assert [r["ranking"] for r in remote] == [r["ranking"] for r in local]
    question = QUESTIONS[0]
    a = json.loads(_cli("ask", question, "--json", *base, "--kg", kg_dir, "--home", mini_home))
    b = json.loads(_cli("ask", question, "--json", *base, "--kg", url, "--home", remote_home))
    assert b["items"] == a["items"] and b["facts"] == a["facts"]


def test_training_against_the_endpoint_gives_the_same_model(
    mini_home: Path, mini_model: Path, url: str, tmp_path: Path
) -> None:
    from safetensors.torch import load_file

    from train.config import load_config
    from train.diagnosis import train_diagnosis

    # those of the local model (tests/test_kgfuse/conftest.py), but the KG
    overrides = [f"kg={url}", f"output={tmp_path / 'model'}", *FACE_DIAGNOSIS]
    result = train_diagnosis(load_config(None, overrides), home=tmp_path, progress=False)
    remote_meta = json.loads((result.output / "kgfuse_model.json").read_text())
    local_meta = json.loads((mini_model / "kgfuse_model.json").read_text())
    assert remote_meta["kg_fingerprint"] == local_meta["kg_fingerprint"]
    assert remote_meta["candidates"] == local_meta["candidates"]
    local_weights = load_file(mini_model / "model.safetensors")
    remote_weights = load_file(result.output / "model.safetensors")
    assert local_weights.keys() == remote_weights.keys()
    for name, tensor in local_weights.items():
        assert (remote_weights[name] - tensor).abs().max() < 1e-5, name


def test_unreachable_and_non_sparql_urls_fail_in_one_line(url: str, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}/query"
    result = CliRunner().invoke(app, ["kg", "show", "HP:0001166", "--kg", down], env=ENV)
    assert result.exit_code == 2 and "no SPARQL endpoint answers at" in result.output
    page = url.removesuffix("query")
    result = CliRunner().invoke(app, ["kg", "stats", "--kg", page, "--home", tmp_path], env=ENV)
    assert result.exit_code == 2 and "not a SPARQL query endpoint" in result.output
    served = CliRunner().invoke(app, ["kg", "serve", "--kg", url], env=ENV)
    assert served.exit_code == 2 and "local KG folder" in served.output


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_cli_kg_serve_answers_and_stops_on_ctrl_c(kg_dir: Path, tmp_path: Path) -> None:
    require_oxigraph()
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kgfuse.cli",
            "kg",
            "serve",
            "--kg",
            str(kg_dir),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=os.environ | ENV,
        # Ctrl-C must reach it even when the tests run in the background, where a shell
        # starts them with SIGINT ignored (and the child would inherit that); in its own
        # process group, so that the cleanup below also stops its oxigraph child
        preexec_fn=_default_sigint,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/query"
    # The endpoint answers a moment before the command prints that it serves: wait for the
    # line, not the port, or Ctrl-C can arrive between the two
    lines: list[str] = []

    def read_output() -> None:
        for line in process.stdout:
            lines.append(line.decode())

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any(f"read-only at {url}" in line for line in lines):
            assert process.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "kgfuse kg serve did not say it serves"
            time.sleep(0.2)
        graph = KnowledgeGraph.open(url, home=tmp_path)
        assert graph.term("HP:0001166").label == "Arachnodactyly"
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        reader.join(10)
        assert "stopping" in "".join(lines)
        with pytest.raises(httpx.TransportError):
            httpx.post(url, content=b"ASK {}", headers={"Content-Type": "application/sparql-query"})
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            process.wait()


def test_kg_dump_loaded_into_another_store_serves_the_same_kg(kg_dir: Path, tmp_path: Path) -> None:
    """What README says for Fuseki: dump, load into another store, point --kg at it."""
    import shutil

    import pyoxigraph as ox

    from kg.store import resolve_build

    dump = tmp_path / "hpo.nt"
    _cli("kg", "dump", dump, "--kg", kg_dir)
    other = tmp_path / "other"  # a store of its own, loaded from the dump only
    other.mkdir()
    store = ox.Store(str(other / "store"))
    store.bulk_load(path=str(dump), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    del store
    shutil.copy(resolve_build(kg_dir) / "manifest.json", other / "manifest.json")  # to serve it
    local = KnowledgeGraph.open(kg_dir)
    with serving(other) as server:
        remote = KnowledgeGraph.open(server.url, home=tmp_path / "home")
        assert remote.fingerprint == local.fingerprint
        assert remote.manifest.counts == local.manifest.counts
        assert remote.annotations.annotation_iris == local.annotations.annotation_iris
        assert remote.term("HP:0001166") == local.term("HP:0001166")
    bad = CliRunner().invoke(app, ["kg", "dump", str(tmp_path / "x.json"), "--kg", str(kg_dir)])
    assert bad.exit_code == 2 and ".nt (N-Triples)" in bad.output
    assert not list(tmp_path.glob("*.partial"))  # written whole, then renamed
    (tmp_path / "d.nt").mkdir()
    folder = CliRunner().invoke(app, ["kg", "dump", str(tmp_path / "d.nt"), "--kg", str(kg_dir)])
    assert folder.exit_code == 2 and "is a folder" in folder.output


def test_http_api_and_audit_replay_over_the_endpoint(
    mini_model: Path, url: str, remote_home: Path
) -> None:
    from fastapi.testclient import TestClient

    from kgfuse.api import ApiSettings, create_app
    from kgfuse.audit import AuditLog, verify_record

    settings = ApiSettings(kg_path=url, model_dir=mini_model, home=remote_home, preload=False)
    with TestClient(create_app(settings)) as client:
        answer = client.post("/ask", json={"question": QUESTIONS[0]})
        assert answer.status_code == 200, answer.text
        assert "https://identifiers.org/ncbigene:2200" in {i["iri"] for i in answer.json()["items"]}
        term = client.get("/terms/HP:0001166")
        assert term.status_code == 200 and term.json()["label"] == "Arachnodactyly"
        ranked = client.post("/diagnose", json=PATIENTS[1])
        assert ranked.status_code == 200 and ranked.json()["ranking"]
    log = AuditLog(remote_home / "audit.sqlite")
    record = log.get(answer.json()["audit_id"])
    assert record.config["kg"] == url  # the URL, kept whole
    report = verify_record(log, record.id)  # re-run against the endpoint
    assert report.identical, report.differences


def test_cli_bench_endpoint_writes_ratios(kg_dir: Path, tmp_path: Path) -> None:
    require_oxigraph()
    out = tmp_path / "bench"
    _cli(
        "bench",
        "endpoint",
        "--kg",
        kg_dir,
        "--home",
        tmp_path,
        "--samples",
        "2",
        "--repeats",
        "2",
        "--out",
        out,
    )
    report = json.loads((out / "bench_endpoint.json").read_text())
    assert [h["name"] for h in report["helpers"]] == [
        "term",
        "annotations_of",
        "diseases_with",
        "genes_of",
    ]
    assert all(h["answers_agree"] and h["ratio"]["median"] > 0 for h in report["helpers"])
    assert report["derived_on_first_open"] and "load_average_before" in report
    assert "ratio endpoint / embedded" in (out / "bench_endpoint.md").read_text()
