"""The phenotype annotations of a KG as columns in memory.

Every ``kgv:PhenotypeAnnotation`` node becomes one row: subject (disease), object (term),
negation, frequency, onset, sex, evidence, aspect, sources, modifiers. Diagnosis, simulation
and rules read these columns; each row keeps its annotation IRI so any use can cite the fact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

from kg.errors import UnknownTermError
from kg.namespaces import DCTERMS, KGV, KGV_ANNOTATION, RDF, RDFS_LABEL, compress, to_iri
from kg.shared_values import shared_rows, shared_strings

if TYPE_CHECKING:
    import pyoxigraph as ox

    from kg.remote import RemoteStore

_ROWS = f"""
SELECT ?a ?d ?t ?neg ?fv ?ft ?ftext ?onset ?sex ?ev ?aspect WHERE {{
  ?a a <{KGV_ANNOTATION}> ; <{RDF}subject> ?d ; <{RDF}object> ?t .
  OPTIONAL {{ ?a <{KGV}negated> ?neg }}
  OPTIONAL {{ ?a <{KGV}frequencyValue> ?fv }}
  OPTIONAL {{ ?a <{KGV}frequency> ?ft }}
  OPTIONAL {{ ?a <{KGV}frequencyText> ?ftext }}
  OPTIONAL {{ ?a <{KGV}onset> ?onset }}
  OPTIONAL {{ ?a <{KGV}sex> ?sex }}
  OPTIONAL {{ ?a <{KGV}evidence> ?ev }}
  OPTIONAL {{ ?a <{KGV}aspect> ?aspect }}
}}
"""
_SOURCES = f"""
SELECT ?a ?src WHERE {{ ?a a <{KGV_ANNOTATION}> ; <{DCTERMS}source> ?src }}
"""
_MODIFIERS = f"""
SELECT ?a ?m WHERE {{ ?a a <{KGV_ANNOTATION}> ; <{KGV}modifier> ?m }}
"""
_SUBJECT_LABELS = f"""
SELECT DISTINCT ?d ?label WHERE {{
  ?a a <{KGV_ANNOTATION}> ; <{RDF}subject> ?d . OPTIONAL {{ ?d <{RDFS_LABEL}> ?label }}
}}
"""
SEX_CODES = {"": 0, "MALE": 1, "FEMALE": 2}
T = TypeVar("T")


#: One row for :meth:`AnnotationTableBuilder.add_rows`: the arguments of
#: :meth:`AnnotationTableBuilder.add` in its order (iri, subject, term, negated, frequency,
#: frequency_term, onset, sex, evidence, aspect, modifiers, sources, frequency_text), without
#: a subject label; the builder copies the two lists, which may be shared between rows.
AnnotationRow = tuple[
    str, str, str, bool, float | None, str, str, str, str, str, Sequence[str], Sequence[str], str
]


class AnnotationTableBuilder:
    """Collects annotation rows one at a time (or many at once), then freezes them into an
    AnnotationTable."""

    def __init__(self) -> None:
        self._subjects: dict[str, int] = {}
        self._subject_labels: list[str] = []
        self._terms: dict[str, int] = {}
        self._rows: dict[str, int] = {}
        # One list per column (attributes, not a dict of lists: ``add`` runs once per row of
        # phenotype.hpoa, 270k times in an HPO build).
        self._s: list[int] = []
        self._t: list[int] = []
        self._neg: list[bool] = []
        self._f: list[float] = []
        self._ft: list[str] = []
        self._on: list[str] = []
        self._sex: list[int] = []
        self._ev: list[str] = []
        self._asp: list[str] = []
        self._mod: list[list[str]] = []
        self._src: list[list[str]] = []
        self._ftext: list[str] = []

    def __contains__(self, annotation_iri: str) -> bool:
        return annotation_iri in self._rows

    def add(
        self,
        iri: str,
        subject: str,
        term: str,
        *,
        subject_label: str = "",
        negated: bool = False,
        frequency: float | None = None,
        frequency_term: str = "",
        onset: str = "",
        sex: str = "",
        evidence: str = "",
        aspect: str = "",
        modifiers: list[str] | None = None,
        sources: list[str] | None = None,
        frequency_text: str = "",
    ) -> None:
        """Add one row; a repeated annotation IRI is ignored (the first row wins)."""
        rows = self._rows
        if iri in rows:
            return
        rows[iri] = len(rows)
        subjects = self._subjects
        s = subjects.get(subject)
        if s is None:
            s = subjects[subject] = len(subjects)
            self._subject_labels.append(subject_label)
        elif subject_label and not self._subject_labels[s]:
            self._subject_labels[s] = subject_label
        terms = self._terms
        t = terms.get(term)
        if t is None:
            t = terms[term] = len(terms)
        self._s.append(s)
        self._t.append(t)
        self._neg.append(negated)
        self._f.append(np.nan if frequency is None else frequency)
        self._ft.append(frequency_term)
        self._on.append(onset)
        self._sex.append(SEX_CODES.get(sex.upper(), 0) if sex else 0)
        self._ev.append(evidence)
        self._asp.append(aspect)
        self._mod.append(modifiers if modifiers is not None else [])
        self._src.append(sources if sources is not None else [])
        self._ftext.append(frequency_text)

    def add_rows(self, rows: Sequence[AnnotationRow]) -> None:
        """Add many rows, as :meth:`add` one by one would (a repeated annotation IRI is
        ignored), column by column: faster than a call of :meth:`add` per row."""
        known = self._rows
        iris = [row[0] for row in rows]
        if known or len(dict.fromkeys(iris)) < len(iris):  # keep the first of each IRI
            kept = []
            for row in rows:
                if row[0] not in known:
                    known[row[0]] = len(known)
                    kept.append(row)
            rows = kept
        else:
            known.update(zip(iris, range(len(iris)), strict=True))
        if not rows:
            return
        (_, subject, term, negated, frequency, frequency_term, onset, sex, evidence, aspect,
         modifiers, sources, frequency_text) = zip(*rows, strict=True)  # fmt: skip
        subjects, terms = self._subjects, self._terms
        for s in dict.fromkeys(subject):
            if s not in subjects:
                subjects[s] = len(subjects)
                self._subject_labels.append("")
        for t in dict.fromkeys(term):
            if t not in terms:
                terms[t] = len(terms)
        self._s += map(subjects.__getitem__, subject)
        self._t += map(terms.__getitem__, term)
        self._neg += negated
        self._f += [np.nan if f is None else f for f in frequency]
        self._ft += frequency_term
        self._on += onset
        self._sex += [SEX_CODES.get(x.upper(), 0) if x else 0 for x in sex]
        self._ev += evidence
        self._asp += aspect
        self._mod += map(list, modifiers)
        self._src += map(list, sources)
        self._ftext += frequency_text

    def add_source(self, iri: str, source: str) -> None:
        """Add a source (reference IRI) to an added row."""
        i = self._rows.get(iri)
        if i is not None:
            self._src[i].append(source)

    def add_modifier(self, iri: str, modifier: str) -> None:
        """Add a modifier (term IRI) to an added row."""
        i = self._rows.get(iri)
        if i is not None:
            self._mod[i].append(modifier)

    def set_subject_label(self, subject: str, label: str) -> None:
        """Set a subject's label where it has none."""
        i = self._subjects.get(subject)
        if i is not None and not self._subject_labels[i]:
            self._subject_labels[i] = label

    def build(self, node_values: bool = True) -> AnnotationTable:
        """The table; ``node_values`` False leaves out what only a table whose rows hold
        their nodes' values as the store holds them keeps (:attr:`AnnotationTable.node_values`:
        a store whose annotation nodes have several values of one property, or values of
        other kinds than the HPO build writes)."""
        return AnnotationTable(
            list(self._subjects),
            list(self._subject_labels),
            list(self._terms),
            list(self._rows),
            np.array(self._s, dtype=np.int32),
            np.array(self._t, dtype=np.int32),
            np.array(self._neg, dtype=bool),
            np.array(self._f, dtype=np.float32),
            list(self._ft),
            list(self._on),
            np.array(self._sex, dtype=np.int8),
            list(self._ev),
            list(self._asp),
            list(self._src),
            list(self._mod),
            list(self._ftext) if node_values else None,
            np.array(self._f, dtype=np.float64) if node_values else None,
        )


def _rows_by_value(column: np.ndarray, count: int) -> list[np.ndarray]:
    """For each value ``0 .. count-1`` of an index column, the rows holding it, in order."""
    order = np.argsort(column, kind="stable")
    bounds = np.searchsorted(column[order], np.arange(count + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(count)]


def _take(values: list[T], rows: list[int]) -> list[T]:
    """``[values[r] for r in rows]`` in one C call (faster for long lists)."""
    if len(rows) < 2:  # itemgetter of one index gives the item, not a tuple
        return [values[r] for r in rows]
    return list(itemgetter(*rows)(values))


def _by_pair_then_iri(
    subject: np.ndarray, term: np.ndarray, n_terms: int, iris: list[str]
) -> list[int]:
    """Row indices ordered by (subject, term, annotation IRI): sorted by the two numbers,
    then each run of one (subject, term) by IRI (a few rows: faster than ranking all
    IRIs); rows of one IRI stay in their order."""
    order = np.lexsort((term, subject))  # stable: a pair's rows stay in their order
    keys = subject[order].astype(np.int64) * max(n_terms, 1) + term[order]
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(keys)) + 1, [len(keys)]))
    several = np.diff(bounds) > 1
    rows = order.tolist()
    by_iri = iris.__getitem__
    for start, end in zip(bounds[:-1][several].tolist(), bounds[1:][several].tolist(), strict=True):
        rows[start:end] = sorted(rows[start:end], key=by_iri)
    return rows


@dataclass
class AnnotationTable:
    """Annotation rows as parallel arrays.

    Attributes:
        subjects: IRI of each annotated subject (disease); ``subject`` indexes it.
        subject_labels: label of each subject.
        terms: IRI of each annotated object (phenotype term); ``term`` indexes it.
        annotation_iris: IRI of each row's annotation node.
        subject, term: ``[rows]`` int32 indices.
        negated: ``[rows]`` bool (the NOT qualifier).
        frequency: ``[rows]`` float32 in [0, 1], NaN when not stated.
        frequency_term: ``[rows]`` frequency term IRI or "" (parallel list).
        onset: ``[rows]`` onset term IRI or "".
        sex: ``[rows]`` int8, 0 any, 1 male, 2 female.
        evidence: ``[rows]`` evidence code.
        aspect: ``[rows]`` aspect code (P, I, C, M, H).
        sources: ``[rows]`` list of source IRIs (PMIDs ...).
        modifier: ``[rows]`` list of modifier term IRIs (HPO clinical modifiers: "Severe",
            "Unilateral" ...), empty where none is stated.
        frequency_text: ``[rows]`` the frequency as stated ("3/7", "40%") where the node keeps
            it (``kgv:frequencyText``), else ""; None in a table without the column.
        frequency_exact: ``[rows]`` float64, the frequency as the store holds it (``frequency``
            is float32), NaN when not stated; None in a table without the column.
    """

    subjects: list[str]
    subject_labels: list[str]
    terms: list[str]
    annotation_iris: list[str]
    subject: np.ndarray
    term: np.ndarray
    negated: np.ndarray
    frequency: np.ndarray
    frequency_term: list[str]
    onset: list[str]
    sex: np.ndarray
    evidence: list[str]
    aspect: list[str]
    sources: list[list[str]]
    modifier: list[list[str]] = field(default_factory=list)
    frequency_text: list[str] | None = None
    frequency_exact: np.ndarray | None = None
    _subject_index: dict[str, int] = field(default_factory=dict, repr=False)
    _rows_of: list[np.ndarray] | None = field(default=None, repr=False)
    _term_index: dict[str, int] | None = field(default=None, repr=False)
    _rows_with: list[np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._subject_index = {iri: i for i, iri in enumerate(self.subjects)}
        if not self.modifier:  # a table saved before the column existed
            self.modifier = [[] for _ in self.annotation_iris]

    def __len__(self) -> int:
        return len(self.annotation_iris)

    @property
    def node_values(self) -> bool:
        """Whether each row holds every value of its annotation node as the store holds it
        (one value of each property, the frequency exact and as stated), so that the rows
        can stand for the nodes' triples (:meth:`kg.knowledge_graph.KnowledgeGraph.annotations_of`).
        A table saved before these columns, or read from a store whose nodes have several
        values of one property, does not."""
        return self.frequency_text is not None and self.frequency_exact is not None

    @property
    def present(self) -> np.ndarray:
        """``[rows]`` bool: the rows that say the subject has the term, i.e. neither NOT nor
        of frequency 0 ("0/5", "0%", HP:0040285 Excluded: seen in none of the patients). An
        unstated frequency counts as present. Only these rows give direct ``RO:0002200``
        edges; the others are evidence of absence."""
        return ~self.negated & ~(self.frequency == 0)

    def pair_keys(self) -> np.ndarray:
        """``[rows]`` int64: one key per (subject, term) pair, ordered as the index pairs
        are (:meth:`pairs_of` reads them back)."""
        return self.subject.astype(np.int64) * max(len(self.terms), 1) + self.term

    def pairs_of(self, keys: np.ndarray) -> list[tuple[str, str]]:
        """(subject IRI, term IRI) of each key of :meth:`pair_keys`, in order."""
        subjects, terms = np.divmod(keys, max(len(self.terms), 1))
        return [
            (self.subjects[s], self.terms[t])
            for s, t in zip(subjects.tolist(), terms.tolist(), strict=True)
        ]

    def subject_index(self, subject: str) -> int:
        """Index of a subject given as IRI or CURIE.

        Raises:
            UnknownTermError: no annotation has that subject (with close matches).
        """
        iri = subject if subject in self._subject_index else to_iri(subject)
        try:
            return self._subject_index[iri]
        except KeyError:
            raise UnknownTermError(subject, (compress(s) for s in self.subjects)) from None

    def rows_of(self, subject: str | int) -> np.ndarray:
        """Row indices of the annotations of one subject."""
        if self._rows_of is None:
            self._rows_of = _rows_by_value(self.subject, len(self.subjects))
        i = subject if isinstance(subject, int) else self.subject_index(subject)
        return self._rows_of[i]

    def rows_of_iri(self, subject: str) -> np.ndarray:
        """Row indices of the annotations of one subject IRI (empty when none has it)."""
        i = self._subject_index.get(subject)
        return self.rows_of(i) if i is not None else np.zeros(0, dtype=np.intp)

    def rows_with_term(self, term: str) -> np.ndarray:
        """Row indices, in the table's order, of the annotations whose term is ``term`` (an
        IRI; empty when no annotation has it)."""
        if self._term_index is None:
            self._term_index = {iri: i for i, iri in enumerate(self.terms)}
        if self._rows_with is None:
            self._rows_with = _rows_by_value(self.term, len(self.terms))
        i = self._term_index.get(term)
        return self._rows_with[i] if i is not None else np.zeros(0, dtype=np.intp)

    def rows_with_terms(self, terms: Iterable[str]) -> np.ndarray:
        """Row indices, in the table's order, of the annotations whose term is one of
        ``terms`` (IRIs; ones no annotation has are ignored)."""
        if self._term_index is None:
            self._term_index = {iri: i for i, iri in enumerate(self.terms)}
        wanted = [self._term_index[t] for t in terms if t in self._term_index]
        return np.flatnonzero(np.isin(self.term, np.asarray(wanted, dtype=self.term.dtype)))

    def canonical(self) -> AnnotationTable:
        """The same rows in an order fixed by their content alone: subjects and terms sorted
        by IRI, rows by (subject, term, annotation IRI), each row's sources sorted and distinct.

        A domain builder collects rows in file order and a store answers in its own index
        order; the derived tables are written in this order, so every way of reading the same
        KG (a local build, any SPARQL endpoint) gives identical tables.
        """
        subject_order = sorted(range(len(self.subjects)), key=self.subjects.__getitem__)
        term_order = sorted(range(len(self.terms)), key=self.terms.__getitem__)
        subject_rank = np.empty(len(self.subjects), dtype=np.int32)
        subject_rank[subject_order] = np.arange(len(self.subjects), dtype=np.int32)
        term_rank = np.empty(len(self.terms), dtype=np.int32)
        term_rank[term_order] = np.arange(len(self.terms), dtype=np.int32)
        subject, term = subject_rank[self.subject], term_rank[self.term]
        rows = _by_pair_then_iri(subject, term, len(self.terms), self.annotation_iris)
        order = np.asarray(rows, dtype=np.intp)
        return AnnotationTable(
            [self.subjects[i] for i in subject_order],
            [self.subject_labels[i] for i in subject_order],
            [self.terms[i] for i in term_order],
            _take(self.annotation_iris, rows),
            subject[order],
            term[order],
            self.negated[order],
            self.frequency[order],
            _take(self.frequency_term, rows),
            _take(self.onset, rows),
            self.sex[order],
            _take(self.evidence, rows),
            _take(self.aspect, rows),
            [list(v) if len(v) < 2 else sorted(set(v)) for v in _take(self.sources, rows)],
            [list(v) if len(v) < 2 else sorted(set(v)) for v in _take(self.modifier, rows)],
            None if self.frequency_text is None else _take(self.frequency_text, rows),
            None if self.frequency_exact is None else self.frequency_exact[order],
        )

    def save(self, folder: Path) -> None:
        """Write ``annotations.npz`` and ``annotations.json`` into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "subject": self.subject,
            "term": self.term,
            "negated": self.negated,
            "frequency": self.frequency,
            "sex": self.sex,
        }
        if self.frequency_exact is not None:
            arrays["frequency_exact"] = self.frequency_exact
        np.savez(folder / "annotations.npz", **arrays)
        meta = {
            "subjects": self.subjects,
            "subject_labels": self.subject_labels,
            "terms": self.terms,
            "annotation_iris": self.annotation_iris,
            "frequency_term": self.frequency_term,
            "onset": self.onset,
            "evidence": self.evidence,
            "aspect": self.aspect,
            "sources": self.sources,
            "modifier": self.modifier,
        }
        if self.frequency_text is not None:
            meta["frequency_text"] = self.frequency_text
        (folder / "annotations.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> AnnotationTable:
        """Read what :meth:`save` wrote (no pickles)."""
        a = np.load(folder / "annotations.npz", allow_pickle=False)
        m = json.loads((folder / "annotations.json").read_text(encoding="utf-8"))
        return cls(
            m["subjects"],
            m["subject_labels"],
            m["terms"],
            m["annotation_iris"],
            a["subject"],
            a["term"],
            a["negated"],
            a["frequency"],
            shared_strings(m["frequency_term"]),  # a few values in 271k rows of HPO
            shared_strings(m["onset"]),
            a["sex"],
            shared_strings(m["evidence"]),
            m["aspect"],  # one letter each: the JSON reader shares those already
            shared_rows(m["sources"]),
            shared_rows(m.get("modifier", [])),
            # columns a table saved before 2026-12-07 lacks (its nodes are read from the store)
            shared_strings(m["frequency_text"]) if "frequency_text" in m else None,
            a["frequency_exact"] if "frequency_exact" in a.files else None,
        )

    @classmethod
    def concat(cls, first: AnnotationTable, second: AnnotationTable) -> AnnotationTable:
        """The rows of ``first``, then those of ``second`` (tables of different annotation
        nodes); a subject's label is its first non-empty one. The columns that only tables
        standing for their nodes keep are kept when both have them.

        Raises:
            ValueError: an annotation node has rows in both.
        """
        shared = set(first.annotation_iris).intersection(second.annotation_iris)
        if shared:
            raise ValueError(f"annotation nodes in both tables: {sorted(shared)[:3]}")
        subjects = dict.fromkeys([*first.subjects, *second.subjects])
        labels = dict.fromkeys(subjects, "")
        for table in (second, first):  # the first's labels win where both have one
            labels.update(
                (s, x) for s, x in zip(table.subjects, table.subject_labels, strict=True) if x
            )
        terms = dict.fromkeys([*first.terms, *second.terms])
        subject_at = {s: i for i, s in enumerate(subjects)}
        term_at = {t: i for i, t in enumerate(terms)}

        def remapped(table: AnnotationTable, name: str, at: dict[str, int]) -> np.ndarray:
            new = np.array([at[x] for x in getattr(table, name + "s")], dtype=np.int32)
            return new[getattr(table, name)]

        texts, exact = None, None  # both, where both tables keep them (node_values)
        t1, t2 = first.frequency_text, second.frequency_text
        e1, e2 = first.frequency_exact, second.frequency_exact
        if t1 is not None and t2 is not None and e1 is not None and e2 is not None:
            texts, exact = [*t1, *t2], np.concatenate([e1, e2])
        return cls(
            list(subjects),
            list(labels.values()),
            list(terms),
            [*first.annotation_iris, *second.annotation_iris],
            np.concatenate([remapped(t, "subject", subject_at) for t in (first, second)]),
            np.concatenate([remapped(t, "term", term_at) for t in (first, second)]),
            np.concatenate([first.negated, second.negated]),
            np.concatenate([first.frequency, second.frequency]),
            [*first.frequency_term, *second.frequency_term],
            [*first.onset, *second.onset],
            np.concatenate([first.sex, second.sex]),
            [*first.evidence, *second.evidence],
            [*first.aspect, *second.aspect],
            [*first.sources, *second.sources],
            [*first.modifier, *second.modifier],
            texts,
            exact,
        )

    @classmethod
    def from_store(cls, store: ox.Store | RemoteStore) -> AnnotationTable:
        """Read every annotation node of a store (empty table when there is none)."""
        import pyoxigraph as ox

        b = AnnotationTableBuilder()
        node_values = True  # whether every node has the values the HPO build writes
        for r in cast("ox.QuerySolutions", store.query(_ROWS)):
            neg, fv, ft, ftext, onset, sex, ev, asp = (
                r[k] for k in ("neg", "fv", "ft", "ftext", "onset", "sex", "ev", "aspect")
            )
            node_values = node_values and r["a"].value not in b and _as_built(r)
            b.add(
                r["a"].value,
                r["d"].value,
                r["t"].value,
                negated=neg is not None and neg.value in ("true", "1"),
                frequency=float(fv.value) if fv is not None else None,
                frequency_term=ft.value if ft is not None else "",
                onset=onset.value if onset is not None else "",
                sex=sex.value if sex is not None else "",
                evidence=ev.value if ev is not None else "",
                aspect=asp.value if asp is not None else "",
                frequency_text=ftext.value if ftext is not None else "",
            )
        for r in cast("ox.QuerySolutions", store.query(_SOURCES)):
            b.add_source(r["a"].value, r["src"].value)
            node_values = node_values and not isinstance(r["src"], ox.BlankNode)
        for r in cast("ox.QuerySolutions", store.query(_MODIFIERS)):
            b.add_modifier(r["a"].value, r["m"].value)
            node_values = node_values and not isinstance(r["m"], ox.BlankNode)
        for r in cast("ox.QuerySolutions", store.query(_SUBJECT_LABELS)):
            if r["label"] is not None:
                b.set_subject_label(r["d"].value, r["label"].value)
        return b.build(node_values)


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMBERS = (_XSD + "decimal", _XSD + "double", _XSD + "float")
_BOOLEAN, _STRING = _XSD + "boolean", _XSD + "string"


def _as_built(row: ox.QuerySolution) -> bool:
    """Whether a row of :data:`_ROWS` holds values of the kinds the HPO build writes (and
    ``kg/shapes/hpo.ttl`` checks), so that the table's columns give back what the store
    answers: the terms IRIs, the texts plain strings (a stated frequency not empty), the
    frequency a number, the negation a boolean, the evidence and the aspect stated, the sex
    MALE or FEMALE."""
    import pyoxigraph as ox

    def typed(term: object, *datatypes: str) -> bool:
        return isinstance(term, ox.Literal) and term.datatype.value in datatypes

    neg, fv, ft, ftext, onset, sex, ev, asp = (
        row[k] for k in ("neg", "fv", "ft", "ftext", "onset", "sex", "ev", "aspect")
    )
    optional_ok = (
        neg is None or (typed(neg, _BOOLEAN) and neg.value in ("true", "false", "1", "0")),
        fv is None or typed(fv, *_NUMBERS),
        ft is None or isinstance(ft, ox.NamedNode),
        onset is None or isinstance(onset, ox.NamedNode),
        ftext is None or (typed(ftext, _STRING) and ftext.value != ""),
        sex is None or (typed(sex, _STRING) and sex.value in ("MALE", "FEMALE")),
    )
    return all(optional_ok) and typed(ev, _STRING) and typed(asp, _STRING)
