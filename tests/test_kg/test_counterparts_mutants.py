"""Behaviours of kg.rules.counterparts that mutation testing found unchecked: the genes read
from the KG, profiles of zero weight, similarities rounded past 1, the threshold's bound, which
gene sharer wins (the most similar, ties to the first of ``others``, whatever the order of the
genes), candidates with a gene no other subject has, the merged frequencies of later rows and
later candidates, boolean frequencies and the shape checks of the other subjects.

The KG of :func:`disease_genes` is an in-memory Oxigraph store: nothing is read from disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest
import scipy.sparse as sp

from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import OBO
from kg.rules.counterparts import Counterparts, disease_genes, find_counterparts, unit_profiles

#: a profile whose unit vector's cosine with itself rounds to 1.0000000000000004
ROUNDS_PAST_ONE = [
    0.31024187555895566,
    0.4858353588317891,
    0.8894878343490003,
    0.9340435159562497,
    0.35779519670907023,
]


def _find(
    candidate_rows: list[list[float]],
    other_rows: list[list[float]],
    *,
    candidate_labels: list[str] | None = None,
    other_labels: list[str] | None = None,
    genes: dict[str, list[str]] | None = None,
    min_similarity: float = 0.3,
    weight: list[float] | None = None,
    other_frequency: sp.spmatrix | None = None,
) -> Counterparts:
    """Candidates ``urn:c:i`` and other subjects ``urn:o:j``, each named apart unless given."""
    theirs = sp.csr_matrix(np.array(other_rows, dtype=np.float64))
    width = theirs.shape[1]
    return find_counterparts(
        [f"urn:c:{i}" for i in range(len(candidate_rows))],
        candidate_labels or [f"candidate {i}" for i in range(len(candidate_rows))],
        sp.csr_matrix(np.array(candidate_rows, dtype=np.float64)),
        [f"urn:o:{j}" for j in range(len(other_rows))],
        other_labels or [f"other {j}" for j in range(len(other_rows))],
        theirs,
        theirs if other_frequency is None else other_frequency,
        np.ones(width) if weight is None else np.array(weight, dtype=np.float64),
        genes or {},
        min_similarity,
    )


def _chosen(found: Counterparts) -> list[list[tuple[str, str]]]:
    return [[(c.disease, c.reason) for c in entry] for entry in found.entries]


# ---- the genes of the diseases --------------------------------------------------------------


def test_disease_genes_reads_every_gene_disease_link_of_the_kg() -> None:
    link = ox.NamedNode(OBO + "RO_0003304")
    other_relation = ox.NamedNode(OBO + "RO_0002200")
    g1, g2, g3 = (ox.NamedNode(f"http://example.org/gene/{n}") for n in (1, 2, 3))
    d1, d2, d3 = (ox.NamedNode(f"http://example.org/disease/{n}") for n in (1, 2, 3))
    store = ox.Store()
    for s, p, o in [(g1, link, d1), (g2, link, d1), (g1, link, d2), (g3, other_relation, d3)]:
        store.add(ox.Quad(s, p, o))
    kg = KnowledgeGraph(Path("unused"), store, None)  # type: ignore[arg-type]
    assert disease_genes(kg) == {
        d1.value: frozenset({g1.value, g2.value}),
        d2.value: frozenset({g1.value}),
    }  # d3's link is another relation: no gene


# ---- profiles and similarities --------------------------------------------------------------


def test_a_profile_of_zero_weight_stays_zero_not_nan() -> None:
    # the first term weighs 0 (annotated everywhere: no information), as the root does
    profile = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 1.0]]))
    unit = unit_profiles(profile, np.array([0.0, 2.0])).toarray()
    assert np.array_equal(unit, [[0.0, 0.0], [0.0, 1.0]])
    # a namesake of such a candidate is found, with similarity 0 (not NaN)
    found = _find(
        [[1.0, 0.0]],
        [[1.0, 1.0]],
        candidate_labels=["Alpha"],
        other_labels=["alpha"],
        weight=[0.0, 2.0],
    )
    ((namesake,),) = found.entries
    assert namesake.reason == "name" and namesake.similarity == 0.0


def test_a_similarity_never_exceeds_one_even_where_rounding_passes_it() -> None:
    unit = unit_profiles(sp.csr_matrix(np.array([ROUNDS_PAST_ONE])), np.ones(5))
    assert unit.multiply(unit).sum() > 1.0  # the raw cosine of the profile with itself
    found = _find(
        [ROUNDS_PAST_ONE],
        [ROUNDS_PAST_ONE],
        candidate_labels=["Alpha"],
        other_labels=["ALPHA"],
    )
    ((namesake,),) = found.entries
    assert namesake.similarity <= 1.0
    assert namesake.similarity == pytest.approx(1.0)


@pytest.mark.parametrize("profile", [[1.0, 0.0, 0.0, 0.0, 0.0], ROUNDS_PAST_ONE])
def test_a_gene_sharer_exactly_at_min_similarity_is_a_counterpart(profile: list[float]) -> None:
    genes = {"urn:c:0": ["g1"], "urn:o:0": ["g1"]}
    found = _find([profile], [profile], genes=genes, min_similarity=1.0)
    assert _chosen(found) == [[("urn:o:0", "gene")]]
    assert found.entries[0][0].similarity == 1.0


# ---- which gene sharer is the counterpart ---------------------------------------------------

CANDIDATE = [1.0, 1.0, 0.0]
CLOSE = [1.0, 1.0, 0.5]  # cosine 0.94 with the candidate
FAR = [1.0, 0.0, 0.0]  # cosine 0.71


@pytest.mark.parametrize("candidate_genes", [["g1", "g2"], ["g2", "g1"]])
@pytest.mark.parametrize(
    ("others", "other_genes", "expected"),
    [
        # one gene: the most similar sharer, wherever it stands in others
        ([FAR, CLOSE], [["g1"], ["g1"]], "urn:o:1"),
        ([CLOSE, FAR], [["g1"], ["g1"]], "urn:o:0"),
        # one gene each: the most similar, the sharers met in the order of the genes
        ([FAR, CLOSE], [["g2"], ["g1"]], "urn:o:1"),
        ([CLOSE, FAR], [["g2"], ["g1"]], "urn:o:0"),
        # equally similar: the first of others
        ([FAR, FAR], [["g1"], ["g1"]], "urn:o:0"),
        ([FAR, FAR], [["g2"], ["g1"]], "urn:o:0"),
        ([FAR, FAR], [["g1"], ["g2"]], "urn:o:0"),
    ],
)
def test_the_gene_match_is_the_most_similar_sharer_ties_to_the_first_of_others(
    candidate_genes: list[str],
    others: list[list[float]],
    other_genes: list[list[str]],
    expected: str,
) -> None:
    genes = {"urn:c:0": candidate_genes, "urn:o:0": other_genes[0], "urn:o:1": other_genes[1]}
    found = _find([CANDIDATE], others, genes=genes, min_similarity=0.5)
    assert _chosen(found) == [[(expected, "gene")]]


def test_a_gene_no_other_subject_has_leaves_the_candidate_without_a_match() -> None:
    genes = {"urn:c:0": ["g9"], "urn:c:1": ["g9", "g1"], "urn:o:0": ["g1"]}
    found = _find([CANDIDATE, CANDIDATE], [CLOSE], genes=genes)
    assert _chosen(found) == [[], [("urn:o:0", "gene")]]


# ---- the merged frequencies -----------------------------------------------------------------


def test_merged_frequency_of_a_later_counterpart_and_a_later_candidate() -> None:
    # the counterparts are other subjects 2 and 1, of candidates 1 and 2: the rows before
    # them, and the other candidates', must not leak into their rows
    other_rows = [
        [0.9, 0.9, 0.9, 0.9],
        [0.0, 0.4, 0.0, 0.6],
        [0.2, 0.0, 0.3, 0.5],
    ]
    found = _find(
        [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]],
        other_rows,
        candidate_labels=["a", "Beta", "Gamma"],
        other_labels=["x", "gamma", "beta"],
    )
    assert _chosen(found) == [[], [("urn:o:2", "name")], [("urn:o:1", "name")]]
    assert np.array_equal(
        found.frequency.toarray(),
        [[0.0, 0.0, 0.0, 0.0], [0.2, 0.0, 0.3, 0.5], [0.0, 0.4, 0.0, 0.6]],
    )


def test_boolean_frequencies_merge_as_numbers() -> None:
    presence = sp.csr_matrix(np.array([[True, False, True], [False, True, True]]))
    found = _find(
        [[1.0, 0.0, 1.0]],
        [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]],
        candidate_labels=["Alpha"],
        other_labels=["alpha", "ALPHA"],
        other_frequency=presence,
    )
    assert len(found.entries[0]) == 2
    assert found.frequency.dtype.kind == "f"
    assert np.array_equal(found.frequency.toarray(), [[1.0, 1.0, 1.0]])


# ---- the shapes of the other subjects -------------------------------------------------------


def _other_shapes(num_profiles: int, num_frequencies: int, num_labels: int) -> None:
    def rows(n: int) -> sp.csr_matrix:
        return sp.csr_matrix(np.ones((n, 2)))

    find_counterparts(
        ["urn:c:0"],
        ["a"],
        rows(1),
        ["urn:o:0", "urn:o:1"],
        [f"other {j}" for j in range(num_labels)],
        rows(num_profiles),
        rows(num_frequencies),
        np.ones(2),
        {},
        0.3,
    )


@pytest.mark.parametrize(
    ("num_profiles", "num_frequencies", "num_labels", "named"),
    [
        (1, 2, 2, "other_profiles"),
        (2, 1, 2, "other_frequency"),
        (2, 3, 2, "other_frequency"),
        (2, 2, 1, "other_labels"),
        (2, 2, 3, "other_labels"),
    ],
)
def test_the_other_subjects_inputs_need_one_row_each(
    num_profiles: int, num_frequencies: int, num_labels: int, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        _other_shapes(num_profiles, num_frequencies, num_labels)
    _other_shapes(2, 2, 2)  # every one fitting: no error


def test_no_pair_at_all_finds_nothing() -> None:
    found = _find([CANDIDATE], [FAR], genes={"urn:c:0": ["g1"], "urn:o:1": ["g1"]})
    assert found.entries == [()] and found.count == 0 and found.frequency.nnz == 0
