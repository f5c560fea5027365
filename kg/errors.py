"""Errors raised by the knowledge-graph layer.

Each error is a narrow subclass of a builtin so callers can catch either.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein


class OntologyParseError(ValueError):
    """A source file could not be parsed; names the file and, when known, the line."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class NotUTF8Error(OntologyParseError):
    """A text source is not valid UTF-8."""


class UnsupportedFormatError(ValueError):
    """The serialisation of a source is unknown; the message lists the supported ones."""

    def __init__(self, path: str | Path, supported: Iterable[str]) -> None:
        self.path = str(path)
        self.supported = sorted(supported)
        super().__init__(
            f"{self.path}: unknown ontology format; supported: {', '.join(self.supported)} "
            "(pass --format / format=... to override the guess from the file extension)"
        )


#: An unknown term is quoted in its error cut to this many characters, and one longer than
#: :data:`_MAX_MATCHED_CHARS` is not compared with the known ids.
_MAX_SHOWN_CHARS = 120
_MAX_MATCHED_CHARS = 300


class UnknownTermError(KeyError):
    """A CURIE or IRI is not in the knowledge graph; the message lists close matches."""

    def __init__(self, term: str, candidates: Iterable[str] = ()) -> None:
        self.term = term
        # edit distance (a mistyped, dropped or extra digit is one edit) by rapidfuzz: ~4 ms
        # over the 37k HPO ids, where difflib took 0.15-0.65 s; a term far longer than any
        # id (a pasted text) is like none of them
        matches = (
            process.extract(
                term,
                list(candidates),
                scorer=Levenshtein.normalized_similarity,
                limit=5,
                score_cutoff=0.6,
            )
            if len(term) <= _MAX_MATCHED_CHARS
            else []
        )
        self.suggestions = [m[0] for m in matches]
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        shown = term if len(term) <= _MAX_SHOWN_CHARS else term[: _MAX_SHOWN_CHARS - 3] + "..."
        super().__init__(f"unknown term {shown!r}{hint}")

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0])


class KGNotFoundError(FileNotFoundError):
    """No built knowledge graph at the given location."""


class KGMismatchError(ValueError):
    """An artefact (embeddings, model, index) was built on a different knowledge graph."""

    def __init__(self, what: str, expected: str, found: str) -> None:
        self.expected = expected
        self.found = found
        a, b = _distinct_prefixes(expected, found)
        super().__init__(
            f"{what} was built on KG fingerprint {a}, but the loaded KG has "
            f"fingerprint {b}; rebuild (a model: retrain) it on this KG or load the KG it was "
            "built on (a KG rebuilt by a kgfuse with another KG data model has another "
            "fingerprint, even from the same sources)"
        )


def _distinct_prefixes(a: str, b: str, *, shortest: int = 12, extra: int = 4) -> tuple[str, str]:
    """Prefixes of two fingerprints long enough to tell them apart: at least ``shortest``
    characters, and ``extra`` past the first that differs (both in full when one is a
    prefix of the other)."""
    first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    if first is None:
        return a, b
    n = max(shortest, first + 1 + extra)
    return a[:n] + ("..." if len(a) > n else ""), b[:n] + ("..." if len(b) > n else "")


class EndpointUnreachableError(ConnectionError):
    """No SPARQL endpoint answers at a URL (refused, unknown host, timed out)."""


class NotAnEndpointError(ValueError):
    """A URL answers HTTP, but not as a SPARQL 1.1 query endpoint."""


class EndpointQueryError(ValueError):
    """A SPARQL endpoint rejected or failed a query; holds the endpoint's own message."""

    def __init__(self, url: str, status: int, message: str) -> None:
        self.url = url
        self.status = status
        self.reason = message
        super().__init__(f"the SPARQL endpoint {url} answered HTTP {status}: {message}")


class EndpointServerError(OSError):
    """The SPARQL server (``oxigraph serve``) could not be started; holds its output."""
