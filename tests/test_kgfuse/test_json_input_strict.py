"""What users send is read strictly: surrogates written as raw bytes, repeated keys and
UTF-16 files are refused with reasons, where Python's json would read them quietly."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from kgfuse.diagnosis import RecordError, read_jsonl, read_records
from kgfuse.json_input import loads_json


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": "s\xed\xa0\x80", "text": "tall"}',  # U+D800 as raw bytes
        b'{"id": "\xed\xa0\xbd\xed\xb8\x80"}',  # an emoji in CESU-8 (Java, MySQL "utf8")
    ],
)
def test_surrogates_written_as_bytes_are_not_utf8(raw: bytes) -> None:
    with pytest.raises(ValueError, match=r"not valid UTF-8 \(byte 0xed at offset \d+\)"):
        loads_json(raw)


def test_a_repeated_key_is_refused_and_named() -> None:
    with pytest.raises(ValueError, match="the key 'question' appears twice in one object"):
        loads_json(b'{"question": "What is arachnodactyly?", "question": "x"}')
    with pytest.raises(ValueError, match="the key 'a' appears twice"):
        loads_json(b'[{"b": {"a": 1, "a": 2}}]')
    assert loads_json(b'[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]  # one per object


def test_utf16_with_its_mark_is_json_and_without_it_is_refused() -> None:
    body = '{"text": "tall \U0001f600"}'
    assert loads_json(codecs.BOM_UTF16_LE + body.encode("utf-16-le")) == {"text": "tall 😀"}
    assert loads_json(codecs.BOM_UTF8 + body.encode("utf-8")) == {"text": "tall 😀"}
    with pytest.raises(ValueError, match="UTF-16 or UTF-32 without a byte-order mark"):
        loads_json(body.encode("utf-16-le"))
    with pytest.raises(ValueError, match="not valid UTF-16-LE"):
        loads_json(codecs.BOM_UTF16_LE + b'{\x00"\x00a\x00"\x00:\x00 \x00"\x00\x00\xd8"\x00}\x00')


@pytest.mark.parametrize("bom", [True, False])
def test_a_utf16_file_of_records_is_one_error_naming_its_encoding(
    tmp_path: Path, bom: bool
) -> None:
    lines = "".join(f'{{"id": "r{i}", "text": "tall"}}\n' for i in range(4))
    path = tmp_path / "records.jsonl"
    path.write_bytes(lines.encode("utf-16" if bom else "utf-16-le"))
    for read in (read_jsonl, read_records):
        got = list(read(path))
        assert len(got) == 1, read.__name__  # not one record per shifted line
        (_, error), *_ = got
        assert isinstance(error, RecordError) and "UTF-16 or UTF-32" in str(error)


@pytest.mark.parametrize("compress", ["gzip", "bz2", "lzma"])
def test_a_compressed_file_of_records_is_one_error_saying_so(tmp_path: Path, compress: str) -> None:
    import importlib

    lines = "".join(f'{{"id": "r{i}", "text": "tall"}}\n' for i in range(4)).encode()
    path = tmp_path / "records.jsonl.gz"
    path.write_bytes(importlib.import_module(compress).compress(lines))
    for read in (read_jsonl, read_records):
        (_, error), *rest = list(read(path))
        assert not rest, read.__name__
        assert isinstance(error, RecordError) and "compressed" in str(error)
        assert "UTF-16" not in str(error)  # no advice to convert what is not text


def test_an_integer_past_the_digit_limit_is_named_without_python_s_advice() -> None:
    """Python's own message tells the reader to raise a setting of the server's process
    (``sys.set_int_max_str_digits``), which a client cannot and should not do."""
    with pytest.raises(ValueError, match=r"an integer too long \(over [\d,]+ digits\)") as error:
        loads_json(b'{"limit": ' + b"9" * 5000 + b"}")
    assert "set_int_max_str_digits" not in str(error.value)
