"""Negation, uncertainty and experiencer (family history) of concept mentions.

A ConText-style rule engine (Harkema et al., 2009, J Biomed Inform 42:839, extending NegEx,
Chapman et al., 2001): trigger phrases open a *scope* forwards (``no``, ``negative for``) or
backwards (``... was ruled out``) that runs until a termination term (``but``, ``however``),
the end of the sentence, or the trigger's word window. Pseudo-triggers (``no increase``,
``not only``) are matched first and do nothing, so the triggers inside them never fire.
A backward scope covers a whole list of three or more items that ends at its trigger
("However, D, E, and F were excluded", the form of phenopacket2prompt's prompts), and a
heading with a colon ("were excluded: D, E and F") rules out its list to the sentence end.

Three properties are decided for each mention:

- *negated*: a ruled-out finding (``no seizures``, ``hyperreflexia without clonus``,
  ``normal sweating``, ``MRI was normal``);
- *uncertain*: hedged (``possible``, ``suspected``, ``cannot be excluded``);
- *family*: the finding belongs to a relative, not the patient (``her mother has seizures``,
  ``family history of deafness``). A relative word only opens a scope when it is the subject
  of a finding (followed by ``has``/``had``/``with``/``'s`` ...), so ``born to a healthy
  mother`` or ``her parents report that she ...`` do not.

The engine works on the tokens of :func:`encoders.normalize.tokenize`, so it shares the
linker's single pass over the text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

from encoders.normalize import BREAK, Token, TokenTable, fold

logger = logging.getLogger(__name__)

__all__ = ["ContextResult", "ContextRules", "Trigger"]

# Punctuation that ends a sentence (every scope), and that with the clause marks ends a
# backward scope.
_SENTENCE_ENDS = frozenset(".!?;")
_CLAUSE_ENDS = _SENTENCE_ENDS | frozenset(",:")

#: Category names.
NEG, UNC, FAM, PSEUDO, TERM = "negated", "uncertain", "family", "pseudo", "terminate"
TERM_VERB = "terminate_verb"


@dataclass(frozen=True)
class Trigger:
    """One trigger phrase.

    Attributes:
        phrase: lower-case words, space separated.
        category: ``negated``, ``uncertain``, ``family``, ``pseudo`` or ``terminate``.
        direction: ``forward`` (scope after the phrase) or ``backward`` (before it).
        window: maximum scope length in words.
    """

    phrase: str
    category: str
    direction: str = "forward"
    window: int = 8


def _many(
    phrases: Iterable[str], category: str, direction: str = "forward", window: int = 8
) -> list[Trigger]:
    return [Trigger(p, category, direction, window) for p in phrases]


_NEG_FORWARD = (
    "no",
    "not",
    "without",
    "never",
    "negative for",
    "free of",
    "no evidence of",
    "no sign of",
    "no signs of",
    "no history of",
    "no symptoms of",
    "no features of",
    "no morphological evidence of",
    "denies",
    "denied",
    "rules out",
    "ruled out",
    "did not have",
    "does not have",
    "did not show",
    "does not show",
    "did not develop",
    "never had",
    "never developed",
    "fails to reveal",
    "failed to reveal",
    "nor",
)
_NEG_BACKWARD = (
    "was ruled out",
    "were ruled out",
    "has been ruled out",
    "have been ruled out",
    "was excluded",
    "were excluded",
    "is absent",
    "are absent",
    "was absent",
    "were absent",
    "was not seen",
    "were not seen",
    "was not noted",
    "were not noted",
    "was not observed",
    "were not observed",
    "was not detected",
    "were not detected",
    "was not found",
    "were not found",
    "not present",
    "is normal",
    "are normal",
    "was normal",
    "were normal",
    "within normal limits",
    "is unremarkable",
    "are unremarkable",
    "was unremarkable",
    "were unremarkable",
    "was negative",
    "were negative",
    "all normal",
    "all unremarkable",
    "all negative",
    "all absent",
    "both normal",
    "both negative",
    "resolved",
)
# A heading that rules out the list after it, to the end of the sentence: "The following
# were excluded: seizures, hypotonia and cleft palate."
_NEG_LIST_FORWARD = (
    "were excluded :",
    "was excluded :",
    "excluded :",
    "were absent :",
    "absent :",
    "were not observed :",
    "not observed :",
    "were ruled out :",
    "ruled out :",
    "negative for :",
    "pertinent negatives :",
)
_LIST_WINDOW = 80
# Words between the items of a list: "A, B, and C".
_LIST_SEPARATORS = frozenset({",", "and", "or"})
# Words that make a run before a backward trigger a clause rather than a list item.
_LIST_CLAUSE_WORDS = frozenset(
    {
        "had",
        "has",
        "have",
        "showed",
        "shows",
        "revealed",
        "presented",
        "exhibited",
        "developed",
        "including",
        "included",
        "is",
        "was",
        "were",
        "are",
        "he",
        "she",
        "they",
        "it",
        "no",
        "not",
        "without",
        ":",
    }
)
# Words after which a list may start: "However, D, E, and F were excluded".
_LIST_BOUNDARIES = frozenset({"however", "but", "although", "whereas", "while", "yet"})
# The most words one list item may have ("Febrile seizure (within the age range of ...)").
_LIST_ITEM_WORDS = 16
# "normal" negates only the word group right after it: "normal sweating".
_NEG_SHORT = ("normal", "normally")
_UNC_FORWARD = (
    "possible",
    "possibly",
    "probable",
    "probably",
    "suspected",
    "suspicion of",
    "suspicious for",
    "questionable",
    "query",
    "may have",
    "might have",
    "could have",
    "likely",
    "suggestive of",
    "concern for",
    "concerning for",
    "rule out",
    "r o",
    "evaluate for",
    "versus",
)
_UNC_BACKWARD = (
    "is suspected",
    "was suspected",
    "were suspected",
    "cannot be excluded",
    "could not be excluded",
    "cannot be ruled out",
    "could not be ruled out",
    "not excluded",
    "is possible",
    "is likely",
    "was considered",
)
_PSEUDO = (
    "no further",
    "not only",
    "no increase",
    "no change",
    "no significant change",
    "no interval change",
    "not necessarily",
    "without difficulty",
    "without further",
    "gram negative",
    "not certain whether",
    "not certain if",
    "not rule out",
    "not ruled out",
    "not been ruled out",
    "not be excluded",
    "no longer",
    "not able to",
    "not able",
    "unable to",
    "not yet",
    "no family history",
    "not cause",
    "normal limits",
)
_TERMINATE = (
    "but",
    "however",
    "although",
    "though",
    "except",
    "apart from",
    "aside from",
    "which",
    "who",
    "whose",
    "whereas",
    "while",
    "yet",
    "still",
    "nevertheless",
    "secondary to",
    "due to",
    "because",
    "cause of",
    "source of",
    "reason for",
    "until",  # "did not crawl until 10 months and had a tremor": a delay, then a finding
)
# Verbs that start a new affirmed predicate: they end negation and uncertainty scopes but
# not a family scope ("her mother has seizures").
_TERMINATE_VERBS = (
    "has",
    "had",
    "have",
    "shows",
    "showed",
    "revealed",
    "developed",
    "demonstrated",
    "presented",
    "started",
    "became",
)
# Subject pronouns start a new clause about the patient: "she does not walk, and she
# cannot speak" negates walking only. Like the verbs above they end negation and
# uncertainty scopes.
_CLAUSE_SUBJECTS = ("he", "she", "they")
_RELATIVES = (
    "mother",
    "father",
    "parent",
    "parents",
    "brother",
    "brothers",
    "sister",
    "sisters",
    "sibling",
    "siblings",
    "sib",
    "sibs",
    "aunt",
    "aunts",
    "uncle",
    "uncles",
    "cousin",
    "cousins",
    "grandmother",
    "grandfather",
    "grandparent",
    "grandparents",
    "niece",
    "nephew",
    "relative",
    "relatives",
    "half brother",
    "half sister",
)
# A relative is the experiencer when it is the subject of what follows.
_EXPERIENCER_VERBS = frozenset(
    {
        "has",
        "had",
        "have",
        "having",
        "with",
        "s",
        "is",
        "was",
        "were",
        "are",
        "suffers",
        "suffered",
        "died",
        "diagnosed",
        "showed",
        "shows",
        "developed",
        "presented",
        "exhibited",
        "exhibits",
        "affected",
    }
)
_EXPERIENCER_ADVERBS = frozenset({"also", "too", "similarly", "both", "all", "reportedly"})
# "were all normal", "both were negative": a backward trigger about a whole list.
_LIST_QUANTIFIERS = frozenset({"all", "both"})
_FAMILY_PHRASES = ("family history of", "family history", "history in the family")
# Words that start a clause about the patient and so end a family scope.
_PATIENT_WORDS = frozenset({"he", "she", "patient", "proband", "index", "our", "boy", "girl"})


_SCOPED = frozenset({"negated", "uncertain", "family"})


def _list_start(start: int, end: int, words: Sequence[str]) -> int:
    """Where a backward scope ``[start, end)`` starts when a list of three or more items
    ends at it: "However, D, E, and F were excluded" rules out all three, where a clause
    mark alone would stop the scope at F.

    The items are the comma-separated runs before ``end`` (an item may be a name with a
    comma or brackets of its own, "Intellectual disability, severe"); the list must start
    the sentence or follow a terminating word (``however``, ``but``). Two items are no list
    ("microcephaly, and seizures were absent" rules out only the seizures), nor is the
    object of a verb ("she had A, B, C, and D were absent": a run holds ``had``).
    """
    items, plain_commas = 0, 0
    k, p = end - 1, start  # p: where the list read so far starts
    while True:
        # one item: back to the separators before it
        j = k
        while j >= 0 and words[j] not in _LIST_SEPARATORS:
            if words[j] in _SENTENCE_ENDS or words[j] in _LIST_BOUNDARIES:
                break
            if words[j] in _LIST_CLAUSE_WORDS or k - j >= _LIST_ITEM_WORDS:
                return start  # a clause, not an item
            j -= 1
        if j == k:
            break  # no item here
        items += 1
        if j < 0 or words[j] not in _LIST_SEPARATORS:
            p = j + 1
            break  # the list starts the sentence, or follows a terminating word
        run_end = j
        while j >= 0 and words[j] in _LIST_SEPARATORS:
            j -= 1
        plain_commas += words[j + 1 : run_end + 1] == [","]
        k = j
        p = j + 1
    if items < 3 or not plain_commas or p >= start:
        return start
    return p


@dataclass(frozen=True)
class ContextResult:
    """What the context says about one mention.

    Attributes:
        negated: the finding is ruled out.
        uncertain: the finding is hedged.
        family: the finding belongs to a relative, not the patient.
    """

    negated: bool = False
    uncertain: bool = False
    family: bool = False


_NO_CONTEXT = ContextResult()
# The eight possible results, shared (they are frozen).
_RESULTS = {
    (n, u, f): ContextResult(n, u, f)
    for n in (False, True)
    for u in (False, True)
    for f in (False, True)
}


class ContextRules:
    """Decide negation, uncertainty and experiencer of mentions from trigger phrases.

    Args:
        triggers: the trigger phrases; None for the built-in English clinical set.
        relatives: words for relatives (family experiencer); None for the built-in set.
        default_window: window in words of the built-in triggers. (default: ``8``)
    """

    def __init__(
        self,
        triggers: Sequence[Trigger] | None = None,
        relatives: Sequence[str] | None = None,
        default_window: int = 8,
    ) -> None:
        if triggers is None:
            win = default_window
            triggers = [
                *_many(_PSEUDO, PSEUDO),
                *_many(_TERMINATE, TERM),
                *_many(_TERMINATE_VERBS, TERM_VERB),
                *_many(_CLAUSE_SUBJECTS, TERM_VERB),
                *_many(_NEG_FORWARD, NEG, "forward", win),
                *_many(_NEG_BACKWARD, NEG, "backward", win),
                *_many(_NEG_SHORT, NEG, "forward", 2),
                *_many(_NEG_LIST_FORWARD, NEG, "forward", _LIST_WINDOW),
                *_many(_UNC_FORWARD, UNC, "forward", win),
                *_many(_UNC_BACKWARD, UNC, "backward", win),
                *_many(_FAMILY_PHRASES, FAM, "forward", 2 * win),
            ]
        self.triggers = list(triggers)
        self.relatives = frozenset(relatives if relatives is not None else _RELATIVES)
        self._trie: dict[str, Any] = {}
        self._max_len = 1
        for trig in self.triggers:
            words = trig.phrase.split()
            self._max_len = max(self._max_len, len(words))
            node = self._trie
            for w in words:
                node = node.setdefault(w, {})
            node[""] = trig
        self._family_window = 2 * default_window
        self._first_words = frozenset(self._trie) | self.relatives

    def _find(self, words: Sequence[str], inside: set[int]) -> list[tuple[int, int, Trigger]]:
        """Longest trigger phrase at each position, skipping the words of mentions
        (positions in ``inside``)."""
        found: list[tuple[int, int, Trigger]] = []
        n = len(words)
        done = 0  # end of the last trigger found: triggers do not overlap
        # Only words that can start a trigger or name a relative need a look (C-level scan).
        for i in compress(range(n), map(self._first_words.__contains__, words)):
            if i < done or i in inside:
                continue
            node: Any = self._trie
            best = None
            j = i
            while j < n and j not in inside:
                node = node.get(words[j])  # punctuation is in no trigger: it ends a phrase
                if node is None:
                    break
                j += 1
                if "" in node:
                    best = (i, j, node[""])
            if best is not None:
                found.append(best)
                done = best[1]
                continue
            if (
                words[i] in self.relatives
                and self._is_subject(words, i + 1)
                and not self._is_agent(words, i)
            ):
                found.append((i, i + 1, Trigger(words[i], FAM, "forward", self._family_window)))
        return found

    @staticmethod
    def _is_agent(words: Sequence[str], i: int) -> bool:
        """``noted by his parents``: the relative is who observed, not who has the finding."""
        return any(w == "by" for w in words[max(0, i - 3) : i])

    @staticmethod
    def _is_subject(words: Sequence[str], k: int) -> bool:
        while k < len(words) and words[k] in _EXPERIENCER_ADVERBS:
            k += 1
        return k < len(words) and words[k] in _EXPERIENCER_VERBS

    def analyze(
        self, tokens: Sequence[Token] | TokenTable, spans: Sequence[tuple[int, int]]
    ) -> list[ContextResult]:
        """Context of each mention.

        Args:
            tokens: the tokens of the text (:func:`encoders.normalize.scan` or
                :func:`encoders.normalize.tokenize`).
            spans: token ranges ``[i, j)`` of the mentions.

        Returns:
            One :class:`ContextResult` per span, in order.
        """
        if not spans:
            return []
        # One lower-case word per token. A sentence end (. ! ? ;) ends every scope; a clause
        # mark (, :) ends a backward scope only: a forward scope runs over commas ("no fever,
        # seizures or rash"), a backward one stays in its clause ("microcephaly, and the EEG
        # was normal").
        words = (
            tokens.lowers
            if isinstance(tokens, TokenTable)
            else [fold(t.raw) if t.norm != BREAK else t.raw for t in tokens]
        )
        n = len(words)
        inside: set[int] = set()
        for a, b in spans:
            inside.update(range(a, b))
        triggers = self._find(words, inside)
        if not any(t.category in _SCOPED for _, _, t in triggers):
            return [_NO_CONTEXT] * len(spans)
        stops = {i for i, _, t in triggers if t.category == TERM}
        verb_stops = stops | {i for i, _, t in triggers if t.category == TERM_VERB}
        scopes: dict[str, list[tuple[int, int]]] = {NEG: [], UNC: [], FAM: []}
        for i, j, trig in triggers:
            if trig.category not in scopes:
                continue
            family = trig.category == FAM
            ends = stops if family else verb_stops
            if trig.direction == "forward":
                end = j
                limit = min(n, j + trig.window)
                while end < limit and end not in ends and words[end] not in _SENTENCE_ENDS:
                    if family and words[end] in _PATIENT_WORDS:
                        break
                    end += 1
                scopes[trig.category].append((j, end))
            else:
                start = i
                limit = max(0, i - trig.window)
                marks = _SENTENCE_ENDS if family else _CLAUSE_ENDS
                if not family and _LIST_QUANTIFIERS.intersection(words[max(0, i - 2) : i + 1]):
                    # "A, B, C and D were all normal": the scope is the whole list.
                    marks, limit = _SENTENCE_ENDS, max(0, i - 4 * trig.window)
                while start > limit and (start - 1) not in ends and words[start - 1] not in marks:
                    start -= 1
                if not family:
                    start = _list_start(start, i, words)
                scopes[trig.category].append((start, i))
        neg, unc, fam = scopes[NEG], scopes[UNC], scopes[FAM]
        return [
            _RESULTS[
                (
                    bool(neg) and any(a < hi and lo < b for lo, hi in neg),
                    bool(unc) and any(a < hi and lo < b for lo, hi in unc),
                    bool(fam) and any(a < hi and lo < b for lo, hi in fam),
                )
            ]
            for a, b in spans
        ]
