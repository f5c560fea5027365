"""A KG built from files that define one IRI differently warns, naming the IRI and its
labels (their statements are merged into one term)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kg.store import build_kg

PREFIXES = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix x: <http://example.org/x/> .
"""


def _write(path: Path, label: str) -> Path:
    path.write_text(PREFIXES + f'x:X a owl:Class ; rdfs:label "{label}"@en .\n', encoding="utf-8")
    return path


def test_one_iri_with_two_labels_in_two_files_is_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = [_write(tmp_path / "a.ttl", "macrophage"), _write(tmp_path / "b.ttl", "dendritic cell")]
    with caplog.at_level(logging.WARNING, logger="kg.derived"):
        build_kg(files, tmp_path / "kg", progress=False)
    warned = [
        r.getMessage() for r in caplog.records if "rdfs:label in one language" in r.getMessage()
    ]
    assert len(warned) == 1
    assert "1 term(s)" in warned[0] and "http://example.org/x/X @en" in warned[0]
    assert "'dendritic cell', 'macrophage'" in warned[0]


def test_labels_in_other_languages_are_no_conflict(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "a.ttl"
    source.write_text(
        PREFIXES + 'x:X a owl:Class ; rdfs:label "macrophage"@en , "Makrophage"@de .\n',
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="kg.derived"):
        build_kg([source], tmp_path / "kg", progress=False)
    assert not [r for r in caplog.records if "rdfs:label in one language" in r.getMessage()]


def test_a_json_ld_context_given_by_url_is_named(tmp_path: Path) -> None:
    from kg.errors import OntologyParseError

    source = tmp_path / "remote.jsonld"
    source.write_text(
        '{"@context": "https://schema.org/", "@id": "http://example.org/x/A", "name": "A"}',
        encoding="utf-8",
    )
    with pytest.raises(OntologyParseError, match="its @context is a URL, and kgfuse fetches"):
        build_kg([source], tmp_path / "kg", progress=False)
