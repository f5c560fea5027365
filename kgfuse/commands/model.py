"""``kgfuse embed``, ``kgfuse train``, ``kgfuse diagnose``, ``kgfuse calibrate`` and ``kgfuse
quickstart``."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from fusion.shortlist import (
    DEFAULT_LEAD,
    DEFAULT_POOL,
    DEFAULT_SHORTLIST,
    DEFAULT_SHORTLIST_SIMILARITY,
    DEFAULT_SIMILARITY_WEIGHT,
    RankingSettings,
)
from kg.collector import kept_loaded
from kg.remote import kg_location
from kgfuse.commands.common import (
    STDIN_HELP,
    HomeOption,
    KGOption,
    LeadOption,
    MeasurementsOption,
    MilestonesOption,
    OutputOption,
    PoolOption,
    PrecisionOption,
    QuietOption,
    RecipeOption,
    SetOption,
    ShortlistOption,
    ShortlistSimilarityOption,
    SimilarityWeightOption,
    TextPartialCreditOption,
    check_input_or_text,
    check_input_output,
    console,
    err_console,
    handle_errors,
    held_output,
    report_records,
    resolve_config,
    resolve_kg,
    said_resumable,
    stdin_for_dash,
    utf8_text,
    write_records,
)
from kgfuse.commands.resumed_output import (
    ResumeOption,
    after_resumed,
    resumed_output,
    run_key,
)
from kgfuse.quick_exit import allow_quick_exit

if TYPE_CHECKING:
    from kgfuse.diagnosis import DiagnosisService
    from kgfuse.diagnosis_workers import DiagnosisWorkers
    from train.config import TaskConfig

#: ``--model`` of diagnose and calibrate.
ModelFolderOption = Annotated[
    Path | None, typer.Option("--model", help="Model folder (default: quickstart's).")
]


@handle_errors
def embed(
    kg: KGOption = None,
    home: HomeOption = None,
    config: RecipeOption = None,
    overrides: SetOption = None,
    quiet: QuietOption = False,
) -> None:
    """Train graph embeddings of the KG by link prediction (resumable; cached in the home)."""
    from kg.knowledge_graph import KnowledgeGraph
    from train.config import load_config
    from train.diagnosis import embeddings_dir, ensure_embeddings

    cfg = load_config(resolve_config(config), overrides or [])
    graph = KnowledgeGraph.open(resolve_kg(kg, home))
    vectors = ensure_embeddings(graph, cfg, home, progress=not quiet)
    console.print(
        f"embeddings {tuple(vectors.shape)} of KG {graph.fingerprint[:12]} "
        f"in {embeddings_dir(graph, cfg, home)}",
        markup=False,
    )


@handle_errors
def train(
    ctx: typer.Context,
    config: RecipeOption = None,
    overrides: SetOption = None,
    kg: KGOption = None,
    home: HomeOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Model folder.")] = None,
    dev_cases: Annotated[
        Path | None,
        typer.Option(
            help="Real cases (ppkt_dev.jsonl format) scored after each epoch, reported only "
            "(default: the config's dev_cases)."
        ),
    ] = None,
    no_resume: Annotated[
        bool, typer.Option("--no-resume", help="Start over, ignoring a checkpoint.")
    ] = False,
    quiet: QuietOption = False,
    task: Annotated[
        str | None,
        typer.Option(
            help="text-classification or token-classification: train a classifier on --data "
            "instead of the diagnosis model.",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Training data of --task (JSONL or CSV).", show_default=False),
    ] = None,
    valid: Annotated[
        Path | None, typer.Option(help="Validation data of --task.", show_default=False)
    ] = None,
    nproc: Annotated[
        int,
        typer.Option(
            "--nproc",
            min=1,
            help="Train data-parallel in N processes (torchrun, DDP: gloo on CPUs, NCCL on "
            "GPUs); train.batch_size stays the global batch.",
        ),
    ] = 1,
) -> None:
    """Train the fused diagnosis model, or with --task a classifier on your own data.

    The diagnosis model learns from simulated patients; --task text-classification or
    token-classification trains on your own labelled texts. Both resume after a kill."""
    from train.config import load_config

    config = resolve_config(config)  # a file, or a built-in recipe's name
    if task is None:  # a task's config (kgfuse tune's best_config.yaml) names its task
        task = _task_of(config)
    is_task = task is not None or data is not None or valid is not None
    if is_task and dev_cases is not None:
        raise ValueError("--dev-cases belongs to the diagnosis model, not to --task")
    settings: TaskConfig | None = None
    if is_task:
        from kgfuse.commands.task import task_config

        settings = task_config(
            task,
            data,
            valid,
            config=config,
            overrides=list(overrides or []),
            kg=kg,
            output=output,
        )
    if nproc > 1:
        # what every process reads, checked before torchrun starts them: an input that fails
        # would fail in each child, with torchrun's traceback after it
        if settings is not None:
            from kgfuse.commands.task import check_task_launch

            check_task_launch(settings, nproc, home)
        else:
            _check_diagnosis_launch(config, list(overrides or []), kg, home, nproc)
        verbose = bool(ctx.parent is not None and ctx.parent.params.get("verbose"))
        args = _train_arguments(
            config, overrides, kg, home, output, dev_cases, no_resume, quiet, task, data, valid
        )
        _launch_train(nproc, ["-v", *args] if verbose else args)
        return
    if settings is not None:
        from kgfuse.commands.task import train_task_command

        train_task_command(settings, home=home, resume=not no_resume, quiet=quiet)
        return
    from kgfuse.commands.task import with_options
    from train.diagnosis import train_diagnosis
    from train.distributed import distributed_session
    from train.run import run_time

    # paths are set as given, never read as YAML (a " #" or ": " in one stays)
    # --dev-cases is recorded in the saved config like a config's dev_cases (it does not
    # change what is trained: a resume ignores it)
    cfg = with_options(
        load_config(config, list(overrides or [])), kg=kg, output=output, dev_cases=dev_cases
    )
    cases = _read_cases(Path(cfg.dev_cases)) if cfg.dev_cases else None
    from train.diagnosis import diagnosis_output

    # under torchrun (kgfuse train --nproc N), each process is one rank of the run
    with said_resumable(diagnosis_output(cfg, home)), distributed_session() as ddp:
        result = train_diagnosis(
            cfg,
            home=home,
            progress=not quiet,
            resume=not no_resume,
            dev_cases=cases,
            distributed=ddp,
        )
    if ddp is not None and not ddp.is_main:
        return
    console.print(
        f"model saved to {result.output} after {result.epochs} epochs, {result.steps} steps "
        f"(stopped by {result.stopped_by}) on {result.device} in {result.precision}, "
        f"{run_time(result)} (peak RSS {result.peak_rss_mb:,.0f} MB); "
        f"validation {result.best_valid}; temperature {result.temperature:.2f} "
        f"(ECE {result.ece_before:.3f} -> {result.ece_after:.3f})",
        markup=False,
    )
    if result.dev:
        dev = ", ".join(f"{k} {v:.3f}" for k, v in result.dev.items() if k != "dev_cases")
        console.print(
            f"{result.dev.get('dev_cases', 0):.0f} development cases (present terms only; dev_: "
            f"as kgfuse diagnose ranks them, dev_model_: the model alone): {dev}",
            markup=False,
        )
        if result.dev.get("dev_ece", 0.0) > 0.1:
            console.print(
                f"the probabilities are off on these real cases (ECE {result.dev['dev_ece']:.3f}, "
                "the temperature fits simulated patients): `kgfuse calibrate --cases FILE "
                "--model DIR` refits it on real ones",
                markup=False,
            )


def _check_diagnosis_launch(
    config: Path | None, overrides: list[str], kg: str | None, home: Path | None, nproc: int
) -> None:
    """What every process of ``kgfuse train --nproc N`` reads, checked once before torchrun
    starts them: the config, the batch shared among them, the text encoder's folder and the
    KG."""
    from encoders.text import encoder_folder
    from kg.knowledge_graph import KnowledgeGraph
    from train.config import load_config
    from train.distributed import check_batch_size

    settings = load_config(config, overrides)
    check_batch_size(settings.train.batch_size, nproc)
    if settings.model.fusion != "kg_only":
        encoder_folder(settings.model.encoder)
    if kg is None and settings.kg:  # the config's KG, as train_diagnosis opens it
        KnowledgeGraph.open(kg_location(settings.kg), home=home)
    else:
        KnowledgeGraph.open(resolve_kg(kg, home), home=home)


def _train_arguments(
    config: Path | None,
    overrides: list[str] | None,
    kg: Path | str | None,
    home: Path | None,
    output: Path | None,
    dev_cases: Path | None,
    no_resume: bool,
    quiet: bool,
    task: str | None,
    data: Path | None,
    valid: Path | None,
) -> list[str]:
    """The command line of this training, for the processes of ``--nproc``."""
    from kg.remote import is_endpoint

    args = ["train"] if task is None else ["train", "--task", task]
    # --kg NAME of a home's KG as this process reads it: the children's working folder holds
    # no folder NAME either, but their absolute path to it would no longer read as a name
    for flag, value in (
        ("--config", config),
        ("--kg", None if kg is None else resolve_kg(kg, home)),
        ("--home", home),
        ("--output", output),
        ("--dev-cases", dev_cases),
        ("--data", data),
        ("--valid", valid),
    ):
        if value is not None:
            # a SPARQL endpoint URL (--kg) goes as it is; Path() would mangle it
            args += [flag, str(value) if is_endpoint(value) else str(Path(value).resolve())]
    for item in overrides or []:
        args += ["--set", item]
    args += ["--no-resume"] if no_resume else []
    args += ["--quiet"] if quiet else []
    return args


def _task_of(config: Path | None) -> str | None:
    """The task a config file names (``task:``, as ``kgfuse tune`` writes ``best_config.yaml``
    for a task search), which ``kgfuse train --config`` then trains; None for a diagnosis
    config (or no file)."""
    if config is None or not config.is_file():
        return None
    from train.config import read_yaml

    loaded = read_yaml(config)
    task = loaded.get("task") if isinstance(loaded, dict) else None
    return str(task) if task is not None else None


def _launch_train(nproc: int, args: list[str]) -> None:
    """Run ``kgfuse *args`` in ``nproc`` processes under torchrun (``train.distributed``)."""
    from train.distributed import launch, under_torchrun

    if under_torchrun():
        raise ValueError("already running under torchrun: leave out --nproc")
    code = launch(nproc, "kgfuse.cli", args)
    if code:
        err_console.print(f"[bold red]error:[/] torchrun exited with status {code}")
        raise typer.Exit(code)


def _read_cases(path: Path) -> list:
    from train.phenopacket import read_cases

    return list(read_cases(path))


@handle_errors
def diagnose(
    input: Annotated[
        Path | None,
        typer.Argument(
            help="JSONL: {id, text} | {id, present_hpo, excluded_hpo} | phenopacket; or a "
            ".json file (one phenopacket, or a list of records), or a folder of phenopacket "
            ".json files." + STDIN_HELP,
            callback=stdin_for_dash,
        ),
    ] = None,
    output: OutputOption = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="Diagnose one clinical note given here.", callback=utf8_text),
    ] = None,
    onset: Annotated[
        str | None,
        typer.Option(
            "--onset",
            help="With --text: the disease's onset, an HPO onset class (HP:0003593) or an "
            "age such as P2Y (JSONL records carry their own 'onset').",
        ),
    ] = None,
    model: ModelFolderOption = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="Diseases in each ranking.")] = 10,
    shortlist: ShortlistOption = DEFAULT_SHORTLIST,
    precision: PrecisionOption = "auto",
    similarity_weight: SimilarityWeightOption = DEFAULT_SIMILARITY_WEIGHT,
    shortlist_similarity: ShortlistSimilarityOption = DEFAULT_SHORTLIST_SIMILARITY,
    text_partial_credit: TextPartialCreditOption = False,
    lead: LeadOption = DEFAULT_LEAD,
    pool: PoolOption = DEFAULT_POOL,
    no_store_input: Annotated[
        bool, typer.Option("--no-store-input", help="Keep only the input's hash in the audit log.")
    ] = False,
    no_audit: Annotated[
        bool, typer.Option("--no-audit", help="Do not record the decisions.")
    ] = False,
    audit_db: Annotated[
        Path | None,
        typer.Option(
            "--audit-db",
            help="Audit database the decisions are recorded in (default: "
            "<home>/audit.sqlite; one of its own lets a read-only home be used).",
            show_default=False,
        ),
    ] = None,
    brief: Annotated[
        bool,
        typer.Option(
            "--brief",
            help="Leave the rule findings ('findings_checked') out of each output record; "
            "the audit record keeps them. A phenopacket with 60 findings has ~70 kB of them.",
        ),
    ] = False,
    resume: ResumeOption = False,
    measurements: MeasurementsOption = False,
    milestones: MilestonesOption = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes diagnosing an input file at once, each loading the model (~1.7 GB "
            "of memory apiece); the output and the audit log are those of one process.",
        ),
    ] = 1,
    kg: KGOption = None,
    home: HomeOption = None,
) -> None:
    """Rank diseases for patients given as text, HPO terms or phenopackets (audited)."""
    from kgfuse.diagnosis import (
        DiagnosisService,
        default_model_dir,
        diagnose_output_ids,
        read_records,
    )

    check_input_or_text(input, text)
    if workers > 1 and text is not None:
        raise ValueError("--workers goes with an input file; --text is one record")
    if onset is not None and text is None:
        raise ValueError("--onset goes with --text; a JSONL record gives its own 'onset'")
    if onset is not None:  # its form, before the model loads (the KG checks the class later)
        from kgfuse.diagnosis import onset_value

        try:
            onset_value(onset)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--onset") from None
    check_input_output(input, output, folders=True)
    if audit_db is not None and no_audit:
        raise ValueError("give --audit-db or --no-audit, not both")
    key = None
    if input is not None and output is not None:  # what --resume checks
        from fusion.pipeline import resolve_precision
        from kgfuse.audit import default_audit_path

        # the KG is not in it: the model refuses one of another fingerprint as it loads
        options = {
            "--top-k": top_k, "--shortlist": shortlist, "--similarity-weight": similarity_weight,
            "--shortlist-similarity": shortlist_similarity, "--lead": lead, "--pool": pool,
            "--text-partial-credit": text_partial_credit,
            "--brief": brief,
            "--precision": resolve_precision(precision),
            "audit": None if no_audit else str((audit_db or default_audit_path(home)).resolve()),
            **{k: True for k, on in (("--measurements", measurements),
                                     ("--milestones", milestones)) if on},
        }  # fmt: skip
        folder = model if model is not None else default_model_dir(home)
        key = run_key("diagnose", input, options, folder if folder.is_dir() else None)
    with ExitStack() as stack:
        # held from here to the end: what --resume reads is what this run appends to
        held = stack.enter_context(held_output(output)) if output is not None else None
        # the records a stopped run wrote, checked against the input before the model loads
        resumed = resumed_output(
            input, output, resume, read_records, diagnose_output_ids, key, held
        )
        ranking = RankingSettings(
            shortlist,
            similarity_weight,
            lead,
            pool,
            shortlist_similarity=shortlist_similarity,
            text_partial_credit=text_partial_credit,
        )
        loaded = stack.enter_context(kept_loaded())
        allow_quick_exit()  # its output closes with the stack; audit records commit one by one
        service: DiagnosisService | DiagnosisWorkers
        if workers > 1:
            service = stack.enter_context(
                _diagnosis_workers(
                    workers, model, resolve_kg(kg, home) if kg else None, home, ranking,
                    precision, audit=not no_audit, store_input=not no_store_input,
                    audit_db=audit_db, measurements=measurements, milestones=milestones,
                )
            )  # fmt: skip
        else:
            service = DiagnosisService(
                model,
                resolve_kg(kg, home) if kg else None,
                home,
                audit=not no_audit,
                audit_db=audit_db,
                store_input=not no_store_input,
                ranking=ranking,
                precision=precision,
                measurements=measurements,
                milestones=milestones,
            )
        loaded()  # the KG's tables, the linker and the model stay: later collections skip them
        if text is not None:
            record: dict[str, str] = {"id": "text", "text": text}
            if onset is not None:
                record["onset"] = onset
            records = iter([(0, record)])
        else:
            assert input is not None  # exactly one of input and text was checked above
            records = after_resumed(read_records(input), resumed)
        kg_of = getattr(service, "kg", None)  # in workers: the ids alone
        show = (
            partial(_print_ranking, labels=kg_of.labels if kg_of is not None else None)
            if text is not None and output is None
            else None
        )
        outputs = service.diagnose_records(records, top_k)
        if brief:
            outputs = ({k: v for k, v in o.items() if k != "findings_checked"} for o in outputs)
        written, failed = write_records(
            outputs, output, show, "diagnosing", resumed=resumed, resumable=True, run_key=key,
            held=held,
        )  # fmt: skip
    report_records(input, written, failed, "diagnosed")


def _diagnosis_workers(
    workers: int,
    model: Path | None,
    kg: Path | str | None,
    home: Path | None,
    ranking: RankingSettings,
    precision: str,
    *,
    audit: bool,
    store_input: bool,
    audit_db: Path | None = None,
    measurements: bool = False,
    milestones: bool = False,
) -> DiagnosisWorkers:
    """``kgfuse diagnose --workers N``'s processes; this process keeps the audit log."""
    from kgfuse.audit import AuditLog, default_audit_path
    from kgfuse.diagnosis_workers import DiagnosisWorkers, WorkerSettings

    audit_log = None
    if audit:  # a database that cannot take the records is refused before any worker starts
        audit_log = AuditLog(audit_db or default_audit_path(home))
        audit_log.check_writable()
    settings = WorkerSettings(
        model, kg, home, ranking, precision, measurements=measurements, milestones=milestones
    )
    return DiagnosisWorkers(settings, workers, audit_log=audit_log, store_input=store_input)


@handle_errors
def calibrate(
    cases: Annotated[
        Path | None,
        typer.Option(
            "--cases",
            help="Labelled real cases (ppkt_dev / vignettes JSONL, phenopackets; a file or "
            "a folder of .json files) to fit on.",
        ),
    ] = None,
    model: ModelFolderOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report the fit without writing it.")
    ] = False,
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Put back the temperature fitted on simulated patients."),
    ] = False,
    precision: PrecisionOption = "auto",
    kg: KGOption = None,
    home: HomeOption = None,
    quiet: QuietOption = False,
) -> None:
    """Refit the model's probability temperature on real labelled cases (rankings unchanged)."""
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.calibration import describe, recalibrate, reset_calibration
    from kgfuse.diagnosis import default_model_dir

    folder = Path(model) if model else default_model_dir(home)
    if reset:
        if cases is not None or dry_run:
            raise ValueError("--reset takes neither --cases nor --dry-run")
        temperature = reset_calibration(folder)
        if temperature is None:
            console.print(f"{folder} was never recalibrated; nothing to reset", markup=False)
        else:
            console.print(f"temperature reset to {temperature:.3f} in {folder}", markup=False)
        return
    if cases is None:
        raise ValueError("give --cases FILE or FOLDER (or --reset)")
    if not cases.exists():
        raise FileNotFoundError(f"cases file or folder not found: {cases}")
    graph = KnowledgeGraph.open(resolve_kg(kg, home), home=home)
    fit, no_finding = recalibrate(
        graph, folder, cases, write=not dry_run, precision=precision, progress=not quiet
    )
    console.print(describe(fit), markup=False)
    if no_finding:
        console.print(
            f"{no_finding} case(s) left out: no present finding recognised "
            "(`kgfuse diagnose` refuses them)",
            markup=False,
        )
    console.print("not written (--dry-run)" if dry_run else f"written to {folder}", markup=False)


def _print_ranking(out: dict, labels: Mapping[str, str] | None = None) -> None:
    """A diagnosed record as the terminal shows it; ``labels``: the KG's, by IRI, which name
    each finding beside its id."""
    if "error" in out:
        err_console.print(f"[red]{escape(out['error'])}[/]")
        return

    def named(f: Mapping[str, Any]) -> str:
        label = (labels or {}).get(f.get("iri", ""), "")
        return f"{label} ({f['curie']})" if label else f["curie"]

    findings = ", ".join(
        f"{'no ' if f['excluded'] else ''}{named(f)}" for f in out.get("findings", [])
    )
    console.print(f"findings: {findings or '(none)'}", markup=False)
    patient = [f"{out['sex'].lower()} ({out['sex_text']!r})"] if out.get("sex") else []
    if out.get("age") is not None:
        patient.append(f"{out['age']:g} years old ({out['age_text']!r})")
    if patient:  # read from the text: the rules weigh them
        console.print(f"patient, as the text states: {', '.join(patient)}", markup=False)
    table = Table("#", "disease", "probability", "score", "placed by")
    for i, r in enumerate(out["ranking"], start=1):
        table.add_row(
            str(i),
            escape(f"{r['label']} ({r['curie']})"),
            f"{r['probability']:.3f}",
            f"{r['score']:.2f}",
            escape(str(r.get("placed_by", ""))),
        )
    console.print(table)
    for f in out.get("findings_checked", []):
        if f["status"] != "pass" or f["kind"] in ("supported", "likelihood"):
            colour = {"pass": "green", "warn": "yellow", "fail": "red", "error": "red"}.get(
                f["status"], "white"
            )
            console.print(f"  [{colour}]{f['status'].upper():5s}[/] {escape(f['message'])}")
    for w in out.get("warnings", []):
        console.print(f"[yellow]warning:[/] {escape(w)}")
    if "audit_id" in out:
        console.print(
            f"audit id: {out['audit_id']}  (kgfuse audit show {out['audit_id'][:12]})", markup=False
        )


@handle_errors
def quickstart(
    home: HomeOption = None,
    overrides: SetOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Build the HPO KG, embed it, train a small fused model, diagnose three example notes."""
    from kgfuse.quickstart import run_quickstart

    def say(message: str) -> None:  # plain text: "[kg] done" is a stage, not markup
        console.print(message, markup=False, highlight=False)

    report = run_quickstart(home, overrides=list(overrides or []), progress=not quiet, say=say)
    from kg.errors import KGNotFoundError
    from kg.knowledge_graph import KnowledgeGraph
    from kg.store import default_kg_path

    try:  # the findings named beside their ids
        labels: Mapping[str, str] | None = KnowledgeGraph.open(default_kg_path("hpo", home)).labels
    except KGNotFoundError:
        labels = None
    for out in report.diagnoses:
        console.rule(f"[bold]{escape(str(out['id']))}")
        _print_ranking(out, labels)
    total = sum(report.stages.values())
    console.print(
        f"quickstart stages (s): {report.stages}; total {total / 60:.1f} min", markup=False
    )
