"""Tests of the N-Triples term writers."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.ntriples import nt_iri, nt_iri_checked


@pytest.mark.parametrize(
    "iri",
    ["http://purl.obolibrary.org/obo/HP_0001166", "urn:x", "https://x.org/a b", "http://x/%41"],
)
def test_nt_iri_checked_formats_valid_iris_like_nt_iri(iri: str) -> None:
    text = nt_iri_checked(iri)
    assert text == nt_iri(iri)
    # what the lenient bulk load then reads is the IRI a strict parse gives
    parsed = next(iter(ox.parse(input=f"{text} {text} {text} .", format=ox.RdfFormat.N_TRIPLES)))
    assert f"<{parsed.subject.value}>" == text


@pytest.mark.parametrize("iri", ["HP_0001166", "http://x/%zz", "https://omim.org/entry/1%", ""])
def test_nt_iri_checked_refuses_invalid_iris(iri: str) -> None:
    with pytest.raises(ValueError, match="not a valid IRI"):
        nt_iri_checked(iri)
