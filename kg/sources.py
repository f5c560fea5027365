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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from kg.errors import NotUTF8Error, OntologyParseError, UnsupportedFormatError
from kg.obo import obo_to_ntriples

__all__ = [
    "SUPPORTED_FORMATS",
    "SourceFormat",
    "SourceStats",
    "UnsupportedSyntaxError",
    "check_utf8",
    "detect_format",
    "load_source",
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
syntaxes are recognised and refused with :class:`UnsupportedSyntaxError`."""

_BY_EXTENSION = {ext: spec.name for spec in SUPPORTED_FORMATS.values() for ext in spec.extensions}
_FUNCTIONAL_SYNTAX = re.compile(r"(?:Prefix|Ontology|Import)\s*\(")
_MANCHESTER_SYNTAX = re.compile(r"(?:Prefix|Ontology)\s*:\s")
_FIRST_ELEMENT = re.compile(r"<(?![?!])([\w:.-]+)")


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
    if start.startswith("<"):
        first = _FIRST_ELEMENT.search(start)
        if first is not None and first.group(1) == "Ontology":
            raise UnsupportedSyntaxError(path, "OWL/XML", SUPPORTED_FORMATS)
        return "rdfxml"
    if _FUNCTIONAL_SYNTAX.match(start):
        raise UnsupportedSyntaxError(path, "OWL Functional Syntax", SUPPORTED_FORMATS)
    if _MANCHESTER_SYNTAX.match(start):
        raise UnsupportedSyntaxError(path, "OWL Manchester Syntax", SUPPORTED_FORMATS)
    return "turtle"


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

    RDF formats go through ``Store.bulk_load`` (relative IRIs resolve against the file's
    ``file:`` URI); OBO files are converted to N-Triples in ``workdir`` first (the temporary
    file is removed afterwards). ``bulk_load`` is not transactional: a file that fails late
    in parsing may leave the triples before the error in the store, so discard a store
    whose build failed. Oxigraph gives each load its own blank node ids, so blank nodes of
    different files never merge.

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
            it) the line.
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
            before = len(store)
            _bulk_load(store, readable, spec.rdf_format, base_iri=path.resolve().as_uri())
            if spec.rdf_format == pyoxigraph.RdfFormat.JSON_LD:  # the one dataset format
                _merge_named_graphs(store, path)
            triples = len(store) - before
    except OntologyParseError as err:
        if readable == path:
            raise
        raise OntologyParseError(path, err.reason, err.line) from err  # not the copy's name
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
        _bulk_load(store, temp_path, pyoxigraph.RdfFormat.N_TRIPLES, base_iri=None)
    finally:
        temp_path.unlink(missing_ok=True)
    return stats.triples


_BOM = b"\xef\xbb\xbf"


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
        raise OntologyParseError(path, err.msg or str(err), err.lineno) from err
    except MemoryError as err:  # Oxigraph's parse buffer (16 MiB) holds one token at most
        raise OntologyParseError(
            path, f"a single term or literal is too long to parse ({err})", None
        ) from err
