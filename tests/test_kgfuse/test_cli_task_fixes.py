"""``kgfuse train --task`` and ``kgfuse predict`` on what used to go wrong: error records
named by line rather than by the record's id, long texts read only in part, failed runs
that left an output folder holding ``.lock`` alone, a small user ontology refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from kgfuse.cli import app
from tests.legal_task_env import EXAMPLES, LegalTaskEnv

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


def _invoke(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


def _train(env: LegalTaskEnv, task: str, data: Path, out: Path, *extra: str, kg=None) -> Result:
    sets = [x for s in env.overrides(*extra) for x in ("--set", s)]
    return _invoke(
        "train", "--task", task, "--data", data, "--kg", kg or env.kg, "-o", out,
        "--home", env.home, "-q", *sets,
    )  # fmt: skip


def test_predict_names_bad_records_by_their_id_and_reads_long_texts_whole(
    legal_task_env: LegalTaskEnv, tmp_path: Path
) -> None:
    out = tmp_path / "m"
    result = _train(
        legal_task_env,
        "text-classification",
        EXAMPLES / "legal_valid.jsonl",
        out,
        "model.fusion=text_only",
        "model.max_length=16",
        "train.epochs=1",
    )
    assert result.exit_code == 0, result.output
    head = "The owner was at home. " * 4
    inputs = tmp_path / "in.jsonl"
    inputs.write_text(
        '{"id": "h", "text": "x \\ud800 y"}\n'  # refused by the strict reader: id still read
        '{"id": "n", "text": NaN}\n'
        '{"id": 7, "text": "caf\\udce9"}\n'
        "not json\n"
        '{"text": "x \\ud800"}\n'  # no id: the line
        f'{{"id": "long", "text": "{head}Then came the mugging."}}\n'
        '{"id": "short", "text": "He took the house."}\n',
        encoding="utf-8",
    )
    result = _invoke("predict", out, inputs, "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["h", "n", 7, "line-4", "line-5", "long", "short"]
    assert all("error" in r for r in records[:5])
    assert records[0]["error"].startswith("line 1 is not valid Unicode")
    long, short = records[5:]
    assert re.search(r"read in \d+ windows", long["warnings"][0]) and "warnings" not in short
    result = _invoke("predict", out, "--text", head + "Then came the mugging.")
    assert result.exit_code == 0, result.output
    assert "warning: the text is longer than the 16 tokens" in " ".join(result.output.split())


def test_failed_runs_leave_no_output_folder(legal_task_env: LegalTaskEnv, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "x"}\n{"text": ""}\n', encoding="utf-8")
    good = EXAMPLES / "legal_valid.jsonl"
    runs = [
        (("text-classification", bad, tmp_path / "a"), {}, "bad.jsonl:2: empty text"),
        (("text-classification", tmp_path / "none.jsonl", tmp_path / "b"), {}, "not found"),
        (
            ("text-classification", good, tmp_path / "c"),
            {"kg": tmp_path / "no-kg"},
            "no knowledge graph at",
        ),
        (
            ("token-classification", good, tmp_path / "d", "model.fusion=kg_only"),
            {},
            "kg_only reads no text",
        ),
    ]
    for args, kwargs, message in runs:
        result = _train(legal_task_env, *args, **kwargs)
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.output.split())
        assert not args[2].exists(), args  # type: ignore[attr-defined]


def test_a_three_class_ontology_trains(legal_task_env: LegalTaskEnv, tmp_path: Path) -> None:
    ttl = tmp_path / "small.ttl"
    ttl.write_text(
        "@prefix ex: <http://ex.org/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        'ex:Theft a owl:Class ; rdfs:label "theft" .\n'
        'ex:Robbery a owl:Class ; rdfs:subClassOf ex:Theft ; rdfs:label "robbery" .\n'
        'ex:Assault a owl:Class ; rdfs:label "assault" .\n',
        encoding="utf-8",
    )
    result = _invoke("kg", "build", ttl, "-o", tmp_path / "small_kg")
    assert result.exit_code == 0, result.output
    data = tmp_path / "d.jsonl"
    data.write_text(
        '{"text": "a theft", "label": "theft"}\n{"text": "the robbery", "label": "robbery"}\n',
        encoding="utf-8",
    )
    for fusion in ("text_only", "entity_token"):
        result = _train(
            legal_task_env,
            "text-classification",
            data,
            tmp_path / fusion,
            f"model.fusion={fusion}",
            "train.epochs=1",
            kg=tmp_path / "small_kg",
        )
        assert result.exit_code == 0, result.output
        assert "text-classification model (2 labels)" in " ".join(result.output.split())
