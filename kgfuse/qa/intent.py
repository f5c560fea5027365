"""Intent detection: a few high-precision patterns, then a small classifier.

Both read the *delexicalised* question (entities replaced by ``ENT_DISEASE``, ``ENT_GENE``,
``ENT_TERM``; see ``kgfuse.qa.entities``). The classifier is a logistic regression over word
and character n-grams (scikit-learn), trained in about a second on the paraphrases that
``training_examples`` generates from ``kgfuse.qa.questions.TRAIN_TEMPLATES`` and on questions
no intent answers (``OUT_OF_SCOPE_TEMPLATES``: treatment, prevalence ...), a class of their
own that :attr:`IntentGuess.out_of_scope` reports. It is trained when first needed; its
fitted numbers are then saved as JSON in the home's ``cache`` folder
and read back by later processes (``kgfuse.qa.fitted_classifier``), keyed by the training
questions and settings: no pickled model is ever loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from kg.atomic import written_whole
from kgfuse.qa.entities import placeholder
from kgfuse.qa.fitted_classifier import FittedTextClassifier
from kgfuse.qa.questions import (
    DISEASE,
    GENE,
    OUT_OF_SCOPE,
    OUT_OF_SCOPE_TEMPLATES,
    QUALIFIER_TEMPLATES,
    TERM,
    TRAIN_TEMPLATES,
    Intent,
)

logger = logging.getLogger(__name__)

#: The classifier's settings, part of a saved classifier's key (change with the code below).
_FIT_SETTINGS = "tfidf word 1-2 + char_wb 2-5, sublinear; logistic C=10 balanced; v1"

_D, _G, _T = placeholder(DISEASE).lower(), placeholder(GENE).lower(), placeholder(TERM).lower()

# finding lists as patients are described: several findings, some ruled out
# (one finding alone is a "diseases with feature" question: see service._fit_to_entities)
_FINDING_LISTS = (
    "{t} and {t}",
    "{t}, {t} and {t}",
    "{t}, {t}, {t} and {t}",
    "{t} and {t} but no {t}",
    "{t}, {t} and {t} without {t}",
    "{t}, {t}; no {t}",
    "{t} with {t}",
)


#: The least probability of the "out of scope" class that reads a question as one: below it,
#: the likeliest intent is kept with its own (lower) probability, which the service
#: thresholds in turn.
OUT_OF_SCOPE_MIN = 0.5

# how people open a question; one is put before the lower-cased copy of each example
_PREFIXES = ("", "", "please, ", "can you tell me ", "i would like to know ", "quick question: ")


@dataclass(frozen=True)
class IntentGuess:
    """The detected intent, how sure the detector is, and which part decided.

    ``out_of_scope``: the classifier reads the question as one that no intent answers
    ("What is the treatment for ENT_DISEASE?"); ``intent`` and ``confidence`` are then
    those of the likeliest intent, for the closest facts.
    """

    intent: Intent
    confidence: float
    method: str  # "pattern" or "classifier"
    out_of_scope: bool = False


def fill_slots(
    template: str, *, disease: str, disease2: str, gene: str, term: str, findings: str
) -> str:
    """A template with its slots filled."""
    return (
        template.replace("{D2}", disease2)
        .replace("{D}", disease)
        .replace("{G}", gene)
        .replace("{T}", term)
        .replace("{PS}", findings)
    )


def training_examples(seed: int = 0) -> tuple[list[str], list[str]]:
    """Delexicalised training questions and their intent labels, from the train templates."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    t, d, g = placeholder(TERM), placeholder(DISEASE), placeholder(GENE)
    for intent, templates in TRAIN_TEMPLATES.items():
        for template in templates + QUALIFIER_TEMPLATES.get(intent, ()):
            # definition and synonym questions may be about any kind of entity
            terms = (t, d, g) if intent in (Intent.DEFINITION, Intent.SYNONYMS) else (t,)
            for term in terms:
                lists = _FINDING_LISTS if "{PS}" in template else ("{t}",)
                for findings in lists:
                    text = fill_slots(
                        template,
                        disease=d,
                        disease2=d,
                        gene=g,
                        term=term,
                        findings=findings.replace("{t}", t),
                    )
                    prefix = rng.choice(_PREFIXES)
                    for variant in (text, prefix + text.lower().rstrip("?. ")):
                        texts.append(variant)
                        labels.append(intent.value)
    for template in OUT_OF_SCOPE_TEMPLATES:
        text = fill_slots(template, disease=d, disease2=d, gene=g, term=t, findings=t)
        prefix = rng.choice(_PREFIXES)
        for variant in (text, prefix + text.lower().rstrip("?. ")):
            texts.append(variant)
            labels.append(OUT_OF_SCOPE)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


# ---- patterns -----------------------------------------------------------------------------------
#: Words of a comparison: with two diseases, what distinguishes them (also read by the QA
#: service, where a described patient's names may still be two diseases compared).
COMPARISON_WORDS = re.compile(
    r"distinguish|differ|difference|apart|versus|\bvs\b|compar|contrast", re.IGNORECASE
)
#: A question that asks only for the identifier of what it names ("What is the HPO id of
#: X?", "Gene id of X", "the OMIM number for X", "the HPO term for X"): answered by the
#: entity's definition, which gives its CURIE and IRI. The whole question must be of this
#: form, so that one asking for something else of an entity written with its id ("genes of
#: the disease id ...") is not.
_SYSTEM = r"(?:hpo|omim|orpha(?:net)?|ontology|term|gene|ncbi ?gene|disease|phenotype)"
_ASKS_AN_ID = re.compile(
    r"(?:(?:what|which)(?: is|'s| are)? |give(?: me)? |tell me |show(?: me)? |find )?"
    r"(?:the |its |an? )?"
    rf"(?:(?:{_SYSTEM} ){{0,2}}(?:ids?|identifiers?|codes?|curies?|iris?|accessions?)"
    rf"|{_SYSTEM} numbers?"
    r"|(?:(?:hpo|omim|orpha(?:net)?|ontology) )?(?:terms?|entry|entries|concepts?)"
    r"|(?:hpo|omim|orpha(?:net)?|ontology) class(?:es)?)"
    r" (?:of|for) (?:the )?ent_\w+ ?[?.!]?"
)


#: A question for the diseases that explain findings: a differential ("Which diseases could
#: explain A and B?"), not the list of diseases annotated with them.
_ASKS_A_DIFFERENTIAL = re.compile(
    r"\b(?:which|what) (?:rare |genetic )?(?:diseases?|disorders?|conditions?|syndromes?"
    r"|diagnos[ie]s) (?:could |might |may |would |best |most likely )?(?:explain|fit|account for)\b"
)
#: A differential asked for a person described, at the question's start ("What is the
#: differential diagnosis of a man with ...?", "Likely diagnosis for a 3-year-old girl who
#: ..."), not for a disease (the differential of X, which asks for the diseases like it),
#: nor how a diagnosis is made ("How is the diagnosis of a child with X confirmed?").
#: The request for a differential that opens such a question (lower case): "what is the
#: differential diagnosis of", "likely diagnosis for" (the QA service blanks it before the
#: diagnosis reads the question, whose linker reads "differential diagnosis" as a hedge).
DIAGNOSIS_REQUEST = (
    r"(?:(?:what(?: is|'s| are| would be| could be| might be)?|give(?: me)?|list|suggest"
    r"|please|likely|possible|probable|most likely)\s+)*(?:the |a |your |my )?"
    r"(?:likely |possible |probable |most likely )?"
    r"(?:differential(?: diagnos[ie]s)?|ddx|diagnos[ie]s) (?:of|for|in)"
)
_ASKS_A_PERSONS_DIAGNOSIS = re.compile(
    r"^\s*" + DIAGNOSIS_REQUEST + r" "
    r"(?:(?:a|an|the|this|that|my|our) )?(?:\d+[- ](?:year|month|week|day)s?[- ]old )?"
    r"(?:(?:young|adult|male|female|preterm|term) )?"
    r"(?:man|woman|boy|girl|child|patient|infant|newborn|neonate|baby|toddler|adolescent"
    r"|teenager|person|proband|fetus|foetus|adult|son|daughter|male|female|sibling)\b"
)
#: A differential asked for after the findings, as a note's last words ("3yo boy, fits and
#: developmental delay - differential?", "hypotonia, poor feeding. ddx?"): the request alone,
#: set off from what comes before it by a mark.
_ASKS_A_DIFFERENTIAL_LAST = re.compile(
    r"(?:\s[-\u2013\u2014]|[:,;.?])\s*(?:(?:what(?: is|'s)|any|likely|possible|your)\s+)?"
    r"(?:the\s+)?(?:differential(?:\s+diagnos[ie]s)?|ddx|dx|diagnos[ie]s)[\s?.!]*$"
)
#: Words that ask a question of its own.
_QUESTION_WORDS = r"which|what|who|whose|why|how|when|where|list|is|are|does|do|can|should"
#: The first word of a question of its own ("Which HPO term is A, dx": not a note).
_OPENS_A_QUESTION = re.compile(rf"\s*(?:{_QUESTION_WORDS}|could)\b")
#: A patient described from the first words, as a note opens ("22M, very tall, ...", "19yo F
#: with ...", "5 day old feeding poorly, ...", "newborn with ...", "8 mo, ..."): with findings
#: and no question of its own, what it asks for is a differential.
_OPENS_WITH_A_PATIENT = re.compile(
    r"\s*(?:(?:a|an|the|my|our|this)\s+)?(?:\d+(?:\.\d+)?\s*(?:-\s*)?"
    r"(?:yo|y/o|yrs?|years?|mo|mos|months?|wks?|weeks?|days?|d)\b(?:\s*-?\s*old)?"
    r"|\d+\s*[mf]\b|newborn|neonate|infant|baby|toddler|boy|girl|man|woman|teen(?:ager)?"
    r"|adolescent|pt|patient)\b"
)
#: Words of a question of its own ("which", "genes", "is it ..."): the description then asks it.
_ASKS_ITS_OWN = re.compile(rf"\b(?:{_QUESTION_WORDS}|whom|genes?)\b|\?")
#: A question answered yes or no, its subject first or after a disease set off by a mark
#: ("Does ENT_DISEASE give ...", "ENT_DISEASE - is ENT_TERM a feature?", "ENT_DISEASE: do
#: they get ...").
_YES_NO_SHAPE = re.compile(
    r"^\s*(?:ent_disease\s*[:,\-\u2013\u2014]\s*)?"
    r"(?:is|are|does|do|did|can|could|would|will|should|has|have|might|may)\b"
)
#: Words of a yes/no question on one disease and one finding that ask whether it shows the
#: finding ("Do kids with X end up with Y?", "X - is Y a feature?") ...
_SHOWS_A_FINDING = re.compile(
    r"\b(?:features?|part of|seen|see|get|gets|got|develop|develops|have|has|had|present"
    r"|presents|cause|causes|caused|give|gives|occurs?|found|associated|typical|expect"
    r"|expected|end up with|shows?|signs?|symptoms?|reported|include|includes)\b"
)
#: ... and words of one that asks something else of them ("Can X be diagnosed without Y?",
#: "Should a child with Y be screened for X?", "Is X more severe with Y?").
_ASKS_OTHER_OF_A_FINDING = re.compile(
    r"\b(?:diagnos\w*|rul(?:e|ed|es) out|screen\w*|sever\w*|without|absence|absent|confirm\w*"
    r"|exclud\w*|prevent\w*|worse|better|more|less|before|after|when|if|unless|risk)\b"
)
#: Words that ask for the findings of a disease ("ENT_DISEASE - clinical features?", "What
#: does ENT_DISEASE present with?", "What findings do you see in ENT_DISEASE?").
_FEATURE_WORDS = re.compile(
    r"\b(?:features?|symptoms?|signs?|findings?|manifestations?|phenotypes?|phenotypic"
    r"|characteristics?|clinical picture|presentation|present(?:s|ing)? with)\b"
)
#: Words of a question on one gene that ask for its phenotypes, from the training
#: questions' words (a question for its diseases names diseases, disorders or conditions).
#: Not "features" or "symptoms": "What are the features of NF1?" names a disease by its
#: gene, and is offered the gene's diseases.
_PHENOTYPE_WORDS = re.compile(
    r"\b(?:phenotypes?|phenotypic|signs?|manifestations?|abnormalit(?:y|ies)"
    r"|hpo terms?|traits?|findings?)\b"
)
#: Words of a question on one disease that ask for the diseases like it ("similar to",
#: "mimics", "can be confused with", "the differential diagnosis of"), from the training
#: questions' words.
SIMILAR_WORDS = re.compile(
    r"\bsimilar|\bresembl|\bmimic|\blook-?alikes?\b|\blooks? (?:most )?like\b|\bconfused with\b"
    r"|\bmistaken for\b|\bdifferential\b|\boverlap|\bpresents? like\b|\bclose to\b"
)
#: Words of a question on one disease that ask for its mode of inheritance or its onset
#: (a phenotype named beside them makes it another question: "onset of seizures in X").
_INHERITANCE_OR_ONSET_WORDS = re.compile(
    r"\binherit|\btransmi|\bhereditary\b|\bonset\b|\b(?:at|from) (?:what|which) age\b"
    r"|\bhow old\b"
)
#: Words of what the KG does not hold, which the classifier reads as out of scope ("the
#: treatment of early-onset X"), ...
_ASKS_OUT_OF_SCOPE = re.compile(
    r"\btreat|\btherap|\bdrugs?\b|\bcure\b|\bprognos|\bprevalen|\bincidence\b"
    r"|\blife expectancy\b"
)
#: Words of a question for something else of the disease, which the classifier reads ("the
#: features of early-onset X", "the first symptoms of X").
_ASKS_OTHER = re.compile(r"\b(?:features?|symptoms?|signs?|phenotypes?|manifestations?|genes?)\b")


#: Words that name a term's place in the hierarchy whatever surrounds them.
_CHILD_WORDS = re.compile(
    r"\b(?:subtypes?|subclass(?:es)?|child (?:terms?|class(?:es)?|nodes?|concepts?)"
    r"|narrower terms?)\b"
)
_PARENT_WORDS = re.compile(
    r"\b(?:parent (?:terms?|class(?:es)?|nodes?|concepts?)|superclass(?:es)?|broader terms?)\b"
)
#: "What does X look like?": how a disease shows, not the diseases like it.
_APPEARANCE = re.compile(r"\bwhat (?:does|do|did|would|will) (?:\S+ ){1,8}?look like\b")


def _kin_of_a_term(text: str, word: str) -> bool:
    """Whether ``word`` ("children", "parents?") names a term's kin: "the children of X",
    "X's parents", a term named beside it. Else it means people ("in children with X", "from
    their parents"), which the classifier reads."""
    t = re.escape(_T)
    kin = rf"(?:direct |immediate |is-a )?{word}"
    return (
        re.search(rf"\b{kin} (?:terms? |class(?:es)? |nodes? )?of {t}\b", text) is not None
        or re.search(rf"\b{t}(?:'s|\u2019s)? {kin}\b", text) is not None
    )


def _asks_for_similar(text: str) -> bool:
    """Words that ask for the diseases like one ("mimics", "looks like"), but not "what does
    X look like?" alone, which asks how it shows."""
    found = [m.group(0) for m in SIMILAR_WORDS.finditer(text)]
    if not found:
        return False
    if _APPEARANCE.search(text):
        return any(not re.fullmatch(r"looks? (?:most )?like", w) for w in found)
    return True


def _count(text: str, token: str) -> int:
    return len(re.findall(rf"\b{token}\b", text))


def _pattern_intent(text: str) -> Intent | None:
    """The intent when a high-precision pattern fires, else None. ``text`` is lower case."""
    # runs of spaces made one, so that no pattern can split a long run in many ways
    text = " ".join(text.split())
    d, g, t = _count(text, _D), _count(text, _G), _count(text, _T)
    if d >= 2 and COMPARISON_WORDS.search(text):
        return Intent.DISTINGUISH
    if re.search(r"\bsynonyms?\b|other names?\b|another name|also known as|alternative name", text):
        return Intent.SYNONYMS
    if re.search(r"ent_\w+ (is|are) an? (subtype|subclass|kind|type|child) of", text):
        return Intent.PARENTS  # "X is a subtype of what?"
    if _CHILD_WORDS.search(text) or _kin_of_a_term(text, "children"):
        return Intent.CHILDREN
    if _PARENT_WORDS.search(text) or _kin_of_a_term(text, "parents?"):
        return Intent.PARENTS
    if re.fullmatch(r"\s*(what is|what's|define|definition of)\s+ent_\w+\s*[?.!]?\s*", text):
        return Intent.DEFINITION
    if d + g + t == 1 and _ASKS_AN_ID.fullmatch(text):
        return Intent.DEFINITION  # "What is the HPO id of short stature?": the term, its id

    if re.search(r"\bgenes?\b", text) and g == 0:
        if d >= 1 and t == 0:
            return Intent.GENES_OF_DISEASE
        if t >= 1 and d == 0:
            return Intent.GENES_OF_PHENOTYPE
    findings_only = t >= 1 and d == 0 and g == 0
    if findings_only and _ASKS_A_DIFFERENTIAL.search(text):
        return Intent.DIAGNOSE  # "Which diseases explain A and B?"
    if findings_only and _ASKS_A_PERSONS_DIAGNOSIS.search(text):
        return Intent.DIAGNOSE  # "What is the differential diagnosis of a man with A?"
    note = findings_only and not _OPENS_A_QUESTION.match(text)
    if note and _ASKS_A_DIFFERENTIAL_LAST.search(text):
        return Intent.DIAGNOSE  # "Girl, 4, with A and B - differential?"
    described = findings_only and t >= 2 and _OPENS_WITH_A_PATIENT.match(text)
    if described and not _ASKS_ITS_OWN.search(text):
        return Intent.DIAGNOSE  # "5 day old with A, B and C": a note, to diagnose
    if g == 1 and d == 0 and t == 0 and _PHENOTYPE_WORDS.search(text):
        return Intent.PHENOTYPES_OF_GENE  # "What are the phenotypes of FBN1?"
    one_disease = d == 1 and g == 0 and t == 0
    if one_disease and _asks_for_similar(text):
        return Intent.SIMILAR_DISEASES  # "Which conditions mimic X?"
    if one_disease and _INHERITANCE_OR_ONSET_WORDS.search(text):
        other = _ASKS_OUT_OF_SCOPE.search(text) or _ASKS_OTHER.search(text)
        return None if other else Intent.INHERITANCE_ONSET
    other_asked = (
        COMPARISON_WORDS.search(text)
        or _ASKS_OUT_OF_SCOPE.search(text)
        or _INHERITANCE_OR_ONSET_WORDS.search(text)
        or re.search(r"\bdifferential|\bgenes?\b", text)
    )
    if (
        d == 1
        and t == 1
        and g == 0
        and _YES_NO_SHAPE.search(text)
        and _SHOWS_A_FINDING.search(text)
        and not (other_asked or _ASKS_OTHER_OF_A_FINDING.search(text))
    ):
        return Intent.IS_FEATURE_OF  # "Do children with X get Y?", "X - is Y a feature?"
    asks_for_diseases = re.search(r"\b(?:diseases|disorders|conditions|syndromes)\b", text)
    if (
        one_disease
        and _FEATURE_WORDS.search(text)
        and not (other_asked or asks_for_diseases or _YES_NO_SHAPE.search(text))
    ):
        return Intent.DISEASE_FEATURES  # "X - clinical features?", "What does X present with?"
    return None


class IntentClassifier:
    """Patterns first, then the trained classifier.

    Args:
        seed: the seed of the training paraphrases and of the regression.
        fitted: the classifier's fitted parameters, read back
            (:meth:`FittedTextClassifier.from_json`); None fits them with scikit-learn
            (``model`` is then the fitted pipeline).
    """

    def __init__(self, seed: int = 0, *, fitted: FittedTextClassifier | None = None) -> None:
        self.model: Any = None
        if fitted is None:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline, make_union

            texts, labels = training_examples(seed)
            self.model = make_pipeline(
                make_union(
                    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                ),
                # balanced: diagnosis questions come in many finding-list variants
                LogisticRegression(
                    C=10.0, max_iter=3000, class_weight="balanced", random_state=seed
                ),
            )
            self.model.fit(texts, labels)
            fitted = FittedTextClassifier(self.model)
        self._proba = fitted
        #: the intent of each class of the classifier (None: out of scope)
        self.classes: list[Intent | None] = [
            None if c == OUT_OF_SCOPE else Intent(c) for c in fitted.classes
        ]

    @classmethod
    def saved_or_fitted(cls, seed: int, folder: Path | None) -> IntentClassifier:
        """The classifier of ``seed`` read from ``folder`` when fitted there before by the
        same code and scikit-learn on the same training questions (:func:`fit_key`), else
        fitted and saved there (as JSON, written whole; a folder that cannot be written is
        only logged)."""
        if folder is None:
            return cls(seed)
        key = fit_key(seed)
        path = folder / f"intent-{key[:24]}.json"
        if path.is_file():
            try:
                head, _, body = path.read_bytes().partition(b"\n")
                if json.loads(head).get("key") != key:
                    raise ValueError("fitted by other code or on other questions")
                return cls(seed, fitted=FittedTextClassifier.from_json(body))
            except (OSError, ValueError, AttributeError) as exc:
                logger.warning("intent classifier %s not used (%s); fitting it again", path, exc)
        classifier = cls(seed)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with written_whole(path) as (fd, _tmp), os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps({"key": key}) + "\n" + classifier._proba.to_json())
        except OSError as exc:
            logger.info("intent classifier not saved in %s (%s)", folder, exc)
        return classifier

    def predict(
        self, delexicalised: str, feasible: Collection[Intent] | None = None
    ) -> IntentGuess:
        """The intent of a delexicalised question.

        Args:
            delexicalised: the question with its entities replaced by placeholders.
            feasible: the intents that the question's entities can answer (None: all);
                a pattern outside them is ignored and the classifier chooses among them.
        """
        text = delexicalised.lower()
        found = _pattern_intent(text)
        if found is not None and (feasible is None or found in feasible):
            return IntentGuess(found, 1.0, "pattern")
        return self.classify(text, feasible)

    def classify(
        self, delexicalised: str, feasible: Collection[Intent] | None = None
    ) -> IntentGuess:
        """The classifier's intent alone (no patterns), renormalised over ``feasible``; when
        the likeliest class is "out of scope" with at least :data:`OUT_OF_SCOPE_MIN`, the
        likeliest intent flagged so."""
        proba = self._proba.predict_proba(delexicalised.lower())
        in_scope = np.array([c is not None for c in self.classes], dtype=bool)
        if feasible is not None:
            mask = np.array([c in feasible for c in self.classes], dtype=bool)
            if mask.any():
                proba = np.where(mask, proba, 0.0)
                proba = proba / proba.sum()
        top = int(proba.argmax())
        out_of_scope = not in_scope[top] and proba[top] >= OUT_OF_SCOPE_MIN
        best = int(np.where(in_scope, proba, -1.0).argmax())
        intent = self.classes[best]
        assert intent is not None
        return IntentGuess(intent, float(proba[best]), "classifier", out_of_scope)


def fit_key(seed: int) -> str:
    """A hash of what a fitted classifier depends on: the training questions of ``seed``,
    the settings, the source of this module and of ``kgfuse.qa.fitted_classifier``, and the
    installed scikit-learn's version (read without importing it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        sklearn_version = version("scikit-learn")
    except PackageNotFoundError:  # pragma: no cover - a dependency of the package
        sklearn_version = "none"
    here = Path(__file__).parent
    code = hashlib.sha256()
    for name in ("intent.py", "fitted_classifier.py"):
        code.update((here / name).read_bytes())
    texts, labels = training_examples(seed)
    payload = [_FIT_SETTINGS, code.hexdigest(), sklearn_version, seed, texts, labels]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


@lru_cache(maxsize=2)
def default_classifier(seed: int = 0, folder: Path | None = None) -> IntentClassifier:
    """The intent classifier, made once per process: read from ``folder`` when saved there
    (:meth:`IntentClassifier.saved_or_fitted`), else trained."""
    return IntentClassifier.saved_or_fitted(seed, folder)
