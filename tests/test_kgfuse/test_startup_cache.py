"""Start-up of the face's commands: the saved linker index and intent classifier are read
back by later processes, and the collector is left as it was."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from kgfuse.cli import app
from tests.test_kgfuse.api_client import api_client

QUESTION = "Which genes are associated with Marfan syndrome?"


def test_ask_and_diagnose_save_and_reuse_what_they_load(
    mini_home: Path, mini_model: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(mini_home / "kgs", home / "kgs", symlinks=True)
    kg = home / "kgs" / "hpo"
    assert not (kg / "current").resolve().is_relative_to(mini_home)  # a copy, not a link
    shutil.rmtree(kg / "current" / "derived" / "linker", ignore_errors=True)  # other tests'
    base = ["--kg", str(kg), "--home", str(home), "--no-audit"]
    runner = CliRunner()
    first = runner.invoke(app, ["ask", QUESTION, "--json", *base])
    assert first.exit_code == 0, first.output
    (classifier,) = (home / "cache").glob("intent-*.json")
    indexes = sorted((kg / "current" / "derived" / "linker").glob("linker-*.json"))
    assert len(indexes) == 1
    stamp = classifier.stat().st_mtime_ns, indexes[0].stat().st_mtime_ns
    again = runner.invoke(app, ["ask", QUESTION, "--json", *base])
    assert (
        again.exit_code == 0
        and json.loads(again.output)["items"] == json.loads(first.output)["items"]
    )
    assert (classifier.stat().st_mtime_ns, indexes[0].stat().st_mtime_ns) == stamp  # read
    text = ["diagnose", "--text", "Arachnodactyly and ectopia lentis.", "--model", str(mini_model)]
    result = runner.invoke(app, [*text, *base])
    assert result.exit_code == 0, result.output
    # the diagnosis linker (phenotypes only) has its own index beside the QA one
    assert len(list((kg / "current" / "derived" / "linker").glob("linker-*.json"))) == 2
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_server_freezes_what_it_preloads_until_it_stops(mini_home: Path, mini_model: Path) -> None:
    assert gc.get_freeze_count() == 0
    with api_client(mini_home, mini_model, preload=True) as client:
        assert gc.get_freeze_count() > 0 and gc.isenabled()
        r = client.post("/ask", json={"question": QUESTION})
        assert r.status_code == 200 and "NCBIGene:2200" in r.text
    assert gc.get_freeze_count() == 0 and gc.isenabled()
