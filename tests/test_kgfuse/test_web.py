"""The web page end to end in headless Chromium (Debian's ``chromium``, driven by Playwright).

Skipped, with the reason, where Chromium or Playwright is missing, except under CI (CI=true),
where ``.ci/run`` installs both and a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kg.endpoint import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOKEN = "web-test-token"


def _missing() -> str | None:
    if CHROMIUM is None:
        return "Chromium is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


if (reason := _missing()) is not None:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"the browser test cannot run under CI: {reason}")
    pytest.skip(reason, allow_module_level=True)


#: Chromium's flags for the tests: no sandbox (containers), no GPU, nothing fetched beyond
#: the page.
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread; yields its URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 120
    while not srv.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(mini_home: Path, mini_model: Path) -> Iterator[str]:
    from kgfuse.api import ApiSettings, create_app

    app = create_app(ApiSettings(mini_home / "kgs" / "hpo", mini_model, mini_home, token=TOKEN))
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        context = browser.new_context()
        external: list[str] = []
        context.on(
            "request",
            lambda r: None if r.url.startswith(server) else external.append(r.url),
        )
        page = context.new_page()
        page.goto(server + "/")
        page.fill("#token", TOKEN)
        page.dispatch_event("#token", "change")
        yield page
        assert external == [], f"the page fetched external resources: {external}"
        browser.close()


def test_ask_shows_linked_answer_facts_and_audit(page) -> None:
    page.fill("#question", "Which genes are associated with Marfan syndrome?")
    page.click("#ask-button")
    page.wait_for_selector("#answer .answer-text")
    assert "FBN1" in page.inner_text("#answer .answer-text")
    gene = page.locator("#answer tr.item a.iri", has_text="NCBIGene:2200")
    assert gene.get_attribute("href") == "https://identifiers.org/ncbigene:2200"
    provenance = page.inner_text("#answer table.facts")
    assert "genes_to_phenotype.txt" in provenance
    page.click("#audit-link")
    page.wait_for_selector("#audit h2")
    assert "Audit record" in page.inner_text("#audit h2")
    assert "OMIM:154700" in page.inner_text("#audit table.facts")


def test_term_page_opens_from_a_linked_term(page) -> None:
    page.fill("#question", "Is arachnodactyly a feature of Marfan syndrome?")
    page.click("#ask-button")
    page.wait_for_selector("#answer .answer-text")
    assert page.inner_text("#answer .answer-text").startswith("Yes")
    page.click("#answer table.facts a.term-link >> text=Arachnodactyly")
    page.wait_for_selector("#term h2")
    assert "Arachnodactyly" in page.inner_text("#term h2")
    assert "spider fingers" in page.inner_text("#term .definition")


def test_diagnosis_question_shows_rule_findings(page) -> None:
    page.fill(
        "#question",
        "Which diseases explain arachnodactyly and ectopia lentis but no intellectual disability?",
    )
    page.click("#ask-button")
    page.wait_for_selector("#answer .finding")
    assert page.locator("#answer .finding .badge").count() > 0


def test_hostile_input_is_shown_as_text_not_run(page) -> None:
    page.fill("#question", "<img src=x onerror=\"document.title='pwned'\"> what is this?")
    page.click("#ask-button")
    page.wait_for_selector("#answer .answer-text.cannot")
    assert page.title() != "pwned"
    assert page.locator("#answer img").count() == 0


def test_a_malformed_link_says_so(page) -> None:
    page.evaluate("location.hash = '#/ask/What%20is%20100%'")
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.includes('not well')"
    )
    assert "#/ask/What%20is%20100%" in page.inner_text("#status")
