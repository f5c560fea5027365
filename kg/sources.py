"""Ontology source files: format detection, UTF-8 checks and loading into an Oxigraph store.

Supported serialisations are listed in :data:`SUPPORTED_FORMATS`. RDF formats are bulk-loaded
by Oxigraph directly; OBO files are first converted to N-Triples (:mod:`kg.obo`) in a working
folder. Parse errors from either path surface as :class:`~kg.errors.OntologyParseError` naming
the source file and line.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from kg.errors import NotUTF8Error, OntologyParseError, UnsupportedFormatError
from kg.namespaces import OWL, RDF, RDF_TYPE
from kg.obo import obo_to_ntriples

__all__ = [
    "RELATIVE_BASE",
    "SUPPORTED_FORMATS",
    "SourceFormat",
    "SourceStats",
    "UnsupportedSyntaxError",
    "check_rdfxml",
    "check_utf8",
    "detect_format",
    "imports_of",
    "load_source",
    "unloaded_imports",
    "wide_encoding",
]

logger = logging.getLogger(__name__)

_CHUNK_BYTES = 1 << 20
_SNIFF_BYTES = 4096


@dataclass(frozen=True)
class SourceFormat:
    """One serialisation kgfuse can load.

    Attributes:
        name: The name used in ``format=`` arguments and reports (``"turtle"``).
        extensions: File extensions recognised for it, lower case with the dot.
        rdf_format: The Oxigraph parser for it, or ``None`` when kgfuse converts it first.
        description: Human-readable name.
    """

    name: str
    extensions: tuple[str, ...]
    rdf_format: pyoxigraph.RdfFormat | None
    description: str


SUPPORTED_FORMATS: dict[str, SourceFormat] = {
    spec.name: spec
    for spec in (
        SourceFormat("turtle", (".ttl",), pyoxigraph.RdfFormat.TURTLE, "Turtle"),
        SourceFormat("ntriples", (".nt",), pyoxigraph.RdfFormat.N_TRIPLES, "N-Triples"),
        SourceFormat("rdfxml", (".rdf", ".xml", ".owl"), pyoxigraph.RdfFormat.RDF_XML, "RDF/XML"),
        SourceFormat("jsonld", (".jsonld", ".json"), pyoxigraph.RdfFormat.JSON_LD, "JSON-LD"),
        SourceFormat("obo", (".obo",), None, "OBO 1.4 (converted by the OBO-to-OWL mapping)"),
    )
}
"""Serialisations :func:`load_source` reads, by name. ``.owl`` files are RDF/XML when they
start with ``<`` and are otherwise tried as Turtle; OWL Functional, Manchester and OWL/XML
syntaxes are recognised and refused with :class:`UnsupportedSyntaxError` (OWL/XML under a
``.rdf`` or ``.xml`` name too, by :func:`check_rdfxml` when it is loaded)."""

_BY_EXTENSION = {ext: spec.name for spec in SUPPORTED_FORMATS.values() for ext in spec.extensions}
_FUNCTIONAL_SYNTAX = re.compile(r"(?:Prefix|Ontology|Import)\s*\(")
_MANCHESTER_SYNTAX = re.compile(r"(?:Prefix|Ontology)\s*:\s")
_FIRST_ELEMENT = re.compile(r"<(?![?!])([\w:.-]+)")
#: Turtle or N-Triples that begin with a full IRI (``<http://...> a owl:Ontology``), not XML.
_TURTLE_IRI_START = re.compile(r"<(?:[A-Za-z][\w+.-]*://|urn:)[^<>\s]*>\s")


class UnsupportedSyntaxError(UnsupportedFormatError):
    """A recognised serialisation that kgfuse cannot read (OWL Functional Syntax, say)."""

    def __init__(self, path: str | Path, syntax: str, supported: Iterable[str]) -> None:
        super().__init__(path, supported)
        self.syntax = syntax
        self.args = (
            f"{self.path}: {syntax} is not supported; convert it to RDF/XML or Turtle first "
            f"(e.g. `robot convert --input FILE --format ttl`); supported: "
            f"{', '.join(self.supported)}",
        )


@dataclass(frozen=True)
class SourceStats:
    """What loading one source file did.

    Attributes:
        path: The source file.
        format: Its format name (a key of :data:`SUPPORTED_FORMATS`).
        triples: For OBO, the triples the converter wrote; for RDF formats, the triples the
            file added to the store (triples already present are not counted twice).
        sha256: Hex SHA-256 of the source file's bytes.
    """

    path: Path
    format: str
    triples: int
    sha256: str

    def to_dict(self) -> dict[str, str | int]:
        """JSON-ready form, for build manifests and KG fingerprints."""
        return {
            "path": str(self.path),
            "format": self.format,
            "triples": self.triples,
            "sha256": self.sha256,
        }


def detect_format(path: Path, format: str | None = None) -> str:
    """Name the serialisation of a source file.

    Args:
        path: The source file. Only ``.owl`` files are opened (to sniff their syntax).
        format: An explicit format name, which wins over the extension (default: ``None``,
            guess from the extension).

    Returns:
        A key of :data:`SUPPORTED_FORMATS`.

    Raises:
        UnsupportedFormatError: If ``format`` or the extension is unknown; the message lists
            the supported names. :class:`UnsupportedSyntaxError` (a subclass) for ``.owl``
            files in OWL Functional, Manchester or OWL/XML syntax.
        FileNotFoundError: If a ``.owl`` file has to be sniffed and does not exist.
    """
    path = Path(path)
    if format is not None:
        name = format.strip().lower()
        if name not in SUPPORTED_FORMATS:
            error = UnsupportedFormatError(path, SUPPORTED_FORMATS)
            error.args = (
                f"{path}: unknown format name {format!r}; supported: {', '.join(error.supported)}",
            )
            raise error
        return name
    suffix = path.suffix.lower()
    if suffix == ".owl":
        return _sniff_owl(path)
    guessed = _BY_EXTENSION.get(suffix)
    if guessed is None:
        raise UnsupportedFormatError(path, SUPPORTED_FORMATS)
    return guessed


def _sniff_owl(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, "ontology source not found", str(path))
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff")
    # Skip blank and comment lines (Turtle and Functional Syntax both allow ``#`` comments).
    lines = (line.strip() for line in head.splitlines())
    start = "\n".join(line for line in lines if line and not line.startswith("#"))
    if start.startswith("<") and not _TURTLE_IRI_START.match(start):
        first = _FIRST_ELEMENT.search(start)
        if first is not None and first.group(1) == "Ontology":
            tag = start[first.start() : start.find(">", first.start()) + 1 or len(start)]
            # OWL/XML names its ontology with ontologyIRI; an owl:Ontology of RDF/XML that
            # comes first (a file that lost its rdf:RDF root) has rdf:about
            if "rdf:" not in tag:
                raise UnsupportedSyntaxError(path, "OWL/XML", SUPPORTED_FORMATS)
        return "rdfxml"
    if _FUNCTIONAL_SYNTAX.match(start):
        raise UnsupportedSyntaxError(path, "OWL Functional Syntax", SUPPORTED_FORMATS)
    if _MANCHESTER_SYNTAX.match(start):
        raise UnsupportedSyntaxError(path, "OWL Manchester Syntax", SUPPORTED_FORMATS)
    return "turtle"


def wide_encoding(start: bytes) -> str | None:
    """Why a text file that begins with ``start`` cannot be read line by line as UTF-8: it is
    compressed (gzip, zip, bzip2, xz, zstd: their magic bytes), or UTF-16 or UTF-32 (a
    byte-order mark, or NUL bytes among its first four), as Windows PowerShell's ``>``
    writes; None when it is not."""
    if start.startswith((b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ", b"(\xb5/\xfd")):
        return (  # NUL bytes too, and no UTF-16 to convert
            "compressed (gzip, zip, bzip2, xz or zstd): decompress it first (e.g. gunzip)"
        )
    marks = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)
    if start.startswith(marks) or b"\x00" in start[:4]:
        return (
            "in UTF-16 or UTF-32 (a byte-order mark or NUL bytes at the file's start): save "
            "the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"
        )
    return None


def check_utf8(path: Path) -> str:
    """Check that a file is UTF-8, streaming it in 1 MiB chunks.

    Args:
        path: The file.

    Returns:
        The hex SHA-256 of the file's bytes (computed in the same pass).

    Raises:
        NotUTF8Error: At the first byte that is not UTF-8, with its line and byte offset.
        FileNotFoundError: If the file does not exist.
    """
    return _scan(Path(path))


def _scan(path: Path) -> str:
    """Check UTF-8 and hash in one pass; return the hex SHA-256."""
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, "ontology source not found", str(path))
    digest = hashlib.sha256()
    offset = 0  # file offset of data[0]
    newlines = 0  # newlines before data[0]
    carry = b""  # an incomplete multi-byte sequence at the end of the previous chunk
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
            data = carry + chunk if carry else chunk
            try:
                # final=False returns how many bytes formed complete characters.
                _, consumed = codecs.utf_8_decode(data, "strict", False)
            except UnicodeDecodeError as err:
                raise _not_utf8(path, data, err.start, offset, newlines, err.reason) from None
            carry = data[consumed:]
            newlines += data.count(b"\n", 0, consumed)
            offset += consumed
    if carry:
        raise _not_utf8(path, carry, 0, offset, newlines, "truncated sequence at end of file")
    return digest.hexdigest()


def _not_utf8(
    path: Path, data: bytes, index: int, offset: int, newlines: int, reason: str
) -> NotUTF8Error:
    line = newlines + data.count(b"\n", 0, index) + 1
    return NotUTF8Error(
        path,
        f"not UTF-8: byte 0x{data[index]:02x} at byte offset {offset + index} ({reason}); "
        "re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
        line,
    )


def load_source(
    store: pyoxigraph.Store, path: Path, format: str | None = None, *, workdir: Path
) -> SourceStats:
    """Load one ontology source file into the default graph of an Oxigraph store.

    RDF formats go through ``Store.bulk_load``; a file whose IRIs are relative with no base
    of its own (Turtle ``<#C1>`` without ``@base``) is refused, since resolving them against
    the file's folder would give the same content (the same fingerprint) other IRIs in
    another folder. RDF/XML is checked to be well-formed XML with an ``rdf:RDF`` root first
    (Oxigraph's parser accepts a truncated file and any XML root). OBO files are converted
    to N-Triples in ``workdir`` first (the temporary file is removed afterwards).
    ``bulk_load`` is not transactional: a file that fails late in parsing may leave the
    triples before the error in the store, so discard a store whose build failed. Oxigraph
    gives each load its own blank node ids, so blank nodes of different files never merge.

    Args:
        store: The store to load into.
        path: The source file.
        format: Format name overriding the extension (default: ``None``, see
            :func:`detect_format`).
        workdir: Folder for intermediate files (created when missing).

    Returns:
        The file's format, triple count and SHA-256.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        UnsupportedFormatError: If the format is unknown or unsupported.
        NotUTF8Error: If the file is not UTF-8.
        OntologyParseError: On a syntax error, with the file and (when the parser reports
            it) the line; on RDF/XML that is not well-formed XML or not rooted in
            ``rdf:RDF``; on relative IRIs without a base, naming the first.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, "ontology source not found", str(path))
    name = detect_format(path, format)
    started = time.perf_counter()
    sha256 = _scan(path)
    spec = SUPPORTED_FORMATS[name]
    head = check_not_empty(path)
    readable = _without_bom(path, Path(workdir)) if head.startswith(_BOM) else path
    try:
        if spec.rdf_format is None:
            triples = _load_obo(store, readable, Path(workdir), blank_prefix=f"b{sha256[:12]}x")
        else:
            if spec.rdf_format == pyoxigraph.RdfFormat.RDF_XML:
                check_rdfxml(readable)
            _check_no_relative_iris(readable, spec.rdf_format)
            before = len(store)
            # The base is the same for every copy of a file: its IRIs never depend on the
            # folder it was built from (the fingerprint hashes its content alone).
            _bulk_load(store, readable, spec.rdf_format, base_iri=RELATIVE_BASE)
            if spec.rdf_format == pyoxigraph.RdfFormat.JSON_LD:  # the one dataset format
                _merge_named_graphs(store, path)
            triples = len(store) - before
    except (OntologyParseError, UnsupportedSyntaxError) as err:
        if readable == path:
            raise
        # name the file given, not the copy without its byte-order mark
        if isinstance(err, UnsupportedSyntaxError):
            raise UnsupportedSyntaxError(path, err.syntax, SUPPORTED_FORMATS) from err
        raise OntologyParseError(path, err.reason, err.line) from err
    finally:
        if readable != path:
            readable.unlink(missing_ok=True)
    if triples == 0:
        logger.warning("%s added no triple to the KG (only prefixes or comments?)", path)
    logger.info(
        "loaded %s (%s): %d triples in %.1f s",
        path,
        name,
        triples,
        time.perf_counter() - started,
    )
    return SourceStats(path=path, format=name, triples=triples, sha256=sha256)


def _load_obo(store: pyoxigraph.Store, path: Path, workdir: Path, *, blank_prefix: str) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f"{path.stem}-", suffix=".nt", dir=workdir)
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            stats = obo_to_ntriples(path, out, blank_prefix=blank_prefix)
        if not stats.frames:  # fastobo reads any "key: value" line as a header tag
            raise OntologyParseError(
                path,
                "no [Term], [Typedef] or [Instance] frame: nothing to load (a Turtle or other "
                "RDF file named .obo? give it its own extension, or --format)",
            )
        try:
            _bulk_load(store, temp_path, pyoxigraph.RdfFormat.N_TRIPLES, base_iri=None)
        except OntologyParseError as err:  # name the file given, not the conversion
            # the parser's place is in the converted text, which is gone: show its triple
            reason = _PARSER_PLACE.sub("", err.reason)
            raise OntologyParseError(
                path, f"{reason}, in the triple {_line_of(temp_path, err.line)}", None
            ) from err
    finally:
        temp_path.unlink(missing_ok=True)
    return stats.triples


def _line_of(path: Path, line: int | None, limit: int = 300) -> str:
    """Line ``line`` of a text file, shortened to ``limit`` characters (for a message)."""
    if line is None:
        return "(no line given)"
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, text in enumerate(fh, start=1):
            if n == line:
                text = text.rstrip("\n")
                return repr(text if len(text) <= limit else text[:limit] + "...")
    return f"(line {line})"


_BOM = b"\xef\xbb\xbf"
#: How Oxigraph's parser errors begin: a place in the text it parsed.
_PARSER_PLACE = re.compile(r"^Parser error at line \d+ between columns \d+ and \d+: ")


def check_not_empty(path: Path) -> bytes:
    """The first 4 KiB of a source file, which must hold more than white space.

    Raises:
        OntologyParseError: the file is empty (or white space, or a byte-order mark only).
    """
    with Path(path).open("rb") as fh:
        head = fh.read(4096)
        text = head[len(_BOM) :] if head.startswith(_BOM) else head
        if not text.strip() and not fh.read(1 << 20).strip():
            raise OntologyParseError(path, "the file is empty", None)
    return head


def _without_bom(path: Path, workdir: Path) -> Path:
    """A copy of ``path`` in ``workdir`` without its UTF-8 byte-order mark (which the RDF
    parsers read as a character of the first term)."""
    workdir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f"{path.stem}-", suffix=path.suffix, dir=workdir)
    with os.fdopen(handle, "wb") as out, path.open("rb") as src:
        src.read(len(_BOM))
        shutil.copyfileobj(src, out, 1 << 20)
    return Path(name)


def _merge_named_graphs(store: pyoxigraph.Store, path: Path) -> None:
    """Move the triples a JSON-LD source put in named graphs (a top-level ``@graph`` with an
    ``@id``) into the default graph, which is the KG: there they would be invisible."""
    graphs = list(store.named_graphs())
    if not graphs:
        return
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    for graph in graphs:
        store.remove_graph(graph)
    logger.info("%s: merged %d named graph(s) into the KG's default graph", path, len(graphs))


def _bulk_load(
    store: pyoxigraph.Store, path: Path, rdf_format: pyoxigraph.RdfFormat, *, base_iri: str | None
) -> None:
    try:
        store.bulk_load(path=path, format=rdf_format, base_iri=base_iri)
    except SyntaxError as err:
        raise _parse_error(path, err) from err
    except MemoryError as err:  # Oxigraph's parse buffer (16 MiB) holds one token at most
        raise OntologyParseError(
            path, f"a single term or literal is too long to parse ({err})", None
        ) from err


# ---- RDF/XML: well-formed XML rooted in rdf:RDF -------------------------------------------


_CODES = xml.parsers.expat.errors.codes
_NO_ELEMENTS = _CODES[xml.parsers.expat.errors.XML_ERROR_NO_ELEMENTS]
#: expat errors at the end of a file cut short.
_ENDS_EARLY = frozenset(
    {
        _NO_ELEMENTS,
        _CODES[xml.parsers.expat.errors.XML_ERROR_UNCLOSED_TOKEN],
        _CODES[xml.parsers.expat.errors.XML_ERROR_PARTIAL_CHAR],
    }
)


class _Root(Exception):
    """Raised from inside expat at the root element: (namespace, local name, line, column)."""


def check_rdfxml(path: Path) -> None:
    """Check that an RDF/XML file is well-formed XML whose root element is ``rdf:RDF`` (or a
    single node element with an ``rdf:about``, ``rdf:ID`` or ``rdf:nodeID``).

    Oxigraph's RDF/XML parser loads the triples before the cut of a truncated file and reads
    any XML root (a Maven ``pom.xml``) as a node, so both would build a KG. The file is
    streamed through expat (1 MiB at a time). External entities and external DTDs are never
    loaded; internal entities (``<!ENTITY owl "...">``, common in OWL files) are expanded
    under expat's limits on entity amplification.

    Raises:
        OntologyParseError: the first XML error, with its line and column (and a hint when
            the file ends early), or a root that is not ``rdf:RDF``.
        UnsupportedSyntaxError: the root is an OWL/XML ``Ontology``.
    """
    path = Path(path)
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.ExternalEntityRefHandler = lambda *_: 1  # never open what an entity points to
    checked = False

    def root(name: str, attributes: object) -> None:
        nonlocal checked
        namespace, _, local = name.rpartition(" ")
        # rdf:RDF, or a document of one node element (<owl:Class rdf:about="...">), which
        # RDF/XML allows without the wrapper
        node = isinstance(attributes, dict) and any(
            key in (f"{RDF} about", f"{RDF} ID", f"{RDF} nodeID") for key in attributes
        )
        if (namespace == RDF and local == "RDF") or node:
            checked = True
            parser.StartElementHandler = None  # the rest needs no Python call per element
            return
        raise _Root(namespace, local, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    parser.StartElementHandler = root
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK_BYTES):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as err:
        reason = xml.parsers.expat.ErrorString(err.code) or str(err)
        ends_early = err.code in _ENDS_EARLY and (checked or err.code != _NO_ELEMENTS)
        hint = " (the file ends before its elements are closed: is it truncated?)"
        hint = hint if ends_early else ""
        raise OntologyParseError(
            path,
            f"not well-formed XML at column {(err.offset or 0) + 1}: {reason}{hint}",
            err.lineno,
        ) from None
    except _Root as found:
        namespace, local, line, column = found.args
        if local == "Ontology" and namespace in (OWL, ""):
            raise UnsupportedSyntaxError(path, "OWL/XML", SUPPORTED_FORMATS) from None
        shown = f"<{local}> (namespace {namespace})" if namespace else f"<{local}>"
        raise OntologyParseError(
            path,
            f"the root element (column {column}) is {shown}, not rdf:RDF: this is not an "
            "RDF/XML file (an RDF/XML document is wrapped in <rdf:RDF xmlns:rdf="
            f'"{RDF}">)',
            line,
        ) from None
    if not checked:  # an XML file without elements fails above; kept for safety
        raise OntologyParseError(path, "no rdf:RDF root element: not an RDF/XML file")


# ---- relative IRIs ---------------------------------------------------------------------------

#: The base every RDF source is loaded with: a relative IRI resolves to an IRI under
#: :data:`_RELATIVE_HOST`, the same in any folder, and such IRIs are refused.
_RELATIVE_HOST = "http://kgfuse.invalid/"
RELATIVE_BASE = _RELATIVE_HOST + "relative/"
_SCHEME = rb"[A-Za-z][A-Za-z0-9+.\-]*:"
#: Text that may make a relative IRI, by format (a cheap scan: a match only means that the
#: file is parsed once more to look at its IRIs). Turtle: an IRI ``<...>`` without a scheme;
#: RDF/XML: an ``about``/``resource``/``datatype``/``base`` value without a scheme (entities
#: included), or any ``rdf:ID``. JSON-LD is always parsed; N-Triples has no relative IRIs.
_MAYBE_RELATIVE = {
    pyoxigraph.RdfFormat.TURTLE: re.compile(rb"<(?!" + _SCHEME + rb"|<)"),
    pyoxigraph.RdfFormat.RDF_XML: re.compile(
        rb"(?:\b(?:about|resource|datatype|base)\s*=\s*[\"'](?!" + _SCHEME + rb")|\bID\s*=)"
    ),
}
_OVERLAP = 256  # bytes of one chunk scanned again with the next (a match across the cut)
_ADD_BASE = {
    pyoxigraph.RdfFormat.TURTLE: "add `@base <http://example.org/your-ontology/> .` at the "
    "top of the file",
    pyoxigraph.RdfFormat.RDF_XML: 'add xml:base="http://example.org/your-ontology/" to its '
    "rdf:RDF element",
    pyoxigraph.RdfFormat.JSON_LD: 'add "@base": "http://example.org/your-ontology/" to its '
    '"@context"',
}


def _may_have_relative_iris(path: Path, rdf_format: pyoxigraph.RdfFormat) -> bool:
    if rdf_format == pyoxigraph.RdfFormat.N_TRIPLES:
        return False
    pattern = _MAYBE_RELATIVE.get(rdf_format)
    if pattern is None:
        return True
    with path.open("rb") as fh:
        data = fh.read(_CHUNK_BYTES)
        while data:
            following = fh.read(_CHUNK_BYTES)
            # a match in the last bytes before more text may be a value cut short
            # ("<htt"): those bytes are scanned again with the text after them
            end = len(data) - _OVERLAP if following else len(data)
            found = pattern.search(data)
            if found is not None and found.start() < end:
                return True
            data = data[end:] + following if following else b""
    return False


def _first_relative_iri(path: Path, rdf_format: pyoxigraph.RdfFormat) -> str | None:
    """The first IRI of the file that resolves against :data:`RELATIVE_BASE`, as written
    relative to it, or None."""
    try:
        for statement in pyoxigraph.parse(path=path, format=rdf_format, base_iri=RELATIVE_BASE):
            terms = [statement.subject, statement.predicate, statement.object]
            if isinstance(statement, pyoxigraph.Quad):
                terms.append(statement.graph_name)
            for term in terms:
                if isinstance(term, pyoxigraph.NamedNode) and term.value.startswith(_RELATIVE_HOST):
                    value = term.value
                    if value.startswith(RELATIVE_BASE):
                        return value[len(RELATIVE_BASE) :]
                    return value[len(_RELATIVE_HOST) - 1 :]
    except SyntaxError as err:
        raise _parse_error(path, err) from err
    return None


def _parse_error(path: Path, err: SyntaxError) -> OntologyParseError:
    """Oxigraph's parse error as one naming the file and line, in the user's terms."""
    reason = err.msg or str(err)
    if "LoadDocumentCallback" in reason:  # a JSON-LD @context given by its URL
        reason = (
            "its @context is a URL, and kgfuse fetches nothing at build time: put the "
            'context\'s content in the file ("@context": {...}) instead of its URL'
        )
    return OntologyParseError(path, reason, err.lineno)


def _check_no_relative_iris(path: Path, rdf_format: pyoxigraph.RdfFormat) -> None:
    """Refuse a file whose IRIs are relative with no base of its own.

    Raises:
        OntologyParseError: naming the first relative IRI and how to give the file a base.
    """
    if not _may_have_relative_iris(path, rdf_format):
        return
    relative = _first_relative_iri(path, rdf_format)
    if relative is None:
        return
    shown = f"<{relative}>" if relative else "<> (the document itself)"
    raise OntologyParseError(
        path,
        f"the relative IRI {shown} has no base in the file: "
        f"{_ADD_BASE.get(rdf_format, 'give the file a base IRI')} (kgfuse does not resolve "
        "IRIs against the file's folder: the same file elsewhere would give other IRIs)",
    )


# ---- owl:imports -----------------------------------------------------------------------------

_IMPORTS = pyoxigraph.NamedNode(OWL + "imports")
_VERSION_IRI = pyoxigraph.NamedNode(OWL + "versionIRI")
_ONTOLOGY = pyoxigraph.NamedNode(OWL + "Ontology")
_TYPE = pyoxigraph.NamedNode(RDF_TYPE)


def imports_of(store: pyoxigraph.Store) -> set[str]:
    """The IRIs that ``owl:imports`` triples of the store's default graph name."""
    return {
        q.object.value
        for q in store.quads_for_pattern(None, _IMPORTS, None, pyoxigraph.DefaultGraph())
        if isinstance(q.object, pyoxigraph.NamedNode)
    }


def unloaded_imports(store: pyoxigraph.Store, imports: Iterable[str]) -> list[str]:
    """The ``imports`` that name no ontology of the store (neither an ``owl:Ontology`` nor
    an ``owl:versionIRI``): kgfuse never fetches them, so their triples are not in the KG."""
    graph = pyoxigraph.DefaultGraph()
    loaded = {
        q.subject.value
        for q in store.quads_for_pattern(None, _TYPE, _ONTOLOGY, graph)
        if isinstance(q.subject, pyoxigraph.NamedNode)
    } | {
        q.object.value
        for q in store.quads_for_pattern(None, _VERSION_IRI, None, graph)
        if isinstance(q.object, pyoxigraph.NamedNode)
    }
    return sorted(set(imports) - loaded)
