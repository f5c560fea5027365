"""``kgfuse eval ...``: evaluations that write JSON, a Markdown table and plots."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from fusion.shortlist import (
    DEFAULT_LEAD,
    DEFAULT_POOL,
    DEFAULT_SHORTLIST,
    DEFAULT_SHORTLIST_SIMILARITY,
    DEFAULT_SIMILARITY_WEIGHT,
    RankingSettings,
)
from kg.atomic import existing_ancestor, write_atomic
from kgfuse.commands.common import (
    HomeOption,
    JsonOption,
    KGOption,
    LeadOption,
    MeasurementsOption,
    MilestonesOption,
    PoolOption,
    PrecisionOption,
    RecipeOption,
    SetOption,
    ShortlistOption,
    ShortlistSimilarityOption,
    SimilarityWeightOption,
    TextPartialCreditOption,
    check_output,
    console,
    err_console,
    handle_errors,
    print_json,
    resolve_config,
    resolve_kg,
)
from kgfuse.commands.link import _linker
from kgfuse.quick_exit import allow_quick_exit

if TYPE_CHECKING:
    from encoders.linker import RecordLinker
    from eval.rank_journal import RankJournal

app = typer.Typer(help="Evaluations writing JSON and Markdown.", no_args_is_help=True)


def write_report(out: Path, stem: str, data: dict, markdown: str) -> None:
    """``<out>/<stem>.json`` and ``<out>/<stem>.md``, each written whole (the folder is made
    if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / f"{stem}.json", json.dumps(data, indent=2))
    write_atomic(out / f"{stem}.md", markdown)


def _check_report_folder(out: Path, names: Sequence[str]) -> None:
    """Refuse, before anything is loaded or evaluated, a report folder ``--out`` that could
    not take the report files ``names``: a file, a folder under a file or that cannot be
    made or written, report files that are folders, read-only or SQLite databases (files
    of an earlier report are written over, as before; a missing folder is made).

    Raises:
        ValueError: ``out`` or a report file is no place for the report.
        PermissionError: a folder or report file cannot be written.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(
            f"--out {out} is a file: give a folder for the report ({', '.join(names)})"
        )
    if out.is_dir():
        for name in names:
            path = out / name
            check_output(path)
            if path.is_file() and not os.access(path, os.W_OK):
                raise PermissionError(f"cannot write over {path} (read-only)")
        return
    parent = existing_ancestor(out.absolute().parent)
    if not parent.is_dir():
        raise ValueError(f"cannot make the report folder {out}: {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot make the report folder {out}: cannot write to {parent}")


@app.command("link")
@handle_errors
def eval_link(
    gold: Annotated[Path, typer.Option("--gold", help="Gold JSONL in the id68.jsonl format.")],
    kg: KGOption = None,
    home: HomeOption = None,
    processes: Annotated[int, typer.Option("--processes", "-j", min=1)] = 1,
    repeats: Annotated[
        int, typer.Option(min=1, help="Timed repeats for the throughput figure.")
    ] = 3,
    abstracts: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also time this many abstract-sized (~1,500 character) documents made from "
            "the gold texts' sentences.",
        ),
    ] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for eval_link.json/.md.")
    ] = None,
    as_json: JsonOption = False,
    ner: Annotated[
        Path | None,
        typer.Option(help="Token-classification model whose spans are grounded to terms."),
    ] = None,
    ner_mode: Annotated[
        str, typer.Option(help="With --ner: 'ner' (its mentions only) or 'combined'.")
    ] = "combined",
    ner_dense: Annotated[
        float | None,
        typer.Option(
            min=-1.0,
            max=1.0,
            help="With --ner: ground spans the dictionary cannot by MiniLM cosine >= this.",
        ),
    ] = None,
    ner_precision: Annotated[
        str,
        typer.Option(help="With --ner: the tagger's precision, fp32, bf16, int8 or auto."),
    ] = "fp32",
    measurements: MeasurementsOption = False,
    milestones: MilestonesOption = False,
) -> None:
    """Mention- and document-level P/R/F1, excluded accuracy and docs/s against gold data."""
    from eval.linking import frequent_errors, load_gold, run_linking_eval
    from fusion.ner_linker import NER_MODES
    from fusion.precision import check_precision
    from kg.namespaces import compress

    # every option and input checked before the KG or a model is loaded
    if ner is not None:
        if ner_mode not in NER_MODES:
            raise ValueError(
                f"unknown --ner-mode {ner_mode!r}; choose one of {', '.join(NER_MODES)}"
            )
        check_precision(ner_precision)
        if not ner.is_dir():
            raise FileNotFoundError(f"--ner model folder not found: {ner}")
    if not gold.is_file():
        raise FileNotFoundError(f"gold file not found: {gold}")
    if out is not None:
        _check_report_folder(out, ("eval_link.json", "eval_link.md", "eval_link_errors.jsonl"))
    documents = load_gold(gold)  # names file, line, document and field of a bad annotation
    if not _has_annotations(gold):  # every score would be 0 against no gold mention
        raise ValueError(
            f"no record of {gold} has an 'annotations' field: a gold file in the id68.jsonl "
            'format gives each document\'s mentions as "annotations": [{"start", "end", '
            '"hpo_id"}]'
        )
    allow_quick_exit()  # its report files are written whole (write_atomic) before it returns
    graph, dictionary = _linker(
        resolve_kg(kg, home), measurements=measurements, milestones=milestones
    )
    linker: RecordLinker = dictionary
    if ner is not None:
        from fusion.ner_linker import NerLinker, dense_grounding
        from fusion.tasks import TaskPredictor

        dense = dense_grounding(graph, ner_dense) if ner_dense is not None else None
        predictor = TaskPredictor.load(ner, graph, precision=ner_precision)
        linker = NerLinker(predictor, dictionary, mode=ner_mode, dense=dense)
    hierarchy = graph.hierarchy

    def ancestors(iri: str) -> set[str]:
        return set(hierarchy.ancestors(iri, include_self=False)) if iri in hierarchy else set()

    report = run_linking_eval(
        linker,
        documents,
        ancestors,
        n_process=processes,
        repeats=repeats,
        throughput_docs=abstracts,
    )
    data = report.to_dict()
    data["frequent_errors"] = {
        kind: [
            {"curie": compress(iri), "label": graph.label(iri), "documents": n, "texts": list(t)}
            for iri, n, t in frequent_errors(report.errors, kind)
        ]
        for kind in ("false", "missed")
    }
    if ner is not None:
        data["ner"] = {
            "model": str(ner),
            "mode": ner_mode,
            "dense": ner_dense,
            "precision": predictor.precision,
        }
    if out is not None:
        write_report(out, "eval_link", data, _markdown(data))
        errors = "".join(
            json.dumps(e.to_dict(graph.label), ensure_ascii=False) + "\n" for e in report.errors
        )
        write_atomic(out / "eval_link_errors.jsonl", errors)
    if as_json:
        print_json(data)
    else:
        console.print(_markdown(data))


@app.command("names")
@handle_errors
def eval_names(
    kg: KGOption = None,
    home: HomeOption = None,
    template: Annotated[
        str,
        typer.Option(
            help="The sentence each name is written into; holds {name} once, e.g. "
            "'The patient has {name}.'"
        ),
    ] = "{name}.",
    kinds_read: Annotated[
        str,
        typer.Option(
            "--kinds",
            help="The kinds of name read, comma-separated: label, exact, narrow, broad, related.",
        ),
    ] = "label,exact",
    examples: Annotated[
        int, typer.Option(min=0, help="Names shown for each outcome but the first.")
    ] = 10,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for eval_names.json/.md.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Read each name of the KG back through the linker: which come back as their own term.

    Names that do not are shown by kind: names split apart, ambiguous acronyms, shared
    synonyms."""
    from eval.name_check import check_names, name_check_markdown
    from kg.lexicon import NAME_KINDS

    kinds = tuple(k.strip() for k in kinds_read.split(",") if k.strip())
    unknown = [k for k in kinds if k not in NAME_KINDS]
    if unknown or not kinds:
        raise ValueError(
            f"--kinds: unknown kind(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(NAME_KINDS)}"
        )
    if out is not None:
        _check_report_folder(out, ("eval_names.json", "eval_names.md"))
    graph, linker = _linker(resolve_kg(kg, home))
    check = check_names(
        linker,
        graph.lexicon,  # check_names reads the names of the linker's own terms only
        kinds=kinds,
        template=template,
        examples=examples,
        progress=not as_json and console.is_terminal,
    )
    data = check.to_dict()
    markdown = name_check_markdown(check)
    if out is not None:
        write_report(out, "eval_names", data, markdown)
    if as_json:
        print_json(data)
    else:
        console.print(markdown, markup=False)


def _has_annotations(gold: Path) -> bool:
    """Whether a record of the gold file (read by ``load_gold`` already, so each line is
    a JSON object) has an ``annotations`` field, even an empty one."""
    with gold.open("rb") as fh:
        for raw in fh:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            if raw.strip() and "annotations" in json.loads(raw.decode("utf-8")):
                return True
    return False


def _markdown(data: dict) -> str:
    from eval.linking import prf_table

    rows = prf_table(data)
    rows.append("")
    rows.append(
        f"excluded accuracy {data.get('excluded_accuracy', 0):.3f}; "
        f"{data.get('num_documents', 0)} documents; {data.get('docs_per_second', 0):,.0f} docs/s"
    )
    tp = data.get("throughput")
    if tp:
        rows.append(
            f"abstract-sized ({tp['chars_per_doc']:,.0f} characters, {tp['num_docs']:,} documents,"
            f" {tp['n_process']} process(es)): {tp['docs_per_second']:,.0f} docs/s median of "
            f"{tp['runs']} (min {tp['docs_per_second_min']:,.0f}, max "
            f"{tp['docs_per_second_max']:,.0f}); "
            f"{tp['docs_per_cpu_second']:,.0f} docs per CPU-second"
        )
    titles = {"false": "found, not in the gold", "missed": "in the gold, not found"}
    for kind, title in titles.items():
        frequent = (data.get("frequent_errors") or {}).get(kind)
        if not frequent:
            continue
        rows += ["", f"Concepts most often {title} (documents; how the text writes them):", ""]
        rows += [
            f"- {e['label'] or e['curie']} ({e['curie']}): {e['documents']}; "
            + ", ".join(json.dumps(t, ensure_ascii=False) for t in e["texts"])
            for e in frequent
        ]
    return "\n".join(rows)


@app.command("diagnosis")
@handle_errors
def eval_diagnosis(
    cases: Annotated[
        Path,
        typer.Option(
            "--cases",
            help="Cases: a JSONL file in the ppkt_dev.jsonl / vignettes_dev.jsonl format, a "
            "phenopacket .json file, or a folder of phenopacket .json files (searched "
            "recursively). A bad line stops the run, named by file, line and field.",
        ),
    ],
    model: Annotated[
        list[Path] | None, typer.Option("--model", help="Model folder to compare (repeatable).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path(
        "eval-results/diagnosis"
    ),
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N cases.")] = None,
    sample: Annotated[
        int | None, typer.Option(min=1, help="A seeded random sample of N cases.")
    ] = None,
    resamples: Annotated[int, typer.Option(min=1, help="Bootstrap resamples.")] = 1000,
    draw_findings: Annotated[
        int | None,
        typer.Option(
            "--draw-findings",
            min=1,
            help="Describe each structured case by K of its present findings, drawn at "
            "random (seeded by the case's id), and none of its excluded ones: how the "
            "rankers do on brief descriptions. Free-text cases are read whole.",
        ),
    ] = None,
    shortlist: ShortlistOption = DEFAULT_SHORTLIST,
    precision: PrecisionOption = "auto",
    similarity_weight: SimilarityWeightOption = DEFAULT_SIMILARITY_WEIGHT,
    shortlist_similarity: ShortlistSimilarityOption = DEFAULT_SHORTLIST_SIMILARITY,
    text_partial_credit: TextPartialCreditOption = False,
    lead: LeadOption = DEFAULT_LEAD,
    pool: PoolOption = DEFAULT_POOL,
    measurements: MeasurementsOption = False,
    milestones: MilestonesOption = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes ranking the cases with each model, each loading it (~1.7 GB of "
            "memory apiece); the ranks are those of one process.",
        ),
    ] = 1,
    kg: KGOption = None,
    home: HomeOption = None,
) -> None:
    """Top-1/3/10 and MRR of the model and the baselines, with 95% intervals.

    On all, covered (among the baselines' OMIM candidates) and leakage-free cases; the
    intervals resample whole diseases; each ranker's average per disease; each ranker's top-1
    against Resnik's. Ties count as their expectation under a random tie-break."""
    from fusion.model_meta import load_model_meta

    # every option and input checked before the KG or a model is loaded (--precision by
    # its option's callback), and before the model's code is imported
    ranking = RankingSettings(
        shortlist,
        similarity_weight,
        lead,
        pool,
        shortlist_similarity=shortlist_similarity,
        text_partial_credit=text_partial_credit,
    )
    if limit is not None and sample is not None:
        raise ValueError("--limit and --sample conflict: give one of them")
    for folder in model or []:
        if not folder.is_dir():
            raise FileNotFoundError(f"--model folder not found: {folder}")
        load_model_meta(folder)  # a folder that holds no model
    if not cases.exists():  # a file, or a folder of phenopackets (as the reader reads)
        raise FileNotFoundError(f"cases file or folder not found: {cases}")
    _check_report_folder(out, ("diagnosis.json", "diagnosis.md", "topk.png"))

    from eval.rank_journal import JournalFolder
    from kg.knowledge_graph import KnowledgeGraph
    from kgfuse.diagnosis import default_model_dir
    from kgfuse.evaluation import evaluate_diagnosis, journal_folder
    from train.phenopacket import iter_cases

    # a first pass reads every case without the KG: a bad line stops the run here, named by
    # file, line and field (none is skipped), and an empty case set is refused
    read = diagnosed = 0
    for case in iter_cases(cases):
        read += 1
        diagnosed += bool(case.diseases)
    if not read:
        where = "no phenopacket (*.json) in the folder" if cases.is_dir() else "empty file"
        raise ValueError(f"no cases in {cases} ({where})")
    if not diagnosed:  # nothing to score a ranking against
        raise ValueError(
            f"no case of {cases} has a diagnosis: a ppkt_dev row needs 'diseases', a "
            "vignette row 'disease_id', a phenopacket 'diseases' or "
            "'interpretations[].diagnosis.disease'"
        )
    journal = JournalFolder(journal_folder(out), on_read_back=_say_read_back)
    try:
        # the journal's lock taken before the KG and models load, so that a second run in
        # the same --out fails at once, and held until the report is saved
        with journal:
            graph = KnowledgeGraph.open(resolve_kg(kg, home))
            models = list(model) if model else []
            if not models and (default_model_dir(home) / "kgfuse_model.json").is_file():
                models = [default_model_dir(home)]
            report = evaluate_diagnosis(
                graph,
                cases,
                out,
                models=models,
                limit=limit,
                sample=sample,
                n_resamples=resamples,
                ranking=ranking,
                precision=precision,
                measurements=measurements,
                milestones=milestones,
                journal=journal,
                workers=workers,
                draw_findings=draw_findings,
                home=home,
            )
    except KeyboardInterrupt:
        if journal.noted:
            err_console.print(
                f"the cases ranked so far are kept in {journal.folder}: the same command resumes",
                markup=False,
            )
        raise
    console.print(report.to_markdown())
    console.print(f"report written to {out}", markup=False)


def _say_read_back(journal: RankJournal) -> None:
    """Say that a pass resumes: how many of its cases an earlier run ranked."""
    err_console.print(
        f"resuming {journal.label}: {len(journal.done)} of {len(journal.case_ids)} cases "
        f"read back from {journal.path} (ranked by an earlier run; delete the file to rank "
        "them again)",
        markup=False,
    )


@app.command("compare")
@handle_errors
def eval_compare(
    a: Annotated[
        Path,
        typer.Argument(
            help="The baseline: the diagnosis.json that `kgfuse eval diagnosis --out` wrote, "
            "or the eval_link_errors.jsonl of `kgfuse eval link --out`, or its folder."
        ),
    ],
    b: Annotated[Path, typer.Argument(help="The run compared with it (the same cases).")],
    ranker_a: Annotated[
        str | None,
        typer.Option(help="A's ranker, as its report names it (default: its first kgfuse one)."),
    ] = None,
    ranker_b: Annotated[
        str | None,
        typer.Option(help="B's ranker, as its report names it (default: its first kgfuse one)."),
    ] = None,
    terms: Annotated[
        str, typer.Option(help="present (the headline) or present+excluded.")
    ] = "present",
    resamples: Annotated[int, typer.Option(min=1, help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    moved: Annotated[int, typer.Option(min=0, help="Cases that moved most, listed.")] = 15,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for eval_compare.json and .md.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What changed between two evaluations of the same cases, case by case.

    Diagnosis reports: top-1/3/10 and MRR of each and their difference, with a paired
    bootstrap interval over whole diseases; the cases each ranks better; the cases that moved
    most. A and B may be one report with two rankers (--ranker-a, --ranker-b). Concept
    recognition reports (the same gold): the concepts each document gained, lost, and the
    false ones added and removed."""
    from eval.compare import compare_ranked, read_ranked_cases
    from eval.link_changes import compare_link_reports, is_link_report, read_link_report

    if out is not None:
        _check_report_folder(out, ["eval_compare.json", "eval_compare.md"])
    links = [is_link_report(a), is_link_report(b)]
    if any(links):
        if not all(links):
            which = "A" if links[0] else "B"
            raise ValueError(
                f"{which} is a concept-recognition report and the other is not: compare two "
                "runs of `kgfuse eval link --out`, or two of `kgfuse eval diagnosis --out`"
            )
        if ranker_a is not None or ranker_b is not None:
            raise typer.BadParameter("--ranker-a/--ranker-b go with diagnosis reports")
        changes = compare_link_reports(read_link_report(a), read_link_report(b))
        data, markdown = changes.to_dict(), changes.to_markdown()
    else:
        comparison = compare_ranked(
            read_ranked_cases(a, ranker_a, terms),
            read_ranked_cases(b, ranker_b, terms),
            n_resamples=resamples,
            seed=seed,
            moved=moved,
        )
        data, markdown = comparison.to_dict(), comparison.to_markdown()
    if out is not None:
        write_report(out, "eval_compare", data, markdown)
    if as_json:
        print_json(data)
    else:
        console.print(markdown, markup=False, highlight=False)


@app.command("simulation")
@handle_errors
def eval_simulation(
    cases: Annotated[
        Path, typer.Option("--cases", help="Real cases (ppkt_dev.jsonl format or phenopackets).")
    ],
    config: RecipeOption = None,
    overrides: SetOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated patients.")] = 0,
    kg: KGOption = None,
    home: HomeOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for simulation.json and simulation.md.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """How the training config's simulated patients compare with real cases.

    Findings per patient and their relation to the disease (annotated, more or less
    specific, unrelated)."""
    from kg.knowledge_graph import KnowledgeGraph
    from kg.namespaces import to_iri
    from train.config import load_config
    from train.phenopacket import read_cases
    from train.realism import compare_with_cases, mix_rows, to_markdown
    from train.simulate import PatientSimulator

    if not cases.exists():
        raise FileNotFoundError(f"cases file not found: {cases}")
    cfg = load_config(resolve_config(config), overrides or [])
    graph = KnowledgeGraph.open(resolve_kg(kg, home))
    simulator = PatientSimulator(
        graph.hierarchy, graph.annotations, cfg.simulation.simulator_config()
    )
    pairs = [
        (to_iri(c.diseases[0]), c.present)
        for c in read_cases(cases, graph.hierarchy)
        if c.diseases and c.present
    ]
    if not pairs:
        raise ValueError(
            f"{cases}: no case with a diagnosis and present HPO terms (free-text cases are not "
            "compared: their findings are not known by construction)"
        )
    mixes = compare_with_cases(simulator, pairs, seed=seed)
    report = {
        "cases": str(cases),
        "simulation": cfg.simulation.model_dump(),
        "seed": seed,
        **{name: mix.to_dict() for name, mix in mixes.items()},
    }
    if out is not None:
        write_report(out, "simulation", report, to_markdown(mixes))
    if as_json:
        print_json(report)
        return
    table = Table(
        title=f"present findings of {mixes['real'].patients} real cases and as many "
        "simulated patients of the same diseases"
    )
    table.add_column("")
    for name in mixes:
        table.add_column(name, justify="right")
    for label, cells in mix_rows(mixes):
        table.add_row(label, *cells)
    console.print(table)


@app.command("qa")
@handle_errors
def eval_qa(
    per_template: Annotated[
        int, typer.Option("--per-template", min=1, help="Questions per held-out template.")
    ] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the entity sampling.")] = 0,
    diagnosis: Annotated[
        bool,
        typer.Option("--diagnosis/--no-diagnosis", help="Include diagnosis questions (model)."),
    ] = True,
    model: Annotated[Path | None, typer.Option("--model", help="Diagnosis model folder.")] = None,
    kg: KGOption = None,
    home: HomeOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for eval_qa.json/.md and questions.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """QA on questions generated from the KG: intent accuracy and answer-set P/R/F1.

    The questions use paraphrase templates held out from intent training; figures are
    given per question type."""
    from kgfuse.qa import QAService
    from kgfuse.qa.evaluation import evaluate, generate_questions, items_as_dicts

    service = QAService(resolve_kg(kg, home), model, home, audit=False)
    items = generate_questions(service.kg, per_template=per_template, seed=seed)
    report = evaluate(service, items, with_diagnosis=diagnosis)
    report["settings"] = {"per_template": per_template, "seed": seed, "diagnosis": diagnosis}
    if out is not None:
        write_report(out, "eval_qa", report, _qa_markdown(report))
        with (out / "questions.jsonl").open("w", encoding="utf-8") as fh:
            for row in items_as_dicts(items):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    if as_json:
        print_json(report)
    else:
        console.print(_qa_markdown(report))


def _qa_markdown(report: dict) -> str:
    lines = [
        f"QA evaluation: {report['questions']} questions from held-out paraphrase templates; "
        f"intent accuracy {report['intent_accuracy']:.1%}",
        "",
        "| question type | n | intent acc. | answered | precision | recall | F1 | p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    for name, s in report["per_type"].items():
        lines.append(
            f"| {name} | {s['n']} | {fmt(s['intent_accuracy'])} | {s['answered']} | "
            f"{fmt(s['precision'])} | {fmt(s['recall'])} | {fmt(s['f1'])} | "
            f"{fmt(s['latency_ms_p50'])} |"
        )
    lines += ["", *(f"- {k}: {v}" for k, v in report["notes"].items())]
    return "\n".join(lines) + "\n"
