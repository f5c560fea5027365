"""The legal fixture's own rules run through the same engine as the HPO rules.

The candidate is the offence charged; excluded terms are elements the facts rule out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.knowledge_graph import KnowledgeGraph
from kg.rules.engine import CandidateCheck, CitedFact, RuleSet, verify_citations
from kg.store import build_kg

LEGAL = "https://example.org/legal#"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "legal"


@pytest.fixture(scope="module")
def legal_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    dest = tmp_path_factory.mktemp("kg") / "legal"
    build_kg([FIXTURES / "legal.ttl"], dest, progress=False)
    return KnowledgeGraph.open(dest)


@pytest.fixture(scope="module")
def legal_rules() -> RuleSet:
    return RuleSet.load([FIXTURES / "rules"], packs=("generic",))


def test_legal_rules_load_beside_the_generic_pack(legal_rules: RuleSet) -> None:
    ids = [r.id for r in legal_rules]
    assert "legal.element-stated-absent" in ids and "legal.offence-without-statute" in ids
    assert "generic.present-and-excluded" in ids
    assert not any(i.startswith("hpo.") for i in ids)


def test_element_stated_absent_defeats_the_charge(
    legal_kg: KnowledgeGraph, legal_rules: RuleSet
) -> None:
    decision = CandidateCheck(
        LEGAL + "Robbery",
        present=[LEGAL + "Appropriation", LEGAL + "IntentToDeprive"],
        excluded=[LEGAL + "UseOfForce"],
    )
    findings = legal_rules.check(legal_kg, decision)
    assert [f.status for f in findings if f.status == "error"] == []
    [f] = [f for f in findings if f.rule_id == "legal.element-stated-absent"]
    assert (f.status, f.kind, f.severity) == ("fail", "contradicted", "critical")
    assert f.patient_term == LEGAL + "UseOfForce"
    assert f.cites == [
        CitedFact(None, LEGAL + "Robbery", LEGAL + "hasElement", LEGAL + "UseOfForce")
    ]
    assert (
        f.message == "robbery (https://example.org/legal#Robbery) requires the element "
        "use of force (https://example.org/legal#UseOfForce), but use of force "
        "(https://example.org/legal#UseOfForce) is stated absent"
    )
    assert verify_citations(legal_kg, findings) == []


def test_an_absent_broader_element_defeats_every_narrower_one(
    legal_kg: KnowledgeGraph, legal_rules: RuleSet
) -> None:
    decision = CandidateCheck(LEGAL + "Theft", excluded=[LEGAL + "MensRea"])
    findings = [
        f
        for f in legal_rules.check(legal_kg, decision)
        if f.rule_id == "legal.element-stated-absent"
    ]
    elements = sorted(f.data["annotated"] for f in findings)
    assert elements == [LEGAL + "Dishonesty", LEGAL + "IntentToDeprive"]
    paths = {f.data["annotated"]: f.path for f in findings}
    assert paths[LEGAL + "Dishonesty"] == [LEGAL + "Dishonesty", LEGAL + "MensRea"]
    # the is_a edge of the path is cited too, and holds in the KG
    assert any(c.predicate.endswith("subClassOf") for f in findings for c in f.cites)
    assert verify_citations(legal_kg, findings) == []


def test_elements_the_offence_does_not_need_do_not_fire(
    legal_kg: KnowledgeGraph, legal_rules: RuleSet
) -> None:
    decision = CandidateCheck(LEGAL + "Theft", excluded=[LEGAL + "UseOfForce"])
    assert legal_rules.check(legal_kg, decision) == []


def test_offence_without_statute(legal_kg: KnowledgeGraph, legal_rules: RuleSet) -> None:
    [f] = legal_rules.check(legal_kg, CandidateCheck(LEGAL + "PropertyOffence"))
    assert (f.rule_id, f.status, f.patient_term) == (
        "legal.offence-without-statute",
        "fail",
        None,
    )
    assert f.message.startswith("property offence (")
    assert legal_rules.check(legal_kg, CandidateCheck(LEGAL + "Burglary")) == []
