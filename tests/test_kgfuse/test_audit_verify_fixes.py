"""``kgfuse audit verify``: a record without a configuration or KG is a clear one-line error;
"identical" only when every field the auditor is shown agrees (warnings counted, an
answer's ``answered`` and confidence, a fact's source); a changed rule set is noted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kg.rules.engine import CitedFact
from kgfuse import audit
from kgfuse.audit import AuditLog, compare_explanations, verify_record
from kgfuse.commands.audit import app as audit_app
from kgfuse.explanation import Explanation, RetrievedFact
from tests.test_kgfuse.test_audit import KIND, make_explanation
from tests.test_kgfuse.test_audit_cli_errors import run

runner = CliRunner()


# ---- records that cannot be re-run -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "config", "says"),
    [
        ("diagnose", None, "holds no configuration"),
        ("ask", None, "holds no configuration"),
        ("diagnose", {"top_k": 3}, "holds no KG in its configuration"),
        ("ask", {"top_k": 3}, "holds no KG in its configuration"),
    ],
)
def test_verify_a_record_without_config_or_kg_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    config: dict[str, Any] | None,
    says: str,
) -> None:
    monkeypatch.delitem(audit._REPLAYERS, kind, raising=False)  # the packaged replayer
    db = tmp_path / "audit.sqlite"
    given = {"question": "What is arachnodactyly?"} if kind == "ask" else {"text": "fingers"}
    with AuditLog(db) as log:
        rid = log.record(Explanation(kind=kind), given, config=config)
    res = runner.invoke(audit_app, ["verify", rid, "--db", str(db)])
    assert isinstance(res.exception, SystemExit), res.exception  # not a KeyError
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    assert says in res.output and "cannot be re-run" in res.output and rid in res.output


# ---- what "identical" covers -------------------------------------------------------------------
def test_a_warning_given_once_more_or_less_is_a_difference() -> None:
    a = replace(make_explanation("fingers"), warnings=["w", "w", "x"])
    b = replace(make_explanation("fingers"), warnings=["w", "x"])
    assert compare_explanations(a, b) == ['warning given 2 times, now 1: "w"']
    assert compare_explanations(b, a) == ['warning given 1 times, now 2: "w"']
    c = replace(make_explanation("fingers"), warnings=["x", "w", "w"])
    assert compare_explanations(a, c) == ["warnings: the same, in another order"]
    assert compare_explanations(a, a) == []


def _answer(**metadata: Any) -> Explanation:
    meta = {"intent": "definition", "answer_text": "a", "confidence": 0.9, "answered": True}
    return Explanation(kind="ask", metadata={**meta, **metadata})


def test_an_answers_answered_and_confidence_are_compared() -> None:
    assert compare_explanations(_answer(), _answer()) == []
    assert compare_explanations(_answer(), _answer(answered=False)) == [
        "answered: recorded true, now false"
    ]
    assert compare_explanations(_answer(), _answer(confidence=0.5)) == [
        "intent confidence: recorded 0.9, now 0.5"
    ]
    assert compare_explanations(_answer(), _answer(confidence=0.9 + 1e-12)) == []
    assert compare_explanations(_answer(), _answer(confidence=0.9 + 1e-6), tolerance=1e-3) == []
    # an answer recorded before these were kept is compared on the rest
    old = Explanation(kind="ask", metadata={"intent": "definition", "answer_text": "a"})
    assert compare_explanations(old, _answer()) == []


def _with_source(source: str | None) -> Explanation:
    fact = CitedFact(None, "http://x/a", "http://x/p", "http://x/b")
    return Explanation(facts=[RetrievedFact(fact, 0.5, None, source)])


def test_a_facts_source_missing_or_changed_in_the_rerun_is_a_difference() -> None:
    assert compare_explanations(_with_source("hp.obo 2024"), _with_source("hp.obo 2024")) == []
    assert compare_explanations(_with_source("hp.obo 2024"), _with_source(None)) == [
        'retrieved fact #1: source "hp.obo 2024" -> none'
    ]
    assert compare_explanations(_with_source("hp.obo 2024"), _with_source("hp.obo 2025")) == [
        'retrieved fact #1: source "hp.obo 2024" -> "hp.obo 2025"'
    ]
    # a fact recorded before sources were kept
    assert compare_explanations(_with_source(None), _with_source("hp.obo 2025")) == []


def _with_rules(fingerprint: str, message: str = "supported (7)") -> Explanation:
    e = make_explanation("fingers")
    return replace(
        e,
        findings=[replace(e.findings[0], message=message)],
        metadata={"rules_fingerprint": fingerprint},
    )


def test_a_changed_rule_set_is_noted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as log:
        rid = log.record(_with_rules("r1"), {"text": "fingers"})
        monkeypatch.setitem(audit._REPLAYERS, KIND, lambda rec: _with_rules("r2"))
        report = verify_record(log, rid)
    assert report.identical and report.rule_set_changed
    assert [n for n in report.notes if n.startswith("rule set fingerprint: recorded r1, now r2")]
    code, out = run("verify", rid, "--db", str(db))
    assert code == 0 and "identical" in out and "rule set fingerprint: recorded r1" in out, out


def test_findings_that_differ_under_a_changed_rule_set_say_rules_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as log:
        rid = log.record(_with_rules("r1"), {"text": "fingers"})
    # the same rule versions, another rule set: only a finding's message differs
    monkeypatch.setitem(audit._REPLAYERS, KIND, lambda rec: _with_rules("r2", "other"))
    code, out = run("verify", rid, "--db", str(db))
    assert code == 1 and out.startswith("rules changed:"), out
    assert "the rule set changed since it was made" in out and "message differs" in out
    monkeypatch.setitem(audit._REPLAYERS, KIND, lambda rec: _with_rules("r1", "other"))
    code, out = run("verify", rid, "--db", str(db))
    assert code == 1 and out.startswith("different:"), out
