"""A disease of one's own, built beside HPO in a file of annotation nodes, is ranked by a
model trained with its IRIs' start among the candidates, and its rules cite its nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.namespaces import KGV, RDFS_LABEL, RO_HAS_PHENOTYPE
from kg.store import build_kg
from kgfuse.diagnosis import DiagnosisService
from tests.mini_hpo_env import FACE_DIAGNOSIS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OBO = "http://purl.obolibrary.org/obo/"
OWN = "https://example.org/disease/eye-heart"
EYE, HEART = OBO + "HP_0000478", OBO + "HP_0001626"


def _own_file(path: Path, *, typed: bool = True) -> Path:
    lines = [f'<{OWN}> <{RDFS_LABEL}> "Eye-heart syndrome of my clinic" .']
    if typed:
        lines.append(f"<{OWN}> <{RDF}type> <{KGV}Disease> .")
    for i, term in enumerate((EYE, HEART)):
        a = f"<https://example.org/annotation/{i}>"
        lines += [
            f"<{OWN}> <{RO_HAS_PHENOTYPE}> <{term}> .",
            f"{a} <{RDF}type> <{KGV}PhenotypeAnnotation> .",
            f"{a} <{RDF}subject> <{OWN}> .",
            f"{a} <{RDF}predicate> <{RO_HAS_PHENOTYPE}> .",
            f"{a} <{RDF}object> <{term}> .",
            f'{a} <{KGV}frequencyValue> "1.0"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
            f'{a} <{KGV}evidence> "TAS" .',
            f'{a} <{KGV}aspect> "P" .',
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _train(home: Path, kg: Path) -> None:
    from train.config import load_config
    from train.diagnosis import train_diagnosis

    overrides = [o for o in FACE_DIAGNOSIS if not o.startswith("model.candidates=")]
    config = load_config(
        None,
        [
            f"kg={kg}",
            f"output={home / 'models' / 'diagnosis'}",
            "model.candidates=OMIM https://example.org/disease/",
            *overrides,
        ],
    )
    train_diagnosis(config, home=home, progress=False)


def test_a_disease_of_ones_own_is_ranked_and_its_own_annotations_back_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    kg = home / "kgs" / "hpo"
    own = _own_file(tmp_path / "clinic.nt")
    build_kg(["hpo", own], kg, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    _train(home, kg)

    service = DiagnosisService(home / "models" / "diagnosis", kg, home, audit=False)
    out, explanation = service.run({"id": "p", "present_hpo": ["HP:0000478", "HP:0001626"]})
    ranked = [r["iri"] for r in out["ranking"]]
    assert ranked[0] == OWN, out["ranking"]
    assert out["ranking"][0]["label"] == "Eye-heart syndrome of my clinic"
    assert set(ranked) == {OWN, "https://omim.org/entry/154700"}  # OMIM's and one's own
    cited = {c.iri for f in explanation.findings if f.disease == OWN for c in f.cites}
    assert "https://example.org/annotation/0" in cited  # its own annotation nodes back it


def test_an_untyped_disease_of_ones_own_is_named_before_training(tmp_path: Path) -> None:
    home = tmp_path / "home"
    kg = home / "kgs" / "hpo"
    own = _own_file(tmp_path / "clinic.nt", typed=False)
    build_kg(["hpo", own], kg, hpo_dir=FIXTURES / "hpo_mini", progress=False)
    with pytest.raises(ValueError, match=r"no node of the KG's graph.*eye-heart.*rdf:type"):
        _train(home, kg)
