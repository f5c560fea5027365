"""Context rules after the review of the concept recogniser (encoders.negation): forward
negation scopes that end at the next clause, "with or without", hyphenated negative
prefixes and suffixes, sentence ends beyond ASCII, missing negation and hedge cues,
relatives' words, a parent's concern and siblings who are the report's patients.

The sentences are written for these tests; each group has controls that must not change."""

from __future__ import annotations

import pytest

from encoders.linker import ConceptLinker, LinkerConfig
from encoders.negation import ContextRules
from encoders.normalize import BREAK, Token, TokenTable, fold
from tests.test_encoders.context_fixtures import context_flags, lexicon_of

_TERMS = {
    "Seizure": ("Seizures", "Epilepsy"),
    "Febrile seizure": ("Febrile seizures",),
    "Hypotonia": (),
    "Ataxia": (),
    "Ptosis": (),
    "Scoliosis": (),
    "Syncope": (),
    "Migraine": (),
    "Microcephaly": (),
    "Short stature": (),
    "Hearing impairment": ("Hearing loss", "Deafness"),
    "Pain": (),
    "Fever": (),
    "Nystagmus": (),
    "Cataract": (),
    "Tremor": (),
    "Dysphagia": (),
    "Cleft lip": (),
    "Intellectual disability": (),
    "Global developmental delay": (),
    "Clubfoot": (),
    "Vestibular dysfunction": (),
}
LEXICON, IRI = lexicon_of(_TERMS)


@pytest.fixture(scope="module")
def linker() -> ConceptLinker:
    return ConceptLinker(LEXICON, LinkerConfig())


def flags(linker: ConceptLinker, text: str) -> dict[str, str]:
    return context_flags(linker, text)


def check(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    got = flags(linker, text)
    assert {k: got.get(k) for k in expected} == expected, got


# ----------------------------------------- 2. a forward negation ends at the next clause


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an affirmation of what follows
        ("Negative for fever and positive for nystagmus.", {"fever": "N", "nystagmus": "P"}),
        ("She denies pain, reports tremor.", {"pain": "N", "tremor": "P"}),
        ("Denied fever, endorsed dysphagia.", {"fever": "N", "dysphagia": "P"}),
        ("He denies syncope, endorses migraine.", {"syncope": "N", "migraine": "P"}),
        # a finite verb of a clause of its own
        ("No fever or pain, and tremor persists.", {"fever": "N", "pain": "N", "tremor": "P"}),
        ("No fever or pain occurred, and the tremor improved.", {"tremor": "P"}),
        ("Neither ptosis nor cataract, and scoliosis progressed.", {"scoliosis": "P"}),
        # ", and" + a possessive or determiner, ", with": a clause of its own
        ("There was no fever, and his tremor worsened.", {"fever": "N", "tremor": "P"}),
        ("No syncope, and the dysphagia improved.", {"syncope": "N", "dysphagia": "P"}),
        ("No cataract, with marked nystagmus.", {"cataract": "N", "nystagmus": "P"}),
        (
            "No fever, pain, or syncope, with ataxia on walking.",
            {"fever": "N", "pain": "N", "syncope": "N", "ataxia": "P"},
        ),
        # a negated treatment, evaluation or manner negates no finding after it
        ("Without therapy, the tremor returns.", {"tremor": "P"}),
        ("No medication relieved her migraine.", {"migraine": "P"}),
        ("No matter the treatment, the ataxia progressed.", {"ataxia": "P"}),
        ("She has not been evaluated for her scoliosis.", {"scoliosis": "P"}),
        # "as well as" adds an item of its own
        (
            "The EEG showed no sleep spindles as well as frequent seizures.",
            {"seizures": "P"},
        ),
        # so does "along with"
        ("The EEG showed no sleep spindles, along with frequent seizures.", {"seizures": "P"}),
        (
            "The CT scan showed a lesion, suggestive of a cataract, along with microcephaly.",
            {"cataract": "U", "microcephaly": "P"},
        ),
        # without the comma it may join the list: the negation goes on
        ("No ptosis along with ataxia were observed.", {"ptosis": "N", "ataxia": "N"}),
        ("She denies fever along with tremor.", {"fever": "N", "tremor": "N"}),
        # must not change: a negated list, its verb, the comma cut of the second item
        (
            "No ptosis, scoliosis, cataract or ataxia.",
            {"ptosis": "N", "scoliosis": "N", "cataract": "N", "ataxia": "N"},
        ),
        ("No fever, pain, or tremor were reported.", {"fever": "N", "pain": "N", "tremor": "N"}),
        ("No fever or pain occurred.", {"fever": "N", "pain": "N"}),
        ("No tremor, nystagmus present.", {"tremor": "N", "nystagmus": "P"}),
        ("Without fever or pain.", {"fever": "N", "pain": "N"}),
    ],
)
def test_forward_negation_ends_at_the_next_clause(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


# ----------------------------------------------- 3. "with or without X" is no negation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Short stature with or without deafness.",
            {"short stature": "P", "deafness": "U"},
        ),
        ("Ataxia, with or without nystagmus, is typical.", {"nystagmus": "U"}),
        ("Tremor with/without dysphagia.", {"tremor": "P", "dysphagia": "U"}),
        # must not change
        ("Ataxia without nystagmus.", {"ataxia": "P", "nystagmus": "N"}),
    ],
)
def test_with_or_without_is_a_hedge_not_a_negation(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


# ------------------------------------------------ 4. hyphenated prefixes and suffixes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Non-febrile seizures were observed.", {"febrile seizures": "N"}),
        ("A migraine-free year.", {"migraine": "N"}),
        ("She remains tremor-free.", {"tremor": "N"}),
        ("Scoliosis-negative on screening.", {"scoliosis": "N"}),
        # must not change: a finding free since a time or on a treatment is a past finding
        # (as "no recurrence of X"), "free of" was a trigger
        ("He has been migraine-free since the spring.", {"migraine": "P"}),
        ("Seizure free for six months on valproate.", {"seizure": "P"}),
        ("Free of fever.", {"fever": "N"}),
        ("Febrile seizures since infancy.", {"febrile seizures": "P"}),
    ],
)
def test_hyphenated_negative_prefix_and_suffix(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


# ------------------------------------------------------- 8. sentence ends beyond ASCII


def _tokens(words: list[str], folded: bool) -> Token | list[Token] | TokenTable:
    """Tokens of ``words`` joined by spaces, as the tokenizer gives them: a word is a
    word token, anything else a phrase-breaking one; as a list of :class:`Token` (marks as
    written) or a :class:`TokenTable` (marks folded, as :func:`encoders.normalize.scan`)."""
    parts = [""]
    for w in words:
        parts += [w, " "]
    parts[-1] = ""
    norms = [w.lower() if w[:1].isalnum() else BREAK for w in words]
    if folded:
        return TokenTable(parts, list(words), norms, [fold(w) for w in words])
    out, pos = [], 0
    for w, norm in zip(words, norms, strict=True):
        out.append(Token(pos, pos + len(w), w, norm))
        pos += len(w) + 1
    return out


@pytest.mark.parametrize(
    "mark",
    [
        "\u2026",  # ellipsis
        "\uff0e",  # fullwidth full stop
        "\u3002",  # ideographic full stop
        "\uff1b",  # fullwidth semicolon
        "\uff01",  # fullwidth exclamation mark
        "\u2022",  # bullet
        "\r",  # a lone carriage return
        "\u2028",  # line separator
        "\u2029",  # paragraph separator
        "\x85",  # NEL
        "\x0b",  # VT
        "\x0c",  # FF
    ],
)
@pytest.mark.parametrize("folded", [False, True])
def test_sentence_ends_beyond_ascii_end_a_negation(mark: str, folded: bool) -> None:
    # "No tremor <mark> Ataxia noted": the ataxia is affirmed after the mark
    tokens = _tokens(["No", "tremor", mark, "Ataxia", "noted"], folded)
    tremor, ataxia = ContextRules().analyze(tokens, [(1, 2), (3, 4)])  # type: ignore[arg-type]
    assert tremor.negated and not ataxia.negated


@pytest.mark.parametrize("folded", [False, True])
def test_a_sentence_end_beyond_ascii_ends_a_backward_scope(folded: bool) -> None:
    # "Tremor <ellipsis> ataxia was absent": only the ataxia is ruled out
    tokens = _tokens(["Tremor", "\u2026", "ataxia", "was", "absent"], folded)
    tremor, ataxia = ContextRules().analyze(tokens, [(0, 1), (2, 3)])  # type: ignore[arg-type]
    assert not tremor.negated and ataxia.negated


# ---------------------------------------------------- 12. negation and hedge cues


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nystagmus absent.", {"nystagmus": "N"}),
        ("Pain absent on palpation.", {"pain": "N"}),
        ("Cataract has been excluded.", {"cataract": "N"}),
        ("Migraine had been ruled out by the neurologist.", {"migraine": "N"}),
        ("Dysphagia excluded.", {"dysphagia": "N"}),
        ("There is a lack of tremor.", {"tremor": "N"}),
        ("Patients deny syncope.", {"syncope": "N"}),
        ("Negative: fever, ptosis.\nPositive: tremor.", {"fever": "N", "ptosis": "N"}),
        # must not change: an attributive "absent" is no post-posed trigger
        ("Ataxia and absent speech.", {"ataxia": "P"}),
        ("Tremor with absent gag reflex.", {"tremor": "P"}),
    ],
)
def test_negation_cues(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    check(linker, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cataract has not been excluded.", {"cataract": "U"}),
        ("Migraine had not been ruled out.", {"migraine": "U"}),
        ("Syncope vs migraine.", {"syncope": "U", "migraine": "U"}),
        ("Tremor vs. ataxia on the left.", {"tremor": "U", "ataxia": "U"}),
        ("Cataract versus ptosis.", {"cataract": "U", "ptosis": "U"}),
        ("Scoliosis is unlikely.", {"scoliosis": "U"}),
        ("Nystagmus?", {"nystagmus": "U"}),
        ("Exam: ?ptosis", {"ptosis": "U"}),
        ("Dysphagia (possible).", {"dysphagia": "U"}),
        (
            "The differential diagnosis includes migraine and syncope.",
            {"migraine": "U", "syncope": "U"},
        ),
        ("Differential: syncope, migraine.", {"syncope": "U", "migraine": "U"}),
        # a double negation affirms
        ("She is never without pain.", {"pain": "P"}),
        ("He is rarely without pain.", {"pain": "P"}),
        # must not change: a question that names findings, a clause that stays affirmed
        ("Which syndromes feature ptosis and cataract?", {"ptosis": "P", "cataract": "P"}),
        ("He has tremor and ataxia vs migraine.", {"tremor": "P"}),
        ("Scoliosis is unlikely to progress.", {"scoliosis": "P"}),
    ],
)
def test_hedge_cues(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    check(linker, text, expected)


# ------------------------------------------------------------------ 13. relatives


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Her mom has migraine.", {"migraine": "F"}),
        ("His mum had cataract.", {"cataract": "F"}),
        ("Their dad has tremor.", {"tremor": "F"}),
        ("His twin has nystagmus.", {"nystagmus": "F"}),
        ("Her son has scoliosis.", {"scoliosis": "F"}),
        ("His daughter had ptosis.", {"ptosis": "F"}),
        ("Her children have deafness.", {"deafness": "F"}),
        ("His grandma had tremor.", {"tremor": "F"}),
        ("Her grandpa has cataract.", {"cataract": "F"}),
        ("FH: migraine. Exam: ptosis.", {"migraine": "F", "ptosis": "P"}),
        ("FHx: deafness.", {"deafness": "F"}),
        ("Family Hx: cataract.", {"cataract": "F"}),
        ("Tremor runs in the family.", {"tremor": "F"}),
        ("Migraine runs in her family.", {"migraine": "F"}),
        ("Cataract in several relatives.", {"cataract": "F"}),
        ("Sister - scoliosis.", {"scoliosis": "F"}),
        # must not change, or the patient: a parent's child, a mother's report
        ("Their child has tremor.", {"tremor": "P"}),
        ("The mother says her son has tremor.", {"tremor": "P"}),
        # who writes "my son" is a parent describing the patient (linking version 20)
        ("My son has tremor and ptosis.", {"tremor": "P", "ptosis": "P"}),
        ("My daughter had scoliosis.", {"scoliosis": "P"}),
        ("My child has deafness.", {"deafness": "P"}),
        ("My brother has migraine.", {"migraine": "F"}),
        ("Tremor in a child is rare.", {"tremor": "P"}),
        ("Children with this disorder usually have ptosis.", {"ptosis": "U"}),
        ("Her mother has migraine.", {"migraine": "F"}),
    ],
)
def test_relatives(linker: ConceptLinker, text: str, expected: dict[str, str]) -> None:
    check(linker, text, expected)


# ------------------------------------------ 14. a parent concerned about the patient


@pytest.mark.parametrize(
    "adverb", ["chiefly", "primarily", "really", "deeply", "most", "especially", "mostly"]
)
def test_a_parents_concern_after_any_adverb_is_about_the_patient(
    linker: ConceptLinker, adverb: str
) -> None:
    check(linker, f"The father was {adverb} worried about her ptosis.", {"ptosis": "P"})


# ---------------------------------------- 15. siblings who are the report's patients


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The sisters have short stature.", {"short stature": "P"}),
        ("Both sisters had global developmental delay.", {"global developmental delay": "P"}),
        ("These are three siblings with clubfoot.", {"clubfoot": "P"}),
        (
            "Two brothers with intellectual disability were referred.",
            {"intellectual disability": "P"},
        ),
        ("Cataract was found in both sisters.", {"cataract": "P"}),
        # "children" anchored by "other" is a relative word now
        ("They have two other children with ptosis.", {"ptosis": "F"}),
        # must not change: anchored to someone else, relatives; "twins" is a new relative
        # word that needs an anchor too
        ("The twins have nystagmus.", {"nystagmus": "P"}),
        ("His sisters have short stature.", {"short stature": "F"}),
        ("She has two brothers with clubfoot.", {"clubfoot": "F"}),
        ("Two maternal cousins have deafness.", {"deafness": "F"}),
        ("The patient's brothers have tremor.", {"tremor": "F"}),
        ("Cataract was present in two brothers.", {"cataract": "F"}),
        ("Her brother has migraine.", {"migraine": "F"}),
    ],
)
def test_plural_relatives_need_an_anchor(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


# ------------------------------------- "did not present (with)", "did not occur" (v17)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "present" here is the verb of the negation, not a finding's status
        (
            "She did not present facial weakness, nystagmus, or ptosis.",
            {"nystagmus": "N", "ptosis": "N"},
        ),
        ("The patient did not present with seizures.", {"seizures": "N"}),
        ("He does not present ataxia.", {"ataxia": "N"}),
        ("Fever or signs of dysphagia did not occur.", {"fever": "N", "dysphagia": "N"}),
        ("Seizures have not occurred since.", {"seizures": "N"}),
        # must not change: an affirmed presentation, a delayed onset, a status after a list
        ("She presented with ptosis.", {"ptosis": "P"}),
        ("He did not present with seizures but had ataxia.", {"seizures": "N", "ataxia": "P"}),
        ("Seizures did not occur until age 5.", {"seizures": "P"}),
        ("No tremor, nystagmus present.", {"tremor": "N", "nystagmus": "P"}),
    ],
)
def test_a_presentation_or_occurrence_denied(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)


# ------------------------- a relative tied across an age, an ordinal or "newborn" (v25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A 35-year-old woman with short stature. Her 3-year-old daughter has microcephaly.",
            {"short stature": "P", "microcephaly": "F"},
        ),
        ("Her 10 year old son has seizures.", {"seizures": "F"}),
        ("Her ten-month-old son has hypotonia.", {"hypotonia": "F"}),
        ("His 4-year-old twin brothers have seizures.", {"seizures": "F"}),
        ("Her first son has seizures.", {"seizures": "F"}),
        ("Her newborn son has hypotonia.", {"hypotonia": "F"}),
        ("His little sister has ataxia.", {"ataxia": "F"}),
        # must not change: a parent's own child is the patient; a person of an age is no
        # relative; an age of no unit ties nothing
        ("My 3-year-old son has seizures and hypotonia.", {"seizures": "P", "hypotonia": "P"}),
        ("Their 5-year-old son has seizures.", {"seizures": "P"}),
        ("The 3-year-old boy has seizures.", {"seizures": "P"}),
        ("At 3 years old the son had seizures.", {"seizures": "P"}),
    ],
)
def test_a_relative_is_tied_across_an_age_an_ordinal_or_newborn(
    linker: ConceptLinker, text: str, expected: dict[str, str]
) -> None:
    check(linker, text, expected)
