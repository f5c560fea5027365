"""What a case reader used to drop or take silently is now in ``Case.warnings``: a term given
as both present and excluded in a ``ppkt_dev`` row, a case id an earlier case of the same
file or folder has, and the disease of a phenopacket interpretation whose
``progressStatus`` is ``UNSOLVED`` (not read as the diagnosis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kg.namespaces import to_iri
from train.phenopacket import case_from_dev_row, case_from_phenopacket, read_cases

ARACHNODACTYLY, ECTOPIA_LENTIS, TALL_STATURE = "HP:0001166", "HP:0001083", "HP:0000098"
#: an alternative id of HP:0001166 in the mini HPO
ARACHNODACTYLY_ALT = "HP:0001505"


# ---- a term both present and excluded in a dev row ------------------------------------------
def test_a_dev_row_term_both_present_and_excluded_is_warned_about(hierarchy) -> None:
    row = {
        "id": "r1",
        "present_hpo": [ARACHNODACTYLY, TALL_STATURE],
        "excluded_hpo": [ECTOPIA_LENTIS, ARACHNODACTYLY],
        "diseases": ["OMIM:154700"],
    }
    case = case_from_dev_row(row, hierarchy)
    assert case.present == (to_iri(ARACHNODACTYLY), to_iri(TALL_STATURE))
    assert case.excluded == (to_iri(ECTOPIA_LENTIS),)  # counted as present, as before
    assert case.warnings == (f"both present and excluded, counted as present: {ARACHNODACTYLY}",)
    # the same term under another id (an alternative id of the present one) too
    alt = case_from_dev_row({**row, "excluded_hpo": [ARACHNODACTYLY_ALT]}, hierarchy)
    assert alt.excluded == ()
    assert [w for w in alt.warnings if w.startswith("both present and excluded")] == [
        f"both present and excluded, counted as present: {ARACHNODACTYLY_ALT}"
    ]
    # without a hierarchy, ids are compared as IRIs
    bare = case_from_dev_row(row)
    assert bare.excluded == (to_iri(ECTOPIA_LENTIS),)
    assert bare.warnings == case.warnings
    # a row without such a term has no such warning
    apart = case_from_dev_row({**row, "excluded_hpo": [ECTOPIA_LENTIS]}, hierarchy)
    assert apart.warnings == ()


# ---- a case id given twice --------------------------------------------------------------------
def _write_lines(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_repeated_case_id_is_warned_about_on_the_later_case(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "present_hpo": [TALL_STATURE], "diseases": ["OMIM:154700"]},
        {"id": "b", "present_hpo": [TALL_STATURE], "diseases": ["OMIM:154700"]},
        {"id": "a", "present_hpo": [ARACHNODACTYLY], "diseases": ["OMIM:154700"]},
        {"present_hpo": [TALL_STATURE]},  # no id: not a repeat of another case without one
        {"present_hpo": [ARACHNODACTYLY]},
    ]
    cases = read_cases(_write_lines(tmp_path / "cases.jsonl", rows))
    # every case is still read; one without an id is named by its place
    assert [c.id for c in cases] == ["a", "b", "a", "cases.jsonl:4", "cases.jsonl:5"]
    assert [c.warnings for c in cases] == [
        (),
        (),
        ("case id 'a' is also the id of an earlier case (cases.jsonl:1)",),
        (),
        (),
    ]
    assert cases[2].present == (to_iri(ARACHNODACTYLY),)


def test_a_repeated_id_across_the_files_of_a_folder_is_warned_about(tmp_path: Path) -> None:
    packet = {"id": "p1", "phenotypicFeatures": [{"type": {"id": TALL_STATURE}}]}
    for name in ("one.json", "two.json"):
        (tmp_path / name).write_text(json.dumps(packet), encoding="utf-8")
    first, second = read_cases(tmp_path)
    assert first.warnings == ()
    assert second.warnings == ("case id 'p1' is also the id of an earlier case (one.json)",)


# ---- an UNSOLVED interpretation ---------------------------------------------------------------
def _packet(*interpretations: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "p",
        "phenotypicFeatures": [{"type": {"id": TALL_STATURE}}],
        "interpretations": list(interpretations),
    }


def _interpretation(disease: str, **status: Any) -> dict[str, Any]:
    return {"id": "i", **status, "diagnosis": {"disease": {"id": disease, "label": "x"}}}


@pytest.mark.parametrize(
    "status",
    [
        {"progressStatus": "UNSOLVED"},
        {"progressStatus": "unsolved"},
        {"progress_status": "UNSOLVED"},  # the protobuf field name
        {"progressStatus": 4},  # the enum's number
    ],
)
def test_the_disease_of_an_unsolved_interpretation_is_not_the_diagnosis(
    hierarchy, status: dict[str, Any]
) -> None:
    case = case_from_phenopacket(_packet(_interpretation("OMIM:154700", **status)), hierarchy)
    assert case.diseases == ()
    assert case.warnings == (
        "interpretations[0] is UNSOLVED: its disease OMIM:154700 is not read as the diagnosis",
    )


@pytest.mark.parametrize(
    "status", [{"progressStatus": "SOLVED"}, {"progressStatus": "COMPLETED"}, {}]
)
def test_any_other_interpretation_beside_an_unsolved_one_is_read(
    hierarchy, status: dict[str, Any]
) -> None:
    case = case_from_phenopacket(
        _packet(
            _interpretation("OMIM:154700", progressStatus="UNSOLVED"),
            _interpretation("ORPHA:394", **status),
        ),
        hierarchy,
    )
    assert case.diseases == (to_iri("ORPHA:394"),)
    assert len(case.warnings) == 1 and "OMIM:154700" in case.warnings[0]
