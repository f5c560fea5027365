"""How a ``ppkt_dev`` row's onsets are read: a bare *Onset* (the root class) gives way to a
narrower onset after it, ``feature_onsets`` of a feature the case does not list as present
are named and not read, an onset written by name only is named as such, and a case without
an id is named by its place in the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.namespaces import to_iri
from kg.rules.onset import ONSET_ROOT
from train.phenopacket import case_from_dev_row, onset_of, read_cases

ARACHNODACTYLY, ECTOPIA_LENTIS = "HP:0001166", "HP:0001083"
INFANTILE, CONGENITAL = "HP:0003593", "HP:0003577"


def _row(**fields: object) -> dict[str, object]:
    return {"id": "r1", "present_hpo": [ARACHNODACTYLY], "diseases": ["OMIM:154700"], **fields}


def test_a_bare_onset_root_gives_way_to_a_narrower_onset(hierarchy) -> None:
    root_first = _row(disease_onset=["HP:0003674|Onset", f"{INFANTILE}|Infantile onset"])
    assert case_from_dev_row(root_first, hierarchy).onset == to_iri(INFANTILE)
    # an age after the root too (P2Y: childhood onset, not the root)
    aged = case_from_dev_row(_row(disease_onset=["HP:0003674|Onset", "P2Y"]), hierarchy)
    assert aged.onset is not None and aged.onset != ONSET_ROOT
    assert aged.onset == onset_of("P2Y")
    # the root alone is still read: it is what the row states
    alone = case_from_dev_row(_row(disease_onset=["HP:0003674|Onset"]), hierarchy)
    assert alone.onset == ONSET_ROOT
    # without a hierarchy, the same
    assert case_from_dev_row(root_first).onset == to_iri(INFANTILE)


def test_feature_onsets_of_features_not_present_are_named_and_not_read(hierarchy) -> None:
    row = _row(
        excluded_hpo=[ECTOPIA_LENTIS],
        feature_onsets={
            ECTOPIA_LENTIS: f"{CONGENITAL}|Congenital onset",  # excluded: not the patient's
            "HP:0000098": f"{CONGENITAL}|Congenital onset",  # not in the row at all
            ARACHNODACTYLY: f"{INFANTILE}|Infantile onset",
        },
    )
    case = case_from_dev_row(row, hierarchy)
    assert case.onset == to_iri(INFANTILE)  # congenital would be earlier, were it read
    named = [w for w in case.warnings if w.startswith("feature_onsets names")]
    assert named == [
        f"feature_onsets names {ECTOPIA_LENTIS}, which is not a present finding of the case; "
        "its onset is not read",
        "feature_onsets names HP:0000098, which is not a present finding of the case; "
        "its onset is not read",
    ]
    # only onsets of absent features: no onset, and each named
    lone = case_from_dev_row(
        _row(feature_onsets={ECTOPIA_LENTIS: CONGENITAL}, excluded_hpo=[ECTOPIA_LENTIS]),
        hierarchy,
    )
    assert lone.onset is None
    assert any(ECTOPIA_LENTIS in w and "not a present finding" in w for w in lone.warnings)


@pytest.mark.parametrize("written", ["Infantile onset", "Pediatric onset", "|Infantile onset"])
def test_an_onset_written_by_name_only_is_named_as_such(hierarchy, written: str) -> None:
    case = case_from_dev_row(_row(disease_onset=[written]), hierarchy)
    assert case.onset is None
    shown = written.split("|", 1)[0]
    if not shown:  # nothing before the bar: nothing to read, and nothing to say
        assert not any("onset" in w for w in case.warnings)
        return
    assert case.warnings == (
        f"onset {shown!r} is neither an onset class id (such as HP:0003593), an ISO 8601 age "
        "(P2Y) nor a gestational age (GA:33w0d); skipped",
    )


def test_a_malformed_age_is_still_named_as_an_age(hierarchy) -> None:
    case = case_from_dev_row(_row(disease_onset=["P2X"]), hierarchy)
    assert case.onset is None
    assert case.warnings == ("onset 'P2X' is not an ISO 8601 duration such as P2Y; skipped",)


def test_a_case_without_an_id_is_named_by_its_place(tmp_path: Path) -> None:
    rows = [
        {"present_hpo": [ARACHNODACTYLY]},
        {"id": "kept", "present_hpo": [ARACHNODACTYLY]},
        {"id": "", "present_hpo": [ECTOPIA_LENTIS]},
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert [c.id for c in read_cases(path)] == ["cases.jsonl:1", "kept", "cases.jsonl:3"]
    # so two diagnosis-less cases without ids are two clusters of the bootstrap, not one
    from eval.diagnosis import case_groups

    cases = read_cases(path)
    groups = case_groups([cases[0], cases[2]])
    assert len(set(groups)) == 2
