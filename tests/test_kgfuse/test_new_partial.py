"""``kgfuse kg dump`` writes its ``OUTPUT.partial`` through a file it creates itself: a link
put there (after the checks, by another user of a shared folder) makes it fail rather than
write over the file the link points to."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgfuse.commands.common import new_partial


def test_a_killed_runs_partial_file_is_replaced(tmp_path: Path) -> None:
    partial = tmp_path / "kg.nt.partial"
    partial.write_bytes(b"half of an old dump")
    with new_partial(partial) as sink:
        sink.write(b"<a> <b> <c> .\n")
    assert partial.read_bytes() == b"<a> <b> <c> .\n"


def test_a_link_at_the_partial_path_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "important.conf"
    victim.write_bytes(b"keep me")
    partial = tmp_path / "kg.nt.partial"
    partial.symlink_to(victim)
    with pytest.raises(FileExistsError, match="appeared while this run was creating it"):
        new_partial(partial)
    assert victim.read_bytes() == b"keep me"


def test_a_dangling_link_makes_no_file_where_it_points(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "created-by-the-link"
    target.parent.mkdir()
    partial = tmp_path / "kg.nt.partial"
    partial.symlink_to(target)
    with pytest.raises(FileExistsError):
        new_partial(partial)
    assert not target.exists()
