"""``kgfuse audit ...``: list, show, re-run and verify the recorded decisions."""

from __future__ import annotations

import functools
import math
import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from kg.collector import kept_loaded
from kg.namespaces import compress
from kgfuse.audit import (
    AuditLog,
    AuditRecordNotFoundError,
    ReplayerNotFoundError,
    default_audit_path,
    parse_head,
    verify_record,
)
from kgfuse.commands.common import (
    HomeOption,
    JsonOption,
    check_output,
    console,
    err_console,
    error_message,
    handle_errors,
    print_json,
    resolve_kg,
)
from kgfuse.explanation import format_probability, printable
from kgfuse.quick_exit import allow_quick_exit

app = typer.Typer(
    help="Inspect the audit trail: list and show decisions, re-run one, verify the hash chain.",
    no_args_is_help=True,
)
F = TypeVar("F", bound=Callable[..., Any])

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Audit database (default: <home>/audit.sqlite).", show_default=False),
]
IdArgument = Annotated[
    str, typer.Argument(help="Audit id (or a unique prefix of it, at least 6 characters).")
]
#: The most records ``audit list`` shows at once.
MAX_LIST = 1_000_000_000
#: Terminal columns from which ``audit list`` keeps a record's date and time on one line.
_WIDE_LIST = 100


def _audit_errors(func: F) -> F:
    """Unknown records, missing replayers, records that cannot be trusted or re-run and a
    database SQLite cannot read (damaged) are user errors: one line, exit code 2, its
    control characters (a tampered id) shown as escapes."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (AuditRecordNotFoundError, ReplayerNotFoundError, ValueError) as exc:
            message = error_message(exc)
        except sqlite3.DatabaseError as exc:
            db = kwargs.get("db") or default_audit_path(kwargs.get("home"))
            message = f"cannot read the audit database {db}: {exc}"
        err_console.print(f"[bold red]error:[/] {escape(printable(message))}", highlight=False)
        raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _open(db: Path | None, home: Path | None, *, note: bool = True) -> AuditLog:
    """The audit database, read-only: these commands never change it (nor any other file
    given by mistake). A database of a newer schema version is read with a warning
    (``note``; ``verify-chain`` lists it among its warnings)."""
    log = AuditLog(db if db is not None else default_audit_path(home), readonly=True)
    if note and log.schema_note:
        _warn(log.schema_note)
    return log


def _warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {escape(printable(message))}", highlight=False)


def _cell(text: str) -> str:
    """Stored text as a table cell: control characters escaped, no Rich markup."""
    return escape(printable(text))


def _tolerance(value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise typer.BadParameter(f"must be a finite number >= 0, got {value}")
    return value


def _check_html_output(html: Path, db: Path) -> None:
    """Refuse an HTML output that would write over the audit database or its WAL files."""
    check_output(html)
    target = html.resolve()
    database = db.resolve()
    for suffix in ("", "-wal", "-shm", "-journal"):
        if target == database.with_name(database.name + suffix):
            what = f"the audit database's {suffix[1:]} file" if suffix else "the audit database"
            raise ValueError(f"the output {html} is {what}: choose another output file")


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it onto ``path``: a
    failed write leaves no half-written file (and an earlier one as it was).

    Raises:
        ValueError: the file cannot be written (naming it and why).
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("x", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@app.command("list")
@handle_errors
@_audit_errors
def list_records(
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=1, max=MAX_LIST, help="Newest records to show."),
    ] = 20,
    record: Annotated[
        str | None,
        typer.Option(
            "--record",
            help="Only the decisions about the input record with this id (inputs stored).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the newest decisions (with --record, those about one input record)."""
    with _open(db, home) as log:
        rows = log.list(limit, input_id=record)
    if as_json:
        print_json([r.__dict__ for r in rows])
        return
    about = f" about input record {record!r}" if record is not None else ""
    if record is not None and not rows:
        err_console.print(
            f"no decision about an input record {record!r} (only inputs stored in full, "
            "without --no-store-input, are searched by their id)",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    table = Table(
        title=f"{len(rows)} newest decisions{about}",
        caption="f/w/e: rule findings that fail, warn, err; input: stored, or its hash only",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    # what identifies a record is never cut (in a narrow terminal the time goes under the
    # date); the answer wraps, and numbers wrap rather than lose digits
    narrow = console.width < _WIDE_LIST
    table.add_column("seq", no_wrap=True, justify="right")
    table.add_column("id", no_wrap=True, min_width=12)
    table.add_column("time (UTC)", no_wrap=not narrow, max_width=10 if narrow else None)
    table.add_column("kind", no_wrap=True)
    table.add_column("top answer", min_width=12, overflow="fold")
    for col in ("p", "f/w/e", "input"):
        table.add_column(col, overflow="fold")
    for r in rows:
        prob = format_probability(r.top_probability) if r.top_probability is not None else ""
        curie = compress(r.top_answer) if r.top_answer else ""
        top = _cell(f"{r.top_label} ({curie})" if r.top_label else curie)
        if r.damaged:
            top = f"[bold red]DAMAGED[/]: {_cell(r.damaged)}"
        counts = "/".join(str(r.statuses.get(s, 0)) for s in ("fail", "warn", "error"))
        table.add_row(
            str(r.seq),
            _cell(r.id[:12]),
            _cell(r.created_at[:19].replace("T", " ")),
            _cell(r.kind),
            top,
            prob,
            counts,
            "stored" if r.input_stored else "hash",
        )
    console.print(table)
    damaged = [r for r in rows if r.damaged]
    if damaged:
        err_console.print(
            f"[yellow]warning:[/] {len(damaged)} listed record(s) cannot be trusted (seq "
            f"{', '.join(str(r.seq) for r in damaged)}); run `kgfuse audit verify-chain`",
            highlight=False,
        )


def _provenance(rec: Any) -> dict[str, str]:
    """What ties an HTML report to its record in the chain, as ``audit show`` prints it."""
    files = rec.explanation.metadata.get("model_files")
    out = {
        "audit id": f"{rec.id} (seq {rec.seq})",
        "time": f"{rec.created_at} UTC",
        "input": f"{'stored' if rec.input_stored else 'not stored'}, sha256 {rec.input_hash}",
        "config sha256": rec.config_hash,
        "model files sha256": files.get("sha256", "") if isinstance(files, dict) else "",
        "record hash": rec.hash,
        "previous record": rec.prev_hash,
        "versions": ", ".join(f"{k} {v}" for k, v in sorted(rec.versions.items())),
    }
    return {k: v for k, v in out.items() if v}


@app.command("show")
@handle_errors
@_audit_errors
def show(
    record_id: IdArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole record as JSON.")
    ] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report to FILE.")
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Show one decision: input, mentions, ranking, findings with cited facts."""
    if as_json and html is not None:
        raise typer.BadParameter("choose one of --json and --html")
    if html is not None:
        _check_html_output(html, db if db is not None else default_audit_path(home))
    with _open(db, home) as log:
        rec = log.get(record_id)
    if as_json:
        print_json(rec.to_dict())
        return
    if html is not None:
        title = f"kgfuse {rec.kind} {rec.id[:12]} ({rec.created_at[:19]} UTC)"
        _write_atomic(html, rec.explanation.to_html(title=title, provenance=_provenance(rec)))
        console.print(f"wrote {html}", highlight=False, markup=False)
        return
    head = [
        f"audit id   {rec.id} (seq {rec.seq})",
        f"kind       {rec.kind}",
        f"time       {rec.created_at}",
        f"input      {'stored' if rec.input_stored else 'not stored'}, sha256 {rec.input_hash}",
        *_input_lines(rec.input),
        *_setting_lines(rec.config or {}, rec.explanation.metadata),
        f"config     {rec.config_hash}",
        f"record     {rec.hash} (matches its content)",
        "",
    ]
    # stored text may hold terminal control sequences: shown escaped, never obeyed
    typer.echo(printable("\n".join(head)) + rec.explanation.to_text(), nl=False)


#: Settings of a decision that ``audit show`` lists, in this order.
_SETTINGS = (
    "top_k",
    "rules_top",
    "limit",
    "shortlist",
    "precision",
    "similarity_weight",
    "lead",
    "pool",
    "ordered_probabilities",
    "shortlist_similarity",
    "text_partial_credit",
)


def _listed(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _input_lines(given: Any) -> list[str]:
    """A structured input's fields (terms, sex, age, onset; a phenopacket's features), one
    line each; a text is shown with the explanation."""
    if not isinstance(given, dict):
        return []
    fields: dict[str, Any] = {
        "present": given.get("present_hpo"),
        "excluded": given.get("excluded_hpo"),
        "sex": given.get("sex"),
        "age": given.get("age"),
        "onset": given.get("onset"),
    }
    features = given.get("phenotypicFeatures")
    if isinstance(features, list):
        listed = [f for f in features if isinstance(f, dict)]
        ids = [((f.get("type") or {}).get("id", "?"), bool(f.get("excluded"))) for f in listed]
        fields["present"] = fields["present"] or [i for i, excluded in ids if not excluded]
        fields["excluded"] = fields["excluded"] or [i for i, excluded in ids if excluded]
        subject = given.get("subject")
        if isinstance(subject, dict) and fields["sex"] is None:
            fields["sex"] = subject.get("sex")
    return [
        f"  {name + ':':<10}{_listed(value)}"
        for name, value in fields.items()
        if value not in (None, "", [])
    ]


def _setting_lines(config: dict[str, Any], metadata: dict[str, Any]) -> list[str]:
    """The decision's settings, model and KG as its record keeps them."""
    settings = ", ".join(f"{k} {config[k]}" for k in _SETTINGS if config.get(k) is not None)
    lines = [f"settings   {settings}"] if settings else []
    files = metadata.get("model_files")
    if config.get("model_dir") or isinstance(files, dict):
        model = [str(config.get("model_dir") or "the home's model")]
        if isinstance(files, dict):
            model.append(f"files sha256 {files.get('sha256')} ({len(files.get('files') or {})})")
        if config.get("model_config_hash"):
            model.append(f"training config {config['model_config_hash']}")
        lines.append("model      " + "; ".join(model))
    if config.get("kg"):
        lines.append(f"KG         {config['kg']}")
    return lines


@app.command("verify")
@handle_errors
@_audit_errors
def verify(
    record_id: IdArgument,
    tolerance: Annotated[
        float,
        typer.Option(
            callback=_tolerance,
            help="Relative tolerance for scores and probabilities (a finite number >= 0).",
        ),
    ] = 1e-9,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="Model folder to re-run with in place of the recorded one (accepted only "
            "when its files are the recorded model's).",
        ),
    ] = None,
    kg: Annotated[
        str | None,
        typer.Option(
            "--kg",
            help="KG folder or SPARQL endpoint URL to re-run with in place of the recorded "
            "one (accepted only when its fingerprint is the record's).",
        ),
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-run a decision with its recorded input, model and KG; report identical or not.

    Prints the differences (first the model files that changed, when the record holds
    their hashes) and exits with code 1 when the re-run differs, or runs on model files that
    are not the recorded ones (it then says whether its outputs are the recorded ones).
    """
    # --kg NAME is a KG of the home, as other commands read it
    overrides = {"model_dir": model, "kg": resolve_kg(kg, home) if kg else None, "home": home}
    allow_quick_exit()  # it writes nothing; the log closes before it returns
    with _open(db, home) as log, kept_loaded():  # the collector paused while the model loads
        report = verify_record(log, record_id, tolerance=tolerance, overrides=overrides)
    rid = _cell(report.record_id)
    if as_json:
        print_json(report.__dict__)
    elif report.identical:
        console.print(f"[green]identical[/]: decision {rid} re-runs the same", highlight=False)
    elif report.findings_only and (report.rules_changed or report.rule_set_changed):
        which = (
            f"{len(report.rules_changed)} rule(s) changed since it was made "
            f"({', '.join(map(_cell, report.rules_changed))})"
            if report.rules_changed
            else "the rule set changed since it was made (its fingerprint differs)"
        )
        console.print(
            f"[yellow]rules changed[/]: decision {rid} re-runs with the same "
            f"ranking, facts and mentions; only rule findings differ, and {which}:",
            highlight=False,
        )
        _print_lines(report.differences)
    elif report.outputs_identical:
        console.print(
            f"[yellow]model files changed[/]: decision {rid} re-runs to the recorded outputs, "
            "with model files that are not the recorded ones:",
            highlight=False,
        )
        _print_lines(report.differences)
    else:
        console.print(f"[red]different[/]: decision {rid} re-runs differently:", highlight=False)
        _print_lines(report.differences)
    if not as_json and report.notes:
        console.print("notes (package versions, the rule set):")
        _print_lines(report.notes)
    if not report.identical:
        raise typer.Exit(1)


def _print_lines(lines: list[str]) -> None:
    """One ``  - line`` each, control characters escaped, no Rich markup."""
    for line in lines:
        console.print(f"  - {printable(line)}", highlight=False, markup=False)


def _head(value: str | None) -> str | None:
    """``--expect-head``: ``SEQ:HASH`` as ``verify-chain`` prints it."""
    if value is None:
        return None
    try:
        seq, digest = parse_head(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return f"{seq}:{digest}"


@app.command("verify-chain")
@handle_errors
@_audit_errors
def verify_chain(
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            metavar="SEQ:HASH",
            callback=_head,
            help="A head this command printed before, kept outside the database: fail unless "
            "that record is still there, unchanged (catches records cut from the end or "
            "rewritten with recomputed hashes, which the chain alone cannot).",
        ),
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check every record's hash and link; name the first changed or deleted record.

    Prints the head (SEQ:HASH of the newest record). The chain is kept in the database it
    protects, so whoever can write the file can rewrite it consistently: keep the head
    elsewhere (another machine, a signed note) and give it back with --expect-head.
    Exits with code 1 when the chain is broken or the expected head is not found.
    """
    with _open(db, home, note=False) as log:
        report = log.verify_chain(expect_head)
    if as_json:
        print_json(report.__dict__)
    else:
        for w in report.warnings:
            console.print(f"[yellow]warning:[/] {_cell(w)}", highlight=False, soft_wrap=True)
        if report.ok:
            console.print(f"[green]chain intact[/]: {report.records} records verified")
            if expect_head:
                console.print(f"the expected head {expect_head} is in the chain", highlight=False)
            console.print(
                f"head {report.head} (keep it outside this database; `kgfuse audit "
                "verify-chain --expect-head` with it proves later that no record up to it was "
                "cut or rewritten)",
                highlight=False,
                soft_wrap=True,
            )
        else:
            where = (
                f"at record {_cell(report.first_bad_id)} (seq {report.first_bad_seq})"
                if report.first_bad_id
                else f"after seq {(report.first_bad_seq or 1) - 1}"
            )
            console.print(
                f"[red]chain broken[/] {where}: {_cell(report.reason)}",
                highlight=False,
                soft_wrap=True,
            )
    if not report.ok:
        raise typer.Exit(1)
