"""An id the KG does not know (phenopacket-store uses newer HPO releases) is read by the
name written beside it when the reader is given a label reader, and reported; without one,
or when the name names nothing, it is skipped as before."""

from __future__ import annotations

import json
from pathlib import Path

from kg.namespaces import to_iri
from train.phenopacket import (
    case_from_dev_row,
    case_from_phenopacket,
    feature_names,
    read_cases,
)

ARACHNODACTYLY, ECTOPIA_LENTIS, TALL = "HP:0001166", "HP:0001083", "HP:0000098"
#: stands in for the linker (encoders.linker.ConceptLinker.read_label): names -> IRIs
NAMES = {"Long slender fingers": to_iri(ARACHNODACTYLY), "Lens dislocation": to_iri(ECTOPIA_LENTIS)}


def read_label(name: str) -> str | None:
    return NAMES.get(name)


def dev_row() -> dict:
    return {
        "id": "c1",
        "present_hpo": [TALL, "HP:5200001", "HP:5200002"],
        "present_labels": ["Tall stature", "Long slender fingers", "Something newer"],
        "excluded_hpo": ["HP:5200003"],
        "excluded_labels": ["Lens dislocation"],
        "diseases": ["OMIM:154700"],
    }


def test_a_dev_rows_unknown_ids_are_read_by_their_names(hierarchy) -> None:
    case = case_from_dev_row(dev_row(), hierarchy, read_label=read_label)
    assert case.present == (to_iri(TALL), to_iri(ARACHNODACTYLY))
    assert case.excluded == (to_iri(ECTOPIA_LENTIS),)
    assert case.warnings == (
        "HP:5200001 ('Long slender fingers'): not a term of this KG; read by its name as "
        "HP:0001166 (Arachnodactyly)",
        "HP:5200002: unknown or obsolete term, and its name 'Something newer' names no term "
        "of this KG; skipped",
        "HP:5200003 ('Lens dislocation'): not a term of this KG; read by its name as "
        "HP:0001083 (Ectopia lentis)",
    )


def test_without_a_label_reader_unknown_ids_are_skipped_as_before(hierarchy) -> None:
    case = case_from_dev_row(dev_row(), hierarchy)
    assert case.present == (to_iri(TALL),)
    assert case.excluded == ()
    assert [w.split(":")[1] for w in case.warnings] == ["5200001", "5200002", "5200003"]
    assert all(w.endswith("unknown or obsolete term; skipped") for w in case.warnings)


def test_names_that_do_not_line_up_with_the_ids_are_read_by_position_or_not_at_all(
    hierarchy,
) -> None:
    row = {**dev_row(), "present_labels": ["Tall stature"], "excluded_labels": "Lens"}
    case = case_from_dev_row(row, hierarchy, read_label=read_label)
    assert case.present == (to_iri(TALL),)  # the unknown ids have no name beside them
    assert case.excluded == ()
    # a known id is never replaced by what its name reads as
    known = {**dev_row(), "present_hpo": [TALL], "present_labels": ["Long slender fingers"]}
    assert case_from_dev_row(known, hierarchy, read_label=read_label).present == (to_iri(TALL),)


def test_a_phenopackets_unknown_ids_are_read_by_their_type_label(hierarchy, tmp_path: Path) -> None:
    document = {
        "id": "p1",
        "phenotypicFeatures": [
            {"type": {"id": "HP:5200001", "label": "Long slender fingers"}},
            {"type": {"id": ARACHNODACTYLY, "label": "Arachnodactyly"}},  # the same term
            {"type": {"id": "HP:5200003", "label": "Lens dislocation"}, "excluded": True},
            {"type": {"id": "HP:5200004"}},  # no name: skipped
        ],
    }
    case = case_from_phenopacket(document, hierarchy, read_label=read_label)
    assert case.present == (to_iri(ARACHNODACTYLY),)  # once
    assert case.excluded == (to_iri(ECTOPIA_LENTIS),)
    assert case.warnings == (
        "HP:5200001 ('Long slender fingers'): not a term of this KG; read by its name as "
        "HP:0001166 (Arachnodactyly)",
        "HP:5200004: unknown or obsolete term; skipped",
        "HP:5200003 ('Lens dislocation'): not a term of this KG; read by its name as "
        "HP:0001083 (Ectopia lentis)",
    )
    assert feature_names(document) == {
        "HP:5200001": "Long slender fingers",
        ARACHNODACTYLY: "Arachnodactyly",
        "HP:5200003": "Lens dislocation",
    }
    # as a file among others, read_cases passes the reader on
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(document) + "\n" + json.dumps(dev_row()) + "\n", "utf-8")
    first, second = read_cases(path, hierarchy, read_label=read_label)
    assert first.present == case.present
    assert second.present == (to_iri(TALL), to_iri(ARACHNODACTYLY))
