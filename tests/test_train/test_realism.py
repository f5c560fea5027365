"""Tests of train.realism (simulated against real findings) on the mini HPO KG."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.errors import UnknownTermError
from kg.namespaces import to_iri
from train.realism import RELATIONS, compare_with_cases, finding_mix
from train.simulate import PatientSimulator, SimulationConfig

HOMOCYSTINURIA = to_iri("ORPHA:394")
# Homocystinuria's positive annotations in the mini KG: these four (and an onset)
ECTOPIA_LENTIS, ARACHNODACTYLY = "HP:0001083", "HP:0001166"
EYE, MUSCULOSKELETAL = "HP:0000478", "HP:0033127"  # their parents
AORTIC_ROOT_ANEURYSM = "HP:0002616"  # cardiovascular: not annotated to it


@pytest.fixture(scope="module")
def sim(kg) -> PatientSimulator:
    return PatientSimulator(kg.hierarchy, kg.annotations)


def test_relation_and_shared_depth(sim) -> None:
    assert sim.relation(HOMOCYSTINURIA, ECTOPIA_LENTIS) == "annotated"
    assert sim.relation(HOMOCYSTINURIA, EYE) == "less_specific"
    assert sim.relation(HOMOCYSTINURIA, AORTIC_ROOT_ANEURYSM) == "unrelated"
    # the aneurysm shares only "Phenotypic abnormality" (depth 1) with the disease's terms
    assert sim.shared_depth(HOMOCYSTINURIA, AORTIC_ROOT_ANEURYSM) == 1
    assert sim.shared_depth(HOMOCYSTINURIA, ECTOPIA_LENTIS) == 3
    with pytest.raises(UnknownTermError):
        sim.relation(HOMOCYSTINURIA, "HP:9999999")
    with pytest.raises(UnknownTermError):
        sim.relation("OMIM:000000", ECTOPIA_LENTIS)


def test_finding_mix_counts_each_relation(sim) -> None:
    patients = [
        (HOMOCYSTINURIA, [ECTOPIA_LENTIS, ARACHNODACTYLY, EYE, AORTIC_ROOT_ANEURYSM]),
        (HOMOCYSTINURIA, [AORTIC_ROOT_ANEURYSM, "HP:9999999"]),  # the unknown id is left out
        ("https://example.org/not-simulable", [ECTOPIA_LENTIS]),  # skipped
    ]
    mix = finding_mix(sim, patients)
    assert mix.patients == 2
    assert (mix.findings_mean, mix.findings_median) == (2.5, 2.5)
    assert mix.shares == pytest.approx(
        {"annotated": 0.25, "more_specific": 0.0, "less_specific": 0.125, "unrelated": 0.625}
    )
    assert mix.mostly_unrelated == 0.5  # the second patient
    assert mix.unrelated_deep == 0.0  # both unrelated findings share depth 1 only
    with pytest.raises(ValueError, match="no patient"):
        finding_mix(sim, [(HOMOCYSTINURIA, ["HP:9999999"])])


def test_compare_with_cases_simulates_the_same_diseases(kg, sim) -> None:
    real = [(HOMOCYSTINURIA, [ECTOPIA_LENTIS, AORTIC_ROOT_ANEURYSM])] * 40
    mixes = compare_with_cases(sim, real, seed=3)
    assert set(mixes) == {"real", "simulated"}
    assert mixes["real"].patients == mixes["simulated"].patients == 40
    assert set(mixes["simulated"].shares) == set(RELATIONS)
    assert compare_with_cases(sim, real, seed=3) == mixes
    # noise-free simulation draws only the disease's own findings (or their ancestors)
    quiet = PatientSimulator(
        kg.hierarchy, kg.annotations, SimulationConfig(noise_mean=0.0, imprecision_rate=0.0)
    )
    assert compare_with_cases(quiet, real)["simulated"].shares["unrelated"] == 0.0
    noisy = PatientSimulator(
        kg.hierarchy, kg.annotations, SimulationConfig(noise_mean=3.0, imprecision_rate=0.0)
    )
    assert compare_with_cases(noisy, real)["simulated"].shares["unrelated"] > 0.2


def test_cli_eval_simulation(kg, tmp_path: Path) -> None:
    from kgfuse.cli import app

    kg_dir = kg.path
    rows = [
        {
            "id": f"c{i}",
            "present_hpo": [ECTOPIA_LENTIS, AORTIC_ROOT_ANEURYSM],
            "diseases": ["ORPHA:394"],
        }
        for i in range(5)
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    runner = CliRunner()
    base = ["eval", "simulation", "--cases", str(cases), "--kg", str(kg_dir)]
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    result = runner.invoke(app, [*base, "--json", "--set", "simulation.noise_mean=0"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["real"]["patients"] == report["simulated"]["patients"] == 5
    assert report["real"]["shares"]["unrelated"] == 0.5
    assert report["simulation"]["noise_mean"] == 0.0
    table = runner.invoke(app, [*base, "--out", str(tmp_path / "out")], env=env)
    assert table.exit_code == 0 and "share unrelated" in table.output
    written = json.loads((tmp_path / "out" / "simulation.json").read_text())
    assert written["real"] == report["real"]
    markdown = (tmp_path / "out" / "simulation.md").read_text().splitlines()
    assert markdown[0] == "| | real | simulated |"
    assert "| share unrelated | 0.500 |" in "\n".join(markdown)
    text_only = tmp_path / "vignettes.jsonl"
    text_only.write_text(json.dumps({"id": "v", "text": "tall", "disease_id": "ORPHA:394"}) + "\n")
    free = runner.invoke(app, [*base[:3], str(text_only), *base[4:]], env=env)
    assert free.exit_code != 0 and "no case with a diagnosis and present HPO terms" in " ".join(
        free.output.split()
    )
    missing = runner.invoke(app, [*base[:3], str(tmp_path / "none.jsonl"), *base[4:]], env=env)
    assert missing.exit_code != 0 and "cases file not found" in missing.output
