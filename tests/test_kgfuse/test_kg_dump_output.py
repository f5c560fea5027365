"""``kgfuse kg dump`` writes through a file of a random name that it creates itself
(:func:`kg.atomic.written_whole`): a link put at ``OUTPUT.partial`` after its checks (by
another user of a shared folder, to have it write over a file of theirs) is never followed,
and a failed dump leaves the output as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import kgfuse.commands.kg as kg_commands
from kgfuse.cli import app


def _dump(mini_home: Path, out: Path) -> int:
    args = ["kg", "dump", str(out), "--kg", str(mini_home / "kgs" / "hpo")]
    return CliRunner().invoke(app, args).exit_code


def test_a_link_planted_after_the_checks_is_not_written_through(
    mini_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "important.conf"
    victim.write_bytes(b"keep me")
    out = tmp_path / "kg.nt"
    checked = kg_commands.check_output

    def check_then_plant(output: Path) -> None:
        checked(output)
        output.with_name(output.name + ".partial").symlink_to(victim)

    monkeypatch.setattr(kg_commands, "check_output", check_then_plant)
    assert _dump(mini_home, out) == 0
    assert victim.read_bytes() == b"keep me"
    assert out.read_bytes().count(b" .\n") > 100  # the triples, as N-Triples lines


def test_a_failed_dump_leaves_the_output_as_it_was(
    mini_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyoxigraph as ox

    out = tmp_path / "kg.nt"
    out.write_bytes(b"the dump before")

    def broken(self, output, **kwargs):  # type: ignore[no-untyped-def]
        output.write(b"<a> <b> ")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ox.Store, "dump", broken)
    assert _dump(mini_home, out) != 0
    assert out.read_bytes() == b"the dump before"
    assert [p.name for p in tmp_path.iterdir()] == ["kg.nt"]  # no temporary left
