"""``kgfuse facts`` on the mini HPO KG with a tiny random encoder: search, and re-indexing
into another kind or shard count."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kgfuse.cli import app
from tests.tiny_bert import write_tiny_bert

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _facts(runner: CliRunner, home: Path, encoder: Path, index: Path, *extra: str) -> dict:
    args = ["facts", "marfan syndrome", "--json", "--home", str(home)]
    args += ["--encoder", str(encoder), "--index", str(index), "-k", "5", *extra]
    result = runner.invoke(app, args, env=ENV)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # progress bars go to stderr


def test_facts_reindexes_into_shards_and_back(mini_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    encoder = write_tiny_bert(tmp_path / "bert", [])
    index = tmp_path / "facts"
    first = _facts(runner, mini_home, encoder, index)
    assert first["index"]["kind"] == "flat" and first["index"]["shards"] == 1
    assert len(first["facts"]) == 5
    sharded = _facts(runner, mini_home, encoder, index, "--shards", "2")
    assert sharded["index"]["shards"] == 2
    # the cache now holds the sharded index; exact search in shards ranks the same facts
    again = _facts(runner, mini_home, encoder, index)
    assert again["index"]["shards"] == 2
    key = [(f["annotation"], round(f["score"], 5)) for f in first["facts"]]
    assert [(f["annotation"], round(f["score"], 5)) for f in sharded["facts"]] == key
    table = runner.invoke(
        app,
        ["facts", "[/] marfan syndrome", "--home", str(mini_home), "--encoder", str(encoder)]
        + ["--index", str(index), "-k", "3"],
        env=ENV,
    )
    assert table.exit_code == 0 and "flat, 2 shards)" in table.stdout
    assert "for '[/] marfan syndrome'" in table.stdout  # the query as typed, not as markup
    back = _facts(runner, mini_home, encoder, index, "--shards", "1")
    assert back["index"]["shards"] == 1


def test_facts_rejects_a_shard_count_below_one(mini_home: Path) -> None:
    result = CliRunner().invoke(app, ["facts", "x", "--shards", "0", "--home", str(mini_home)])
    assert result.exit_code != 0 and "--shards" in result.output


def test_facts_refuses_a_blank_query(mini_home: Path, tmp_path: Path) -> None:
    encoder = write_tiny_bert(tmp_path / "bert", [])
    args = ["facts", "  ", "--home", str(mini_home), "--encoder", str(encoder)]
    result = CliRunner().invoke(app, [*args, "--index", str(tmp_path / "facts")], env=ENV)
    assert result.exit_code == 2 and "the query is empty" in result.output


def test_facts_refuses_an_index_folder_of_another_kg(mini_home: Path, tmp_path: Path) -> None:
    from encoders.text import TextEncoder, TextEncoderConfig
    from fusion.retrieval import FactIndex
    from kg.knowledge_graph import KnowledgeGraph
    from kg.store import build_kg

    encoder = write_tiny_bert(tmp_path / "bert", [])
    legal = FIXTURES / "legal" / "legal.ttl"
    build_kg([legal], tmp_path / "legal", progress=False)
    other = KnowledgeGraph.open(tmp_path / "legal")
    index = tmp_path / "facts"
    text = TextEncoder(TextEncoderConfig(model_path=str(encoder), device="cpu"))
    FactIndex.build(other, text_encoder=text).save(index)
    args = ["facts", "marfan syndrome", "--home", str(mini_home), "--encoder", str(encoder)]
    args += ["--index", str(index)]
    refused = CliRunner().invoke(app, args, env={**ENV, "COLUMNS": "2000"})
    assert refused.exit_code == 2, refused.output
    assert str(index) in refused.output and "--rebuild" in refused.output
    assert FactIndex.load(index, other).fingerprint == other.fingerprint  # left alone
    rebuilt = CliRunner().invoke(app, [*args, "--rebuild", "--json"], env=ENV)
    assert rebuilt.exit_code == 0, rebuilt.output
