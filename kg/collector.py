"""Python's cyclic garbage collector around bulk loads.

Loading the HPO KG's tables, the linker's index and a model makes ~4 million objects, none of
them garbage. With the collector running, its passes over them doubled the time to load a
diagnosis service (13.5 s against 6.2-6.8 s, 2 cores), and once loaded every full pass
walked them again (~2 s, the GIL held). :func:`gc_paused` pauses it while a block loads;
:func:`kept_loaded` also moves what the block loaded to the permanent generation
(:func:`gc.freeze`), so later collections skip it, until the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["gc_paused", "kept_loaded"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a block makes many containers and frees none
    (building or reading an index). Restored as it was; a nested block does not restore it
    early."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def kept_loaded() -> Iterator[Callable[[], None]]:
    """A block that loads what it keeps, then works with it.

    The collector is paused from the start of the block until the function the block gets
    is called (``loaded()``, when what is kept is loaded): everything alive then is frozen
    (:func:`gc.freeze`) and the collector resumes for the work. At the end of the block the
    frozen objects are unfrozen into the oldest generation and the collector is as it was.
    Never calling ``loaded()`` keeps the collector paused for the whole block (a one-shot
    command, which ends soon after it); what the block made then joins the oldest
    generation too, rather than waiting, all of it young, for the collector's next pass to
    walk it (~1 s after a diagnosis service loaded). Garbage among it then waits for a full
    pass, which a long-running process may not make for a long time: such a process calls
    ``loaded()``, or uses :func:`gc_paused`. The freeze is the
    process's: inside a process that froze before (a server), the block leaves it frozen.
    """
    was_enabled = gc.isenabled()
    frozen_before = gc.get_freeze_count() > 0
    frozen = False

    def loaded() -> None:
        nonlocal frozen
        if not frozen:
            gc.freeze()
            frozen = True
            if was_enabled:
                gc.enable()

    gc.disable()
    try:
        yield loaded
    finally:
        if not frozen_before:
            if not frozen:
                # what the block made would all be young: the first allocation after the
                # collector resumes would walk it (~1 s after a diagnosis service loaded);
                # frozen and unfrozen it joins the oldest generation without a pass
                gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()
