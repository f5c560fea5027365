"""A journal of an evaluation's ranked cases, so that a run stopped halfway resumes.

Ranking thousands of cases with several rankers takes hours. Each ranker's pass over the cases
in one mode appends one JSON line per ranked case to a file of a journal folder, named by a
key: the hash of what decides the ranks (the evaluation's configuration, the ranker's name,
the mode and the cases themselves). A later run with the same key reads the lines back and
ranks only the cases after them; a last line cut short by a kill is dropped, and a journal
that does not read as written (another key, cases out of order) is started again. The caller
holds the folder's lock (:func:`kg.locks.exclusive_lock`) while it writes, so two runs
cannot interleave their lines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

logger = logging.getLogger(__name__)

__all__ = ["JOURNAL_VERSION", "JournalBusyError", "RankJournal", "RankedCase", "journal_key"]

#: The layout of a journal's lines; a journal of another version is started again.
JOURNAL_VERSION = 1


class JournalBusyError(ValueError):
    """Another evaluation holds the journal folder (a user error: the CLI names it)."""


@dataclass(frozen=True)
class RankedCase:
    """One case as a ranker placed it.

    Attributes:
        better: diseases scored above the case's diagnosis.
        tied: diseases scored as the diagnosis (the diagnosis among them).
        seconds: time the ranker took.
        probabilities: the probability of the first disease and of the diagnosis (NaN where
            the ranking gave none), or None when the ranking gave no probabilities.
    """

    better: float
    tied: float
    seconds: float
    probabilities: tuple[float, float] | None = None


def journal_key(
    config: Mapping[str, Any] | None, ranker: str, mode: str, cases: Sequence[Any]
) -> str:
    """The hash of what decides a pass's ranks: the configuration (JSON; the caller puts in
    it whatever identifies its rankers, such as a model's file hashes), the ranker's name,
    the mode and every case's fields (dataclasses)."""
    digest = hashlib.sha256()
    head = {"version": JOURNAL_VERSION, "config": config or {}, "ranker": ranker, "mode": mode}
    digest.update(json.dumps(head, sort_keys=True, default=str).encode("utf-8"))
    for case in cases:
        fields = asdict(case) if hasattr(case, "__dataclass_fields__") else case
        digest.update(b"\n")
        digest.update(json.dumps(fields, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


_REQUIRED = object()


def _float(value: Any, missing: object = _REQUIRED) -> float:
    """A number of a line; ``None`` is NaN where ``missing`` is None (a probability the
    ranking did not give), else an error."""
    if value is None and missing is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


class RankJournal:
    """The journal of one ranker's pass over the cases in one mode.

    Use as a context manager: entering reads back the cases ranked before (:attr:`done`);
    :meth:`append` adds one; leaving closes the file.
    """

    def __init__(self, folder: Path, key: str, case_ids: Sequence[str], *, label: str) -> None:
        self.path = Path(folder) / f"{key[:32]}.jsonl"
        self.key = key
        self.case_ids = list(case_ids)
        self.label = label
        self.done: list[RankedCase] = []
        self._file: BinaryIO | None = None

    def __enter__(self) -> RankJournal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+b")  # noqa: SIM115 (closed in __exit__)
        try:
            self._read_back()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def append(self, index: int, case_id: str, ranked: RankedCase) -> None:
        """Add case ``index`` (the next one) as ranked; flushed at once, so a kill loses
        at most the line being written."""
        if self._file is None:
            raise RuntimeError("the journal is not open: use it in a with block")
        if index != len(self.done):
            raise ValueError(f"case {index} given where case {len(self.done)} is next")
        probabilities = ranked.probabilities
        line = {
            "i": index,
            "id": case_id,
            "better": ranked.better,
            "tied": ranked.tied,
            "seconds": ranked.seconds,
            "p": None if probabilities is None else [_number(p) for p in probabilities],
        }
        # an unranked diagnosis is ``inf`` places down: written as JSON's usual Infinity
        self._file.write(json.dumps(line).encode("utf-8") + b"\n")
        self._file.flush()
        self.done.append(ranked)

    def _read_back(self) -> None:
        """Read the lines written before; start the file again when they are not this
        pass's (another key or version, cases out of order, a damaged line before the last);
        drop a last line cut short."""
        assert self._file is not None
        self._file.seek(0)
        lines = self._file.read().split(b"\n")
        if lines == [b""]:  # a new journal
            self._restart()
            return
        try:
            head = json.loads(lines[0])
            if not isinstance(head, dict) or head.get("version") != JOURNAL_VERSION:
                raise ValueError("another version")
            if head.get("key") != self.key:
                raise ValueError("another key")
            kept = len(lines[0]) + 1  # bytes of the lines kept
            body = lines[1:]
            for n, raw in enumerate(body):
                last = n == len(body) - 1
                if last and raw == b"":
                    break  # after the last line's newline
                try:
                    self.done.append(self._parse(raw, len(self.done)))
                except ValueError:
                    if not last:  # a damaged line before the last: not as written
                        raise
                    logger.info("%s: its last line was cut short; it is ranked again", self.path)
                    break
                if last:  # a whole line without its newline: ranked again, to be safe
                    self.done.pop()
                    break
                kept += len(raw) + 1
        except ValueError as exc:
            logger.warning(
                "%s does not read as this pass's journal (%s): started again", self.path, exc
            )
            self._restart()
            return
        self._file.truncate(kept)
        if self.done:
            logger.info(
                "%s: %d of %d cases ranked before, read back from %s",
                self.label,
                len(self.done),
                len(self.case_ids),
                self.path,
            )

    def _restart(self) -> None:
        assert self._file is not None
        self.done = []
        self._file.truncate(0)
        header = {"version": JOURNAL_VERSION, "key": self.key, "label": self.label}
        self._file.write(json.dumps(header).encode("utf-8") + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _parse(self, raw: bytes, index: int) -> RankedCase:
        line = json.loads(raw)  # a JSONDecodeError or UnicodeDecodeError is a ValueError
        if not isinstance(line, dict):
            raise ValueError("a line that is not an object")
        if line.get("i") != index or index >= len(self.case_ids):
            raise ValueError(f"case {line.get('i')!r} where case {index} is next")
        if line.get("id") != self.case_ids[index]:
            raise ValueError(f"case {index} is {line.get('id')!r}, not {self.case_ids[index]!r}")
        p = line.get("p")
        if p is not None and not (isinstance(p, list) and len(p) == 2):
            raise ValueError(f"case {index}: probabilities {p!r}")
        return RankedCase(
            better=_float(line.get("better")),
            tied=_float(line.get("tied")),
            seconds=_float(line.get("seconds")),
            probabilities=None if p is None else (_float(p[0], None), _float(p[1], None)),
        )
