"""Tests of the rule engine and the packaged rules on hand-built mini HPO KGs.

``tests/fixtures/rules_hpo`` holds one disease per situation a rule looks for:
``OMIM:100001`` (obligate arachnodactyly, very frequent aortic root aneurysm with adult onset,
9/10 disproportionate tall stature, 40% ectopia lentis, a broad lens annotation, NOT
neurodevelopmental abnormality, a male-only seizure row, childhood onset, autosomal dominant
and X-linked recessive inheritance), ``OMIM:100002`` (obligate ectopia lentis, adult onset,
X-linked recessive inheritance only) and ``ORPHA:900`` (background).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OBO, RDFS_SUBCLASS_OF
from kg.rules.engine import (
    PACKS,
    CandidateCheck,
    CitedFact,
    Finding,
    RuleDefinitionError,
    RuleSet,
    SparqlRule,
    check,
    describe_statements,
    is_a_path,
    verify_citations,
)
from kg.rules.likelihood import PhenotypeLikelihood
from kg.rules.phenotype import (
    ExcludedFeatureRule,
    LikelihoodRule,
    MissingHallmarkRule,
    OnsetClassRule,
    OnsetRule,
    PhenotypeRuleConfig,
    PresentExcludedRule,
    SupportedRule,
    UnexplainedRule,
    format_probability,
    python_rules,
)
from kg.store import build_kg

D1 = "https://omim.org/entry/100001"
D2 = "https://omim.org/entry/100002"
PMID = "https://pubmed.ncbi.nlm.nih.gov/"


def hp(n: str) -> str:
    return f"{OBO}HP_{n}"


ARACHNODACTYLY, TALL, DISPROPORTIONATE_TALL = hp("0001166"), hp("0000098"), hp("0001519")
ECTOPIA_LENTIS, SUPERIOR_EL, LENS, CATARACT = (
    hp("0001083"),
    hp("0100001"),
    hp("0000517"),
    hp("0000518"),
)
AORTIC_ROOT, ID, SEVERE_ID, NEURODEV, SEIZURE = (
    hp("0002616"),
    hp("0001249"),
    hp("0010864"),
    hp("0012759"),
    hp("0001250"),
)
OBSOLETE_LONG_FINGERS = hp("0000999")


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    folder = Path(__file__).parents[1] / "fixtures" / "rules_hpo"
    dest = tmp_path_factory.mktemp("kg") / "rules_hpo"
    build_kg(["hpo"], dest, hpo_dir=folder, progress=False)
    return KnowledgeGraph.open(dest)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load()


def by_rule(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule_id]


def run(rule, kg: KnowledgeGraph, **kwargs) -> list[Finding]:
    findings = rule.check(kg, CandidateCheck(**kwargs))
    assert verify_citations(kg, findings) == []  # every rule cites only facts of the KG
    return findings


# ---- loading --------------------------------------------------------------------------------
def test_packaged_rules_are_found_through_importlib_resources() -> None:
    folder = resources.files("kg.rules").joinpath("sparql")
    names = {p.name for p in folder.joinpath("hpo").iterdir()}
    assert "not-annotated.rq" in names
    assert "deprecated-term.rq" in {p.name for p in folder.joinpath("generic").iterdir()}
    assert folder.joinpath("README.md").is_file()


def test_ruleset_load_has_sparql_and_python_rules(rules: RuleSet) -> None:
    ids = [r.id for r in rules]
    assert {"hpo.not-annotated", "generic.deprecated-term"} <= set(ids)
    assert "hpo.sex-specific" in ids
    assert {"hpo.supported", "hpo.likelihood", "generic.present-and-excluded"} <= set(ids)
    assert len(ids) == len(set(ids))
    catalogue = {c["id"]: c for c in rules.catalogue()}
    assert catalogue["hpo.not-annotated"]["source"].endswith("not-annotated.rq")
    assert len(rules.fingerprint) == 64


def test_ruleset_load_rejects_an_unknown_pack() -> None:
    with pytest.raises(ValueError, match="choose among generic, hpo"):
        RuleSet.load(packs=("hpo", "hpoo"))
    assert PACKS == ("generic", "hpo")


def test_ruleset_load_user_folder_overrides_by_id(tmp_path: Path) -> None:
    (tmp_path / "mine.rq").write_text(
        "# id: hpo.sex-specific\n# version: 9\n# description: mine\n# severity: info\n"
        "# kind: demographics\nSELECT ?disease WHERE { FILTER(false) }\n",
        encoding="utf-8",
    )
    rules = RuleSet.load([tmp_path])
    assert rules.get("hpo.sex-specific").version == "9"
    assert sum(r.id == "hpo.sex-specific" for r in rules) == 1
    with pytest.raises(FileNotFoundError):
        RuleSet.load([tmp_path / "missing"])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("# id: x\n# version: 1\n# severity: info\n# kind: supported\nSELECT ?x WHERE {}", "lacks"),
        (
            "# id: x\n# version: 1\n# description: d\n# severity: huge\n# kind: supported\n"
            "SELECT ?x WHERE {}",
            "unknown severity",
        ),
        (
            "# id: x\n# version: 1\n# description: d\n# severity: info\n# kind: supported\n"
            "# colour: red\nSELECT ?x WHERE {}",
            "unknown header key 'colour'",
        ),
        (
            "# id: x\n# version: 1\n# description: d\n# severity: info\n# kind: supported\n"
            "# scope: present\nSELECT ?x WHERE { ?x ?p ?o }",
            r"must select the variable \?term",
        ),
        (
            "# id: x\n# version: 1\n# description: d\n# severity: info\n# kind: supported\n"
            "ASK WHERE { ?x ?p ?o }",
            "SELECT",
        ),
    ],
)
def test_sparql_rule_header_errors_name_the_problem(text: str, match: str) -> None:
    with pytest.raises(RuleDefinitionError, match=match):
        SparqlRule.from_text(text, source="bad.rq")


def test_candidate_check_normalises_and_validates() -> None:
    d = CandidateCheck("OMIM:100001", present=["HP:0001166", "HP:0001166"], sex="female")
    assert d.disease == D1 and d.present == (ARACHNODACTYLY,) and d.sex == "FEMALE"
    with pytest.raises(ValueError, match="unknown sex 'x'; choose one of male, female"):
        CandidateCheck("OMIM:1", sex="x")
    with pytest.raises(ValueError, match="age must be a number of years >= 0, got -1"):
        CandidateCheck("OMIM:1", age_years=-1)
    with pytest.raises(ValueError, match=r"'\} ; DROP ALL ; \{' is neither an IRI nor a CURIE"):
        CandidateCheck("OMIM:1", present=["} ; DROP ALL ; {"])
    with pytest.raises(TypeError, match="pass a sequence of terms, not one string"):
        CandidateCheck("OMIM:1", present="HP:0001166")  # type: ignore[arg-type]


# ---- supported -------------------------------------------------------------------------------
def test_supported_exact_match_cites_frequency_and_pmid(kg: KnowledgeGraph) -> None:
    [f] = run(SupportedRule(), kg, disease=D1, present=[ARACHNODACTYLY])
    assert (f.status, f.kind, f.data["match"]) == ("pass", "supported", "exact")
    [fact] = f.cites
    assert fact.subject == D1 and fact.object == ARACHNODACTYLY
    assert fact.sources == (PMID + "2000001",) and fact.pmids == ["PMID:2000001"]
    assert fact.frequency_term == hp("0040280") and fact.frequency == 1.0
    assert fact.evidence == "PCS"
    assert "Obligate" in f.message and "PMID:2000001" in f.message
    assert f.path == []


def test_supported_through_a_more_specific_annotation_shows_the_path(kg: KnowledgeGraph) -> None:
    [f] = run(SupportedRule(), kg, disease=D1, present=[TALL])
    assert f.data["match"] == "implied"
    assert f.path == [DISPROPORTIONATE_TALL, TALL]
    assert CitedFact(None, DISPROPORTIONATE_TALL, RDFS_SUBCLASS_OF, TALL) in f.cites
    annotation = next(c for c in f.cites if c.iri)
    assert annotation.frequency_text == "9/10" and annotation.frequency == pytest.approx(0.9)
    assert "9/10 (90%)" in f.message


def test_supported_through_a_broader_annotation(kg: KnowledgeGraph) -> None:
    [f] = run(SupportedRule(), kg, disease=D1, present=[CATARACT])
    assert f.data["match"] == "broader" and f.path == [CATARACT, LENS]


def test_supported_ignores_annotations_too_general_to_explain(kg: KnowledgeGraph) -> None:
    # the lens annotation (depth 3) is too shallow once min_depth is 4
    rule = SupportedRule(PhenotypeRuleConfig(min_depth=4))
    assert run(rule, kg, disease=D1, present=[CATARACT]) == []


def test_supported_replaces_an_obsolete_input_id(kg: KnowledgeGraph) -> None:
    [f] = run(SupportedRule(), kg, disease=D1, present=[OBSOLETE_LONG_FINGERS])
    assert f.patient_term == OBSOLETE_LONG_FINGERS
    assert f.data["annotated"] == ARACHNODACTYLY and "given as HP:0000999" in f.message


def test_is_a_path_between_terms(kg: KnowledgeGraph) -> None:
    assert is_a_path(kg, SUPERIOR_EL, LENS) == [SUPERIOR_EL, ECTOPIA_LENTIS, LENS]
    assert is_a_path(kg, LENS, SUPERIOR_EL) == [SUPERIOR_EL, ECTOPIA_LENTIS, LENS]
    assert is_a_path(kg, CATARACT, ECTOPIA_LENTIS) == []
    assert is_a_path(kg, TALL, TALL) == [TALL]


# ---- unexplained -----------------------------------------------------------------------------
def test_unexplained_present_finding(kg: KnowledgeGraph) -> None:
    findings = run(UnexplainedRule(), kg, disease=D2, present=[SEIZURE, ECTOPIA_LENTIS])
    assert [(f.patient_term, f.status, f.kind) for f in findings] == [
        (SEIZURE, "warn", "unexplained")
    ]


def test_unexplained_skips_contradicted_and_flags_unknown_terms(kg: KnowledgeGraph) -> None:
    findings = run(UnexplainedRule(), kg, disease=D1, present=[ID, hp("9999999")])
    assert [f.patient_term for f in findings] == [hp("9999999")]  # ID is a NOT contradiction
    assert "not a current term" in findings[0].message


# ---- contradicted ----------------------------------------------------------------------------
def test_not_annotation_contradicts_a_present_finding_through_is_a(
    kg: KnowledgeGraph, rules: RuleSet
) -> None:
    rule = rules.get("hpo.not-annotated")
    [f] = run(rule, kg, disease=D1, present=[SEVERE_ID, ARACHNODACTYLY])
    assert (f.status, f.kind, f.severity) == ("fail", "contradicted", "critical")
    assert f.patient_term == SEVERE_ID and f.path == [SEVERE_ID, ID, NEURODEV]
    annotation = next(c for c in f.cites if c.iri)
    assert annotation.negated and annotation.object == NEURODEV
    assert annotation.sources == (PMID + "2000004",)
    assert "annotated NOT to have Neurodevelopmental abnormality" in f.message


def test_excluded_obligate_fails_and_frequent_warns(kg: KnowledgeGraph) -> None:
    findings = run(ExcludedFeatureRule(), kg, disease=D1, excluded=[ARACHNODACTYLY, ECTOPIA_LENTIS])
    status = {f.patient_term: (f.status, f.kind) for f in findings}
    assert status == {
        ARACHNODACTYLY: ("fail", "contradicted"),
        ECTOPIA_LENTIS: ("warn", "contradicted"),
    }
    el = next(f for f in findings if f.patient_term == ECTOPIA_LENTIS)
    assert el.cites[0].sources == (PMID + "2000003", PMID + "2000006")
    assert "40%" in el.message


def test_excluded_broader_term_covers_an_obligate_descendant(kg: KnowledgeGraph) -> None:
    [f] = run(ExcludedFeatureRule(), kg, disease=D2, excluded=[LENS])
    assert f.status == "fail" and f.path == [ECTOPIA_LENTIS, LENS]


def test_excluded_finding_matching_a_not_annotation_passes(kg: KnowledgeGraph) -> None:
    [f] = run(ExcludedFeatureRule(), kg, disease=D1, excluded=[SEVERE_ID])
    assert (f.status, f.kind) == ("pass", "supported")
    assert f.cites[0].negated


def test_present_and_excluded_is_a_contradiction(kg: KnowledgeGraph) -> None:
    findings = run(
        PresentExcludedRule(),
        kg,
        disease=D1,
        present=[SUPERIOR_EL, TALL],
        excluded=[ECTOPIA_LENTIS, TALL],
    )
    got = {(f.patient_term, f.data["excluded"]): f for f in findings}
    assert set(got) == {(SUPERIOR_EL, ECTOPIA_LENTIS), (TALL, TALL)}
    assert got[SUPERIOR_EL, ECTOPIA_LENTIS].path == [SUPERIOR_EL, ECTOPIA_LENTIS]
    assert all(f.status == "fail" for f in findings)


# ---- missing hallmarks -----------------------------------------------------------------------
def test_missing_hallmarks_are_the_unreported_very_frequent_features(kg: KnowledgeGraph) -> None:
    findings = run(MissingHallmarkRule(), kg, disease=D1, present=[ECTOPIA_LENTIS])
    hallmarks = {f.data["hallmark"] for f in findings}
    assert hallmarks == {ARACHNODACTYLY, DISPROPORTIONATE_TALL, AORTIC_ROOT}
    assert all(f.status == "warn" and f.kind == "missing_hallmark" for f in findings)


def test_missing_hallmarks_count_related_reports_and_skip_excluded(kg: KnowledgeGraph) -> None:
    findings = run(
        MissingHallmarkRule(),
        kg,
        disease=D1,
        present=[TALL],  # a broader report of disproportionate tall stature
        excluded=[ARACHNODACTYLY],  # the excluded-feature rule's business
    )
    assert {f.data["hallmark"] for f in findings} == {AORTIC_ROOT}


# ---- demographics ----------------------------------------------------------------------------
def test_sex_specific_annotation_against_the_patients_sex(
    kg: KnowledgeGraph, rules: RuleSet
) -> None:
    rule = rules.get("hpo.sex-specific")
    [f] = run(rule, kg, disease=D1, present=[SEIZURE, ARACHNODACTYLY], sex="female")
    assert (f.status, f.kind, f.patient_term) == ("warn", "demographics", SEIZURE)
    assert f.cites[0].sex == "MALE" and "only in male patients" in f.message
    assert f.message.endswith("but the patient is female")
    assert run(rule, kg, disease=D1, present=[SEIZURE], sex="male") == []
    assert run(rule, kg, disease=D1, present=[SEIZURE]) == []  # sex unknown: skipped
    # ORPHA:900 has seizures in either sex
    assert run(rule, kg, disease="ORPHA:900", present=[SEIZURE], sex="female") == []
    # a broader term explained only by the male-only annotation, with the path
    [g] = run(rule, kg, disease=D1, present=[hp("0000707")], sex="female")
    assert g.path == [SEIZURE, hp("0000707")]


def test_x_linked_recessive_disease_in_a_female_patient_warns(
    kg: KnowledgeGraph, rules: RuleSet
) -> None:
    # OMIM:100002 is annotated X-linked recessive only; OMIM:100001 X-linked recessive and
    # autosomal dominant (a mode that affects females on its own)
    rule = rules.get("hpo.x-linked-recessive-female")
    (finding,) = run(rule, kg, disease=D2, present=(ECTOPIA_LENTIS,), sex="female")
    assert finding.status == "warn"
    assert "X-linked recessive inheritance (HP:0001419)" in finding.message
    assert "Test lens syndrome" in finding.message
    cited = [c for c in finding.cites if isinstance(c, CitedFact)]
    assert [c.object for c in cited] == [hp("0001419")]
    assert cited[0].subject == D2
    assert run(rule, kg, disease=D2, present=(ECTOPIA_LENTIS,), sex="male") == []
    assert run(rule, kg, disease=D2, present=(ECTOPIA_LENTIS,)) == []  # sex unknown
    assert run(rule, kg, disease=D1, present=(ARACHNODACTYLY,), sex="female") == []


def test_onset_later_than_the_patients_age_warns(kg: KnowledgeGraph) -> None:
    [f] = run(OnsetRule(), kg, disease=D2, present=[ECTOPIA_LENTIS], age_years=8)
    assert (f.status, f.kind) == ("warn", "demographics")
    assert f.cites[0].object == hp("0003581") and "16 y or later" in f.message
    [ok] = run(OnsetRule(), kg, disease=D2, present=[ECTOPIA_LENTIS], age_years=30)
    assert ok.status == "pass"
    assert run(OnsetRule(), kg, disease=D2, present=[ECTOPIA_LENTIS]) == []  # age unknown


def test_the_stated_onset_class_against_the_diseases_onsets(kg: KnowledgeGraph) -> None:
    rule = OnsetClassRule()
    # D1 is annotated with childhood onset, D2 with adult onset (aspect C)
    [ok] = run(rule, kg, disease=D1, present=[AORTIC_ROOT], onset="HP:0011463")
    assert (ok.status, ok.kind) == ("pass", "demographics")
    assert ok.cites[0].object == hp("0011463") and "matches" in ok.message
    [bad] = run(rule, kg, disease=D2, present=[ECTOPIA_LENTIS], onset="HP:0011463")
    assert bad.status == "warn" and bad.cites[0].object == hp("0003581")
    assert "Childhood onset" in bad.message and "Adult onset" in bad.message
    # a broader class than the annotated one is related: Onset covers every class
    [broad] = run(rule, kg, disease=D2, present=[ECTOPIA_LENTIS], onset="HP:0003674")
    assert broad.status == "pass"
    assert run(rule, kg, disease=D1, present=[AORTIC_ROOT]) == []  # no onset stated
    assert run(rule, kg, disease=D1, onset=AORTIC_ROOT) == []  # not an onset class
    assert run(rule, kg, disease="ORPHA:900", onset="HP:0011463") == []  # none annotated


def test_onset_of_a_matched_finding_later_than_the_age(kg: KnowledgeGraph) -> None:
    findings = run(OnsetRule(), kg, disease=D1, present=[AORTIC_ROOT], age_years=10)
    disease_level = [f for f in findings if f.patient_term is None]
    finding_level = [f for f in findings if f.patient_term == AORTIC_ROOT]
    assert [f.status for f in disease_level] == ["pass"]  # childhood onset fits 10 y
    assert [f.status for f in finding_level] == ["warn"]
    assert finding_level[0].cites[0].onset == hp("0003581")


# ---- likelihood --------------------------------------------------------------------------------
def test_likelihood_contributions_match_the_model(kg: KnowledgeGraph) -> None:
    present, excluded = [ARACHNODACTYLY, TALL, SEIZURE], [ECTOPIA_LENTIS]
    findings = run(LikelihoodRule(), kg, disease=D1, present=present, excluded=excluded)
    *per_term, summary = findings
    model = PhenotypeLikelihood.from_kg(kg.hierarchy, kg.annotations)
    res = model.score(present, excluded)
    d = res.diseases.index(D1)
    assert [f.patient_term for f in per_term] == [*present, *excluded]
    np.testing.assert_allclose([f.data["log10_lr"] for f in per_term], res.contributions[d])
    assert summary.data["posttest"] == pytest.approx(float(res.posttest[d]))
    assert summary.data["log10_lr"] == pytest.approx(float(res.total[d]))
    assert summary.data["rank"] >= 1 and summary.data["num_diseases"] == len(res.diseases)
    assert summary.data["not_weighed"] == [] and "not weighed" not in summary.message
    arach = per_term[0]
    assert arach.status == "pass" and arach.cites[0].object == ARACHNODACTYLY
    el = per_term[-1]
    assert el.data["excluded"] and el.cites[0].object == ECTOPIA_LENTIS
    assert all(f.status == ("pass" if f.data["log10_lr"] >= 0 else "warn") for f in findings)


def test_likelihood_of_an_unannotated_candidate_is_an_error_finding(
    kg: KnowledgeGraph, rules: RuleSet
) -> None:
    findings = rules.check(kg, CandidateCheck("OMIM:999999", present=[ARACHNODACTYLY]))
    [err] = by_rule(findings, "hpo.likelihood")
    assert (err.status, err.kind) == ("error", "error") and "OMIM:999999" in err.message


def test_a_log10_figure_of_zero_reads_plus_zero_and_a_small_negative_keeps_its_sign() -> None:
    from kg.rules.phenotype import _signed

    assert [_signed(x) for x in (-0.0, 0.0, -0.004, 0.004, 0.126, -0.126)] == [
        "+0.00",
        "+0.00",
        "-0.00",
        "+0.00",
        "+0.13",
        "-0.13",
    ]


def test_format_probability_keeps_digits_near_0_and_1() -> None:
    assert format_probability(0.99997) == "99.9970%"
    assert format_probability(0.5) == "50.0%"
    assert format_probability(1.0) == "100%"


# ---- generic rules -----------------------------------------------------------------------------
def test_deprecated_term_cites_the_replacement(kg: KnowledgeGraph, rules: RuleSet) -> None:
    [f] = run(rules.get("generic.deprecated-term"), kg, disease=D1, present=[OBSOLETE_LONG_FINGERS])
    assert f.status == "warn" and "replaced by Arachnodactyly" in f.message
    predicates = {c.predicate for c in f.cites}
    assert predicates == {
        "http://www.w3.org/2002/07/owl#deprecated",
        OBO + "IAO_0100001",
    }


def test_a_rule_that_ignores_the_disease_runs_once_per_patient(
    kg: KnowledgeGraph, rules: RuleSet, monkeypatch
) -> None:
    import kg.rules.engine as engine

    deprecated, not_annotated = rules.get("generic.deprecated-term"), rules.get("hpo.not-annotated")
    assert not deprecated.reads_disease and not_annotated.reads_disease
    queries: list[str] = []
    real = engine._select_terms
    monkeypatch.setattr(
        engine, "_select_terms", lambda kg, q, *limits: queries.append(q) or real(kg, q, *limits)
    )
    patient = [OBSOLETE_LONG_FINGERS, ARACHNODACTYLY, hp("0004444")]  # a patient not seen before
    per_candidate = [run(deprecated, kg, disease=d, present=patient) for d in (D1, D2)]
    assert len(queries) == 1  # the second candidate reused the first one's rows
    assert [f.disease for fs in per_candidate for f in fs] == [D1, D2]
    assert [f.message for f in per_candidate[0]] == [f.message for f in per_candidate[1]]
    for d in (D1, D2):
        run(not_annotated, kg, disease=d, present=patient)
    assert len(queries) == 3  # this one reads ?disease: a query per candidate


# ---- the whole rule set ------------------------------------------------------------------------
def test_check_runs_every_rule_and_verifies_citations(kg: KnowledgeGraph, rules: RuleSet) -> None:
    decision = CandidateCheck(
        D1,
        present=[TALL, ARACHNODACTYLY, ECTOPIA_LENTIS],  # aortic root aneurysm not reported
        excluded=[ID],
        sex="male",
        age_years=17,
    )
    findings = rules.check(kg, decision)
    kinds = {f.kind for f in findings}
    assert {"supported", "missing_hallmark", "likelihood", "demographics"} <= kinds
    assert not [f for f in findings if f.status == "error"]
    assert verify_citations(kg, findings) == []
    assert findings == check(kg, decision, rules)  # deterministic, and the function form


def test_a_rule_that_raises_gives_an_error_finding(kg: KnowledgeGraph) -> None:
    @dataclass
    class BrokenRule:
        id: str = "test.broken"
        version: str = "1"
        description: str = "always fails"
        severity: str = "warning"
        kind: str = "supported"

        def check(self, kg, decision):
            raise RuntimeError("boom")

    rules = RuleSet([BrokenRule(), *python_rules("generic")])
    [err] = by_rule(rules.check(kg, CandidateCheck(D1, present=[TALL])), "test.broken")
    assert (err.status, err.kind) == ("error", "error")
    assert "RuntimeError: boom" in err.message and err.data["rule_kind"] == "supported"


def test_a_rule_returning_something_else_gives_an_error_finding(kg: KnowledgeGraph) -> None:
    @dataclass
    class SloppyRule:
        id: str = "test.sloppy"
        version: str = "1"
        description: str = "returns strings"
        severity: str = "info"
        kind: str = "supported"

        def check(self, kg, decision):
            return ["all good"]

    [err] = RuleSet([SloppyRule()]).check(kg, CandidateCheck(D1))
    assert err.status == "error" and "must return Finding objects" in err.message


def test_a_sparql_rule_with_a_syntax_error_is_refused_at_load_with_its_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.rq").write_text(
        "# id: test.syntax\n# version: 1\n# description: d\n# severity: info\n"
        "# kind: supported\nSELECT ?x WHERE { ?x ?p }\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleDefinitionError, match=r"broken\.rq:6: SPARQL syntax error"):
        RuleSet.load([tmp_path], packs=())


def test_a_citation_not_in_the_kg_gives_an_error_finding(
    kg: KnowledgeGraph, tmp_path: Path
) -> None:
    (tmp_path / "liar.rq").write_text(
        "# id: test.liar\n# version: 1\n# description: cites a made-up triple\n"
        "# severity: info\n# kind: supported\n# status: pass\n"
        "SELECT ?cite_s ?cite_p ?cite_o WHERE {\n"
        "  BIND(?disease AS ?cite_s) BIND(obo:RO_0002200 AS ?cite_p)"
        " BIND(obo:HP_0001250 AS ?cite_o)\n}\n",
        encoding="utf-8",
    )
    rules = RuleSet.load([tmp_path], packs=())
    findings = rules.check(kg, CandidateCheck(D2))  # D2 has no seizure
    assert [f.rule_id for f in findings] == ["test.liar", "kgfuse.citations"]
    assert findings[1].status == "error" and "not in the KG" in findings[1].message
    assert rules.check(kg, CandidateCheck(D2), verify=False)[-1].rule_id == "test.liar"


def test_verify_citations_checks_every_provenance_field(kg: KnowledgeGraph) -> None:
    facts = describe_statements(kg, subject=D1)
    fact = next(f for f in facts.values() if f.object == ARACHNODACTYLY)
    good = Finding("r", "1", "supported", "pass", "info", "m", cites=[fact])
    assert verify_citations(kg, [good]) == []
    for bad in (
        replace(fact, sources=(PMID + "1",)),
        replace(fact, evidence="IEA"),
        replace(fact, negated=True),
        replace(fact, object=TALL),
        replace(fact, frequency_term=hp("0040281")),
        replace(fact, iri=fact.iri + "x"),  # type: ignore[operator]
        CitedFact(None, TALL, RDFS_SUBCLASS_OF, ARACHNODACTYLY),
    ):
        problems = verify_citations(kg, [replace(good, cites=[bad])])
        assert [p.fact for p in problems] == [bad]
    stated = next(f for f in facts.values() if f.frequency_text == "9/10")
    negated = next(f for f in facts.values() if f.negated)
    assert verify_citations(kg, [replace(good, cites=[stated, negated])]) == []
    for bad in (replace(stated, frequency_text="1/2"), replace(negated, negated=False)):
        [problem] = verify_citations(kg, [replace(good, cites=[bad])])
        assert problem.fact == bad
    assert "negated" in problem.reason


def test_sparql_rule_binds_values_not_text(kg: KnowledgeGraph) -> None:
    rule = SparqlRule.from_text(
        "# id: test.echo\n# version: 1\n# description: d\n# severity: info\n"
        "# kind: demographics\n# status: warn\n# message: sex {patient_sex}, age {patient_age}\n"
        'SELECT ?disease WHERE { FILTER(?patient_sex != "" && ?patient_age >= 0) }\n'
    )
    assert rule.requires == ("patient_sex", "patient_age")
    assert rule.check(kg, CandidateCheck(D1, sex="male")) == []  # age unknown: skipped
    [f] = rule.check(kg, CandidateCheck(D1, sex="male", age_years=3))
    assert f.message.startswith("sex MALE, age 3")
