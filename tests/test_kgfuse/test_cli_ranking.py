"""``kgfuse diagnose --lead/--pool``: the ranking's tiers chosen on the command line, audited."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kgfuse.audit import AuditLog
from kgfuse.cli import app

TEXT = "Tall with arachnodactyly and ectopia lentis."


def _diagnose(home: Path, model: Path, out: Path, *options: str):
    args = ["diagnose", "--text", TEXT, "-o", str(out), "--model", str(model)]
    return CliRunner().invoke(app, [*args, "--home", str(home), *options])


def _diagnosed(home: Path, model: Path, out: Path, *options: str) -> tuple[dict, dict]:
    """The output record of a diagnosis that succeeded, and the config its audit record keeps."""
    result = _diagnose(home, model, out, *options)
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    config = AuditLog(home / "audit.sqlite").get(record["audit_id"]).to_dict()["config"]
    return record, config


def test_lead_and_pool_order_the_ranking_and_are_audited(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    rankings = {}
    for pool in ("0", "3"):
        out = tmp_path / f"pool{pool}.jsonl"
        record, config = _diagnosed(mini_home, mini_model, out, "--lead", "1", "--pool", pool)
        rankings[pool] = record["ranking"]
        assert (config["lead"], config["pool"]) == (1, int(pool))
    tiered = rankings["3"]
    # with a pool of every candidate, each has its similarity, and after the first the
    # ranking follows the prior plus the weighted similarity (default weight 4)
    assert len(tiered) == 3 and all(r["similarity"] is not None for r in tiered)
    fill = [r["prior"] + 4.0 * r["similarity"] for r in tiered[1:]]
    assert fill == sorted(fill, reverse=True)
    assert tiered[0]["curie"] == rankings["0"][0]["curie"]
    assert [r["placed_by"] for r in tiered] == ["model", "prior+similarity", "prior+similarity"]


def test_a_negative_pool_or_lead_is_refused(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    for option in ("--pool", "--lead"):
        result = _diagnose(mini_home, mini_model, tmp_path / "out.jsonl", option, "-1")
        assert result.exit_code == 2 and option in result.output
        assert not (tmp_path / "out.jsonl").exists()


def test_the_shortlists_similarity_is_chosen_shown_and_audited(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    records = {}
    for combine in ("BMA", "funSimAvg"):
        out = tmp_path / f"{combine}.jsonl"
        record, config = _diagnosed(mini_home, mini_model, out, "--shortlist-similarity", combine)
        assert config["shortlist_similarity"] == combine
        records[combine] = {r["curie"]: r for r in record["ranking"]}
    shortlisted = [c for c, r in records["BMA"].items() if r["shortlist_similarity"] is not None]
    assert shortlisted
    for curie in shortlisted:
        bma, mean = records["BMA"][curie], records["funSimAvg"][curie]
        # the pool's similarity is the best-match average either way; by default it is also
        # what the score holds, and the mean of the directions only when asked
        assert bma["similarity"] == mean["similarity"] == bma["shortlist_similarity"]
        lift = 4.0 * (mean["shortlist_similarity"] - bma["shortlist_similarity"])
        assert abs(mean["score"] - bma["score"] - lift) < 1e-4
    assert any(
        records["funSimAvg"][c]["shortlist_similarity"] != records["BMA"][c]["similarity"]
        for c in shortlisted
    )


def test_an_unknown_shortlist_similarity_is_refused_before_loading(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    result = _diagnose(mini_home, mini_model, out, "--shortlist-similarity", "max")
    assert result.exit_code == 2 and "--shortlist-similarity" in result.output
    shown = " ".join(result.output.replace("│", " ").split())  # the error box wraps lines
    assert "'max'; choose one of auto, BMA, funSimAvg" in shown
    assert not out.exists()


def test_the_terminal_names_each_finding_beside_its_id(mini_home: Path, mini_model: Path) -> None:
    """A clinician read the bare ids of ``--text``'s first line as noise."""
    args = ["diagnose", "--text", "Arachnodactyly; no ectopia lentis.", "--no-audit"]
    result = CliRunner().invoke(app, [*args, "--model", str(mini_model), "--home", str(mini_home)])
    assert result.exit_code == 0, result.output
    first = " ".join(result.output.split("\n", 2)[:2])
    assert "Arachnodactyly (HP:0001166)" in first and "no Ectopia lentis (HP:0001083)" in first


def test_a_texts_partial_credit_is_chosen_and_audited(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    for option, on in (("--text-partial-credit", True), ("--no-text-partial-credit", False)):
        out = tmp_path / f"{on}.jsonl"
        _, config = _diagnosed(mini_home, mini_model, out, option)
        assert config["text_partial_credit"] is on


def test_a_decision_recorded_before_ranking_version_5_replays_without_it() -> None:
    from kgfuse.diagnosis import recorded_ranking

    assert recorded_ranking({"similarity_weight": 4.0}).text_partial_credit is False
    assert recorded_ranking({"text_partial_credit": True}).text_partial_credit is True
