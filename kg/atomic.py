"""Files written whole: a temporary file beside the target, then :func:`os.replace`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "existing_ancestor",
    "give_new_file_modes",
    "new_file_mode",
    "output_folder",
    "sync_to_disk",
    "sync_tree",
    "temp_file_beside",
    "write_atomic",
    "written_whole",
]


def temp_file_beside(path: Path) -> tuple[int, str]:
    """A new empty file in ``path``'s folder, for writing and then :func:`os.replace`:
    ``(descriptor, name)``. Created with the mode any new file gets (0666 less the umask),
    not the 0600 of :func:`tempfile.mkstemp`, so a model or data file written atomically is
    as readable (by a server's account, say) as one written directly."""
    while True:
        name = str(path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), name
        except FileExistsError:  # pragma: no cover - a 48-bit collision
            continue


def sync_to_disk(path: str | Path) -> None:
    """Flush ``path`` (a file, or a folder's entries) from the page cache to the disk, as far
    as the platform allows (a folder cannot be opened on Windows: skipped). Renaming a file
    that is not yet on disk can leave it empty after a power cut; syncing the folder after
    the rename makes the new name last."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - a folder on Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - a file system without fsync of folders
        pass
    finally:
        os.close(fd)


def sync_tree(folder: str | Path) -> None:
    """:func:`sync_to_disk` every file and folder below ``folder`` (itself included), files
    before the folder that names them; links are not followed. A folder written in full and
    then renamed into place (a KG build, a saved model) needs its contents on disk before
    the rename, or a power cut soon after can leave the new name over empty files."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                sync_to_disk(path)
        for name in dirs:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                sync_to_disk(path)
    sync_to_disk(folder)


@contextmanager
def written_whole(path: Path) -> Iterator[tuple[int, str]]:
    """``(descriptor, name)`` of a new temporary file beside ``path`` to write (the caller
    closes the descriptor): renamed onto ``path`` when the block ends without an error, with
    the mode a new file gets even if the writer made the file again (safetensors makes 0600
    files); removed otherwise, so ``path`` is never partly written. The file reaches the disk
    before the rename and the folder's new entry after it (:func:`sync_to_disk`), so a power
    cut leaves the old file or the new one, not an empty one."""
    fd, tmp = temp_file_beside(path)
    mode = os.fstat(fd).st_mode & 0o777
    try:
        yield fd, tmp
        os.chmod(tmp, mode)
        sync_to_disk(tmp)
        os.replace(tmp, path)
        sync_to_disk(Path(path).parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def new_file_mode(folder: Path) -> int:
    """The permission bits a new file gets in ``folder`` (0666 less the process's umask),
    read from a file made there, as :func:`os.umask` cannot be read without being set."""
    fd, name = temp_file_beside(Path(folder) / "mode-probe")
    try:
        return os.fstat(fd).st_mode & 0o777
    finally:
        os.close(fd)
        os.unlink(name)


def give_new_file_modes(folder: Path) -> None:
    """Give every file below ``folder`` the mode a new file gets there (and every folder
    that mode plus the search bits its readers have): libraries that write through private
    temporaries (safetensors makes 0600 files) leave models and indexes unreadable by, say,
    the account a server runs as."""
    folder = Path(folder)
    mode = new_file_mode(folder)
    folder_mode = mode | ((mode & 0o444) >> 2)
    for path in folder.rglob("*"):
        os.chmod(path, folder_mode if path.is_dir() else mode)


def existing_ancestor(path: Path) -> Path:
    """``path`` when it exists, else its nearest existing ancestor: where making it (``mkdir
    -p``) writes, so what must be a writable folder."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def output_folder(out: Path) -> Path:
    """``out`` made (with its parents) and checked writable, before anything is measured: a
    benchmark must not run for minutes and then fail to save its results.

    Raises:
        NotADirectoryError: ``out``, or a folder above it, is a file.
        PermissionError: the folder cannot be written.
    """
    out = Path(out).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NotADirectoryError(
            f"the output folder {out} is a file, or inside one: give a folder"
        ) from None
    try:
        new_file_mode(out)
    except PermissionError:
        raise PermissionError(f"cannot write to the output folder {out}") from None
    return out


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``path`` whole (a temporary file beside it, then renamed onto it): a run killed
    mid-write, or a full disk, leaves the previous file, never a truncated one."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with written_whole(Path(path)) as (fd, _), os.fdopen(fd, "wb") as sink:
        sink.write(data)
