"""Fixes of the review of the concept recogniser: coordination, "non-X", acronyms defined in
brackets, overloaded acronyms, everyday words, line and sentence marks, NFD and zero-width
characters, decimal commas, onsets at a sentence end, SD ranges and spaCy offsets. Every
sentence is written for these tests; the lexicon is a toy one."""

from __future__ import annotations

import unicodedata

import pytest

from encoders.lab_values import read_lab_values
from encoders.linker import ConceptLinker, LinkerConfig
from encoders.measurements import read_measurements
from encoders.normalize import BREAK, scan
from encoders.onset_text import read_onset
from kg.lexicon import Lexicon, LexiconEntry

OBO = "http://purl.obolibrary.org/obo/TEST_"


def t(n: int) -> str:
    return f"{OBO}{n:07d}"


ROOT, PHENO = t(1), t(2)
HYPOCA, HYPERCA, HYPOPHOS, HYPERPHOS, HYPOMG = t(3), t(4), t(5), t(6), t(7)
CLEFT_LIP, CLEFT_PALATE, PROG_ATAXIA, NONPROG_ATAXIA = t(8), t(9), t(10), t(11)
ATROPHY, HYPSARRHYTHMIA, TC_SEIZURE, ARTHRITIS, S3 = t(12), t(13), t(14), t(15), t(16)
FALLS, STROKE, CLUBBING, NEOPLASM, SHORT_STATURE = t(17), t(18), t(19), t(20), t(21)
SJOGREN, HYPOTONIA, AREFLEXIA, HYPERREFLEXIA = t(22), t(23), t(24), t(25)

_NAMES = [
    (ROOT, "All", "label"),
    (PHENO, "Phenotypic abnormality", "label"),
    (HYPOCA, "Hypocalcemia", "label"),
    (HYPOCA, "Decreased circulating calcium concentration", "exact"),
    (HYPERCA, "Hypercalcemia", "label"),
    (HYPERCA, "Increased circulating calcium concentration", "exact"),
    (HYPOPHOS, "Hypophosphatemia", "label"),
    (HYPOPHOS, "Decreased circulating phosphate concentration", "exact"),
    (HYPERPHOS, "Hyperphosphatemia", "label"),
    (HYPERPHOS, "Increased circulating phosphate concentration", "exact"),
    (HYPOMG, "Hypomagnesemia", "label"),
    (HYPOMG, "Decreased circulating magnesium concentration", "exact"),
    (CLEFT_LIP, "Cleft lip", "label"),
    (CLEFT_PALATE, "Cleft palate", "label"),
    (PROG_ATAXIA, "Progressive ataxia", "label"),
    (NONPROG_ATAXIA, "Nonprogressive ataxia", "label"),
    (ATROPHY, "Cerebellar atrophy", "label"),
    (HYPSARRHYTHMIA, "Hypsarrhythmia", "label"),
    (TC_SEIZURE, "Tonic-clonic seizure", "label"),
    (ARTHRITIS, "Rheumatoid arthritis", "label"),
    (ARTHRITIS, "RA", "exact"),
    (S3, "Third heart sound", "label"),
    (S3, "S3", "exact"),
    (FALLS, "Falls", "label"),
    (STROKE, "Stroke", "label"),
    (CLUBBING, "Clubbing", "label"),
    (NEOPLASM, "Neoplasm", "label"),
    (NEOPLASM, "Tumor", "exact"),
    (SHORT_STATURE, "Short stature", "label"),
    (SJOGREN, "Sjögren syndrome", "label"),
    (HYPOTONIA, "Hypotonia", "label"),
    (AREFLEXIA, "Areflexia", "label"),
    (AREFLEXIA, "Absent reflexes", "exact"),
    (HYPERREFLEXIA, "Hyperreflexia", "label"),
    (HYPERREFLEXIA, "Increased reflexes", "exact"),
]


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    entries = [LexiconEntry(iri, text, kind, None, "owl:Class") for iri, text, kind in _NAMES]
    parents = {iri: [PHENO] for iri, _, _ in _NAMES if iri not in (ROOT, PHENO)}
    parents[PHENO] = [ROOT]
    return ConceptLinker(Lexicon(entries), LinkerConfig(allowed_roots=(PHENO,)), parents=parents)


def iris(linker: ConceptLinker, text: str) -> set[str]:
    return {m.iri for m in linker.link(text)}


# ---- 1: a coordinated word with its own modifier or status -------------------------------
def test_a_conjunct_with_its_own_predicate_takes_no_modifier_of_the_other(
    linker: ConceptLinker,
) -> None:
    assert iris(linker, "Decreased calcium and phosphate raised on day 2.") == {
        HYPOCA,
        HYPERPHOS,
    }
    assert iris(linker, "On day 2 high calcium and phosphate decreased.") == {
        HYPERCA,
        HYPOPHOS,
    }


def test_a_status_after_the_last_conjunct_stops_the_shared_modifier(
    linker: ConceptLinker,
) -> None:
    assert iris(linker, "Cleft lip and palate were normal at birth.") == {CLEFT_LIP}
    assert iris(linker, "High calcium and magnesium was low on admission.") == {HYPERCA, HYPOMG}
    assert HYPERREFLEXIA not in iris(linker, "Increased tone and reflexes were absent today.")


def test_a_modifier_shared_by_coordinated_words_still_reaches_each(
    linker: ConceptLinker,
) -> None:
    assert iris(linker, "Low calcium and magnesium on day 3.") == {HYPOCA, HYPOMG}
    assert iris(linker, "She had cleft lip and palate.") == {CLEFT_LIP, CLEFT_PALATE}
    assert iris(linker, "Cleft lip and palate were repaired.") == {CLEFT_LIP, CLEFT_PALATE}


# ---- 4: "non-X" read as "nonX" first ------------------------------------------------------
def test_non_hyphen_is_read_as_one_word_first(linker: ConceptLinker) -> None:
    (m,) = linker.link("A non-progressive ataxia since infancy.")
    assert (m.iri, m.text) == (NONPROG_ATAXIA, "non-progressive ataxia")
    assert iris(linker, "A progressive ataxia since infancy.") == {PROG_ATAXIA}


# ---- 5: an acronym in brackets defines only what its letters fit ----------------------------
def test_a_test_or_unfitting_acronym_in_brackets_defines_nothing(linker: ConceptLinker) -> None:
    text = "Cerebellar atrophy (MRI) at 3 years; the MRI of the spine was normal."
    assert [m.text for m in linker.link(text)] == ["Cerebellar atrophy"]
    text = "Hypsarrhythmia (KD) improved, and KD was stopped."
    assert [m.text for m in linker.link(text)] == ["Hypsarrhythmia"]


def test_an_acronym_that_fits_its_long_form_is_defined(linker: ConceptLinker) -> None:
    text = "Two generalized tonic-clonic seizures (GTCS); GTCS recurred."
    assert [(m.text, m.iri) for m in linker.link(text) if m.source == "defined"] == [
        ("GTCS", TC_SEIZURE),
        ("GTCS", TC_SEIZURE),
    ]
    text = "Rheumatoid arthritis (RA) in the mother; her RA is stable."
    assert [m.text for m in linker.link(text)].count("RA") == 2


# ---- 10: overloaded clinical acronyms and sacral levels -----------------------------------
def test_overloaded_acronyms_and_sacral_levels_link_nothing(linker: ConceptLinker) -> None:
    assert linker.link("Oxygen saturation 97% on RA overnight.") == []
    assert iris(linker, "A sacral lipoma at S3 was seen.") == set()
    assert iris(linker, "Tethered cord from L4 to S3.") == set()
    assert iris(linker, "A soft S3 was heard over the apex.") == {S3}


# ---- 16: everyday words ------------------------------------------------------------------
def test_everyday_words_are_no_findings(linker: ConceptLinker) -> None:
    for text in (
        "She falls asleep in class.",
        "He tends to fall when he runs.",
        "Stroke volume was measured.",
        "The tumor board met on Monday.",
        "He joined a golf club.",
    ):
        assert linker.link(text) == [], text


def test_the_same_names_as_findings_are_still_linked(linker: ConceptLinker) -> None:
    assert iris(linker, "Recurrent falls at home.") == {FALLS}
    assert iris(linker, "She had a stroke at 9 years.") == {STROKE}
    assert iris(linker, "A tumor of the kidney.") == {NEOPLASM}
    assert iris(linker, "Finger clubbing.") == {CLUBBING}


# ---- 8: line and sentence marks beyond ASCII ------------------------------------------------
@pytest.mark.parametrize("mark", ["\u2026", "\uff0e", "\u3002", "\uff1b", "\uff01", "\uff1f"])
def test_wide_and_ellipsis_marks_end_phrases(linker: ConceptLinker, mark: str) -> None:
    table = scan(f"short{mark}stature")
    assert table.raws == ["short", mark, "stature"] and table.norms[1] == BREAK
    assert linker.link(f"Short{mark} stature tests are pending.") == []


@pytest.mark.parametrize("brk", ["\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"])
def test_other_line_breaks_are_line_tokens(linker: ConceptLinker, brk: str) -> None:
    table = scan(f"No seizures{brk}Short stature")
    assert table.raws == ["No", "seizures", brk, "Short", "stature"]
    assert table.norms[2] == BREAK
    assert linker.link(f"Short{brk}Stature clinic") == []
    assert scan("a\r\nB").raws == ["a", "\n", "B"]  # CRLF stays one line break


def test_a_bullet_ends_a_name(linker: ConceptLinker) -> None:
    assert linker.link("Short \u2022 stature clinic") == []


# ---- 9: combining accents and zero-width characters inside a word ------------------------
def test_decomposed_accents_and_zero_width_characters_stay_in_the_word(
    linker: ConceptLinker,
) -> None:
    text = unicodedata.normalize("NFD", "She has Sjögren syndrome.")
    (m,) = linker.link(text)
    assert m.iri == SJOGREN and text[m.start : m.end] == m.text
    assert m.text == unicodedata.normalize("NFD", "Sjögren syndrome")
    for joiner in ("\u200b", "\u200d", "\u2060", "\u200f", "\ufeff"):
        text = f"Marked hypo{joiner}tonia."
        (m,) = linker.link(text)
        assert (m.iri, m.text) == (HYPOTONIA, f"hypo{joiner}tonia")
        assert text[m.start : m.end] == m.text


# ---- 6: decimal commas -----------------------------------------------------------------------
def test_a_leading_zero_comma_and_a_decimal_comma_range_read_as_decimals() -> None:
    (low,) = read_lab_values("Magnesium 0,650 mmol/L (0,70-1,00 mmol/L).")
    assert (low.value, low.direction) == (0.65, "low")
    (low,) = read_lab_values("Calcium 2,075 mmol/L (2,10-2,55 mmol/L).")
    assert (low.value, low.direction) == (2.075, "low")
    (high,) = read_lab_values("Leukocytes 12,500 (4,000-11,000) per uL.")
    assert (high.value, high.direction) == (12500.0, "high")


# ---- 7: "since age N." at a sentence end ---------------------------------------------------
def test_since_age_at_the_end_of_a_sentence_is_an_onset() -> None:
    stated = read_onset("Ataxia since age 7. No other findings.")
    assert stated is not None and stated.text == "since age 7"
    stated = read_onset("Ataxia since the age of 7.")
    assert stated is not None and stated.text == "since the age of 7"
    assert read_onset("Ataxia since age 7.5 years.") is not None


# ---- 18: SD ranges, and a change of a measurement ----------------------------------------
def test_an_sd_range_is_read_whole() -> None:
    assert read_measurements("Height 121 cm (-1.5 to -2.5 SD).") == []
    (found,) = read_measurements("Height 121 cm (-2.2 to -2.8 SD).")
    assert found.curie == "HP:0004322" and found.statement == "-2.2 to -2.8 SD"
    (found,) = read_measurements("Height 121 cm, 2-3 SD below the mean.")
    assert found.curie == "HP:0004322"


def test_weight_gain_or_loss_is_no_weight() -> None:
    assert read_measurements("Weight gain of 2.5 SD below the expected.") == []
    assert read_measurements("Weight loss, -3 SD over a year.") == []
    (found,) = read_measurements("Weight loss stopped; weight -2.5 SD.")
    assert found.curie == "HP:0004325"


# ---- 19: spaCy spans are exactly the mentions -------------------------------------------------
def test_spacy_spans_are_the_mentions_where_a_token_holds_two(linker: ConceptLinker) -> None:
    spacy = pytest.importorskip("spacy")
    import encoders.spacy_component  # noqa: F401  (registers the factory)

    nlp = spacy.blank("en")
    nlp.add_pipe("kgfuse_linker").set_linker(linker)
    text = "Tone:hypotonia;areflexia, reviewed."
    doc = nlp(text)
    spans = list(doc.spans["kgfuse"])
    assert [(s.start_char, s.end_char) for s in spans] == [
        (m.start, m.end) for m in linker.link(text)
    ]
    assert [(s.text, s._.kgfuse_iri) for s in spans] == [
        ("hypotonia", HYPOTONIA),
        ("areflexia", AREFLEXIA),
    ]
    assert doc.text == text
