"""Review fixes of ``bench kg`` and ``bench endpoint``: honest column labels and precision,
every answer compared (and warmed up), the endpoint cache of a one-off port removed, the
output folder checked before the server starts, results written whole."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import eval.bench_endpoint as endpoint
import eval.bench_kg as bench_kg
from eval.bench_kg import HelperResult, KGBenchmarkResult, Spread
from kg.remote import remote_cache_dir


def _kg_result() -> KGBenchmarkResult:
    machine = {
        "cpu": "test CPU",
        "cores_usable": 2,
        "cores_logical": 2,
        "ram_gib": 8,
        "platform": "test",
        "load_average": [0.1, 0.1, 0.1],
        "versions": {"python": "3"},
    }
    helper = HelperResult(
        name="ancestors",
        argument="phenotype",
        calls_per_repeat=5,
        p50_ms=Spread(0.02, 0.02, 0.02),
        p99_ms=Spread(0.031, 0.026, 0.044),
        queries_per_call=1.0,
        rdflib_samples=5,
        rdflib_p50_ms=1.0,
        rdflib_speedup=50.0,
        rdflib_speedup_with_parsing=60.0,
        rdflib_rows_agree=True,
    )
    return KGBenchmarkResult(
        machine=machine,
        config={"started_at": "now", "repeats": 3, "samples": 5, "seed": 0},
        build={
            "wall_seconds": 10.0,
            "build_seconds_in_process": 9.0,
            "peak_rss_mib": 100.0,
            "counts": {"triples": 10},
        },
        reopen={
            "seconds": {"median": 0.5, "min": 0.4, "max": 0.6},
            "fresh_process": {"imports": 1.0, "open_and_first_query": 0.5},
        },
        helpers=[helper],
        rdflib=None,
    )


def test_kg_markdown_gives_p99_as_p50_is_and_says_only_row_counts_are_compared() -> None:
    markdown = bench_kg.to_markdown(_kg_result())
    row = next(line for line in markdown.splitlines() if line.startswith("| `ancestors`"))
    # p99 with p50's precision (0.0 read below the p50 of 0.02), and its [min-max]
    assert row.startswith("| `ancestors` | phenotype | 0.02 [0.02-0.02] | 0.03 [0.03-0.04] |")
    assert "| same row counts |" in markdown and "| same rows |" not in markdown


class FakeKG:
    """A KG whose helpers count their calls; ``differs``: answers that tell it apart."""

    def __init__(self, path: Path | None = None, differs: bool = False) -> None:
        self.path = path
        self.fingerprint = "f" * 40
        self.calls: Counter[str] = Counter()
        self.differs = differs

    def _answer(self, name: str, arg: str) -> list[str]:
        self.calls[name] += 1
        return [f"{name}:{arg}:{'other' if self.differs and arg == 'a' else 'same'}"]

    def term(self, arg: str) -> list[str]:
        return self._answer("term", arg)

    def annotations_of(self, arg: str) -> list[str]:
        return self._answer("annotations_of", arg)

    def diseases_with(self, arg: str) -> list[str]:
        return self._answer("diseases_with", arg)

    def genes_of(self, arg: str) -> list[str]:
        return self._answer("genes_of", arg)


@pytest.fixture
def fake_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """run_endpoint_benchmark's server and KGs faked: the remote one derives its tables into
    the cache folder of the server's URL, and answers differently for the sample 'a'."""
    state: dict[str, Any] = {"local": FakeKG(), "servers": []}
    home = tmp_path / "home"

    class Server:
        def __init__(self, kg_path: Path, port: int) -> None:
            self.url = f"http://127.0.0.1:{port}/query"
            state["servers"].append(self.url)

        def __enter__(self) -> Server:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    class Opener:
        @staticmethod
        def open(location: Any, home: Path | None = None) -> FakeKG:
            if "://" not in str(location):
                return state["local"]
            derived = remote_cache_dir(str(location), home) / "tables"
            derived.mkdir(parents=True, exist_ok=True)
            state["remote"] = FakeKG(derived, differs=True)
            return state["remote"]

    monkeypatch.setattr(endpoint, "OxigraphServer", Server)
    monkeypatch.setattr(endpoint, "KnowledgeGraph", Opener)
    monkeypatch.setattr(
        endpoint,
        "sample_arguments",
        lambda kg, n, seed: {"phenotype": ["a", "b", "c"], "disease": ["d", "e", "f"]},
    )
    state["home"] = home
    return state


def test_every_sample_is_compared_and_warmed_up_after_a_disagreement(
    fake_endpoint: dict[str, Any], tmp_path: Path
) -> None:
    result = endpoint.run_endpoint_benchmark(
        Path("kg"), tmp_path / "out", home=fake_endpoint["home"], samples=3, repeats=2
    )
    term = next(h for h in result.helpers if h.name == "term")
    assert not term.answers_agree
    # the warm-up pass asks every sample on both sides, then 2 timed passes
    assert fake_endpoint["remote"].calls["term"] == 3 * (1 + 2)
    assert fake_endpoint["local"].calls["term"] == 3 * (1 + 2)


def test_the_tables_of_a_one_off_port_are_removed_and_a_fixed_ports_kept(
    fake_endpoint: dict[str, Any], tmp_path: Path
) -> None:
    home = fake_endpoint["home"]
    result = endpoint.run_endpoint_benchmark(Path("kg"), tmp_path / "a", home=home, samples=3)
    assert result.derived_on_first_open
    one_off = remote_cache_dir(fake_endpoint["servers"][-1], home)
    assert not one_off.exists()
    endpoint.run_endpoint_benchmark(Path("kg"), tmp_path / "b", home=home, samples=3, port=7999)
    assert (remote_cache_dir(fake_endpoint["servers"][-1], home) / "tables").is_dir()


def test_an_output_that_is_a_file_stops_the_endpoint_benchmark_before_its_server(
    fake_endpoint: dict[str, Any], tmp_path: Path
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("a file", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="is a file"):
        endpoint.run_endpoint_benchmark(Path("kg"), afile, home=fake_endpoint["home"])
    assert fake_endpoint["servers"] == []


def test_a_failed_write_keeps_the_previous_results_whole(
    fake_endpoint: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "bench_endpoint.json").write_text('{"previous": true}', encoding="utf-8")

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        endpoint.run_endpoint_benchmark(Path("kg"), out, home=fake_endpoint["home"], samples=3)
    assert (out / "bench_endpoint.json").read_text(encoding="utf-8") == '{"previous": true}'
    assert sorted(p.name for p in out.iterdir()) == ["bench_endpoint.json"]
