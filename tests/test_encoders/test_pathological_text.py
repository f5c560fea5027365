"""Text built to make the readers' regular expressions backtrack, at the 100,000 characters a
text may have, is read in milliseconds (a regular expression holds the GIL: one slow text
froze the whole server); what they read is what they read before; and tokens no dictionary
has (a 100,000-character "word", an IRI a client wrote) do not stay in the caches."""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable
from typing import Any

import pytest

from encoders import normalize
from encoders.lab_values import read_lab_values
from encoders.linker import ConceptLinker, LinkerConfig
from encoders.normalize import BREAK, fold, normalize_token, scan, tokenize
from encoders.onset_text import read_onset
from kg import namespaces
from tests.test_encoders.test_linker import PARENTS, PHENO, SEIZURE, make_lexicon

N = 100_000
#: Seconds any one of them may take (the fixed readers take 3-300 ms; before, "1 (1-2" and
#: 2,000 spaces took 2 s and 100,000 hours).
BOUND = 2.0

# text -> the reader it was built against
ADVERSARIAL: dict[str, str] = {
    "lab: 1 (1-2 and spaces": "1 (1-2" + " " * N,
    "lab: 1 ( and spaces": "1 (" + " " * N,
    "lab: 1 and spaces": "1" + " " * N,
    "lab: 1 mg and spaces": "1 mg" + " " * N,
    "lab: a long upper bound": "1 (1-" + "2" * 40 + " " * N,
    "lab: a label and spaces": "1 (a" + " " * 40 + "1-2" + " " * N,
    "lab: < and spaces": "1 (<" + " " * N,
    "line: carriage returns": "\r" * N,
    "line: carriage returns, then a word": "\r" * N + "a",
    "line: carriage returns and spaces": "\r " * (N // 2),
    "line: carriage returns, not ASCII": "\u00e9" + "\r" * N,
    "onset: spaces": "onset" + " " * N + "x",
    "onset: was and spaces": "onset was" + " " * N + "x",
    "onset: symptoms began and spaces": "symptoms began" + " " * N,
    "onset: presented and spaces": "presented" + " " * N,
}


def _fit(text: str) -> str:
    return text[:N]


def _timed(fn: Callable[[str], Any], text: str) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(text)
    return time.perf_counter() - start, out


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(
        make_lexicon(), LinkerConfig(allowed_roots=(PHENO,), min_depth=1), parents=PARENTS
    )


@pytest.mark.parametrize("name", list(ADVERSARIAL))
@pytest.mark.parametrize(
    "reader",
    [
        pytest.param(lambda t: list(read_lab_values(t)), id="read_lab_values"),
        pytest.param(scan, id="scan"),
        pytest.param(read_onset, id="read_onset"),
    ],
)
def test_each_reader_reads_an_adversarial_text_fast(
    name: str, reader: Callable[[str], Any]
) -> None:
    text = _fit(ADVERSARIAL[name])
    assert len(text) <= N
    seconds, _ = _timed(reader, text)
    assert seconds < BOUND, f"{name}: {seconds:.2f} s"


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_the_linker_links_an_adversarial_text_fast(linker: ConceptLinker, name: str) -> None:
    linker.link("warm up: seizure")
    seconds, _ = _timed(linker.link, _fit(ADVERSARIAL[name]))
    assert seconds < BOUND, f"{name}: {seconds:.2f} s"


# ---- what they read is unchanged --------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value", "low", "high", "direction"),
    [
        ("PTH 57.0 pmol/L      (1.1 - 6.9   pmol/L   )", 57.0, 1.1, 6.9, "high"),
        ("ALP 256 umol/L (normal range        50-150 umol/L)", 256.0, 50.0, 150.0, "high"),
        ("phosphate 0.72\tmmol/L\t(\t1.20\t-\t1.80\t)", 0.72, 1.2, 1.8, "low"),
        ("CK 900 (< 200" + " " * 20 + ")", 900.0, None, 200.0, "high"),
    ],
)
def test_values_written_with_runs_of_spaces_are_still_read(
    text: str, value: float, low: float | None, high: float | None, direction: str
) -> None:
    [found] = read_lab_values(text)
    assert (found.value, found.low, found.high, found.direction) == (value, low, high, direction)
    assert text[found.start : found.end].rstrip().endswith(")")


def test_a_range_with_more_than_30_characters_after_its_unit_is_still_no_range() -> None:
    assert list(read_lab_values("Hb 9 g/dL (12-16 g/dL" + " in" * 10 + "  )")) != []
    assert list(read_lab_values("Hb 9 g/dL (12-16 g/dL" + " in" * 11 + "  )")) == []


@pytest.mark.parametrize(
    "text",
    ["Onset was        in infancy", "onset\n\n  at age 3 years", "Symptoms began   \tin childhood"],
)
def test_an_onset_written_with_runs_of_spaces_is_still_read(text: str) -> None:
    found = read_onset(text)
    assert found is not None and found.text == text


def test_carriage_returns_before_a_line_in_lower_case_are_no_breaks_however_many() -> None:
    # Each "\r" is a line break of its own unless the line goes on in lower case after the
    # spaces, tabs and carriage returns that follow it, however many there are.
    for run in (1, 63, 64, 65, 66, 200, 5_000):
        text = "seizures\r" + "\r \t" * run + "hypotonia"
        assert [t.raw for t in tokenize(text)] == ["seizures", "hypotonia"], run
        text = "seizures\r" + "\r \t" * run + "Hypotonia"
        tokens = tokenize(text)
        assert [t.raw for t in tokens] == ["seizures", *["\r"] * (run + 1), "Hypotonia"], run
        assert all(t.norm == BREAK for t in tokens[1:-1])
        assert [text[t.start : t.end] for t in tokens] == [t.raw for t in tokens]


def test_a_long_run_of_carriage_returns_keeps_every_offset() -> None:
    text = "a\n" + "\r" * 100 + " x\r\r" + " " * 80 + "\rB y"
    table = scan(text)
    assert "".join(table._parts) == text
    assert [text[s:e] for s, e in zip(table.starts, table.ends, strict=True)] == table.raws
    assert table.raws == ["a", "x", "\r", "\r", "\r", "B", "y"]


# ---- caches -----------------------------------------------------------------------------------
def _cache_sizes() -> tuple[int, int, int, int]:
    return (
        normalize._normalized.cache_info().currsize,
        normalize._fold_cached.cache_info().currsize,
        len(normalize._NORMS),
        namespaces._compressed.cache_info().currsize,
    )


def test_long_tokens_are_not_cached(linker: ConceptLinker) -> None:
    rng = random.Random(0)
    linker.link("warm up: seizure and hypotonia, caf\u00e9")
    before = _cache_sizes()
    for _ in range(20):
        word = "".join(rng.choices(string.ascii_lowercase, k=2_000))
        linker.link(f"{word} seizure")
        linker.link(f"\u00e9{word} seizure")  # not ASCII: folded
        normalize_token(word.upper())
        namespaces.compress(f"http://example.org/{word}")
        namespaces.compress(f"{namespaces.OBO}HP_{word}")
    assert _cache_sizes() == before


def test_long_tokens_read_as_before() -> None:
    word = "Haemorrhage" * 10 + "s"
    assert normalize_token(word) == normalize._normalize(word) == normalize._normalized(word)
    assert fold("\u00c9" + word) == "e" + word.lower()
    [token] = tokenize(word)
    assert token.norm == normalize_token(word)
    iri = f"{namespaces.OBO}HP_{'1' * 300}"
    assert namespaces.compress(iri) == "HP:" + "1" * 300
    long_iri = "http://example.org/" + "x" * 300
    assert namespaces.compress(long_iri) == long_iri


def test_dictionary_words_are_cached() -> None:
    assert len(max(normalize.STOPWORDS, key=len)) <= normalize.MAX_CACHED_CHARS
    normalize_token("Acetylglucosaminyltransferase")
    hits = normalize._normalized.cache_info().hits
    normalize_token("Acetylglucosaminyltransferase")
    assert normalize._normalized.cache_info().hits == hits + 1


def test_the_fixture_linker_still_links() -> None:
    linker = ConceptLinker(
        make_lexicon(), LinkerConfig(allowed_roots=(PHENO,), min_depth=1), parents=PARENTS
    )
    mentions = linker.link("onset   at age 3 years with seizures\r" + " " * 70 + "\rand hypotonia")
    assert SEIZURE in {m.iri for m in mentions}
