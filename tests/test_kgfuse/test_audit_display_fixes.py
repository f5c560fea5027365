"""What ``kgfuse audit list`` and ``show`` print: stored control characters shown as escapes,
never sent to the terminal; scores stored as null (NaN, inf) shown as "–"; the structured
input's fields spaced; the list readable at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from kg.rules.engine import CitedFact
from kgfuse.audit import AuditLog
from kgfuse.commands import audit as audit_cli
from kgfuse.commands.audit import app as audit_app
from kgfuse.explanation import Explanation, RankedAnswer, RetrievedFact
from tests.test_kgfuse.test_audit import append, make_explanation

runner = CliRunner()
#: Terminal control sequences a forged note could carry: hide text, erase a line, a
#: hyperlink, BEL, an 8-bit CSI, DEL and a lone carriage return.
HOSTILE = (
    "tall thin\x1b[8m hidden \x1b[0m\r\x1b[2Kman \x1b]8;;http://evil/\x07link\x1b]8;;\x07"
    " \x9b2J\x7f"
)
CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))]


def _controls(text: str) -> list[str]:
    return sorted({c for c in text if c in CONTROLS})


def test_printable_escapes_controls_but_keeps_newlines_and_tabs() -> None:
    from kgfuse.explanation import printable

    assert printable("a\tb\nc\x1bd\x07\x9b\x00\r") == "a\tb\nc\\x1bd\\x07\\x9b\\x00\\x0d"
    assert printable("café – 東京") == "café – 東京"


def test_printable_escapes_bidirectional_controls() -> None:
    """A right-to-left override in a stored note cannot reorder the text an auditor reads."""
    from kgfuse.explanation import printable

    hostile = "score 0.1\u202e9.0\u202c \u2066x\u2069 \u200f\u061c"
    shown = printable(hostile)
    assert shown == "score 0.1\\u202e9.0\\u202c \\u2066x\\u2069 \\u200f\\u061c"
    assert not any(0x2000 <= ord(c) <= 0x206F or ord(c) == 0x061C for c in shown)
    assert printable("שלום עולם") == "שלום עולם"  # right-to-left letters stay as they are


@pytest.fixture
def hostile_db(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "audit.sqlite"
    explanation = Explanation(
        kind="ask\x1b[2K",
        input_text=HOSTILE,
        ranking=[RankedAnswer("http://x/D1", "D1\x1b[31mRED\x9b", 1.0, 0.5)],
        warnings=["w\x1b[2Kx"],
        metadata={"answer_text": "ans\x1b[5m", "intent": "x\x07"},
    )
    with AuditLog(db) as log:
        rid = log.record(explanation, {"question": HOSTILE}, config={"kg": "/k\x1b[1m"})
    return db, rid


def test_show_prints_stored_control_characters_as_escapes(hostile_db: tuple[Path, str]) -> None:
    db, rid = hostile_db
    res = runner.invoke(audit_app, ["show", rid, "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert _controls(res.stdout) == [], _controls(res.stdout)
    assert "tall thin\\x1b[8m hidden \\x1b[0m\\x0d\\x1b[2Kman" in res.stdout
    assert "D1\\x1b[31mRED\\x9b" in res.stdout and "\\x9b2J\\x7f" in res.stdout
    assert "KG         /k\\x1b[1m" in res.stdout
    # the stored record is unchanged
    res = runner.invoke(audit_app, ["show", rid, "--db", str(db), "--json"])
    assert json.loads(res.stdout)["explanation"]["input_text"] == HOSTILE


def test_list_cells_show_control_characters_as_escapes(hostile_db: tuple[Path, str]) -> None:
    db, _ = hostile_db
    res = runner.invoke(audit_app, ["list", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert _controls(res.stdout) == [], _controls(res.stdout)
    assert "\\x1b" in res.stdout


def test_verify_prints_differences_without_control_characters(
    hostile_db: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgfuse import audit

    db, rid = hostile_db
    monkeypatch.setitem(
        audit._REPLAYERS, "ask\x1b[2K", lambda rec: Explanation(warnings=["new\x1b[2J"])
    )
    res = runner.invoke(audit_app, ["verify", rid, "--db", str(db)])
    assert res.exit_code == 1 and "new\\x1b[2J" in res.stdout, res.output
    assert _controls(res.output) == []


# ---- scores stored as null -------------------------------------------------------------------
def test_show_renders_a_score_stored_as_null(tmp_path: Path) -> None:
    nan = float("nan")
    fact = CitedFact(None, "http://x/a", "http://x/p", "http://x/b")
    explanation = Explanation(
        input_text="nan case",
        ranking=[RankedAnswer("http://x/D1", "D1", nan, nan)],
        facts=[RetrievedFact(fact, float("inf"), nan)],
    )
    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as log:
        rid = log.record(explanation, {"text": "nan case"})
        assert log.get(rid).explanation.ranking[0].score is None  # stored as null
    res = runner.invoke(audit_app, ["show", rid, "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "1. D1 (http://x/D1)  score \u2013" in res.stdout
    assert "  \u2013  http://x/a" in res.stdout
    page = tmp_path / "report.html"
    res = runner.invoke(audit_app, ["show", rid, "--db", str(db), "--html", str(page)])
    assert res.exit_code == 0, res.output
    html = page.read_text(encoding="utf-8")
    assert "<td>&ndash;</td><td>&ndash;</td></tr>" in html  # the answer's score, probability
    assert "<tr><td>&ndash;</td><td>&ndash;</td>" in html  # the fact's score, attention
    assert "&amp;ndash;" not in html


# ---- layout ------------------------------------------------------------------------------------
def test_show_spaces_the_structured_input_fields(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    given = {"present_hpo": ["HP:0001166"], "excluded_hpo": ["HP:0001382"], "sex": "female"}
    with AuditLog(db) as log:
        rid = log.record(make_explanation("fingers"), given)
    res = runner.invoke(audit_app, ["show", rid, "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "  present:  HP:0001166\n" in res.stdout
    assert "  excluded: HP:0001382\n" in res.stdout
    assert "  sex:      female\n" in res.stdout


def test_list_at_80_columns_keeps_ids_kinds_and_numbers_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditLog(db) as log:
        ids = [append(log, f"long thin fingers {i}") for i in range(3)]
    # a console of its own: setting the shared one's width would outlive the test (the
    # undo writes the width back as a fixed width), and change later commands' output
    monkeypatch.setattr(audit_cli, "console", Console(width=80, emoji=False))
    res = runner.invoke(audit_app, ["list", "--db", str(db)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert "\u2026" not in res.stdout  # nothing cut
    for rid in ids:
        row = next(line for line in lines if rid[:12] in line)
        assert "test-diagnose" in row and "97.0%" in row and "0/0/0" in row, row
