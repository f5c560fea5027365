"""``kgfuse eval compare`` on two ``kgfuse eval link --out`` reports (``eval/link_changes.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.link_changes import compare_link_reports, is_link_report, read_link_report
from kgfuse.cli import app


def _concept(curie: str, text: str) -> dict[str, Any]:
    return {"curie": curie, "label": f"label of {curie}", "texts": [text], "near": False}


def _run(folder: Path, errors: list[dict[str, Any]], documents: int = 3, f1: float = 0.5) -> Path:
    folder.mkdir()
    lines = "".join(json.dumps(e) + "\n" for e in errors)
    (folder / "eval_link_errors.jsonl").write_text(lines, encoding="utf-8")
    figures = {"num_documents": documents, "document": {"precision": 0.9, "recall": 0.4, "f1": f1}}
    (folder / "eval_link.json").write_text(json.dumps(figures), encoding="utf-8")
    return folder


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    a = _run(
        tmp_path / "a",
        [
            {"id": "d1", "false": [_concept("HP:1", "x")], "missed": [_concept("HP:2", "two")]},
            {"id": "d2", "false": [], "missed": [_concept("HP:3", "three")]},
        ],
    )
    b = _run(
        tmp_path / "b",
        [
            # d1: HP:2 now found and HP:1 no longer false; d3 (perfect in A) now misses HP:4
            {"id": "d1", "false": [], "missed": []},
            {"id": "d2", "false": [_concept("HP:5", "five")], "missed": [_concept("HP:3", "3")]},
            {"id": "d3", "false": [], "missed": [_concept("HP:4", "four")]},
        ],
        f1=0.6,
    )
    return a, b


def test_changes_by_document(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    assert is_link_report(a) and is_link_report(b / "eval_link_errors.jsonl")
    changes = compare_link_reports(read_link_report(a), read_link_report(b))
    pairs = {k: [(r["id"], r["curie"]) for r in v] for k, v in changes.changes.items()}
    assert pairs == {
        "gained": [("d1", "HP:2")],
        "lost": [("d3", "HP:4")],
        "added": [("d2", "HP:5")],
        "removed": [("d1", "HP:1")],
    }
    assert changes.changes["gained"][0]["texts"] == ["two"]
    assert changes.figures["a"]["f1"] == 0.5 and changes.figures["b"]["f1"] == 0.6
    markdown = changes.to_markdown()
    assert "| d3 | label of HP:4 (HP:4) | four |" in markdown
    assert "gained 1 (found in B, missed in A); lost 1" in markdown
    assert changes.to_dict()["frequent"]["added"] == [
        {"curie": "HP:5", "label": "label of HP:5", "documents": 1}
    ]


def test_a_run_compared_with_itself_changes_nothing(tmp_path: Path) -> None:
    a, _ = _pair(tmp_path)
    changes = compare_link_reports(read_link_report(a), read_link_report(a))
    assert all(rows == [] for rows in changes.changes.values())


def test_bad_link_reports_are_named(tmp_path: Path) -> None:
    a, _ = _pair(tmp_path)
    other = _run(tmp_path / "other", [], documents=68)
    with pytest.raises(ValueError, match="A evaluated 3 documents and B 68"):
        compare_link_reports(read_link_report(a), read_link_report(other))
    with pytest.raises(FileNotFoundError, match="no eval_link_errors.jsonl"):
        read_link_report(tmp_path / "absent")
    bad = tmp_path / "bad"
    bad.mkdir()
    for text, message in (
        ('{"id": "d1"}\n{"id": "d1"}\n', "'d1' is given twice"),
        ("not json\n", "line 1 is not JSON"),
        ('{"false": []}\n', "no id"),
        ('{"id": "d1", "false": [{"texts": []}]}\n', "has no curie"),
        ("[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
    ):
        (bad / "eval_link_errors.jsonl").write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            read_link_report(bad)


def test_cli_compares_link_reports_and_refuses_a_mix(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    result = CliRunner().invoke(app, ["eval", "compare", str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"] == {"gained": 1, "lost": 1, "added": 1, "removed": 1}
    diagnosis = tmp_path / "diagnosis.json"
    diagnosis.write_text(json.dumps({"cases": []}), encoding="utf-8")
    mixed = CliRunner().invoke(app, ["eval", "compare", str(a), str(diagnosis)])
    assert mixed.exit_code == 2
    assert "A is a concept-recognition report and the other is not" in mixed.output
    ranker = CliRunner().invoke(app, ["eval", "compare", str(a), str(b), "--ranker-a", "x"])
    assert ranker.exit_code == 2
    assert "go with diagnosis reports" in ranker.output
