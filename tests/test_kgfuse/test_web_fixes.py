"""The web page in headless Chromium: only the latest request's answer, term page or audit
record is ever shown (a slow one that arrives later is dropped), and the page's icon needs
no token. Skipped where Chromium or Playwright is missing, as ``test_web.py``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_kgfuse.test_web import BROWSER_ARGS, CHROMIUM, TOKEN, serving

DIAGNOSIS = "Which diseases explain arachnodactyly and ectopia lentis?"
DEFINITION = "What is arachnodactyly?"


@pytest.fixture(scope="module")
def web_server(mini_home: Path, mini_model: Path) -> Iterator[str]:
    from kgfuse.api import ApiSettings, create_app

    app = create_app(ApiSettings(mini_home / "kgs" / "hpo", mini_model, mini_home, token=TOKEN))
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, web_server: str) -> Iterator[Any]:
    """A fresh page of the web page, its token entered."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(web_server + "/")
    page.fill("#token", TOKEN)
    page.dispatch_event("#token", "change")
    yield page
    context.close()


class Held:
    """Requests matching a URL pattern, held (unanswered) until :meth:`release`; the page
    sees a slow server. Records whether each held request then finished or failed."""

    def __init__(self, page: Any, pattern: str, hold: Callable[[Any], bool]) -> None:
        self.page = page
        self.routes: list[Any] = []
        self.settled: list[str] = []

        def handle(route: Any) -> None:
            if hold(route.request):
                self.routes.append(route)
            else:
                route.continue_()

        page.route(pattern, handle)
        page.on("requestfinished", lambda r: self._settle(r, "finished"))
        page.on("requestfailed", lambda r: self._settle(r, "failed"))

    def _settle(self, request: Any, how: str) -> None:
        if any(route.request == request for route in self.routes):
            self.settled.append(how)

    def wait_held(self, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while not self.routes:
            assert time.time() < deadline, "the page sent no request to hold"
            self.page.wait_for_timeout(50)

    def release(self, timeout: float = 30) -> None:
        """Let the held requests through to the server; wait until each finished (or had
        failed: the page aborted it), then give the page time to render what came."""
        from playwright.sync_api import Error

        for route in self.routes:
            with contextlib.suppress(Error):  # the page aborted it already
                route.continue_()
        deadline = time.time() + timeout
        while len(self.settled) < len(self.routes):
            assert time.time() < deadline, "a held request never settled"
            self.page.wait_for_timeout(50)
        self.page.wait_for_timeout(500)


def _ask(page: Any, question: str) -> None:
    page.fill("#question", question)
    page.click("#ask-button")


def _answer(page: Any, question: str) -> dict[str, Any]:
    """Ask ``question`` and wait until its answer is shown; the answer's JSON."""
    with page.expect_response(
        lambda r: r.url.endswith("/ask") and question in (r.request.post_data or "")
    ) as response:
        _ask(page, question)
    answer = response.value.json()
    page.wait_for_function(
        "text => document.querySelector('#answer .answer-text')?.textContent === text",
        arg=answer["text"],
    )
    return answer


def test_a_slow_answer_never_replaces_a_newer_questions_answer(page: Any) -> None:
    held = Held(page, "**/ask", lambda r: "diseases explain" in (r.post_data or ""))
    _ask(page, DIAGNOSIS)
    held.wait_held()
    newer = _answer(page, DEFINITION)
    held.release()
    assert page.inner_text("#answer .answer-text") == newer["text"]
    assert page.input_value("#question") == DEFINITION
    assert page.evaluate("decodeURIComponent(location.hash)") == "#/ask/" + DEFINITION
    assert page.get_attribute("#audit-link", "href") == "#/audit/" + newer["audit_id"]
    assert page.evaluate("lastAnswer.audit_id") == newer["audit_id"]
    assert page.locator("#answer .finding").count() == 0  # nothing of the diagnosis
    assert page.inner_text("#status") == ""  # the dropped request reports no error


def test_a_slow_term_page_is_not_shown_over_a_newer_answer(page: Any) -> None:
    held = Held(page, "**/terms/**", lambda r: True)
    page.evaluate("location.hash = '#/term/HP:0001166'")
    held.wait_held()
    newer = _answer(page, DEFINITION)
    held.release()
    assert page.is_hidden("#term") and page.is_visible("#answer")
    assert page.inner_text("#term") == ""
    assert page.inner_text("#answer .answer-text") == newer["text"]
    assert page.inner_text("#status") == ""


def test_a_slow_audit_record_is_not_shown_over_a_newer_term_page(page: Any) -> None:
    answer = _answer(page, DEFINITION)
    held = Held(page, "**/audit/**", lambda r: True)
    page.click("#audit-link")
    held.wait_held()
    page.evaluate("location.hash = '#/term/HP:0001166'")
    page.wait_for_selector("#term h2")
    held.release()
    assert answer["audit_id"]
    assert page.is_hidden("#audit") and page.is_visible("#term")
    assert page.inner_text("#audit") == ""
    assert "Arachnodactyly" in page.inner_text("#term h2")
    assert page.inner_text("#status") == ""


def test_going_home_drops_a_pending_answer(page: Any) -> None:
    held = Held(page, "**/ask", lambda r: True)
    _ask(page, DEFINITION)
    held.wait_held()
    page.evaluate("location.hash = '#/'")
    held.release()
    assert page.is_hidden("#answer") and page.inner_text("#answer") == ""
    assert page.inner_text("#status") == ""


def test_the_page_and_its_icon_need_no_token(browser: Any, web_server: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        refused: list[str] = []
        page.on("response", lambda r: refused.append(r.url) if r.status == 401 else None)
        page.goto(web_server + "/")
        page.wait_for_load_state("networkidle")
        icon = context.request.get(web_server + "/favicon.ico")
        assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"
        assert refused == []
    finally:
        context.close()
