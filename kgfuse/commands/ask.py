"""``kgfuse ask "..."`` and ``kgfuse serve``: the linked QA interface from the shell and HTTP."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from kg.collector import kept_loaded
from kgfuse.commands.common import (
    HomeOption,
    JsonOption,
    KGOption,
    PrecisionOption,
    check_port_free,
    console,
    handle_errors,
    print_json,
    resolve_kg,
    utf8_text,
)
from kgfuse.quick_exit import allow_quick_exit


def check_audit_database(home: Path | None, audit_db: Path | None = None) -> None:
    """Refuse to start when the audit database (``audit_db``, else the home's) cannot take
    records (read-only, damaged, or not a kgfuse audit database): before any KG build or
    model load.

    Raises:
        PermissionError, ValueError: :meth:`kgfuse.audit.AuditLog.check_writable`'s.
    """
    from kg.store import kgfuse_home
    from kgfuse.audit import AuditLog

    path = audit_db or kgfuse_home(home) / "audit.sqlite"
    if path.exists():  # a new one is created by the first decision, as before
        AuditLog(path).check_writable()


def kg_for_questions(kg: str | None, home: Path | None) -> Path | str:
    """The KG to answer from; the built-in HPO KG is built on first use (about a minute)."""
    from kg.store import build_kg, default_kg_path, resolve_build

    path = resolve_kg(kg, home)
    if kg is None and path == default_kg_path("hpo", home):
        try:
            resolve_build(path)
        except FileNotFoundError:
            console.print(f"[dim]building the HPO KG into {escape(str(path))} (once, a minute)[/]")
            build_kg(["hpo"], path, progress=True)
    return path


ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="Diagnosis model folder (default: the one quickstart trains)."),
]


@handle_errors
def ask(
    question: Annotated[str, typer.Argument(help="A question in English.", callback=utf8_text)],
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Items listed.")] = 20,
    no_audit: Annotated[bool, typer.Option("--no-audit", help="Do not record the answer.")] = False,
    precision: PrecisionOption = "auto",
    model: ModelOption = None,
    kg: KGOption = None,
    home: HomeOption = None,
) -> None:
    """Answer a question from the KG (or the diagnosis model), every entity linked to its IRI.

    Exit status 3 when it cannot answer (the closest facts are printed)."""
    from kgfuse.qa import QAService
    from kgfuse.qa.service import check_question

    question = check_question(question)  # before the KG and the intent classifier load
    allow_quick_exit()  # what it writes (the audit record) is committed as it is written
    with kept_loaded():  # one question: the collector stays paused while it loads and answers
        service = QAService(
            kg_for_questions(kg, home), model, home, audit=not no_audit, precision=precision
        )
        answer = service.ask(question, limit=limit)
        data = service.answer_dict(answer)
    if as_json:
        print_json(data)
    else:
        print_answer(data)
    if not answer.answered:
        raise typer.Exit(code=3)


#: The colour of each rule finding's status in ``kgfuse ask``.
STATUS_COLOURS = {"pass": "green", "warn": "yellow", "fail": "red", "error": "magenta"}


def facts_title(data: dict[str, Any]) -> str:
    """What an answer's facts are: those that support it, those retrieved for the diagnosis
    model (they need not be about the ranked diseases), or for a question it cannot answer
    the closest the KG holds."""
    if not data["answered"]:
        return "closest facts in the KG"
    return "facts retrieved for the model" if data["intent"] == "diagnose" else "supporting facts"


def print_answer(data: dict[str, Any]) -> None:
    """A readable view of an answer (``Answer.to_dict``); every text from the KG or the
    question is escaped, so a ``[...]`` in it prints as written."""
    colour = "green" if data["answered"] else "yellow"
    console.print(f"[bold {colour}]{escape(data['text'])}[/]")
    console.print(
        f"[dim]intent {escape(data['intent'])} ({escape(data['method'])}, "
        f"{data['confidence']:.2f}); "
        + ", ".join(
            f"{escape(e['text'])} -> {escape(e['curie'])}"
            + (f" (from its {escape(e['read_from'])})" if e.get("read_from") else "")
            for e in data["entities"]
        )
        + "[/]"
    )
    if data["items"]:
        table = Table(title=f"{len(data['items'])} of {data['total']} items", show_lines=False)
        for column in ("CURIE", "label", "detail", "IRI"):
            table.add_column(column, overflow="fold")
        for item in data["items"]:
            detail = _ranked_detail(item["detail"]) or "; ".join(
                f"{k}: {_short(v)}" for k, v in item["detail"].items() if v not in (None, "", [])
            )
            table.add_row(
                escape(item["curie"]), escape(item["label"]), escape(detail), escape(item["iri"])
            )
        console.print(table)
    if data["facts"]:
        table = Table(title=facts_title(data))
        for column in ("subject", "predicate", "object", "frequency", "provenance"):
            table.add_column(column, overflow="fold")
        for fact in data["facts"][:20]:
            obj = fact["object"]
            predicate = fact["predicate"]
            table.add_row(
                _node(fact["subject"]),
                escape(predicate["label"] or predicate["curie"]),
                escape(obj["literal"]) if "literal" in obj else _node(obj),
                escape(("NOT " if fact["negated"] else "") + (fact["frequency"] or "")),
                escape(_provenance(fact)),
            )
        console.print(table)
    for finding in data["findings"][:10]:
        status = str(finding["status"])
        colour = STATUS_COLOURS.get(status, "bold")
        console.print(f"[{colour}]{escape(status.upper())}[/] {escape(finding['message'])}")
    for warning in data.get("warnings", []):
        console.print(f"[yellow]warning: {escape(warning)}[/]")
    if data["audit_id"]:
        audit_id = escape(data["audit_id"])
        console.print(f"[dim]audit id {audit_id} (kgfuse audit show {audit_id})[/]")


def _node(n: dict[str, Any] | None) -> str:
    return escape(f"{n['label']} ({n['curie']})") if n else ""


def _ranked_detail(detail: dict[str, Any]) -> str | None:
    """A ranked diagnosis's detail as the web page words it (``rank 2 · probability 28.1% ·
    placed by prior+similarity · credited: HP:0002066``); the score, which only orders the
    model's own places, is left to ``--json``. None for any other item."""
    if "rank" not in detail or not isinstance(detail.get("probability"), float):
        return None
    parts = [f"rank {detail['rank']}", f"probability {100 * detail['probability']:.3g}%"]
    if detail.get("placed_by") not in (None, "model"):
        parts.append(f"placed by {detail['placed_by']}")
    if detail.get("imputed"):
        parts.append("credited from similar diseases: " + _short(detail["imputed"]))
    return " · ".join(parts)


def _short(value: Any) -> str:
    """A detail's value as shown: four significant digits of a number (the JSON keeps
    every digit), at most five entries of a list, a node's label."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value[:5])) + (" ..." if len(value) > 5 else "")
    if isinstance(value, dict):
        return value.get("label") or value.get("curie") or str(value)
    return str(value)


def _provenance(fact: dict[str, Any]) -> str:
    parts = [fact["source"]] if fact.get("source") else []
    if fact["evidence"]:
        parts.append(fact["evidence"])
    parts.extend(s["curie"] for s in fact["sources"][:3])
    return "; ".join(parts)


#: The addresses ``kgfuse serve --host`` binds to loopback with.
LOOPBACK_BINDS = ("127.0.0.1", "localhost", "::1")


@handle_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="KGFUSE_API_TOKEN",
            help="Bearer token every call but /health must carry ($KGFUSE_API_TOKEN).",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Threads for model and KG work off the event loop: half run diagnoses, "
            "the others lookups."
        ),
    ] = 4,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes on the one port (each loads the model; past the GIL).",
        ),
    ] = 1,
    model_processes: Annotated[
        int,
        typer.Option(
            min=0,
            help="Processes of their own for the diagnoses, fed from one queue (each loads "
            "the model; past the GIL, whatever connection a request comes on). 0: threads of "
            "the server process.",
        ),
    ] = 0,
    torch_threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Torch threads per process (default: one per core; with --model-processes "
            "N, the cores shared out). 1 serves more requests/s under concurrent load; the "
            "default answers one client faster.",
            show_default=False,
        ),
    ] = None,
    max_connections: Annotated[
        int,
        typer.Option(
            min=1,
            help="Open connections and requests a process holds at once; past them it answers 503.",
        ),
    ] = 512,
    audit_db: Annotated[
        Path | None,
        typer.Option(
            "--audit-db",
            help="Audit database the decisions are recorded in (default: <home>/audit.sqlite).",
            show_default=False,
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="On loopback, a host name besides 127.0.0.1, localhost and [::1] that "
            "requests may name (a reverse proxy's); repeat for more. Others get 400, so a "
            "web page re-pointed to this machine (DNS rebinding) cannot call the server.",
            show_default=False,
        ),
    ] = None,
    precision: PrecisionOption = "auto",
    model: ModelOption = None,
    kg: KGOption = None,
    home: HomeOption = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the web page on one port."""
    import uvicorn

    from kgfuse.api import SETTINGS_ENV, ApiSettings, check_token, create_app
    from kgfuse.http_protocol import HeadersInTime

    if token is None and os.environ.get("KGFUSE_API_TOKEN") is not None:
        token = os.environ["KGFUSE_API_TOKEN"]  # set but empty: typer reads it as unset
    check_token(token)  # --token "" (an unset shell variable) must not serve without one
    if token and _given_on_the_command_line(ctx, "token"):
        console.print(
            "[yellow]warning: a token given with --token is in the process list, which "
            "every user of this machine can read; set $KGFUSE_API_TOKEN instead[/]"
        )
    if processes > 1 and model_processes > 0:
        raise typer.BadParameter(
            "give --processes or --model-processes, not both: each server process would "
            "start model processes of its own",
            param_hint="--model-processes",
        )
    check_port_free(host, port)
    check_audit_database(home, audit_db)  # a server that could not record stops here
    if host not in LOOPBACK_BINDS and not token:
        console.print(
            "[yellow]warning: serving beyond loopback without a token; anyone who can reach "
            f"{escape(host)}:{port} can query and read the audit log[/]"
        )
    settings = ApiSettings(
        kg_path=kg_for_questions(kg, home),
        model_dir=model,
        home=home,
        audit_db=audit_db,
        token=token,  # typer reads $KGFUSE_API_TOKEN when --token is not given
        workers=workers,
        torch_threads=torch_threads,
        precision=precision,
        model_processes=model_processes,
        allowed_hosts=allowed_hosts(host, allow_host or []),
    )
    where = f"; diagnoses in {model_processes} process(es) of their own" if model_processes else ""
    console.print(
        f"kgfuse serving on http://{host}:{port} (API docs at /docs{where})", markup=False
    )
    if processes == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="warning",
            limit_concurrency=max_connections,
            http=HeadersInTime,  # connections that send no headers do not hold their slots
        )
        allow_quick_exit()  # stopped: each audit record was committed as it was written
        return
    os.environ[SETTINGS_ENV] = settings.to_json()  # read by each worker process
    uvicorn.run(
        "kgfuse.api:app_from_environment",
        factory=True,
        workers=processes,
        # a worker importing torch and loading the model can miss uvicorn's 5 s ping on a
        # busy machine and be killed and restarted in a loop
        timeout_worker_healthcheck=120,
        host=host,
        port=port,
        log_level="warning",
        limit_concurrency=max_connections,
        http=HeadersInTime,
    )


def _given_on_the_command_line(ctx: typer.Context, parameter: str) -> bool:
    """Whether the command's ``parameter`` was written on its command line (not read from
    the environment or left to its default)."""
    source = ctx.get_parameter_source(parameter)
    return source is not None and source.name == "COMMANDLINE"


def allowed_hosts(host: str, extra: list[str]) -> list[str] | None:
    """The host names a server bound to ``host`` answers: on loopback its own names and
    ``extra``; elsewhere any (None), unless ``extra`` names some."""
    from kgfuse.api_guard import LOOPBACK_HOSTS, host_name

    names = {host_name(h) for h in extra}
    if host in LOOPBACK_BINDS:
        return sorted(LOOPBACK_HOSTS | names)
    return sorted(names) if names else None


@handle_errors
def bench_serve(
    clients: Annotated[int, typer.Option(min=1, help="Concurrent clients.")] = 16,
    seconds: Annotated[float, typer.Option(min=1, help="Duration of the load.")] = 60.0,
    diagnosis_share: Annotated[
        float, typer.Option(min=0, max=1, help="Share of diagnosis questions.")
    ] = 0.2,
    workers: Annotated[int, typer.Option(min=1, help="Server worker threads.")] = 4,
    processes: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    model_processes: Annotated[
        int, typer.Option(min=0, help="Server processes for the diagnoses (0: threads).")
    ] = 0,
    torch_threads: Annotated[
        int | None,
        typer.Option(min=1, help="Server torch threads per process.", show_default=False),
    ] = None,
    think: Annotated[
        float,
        typer.Option(
            "--think",
            min=0,
            help="Each client's mean pause in seconds between an answer and its next "
            "question (exponential, seeded): users reading answers. 0: each asks again at "
            "once (a closed loop that saturates the server).",
        ),
    ] = 0.0,
    precision: PrecisionOption = "auto",
    model: ModelOption = None,
    kg: KGOption = None,
    home: HomeOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for bench_serve.json/.md.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load `kgfuse serve` with concurrent clients: answered answers/s, errors, latency per kind.

    Answers that say they cannot answer are counted apart; an untimed warm-up round comes
    first; the diagnosis model is required; the load is audited into a scratch database,
    removed afterwards."""
    from kg.atomic import output_folder
    from kgfuse.commands.common import home_dir
    from kgfuse.serve_bench import ServeBenchConfig, markdown, run_serve_bench, write_report

    folder = output_folder(out or home_dir(home) / "bench" / "serve")  # before the load

    config = ServeBenchConfig(
        clients,
        seconds,
        diagnosis_share,
        workers,
        processes,
        torch_threads=torch_threads,
        precision=precision,
        think_seconds=think,
        model_processes=model_processes,
    )
    report = run_serve_bench(resolve_kg(kg, home), model, home, config)
    write_report(report, folder)
    if as_json:
        print_json(report)
    else:
        console.print(markdown(report))
