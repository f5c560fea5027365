"""Tests of kg.rules.counterparts and of the prior's profiles completed from them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from kg.annotations import AnnotationTable, AnnotationTableBuilder
from kg.rules.counterparts import Counterpart, Counterparts, find_counterparts, name_key
from kg.rules.likelihood import (
    LikelihoodConfig,
    MatchKind,
    PhenotypeLikelihood,
    disease_term_matrix,
)
from tests.test_kg.test_likelihood import PARENTS, iri, make_hierarchy

TERMS = list(PARENTS)


def _profiles(rows: list[dict[str, float]]) -> sp.csr_matrix:
    out = np.zeros((len(rows), len(TERMS)))
    for i, row in enumerate(rows):
        for term, value in row.items():
            out[i, TERMS.index(term)] = value
    return sp.csr_matrix(out)


def _find(
    candidate_labels: list[str],
    candidate_rows: list[dict[str, float]],
    other_labels: list[str],
    other_rows: list[dict[str, float]],
    genes: dict[str, list[str]],
    min_similarity: float = 0.3,
):
    candidates = [f"urn:c:{i}" for i in range(len(candidate_rows))]
    others = [f"urn:o:{j}" for j in range(len(other_rows))]
    theirs = _profiles(other_rows)
    return find_counterparts(
        candidates,
        candidate_labels,
        _profiles(candidate_rows),
        others,
        other_labels,
        theirs,
        theirs,
        np.ones(len(TERMS)),
        genes,
        min_similarity,
    )


def test_name_key_ignores_case_punctuation_and_spacing() -> None:
    assert name_key("Jacobsen  Syndrome") == name_key("jacobsen syndrome") == "jacobsen syndrome"
    assert name_key("Cornelia de Lange syndrome-1") == "cornelia de lange syndrome 1"
    assert name_key("--") == ""


def test_a_counterpart_by_name_whatever_its_profile() -> None:
    found = _find(["Jacobsen syndrome"], [{"C": 1.0}], ["JACOBSEN, syndrome"], [{"G": 0.8}], {})
    assert found.entries == [(Counterpart("urn:o:0", "name", 0.0),)]
    assert found.count == 1
    assert found.frequency.toarray()[0, TERMS.index("G")] == pytest.approx(0.8)


def test_by_gene_only_the_most_similar_subject_above_the_threshold() -> None:
    candidate = [{"C": 1.0, "E": 1.0}]
    others = [{"C": 1.0, "E": 1.0, "G": 0.5}, {"C": 1.0, "G": 1.0}, {"C": 1.0, "E": 1.0}]
    genes = {"urn:c:0": ["g1"], "urn:o:0": ["g1"], "urn:o:1": ["g1"], "urn:o:2": ["g2"]}
    found = _find(["a"], candidate, ["b", "c", "d"], others, genes)
    # urn:o:2 has the very profile, but no shared gene; urn:o:0 is the closest sharer
    assert [c.disease for c in found.entries[0]] == ["urn:o:0"]
    assert found.entries[0][0].reason == "gene"
    expected = 2 / np.sqrt(2 * 2.25)
    assert found.entries[0][0].similarity == pytest.approx(expected)
    # above every sharer's similarity: none
    none = _find(["a"], candidate, ["b", "c", "d"], others, genes, min_similarity=0.99)
    assert none.entries == [()] and none.count == 0 and none.frequency.nnz == 0


def test_a_name_match_leaves_the_gene_match_to_the_other_named_subjects() -> None:
    candidate = [{"C": 1.0, "E": 1.0}]
    others = [{"C": 1.0, "E": 1.0}, {"C": 1.0, "E": 1.0, "G": 1.0}, {"C": 1.0, "G": 1.0}]
    genes = {"urn:c:0": ["g1"], "urn:o:0": ["g1"], "urn:o:1": ["g1"], "urn:o:2": ["g1"]}
    found = _find(["Gamma syndrome"], candidate, ["gamma syndrome", "b", "c"], others, genes)
    # its namesake (the most similar sharer too), and the most similar of the others
    assert [(c.disease, c.reason) for c in found.entries[0]] == [
        ("urn:o:0", "name"),
        ("urn:o:1", "gene"),
    ]


def test_merged_frequency_is_the_highest_over_the_counterparts() -> None:
    others = [{"G": 0.3, "D": 0.9}, {"G": 0.7}]
    found = _find(["x"], [{"G": 1.0}], ["x", "X"], others, {})
    assert {c.disease for c in found.entries[0]} == {"urn:o:0", "urn:o:1"}
    row = found.frequency.toarray()[0]
    assert row[TERMS.index("G")] == pytest.approx(0.7)
    assert row[TERMS.index("D")] == pytest.approx(0.9)
    shows = found.showing(TERMS.index("D"), [0])
    assert [c.disease for c in shows[0]] == ["urn:o:0"]


def test_showing_reads_the_terms_column_and_skips_stored_zeros() -> None:
    profiles = sp.csc_matrix(
        (np.array([0.5, 0.0, 0.2]), (np.array([0, 1, 2]), np.array([3, 3, 3]))),
        shape=(3, len(TERMS)),
    )
    assert profiles.nnz == 3  # the zero of other row 1 is stored explicitly
    entries = [
        (Counterpart("urn:o:0", "name", 1.0), Counterpart("urn:o:1", "gene", 0.5)),
        (),
        (Counterpart("urn:o:2", "gene", 0.6),),
    ]
    rows = {"urn:o:0": 0, "urn:o:1": 1, "urn:o:2": 2}
    found = Counterparts(entries, sp.csr_matrix((3, len(TERMS))), profiles, rows)
    shows = found.showing(3, [0, 1, 2])
    assert [[c.disease for c in row] for row in shows] == [["urn:o:0"], [], ["urn:o:2"]]
    assert found.showing(4, [2, 0]) == [[], []]


def test_a_candidate_is_never_its_own_counterpart_and_shapes_must_fit() -> None:
    with pytest.raises(ValueError, match="both a candidate"):
        find_counterparts(
            ["urn:x"], ["a"], _profiles([{}]), ["urn:x"], ["a"], _profiles([{}]),
            _profiles([{}]), np.ones(len(TERMS)), {}, 0.3,
        )  # fmt: skip
    with pytest.raises(ValueError, match="one row per candidate"):
        find_counterparts(
            ["urn:x"], ["a"], _profiles([{}, {}]), [], [], _profiles([]), _profiles([]),
            np.ones(len(TERMS)), {}, 0.3,
        )  # fmt: skip


def _table(rows: list[tuple[str, str, str, float]]) -> AnnotationTable:
    """rows: (subject, its label, term, frequency)."""
    b = AnnotationTableBuilder()
    for n, (subject, label, term, freq) in enumerate(rows):
        b.add(f"urn:a:{n}", subject, iri(term), subject_label=label, frequency=freq, aspect="P")
    return b.build()


ROWS = [
    ("omim:1", "Alpha syndrome", "C", 1.0),
    ("omim:2", "Beta disease", "E", 1.0),
    ("omim:2", "Beta disease", "F", 1.0),
    ("orpha:1", "ALPHA SYNDROME", "C", 1.0),
    ("orpha:1", "ALPHA SYNDROME", "G", 0.8),
]
CANDIDATES = ["omim:1", "omim:2"]


@pytest.mark.parametrize("weight", [1.0, 0.5])
def test_the_prior_completes_a_profile_from_its_counterpart(weight: float) -> None:
    hierarchy = make_hierarchy(PARENTS)
    plain = PhenotypeLikelihood.from_kg(hierarchy, _table(ROWS), subjects=CANDIDATES)
    config = LikelihoodConfig(counterpart_weight=weight)
    model = PhenotypeLikelihood.from_kg(hierarchy, _table(ROWS), subjects=CANDIDATES, config=config)
    assert model.diseases == CANDIDATES  # counterparts complete profiles, they are no candidates
    assert model.counterparts is not None and model.counterparts.count == 1
    g = TERMS.index("G")
    # p' = 1 - (1 - p)(1 - w p_counterpart): G is the counterpart's alone, F (G's parent) too
    assert model.probability.toarray()[0, g] == pytest.approx(weight * 0.8)
    assert model.probability.toarray()[0, TERMS.index("F")] == pytest.approx(weight * 0.8)
    assert model.probability.toarray()[1, g] == 0.0
    before, after = plain.score([iri("G")]), model.score([iri("G")])
    assert before.match[0, 0] == MatchKind.UNEXPLAINED
    assert after.match[0, 0] == MatchKind.IMPUTED
    assert after.contributions[0, 0] > before.contributions[0, 0]
    assert model.score([iri("C")]).match[0, 0] == MatchKind.EXACT_OR_IMPLIED  # its own
    sources = model.imputed_from(iri("G"), np.array([0, 1]))
    assert [[d for d, _ in row] for row in sources] == [["orpha:1"], []]


def test_counterparts_by_gene_need_the_genes_and_the_settings_are_checked() -> None:
    rows = [*ROWS[:3], ("orpha:9", "Other name", "C", 1.0), ("orpha:9", "Other name", "G", 1.0)]
    hierarchy = make_hierarchy(PARENTS)
    config = LikelihoodConfig(counterpart_weight=1.0, counterpart_similarity=0.3)
    by_name_only = PhenotypeLikelihood.from_kg(
        hierarchy, _table(rows), subjects=CANDIDATES, config=config
    )
    assert by_name_only.counterparts is not None and by_name_only.counterparts.count == 0
    genes = {"omim:1": ["gene:1"], "orpha:9": ["gene:1"]}
    by_gene = PhenotypeLikelihood.from_kg(
        hierarchy, _table(rows), subjects=CANDIDATES, config=config, genes=genes
    )
    assert by_gene.counterparts is not None
    (found,) = by_gene.counterparts.entries[0]
    assert (found.disease, found.reason) == ("orpha:9", "gene")
    assert by_gene.score([iri("G")]).match[0, 0] == MatchKind.IMPUTED
    for key in ("counterpart_weight", "counterpart_similarity"):
        with pytest.raises(ValueError, match=key):
            LikelihoodConfig(**{key: 1.5})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="frequency"):
        LikelihoodConfig(counterpart_weight=0.5, background="count")
    assert PhenotypeLikelihood.from_kg(hierarchy, _table(rows)).counterparts is None  # off
    matrix = disease_term_matrix(hierarchy, _table(rows), subjects=CANDIDATES)
    with pytest.raises(ValueError, match="pass counterparts"):
        PhenotypeLikelihood(hierarchy, matrix, config)
