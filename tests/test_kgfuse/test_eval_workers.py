"""``kgfuse eval diagnosis --workers N``: a model's passes ranked in N processes give the
report of one process, and a stopped run resumes with any number of workers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import eval.diagnosis as eval_module
from eval.diagnosis import ManyCaseRanker
from fusion.shortlist import RankingSettings
from kgfuse.cli import app
from kgfuse.evaluation_workers import EvalWorkerSettings, ModelWorkers

ROWS = [
    {"id": "c1", "present_hpo": ["HP:0001166", "HP:0001083"], "diseases": ["OMIM:154700"]},
    {
        "id": "c2",
        "present_hpo": ["HP:0000098"],
        "diseases": ["OMIM:154700"],
        "disease_onset": ["HP:0003577|Congenital onset"],
    },
    {"id": "c3", "present_hpo": ["HP:0001249"], "diseases": ["ORPHA:394"]},
    {"id": "c4", "text": "Tall with ectopia lentis.", "diseases": ["OMIM:154700"]},
]
#: What two reports of the same ranks may differ in: the times and the run's settings.
PER_RUN = ("latency_ms", "config", "config_hash")


def _cases(tmp_path: Path) -> Path:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return cases


def _evaluate(home: Path, model: Path, cases: Path, out: Path, *options: str) -> Any:
    args = ["eval", "diagnosis", "--cases", str(cases), "--model", str(model), "--out", str(out)]
    return CliRunner().invoke(app, [*args, "--home", str(home), "--resamples", "20", *options])


def _report(out: Path) -> dict[str, Any]:
    report = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    return {k: v for k, v in report.items() if k not in PER_RUN}


def test_workers_give_the_report_of_one_process(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    cases = _cases(tmp_path)
    result = _evaluate(mini_home, mini_model, cases, tmp_path / "one")
    assert result.exit_code == 0, result.output
    result = _evaluate(mini_home, mini_model, cases, tmp_path / "two", "--workers", "2")
    assert result.exit_code == 0, result.output
    one, two = _report(tmp_path / "one"), _report(tmp_path / "two")
    assert two == one
    names = [n for n in one["metrics"] if n.startswith("kgfuse ")]
    assert len(names) == 3  # the model, without its onset... and without the neural part
    ranks = [c["ranks"][names[0]]["present"] for c in one["cases"]]
    assert len(ranks) == 4 and all(r >= 1 for r in ranks[:2])  # c1, c2 ranked by the model
    config = json.loads((tmp_path / "two" / "diagnosis.json").read_text(encoding="utf-8"))
    assert config["config"]["workers"] == 2


def test_a_run_stopped_in_one_process_resumes_with_workers(
    mini_home: Path, mini_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = _cases(tmp_path)
    whole = tmp_path / "whole"
    assert _evaluate(mini_home, mini_model, cases, whole).exit_code == 0
    out = tmp_path / "out"
    real = eval_module.place_case
    placed: list[str] = []

    def stop_after_two(name: str, mode: str, ranker: Any, case: Any, i: int) -> Any:
        if name.startswith("kgfuse ") and len(placed) == 2:
            raise KeyboardInterrupt
        if name.startswith("kgfuse "):
            placed.append(case.id)
        return real(name, mode, ranker, case, i)

    with monkeypatch.context() as patch:
        patch.setattr(eval_module, "place_case", stop_after_two)
        stopped = _evaluate(mini_home, mini_model, cases, out)
    assert stopped.exit_code != 0 and not (out / "diagnosis.json").exists()
    result = _evaluate(mini_home, mini_model, cases, out, "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "resuming" in result.output  # the cases ranked before were read back
    assert _report(out) == _report(whole)


def test_a_worker_that_cannot_load_stops_the_run_with_its_reason(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    import shutil

    not_a_model = tmp_path / "empty"
    not_a_model.mkdir()  # refused before anything loads
    result = _evaluate(mini_home, not_a_model, _cases(tmp_path), tmp_path / "o", "--workers", "2")
    assert result.exit_code == 2
    said = result.output.replace("\n", "")
    assert f"no kgfuse model at {not_a_model}" in said and "could not load" not in said
    broken = tmp_path / "broken"
    shutil.copytree(mini_model, broken)
    # weights cut short: the folder looks whole (its listed items are there), and only
    # loading them, in the workers, finds the damage
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    result = _evaluate(mini_home, broken, _cases(tmp_path), tmp_path / "o", "--workers", "2")
    assert result.exit_code == 2
    said = result.output.replace("\n", "")
    assert "could not load" in said and str(broken) in said
    result = _evaluate(mini_home, not_a_model, _cases(tmp_path), tmp_path / "o", "--workers", "0")
    assert result.exit_code == 2 and "--workers" in result.output


def test_the_workers_ranker_ranks_as_one_process(mini_home: Path, mini_model: Path) -> None:
    from fusion.pipeline import Diagnoser
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.evaluation import model_ranker
    from kgfuse.resources import default_linker
    from train.phenopacket import case_from_dev_row

    kg = KnowledgeGraph.open(mini_home / "kgs" / "hpo")
    diagnoser = Diagnoser.load(mini_model, kg, linker=default_linker(kg))
    case = case_from_dev_row(ROWS[0], kg.hierarchy)
    ranking = RankingSettings()
    settings = EvalWorkerSettings(mini_model, kg.location, mini_home, ranking, "auto", False)
    with ModelWorkers(settings, 2) as workers:
        ranker = workers.ranker()
        assert isinstance(ranker, ManyCaseRanker)
        assert list(ranker(case)) == list(model_ranker(diagnoser)(case))
        [placed] = ranker.rank_many("m", "present", [case])
        alone = eval_module.place_case("m", "present", model_ranker(diagnoser), case, 0)
        assert (placed.better, placed.tied, placed.probabilities) == (
            alone.better,
            alone.tied,
            alone.probabilities,
        )
    with pytest.raises(ValueError, match="at least 2"):
        ModelWorkers(settings, 1)
