"""Reading files without holding more than a limit of them in memory.

A JSON Lines file is read a line at a time, none longer than :data:`MAX_LINE_BYTES`
(:func:`bounded_lines`: a longer line, a file with no newline at all, stands as a
:class:`LineTooLongError` and is never read whole); a file read as one document only when it
is no larger than :data:`MAX_DOCUMENT_BYTES` (:func:`read_document`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

#: The longest line of a JSON Lines file read (bytes, without its newline): a record's text
#: (at most 100,000 characters) takes at most 1.2 MB as JSON (a character outside the BMP
#: written as two ``\uXXXX`` escapes), its terms and other fields far less. A longer line
#: is not read into memory (:func:`bounded_lines`).
MAX_LINE_BYTES = 4 * 1024 * 1024
#: The largest file read as one JSON document (a pretty-printed phenopacket, a list of
#: records); a larger one is refused before it is read (:func:`read_document`). Many records
#: are read one at a time from JSON Lines.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
#: Bytes read at a time while skipping the rest of a line over :data:`MAX_LINE_BYTES`.
_SKIP_CHUNK = 1024 * 1024


class LineTooLongError(ValueError):
    """A JSON Lines line over the limit, worded to follow "line N is".

    Attributes:
        size: the line's size in bytes, without its newline.
        head: its first bytes (the limit and one more), e.g. to tell its encoding.
    """

    def __init__(self, size: int, limit: int, head: bytes) -> None:
        super().__init__(
            f"too long: {size:,} bytes, over the limit of {limit:,} bytes for one line"
        )
        self.size = size
        self.head = head


def bounded_lines(
    fh: IO[bytes], max_bytes: int | None = None
) -> Iterator[bytes | LineTooLongError]:
    """The lines of a binary file as iterating over it gives them (each with its newline),
    but none longer than ``max_bytes`` held in memory: such a line (a file with no newline
    at all, a record pasted a million times) is a :class:`LineTooLongError` in its place,
    and the lines after it are read as before (so each keeps its number).

    Args:
        fh: a file opened in binary mode.
        max_bytes: the longest line, without its newline (default:
            :data:`MAX_LINE_BYTES`).
    """
    if max_bytes is None:
        max_bytes = MAX_LINE_BYTES
    while True:
        line = fh.readline(max_bytes + 1)
        if not line:
            return
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line
            continue
        head, size = line, len(line)
        while not line.endswith(b"\n"):
            line = fh.readline(_SKIP_CHUNK)
            if not line:
                break
            size += len(line)
        newline = 1 if line.endswith(b"\n") else 0
        yield LineTooLongError(size - newline, max_bytes, head)


def read_document(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a file read as one JSON document, refused before they are read when
    there are more than ``max_bytes`` of them (default: :data:`MAX_DOCUMENT_BYTES`).

    Raises:
        ValueError: the file is over the limit, worded to follow the file's name ("cases.json
            is too large: ..."); OSError as reading raises it.
    """
    if max_bytes is None:
        max_bytes = MAX_DOCUMENT_BYTES
    size = Path(path).stat().st_size
    if size <= max_bytes:
        with Path(path).open("rb") as fh:
            raw = fh.read(max_bytes + 1)  # the file may have grown since
        if len(raw) <= max_bytes:
            return raw
        size = max(size, len(raw))
    raise ValueError(
        f"too large: {size:,} bytes, over the limit of {max_bytes:,} bytes for one JSON "
        "document (write its records one per line, as JSON Lines)"
    )
