"""Reading JSON that users send (HTTP bodies, JSONL lines) strictly, with reasons.

Python's ``json`` reads more than JSON: ``NaN`` and ``Infinity``, which no JSON writer takes
back, numbers such as ``1e400`` that overflow a float to infinity (which no JSON writer
takes back either), and escapes such as ``"\\ud800"`` that decode to unpaired UTF-16
surrogates, which no UTF-8 encoder or tokenizer takes; it decodes bytes with
``surrogatepass`` (a surrogate written as raw bytes, CESU-8 style, passes too) and lets an
object repeat a key (the last one wins). :func:`loads_json` refuses all of these, and says
why for every other failure (bad UTF-8 with its byte and offset, the JSON error with its
line and column, nesting too deep, an integer too long), so each caller can name the input
it came from. Files are read without holding more than a limit of them in memory: a JSON
Lines file a line at a time, none over :data:`MAX_LINE_BYTES` (:func:`bounded_lines`), a
JSON document only when it is no larger than :data:`MAX_DOCUMENT_BYTES`
(:func:`read_document`).
"""

from __future__ import annotations

import codecs
import json
import math
import re
import sys
from typing import Any

from kg.bounded_read import (  # noqa: F401 - the reading limits, as kgfuse's inputs apply them
    MAX_DOCUMENT_BYTES,
    MAX_LINE_BYTES,
    LineTooLongError,
    bounded_lines,
    read_document,
)

#: The UTF-8 byte-order mark some editors write at the start of a file.
UTF8_BOM = b"\xef\xbb\xbf"

#: Byte-order marks of the other encodings JSON allows, UTF-32 first (its little-endian
#: mark begins with UTF-16's).
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

#: Nesting allowed in what users send: a phenopacket nests about 8 deep. Deeper values are
#: refused: Python reads up to ~1,000 levels, but every later step that walks a value
#: (writing it back as JSON into an audit record, a response) would fail on it.
MAX_DEPTH = 64


def _text(raw: bytes) -> str:
    """``raw`` decoded strictly: by its byte-order mark, else as UTF-8."""
    for bom, codec in _OTHER_BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(codec)
    if b"\x00" in raw[:4]:
        raise ValueError(
            "UTF-16 or UTF-32 without a byte-order mark (NUL bytes at its start): send JSON "
            "encoded as UTF-8"
        )
    return raw.removeprefix(UTF8_BOM).decode("utf-8")


def loads_json(raw: bytes) -> Any:
    """The JSON value of ``raw`` (UTF-8, or UTF-16/32 with a byte-order mark as JSON allows).

    Raises:
        ValueError: why it is not JSON that later steps can take, worded to follow "the
            body is" or "line N is" ("not valid JSON: ...", "not usable JSON: the number
            1e400 is out of range ...").
    """
    if not raw.strip():
        raise ValueError("empty: expected a JSON value")
    try:
        text = _text(raw)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if exc.encoding.startswith("utf-8") else exc.encoding.upper()
        raise ValueError(
            f"not valid {name} (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): "
            "send JSON encoded as UTF-8"
        ) from None
    try:
        data = json.loads(
            text,
            parse_constant=_not_json,
            parse_float=_finite_float,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except _OutOfRange as exc:
        raise ValueError(f"not usable JSON: {exc}") from None
    except RecursionError:
        raise ValueError("not valid JSON here: nested too deeply") from None
    except ValueError as exc:  # NaN / Infinity, or an integer over Python's digit limit
        if "integer string conversion" in str(exc):  # its message names a server setting
            raise ValueError(
                f"not usable JSON: an integer too long (over {sys.get_int_max_str_digits():,} "
                "digits)"
            ) from None
        raise ValueError(f"not valid JSON: {exc}") from None
    depth = _depth(data)
    if depth > MAX_DEPTH:
        raise ValueError(f"not usable JSON: nested {depth} deep, past the limit of {MAX_DEPTH}")
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(exc.object[exc.start])
            raise ValueError(
                f"not valid Unicode: it holds an unpaired UTF-16 surrogate escape (U+{code:04X})"
            ) from None
    return data


def _depth(value: Any) -> int:
    """How deep ``value`` nests (a scalar 0, ``[]`` 1), without recursion: level by level,
    each level's objects and arrays in one comprehension (a tuple per value on a stack took
    0.4 s over a megabyte of ``{},``; this takes a seventh of that)."""
    if not isinstance(value, (dict, list)):
        return 0
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, (dict, list))
        ]
    return depth


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict.

    Raises:
        ValueError: a key appears twice (Python would keep the last one silently).
    """
    out = dict(pairs)
    if len(out) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = key if len(key) <= 40 else key[:40] + "..."
                raise ValueError(f"the key {shown!r} appears twice in one object")
            seen.add(key)
    return out


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent as a float.

    Raises:
        _OutOfRange: the number is past the float range (``1e400``, which Python would
            read as infinity).
    """
    value = float(text)
    if math.isinf(value):
        shown = text if len(text) <= 40 else f"{text[:40]}... ({len(text):,} characters)"
        raise _OutOfRange(
            f"the number {shown} is out of range (past the largest float, about 1.8e308)"
        )
    return value


class _OutOfRange(ValueError):
    """A number that overflows a float."""
