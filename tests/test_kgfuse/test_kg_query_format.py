"""``kgfuse kg query --format``, and ``--output`` as its deprecated old name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from kg.store import build_kg
from kgfuse.cli import app

LEGAL = "https://example.org/legal#"
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}  # wide enough that messages keep one line
QUERY = (
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label . "
    f"?s rdfs:subClassOf+ <{LEGAL}MensRea> }} ORDER BY ?label"
)
ROWS = [
    {"s": LEGAL + "Dishonesty", "label": "dishonesty"},
    {"s": LEGAL + "IntentToDeprive", "label": "intention to permanently deprive"},
    {"s": LEGAL + "Recklessness", "label": "recklessness"},
]


@pytest.fixture(scope="module")
def legal_kg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("kgs") / "legal"
    fixtures = Path(__file__).parents[1] / "fixtures"
    build_kg([fixtures / "legal" / "legal.ttl"], dest, progress=False)
    return dest


def _query(legal_kg: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["kg", "query", QUERY, "--kg", str(legal_kg), *args], env=ENV)


@pytest.mark.parametrize("flag", ["--format", "-f"])
def test_format_json_writes_json(legal_kg: Path, flag: str) -> None:
    result = _query(legal_kg, flag, "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == ROWS
    assert "deprecated" not in result.stderr


def test_output_alias_still_works_and_warns(legal_kg: Path) -> None:
    result = _query(legal_kg, "--output", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == ROWS
    notice = result.stderr.strip()
    assert len(notice.splitlines()) == 1
    assert "--output is deprecated" in notice and "--format" in notice


@pytest.mark.parametrize("fmt", ["--format", "-f"])
def test_format_and_output_together_refused(legal_kg: Path, fmt: str) -> None:
    result = _query(legal_kg, fmt, "json", "--output", "csv")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--format" in result.stderr and "--output" in result.stderr


def test_format_and_output_together_refused_even_when_equal_to_default(legal_kg: Path) -> None:
    result = _query(legal_kg, "--format", "table", "--output", "table")

    assert result.exit_code == 2
    assert result.stdout == ""


def test_output_alias_hidden_from_help() -> None:
    result = CliRunner().invoke(app, ["kg", "query", "--help"], env=ENV)

    assert result.exit_code == 0
    assert "--format" in result.stdout
    assert "--output" not in result.stdout


def test_table_footer_names_format(legal_kg: Path) -> None:
    result = _query(legal_kg, "--limit", "1")

    assert result.exit_code == 0, result.output
    assert "--format csv" in result.stdout
