"""Fast N-Triples term writers shared by the converters that stream millions of triples.

The converters write N-Triples text and let Oxigraph bulk-load it, which is much faster than
building rdflib or pyoxigraph term objects one by one. These helpers only format terms;
a triple line is ``f"{s} {p} {o} .\\n"``.

Example:
    >>> nt_iri("http://purl.obolibrary.org/obo/HP_0001166")
    '<http://purl.obolibrary.org/obo/HP_0001166>'
    >>> nt_literal('say "hi"', lang="en")
    '"say \\\\"hi\\\\""@en'
"""

from __future__ import annotations

import re
from typing import Protocol

import pyoxigraph as ox

__all__ = [
    "XSD_STRING",
    "LineSink",
    "nt_blank",
    "nt_iri",
    "nt_iri_checked",
    "nt_literal",
    "nt_triple",
]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# Characters N-Triples forbids inside an IRIREF (controls, space, <>"{}|^`\).
_BAD_IRI_CHAR = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG_TAG = re.compile(r"[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_BLANK_LABEL = re.compile(r"[A-Za-z0-9_]+")


class LineSink(Protocol):
    """Where a converter writes its N-Triples text: a text file, ``io.StringIO``, or a build's
    loader. Each ``write`` gets whole lines."""

    def write(self, text: str, /) -> object: ...


def _percent_encode(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))


def nt_iri(iri: str) -> str:
    """Format an IRI as an N-Triples IRIREF (``<...>``).

    Characters that N-Triples forbids in an IRI (spaces, controls, ``<>"{}|^`\\``) are
    percent-encoded, so the output always parses; IRIs without them (the usual case) are
    returned unchanged between angle brackets.

    Args:
        iri: An absolute IRI.

    Returns:
        The IRIREF text.
    """
    if _BAD_IRI_CHAR.search(iri) is not None:
        iri = _BAD_IRI_CHAR.sub(_percent_encode, iri)
    return f"<{iri}>"


def nt_iri_checked(iri: str) -> str:
    """:func:`nt_iri`, after checking with Oxigraph's own IRI parser that the result is a
    valid absolute IRI. Text whose IRIs were all checked may be bulk-loaded with
    ``lenient=True`` (no second validation of each of their occurrences).

    Raises:
        ValueError: not a valid absolute IRI (no scheme, a bad percent-escape ...).
    """
    text = nt_iri(iri)
    try:
        ox.NamedNode(text[1:-1])
    except ValueError as exc:
        raise ValueError(f"not a valid IRI: {iri!r} ({exc})") from None
    return text


def _escape(text: str) -> str:
    # Membership tests are several times faster than str.translate on typical labels, and
    # most strings need no escaping at all.
    if '"' in text or "\\" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        )
    return text


def nt_literal(text: str, datatype: str | None = None, lang: str | None = None) -> str:
    """Format a literal in N-Triples syntax.

    Args:
        text: The lexical form.
        datatype: Datatype IRI (default: ``None``, a plain ``xsd:string`` literal;
            ``xsd:string`` itself is also written plain).
        lang: Language tag such as ``"en"`` (default: ``None``). Exclusive with ``datatype``.

    Returns:
        The literal text, e.g. ``"abc"``, ``"1"^^<http://www.w3.org/2001/XMLSchema#integer>``
        or ``"chat"@fr``.

    Raises:
        ValueError: If both ``datatype`` and ``lang`` are given, or ``lang`` is not a valid
            BCP 47 shaped tag.
    """
    quoted = f'"{_escape(text)}"'
    if lang is not None:
        if datatype is not None:
            raise ValueError("a literal has either a datatype or a language tag, not both")
        if _LANG_TAG.fullmatch(lang) is None:
            raise ValueError(f"invalid language tag {lang!r}")
        return f"{quoted}@{lang}"
    if datatype is None or datatype == XSD_STRING:
        return quoted
    return f"{quoted}^^{nt_iri(datatype)}"


def nt_blank(label: str) -> str:
    """Format a blank node label (``_:label``).

    Args:
        label: Letters, digits and underscores.

    Returns:
        The blank node text.

    Raises:
        ValueError: If the label contains other characters.
    """
    if _BLANK_LABEL.fullmatch(label) is None:
        raise ValueError(f"invalid blank node label {label!r} (use letters, digits and _)")
    return f"_:{label}"


def nt_triple(subject: str, predicate: str, obj: str) -> str:
    """Join three formatted terms into one N-Triples line (with the trailing newline)."""
    return f"{subject} {predicate} {obj} .\n"
