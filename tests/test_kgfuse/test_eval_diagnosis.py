"""``kgfuse eval diagnosis`` with a model: ranks and the calibration of its probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from eval.diagnosis import Calibration, expected_calibration_error
from kgfuse.cli import app
from kgfuse.source_fingerprint import source_sha256


def test_expected_calibration_error_by_hand() -> None:
    # two bins: 0.9 (2 cases, 1 right) and 0.3 (2 cases, 1 right)
    confidence = np.array([0.9, 0.9, 0.3, 0.3])
    correct = np.array([1, 0, 1, 0])
    assert expected_calibration_error(confidence, correct) == pytest.approx(
        0.5 * abs(0.9 - 0.5) + 0.5 * abs(0.3 - 0.5)
    )
    assert expected_calibration_error(np.array([0.7, 0.7]), np.array([1, 0]), bins=1) == (
        pytest.approx(0.2)
    )
    calibration = Calibration.of(confidence, correct, np.array([0.9, 0.1, 0.3, 0.2]))
    assert calibration.cases == 4 and calibration.top1_accuracy == 0.5
    assert calibration.mean_top1_probability == pytest.approx(0.6)
    assert calibration.mean_truth_probability == pytest.approx(0.375)


def test_eval_diagnosis_reports_the_models_calibration(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    rows = [
        {"id": "c1", "present_hpo": ["HP:0001166", "HP:0001083"], "diseases": ["OMIM:154700"]},
        {"id": "c2", "present_hpo": ["HP:0000098"], "diseases": ["OMIM:154700"]},
        {"id": "c3", "present_hpo": ["HP:0001249"], "diseases": ["ORPHA:394"]},
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "report"
    args = ["eval", "diagnosis", "--cases", str(cases), "--model", str(mini_model)]
    result = CliRunner().invoke(app, [*args, "--home", str(mini_home), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    [(name, calibration)] = report["calibration"].items()  # the model, not the baselines
    # the same run ranks without the model too: what the neural part adds
    assert f"{name} without the model (prior + similarity)" in report["metrics"]
    # covered: among the baselines' (OMIM) candidates; ORPHA:394 is not
    assert [case["covered"] for case in report["cases"]] == [True, True, False]
    assert name.startswith("kgfuse ") and calibration["cases"] == 2
    ranks = [case["ranks"][name]["present"] for case in report["cases"][:2]]
    assert calibration["top1_accuracy"] == pytest.approx(np.mean([r == 1 for r in ranks]))
    assert 0.0 < calibration["mean_top1_probability"] <= 1.0
    assert 0.0 <= calibration["ece"] <= 1.0
    assert 0.0 < calibration["mean_truth_probability"] <= 1.0
    assert "Calibration of the probabilities" in (out / "diagnosis.md").read_text(encoding="utf-8")


def _calibration(home: Path, model: Path, rows: list[dict], out: Path) -> dict:
    cases = out.with_suffix(".jsonl")
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["eval", "diagnosis", "--cases", str(cases), "--model", str(model)]
    result = CliRunner().invoke(app, [*args, "--home", str(home), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    [calibration] = report["calibration"].values()
    return calibration


def test_calibration_keeps_each_case_without_or_with_repeated_ids(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    """The probabilities are kept by case position: rows without an id (or sharing one) do
    not overwrite each other."""
    rows = [
        {"present_hpo": ["HP:0001166", "HP:0001083"], "diseases": ["OMIM:154700"]},
        {"present_hpo": ["HP:0000098"], "diseases": ["OMIM:154700"]},
        {"present_hpo": ["HP:0001249", "HP:0001166"], "diseases": ["OMIM:154700"]},
    ]
    named = _calibration(
        mini_home, mini_model, [{"id": f"c{i}", **r} for i, r in enumerate(rows)], tmp_path / "a"
    )
    unnamed = _calibration(mini_home, mini_model, rows, tmp_path / "b")
    same = _calibration(mini_home, mini_model, [{"id": "x", **r} for r in rows], tmp_path / "c")
    assert named["cases"] == unnamed["cases"] == same["cases"] == 3
    assert unnamed == pytest.approx(named) and same == pytest.approx(named)


def test_eval_diagnosis_config_tells_samples_and_settings_apart(
    mini_home: Path, tmp_path: Path
) -> None:
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.evaluation import evaluate_diagnosis

    rows = [
        {"id": f"c{i}", "present_hpo": [term], "diseases": ["OMIM:154700"]}
        for i, term in enumerate(["HP:0001166", "HP:0000098", "HP:0001083"])
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kg = KnowledgeGraph.open(mini_home / "kgs" / "hpo")

    def run(**kwargs) -> dict:
        out = tmp_path / str(len(list(tmp_path.iterdir())))
        report = evaluate_diagnosis(kg, cases, out, n_resamples=10, progress=False, **kwargs)
        assert report.config["num_cases"] == 2
        return report.config | {"hash": report.config_hash}

    first, sampled = run(limit=2), run(sample=2)
    assert first["limit"] == 2 and first["sample"] is None and sampled["sample"] == 2
    assert first["hash"] != sampled["hash"]
    assert first["candidates"] == "OMIM" and "excluded_weight" in first["likelihood"]
    # a text's partial credit (ranking version 5) is a setting of its own
    from fusion.shortlist import RankingSettings

    credited = run(limit=2, ranking=RankingSettings(text_partial_credit=True))
    assert first["text_partial_credit"] is False and credited["text_partial_credit"] is True
    assert credited["hash"] != first["hash"]


def test_model_ranker_orders_every_candidate_as_the_diagnoser_does(
    mini_home: Path, mini_model: Path
) -> None:
    """The evaluation's keys, built from every candidate's scores without an entry per
    candidate, order the candidates as the diagnoser's full ranking does, with the same
    probabilities of the first disease and of the diagnosis."""
    from eval.diagnosis import Case
    from fusion.pipeline import Diagnoser
    from fusion.shortlist import RankingSettings
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.evaluation import diagnose_case, model_ranker

    kg = KnowledgeGraph.open(mini_home / "kgs" / "hpo", home=mini_home)
    for settings in ({}, {"shortlist": 2, "lead": 1, "pool": 3}, {"pool": 0}):
        ranking = RankingSettings(**settings)
        diagnoser = Diagnoser.load(mini_model, kg, precision="fp32", ranking=ranking)
        n = len(diagnoser.builder.candidates)
        rank = model_ranker(diagnoser)
        for present in (["HP:0001166", "HP:0001083"], ["HP:0000098"], ["HP:0001249"]):
            case = Case("c", present=tuple(present), diseases=("https://omim.org/entry/154700",))
            full = diagnose_case(diagnoser, case, top_k=n, trace_imputed=False)
            keys = dict(rank(case))
            assert set(keys) == {r.iri for r in full.ranking} and len(keys) == n
            ordered = [keys[r.iri] for r in full.ranking]
            assert ordered == sorted(ordered, reverse=True), settings  # same order, ties apart
            ranking = rank(case)
            assert ranking.top1_probability == full.ranking[0].probability
            truth = [r.probability for r in full.ranking if r.iri in case.diseases]
            assert len(truth) == 1  # the diagnosis is a candidate
            assert ranking.truth_probability == pytest.approx(sum(truth))


def test_a_ranking_without_the_model_is_the_prior_through_the_same_tiers(
    mini_home: Path, mini_model: Path
) -> None:
    """``neural=False`` (the evaluation's "without the model" ablation): the prior stands
    for the model's scores, the similarity and the tiers as with the model; probabilities
    are the prior's posterior; no place is said to be the model's."""
    from fusion.pipeline import Diagnoser
    from fusion.shortlist import RankingSettings, fill_values, shortlisted, tiered
    from kg.knowledge_graph import KnowledgeGraph

    kg = KnowledgeGraph.open(mini_home / "kgs" / "hpo", home=mini_home)
    diagnoser = Diagnoser.load(
        mini_model, kg, precision="fp32", ranking=RankingSettings(shortlist=2, lead=1, pool=3)
    )
    n = len(diagnoser.builder.candidates)
    present = ["HP:0001166", "HP:0001083"]
    with_model = diagnoser.diagnose("p", present=present, top_k=n, keep_scores=True)
    result = diagnoser.diagnose("p", present=present, top_k=n, keep_scores=True, neural=False)
    found = result.candidate_scores
    assert found is not None and with_model.candidate_scores is not None
    prior = with_model.candidate_scores.prior
    np.testing.assert_array_equal(found.prior, prior)  # the same prior as the model reads
    # the prior plus the weighted similarity inside the shortlist (for these 2 findings the
    # mean of its directions, the default's choice for a brief description), the prior elsewhere
    expected = prior.copy()
    inside = set(shortlisted(prior, 2).tolist())
    index = {iri: i for i, iri in enumerate(diagnoser.builder.candidates)}
    lifts = {index[r.iri]: r.shortlist_similarity for r in result.ranking}
    mean = diagnoser.similarity.score_candidates(present, sorted(inside), combine="funSimAvg")
    assert [lifts[i] for i in sorted(inside)] == pytest.approx(mean.tolist())
    assert all(lifts[i] is None for i in lifts if i not in inside)
    for i in inside:
        expected[i] += diagnoser.ranking.similarity_weight * lifts[i]
    np.testing.assert_allclose(found.scores, expected)
    fill = fill_values(prior, found.similarity, diagnoser.ranking.similarity_weight)
    order = tiered(found.scores, prior, fill, 2, 1, 3).order.tolist()
    assert [r.iri for r in result.ranking] == [diagnoser.builder.candidates[i] for i in order]
    assert {r.placed_by for r in result.ranking} <= {"prior+similarity", "prior"}
    posterior = 10.0 ** (prior - prior.max())
    np.testing.assert_allclose(found.probabilities, posterior / posterior.sum())
    assert [r.probability for r in result.ranking] == [found.probabilities[i] for i in order]


def test_eval_diagnosis_stopped_halfway_resumes(
    mini_home: Path, mini_model: Path, tmp_path: Path, stop_ranking: tuple[list[str], list[int]]
) -> None:
    rows = [
        {"id": f"c{i}", "present_hpo": [term], "diseases": ["OMIM:154700"]}
        for i, term in enumerate(["HP:0001166", "HP:0000098", "HP:0001083", "HP:0001249"])
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    base = ["eval", "diagnosis", "--cases", str(cases), "--model", str(mini_model)]
    base += ["--home", str(mini_home), "--resamples", "5"]
    runner = CliRunner()
    calls, stop_at = stop_ranking  # each case ranked; the call a "kill" stops the run at
    plain = tmp_path / "plain"
    first = runner.invoke(app, [*base, "--out", str(plain)])
    assert first.exit_code == 0, first.output
    assert "resuming" not in first.output
    assert not (plain / ".journal").exists()  # removed once the report is saved
    before = json.loads((plain / "diagnosis.json").read_text(encoding="utf-8"))
    [model] = before["config"]["models"].values()
    assert len(model["files_sha256"]) == 64 and before["config"]["kgfuse_version"]
    # the journal is keyed by the code too: an editable install's edits change no version
    assert before["config"]["kgfuse_code_sha256"] == source_sha256()
    total = len(calls)  # cases x (ranker, mode) passes
    assert total > 9

    out = tmp_path / "report"
    calls.clear()
    stop_at.append(9)
    stopped = runner.invoke(app, [*base, "--out", str(out)])
    assert stopped.exit_code == 130
    assert "the same command resumes" in stopped.output
    assert not (out / "diagnosis.json").exists()
    calls.clear()
    stop_at.clear()
    resumed = runner.invoke(app, [*base, "--out", str(out)])
    assert resumed.exit_code == 0, resumed.output
    assert "resuming" in resumed.output
    assert len(calls) == total - 9  # the 9 cases ranked before are read back
    assert not (out / ".journal").exists()
    again = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert again["metrics"] == before["metrics"]
    assert [c["ranks"] for c in again["cases"]] == [c["ranks"] for c in before["cases"]]
    assert again["calibration"] == before["calibration"]


def _baselines_cli(mini_home: Path, tmp_path: Path) -> list[str]:
    """``kgfuse eval diagnosis`` of 3 cases by the baselines only (a home without a model)."""
    rows = [
        {"id": f"c{i}", "present_hpo": [term], "diseases": ["OMIM:154700"]}
        for i, term in enumerate(["HP:0001166", "HP:0000098", "HP:0001083"])
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kg, home = mini_home / "kgs" / "hpo", tmp_path / "home"
    return [
        *("eval", "diagnosis", "--cases", str(cases), "--resamples", "5"),
        *("--kg", str(kg), "--home", str(home)),
    ]


def test_eval_diagnosis_says_it_resumes_only_what_it_reads_back(
    mini_home: Path, tmp_path: Path, stop_ranking: tuple[list[str], list[int]]
) -> None:
    base = _baselines_cli(mini_home, tmp_path)
    out = tmp_path / "out"
    _, stop_at = stop_ranking
    stop_at.append(4)  # stopped in the second pass
    runner = CliRunner()
    stopped = runner.invoke(app, [*base, "--out", str(out)])
    assert stopped.exit_code == 130 and "the same command resumes" in stopped.output
    stop_at.clear()
    # other settings in the same --out: the journal folder is there, but nothing matches
    other = runner.invoke(app, [*base, "--out", str(out), "--limit", "2"])
    assert other.exit_code == 0, other.output
    assert "resuming" not in other.output and "read back" not in other.output
    resumed = runner.invoke(app, [*base, "--out", str(out)])
    assert resumed.exit_code == 0, resumed.output
    lines = [x for x in resumed.output.splitlines() if x.startswith("resuming")]
    assert [x.split(" read back from ")[0] for x in lines] == [
        "resuming Resnik one-sided (present): 3 of 3 cases",
        "resuming LIRICAL-style LR (present): 1 of 3 cases",
    ]
    assert all(str(out / ".journal") in x and "delete the file" in x for x in lines)
    assert not (out / ".journal").exists()


def test_eval_diagnosis_refuses_a_busy_report_folder_before_loading(
    mini_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from kg.knowledge_graph import KnowledgeGraph
    from kg.locks import exclusive_lock

    opened: list[object] = []
    monkeypatch.setattr(KnowledgeGraph, "open", lambda *a, **k: opened.append(a))
    out = tmp_path / "out"
    (out / ".journal").mkdir(parents=True)
    with exclusive_lock(out / ".journal" / ".lock", AssertionError):  # another evaluation
        result = CliRunner().invoke(app, [*_baselines_cli(mini_home, tmp_path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(
        f"error: another evaluation (process {os.getpid()}) is writing to {out / '.journal'}"
    )
    assert opened == []  # refused before the KG loads
    assert sorted(p.name for p in (out / ".journal").iterdir()) == [".lock"]


def test_eval_diagnosis_holds_its_journal_from_before_loading_to_the_end(
    mini_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eval.rank_journal as rank_journal
    from eval.diagnosis import EvalReport
    from eval.rank_journal import JournalBusyError
    from kg.knowledge_graph import KnowledgeGraph
    from kg.locks import exclusive_lock

    out = tmp_path / "out"
    folder = out / ".journal"

    def held() -> bool:
        try:
            with exclusive_lock(folder / ".lock", JournalBusyError):
                return False
        except JournalBusyError:
            return True

    seen: list[tuple[str, bool]] = []
    taken: list[Path] = []
    open_kg, save, lock = KnowledgeGraph.open, EvalReport.save, rank_journal.exclusive_lock

    def opening(*args, **kwargs):
        seen.append(("KG", held()))
        return open_kg(*args, **kwargs)

    def saving(self, out_dir):
        seen.append(("report", held()))
        return save(self, out_dir)

    def locking(path, busy, **kwargs):
        taken.append(path)
        return lock(path, busy, **kwargs)

    monkeypatch.setattr(KnowledgeGraph, "open", opening)
    monkeypatch.setattr(EvalReport, "save", saving)
    monkeypatch.setattr(rank_journal, "exclusive_lock", locking)
    result = CliRunner().invoke(app, [*_baselines_cli(mini_home, tmp_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert seen == [("KG", True), ("report", True)]
    assert taken == [folder / ".lock"]  # taken once, not let go and taken again
    assert not folder.exists()
