"""Distant supervision data: spans known by construction, on the mini HPO and legal KGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import train.distant as distant_module
from kg.knowledge_graph import KnowledgeGraph
from kg.store import build_kg
from train.distant import (
    DistantConfig,
    context_sentence,
    distant_examples,
    short_definitions,
    write_distant_data,
)
from train.task_data import load_task_data

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HP = "http://purl.obolibrary.org/obo/HP_"


@pytest.fixture(scope="module")
def hpo_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    dest = tmp_path_factory.mktemp("hpo") / "kg"
    build_kg(["hpo"], dest, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    return KnowledgeGraph.open(dest)


def test_short_definitions_become_phrases(hpo_kg: KnowledgeGraph) -> None:
    defs = short_definitions(hpo_kg)
    assert defs[HP + "0001166"] == "abnormally long and slender fingers"
    assert all(not d.endswith(".") and "(" not in d for d in defs.values())


def test_spans_name_their_concepts(hpo_kg: KnowledgeGraph) -> None:
    config = DistantConfig(patients=20, name_sentences=20, allowed_roots=("HP:0000118",))
    records = list(distant_examples(hpo_kg, config))
    assert len(records) == 40
    names = {e.text.lower() for e in hpo_kg.lexicon} | {
        d.lower() for d in short_definitions(hpo_kg).values()
    }
    seen = set()
    for rec in records:
        for span in rec["spans"]:
            surface = rec["text"][span["start"] : span["end"]]
            assert surface.lower() in names, surface
            assert span["label"] == "phenotype"
            seen.add(surface.lower())
    assert "phenotypic abnormality" not in seen  # the root is too general to be named
    again = list(distant_examples(hpo_kg, config))
    assert again == records  # seeded


def test_written_data_trains_as_token_classification(
    tmp_path: Path, legal_task_env, caplog: pytest.LogCaptureFixture
) -> None:
    kg = KnowledgeGraph.open(legal_task_env.kg)
    path = tmp_path / "distant.jsonl"
    with caplog.at_level("WARNING", logger="train.distant"):
        n = write_distant_data(
            kg, path, DistantConfig(patients=5, name_sentences=12, label="concept")
        )
    assert n == 12  # the legal KG has no annotations: no simulated patients, and it is said
    assert "the KG has no annotated subjects" in caplog.text
    data = load_task_data("token-classification", path)
    assert data.labels == ["concept"] and len(data.train) == 12


def test_a_run_killed_halfway_leaves_the_earlier_file(
    tmp_path: Path, legal_task_env, monkeypatch
) -> None:
    kg = KnowledgeGraph.open(legal_task_env.kg)
    path = tmp_path / "distant.jsonl"
    path.write_text("earlier\n", encoding="utf-8")
    real = distant_module.distant_examples

    def dies_after_three(*args, **kwargs):
        for n, rec in enumerate(real(*args, **kwargs)):
            if n == 3:
                raise KeyboardInterrupt("simulated kill")
            yield rec

    monkeypatch.setattr(distant_module, "distant_examples", dies_after_three)
    with pytest.raises(KeyboardInterrupt):
        write_distant_data(kg, path, DistantConfig(patients=5, name_sentences=12, label="c"))
    assert path.read_text(encoding="utf-8") == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["distant.jsonl"]  # no temporary left


def test_definitions_stand_for_their_terms(hpo_kg: KnowledgeGraph) -> None:
    config = DistantConfig(patients=0, name_sentences=30, definition_rate=1.0, seed=3)
    surfaces = {
        rec["text"][s["start"] : s["end"]].lower()
        for rec in distant_examples(hpo_kg, config)
        for s in rec["spans"]
    }
    assert "abnormally long and slender fingers" in surfaces
    assert "arachnodactyly" not in surfaces and "spider fingers" not in surfaces


def test_context_sentences_surround_the_findings_and_name_none(hpo_kg: KnowledgeGraph) -> None:
    config = DistantConfig(patients=10, name_sentences=10, context_rate=1.0, seed=5)
    plain = DistantConfig(patients=10, name_sentences=10, context_rate=0.0, seed=5)
    with_context, without = (
        list(distant_examples(hpo_kg, config)),
        list(distant_examples(hpo_kg, plain)),
    )
    names = {e.text.lower() for e in hpo_kg.lexicon} | {
        d.lower() for d in short_definitions(hpo_kg).values()
    }
    for rec in with_context:
        text, spans = rec["text"], rec["spans"]
        assert all(text[s["start"] : s["end"]].lower() in names for s in spans)
        # at least one sentence after the last finding, and it names nothing
        tail = text[max(s["end"] for s in spans) :] if spans else text
        assert tail.count(".") >= 1 and not any(n in tail.lower() for n in names if len(n) > 3)
    assert sum(len(r["text"]) for r in with_context) > sum(len(r["text"]) for r in without)
    rng = np.random.default_rng(0)
    sentences = {context_sentence(rng) for _ in range(200)}
    assert len(sentences) > 50 and all(t.endswith(".") and "{" not in t for t in sentences)
    # a subject is capitalised only where it opens the sentence
    assert any(" the child " in t for t in sentences)
    assert not any(" The child" in t or " She " in t or " He " in t for t in sentences)


def test_distant_config_checks_values() -> None:
    with pytest.raises(ValueError, match="definition_rate"):
        DistantConfig(definition_rate=2.0)
    with pytest.raises(ValueError, match="context_rate"):
        DistantConfig(context_rate=-0.1)
