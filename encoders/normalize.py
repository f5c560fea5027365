"""Text normalisation shared by the concept dictionary and the text it is matched against.

Both sides go through the same functions, so a lossy step (folding British spellings, dropping
a plural ending) can only make two spellings of one word meet; it cannot make a dictionary
name unreachable. Normalisation is per token, so character offsets into the original text are
kept exactly.

Steps, in order, for one token:

1. Unicode compatibility folding and accent stripping (``Sjögren`` -> ``sjogren``).
2. Lower case.
3. Spelling folding of the Greek/Latin digraphs ``ae``/``oe`` inside a word
   (``oedema`` -> ``edema``, ``haemorrhage`` -> ``hemorrhage``).
4. Singular form by rule (regular English plurals and the common Latin/Greek ones of
   anatomy: ``vertebrae`` -> ``vertebra``, ``phalanges`` -> ``phalanx``, ``exostoses`` ->
   ``exostosis``; plural acronyms ``UTIs`` -> ``uti``).
5. A light stem (:func:`stem`): adjective and noun of one finding meet
   (``microcephalic``/``microcephaly``, ``dysmorphic``/``dysmorphism``), so do participles,
   verbs and action nouns (``delayed``/``delay``, ``mutilating``/``mutilation``).

A phrase is then the sequence of its normalised *content* tokens: stop words (articles,
most prepositions, possessive determiners) are dropped and punctuation splits words, so
``Self-mutilating behaviour``, ``self mutilating behavior`` and ``the self-mutilating
behaviours`` all give one key once spelling variants are folded.

A dictionary name is indexed under more keys than its own (:func:`phrase_variants`): other
word orders, curated lexical alternations (``decreased``/``reduced``, ``heart``/``cardiac``:
:data:`LEXICAL_ALTERNATIONS`) and the clinical phrasings of templated names (``Abnormal
brain morphology`` as ``brain malformation``, ``Inability to walk`` as ``cannot walk``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple, overload

__all__ = [
    "ABNORMALITY_HEADS",
    "BEHAVIOURAL_ADJECTIVES",
    "BREAK",
    "COMMA",
    "JOINERS",
    "LEXICAL_ALTERNATIONS",
    "LINE_BREAK",
    "MAX_CACHED_CHARS",
    "NOT_CONTRACTED",
    "STOPWORDS",
    "Token",
    "TokenTable",
    "content_tokens",
    "fold",
    "is_acronym",
    "lower_form",
    "normalize_token",
    "phrase_variants",
    "scan",
    "singularize",
    "stem",
    "tokenize",
]

#: Words dropped from names and text before matching: articles, most prepositions,
#: possessive determiners, possessive ``s`` and ``both`` (``contractures of both elbows``).
#: Conjunctions and negations are kept: they change meaning.
STOPWORDS: frozenset[str] = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "from",
        "with",
        "s",
        "both",
        "his",
        "her",
        "its",
        "their",
        # a dash standing alone ("Ptosis - no") and a sign in brackets ("(+)"): tokens for
        # the context rules, which names pass over as they did when they were no tokens
        "-",
        "+",
        "\u2013",
        "\u2014",
        "\u2212",
    }
)

#: Sentinel token text for punctuation that ends a phrase (a name never spans it).
BREAK = "\x00"

# Words (letters and digits) or one phrase-breaking punctuation mark. Hyphens, slashes and
# apostrophes split words but do not break a phrase. The tokens are the capture groups of a
# split (so the separators between them give their offsets); the ASCII form is faster and
# gives the same tokens on ASCII text.
#
# Phrase-breaking marks are the ASCII ones and their fullwidth and ideographic forms (a
# full stop, semicolon, exclamation and question mark, comma and colon), the ellipsis
# character (word processors write "..." as one) and the bullet: a name never spans them.
# Also phrase-breaking tokens: a line break that starts a new line of its own (a heading, a
# list item, a capitalised line: "no seizures\nExamination: hypotonia"); a line that goes
# on in lower case is a wrapped sentence and its break is a space. A line break is "\n", a
# carriage return that no "\n" follows (old Mac exports, HL7 v2 segments), NEL, VT, FF and
# the Unicode line and paragraph separators (JSON written by JavaScript); each one is a
# token of its own, as written. A dash standing alone
# ("Ptosis - no") and a sign in brackets ("hypotonia (+)", "seizures (-)") are tokens too,
# so the context rules can read them as a status. A word hyphenated at a line end
# ("hypo-\ntonia") and a word with soft hyphens are one token (read without them), and so
# is a word with combining accents (text in NFD, as macOS and some PDFs write it:
# "Scho\u0308nberg") or with zero-width characters inside it (a zero-width space or
# joiner, a word joiner, a direction mark, a BOM); offsets stay those of the text.
_PUNCT = (
    '[.,;:!?()\\[\\]{}<>"|\u201c\u201d\u2022\u00b7'
    "\u2026\uff0e\u3002\uff61\uff1b\uff01\uff1f\uff0c\uff1a\u3001]"
)
# (a carriage return is one only where no "\n" follows it: the lookbehind holds at a "\r"
# before a "\n"; one character class first is the fastest form of this test)
#
# Whether the line goes on in lower case is looked for past spaces, tabs and carriage
# returns: past all of them after any other line break, which starts no run of them (so
# each run is read once), but past at most :data:`_CR_LOOK` of them after a carriage return,
# which can be one of a run of them: every "\r" of 100,000 would read the run to its end
# (minutes). A longer run before a lower-case letter is rare; :func:`scan` finds each one
# (:data:`_LONG_WRAP_RE`) and reads the carriage returns in it as the unbounded test does.
_CR_LOOK = 64
_LINE = (
    r"[\n\r\x0b\x0c\x85\u2028\u2029](?<!\r(?=\n))"
    rf"(?:(?<!\r)(?![ \t\r]*[a-z])|(?<=\r)(?![ \t\r]{{0,{_CR_LOOK}}}[a-z]))"
)
# A run of spaces, tabs and carriage returns too long for that test, before a lower-case
# letter (only at the run's start, so each run is read once), and the test for one.
_LONG_WRAP_RE = re.compile(rf"(?<![ \t\r])[ \t\r]{{{_CR_LOOK + 1},}}(?=[a-z])")
_CR_RUN_RE = re.compile(rf"\r[ \t\r]{{{_CR_LOOK}}}")
_DASH = r"(?<=\s)[-\u2013\u2014](?=\s)|(?<=\()[-+\u2212](?=\))"
_WRAP = r"-[ \t]*\r?\n[ \t]*(?=[a-z])"
# Combining marks (diacritics, their extensions and supplements, marks for symbols, half
# marks) and the format characters that may sit inside a word without ending it.
_MARKS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
_INVISIBLE = "\u00ad\u200b-\u200f\u2060\ufeff"
_LETTERS = rf"[^\W_]+(?:{_MARKS}+[^\W_]*)*"
_SPLIT_RE = re.compile(
    rf"({_LETTERS}(?:(?:{_WRAP}|[{_INVISIBLE}]+){_LETTERS})*|{_PUNCT}|{_LINE}|{_DASH})"
)
_ASCII_SPLIT_RE = re.compile(
    r"([A-Za-z0-9]+(?:" + _WRAP + r"[A-Za-z0-9]+)*|" + _PUNCT + "|" + _LINE + "|" + _DASH + ")"
)
# The dash and sign tokens: their normalised form is themselves, a stop word (not a BREAK).
_SIGNS = frozenset({"-", "+", "\u2013", "\u2014", "\u2212"})
# What joins the parts of one word token and is no part of the word: a hyphen at a line
# end, a soft hyphen, a zero-width or direction mark.
_JOINS_RE = re.compile(rf"-[ \t]*\r?\n[ \t]*|[{_INVISIBLE}]")
# The same in two parts (each one is found faster on its own).
_WRAPS_RE = re.compile(r"-[ \t]*\r?\n[ \t]*")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
#: ANSI escape sequences (colours, cursor moves) that a note copied from a terminal holds.
_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
#: The token of a line break that starts a new line (phrase-breaking).
LINE_BREAK = "\n"

# Endings kept as they are: Latin/Greek singulars that end in s.
_KEEP_S = ("ss", "us", "is", "as", "os")
#: Words in -ys that are no plurals (the others are: "delays", "kidneys", "airways").
_NOT_PLURAL_YS = frozenset({"always", "sideways", "nowadays", "anyways", "lengthways"})

_IRREGULAR_PLURALS: dict[str, str] = {
    "teeth": "tooth",
    "feet": "foot",
    "children": "child",
    "men": "man",
    "women": "woman",
    "phalanges": "phalanx",
    "falanges": "phalanx",
    "halluces": "hallux",
    "irides": "iris",  # since linking version 55: "stellate pattern of the irides"
    "pollices": "pollex",
    "cervices": "cervix",
    "apices": "apex",
    "cortices": "cortex",
    "indices": "index",
    "vertices": "vertex",
    "testes": "testis",
    "ovaries": "ovary",
    "bronchi": "bronchus",
    "nuclei": "nucleus",
    "fungi": "fungus",
    "glomeruli": "glomerulus",
    "villi": "villus",
    "calculi": "calculus",
    "meninges": "meninx",
    "lumina": "lumen",
    "foramina": "foramen",
    "stomata": "stoma",
    "criteria": "criterion",
    "ganglia": "ganglion",
    "diverticula": "diverticulum",
    "septa": "septum",
    "atria": "atrium",
    "ostia": "ostium",
    "data": "datum",
    "lenses": "lens",
    "lens": "lens",  # not a plural: as "lenses" reads
    "thalami": "thalamus",
    "hippocampi": "hippocampus",
    "gyri": "gyrus",
    "sulci": "sulcus",
    "nevi": "nevus",
    # since linking version 48: "bilateral absent radii", "emboli", "metaphyses"
    "radii": "radius",
    "humeri": "humerus",
    "femora": "femur",
    "thrombi": "thrombus",
    "emboli": "embolus",
    "epiphyses": "epiphysis",
    "metaphyses": "metaphysis",
    "diaphyses": "diaphysis",
    "apophyses": "apophysis",
    "metastases": "metastasis",
    "naevi": "naevus",
    "alveoli": "alveolus",
    "fundi": "fundus",
    "lives": "life",
    "knives": "knife",
    "halves": "half",
    "calves": "calf",
    "leaves": "leaf",
    "shelves": "shelf",
}

#: Verbs in ``-en`` made from an adjective, by their stem: a participle or ``-ing`` noun of
#: one meets the adjective ("shortened femurs" and *Short femur*, "skin thickening" and
#: *Thick skin*).
_EN_VERBS = {
    "shorten": "short",
    "widen": "wide",
    "flatten": "flat",
    "thicken": "thick",
    "broaden": "broad",
    "deepen": "deep",
    "darken": "dark",
    "tighten": "tight",
    "loosen": "loose",
    "straighten": "straight",
}

#: ``-otic`` adjectives that also name what is normal: "the lumbar lordotic curve is
#: preserved" is no *Lumbar hyperlordosis*.
_OTIC_KEPT = frozenset({"lordotic"})

#: Adverbs of degree, by the adjective that names a finding's degree: "profoundly deaf" and
#: *Profound hearing impairment*. Not "highly": "high" is a word of many names (*High
#: palate*, "high arch"), and "highly arched" or "highly variable" would read them.
_DEGREE_ADVERBS = {
    "mildly": "mild",
    "moderately": "moderate",
    "severely": "severe",
    "profoundly": "profound",
    "markedly": "marked",
}

# Words whose ending looks derivational but is not the noun or adjective of a finding (an
# ``-ism`` of a noun: ``alcoholism``; an ``-tion`` whose stem is another word: ``traction``,
# or whose participle names a procedure: ``aspirated``).
_KEEP_DERIVED = frozenset(
    {
        "organism",
        "microorganism",
        "mechanism",
        "criticism",
        "alcoholism",
        "aldosteronism",
        "blindism",
        "negativism",
        "automatism",
        "isomerism",
        "parkinsonism",
        "mutism",  # not "mut" ("280 mut/Mb" is a tumour's mutation count)
        "traction",
        "production",
        "direction",
        "transition",
        "lactation",
        "function",
        "position",
        "condition",
        "collection",
        "aspiration",
        # a cell's stain or kind, not a raised count: "eosinophilic inclusions", "basophilic
        # stippling" and "neutrophilic infiltrate" are not Eosinophilia, Basophilia or
        # Neutrophilia
        "eosinophilic",
        "basophilic",
        "neutrophilic",
        "acidophilic",
    }
)

# Spelling variants beyond the ae/oe digraphs, folded to one form.
_SPELLINGS: dict[str, str] = {
    "dilatation": "dilation",
    "dilatations": "dilation",
    "distension": "distention",
    "grey": "gray",
    "greying": "graying",
    "greyish": "grayish",
    "ageing": "aging",
    # a test's name written out reads as its acronym ("Electromyogram showed ...": EMG)
    "electromyogram": "emg",
    "electromyography": "emg",
    "electroencephalogram": "eeg",
    "electroencephalography": "eeg",
    # an ordinal in digits reads as in words: "the 2nd and 3rd toes" is "second and third toes"
    **{
        digits: word
        for digits, word in zip(
            ("1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "11th", "12th"),
            ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
             "tenth", "eleventh", "twelfth"),
            strict=True,
        )
    },
}  # fmt: skip

_ACRONYM_RE = re.compile(r"^[A-Z][A-Z0-9]*[A-Z0-9]$|^[A-Z]{2,}s$")


class Token(NamedTuple):
    """One token of a text (a named tuple: tokenisation is on the hot path).

    Attributes:
        start: offset of the first character in the original text.
        end: offset one past the last character.
        raw: the token as written.
        norm: normalised form (``BREAK`` for phrase-breaking punctuation).
    """

    start: int
    end: int
    raw: str
    norm: str

    @property
    def is_break(self) -> bool:
        """Whether the token is punctuation that ends a phrase."""
        return self.norm == BREAK


#: The longest token whose normalised and folded forms are cached (:func:`normalize_token`,
#: :func:`fold`, :func:`scan`): no dictionary word is near it (HPO's longest is 29
#: characters), and a longer one is text no dictionary name matches, which a client can send
#: at will (a 100,000-character "word" kept ~0.3 MB in the caches).
MAX_CACHED_CHARS = 64


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_fold_cached = lru_cache(maxsize=1 << 17)(_fold)


def fold(text: str) -> str:
    """Unicode-fold and lower-case ``text`` (accents stripped, compatibility forms unified)."""
    return _fold_cached(text) if len(text) <= MAX_CACHED_CHARS else _fold(text)


def singularize(word: str) -> str:
    """Singular form of a lower-case English or Latin/Greek plural, by rule.

    The rules are deliberately conservative: a word that does not look like a plural is
    returned unchanged. They need not be linguistically perfect, only applied identically
    to dictionary names and text.

    Args:
        word: a lower-case word.

    Returns:
        The singular form.
    """
    irregular = _IRREGULAR_PLURALS.get(word)
    if irregular is not None:
        return irregular
    n = len(word)
    if n <= 3:
        return word
    if word.endswith("thoraces"):  # pneumothoraces, hemothoraces
        return word[:-4] + "ax"
    if word.endswith("ae") and n > 4:  # vertebrae, fibulae, bullae, striae
        return word[:-1]
    if word.endswith("ses") and n > 5 and word[-4] == "o":  # exostoses, synostoses
        return word[:-2] + "is"
    if word.endswith("ies") and n > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith(("ias", "mas")) and n > 5:  # dysplasias, hernias, carcinomas
        return word[:-1]
    if word.endswith("neas") and n > 5:  # apneas, hypopneas, corneas (since linking 55)
        return word[:-1]
    if word.endswith("s") and not word.endswith(_KEEP_S) and word not in _NOT_PLURAL_YS:
        return word[:-1]
    return word


def _tion(word: str) -> str:
    """``-tion`` noun to the stem of its participles: ``mutilation`` -> ``mutilat``."""
    if len(word) > 7 and word.endswith("tion") and word not in _KEEP_DERIVED:
        return word[:-3]
    return word


def stem(word: str) -> str:
    """Fold derivational and inflectional endings of a singular lower-case word.

    Adjectives and nouns of one finding meet (``microcephalic``/``microcephaly``,
    ``hypotonic``/``hypotonia``, ``dysplastic``/``dysplasia``, ``dysmorphic``/``dysmorphism``,
    ``epileptic``/``epileptiform``), so do participles and their verbs (``delayed``/``delay``,
    ``sloping``/``sloped``, ``atrophied``/``atrophy``) and action nouns in ``-tion``
    (``mutilating``/``mutilation``, ``dilated``/``dilation``), ``-ified`` participles and
    their ``-ification`` nouns (``calcified``/``calcification``), ``-otic`` adjectives and
    their ``-osis`` nouns (``stenotic``/``stenosis``, ``sclerotic``/``sclerosis``), ``-en``
    verbs, their participles and ``-ing`` nouns their adjective (``shortened``/``short``),
    adverbs of degree theirs (``severely``/``severe``), ``subluxed`` its noun
    (``subluxation``), and ``disturbance`` its verb's (``disturbed``). Only words longer
    than five letters are touched, but for the ``-en`` verbs (``widen``).

    Args:
        word: a singular lower-case word.

    Returns:
        The stem (not necessarily a word).
    """
    if word in _EN_VERBS:
        return _EN_VERBS[word]  # straighten -> straight (as straightened)
    if len(word) <= 5 or not word.isalpha():
        return word
    if word in _KEEP_DERIVED:
        return word
    if word in _DEGREE_ADVERBS:
        return stem(_DEGREE_ADVERBS[word])  # severely -> sever (as severe)
    if word.endswith("ification"):
        # calcification -> calcify (as calcified and calcify below); not "specif", the
        # stem of "specific"
        return word[:-9] + "ify"
    if word.endswith("otic") and word not in _OTIC_KEPT:
        # stenotic -> stenosis, as the noun stays; not "steno": "poliosis" would be "polio"
        return word[:-4] + "osis"
    if word == "disturbance":
        return "disturb"  # as disturbed: "disturbed sleep" and *Sleep disturbance*
    if word.endswith("uxed"):
        return word[:-2] + "at"  # subluxed -> subluxat (as subluxation, subluxating)
    if word.endswith("ing"):
        word = word[:-3]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "ls":
            word = word[:-1]  # thinning -> thin
        return _EN_VERBS.get(word) or _tion(word).removesuffix("e")
    if word.endswith("ied"):
        word = word[:-3] + "y"  # atrophied -> atrophy, then as a noun below
    elif word.endswith("ed"):
        word = word[:-2]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "ls":
            word = word[:-1]  # thinned -> thin
        # shortened -> short; malpositioned -> malposit
        return _EN_VERBS.get(word) or _tion(word).removesuffix("e")
    if word.endswith("tion"):
        return _tion(word)  # mutilation -> mutilat (as mutilating, mutilated)
    if word.endswith("iform") and len(word) > 9:
        return word[:-5]  # epileptiform -> epilept (as epileptic); not fusiform
    if word.endswith("ism") and not word.endswith("ionism"):
        # dysmorphism -> dysmorph (dysmorphic, dysmorphia); not an -ism of a noun in -ion
        # (collectionism, exhibitionism: their base is another word).
        return word[:-3]
    if word.endswith("stic"):
        return word[:-3]  # dysplastic -> dysplas
    if word.endswith("philia"):
        # a raised count, not its cell: "neutrophils" (-> neutrophil) are not Neutrophilia
        return word
    if word.endswith(("ia", "ic")):
        return word[:-2]  # hypotonia, hypotonic -> hypoton
    if word.endswith(("ly", "hy")):
        return word[:-1]  # microcephaly -> microcephal, myopathy -> myopath
    return word.removesuffix("e")  # decrease, decreased -> decreas


def normalize_token(raw: str) -> str:
    """The normalised form of one word token (see the module docstring).

    Args:
        raw: the token as written.

    Returns:
        The normalised token; ``BREAK`` for punctuation.
    """
    return _normalized(raw) if len(raw) <= MAX_CACHED_CHARS else _normalize(raw)


def _normalize(raw: str) -> str:
    if not raw[0].isalnum():
        return raw if raw in _SIGNS else BREAK
    if "\n" in raw or not raw.isascii():
        # "hypo-\ntonia", "hypo\u00adtonia", "hypo\u200btonia": one word
        raw = _JOINS_RE.sub("", raw)
    if len(raw) > 2 and raw[-1] == "s" and raw[:-1].isupper():
        raw = raw[:-1]  # plural acronym: UTIs -> UTI
    word = fold(raw)
    if len(word) > 3 and ("ae" in word or "oe" in word):
        # Fold ae/oe digraphs inside a word (not at its end: "toe", "vertebrae").
        head, tail = word[:-2], word[-2:]
        word = head.replace("ae", "e").replace("oe", "e") + tail
    word = _SPELLINGS.get(word, word)
    if _BRITISH_RE.search(word):
        word = _american(word)
    return stem(singularize(word))


# British spellings of clinical words, read as HPO writes them (American): -our, -re, -ise /
# -isation, -yse, leuco-, sulph-, -oea ("tumour", "fibre", "generalised", "paralysed",
# "leucopenia", "sulphate", "diarrhoea"). Index and text are normalised alike, so a rule that
# reaches a word with no American form only renames it on both sides.
_BRITISH_RE = re.compile(r"our|re[sd]?$|is(?:e[sd]?|ing|ation)|ys(?:e[sd]?|ing)|^leuco|^sulph|oea$")
_BRITISH_RULES = (
    (re.compile(r"^(tum|behavi|col|od|lab|vap|hum)our"), r"\1or"),
    (re.compile(r"^(fib|cent|lit|met|calib|sab|lust|maneuv|manoeuv)re([sd]?)$"), r"\1er\2"),
    # -ise after a stem of four letters or more that is not itself a word in -ise
    (
        re.compile(
            r"^(?!(?:exerc|superv|advert|comprom|enterpr|improv|surpr|expert|otherw|prom|telev"
            r"|franch|merchand|chast|disgu|circumc|conc|prec|exc|inc|dev|rev|desp|adv|prem)is)"
            r"([a-z]{4,})is(e[sd]?|ing|ation|ations)$"
        ),
        r"\1iz\2",
    ),
    (re.compile(r"^(paral|anal|dial|hydrol|catal)ys(e[sd]?|ing)$"), r"\1yz\2"),
    (re.compile(r"^leuco"), "leuko"),
    (re.compile(r"^sulph"), "sulf"),
    (re.compile(r"oea$"), "ea"),
)


def _american(word: str) -> str:
    for pattern, replacement in _BRITISH_RULES:
        word = pattern.sub(replacement, word)
    return word


_normalized = lru_cache(maxsize=1 << 17)(_normalize)


class TokenTable(Sequence[Token]):
    """The tokens of a text as columns (raw and normalised forms, lower case, offsets).

    What :func:`scan` returns: the linker's hot path reads the columns; indexing gives
    :class:`Token` tuples like :func:`tokenize`. Character offsets are worked out when
    first asked for (:meth:`char_spans` gives those of a few token ranges only).

    Attributes:
        raws: each token as written.
        norms: normalised forms (``BREAK`` for phrase-breaking punctuation).
        lowers: each token folded to lower case (:func:`fold`).
    """

    __slots__ = ("_ends", "_parts", "_starts", "lowers", "norms", "raws")

    def __init__(
        self, parts: list[str], raws: list[str], norms: list[str], lowers: list[str]
    ) -> None:
        # parts: the text split into separator, token, separator, ..., token, separator.
        self._parts, self.raws, self.norms, self.lowers = parts, raws, norms, lowers
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None

    def with_norms(self, norms: list[str]) -> TokenTable:
        """The same tokens with other normalised forms (one per token), for matching."""
        if len(norms) != len(self.norms):
            raise ValueError(f"{len(norms)} normalised forms for {len(self.norms)} tokens")
        return TokenTable(self._parts, self.raws, norms, self.lowers)

    def touching(self, j: int) -> tuple[bool, bool]:
        """Whether token ``j`` is written against the token before it, and the one after it
        (no space or other separator between)."""
        return not self._parts[2 * j], not self._parts[2 * j + 2]

    def separator_before(self, j: int) -> str:
        """What is written between token ``j`` and the one before it (the text's start for
        the first): ``" -"`` before the ``ve`` of "seizures -ve"."""
        return self._parts[2 * j]

    def _offsets(self) -> None:
        offsets = list(itertools.accumulate(map(len, self._parts), initial=0))
        self._starts, self._ends = offsets[1:-1:2], offsets[2::2]

    @property
    def starts(self) -> list[int]:
        """Offset of each token's first character."""
        if self._starts is None:
            self._offsets()
        return self._starts  # type: ignore[return-value]

    @property
    def ends(self) -> list[int]:
        """Offset one past each token's last character."""
        if self._ends is None:
            self._offsets()
        return self._ends  # type: ignore[return-value]

    def after(self, k: int) -> str:
        """The text between token ``k`` and the next one (after the last: to the end)."""
        return self._parts[2 * k + 2]

    def char_spans(self, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """Character offsets ``(start, end)`` of token ranges ``[i, j)``.

        Sums the lengths of the text's parts once up to the last range when the ranges
        come in order of ``i``, so a few ranges cost less than every token's offsets.
        """
        parts = self._parts
        out = []
        pos = at = 0  # pos: offset of parts[at]
        for i, j in spans:
            first = 2 * i + 1  # the token's index in parts
            if first < at:
                pos = at = 0  # out of order: sum again from the start
            pos += sum(map(len, parts[at:first]))
            at = first
            out.append((pos, pos + sum(map(len, parts[first : 2 * j]))))
        return out

    def __len__(self) -> int:
        return len(self.raws)

    @overload
    def __getitem__(self, k: int) -> Token: ...

    @overload
    def __getitem__(self, k: slice) -> list[Token]: ...

    def __getitem__(self, k: int | slice) -> Token | list[Token]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        return Token(self.starts[k], self.ends[k], self.raws[k], self.norms[k])


# Raw token -> normalised form, for scan(); cleared when it outgrows _NORMS_MAX. Tokens
# longer than MAX_CACHED_CHARS are not kept.
_NORMS: dict[str, str] = {}
_NORMS_MAX = 1 << 18


def scan(text: str) -> TokenTable:
    """Tokenise ``text`` into columns (see :class:`TokenTable`); same tokens as
    :func:`tokenize`.

    Args:
        text: any text.
    """
    # C-level calls only: this runs on every character of every document. A split with
    # the tokens as capture groups keeps the separators, whose lengths give offsets.
    if "\x1b" in text:  # a terminal's colour codes ("\x1b[31mSeizures"): blanks of their length
        text = _ANSI_RE.sub(lambda m: " " * len(m.group()), text)
    ascii_text = text.isascii()
    parts = (_ASCII_SPLIT_RE if ascii_text else _SPLIT_RE).split(text)
    if "\r" in text and _CR_RUN_RE.search(text) is not None:
        parts = _long_wraps(text, parts)
    if "\n" in text and _WRAP_CANDIDATE_RE.search(text) is not None:
        parts = _list_line_breaks(text, parts)
    raws = parts[1::2]
    # A plain dict lookup is cheaper than the lru_cache wrapper; misses are rare.
    norms = list(map(_NORMS.get, raws))
    short = True  # every token is short enough to cache (as every one in _NORMS is)
    if None in norms:
        if len(_NORMS) > _NORMS_MAX:
            _NORMS.clear()
        for k, norm in enumerate(norms):
            if norm is None:
                raw = raws[k]
                norms[k] = found = normalize_token(raw)
                if len(raw) <= MAX_CACHED_CHARS:
                    _NORMS[raw] = found
                else:
                    short = False
    if "A" in raws:
        _capital_a(raws, norms)  # type: ignore[arg-type]  # (every None was filled above)
    if "S" in raws:
        _capital_s(parts, raws, norms)  # type: ignore[arg-type]
    lowers = list(map(str.lower if ascii_text else _fold_cached if short else fold, raws))
    if _WRAPS_RE.search(text) is not None or (
        not ascii_text and _INVISIBLE_RE.search(text) is not None
    ):
        lowers = [
            lower_form(raw) if len(raw) > 1 else low for raw, low in zip(raws, lowers, strict=True)
        ]
    if "t" in lowers:
        _contracted_not(parts, lowers, norms)  # type: ignore[arg-type]
    return TokenTable(parts, raws, norms, lowers)  # type: ignore[arg-type]


#: A verb contracted with "n't", as the tokens split it ("doesn't" -> "doesn", "t"), and the
#: verb in full.
NOT_CONTRACTED: dict[str, str] = {
    "doesn": "does", "don": "do", "didn": "did", "isn": "is", "wasn": "was", "weren": "were",
    "aren": "are", "hasn": "has", "haven": "have", "hadn": "had", "can": "can",
    "couldn": "could", "won": "will", "wouldn": "would", "shouldn": "should",
    "mustn": "must", "needn": "need",
}  # fmt: skip
_APOSTROPHES = frozenset({"'", "\u2019", "`", "\u2032"})


def _contracted_not(parts: list[str], lowers: list[str], norms: list[str]) -> None:
    """Read a contracted "n't" in full, in the lower-case forms every reader reads ("didn't
    crawl until" as "did not crawl until") and in the normalised forms names match ("can't
    walk" as "can not walk", which *Inability to walk* is also named). Only a "t" written against
    an apostrophe after one of :data:`NOT_CONTRACTED`'s verbs is one (since linking version
    54; version 53 read it in the negation rules alone)."""
    for j in range(1, len(lowers)):
        if lowers[j] == "t" and lowers[j - 1] in NOT_CONTRACTED and parts[2 * j] in _APOSTROPHES:
            verb = lowers[j - 1] = NOT_CONTRACTED[lowers[j - 1]]
            lowers[j] = "not"
            norms[j - 1], norms[j] = normalize_token(verb), normalize_token("not")


#: The normalised form of a capital "A" inside a phrase: a name's letter ("vitamin A", "type
#: A", "immunoglobulin A"), not the article, which is a stop word.
CAPITAL_A = "A"


def _capital_a(raws: list[str], norms: list[str]) -> None:
    """Read a capital "A" after a word of the same phrase as the letter it names ("Low levels
    of vitamin A", "Postaxial polydactyly type A"), not as the article "a": dropped as a stop
    word, it made "low vitamin levels" *vitamin A* and "type B" *type A*. At a phrase's start
    ("A boy with ...") it stays the article."""
    for k, raw in enumerate(raws):
        if raw == "A" and k and norms[k - 1] != BREAK:
            norms[k] = CAPITAL_A


#: The normalised form of a capital "S" before a hyphen: a name's letter ("S-shaped",
#: "S-cone", "S-adenosylmethionine"), not the possessive "'s", which is a stop word.
CAPITAL_S = "S"
#: The letters names give that are otherwise stop words (see :func:`phrase_variants`).
NAME_LETTERS = (CAPITAL_A, CAPITAL_S)


def _capital_s(parts: list[str], raws: list[str], norms: list[str]) -> None:
    """Read a capital "S" written against a hyphen ("S-shaped palpebral fissures", "S-cone
    monochromacy") as the letter it names, not as the possessive "'s": dropped as a stop
    word, it made "S-cone monochromacy" *Cone monochromacy*."""
    for k, raw in enumerate(raws):
        if raw == "S" and parts[2 * k + 2].startswith("-"):
            norms[k] = CAPITAL_S


def _long_wraps(text: str, parts: list[str]) -> list[str]:
    """``parts`` of a split of ``text`` with the carriage returns that a run of more than
    :data:`_CR_LOOK` spaces, tabs and carriage returns before a lower-case letter follows
    read as the unbounded test reads them: a line that goes on, so no tokens (they join the
    separators around them)."""
    # Each run [start, end): a "\r" at i in it has end - i - 1 of them after it.
    spans = [(m.start(), m.end() - _CR_LOOK - 1) for m in _LONG_WRAP_RE.finditer(text)]
    if not spans:
        return parts
    out: list[str] = []
    separator = [parts[0]]
    pos = len(parts[0])  # offset of the token parts[k]
    j = 0
    for k in range(1, len(parts), 2):
        token = parts[k]
        while j < len(spans) and spans[j][1] <= pos:
            j += 1
        if token == "\r" and j < len(spans) and spans[j][0] <= pos:
            separator.append(token)
        else:
            out.append("".join(separator))
            out.append(token)
            separator = []
        separator.append(parts[k + 1])
        pos += len(token) + len(parts[k + 1])
    out.append("".join(separator))
    return out


#: A line break before a line that goes on in lower case (read as a wrapped sentence).
_WRAP_CANDIDATE_RE = re.compile(r"\n(?=[ \t\r]*[a-z])")
#: The longest line (stripped, in characters) read as an item of a list written one item
#: a line without bullets; lines of wrapped prose are longer.
LIST_LINE_CHARS = 40
#: Words that leave a line unfinished: the next line goes on with the sentence ("She has
#: no\nseizures", "hypotonia and\nseizures", "she does not have\nseizures").
_LINE_GOES_ON = frozenset(
    {
        *("a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "from", "with"),
        *("without", "and", "or", "nor", "but", "no", "not", "any", "his", "her", "their"),
        *("has", "had", "have", "is", "was", "were", "are", "be", "been", "showed", "shows"),
        *("revealed", "reveals", "presented", "denies", "denied", "reported", "including"),
        *("mild", "moderate", "severe", "marked", "profound", "bilateral", "left", "right"),
    }
)
#: Words that go on with the line before them ("seizures\nand ataxia").
_LINE_CONTINUES = frozenset(
    {
        *("and", "or", "nor", "but", "with", "without", "of", "in", "to", "for", "at"),
        *("by", "from", "on", "who", "which", "that", "as", "than", "since", "after"),
    }
)
_LAST_WORD_RE = re.compile(r"([A-Za-z]+)\W*$")
_FIRST_WORD_RE = re.compile(r"[a-z]+")


def _short_line(line: str) -> bool:
    return 0 < len(line) <= LIST_LINE_CHARS


def _list_line_breaks(text: str, parts: list[str]) -> list[str]:
    """``parts`` with the line breaks of a list written one item a line, without bullets
    and in lower case ("Problems:\nhypotonia\nseizures\nmicrocephaly"), made tokens of
    their own: read as a wrapped sentence, "hypotonia seizures" was *Atonic seizure*.

    A break before a line in lower case is such a list's when the two lines around it are
    short (:data:`LIST_LINE_CHARS`) in a run of at least three short lines, the line
    before it does not leave its sentence unfinished (a comma, a hyphen, a word of
    :data:`_LINE_GOES_ON`; a heading's colon starts the list) and the line after it does
    not go on with it (:data:`_LINE_CONTINUES`). Wrapped prose has longer lines: its breaks
    stay spaces.
    """
    chosen: set[int] = set()
    for match in _WRAP_CANDIDATE_RE.finditer(text):
        pos = match.start()
        start = text.rfind("\n", 0, pos) + 1
        before = text[start:pos].strip()
        end = _line_end(text, pos + 1)
        after = text[pos + 1 : end].strip()
        if not (_short_line(before) and _short_line(after)) or before[-1] in ",-":
            continue
        last = _LAST_WORD_RE.search(before)
        heading = before.endswith(":")  # "Negative for:": the list starts on the next line
        if not heading and last is not None and last.group(1).lower() in _LINE_GOES_ON:
            continue
        first = _FIRST_WORD_RE.match(after)
        if first is not None and first.group() in _LINE_CONTINUES:
            continue
        earlier = text[text.rfind("\n", 0, start - 1) + 1 : start - 1].strip() if start else ""
        later = text[end + 1 : _line_end(text, end + 1)].strip() if end < len(text) else ""
        if _short_line(earlier) or _short_line(later):
            chosen.add(pos)
    if not chosen:
        return parts
    out: list[str] = []
    pos = 0  # offset of parts[k]
    for k, part in enumerate(parts):
        if k % 2 == 0 and "\n" in part:
            piece = 0
            for at in sorted(p - pos for p in chosen if pos <= p < pos + len(part)):
                out.extend((part[piece:at], "\n"))
                piece = at + 1
            out.append(part[piece:])
        else:
            out.append(part)
        pos += len(part)
    return out


def _line_end(text: str, start: int) -> int:
    """Where the line that goes on at ``start`` ends (its "\n", or the text's end)."""
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def lower_form(raw: str) -> str:
    """A token folded to lower case (:func:`fold`), without the hyphen of a line end, soft
    hyphens or zero-width characters that join its parts ("hypo-\\ntonia" -> "hypotonia"):
    :attr:`TokenTable.lowers`."""
    if "\n" in raw or not raw.isascii():
        raw = _JOINS_RE.sub("", raw)
    return fold(raw)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word tokens and phrase-breaking punctuation, with offsets.

    Args:
        text: any text.

    Returns:
        The tokens in order; punctuation tokens have ``norm == BREAK``.
    """
    table = scan(text)
    return list(
        map(
            tuple.__new__,
            itertools.repeat(Token),
            zip(table.starts, table.ends, table.raws, table.norms, strict=True),
        )
    )


def content_tokens(text: str) -> tuple[str, ...]:
    """Normalised content tokens of a name or phrase (stop words and punctuation dropped).

    Args:
        text: a name or phrase.

    Returns:
        The key under which the phrase is matched.
    """
    return tuple(t.norm for t in tokenize(text) if t.norm != BREAK and t.norm not in STOPWORDS)


def is_acronym(text: str) -> bool:
    """Whether ``text`` looks like an acronym (``GERD``, ``VSD``, ``UTIs``): match it by case.

    Args:
        text: one word as written.
    """
    return bool(_ACRONYM_RE.match(text))


def _hyphen_joined(text: str) -> tuple[str, ...] | None:
    """Content tokens with hyphenated compounds written as one word (``down-slanting``)."""
    if "-" not in text:
        return None
    joined = re.sub(r"(?<=[^\W_])-(?=[^\W_])", "", text)
    return content_tokens(joined)


_DIRECTION_PREFIX_RE = re.compile(r"\b(up|down|over|under)([a-z]{4,})\b")
#: Compounds of the body that texts also write as two words ("ear lobes", "eye brows",
#: "toe nails", "hair line"), where the names write one.
_BODY_COMPOUND_RE = re.compile(
    r"\b(ear)(lobe)|\b(eye)(brow|lash|lid)|\b(toe|finger)(nail|tip)|\b(hair)(line)\b"
)


def _compound_split(text: str) -> tuple[str, ...] | None:
    """Content tokens with the body's compounds written as two words (``ear lobe``)."""
    folded = fold(text)
    if _BODY_COMPOUND_RE.search(folded) is None:
        return None
    return content_tokens(
        _BODY_COMPOUND_RE.sub(lambda m: " ".join(g for g in m.groups() if g), folded)
    )


#: Combining forms that text also writes before a hyphen ("tracheo-oesophageal fistula",
#: "hepato-splenomegaly", "psycho-motor retardation"), where the names write one word.
_COMBINING_FORM_RE = re.compile(
    r"\b(tracheo|hepato|spleno|gastro|vesico|cardio|cranio|facio|oculo|ventriculo|cerebello"
    r"|thoraco|pharyngo|laryngo|broncho|oesophago|esophago|entero|spondylo|osteo|chondro"
    r"|neuro|psycho)([a-z]{4,})\b"
)


def _combining_split(text: str) -> tuple[str, ...] | None:
    """Content tokens with a compound of a combining form written as two words
    (``Tracheoesophageal`` as ``tracheo-esophageal``, ``tracheo-oesophageal``)."""
    lowered = text.lower()
    split = _COMBINING_FORM_RE.sub(r"\1 \2", lowered)
    return content_tokens(split) if split != lowered else None


def _prefix_split(text: str) -> tuple[str, ...] | None:
    """Content tokens with compounds of a direction written as two words, as text writes
    them with a hyphen or a space (``Downturned`` as ``down-turned``, ``Upslanted`` as ``up
    slanted``)."""
    folded = fold(text)
    split = _DIRECTION_PREFIX_RE.sub(r"\1 \2", folded)
    return content_tokens(split) if split != folded else None


#: The token a name's own comma leaves in one of its keys ("Intellectual disability, severe").
COMMA = ","


#: Prefix of a key token that stands for a mark written inside a word group (:func:`tight_mark`).
MARK = "\x01"


def tight_mark(tokens: TokenTable, j: int) -> str | None:
    """The key token of the mark at ``j`` when names write it inside their words: a colon
    with no space around it (``lactate:pyruvate``, ``CD4:CD8``), a comma or point between
    digits (``1,5-anhydroglucitol``, ``0.4``), or a colon after a test's name (``EMG:
    myopathic abnormalities``, its own key token); None for any other token."""
    norms, lowers = tokens.norms, tokens.lowers
    if not 0 < j < len(norms) - 1 or norms[j] != BREAK or norms[j - 1] == BREAK:
        return None
    mark = lowers[j]
    before, after = tokens.touching(j)
    if not before:
        return None
    if mark == ":":
        return MARK + (":" if after else ": ")
    if after and mark in (",", ".") and lowers[j - 1][-1:].isdigit():
        return MARK + mark if lowers[j + 1][:1].isdigit() else None
    return None


def _mark_key(text: str) -> tuple[str, ...] | None:
    """Content tokens of a name written with marks inside its word groups, each mark kept as
    its :func:`tight_mark` token (other keys drop it, and never read across one in text);
    None for a name without such a mark or with other punctuation."""
    tokens = scan(text)
    key: list[str] = []
    for j, norm in enumerate(tokens.norms):
        if norm == BREAK:
            mark = tight_mark(tokens, j)
            if mark is None:
                return None
            key.append(mark)
        elif norm not in STOPWORDS:
            key.append(norm)
    return tuple(key) if len(key) > len(content_tokens(text)) else None


def _comma_key(text: str) -> tuple[str, ...] | None:
    """Content tokens of a name written with its commas (``Intellectual disability, severe``,
    ``Soft, doughy skin``), each comma kept as :data:`COMMA`: text that lists the name as it
    is written matches it whole (other keys drop the comma and never span one in text)."""
    if ", " not in text:
        return None
    parts = [content_tokens(part) for part in text.split(", ")]
    if len(parts) > 3 or not all(parts):
        return None
    key = parts[0]
    for part in parts[1:]:
        key += (COMMA, *part)
    return key


def _of_inversion(text: str) -> tuple[str, ...] | None:
    """``head of the modifier`` written as ``modifier head`` (``dysplasia of the hip``)."""
    words = fold(text).split()
    if words.count("of") != 1:
        return None
    i = words.index("of")
    head, modifier = " ".join(words[:i]), " ".join(words[i + 1 :])
    if not head or not modifier:
        return None
    return content_tokens(f"{modifier} {head}")


#: Words that name one modification of a finding in a name and in text: a name written
#: with one is also indexed under the others (``Decreased muscle mass`` under ``reduced
#: muscle mass``; ``Heart defect`` under ``cardiac defect``). Organ adjectives are listed
#: only where they mean the organ itself (``cerebral`` is not ``brain`` in HPO).
LEXICAL_ALTERNATIONS: tuple[tuple[str, ...], ...] = (
    ("decreased", "reduced", "diminished", "attenuated", "reduction"),
    ("limited", "restricted"),
    ("increased", "elevated", "raised"),
    ("multiple", "numerous", "several", "innumerable"),
    ("enlarged", "dilated"),
    ("enlarged", "large"),
    ("enlargement", "dilation"),
    ("difficulty", "problem", "prob"),  # "prob": since linking version 54
    ("impairment", "deficit"),
    ("alteration", "change"),
    ("poor", "weak"),
    ("dislocation", "luxation"),
    ("dislocated", "luxated"),
    ("unsteady", "unstable"),
    ("atrophy", "wasting"),
    ("ventricular", "ventricle"),
    ("atrial", "atrium"),  # since linking version 63: "the left atrium is dilated"
    ("syncope", "syncopal"),
    ("set", "seated"),
    ("based", "base"),
    ("loss", "lost", "lose", "losing"),
    ("wide", "broad"),
    ("limb", "extremity"),
    ("heart", "cardiac"),
    ("kidney", "renal"),
    ("liver", "hepatic"),
    ("lung", "pulmonary"),
    # since linking version 53: "attacks of fever", "fever attacks" (*Episodic fever*)
    ("episodic", "attacks"),
    # since linking version 54, a referral's short forms: "bilat ptosis", "abdo pain",
    # "involuntary mvts" (and "swallowing probs" above)
    ("bilateral", "bilat"),
    ("abdominal", "abdo"),
    ("movement", "mvt"),
    # since linking version 55, a report's short form: "brisk DTRs", "absent DTRs"
    ("reflex", "dtr"),
)

#: Head nouns that say "an abnormality of X" in clinical text (``brain malformation``,
#: ``elbow deformity``, ``white matter changes``).
ABNORMALITY_HEADS: tuple[str, ...] = (
    "abnormality",
    "anomaly",
    "malformation",
    "defect",
    "deformity",
    "change",
)

_ABNORMALITY_NAME_RES = (
    re.compile(r"^abnormal (?P<x>.+) morphology$"),
    re.compile(r"^abnormality of (?:the )?(?P<x>.+)$"),
    re.compile(r"^(?P<x>.+) (?:abnormality|abnormalities|anomaly|anomalies)$"),
    re.compile(r"^abnormal (?P<x>[^ ]+(?: [^ ]+){0,2})$"),
)
# "Claw hand deformity" is written "claw hand".
_DEFORMITY_NAME_RE = re.compile(r"^(?P<x>[^ ]+ [^ ]+(?: [^ ]+)?) deformity$")
_INABILITY_NAME_RE = re.compile(r"^(?:inability|unable) to (?P<x>.+)$")
# "Abnormally small head" is written "small head": only for a size, where "small X" says
# the same ("normally shaped ears" is no "Abnormally shaped ears", a "straight spine" no
# "Abnormally straight spine").
_ABNORMALLY_NAME_RE = re.compile(
    r"^abnormally (?P<x>(?:small|large|long|short|wide|narrow|broad|thick|thin) .+)$"
)
#: ``<site> muscle weakness`` (or ``atrophy``, ``wasting``) is also written without
#: "muscle": "proximal weakness", "distal wasting", "facial weakness".
_MUSCLE_NAME_RE = re.compile(
    r"^(?P<x>[^ ]+(?: [^ ]+){0,2}) muscle (?P<finding>weakness|atrophy|wasting)$"
)
#: How far a muscle's atrophy spreads, not where: "diffuse atrophy" without "muscle" is as
#: often the brain's or a biopsy's fibres'.
_SPREAD_WORDS = frozenset(
    {"diffuse", "generalized", "generalised", "progressive", "skeletal", "neurogenic"}
)
_BEHAVIOUR_NAME_RE = re.compile(r"^(?P<x>[^ ]+) behaviou?rs?$")
#: A weakness named by its muscles or movement, written with the adjective first ("weak
#: neck flexors" for *Neck flexor weakness*, "weak facial muscles"; since linking version
#: 54); not how far it spreads ("weak generalized muscles" is no phrase).
_WEAKNESS_NAME_RE = re.compile(r"^(?P<x>[a-z]+(?: [a-z]+){0,2}) weakness$")

#: Adjectives that describe a behaviour and nothing else: ``<adjective> behavior`` is also
#: written with ``features`` or ``traits`` ("autistic features"; HPO names
#: *Obsessive-compulsive traits* itself). Adjectives that describe other things too are left
#: out ("aggressive features" of a tumour, "atypical features" of a disease).
BEHAVIOURAL_ADJECTIVES: frozenset[str] = frozenset(
    {
        "addictive",
        "autistic",
        "compulsive",
        "obsessive-compulsive",
        "perseverative",
        "self-injurious",
    }
)


#: Direction words of a laboratory finding's name, by sense (``high``/``low`` only in
#: laboratory names: elsewhere they are not ``increased``/``decreased``, as in ``High palate``).
_LAB_DIRECTIONS: dict[str, tuple[str, ...]] = {
    "up": ("increased", "elevated", "raised", "high"),
    "down": ("decreased", "reduced", "low"),
}
_LAB_SENSE = {word: sense for sense, words in _LAB_DIRECTIONS.items() for word in words}
# The direction words keys are written with: the others of an alternation group
# (:data:`LEXICAL_ALTERNATIONS`: elevated, raised; reduced) are added with every key.
_LAB_KEY_DIRECTIONS: dict[str, tuple[str, ...]] = {
    "up": ("increased", "high"),
    # since linking version 45: "IgA was undetectable", "undetectable parathyroid hormone"
    "down": ("decreased", "low", "undetectable"),
}
#: Specimens of a laboratory name; clinical text says ``serum``, ``plasma`` or ``blood`` for
#: a circulating concentration, or names none (``elevated lactate``).
_LAB_SPECIMENS: dict[str, tuple[str, ...]] = {
    "blood": ("serum", "plasma", "blood"),
    "urine": ("urinary", "urine"),
}
_LAB_SPECIMEN_OF = {
    "circulating": "blood",
    "serum": "blood",
    "plasma": "blood",
    "blood": "blood",
    "urinary": "urine",
    "urine": "urine",
}
_LAB_WORDS = "|".join(_LAB_SENSE)
_LAB_PLACES = "|".join(_LAB_SPECIMEN_OF)
# "Elevated circulating creatine kinase concentration", "Low blood calcium levels",
# "Decreased hemoglobin concentration" (a specimen, a quantity's noun or both).
_LAB_NAME_RE = re.compile(
    rf"^(?P<dir>{_LAB_WORDS}) (?:(?P<spec>{_LAB_PLACES}) )?(?P<x>.+?)"
    r"(?P<noun> (?:level|levels|concentration|concentrations))?$"
)
# "Creatine high in urine".
_LAB_SUFFIX_NAME_RE = re.compile(
    rf"^(?P<x>.+?) (?P<dir>{_LAB_WORDS}) in (?:the )?(?P<spec>{_LAB_PLACES})$"
)
# "Increased methionine in blood".
_LAB_IN_NAME_RE = re.compile(
    rf"^(?P<dir>{_LAB_WORDS}) (?P<x>.+?) in (?:the )?(?P<spec>{_LAB_PLACES})$"
)
# "High TSH": a direction and an acronym (checked on the name as written).
_LAB_ACRONYM_NAME_RE = re.compile(rf"^(?P<dir>{_LAB_WORDS}) (?P<x>[^ ]+)$")
# "Methylmalonic acidemia", "3-Methylglutaconic aciduria": the acid in blood or urine.
_ACID_NAME_RE = re.compile(r"^(?P<x>[^ ]+(?: [^ ]+)?) acid(?P<where>uria|emia|aemia)$")
_ACID_SPECIMEN = {"uria": "urine", "emia": "blood", "aemia": "blood"}
# Words of "analytes" that are no concentration ("Low blood pressure"), or a cell count,
# which hematology names in its own words ("Low blood cell count" is Pancytopenia, not
# "decreased white blood cell and platelet counts").
_NOT_ANALYTES = frozenset(
    {"pressure", "pressures", "flow", "vessel", "vessels", "volume", "cell", "cells", "count"}
)


def _lab_parts(name: str, written: str = "") -> tuple[str, str, str] | None:
    """(analyte, specimen, sense) of a laboratory name (folded; ``written``: as written,
    for acronyms), or None."""
    match = _LAB_NAME_RE.match(name)
    if match is not None and not (match["spec"] or match["noun"]):
        match = None  # "Increased body weight": no laboratory name
    match = match or _LAB_SUFFIX_NAME_RE.match(name) or _LAB_IN_NAME_RE.match(name)
    if match is not None:
        x, specimen = match["x"], _LAB_SPECIMEN_OF[match["spec"] or "blood"]
        sense = _LAB_SENSE[match["dir"]]
    elif (acid := _ACID_NAME_RE.match(name)) is not None:
        x, specimen, sense = f"{acid['x']} acid", _ACID_SPECIMEN[acid["where"]], "up"
    elif (acronym := _LAB_ACRONYM_NAME_RE.match(name)) is not None and is_acronym(
        written.split()[-1] if written else ""
    ):
        x, specimen, sense = acronym["x"], "blood", _LAB_SENSE[acronym["dir"]]
    else:
        return None
    if _NOT_ANALYTES.intersection(x.split()):
        return None
    return x, specimen, sense


def _lab_keys(name: str, written: str = "") -> list[tuple[str, ...]]:
    """Keys of the clinical phrasings of a laboratory name.

    ``Elevated circulating X concentration`` (or ``Low blood X levels``, ``X high in urine``,
    ``X acidemia``) is written with any word of its direction, with ``serum``, ``plasma``,
    ``blood`` or no specimen (``raised serum X``, ``high X``, ``increased levels of X``), or
    as a predicate (``serum X was elevated``); a urinary one (``X aciduria``) as ``elevated
    urinary X``, ``elevated X in the urine`` or ``increased X excretion``.
    """
    parts = _lab_parts(name, written)
    if parts is None:
        return []
    x, specimen, sense = parts
    letters = content_tokens(written)
    if CAPITAL_A in letters:  # the analyte's letter, as written: "vitamin A"
        x = " ".join("A" if word == "a" else word for word in x.split())
    if CAPITAL_S in letters:  # "S-adenosylmethionine"
        x = " ".join("S" + word[1:] if word.startswith("s-") else word for word in x.split())
    phrases: list[str] = []
    for d in _LAB_KEY_DIRECTIONS[sense]:
        if specimen == "blood":
            phrases += [f"{d} {x}", f"{x} {d}", f"{d} levels of {x}"]
            for s in _LAB_SPECIMENS["blood"]:
                phrases += [f"{d} {s} {x}", f"{s} {x} {d}"]
        else:
            for s in _LAB_SPECIMENS["urine"]:
                phrases += [f"{d} {s} {x}", f"{s} {x} {d}"]
            phrases += [f"{d} {x} urine", f"{x} urine {d}", f"{x} {d} urine"]
            phrases += [f"{d} levels of {x} urine"]
            phrases += [f"{d} {x} excretion"]
            phrases += [f"{d} excretion {x}", f"{d} urinary excretion {x}"]
    return [content_tokens(p) for p in phrases]


# "Low platelet count", "Decreased blood lymphocyte number", "Increased blood neutrophil
# counts": a count of one kind of blood cell, which a text may write as the cells
# themselves ("low platelets", "the neutrophils were increased").
_COUNT_NAME_RE = re.compile(
    rf"^(?P<dir>{_LAB_WORDS}) (?:blood )?(?P<x>[a-z]+(?:cyte|phil)|platelet) "
    r"(?:count|counts|number)$"
)


def _count_keys(name: str) -> list[tuple[str, ...]]:
    """Keys of a blood cell count's name written with the cells counted: ``low
    platelets``, ``platelets low`` (as in "platelets were low") for *Low platelet count*."""
    match = _COUNT_NAME_RE.match(name)
    if match is None:
        return []
    x = match["x"]
    phrases: list[str] = []
    for d in _LAB_KEY_DIRECTIONS[_LAB_SENSE[match["dir"]]]:
        phrases += [f"{d} {x}", f"{x} {d}"]
    return [content_tokens(p) for p in phrases]


#: Conjunctions and negations: they join the words of a name, never start or end one.
JOINERS: frozenset[str] = frozenset({"and", "or", "nor", "but", "not", "no", "without"})


@lru_cache(maxsize=1)
def _alternatives() -> dict[str, tuple[str, ...]]:
    """Normalised token -> the other normalised tokens of its alternation groups."""
    out: dict[str, set[str]] = {}
    for group in LEXICAL_ALTERNATIONS:
        norms = [normalize_token(w) for w in group]
        for n in norms:
            out.setdefault(n, set()).update(m for m in norms if m != n)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _alternation_keys(key: tuple[str, ...], limit: int = 8) -> list[tuple[str, ...]]:
    """``key`` with its words replaced by their alternatives (every combination, capped)."""
    alts = _alternatives()
    options = [(tok, *alts.get(tok, ())) for tok in key]
    if all(len(o) == 1 for o in options):
        return []
    return list(itertools.islice(itertools.product(*options), 1, limit + 1))


#: A myelination finding of the central nervous system: clinical notes leave the site out
#: ("MRI showed hypomyelination"), as HPO's synonyms "Hypomyelination of the brain" and
#: "Dysmyelination of the brain" say; HPO has no name of the bare word, and the peripheral
#: nerves' are written with their site.
_CNS_MYELINATION_RE = re.compile(r"^cns (?P<x>[a-z]*myelination)$")


#: A cell's shape named by its excess ("Spherocytosis", "Acanthocytosis"): a blood film
#: reports the cells ("showed spherocytes"). Not the cell types, whose count is normal
#: ("lymphocytes were normal" is no *Lymphocytosis*).
_CELL_SHAPE_RE = re.compile(r"^(?P<x>[a-z]+)cytosis$")
_CELL_TYPES = frozenset(
    {
        *("lympho", "mono", "granulo", "leuko", "leuco", "erythro", "thrombo", "reticulo"),
        *("histio", "mast", "plasma", "eosino", "baso", "neutro", "megakaryo", "pino"),
        *("phago", "endo", "exo", "tran"),
    }
)
#: A conduction interval's name ("Prolonged QTc interval") is also written without
#: "interval": "the QTc was prolonged", "a prolonged PR".
_INTERVAL_NAME_RE = re.compile(r"^(?P<x>(?:prolonged|shortened|short|long) [^ ]+) interval$")
#: Names of more words than are permuted (:func:`phrase_variants`' ``max_permuted``) whose
#: first word is one of these are also indexed with that word last, as a predicate of the
#: others ("the glomerular basement membrane was thickened"), up to this many words.
_PREDICATE_LAST_MAX = 6
_PREDICATE_FIRST = frozenset(
    normalize_token(w)
    for w in (
        *("decreased", "reduced", "increased", "elevated", "raised", "enlarged", "dilated"),
        *("thickened", "thick", "thin", "absent", "prolonged", "shortened", "delayed"),
        *("hypoplastic", "atrophic", "small", "large", "short", "long", "low", "high"),
    )
)


def _pattern_keys(text: str) -> list[tuple[str, ...]]:
    """Keys of the clinical phrasings of a templated name.

    ``Abnormal X morphology``, ``Abnormality of the X``, ``X anomaly`` and ``Abnormal X``
    are also written ``abnormal X`` or ``X`` + one of :data:`ABNORMALITY_HEADS`;
    ``X Y deformity`` is also ``X Y``; ``X muscle weakness`` (or ``atrophy``, ``wasting``)
    is also ``X weakness``; ``X weakness`` is also ``weak X``; ``Prolonged X interval`` is
    also ``prolonged X``;
    ``Inability to X`` is also ``cannot X``, ``can not X`` (so ``can't X``) or ``unable to
    X``; ``Abnormally X Y`` is also ``X Y`` where X is a size (and an ``eyeball`` also an
    ``eye``); ``<adjective> behavior`` is also ``<adjective> features`` or ``traits`` for
    :data:`BEHAVIOURAL_ADJECTIVES`.
    """
    name = " ".join(fold(text).split())
    out: list[tuple[str, ...]] = []
    if "," in name or " and " in name or " or " in name:
        return out
    for pattern in _ABNORMALITY_NAME_RES:
        match = pattern.match(name)
        if match:
            x = match.group("x")
            out.append(content_tokens(f"abnormal {x}"))
            out.extend(content_tokens(f"{x} {head}") for head in ABNORMALITY_HEADS)
            break
    match = _DEFORMITY_NAME_RE.match(name)
    if match:
        out.append(content_tokens(match.group("x")))
    match = _INABILITY_NAME_RE.match(name)
    if match:
        x = match.group("x")
        out.extend(content_tokens(f"{w} {x}") for w in ("cannot", "can not", "unable", "inability"))
    match = _ABNORMALLY_NAME_RE.match(name)
    if match:
        x = match.group("x")
        out.append(content_tokens(x))
        if x.endswith(" eyeball"):  # "small eyes" (HPO's layperson names say "eyeball")
            out.append(content_tokens(x.removesuffix("eyeball") + "eye"))
    match = _INTERVAL_NAME_RE.match(name)
    if match:
        out.append(content_tokens(match.group("x")))
    match = _MUSCLE_NAME_RE.match(name)
    if (
        match
        and " due to " not in name
        and (match.group("finding") == "weakness" or match.group("x") not in _SPREAD_WORDS)
    ):
        out.append(content_tokens(f"{match.group('x')} {match.group('finding')}"))
    match = _WEAKNESS_NAME_RE.match(name)
    if match and not _SPREAD_WORDS.intersection(match.group("x").split()):
        out.append(content_tokens(f"weak {match.group('x')}"))
    match = _BEHAVIOUR_NAME_RE.match(name)
    if match and match.group("x") in BEHAVIOURAL_ADJECTIVES:
        out.extend(content_tokens(f"{match.group('x')} {w}") for w in ("features", "traits"))
    return [k for k in out if len(k) > 1]


def phrase_variants(text: str, max_permuted: int = 3) -> dict[tuple[str, ...], str]:
    """Token keys under which a dictionary name is indexed, each with how it was derived.

    Args:
        text: a dictionary name.
        max_permuted: names with at most this many content tokens are also indexed under
            every order of their tokens (``stature short`` for ``short stature``); longer
            names only under the ``X of Y`` -> ``Y X`` inversion. (default: ``3``)

    Returns:
        Key -> how it was derived: ``"exact"`` for the name itself; ``"hyphen"``
        (compound written as one word, or a direction's or the body's compound as two:
        ``up slanting``, ``ear lobe``), ``"inverted"``
        (``X of Y`` -> ``Y X``),
        ``"lexical"`` (a word replaced by one of :data:`LEXICAL_ALTERNATIONS`),
        ``"pattern"`` (a clinical phrasing of a templated name, see :func:`_pattern_keys`)
        or ``"permuted"`` (another order of a short key). Empty when the name has no
        content token.
    """
    base = content_tokens(text)
    if not base or base[0] == "sided":
        # "Both sided cleft lip" without its stop word "both" read "right-sided cleft lip"
        return {}
    out: dict[tuple[str, ...], str] = {base: "exact"}
    prefixed, combined = _prefix_split(text), _combining_split(text)
    # a compound split in two keeps its order: "growth [for] over" is no *Overgrowth*
    split_keys = {prefixed, combined}
    for joined in (_hyphen_joined(text), prefixed, _compound_split(text), combined):
        if joined and joined not in out:
            out[joined] = "hyphen"
    inverted = _of_inversion(text)
    if inverted and inverted not in out:
        out[inverted] = "inverted"
    for key in _pattern_keys(text):
        out.setdefault(key, "pattern")
    for key, variant in list(out.items()):
        for alt in _alternation_keys(key):
            out.setdefault(alt, "lexical" if variant in ("exact", "hyphen") else variant)
    for key in list(out):
        if max_permuted < len(key) <= _PREDICATE_LAST_MAX and key[0] in _PREDICATE_FIRST:
            # a longer name said of its subject: "the glomerular basement membrane was
            # thickened" (*Thickened glomerular basement membrane*; since linking version 55)
            out.setdefault((*key[1:], key[0]), "permuted")
    folded = " ".join(fold(text).split())
    site_default = _CNS_MYELINATION_RE.match(folded)
    if site_default:  # "hypomyelination" in a note is the brain's: CNS hypomyelination
        out.setdefault(content_tokens(site_default.group("x")), "pattern")
    cells = _CELL_SHAPE_RE.match(folded)
    if cells and cells.group("x") not in _CELL_TYPES:  # "spherocytes": *Spherocytosis*
        out.setdefault(content_tokens(f"{cells.group('x')}cytes"), "pattern")
    for key, variant in list(out.items()):
        if 2 <= len(key) <= max_permuted and key not in split_keys:
            for perm in itertools.permutations(key):
                # A conjunction or negation joins words: never at either end of an order
                # ("and aplasia hypoplasia" is no way to write "Hypoplasia and aplasia").
                if perm[0] not in JOINERS and perm[-1] not in JOINERS:
                    out.setdefault(perm, "pattern" if variant == "pattern" else "permuted")
    for letter in NAME_LETTERS:  # a key without the name's letter would name another term
        if letter in base:
            out = {key: variant for key, variant in out.items() if letter in key}
    comma = _comma_key(text)
    if comma is not None:
        out.setdefault(comma, "exact")  # as written: never permuted
    marked = _mark_key(text)
    if marked is not None:
        out.setdefault(marked, "exact")  # as written: never permuted
    # Laboratory phrasings come in the word orders they are written in: not permuted.
    if "," not in text:
        for key in [*_lab_keys(folded, text), *_count_keys(folded)]:
            if len(key) > 1:
                out.setdefault(key, "pattern")
                for alt in _alternation_keys(key):
                    out.setdefault(alt, "pattern")
    return out
