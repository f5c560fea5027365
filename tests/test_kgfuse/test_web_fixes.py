"""The web page in headless Chromium: only the latest request's answer, term page or audit
record is ever shown (a slow one that arrives later is dropped), and the page's icon needs
no token. Skipped where Chromium or Playwright is missing, as ``test_web.py``."""

from __future__ import annotations

import contextlib
import re
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


# ---- review of what a user sees: term pages, errors, accessibility, diagnoses, audit ---------
FEATURE = "Is arachnodactyly a feature of Marfan syndrome?"


def _contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two computed CSS colours (``rgb(r, g, b)``)."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _policy_errors(page: Any) -> list[str]:
    """Console messages of the page about its Content-Security-Policy, from now on."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return errors


def test_term_pages_show_features_genes_diseases_and_statements(page: Any) -> None:
    violations = _policy_errors(page)
    page.evaluate("location.hash = '#/term/OMIM:154700'")
    page.wait_for_selector("#term table.facts")
    assert "Features (7)" in page.inner_text("#term")
    negated = page.locator("#term tr.fact.not")
    assert negated.count() == 1 and "NOT" in negated.inner_text()
    assert "Intellectual disability" in negated.inner_text()
    pubmed = page.locator("#term table.facts a", has_text="PMID:1000001").first
    assert pubmed.get_attribute("href") == "https://pubmed.ncbi.nlm.nih.gov/1000001"
    assert "onset" in page.inner_text("#term table.facts thead")
    assert "Genes (2)" in page.inner_text("#term")
    page.click("#term a.term-link >> text=FBN1")
    page.wait_for_function(
        "() => document.querySelector('#term h2')?.textContent.startsWith('FBN1')"
    )
    assert "Diseases (1)" in page.inner_text("#term")
    page.click("#term ul.nodes a.term-link >> text=Marfan syndrome")
    page.wait_for_selector("#term table.facts")
    page.click("#term tr.fact:has-text('Ectopia lentis') a.statement")
    page.wait_for_function(
        "() => document.querySelector('#term .meta')?.textContent.includes('annotation')"
    )
    statement = page.inner_text("#term table.facts")
    assert "Marfan syndrome" in statement and "30/50" in statement and "PMID:1000001" in statement
    page.evaluate("location.hash = '#/term/HP:0001083'")
    page.wait_for_selector("#term .ask-link")
    assert "Diseases annotated with Ectopia lentis or a subtype" in page.inner_text("#term")
    page.click("#term .ask-link a >> text=Which diseases have Ectopia lentis?")
    page.wait_for_selector("#answer .answer-text")
    assert "Marfan syndrome" in page.inner_text("#answer .answer-text")
    assert violations == []


def test_the_questions_an_answer_offers_are_asked_in_one_click(page: Any) -> None:
    """A disease named by a word the linker does not know ("homocystinuria") is answered with
    the question asked with the disease named after it, as a link that asks it."""
    page.fill("#question", "Is tall stature a symptom of homocystinuria?")
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector("#answer p.suggestions a")
    offered = page.locator("#answer p.suggestions a").first
    assert offered.inner_text() == "Is Tall stature a feature of Classic homocystinuria?"
    offered.click()
    page.wait_for_function(
        "() => document.querySelector('#answer .answer-text')?.textContent.startsWith('Yes')"
    )
    assert "Classic homocystinuria" in page.inner_text("#answer .answer-text")


def test_errors_replace_the_previous_result_and_are_written_for_a_person(
    page: Any, web_server: str
) -> None:
    _answer(page, DEFINITION)
    page.route("**/ask", lambda route: route.abort())
    _ask(page, FEATURE)
    page.wait_for_function("() => document.querySelector('#status').className === 'error'")
    assert page.inner_text("#status") == (
        f"Cannot reach the kgfuse server at {web_server}: is it still running?"
    )
    assert page.is_hidden("#answer")  # the previous answer is not left under the question
    page.unroute("**/ask")
    page.route(
        "**/ask",
        lambda route: route.fulfill(
            status=503, body="Service Unavailable", content_type="text/plain"
        ),
    )
    _ask(page, DEFINITION + " ")
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('busy')")
    page.unroute("**/ask")
    page.evaluate("q => { location.hash = '#/ask/' + q }", "x" * 2100)
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('2000')")
    assert page.inner_text("#status") == "question: String should have at most 2000 characters"
    page.evaluate("location.hash = '#/term/HP:0001166'")
    page.wait_for_selector("#term h2")
    page.evaluate("location.hash = '#/term/PMID:1000001'")
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.includes('only cites')"
    )
    assert page.is_hidden("#term") and page.inner_text("#term") == ""
    page.fill("#token", "not-the-token")
    page.dispatch_event("#token", "change")
    _ask(page, FEATURE)
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.includes('API token')"
    )
    assert page.inner_text("#status").startswith("This server needs an API token")


def test_answers_are_announced_marked_busy_readable_and_fit_a_phone(
    browser: Any, web_server: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(web_server + "/")
        page.fill("#token", TOKEN)
        page.dispatch_event("#token", "change")
        assert page.locator("h1").count() == 1
        assert page.locator("form #token").count() == 1  # a password box belongs in a form
        held = Held(page, "**/ask", lambda r: True)
        _ask(page, "What are the features of Marfan syndrome?")
        held.wait_held()
        assert page.get_attribute("#results", "aria-busy") == "true"
        held.release()
        page.wait_for_selector("#answer table.facts")
        assert page.get_attribute("#results", "aria-busy") == "false"
        text = page.inner_text("#answer .answer-text")
        assert page.text_content("#announce") == "Answer: " + text
        headers = page.locator("#answer th")
        assert headers.count() > 0
        assert all(headers.nth(i).get_attribute("scope") == "col" for i in range(headers.count()))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        colours = page.evaluate(
            """() => {
              const badge = document.createElement('span');
              badge.className = 'badge warn';
              badge.textContent = 'WARN';
              document.body.append(badge);
              const of = (e) => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor];
              return [of(badge), [getComputedStyle(document.querySelector('footer')).color,
                                  getComputedStyle(document.body).backgroundColor]];
            }"""
        )
        for foreground, background in colours:
            assert _contrast(foreground, background) >= 4.5, (foreground, background)
    finally:
        context.close()


def test_a_diagnosis_reads_in_words_with_findings_under_each_candidate(page: Any) -> None:
    lookup = _answer(page, FEATURE)

    def with_a_retrieved_fact(route: Any) -> None:
        answer = route.fetch().json()  # the mini model retrieves no facts: one stands in
        route.fulfill(json={**answer, "facts": lookup["facts"][:1]})

    page.route("**/ask", with_a_retrieved_fact)
    answer = _answer(page, DIAGNOSIS)
    first = page.inner_text("#answer tr.item td:nth-child(3)")
    probability = answer["items"][0]["detail"]["probability"]
    assert first.startswith("rank 1 · probability ")
    assert f"{100 * probability:.0f}%" in first or f"{100 * probability:.1f}%" in first
    assert "score" not in page.inner_text("#answer table.items")
    assert "different measure" in page.inner_text("#answer .note")
    groups = page.locator("#answer .findings h4").all_inner_texts()
    labels = {f"{i['label']} ({i['curie']})" for i in answer["items"]}
    assert groups and set(groups) <= labels | {"About the question"}
    assert "Facts retrieved for the model" in page.inner_text("#answer")
    assert "Supporting facts" not in page.inner_text("#answer")


def test_a_candidates_findings_come_in_parts_the_summary_first_the_details_folded(
    page: Any,
) -> None:
    answer = _answer(page, DIAGNOSIS)
    first = answer["items"][0]["iri"]
    mine = [f for f in answer["findings"] if f["disease"] == first]
    group = page.locator("#answer .findings h4").first
    assert answer["items"][0]["label"] in group.inner_text()
    # the likelihood rule's summary stands first, outside the parts
    summary = next(f for f in mine if f["kind"] == "likelihood" and not f["patient_term"])
    after = page.locator("#answer .findings h4 + .finding").first
    assert after.inner_text().endswith(summary["message"])
    parts = page.locator("#answer .findings details.finding-part")
    titles = parts.locator("> summary").all_inner_texts()
    assert titles and all(re.fullmatch(r".+ \(\d+: \d+ \w+(, \d+ \w+)*\)", t) for t in titles)
    per_term = [f for f in mine if f["kind"] == "likelihood" and f["patient_term"]]
    likelihood = parts.filter(has_text="Each finding's likelihood ratio").first
    assert (
        likelihood.locator("> summary")
        .inner_text()
        .startswith(f"Each finding's likelihood ratio ({len(per_term)}: ")
    )
    assert likelihood.get_attribute("open") is None  # folded until opened
    assert not likelihood.locator(".finding").first.is_visible()
    likelihood.locator("> summary").click()
    assert likelihood.locator(".finding").first.is_visible()
    explains = parts.filter(has_text="Findings it explains").first
    assert explains.get_attribute("open") is not None
    # every finding of the answer is on the page, once
    assert page.locator("#answer .findings .finding").count() == len(answer["findings"])
    kinds = page.locator("#answer table.items td.kind").all_inner_texts()
    assert kinds and set(kinds) == {"disease"}


def test_the_audit_view_names_predicates_lists_answers_and_says_how_to_verify(page: Any) -> None:
    answer = _answer(page, DIAGNOSIS)
    page.click("#audit-link")
    page.wait_for_selector("#audit h2")
    assert f"kgfuse audit verify {answer['audit_id']}" in page.inner_text("#audit")
    ranked = page.locator("#audit table.ranking tbody tr")
    assert ranked.count() == len(answer["items"])
    assert answer["items"][0]["label"] in ranked.first.inner_text()
    assert "%" in ranked.first.inner_text()
    assert page.locator("#audit .findings h4").count() >= 1
    lookup = _answer(page, FEATURE)
    page.click("#audit-link")
    page.wait_for_function(
        "id => document.querySelector('#audit h2')?.textContent.includes(id)",
        arg=lookup["audit_id"],
    )
    relations = page.locator("#audit table.facts tbody td:nth-child(2)").all_inner_texts()
    assert relations and set(relations) == {"has phenotype"}


def test_the_api_docs_run_under_their_policy(browser: Any, web_server: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        violations = _policy_errors(page)
        page.goto(web_server + "/docs")
        page.wait_for_selector(".swagger-ui .info .title")
        page.goto(web_server + "/redoc")
        page.wait_for_selector("h1:has-text('kgfuse')")
        # the policy blocks only what is fetched from elsewhere (ReDoc's logo on its CDN)
        assert all("https://" in v for v in violations), violations
    finally:
        context.close()


def test_an_answers_warnings_are_shown_and_each_entity_is_linked_once(page: Any) -> None:
    said = "hedged, so not used: 'possible ectopia lentis'"

    def with_warnings_and_repeats(route: Any) -> None:
        answer = route.fetch().json()
        answer["entities"] = answer["entities"] * 3  # a name the question repeats
        route.fulfill(json={**answer, "warnings": [said]})

    page.route("**/ask", with_warnings_and_repeats)
    try:
        answer = _answer(page, DIAGNOSIS)
    finally:
        page.unroute("**/ask")
    assert page.inner_text("#answer .warnings li") == said
    links = page.locator("#answer p.meta").first.locator("a:not(.iri)").all_inner_texts()
    assert len(links) == len({(e["curie"], e["excluded"]) for e in answer["entities"]}) > 0
    plain = _answer(page, "What is the capital of France?")
    assert (
        not plain["entities"] and "linked" not in page.locator("#answer p.meta").first.inner_text()
    )
    assert page.locator("#answer .warnings").count() == 0


def test_the_brand_link_clears_the_page_and_a_new_page_starts_at_its_top(page: Any) -> None:
    _answer(page, DIAGNOSIS)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.evaluate("location.hash = '#/term/HP:0001166'")
    page.wait_for_selector("#term h2")
    assert page.evaluate("window.scrollY") == 0
    page.click("header h1.brand a")
    page.wait_for_function("() => document.querySelector('#term').hidden")
    assert all(page.locator(f"#{s}").is_hidden() for s in ("answer", "term", "audit"))
    assert page.input_value("#question") == ""


def test_a_question_cut_at_the_length_limit_says_so(page: Any) -> None:
    page.fill("#question", "arachnodactyly " * 200)  # 3,000 characters
    assert "at most 2,000 characters" in page.inner_text("#status")
    page.fill("#question", "What is arachnodactyly?")
    assert page.inner_text("#status") == ""


def test_table_cells_keep_ids_and_counts_whole(browser: Any, web_server: str) -> None:
    for width in (1280, 390):  # on a phone the table scrolls sideways instead
        context = browser.new_context(viewport={"width": width, "height": 800})
        try:
            page = context.new_page()
            page.goto(web_server + "/")
            page.fill("#token", TOKEN)
            page.dispatch_event("#token", "change")
            page.evaluate("location.hash = '#/term/OMIM:154700'")  # its features' table
            page.wait_for_selector("#term table a.iri")
            broken = page.evaluate(
                """() => [...document.querySelectorAll('#term table a.iri, #term th')]
                     .filter((e) => e.getClientRects().length > 1
                       || e.scrollHeight > 1.6 * parseFloat(getComputedStyle(e).lineHeight || 20))
                     .map((e) => e.textContent)"""
            )
            assert broken == [], (width, broken)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        finally:
            context.close()


def test_a_cut_list_offers_to_show_all_and_asks_again_with_a_larger_limit(page: Any) -> None:
    import json as json_module

    asked: list[dict[str, Any]] = []

    def cut(route: Any) -> None:
        asked.append(json_module.loads(route.request.post_data))
        answer = route.fetch().json()
        if "limit" not in asked[-1]:  # the first answer says it lists only some
            answer["total"] = len(answer["items"]) + 7
        route.fulfill(json=answer)

    page.route("**/ask", cut)
    try:
        answer = _answer(page, FEATURE)
        total = len(answer["items"]) + 7
        button = page.locator("#answer button.show-all")
        assert button.inner_text() == f"Show all {total}"
        with page.expect_response(lambda r: r.url.endswith("/ask")):
            button.click()
        page.wait_for_function("() => !document.querySelector('#answer button.show-all')")
    finally:
        page.unroute("**/ask")
    assert asked[-1] == {"question": FEATURE, "limit": total}
    terms: list[str] = []
    totals: list[int] = []

    def cut_term(route: Any) -> None:
        terms.append(route.request.url)
        page_json = route.fetch().json()
        if "limit=" not in route.request.url:
            page_json["diseases"]["total"] = len(page_json["diseases"]["items"]) + 3
            lists = [page_json.get(k) or {} for k in ("annotations", "diseases", "genes")]
            totals.append(max(int(x.get("total", 0)) for x in lists))
        route.fulfill(json=page_json)

    page.route("**/terms/**", cut_term)
    try:
        page.evaluate("location.hash = '#/term/HP:0001166'")
        page.wait_for_selector("#term button.show-all")
        page.click("#term button.show-all")
        page.wait_for_function("() => !document.querySelector('#term button.show-all')")
    finally:
        page.unroute("**/terms/**")
    assert terms[-1].endswith(f"/terms/HP%3A0001166?limit={totals[0]}")


def test_an_items_details_read_in_words_with_the_names_of_the_ids(page: Any) -> None:
    answer = _answer(page, FEATURE)
    detail = answer["items"][0]["detail"]
    assert detail["term"] == "HP:0001166"
    shown = page.inner_text("#answer tr.item td:nth-child(3)")
    assert "term: Arachnodactyly (HP:0001166)" in shown
    assert "_" not in shown and "true" not in shown
