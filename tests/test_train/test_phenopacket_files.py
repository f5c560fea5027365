"""Case files as ``kgfuse eval diagnosis`` reads them (and ``kgfuse diagnose``, through the
same :func:`train.phenopacket.json_values`): a JSON array of cases, a ``.json`` file that
holds JSON lines, a folder whose files hold either."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from train.phenopacket import CaseFormatError, read_cases


def packet(pid: str) -> dict:
    return {"id": pid, "phenotypicFeatures": [{"type": {"id": "HP:0001166"}}]}


ROW = {"id": "r1", "present_hpo": ["HP:0001166"], "diseases": ["OMIM:154700"]}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("array.json", json.dumps([packet("p1"), ROW, packet("p2")], indent=2)),
        ("one_line_array.json", json.dumps([packet("p1"), ROW, packet("p2")])),
        ("one_line_array.jsonl", json.dumps([packet("p1"), ROW, packet("p2")])),
        ("lines.json", "\n".join(json.dumps(r) for r in (packet("p1"), ROW, packet("p2")))),
    ],
)
def test_an_array_or_json_lines_in_any_file_are_read_case_by_case(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    assert [c.id for c in read_cases(path)] == ["p1", "r1", "p2"]


def test_a_folder_reads_each_file_so_in_sorted_order(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.json").write_text(json.dumps([packet("b1"), packet("b2")]), encoding="utf-8")
    (folder / "a.json").write_text(json.dumps(packet("a1"), indent=2), encoding="utf-8")
    (folder / "sub" / "c.json").write_text(
        json.dumps(packet("c1")) + "\n" + json.dumps(ROW) + "\n", encoding="utf-8"
    )
    (folder / "notes.txt").write_text("not a case", encoding="utf-8")
    assert [c.id for c in read_cases(folder)] == ["a1", "b1", "b2", "c1", "r1"]


def test_a_bad_item_or_line_is_named_by_its_place(tmp_path: Path) -> None:
    array = tmp_path / "array.json"
    array.write_text(json.dumps([packet("p1"), {"foo": 1}], indent=2), encoding="utf-8")
    with pytest.raises(CaseFormatError, match=r"array\.json: item 2: unknown case format"):
        read_cases(array)
    lines = tmp_path / "lines.json"
    lines.write_text(json.dumps(packet("p1")) + "\n{broken\n", encoding="utf-8")
    with pytest.raises(CaseFormatError, match=r"lines\.json:2: not valid JSON"):
        read_cases(lines)
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(packet("p1"), indent=2)[:-3], encoding="utf-8")
    with pytest.raises(CaseFormatError, match=r"pretty\.json: not valid JSON"):
        read_cases(pretty)


def test_json_values_gives_each_value_its_line_or_item(tmp_path: Path) -> None:
    from train.phenopacket import json_values

    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"a": 1}\n\n{"b": 2\n')
    first, broken = list(json_values(path, json.loads))
    assert first == (1, None, {"a": 1})
    assert broken[:2] == (3, None) and isinstance(broken[2], ValueError)
    path.write_text('[{"a": 1},\n {"b": 2}]\n', encoding="utf-8")
    assert list(json_values(path, json.loads)) == [(None, 1, {"a": 1}), (None, 2, {"b": 2})]
    path.write_text("\n\n", encoding="utf-8")
    assert list(json_values(path, json.loads)) == []
