"""Remove the source files that PyG writes for each message-passing class.

`torch_geometric.nn.conv.MessagePassing` renders an optimised ``propagate`` (and
``edge_updater``) for every subclass from a Jinja template, writes it to a file in the
system's temporary folder with ``delete=False`` and imports it. Nothing removes those files:
every process that builds a graph encoder left one per class in ``/tmp``. Once the module is
imported the file is no longer needed, so :func:`drop_generated_source` keeps its lines in
:mod:`linecache` (tracebacks and ``inspect.getsource`` still show them) and deletes it.
"""

from __future__ import annotations

import linecache
import logging
import os
import sys
import tempfile
from pathlib import Path

from torch_geometric.nn.conv import MessagePassing

logger = logging.getLogger(__name__)

_GENERATED = ("propagate", "edge_updater")


def generated_module_names(conv: MessagePassing) -> list[str]:
    """Names under which PyG imports the modules it rendered for this class."""
    prefix = f"{type(conv).__module__}_{type(conv).__name__}"
    return [f"{prefix}_{kind}" for kind in _GENERATED]


def drop_generated_source(conv: MessagePassing) -> list[Path]:
    """Delete the rendered source files of ``conv``'s class; return the paths removed.

    Only a file directly in the temporary folder whose name PyG gave it (the module's name,
    ``_``, random letters, ``.py``) is touched; anything else is left alone.
    """
    temp_folder = Path(tempfile.gettempdir()).resolve()
    removed: list[Path] = []
    for name in generated_module_names(conv):
        module = sys.modules.get(name)
        origin = getattr(module, "__file__", None)
        if not origin:
            continue
        path = Path(origin)
        if (
            path.parent.resolve() != temp_folder
            or not path.name.startswith(f"{name}_")
            or path.suffix != ".py"
            or not path.is_file()
        ):
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            # An entry without a modification time is never dropped by checkcache.
            linecache.cache[str(path)] = (sum(map(len, lines)), None, lines, str(path))
            os.unlink(path)
        except OSError as error:
            logger.debug("could not remove PyG's generated %s: %s", path, error)
            continue
        removed.append(path)
    return removed
