"""``kgfuse train --task ...`` and ``kgfuse predict`` on the legal KG with a tiny random BERT.

The legal walk-through of the README runs here on the shipped example sentences, with the
tiny encoder instead of MiniLM (the MiniLM run is at the end: in two epochs, and as written
within a minute in the ``slow`` test).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from encoders.text import int8_is_available
from fusion.tasks import TaskPredictor
from kg.knowledge_graph import KnowledgeGraph
from kgfuse.cli import app
from tests.legal_task_env import EXAMPLES, LegalTaskEnv
from train.task_data import load_task_data

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}
LEGAL = "https://example.org/legal#"
OFFENCES = ("theft", "burglary", "robbery", "assault", "mugging", "housebreaking", "stealing")
ELEMENTS = ("violence", "dishonesty", "recklessness", "appropriation", "use of force")


@pytest.fixture
def env(legal_task_env: LegalTaskEnv) -> LegalTaskEnv:
    return legal_task_env


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


def _train(env: LegalTaskEnv, task: str, data: Path, out: Path, *extra: str) -> Result:
    sets = [x for s in env.overrides(*extra) for x in ("--set", s)]
    return _invoke(
        "train", "--task", task, "--data", data, "--kg", env.kg, "-o", out, "--home", env.home,
        "-q", *sets,
    )  # fmt: skip


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_legal_examples_are_valid_and_name_offences_of_the_ontology(env: LegalTaskEnv) -> None:
    data = load_task_data(
        "text-classification", EXAMPLES / "legal_train.jsonl", EXAMPLES / "legal_valid.jsonl"
    )
    assert len(data.train) >= 30 and len(data.valid) >= 10
    kg = KnowledgeGraph.open(env.kg)
    offence_labels = {kg.labels[f"https://example.org/legal#{n}"] for n in ("Theft", "Burglary")}
    assert offence_labels == {"theft", "burglary"}
    assert set(data.labels) == {"theft", "burglary", "robbery", "assault"}


def test_legal_walkthrough_train_and_predict(env: LegalTaskEnv, tmp_path: Path) -> None:
    out = tmp_path / "legal-model"
    result = _train(
        env,
        "text-classification",
        EXAMPLES / "legal_train.jsonl",
        out,
        f"valid={EXAMPLES / 'legal_valid.jsonl'}",
    )
    assert result.exit_code == 0, result.output
    assert "text-classification model (4 labels)" in result.output
    assert re.search(r"\) on cpu in (fp32|bf16), ", result.output)  # where it trained
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "kgfuse_task"
    assert sorted(config["id2label"].values()) == ["assault", "burglary", "robbery", "theft"]
    assert config["problem_type"] == "single_label_classification"
    meta = json.loads((out / "kgfuse_model.json").read_text())
    assert meta["task"] == "text-classification" and meta["config_hash"]
    assert meta["kg_fingerprint"] == KnowledgeGraph.open(env.kg).fingerprint
    assert set(meta["best_valid"]) == {"accuracy", "macro_f1"}
    assert (out / "facts").is_dir() and (out / "config.yaml").is_file()

    inputs = tmp_path / "in.jsonl"
    inputs.write_bytes(
        b'{"id": "a", "text": "The mugging involved violence."}\n'
        b"not json\n"
        b'{"id": "c", "text": "   "}\n'
        b'{"id": "d", "text": "caf\xe9"}\n'
        b'{"id": "e", "text": "He broke into the house."}\n'
    )
    result = _invoke("predict", out, inputs, "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    assert "3 of 5 record(s) could not be labelled" in " ".join(result.output.split())
    records = _read(tmp_path / "out.jsonl")
    # a line the strict reader refuses still names its record where its id can be read
    assert [r["id"] for r in records] == ["a", "line-2", "c", "d", "e"]
    assert "not valid JSON" in records[1]["error"] and "line 2" in records[1]["error"]
    assert records[2]["error"] == "line 3: empty text"
    assert "not valid UTF-8" in records[3]["error"]
    good = records[0]
    assert good["label"] in good["scores"] and abs(sum(good["scores"].values()) - 1) < 1e-3
    assert {c["text"] for c in good["concepts"]} == {"mugging", "violence"}
    assert good["facts"] > 0  # the linked concepts brought facts into the model

    result = _invoke("predict", out, "--text", "She stole a purse with dishonesty.")
    assert result.exit_code == 0, result.output
    assert "label:" in result.output and "dishonesty" in result.output
    assert "--threshold" not in result.output
    # a threshold decides a multi-label model's labels only: said, not silently ignored
    result = _invoke("predict", out, "--text", "She stole a purse.", "--threshold", "0.1")
    assert result.exit_code == 0, result.output
    assert "--threshold decides the labels of a multi-label model" in " ".join(
        result.output.split()
    )

    # damaged folders: one line each; a pickled .bin in place of the weights is never read
    damaged = tmp_path / "damaged"
    shutil.copytree(out, damaged, ignore=shutil.ignore_patterns("checkpoint*"))
    weights = damaged / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    result = _invoke("predict", damaged, "--text", "She stole a purse.")
    assert result.exit_code == 2 and "cannot load the model at" in " ".join(result.output.split())
    weights.unlink()
    (damaged / "pytorch_model.bin").write_bytes(b"not read: unpickling runs code")
    result = _invoke("predict", damaged, "--text", "She stole a purse.")
    # the pickle beside it is never read: the folder lacks the weights it was saved with
    assert result.exit_code == 2 and "lacks model.safetensors" in " ".join(result.output.split())


def _spans_file(path: Path) -> Path:
    """The legal example sentences with their offence and element words as spans."""
    pattern = re.compile(r"\b(" + "|".join(OFFENCES + ELEMENTS) + r")\b", re.IGNORECASE)
    lines = []
    for record in _read(EXAMPLES / "legal_train.jsonl"):
        text = record["text"]
        spans = [
            {
                "start": m.start(),
                "end": m.end(),
                "label": "offence" if m.group(1).lower() in OFFENCES else "element",
            }
            for m in pattern.finditer(text)
        ]
        lines.append(json.dumps({"id": record["id"], "text": text, "spans": spans}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_token_classification_train_and_predict(env: LegalTaskEnv, tmp_path: Path) -> None:
    data = _spans_file(tmp_path / "spans.jsonl")
    out = tmp_path / "ner"
    result = _train(
        env,
        "token-classification",
        data,
        out,
        "model.fusion=entity_token",
        f"valid={data}",
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"]["0"] == "O"
    assert set(config["id2label"].values()) == {
        "O",
        "B-element",
        "I-element",
        "B-offence",
        "I-offence",
    }
    assert set(json.loads((out / "kgfuse_model.json").read_text())["best_valid"]) == {
        "precision",
        "recall",
        "f1",
    }
    text = "The robbery involved violence and some dishonesty."
    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps({"id": 1, "text": text}) + "\n" + '{"id": 2}\n')
    result = _invoke("predict", out, inputs, "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    first, second = _read(tmp_path / "out.jsonl")
    assert second == {"id": 2, "error": "line 2: 'text' must be a string"}
    for span in first["spans"]:  # an untrained tagger: only the form is checked
        assert 0 <= span["start"] < span["end"] <= len(text)
        assert span["text"] == text[span["start"] : span["end"]]
        assert span["label"] in ("offence", "element") and 0 <= span["score"] <= 1
    result = _invoke("predict", out, "--text", text)
    assert result.exit_code == 0, result.output
    if int8_is_available():  # the encoder in int8: the same spans
        int8_out = tmp_path / "out-int8.jsonl"
        result = _invoke("predict", out, inputs, "-o", int8_out, "--precision", "int8")
        assert result.exit_code == 0, result.output
        assert [s["text"] for s in _read(int8_out)[0]["spans"]] == [
            s["text"] for s in first["spans"]
        ]
    # a text past the token budget is read in sentence windows: nothing at its end is lost
    long_text = "The owner was at home. " * 60 + "Then came the mugging."
    (record,) = TaskPredictor.load(out).predict([long_text])
    (concept,) = record["concepts"]
    assert long_text[concept["start"] : concept["end"]] == "mugging"
    assert all(long_text[s["start"] : s["end"]] == s["text"] for s in record["spans"])
    # the tagger as a concept recogniser, alone and with the dictionary
    gold = tmp_path / "gold.jsonl"
    annotation = {"start": 4, "end": 11, "text": "robbery", "hpo_id": LEGAL + "Robbery"}
    gold.write_text(json.dumps({"id": "g1", "text": text, "annotations": [annotation]}) + "\n")
    for mode in ("ner", "combined"):
        result = _invoke(
            "eval", "link", "--gold", gold, "--kg", env.kg, "--ner", out, "--ner-mode", mode,
            "--repeats", "1", "--json", "--out", tmp_path / mode,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        report = json.loads(result.output[result.output.index("{") :])
        assert report["ner"]["mode"] == mode and report["ner"]["precision"] == "fp32"
        written = json.loads((tmp_path / mode / "eval_link.json").read_text())
        assert written["document"] == report["document"]
        markdown = (tmp_path / mode / "eval_link.md").read_text()
        low, high = report["document_f1_interval"]
        assert f"{report['document']['f1']:.3f} [{low:.3f}-{high:.3f}] |" in markdown
        if mode == "combined":  # the dictionary finds the robbery
            assert report["document"]["recall"] == 1.0


def test_distant_writes_token_classification_data(env: LegalTaskEnv, tmp_path: Path) -> None:
    out = tmp_path / "distant.jsonl"
    result = _invoke(
        "distant", "--kg", env.kg, "-o", out, "--patients", "0", "--names", "7",
        "--label", "concept",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = load_task_data("token-classification", out)
    assert len(data.train) == 7 and data.labels == ["concept"]


def test_train_task_errors_are_one_line_with_file_and_line(
    env: LegalTaskEnv, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"text": "a", "label": "x"}\n'
        '{"text": "theft", "spans": [{"start": 0, "end": 9, "label": "o"}]}\n'
    )
    result = _train(env, "token-classification", bad, tmp_path / "m")
    assert result.exit_code == 2
    assert "bad.jsonl:1: missing 'spans'" in result.output
    valid = tmp_path / "valid.jsonl"
    valid.write_text('{"text": "b", "label": "fraud"}\n')
    result = _train(
        env,
        "text-classification",
        EXAMPLES / "legal_train.jsonl",
        tmp_path / "m",
        f"valid={valid}",
    )
    assert result.exit_code == 2
    assert "valid.jsonl:1: unknown label 'fraud'" in result.output
    result = _invoke("train", "--task", "ranking", "--data", bad)
    assert result.exit_code == 2 and "text-classification, token-classification" in result.output
    result = _invoke("train", "--data", bad)
    assert result.exit_code == 2 and "--task" in result.output
    result = _invoke("predict", tmp_path, "--text", "x")
    assert result.exit_code == 2 and "kgfuse_model.json missing" in result.output


def _minilm_walkthrough(tmp_path: Path, *sets: str) -> None:
    """The README's legal walk-through (default MiniLM encoder, clean home): a KG, a
    text-classification model trained on the shipped examples, a burglary predicted."""
    legal = Path(__file__).parents[1] / "fixtures" / "legal" / "legal.ttl"
    home = tmp_path / "home"
    result = _invoke("kg", "build", legal, "-o", tmp_path / "legal-kg")
    assert result.exit_code == 0, result.output
    result = _invoke("eval", "names", "--kg", tmp_path / "legal-kg", "--home", home, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outcomes"]["own term"] == 25  # as the README says
    result = _invoke(
        "train", "--task", "text-classification", "--data", EXAMPLES / "legal_train.jsonl",
        "--valid", EXAMPLES / "legal_valid.jsonl", "--kg", tmp_path / "legal-kg",
        "-o", tmp_path / "legal-model", "--home", home, "-q",
        *[x for s in sets for x in ("--set", s)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "text-classification model (4 labels)" in result.output
    result = _invoke(
        "predict", tmp_path / "legal-model", "--text", "He forced the back door and took a laptop."
    )
    assert result.exit_code == 0, result.output
    assert "label: burglary" in result.output


def test_legal_walkthrough_with_minilm_in_two_epochs(tmp_path: Path) -> None:
    """The walk-through with the real default encoder, trained for two epochs instead of up
    to ten: the MiniLM package, its fact index and tokenizer on the CLI path."""
    _minilm_walkthrough(tmp_path, "train.epochs=2")


@pytest.mark.slow
def test_legal_walkthrough_with_minilm_under_a_minute(tmp_path: Path) -> None:
    """The README's walk-through as written, within the minute it promises."""
    started = time.perf_counter()
    _minilm_walkthrough(tmp_path)
    assert time.perf_counter() - started < 60


def test_a_config_that_names_its_task_trains_it_without_task(
    env: LegalTaskEnv, tmp_path: Path
) -> None:
    config = tmp_path / "best_config.yaml"  # as kgfuse tune writes it for a task search
    config.write_text(
        f"task: text-classification\ndata: {EXAMPLES / 'legal_train.jsonl'}\n", encoding="utf-8"
    )
    sets = [x for s in env.overrides() for x in ("--set", s)]
    out = tmp_path / "m"
    result = _invoke(
        "train", "--config", config, "--kg", env.kg, "-o", out, "--home", env.home, "-q", *sets
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "kgfuse_model.json").read_text())["task"] == "text-classification"


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("texts.csv", "id,text\na,He took the bike.\n", "texts.csv: kgfuse predict reads JSONL"),
        ("texts.json", '\ufeff [{"id": "a", "text": "x"}]', "texts.json holds a JSON array"),
    ],
)
def test_predict_refuses_csv_and_json_arrays_before_loading_a_model(
    tmp_path: Path, name: str, content: str, said: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "no-model"), str(path)])
    assert result.exit_code != 0
    assert said in " ".join(result.output.split())
    assert "no kgfuse model" not in result.output  # refused before the model was looked for
