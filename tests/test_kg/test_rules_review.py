"""Tests of the rule engine's review fixes, on ``tests/fixtures/rules_hpo`` plus one disease.

``OMIM:100003`` (Test frequency syndrome) is added to a copy of the fixture: arachnodactyly
seen in 0/100 patients, ectopia lentis in 4/5 (exactly the hallmark threshold), tall stature
in 79/100 (just below it), aortic root aneurysm in 2/470, neurodevelopmental abnormality
(frequent) and NOT intellectual disability.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest

import kg.rules.phenotype as phenotype
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OBO
from kg.rules.engine import (  # names added by the fixes are imported where they are used
    CandidateCheck,
    CitedFact,
    Finding,
    RuleDefinitionError,
    RuleSet,
    SparqlRule,
    _bind_table,
    verify_citations,
)
from kg.rules.likelihood import LikelihoodConfig, PhenotypeLikelihood
from kg.rules.phenotype import (
    LikelihoodRule,
    MissingHallmarkRule,
    OnsetRule,
    PhenotypeRuleConfig,
    PresentExcludedRule,
    SupportedRule,
    UnexplainedRule,
    describe_frequency,
)
from kg.sparql import IRI, QUERY_PREFIXES
from tests.test_kg.rules_env import rules_kg_with

D1 = "https://omim.org/entry/100001"
D2 = "https://omim.org/entry/100002"
D3 = "https://omim.org/entry/100003"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "rules_hpo"


def hp(n: str) -> str:
    return f"{OBO}HP_{n}"


ARACHNODACTYLY, TALL, ECTOPIA_LENTIS, SUPERIOR_EL = (
    hp("0001166"),
    hp("0000098"),
    hp("0001083"),
    hp("0100001"),
)
LENS, CATARACT, AORTIC_ROOT = hp("0000517"), hp("0000518"), hp("0002616")
NEURODEV, ID, SEVERE_ID, SEIZURE = hp("0012759"), hp("0001249"), hp("0010864"), hp("0001250")
CHILDHOOD_ONSET = hp("0011463")

_EXTRA_ROWS = [
    ("", "HP:0001166", "0/100"),
    ("", "HP:0001083", "4/5"),
    ("", "HP:0000098", "79/100"),
    ("", "HP:0002616", "2/470"),
    ("", "HP:0012759", "HP:0040282"),
    ("NOT", "HP:0001249", ""),
]


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    return rules_kg_with(
        tmp_path_factory, "OMIM:100003", "Test frequency syndrome", _EXTRA_ROWS, 3000000
    )


def run(rule, kg: KnowledgeGraph, **kwargs) -> list[Finding]:
    findings = rule.check(kg, CandidateCheck(**kwargs))
    assert verify_citations(kg, findings) == []
    return findings


def rule_text(query: str, *, message: str = "", scope: str = "decision") -> str:
    header = (
        "# id: test.rule\n# version: 1\n# description: d\n# severity: warning\n"
        f"# kind: contradicted\n# scope: {scope}\n"
    )
    if message:
        header += f"# message: {message}\n"
    return header + query


# ---- 1. an annotation with frequency 0 is not support ---------------------------------------
def test_a_0_of_n_annotation_is_no_support_and_leaves_the_finding_unexplained(
    kg: KnowledgeGraph,
) -> None:
    assert run(SupportedRule(), kg, disease=D3, present=[ARACHNODACTYLY]) == []
    [unexplained] = run(UnexplainedRule(), kg, disease=D3, present=[ARACHNODACTYLY])
    assert unexplained.patient_term == ARACHNODACTYLY
    # the likelihood model drops the row too: the two agree; it cites the 0/N row as why
    [per_term, _] = run(LikelihoodRule(), kg, disease=D3, present=[ARACHNODACTYLY])
    assert per_term.data["match"] == "unexplained"
    assert [c.frequency for c in per_term.cites] == [0.0]
    assert per_term.message.endswith("seen in none of the disease's patients (0/N)")
    # nor does a broader present term find support in it
    hand = hp("0001155")
    assert (
        run(SupportedRule(PhenotypeRuleConfig(min_depth=0)), kg, disease=D3, present=[hand]) == []
    )


def test_no_completion_credits_a_finding_its_disease_showed_in_0_of_n(kg: KnowledgeGraph) -> None:
    from kg.rules.likelihood import MatchKind

    config = LikelihoodConfig(neighbours=2, neighbour_weight=0.5, excluded_weight=1.0)
    model = PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations, config=config)
    d = model.diseases.index(D3)
    col = kg.hierarchy.index(ARACHNODACTYLY)
    assert model.probability[d, col] > 0  # the neighbours' completion does give it
    present = model.score([ARACHNODACTYLY])
    assert MatchKind(int(present.match[d, 0])) == MatchKind.UNEXPLAINED  # not IMPUTED
    excluded = model.score([TALL], [ARACHNODACTYLY])
    assert MatchKind(int(excluded.match[d, 1])) == MatchKind.EXCLUDED_ABSENT
    assert excluded.contributions[d, 1] >= 0.0  # its absence fits the disease


def test_an_excluded_finding_only_a_completion_expects_says_so(kg: KnowledgeGraph) -> None:
    config = LikelihoodConfig(neighbours=2, neighbour_weight=0.5, excluded_weight=1.0)
    model = PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations, config=config)
    hand = hp("0001155")  # none of D3's own annotations is at or below it
    [_, excluded, _] = run(
        LikelihoodRule.of_model(model), kg, disease=D3, present=[TALL], excluded=[hand]
    )
    assert excluded.data["match"] == "excluded_expected" and excluded.cites == []
    assert excluded.message.endswith("only the diseases most like it show it (imputed)")


# ---- 2. no support for a finding under a NOT annotation --------------------------------------
def test_supported_skips_a_finding_the_disease_is_annotated_not_to_have(
    kg: KnowledgeGraph,
) -> None:
    # D3 has neurodevelopmental abnormality, and NOT intellectual disability above it
    assert run(SupportedRule(), kg, disease=D3, present=[SEVERE_ID]) == []
    [contradiction] = run(
        RuleSet.load().get("hpo.not-annotated"), kg, disease=D3, present=[SEVERE_ID]
    )
    assert contradiction.path == [SEVERE_ID, ID]
    # the broader annotation still supports a term the NOT does not cover
    [f] = run(SupportedRule(), kg, disease=D3, present=[NEURODEV])
    assert f.data["match"] == "exact"


# ---- 3. the likelihood rule of a diagnoser is the ranking's prior ---------------------------
def test_likelihood_rule_on_a_given_model_states_the_priors_figures(kg: KnowledgeGraph) -> None:
    config = LikelihoodConfig(
        excluded_weight=0.0, neighbours=1, neighbour_weight=0.2, breadth_weight=0.5
    )
    model = PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations, config=config)
    rules = RuleSet.load().with_rule(LikelihoodRule.of_model(model))
    rule = rules.get("hpo.likelihood")
    assert isinstance(rule, LikelihoodRule) and rule.likelihood is model
    present, excluded = [ARACHNODACTYLY, SEIZURE], [ECTOPIA_LENTIS]
    decision = CandidateCheck(D1, present, excluded, onset="HP:0011463")
    *per_term, summary = [f for f in rules.check(kg, decision) if f.rule_id == "hpo.likelihood"]
    prior = model.score(present, excluded, onset=CHILDHOOD_ONSET)
    d = prior.diseases.index(D1)
    assert summary.data["log10_lr"] == pytest.approx(float(prior.total[d]))
    assert summary.data["rank"] == int(np.sum(prior.total > prior.total[d])) + 1
    assert summary.data["onset"] == CHILDHOOD_ONSET and summary.data["onset_log10_lr"] != 0.0
    assert "Childhood onset" in summary.message and "breadth prior" in summary.message
    # the excluded finding weighs nothing here: named in the summary, no finding of its own
    assert [f.patient_term for f in per_term] == present
    np.testing.assert_allclose([f.data["log10_lr"] for f in per_term], prior.contributions[d, :2])
    assert prior.contributions[d, 2] == 0.0
    assert summary.data["not_weighed"] == [ECTOPIA_LENTIS]
    assert "1 finding stated absent, not weighed" in summary.message
    # the packaged rule keeps the default model, which differs
    [*_, default] = run(LikelihoodRule(), kg, disease=D1, present=present, excluded=excluded)
    assert default.data["log10_lr"] != pytest.approx(summary.data["log10_lr"])
    assert rules.fingerprint != RuleSet.load().fingerprint


# ---- 4. the likelihood rule cites by the model's match kind ---------------------------------
def test_likelihood_cites_nothing_for_an_unexplained_finding(kg: KnowledgeGraph) -> None:
    # D1 is annotated with the lens, broader than cataract: no credit by default
    [f, _] = run(LikelihoodRule(), kg, disease=D1, present=[CATARACT])
    assert f.data["match"] == "unexplained"
    assert f.cites == [] and f.path == []
    partial = PhenotypeRuleConfig(likelihood=LikelihoodConfig(partial_credit=True))
    [g, _] = run(LikelihoodRule(partial), kg, disease=D1, present=[CATARACT])
    assert g.data["match"] == "partial" and g.path == [CATARACT, LENS]
    assert [c.object for c in g.cites if c.iri] == [LENS]


# ---- 5. binding outside comments, $var, citations about the candidate ------------------------
_NOT_QUERY = (
    "SELECT ?annotated ?fact WHERE {\n"
    "  ?fact rdf:subject {d} ; kgv:negated true ; rdf:object ?annotated .\n"
    "}\n"
)


def test_a_comment_naming_where_does_not_receive_the_bindings(kg: KnowledgeGraph) -> None:
    text = rule_text(
        "PREFIX ex: <http://example.org/#x>  # rows where { ?disease } has a NOT\n"
        + _NOT_QUERY.replace("{d}", "?disease"),
        message="{disease} NOT {annotated}",
    )
    rule = SparqlRule.from_text(text)
    assert run(rule, kg, disease=D2) == []  # D2 has no NOT annotation
    [f] = run(rule, kg, disease=D3)
    assert [c.subject for c in f.cites] == [D3]


def test_dollar_variables_are_bound(kg: KnowledgeGraph) -> None:
    rule = SparqlRule.from_text(rule_text(_NOT_QUERY.replace("{d}", "$disease")))
    assert rule.reads_disease
    assert run(rule, kg, disease=D2) == []
    [f] = run(rule, kg, disease=D1)
    assert [c.subject for c in f.cites] == [D1]


def test_a_cited_annotation_of_another_disease_is_an_error(kg: KnowledgeGraph) -> None:
    rule = SparqlRule.from_text(
        rule_text(
            "SELECT ?fact WHERE {\n  ?fact rdf:subject ?other ; kgv:negated true .\n"
            "  FILTER(?other != ?disease)\n}\n"
        )
    )
    findings = RuleSet([rule]).check(kg, CandidateCheck(D2))
    problems = [f for f in findings if f.rule_id == "kgfuse.citations"]
    assert problems and all(f.status == "error" for f in problems)
    assert "not about the candidate OMIM:100002" in problems[0].message


def test_bind_table_keeps_hostile_values_terms_and_skips_comments() -> None:
    hostile = '" } . ?s ?p ?o . { "'
    query = _bind_table(
        "PREFIX ex: <http://example.org/#x> # rows where { ?term }\n"
        'SELECT ?term ?x WHERE { BIND(STR(?term) AS ?x) } # where { "',
        ["term"],
        [(hostile,), (IRI(D1),)],
    )
    rows = list(ox.Store().query(query, prefixes=QUERY_PREFIXES))
    assert [r["x"].value for r in rows] == [hostile, D1]
    for bad in ("http://x> } ; DROP ALL ; {<", "a b"):
        with pytest.raises(ValueError):
            _bind_table("SELECT ?x WHERE { }", ["term"], [(IRI(bad),)])
    with pytest.raises(ValueError, match="variable name"):
        _bind_table("SELECT ?x WHERE { }", ["x } ?y"], [("v",)])
    # single values go into the same block, also past a comment
    query = _bind_table(
        "# where {\nSELECT ?x WHERE { BIND(STR(?d) AS ?x) }", [], [], {"d": hostile}
    )
    assert [r["x"].value for r in ox.Store().query(query)] == [hostile]


# ---- 6. limits -------------------------------------------------------------------------------
_EVERY_TRIPLE = (
    "SELECT ?cite_s ?cite_p ?cite_o WHERE { ?disease ?p0 ?o0 . ?cite_s ?cite_p ?cite_o }"
)


def test_a_rule_returning_too_many_rows_is_stopped_with_an_error_finding(
    kg: KnowledgeGraph,
) -> None:
    from kg.rules.engine import MAX_RULE_ROWS

    assert MAX_RULE_ROWS == 100_000
    rule = replace(SparqlRule.from_text(rule_text(_EVERY_TRIPLE)), max_rows=50)
    [err] = RuleSet([rule]).check(kg, CandidateCheck(D1))
    assert (err.rule_id, err.status, err.kind) == ("test.rule", "error", "error")
    assert "RuleLimitError" in err.message and "more than 50 rows" in err.message


def test_a_rule_past_its_deadline_is_stopped_with_an_error_finding(kg: KnowledgeGraph) -> None:
    rule = replace(SparqlRule.from_text(rule_text(_EVERY_TRIPLE)), deadline_s=1e-9)
    [err] = RuleSet([rule]).check(kg, CandidateCheck(D1))
    assert err.status == "error" and "ran past" in err.message


# ---- 7. rule files ---------------------------------------------------------------------------
def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


_GOOD = rule_text("SELECT ?x WHERE { ?disease ?p ?x } LIMIT 1\n")


def test_a_file_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "a.rq",
        _GOOD.replace("# kind", "# message: caf\xe9 {x}\n# kind").encode("latin-1"),
    )
    with pytest.raises(RuleDefinitionError, match=r"a\.rq:5: not UTF-8"):
        RuleSet.load([tmp_path], packs=())


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    _write(tmp_path, "a.rq", b"\xef\xbb\xbf" + _GOOD.encode())
    [rule] = RuleSet.load([tmp_path], packs=())
    assert rule.id == "test.rule"


def test_two_files_with_the_same_id_are_an_error_naming_both(tmp_path: Path) -> None:
    _write(tmp_path, "a.rq", _GOOD.encode())
    _write(tmp_path, "b.rq", _GOOD.encode())
    with pytest.raises(RuleDefinitionError) as info:
        RuleSet.load([tmp_path], packs=())
    assert "a.rq" in str(info.value) and "b.rq" in str(info.value)
    # a packaged rule may still be replaced by a user file
    _write(tmp_path / "x", "c.rq", _GOOD.replace("test.rule", "hpo.not-annotated").encode())
    rules = RuleSet.load([tmp_path / "x"])
    assert rules.get("hpo.not-annotated").source.endswith("c.rq")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("ASK WHERE { { SELECT ?x WHERE { ?disease ?p ?x } } }\n", r":7: .*not ASK"),
        (
            "\nCONSTRUCT { ?disease ?p ?x }\n"
            "WHERE { ?disease ?p ?x . FILTER(?p != <urn:SELECT>) }\n",
            r":8: .*not CONSTRUCT",
        ),
        ("SELECT ?x\nWHERE {\n  ?disease ?p .\n}\n", r":9: SPARQL syntax error"),
    ],
)
def test_non_select_and_syntax_errors_are_refused_at_load_with_the_line(
    tmp_path: Path, query: str, match: str
) -> None:
    _write(tmp_path, "a.rq", rule_text(query).encode())  # the header takes 6 lines
    with pytest.raises(RuleDefinitionError, match=r"a\.rq" + match):
        RuleSet.load([tmp_path], packs=())


def test_an_unknown_message_placeholder_is_refused_at_load(tmp_path: Path) -> None:
    query = "SELECT ?annotated WHERE { ?disease rdfs:label ?annotated }\n"
    _write(tmp_path, "a.rq", rule_text(query, message="{dissease} has {annotated}").encode())
    with pytest.raises(RuleDefinitionError, match=r"a\.rq:7: the message names \{dissease\}"):
        RuleSet.load([tmp_path], packs=())
    ok = SparqlRule.from_text(rule_text(query, message="{disease} {annotated} {patient_sex}"))
    assert ok.message.startswith("{disease}")


# ---- 8. present and excluded in one pass ------------------------------------------------------
def test_present_and_excluded_resolves_each_term_once(
    kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = phenotype._term_index
    monkeypatch.setattr(phenotype, "_term_index", lambda kg, t: calls.append(t) or real(kg, t))
    present = [SUPERIOR_EL, TALL, ARACHNODACTYLY, SEVERE_ID]
    excluded = [ECTOPIA_LENTIS, TALL, LENS, NEURODEV, SEIZURE]
    findings = run(PresentExcludedRule(), kg, disease=D1, present=present, excluded=excluded)
    assert len(calls) == len(present) + len(excluded)
    got = [(f.patient_term, f.data["excluded"], f.path) for f in findings]
    assert got == [
        (SUPERIOR_EL, ECTOPIA_LENTIS, [SUPERIOR_EL, ECTOPIA_LENTIS]),
        (SUPERIOR_EL, LENS, [SUPERIOR_EL, ECTOPIA_LENTIS, LENS]),
        (TALL, TALL, []),
        (SEVERE_ID, NEURODEV, [SEVERE_ID, ID, NEURODEV]),
    ]
    assert "stated both present and absent" in findings[2].message


# ---- 9. frequencies below 1% -----------------------------------------------------------------
def test_frequencies_near_0_and_100_percent_keep_their_digits(kg: KnowledgeGraph) -> None:
    from kg.rules.engine import frequency_percent

    assert frequency_percent(2 / 470) == "0.4%"
    assert frequency_percent(0.0004) == "0.04%"
    assert frequency_percent(469 / 470) == "99.8%"
    assert [frequency_percent(f) for f in (0.0, 0.4, 0.9, 1.0)] == ["0%", "40%", "90%", "100%"]
    [f] = run(SupportedRule(), kg, disease=D3, present=[AORTIC_ROOT])
    assert "2/470 (0.4%)" in f.message
    fact = CitedFact(None, D3, "p", "o", frequency=2 / 470)
    assert describe_frequency(kg, fact) == "0.4%"


# ---- 10. boundaries the mutants crossed --------------------------------------------------------
def test_a_hallmark_present_through_a_more_specific_term_is_not_missing(
    kg: KnowledgeGraph,
) -> None:
    assert run(MissingHallmarkRule(), kg, disease=D2, present=[SUPERIOR_EL]) == []
    [missing] = run(MissingHallmarkRule(), kg, disease=D2, present=[ID])
    assert missing.data["hallmark"] == ECTOPIA_LENTIS


def test_the_hallmark_threshold_is_inclusive(kg: KnowledgeGraph) -> None:
    findings = run(MissingHallmarkRule(), kg, disease=D3, present=[NEURODEV])
    # 4/5 is a hallmark at the default 80%; 79/100 is not
    [(hallmark, f)] = [(f.data["hallmark"], f.data["frequency"]) for f in findings]
    assert hallmark == ECTOPIA_LENTIS and f == pytest.approx(0.8)
    at = PhenotypeRuleConfig(hallmark_frequency=f)  # exactly the stored frequency
    assert [g.data["hallmark"] for g in run(MissingHallmarkRule(at), kg, disease=D3)] == [
        ECTOPIA_LENTIS
    ]
    above = PhenotypeRuleConfig(hallmark_frequency=float(np.nextafter(f, 1.0)))
    assert run(MissingHallmarkRule(above), kg, disease=D3, present=[NEURODEV]) == []


def test_an_onset_at_the_patients_age_is_compatible(kg: KnowledgeGraph) -> None:
    # D2: adult onset, 16 years or later; D1's aortic root aneurysm: adult onset too
    [at] = run(OnsetRule(), kg, disease=D2, present=[ECTOPIA_LENTIS], age_years=16)
    assert at.status == "pass"
    [before] = run(OnsetRule(), kg, disease=D2, present=[ECTOPIA_LENTIS], age_years=15.9)
    assert before.status == "warn"
    findings = run(OnsetRule(), kg, disease=D1, present=[AORTIC_ROOT], age_years=16)
    assert [f for f in findings if f.patient_term == AORTIC_ROOT] == []
    findings = run(OnsetRule(), kg, disease=D1, present=[AORTIC_ROOT], age_years=15.9)
    assert [f.status for f in findings if f.patient_term == AORTIC_ROOT] == ["warn"]
