"""Tests of kg.collector: the garbage collector paused and frozen around loads."""

from __future__ import annotations

import gc

import pytest

from kg.collector import gc_paused, kept_loaded


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block does not re-enable it early
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_gc_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_kept_loaded_freezes_what_was_loaded_until_the_end() -> None:
    before = gc.get_freeze_count()
    with kept_loaded() as loaded:
        assert not gc.isenabled()
        table = [[i] for i in range(1000)]  # what the block keeps
        loaded()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(table)
        loaded()  # twice is once
        # what is made after loading is collected as usual
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    del table


def test_kept_loaded_without_loaded_pauses_the_whole_block() -> None:
    with pytest.raises(ValueError, match="failed while loading"), kept_loaded():
        assert not gc.isenabled()
        raise ValueError("failed while loading")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_kept_loaded_leaves_an_earlier_freeze_in_place() -> None:
    gc.freeze()  # as a server that froze what it preloaded
    try:
        before = gc.get_freeze_count()
        with kept_loaded() as loaded:
            loaded()
        assert gc.get_freeze_count() >= before > 0
    finally:
        gc.unfreeze()


def test_what_a_block_made_joins_the_oldest_generation_without_a_pass_over_it() -> None:
    """A one-shot block (``loaded()`` never called) ends with everything it made young: the
    collector's first pass after it would walk all of it (~1 s after a diagnosis service
    loaded). It ends in the oldest generation instead, and garbage made in it is still
    collected by a full pass."""
    gc.collect()
    with kept_loaded():
        kept = [[i] for i in range(20_000)]
        cycle: list = []
        cycle.append(cycle)
        del cycle
    assert gc.isenabled() and gc.get_freeze_count() == 0
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not any(id(row) in young for row in kept)
    assert gc.get_count()[0] < 1_000  # no young backlog left for the next pass to walk
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(row) in oldest for row in kept[:100])
    assert gc.collect() >= 1  # the cycle


def test_a_paused_block_inside_a_freeze_leaves_the_freeze_alone() -> None:
    gc.freeze()  # as kept_loaded after loaded(), or a server that froze what it preloaded
    try:
        before = gc.get_freeze_count()
        with gc_paused():
            kept = [[i] for i in range(1_000)]
        # neither thawed (0) nor grown by the block's 1,000 lists (frozen objects that are
        # freed meanwhile leave it: the count may fall a little)
        assert 0 < gc.get_freeze_count() <= before
        assert len(kept) == 1_000
    finally:
        gc.unfreeze()
