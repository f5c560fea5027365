"""A feature counted in fewer than three patients ("1/1", "2/2") is no hallmark: it is not
reported missing as one, and its exclusion is a warning, not a fail (a clinician's review
found "a hallmark of ... (1/1)"); and the likelihood summary's post-test probability says
it is not the ranking's. A test disease appended to the rules fixture."""

from __future__ import annotations

import pytest

from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OBO
from kg.rules.engine import CandidateCheck, Finding
from kg.rules.phenotype import ExcludedFeatureRule, LikelihoodRule, MissingHallmarkRule
from tests.test_kg.rules_env import rules_kg_with

D4 = "https://omim.org/entry/100004"
ECTOPIA_LENTIS, TALL, ARACHNODACTYLY = (f"{OBO}HP_{n}" for n in ("0001083", "0000098", "0001166"))
_ROWS = [("HP:0001083", "1/1"), ("HP:0000098", "5/5"), ("HP:0001166", "2/3")]


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    rows = [("", term, frequency) for term, frequency in _ROWS]
    return rules_kg_with(tmp_path_factory, "OMIM:100004", "Few patients syndrome", rows, 4000000)


def run(rule: object, kg: KnowledgeGraph, **kwargs: object) -> list[Finding]:
    return rule.check(kg, CandidateCheck(**kwargs))  # type: ignore[attr-defined, arg-type]


def test_a_feature_counted_in_one_patient_is_not_missing_as_a_hallmark(
    kg: KnowledgeGraph,
) -> None:
    findings = run(MissingHallmarkRule(), kg, disease=D4, present=[ARACHNODACTYLY])
    assert [f.data["hallmark"] for f in findings] == [TALL]  # 5/5; not the 1/1 ectopia lentis


def test_excluding_a_feature_counted_in_one_patient_is_a_warning(kg: KnowledgeGraph) -> None:
    [few] = run(ExcludedFeatureRule(), kg, disease=D4, excluded=[ECTOPIA_LENTIS])
    assert (few.status, few.severity) == ("warn", "warning")
    assert "frequently" in few.message and "hallmark" not in few.message
    [many] = run(ExcludedFeatureRule(), kg, disease=D4, excluded=[TALL])
    assert (many.status, many.severity) == ("fail", "critical") and "hallmark" in many.message


def test_the_likelihood_post_test_probability_says_it_is_not_the_rankings(
    kg: KnowledgeGraph,
) -> None:
    """A clinician read "post-test probability 95.4%" beside the ranking's probability of
    0.154 for the same disease as a contradiction."""
    summary = run(LikelihoodRule(), kg, disease=D4, present=[TALL])[-1]
    assert "post-test probability" in summary.message
    assert "by likelihood ratios alone" in summary.message
    assert "the same for every disease: not the ranking's probability" in summary.message
