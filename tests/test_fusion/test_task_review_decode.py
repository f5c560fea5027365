"""Review fixes of task decoding and windowing: CJK spans stay as tagged, a span ends after
its combining marks, CJK text is cut at its sentence ends or at the token budget, and a
task model's input builder reads findings as the diagnoser does."""

from __future__ import annotations

import unicodedata

import torch

from fusion.tasks import TaskInputBuilder, build_linker, decode_spans, sentence_windows
from kg.knowledge_graph import KnowledgeGraph

ID2TAG = {0: "O", 1: "B-x", 2: "I-x"}


def _char_offsets(text: str) -> torch.Tensor:
    """[CLS], one token per character (as BERT reads CJK ideographs), [SEP]."""
    return torch.tensor([[0, 0], *[[i, i + 1] for i in range(len(text))], [0, 0]])


def _tags_on(offsets: torch.Tensor, start: int, end: int) -> list[int]:
    """B-x, I-x on exactly the tokens of ``start``-``end`` (a perfect tagger), O elsewhere."""
    tags, first = [], True
    for a, b in offsets.tolist():
        inside = b > a and a < end and b > start
        tags.append((1 if first else 2) if inside else 0)
        first = first and not inside
    return tags


def test_a_span_in_cjk_text_is_not_widened_over_its_neighbouring_ideographs() -> None:
    text = "被告人抢劫了学生的手机。"
    offsets = _char_offsets(text)
    start = text.index("抢劫")
    tags = _tags_on(offsets, start, start + 2)
    spans = decode_spans(tags, [1.0] * len(tags), offsets, ID2TAG, text)
    assert [(s.start, s.end, s.text) for s in spans] == [(3, 5, "抢劫")]


def test_a_span_in_japanese_text_ends_at_the_ideograph_before_it() -> None:
    # tokens as BERT reads it: 被 告 は 学 生 の 電 話 を 盗 [ん ##だ] 。: kana in one run
    text = "被告は学生の電話を盗んだ。"
    spans_of_tokens = [(i, i + 1) for i in range(10)] + [(10, 11), (11, 12), (12, 13)]
    offsets = torch.tensor([[0, 0], *spans_of_tokens, [0, 0]])
    tags = _tags_on(offsets, 9, 11)  # 盗 and ん tagged, the piece ##だ not: widened to 盗んだ
    spans = decode_spans(tags, [1.0] * len(tags), offsets, ID2TAG, text)
    assert [(s.start, s.end, s.text) for s in spans] == [(9, 12, "盗んだ")]


def test_a_span_ending_in_a_combining_mark_keeps_it() -> None:
    text = unicodedata.normalize("NFD", "the Café and")  # "Cafe" + U+0301
    assert text[8] == "\u0301"
    # an uncased tokenizer strips the accent: the token "cafe" ends before the mark
    offsets = torch.tensor([[0, 0], [0, 3], [4, 8], [10, 13], [0, 0]])
    spans = decode_spans([0, 0, 1, 0, 0], [1.0] * 5, offsets, ID2TAG, text)
    assert [(s.start, s.end) for s in spans] == [(4, 9)]
    assert spans[0].text == unicodedata.normalize("NFD", "Café")


def test_cjk_sentences_are_windows_and_a_run_without_them_is_cut_at_the_budget() -> None:
    sentence = "被告人使用暴力抢劫了学生的手机。"  # 16 characters, one token each

    def chars(piece: str) -> int:
        return len(piece)

    text = sentence * 10
    windows = sentence_windows(text, chars, 40)
    assert all(b - a <= 40 for a, b in windows)
    assert all(text[b - 1] == "。" for a, b in windows)  # cut at the ideographic full stop
    assert "".join(text[a:b] for a, b in windows) == text
    run = sentence.rstrip("。") * 20  # 300 characters with no sentence end and no space
    windows = sentence_windows(run, chars, 64)
    assert [b - a for a, b in windows] == [64, 64, 64, 64, 44]
    assert "".join(run[a:b] for a, b in windows) == run


def test_a_long_word_is_cut_where_the_token_budget_ends() -> None:
    def pieces(piece: str) -> int:  # a token per 3 characters of a word, as word pieces go
        return sum(-(-len(w) // 3) for w in piece.split())

    text = "short words here. " + "x" * 100 + " and more."
    windows = sentence_windows(text, pieces, 10)
    assert all(pieces(text[a:b]) <= 10 for a, b in windows)
    assert "".join(text[a:b] for a, b in windows).replace(" ", "") == text.replace(" ", "")


def test_task_inputs_leave_out_relatives_and_hedged_findings(legal_kg: KnowledgeGraph) -> None:
    builder = TaskInputBuilder(legal_kg, build_linker(legal_kg, {}))
    text = "His brother was convicted of theft. Rule out burglary. The mugging involved violence."
    mentions = {m.text: m for m in builder.linker.link(text)}
    assert mentions["theft"].family and mentions["burglary"].uncertain  # what the linker says
    prepared = builder.prepare(text)
    assert [(f.text, f.excluded) for f in prepared.findings] == [
        ("mugging", False),
        ("violence", False),
    ]
    assert builder.link(text) == prepared.findings
    assert len(prepared.input.concepts) == 2
    (warning,) = prepared.warnings
    assert "hedged or hypothetical" in warning and "'burglary'" in warning
