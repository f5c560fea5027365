"""The explanation's report after a review (2026-12-02, late): a frequency class is shown
with the range it stands for (no source stated kgfuse's midpoint), a statement link is
never another scheme than http(s), and control and bidirectional characters reach no HTML
raw."""

from __future__ import annotations

from kg.rules.engine import CitedFact
from kgfuse.explanation import Explanation, RetrievedFact, _frequency

OBO = "http://purl.obolibrary.org/obo/"
VERY_FREQUENT = OBO + "HP_0040281"


def _fact(**kwargs: object) -> CitedFact:
    base = {"iri": None, "subject": "https://omim.org/entry/1", "predicate": OBO + "RO_0002200"}
    return CitedFact(**{**base, "object": OBO + "HP_0001166", **kwargs})  # type: ignore[arg-type]


def test_a_frequency_class_shows_its_range_not_a_midpoint() -> None:
    label = {VERY_FREQUENT: "Very frequent"}.get
    fact = _fact(frequency=0.895, frequency_term=VERY_FREQUENT)
    assert _frequency(fact, label) == "Very frequent (80-99%)"
    stated = _fact(frequency=0.895, frequency_term=VERY_FREQUENT, frequency_text="HP:0040281")
    assert _frequency(stated, label) == "Very frequent (80-99%)"
    assert _frequency(_fact(frequency=0.75, frequency_text="3/4"), label) == "3/4 (75%)"
    assert (
        "89"
        not in Explanation(
            facts=[RetrievedFact(fact, 1.0)], labels={VERY_FREQUENT: "Very frequent"}
        ).to_html()
    )


def test_a_statement_link_is_http_only_and_controls_are_escaped() -> None:
    hostile = _fact(iri="javascript:alert(3)", frequency_text="2/3\u202egnp.exe\x1b[2J")
    page = Explanation(input_text="fever \u202eevil\u202c\x07", facts=[RetrievedFact(hostile, 1.0)])
    html = page.to_html()
    assert 'href="javascript' not in html and "statement" in html
    assert "\u202e" not in html and "\x1b" not in html and "\x07" not in html
    assert "\\u202e" in html and "\\x1b" in html
    good = _fact(iri="https://w3id.org/kgfuse/data/stmt/1")
    assert (
        'href="https://w3id.org/kgfuse/data/stmt/1"'
        in Explanation(facts=[RetrievedFact(good, 1.0)]).to_html()
    )
