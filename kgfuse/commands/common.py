"""Options and error handling shared by the CLI commands."""

from __future__ import annotations

import atexit
import errno
import functools
import json
import logging
import os
import signal
import stat
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import resources
from importlib.resources import as_file
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from kg.errors import (
    EndpointServerError,
    EndpointUnreachableError,
    KGMismatchError,
    KGNotFoundError,
    OntologyParseError,
    UnknownTermError,
    UnsupportedFormatError,
)
from kg.remote import kg_location
from kg.store import KG_NAME, default_kg_path, kgfuse_home
from kgfuse.commands.resumed_output import run_key_path, write_run_key

if TYPE_CHECKING:
    from kgfuse.commands.resumed_output import ResumedOutput

logger = logging.getLogger(__name__)

# emoji off: ":owl:" in "type:owl:Class" would print as an owl. Errors and warnings are
# never wrapped at the terminal's width: a path or an id cut by a line break cannot be copied.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])

KGOption = Annotated[
    str | None,
    typer.Option(
        "--kg",
        help="KG folder, or a SPARQL endpoint's query URL such as http://127.0.0.1:7878/query "
        "(default: <home>/kgs/hpo).",
        show_default=False,
    ),
]
#: ``--kg`` of the commands that read a local KG folder only (:func:`resolve_kg_folder`).
KGFolderOption = Annotated[
    Path | None,
    typer.Option("--kg", help="KG folder (default: <home>/kgs/hpo).", show_default=False),
]
HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="kgfuse home folder (default: $KGFUSE_HOME, else ~/.kgfuse).",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config (default: built-in defaults).")
]
#: ``--config`` of the commands that read a training config (train, embed, eval simulation,
#: bench scaling), read through :func:`resolve_config`.
RecipeOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML config file, or the name of a recipe shipped with kgfuse: diagnosis "
        "(configs/diagnosis.yaml); a file of that name wins (default: built-in defaults).",
        show_default=False,
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a config key, e.g. --set train.epochs=2 (repeatable)."),
]
#: ``--set`` of the commands that run training for a benchmark or a search (bench scaling, tune).
TrainingSetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a training config key (repeatable)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


#: ``--output`` of the commands that write one JSONL record per input record (link, diagnose,
#: predict).
def _stdout_for_dash(value: Path | None) -> Path | None:
    """``-o -`` writes to stdout, as leaving ``-o`` out does."""
    return None if value is not None and str(value) == "-" else value


def _a_stream(path: Path) -> bool:
    """Whether ``path`` is a pipe or a character device (``/dev/stdin``, ``<(zcat ...)``),
    which can be read once only."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def stdin_for_dash(value: Path | None) -> Path | None:
    """An input ``-`` reads the records from standard input (``... | kgfuse link - -o
    out.jsonl``), and a pipe or device given by path (``/dev/stdin``, ``<(zcat ...)``) from
    itself: copied as it comes into a private temporary file, removed when the process ends,
    so the commands read it as any input file, which they may read more than once (JSONL; a
    JSON list when it starts with ``[``)."""
    if value is None or (str(value) != "-" and not _a_stream(value)):
        return value
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="kgfuse-stdin-"))  # 0700
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    spooled = folder / "stdin.part"
    with spooled.open("wb") as out:
        if str(value) == "-":
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        else:
            with value.open("rb") as stream:
                shutil.copyfileobj(stream, out, 1 << 20)
    with spooled.open("rb") as copied:
        head = copied.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    path = folder / ("stdin.json" if head.startswith(b"[") else "stdin.jsonl")
    spooled.rename(path)
    return path


#: Help of the input argument's ``-``.
STDIN_HELP = " -: standard input."


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Output JSONL (default, or -: stdout).", callback=_stdout_for_dash
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
ShortlistOption = Annotated[
    int,
    typer.Option(
        "--shortlist",
        min=0,
        help="Re-rank only the symbolic prior's top N candidates with the model; the rest "
        "follow the prior (0: the model ranks every candidate).",
    ),
]
SimilarityWeightOption = Annotated[
    float,
    typer.Option(
        "--similarity-weight",
        min=0.0,
        help="Weight of the Resnik similarity (both directions) added to the scores of the "
        "candidates the model re-ranks (0: the model's score alone).",
    ),
]


def _one_of(choices: Callable[[], Sequence[str]]) -> Callable[[str], str]:
    """An option's callback that checks its value against ``choices()`` (read when the option
    is, so that their module loads only then) before any model loads; typer shows the error
    as usage."""

    def check(value: str) -> str:
        allowed = choices()
        if value not in allowed:
            raise typer.BadParameter(f"{value!r}; choose one of {', '.join(allowed)}")
        return value

    return check


def _shortlist_similarities() -> Sequence[str]:
    from fusion.shortlist import SHORTLIST_SIMILARITIES

    return SHORTLIST_SIMILARITIES


def _precisions() -> Sequence[str]:
    from fusion.precision import PRECISIONS

    return PRECISIONS


ShortlistSimilarityOption = Annotated[
    str,
    typer.Option(
        "--shortlist-similarity",
        help="How the similarity added to the scores the model re-ranks combines its two "
        "directions: BMA (the best-match average over both, which also orders the pool), "
        "funSimAvg (their mean: more weight to a brief description's own findings) or auto "
        "(funSimAvg for 3 present findings or fewer, else BMA).",
        callback=_one_of(_shortlist_similarities),
    ),
]
#: ``--text-partial-credit / --no-text-partial-credit`` of ``kgfuse diagnose`` and ``kgfuse
#: eval diagnosis``.
TextPartialCreditOption = Annotated[
    bool,
    typer.Option(
        "--text-partial-credit/--no-text-partial-credit",
        help="Credit a text's findings partly where a disease is annotated with a broader "
        "term (off by default; structured input never is): clinicians' prose often names "
        "findings more precisely than the annotations.",
    ),
]
LeadOption = Annotated[
    int,
    typer.Option(
        "--lead",
        min=0,
        help="Places of the ranking that keep the model's order of its shortlist (the "
        "places after them go to the pool, see --pool).",
    ),
]
PoolOption = Annotated[
    int,
    typer.Option(
        "--pool",
        min=0,
        help="The symbolic prior's top N candidates that fill the places after the lead, "
        "by the prior plus the weighted similarity (0: the shortlist's order goes on).",
    ),
]
#: ``--measurements`` of ``kgfuse link``, ``kgfuse eval link`` and ``kgfuse eval diagnosis``.
MeasurementsOption = Annotated[
    bool,
    typer.Option(
        "--measurements",
        help="Also read growth measurements stated with a centile or SD score "
        "('height 98 cm (-2 SD)' -> Short stature) and births before 37 weeks "
        "('born at 32 weeks' -> Premature birth).",
    ),
]


#: ``--milestones`` of ``kgfuse link``, ``kgfuse eval link`` and ``kgfuse eval diagnosis``.
MilestonesOption = Annotated[
    bool,
    typer.Option(
        "--milestones",
        help="Also read developmental milestones stated with a late age ('walked at 22 "
        "months' -> Delayed ability to walk).",
    ),
]


PrecisionOption = Annotated[
    str,
    typer.Option(
        "--precision",
        help="The encoder's inference precision: auto (bf16 on CPUs with AMX, else int8 "
        "where torch can quantize, else fp32), fp32, bf16 or int8.",
        callback=_one_of(_precisions),
    ),
]

#: Errors that are the user's input, shown as one clear line (exit code 2), no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (
    KGNotFoundError,
    KGMismatchError,
    OntologyParseError,
    UnknownTermError,
    UnsupportedFormatError,
    EndpointUnreachableError,
    EndpointServerError,
    FileNotFoundError,
    PermissionError,
    ValueError,
    FloatingPointError,  # a training run that diverged
)


def resolve_kg(kg: str | Path | None, home: Path | None = None) -> Path | str:
    """The KG: the folder or endpoint URL given, else the default HPO KG in the kgfuse home.
    A plain name that is no folder here names a KG of the home (``--kg anat`` after
    ``kgfuse kg build anat.obo``, which builds ``<home>/kgs/anat``)."""
    if kg is None:
        return default_kg_path("hpo", home)
    location = kg_location(kg)
    named = (
        isinstance(location, Path)
        and len(location.parts) == 1
        and not location.exists()
        and KG_NAME.fullmatch(location.name) is not None
    )
    if named and default_kg_path(str(location), home).is_dir():
        return default_kg_path(str(location), home)
    return location


#: The package of the built-in recipes: the source tree's configs/ (pyproject's package-dir).
CONFIGS_PACKAGE = "kgfuse.configs"
_EXTRACTED = ExitStack()  # recipes read from a zip, extracted while the process runs
atexit.register(_EXTRACTED.close)


def builtin_configs() -> dict[str, Traversable]:
    """The built-in recipes (``configs/*.yaml``) by name: the file name without ``.yaml``
    (none where kgfuse was installed without them)."""
    try:
        folder = resources.files(CONFIGS_PACKAGE)
    except ModuleNotFoundError:
        return {}
    return {
        entry.name.removesuffix(".yaml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml") and entry.is_file()
    }


def resolve_config(config: Path | None) -> Path | None:
    """``--config``: a file that is there as it is (a path wins over a name), else a
    built-in recipe named by its file name, with or without ``.yaml`` (``--config
    diagnosis``), as a file on disk.

    Raises:
        ValueError: a plain name that is neither a file nor a recipe (listing the recipes).
        FileNotFoundError: a path that is not there (also listing them).
    """
    if config is None or config.is_file():
        return config
    recipes = builtin_configs()
    known = ", ".join(sorted(recipes)) or "none installed"
    if len(config.parts) == 1:
        recipe = recipes.get(config.name.removesuffix(".yaml"))
        if recipe is not None:
            return recipe if isinstance(recipe, Path) else _EXTRACTED.enter_context(as_file(recipe))
        if config.suffix.lower() not in (".yaml", ".yml"):
            raise ValueError(
                f"no config file or built-in recipe named {str(config)!r} "
                f"(built-in recipes: {known})"
            )
    raise FileNotFoundError(f"config file not found: {config} (built-in recipes, by name: {known})")


def resolve_kg_folder(kg: Path | None, home: Path | None = None) -> Path:
    """:func:`resolve_kg` of a command that reads a local KG folder only."""
    location = resolve_kg(kg, home)
    if not isinstance(location, Path):
        raise ValueError(f"{location} is an endpoint URL; this command needs a local KG folder")
    return location


def home_dir(home: Path | None) -> Path:
    return kgfuse_home(home)


def error_message(exc: BaseException) -> str:
    """The message of a user error; a settings error (pydantic) as one line per bad field,
    ``section.key: what is wrong (got VALUE)``, without pydantic's links."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    lines = []
    for e in exc.errors(include_url=False):
        where = ".".join(str(part) for part in e["loc"]) or "(top level)"
        got = repr(e.get("input"))
        got = got if len(got) <= 60 else got[:57] + "..."
        lines.append(f"{where}: {e['msg']} (got {got})")
    return f"invalid {exc.title} settings:\n  " + "\n  ".join(lines)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's ``timeout``, ``kill``): stopped as Ctrl-C stops a command, its
    outputs closed and a stopped run resumable (``--resume``), with exit status 143."""


def stop_on_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` in the main thread (Python's default ends the
    process at once, leaving a batch output's ``.partial`` without what resumes it)."""

    def terminated(signum: int, frame: object) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, terminated)


def handle_errors(func: F) -> F:
    """Turn expected user errors into a one-line message and exit code 2: those of
    :data:`USER_ERRORS`; ``FileExistsError`` / ``NotADirectoryError`` (an output folder
    that is a file, say) when the error names its path or says what is wrong itself; and a
    write refused by a read-only file system or a full disk."""

    def fail(message: str) -> typer.Exit:
        if _VERBOSE:  # kgfuse -v: the traceback too, so an internal error can be traced
            traceback.print_exc(file=sys.stderr)
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        return typer.Exit(2)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            raise fail(error_message(exc)) from None
        except (FileExistsError, NotADirectoryError) as exc:
            if exc.errno is not None and exc.filename is None:
                raise  # about no path the user could give
            raise fail(f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc)) from None
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.ENOSPC):
                raise
            # a read-only mount (containers) or a full disk: the place, and what to do
            what = (
                "is on a read-only file system: give a writable --home, output or index folder"
                if exc.errno == errno.EROFS
                else "cannot be written: the disk is full"
            )
            raise fail(f"{exc.filename or 'a file'} {what}") from None
        except Terminated:
            err_console.print("[yellow]stopped (SIGTERM)[/]")
            raise typer.Exit(143) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def said_resumable(folder: Path) -> Iterator[None]:
    """A training run stopped by Ctrl-C or SIGTERM says what it kept: its last checkpoint,
    from which the same command goes on, or none yet (a kill-and-resume review found a bare
    "interrupted")."""
    from train.run import CHECKPOINT

    try:
        yield
    except KeyboardInterrupt:
        checkpoint = folder / CHECKPOINT
        said = (
            f"the last checkpoint, {checkpoint}, is kept: the same command goes on from it "
            "(--no-resume starts over)"
            if checkpoint.is_file()
            else "no checkpoint was written yet: the same command starts over"
        )
        err_console.print(said, markup=False, highlight=False)
        raise


def utf8_text(value: str | None) -> str | None:
    """Typer callback for text given on the command line: bytes that are not UTF-8 (which
    Python keeps as surrogates) are refused by position, before they reach a linker, a
    query or the audit log.

    Raises:
        typer.BadParameter: the text holds such bytes.
    """
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(value[exc.start])
        byte = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
        raise typer.BadParameter(
            f"not valid UTF-8 ({byte} at character {exc.start}); use a UTF-8 terminal or "
            "a UTF-8 file"
        ) from None
    return value


def check_port_free(host: str, port: int) -> None:
    """Refuse, before the model is loaded, an address that cannot be served: an unknown host,
    or a port another process listens on.

    Raises:
        ValueError: naming the address and why.
    """
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ValueError(f"cannot serve on {host!r}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise ValueError(
                f"cannot serve on {host}:{port}: {exc.strerror}; choose another --port"
            ) from None


def check_input_or_text(input: Path | None, text: str | None) -> None:
    """Refuse a command given both an input file and ``--text``, or neither, or an empty
    ``--text`` (before anything loads).

    Raises:
        ValueError: not exactly one of them is given; ``--text`` holds only white space.
    """
    if (input is None) == (text is None):
        raise ValueError("give either an INPUT.jsonl file or --text")
    if text is not None and not text.strip():
        raise ValueError("--text is empty: give the words to read")


def check_input_output(input: Path | None, output: Path | None, *, folders: bool = False) -> None:
    """Refuse, before any model is loaded, a missing input file, an input folder (unless
    ``folders``: a command that reads a folder's ``*.json`` files, as ``kgfuse diagnose``
    can), an output that is the input (opening it would empty the input) or a ``*.json``
    file in the input folder (a later run would read it as input), or an output
    :func:`check_output` refuses.

    Raises:
        FileNotFoundError: the input or the output's folder is missing.
        ValueError: the input is a folder a command cannot read, the output is the input or
            in it, or the output is refused by :func:`check_output`.
    """
    folder = input is not None and input.is_dir()
    if folder and not folders:
        raise ValueError(
            f"the input {input} is a folder: give a file of records, one JSON object per line"
        )
    if input is not None and not folder and not input.is_file():
        raise FileNotFoundError(f"input file not found: {input}")
    if output is None:
        return
    check_output(output)
    written = (output, partial_path(output), run_key_path(output))
    if input is not None and input.resolve() in {path.resolve() for path in written}:
        # OUTPUT.partial (and its run key) is written first: opening it empties the input
        raise ValueError(f"the output {output} is the input: choose another output file")
    if (
        input is not None
        and folder
        and output.suffix.lower() == ".json"
        and output.resolve().is_relative_to(input.resolve())
    ):
        raise ValueError(
            f"the output {output} is a .json file in the input folder: a later run would "
            "read it as a case; choose another output file"
        )


def check_output(output: Path) -> None:
    """Refuse, before any work, an output file that is a folder, whose ``OUTPUT.partial``
    is a link or not a file, in a folder that does not exist or cannot be written, or an
    SQLite database (the audit trail, above all: writing
    over it would destroy the record of every decision).

    Raises:
        FileNotFoundError: the output's folder is missing.
        ValueError: the output is a folder or a database, or its ``OUTPUT.partial`` is a link
            or not a file.
        PermissionError: the output's folder cannot be written.
    """
    if output.is_dir():
        raise ValueError(f"the output {output} is a folder: give a file name")
    if output.suffix.lower() in (".gz", ".bz2", ".xz", ".zst", ".zip"):
        raise ValueError(
            f"the output {output} is named as a compressed file, which kgfuse does not write: "
            "name it .jsonl, or leave out -o and pipe stdout to the compressor"
        )
    if output.exists() and not output.is_file():
        raise ValueError(
            f"the output {output} is not a regular file (a device or a pipe), which the "
            "finished output would replace: leave out -o to write to stdout"
        )
    partial, key = partial_path(output), run_key_path(output)
    if len(os.fsencode(key.name)) > 255:  # the longest name a run writes beside the output
        raise ValueError(
            f"the output's name is too long: {key.name!r} is written beside it, and a file "
            "name holds at most 255 bytes"
        )
    if partial.is_symlink() or (partial.exists() and not partial.is_file()):
        raise ValueError(
            f"{partial} is {_kind(partial)}, where the output is written first: remove it, or "
            "give another -o"
        )
    # the key may be a link: it is replaced whole (a new file renamed onto it), not followed
    if key.exists() and not key.is_symlink() and not key.is_file():
        raise ValueError(
            f"{key} is {_kind(key)}, where --resume's run key is kept: remove it, or give "
            "another -o"
        )
    folder = output.resolve().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"output folder not found: {output.parent}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write to the output folder {folder}")
    # a database's own journal files, which hold its last records until they are merged
    journal = output.name.endswith(("-wal", "-shm", "-journal"))
    database = output.with_name(output.name.rsplit("-", 1)[0]) if journal else output
    if journal and database.name and _is_sqlite(database):
        raise ValueError(
            f"the output {output} is a journal of the SQLite database {database} "
            "(an audit trail?): not writing over it; choose another output file"
        )
    if _is_sqlite(output):
        raise ValueError(
            f"the output {output} is an SQLite database (an audit trail?): "
            "not writing over it; choose another output file"
        )


def _is_sqlite(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts as an SQLite database does."""
    from kgfuse.audit import SQLITE_MAGIC

    if not path.is_file():
        return False
    with path.open("rb") as fh:
        return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _kind(path: Path) -> str:
    """What a path that is not a regular file is, in words."""
    return "a link" if path.is_symlink() else "a folder" if path.is_dir() else "not a file"


def report_records(input: Path | None, written: int, failed: int, done: str) -> None:
    """Say on stderr how many records of ``input`` failed; exit with status 1 when none
    succeeded (each failed record's ``error`` is in the output). An input without records
    (an empty shard of a pipeline) gives an empty output and a warning, not a failure.
    ``input`` None: the one record of ``--text``, whose error was printed already.

    Raises:
        typer.Exit: status 1, as above.
    """
    if input is None:
        if failed:
            raise typer.Exit(1)
        return
    if written == 0:
        err_console.print(
            f"[yellow]warning: no records in {escape(str(input))}; the output is empty[/]"
        )
        return
    if failed:
        err_console.print(
            f"[yellow]{failed:,} of {written:,} record(s) could not be {done} "
            "(see their 'error')[/]"
        )
    if failed == written:
        raise typer.Exit(1)


def partial_path(output: Path) -> Path:
    """Where :func:`jsonl_output` writes before the output is complete."""
    return output.with_name(output.name + ".partial")


@dataclass
class HeldOutput:
    """``OUTPUT.partial`` opened and locked (:func:`held_output`) for a whole run.

    Attributes:
        output: the output file.
        partial: ``OUTPUT.partial``.
        sink: the partial file, open to append.
        created: this run made the file (none was there).
        started: this run has emptied it (or cut it to the records it resumes) to write.
    """

    output: Path
    partial: Path
    sink: TextIO
    created: bool
    started: bool = False


@contextmanager
def held_output(output: Path) -> Iterator[HeldOutput]:
    """``OUTPUT.partial`` opened without emptying it (nor following a link there) and locked,
    from before the model loads to the end: what ``--resume`` reads of it is what the run
    then appends to, and a second run given the same ``-o`` stops at once. A run that fails
    before it writes leaves the file as it was (a stopped run's records stay to resume),
    and removes it if it made it.

    Raises:
        OutputBusyError: another run holds it.
        ValueError: it is a link, a folder or not a regular file.
    """
    from kg.locks import same_file

    partial = partial_path(output)
    while True:
        sink, created = _open_partial(partial)
        try:
            _hold(sink, partial)
        except BaseException:
            sink.close()
            raise
        if same_file(sink.fileno(), partial):
            break
        sink.close()  # renamed or removed by the run that held it: open the file there now
    held = HeldOutput(output, partial, sink, created)
    try:
        yield held
    except BaseException:
        if created and not held.started:
            partial.unlink(missing_ok=True)
        raise
    finally:
        sink.close()  # releases the lock


@contextmanager
def jsonl_output(
    output: Path | None,
    resumed: ResumedOutput | None = None,
    *,
    resumable: bool = False,
    run_key: Mapping[str, Any] | None = None,
    held: HeldOutput | None = None,
) -> Iterator[TextIO]:
    """The stream a command writes its JSONL lines to: stdout when ``output`` is None, else
    ``OUTPUT.partial``, renamed onto ``output`` when the block ends without an error (an
    input without records gives an empty output). A run that fails or is interrupted
    leaves no half-written output (an earlier one stays as it was), and a failed
    one keeps the lines already written in ``OUTPUT.partial``, which it names (and says
    that ``--resume`` goes on from them, for a ``resumable`` command). ``resumed``: the
    complete lines a stopped run left there are kept, and the new ones appended.
    ``run_key``: written to ``OUTPUT.partial.run`` beside them, for ``--resume`` to check
    (:mod:`kgfuse.commands.resumed_output`), and removed with the partial output.
    ``held``: the partial file as :func:`held_output` holds it (default: held here)."""
    if output is None:
        yield sys.stdout
        return
    if held is None:
        with (
            held_output(output) as own,
            jsonl_output(output, resumed, resumable=resumable, run_key=run_key, held=own) as sink,
        ):
            yield sink
        return
    # ``resumed`` was read under the same lock (:func:`held_output`): the file is as it read
    partial, sink, key_file = held.partial, held.sink, run_key_path(output)
    if resumed is None and resumable and sink.seek(0, os.SEEK_END) > 0:
        said = (
            f"the records a stopped run left in {partial} are discarded: this run starts "
            "over (the same command with --resume would have gone on from them)"
        )
        err_console.print(f"[yellow]{escape(said)}[/]", highlight=False)
    sink.truncate(resumed.size if resumed is not None else 0)
    sink.seek(0, os.SEEK_END)
    held.started = True
    # after the truncation: a kill between the two leaves no kept line under a new key
    if run_key is not None:
        write_run_key(output, run_key)
    else:
        key_file.unlink(missing_ok=True)
    try:
        yield sink
    except BaseException:
        sink.flush()
        kept = sink.tell() > 0
        message = f"the records done so far are in {partial}" if kept else "nothing done"
        if kept and resumable:
            message += " (the same command with --resume goes on from them)"
        err_console.print(
            f"[yellow]{escape(f'{output} not written; {message}')}[/]", highlight=False
        )
        if not kept:  # the key first: the partial file, still locked, is this run's
            key_file.unlink(missing_ok=True)
            partial.unlink(missing_ok=True)
        raise
    # the key removed and the output renamed while the file is still locked: no other run
    # has opened this file as its OUTPUT.partial, nor written a key of its own
    key_file.unlink(missing_ok=True)
    sink.flush()
    os.replace(partial, output)  # no records: an empty output (the command says so)


#: Tries to open or make ``OUTPUT.partial`` (a file removed between two opens is made again).
_OPEN_TRIES = 100


def _open_partial(partial: Path) -> tuple[TextIO, bool]:
    """``OUTPUT.partial`` opened to append, and whether it was made now (none was there); a
    link there is refused rather than followed (the file is emptied: a link could name any
    file).

    Raises:
        ValueError: it is a link, a folder or not a regular file; its folder is gone.
    """
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(_OPEN_TRIES):
        try:
            try:
                fd, created = os.open(partial, flags | os.O_CREAT | os.O_EXCL, 0o666), True
            except FileExistsError:
                fd, created = os.open(partial, flags), False
            break
        except FileNotFoundError:  # removed between the two opens: make it
            if not partial.parent.is_dir():  # not the file but its folder: nothing to retry
                raise ValueError(
                    f"the output's folder {partial.parent} is not there (removed after the "
                    "command started?)"
                ) from None
            continue  # removed again at once, or a folder where no file can be made
        except OSError as exc:
            if partial.is_symlink() or exc.errno == errno.ELOOP:
                raise ValueError(
                    f"{partial} is a link, where this command writes its output first: remove it"
                ) from None
            if partial.is_dir():
                raise ValueError(
                    f"{partial} is a folder, where this command writes its output first: remove it"
                ) from None
            raise
    else:
        raise ValueError(f"{partial} cannot be made: it is not there after {_OPEN_TRIES} tries")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(
            f"{partial} is not a regular file, where this command writes its output first: "
            "remove it"
        )
    return os.fdopen(fd, "a", encoding="utf-8"), created


class OutputBusyError(ValueError):
    """Another run is writing the same output."""


def _hold(sink: TextIO, partial: Path) -> None:
    """An exclusive ``flock`` on ``OUTPUT.partial`` while it is written (released when the
    file is closed, or the process ends).

    Raises:
        OutputBusyError: another run holds it.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return
    try:
        fcntl.flock(sink.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputBusyError(
            f"another run is writing {partial}: wait for it to finish, or give another -o"
        ) from None
    except OSError:  # a file system without locks (some network mounts): written unlocked
        logger.debug("cannot lock %s; written without a lock", partial)


def write_records(
    records: Iterable[dict[str, Any]],
    output: Path | None,
    show: Callable[[dict[str, Any]], None] | None = None,
    doing: str = "writing",
    *,
    resumed: ResumedOutput | None = None,
    resumable: bool = False,
    run_key: Mapping[str, Any] | None = None,
    held: HeldOutput | None = None,
) -> tuple[int, int]:
    """Each output record as a JSON line in ``output`` (:func:`jsonl_output`), or shown with
    ``show`` when given (one ``--text`` record printed for reading). Returns how many were
    written and how many of them are error records, those a stopped run wrote included
    (``resumed``: kept, and ``records`` are the ones after them); ``resumable``: the command
    takes ``--resume``, which a stopped run's message names; ``run_key``: what ``--resume``
    checks, ``held``: the output as :func:`held_output` holds it (:func:`jsonl_output`).

    Lines written count on a progress line on stderr (``doing``, the records done, their
    rate), shown when stderr is a terminal: a file of cases can take minutes."""
    from tqdm.auto import tqdm

    written = len(resumed.ids) if resumed is not None else 0
    failed = resumed.failed if resumed is not None else 0
    seen: set[str] = set()
    repeated: list[str] = []

    def repeats(rid: Any) -> bool:
        """Whether ``rid`` is an earlier record's id (an id as written out: a malformed one
        is no key); counted in ``repeated``."""
        if not isinstance(rid, str):
            return False
        again = rid in seen
        if again:
            repeated.append(rid)
        seen.add(rid)
        return again

    for rid in resumed.ids if resumed is not None else ():  # counted over the whole output
        repeats(rid)
    with (
        jsonl_output(output, resumed, resumable=resumable, run_key=run_key, held=held) as sink,
        tqdm(
            desc=doing,
            unit=" records",
            disable=True if show else None,
            leave=False,
            initial=written,
        ) as bar,
    ):
        for out in records:
            written += 1
            failed += "error" in out
            rid = out.get("id")
            if repeats(rid):  # said where joins by id would go wrong
                if "warnings" not in out and "error" not in out:
                    out["warnings"] = []  # outputs that list warnings only when any
                if isinstance(out.get("warnings"), list):
                    out["warnings"].append(f"id {rid!r} is also an earlier record's id")
            if show is not None:
                show(out)
            else:
                sink.write(json.dumps(out, ensure_ascii=False) + "\n")
                sink.flush()  # a kill (not only Ctrl-C) keeps every record done and audited
                bar.update(1)
    if repeated:
        first = ", ".join(repr(r) for r in dict.fromkeys(repeated[:3]))
        err_console.print(
            f"[yellow]warning:[/] {len(repeated)} record(s) repeat an earlier record's id "
            f"({first}{' ...' if len(set(repeated)) > 3 else ''}): give each record its own "
            "id, or outputs and audit records cannot be told apart by it",
            highlight=False,
        )
    return written, failed


def print_json(data: Any) -> None:
    """Write JSON to stdout (UTF-8, no colour codes) so it can be piped."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


#: ``kgfuse -v`` given: :func:`handle_errors` also prints the traceback of an error.
_VERBOSE = False


def setup_logging(verbose: bool) -> None:
    """Log at INFO with ``-v`` (else WARNING); ``-v`` also makes :func:`handle_errors`
    print the traceback before an error's one line."""
    global _VERBOSE
    _VERBOSE = verbose
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
