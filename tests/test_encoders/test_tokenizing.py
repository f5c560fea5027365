"""Tokenizer calls shared by threads: settings and encoding are one step."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from encoders.tokenizing import tokenize, tokenizer_lock
from fusion.inputs import PatientCollator, PatientInput
from tests.tiny_bert import write_tiny_bert


class _SettingsThenEncode:
    """A tokenizer that, like a fast HF tokenizer, stores its settings on itself and then
    encodes with whatever settings it holds (a pause between the two widens the window)."""

    def __init__(self) -> None:
        self.max_length: int | None = None

    def __call__(self, text: str, max_length: int | None = None) -> int | None:
        self.max_length = max_length
        time.sleep(0.001)
        return self.max_length


def _foreign_settings(call: Any, rounds: int = 150) -> int:
    """How many of two threads' calls encoded with the other thread's settings."""
    tokenizer = _SettingsThenEncode()
    wrong = [0]

    def worker(max_length: int | None) -> None:
        for _ in range(rounds):
            if call(tokenizer, "text", max_length=max_length) != max_length:
                wrong[0] += 1

    threads = [threading.Thread(target=worker, args=(m,)) for m in (64, None)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return wrong[0]


def test_unlocked_calls_interleave_and_tokenize_does_not() -> None:
    # the race is real for an object that keeps its settings (the check can fail) ...
    assert _foreign_settings(lambda tok, *a, **k: tok(*a, **k)) > 0
    # ... and calls through tokenize never see another call's settings
    assert _foreign_settings(tokenize) == 0


def test_one_lock_per_tokenizer() -> None:
    a, b = _SettingsThenEncode(), _SettingsThenEncode()
    assert tokenizer_lock(a) is tokenizer_lock(a)
    assert tokenizer_lock(a) is not tokenizer_lock(b)


@pytest.fixture(scope="module")
def collator(tmp_path_factory: pytest.TempPathFactory) -> PatientCollator:
    from transformers import AutoTokenizer

    folder = write_tiny_bert(tmp_path_factory.mktemp("bert"), ["tall", "boy"])
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    return PatientCollator(tokenizer, max_length=8)


def _waits_for_the_lock(collator: PatientCollator, call: Any) -> None:
    """``call`` does not finish while another holds the tokenizer's lock, then does."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (call(), done.set()))
    with tokenizer_lock(collator.tokenizer):
        thread.start()
        assert not done.wait(0.3), "the call went past the tokenizer's lock"
    thread.join(10)
    assert done.is_set()


def test_the_collator_batches_under_the_tokenizer_lock(collator: PatientCollator) -> None:
    _waits_for_the_lock(collator, lambda: collator([PatientInput("tall boy " * 20)]))
    batch = collator([PatientInput("tall boy " * 20)])
    assert batch["input_ids"].shape[1] == 8


def test_counting_a_notes_tokens_takes_the_same_lock(collator: PatientCollator) -> None:
    _waits_for_the_lock(collator, lambda: collator.read_tokens("tall boy " * 20))
    assert collator.read_tokens("tall boy " * 20) == (8, 42)


def test_a_batch_stays_truncated_while_another_thread_counts(
    collator: PatientCollator, tmp_path: Path
) -> None:
    long = PatientInput("tall boy " * 20)
    stop = time.monotonic() + 1.0
    widths: list[int] = []

    def count() -> None:
        while time.monotonic() < stop:
            collator.read_tokens(long.text)

    counter = threading.Thread(target=count)
    counter.start()
    while time.monotonic() < stop:
        widths.append(collator([long])["input_ids"].shape[1])
    counter.join()
    assert widths and set(widths) == {8}
