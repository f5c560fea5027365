"""``--resume``: a batch command stopped halfway goes on from the records it wrote.

``kgfuse diagnose`` and ``kgfuse predict`` write ``OUTPUT.partial`` a record at a time and
keep it when they stop (Ctrl-C, a kill, an error). With ``--resume`` the next run keeps its
complete lines, checks them against the input (the n-th line must be the n-th input record's
output, by its id), and handles only the input records after them, appending to the same
file; a last line cut short is dropped and its record handled again. Records already done
are not handled (nor audited) twice.

Beside ``OUTPUT.partial`` a run writes ``OUTPUT.partial.run``, its *run key*: the input's
hash, the options that shape an output record, the model's file hashes and kgfuse's
version and code (:func:`kgfuse.source_fingerprint.source_sha256`). ``--resume`` refuses
to go on under another key, naming what changed: the records kept would otherwise mix two
inputs (an edit in the part done, which ids alone cannot show for records without ids),
two models or two sets of options in one output.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from kgfuse.commands.common import HeldOutput

logger = logging.getLogger(__name__)

__all__ = [
    "ResumeOption",
    "ResumedOutput",
    "after_resumed",
    "check_resumed",
    "check_run_key",
    "read_resumed",
    "resumed_output",
    "run_key",
    "run_key_path",
    "write_run_key",
]

#: The layout of ``OUTPUT.partial.run``.
RUN_KEY_VERSION = 1

#: The ids an input record's output may carry: (its place in the input, the raw record or
#: its reading error) -> the ids, as strings.
IdsOf = Callable[[int, Any], Collection[str]]

ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Go on from a run that stopped halfway: keep the records it wrote to "
        "OUTPUT.partial (checked against the input's first records, by id) and handle only "
        "the records after them.",
    ),
]


@dataclass(frozen=True)
class ResumedOutput:
    """The complete records of ``OUTPUT.partial`` that a run stopped halfway left.

    Attributes:
        path: the ``OUTPUT.partial`` file.
        ids: each record's ``id``, in order.
        failed: how many of them are error records.
        size: bytes of the complete lines (the rest, a line cut short, is dropped).
    """

    path: Path
    ids: tuple[Any, ...]
    failed: int
    size: int


def read_resumed(output: Path) -> ResumedOutput:
    """The complete records of ``output``'s ``OUTPUT.partial``.

    Raises:
        FileNotFoundError: there is none (nothing to resume).
        ValueError: a complete line is not a JSON object with an ``id``: the file is not
            what a stopped run leaves.
    """
    from kgfuse.commands.common import partial_path

    partial = partial_path(output)
    if not partial.is_file():
        raise _nothing_to_resume(output)
    ids: list[Any] = []
    failed = 0
    size = 0
    with partial.open("rb") as fh:  # a line at a time: the file can be large
        for n, line in enumerate(fh, 1):
            if not line.endswith(b"\n"):
                break  # a last line without its newline was cut short
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict) or "id" not in record:
                raise ValueError(
                    f"--resume: line {n} of {partial} is not an output record (a JSON object "
                    "with an id): it is not what a stopped run leaves; run without --resume"
                )
            ids.append(record["id"])
            failed += "error" in record
            size += len(line)
    return ResumedOutput(partial, tuple(ids), failed, size)


def _nothing_to_resume(output: Path) -> FileNotFoundError:
    from kgfuse.commands.common import partial_path

    done = f"; {output} is there: the run that wrote it finished" if output.is_file() else ""
    return FileNotFoundError(
        f"--resume: there is no {partial_path(output)} to resume from (a run of this command "
        f"stopped halfway leaves one){done}: run without --resume"
    )


def check_resumed(
    resumed: ResumedOutput, records: Iterable[tuple[int, Any]], ids_of: IdsOf, input: Path
) -> None:
    """Check that the kept records are the outputs of the first input records, in order.

    Raises:
        ValueError: the partial output holds more records than the input, or a kept
            record's id is not its input record's (another input, or an edited one).
    """
    read = iter(records)
    for n, kept in enumerate(resumed.ids, 1):
        item = next(read, None)
        if item is None:
            raise ValueError(
                f"--resume: {resumed.path} holds {len(resumed.ids):,} records and {input} "
                f"only {n - 1:,}: it is the output of another input; run without --resume"
            )
        place, raw = item
        expected = ids_of(place, raw)
        if str(kept) not in expected:
            shown = " or ".join(repr(e) for e in sorted(expected))
            raise ValueError(
                f"--resume: record {n} of {resumed.path} is {str(kept)!r}, where record {n} "
                f"of {input} gives {shown}: it is the output of another input (or an edited "
                "one); run without --resume"
            )


def after_resumed(
    records: Iterable[tuple[int, Any]], resumed: ResumedOutput | None
) -> Iterator[tuple[int, Any]]:
    """The input records after those the kept output holds (all of them without one)."""
    return islice(records, len(resumed.ids) if resumed is not None else 0, None)


def resumed_output(
    input: Path | None,
    output: Path | None,
    resume: bool,
    read: Callable[[Path], Iterable[tuple[int, Any]]],
    ids_of: IdsOf,
    key: Mapping[str, Any] | None = None,
    held: HeldOutput | None = None,
) -> ResumedOutput | None:
    """What ``--resume`` keeps of a stopped run's output (None without ``--resume``), checked
    against this run's ``key`` (:func:`check_run_key`) and against the input's records as
    ``read`` reads them. ``held``: the partial output as this run holds it
    (:func:`kgfuse.commands.common.held_output`), so that no other run changes it between
    this check and the writing.

    Raises:
        ValueError: ``--resume`` without an input file or ``-o OUTPUT``, or a partial
            output that is not this input's or was written under another run key
            (:func:`read_resumed`, :func:`check_run_key`, :func:`check_resumed`).
        FileNotFoundError: no ``OUTPUT.partial``.
    """
    if not resume:
        return None
    if input is None:
        raise ValueError("--resume goes with an INPUT file, not --text")
    if output is None:
        raise ValueError("--resume needs -o OUTPUT: it goes on from OUTPUT.partial")
    if held is not None and held.created:  # none was there: this run just made it
        raise _nothing_to_resume(output)
    resumed = read_resumed(output)
    if key is not None and resumed.ids:
        check_run_key(output, key)
    check_resumed(resumed, read(input), ids_of, input)
    return resumed


def run_key_path(output: Path) -> Path:
    """Where a run writing ``output`` keeps its run key: ``OUTPUT.partial.run``."""
    return output.with_name(output.name + ".partial.run")


def run_key(
    command: str,
    input: Path,
    options: Mapping[str, Any],
    model: Path | None,
) -> dict[str, Any]:
    """The run key of ``command`` run on ``input`` with ``options`` (each by its CLI name:
    those that shape an output record) and the model folder ``model`` (its files' hashes,
    :func:`kgfuse.model_files.model_files_fingerprint`; None: no model folder).

    Raises:
        FileNotFoundError: ``model`` is not a folder.
    """
    from kgfuse.model_files import model_files_fingerprint
    from kgfuse.source_fingerprint import kgfuse_version, source_sha256
    from train.phenopacket import cases_sha256

    model_sha = model_files_fingerprint(model)["sha256"] if model is not None else None
    key = {
        "version": RUN_KEY_VERSION,
        "command": command,
        "kgfuse": kgfuse_version(),
        "code": source_sha256(),
        "input": {"path": str(input), "sha256": cases_sha256(input)},
        "options": dict(options),
        "model": {"path": str(model) if model is not None else None, "sha256": model_sha},
    }
    return json.loads(json.dumps(key, default=str))  # as it reads back: lists, strings


def write_run_key(output: Path, key: Mapping[str, Any]) -> None:
    """Write ``OUTPUT.partial.run`` whole or not at all (a temporary file renamed onto it)."""
    path = run_key_path(output)
    temporary = path.with_name(f".run-key.{os.getpid()}.tmp")  # short: any -o name fits
    try:
        with temporary.open("w", encoding="utf-8") as fh:
            json.dump(key, fh, indent=1, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def check_run_key(output: Path, key: Mapping[str, Any]) -> None:
    """Check that the run that wrote ``OUTPUT.partial`` had this run's ``key``: the same
    command, input, options, model and kgfuse (version and code). A partial output without
    a run key (written before kgfuse kept one, or the key was removed) is checked by its ids
    only, with a warning.

    Raises:
        ValueError: the key differs (each difference named) or cannot be read.
    """
    from kgfuse.commands.common import partial_path

    path = run_key_path(output)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        logger.warning(
            "--resume: %s has no run key (%s): the input, options and model of the run that "
            "wrote it are not checked, only its records' ids",
            partial_path(output),
            path.name,
        )
        return
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--resume: cannot read {path}: {exc}; run without --resume") from None
    try:
        kept = json.loads(text)
    except ValueError:
        kept = None
    if not isinstance(kept, dict) or kept.get("version") != RUN_KEY_VERSION:
        raise ValueError(
            f"--resume: {path} is not a run key this kgfuse writes; run without --resume"
        )
    changes = key_changes(kept, dict(key))
    if changes:
        raise ValueError(
            f"--resume: {partial_path(output)} was written by another run: "
            + "; ".join(changes)
            + ". Give the same input, options and model, or run without --resume (which "
            "starts over)"
        )


def key_changes(kept: Mapping[str, Any], key: Mapping[str, Any]) -> list[str]:
    """What differs between the run key a stopped run kept and this run's, in words."""
    changes: list[str] = []
    if kept.get("command") != key["command"]:
        changes.append(f"it was written by `kgfuse {kept.get('command')}`")
    if _get(kept, "input", "sha256") != key["input"]["sha256"]:
        changes.append(f"the input {key['input']['path']} is not the one it read (changed?)")
    recorded = kept.get("options")
    options: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    for name in sorted(set(options) | set(key["options"])):
        was, now = options.get(name), key["options"].get(name)
        if was != now:
            changes.append(f"{name} was {_shown(was)}, now {_shown(now)}")
    if _get(kept, "model", "sha256") != key["model"]["sha256"]:
        changes.append(
            f"the model was {_get(kept, 'model', 'path')} "
            f"(files sha256 {str(_get(kept, 'model', 'sha256'))[:12]}), now "
            f"{key['model']['path']} ({str(key['model']['sha256'])[:12]})"
        )
    if kept.get("kgfuse") != key["kgfuse"]:
        changes.append(f"it was written by kgfuse {kept.get('kgfuse')}, this is {key['kgfuse']}")
    elif kept.get("code") != key["code"]:
        changes.append("kgfuse's code changed since (an editable install's edits)")
    return changes


def _get(mapping: Mapping[str, Any], *keys: str) -> Any:
    """``mapping[k1][k2]...``, None where a level is missing or not an object."""
    value: Any = mapping
    for name in keys:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _shown(value: Any) -> str:
    return "not given" if value is None else json.dumps(value)
