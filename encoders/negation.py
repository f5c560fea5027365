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

A forward negation or uncertainty scope covers a list to its end, each item up to the
window ("no microcephaly, short stature, scoliosis, or ataxia"), and ends at a verb or an
affirmation; the second item of a comma-joined list that has its own ("no seizures,
hypotonia present", "there was no ptosis, and marked hypotonia was observed") is left out.
A line break that starts a new line (:data:`encoders.normalize.LINE_BREAK`) ends every
scope. A status after a finding rules it out or affirms it ("Seizures: none", "Ptosis - no",
"seizures (-)", "hypotonia (+)"). "No family history of X" is a relative's finding ruled out
(family and negated). Hypothetical and generic statements are uncertain ("at risk of X",
"screening for X", "to rule out X", "if X occurs", "patients with this syndrome typically
have X", "this disorder is characterized by X"). A finding that persists or resolved is
no negation ("no improvement in X", "X resolved", "did not have X until age 12"). A
relative is the subject across an appositive, a bracket or ``who`` ("his brother, now aged
10, has"), after the finding ("X was also reported in her brother") and as a label
("Mother: migraine", "Brother - seizures", "FH: seizures"), but not when concerned about the
patient's findings ("her mother was concerned about his hypotonia", "the parents were mainly
worried about ...").

A forward scope also ends where a clause of its own starts: an affirmation ("negative for X
and positive for Y", "denies X, reports Y"), a verb of a course ("no X or Y, and Z
persists"), ", with" and ", and his/the" ("no X, with marked Y"), a comma before a word of
degree or quantity ("no X, severe Y", "no X, abundant Y"; not "no X, severe Y or Z"); a
negated treatment or manner negates no finding ("without treatment, seizures recur").
Post-posed cues are read at the end of a clause ("seizures absent", "seizures excluded",
"seizures are unlikely"), and a one-word scope reads a hyphenated suffix or prefix ("seizure-free",
"hypotonia-negative", "non-febrile seizures"; "seizure-free since 2010" is a past finding).
Hedged are "with or without X", both sides of "X vs Y", a finding alone with a question
mark ("Seizures?", "?seizures"), a status "(possible)", a differential diagnosis and a
negated exclusion ("X has not been excluded"); "never without X" affirms. Relatives who may
be the report's patients ("the brothers", "two siblings", "their child", "a child") are
relatives only when anchored to someone else ("his brothers", "her son", "they have two
other children").

The engine works on the tokens of :func:`encoders.normalize.tokenize`, so it shares the
linker's single pass over the text.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import accumulate, compress
from typing import Any

from encoders.drug_effects import drug_effect_scopes
from encoders.normalize import BREAK, LINE_BREAK, NOT_CONTRACTED, Token, TokenTable, lower_form

logger = logging.getLogger(__name__)

__all__ = ["ContextResult", "ContextRules", "Trigger"]

# Punctuation that ends a sentence (every scope), and that with the clause marks ends a
# backward scope. A line break that starts a new line (a heading, a list item:
# :data:`encoders.normalize.LINE_BREAK`) ends every scope too.
#
# Each mark is listed as written and folded (:func:`encoders.normalize.fold` gives "..."
# for the ellipsis and the ASCII mark for a fullwidth one): the token list of
# :func:`encoders.normalize.tokenize` keeps punctuation as written. Besides the ASCII
# marks: the ellipsis, the fullwidth and ideographic full stops, the fullwidth semicolon,
# exclamation and question marks, a bullet, and the other line and paragraph breaks
# (a lone carriage return, U+2028, U+2029, NEL, VT, FF) where the tokenizer makes them
# tokens.
_LINE_ENDS = frozenset({LINE_BREAK, "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"})
_SENTENCE_ENDS = (
    frozenset(".!?;")
    | frozenset({"\u2026", "...", "\uff0e", "\u3002", "\uff61", "\uff1b", "\uff01", "\uff1f"})
    | frozenset({"\u2022"})
    | _LINE_ENDS
)
_CLAUSE_ENDS = _SENTENCE_ENDS | frozenset({",", ":", "\uff0c", "\uff1a", "\u3001"})
# A question mark, as written or folded ("Seizures?", "?seizures": a hedged finding).
_QUESTION_MARKS = frozenset({"?", "\uff1f"})

#: Category names.
NEG, UNC, FAM, PSEUDO, TERM = "negated", "uncertain", "family", "pseudo", "terminate"
TERM_VERB = "terminate_verb"
#: A relative's finding ruled out ("no family history of X"): family and negated at once.
FAM_NEG = "family_negated"


@dataclass(frozen=True)
class Trigger:
    """One trigger phrase.

    Attributes:
        phrase: lower-case words, space separated.
        category: ``negated``, ``uncertain``, ``family``, ``family_negated``, ``pseudo``,
            ``terminate`` or ``terminate_verb``.
        direction: ``forward`` (scope after the phrase) or ``backward`` (before it).
        window: maximum scope length in words.
        final: the phrase is a trigger only where it ends its clause: it comes after the
            finding ("seizures absent", not "hypotonia and absent reflexes"), so what
            follows it is punctuation, the end of the text or a word of
            :data:`_AFTER_FINAL` ("reflexes absent bilaterally").
        not_before: words that, right after the phrase, make it no trigger ("seizure-free
            since age 3" is a past finding: :data:`_PAST_AFTER_FREE`).
        stops_at: words that end a short forward scope ("absence of olfactory bulbs with a
            thin corpus callosum": the callosum is no part of what is absent).
        past_article: words that, after "any", "a" or "an" right after the phrase, make it
            no trigger ("if she has any further seizures"; since linking version 67).
    """

    phrase: str
    category: str
    direction: str = "forward"
    window: int = 8
    final: bool = False
    not_before: frozenset[str] = frozenset()
    stops_at: frozenset[str] = frozenset()
    past_article: frozenset[str] = frozenset()


def _many(
    phrases: Iterable[str],
    category: str,
    direction: str = "forward",
    window: int = 8,
    final: bool = False,
    not_before: frozenset[str] = frozenset(),
    stops_at: frozenset[str] = frozenset(),
    past_article: frozenset[str] = frozenset(),
) -> list[Trigger]:
    return [
        Trigger(p, category, direction, window, final, not_before, stops_at, past_article)
        for p in phrases
    ]


#: A clinician's opinion that denies what follows (since linking version 67).
_NEGATED_OPINIONS = (
    *(
        " ".join((aux, "not", verb, *that))
        for aux in ("do", "did", "does")
        for verb in ("think", "believe", "feel")
        for that in ((), ("that",))
    ),
    *(
        f"{who} {much}doubt{that}"
        for who in ("i", "we")
        for much in ("", "very much ")
        for that in ("", " that")
    ),
    *(
        f"{be} not convinced{that}"
        for be in ("am", "m", "are", "was", "were")
        for that in ("", " that")
    ),
)
#: The subjects and verbs of the clause a hedge or an opinion is about ("it is possible that
#: he has", "I doubt there is"), read with the trigger: a subject pronoun otherwise starts a
#: clause of its own, which ends the trigger's scope (since linking version 67).
_CLAUSE_SUBJECT_VERBS = tuple(
    f"{subject} {verb}"
    for subject in ("he", "she", "they")
    for verb in (
        *("is", "was", "has", "had", "s", "are", "were", "have"),
        *("has had", "have had", "has ever had", "also has", "also had", "still has"),
    )
) + tuple(f"there {verb}" for verb in ("is", "was", "are", "were", "s"))
#: Words after a clause trigger that make it none: the finding is the patient's, named by a
#: possessive ("it is likely that his delay is related to his epilepsy", "did she have her
#: first seizure"), "has to" ("whether she has to continue the diet"), a past course ("if he
#: has outgrown his seizures"), what a drug or a panel is for ("what medication does he
#: have for his seizures").
_PRESUPPOSING = frozenset(
    {"his", "her", "their", "to", "outgrown", "for", "further", "another", "more", "worth"}
    | {"related", "due", "secondary", "caused", "necessary", "recurrent"}
)
#: ... also after "any" or "a" ("if she has any further seizures", "if there is any change in
#: her seizures", "if there are any concerns about her scoliosis").
_PRESUPPOSING_AFTER_ANY = _PRESUPPOSING | frozenset(
    {"change", "deterioration", "progression", "worsening", "recurrence", "concerns", "concern"}
)
#: ... and after an opinion: "I do not think there is a need for further imaging of his
#: hydrocephalus".
_NOT_AN_OPINION_OF = _PRESUPPOSING_AFTER_ANY | frozenset(
    {"need", "role", "reason", "indication", "point", "benefit", "place", "case"}
)


def _with_clause(
    triggers: Iterable[str],
    subject_verbs: Sequence[str] = _CLAUSE_SUBJECT_VERBS,
    *,
    alone: bool = True,
) -> tuple[str, ...]:
    """Each trigger before each of ``subject_verbs``, and with ``alone`` the trigger alone."""
    triggers = tuple(triggers)
    with_clause = tuple(f"{t} {sv}" for t in triggers for sv in subject_verbs)
    return (*triggers, *with_clause) if alone else with_clause


_NEG_FORWARD = (
    "no",
    "not",
    "without",
    "never",
    # since linking version 53: a negation over the patients of a series ("neither patient
    # had cleft palate", "none of the patients had seizures")
    *(
        f"{who} {verb}"
        for who in (
            "neither patient",
            "neither of the patients",
            "none of the patients",
            "no patient",
            "neither of them",
            "none of them",
            "neither sibling",
            "neither child",
            "neither boy",
            "neither girl",
        )
        for verb in ("had", "has", "have", "showed", "developed")
    ),
    "negative for",
    # since linking version 38: "was negative" is a backward trigger, and the longer one at
    # "was" wins: "She was negative for hearing loss" ruled nothing out
    "was negative for",
    "were negative for",
    "is negative for",
    "are negative for",
    "tested negative for",
    "free of",
    "clear of",  # since linking version 50: "the chest film was clear of consolidation"
    "no evidence of",
    # since linking version 54: "nothing to suggest biliary atresia"
    "nothing to suggest",
    "nothing to indicate",
    "no suggestion of",
    "no sign of",
    "no signs of",
    "no history of",
    "no symptoms of",
    "no features of",
    "no morphological evidence of",
    "denies",
    "denied",
    "deny",
    "denying",
    "lacks",
    "lacked",
    "lacking",
    "rules out",
    "ruled out",
    # since linking version 30: "echocardiography excluded a heart defect" ("was excluded"
    # stays backward, the longer trigger winning as "was ruled out" does)
    "excluded",
    "excludes",
    "did not have",
    "does not have",
    "did not show",
    "does not show",
    "did not develop",
    "did not present with",
    "did not present",
    "does not present with",
    "does not present",
    "never presented with",
    "never had",
    "never developed",
    # since linking version 32: "he has not had any seizures" ("had" alone starts a predicate)
    "not had",
    "not had any",
    "fails to reveal",
    "failed to reveal",
    "nor",
    "neither",
    # since linking version 34, a letter's "nil": "Nil infantile spasms."
    "nil",
    # since linking version 46: "ammonia was normal, arguing against hyperammonaemia",
    # "she had never been found to have a seizure disorder"
    "arguing against",
    "argues against",
    "argued against",
    "never been found to have",
    "not been found to have",
    "not found to have",
    # since linking version 67: "no apparent ptosis" (not "apparent" hedged,
    # :data:`_UNC_APPARENT`)
    "no apparent",
    "without apparent",
    "without any apparent",
    # the plural's auxiliary ("her parents do not have hearing loss") and a finding judged
    # absent ("he was felt not to have ataxia"); a clinician's negated opinion is
    # :data:`_NEG_OPINION`
    "do not have",
    *(f"{verb} not to have" for verb in ("felt", "thought", "considered", "judged", "believed")),
    *(f"{aux} not consider {whom} to have" for aux in ("do", "did") for whom in ("him", "her")),
)
#: A clinician's negated opinion, only with its clause's subject and verb ("I doubt that the
#: hypotonia is central in origin" doubts its origin; since linking version 67).
_NEG_OPINION = _with_clause(
    _NEGATED_OPINIONS,
    (
        *_CLAUSE_SUBJECT_VERBS,
        *(f"{it} {is_}" for it in ("this", "it", "that") for is_ in ("is", "was", "s")),
    ),
    alone=False,
)
# Since linking version 28: "absence of hepatomegaly", "in the absence of fever and rash".
# A name that holds the words ("Absence of the corpus callosum") is a finding, and so is
# an absent structure that no name reads ("the absence of olfactory bulbs with a thin corpus
# callosum"): the scope is a few words, and ends at "with".
_NEG_ABSENCE = ("absence of", "lack of")
_ABSENCE_WINDOW = 6
# Since linking version 46: after "absence of" a structure that no mention starts ("absence
# of the lower lacrimal puncta and ..."), the scope ends with its item.
# Since linking version 47 a bracket ends it too: "absence of the third ray (split hand)"
# glosses what is absent with the finding it makes.
_ABSENT_STRUCTURE_ENDS = frozenset({"and", ",", "or", "("})
#: Forward negations whose first item may be a structure or a motion no mention names
#: ("fevers without a focus and constipation", "the elbows lacked full extension
#: (radioulnar synostosis)"): their scope then ends with that item.
_ITEM_SCOPED = frozenset({"without", "lacks", "lacked", "lacking"})
#: A verb's negation whose first item names nothing, a comma list after it: what follows
#: is stated, not denied ("doesn't point, poor eye contact, flaps hands"; "can't walk far,
#: tires easily"); its scope ends with that item (since linking version 54). A list of
#: alternatives goes on ("not walking, talking or tremor").
_VERB_SCOPED = frozenset({"not", "never"})


def _comma_item_end(words: Sequence[str], j: int, end: int) -> int:
    """Where the first item of a comma list from ``j`` ends, at most ``end``."""
    k = j
    while k < end and words[k] != ",":
        k += 1
    return k


def _item_end_at(words: Sequence[str], j: int, end: int) -> int:
    """Where the first item of a list from ``j`` ends (its "and", "or" or comma), at most
    ``end``."""
    k = j
    while k < end and words[k] not in _ABSENT_STRUCTURE_ENDS:
        k += 1
    return k


def _first_item_named(words: Sequence[str], j: int, inside: AbstractSet[int]) -> bool:
    """Whether a mention lies in the first item of a list from ``j`` ("absence of [fever]
    and rash"; not "absence of the lower lacrimal puncta and ...")."""
    return any(k in inside for k in range(j, _item_end_at(words, j, len(words))))


# A suspicion refuted after it: "Pyloric stenosis was suspected but excluded on ultrasound"
# is ruled out, not hedged (since linking version 46).
_REFUTATIONS = (
    "but excluded",
    "but was excluded",
    "but were excluded",
    "but ruled out",
    "but was ruled out",
    "but were ruled out",
    "but not confirmed",
    "but was not confirmed",
    "but were not confirmed",
    # since linking version 67: "strabismus was looked for but not found"
    *(f"but not {found}" for found in ("found", "seen", "identified", "detected")),
)
_SUSPICION_DROPPED = tuple(
    f"{verb} {how}{dropped}"
    for verb in ("was", "were", "proved", "proven")
    for how in ("", "later ", "subsequently ")
    for dropped in ("refuted", "unfounded", "revised")
)
#: Since linking version 67, a suspicion's hedge is lifted by these too: "the earlier
#: suspicion of a VSD was not borne out" is ruled out, as "was suspected but excluded" is.
_REFUTING = frozenset(
    {*_REFUTATIONS, "not borne out", "not substantiated", "was not made", "were not made"}
    | {"not confirmed", "not be confirmed", "was excluded", "were excluded", *_SUSPICION_DROPPED}
)
_NEG_BACKWARD = (
    "was ruled out",
    "were ruled out",
    "has been ruled out",
    "have been ruled out",
    "had been ruled out",
    "is ruled out",
    "are ruled out",
    "was excluded",
    "were excluded",
    "is excluded",
    "are excluded",
    "has been excluded",
    "have been excluded",
    "had been excluded",
    "is absent",
    "are absent",
    "was absent",
    "were absent",
    "was not seen",
    "were not seen",
    # since linking version 53: "Photophobia was not reported", "Hirschsprung disease was
    # not suspected"
    "was not reported",
    "were not reported",
    "was not recorded",
    "were not recorded",
    "was not mentioned",
    "were not mentioned",
    "was not complained",
    "were not complained",
    "was not suspected",
    "were not suspected",
    "was not noted",
    "were not noted",
    "was not observed",
    "were not observed",
    "was not detected",
    "were not detected",
    "was not found",
    "were not found",
    "did not occur",
    "has not occurred",
    "have not occurred",
    "had not occurred",
    "never occurred",
    # since linking version 46: "Basilar invagination has not developed so far.", "Syncope
    # was denied.", and a suspicion refuted (:data:`_REFUTATIONS`)
    "was denied",
    "were denied",
    *_REFUTATIONS,
    "has not developed",
    "have not developed",
    "had not developed",
    "not present",
    "is normal",
    "are normal",
    "was normal",
    "were normal",
    # since linking version 51: "Glaucoma screening has been normal"
    "has been normal",
    "have been normal",
    "had been normal",
    "remained normal",
    "remains normal",
    "within normal limits",
    "is unremarkable",
    "are unremarkable",
    "was unremarkable",
    "were unremarkable",
    "was negative",
    "were negative",
    # since linking version 54: "Gowers sign is negative"
    "is negative",
    "are negative",
    "all normal",
    "all unremarkable",
    "all negative",
    "all absent",
    "both normal",
    "both negative",
    # since linking version 67: a suspicion refuted, unfounded or revised ("the query of
    # hydrocephalus was refuted by the MRI", "concerns about hearing loss were unfounded",
    # "the initial impression of cerebral palsy was later revised")
    *_SUSPICION_DROPPED,
    # judged absent ("Ataxia was not felt to be present")
    *(
        f"not {verb} to be present"
        for verb in ("felt", "thought", "considered", "judged", "believed")
    ),
)
# Post-posed, at the end of the finding's clause only (:attr:`Trigger.final`): "Seizures
# absent.", "Seizures excluded by EEG", not "hypotonia and absent reflexes".
_NEG_BACKWARD_FINAL = (
    "absent",
    "excluded",
    # since linking version 32, a clinic letter's shorthand: "Scoliosis not seen.", "MVP not
    # heard", "liver not palpable"
    "not seen",
    "not heard",
    "not noted",
    "not observed",
    "not detected",
    "not found",
    "not identified",
    "not appreciated",
    "not palpable",
    "-ve",
    # since linking version 38, from case reports: "Hypertelorism was not evident", "Ptosis
    # was not apparent", "Scoliosis could not be demonstrated", "... was not confirmed"
    "not evident",
    "not apparent",
    "not visible",
    "not demonstrated",
    "not be demonstrated",
    "not confirmed",
    "not be confirmed",
    "not elicited",
    # since linking version 48, a test's result without its verb: "Chromosome breakage study
    # normal.", "DEB test negative."
    "test normal",
    "tests normal",
    "testing normal",
    "study normal",
    "studies normal",
    "screen normal",
    "analysis normal",
    "test negative",
    "study negative",
    "screen negative",
    # since linking version 43: "Hypoglycemia was never documented"
    "never documented",
    "not documented",
    "never observed",
    "never seen",
    "never recorded",
    # since linking version 67: a suspicion dropped ("A diagnosis of epilepsy was not made",
    # "an initial concern about microcephaly was not substantiated")
    "was not made",
    "were not made",
    "not substantiated",
    "not borne out",
    # ... and a finding said to be none of the patient's features ("Clinodactyly was not a
    # feature."; "not a feature of this syndrome" says it of the syndrome, hedged)
    *(f"{verb} not a feature" for verb in ("is", "was", "are", "were")),
    *(f"{verb} not features" for verb in ("are", "were")),
)
# Right after a finding, a scope of that finding alone: "seizure-free", "hypotonia-negative",
# "a microcephaly-free family".
_NEG_BACKWARD_FREE = ("free",)
_NEG_BACKWARD_SHORT = ("negative",)
# ... but a finding free since a time, for a time or on a treatment is a past finding, like
# "no recurrence of X" ("seizure-free since age 3", "seizure free for two years on
# valproate", "a seizure-free interval"): these words after "free" make it no trigger.
_PAST_AFTER_FREE = frozenset(
    {
        "since",
        "for",
        "after",
        "on",
        "off",
        "until",
        "till",
        "now",
        "period",
        "periods",
        "interval",
        "intervals",
        "survival",
    }
)
# A prefix written apart from its word ("non-febrile seizures", "non progressive"): the
# next word is ruled out where the linker did not read the prefixed word as one name.
_NEG_PREFIX = ("non",)
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
    # since linking version 32: "Not present: hearing loss, situs inversus."
    "not present :",
    "not seen :",
    "not noted :",
    "not found :",
    "not detected :",
    "were ruled out :",
    "ruled out :",
    "negative for :",
    "negative :",
    "negatives :",
    "pertinent negatives :",
)
_LIST_WINDOW = 80
# Words between the items of a list: "A, B, and C".
_LIST_SEPARATORS = frozenset({",", "and", "or"})
#: Words that make the run before an "and" a clause of its own (a verb of its own, or its
#: subject pronoun), which a backward trigger after the "and" does not reach into.
_CLAUSE_VERBS = frozenset(
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
        "demonstrated",
        "is",
        "was",
        "were",
        "are",
        "he",
        "she",
        "they",
    }
)
# Words that make a run before a backward trigger a clause rather than a list item.
_LIST_CLAUSE_WORDS = _CLAUSE_VERBS | frozenset(
    {"including", "included", "it", "no", "not", "without", ":"}
)
# Words after which a list may start: "However, D, E, and F were excluded".
_LIST_BOUNDARIES = frozenset({"however", "but", "although", "whereas", "while", "yet"})
# The most words one list item may have ("Febrile seizure (within the age range of ...)").
_LIST_ITEM_WORDS = 16
# "normal" negates only the word group right after it: "normal sweating"; so, since linking
# version 67, does "physiological" ("physiological bow legs", a normal variant).
_NEG_SHORT = ("normal", "normally", "physiological", "physiologic")
# A short "normal"'s scope also ends at a time it was normal in: "development, normal
# before seizure onset, plateaued" rules out no seizure (since linking version 51).
_NORMAL_STOPS = frozenset({",", ";", ":", "before", "until", "till", "prior", "since", "after"})
# Since linking version 47: a reading set against another and preferred to it rules the
# other out ("ganglioneuromatosis rather than Hirschsprung disease").
_NEG_INSTEAD = (
    "rather than",
    "instead of",
    # since linking version 51: a reading set aside ("the events were initially mistaken
    # for seizures", "previously misdiagnosed as cerebral palsy")
    "mistaken for",
    "misdiagnosed as",
)
# Since linking version 48: a disease set apart from the patient's ("Unlike nephrogenic
# diabetes insipidus, ...") and what makes a symptom worse ("pain worse with exercise,
# fever and hot weather"): a comparison and a trigger, not the patient's findings.
_NEG_UNLIKE = ("unlike", "in contrast to", "as opposed to")
# ("provoked by", "aggravated by" and their kind hedge wherever they stand, since version
# 43; "worse with" only after a symptom: "he got worse with fever" is his fever)
# Since linking version 67: a finding equivocal, doubtful or hinted at ("equivocal
# hepatomegaly", "a suggestion of ptosis"): hedged over a few words of its phrase. Not
# "borderline": "a borderline progressive microcephaly" is a finding.
_UNC_SHORT = ("equivocal", "doubtful", "suggestion of")
_UNC_SHORT_WINDOW = 4
# ... and "apparent" before a finding, the next two words of its phrase ("apparent
# hypertelorism due to epicanthus"; "hypotonia became apparent and seizures began" hedges
# nothing).
_UNC_APPARENT = ("apparent",)
_SHORT_HEDGE_STOPS = frozenset(
    {",", ";", ":", "and", "or", "at", "in", "on", "by", "from", "for", "with", "when", "after"}
    | {"because", "as", "since", "until", "but"}
)
# Since linking version 67: a letter that "queries" a finding, and the literature's
# findings ("In the literature, hearing loss is a frequent finding"); not "queries about his
# hypotonia" nor "the first in the literature with ataxia".
_UNC_QUERIES = ("queries",)
_UNC_LITERATURE = ("in the literature",)
_UNC_TRIGGERED_BY = ("worse with", "worse on", "worse after", "made worse by")
_CLAUSE_MARKS = frozenset({",", ";", ":"})
_ABOUT = frozenset({"about", "regarding", "re", "concerning", "over"})
#: A dictating clinician's hedges, alone and before a clause's subject and verb ("I wonder
#: if that was a rhabdomyoma", "I think there's some early clubbing"; since version 54).
_SPOKEN_HEDGES = ("i wonder if", "i wonder whether", "i think", "i suspect")
#: How a finding is said to belong to a syndrome in general: "a recognised feature of this
#: syndrome" (since linking version 67).
_KNOWN_FEATURE = (
    "",
    *(
        f"{known} "
        for known in (
            "recognised",
            "recognized",
            "known",
            "common",
            "typical",
            "frequent",
            "well known",
            "cardinal",
            "major",
            "characteristic",
            "classic",
            "consistent",
            "rare",
            "well recognised",
            "well recognized",
            "well documented",
            "well described",
        )
    ),
)
#: Hedges of a whole clause (since linking version 67).
_CLAUSE_HEDGES = (
    *(
        " ".join(("it", verb, *how, hedge, *that))
        for verb in ("is", "seems", "appears")
        for how in ((), ("quite",), ("highly",), ("very",), ("most",))
        for hedge in ("possible", "likely", "probable")
        for that in ((), ("that",))
    ),
    *(f"{hedge} that" for hedge in ("possible", "likely", "probable")),
    "it may be that",
    "it might be that",
    *(f"{what} that" for what in ("possibility", "chance")),
    *(
        f"{verb} {some} {what} that"
        for verb in ("is", "was")
        for some in ("a", "a real", "a small", "a strong", "some")
        for what in ("possibility", "chance")
    ),
    *(
        f"{who} {verb} {conj}"
        for who in ("we", "i")
        for verb in ("wonder", "wondered")
        for conj in ("whether", "if")
    ),
    *(f"{who} not sure" for who in ("i am", "i m", "we are", "am", "are")),
    *(f"{who} suspect that" for who in ("we", "i")),
    "one cannot be sure that",
    "may or may not",
    *(f"may or may not {verb}" for verb in ("have", "has", "had", "be")),
    "whether or not",
    *("perhaps", "maybe", "most probably", "most likely"),
    *(f"{verb} possible that" for verb in ("remains", "remain", "is still")),
    *(f"{there}appears to be {some}" for there in ("", "there ") for some in ("some", "a", "an")),
    *(f"{modal} reflect" for modal in ("may", "might", "could")),
)
#: Hedges that ask about the clause after them: they are hedges only before its subject and
#: verb ("it is unclear whether she has intellectual disability"), a question about a
#: finding stated otherwise (:data:`_PSEUDO`).
_CLAUSE_QUESTIONS = (
    *(
        " ".join((*which, clear, conj))
        for which in (("it", "is"), ())
        for clear in ("unclear", "not clear", "uncertain", "not certain", "unknown", "not known")
        for conj in ("whether", "if")
    ),
    *(f"not sure {conj}" for conj in ("whether", "if")),
    *(f"remains to be seen {conj}" for conj in ("whether", "if")),
    "whether",
)
_UNC_FORWARD = (
    # since linking version 28: a hedge of what follows, not of the finding before ("he had
    # hypotonia and was suspected to have Prader-Willi syndrome"; "was suspected" alone
    # looks back)
    *(
        f"{be}{verb} to {have}"
        for be in ("", "was ", "were ", "is ", "are ")
        for verb in ("suspected", "thought", "presumed", "believed")
        for have in ("have", "possibly have", "be")
    ),
    "suspected of having",
    # since linking version 53: a hedge before the verb ("the proband probably has ptosis",
    # "a maternal uncle may have had epilepsy"; the verb ended the adverb's scope)
    *(
        f"{hedge} {verb}"
        for hedge in ("probably", "possibly", "likely")
        for verb in ("has", "had", "have")
    ),
    "may have had",
    "might have had",
    "could have had",
    # since linking version 53: a modal before a copula ("these may be streak gonads", "the
    # appearance might represent a cholesteatoma") and a specialist's "queried"
    *(f"{modal} {verb}" for modal in ("may", "might", "could") for verb in ("be", "represent")),
    "queried",
    # since linking version 54, a dictated note's hedges: "I wonder if that was a
    # rhabdomyoma", "which I think may well be angiofibromas", "soft bumps which sound like
    # neurofibromas to me", "they're wondering about dyslexia"
    *_SPOKEN_HEDGES,
    *(
        f"{hedge} {subject} {verb}"
        for hedge in _SPOKEN_HEDGES
        for subject in ("he", "she", "it", "that", "this", "there", "they")
        for verb in ("is", "was", "has", "had", "s", "are", "were")
    ),
    "wondering about",
    "wondering if",
    "wondering whether",
    "may well be",
    "might well be",
    "sound like",
    "sounds like",
    "sounded like",
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
    # since linking version 49: "no stigmata of chronic liver disease" denies its signs,
    # not the disease, nor do stigmata state it
    "stigmata of",
    "concern for",
    "concerning for",
    "rule out",
    "r o",
    "evaluate for",
    # since linking version 32, a letter's plan: "echo to look for cardiomyopathy", "consider
    # hypothyroidism", "ophthalmology review for retinal hamartomas"
    "look for",
    "looking for",
    "assess for",
    "assessment for",
    "evaluation for",
    "review for",
    "check for",
    "investigate for",
    "investigations for",
    "consider",
    "versus",
    # a differential diagnosis: its items are hedged ("differential diagnosis includes
    # epilepsy, syncope and migraine")
    "differential includes",
    "differential include",
    "differential included",
    "differential diagnosis includes",
    "differential diagnosis include",
    "differential diagnosis included",
    "differential diagnoses include",
    "differential diagnoses included",
    "differential diagnoses includes",
    "differential diagnosis of",
    "differential diagnosis is",
    "differential diagnoses are",
    "differential diagnosis :",
    # since linking version 67: "Working diagnosis: infantile spasms"
    *(
        f"{how} diagnosis :"
        for how in (
            "working",
            "provisional",
            "tentative",
            "likely",
            "possible",
            "probable",
            "presumed",
        )
    ),
    "differential diagnoses :",
    "differential :",
    # since linking version 34: "Differentials considered: congenital myotonic dystrophy."
    "differentials :",
    "differentials considered :",
    "differentials include",
    "differentials included",
    "differentials considered include",
    "differentials considered included",
    "ddx :",
    "ddx includes",
    "ddx include",
    # hypothetical: a risk, a test or a plan for a finding, a condition ("at risk of
    # developing X", "screening for X", "performed to exclude X", "if X occurs")
    "at risk of",
    "at risk for",
    "risk of",
    "risk for",
    "predisposition to",
    "predisposed to",
    "susceptibility to",
    "screening for",
    "screen for",
    "screened for",
    "surveillance for",
    "monitor for",
    "monitored for",
    "monitoring for",
    "watch for",
    "tested for",
    "to exclude",
    "to rule out",
    "to prevent",
    "prevention of",
    "prophylaxis against",
    "prophylaxis for",
    "may develop",
    "might develop",
    "can develop",
    "could develop",
    # since linking version 38, advice and misdiagnoses: "he was advised to avoid drugs that
    # prolong the QT interval", "advised to treat fever promptly", "her episodes had been
    # misdiagnosed as epilepsy", "treated for presumed asthma"
    "advised to",
    "advice to",
    "instructed to",
    "to avoid",
    "avoidance of",
    "misdiagnosed as",
    "misdiagnosed with",
    "mistaken for",
    "misinterpreted as",
    "presumed",
    "presumptive",
    # since linking version 43: what brings a finding on is no finding ("attacks were
    # provoked by cold exposure and fever", "pain worsened by fever")
    "provoked by",
    "triggered by",
    "precipitated by",
    "worsened by",
    "exacerbated by",
    "mimicking",
    # since linking version 44: a treatment's effect and an earlier diagnosis ("with a side
    # effect of abdominal cramps", "initially attributed to cerebral palsy")
    "side effect of",
    "side effects of",
    "side effects included",
    "adverse effect of",
    "adverse effects of",
    "initially diagnosed as",
    "initially diagnosed with",
    "initially attributed to",
    "initially thought to be",
    "equivocal for",
    # since linking version 46: a possibility raised, an earlier label, what brings a
    # finding on, and counselling ("raising the possibility of hypogonadism", "previously
    # labelled as breath-holding spells", "pain aggravated by fever", "warned about fever and
    # myalgia after the infusion"; not "worse with": "he got worse with fever, skin rash")
    "raising the possibility of",
    "raises the possibility of",
    "raised the possibility of",
    "the possibility of",
    "labelled as",
    "labeled as",
    # since linking version 47: "Initially labelled anorexia nervosa"
    "initially labelled",
    "initially labeled",
    "previously labelled",
    "previously labeled",
    "mislabelled as",
    "mislabeled as",
    "aggravated by",
    "brought on by",
    "induced by",
    "warned about",
    "warned of",
    "warned the family about",
    "warned the parents about",
    "counselled about",
    "counseled about",
    "counselled regarding",
    "counseled regarding",
    "counselled on",
    "counseled on",
    "may cause",
    "can cause",
    "may lead to",
    "can lead to",
    "if",
    "in case of",
    # a finding not reported either way: neither present nor ruled out ("no information on
    # vertebral anomalies", "no data about hearing were available")
    *(
        f"no {what} {about}"
        for what in ("information", "data", "details", "documentation")
        for about in ("on", "about", "regarding", "concerning", "as to")
    ),
    # a finding not ruled out by a test or a clinician ("The EEG does not exclude epilepsy",
    # "we could not rule out seizures"); "cannot be excluded" stays backward
    *(
        f"{negated} {verb}"
        for negated in (
            "does not",
            "do not",
            "did not",
            "cannot",
            "can not",
            "could not",
            "unable to",
            "not able to",
            *(
                f"{neg} {how}"
                for neg in ("cannot", "can not", "could not", "do not", "did not")
                for how in ("entirely", "fully", "completely", "definitively", "confidently")
            ),
        )
        for verb in ("exclude", "rule out")
    ),
    # a diagnosis held tentatively, or a finding looked for or expected ("a provisional
    # diagnosis of autism", "he is being assessed for autism", "he is expected to develop
    # ataxia")
    *(
        f"{how} diagnosis of"
        for how in ("tentative", "provisional", "working", "presumed", "possible", "probable")
    ),
    *(f"being {verb} for" for verb in ("assessed", "tested")),
    *(f"{verb} to develop" for verb in ("expected", "predicted", "likely")),
    "predicted to have",
    "expected to have",
    # a syndrome's or the literature's findings, not the patient's ("Common features include
    # macrocephaly", "previously reported patients had cleft palate")
    "common features include",
    "common features included",
    *(
        f"{when} {verb} {who}"
        for when in ("previously", "other")
        for verb in ("reported", "described", "published")
        for who in ("patients", "cases", "individuals")
    ),
    *(f"{which} reports" for which in ("previous", "published", "earlier")),
    *(
        f"{what} {verb} {before}been {linked}"
        for what in ("gene", "genes", "variant", "variants", "mutation", "mutations", "locus")
        for verb in ("has", "have")
        for before in ("", "previously ", "also ", "not ", "not previously ", "never ")
        for linked in ("associated with", "linked to", "implicated in")
    ),
    *(
        f"{how} {verb} with"
        for how in ("typically", "usually", "classically")
        for verb in ("presents", "present")
    ),
)
#: Since linking version 67, hedges of a clause, conditions, questions about the patient,
#: causes hedged and a gene's or a panel's findings: none of them where the finding is the
#: patient's own, named by a possessive after the trigger (:data:`_PRESUPPOSING`).
_UNC_CLAUSE = (
    # since linking version 67: a hedge of a whole clause, alone and before its subject and
    # verb ("It is possible that the eyes are widely spaced", "it is likely that he has a
    # hearing loss", "it is unclear whether she has intellectual disability"; not "it is
    # unclear whether his hypotonia is central", which asks about a finding stated), and a
    # condition ("if he has hypotonia", "should she develop seizures")
    *_with_clause(_CLAUSE_HEDGES, (*_CLAUSE_SUBJECT_VERBS, "it is", "it was", "it s")),
    *_with_clause(_CLAUSE_QUESTIONS, alone=False),
    *(
        f"{condition} {subject} {verb}"
        for condition in ("if", "should", "whether or not", "unless")
        for subject in ("he", "she")
        for verb in ("has", "have", "develops", "develop", "becomes", "become")
    ),
    *(
        f"{condition} there {verb}"
        for condition in ("if", "should")
        for verb in ("is", "are", "be")
    ),
    *(f"were {subject} to" for subject in ("he", "she", "they")),
    "in the event of",
    "should any",
    # questions to parents and colleagues ("Have you noticed any twitching?", "Have there
    # been any episodes of vomiting?")
    *(
        f"{aux} {who} {seen}"
        for aux, who in (("have", "you"), ("has", "she"), ("has", "he"), ("did", "you"))
        for seen in ("noticed", "notice", "seen", "see")
    ),
    *(f"{aux} there been any" for aux in ("have", "has")),
    *(f"{verb} there any" for verb in ("were", "was", "is", "are")),
    # a disease's, a gene's or a variant's findings ("Rett syndrome classically features loss
    # of purposeful hand use", "pathogenic variants in SCN1A typically cause febrile
    # seizures", "KCNQ2 encephalopathy is associated with neonatal-onset seizures")
    *(
        f"{how} {verb}"
        for how in ("typically", "usually", "classically", "characteristically", "commonly")
        for verb in ("cause", "causes", "features", "feature", "involves", "involve")
    ),
    *(
        f"{what} {verb} associated with"
        for what in (
            *("syndrome", "disease", "disorder", "encephalopathy", "deficiency", "condition"),
            *("deletion", "duplication", "variant", "variants", "mutations", "gene"),
        )
        for verb in ("is", "are", "was", "were")
    ),
    # a question about the patient ("Does he have ataxia?", "has she had any seizures?") and
    # a worry ("the parents are concerned that he has hearing loss")
    *(
        f"{aux} {subject} {verb}"
        for aux, verb in (
            ("does", "have"),
            ("did", "have"),
            ("did", "ever have"),
            ("has", "had"),
            ("has", "ever had"),
            ("could", "have"),
        )
        for subject in ("he", "she", "the patient", "the child")
    ),
    *(
        f"{worried} that {subject} {verb}"
        for worried in ("concerned", "worried", "do you think", "you think")
        for subject in ("he", "she")
        for verb in ("has", "had", "is", "was", "may", "might")
    ),
    # a cause hedged ("ataxia, possibly due to cerebellar hypoplasia", "the hypotonia is
    # likely secondary to a myopathy": the cause, not the finding)
    *(
        " ".join((*verb, hedge, cause))
        for verb in ((), ("is",), ("are",), ("was",), ("were",))
        for hedge in (
            "possibly",
            "probably",
            "likely",
            "presumably",
            "perhaps",
            "thought to be",
            "felt to be",
            "may be",
            "might be",
            "could be",
        )
        for cause in ("due to", "secondary to", "caused by", "related to", "attributable to")
    ),
    # ... and a gene's or a panel's ("filtered for genes associated with cleft palate", "a
    # gene panel for hearing loss")
    *(
        f"{gene} {linked}"
        for gene in ("gene", "genes")
        for linked in ("associated with", "linked to", "implicated in")
    ),
    "panel for",
)
_UNC_BACKWARD = (
    # since linking version 44: "thrombocytopenia as a side effect of valproate"
    "as a side effect",
    "as side effects",
    "as an adverse effect",
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
    # a negated exclusion is a hedge, not a finding affirmed ("seizures have not been
    # excluded")
    "not been excluded",
    "has not been excluded",
    "have not been excluded",
    "had not been excluded",
    "has not been ruled out",
    "have not been ruled out",
    "had not been ruled out",
    "has not yet been excluded",
    "have not yet been excluded",
    "has not yet been ruled out",
    "have not yet been ruled out",
    # since linking version 67: a finding not ruled out in full ("Hypotonia cannot be fully
    # excluded", "ataxia was neither confirmed nor excluded")
    *(
        f"{negated} {how} {verb}"
        for negated in (
            "cannot be",
            "can not be",
            "could not be",
            "has not been",
            "have not been",
            "had not been",
            "was not",
            "were not",
            "is not",
            "are not",
        )
        for how in (
            "entirely",
            "fully",
            "completely",
            "definitively",
            "definitely",
            "totally",
            "reliably",
        )
        for verb in ("excluded", "ruled out")
    ),
    *(f"neither confirmed nor {verb}" for verb in ("excluded", "refuted", "ruled out")),
)
#: Since linking version 67, a syndrome's or the literature's findings, not the patient's
#: ("Hypotonia is a recognised feature of this syndrome", "seizures are not a feature of
#: this condition", "cataracts have been reported in 30% of patients"): backward, and none
#: where the finding is the patient's by a possessive ("his macrocephaly is a known feature
#: of the condition") or the words after name the patient (:data:`_PATIENT_AFTER`).
_UNC_GENERAL = (
    *(
        f"{verb} {negated}a {known}{what} of {which}"
        for verb in ("is", "are")
        for negated in ("", "not ")
        for known in _KNOWN_FEATURE
        for what in ("feature", "finding", "complication", "manifestation", "sign", "hallmark")
        for which in ("this", "the", "these", "that", "such", "")
    ),
    *(
        f"{verb} {negated}{how} {seen} in"
        for verb in ("is", "are")
        for negated in ("", "not ")
        for how in ("typically", "usually", "commonly", "frequently", "often")
        for seen in ("seen", "reported", "described", "observed")
    ),
    *(f"not {how} associated with" for how in ("typically", "usually", "commonly")),
    *(f"not typical of {which}" for which in ("this", "the", "these", "such")),
    *(
        f"{verb} been {seen} in"
        for verb in ("has", "have")
        for seen in ("reported", "described", "observed", "documented")
    ),
    *(
        f"{verb} in {how}"
        for verb in ("occur", "occurs", "is seen", "are seen", "is reported", "are reported")
        for how in ("about", "approximately", "up to", "around", "roughly")
    ),
    *(f"{verb} common in" for verb in ("is", "are")),
    *(f"been {seen} in" for seen in ("reported", "described", "observed", "documented")),
    *(
        f"{verb} {seen} in the literature"
        for verb in ("been", "is", "are", "was", "were")
        for seen in ("reported", "described", "observed", "documented")
    ),
    *(
        f"in {which} {who}"
        for which in ("a minority of", "the majority of", "most", "many", "some")
        for who in (
            *("patients", "cases", "affected", "individuals", "carriers", "children"),
            *("adults", "males", "females"),
        )
    ),
    *(
        f"{verb} {over}represented in"
        for verb in ("is", "are")
        for over in ("over ", "over-", "over")
    ),
)
_UNC_GENERAL_PHRASES = frozenset(_UNC_GENERAL)
_PATIENT_AFTER = frozenset(
    {"our", "him", "her", "his", "their", "us", "me", "the", "presentation", "clinical"}
    | {"picture", "case", "patient", "proband", "index"}
)
_POSSESSIVE_STARTS = frozenset({"his", "her", "their", "our"})
#: Words of a finding already there, whose course is expected ("further progression of his
#: ataxia is anticipated", "recurrence of seizures remains a possibility").
_ONGOING = _POSSESSIVE_STARTS | frozenset(
    {"further", "progression", "worsening", "recurrence", "deterioration", "more"}
)
# Post-posed, at the end of the finding's clause only (:attr:`Trigger.final`): "Seizures
# are unlikely.", not "seizures are unlikely to recur".
_UNC_BACKWARD_FINAL = (
    "unlikely",
    "is unlikely",
    "are unlikely",
    "was unlikely",
    "were unlikely",
    "seems unlikely",
    "seem unlikely",
    "appears unlikely",
    "thought unlikely",
    "considered unlikely",
    "felt unlikely",
    # since linking version 52: "Early-onset Alzheimer disease is considered less likely"
    "less likely",
    # since linking version 51: "whether a Dandy-Walker malformation was present could
    # not be assessed"
    "could not be assessed",
    "could not be evaluated",
    "could not be determined",
    # since linking version 67: a finding not looked at, raised by someone, held
    # tentatively or expected ("Scoliosis was not assessed", "hepatomegaly was queried",
    # "optic atrophy was doubtful", "progressive ataxia is anticipated")
    *(
        f"{verb} not {done}"
        for verb in ("was", "were")
        for done in ("assessed", "evaluated", "examined", "tested")
    ),
    *(f"{verb} {raised}" for verb in ("was", "were") for raised in ("queried", "questioned")),
    *(f"{verb} not been assessed" for verb in ("has", "have", "had")),
    *(
        f"{verb} not {looked}"
        for verb in ("was", "were")
        for looked in ("looked for", "sought", "checked", "measured")
    ),
    *(
        f"{verb} {how}"
        for verb in ("is", "was", "are", "were")
        for how in ("doubtful", "debatable", "arguable", "tentative", "unconfirmed", "anticipated")
    ),
    *(f"{verb} {how}" for verb in ("appears", "seems") for how in ("possible", "likely")),
    *(f"{verb} not expected" for verb in ("is", "are")),
    *(f"{verb} questionable" for verb in ("was", "were")),  # not "there is questionable X"
    *(f"{verb} possible" for verb in ("remains", "remain", "is still", "are still")),
    *(f"{verb} a possibility" for verb in ("is", "are", "remains", "remain")),
    *(f"{verb} in the differential" for verb in ("is", "are", "was", "were", "remains", "remain")),
    "pending confirmation",
)
# Since linking version 47: "..., with tubulointerstitial nephritis suspected." (not
# "seizures suspected by the parents were confirmed")
_UNC_SUSPECTED_FINAL = ("suspected",)
# Two readings set side by side: each is hedged ("seizures vs syncope", "seizures vs.
# syncope"). Forward over a few words and backward over the word before (a scope of one
# word reaches the finding that ends there); "versus" (forward: :data:`_UNC_FORWARD`) is
# hedged backward too.
_UNC_ALTERNATIVES = ("vs", "vs .", "v s")
_ALTERNATIVE_WINDOW = 3
# A finding that may or may not be present, a name's own phrase ("intellectual disability
# with or without seizures", "with/without"): hedged over a few words, never ruled out.
_UNC_EITHER = ("with or without", "with without", "with and without")
# Since linking version 54: a finding named by the screen that looks for it ("ophthalmology
# for an optic glioma screen", "MRA for berry aneurysm screening"): hedged, over the word
# before only; not a screen whose result is stated ("glaucoma screening has been normal",
# "scoliosis screen was positive").
_UNC_SCREENS = ("screen", "screening", "screens")
_SCREEN_RESULTS = frozenset(
    {"has", "have", "had", "was", "were", "is", "are", "normal", "negative", "positive"}
)

# A modal right after a finding: "seizures may occur" (a scope of one word, the end of the
# finding before it: "he has hypotonia and seizures may occur" hedges the seizures only).
_UNC_BACKWARD_SHORT = (
    # since linking version 34: a plan's test or a service named by a finding is none of
    # the patient's ("cancer surveillance", "epilepsy gene panel", "EPILEPSY CLINIC")
    "surveillance",
    "screening",
    "panel",
    "gene panel",
    "clinic",
    "service",
    "team",
    "nurse",
    "mdt",
    # since linking version 38: "heart failure may develop later in life"
    "may develop",
    "might develop",
    "can develop",
    "could develop",
    "may arise",
    "may occur",
    "can occur",
    "might occur",
    "could occur",
    "may be present",
    "may appear",
    # since linking version 67: "a cleft palate might be present", "ptosis was possibly
    # present", "hypotonia may be a feature", "renal cysts are likely to develop"
    "could be present",
    "might be present",
    "panel for",  # "an epilepsy panel for his spasms" (the forward reading: _UNC_CLAUSE)
    *(f"{verb} possibly present" for verb in ("is", "are", "was", "were")),
    "may be a feature",
    *(f"{verb} likely to develop" for verb in ("is", "are")),
)
# After a finding, words that keep a post-posed trigger at the end of its clause:
# "reflexes absent bilaterally", "seizures excluded by EEG", "seizure free since 2010".
_AFTER_FINAL = frozenset(
    {
        "on",
        "in",
        "at",
        "by",
        "since",
        "for",
        "from",
        "during",
        "after",
        "throughout",
        "bilaterally",
        "clinically",
        "now",
        "today",
        "currently",
        "given",  # "felt unlikely given the progression"
        "because",  # since linking version 67: "Scoliosis was not assessed because ..."
    }
)
_PSEUDO = (
    "no further",
    "no more",  # since linking version 53: "no more seizures after valproate"
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
    "not cause",
    # since linking version 48: a finding that came later ("the rash was not present at
    # birth but appeared at 2 months"): its onset, not its absence
    "not present at birth",
    "not present initially",
    "not initially present",
    "not present at first",
    "not present in infancy",
    "not evident at birth",
    "not apparent at birth",
    "not noted at birth",
    "not seen at birth",
    "not visible at birth",
    "normal limits",
    # a double negation: the finding is always there ("she is never without pain")
    "never without",
    "not without",
    "rarely without",
    "seldom without",
    # a negation of a treatment, an evaluation or a manner, not of the findings after it
    # ("without treatment, seizures recur", "no medication controlled his seizures",
    # "no matter the dose", "he has not been evaluated for his seizures")
    "no matter",
    "no doubt",
    "without treatment",
    "without therapy",
    "without medication",
    "without medications",
    "without intervention",
    "without surgery",
    "no treatment",
    "no therapy",
    "no medication",
    "no medications",
    "no drug",
    "no drugs",
    "no intervention",
    "not treated",
    "not been treated",
    "not evaluated",
    "not been evaluated",
    "not yet evaluated",
    "not been assessed",
    "not been investigated",
    "not been examined",
    # a question about a finding the text names, not a hedge of it ("it is unclear whether
    # his hypotonia is central"), like "not certain whether"
    "unclear if",
    "unclear whether",
    "unknown if",
    "unknown whether",
    "not known if",
    "not known whether",
    "not clear if",
    "not clear whether",
    "uncertain if",
    "uncertain whether",
    "as if",
    # since linking version 67: a patient compared with most ("hypotonia in infancy as in most
    # patients") and a finding that became apparent ("hypotonia became apparent when ...":
    # no hedge, :data:`_UNC_APPARENT`)
    "as in",
    "as seen in",
    "as reported in",
    "as described in",
    *(
        f"{verb} apparent"
        for verb in ("became", "become", "becomes", "becoming", "was", "were", "is", "are", "be")
    ),
    "more apparent",
    "clinically apparent",
    # a hedge of the diagnosis asked for, not of the findings that follow ("possible
    # diagnoses for a boy with seizures", "likely causes of X and Y")
    "possible diagnosis",
    "possible diagnoses",
    "probable diagnosis",
    "probable diagnoses",
    "likely diagnosis",
    "likely diagnoses",
    "possible cause",
    "possible causes",
    "likely cause",
    "likely causes",
    "possible explanation",
    "possible explanations",
    "possible etiology",
    "possible etiologies",
    "possible syndrome",
    "possible syndromes",
    "possible disorder",
    "possible disorders",
    "possible condition",
    "possible conditions",
    # a finding that stays: no response, improvement or recurrence of it ("no improvement
    # in ataxia", "seizures did not respond to valproate", "no recurrence of seizures")
    "no improvement",
    "no significant improvement",
    "no clinical improvement",
    "without improvement",
    "not improve",
    "not improved",
    "did not improve",
    "no response",
    "no clinical response",
    "not respond",
    "did not respond",
    "not responsive",
    "not responding",
    "failed to respond",
    "no benefit",
    "no resolution",
    "not resolve",
    "not resolved",
    "did not resolve",
    "no recurrence",
    "no worsening",
    "no progression",
    "no reduction",
    "no decrease",
    "not controlled",
    "not well controlled",
    # since linking version 67: no explanation or diagnosis of a finding is no absence of it
    # ("we do not have an explanation for his seizures")
    *(
        f"{aux} not have {what}"
        for aux in ("do", "does", "did")
        for what in (
            "an explanation",
            "a diagnosis",
            "any concerns",
            "concerns",
            "a cause",
            "an answer",
            "any explanation",
        )
    ),
    "not only does",
    "not only did",
    # a question that takes the finding as given ("Why does she
    # have seizures?"), unlike "Does she have seizures?"
    *(
        f"{wh} {aux}"
        for wh in ("why", "how", "when", "how long", "since when")
        for aux in ("does", "did", "has", "have")
    ),
    # a finding left unexplained ("no explanation for the seizures
    # was found", "discharged without a diagnosis for his hypotonia")
    "no explanation",
    "without explanation",
    "without an explanation",
    "no diagnosis for",
    "without a diagnosis for",
)
_CLAUSE_COMMA = frozenset({","})
#: After "but", words that go on with the same subject's findings, ruled out.
_NEGATED_AFTER_BUT = frozenset({"no", "not", "without", "never"})
#: ... and, since linking version 53, what is normal ("his mother has dysphagia but normal
#: hearing").
_SAME_SUBJECT_AFTER_BUT = _NEGATED_AFTER_BUT | {"normal", "otherwise"}


def _same_subject_after_but(words: Sequence[str], j: int, inside: AbstractSet[int]) -> bool:
    """Whether what follows a "but" at ``j`` goes on with the subject before it: a finding
    ruled out or normal ("his mother has ptosis but no dysphagia", "... but normal
    hearing") or, since linking version 53, a finding right after it ("his mother has normal
    hearing but dysphagia"), also after a comparison between commas ("but, in contrast to
    his sister, no freckling")."""
    n = len(words)
    if j < n and words[j] == ",":
        e = j + 1
        while e < n and e - j <= _APPOSITIVE_WORDS and words[e] not in (",", *_SENTENCE_ENDS):
            e += 1
        if e >= n or words[e] != "," or words[j + 1] not in _COMPARISON_OPENINGS:
            return False
        j = e + 1
    return j < n and (words[j] in _SAME_SUBJECT_AFTER_BUT or j in inside)


#: Terminating phrases that name a cause: they end a negation's scope, not a relative's.
_CAUSES = frozenset({"secondary to", "due to", "because", "cause of"})
#: ... nor do a reason's ("his mother, given her own history of epilepsy, ...").
_REASONS_GIVEN = frozenset({"given his", "given her", "given their"})
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
    # since linking version 32: a dash written apart ends a list's item ("Hypotonia - no
    # seizures - microcephaly")
    "-",
    "\u2013",
    "\u2014",
    # an affirmation of what follows ("negative for seizures and positive for hypotonia")
    "positive for",
    "positive :",
    "positives :",
    # since linking version 47: ", plus myopathic units" adds a finding
    ", plus",
    # since linking version 67: a reason stated after a hedged finding is the patient's ("it
    # is likely that he has hypermetropia, given his squint")
    "given his",
    "given her",
    "given their",
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
    # a finding reported or a course stated after a negated one: a clause of its own
    # ("denies seizures, reports ataxia", "no seizures or ataxia occurred, and his
    # hypotonia improved", "no ptosis; hypotonia persists")
    "reports",
    "endorses",
    "endorsed",
    "admits",
    "complains",
    "complained",
    "exhibits",
    "exhibited",
    "displays",
    "displayed",
    "persists",
    "persisted",
    "persist",
    "recurs",
    "recurred",
    "recur",
    "worsened",
    "worsens",
    "improved",
    "improves",
    "continues",
    "continued",
    "remains",
    "remained",
    "occurred",
    "occurs",
    "began",
    "begins",
    "emerged",
    "progressed",
    "progresses",
)
# Subject pronouns start a new clause about the patient: "she does not walk, and she
# cannot speak" negates walking only. Like the verbs above they end negation and
# uncertainty scopes.
_CLAUSE_SUBJECTS = ("he", "she", "they")
# Relatives who may be the patients themselves: the patient's children are "his/her
# children" and the probands of a report on siblings are "the brothers", "both brothers",
# "two siblings". These open a family scope only when anchored to someone else
# (:func:`_anchored`): "her son has seizures", "his two brothers have ataxia", "they have
# two other children with ...", not "these are two siblings with ..." or "the mother says
# her son has seizures".
_OFFSPRING = frozenset(
    {
        "son",
        "sons",
        "daughter",
        "daughters",
        "child",
        "children",
        "grandson",
        "granddaughter",
        "grandchild",
        "grandchildren",
    }
)
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
    "nieces",  # since linking version 67
    "nephews",
    "relative",
    "relatives",
    "half brother",
    "half sister",
    "mom",
    "mum",
    "mommy",
    "mummy",
    "dad",
    "daddy",
    "grandma",
    "grandpa",
    "granny",
    "twin",
    "twins",
    # since linking version 54: a family's own words ("his nan", "my husband's brother",
    # "older sis") and a spouse, who is the patient's other parent in a parent's letter
    # and no patient in an adult's own ("my wife has cataracts")
    *("grandad", "granddad", "gran", "nan", "nana", "nanna", "auntie", "aunty"),
    *("sis", "bro", "husband", "wife"),
    *sorted(_OFFSPRING),
)
_PEERS = frozenset({"brothers", "sisters", "siblings", "sibs", "cousins", "twin", "twins"})
#: The relatives named in one word.
_RELATIVE_WORDS = frozenset(r for r in _RELATIVES if " " not in r)
_ANCHORED_ONLY = _OFFSPRING | _PEERS | {"husband", "wife"}
# Words before such a relative that tie it to someone else: a possessive, the side of the
# family, "other", a verb of having ("he has two brothers with ...").
_ANCHORS = frozenset(
    {
        "his",
        "her",
        "their",
        "my",
        "s",
        "a",
        "an",
        "maternal",
        "paternal",
        "other",
        "another",
        "older",
        "younger",
        "elder",
        "eldest",
        "youngest",
        "half",
        "step",
        "co",
        "has",
        "have",
        "had",
        "having",
    }
)
_POSSESSIVES = frozenset({"his", "her", "their", "my"})
# A parent's child is the patient or a sibling, so "their son" is no anchor; nor is "my son":
# who writes of "my son" or "my daughter" is a parent describing the patient ("my son has
# seizures and autism, what could it be?").
_NOT_OFFSPRING_ANCHORS = frozenset({"their", "my"})
# "child" and "children" are anchored only by a possessive or "other" ("her children",
# "the patient's child", "two other children"): "a child", "the children" may be the
# patients themselves.
_CHILDREN = frozenset({"child", "children", "grandchild", "grandchildren"})
_CHILD_ANCHORS = frozenset({"his", "her", "my", "s", "other", "another"})
#: Numbers in words, one to twenty ("his two older brothers", "her ten-month-old son").
_NUMBER_WORDS = frozenset((
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
))  # fmt: skip
# Words between an anchor and the relative: "his two older brothers", "a healthy son".
_ANCHOR_SKIPPED = _NUMBER_WORDS | frozenset(
    {
        "both",
        "all",
        "affected",
        "unaffected",
        "healthy",
        "deceased",
        "male",
        "female",
        "identical",
        "monozygotic",
        "dizygotic",
        "full",
        "biological",
        "adult",
        "twin",
        # since linking version 25: "her first son", "his newborn brother", "her little
        # sister" (an age, "her 3-year-old daughter", is read by _age_before)
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "newborn",
        "infant",
        "baby",
        "little",
        "young",
        "teenage",
        "adopted",
    }
)
# The units of an age written before a relative ("her 3-year-old daughter").
_AGE_UNITS = frozenset({"year", "years", "month", "months", "week", "weeks", "day", "days"})
# Before a relative after "in": indefinite people ("present in two sisters") are relatives
# even without an anchor; definite ones ("in both brothers") are the report's own.
_INDEFINITE = frozenset({"a", "an", "one", "two", "three", "four", "five", "six", "several"})
# A parent who reports on "her son" speaks of the patient: "the mother says her son has
# seizures".
_REPORTING = frozenset(
    {
        "report",
        "reports",
        "reported",
        "say",
        "says",
        "said",
        "state",
        "states",
        "stated",
        "note",
        "notes",
        "noted",
        "noticed",
        "describe",
        "describes",
        "described",
        "feel",
        "feels",
        "felt",
        "believe",
        "believes",
        "believed",
        "think",
        "thinks",
        "thought",
        "mention",
        "mentions",
        "mentioned",
        "explain",
        "explains",
        "explained",
        "worry",
        "worries",
        "worried",
        "fear",
        "fears",
        "feared",
        "that",
    }
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
        # since linking version 38: "screening of his sister revealed ..."
        "revealed",
        "reveals",
        "demonstrated",
        "disclosed",
        # since linking version 46: what a relative underwent or needed is for the
        # relative's finding ("his uncle underwent surgery for aortic dissection", "her
        # sister required dialysis for kidney failure", "his father lost several teeth")
        "underwent",
        "undergoes",
        "received",
        "receives",
        "required",
        "requires",
        "needed",
        "needs",
        "lost",
        "experienced",
        # since linking version 67: "the father takes levothyroxine" (not "took him to")
        "takes",
        "took",
        "taking",
        "sustained",
        # since linking version 47: "her brother passed kidney stones", "her sister was
        # told she had low potassium", "his father carries a diagnosis of HCM"
        "passed",
        "told",
        "carries",
        "carried",
        # since linking version 53, a lay family history: "her mother went deaf in her
        # forties", "his brother gets seizures", "her aunt became blind"
        "went",
        "gets",
        "got",
        "became",
        "becomes",
        "complains",
        "complained",
        # since linking version 56, a relative's device: "his mother wears hearing aids"
        # (not "uses": "his mother uses a spoon to feed him because of his dysphagia")
        "wears",
        "wore",
    }
)
_EXPERIENCER_ADVERBS = frozenset(
    {"also", "too", "similarly", "both", "all", "reportedly"}
    # since linking version 53: a hedge or a time between a relative and the verb ("a
    # maternal uncle probably had epilepsy", "his brother later developed seizures")
    | {"probably", "possibly", "likely", "may", "might", "later"}
    # since linking version 54: a family's emphasis ("Mum herself had", "gran always had")
    | {"herself", "himself", "themselves", "always"}
)
# "were all normal", "both were negative": a backward trigger about a whole list.
_LIST_QUANTIFIERS = frozenset({"all", "both"})
_FAMILY_PHRASES = (
    "family history of",
    "family history",
    "history in the family",
    "family hx",
    "family hx of",
    "fam hx",
    "fhx",
    "fhx of",
    "fh :",
    "fh of",
    "fh -",
    # since linking version 51: an earlier pregnancy's child or fetus, a sibling of the
    # patient ("Previous child with developmental delay", "a previous pregnancy ended at
    # 24 weeks with stiff joints")
    *(
        f"{earlier} {who}"
        for earlier in ("previous", "prior", "earlier")
        for who in ("child", "baby", "fetus", "foetus", "pregnancy", "sibling", "son", "daughter")
    ),
)
# After a finding: "seizures run in the family".
_FAMILY_BACKWARD = (
    # since linking version 67, before "is common in" (a syndrome's) takes the words
    *(f"{verb} common in the family" for verb in ("is", "are", "was", "were")),
    "runs in the family",
    "run in the family",
    "ran in the family",
    "running in the family",
    "runs in his family",
    "runs in her family",
    "runs in their family",
    "run in his family",
    "run in her family",
    "run in their family",
    "runs in families",
)
# Since linking version 48: "no diabetes in the family", "deafness in the wider family";
# a short scope, over the list right before.
_FAMILY_BACKWARD_SHORT = (
    "in the family",
    "in his family",
    "in her family",
    "in their family",
    "in the extended family",
    "in the wider family",
    "in either family",
)
# A relative's finding ruled out: "no family history of X" is neither the patient's finding
# nor present in the family.
_NEGATED_RELATIVES = (
    *(f"neither of {whose} parents" for whose in ("his", "her", "their", "the")),
    "neither parent",
    *(
        " ".join(("none", "of", whose, *count, who))
        for whose in ("his", "her", "their", "the")
        for count in ((), ("two",), ("three",), ("four",), ("other",))
        for who in ("siblings", "brothers", "sisters", "relatives", "children")
    ),
    "no family members",
    "no family member",
    "no member of the family",
    "nobody in the family",
    "no one in the family",
    "no relatives",
    "no relative",
)
_FAMILY_NEGATED = (
    "no family history of",
    "no family history",
    "no known family history of",
    "no known family history",
    "no relevant family history of",
    "no history in the family of",
    "negative family history of",
    "negative family history for",
    "family history negative for",
    "family history was negative for",
    "family history is negative for",
    "family history was negative",
    "family history is negative",
    "family history was unremarkable for",
    "family history is unremarkable for",
    "no family hx of",
    "no fhx of",
    "no fh of",
    "fh negative for",
    # since linking version 48: "neither" or "none" as the subject stands for the relatives
    # named before it ("his parents are healthy; neither has heart disease or woolly hair")
    "neither has",
    "neither had",
    "neither have",
    "neither shows",
    "neither showed",
    "neither of them has",
    "neither of them had",
    "none has",
    "none had",
    "none have",
    "none of them has",
    "none of them had",
    "fhx negative for",
    "family hx negative for",
    # since linking version 67: "two brothers, none of whom have seizures"
    *(
        f"{none} of whom {verb}"
        for none in ("none", "neither")
        for verb in ("has", "have", "had", "shows", "showed")
    ),
    # since linking version 67: relatives named as the subject a negation quantifies
    # ("neither parent has short stature", "no family members have seizures"; not "no other
    # family members", which says the patient has it)
    *(
        f"{who} {verb}"
        for who in _NEGATED_RELATIVES
        for verb in ("has", "had", "have", "shows", "showed")
    ),
)
# Words that start a clause about the patient and so end a family scope.
_PATIENT_WORDS = frozenset({"he", "she", "patient", "proband", "index", "our", "boy", "girl"})
# A relative who is concerned about, or told of, the patient's findings does not have them:
# "her mother was concerned about his hypotonia", "the parents were advised to ...".
_CONCERN_WORDS = frozenset(
    {
        "concerned",
        "worried",
        "anxious",
        "afraid",
        "alarmed",
        "upset",
        "unsure",
        "aware",
        "frustrated",
        "told",
        "informed",
        "counseled",
        "counselled",
        "advised",
        "reassured",
        "asked",
        "interviewed",
        "concerns",
        "noticed",
    }
)
# Words before a relative after "in": "seizures were also reported in [her older] brother".
_RELATIVE_MODIFIERS = frozenset(
    {
        "his",
        "her",
        "their",
        "the",
        "a",
        "an",
        "one",
        "two",
        "three",
        "both",
        "all",
        "older",
        "elder",
        "younger",
        "maternal",
        "paternal",
        "affected",
        "other",
        "another",
        "twin",
        "half",
        "four",
        "five",
        "six",
        "multiple",
        "several",
        "many",
        "numerous",
        "various",
        "some",
        "first",
        "second",
        "degree",
        "eldest",
        "youngest",
        "deceased",
        "healthy",
        "co",
        "step",
    }
)
# Since linking version 30: "a male infant born to consanguineous parents had short limbs":
# the parents are whom the patient was born to, not who has the findings after them.
_BORN_TO_WORDS = 7
#: The most words between "born" and its "to" ("born at 38 + 2 weeks to").
_BORN_WHEN_WORDS = 6
_OWN_CLAUSE_OPENERS = frozenset({"who", "whom", "whose", "that", "with", "having", "affected"})
_HEALTHY = frozenset({"healthy", "unaffected", "well", "asymptomatic"})


def _born_to(words: Sequence[str], i: int, n: int) -> bool:
    """Whether "born to" comes a few words before the relative at ``i`` in its sentence, and
    no clause of the relative's own follows it ("born to a mother who had epilepsy", "born
    to a father with ...": the relative's)."""
    # "born to healthy parents with bilateral cleft lip": healthy parents have none of it,
    # so the "with" is the child's (since linking version 47)
    if (
        i + 1 < n
        and words[i + 1] in _OWN_CLAUSE_OPENERS
        and (words[i + 1] != "with" or not _HEALTHY.intersection(words[max(0, i - 3) : i]))
    ):
        return False
    for k in range(i - 2, max(-1, i - 2 - _BORN_TO_WORDS), -1):
        if words[k] in _SENTENCE_ENDS:
            return False
        # "born to", and since linking version 49 with the birth's time between: "born at
        # term to", "born at 36 weeks to", "born preterm to"
        if words[k] == "born" and "to" in words[k + 1 : min(i, k + 1 + _BORN_WHEN_WORDS)]:
            return all(w not in _CLAUSE_ENDS for w in words[k + 1 : i])
    return False


# After "in the mother's": words that still name relatives ("in the mother's family").
_KIN_WORDS = frozenset({"family", "side", "relatives", "kindred", "lineage"})


def _signed_ve(words: list[str], tokens: TokenTable) -> list[str]:
    """``words`` with the ``ve`` of a letter's "-ve" and "+ve" (negative, positive) read
    with its sign, which the tokens leave out: "Seizures -ve." is ruled out."""
    signed = list(words)
    for j, word in enumerate(words):
        if word == "ve" and j:
            sign = tokens.separator_before(j)[-1:]
            if sign in ("-", "+", "\u2212"):
                signed[j] = ("+" if sign == "+" else "-") + "ve"
    return signed


#: Verbs whose "n't" the tokens split off as a bare "t" ("doesn't" -> "doesn", "t"), by
#: the verb in full.


def _contracted_not(words: list[str]) -> list[str]:
    """``words`` with a contracted "n't" read in full: "doesn", "t" as "does", "not" (since
    linking version 53: "he doesn't have seizures" ruled nothing out). :func:`scan`'s tables
    have it read already (since version 54); tokens from elsewhere may not."""
    full = list(words)
    for j in range(1, len(words)):
        if words[j] == "t" and words[j - 1] in NOT_CONTRACTED:
            full[j - 1], full[j] = NOT_CONTRACTED[words[j - 1]], "not"
    return full


_AGE_WORDS = frozenset({"aged", "age"})
_AGE_ABBREVIATIONS = frozenset({"y", "yo", "yr", "yrs", "m", "mo"})


def _label_mark(words: Sequence[str], j: int) -> int | None:
    """The index of the mark that makes a relative's word before ``j`` a label ("Mother:",
    "Brother - seizures"), also past a bracket or an age between ("Father (45):", "Mother,
    38:", "Maternal grandfather aged 67 years:"); else None."""
    n = len(words)
    if j < n and words[j] == "(":
        close = next((k for k in range(j + 1, min(n, j + 6)) if words[k] == ")"), None)
        if close is None:
            return None
        j = close + 1
    elif j < n and (words[j] == "," or words[j] in _AGE_WORDS):
        k = j + 1
        if words[j] == "," and k < n and words[k] in _AGE_WORDS:
            k += 1
        if not (k < n and words[k].isdigit()):
            return None
        j = k + 1
        if j < n and (words[j] in _AGE_UNITS or words[j] in _AGE_ABBREVIATIONS):
            j += 1
    return j if j < n and words[j] in _LABEL_MARKS else None


# After a relative, the marks of a label: "Mother: migraine", "Brother - seizures".
_LABEL_MARKS = frozenset({":", "-", "\u2013", "\u2014", "\uff1a"})
# Words that make "X in her brother" a comparison with the patient's own finding.
_COMPARISONS = frozenset({"like", "similar", "as", "than", "those", "that"})
# An appositive or a bracket between a relative and its verb is skipped when it is at most
# this many words: "his older brother, now aged 10, has epilepsy", "a sister (II-2) has".
_APPOSITIVE_WORDS = 6
# Words a relative's appositive never holds (they make it a clause of its own).
_NO_APPOSITIVE = frozenset({"and", "but", "who", "which", "that", ":"}) | _SENTENCE_ENDS
# The first words of an appositive that may hold an "and" ("aged 42 and otherwise well",
# "a teacher and mother of three"; since linking version 53).
_APPOSITIVE_OPENINGS = frozenset({"aged", "now", "a", "an", "born", "currently", "age"})
# The first words of a comparison between commas, which may name the patient ("her brother,
# unlike the proband, has", "but, in contrast to his sister, no freckling").
_COMPARISON_OPENINGS = frozenset({"unlike", "like", "in", "as"})

# "finding: status" forms: "Seizures: none", "Hypotonia: no", "Ptosis - no", "seizures (-)".
_STATUS_MARKS = frozenset({":", "-", "\u2013", "\u2014"})
_STATUS_NEGATIVE = frozenset(
    {
        "none",
        "absent",
        "no",
        "negative",
        "neg",
        "nil",
        "denied",
        "denies",
        "normal",
        "-",
        "\u2212",
        "unremarkable",
        "not present",
        "not seen",
        "not observed",
        "not noted",
        "not found",
        "not detected",
        # since linking version 32: "Hypogonadism - not yet", "Allergies: none known"
        "not yet",
        "nil to date",
        "none to date",
        "-ve",
        "none known",
        "nil known",
        "none reported",
    }
)
# Where the clause of a finding with a status starts: after a clause or sentence mark, a
# status mark or a bracket ("seizures (-) hypotonia (+)").
_STATUS_CLAUSE_ENDS = _CLAUSE_ENDS | _STATUS_MARKS | frozenset("()")
_STATUS_POSITIVE = frozenset(
    {"yes", "present", "positive", "pos", "+", "+ve", "noted", "seen", "observed", "found"}
)
_STATUS_UNCERTAIN = frozenset(
    {
        "possible",
        "probable",
        "suspected",
        "questionable",
        "query",
        "equivocal",
        "unclear",
        "uncertain",
        "unknown",
        "?",
        "\uff1f",
        "likely",
        "unlikely",
    }
)
_STATUSES = _STATUS_NEGATIVE | _STATUS_POSITIVE | _STATUS_UNCERTAIN
# Words that may follow a status and keep it one: where it was found ("Scoliosis: not present
# on exam"), not when ("Seizures: none since 2019" had seizures before).
_AFTER_STATUS = frozenset({"on", "in", "at", "bilaterally", "clinically", "today", "currently"})
# Where a sentence or a heading's item starts: a finding there alone with a question mark
# is hedged ("Seizures?", "Exam: ptosis?").
_ITEM_STARTS = _SENTENCE_ENDS | frozenset({":", "\uff1a"})

# Words that end a forward negation or uncertainty scope after a finding: an affirmation
# ("no seizures, hypotonia present"), a copula of a clause of its own ("there was no ptosis,
# and marked hypotonia was observed"). After the first item of a list joined by a comma
# the scope ends before the item that holds one.
_AFFIRMATIONS = frozenset(
    {
        "present",
        "noted",
        "observed",
        "found",
        "seen",
        "detected",
        "identified",
        "evident",
        "apparent",
        "documented",
        "confirmed",
        "reported",
        "is",
        "are",
        "was",
        "were",
    }
)
# After a comma in a forward scope, words that start a clause of its own: "no ptosis, with
# marked ataxia", "no seizures, her hypotonia worsened"; after ", and" also a determiner:
# "no seizures, and the hypotonia improved".
_CLAUSE_OPENERS = frozenset({"with", "his", "her", "their", "its"})
_CLAUSE_OPENERS_AFTER_AND = frozenset({"the", "this", "these", "that", "there"})
# After a plain "and", a determiner or possessive that may start a clause with a verb of
# its own (only read as one when that verb comes: "no X and the spleen was enlarged").
_OWN_SUBJECTS = frozenset({"the", "his", "her", "their", "its", "this", "these"})
_OWN_VERBS = frozenset({"was", "were", "is", "are", "became", "remained", "appeared", "seemed"})
_OWN_CLAUSE_WORDS = 5


def _own_clause(words: Sequence[str], k: int) -> bool:
    """Whether the item at ``k`` (after a plain "and") is a clause of its own: a
    determiner or possessive, then a finite verb within a few words, before any mark or
    conjunction ("and the spleen was enlarged", "and his abdomen was distended"; not "and
    the brainstem", nor "and the vermis, which was small")."""
    if k >= len(words) or words[k] not in _OWN_SUBJECTS:
        return False
    for w in words[k + 1 : k + 1 + _OWN_CLAUSE_WORDS]:
        if w in _OWN_VERBS:
            return True
        if w in _FORWARD_SEPARATORS or w in _CLAUSE_ENDS or w in ("which", "that", "who"):
            return False
    return False


# After a comma (not ", or"), a word of degree or quantity that asserts a finding starts a
# positive statement of its own: "no seizures, severe hypotonia", "no neutrophils, abundant
# macrophages" (NegEx and pyConText have no such rule and negate both; case reports write
# "no X, marked Y" for a present Y). Kept to words that state a finding is there to a
# clear degree or count. Left out, since lists of ruled-out findings do begin with them:
# "mild" ("no fever, mild or occasional cough"), "significant" ("denies fever, chills,
# significant weight loss"), "frequent", "persistent", "progressive" ("no persistent
# cough"), "bilateral" and "diffuse" (where, not how much). An "or"/"nor" further on keeps
# the list negated ("no fever, severe pain or rash", "no mild, moderate or severe pain"):
# :func:`_or_ahead`.
_DEGREE_OPENERS = frozenset(
    {
        "severe",
        "severely",
        "marked",
        "markedly",
        "prominent",
        "pronounced",
        "profound",
        "profoundly",
        "moderate",
        "moderately",
        "massive",
        "extensive",
        "many",
        "numerous",
        "abundant",
        "multiple",
        "several",
        "innumerable",
    }
)
# After "and" alone, a word of severity: "seizures without fever and marked hypotonia".
_SEVERITY_OPENERS = frozenset(
    {"severe", "severely", "marked", "markedly", "profound", "profoundly", "pronounced"}
    | {"prominent", "massive", "extensive"}
)
# After ", and" also a word of recurrence or a count (since linking version 43): "no
# eczema, and recurrent pneumonia", "without erythema, and two episodes of pneumonia".
_OPENERS_AFTER_AND = frozenset({"recurrent", "repeated", "two", "three", "four", "five"})
# Since linking version 48, an article too starts an item of its own after a comma or a
# first item's "and": "without diplopia, a wet voice, and weakness", "no cleft palate and a
# small VSD" (an "or" further on keeps the list negated: "no fever, a rash or pain").
_ARTICLES = frozenset({"a", "an"})
# "as well as" adds to what a forward scope rules out an item of its own.
_AS_WELL = ["well", "as"]
# ", along with" adds an item of its own too: what it adds is stated, not ruled out or hedged
# (without the comma it may join the list: "no seizures along with ataxia were observed").
_WITH = ["with"]
# Words between the items of a forward list: "no A, B, C, or D", "neither A nor B".
_FORWARD_SEPARATORS = frozenset({",", "and", "or", "nor"})

_OR = frozenset({"or", "nor"})
#: After "until", the present: "he had not any seizure until now" rules seizures out (since
#: linking version 53); "until age 12" is a later onset.
_UNTIL_NOW = frozenset({"now", "today", "date", "present", "this"})


#: Words that state a structure's absence: a negation after them ("not seen") confirms it.
_ABSENCE_WORDS = frozenset({"absent", "agenesis", "aplasia", "aplastic", "missing"})


def _confirms_an_absence(words: Sequence[str], start: int, i: int) -> bool:
    """Whether a negation at ``i`` opens a bracket after a structure said to be absent
    ("kidney is absent (not seen ...)", "renal agenesis (kidney not seen on ultrasound)")."""
    bracket = next((k for k in range(i - 1, max(start, i - 3) - 1, -1) if words[k] == "("), None)
    return bracket is not None and bool(_ABSENCE_WORDS.intersection(words[start:bracket]))


def _later_onset(words: Sequence[str], k: int) -> bool:
    """Whether a negation's scope that ends at ``k`` ends at an "until" of a later time
    ("did not have seizures until age 12", "hypotonia was not present until 6 months"):
    a later onset, not a ruled-out finding; "until now" is none."""
    n = len(words)
    return k < n and words[k] == "until" and (k + 1 >= n or words[k + 1] not in _UNTIL_NOW)


# A negation in these words followed by "until" is a delay, not a ruled-out finding.
_VERBAL = frozenset({"not", "never"})
# Before the concern word any adverb in -ly ("mainly", "primarily", "deeply") is skipped
# too (:func:`_concerned`).
_CONCERN_ADVERBS = frozenset(
    {
        "very",
        "also",
        "initially",
        "quite",
        "particularly",
        "first",
        "more",
        "most",
        "increasingly",
        "so",
        "especially",
        "rather",
        "too",
        "much",
        "always",
        "often",
        "still",
        "now",
        "even",
    }
)
# The most adverbs skipped before a concern word.
_CONCERN_ADVERB_WORDS = 3

# Generic statements about a disorder or its patients, not about this patient: "patients
# with this syndrome typically have X", "this disorder is characterized by X".
_GENERIC_PEOPLE = frozenset(
    {"patients", "individuals", "people", "persons", "children", "carriers", "subjects"}
    # since linking version 67: "affected males typically develop a dilated aorta"
    | {"males", "females", "men", "women"}
)
_DISORDER_NOUNS = frozenset({"syndrome", "disorder", "condition", "disease", "deficiency"})
#: An animal model's subjects: what they show is no patient's (since linking version 67:
#: "knockout mice developed cataracts", "zebrafish morphants showed a small head").
_ANIMALS = frozenset({"mice", "rats", "zebrafish", "morphants", "knockouts"})
#: "animals" of a model ("knockout animals developed cataracts"), not "scared of animals".
_ANIMAL_MODELS = frozenset({"knockout", "mutant", "transgenic", "model", "null"})
#: Words before an animal model that compare the patient with it ("our patient, like the
#: knockout mice, has hearing loss").
_LIKE = frozenset({"like", "unlike", "as"})
_GENERIC_DETERMINERS = frozenset({"this", "the", "that"})
# Before a plural noun of people, words that make them particular people ("the children
# often had seizures": siblings), not people in general.
_DEFINITE = frozenset(
    {"the", "these", "those", "both", "our", "two", "three", "his", "her", "their"}
)
_TYPICALLY = frozenset(
    {
        "typically",
        "usually",
        "often",
        "commonly",
        "frequently",
        "generally",
        "classically",
        "may",
        "can",
        "tend",
    }
)
# After "this syndrome is": "... characterized by X", "... associated with X".
_GENERIC_PREDICATES = _TYPICALLY | frozenset(
    {"characterized", "characterised", "associated", "defined", "marked", "caused"}
)
# After "this syndrome": "... causes X", "... includes X".
_GENERIC_VERBS = _TYPICALLY | frozenset(
    {
        "causes",
        "includes",
        "include",
        "presents",
        "manifests",
        "leads",
        "results",
        "features",
        "predisposes",
        "shows",
        "involves",
    }
)


#: A generic statement about a disorder: its findings are hedged (uncertain).
GENERIC = "generic"
_SCOPED = frozenset({NEG, UNC, FAM, FAM_NEG, GENERIC})


#: Words between a suspicion and its confirmation ("suspected and later confirmed").
_BEFORE_CONFIRMED = frozenset({"and", "then", "later", "subsequently", "was", "were", "duly"})


#: A suspicion named by a noun: confirmed later in its clause, the finding is stated (since
#: linking version 67).
_SUSPICIONS = frozenset({"suspicion of", "suggestion of", "query", "concern for", "suspected"})
_CONFIRMING = frozenset({"was", "were", "been", "later", "subsequently", "then", "is", ","})
_CAUSE_ENDINGS = ("due to", "secondary to", "caused by", "related to", "attributable to")


def _suspicion_confirmed(words: Sequence[str], j: int) -> bool:
    """Whether the clause of a suspicion named from ``j`` goes on to confirm it ("the
    suspicion of a VSD was confirmed on echocardiography"; not "... was not confirmed")."""
    for k in range(j, min(len(words), j + 12)):
        if words[k] in _SENTENCE_ENDS:
            return False
        if words[k] == "confirmed":
            return words[k - 1] in _CONFIRMING
    return False


def _confirmed(words: Sequence[str], j: int) -> bool:
    """Whether the suspicion that ends at ``j`` is confirmed right after it ("was suspected
    and later confirmed on MRI", "suspected on ultrasound and confirmed"): the finding is
    then stated, not hedged (since linking version 49)."""
    n = len(words)
    k = j
    if k < n and words[k].endswith("ly"):  # "suspected antenatally and confirmed"
        k += 1
    elif k < n and words[k] in ("on", "by", "at", "in"):  # where it was suspected
        k += 1
        while k < n and k - j < 4 and words[k] != "and" and words[k] not in _CLAUSE_ENDS:
            k += 1
    if k >= n or words[k] != "and":
        return False
    while k < n and k - j < 8 and words[k] in _BEFORE_CONFIRMED:
        k += 1
    return k < n and words[k] == "confirmed"


def _list_start(start: int, end: int, words: Sequence[str], inside: AbstractSet[int]) -> int:
    """Where a backward scope ``[start, end)`` starts when a list of three or more items
    ends at it: "However, D, E, and F were excluded" rules out all three, where a clause
    mark alone would stop the scope at F.

    The items are the comma-separated runs before ``end`` (an item may be a name with a
    comma or brackets of its own, "Intellectual disability, severe"); the list must start
    the sentence or follow a terminating word (``however``, ``but``). Two items are no list
    ("microcephaly, and seizures were absent" rules out only the seizures), nor is the
    object of a verb ("she had A, B, C, and D were absent": a run holds ``had``), nor a
    list whose last item names no finding (of ``inside``, the mentions' tokens): the
    trigger is then about that item, a test ("hepatomegaly and splenomegaly, viral serology
    negative").
    """
    last = end - 1
    while last >= start and words[last] not in _LIST_SEPARATORS:
        last -= 1
    if not any(k in inside for k in range(last + 1, end)):
        return start
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
        default_window: window in words of the built-in triggers; a forward negation or
            uncertainty scope gives each item of a list this many words. (default: ``8``)
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
                *_many(
                    _NEG_OPINION,
                    NEG,
                    "forward",
                    win,
                    not_before=_NOT_AN_OPINION_OF,
                    past_article=_NOT_AN_OPINION_OF,
                ),
                *_many(
                    _NEG_ABSENCE,
                    NEG,
                    "forward",
                    min(_ABSENCE_WINDOW, win - 1),  # below the default: a short scope
                    stops_at=frozenset({"with"}),
                ),
                *_many(_NEG_BACKWARD, NEG, "backward", win),
                *_many(_NEG_BACKWARD_FINAL, NEG, "backward", win, final=True),
                *_many(_NEG_BACKWARD_FREE, NEG, "backward", 1, not_before=_PAST_AFTER_FREE),
                *_many(_NEG_BACKWARD_SHORT, NEG, "backward", 1),
                *_many(_NEG_PREFIX, NEG, "forward", 1),
                *_many(_NEG_SHORT, NEG, "forward", 2, stops_at=_NORMAL_STOPS),
                *_many(_NEG_UNLIKE, NEG, "forward", 4, stops_at=_CLAUSE_MARKS),
                *_many(_UNC_TRIGGERED_BY, UNC, "forward", win),
                *_many(_NEG_INSTEAD, NEG, "forward", _ALTERNATIVE_WINDOW),
                *_many(_NEG_LIST_FORWARD, NEG, "forward", _LIST_WINDOW),
                *_many(_UNC_FORWARD, UNC, "forward", win),
                *_many(
                    _UNC_CLAUSE,
                    UNC,
                    "forward",
                    win,
                    not_before=_PRESUPPOSING,
                    past_article=_PRESUPPOSING_AFTER_ANY,
                ),
                *_many(_UNC_QUERIES, UNC, "forward", win, not_before=_ABOUT),
                *_many(_UNC_LITERATURE, UNC, "forward", win, not_before=frozenset({"with"})),
                *_many(_UNC_SHORT, UNC, "forward", _UNC_SHORT_WINDOW, stops_at=_SHORT_HEDGE_STOPS),
                *_many(_UNC_APPARENT, UNC, "forward", 2, stops_at=_SHORT_HEDGE_STOPS),
                *_many(_UNC_BACKWARD, UNC, "backward", win),
                *_many(_UNC_GENERAL, UNC, "backward", win, not_before=_PATIENT_AFTER),
                *_many(_UNC_BACKWARD_FINAL, UNC, "backward", win, final=True),
                *_many(
                    _UNC_SUSPECTED_FINAL,
                    UNC,
                    "backward",
                    win,
                    final=True,
                    not_before=frozenset({"by"}),
                ),
                *_many(_UNC_BACKWARD_SHORT, UNC, "backward", 1),
                *_many(_UNC_ALTERNATIVES, UNC, "forward", _ALTERNATIVE_WINDOW),
                *_many((*_UNC_ALTERNATIVES, "versus"), UNC, "backward", 1),
                *_many(_UNC_SCREENS, UNC, "backward", 1, not_before=_SCREEN_RESULTS),
                *_many(_UNC_EITHER, UNC, "forward", _ALTERNATIVE_WINDOW),
                *_many(_FAMILY_PHRASES, FAM, "forward", 2 * win),
                *_many(_FAMILY_BACKWARD, FAM, "backward", 2 * win),
                *_many(_FAMILY_BACKWARD_SHORT, FAM, "backward", win),
                *_many(_FAMILY_NEGATED, FAM_NEG, "forward", 2 * win),
            ]
        self.triggers = list(dict.fromkeys(triggers))  # a phrase listed twice counts once
        self.relatives = frozenset(relatives if relatives is not None else _RELATIVES)
        # phrase -> its triggers (one phrase may open scopes both ways: "vs")
        self._trie: dict[str, Any] = {}
        self._max_len = 1
        for trig in self.triggers:
            words = trig.phrase.split()
            self._max_len = max(self._max_len, len(words))
            node = self._trie
            for w in words:
                node = node.setdefault(w, {})
            node[""] = (*node.get("", ()), trig)
        self._window = default_window
        self._family_window = 2 * default_window
        self._first_words = (
            frozenset(self._trie)
            | self.relatives
            | _GENERIC_PEOPLE
            | _DISORDER_NOUNS
            | _ANIMALS
            | {"animals"}
            | _PRONOUN_SEX.keys()
        )

    def _find(self, words: Sequence[str], inside: set[int]) -> list[tuple[int, int, Trigger]]:
        """Longest trigger phrase at each position, skipping the words of mentions
        (positions in ``inside``); then relatives and generic subjects."""
        found: list[tuple[int, int, Trigger]] = []
        n = len(words)
        done = 0  # end of the last trigger found: triggers do not overlap
        # where relatives of each sex are named: a pronoun is looked at only near one
        kin = {
            sex: list(compress(range(n), map(group.__contains__, words)))
            for sex, group in _RELATIVES_BY_SEX.items()
        }
        # Only words that can start a trigger or name a relative need a look (C-level scan).
        for i in compress(range(n), map(self._first_words.__contains__, words)):
            if i < done or i in inside:
                continue
            if (
                words[i] in _PRONOUN_SEX
                and _named_before(kin[_PRONOUN_SEX[words[i]]], i)
                and _relatives_pronoun(words, i, self.relatives)
            ):
                # "his mother has a white forelock; her hearing is normal": hers
                found.append((i, i + 1, Trigger(words[i], FAM, "forward", self._family_window)))
                done = i + 1
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
                found.extend((best[0], best[1], trig) for trig in best[2])
                done = best[1]
                continue
            other = None
            if words[i] in self.relatives:
                other = self._relative(words, i, inside)
            if other is None and (
                words[i] in _GENERIC_PEOPLE
                or words[i] in _DISORDER_NOUNS
                or words[i] in _ANIMALS
                or words[i] == "animals"
            ):
                end = _generic_subject(words, i)
                if end is not None:
                    other = (i, end, Trigger(words[i], GENERIC, "forward", self._family_window))
            if other is not None:
                found.append(other)
                done = max(done, other[1])
                hedge = _relatives_hedge(words, other)
                if hedge is not None:
                    found.append(hedge)
                if other[2].category == FAM and other[2].direction == "backward":
                    # since linking version 67: "the variant was also found in his sister, who
                    # has nystagmus", "... in a cousin with ataxia": the words after are hers
                    described = _described_after(words, other[1], inside)
                    if described is not None:
                        found.append(
                            (i, described, Trigger(words[i], FAM, "forward", self._family_window))
                        )
        return found

    def _relative(
        self, words: Sequence[str], i: int, inside: AbstractSet[int] = frozenset()
    ) -> tuple[int, int, Trigger] | None:
        """The family trigger a relative's word at ``i`` opens, or None.

        - the relative is the subject of a finding, across an appositive, a bracket or
          ``who`` ("her brother, now aged 10, has", "a sister (II-2) has", "the mother, who
          has"): a scope from the verb on; not when the relative is concerned about, or told
          of, the patient's findings ("her mother was concerned about his hypotonia");
        - a possessed relative with its verb left out, a mention (``inside``) right after
          it ("his father had a stroke, his mother breast cancer and his maternal
          grandfather colon cancer"): a scope to the end of the clause (since linking
          version 48);
        - a label ("Mother: migraine", "Brother - seizures"): a scope to the end of its
          line or sentence;
        - "in" a relative after the finding ("seizures were also reported in her brother"):
          a backward scope over the clause (not "in the mother's pregnancy").

        A relative who may be the patient (:data:`_ANCHORED_ONLY`: "the brothers", "two
        siblings", "her son") opens a scope as the subject only when anchored to someone
        else (:func:`_anchored`), and after "in" when anchored or, for siblings, indefinite
        ("present in two sisters", not "in both brothers" or "hypotonia in a child").
        """
        n, window = len(words), self._family_window
        label = _label_mark(words, i + 1)
        if label is not None:
            return i, label + 1, Trigger(words[i], FAM, "forward", window)
        p = i - 1
        while p >= 0 and i - p <= 3 and words[p] in _RELATIVE_MODIFIERS:
            p -= 1
        possessive = i + 2 < n and words[i + 1] == "s"  # "in the mother's pregnancy"
        if possessive and (words[i + 2] in self.relatives or words[i + 2] in _KIN_WORDS):
            possessive = False  # "in the mother's family", "in his father's brother"
        maybe_patient = words[i] in _ANCHORED_ONLY and not _anchored(words, i)
        if _with_the_patient(words, p, i):
            return None  # "the patient and her sister both had cataracts": hers too
        if _of_the_patient(words, i):
            return None  # "a boy of Turkish parents presented with fever": his fever
        if (
            p >= 0
            and words[p] in ("in", "among")
            and i + 1 < n
            and words[i + 1] == ","
            and (p == 0 or words[p - 1] in _SENTENCE_ENDS)
            and not maybe_patient
        ):
            # "In her daughter, a medulloblastoma was diagnosed": the sentence is hers, and
            # so is a "who" clause after her ("In her sister, who also has seizures, ...")
            j = i + 3 if i + 2 < n and words[i + 2] in ("who", "whom") else i + 2
            return p, j, Trigger(words[i], FAM, "forward", window)
        if p >= 0 and words[p] in ("in", "among") and not possessive:
            if maybe_patient and (
                words[i] in _OFFSPRING or not _INDEFINITE.intersection(words[p + 1 : i])
            ):
                return None  # "delay in both brothers", "hypotonia in a child"
            return p, i + 1, Trigger(words[i], FAM, "backward", window)
        if maybe_patient or self._is_agent(words, i) or _born_to(words, i, n):
            return None
        told = _told_of_own(words, i)
        if told is not None:
            # "his father had been told he had glaucoma": the pronoun is the relative's
            return i, told, Trigger(words[i], FAM, "forward", window)
        v = _verb_after(words, i + 1)
        if v is None:
            v = _apposed_verb(words, i)
        if v is None and (p < 0 or words[p] in _CLAUSE_ENDS):
            v = _second_predicate(words, i + 1)
        if v is None and i + 1 in inside and _POSSESSIVES.intersection(words[p + 1 : i]):
            # the verb gapped: "..., his mother breast cancer at 52"
            return i, i + 1, Trigger(words[i], FAM, "forward", window, stops_at=_CLAUSE_COMMA)
        if v is None or _concerned(words, v + 1):
            return None
        if words[v] in _TAKING and not _taken_for_a_finding(words, v, inside):
            return None  # "his mother took a video of his seizures"
        # "a boy, whose parents are first cousins, had pneumonia": the clause only
        stops = _CLAUSE_COMMA if p >= 0 and words[p] == "whose" else frozenset()
        return i, v, Trigger(words[i], FAM, "forward", window, stops_at=stops)

    @staticmethod
    def _is_agent(words: Sequence[str], i: int) -> bool:
        """``noted by his parents``: the relative is who observed, not who has the finding."""
        return any(w == "by" for w in words[max(0, i - 3) : i])

    def _forward_end(
        self,
        words: Sequence[str],
        j: int,
        window: int,
        ends: set[int],
        verbs: set[int],
        starts: set[int],
        inside: set[int],
    ) -> int:
        """Where a forward negation or uncertainty scope from ``j`` ends.

        It covers a list to its end, each item up to ``window`` words ("no microcephaly,
        short stature, scoliosis, or ataxia"), and ends at a sentence end, a terminating
        word (``ends``), another trigger's start (``starts``), or a verb or affirmation
        ("no seizures were observed"). When the second item of a list joined by a comma
        holds a verb or affirmation of its own, the scope ends before it: "no seizures,
        hypotonia present", "there was no ptosis, and marked hypotonia was observed"; so it
        does after a list joined by "or" ("no seizures or ataxia, and hypotonia persists").
        A comma before "with" or before a possessive ("and the") starts a clause of its own:
        "no ptosis, with marked ataxia", "no seizures, and her hypotonia worsened"; so does
        a comma before a word of degree or quantity (:data:`_DEGREE_OPENERS`) unless an
        "or" follows in the list: "no seizures, severe hypotonia", not "no fever, severe
        pain or rash".
        """
        n = len(words)
        k = item = j
        items, cut = 1, -1  # cut: where the scope ends when the current item has its own verb
        alternatives = False  # the list so far is joined by "or"/"nor"
        while k < n:
            w = words[k]
            if w in _SENTENCE_ENDS or k in ends or (k in starts and k > j):
                return k
            if w == ":" and k > j:
                # "no signs of puberty, testes 3 mL: hypogonadotropic hypogonadism": what a
                # colon introduces is stated (a trigger's own "negative for:" goes on)
                return k
            if w == "as" and words[k + 1 : k + 3] == _AS_WELL:
                return k  # "lack of sleep spindles as well as continuous seizures"
            if w == "along" and words[k + 1 : k + 2] == _WITH and k > 0 and words[k - 1] == ",":
                return k  # "suggestive of an arachnoid cyst, along with partial agenesis"
            if k in verbs:
                return cut if cut >= 0 else k
            if k in inside:
                k += 1
                continue
            if w in _FORWARD_SEPARATORS:
                sep = k
                while k < n and words[k] in _FORWARD_SEPARATORS and k not in inside:
                    k += 1
                joined = words[sep:k]
                if (
                    "," in joined
                    and k < n
                    and (
                        words[k] in _CLAUSE_OPENERS
                        or ("and" in joined and words[k] in _CLAUSE_OPENERS_AFTER_AND)
                    )
                ):
                    return sep
                if (
                    "," in joined
                    and k < n
                    and (
                        words[k] in _DEGREE_OPENERS
                        or words[k] in _ARTICLES
                        or ("and" in joined and words[k] in _OPENERS_AFTER_AND)
                    )
                    and not _OR.intersection(joined)
                    and not _or_ahead(words, k, ends, starts, inside)
                ):
                    return sep  # "no seizures, severe hypotonia": a positive item
                if (
                    items == 1
                    and joined == ["and"]
                    and k < n
                    and (words[k] in _SEVERITY_OPENERS or words[k] in _ARTICLES)
                ):
                    return sep  # "without fever and marked hypotonia" (since version 46)
                if (
                    alternatives
                    and "," in joined
                    and not _OR.intersection(joined)
                    and not _or_ahead(words, k, ends, starts, inside)
                ):
                    # "without ptosis or ophthalmoplegia, pes cavus, scoliosis and ...": the
                    # alternatives ruled out end with their pair (since version 46)
                    return sep
                items += 1
                item = k
                either = _OR.intersection(joined)
                cut = sep if (items == 2 or alternatives) and "," in joined and not either else -1
                if items == 2 and joined == ["and"] and _own_clause(words, k):
                    # "no hepatomegaly and the spleen was enlarged": a second item with a
                    # subject and a verb of its own is a clause of its own (since version 50)
                    return sep
                alternatives = alternatives or bool(either)
                continue
            if w in _AFFIRMATIONS and k > item:
                return cut if cut >= 0 else k
            if k - item >= window:
                return k
            k += 1
        return n

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
        # One lower-case word per token. A sentence end (. ! ? ; and a line break that
        # starts a new line) ends every scope; a clause mark (, :) ends a backward scope
        # only: a forward scope runs over a list ("no fever, seizures or rash"), a backward
        # one stays in its clause ("microcephaly, and the EEG was normal").
        words = (
            tokens.lowers
            if isinstance(tokens, TokenTable)
            else [lower_form(t.raw) if t.norm != BREAK else t.raw for t in tokens]
        )
        if "ve" in words and isinstance(tokens, TokenTable):
            words = _signed_ve(words, tokens)
        if "t" in words:
            words = _contracted_not(words)
        n = len(words)
        inside: set[int] = set()
        for a, b in spans:
            inside.update(range(a, b))
        triggers = [
            found
            for found in self._find(words, inside)
            if _applies(words, *found) and _about_a_mention(words, found, inside)
        ]
        # a treatment's effects: "amiodarone was complicated by hypothyroidism"
        triggers.extend(
            (start, end, Trigger("drug effect", UNC, direction, self._window))
            for start, end, direction in drug_effect_scopes(words, inside)
        )
        negative, positive, hedged = _statuses(words, spans)
        positive.extend(_absent_since(words, spans))
        hedged.extend(_questioned(words, spans, _shorthand_queries(words, tokens)))
        if (
            not negative
            and not positive
            and not hedged
            and not any(t.category in _SCOPED for _, _, t in triggers)
        ):
            return [_NO_CONTEXT] * len(spans)
        stops = {i for i, _, t in triggers if t.category == TERM}
        # a cause stays the relative's: "her brother developed nephrotic syndrome due to
        # amyloidosis"
        family_stops = stops - {
            i for i, _, t in triggers if t.phrase in _CAUSES or t.phrase in _REASONS_GIVEN
        }
        # so does what the relative lacks: "his mother had cataracts but no weakness"
        family_stops -= {
            i
            for i, j, t in triggers
            if t.phrase == "but" and _same_subject_after_but(words, j, inside)
        }
        verbs = {i for i, _, t in triggers if t.category == TERM_VERB}
        verb_stops = stops | verbs
        starts = {
            i for i, _, t in triggers if t.category in (NEG, UNC) and t.window >= self._window
        }
        scopes: dict[str, list[tuple[int, int]]] = {NEG: [], UNC: [], FAM: []}
        refuted: list[tuple[int, int]] = []
        scopes[NEG].extend(negative)
        scopes[UNC].extend(hedged)
        for i, j, trig in triggers:
            category = trig.category
            if category not in _SCOPED:
                continue
            family = category in (FAM, FAM_NEG, GENERIC)
            ends = family_stops if family else verb_stops
            if trig.direction == "forward":
                if not family and trig.window >= self._window:
                    end = self._forward_end(words, j, trig.window, stops, verbs, starts, inside)
                    if trig.phrase in _ITEM_SCOPED and not _first_item_named(words, j, inside):
                        # "fevers without a focus and constipation": the constipation is his
                        end = min(end, _item_end_at(words, j, end))
                    elif trig.phrase in _VERB_SCOPED and not _OR.intersection(words[j:end]):
                        item_end = _comma_item_end(words, j, end)
                        if not inside.intersection(range(j, item_end)):
                            end = item_end  # "doesn't point, poor eye contact"
                    if end == j and trig.phrase.endswith(":"):
                        end = _lines_end(words, j, starts | verb_stops)  # "Negative for:\nSeizures"
                    if _inside_a_list(words, i, inside) and not _or_ahead(
                        words, j, verb_stops, starts - {i}, inside
                    ):
                        # "hypotonia, no seizures, ..."; but "with hypotonia, without
                        # seizures, cleft palate or hearing loss" rules out the alternatives
                        # to their "or" (since linking version 53)
                        end = _item_end(words, j, end, inside)
                else:  # a short window; a relative's scope also ends at the patient's words
                    end = j
                    limit = min(n, j + trig.window)
                    patient = _PATIENT_WORDS if family else ()
                    stops_at = trig.stops_at
                    if trig.phrase in _NEG_ABSENCE and not _first_item_named(words, j, inside):
                        # "absence of the lacrimal puncta and nasolacrimal duct obstruction":
                        # an absent structure, no finding ruled out; the scope is its own
                        stops_at = stops_at | _ABSENT_STRUCTURE_ENDS
                    while (
                        end < limit
                        and end not in ends
                        and words[end] not in _SENTENCE_ENDS
                        and (words[end] not in patient or _in_their_youth(words, end))
                        and words[end] not in stops_at
                    ):
                        end += 1
                    if family and end < n and words[end] == "but":
                        # "his father had attacks ... but now has weakness": his too
                        verb = _skip(words, end + 1, _THEN_ADVERBS)
                        if verb < n and words[verb] in _SECOND_VERBS:
                            end, limit = verb, min(n, verb + self._window)
                            while (
                                end < limit
                                and words[end] not in _SENTENCE_ENDS
                                and words[end] not in patient
                                and (end == verb or end not in ends)
                            ):
                                end += 1
                if (
                    category == NEG
                    and end < n
                    and _later_onset(words, end)
                    and _VERBAL.intersection(trig.phrase.split())
                ):
                    continue  # "did not have seizures until age 12": a later onset
                if (
                    category == UNC
                    and (
                        trig.phrase in _SUSPICIONS
                        or trig.phrase.endswith("diagnosis of")
                        or trig.phrase.endswith(_CAUSE_ENDINGS)
                    )
                    and _suspicion_confirmed(words, j)
                ):
                    continue  # "the suspicion of a VSD was confirmed on echocardiography"
                scope = (j, end)
            else:
                if category == NEG and _later_onset(words, j) and "not" in trig.phrase:
                    continue  # "hypotonia was not present until 6 months"
                if category == UNC and trig.phrase.endswith("suspected") and _confirmed(words, j):
                    continue  # "hydrocephalus was suspected and later confirmed on MRI"
                start = i
                if trig.phrase in _UNC_GENERAL_PHRASES:
                    # a general statement covers its clause's verbs too ("hearing loss
                    # developed in the second decade in most affected individuals")
                    ends = stops
                limit = max(0, i - trig.window)
                marks = _CLAUSE_ENDS
                if not family and _LIST_QUANTIFIERS.intersection(words[max(0, i - 2) : i + 1]):
                    # "A, B, C and D were all normal": the scope is the whole list.
                    marks, limit = _SENTENCE_ENDS, max(0, i - 4 * trig.window)
                while start > limit and (start - 1) not in ends and words[start - 1] not in marks:
                    if (
                        not family
                        and words[start - 1] == "and"
                        and _own_clause_before(words, start - 1, limit, marks)
                    ):
                        break  # "he had cataracts and his hearing was normal": a new clause
                    start -= 1
                start = _list_start(start, i, words, inside)
                if trig.phrase in _UNC_GENERAL_PHRASES and words[start] in _POSSESSIVE_STARTS:
                    continue  # "his macrocephaly is a known feature of the condition": his
                if (
                    category == UNC
                    and trig.phrase.endswith(("anticipated", "a possibility"))
                    and (_ONGOING.intersection(words[start:i]))
                ):
                    continue  # "further progression of his ataxia is anticipated": his
                if category == NEG and _confirms_an_absence(words, start, i):
                    # "the right kidney is absent (not seen in the renal fossa)": the
                    # imaging confirms the absence (since linking version 53)
                    continue
                if family and (
                    _PATIENT_WORDS.intersection(words[start:i])
                    or _COMPARISONS.intersection(words[start:i])
                ):
                    continue  # "he has seizures like those in his brother"
                scope = (start, i)
            if category == FAM_NEG:
                scopes[NEG].append(scope)
                scopes[FAM].append(scope)
            elif category == GENERIC:
                scopes[UNC].append(scope)
            else:
                scopes[category].append(scope)
                if trig.phrase in _REFUTING:
                    refuted.append(scope)
        neg, unc, fam = (_coverage(scopes[c], n) for c in (NEG, UNC, FAM))
        affirmed = _coverage(positive, n)
        # a suspicion refuted after it is ruled out: "X was suspected but excluded"
        ruled = _coverage(refuted, n) if refuted else None
        return [
            _RESULTS[
                (
                    neg[b] > neg[a] and affirmed[b] - affirmed[a] < b - a,
                    unc[b] > unc[a] and not (ruled is not None and ruled[b] > ruled[a]),
                    fam[b] > fam[a],
                )
            ]
            for a, b in spans
        ]


#: The most lines, and the most words a line, of a list written one item a line under a
#: heading that rules it out (:func:`_lines_end`).
_LIST_LINES = 25
_LIST_LINE_WORDS = 8
_LINE_ITEM_STOPS = (_SENTENCE_ENDS - _LINE_ENDS) | _CLAUSE_VERBS | frozenset({":", "\uff1a"})


def _lines_end(words: Sequence[str], j: int, cues: AbstractSet[int]) -> int:
    """Where the scope of a heading that rules out a list ends when the list starts on the
    next line, one item a line ("Negative for:\nSeizures\nHypotonia\n\nExamination: ..."):
    at a blank line, or before a line that is no item (a label or heading of its own, a
    sentence, more than :data:`_LIST_LINE_WORDS` words) or that states its own status (a
    cue of its own starts in it, at an index in ``cues``: "Negatives:\n- no seizures\n-
    hypotonia" is read item by item); at ``j`` where no line follows."""
    n, k, lines = len(words), j, 0
    while k < n and words[k] in _LINE_ENDS and lines < _LIST_LINES:
        start = k + 1
        end = start
        while end < n and words[end] not in _LINE_ENDS:
            end += 1
        item = words[start:end]
        if item and item[-1] in _SENTENCE_ENDS:
            item = item[:-1]  # "Seizures."
        if (
            not item
            or len(item) > _LIST_LINE_WORDS
            or _LINE_ITEM_STOPS.intersection(item)
            or any(c in cues for c in range(start, end))
        ):
            break
        k, lines = end, lines + 1
    return k


def _inside_a_list(words: Sequence[str], i: int, inside: set[int]) -> bool:
    """Whether the cue at ``i`` follows a comma after a finding ("hypotonia, no seizures,
    microcephaly"): it opens an item of a list of findings, not the list."""
    return i >= 2 and words[i - 1] == "," and (i - 2) in inside


def _item_end(words: Sequence[str], j: int, end: int, inside: set[int]) -> int:
    """The end of a scope from ``j`` cut at the first comma outside a mention: the item the
    cue opens ("no seizures or ataxia" in "hypotonia, no seizures or ataxia, microcephaly")."""
    for k in range(j, end):
        if words[k] == "," and k not in inside:
            return k
    return end


def _or_ahead(
    words: Sequence[str], k: int, ends: set[int], starts: set[int], inside: set[int]
) -> bool:
    """An "or"/"nor" between the list words from ``k`` on and the end of the sentence, a
    terminating word or the next trigger: the list is still one of alternatives ruled out
    ("no fever, severe pain or rash")."""
    for m in range(k, len(words)):
        w = words[m]
        if w in _SENTENCE_ENDS or m in ends or m in starts:
            return False
        if w in _OR and m not in inside:
            return True
    return False


def _applies(words: Sequence[str], i: int, j: int, trig: Trigger) -> bool:
    """Whether a trigger found at ``[i, j)`` applies: a post-posed one must end its clause
    (:attr:`Trigger.final`), and none may be followed by a word of its
    :attr:`Trigger.not_before` ("seizure-free since age 3"), nor by "any", "a" or "an" and a
    word of its :attr:`Trigger.past_article`."""
    if trig.final and not _clause_final(words, j):
        return False
    if trig.past_article and j + 1 < len(words) and words[j] in ("any", "a", "an"):
        # "if she has any further seizures", "I do not think there is a need for ..."
        return words[j + 1] not in trig.past_article
    return not (j < len(words) and words[j] in trig.not_before)


#: Words between a mention and a trigger about it (:func:`_about_a_mention`): "HLH was
#: strongly suspected", "pain is often worse with fever".
_SKIPPED_BEFORE_TRIGGER = frozenset(
    {"was", "is", "were", "are", "strongly", "clinically", "initially", "also", "then"}
    | {"much", "often", "always", "typically", "usually", "gets", "get", "became"}
)


def _about_a_mention(
    words: Sequence[str], found: tuple[int, int, Trigger], inside: AbstractSet[int]
) -> bool:
    """Whether a trigger that is about the words right before it has a mention there: a
    post-posed "suspected" names a mention as what is suspected: "seizures
    were suspected", not the findings of the clause before an unlinked diagnosis ("fever,
    splenomegaly and ferritin 9,800 ug/L - HLH suspected"; since linking version 48); and
    whether "worse with" follows a symptom ("pain worse with fever": the fever a trigger),
    not the patient ("he got worse with fever and myalgia": both his)."""
    i, _, trig = found
    post_posed = trig.phrase in _UNC_SUSPECTED_FINAL and trig.direction == "backward"
    if not post_posed and trig.phrase not in _UNC_TRIGGERED_BY:
        return True  # a forward "suspected" hedges what follows it: "suspected seizures"
    k = i - 1
    while k >= 0 and words[k] in _SKIPPED_BEFORE_TRIGGER:
        k -= 1
    return k >= 0 and k in inside


def _clause_final(words: Sequence[str], j: int) -> bool:
    """Whether a post-posed trigger that ends at ``j`` ends its clause (see
    :attr:`Trigger.final`)."""
    return j >= len(words) or not words[j][:1].isalnum() or words[j] in _AFTER_FINAL


def _coverage(ranges: Sequence[tuple[int, int]], n: int) -> list[int]:
    """Prefix counts of the tokens ``ranges`` cover: ``c[b] - c[a]`` tokens of ``[a, b)``
    are in some range (linear in the text, however many mentions and scopes)."""
    if not ranges:
        return [0] * (n + 1)
    diff = [0] * (n + 1)
    for lo, hi in ranges:
        if lo < hi:
            diff[lo] += 1
            diff[hi] -= 1
    covered = [d > 0 for d in accumulate(diff[:n])]
    return list(accumulate(covered, initial=0))


def _verb_after(words: Sequence[str], k: int) -> int | None:
    """The position of the verb whose subject is the word before ``k`` (a relative), or
    None: right after it or its adverbs, or after an appositive, a bracket or ``who``
    ("his brother, now aged 10, has", "a sister (II-2) has", "the mother, who has")."""
    n = len(words)
    k = _skip(words, _family_side_end(words, k), _EXPERIENCER_ADVERBS | _QUOTES)
    if (
        k + 3 < n
        and words[k] == ","
        and words[k + 1] in _SOME_OF_WHOM
        and tuple(words[k + 2 : k + 4]) == ("of", "whom")
    ):
        k += 4  # "two brothers, one of whom has epilepsy" (since linking version 67)
    elif k + 2 < n and words[k] == "," and words[k + 1] in ("both", "all"):
        k += 2  # "two sisters, both with hearing loss"
    if k + 1 < n and words[k] == "and":
        # two relatives, one verb: "Mum and gran always had nosebleeds" (since version 54)
        other = _skip(words, k + 1, _POSSESSIVES | _RELATIVE_MODIFIERS)
        if other < n and words[other] in _RELATIVE_WORDS:
            k = _skip(words, other + 1, _EXPERIENCER_ADVERBS)
    # a bracket and an appositive after it ("his mother (II-3), aged 42, has"; since linking
    # version 53, before which one of them was skipped)
    described = None  # where an appositive that describes the relative starts
    for group in range(2):
        if k >= n or words[k] not in ("(", ","):
            break
        close = ")" if words[k] == "(" else ","
        if close == "," and k + 1 < n and words[k + 1] in ("who", "whom"):
            k += 1
            break
        if group and close == ",":
            after = _skip(words, k + 1, _EXPERIENCER_ADVERBS)
            if after < n and words[after] in _EXPERIENCER_VERBS:  # "his mother (II-3), has"
                k = after
                break
        e = k + 1
        opening = words[e] if e < n else ""
        while e < n and e - k <= _APPOSITIVE_WORDS + 1 and words[e] != close:
            w = words[e]
            if close == "," and w in _APPOSITIVE_VERBS:
                return e  # "his brother, diagnosed with PAH at 25, died of ...": both his
            if w == "and" and opening in _APPOSITIVE_OPENINGS:
                e += 1  # "his mother, aged 42 and otherwise well, has"
                continue
            if w in _PATIENT_WORDS and opening in _COMPARISON_OPENINGS | {"a", "an"}:
                # "her brother, unlike the proband, has normal hearing", "a previous
                # sibling, a boy, had died at 6 weeks with weakness"
                e += 1
                continue
            if w in _NO_APPOSITIVE or w in _EXPERIENCER_VERBS or w in _PATIENT_WORDS:
                return None
            e += 1
        if e >= n or words[e] != close or e == k + 1:
            return None
        if close == "," and opening not in _APPOSITIVE_OPENINGS | _COMPARISON_OPENINGS:
            # an appositive that describes the relative states the relative's findings:
            # "his father, myopic since early childhood, had surgery" (since linking
            # version 55)
            described = k + 1 if described is None else described
        k = _skip(words, e + 1, _EXPERIENCER_ADVERBS)
    if k < n and words[k] in ("who", "whom"):
        k = _skip(words, k + 1, _EXPERIENCER_ADVERBS)
        if k < n and words[k] not in _EXPERIENCER_VERBS:
            # "his father, who carries the same variant, had malignant hyperthermia": the
            # verb after the "who" clause (since linking version 46)
            e = k
            while e < n and e - k <= _APPOSITIVE_WORDS and words[e] != ",":
                if words[e] in _NO_APPOSITIVE or words[e] in _PATIENT_WORDS:
                    return None
                e += 1
            if e < n and words[e] == ",":
                k = _skip(words, e + 1, _EXPERIENCER_ADVERBS)
    if k + 1 < n and words[k] in _AUXILIARIES:
        # since linking version 67: "her parents do not have hearing loss", "his mother does
        # have ptosis"
        verb = _skip(words, k + 1, _AFTER_AUXILIARY)
        if verb >= n or words[verb] not in _EXPERIENCER_VERBS | _BARE_EXPERIENCER_VERBS:
            return None
        what = _skip(words, verb + 1, _AFTER_AUXILIARY | {"any", "no"})
        if what < n and words[what] in _CONCERNS:
            return None  # "her parents do not have any concerns about her seizures"
        return k if described is None else described
    if k >= n or words[k] not in _EXPERIENCER_VERBS:
        return None
    return k if described is None else described


_SIDES = frozenset({"father", "mother", "paternal", "maternal", "fathers", "mothers"})
#: Auxiliaries between a relative and the verb ("her parents do not have", since linking
#: version 67), the negation after them, and the bare verbs they take.
_AUXILIARIES = frozenset({"do", "does", "did"})
_AFTER_AUXILIARY = frozenset({"not", "never", "also", "both", "all"})
_BARE_EXPERIENCER_VERBS = frozenset({"show", "develop", "suffer", "need", "require"})
_CONCERNS = frozenset({"concerns", "concern", "worries", "worry", "questions"})
#: Who of several relatives has the finding ("two brothers, one of whom has epilepsy"; not
#: "none of whom").
_SOME_OF_WHOM = frozenset({"one", "two", "three", "both", "all", "some", "several", "each"})
#: A relative who takes a drug takes it for the relative's finding ("his father takes
#: levetiracetam for epilepsy"; since linking version 67; :func:`_taken_for_a_finding`).
_TAKING = frozenset({"takes", "took", "taking"})
#: The patient a relative is named by ("the sister of the proband has ataxia").
_PROBAND_NOUNS = frozenset({"proband", "patient", "propositus", "proposita", "index"})
#: Quotation marks between a relative and the verb of their quoted words ('older sister "had
#: hepatitis at 12"'; since linking version 54).
_QUOTES = frozenset({'"', "\u201c", "\u201d"})


#: Hedges between a relative and the verb ("the father might have mild ptosis", "her brother
#: may have hearing loss"): the relative's finding is uncertain too (since linking version
#: 67).
_RELATIVES_HEDGES = frozenset({"might", "may", "possibly", "probably", "likely", "perhaps"})


def _relatives_hedge(
    words: Sequence[str], found: tuple[int, int, Trigger]
) -> tuple[int, int, Trigger] | None:
    """An uncertainty trigger for a hedge between a relative and the verb that the family
    trigger ``found`` starts its scope at, its scope after the verb; else None."""
    i, v, trig = found
    if trig.category != FAM or trig.direction != "forward" or v >= len(words):
        return None
    for h in range(i + 1, v):
        if words[h] in _RELATIVES_HEDGES:
            return h, v + 1, Trigger(words[h], UNC, "forward", trig.window // 2)
    return None


def _taken_for_a_finding(words: Sequence[str], v: int, inside: AbstractSet[int]) -> bool:
    """Whether what a relative takes at ``v`` is a drug that names a finding or is taken
    "for" one ("the father takes levothyroxine", "takes levetiracetam for epilepsy"; not "took
    a video of his seizures")."""
    if v + 1 in inside:
        return True
    for k in range(v + 1, min(len(words), v + 6)):
        if words[k] in _CLAUSE_ENDS:
            return False
        if words[k] == "for":
            return k + 1 in inside or k + 2 in inside
    return False


def _described_after(words: Sequence[str], k: int, inside: AbstractSet[int]) -> int | None:
    """Where a relative named after "in" is described from ``k`` on, ", who has" or "with" a
    finding ("found in his sister, who has nystagmus", "in a cousin with ataxia"; not "in his
    father with onset at 40"), else None."""
    n = len(words)
    if k < n and words[k] == "with":
        named = k + 1 if k + 1 < n and words[k + 1] not in ("a", "an") else k + 2
        return k + 1 if named in inside else None
    if k + 2 < n and words[k] == "," and words[k + 1] in ("who", "whom"):
        verb = _skip(words, k + 2, _EXPERIENCER_ADVERBS)
        if verb < n and words[verb] in _EXPERIENCER_VERBS:
            return verb
    return None


def _family_side_end(words: Sequence[str], k: int) -> int:
    """Past the side of the family after a relative, where it stands at ``k`` ("his uncle
    from the father side had", "a cousin on the mother's side has"; since linking version
    53), or past the patient the relative is named by ("the sister of the proband has";
    since version 67), else ``k``."""
    n = len(words)
    if k + 2 < n and words[k] == "of" and words[k + 1] in ("the", "our", "this"):
        # since linking version 67: "the sister of the proband has", "a brother of the index
        # case had"
        j = k + 2
        if words[j] in _PROBAND_NOUNS:
            j += 2 if words[j] == "index" and j + 1 < n and words[j + 1] == "case" else 1
            return j
        return k
    if k + 2 >= n or words[k] not in ("from", "on"):
        return k
    j = k + 2 if words[k + 1] == "the" else k + 1
    if j >= n or words[j] not in _SIDES:
        return k
    j += 2 if j + 1 < n and words[j + 1] == "s" else 1
    return j + 1 if j < n and words[j] == "side" else k


def _apposed_verb(words: Sequence[str], i: int) -> int | None:
    """The verb after a relative who is an appositive of the subject ("Patient 2, his
    younger sister, has depression", "the second patient, her brother, had seizures": the
    subject is the relative; since linking version 53), or None."""
    n = len(words)
    if i + 1 >= n or words[i + 1] != ",":
        return None
    v = _skip(words, i + 2, _EXPERIENCER_ADVERBS)
    if v >= n or words[v] not in _EXPERIENCER_VERBS:
        return None
    k = i - 1
    while k > 0 and i - k <= _APPOSITIVE_WORDS and words[k] not in _APPOSED_POSSESSIVES:
        if words[k] in _NO_APPOSITIVE or words[k] in _CLAUSE_MARKS or words[k] in "()":
            return None
        k -= 1
    return v if k > 0 and words[k] in _APPOSED_POSSESSIVES and words[k - 1] == "," else None


_APPOSED_POSSESSIVES = _POSSESSIVES - {"my"}


#: How far after a relative the "and" of a second predicate is looked for
#: (:func:`_second_predicate`).
_SECOND_PREDICATE_WORDS = 8
_NOT_SECOND_PREDICATE = (
    _PATIENT_WORDS | _POSSESSIVES | {"who", "whom", "whose", "that", "which", "by"}
)
_SECOND_VERBS = _EXPERIENCER_VERBS - {"with", "s", "having", "affected"}


#: Relatives by the pronoun that stands for them.
_SHE_RELATIVES = frozenset(
    {"mother", "sister", "aunt", "grandmother", "niece", "mom", "mum", "mommy", "mummy"}
    | {"grandma", "granny", "daughter", "wife", "gran", "nan", "nana", "nanna", "auntie"}
    | {"aunty", "sis"}
)
_HE_RELATIVES = frozenset(
    {"father", "brother", "uncle", "grandfather", "nephew", "dad", "daddy", "grandpa"}
    | {"son", "husband", "grandad", "granddad", "bro"}
)
#: The relatives by the sex of the pronoun that stands for them (see :data:`_PRONOUN_SEX`).
_RELATIVES_BY_SEX = {"f": _SHE_RELATIVES, "m": _HE_RELATIVES}
_TOLD_AUXILIARIES = frozenset({"was", "were", "had", "has", "have", "been", "also", "once"})


#: Pronouns by the sex of whom they stand for.
_PRONOUN_SEX = {"she": "f", "her": "f", "he": "m", "his": "m"}
#: Where a clause starts, before its subject.
_CLAUSE_OPENING = frozenset(
    {".", ";", ":", ",", "and", "but"}
    # since linking version 53, reported speech: "his mother says that she has hearing
    # loss", "her father reported he had chest pain"
    | {"that", "says", "said", "reports", "reported", "thinks"}
)
#: How far back a relative that a pronoun stands for may be named (in words).
_PRONOUN_REACH = 30


def _named_before(positions: Sequence[int], i: int) -> bool:
    """Whether one of ``positions`` (sorted) lies within :data:`_PRONOUN_REACH` before ``i``."""
    k = bisect.bisect_left(positions, i)
    return k > 0 and i - positions[k - 1] < _PRONOUN_REACH


def _relatives_pronoun(words: Sequence[str], i: int, relatives: AbstractSet[str]) -> bool:
    """Whether the pronoun at ``i``, opening a clause, stands for a relative named before
    it whom a possessive of the other sex ties to the patient: "his mother has a white
    forelock; her hearing is normal", "her brother had asthma. He is not deaf" (since
    linking version 48). The patient's sex is the possessive's, so the pronoun of the
    other sex can only be the relative's; with no such possessive ("the mother", "she")
    the pronoun stays the patient's."""
    if i > 0 and words[i - 1] not in _CLAUSE_OPENING:
        return False
    sex = _PRONOUN_SEX[words[i]]
    kin = _RELATIVES_BY_SEX[sex]
    patients_possessive = "his" if sex == "f" else "her"
    sentences = 0
    for k in range(i - 1, max(-1, i - _PRONOUN_REACH), -1):
        w = words[k]
        if w in _SENTENCE_ENDS:
            sentences += 1
            if sentences > 1:
                return False  # the relative is named in this sentence or the one before
        elif w in _PATIENT_WORDS and w not in _PRONOUN_SEX:
            return False  # "the patient", "the boy": the subject has changed
        elif w in relatives:
            if w not in kin:
                continue
            p = k - 1
            while p >= 0 and k - p <= 3 and words[p] in _RELATIVE_MODIFIERS - _POSSESSIVES:
                p -= 1
            if p >= 0 and words[p] == patients_possessive:
                return True
            return _subject_of_the_sentence_before(words, i, k, p)
    return False


#: Verbs that a pronoun standing for the relative of the sentence before opens its clause
#: with ("Her mother has ptosis. She has dysphagia."); a copula only with "also" ("She is
#: also deaf"): "The mother had two miscarriages. She was born at 38 weeks" is the patient.
_PRONOUN_VERBS = frozenset({"has", "had", "developed", "died", "suffers", "suffered"})
_PRONOUN_COPULAS = frozenset({"is", "was"})
#: A verb contracted onto a pronoun, as the tokens split it ("he's" -> "he", "s").
_CONTRACTED_VERBS = {"s": "is", "d": "had"}


def _subject_of_the_sentence_before(words: Sequence[str], i: int, k: int, p: int) -> bool:
    """Whether the pronoun at ``i``, opening a sentence with a verb ("She also has"), stands
    for the relative at ``k`` of the same sex who opened the sentence before ("Her mother
    has ptosis. She has dysphagia."; since linking version 53): a subject pronoun goes on
    with the subject before. Not when that sentence names the patient or holds another
    pronoun of that sex ("Her mother noticed that she was floppy. She fed poorly."). Since
    linking version 54 also a pronoun opening a clause of that sentence after ", and" with
    "too" or "also" ("My brother was on dialysis at 30, and he's deaf too")."""
    if i == 0:
        return False
    coordinated = i >= 2 and words[i - 1] == "and" and words[i - 2] == ","
    if words[i - 1] not in (".", ";") and not coordinated:
        return False
    v = _skip(words, i + 1, _EXPERIENCER_ADVERBS)
    if v >= len(words):
        return False
    also = "also" in words[i + 1 : v] or (v + 1 < len(words) and words[v + 1] == "also")
    verb = _CONTRACTED_VERBS.get(words[v], words[v])
    if coordinated:
        clause = words[v + 1 : v + 8]
        ends = [c for c, w in enumerate(clause) if w in _SENTENCE_ENDS or w == ","]
        if not also and not {"too", "also"}.intersection(clause[: ends[0]] if ends else clause):
            return False
        if verb not in _PRONOUN_VERBS and verb not in _PRONOUN_COPULAS:
            return False
    elif verb not in _PRONOUN_VERBS and not (verb in _PRONOUN_COPULAS and also):
        return False
    start = k
    while start > 0 and k - start < 5 and words[start - 1] in _SUBJECT_OPENING:
        start -= 1  # "the proband's maternal aunt"
    if start > 0 and words[start - 1] not in _SENTENCE_ENDS:
        return False  # the relative is no sentence's first words
    sex_words = _SEX_WORDS[_PRONOUN_SEX[words[i]]]
    between = words[k + 1 : i - 1]
    if ":" in between or not _EXPERIENCER_VERBS.intersection(between):
        return False  # a label's line ("Father (45): tall. He has scoliosis."): no subject
    return not (_PATIENT_WORDS.intersection(between) or sex_words.intersection(between))


#: Words before a relative who opens a sentence ("The proband's maternal aunt has").
_SUBJECT_OPENING = _RELATIVE_MODIFIERS | _POSSESSIVES | {"the", "s", "proband", "patient"}
#: The pronouns of each sex, any case.
_SEX_WORDS = {"f": frozenset({"she", "her", "hers"}), "m": frozenset({"he", "him", "his"})}


#: Adverbs of time between a "but" and its verb: "but now has", "but later developed".
_THEN_ADVERBS = frozenset({"now", "later", "then", "since", "also", "subsequently"})


def _in_their_youth(words: Sequence[str], k: int) -> bool:
    """Whether the patient's word at ``k`` is a relative's youth: "fractures as a boy", "as
    a child" (since linking version 48)."""
    return k >= 2 and words[k - 2] == "as" and words[k - 1] in ("a", "an")


def _told_of_own(words: Sequence[str], i: int) -> int | None:
    """The position after the pronoun of "<relative> was told (that) <pronoun>", where the
    pronoun is the relative's own ("her mother was told she had a heart murmur", "his father
    had been told he had glaucoma"; since linking version 48), or None: a pronoun of the
    other sex is the patient's ("his mother was told he had hypotonia": she was told of
    his)."""
    pronoun = "she" if words[i] in _SHE_RELATIVES else "he" if words[i] in _HE_RELATIVES else ""
    if not pronoun:
        return None
    n, k = len(words), i + 1
    while k < n and k - i <= 4 and words[k] in _TOLD_AUXILIARIES:
        k += 1
    if k >= n or words[k] not in ("told", "informed"):
        return None
    k += 1
    if k < n and words[k] == "that":
        k += 1
    return k + 1 if k < n and words[k] == pronoun else None


def _second_predicate(words: Sequence[str], k: int) -> int | None:
    """The verb of a second predicate of the relative who opens the clause before ``k``, or
    None: "his grandfather walked with a cane and died of heart failure" (his heart
    failure). The first predicate's verb is no experiencer's (:func:`_verb_after` found
    none); the "and" comes within a few words, before any clause mark, the patient or a
    possessive ("her sister lives nearby and has seizures" is hers; "his mother took him to
    clinic and he had seizures" is not)."""
    n = len(words)
    if k >= n or words[k] in ("and", "or") or words[k] in _NOT_SECOND_PREDICATE:
        return None  # "she lives with her grandfather and has seizures": the object's "and"
    for a in range(k + 1, min(n, k + _SECOND_PREDICATE_WORDS)):
        w = words[a]
        if w in _CLAUSE_ENDS or w in _NOT_SECOND_PREDICATE:
            return None
        if w == "and":
            v = _skip(words, a + 1, _EXPERIENCER_ADVERBS)
            if v + 1 < n and words[v + 1] in ("him", "her", "them"):
                return None  # "his mother noticed a tremor and had him seen": a causative
            return v if v < n and words[v] in _SECOND_VERBS else None
    return None


#: Participles that open an appositive about a relative, whose findings it states: "his
#: brother, diagnosed with PAH at 25, died of pulmonary oedema" (since linking version 46).
_APPOSITIVE_VERBS = frozenset({"diagnosed", "affected", "treated", "operated"})


def _own_clause_before(words: Sequence[str], k: int, limit: int, marks: AbstractSet[str]) -> bool:
    """Whether the words before the "and" at ``k`` (back to a clause mark or ``limit``) hold a
    verb or subject of their own ("he had seizures and MRI was normal": the seizures are not
    what was normal; "seizures and ataxia were absent": both are)."""
    p = k - 1
    while p >= limit and words[p] not in marks:
        if words[p] in _CLAUSE_VERBS:
            return True
        p -= 1
    return False


def _anchored(words: Sequence[str], i: int) -> bool:
    """Whether the relative at ``i`` (one of :data:`_ANCHORED_ONLY`) is tied to someone
    other than the patients of the report by a word of :data:`_ANCHORS` before it, across
    numbers and adjectives ("his two older brothers", "a healthy son", "he has two
    brothers"). "their" and "my" tie no son or child (a parent's child is the patient or a
    sibling), nor does a possessive after a parent's report ("the mother says her son has
    ..."); a child is tied only by a possessive or "other" (:data:`_CHILD_ANCHORS`)."""
    offspring = words[i] in _OFFSPRING
    anchors = _CHILD_ANCHORS if words[i] in _CHILDREN else _ANCHORS
    q = i - 1 if i > 0 and (words[i - 1] in ("a", "an") or words[i - 1] in _NUMBER_WORDS) else i
    if q >= 2 and words[q - 1] == "of" and words[q - 2] in _PARENTS_OF:
        return True  # "she was the mother of a child with hypotonia"
    p, skipped = i - 1, 0
    while p >= 0 and skipped < 4:
        w = words[p]
        if w in anchors and not (offspring and w in _NOT_OFFSPRING_ANCHORS):
            return not (offspring and w in _POSSESSIVES and p > 0 and words[p - 1] in _REPORTING)
        age = _age_before(words, p)
        if age is not None:  # "her 3-year-old daughter": the age's words count as one
            p, skipped = age - 1, skipped + 1
            continue
        if w not in _ANCHOR_SKIPPED:
            return False
        p, skipped = p - 1, skipped + 1
    return False


#: Parents whose child after "of" is someone else than the patient, who is the parent.
_PARENTS_OF = frozenset({"mother", "father", "parent", "parents"})
#: Words between "and" and a relative coordinated with the patient ("the patient and her
#: sister", "he and his brother").
_COORDINATED_SKIPPED = frozenset({"his", "her", "their", "the", "a", "an", "both"})


#: Nouns for the patient that a relative after "of" describes ("a boy of Turkish
#: parents", "the son of consanguineous parents").
_PATIENT_NOUNS = frozenset(
    {
        *("boy", "girl", "child", "infant", "baby", "neonate", "newborn", "toddler"),
        *("son", "daughter", "man", "woman", "male", "female", "patient", "proband"),
    }
)


def _of_the_patient(words: Sequence[str], i: int) -> bool:
    """Whether the relative at ``i`` follows "of" after a noun for the patient, across up
    to two adjectives ("a boy of Turkish parents", "the son of consanguineous parents")."""
    for q in range(i - 1, max(0, i - 4), -1):
        if words[q] == "of":
            return words[q - 1] in _PATIENT_NOUNS
        if words[q] in _SENTENCE_ENDS or words[q] == ",":
            return False
    return False


def _with_the_patient(words: Sequence[str], p: int, i: int) -> bool:
    """Whether the relative at ``i`` (modifiers from ``p + 1``) is coordinated after the
    patient ("the patient and her sister both had", "both the proband and her mother
    have", "he and his brother"): the finding is the patient's too."""
    while p >= 0 and words[p] in _COORDINATED_SKIPPED:
        p -= 1
    if p < 1 or words[p] not in ("and", ","):
        return False
    if words[p] == "and" and words[p - 1] in _PATIENT_WORDS:
        return True
    # since linking version 53, a list that the patient opens: "the proband, her sister and
    # their mother have", "the proband, aged 5, and his sister had" (no verb between); not
    # an appositive of the subject ("the second patient, her brother, has")
    if _apposed_verb(words, i) is not None:
        return False
    k = p - 1
    while k >= 0 and p - k <= _APPOSITIVE_WORDS + 2:
        w = words[k]
        if w in _SENTENCE_ENDS or w in _EXPERIENCER_VERBS or w in _NO_APPOSITIVE:
            return False
        if w in _PATIENT_WORDS and words[k + 1] == ",":
            return True
        k -= 1
    return False


def _age_before(words: Sequence[str], p: int) -> int | None:
    """The index of the first word of an age ending at ``p`` ("3 year old", "ten months
    old"), or None."""
    if words[p] != "old" or p < 2 or words[p - 1] not in _AGE_UNITS:
        return None
    number = words[p - 2]
    if number.replace(".", "", 1).isdigit() or number in _NUMBER_WORDS:
        return p - 2
    return None


def _skip(words: Sequence[str], k: int, skipped: AbstractSet[str]) -> int:
    while k < len(words) and words[k] in skipped:
        k += 1
    return k


def _concerned(words: Sequence[str], k: int) -> bool:
    """Whether the words from ``k`` (after a relative's verb) say that the relative is
    concerned about, or told of, something: "was (very) concerned about his hypotonia",
    "were mainly concerned about", "was most worried about". Up to
    :data:`_CONCERN_ADVERB_WORDS` adverbs are skipped: those of :data:`_CONCERN_ADVERBS`
    and any word in -ly."""
    n, skipped = len(words), 0
    while (
        k < n
        and skipped < _CONCERN_ADVERB_WORDS
        and (words[k] in _CONCERN_ADVERBS or (len(words[k]) > 4 and words[k].endswith("ly")))
    ):
        k += 1
        skipped += 1
    return k < n and words[k] in _CONCERN_WORDS


def _generic_subject(words: Sequence[str], i: int) -> int | None:
    """Where a generic statement's scope starts when the word at ``i`` is its subject
    ("patients with this syndrome", "affected individuals usually", "this disorder is
    characterized by", "the syndrome causes", since linking version 67 an animal model's
    "mice"), or None."""
    n = len(words)
    if words[i] in _ANIMALS or (words[i] == "animals" and i and words[i - 1] in _ANIMAL_MODELS):
        return None if _LIKE.intersection(words[max(0, i - 3) : i]) else i + 1
    if words[i] in _GENERIC_PEOPLE:
        k = i + 1
        if k < n and words[k] == "with":
            m = k + 1
            if m < n and words[m] in _GENERIC_DETERMINERS:
                m += 1
                if (
                    m + 1 < n
                    and words[m] not in _DISORDER_NOUNS
                    and words[m + 1] in _DISORDER_NOUNS
                ):
                    m += 1  # "this rare syndrome"
                if m < n and words[m] in _DISORDER_NOUNS:
                    return m + 1
            return None
        if k < n and words[k] in _TYPICALLY and (i == 0 or words[i - 1] not in _DEFINITE):
            return k + 1  # "affected individuals usually develop", not "the children often"
        return None
    d = i - 1
    if d >= 1 and words[d] not in _GENERIC_DETERMINERS and words[d - 1] in _GENERIC_DETERMINERS:
        d -= 1  # "this rare disorder"
    if d < 0 or words[d] not in _GENERIC_DETERMINERS:
        return None
    k = i + 1
    if k < n and words[k] in ("is", "are"):
        return k + 2 if k + 1 < n and words[k + 1] in _GENERIC_PREDICATES else None
    return k + 1 if k < n and words[k] in _GENERIC_VERBS else None


def _statuses(
    words: Sequence[str], spans: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """Ranges ruled out, affirmed and hedged by a status after a finding: "Seizures: none",
    "Hypotonia: no", "Ptosis - no", "seizures (-)" (ruled out); "Hypotonia: yes",
    "hypotonia (+)" (affirmed); "Seizures (possible)", "ptosis: ?" (hedged). Each range
    runs from the start of the finding's clause to the status mark."""
    negative: list[tuple[int, int]] = []
    positive: list[tuple[int, int]] = []
    hedged: list[tuple[int, int]] = []
    n = len(words)
    for _, b in spans:
        if b >= n:
            continue
        status = None
        if words[b] in _STATUS_MARKS:
            for size in (3, 2, 1):  # "Seizures: nil to date", "Scoliosis: not present on exam"
                end = b + 1 + size
                if end <= n and (
                    end == n or not words[end][:1].isalnum() or words[end] in _AFTER_STATUS
                ):
                    said = " ".join(words[b + 1 : end])
                    if said in _STATUSES:
                        status = said
                        break
        elif words[b] == "(" and b + 2 < n and words[b + 2] == ")":
            status = words[b + 1]
        if status is None or status not in _STATUSES:
            continue
        start = b
        while start > 0 and words[start - 1] not in _STATUS_CLAUSE_ENDS:
            start -= 1
        if status in _STATUS_NEGATIVE:
            negative.append((start, b))
        elif status in _STATUS_POSITIVE:
            positive.append((start, b))
        else:
            hedged.append((start, b))
    return negative, positive, hedged


#: Words between "for" and a count of a duration ("no seizures for the last two years").
_DURATION_LEAD = frozenset(
    {"the", "over", "about", "almost", "nearly", "more", "than", "last", "past", "at", "least"}
    | {"some"}
)
#: Counts of a duration: numbers in words and "a few", "several", "many".
_DURATION_COUNTS = _NUMBER_WORDS | frozenset({"a", "an", "few", "several", "many", "some"})
_DURATION_UNITS = _AGE_UNITS | frozenset({"decade", "decades", "hours", "hour"})
#: After "since", a time that says the finding was never there ("no seizures since birth")
#: or a follow-up's interval that says nothing of before ("since the last visit").
_SINCE_NOT_PAST = frozenset({"birth", "last"})


def _absent_since(words: Sequence[str], spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Findings absent since a time or for a duration, which were there before: "no
    seizures since the age of 5", "he has had no seizures for two years" (since linking
    version 53; "seizure-free since 2010" is :data:`_PAST_AFTER_FREE`'s). Each range is the
    finding's own, so a negation's scope no longer rules it out."""
    past: list[tuple[int, int]] = []
    n = len(words)
    for a, b in spans:
        if b + 1 >= n:
            continue
        if words[b] == "since":
            k = b + 1
            if words[k] in ("the", "her", "his", "their") and k + 1 < n:
                k += 1
            if words[k] not in _SINCE_NOT_PAST:
                past.append((a, b))
        elif words[b] == "for":
            k = b + 1
            while k < n and k - b <= 4 and words[k] in _DURATION_LEAD:
                k += 1
            if k + 1 < n and (words[k] in _DURATION_COUNTS or words[k].isdigit()):
                k += 1
                if words[k] in ("few", "more") and k + 1 < n:  # "a few months"
                    k += 1
                if words[k] in _DURATION_UNITS:
                    past.append((a, b))
    return past


def _shorthand_queries(
    words: Sequence[str], tokens: Sequence[Token] | TokenTable
) -> frozenset[int]:
    """The question marks written as a letter's shorthand for "query": against the word
    after them and apart from the one before ("?ptosis ?hypertelorism", "mild ?ptosis"),
    not a question's end ("cause seizures? Hypotonia ...")."""
    if not isinstance(tokens, TokenTable) or ("?" not in words and "\uff1f" not in words):
        return frozenset()
    return frozenset(
        k
        for k, w in enumerate(words)
        if w in _QUESTION_MARKS and tokens.touching(k) == (k == 0, True)
    )


#: Words between a question mark and the finding it queries ("? mild hypertelorism").
_QUERIED_MODIFIERS = frozenset({"mild", "mildly", "slight", "slightly", "subtle", "possible"})


def _skip_back(words: Sequence[str], a: int, skipped: frozenset[str], limit: int = 2) -> int:
    """``a`` moved back over up to ``limit`` words of ``skipped`` just before it."""
    k = a
    while k > 0 and a - k < limit and words[k - 1] in skipped:
        k -= 1
    return k


def _questioned_before(words: Sequence[str], a: int) -> bool:
    """Whether a question mark opens the sentence, heading item or comma's item that ``a``
    starts ("?seizures", "Plan: ? ataxia", "..., ? mild hypertelorism")."""
    return (
        a > 0
        and words[a - 1] in _QUESTION_MARKS
        and (a == 1 or words[a - 2] in _ITEM_STARTS or words[a - 2] == ",")
    )


def _questioned(
    words: Sequence[str],
    spans: Sequence[tuple[int, int]],
    shorthand: frozenset[int] = frozenset(),
) -> list[tuple[int, int]]:
    """The findings a question mark hedges: one that is all of its sentence or heading item
    before a question mark ("Seizures?", "Exam: ptosis?"), or that follows a question mark
    at the start of one ("?seizures", "Plan: ? ataxia") or one written against it as
    shorthand (``shorthand``: "?ptosis ?hypertelorism"). A question that names a finding
    ("Which genes cause seizures?", "a boy with hypotonia and ataxia?") hedges nothing."""
    n = len(words)
    return [
        (a, b)
        for a, b in spans
        if (
            b < n
            and words[b] in _QUESTION_MARKS
            and (
                (a0 := _skip_back(words, a, _QUERIED_MODIFIERS)) == 0
                or words[a0 - 1] in _ITEM_STARTS
            )
        )
        or _questioned_before(words, _skip_back(words, a, _QUERIED_MODIFIERS))
        # a shorthand "?" against the finding or the phrase it ends ("?hereditary spastic
        # paraplegia"): no clause end, list or other finding between
        or any(
            k in shorthand
            and not _CLAUSE_ENDS.intersection(words[k + 1 : a])
            and not _LIST_SEPARATORS.intersection(words[k + 1 : a])
            and not any(k < other < a for other, _ in spans)
            for k in range(max(0, a - 3), a)
        )
    ]
