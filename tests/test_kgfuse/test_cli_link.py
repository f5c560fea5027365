"""``kgfuse link --measurements`` and ``kgfuse eval link --measurements`` on the mini HPO KG."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kgfuse.cli import app

TEXT = "Arachnodactyly; height 192 cm (>99th centile)."


def _arachnodactyly_gold(folder: Path) -> Path:
    """A gold file of :data:`TEXT` with its arachnodactyly annotated."""
    gold = folder / "gold.jsonl"
    row = {
        "id": "d1",
        "text": TEXT,
        "annotations": [{"start": 0, "end": 14, "hpo_id": "HP:0001166", "text": "Arachnodactyly"}],
    }
    gold.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return gold


def test_link_reads_measurements_only_with_the_flag(mini_home: Path, tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"id": "p1", "text": TEXT}) + "\n", encoding="utf-8")
    found = {}
    for flags in ([], ["--measurements"]):
        out = tmp_path / f"out{len(flags)}.jsonl"
        args = ["link", str(records), "-o", str(out), "--home", str(mini_home), *flags]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        found[bool(flags)] = [(m["curie"], m["text"]) for m in record["mentions"]]
    assert found[False] == [("HP:0001166", "Arachnodactyly")]
    assert found[True] == [
        ("HP:0001166", "Arachnodactyly"),
        ("HP:0000098", "height 192 cm (>99th centile)"),
    ]


def test_eval_link_counts_measured_findings_with_the_flag(mini_home: Path, tmp_path: Path) -> None:
    gold = _arachnodactyly_gold(tmp_path)
    precision = {}
    for flags in ([], ["--measurements"]):
        args = ["eval", "link", "--gold", str(gold), "--home", str(mini_home), "--json", *flags]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        precision[bool(flags)] = json.loads(result.output)["document"]["precision"]
    assert precision == {False: 1.0, True: 0.5}  # Tall stature is not in this gold


def test_eval_link_writes_each_document_s_errors(mini_home: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    row = {
        "id": "d1",
        "text": "Arachnodactyly and ectopia lentis.",
        "annotations": [{"start": 19, "end": 33, "hpo_id": "HP:0001083", "text": "ectopia lentis"}],
    }
    gold.write_text(json.dumps(row) + "\n", encoding="utf-8")
    out = tmp_path / "report"
    args = ["eval", "link", "--gold", str(gold), "--home", str(mini_home), "--out", str(out)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    [errors] = [json.loads(line) for line in (out / "eval_link_errors.jsonl").open()]
    assert errors["id"] == "d1"
    assert errors["false"] == [
        {
            "curie": "HP:0001166",
            "label": "Arachnodactyly",
            "texts": ["Arachnodactyly"],
            "near": False,
        }
    ]
    assert errors["missed"] == []
    report = json.loads((out / "eval_link.json").read_text(encoding="utf-8"))
    assert report["frequent_errors"]["false"][0]["curie"] == "HP:0001166"
    assert report["frequent_errors"]["false"][0]["documents"] == 1
    assert "errors" not in report
    assert "Arachnodactyly (HP:0001166): 1" in (out / "eval_link.md").read_text(encoding="utf-8")
    assert "Arachnodactyly (HP:0001166): 1" in result.output


def test_link_text_shows_a_relatives_finding_as_family_and_writes_its_record_with_o(
    mini_home: Path, tmp_path: Path
) -> None:
    """``--text`` prints a relative's finding as the relative's, ruled out or not (not as
    the patient's excluded finding), and with ``-o`` writes the record the file path would."""
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    text = "Arachnodactyly. No family history of intellectual disability."
    result = CliRunner().invoke(app, ["link", "--text", text, "--home", str(mini_home)], env=env)
    assert result.exit_code == 0, result.output
    rows = _table_rows(result.output)
    assert rows == {"Arachnodactyly": "present", "intellectual disability": "family, excluded"}
    out = tmp_path / "one.jsonl"
    args = ["link", "--text", text, "-o", str(out), "--home", str(mini_home)]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["id"] == "text"
    assert [(m["curie"], m["excluded"]) for m in record["mentions"]] == [("HP:0001166", False)]
    # an empty text: refused before anything loads, the earlier output left as it was
    before = out.read_text(encoding="utf-8")
    result = CliRunner().invoke(
        app, ["link", "--text", " ", "-o", str(out), "--home", str(mini_home)]
    )
    assert result.exit_code == 2 and "--text is empty" in result.output
    assert out.read_text(encoding="utf-8") == before


def test_eval_names_reads_the_kgs_own_names_back(mini_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    args = ["eval", "names", "--home", str(mini_home), "--json", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["names"] > 10 and sum(data["outcomes"].values()) == data["names"]
    assert data["outcomes"]["own term"] / data["names"] == data["own_share"] > 0.8
    assert json.loads((out / "eval_names.json").read_text(encoding="utf-8")) == data
    assert "| own term |" in (out / "eval_names.md").read_text(encoding="utf-8")
    # with the related synonyms too, more names are read
    more = CliRunner().invoke(
        app, ["eval", "names", "--home", str(mini_home), "--json", "--kinds", "label,related"]
    )
    assert more.exit_code == 0, more.output
    assert json.loads(more.output)["kinds"] == ["label", "related"]


def test_eval_names_refuses_unknown_kinds_and_templates(mini_home: Path) -> None:
    home = ["--home", str(mini_home)]
    bad = CliRunner().invoke(app, ["eval", "names", *home, "--kinds", "label,nickname"])
    assert bad.exit_code != 0 and "unknown kind(s) nickname" in bad.output
    bad = CliRunner().invoke(app, ["eval", "names", *home, "--template", "no name here"])
    assert bad.exit_code != 0 and "{name} exactly once" in " ".join(bad.output.split())


def test_milestones_flag_reaches_the_linker_of_each_command(
    mini_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--milestones`` builds the linker that reads late milestones (the mini KG has no
    delay term, so the flag is followed to the linker's settings)."""
    import kgfuse.resources as resources

    asked: list[tuple[bool, bool]] = []
    build = resources.default_linker_config

    def recording(kg, *, measurements=False, milestones=False):  # type: ignore[no-untyped-def]
        asked.append((measurements, milestones))
        return build(kg, measurements=measurements, milestones=milestones)

    monkeypatch.setattr(resources, "default_linker_config", recording)
    resources._LINKERS.clear()
    home = ["--home", str(mini_home)]
    for args in (
        ["link", "--text", "He walked at 22 months.", "--milestones", *home],
        ["link", "--text", "He walked at 2 years; arachnodactyly.", *home],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    assert asked == [(False, True), (False, False)]
    gold = _arachnodactyly_gold(tmp_path)
    args = ["eval", "link", "--gold", str(gold), *home, "--milestones", "--measurements"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert asked[-1] == (True, True)
    resources._LINKERS.clear()


def test_link_text_shows_a_finding_read_from_its_treatment(mini_home: Path) -> None:
    """A treatment done only for a finding (:mod:`encoders.procedures`) is shown as that
    finding, read from its treatment; a treatment not done shows nothing."""
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    text = (
        "Arachnodactyly. Valve-sparing root replacement at 30. No valve-sparing root replacement."
    )
    result = CliRunner().invoke(app, ["link", "--text", text, "--home", str(mini_home)], env=env)
    assert result.exit_code == 0, result.output
    rows = _table_rows(result.output)
    treated = "Valve-sparing root replacement"
    assert rows == {"Arachnodactyly": "present", treated: "present, from its treatment"}


def _table_rows(output: str) -> dict[str, str]:
    """The ``--text`` table's rows: the text as written -> its status."""
    return {
        line.split("│")[2].strip(): line.split("│")[4].strip()
        for line in output.splitlines()
        if line.count("│") == 6
    }
