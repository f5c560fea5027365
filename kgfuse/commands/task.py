"""``kgfuse train --task ...`` and ``kgfuse predict``: a user's own text or token classifier."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.markup import escape
from rich.table import Table

from kgfuse.commands.common import (
    STDIN_HELP,
    HomeOption,
    KGOption,
    OutputOption,
    check_input_or_text,
    check_input_output,
    console,
    err_console,
    handle_errors,
    held_output,
    report_records,
    resolve_kg,
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
    from train.config import TaskConfig

TASKS = ("text-classification", "token-classification")

_Config = TypeVar("_Config", bound=BaseModel)


def with_options(cfg: _Config, **options: Path | str | None) -> _Config:
    """``cfg`` with the command line's options that are given (not None) set as they are:
    a path is a string, never read as YAML the way a ``--set`` value is (so ``run #2`` or
    ``cases: v2.jsonl`` stay whole); the result is validated again.

    Raises:
        pydantic.ValidationError: a value the config refuses.
    """
    given = {key: str(value) for key, value in options.items() if value is not None}
    if not given:
        return cfg
    return type(cfg).model_validate({**cfg.model_dump(), **given})


def task_config(
    task: str | None,
    data: Path | None,
    valid: Path | None,
    *,
    config: Path | None,
    overrides: list[str],
    kg: Path | str | None,
    output: Path | None,
) -> TaskConfig:
    """The config of a ``--task`` run: the config file (or the defaults), the overrides and
    the command line's options.

    Raises:
        ValueError: no or an unknown task, or no training data.
        pydantic.ValidationError: a setting the config refuses.
    """
    from train.config import TaskConfig, load_config

    if task is None:
        raise ValueError(
            "--data and --valid go with --task text-classification|token-classification"
        )
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    cfg = with_options(
        load_config(config, overrides, schema=TaskConfig),
        task=task,
        data=data,
        valid=valid,
        kg=kg,
        output=output,
    )
    if cfg.data is None:
        raise ValueError(f"--task {task} needs --data TRAIN.jsonl (JSONL or CSV)")
    return cfg


def check_task_launch(cfg: TaskConfig, nproc: int, home: Path | None) -> None:
    """What every process of ``kgfuse train --task ... --nproc N`` reads, checked once before
    torchrun starts them: the batch shared among them, the data files (read and validated as
    training reads them), the text encoder's folder and the KG.

    Raises:
        ValueError: a batch the processes cannot share, or a setting the task refuses.
        FileNotFoundError: a data file that is not there.
        train.task_data.TaskDataError: a bad data file (file:line).
        encoders.text.EncoderNotFoundError: no text encoder in the configured folder.
        kg.errors.KGNotFoundError: no KG where the run would open it.
    """
    from encoders.text import encoder_folder
    from kg.knowledge_graph import KnowledgeGraph
    from kg.remote import kg_location
    from kg.store import default_kg_path
    from train.distributed import check_batch_size
    from train.task_data import load_task_data
    from train.task_training import check_task_config

    check_batch_size(cfg.train.batch_size, nproc)
    check_task_config(cfg)
    if cfg.model.fusion != "kg_only":
        encoder_folder(cfg.model.encoder)
    assert cfg.data is not None  # check_task_config refused a run without
    load_task_data(cfg.task, cfg.data, cfg.valid)
    # the KG as the training opens it (train.task_training)
    KnowledgeGraph.open(kg_location(cfg.kg) if cfg.kg else default_kg_path("hpo", home), home=home)


def train_task_command(cfg: TaskConfig, *, home: Path | None, resume: bool, quiet: bool) -> None:
    """Train a text or token classifier (the ``--task`` form of ``kgfuse train``) on
    ``cfg``, as :func:`task_config` makes it."""
    from kgfuse.commands.common import said_resumable
    from train.distributed import distributed_session
    from train.run import run_time
    from train.task_training import task_output, train_task

    # under torchrun (kgfuse train --task ... --nproc N), each process is one rank of the run
    with said_resumable(task_output(cfg, home)), distributed_session() as ddp:
        result = train_task(cfg, home=home, progress=not quiet, resume=resume, distributed=ddp)
    if ddp is not None and not ddp.is_main:
        return
    validation = (
        ", ".join(f"{k} {v:.3f}" for k, v in result.best_valid.items())
        if result.best_valid
        else "none (no --valid)"
    )
    console.print(
        f"{result.task} model ({len(result.labels)} labels) saved to {result.output} after "
        f"{result.epochs} epochs, {result.steps} steps (stopped by {result.stopped_by}) on "
        f"{result.device} in {result.precision}, {run_time(result, 's')}; "
        f"{result.examples} training texts ({100 * result.linked_fraction:.0f}% with a linked "
        f"concept); validation: {validation}",
        markup=False,
    )


@handle_errors
def predict(
    model_dir: Annotated[Path, typer.Argument(help="Model folder of `kgfuse train --task ...`.")],
    input: Annotated[
        Path | None,
        typer.Argument(
            help="JSONL of {id, text} records." + STDIN_HELP,
            show_default=False,
            callback=stdin_for_dash,
        ),
    ] = None,
    output: OutputOption = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="Label one text given here and print it.", callback=utf8_text),
    ] = None,
    kg: Annotated[
        Path | None,
        typer.Option(
            "--kg",
            help="KG folder (default: the one the model was trained on).",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Multi-label decision threshold (default: the model's).",
            show_default=False,
        ),
    ] = None,
    precision: Annotated[
        str,
        typer.Option(
            "--precision",
            help="The encoder's inference precision: fp32, bf16, int8 or auto (bf16 on CPUs "
            "with AMX, else int8 where torch can quantize).",
        ),
    ] = "fp32",
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per model batch.")] = 32,
    resume: ResumeOption = False,
    home: HomeOption = None,
) -> None:
    """Label texts with a trained text or token classifier, one record per line.

    ``{"id", "text"}`` in; out ``{"id", "label", "scores", ...}`` (one label per text),
    ``{"id", "labels", "scores", ...}`` (several) or ``{"id", "spans", ...}`` (tokens: each
    span has its own "score"), each with the linked "concepts", the number of "facts" fused
    and any "warnings". The "id" is the record's own, else "line-N" (its line number, as
    `kgfuse link` names a line it cannot read). A bad record gives ``{"id", "error"}`` and
    the rest of the file goes on.
    """
    from fusion.tasks import TaskPredictor, output_id
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.diagnosis import read_jsonl

    check_input_or_text(input, text)
    check_input_output(input, output)
    if input is not None:
        _check_jsonl_input(input)

    def read(path: Path) -> Iterator[tuple[int, Any]]:
        return _named_errors(path, read_jsonl(path))

    key = None
    if input is not None and output is not None:  # what --resume checks
        from fusion.pipeline import resolve_precision

        # not the KG (the model refuses one of another fingerprint as it loads), nor the
        # batch size (int8 runs its rows one at a time; fp32 and bf16 batches agree)
        options = {
            "--threshold": threshold if threshold is not None else _saved_threshold(model_dir),
            "--precision": resolve_precision(precision),
            # a batch's padding moves the scores in their 4th decimal: one size for a file
            "--batch-size": batch_size,
        }
        key = run_key("predict", input, options, model_dir if model_dir.is_dir() else None)
    allow_quick_exit()  # its output closes with the block below
    with held_output(output) if output is not None else nullcontext() as held:
        # the records a stopped run wrote, checked against the input before the model loads
        resumed = resumed_output(
            input, output, resume, read, lambda n, r: {str(output_id(n, r))}, key, held
        )
        graph = KnowledgeGraph.open(kg) if kg is not None else None
        predictor = TaskPredictor.load(model_dir, graph, threshold=threshold, precision=precision)
        if threshold is not None and predictor.problem_type != "multi_label_classification":
            err_console.print(
                "[yellow]warning:[/] --threshold decides the labels of a multi-label model; "
                "this model gives one label per text (or spans), which the threshold leaves "
                "as they are",
                highlight=False,
            )
        records: Iterator[tuple[int, Any]]
        if text is not None:
            records = iter([(1, {"id": "text", "text": text})])
        else:
            assert input is not None  # exactly one of input and text was checked above
            records = after_resumed(read(input), resumed)
        show = _print_prediction if text is not None and output is None else None
        outputs = predictor.predict_records(records, batch_size=batch_size)
        written, failed = write_records(
            outputs, output, show, "labelling", resumed=resumed, resumable=True, run_key=key,
            held=held,
        )  # fmt: skip
    report_records(input, written, failed, "labelled")


def _check_jsonl_input(path: Path) -> None:
    """Refuse, before the model loads, the files ``kgfuse train --data`` reads that are no
    JSONL: a CSV (every line would be an error record) or a JSON array."""
    if path.suffix.lower() in (".csv", ".tsv"):
        raise ValueError(
            f'{path}: kgfuse predict reads JSONL, one {{"id", "text"}} object per line, '
            "not CSV; write the texts as JSONL"
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return  # said by the reader, with the others of its kind
    if head.startswith(b"["):
        raise ValueError(
            f'{path} holds a JSON array: kgfuse predict reads JSONL, one {{"id", "text"}} '
            "object per line"
        )


def _saved_threshold(model_dir: Path) -> float | None:
    """The multi-label threshold a task model was saved with (as
    :class:`fusion.tasks.TaskPredictor` reads it), None where it cannot be read here."""
    try:
        meta = json.loads((model_dir / "kgfuse_model.json").read_text(encoding="utf-8"))
        return float(meta.get("threshold", 0.5))
    except (OSError, ValueError, TypeError, AttributeError):
        return None  # the model's own load says what is wrong


def _named_errors(path: Path, records: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """``records`` of :func:`kgfuse.diagnosis.read_jsonl`, each error of a line that still
    names an ``id`` (read leniently, :func:`fusion.tasks.loose_record_id`) made a
    :class:`fusion.tasks.TaskRecordError` carrying it, so its error record names the record
    rather than the line."""
    from fusion.tasks import TaskRecordError, loose_record_id

    with path.open("rb") as fh:
        lines = enumerate(fh, start=1)
        for lineno, raw in records:
            if isinstance(raw, Exception):
                line = next((text for n, text in lines if n == lineno), b"")
                rid = loose_record_id(line)
                if rid is not None:
                    raw = TaskRecordError(str(raw), record_id=rid)
            yield lineno, raw


def _print_prediction(out: dict) -> None:
    if "error" in out:
        err_console.print(f"[red]{escape(out['error'])}[/]")
        return
    if "spans" in out:
        table = Table("span", "text", "label", "score")
        for s in out["spans"]:
            table.add_row(
                f"{s['start']}-{s['end']}",
                escape(s["text"]),
                escape(s["label"]),
                f"{s['score']:.3f}",
            )
        console.print(table if out["spans"] else "no span found")
    else:
        chosen = [out["label"]] if "label" in out else out["labels"]
        shown = escape(", ".join(chosen)) or "(none)"
        console.print(f"label{'s' if 'labels' in out else ''}: {shown}", markup=False)
        table = Table("label", "probability")
        for label, p in sorted(out["scores"].items(), key=lambda kv: -kv[1]):
            table.add_row(escape(label), f"{p:.3f}")
        console.print(table)
    concepts = ", ".join(
        f"{'no ' if c['excluded'] else ''}{c['text']} ({c['curie']})" for c in out["concepts"]
    )
    console.print(f"linked concepts: {escape(concepts) or '(none)'}; facts fused: {out['facts']}")
    for warning in out.get("warnings", []):
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


@handle_errors
def distant(
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL to write.")],
    patients: Annotated[int, typer.Option(help="Simulated patients rendered as text.")] = 2000,
    names: Annotated[int, typer.Option(help="Texts naming 1-5 random concepts.")] = 2000,
    definition_rate: Annotated[
        float, typer.Option(help="How often a concept is written as its short definition.")
    ] = 0.25,
    context_rate: Annotated[
        float,
        typer.Option(help="How often a text gets sentences naming no concept (birth, tests)."),
    ] = 0.5,
    root: Annotated[
        list[str] | None,
        typer.Option(
            help="Name concepts below this term (repeatable; default: HPO's phenotypic "
            "abnormality when the KG has it, else every concept).",
            show_default=False,
        ),
    ] = None,
    label: Annotated[str, typer.Option(help="The span label.")] = "phenotype",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    kg: KGOption = None,
    home: HomeOption = None,
) -> None:
    """Write NER training data by distant supervision (spans known by construction).

    Texts are rendered from the ontology with every concept's span known; train a tagger
    on them with `kgfuse train --task token-classification`."""
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.resources import default_linker_config
    from train.distant import DistantConfig, write_distant_data

    if output.is_dir():  # before the KG opens; writing it would fail with a traceback
        raise ValueError(f"the output {output} is a folder: give a file name")
    graph = KnowledgeGraph.open(resolve_kg(kg, home))
    roots = tuple(root) if root else default_linker_config(graph).allowed_roots
    config = DistantConfig(
        patients=patients,
        name_sentences=names,
        definition_rate=definition_rate,
        context_rate=context_rate,
        allowed_roots=roots,
        label=label,
        seed=seed,
    )
    n = write_distant_data(graph, output, config)
    console.print(f"wrote {n} texts with '{label}' spans to {output}", markup=False)
