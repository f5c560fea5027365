"""Short names of diseases, as clinicians write them in questions.

A question names a disease by its eponym without the head word ("Is ectopia lentis part of
Marfan?", "Features of Pelizaeus-Merzbacher?"), also as a possessive ("Wilson's",
"Huntington's"); a numbered type with the word "type" in either numerals ("Stickler type 1"
for *Stickler syndrome, type I*, "Loeys-Dietz type 1" for *Loeys-Dietz syndrome 1*); or by the
initials of its label ("MSUD", "LHON", "CMT1A").
:func:`short_disease_names` gives these short forms of the KG's
disease labels as names of their diseases, kept only where a short form names one disease
(labels that differ only in their numerals, commas and case are one disease: the same entry
in two sources; the short form names the first of its nodes) and is no other name of the
KG. A one-word short form is no word of everyday English (:func:`everyday_words`: "Good",
"German", "Young", "Short" name no disease), and names a disease only as a proper name
(:func:`reads_as_a_disease`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from functools import lru_cache

from kg.lexicon import LexiconEntry
from kg.namespaces import KGV_DISEASE

__all__ = ["SYNONYM_TYPE", "everyday_words", "reads_as_a_disease", "short_disease_names"]

#: The synonym type of a short name, as the question linker's lexicon records it.
SYNONYM_TYPE = "kgfuse_short_name"
#: The head words a short name leaves out ("Marfan syndrome", "Canavan disease").
_HEAD = r"syndrome|disease|disorder|complex"
_NUMERAL = r"\d{1,2}[A-Z]?|[IVX]{1,5}[A-Z]?"
_LABEL = re.compile(
    rf"^(?P<stem>.{{4,}}?) (?P<head>{_HEAD})(?:,? (?:type )?(?P<num>{_NUMERAL}))?$",
    re.IGNORECASE,
)
_ROMAN = {"i": 1, "v": 5, "x": 10}
#: One name of a person, as a label's stem ("Leigh", "Wilson"; not "Charcot-Marie-Tooth").
_EPONYM = re.compile(r"[A-Z][a-z]{2,}[a-rt-z]")


def _arabic(numeral: str) -> str:
    """A type's numeral in arabic digits, its letter kept ("IV" -> "4", "1a" -> "1a")."""
    numeral = numeral.lower()
    m = re.match(r"\d+" if numeral[:1].isdigit() else "[ivx]+", numeral)
    digits = m.group(0) if m else ""
    letter = numeral[len(digits) :]
    if not digits:
        return numeral
    if digits.isdigit():
        return str(int(digits)) + letter
    total = 0
    for k, c in enumerate(digits):
        value = _ROMAN[c]
        following = _ROMAN[digits[k + 1]] if k + 1 < len(digits) else 0
        total += -value if value < following else value
    return str(total) + letter


def _roman(number: str) -> str | None:
    """An arabic type number as a roman numeral ("4a" -> "IVa"); None past 39."""
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyz")
    if not digits.isdigit() or not 0 < int(digits) < 40:
        return None
    n, out = int(digits), ""
    for value, sign in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + sign, n - value
    return out + number[len(digits) :]


def _key(label: str) -> str:
    """A label with its type's numeral in arabic digits, commas left out, case folded: the
    labels of one disease in two sources ("Stickler syndrome, type I", "Stickler syndrome
    type 1") share it."""
    m = _LABEL.match(label)
    if m is not None and m.group("num"):
        label = f"{m.group('stem')} {m.group('head')} type {_arabic(m.group('num'))}"
    return " ".join(label.replace(",", " ").split()).casefold()


def _short_forms(label: str) -> set[str]:
    """The short forms of one disease label (none when it has no head word)."""
    m = _LABEL.match(label)
    if m is None:
        return set()
    stem, head, num = m.group("stem"), m.group("head"), m.group("num")
    if not num:
        if _EPONYM.fullmatch(stem):  # "Wilson's", "Huntington's": the possessive eponym
            return {stem, f"{stem}'s"}  # (the linker reads "Leigh's syndrome" as its label)
        return {stem}
    arabic = _arabic(num)
    numerals = {arabic, *filter(None, [_roman(arabic)])}
    return {f"{stem}{h} type {n}" for n in numerals for h in ("", f" {head}")}


#: A numbered type at a label's end ("..., type 1A", "... 2", "... type IV").
_TYPE = re.compile(rf",? (?:type )?(?P<num>{_NUMERAL})$", re.IGNORECASE)
#: Words an acronym takes no letter of.
_UNLETTERED = frozenset(
    ("a", "an", "and", "by", "due", "for", "in", "of", "on", "or", "the", "to", "with")
)


def _initials(name: str) -> str | None:
    """The capitals of a name's words, its hyphened parts each a word ("Pelizaeus-Merzbacher
    disease": PMD); None for a name with a word that opens with no letter or a bracket, or
    fewer than three letters."""
    if "(" in name or "/" in name:
        return None
    letters = []
    for word in re.split(r"[\s-]+", name.strip()):
        if not word or word.casefold() in _UNLETTERED:
            continue
        if not word[0].isalpha() or not word[0].isascii():
            return None
        letters.append(word[0].upper())
    return "".join(letters) if 3 <= len(letters) <= 6 else None


def _acronyms(label: str) -> set[str]:
    """Acronyms of a disease label as clinicians write them: the initials of its words, with
    and without its head word ("Maple syrup urine disease": MSUD; "Leber hereditary optic
    neuropathy": LHON), four letters at least, or three with a numbered type written after
    them ("Charcot-Marie-Tooth disease, type 1A": CMT1A, "CMT type 1A")."""
    typed = _TYPE.search(label)
    name = label[: typed.start()] if typed else label
    if "," in name or re.search(r"\btype\b", name, re.IGNORECASE):
        return set()  # "Granulomatous disease, chronic, X-linked": no words in their order
    head = re.match(rf"^(?P<stem>.+?) (?:{_HEAD})$", name, re.IGNORECASE)
    found = set(filter(None, [_initials(name), _initials(head.group("stem")) if head else None]))
    if not typed:
        # three letters alone name too many things ("CTD", "PSC", "ALD" are read otherwise)
        return {a for a in found if len(a) >= 4}
    number = _arabic(typed.group("num")).upper()
    return {f"{a}{number}" for a in found} | {f"{a} type {number}" for a in found}


@lru_cache(maxsize=1)
def everyday_words() -> frozenset[str] | None:
    """Words of everyday English, lower case: the whole words of the default text encoder's
    WordPiece vocabulary ("good", "german", "young", "short"; not "marfan" or "angelman");
    None where it cannot be read."""
    from encoders.text import EncoderNotFoundError, default_encoder_path

    try:
        lines = (default_encoder_path() / "vocab.txt").read_text(encoding="utf-8").split()
    except (EncoderNotFoundError, OSError, UnicodeDecodeError):
        return None
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def short_disease_names(
    entries: Iterable[LexiconEntry], common: Collection[str] | None = frozenset()
) -> list[LexiconEntry]:
    """Lexicon entries of the short names of the diseases among ``entries`` (their labels),
    exact synonyms of :data:`SYNONYM_TYPE`; a short form that names several diseases, or that
    is a name of any node already, is left out, and so is a one-word one that is a word of
    ``common`` ("Good syndrome", "Young syndrome": :func:`everyday_words`; None: every
    one-word one)."""
    entries = list(entries)
    taken = {e.text.casefold() for e in entries}
    diseases: dict[str, set[str]] = defaultdict(set)  # label key -> IRIs
    named: dict[str, set[str]] = defaultdict(set)  # short form -> label keys
    written: dict[str, str] = {}
    for e in entries:
        if e.node_type == KGV_DISEASE and e.kind == "label":
            key = _key(e.text)
            diseases[key].add(e.iri)
            for form in _short_forms(e.text) | _acronyms(e.text):
                named[form.casefold()].add(key)
                written.setdefault(form.casefold(), form)
    out: list[LexiconEntry] = []
    for form, keys in sorted(named.items()):
        if len(keys) != 1 or form in taken:
            continue
        one_word = " " not in form and not written[form].isupper()  # "CHARGE" is its own
        if one_word and (common is None or form in common):
            continue  # "Good", "German", "Short": words before names
        (key,) = keys
        # one node of the disease (an OMIM entry before an Orphanet one, by IRI): an acronym
        # of two nodes is no acronym the linker reads; the question's answer covers the
        # others of the same name (QuestionEntityLinker's twins)
        first = min(diseases[key])
        out.append(LexiconEntry(first, written[form], "exact", SYNONYM_TYPE, KGV_DISEASE))
    return out


def reads_as_a_disease(question: str, start: int, end: int) -> bool:
    """Whether a one-word short name at ``start:end`` of a question is written as a proper
    name: with a capital, and, as the question's first word, set off by a mark after it
    ("Marfan: ...", "Angelman - ...": a capital there is the question's own)."""
    word = question[start:end]
    if not word[:1].isupper():
        return False
    if question[:start].strip() or (len(word) >= 3 and word.isupper()):
        return True  # an acronym is written so as its own (case is matched)
    return bool(re.match(r"\s*(?:[:;,?.!]|[-\u2013\u2014]\s|'s\b|\u2019s\b)", question[end:]))
