"""Tests of the Explanation: JSON round trip, text, and a safe, fully linked HTML report."""

from __future__ import annotations

import html
import json
import math
from html.parser import HTMLParser

from kg.namespaces import OBO, RDFS_SUBCLASS_OF, RO_HAS_PHENOTYPE
from kg.rules.engine import CitedFact, Finding
from kgfuse.explanation import Explanation, Mention, RankedAnswer, RetrievedFact

MARFAN = "https://omim.org/entry/154700"
HOMOCYSTINURIA = "https://www.orpha.net/ORDO/Orphanet_394"
ARACHNODACTYLY, ECTOPIA_LENTIS, ABN_HAND = (
    OBO + "HP_0001166",
    OBO + "HP_0001083",
    OBO + "HP_0001155",
)
VERY_FREQUENT = OBO + "HP_0040281"
ANNOTATION = "https://w3id.org/kgfuse/data/hpo/annotation/abc123"
PMID = "https://pubmed.ncbi.nlm.nih.gov/28050285"
HOSTILE = '<script>alert("x")</script>'


def sample_explanation() -> Explanation:
    text = f"Tall man, long thin fingers {HOSTILE} & lens dislocation; no intellectual disability."
    start = text.index("long thin fingers")
    el = text.index("lens dislocation")
    annotation = CitedFact(
        ANNOTATION,
        MARFAN,
        RO_HAS_PHENOTYPE,
        ARACHNODACTYLY,
        sources=(PMID,),
        evidence="PCS",
        frequency=0.6294,
        frequency_text="124/197",
    )
    edge = CitedFact(None, ARACHNODACTYLY, RDFS_SUBCLASS_OF, ABN_HAND)
    return Explanation(
        kind="diagnose",
        input_text=text,
        mentions=[
            Mention(
                "long thin fingers",
                start,
                start + 17,
                ARACHNODACTYLY,
                "Arachnodactyly",
                "present",
                0.93,
            ),
            Mention(
                "lens dislocation", el, el + 16, ECTOPIA_LENTIS, "Ectopia lentis", "present", 0.88
            ),
            Mention(HOSTILE, 0, 4, "javascript:alert(1)", HOSTILE, "present", None),
        ],
        facts=[
            RetrievedFact(annotation, 0.91, 0.42),
            RetrievedFact(
                CitedFact(None, ECTOPIA_LENTIS, RDFS_SUBCLASS_OF, OBO + "HP_0000517"), 0.5
            ),
        ],
        findings=[
            Finding(
                "hpo.supported",
                "1",
                "supported",
                "pass",
                "info",
                f"Arachnodactyly is annotated for Marfan syndrome: 124/197 {HOSTILE}",
                disease=MARFAN,
                patient_term=ARACHNODACTYLY,
                path=[ARACHNODACTYLY, ABN_HAND],
                cites=[annotation, edge],
                data={"match": "exact", "frequency": 0.6294},
            ),
            Finding(
                "hpo.excluded-frequent",
                "1",
                "contradicted",
                "warn",
                "warning",
                "Ectopia lentis is stated absent",
                disease=MARFAN,
                patient_term=ECTOPIA_LENTIS,
                cites=[
                    CitedFact(
                        ANNOTATION + "2",
                        MARFAN,
                        RO_HAS_PHENOTYPE,
                        ECTOPIA_LENTIS,
                        frequency_term=VERY_FREQUENT,
                        onset=OBO + "HP_0003577",
                        sex="MALE",
                    )
                ],
            ),
            Finding(
                "hpo.likelihood",
                "1",
                "error",
                "error",
                "critical",
                "rule failed",
                disease=HOMOCYSTINURIA,
            ),
        ],
        ranking=[
            RankedAnswer(MARFAN, "Marfan syndrome", 8.6, 0.97),
            RankedAnswer(HOMOCYSTINURIA, f"Homocystinuria {HOSTILE}", 2.1, 0.03),
        ],
        warnings=[f"term skipped: {HOSTILE}"],
        kg_fingerprint="a" * 64,
        model_fingerprint="b" * 64,
        labels={
            ABN_HAND: "Abnormality of the hand",
            VERY_FREQUENT: "Very frequent",
            ANNOTATION: '<img src=x onerror="alert(1)">',
        },
        metadata={"rules": "c" * 64, "top_k": 16},
    )


def test_json_round_trip_is_lossless() -> None:
    e = sample_explanation()
    again = Explanation.from_json(e.to_json())
    assert again == e
    assert again.to_json() == e.to_json()
    assert Explanation.from_json(e.to_json(indent=None)) == e


def test_json_replaces_non_finite_numbers() -> None:
    e = sample_explanation()
    e.ranking[0].probability = math.nan
    e.findings[0].data["lr"] = math.inf
    d = json.loads(e.to_json())
    assert d["ranking"][0]["probability"] is None and d["findings"][0]["data"]["lr"] is None


def test_redacted_drops_the_input_text() -> None:
    r = sample_explanation().redacted()
    assert r.input_text is None and all(m.text == "" for m in r.mentions)
    assert [m.start for m in r.mentions] == [m.start for m in sample_explanation().mentions]
    assert "long thin fingers" not in r.to_json()


def test_text_report_shows_findings_with_provenance() -> None:
    text = sample_explanation().to_text()
    assert "Findings for Marfan syndrome (OMIM:154700):" in text
    assert "[PASS] supported (hpo.supported v1)" in text
    assert "PMID:28050285" in text and "124/197 (63%)" in text and "evidence PCS" in text
    assert "path: Arachnodactyly (HP:0001166) -> Abnormality of the hand (HP:0001155)" in text
    assert "[WARN] contradicted" in text and "[ERROR] error" in text
    # worst status first within a candidate
    assert text.index("[WARN] contradicted") < text.index("[PASS] supported")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "a":
            self.hrefs += [v or "" for k, v in attrs if k == "href"]


def test_html_escapes_hostile_text() -> None:
    page = sample_explanation().to_html(title=f"report {HOSTILE}")
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert not any(k.startswith("on") for k, _ in parser.attrs)
    assert "<script" not in page and "<img" not in page
    assert html.escape(HOSTILE) in page
    assert not any(h.startswith("javascript:") for h in parser.hrefs)


def test_html_is_self_contained() -> None:
    page = sample_explanation().to_html()
    parser = _Collector()
    parser.feed(page)
    assert "link" not in parser.tags and "script" not in parser.tags
    assert "src" not in {k for k, _ in parser.attrs}
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page


def test_html_links_every_entity_to_its_iri() -> None:
    e = sample_explanation()
    page = e.to_html()
    parser = _Collector()
    parser.feed(page)
    entities = e.entities()
    assert {MARFAN, HOMOCYSTINURIA, ARACHNODACTYLY, ABN_HAND, PMID, ANNOTATION} <= set(entities)
    assert {VERY_FREQUENT, OBO + "HP_0003577", RO_HAS_PHENOTYPE, RDFS_SUBCLASS_OF} <= set(entities)
    for iri in entities:
        if iri.startswith(("http://", "https://")):
            assert iri in parser.hrefs, iri
    # the mention in the input text is a link to its term
    assert page.count(f'href="{ARACHNODACTYLY}"') >= 3


def test_fill_labels_adds_only_missing_labels() -> None:
    e = sample_explanation()
    e.fill_labels(lambda iri: "X" if iri == PMID else ("Y" if iri == ABN_HAND else ""))
    assert e.labels[PMID] == "X" and e.labels[ABN_HAND] == "Abnormality of the hand"
    assert MARFAN not in e.labels  # no label known: left out
