"""IRIs of the vocabularies kgfuse writes, and CURIE <-> IRI conversion.

Standard vocabularies are used wherever one exists (OBO PURLs, RO, IAO, oboInOwl,
SKOS, dcterms, PROV); ``KGV`` holds the few terms no standard vocabulary offers.
"""

from __future__ import annotations

from functools import lru_cache

OBO = "http://purl.obolibrary.org/obo/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"
KGV = "https://w3id.org/kgfuse/vocab#"
KGD = "https://w3id.org/kgfuse/data/"

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
RDFS_SUBCLASS_OF = RDFS + "subClassOf"
OWL_CLASS = OWL + "Class"
OWL_DEPRECATED = OWL + "deprecated"
IAO_DEFINITION = OBO + "IAO_0000115"
IAO_REPLACED_BY = OBO + "IAO_0100001"
RO_HAS_PHENOTYPE = OBO + "RO_0002200"
RO_GENE_CONTRIBUTES_TO = OBO + "RO_0003304"  # contributes to condition
HAS_EXACT_SYNONYM = OBOINOWL + "hasExactSynonym"
HAS_NARROW_SYNONYM = OBOINOWL + "hasNarrowSynonym"
HAS_BROAD_SYNONYM = OBOINOWL + "hasBroadSynonym"
HAS_RELATED_SYNONYM = OBOINOWL + "hasRelatedSynonym"
HAS_SYNONYM_TYPE = OBOINOWL + "hasSynonymType"
#: Predicates naming a term, in the order names are listed: labels, then synonyms by kind.
NAME_PREDICATES = (
    RDFS_LABEL,
    SKOS + "prefLabel",
    SKOS + "altLabel",
    HAS_EXACT_SYNONYM,
    HAS_NARROW_SYNONYM,
    HAS_BROAD_SYNONYM,
    HAS_RELATED_SYNONYM,
)
#: A SPARQL test that the ``owl:deprecated`` value bound to ``?dep`` means true: ``true`` (or
#: ``"1"``) as an ``xsd:boolean``, or the string ``"true"`` (RDF/XML without a datatype,
#: Turtle ``"true"``). :func:`is_true_flag` is the same test in Python.
DEPRECATED_IS_TRUE = '(?dep = true || ?dep = "true")'


def is_true_flag(value: str, datatype: str | None, language: str | None = None) -> bool:
    """Whether a literal set as ``owl:deprecated`` means true (:data:`DEPRECATED_IS_TRUE`):
    ``"true"`` or ``"1"`` typed ``xsd:boolean``, or the plain string ``"true"``."""
    if language:
        return False
    if datatype == XSD + "boolean":
        return value in ("true", "1")
    return datatype in (None, XSD + "string") and value == "true"


def label_rank(language: str | None) -> int:
    """How a label's language ranks when a term's preferred label is chosen: English
    (``en``, ``en-GB`` ...) 0, no language tag 1, any other language 2 (then by text)."""
    if not language:
        return 1
    language = language.lower()
    return 0 if language == "en" or language.startswith("en-") else 2


HAS_DBXREF = OBOINOWL + "hasDbXref"
SYNONYM_PROPERTIES = {
    "EXACT": HAS_EXACT_SYNONYM,
    "NARROW": HAS_NARROW_SYNONYM,
    "BROAD": HAS_BROAD_SYNONYM,
    "RELATED": HAS_RELATED_SYNONYM,
}

# Node types of the kgfuse data model (classes of nodes that are not ontology terms).
KGV_DISEASE = KGV + "Disease"
KGV_GENE = KGV + "Gene"
KGV_ANNOTATION = KGV + "PhenotypeAnnotation"
#: The IRIs of HPO's annotation nodes (``phenotype.hpoa`` rows): this and 20 hex digits of
#: the hash of their row.
HPO_ANNOTATION_PREFIX = KGD + "hpo/annotation/"
KGV_PUBLICATION = KGV + "Publication"

DEFAULT_PREFIX_MAP: dict[str, str] = {
    "HP": OBO + "HP_",
    "MONDO": OBO + "MONDO_",
    "RO": OBO + "RO_",
    "IAO": OBO + "IAO_",
    "ECO": OBO + "ECO_",
    "BFO": OBO + "BFO_",
    "OMIM": "https://omim.org/entry/",
    "ORPHA": "https://www.orpha.net/ORDO/Orphanet_",
    "DECIPHER": "https://www.deciphergenomics.org/syndrome/",
    "NCBIGene": "https://identifiers.org/ncbigene:",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/",
    "ISBN": "https://isbnsearch.org/isbn/",
    "kgv": KGV,
    "kgd": KGD,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "oboInOwl": OBOINOWL,
}


# Longest namespace first, so the most specific prefix wins when compressing.
_BY_NAMESPACE = sorted(((ns, p) for p, ns in DEFAULT_PREFIX_MAP.items()), key=lambda x: -len(x[0]))


def obo_iri(curie: str) -> str:
    """OBO PURL of an OBO-style id (``HP:0001166`` -> ``.../obo/HP_0001166``)."""
    prefix, _, local = curie.partition(":")
    return f"{OBO}{prefix}_{local}"


def expand(curie: str) -> str | None:
    """IRI of a CURIE, or None when its prefix is unknown.

    (A plain dictionary lookup: the ``curies`` package re-derives its prefix map on every
    call, which cost 13 s over the 550k references of the HPO build.)
    """
    prefix, sep, local = curie.partition(":")
    if not sep:
        return None
    ns = DEFAULT_PREFIX_MAP.get(prefix)
    return None if ns is None else ns + local


#: The longest IRI whose CURIE :func:`compress` caches: the KG's IRIs and the references
#: its sources cite are shorter (HPO's longest, a web page, is 156 characters); a longer one
#: is an IRI a client wrote (in a question), which would otherwise stay cached.
MAX_CACHED_IRI_CHARS = 256


def compress(iri: str) -> str:
    """CURIE of an IRI when a prefix matches (OBO PURLs as ``PREFIX:LOCAL``), else the IRI."""
    return _compressed(iri) if len(iri) <= MAX_CACHED_IRI_CHARS else _compress(iri)


def _compress(iri: str) -> str:
    for ns, prefix in _BY_NAMESPACE:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    if iri.startswith(OBO):
        local = iri[len(OBO) :]
        prefix, sep, rest = local.partition("_")
        if sep and prefix.isalnum() and "/" not in rest:
            return f"{prefix}:{rest}"
    return iri


_compressed = lru_cache(maxsize=65536)(_compress)


#: The known prefixes by their lower-case spelling (``hp`` -> ``HP``), and the ones whose
#: namespace is an OBO PURL (``HP``, ``MONDO`` ...: their ids may be written ``HP_0001166``).
#: Other spellings of known prefixes that ids are written with in the wild: Orphanet's own
#: ("Orphanet:558", and "Orphanet_558", the local name of its IRIs) and OMIM's "MIM:".
PREFIX_ALIASES = {"orphanet": "ORPHA", "mim": "OMIM"}
_PREFIX_BY_LOWER = {p.lower(): p for p in DEFAULT_PREFIX_MAP} | PREFIX_ALIASES
_OBO_PREFIXES = frozenset(p for p, ns in DEFAULT_PREFIX_MAP.items() if ns == f"{OBO}{p}_")
#: Spellings of a non-OBO prefix whose ids are also written in the underscore form: the
#: local name of Orphanet's IRIs ("Orphanet_558"); "ORPHA_558" is no id.
_UNDERSCORE_ALIASES = frozenset({"orphanet"})
#: OBO PURLs are http IRIs; some tools write them with https.
_OBO_HTTPS = "https://purl.obolibrary.org/obo/"


def normalise_curie(term: str) -> str:
    """The CURIE of a known prefix as written in another case (``hp:0001166``) or in OBO's
    underscore form (``HP_0001166``, ``hp_0001166``: known OBO prefixes only) spelt as the
    prefix map does (``HP:0001166``); any other string is returned as it is (a local part
    that is empty or holds a space, an unknown prefix, an IRI)."""
    prefix, sep, local = term.partition(":")
    if sep:
        if prefix in DEFAULT_PREFIX_MAP:  # spelt as the map spells it (most ids)
            return term
        known = _PREFIX_BY_LOWER.get(prefix.lower())
    else:
        prefix, sep, local = term.partition("_")
        known = _PREFIX_BY_LOWER.get(prefix.lower()) if sep else None
        if known not in _OBO_PREFIXES and prefix.lower() not in _UNDERSCORE_ALIASES:
            return term
    if known is None or not local or any(c.isspace() for c in local) or "://" in term:
        return term  # an IRI of some scheme ("Hp://x") is no CURIE, as to_iri reads it
    return f"{known}:{local}"


def to_iri(term: str) -> str:
    """Accept a CURIE or an IRI and return the IRI (OBO-style ids fall back to OBO PURLs); a
    known prefix is read in any case and, for OBO prefixes, in the underscore form
    (:func:`normalise_curie`, with :data:`PREFIX_ALIASES`); an IRI may be written in angle
    brackets, and an OBO PURL written with https is its http IRI, as OBO's IRIs are.

    Raises:
        TypeError: ``term`` is not a string.
        ValueError: it is neither an IRI nor a CURIE.
    """
    if not isinstance(term, str):
        raise TypeError(f"a term id is a string such as 'HP:0001166', not {type(term).__name__}")
    if len(term) > 2 and term[0] == "<" and term[-1] == ">":  # as SPARQL and Turtle write IRIs
        term = term[1:-1]
    if term.startswith(_OBO_HTTPS):
        return OBO + term[len(_OBO_HTTPS) :]
    if term.startswith(("http://", "https://", "urn:", "file:", "tag:")) or "://" in term:
        return term  # other schemes: file: IRIs of relative IRIs in a local source, tag: ...
    term = normalise_curie(term)
    iri = expand(term)
    if iri is not None:
        return iri
    prefix, sep, local = term.partition(":")
    if sep and prefix and local and prefix.replace("_", "").isalnum() and " " not in local:
        return obo_iri(term)
    raise ValueError(f"{term!r} is neither an IRI nor a CURIE (expected e.g. HP:0001166)")
