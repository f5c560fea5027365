"""A hostile or broken SPARQL endpoint gives a clear, bounded error, and never leaks the
credentials of its URL: a fake endpoint (http.server on a free loopback port) answers."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kg.derived
from kg import remote
from kg.errors import EndpointQueryError, EndpointUnreachableError, NotAnEndpointError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import KGV
from kg.remote import RemoteStore, open_endpoint, remote_cache_dir
from kg.store import build_kg
from kgfuse.cli import app
from tests.endpoint_env import serving

FIXTURES = Path(__file__).parents[1] / "fixtures"
RESULTS = "application/sparql-results+json"
SECRET = "s3cret-pw"
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}  # wide enough that messages keep one line
#: What a fake endpoint does with a POSTed query: (status, headers, body), or None when the
#: handler wrote its answer itself.
Answer = Callable[[BaseHTTPRequestHandler, str], "tuple[int, dict[str, str], bytes] | None"]


def _results(names: list[str], rows: list[dict[str, tuple[str, str]]]) -> bytes:
    """SPARQL JSON results; a row maps a variable to (type, value)."""
    bindings = [{k: {"type": t, "value": v} for k, (t, v) in row.items()} for row in rows]
    return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}).encode()


def _static(status: int, headers: dict[str, str], body: bytes) -> Answer:
    """An answer that is the same whatever the query."""
    return lambda handler, query: (status, headers, body)


def _description(**values: str) -> bytes:
    rows = [{"p": ("uri", KGV + k), "v": ("literal", v)} for k, v in values.items()]
    return _results(["p", "v"], rows)


@contextmanager
def fake_endpoint(answer: Answer) -> Iterator[str]:
    """A fake endpoint answering POSTs with ``answer``; yields its query URL."""
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.stop = stop
            query = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            out = answer(self, query)
            if out is None:
                return
            status, headers, body = out
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/query"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


# ---- 1. a total deadline per query -----------------------------------------------------------
def _drip(handler: BaseHTTPRequestHandler, query: str) -> None:
    """200, then one byte every 0.2 s (for 10 s at most, then the connection is closed)."""
    handler.send_response(200)
    handler.send_header("Content-Type", RESULTS)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(50):
            if handler.stop.is_set():  # type: ignore[attr-defined]
                return
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        return


def test_a_dripping_endpoint_times_out_at_the_deadline() -> None:
    with fake_endpoint(_drip) as url:
        store = RemoteStore(url, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(EndpointUnreachableError, match=r"within the 1 s timeout"):
            store.query("ASK {}")
        assert time.monotonic() - started < 4.0  # not 10 s of dripping
        store.close()


# ---- 2. a cap on the bytes of an answer -------------------------------------------------------
def _big(handler: BaseHTTPRequestHandler, query: str) -> None:
    """200 with 5000 bytes and no Content-Length (the body ends when the connection closes)."""
    handler.send_response(200)
    handler.send_header("Content-Type", RESULTS)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(b" " * 5000)
    handler.close_connection = True


def test_an_answer_over_the_cap_is_refused_naming_the_cap() -> None:
    assert remote.MAX_ANSWER_BYTES >= 256 * 2**20  # the full HPO's largest derived read is ~110 MB
    announced = _static(200, {"Content-Type": RESULTS}, b" " * 5000)
    with (
        fake_endpoint(announced) as url,
        pytest.raises(NotAnEndpointError, match=r"announced 5,000 bytes.*cap of 1,000"),
    ):
        RemoteStore(url, max_answer_bytes=1000).query("ASK {}")
    with (
        fake_endpoint(_big) as url,
        pytest.raises(NotAnEndpointError, match=r"more than 1,000 bytes.*cap of 1,000"),
    ):
        RemoteStore(url, max_answer_bytes=1000).query("ASK {}")
    ask = json.dumps({"head": {}, "boolean": True}).encode()
    with fake_endpoint(_static(200, {"Content-Type": RESULTS}, ask)) as url:
        assert bool(RemoteStore(url, max_answer_bytes=len(ask)).query("ASK {}"))


def test_an_error_answer_is_read_only_in_part() -> None:
    page = b"the query failed: bad\n" + b"x" * 2_000_000
    with (
        fake_endpoint(_static(500, {"Content-Type": "text/plain"}, page)) as url,
        pytest.raises(EndpointQueryError, match=r"HTTP 500: the query failed: bad$"),
    ):
        RemoteStore(url, max_answer_bytes=1000).query("ASK {}")


# ---- 3. credentials in the URL ---------------------------------------------------------------
def test_redact_url_hides_the_userinfo() -> None:
    assert remote.redact_url(f"http://user:{SECRET}@host:1/q") == "http://***@host:1/q"
    assert remote.redact_url(f"https://{SECRET}@host/q?a=b@c") == "https://***@host/q?a=b@c"
    assert remote.redact_url("http://host/a@b") == "http://host/a@b"
    assert remote_cache_dir(f"http://u:{SECRET}@host/q", Path("/h")) == remote_cache_dir(
        "http://***@host/q", Path("/h")
    )


def test_credentials_are_sent_but_never_shown(tmp_path: Path, monkeypatch) -> None:
    seen: list[str | None] = []

    def answer(handler: BaseHTTPRequestHandler, query: str):  # type: ignore[no-untyped-def]
        seen.append(handler.headers.get("Authorization"))
        return 500, {"Content-Type": "text/plain"}, b"boom"

    with fake_endpoint(answer) as url:
        secret_url = url.replace("http://", f"http://user:{SECRET}@")
        store = RemoteStore(secret_url)
        assert SECRET not in store.url and SECRET not in repr(store)
        with pytest.raises(EndpointQueryError) as failed:
            store.query("ASK {}")
        assert SECRET not in str(failed.value) and "***@127.0.0.1" in str(failed.value)
    assert seen == ["Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()]
    dead = secret_url  # the fake endpoint is gone: nothing answers there now
    with pytest.raises(EndpointUnreachableError) as failed:
        RemoteStore(dead).query("ASK {}")
    assert SECRET not in str(failed.value)
    with pytest.raises(NotAnEndpointError) as failed:
        RemoteStore(f"ftp://user:{SECRET}@host/q")
    assert SECRET not in str(failed.value)
    result = CliRunner().invoke(
        app, ["kg", "stats", "--kg", dead, "--home", str(tmp_path)], env=ENV
    )
    assert result.exit_code == 2 and "***@127.0.0.1" in result.output
    assert SECRET not in result.output


class _Proxy(BaseHTTPRequestHandler):
    """Forwards to ``target`` the requests that carry ``auth``; 401 to others."""

    target = ""
    auth = ""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") != self.auth:
            status, ctype, answer = 401, "text/plain", b"who are you"
        else:
            request = urllib.request.Request(
                self.target,
                data=body,
                headers={k: v for k, v in self.headers.items() if k in ("Content-Type", "Accept")},
            )
            with urllib.request.urlopen(request) as r:
                status, ctype, answer = r.status, r.headers["Content-Type"], r.read()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return


def test_a_kg_behind_a_password_opens_without_showing_it(tmp_path: Path) -> None:
    kg_dir = tmp_path / "hpo"
    build_kg(["hpo"], kg_dir, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    home = tmp_path / "home"
    with serving(kg_dir) as oxigraph:
        handler = type("Proxy", (_Proxy,), {})
        handler.target = oxigraph.url
        handler.auth = "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            url = f"http://user:{SECRET}@127.0.0.1:{proxy.server_address[1]}/query"
            graph = KnowledgeGraph.open(url, home=home)
            assert graph.fingerprint == KnowledgeGraph.open(kg_dir).fingerprint
            assert SECRET not in graph.location and "***@" in graph.location
            stored = "\n".join(
                p.read_text()
                for p in (home / "remote").rglob("*")
                if p.is_file() and p.suffix in (".txt", ".json")
            )
            assert "***@127.0.0.1" in stored and SECRET not in stored
            out = CliRunner().invoke(
                app, ["kg", "stats", "--kg", url, "--home", str(home)], env=ENV
            )
            assert out.exit_code == 0 and "***@127.0.0.1" in out.output
            assert SECRET not in out.output
        finally:
            proxy.shutdown()
            proxy.server_close()


# ---- 4. the fingerprint names a folder -------------------------------------------------------
@pytest.mark.parametrize("fingerprint", ["../../../escaped", "/srv/kgfuse_pwned", "", "ABCDEF" * 3])
def test_a_fingerprint_that_is_no_hex_digest_is_refused(fingerprint: str, tmp_path: Path) -> None:
    answer = _static(200, {"Content-Type": RESULTS}, _description(fingerprint=fingerprint))
    home = tmp_path / "home"
    with (
        fake_endpoint(answer) as url,
        pytest.raises(NotAnEndpointError, match=rf"{url} describes its KG with the fing"),
    ):
        open_endpoint(url, home=home)
    assert not (home / "remote").exists() and sorted(tmp_path.iterdir()) == []


def test_a_hex_fingerprint_names_the_cache_folder(tmp_path: Path, monkeypatch) -> None:
    def stop(*args: object) -> None:
        raise RuntimeError("derived tables reached")

    monkeypatch.setattr(kg.derived, "write_derived", stop)
    answer = _static(200, {"Content-Type": RESULTS}, _description(fingerprint="ab" * 32))
    with fake_endpoint(answer) as url:
        with pytest.raises(RuntimeError, match="derived tables reached"):
            open_endpoint(url, home=tmp_path)
        assert (remote_cache_dir(url, tmp_path) / "url.txt").read_text() == url + "\n"


# ---- 5. unexpected answers -------------------------------------------------------------------
def test_sources_that_are_not_json_are_a_clear_error(tmp_path: Path) -> None:
    wrong_type = '[{"name": "hp.obo", "format": "obo", "sha256": "ab", "triples": "many"}]'
    for sources in ("{not json", '[{"name": 1}]', '{"name": "hp.obo"}', wrong_type):
        description = _description(fingerprint="ab" * 32, sources=sources)
        with (
            fake_endpoint(_static(200, {"Content-Type": RESULTS}, description)) as url,
            pytest.raises(NotAnEndpointError, match=rf"{url} describes (its KG's|a) source"),
        ):
            open_endpoint(url, home=tmp_path)


def test_a_count_without_n_is_a_clear_error(tmp_path: Path) -> None:
    def answer(handler: BaseHTTPRequestHandler, query: str):  # type: ignore[no-untyped-def]
        if "COUNT" in query:
            return 200, {"Content-Type": RESULTS}, _results(["x"], [{}])
        return 200, {"Content-Type": RESULTS}, _results(["p", "v"], [])  # no kgfuse KG

    with fake_endpoint(answer) as url:
        with pytest.raises(NotAnEndpointError, match=rf"{url} answered a solution without \?n"):
            open_endpoint(url, home=tmp_path)
        with pytest.raises(NotAnEndpointError, match=r"without \?n"):
            len(RemoteStore(url))


def test_a_redirect_names_its_location(tmp_path: Path) -> None:
    target = f"https://user:{SECRET}@example.org/sparql"
    answer = _static(301, {"Location": target, "Content-Type": "text/html"}, b"<html>")
    with fake_endpoint(answer) as url, pytest.raises(NotAnEndpointError) as failed:
        open_endpoint(url, home=tmp_path)
    message = str(failed.value)
    assert url in message and "HTTP 301" in message
    assert "https://***@example.org/sparql" in message and SECRET not in message
    assert "text/html" not in message
