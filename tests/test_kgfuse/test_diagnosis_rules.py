"""The rules a diagnosis service checks its decisions with (mini KG, tiny model): the
likelihood rule states the ranking's own prior, and a decision recorded under an older rule
version verifies as a version difference."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest

from kg.rules.engine import RuleSet
from kgfuse.audit import AuditLog, verify_record
from kgfuse.diagnosis import DiagnosisService

PATIENT = {
    "id": "p1",
    "present_hpo": ["HP:0001166", "HP:0001083"],
    "excluded_hpo": ["HP:0000098"],
    "onset": "HP:0003593",
    "sex": "female",
    "age": 1,
}


def test_the_likelihood_rule_of_a_diagnosis_states_the_priors_figures(
    mini_home: Path, mini_model: Path
) -> None:
    service = DiagnosisService(mini_model, mini_home / "kgs" / "hpo", mini_home, audit=False)
    prior = service.diagnoser.builder.likelihood
    assert prior.config.excluded_weight == 0.0 and prior.config.imputes  # not the defaults
    _, explanation = service.run(PATIENT, 0, 3)
    meta = explanation.metadata
    assert meta["onset"] is not None and meta["excluded"]
    score = prior.score(meta["present"], meta["excluded"], onset=meta["onset"])
    summaries = [
        f for f in explanation.findings if f.rule_id == "hpo.likelihood" and f.patient_term is None
    ]
    assert len(summaries) == 3
    for f in summaries:
        d = score.diseases.index(f.disease)
        assert f.data["log10_lr"] == pytest.approx(float(score.total[d]))
        assert f.data["rank"] == int((score.total > score.total[d]).sum()) + 1
    assert service.rules.get("hpo.likelihood").likelihood is prior  # type: ignore[attr-defined]


def test_a_decision_of_an_older_rule_version_verifies_as_a_version_difference(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    service = DiagnosisService(mini_model, mini_home / "kgs" / "hpo", home)
    old = [replace(r, version="0") if r.id == "hpo.likelihood" else r for r in service.rules]
    service.rules = RuleSet(old)  # type: ignore[arg-type]
    out, _ = service.run(PATIENT, 0, 3)
    report = verify_record(AuditLog(home / "audit.sqlite"), str(out["audit_id"]))
    assert not report.identical
    first, *rest = report.differences
    assert first.startswith("rule hpo.likelihood: recorded version 0, now ")
    assert rest and all("hpo.likelihood" in d and "rule_version differs" in d for d in rest)
    assert report.rules_changed == ["hpo.likelihood"] and report.findings_only
    from typer.testing import CliRunner

    from kgfuse.cli import app

    result = CliRunner().invoke(app, ["audit", "verify", str(out["audit_id"]), "--home", str(home)])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "rules changed: decision" in said and "same ranking, facts and mentions" in said
    assert "1 rule(s) changed since it was made (hpo.likelihood)" in said


def test_the_likelihood_rule_reuses_the_priors_scores_and_states_the_same(
    mini_home: Path, mini_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.rules.engine import CandidateCheck
    from kg.rules.likelihood import PhenotypeLikelihood
    from kg.rules.phenotype import LikelihoodRule

    service = DiagnosisService(mini_model, mini_home / "kgs" / "hpo", mini_home, audit=False)
    # scores of the same findings in the same order with the same onset are kept, no others
    rule = service.rules.get("hpo.likelihood")
    kg = service.kg
    iris = tuple(kg.hierarchy.resolve(t) for t in ("HP:0001166", "HP:0001083"))
    prior = service.diagnoser.builder.likelihood
    known = prior.score(list(iris), [])
    d = known.diseases[0]
    assert rule.remember(kg, CandidateCheck(d, iris, ()), known, prior)  # type: ignore[attr-defined]
    for other in (
        CandidateCheck(d, iris[::-1], ()),
        CandidateCheck(d, iris[:1], ()),
        CandidateCheck(d, iris, (), onset="HP:0003593"),
    ):
        assert not rule.remember(kg, other, known, prior)  # type: ignore[attr-defined]
    # nor scores of another model, though of the same findings
    other_model = copy.copy(prior)
    assert not rule.remember(kg, CandidateCheck(d, iris, ()), known, other_model)  # type: ignore[attr-defined]

    scored = []
    score = PhenotypeLikelihood.score

    def counted(self: PhenotypeLikelihood, *args: object, **kwargs: object) -> object:
        scored.append(args)
        return score(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PhenotypeLikelihood, "score", counted)
    patients = [PATIENT, {**PATIENT, "id": "p2", "onset": None, "excluded_hpo": []}]
    reused = [service.run(p, 0, 3)[1].findings for p in patients]
    assert len(scored) == 2  # the prior's scoring only, once a patient
    monkeypatch.setattr(LikelihoodRule, "remember", lambda *args: False)
    fresh = DiagnosisService(mini_model, mini_home / "kgs" / "hpo", mini_home, audit=False)
    again = [fresh.run(p, 0, 3)[1].findings for p in patients]
    assert len(scored) == 6  # and the rule's own once a patient, when it does not reuse
    assert [[f.to_dict() for f in fs] for fs in reused] == [
        [f.to_dict() for f in fs] for fs in again
    ]


def test_a_texts_sex_and_age_reach_the_rules_and_the_output_unless_given(
    mini_home: Path, mini_model: Path
) -> None:
    service = DiagnosisService(mini_model, mini_home / "kgs" / "hpo", mini_home, audit=False)
    text = "A 4-year-old girl with arachnodactyly and ectopia lentis."
    out, explanation = service.run({"id": "t", "text": text}, 0, 3)
    assert (out["sex"], out["sex_text"], out["age"], out["age_text"]) == (
        "FEMALE",
        "4-year-old girl",
        4.0,
        "4-year-old",
    )
    meta = explanation.metadata
    assert (meta["sex"], meta["age"]) == ("FEMALE", 4.0)
    assert meta["stated"] == {"sex": "4-year-old girl", "age": "4-year-old"}
    # fields given beside the text win, and nothing is said to be read from it
    out, explanation = service.run({"id": "t", "text": text, "sex": "male", "age": 9}, 0, 3)
    assert not {"sex", "sex_text", "age", "age_text"} & out.keys()
    assert (explanation.metadata["sex"], explanation.metadata["age"]) == ("MALE", 9.0)
    assert "stated" not in explanation.metadata
    # a text that states neither leaves them unknown
    out, explanation = service.run({"id": "t", "text": "Arachnodactyly, ectopia lentis."}, 0, 3)
    assert (explanation.metadata["sex"], explanation.metadata["age"]) == (None, None)


def test_a_diagnosis_question_says_the_sex_and_age_it_read(
    mini_home: Path, mini_model: Path
) -> None:
    from kgfuse.qa.service import QAService

    qa = QAService(mini_home / "kgs" / "hpo", mini_model, mini_home, audit=False)
    answer = qa.ask("A 4-year-old girl has arachnodactyly and ectopia lentis. What could it be?")
    assert answer.intent == "diagnose" and answer.answered
    assert answer.text.startswith("Read: female, 4 years old; Arachnodactyly")


def test_diagnose_text_prints_the_sex_and_age_it_read(mini_home: Path, mini_model: Path) -> None:
    from typer.testing import CliRunner

    from kgfuse.cli import app

    text = "A 4-year-old girl with arachnodactyly and ectopia lentis."
    args = ["diagnose", "--text", text, "--no-audit", "--model", str(mini_model)]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "patient, as the text states: female ('4-year-old girl'), 4 years old" in said


def test_a_note_of_term_ids_is_told_to_give_them_as_present_hpo(
    mini_home: Path, mini_model: Path
) -> None:
    from kgfuse.diagnosis import RecordError

    service = DiagnosisService(mini_model, mini_home / "kgs" / "hpo", mini_home, audit=False)
    with pytest.raises(RecordError, match="give the ids as present_hpo in a JSONL record"):
        service.run({"id": "t", "text": "Patient has HP:0001166 and HP:0001083."}, 0, 3)
    with pytest.raises(RecordError) as caught:
        service.run({"id": "t", "text": "Nothing of note today."}, 0, 3)
    assert "present_hpo" not in str(caught.value)
