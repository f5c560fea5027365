"""Properties of the ``kgfuse diagnose`` record contract for any JSON (hypothesis): a record is
parsed, or refused with a :class:`RecordError` naming the problem, never another exception;
and a valid record with any one value replaced by any JSON value is the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgfuse.diagnosis import PatientRecord, RecordError, parse_record
from tests.json_values import JSON, dropped, json_paths, replaced

PHENOPACKET: dict[str, Any] = {
    "id": "p1",
    "subject": {
        "id": "s1",
        "sex": "FEMALE",
        "timeAtLastEncounter": {"age": {"iso8601duration": "P14Y"}},
    },
    "phenotypicFeatures": [
        {"type": {"id": "HP:0001166", "label": "Arachnodactyly"}},
        {"type": {"id": "HP:0001083"}, "excluded": True},
        {"type": {"id": "HP:0000098"}, "onset": {"age": {"iso8601duration": "P2Y"}}},
    ],
    "diseases": [{"term": {"id": "OMIM:154700"}, "onset": {"ontologyClass": {"id": "HP:0003593"}}}],
    "metaData": {"phenopacketSchemaVersion": "2.0"},
}
VALID: list[dict[str, Any]] = [
    {"id": "n1", "text": "Tall boy with arachnodactyly.", "sex": "male", "age": 12, "onset": "P2Y"},
    {
        "id": 7,
        "present_hpo": ["HP:0001166", "HP:0001083"],
        "excluded_hpo": ["HP:0000098"],
        "present_labels": ["Arachnodactyly", "Ectopia lentis"],
        "onset": "HP:0003593",
    },
    PHENOPACKET,
]

_PROPERTY = settings(max_examples=300, deadline=None)


def _parsed_or_refused(record: Any) -> None:
    try:
        parsed = parse_record(record)
    except RecordError as exc:
        assert str(exc).strip()  # a refusal says why
    else:
        assert isinstance(parsed, PatientRecord) and isinstance(parsed.id, str)
        assert all(isinstance(w, str) for w in parsed.warnings)


def test_the_valid_records_parse() -> None:
    for record in VALID:
        assert isinstance(parse_record(record), PatientRecord)


@_PROPERTY
@given(JSON)
def test_any_json_value_is_parsed_or_refused_by_name(value: Any) -> None:
    _parsed_or_refused(value)


@_PROPERTY
@given(st.sampled_from(VALID), st.data(), JSON)
def test_a_valid_record_with_one_value_replaced_is_parsed_or_refused_by_name(
    record: dict[str, Any], data: st.DataObject, new: Any
) -> None:
    path = data.draw(st.sampled_from(json_paths(record)))
    _parsed_or_refused(replaced(record, path, new))


@_PROPERTY
@given(st.sampled_from(VALID), st.data())
def test_a_valid_record_with_one_field_dropped_is_parsed_or_refused_by_name(
    record: dict[str, Any], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(json_paths(record)))
    _parsed_or_refused(dropped(record, path))


@pytest.fixture(scope="module")
def hierarchy(mini_home: Path) -> Any:
    from kg.knowledge_graph import KnowledgeGraph

    return KnowledgeGraph.open(mini_home / "kgs" / "hpo").hierarchy


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(VALID), st.data(), JSON)
def test_with_the_kgs_terms_too_a_replaced_value_is_parsed_or_refused_by_name(
    hierarchy: Any, record: dict[str, Any], data: st.DataObject, new: Any
) -> None:
    path = data.draw(st.sampled_from(json_paths(record)))
    changed = replaced(record, path, new)
    try:
        parsed = parse_record(changed, hierarchy=hierarchy)
    except RecordError as exc:
        assert str(exc).strip()
    else:
        assert isinstance(parsed, PatientRecord)
