"""NerLinker: tagger spans grounded by the legal KG's dictionary, with context, in two modes."""

from __future__ import annotations

import pytest

from encoders.dense import DenseHit
from fusion.ner_linker import NerLinker, dense_grounding
from fusion.tasks import build_linker
from kg.knowledge_graph import KnowledgeGraph

LEGAL = "https://example.org/legal#"
TEXT = "There was no violence. Forceful shoving and a mugging followed; then a quiet word."


class FakeTagger:
    """Proposes fixed spans (by their text) with fixed scores."""

    def __init__(self, spans: dict[str, float]) -> None:
        self.spans = spans

    def predict(self, texts: list[str]) -> list[dict]:
        out = []
        for phrase, score in self.spans.items():
            start = texts[0].index(phrase)
            out.append({"start": start, "end": start + len(phrase), "score": score})
        return [{"spans": out}]


class FakeDense:
    def match(self, phrases: list[str]) -> list[DenseHit | None]:
        return [
            DenseHit(LEGAL + "UseOfForce", 0.9, "use of force") if "forceful" in p.lower() else None
            for p in phrases
        ]


@pytest.fixture
def linker(legal_kg: KnowledgeGraph):
    return build_linker(legal_kg, {})


def _linker(linker, legal_kg, spans, **kwargs) -> NerLinker:
    return NerLinker(FakeTagger(spans), linker, labels=legal_kg.labels, **kwargs)


def test_ner_mode_grounds_spans_and_reads_their_context(linker, legal_kg) -> None:
    spans = {"violence": 0.9, "a quiet word": 0.95, "mugging": 0.3, "Forceful shoving": 0.8}
    ner = _linker(linker, legal_kg, spans, mode="ner", dense=FakeDense())
    mentions = ner.link(TEXT)
    got = {(m.text, m.iri, m.excluded, m.source) for m in mentions}
    assert got == {
        ("violence", LEGAL + "UseOfForce", True, "ner"),  # "no violence": negated
        ("Forceful shoving", LEGAL + "UseOfForce", False, "ner-dense"),
    }
    # "a quiet word" names nothing; "mugging" scored under min_score
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)
    assert ner.config is linker.config and ner.dense is linker.dense


def test_combined_mode_keeps_the_dictionary_and_adds_what_it_missed(linker, legal_kg) -> None:
    dictionary = {(m.text, m.iri) for m in linker.link(TEXT)}
    assert dictionary == {("violence", LEGAL + "UseOfForce"), ("mugging", LEGAL + "Robbery")}
    spans = {"no violence": 0.9, "Forceful shoving": 0.8}
    combined = _linker(linker, legal_kg, spans, dense=FakeDense())
    got = {(m.text, m.iri) for m in combined.link(TEXT)}
    # "no violence" overlaps a dictionary mention: the dictionary's stands
    assert got == dictionary | {("Forceful shoving", LEGAL + "UseOfForce")}
    without_dense = _linker(linker, legal_kg, spans)
    assert {(m.text, m.iri) for m in without_dense.link(TEXT)} == dictionary


def test_grounding_takes_the_longest_dictionary_mention_inside_a_span(linker, legal_kg) -> None:
    ner = _linker(linker, legal_kg, {}, mode="ner")
    assert ner.ground("mugging") == (LEGAL + "Robbery", 1.0, "ner", 0, 7)
    iri, _, source, start, end = ner.ground("a violent mugging in the street")
    assert (iri, source, start, end) == (LEGAL + "Robbery", "ner", 10, 17)
    assert ner.ground("a quiet word") is None


def test_unknown_mode_is_refused(linker, legal_kg) -> None:
    with pytest.raises(ValueError, match="ner, combined"):
        _linker(linker, legal_kg, {}, mode="both")


def test_dense_grounding_is_cached_beside_the_kg(legal_kg_dir, tiny_encoder) -> None:
    kg = KnowledgeGraph.open(legal_kg_dir)
    first = dense_grounding(kg, 0.99, encoder=tiny_encoder)
    assert (kg.path / "derived" / "dense_names").is_dir()
    again = dense_grounding(kg, 0.99, encoder=tiny_encoder)
    assert again.index.names == first.index.names
    hit = again.match(["use of force"])[0]
    assert hit is not None and hit.iri == LEGAL + "UseOfForce"
