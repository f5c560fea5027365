"""A journal of an evaluation's ranked cases, so that a run stopped halfway resumes.

Ranking thousands of cases with several rankers takes hours. Each ranker's pass over the cases
in one mode appends one JSON line per ranked case to a file of a journal folder, named by a
key: the hash of what decides the ranks (the evaluation's configuration, the ranker's name,
the mode and the cases themselves). A later run with the same key reads the lines back and
ranks only the cases after them; a last line cut short by a kill is dropped, and a journal
that does not read as written (another key, cases out of order) is started again. A run
holds the folder (:class:`JournalFolder`, its lock) while it writes, so two runs cannot
interleave their lines, and once its report is saved removes the journals it wrote, not
those of other runs (other models, settings or cases) in the same folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kg.locks import exclusive_lock

logger = logging.getLogger(__name__)

__all__ = [
    "JOURNAL_VERSION",
    "LOCK_NAME",
    "JournalBusyError",
    "JournalFolder",
    "RankJournal",
    "RankedCase",
    "journal_key",
]

#: The layout of a journal's lines; a journal of another version is started again.
JOURNAL_VERSION = 1
#: The lock file of a journal folder.
LOCK_NAME = ".lock"


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

    Use as a context manager: entering reads back the cases ranked before (:attr:`done`;
    ``on_read_back`` is then called with the journal when there are any); :meth:`append`
    adds one; leaving closes the file.
    """

    def __init__(
        self,
        folder: Path,
        key: str,
        case_ids: Sequence[str],
        *,
        label: str,
        on_read_back: Callable[[RankJournal], None] | None = None,
    ) -> None:
        self.path = Path(folder) / f"{key[:32]}.jsonl"
        self.key = key
        self.case_ids = list(case_ids)
        self.label = label
        self.on_read_back = on_read_back
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
            if self.on_read_back is not None:
                self.on_read_back(self)

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


class JournalFolder:
    """A journal folder held by one evaluation: entering makes it when missing and takes its
    lock, held until leaving; :meth:`journal` makes the journal of each of the run's passes,
    and :meth:`remove_own` removes them once the report holds their ranks.

    Leaving removes the run's journals of no case, and the folder when nothing but its lock
    file is left in it (with the folders made for it, when empty), so that a run stopped
    before it ranked anything leaves nothing behind.

    Args:
        folder: the journal folder.
        on_read_back: called with each journal that reads back cases an earlier run ranked.

    Raises:
        JournalBusyError: on entering, another evaluation holds the folder.
    """

    def __init__(
        self, folder: Path, *, on_read_back: Callable[[RankJournal], None] | None = None
    ) -> None:
        self.folder = Path(folder)
        self.on_read_back = on_read_back
        self.journals: list[RankJournal] = []
        self._lock: ExitStack | None = None
        self._made: list[Path] = []  # folders made to hold the journal folder
        self._removed = False  # the lock file removed: the folder is no longer this run's

    @property
    def held(self) -> bool:
        """Whether this run holds the folder (entered, its lock file still in place)."""
        return self._lock is not None and not self._removed

    @property
    def noted(self) -> int:
        """The cases noted in this run's journals (read back or ranked now)."""
        return sum(len(j.done) for j in self.journals)

    def __enter__(self) -> JournalFolder:
        if self._lock is not None:
            raise RuntimeError(f"the journal folder {self.folder} is held already")
        self._made, missing = [], self.folder.parent
        while not missing.exists():
            self._made.append(missing)
            missing = missing.parent
        stack = ExitStack()
        for attempt in range(3):
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                stack.enter_context(exclusive_lock(self.folder / LOCK_NAME, self._busy))
                break
            except FileNotFoundError:  # removed by a run that finished as this one made it
                if attempt == 2:
                    raise
        self._lock, self._removed = stack, False
        return self

    def __exit__(self, *_: object) -> None:
        if self._lock is None:
            return
        try:
            if self.held:
                for journal in self.journals:
                    if not journal.done:  # no case noted: nothing to resume
                        journal.close()
                        journal.path.unlink(missing_ok=True)
                self._tidy()
        finally:
            lock, self._lock = self._lock, None
            lock.close()  # releases the lock

    def journal(self, key: str, case_ids: Sequence[str], *, label: str) -> RankJournal:
        """The journal of one pass (keyed by :func:`journal_key`), one of this run's."""
        self._check_held()
        journal = RankJournal(
            self.folder, key, case_ids, label=label, on_read_back=self.on_read_back
        )
        self.journals.append(journal)
        return journal

    def remove_own(self) -> list[Path]:
        """Remove this run's journals (once the report holds their ranks), and the folder
        when nothing else is left in it. Other runs' journals stay, to resume them: they are
        returned, for the caller to name."""
        self._check_held()
        for journal in self.journals:
            journal.close()
            journal.path.unlink(missing_ok=True)
        others = sorted(self.folder.glob("*.jsonl")) if self.folder.is_dir() else []
        self._tidy()
        return others

    def _check_held(self) -> None:
        if not self.held:
            raise RuntimeError(f"the journal folder {self.folder} is not held: use a with block")

    def _tidy(self) -> None:
        """Remove the folder when nothing but its lock file is left in it (the lock held)."""
        # The lock file goes too, or the folder would stay after every run. It is safe:
        # only the run holding the lock removes it, and only when no journal is left, so
        # no run can read a journal half removed; the lock is released after the file is
        # gone. A run that opened the file before it went fails as busy (the lock held),
        # or takes the lock once released, finds the file no longer at its path, and
        # opens the path again (kg.locks.exclusive_lock; the folder made again by
        # __enter__), so two runs never hold one folder at once. A run that made a new
        # lock file meanwhile keeps the folder (rmdir refuses a folder not empty), and
        # this run touches it no more (``_removed``): that file is the other run's.
        try:
            left = [p.name for p in self.folder.iterdir() if p.name != LOCK_NAME]
        except FileNotFoundError:
            left = []
        if left:
            return
        self._removed = True
        (self.folder / LOCK_NAME).unlink(missing_ok=True)
        for folder in (self.folder, *self._made):
            try:
                folder.rmdir()
            except OSError:  # not empty: another run's, or the report's
                break

    def _busy(self, holder: str) -> Exception:
        return JournalBusyError(
            f"another evaluation (process {holder}) is writing to {self.folder}: wait for it "
            "to finish, or give another report folder"
        )
