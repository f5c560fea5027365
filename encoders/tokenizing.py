"""Tokenizer calls that are safe from several threads.

A fast Hugging Face tokenizer is one Rust object with settings: each call first sets its
truncation and padding (``set_truncation_and_padding``) and then encodes. Two threads sharing
a tokenizer with different settings (a batch truncated to 64 tokens, a count of a whole
note's tokens) can interleave the two steps, so that one thread's batch is encoded with the
other's settings. :func:`tokenize` makes the pair one step: every call through it holds a
lock of that tokenizer.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def tokenizer_lock(tokenizer: Any) -> threading.Lock:
    """The lock of ``tokenizer`` (made on first use; one per tokenizer object)."""
    with _locks_guard:
        lock = _locks.get(tokenizer)
        if lock is None:
            lock = _locks[tokenizer] = threading.Lock()
        return lock


def tokenize(tokenizer: Any, *args: Any, **kwargs: Any) -> Any:
    """``tokenizer(*args, **kwargs)``, with no other call through here on the same
    tokenizer in between its settings and its encoding."""
    with tokenizer_lock(tokenizer):
        return tokenizer(*args, **kwargs)
