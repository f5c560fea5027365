"""The question-answering service: question in, linked answer with its facts and audit id out.

Steps: check the question; link its entities (``kgfuse.qa.entities``); detect the intent on
the delexicalised question (``kgfuse.qa.intent``); check that the entities fill the intent's
slots; answer from the KG (``kgfuse.qa.lookups``) or, for a described patient, from the fused
diagnosis model with its rule findings (``kgfuse.diagnosis``); record the answer in the audit
log. A question that cannot be answered says why and lists the closest facts of the KG.

Example:
    >>> qa = QAService()                                                     # doctest: +SKIP
    >>> qa.ask("Which genes are associated with Marfan syndrome?").text     # doctest: +SKIP
    'Genes associated with Marfan syndrome (OMIM:154700): FBN1 (NCBIGene:2200).'
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fusion.shortlist import DEFAULT_SHORTLIST, RankingSettings
from kg.errors import UnknownTermError
from kg.knowledge_graph import KnowledgeGraph
from kg.namespaces import compress
from kg.remote import kg_location
from kg.rules.engine import CitedFact
from kg.store import default_kg_path, kgfuse_home
from kgfuse.qa import lookups
from kgfuse.qa.answers import Answer, AnswerItem, source_namer
from kgfuse.qa.entities import (
    QUALIFIER_BRANCHES,
    QUALIFIER_ROOTS,
    Entity,
    QuestionEntityLinker,
    UnknownId,
    called,
    delexicalise,
    naming_by_id,
    negated_relation,
    overlaps,
    written_as_id,
)
from kgfuse.qa.intent import (
    COMPARISON_WORDS,
    DIAGNOSIS_REQUEST,
    SIMILAR_WORDS,
    IntentClassifier,
    IntentGuess,
    default_classifier,
)
from kgfuse.qa.questions import ANY, DISEASE, GENE, SPECS, TERM, Intent

if TYPE_CHECKING:
    from kgfuse.diagnosis import DiagnosisService
    from kgfuse.explanation import Explanation

logger = logging.getLogger(__name__)

#: What :meth:`QAService.understand` returns: a question's entities and its intent.
Understood = tuple[list[Entity], IntentGuess]

#: Longest question accepted, in characters.
MAX_QUESTION_CHARS = 2_000
#: Below this classifier confidence (and with no pattern) the intent counts as unknown.
MIN_CONFIDENCE = 0.30
#: From this classifier confidence up a question is answered as read; below it (down to
#: :data:`MIN_CONFIDENCE`) the answer says how it was read and offers the two likeliest
#: readings as questions to ask instead. On the held-out paraphrases of ``kgfuse eval qa``
#: the least confidence of a question read by the classifier was 0.53 (all read right); of
#: 51 questions asked by a reviewer, the 5 read with 0.33-0.43 were all read wrong.
SURE_CONFIDENCE = 0.50
#: A yes/no question: it opens with an auxiliary verb, not a request ("Can you list ...")
#: nor "Are there ...", "Do any ...".
_YES_NO = re.compile(
    r"\s*(?:is|are|does|do|did|can|could|may|might|will|would|was|were|has|have|should)\b"
    r"(?!\s+(?:you|there|any|all|some|the\s+(?:diseases|disorders|conditions|syndromes))\b)",
    re.IGNORECASE,
)
_DISEASES = r"(?:diseases|disorders|conditions|syndromes|illnesses|diagnoses)"
#: A question for the set of diseases with findings ("Which diseases have A but not B?",
#: "disorders involving both A and B"), not for a differential ("Which diseases explain
#: ...", "What disease has ...": the one that fits).
_LISTS_DISEASES = re.compile(
    rf"(?:^|\b(?:which|what|list|show|find|name|give)\b)(?:\s+(?:me|all|the|of|rare|genetic"
    rf"|inherited|known))*\s*{_DISEASES}\s+(?:(?:do|does|that|which|often|usually|also)\s+)?"
    r"(?:have|having|has|with|involve|involving|show|showing|feature|featuring|include"
    r"|including|manifest|present\s+with|presenting\s+with|are\s+(?:characteri[sz]ed\s+by"
    r"|annotated\s+with|associated\s+with|linked\s+to))\b",
    re.IGNORECASE,
)
#: A disease's features asked of a gene's name, "the features of NF1", "NF1 symptoms": the
#: shape of a question on a disease named by its gene.
_FEATURES_OF_A_GENE = re.compile(
    r"\b(?:(?:clinical )?features?|symptoms?)\s+(?:of|in)\s+(?:the\s+)?ent_gene\b"
    r"|\bent_gene\s+(?:features?|symptoms?)\b",
    re.IGNORECASE,
)
#: Words of a described patient: a differential even when shaped as a list question.
_DESCRIBES_PATIENT = re.compile(
    r"\b(?:patients?|proband|case|child|infant|newborn|baby|boy|girl|son|daughter|man|woman"
    r"|he|she|his|her|years?[- ]old|presents?|presenting\s+as|differential|diagnos\w*"
    r"|explain|fit|suspect)\b",
    re.IGNORECASE,
)
#: Two named things compared ("Marfan syndrome vs homocystinuria", "A versus B", "A compared
#: with B"): what distinguishes them.
_COMPARES = re.compile(r"\b(?:vs\.?|versus|compared\s+(?:to|with)|as\s+opposed\s+to)(?!\w)", re.I)
#: A question for how often a feature occurs in a disease.
_ASKS_FREQUENCY = re.compile(
    r"\bhow\s+(?:often|common(?:ly)?|frequent(?:ly)?|many)\b|\bpercent(?:age)?\b|%"
    r"|\b(?:proportion|fraction|share|frequency|rate)\s+of\b",
    re.IGNORECASE,
)
#: The HPO frequency term "Excluded" (0%): a question asking whether a feature is excluded
#: asks whether it is not so.
_EXCLUDED_FREQUENCY = "http://purl.obolibrary.org/obo/HP_0040285"
#: The HPO frequency terms (the branch root and its terms): context in a question about a
#: feature of a disease, whose answer gives the frequency.
_FREQUENCY_TERMS = frozenset(
    f"http://purl.obolibrary.org/obo/HP_{n:07d}" for n in range(40279, 40286)
)
#: Words of a question about a disease's mode of inheritance ...
_ASKS_INHERITANCE = re.compile(
    r"\binherit|\btransmi|\bdominant|\brecessive|\bx-linked|\bpassed\s+(?:on|down)"
    r"|\bin\s+families\b|\bhereditary\b|\bpattern\b",
    re.IGNORECASE,
)
#: ... and about its onset or course (a question that cannot be answered and has either
#: gets the disease's annotations of those aspects as its closest facts).
_ASKS_ONSET = re.compile(
    r"\bonset\b|\bage\b|\bhow\s+old\b|\bstart|\bbegin|\bwhen\b|\bfirst\s+(?:signs?|symptoms?)"
    r"|\bappear|\bcourse\b|\bprogress",
    re.IGNORECASE,
)
#: Closest facts listed when a question cannot be answered.
CLOSEST_FACTS = 10
#: Items listed by default; the rest are counted in ``Answer.total``.
MAX_ITEMS = 50
#: Facts cited per answer.
MAX_FACTS = 50


class QuestionError(ValueError):
    """A question that cannot be processed at all (empty, too long, not text)."""


def check_question(question: Any) -> str:
    """The question, stripped; raises QuestionError naming what is wrong."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question has {len(text):,} characters; at most {MAX_QUESTION_CHARS:,} "
            "are accepted (send patient notes to /diagnose)"
        )
    if "\x00" in text:
        raise QuestionError("the question contains a NUL character")
    return text


class QAService:
    """Answers questions over one KG (and, for diagnosis questions, one fused model).

    Args:
        kg_path: KG folder (default: the HPO KG of the kgfuse home).
        model_dir: diagnosis model folder (default: the one quickstart trains); loaded on
            the first diagnosis question.
        home: kgfuse home (audit database, defaults).
        audit: record every answer in the audit log.
        classifier: intent classifier (default: trained once per process).
        precision: the diagnosis model's inference precision (``auto``, ``fp32``, ``bf16``,
            ``int8``).
        ranking: how the diagnosis model's differential is put together
            (:class:`fusion.shortlist.RankingSettings`; default: its defaults); recorded with
            each answer.
        audit_db: the audit database (None: ``<home>/audit.sqlite``).

    A diagnosis answer's audit record holds every ranking setting of the model that made it
    (:attr:`fusion.pipeline.Diagnoser.ranking_settings`, the precision as resolved), so its
    replay ranks as it did.
    """

    def __init__(
        self,
        kg_path: Path | str | None = None,
        model_dir: Path | None = None,
        home: Path | None = None,
        *,
        audit: bool = True,
        classifier: IntentClassifier | None = None,
        precision: str = "auto",
        ranking: RankingSettings | None = None,
        audit_db: Path | None = None,
    ) -> None:
        from fusion.precision import check_precision

        self.precision = check_precision(precision)
        self.ranking = ranking or RankingSettings()
        self.home = home
        self.kg_path = kg_location(kg_path) if kg_path else default_kg_path("hpo", home)
        self.kg = KnowledgeGraph.open(self.kg_path, home=home)
        self.model_dir = model_dir
        self.audit_log = None
        if audit:  # a database that cannot take the answers is refused before any is made
            from kgfuse.audit import AuditLog

            self.audit_log = AuditLog(audit_db or kgfuse_home(home) / "audit.sqlite")
            self.audit_log.check_writable()
        self.entities = QuestionEntityLinker(self.kg)
        self._source_of = source_namer(self.kg.manifest)
        self.classifier = classifier or default_classifier(0, kgfuse_home(home) / "cache")
        self._diagnosis: Any = None
        #: why the diagnosis model could not be loaded, as the last answer said it (None:
        #: no attempt failed); the HTTP API tells its clients less (not the model's folder)
        self.model_error: str | None = None
        self._lock = threading.Lock()
        #: whether an answer's audit form holds the content fingerprint of the model that
        #: made it (what is audited does; a replay of a record made without it does not)
        self.records_model_files = audit

    # ---- the diagnosis model, loaded on first use --------------------------------------------
    @property
    def diagnosis(self) -> DiagnosisService:
        """The diagnosis service (KG, model, linker, rules), loaded once; it audits its own
        decisions when this service audits (a diagnosis question is audited as ``ask``)."""
        with self._lock:
            if self._diagnosis is None:
                from kgfuse.diagnosis import DiagnosisService

                self._diagnosis = DiagnosisService(
                    self.model_dir,
                    self.kg_path,
                    self.home,
                    audit=self.audit_log is not None,
                    precision=self.precision,
                    ranking=self.ranking,
                    audit_db=self.audit_log.path if self.audit_log is not None else None,
                )
            return self._diagnosis

    # ---- asking ------------------------------------------------------------------------------
    def understand(self, question: str) -> Understood:
        """The entities and the intent of a question (no answer yet).

        A name that is both a disease's and a phenotype's ("ectopia lentis" is HP:0001083
        and OMIM:225100) is read, in this order:

        1. as the question calls it, name by name: after "phenotype", "feature", "finding",
           "symptom", "sign" ... as the phenotype, after "disease", "disorder", "syndrome"
           or "condition" as the disease ("Is ectopia lentis a feature of the disease
           macroglossia?"; :data:`kgfuse.qa.entities.CALLED`); a name ruled out ("without
           ectopia lentis") as the phenotype;
        2. as the phenotype when the question describes a patient to diagnose (its findings
           are phenotypes: "Newborn with hypoglycemia, macroglossia and omphalocele", even
           where the other reading could compare two diseases, unless words of a
           comparison say so), or when only the phenotype reading can be answered ("Which
           diseases have macroglossia?");
        3. as the phenotype in a question for genes ("Which genes are linked to ectopia
           lentis?"): the genes of a phenotype are those of every disease with it or a
           subtype, which is what a question naming a feature asks for; the disease of the
           same name is most often that feature's isolated form, one disease among them;
        4. else as the disease (the names not settled by 1 are read all one way).

        An answer read one way says so and how to ask for the other, when the other reading
        can be answered too (:meth:`ask`). Asked whether one phenotype is a feature of
        another that also names a disease ("Is ectopia lentis a feature of homocystinuria?",
        where "ectopia lentis" names a disease too), the phenotype reading is kept, and its
        answer says that no disease was named, with the diseases named after each finding:
        which name is the disease is not clear.

        Ids written in the question that the KG does not know ("HP:9999999") keep their
        place in it while the intent is read ("Which diseases explain arachnodactyly and
        HP:9999999?" asks for a differential, not for the diseases with arachnodactyly);
        the answer names them.
        """
        text = check_question(question)
        entities, guess = self._understand_names(text)
        if guess.intent is Intent.DIAGNOSE and _why_not(guess, entities) is None:
            return entities, guess
        return self._with_treatments(text, entities, guess) or (entities, guess)

    def _with_treatments(
        self, text: str, entities: list[Entity], guess: IntentGuess
    ) -> Understood | None:
        """A described patient whose findings are told by their treatments too ("a boy with
        hydrocephalus who underwent bilateral orchidopexy"): the question read with those
        findings (:meth:`QuestionEntityLinker.treatment_readings`) when it then asks for a
        differential that can be made (with one finding, the diseases with it); else None
        (a question on the ontology never reads a treatment)."""
        treated = [
            t
            for t in self.entities.treatment_readings(text)
            if not overlaps(t.start, t.end, entities)
        ]
        if not treated:
            return None
        with_them = sorted(entities + treated, key=lambda e: e.start)
        other = self._intent(text, with_them, self.entities.unknown_ids(text))
        if _why_not(other, with_them) is not None:
            return None
        if other.intent is Intent.DIAGNOSE or (
            # one finding of a patient described: the diseases with it, as when named
            other.intent is Intent.DISEASES_WITH_FEATURE and _DESCRIBES_PATIENT.search(text)
        ):
            return with_them, other
        return None

    def _understand_names(self, text: str) -> Understood:
        """:meth:`understand` from the names of the question (no treatment read)."""
        entities, findings = self._readings(text)
        unknown = self.entities.unknown_ids(text)
        guess = self._intent(text, entities, unknown)
        if findings == entities:
            return entities, guess
        if (
            guess.intent is not Intent.DIAGNOSE
            and _DESCRIBES_PATIENT.search(text)
            and not COMPARISON_WORDS.search(text)  # "What distinguishes X from Y in a newborn?"
        ):
            # "Newborn with hypoglycemia, macroglossia and omphalocele": a described
            # patient's names are findings, whatever the other reading could answer
            other = self._intent(text, findings, unknown)
            if other.intent is Intent.DIAGNOSE and _why_not(other, findings) is None:
                return findings, other
        if guess.intent is Intent.DIAGNOSE or _why_not(guess, entities) is not None:
            other = self._intent(text, findings, unknown)
            if _why_not(other, findings) is None:
                return findings, other
        elif guess.intent is Intent.GENES_OF_DISEASE:
            other = self._intent(text, findings, unknown)
            if other.intent is Intent.GENES_OF_PHENOTYPE and _why_not(other, findings) is None:
                return findings, other
        elif guess.intent is Intent.IS_FEATURE_OF and _disease_read_from_a_finding(
            entities, findings
        ):
            other = self._intent(text, findings, unknown)
            return findings, (other if _why_not(other, findings) is None else guess)
        elif _present(findings, GENE) and _present(findings, TERM):
            # a gene and a name of both: the diseases of the gene with that feature, not
            # whether a disease is among the gene's ("Does FBN1 cause ectopia lentis?")
            other = self._intent(text, findings, unknown)
            if _why_not(other, findings) is None:
                return findings, other
        elif guess.intent in (Intent.DEFINITION, Intent.SYNONYMS) and self._content(
            guess.intent, findings
        ) > self._content(guess.intent, entities):
            # the reading that has a definition (or synonyms), when only the other has none
            other = self._intent(text, findings, unknown)
            if other.intent is guess.intent and _why_not(other, findings) is None:
                return findings, other
        return entities, guess

    def _content(self, intent: Intent, entities: list[Entity]) -> int:
        """How many entities of a reading have a definition (``DEFINITION``) or synonyms."""
        count = 0
        for e in entities:
            try:
                info = self.kg.term(e.iri)
            except (UnknownTermError, ValueError):
                continue
            has = info.definition if intent is Intent.DEFINITION else any(info.synonyms.values())
            count += bool(has)
        return count

    def _readings(self, text: str) -> tuple[list[Entity], list[Entity]]:
        """:meth:`QuestionEntityLinker.readings`, each name that is both a phenotype's and a
        disease's read as the words around it say wherever they do (see :meth:`understand`;
        a name ruled out, "without ectopia lentis", is a finding): the first list reads the
        other such names as diseases, the second as phenotypes."""
        as_named, findings = self.entities.readings(text)
        if as_named == findings:
            return as_named, findings
        fixed: dict[tuple[int, int], str | None] = {}
        excluded = {(e.start, e.end) for e in (*as_named, *findings) if e.excluded}
        for span in _shared_names(as_named, findings):
            kind = called(text, span[0])
            fixed[span] = kind if kind is not None or span not in excluded else TERM
        return (
            _mixed(as_named, findings, fixed, DISEASE),
            _mixed(as_named, findings, fixed, TERM),
        )

    def _intent(self, text: str, entities: list[Entity], unknown: list[UnknownId]) -> IntentGuess:
        """The intent of a question read with these entities (and ids the KG lacks): the
        likeliest of all, as sure as it is among all (an intent that the entities cannot
        answer is not swapped for one they can: the answer says what is missing), then
        corrected by the question's shape (:func:`_fit_to_shape`)."""
        delexicalised = delexicalise(text, entities, unknown)
        guess = self.classifier.predict(delexicalised)
        listing = _lists_diseases(delexicalised)
        unknown_terms = sum(u.type == TERM for u in unknown)
        compares = bool(COMPARISON_WORDS.search(text))
        guess = _fit_to_entities(guess, entities, unknown_terms, listing, compares)
        return _fit_to_shape(guess, delexicalised, entities, listing)

    def _other_reading(self, text: str, entities: list[Entity]) -> str:
        """For each name of the question that is both a phenotype's and a disease's, read
        one way while the other reading can be answered too: which one the answer took and
        how to ask for the other ("" when there is none)."""
        as_named, findings = self.entities.readings(text)
        taken = {(e.start, e.end): e for e in entities}
        shared = _shared_names(as_named, findings)
        flipped = {  # each such name read the other way, but one ruled out ("without X")
            span: DISEASE if taken[span].type == TERM else TERM
            for span in shared
            if span in taken
            and not taken[span].excluded
            # and one the question calls a disease or a phenotype, unless it is the only one
            and (len(shared) == 1 or called(text, span[0]) is None)
        }
        kinds = {span: e.type for span, e in taken.items() if span in flipped}
        if not flipped or entities != _mixed(as_named, findings, kinds, TERM):
            return ""
        unknown = self.entities.unknown_ids(text)
        # every such name read the other way, else one of them (the other names as read)
        candidates = [flipped] + ([{s: k} for s, k in flipped.items()] if len(flipped) > 1 else [])
        for candidate in candidates:
            other_reading = _mixed(as_named, findings, {**kinds, **candidate}, TERM)
            other = self._intent(text, other_reading, unknown)
            if other.intent is not Intent.DIAGNOSE and _why_not(other, other_reading) is None:
                break
        else:
            return ""
        offered = {(e.start, e.end): e for e in other_reading}
        notes = []
        for span in candidate:
            read, alternative = taken[span], offered[span]
            kind = "phenotype" if read.type == TERM else "disease"
            other_kind = "phenotype" if alternative.type == TERM else "disease"
            notes.append(
                f"'{read.text}' is read as the {kind} {read.label} ({read.curie}); it also "
                f"names the {other_kind} {alternative.label} ({alternative.curie}): ask "
                f'"{naming_by_id(text, *span, alternative.curie)}" for that.'
            )
        return " ".join(notes)

    def ask(
        self,
        question: str,
        *,
        top_k: int = 10,
        limit: int = MAX_ITEMS,
        understood: Understood | None = None,
    ) -> Answer:
        """Answer a question (see the module docstring); the answer is audited.

        Args:
            question: the question.
            top_k: diseases ranked for a diagnosis question.
            limit: items listed (``Answer.total`` counts all of them).
            understood: what :meth:`understand` returned for this question, when the caller
                already asked (the server does, to route diagnoses to their own threads);
                the audit record's ``seconds`` then count the answering only.

        Raises:
            QuestionError: empty, oversized or non-text question.
        """
        started = time.perf_counter()
        text = check_question(question)
        entities, guess = understood if understood is not None else self.understand(text)
        unknown = self.entities.unknown_ids(text)
        answer = self._answer(text, entities, guess, top_k, limit)
        if answer.answered and answer.intent != Intent.DIAGNOSE.value:
            note = self._other_reading(text, entities)
            answer.text += f" {note}" if note else ""
        if unknown:
            ids = ", ".join(u.text for u in unknown)
            answer.text += f" Not an id of the KG, left out: {ids}."
            answer.warnings += [
                f"{u.text} is not an id of the KG: the question was read without it"
                for u in unknown
            ]
        answer.items = answer.items[:limit]
        answer.facts = answer.facts[:MAX_FACTS]
        answer.entities = [e.to_dict() for e in entities]
        answer.method = guess.method
        if self.audit_log is not None:
            answer.audit_id = self._record(answer, top_k, limit, time.perf_counter() - started)
        return answer

    def _answer(
        self,
        question: str,
        entities: list[Entity],
        guess: IntentGuess,
        top_k: int,
        limit: int,
    ) -> Answer:
        intent = guess.intent
        why = _why_not(guess, entities)
        negation = _negation(question, entities, intent) if not guess.out_of_scope else None
        if negation is not None and (intent is not Intent.IS_FEATURE_OF or why is not None):
            why = (
                f"it asks for what is not so ('{negation}'): the KG states what is annotated "
                "(and a few explicit NOT annotations), so a list of what is not would be a "
                f"guess; ask without '{negation}' for what is"
            )
            return self._cannot(question, entities, guess, why)
        if why is None and _unsure(guess):
            return self._not_sure(question, entities, guess)
        if intent is Intent.DIAGNOSE and why in (None, _missing(intent)):
            # with no finding, the differential says what it read (not what it needs)
            ranked = self._diagnose(question, entities, guess, top_k)
            if ranked.answered:  # a disease or gene named beside the findings is not ranked by
                _say_left_out(ranked, [e for e in entities if e.type != TERM], intent)
            return ranked
        plan = _plan(intent, entities)
        if why is not None or plan is None:
            return self._cannot(question, entities, guess, why or _missing(intent))
        if intent is Intent.IS_FEATURE_OF and not _present(entities, TERM):
            negation = negation or "no " + plan.calls[0][1][0].text  # "have no seizures?"
        if intent is Intent.IS_FEATURE_OF:  # "Is X excluded in Y?" asks whether it is not so
            excluded = [e.text for e in entities if e.iri == _EXCLUDED_FREQUENCY]
            negation = negation or (excluded[0] if excluded else None)
        found = []
        for lookup, args, options in plan.calls:
            if intent in _LISTED:  # the facts of the first MAX_FACTS are cited, whatever is listed
                options = {**options, "limit": max(limit, MAX_FACTS)}
            if intent is Intent.INHERITANCE_ONSET:  # the words around the disease's name
                asked = aspects_asked(delexicalise(question, entities))
                options = {**options, "aspects": asked}
            one = lookup(self.kg, *args, **options)
            found.append(_inverted(one, args[0], negation) if negation is not None else one)
        if intent is Intent.IS_FEATURE_OF and negation is None and _ASKS_FREQUENCY.search(question):
            found = [_as_frequency(f) for f in found]  # "What percentage ...?" is no yes/no
        if (
            intent is Intent.DISEASES_OF_GENE
            and _present(entities, TERM)
            and _YES_NO.match(question)
        ):
            found = [_yes_or_no(f) for f in found]  # "Does FBN1 cause X?": via its diseases
        answer = Answer(
            question,
            intent.value,
            guess.confidence,
            all(f.answered for f in found),
            " ".join(f.text for f in found),
            items=[i for f in found for i in f.items],
            total=sum(f.total or 0 for f in found),
            facts=[fact for f in found for fact in f.facts],
            warnings=[w for f in found for w in f.warnings],
        )
        answered_with = {i.iri for i in answer.items}  # "Is X inherited as AR?": AR is an item
        _say_left_out(answer, [e for e in plan.left_out if e.iri not in answered_with], intent)
        for e in entities:
            note = lookups.obsolete_note(self.kg, e)
            if note is not None:
                answer.text += "" if note in answer.text else f" {note}"
                answer.warnings.append(note)
        return answer

    def _diagnose(
        self, question: str, entities: list[Entity], guess: IntentGuess, top_k: int
    ) -> Answer:
        """A differential from the fused model, the question's findings read by its linker
        (and those written as ids given beside the text); without a present finding, a
        "cannot answer" that says what was read, never a ranking."""
        read = [
            ("no " if e.excluded else "") + (e.label or e.text) for e in entities if e.type == TERM
        ]
        if not _present(entities, TERM):
            return _no_finding(question, guess, read)
        from kgfuse.diagnosis import RecordError

        try:
            service = self.diagnosis
        except FileNotFoundError as exc:  # no model trained yet
            self.model_error = str(exc)
            return Answer(
                question,
                Intent.DIAGNOSE.value,
                guess.confidence,
                False,
                f"I cannot answer this: it needs the diagnosis model, which is missing ({exc}).",
            )
        record: dict[str, Any] = {"id": "question", "text": _without_request_heading(question)}
        # findings written as ids: the model's linker reads names only
        written = [e.curie for e in entities if e.type == TERM and e.written_as_id]
        if written:
            record["present_hpo"] = written
        try:
            out, explanation = service.run(record, 0, top_k, audit=False)
        except RecordError as exc:  # nothing the model can rank by (it says why)
            why = str(exc).removeprefix("record question: ")
            return _no_finding(question, guess, read, why, used_model=True)
        if not any(m.status == "present" for m in explanation.mentions):
            read = [
                ("no " if m.status == "excluded" else "") + (m.label or m.text)
                for m in explanation.mentions
            ]
            return _no_finding(question, guess, read, used_model=True)
        items = [
            AnswerItem(
                r["iri"],
                r["label"],
                DISEASE,
                {
                    "score": r["score"],
                    "probability": r["probability"],
                    "rank": k,
                    "placed_by": r["placed_by"],
                    # findings the prior credited through the diseases most like it
                    "imputed": [f["curie"] for f in r.get("imputed", [])],
                },
            )
            for k, r in enumerate(out["ranking"], start=1)
        ]
        read_text = ", ".join(
            ("no " if m.status == "excluded" else "") + (m.label or m.text)
            for m in explanation.mentions
        )
        patient = [str(out["sex"]).lower()] if out.get("sex") else []
        if out.get("age") is not None:  # read from the question: said, as the rules weigh it
            patient.append(f"{out['age']:g} years old")
        if patient:
            read_text = f"{', '.join(patient)}; {read_text or 'no findings'}"
        # in ranked order, without the probabilities: on real patients they are overconfident
        # until `kgfuse calibrate` refits them (README)
        top = ", ".join(i.label for i in items[:3])
        text = f"Read: {read_text or 'no findings'}. Most likely, in ranked order: {top or 'none'}."
        findings = [f.to_dict() for f in explanation.findings]
        facts = [f.fact for f in explanation.facts]
        answer = Answer(
            question,
            Intent.DIAGNOSE.value,
            guess.confidence,
            bool(items),
            text,
            items=items,
            total=len(items),
            facts=facts,
            findings=findings,
            warnings=list(out.get("warnings", [])),
        )
        answer.rule_findings = list(explanation.findings)
        answer.used_model = True
        answer.read = list(explanation.mentions)
        return answer

    def _not_sure(self, question: str, entities: list[Entity], guess: IntentGuess) -> Answer:
        """The answer to a question read with a confidence below :data:`SURE_CONFIDENCE`:
        how it was read, and the two likeliest readings as questions to ask instead (a
        disease the linker did not know filled in with those named after the question's
        other words, :meth:`named_instead`)."""
        unknown = self.entities.unknown_ids(question)
        delexicalised = delexicalise(question, entities, unknown)
        others = [i for i in Intent if i is not guess.intent]
        second = self.classifier.classify(delexicalised, others).intent
        named, total, note = self.named_instead(question, entities)
        filled = entities + ([self._as_entity(named[0])] if named else [])
        suggestions = [
            q for q in (_question_for(i, filled) for i in (guess.intent, second)) if q is not None
        ]
        text = (
            f"I am not sure what this asks: I read it as asking {_asking(guess.intent)} "
            f"(confidence {guess.confidence:.2f}), else {_asking(second)}."
        )
        if suggestions:
            text += " Did you mean: " + " or ".join(f'"{q}"' for q in suggestions) + "?"
        text += note
        return Answer(
            question,
            "unknown",
            guess.confidence,
            False,
            text,
            items=named,
            total=total,
            facts=self.closest_facts(entities),
            suggestions=suggestions,
        )

    def named_instead(
        self, question: str, entities: list[Entity]
    ) -> tuple[list[AnswerItem], int, str]:
        """Diseases that a question may name by words the linker did not know ("Marfan",
        "Ehlers Danlos"; :meth:`QuestionEntityLinker.unlinked_names`), when it names no
        disease: the first five of those named after the first such words that name any,
        how many there are, and a sentence offering them (all empty when none)."""
        if _present(entities, DISEASE):
            return [], 0, ""
        for name in self.entities.unlinked_names(question, entities):
            named, total = self.diseases_named_after(name)
            if not named and re.search(r"(?<=\w)'?s$", name):  # "Marfans", "Marfan's"
                name = re.sub(r"'?s$", "", name)
                named, total = self.diseases_named_after(name)
            if named:
                note = (
                    f" '{name}' names no disease of the KG; did you mean one named after it"
                    f"{_offered(named, total)}? Ask again with its full name."
                )
                return named, total, note
        return [], 0, ""

    def _as_entity(self, item: AnswerItem) -> Entity:
        """A disease (or a term) offered instead of a name as an entity (to fill a suggested
        question)."""
        kind = item.type if item.type in (TERM, DISEASE, GENE) else DISEASE
        return Entity(item.label, -1, -1, item.iri, compress(item.iri), item.label, kind)

    def _cannot(
        self, question: str, entities: list[Entity], guess: IntentGuess, why: str
    ) -> Answer:
        """A "cannot answer" with the KG facts closest to what the question names, and, when
        the question needs a disease and names a finding, the diseases named after it."""
        facts = self.closest_facts(entities)
        text = f"I cannot answer this: {why}."
        items: list[AnswerItem] = []
        suggested = 0
        if _ASKS_INHERITANCE.search(question) or _ASKS_ONSET.search(question):
            # "How is Marfan syndrome inherited?": what the KG annotates, not as features
            for e in _present(entities, DISEASE):
                found = lookups.disease_features(self.kg, e)
                apart = {i.iri: i for i in found.items if "aspect" in i.detail}
                if apart:
                    listed = ", ".join(f"{i.label} ({i.detail['aspect']})" for i in apart.values())
                    text += (
                        f" The KG annotates {e.label} ({e.curie}), not as features, with {listed}."
                    )
                    facts = [f for f in found.facts if f.object in apart] + facts
        for e in entities:
            if e.qualifier and e not in _terms(entities) and TERM in _needs(guess.intent):
                text += (
                    f" '{e.text}' names {e.label} ({e.curie}), which qualifies a phenotype "
                    "(its frequency, onset, inheritance or severity) rather than names one."
                )
        suggestions: list[str] = []
        # a disease named by words the linker does not know ("Is tall stature a symptom of
        # Marfan?"): the diseases named after them, and the question asked with one
        named, total, note = (
            self.named_instead(question, entities) if not guess.out_of_scope else ([], 0, "")
        )
        if named:
            text += note
            items, suggested = named, total
            intent = guess.intent
            if intent in _WITH_A_DISEASE and not _present(entities, TERM):
                intent = _WITH_A_DISEASE[intent]  # what was read with a phenotype, of a disease
            asked = _question_for(intent, [*entities, self._as_entity(named[0])])
            if asked is not None:
                suggestions.append(asked)
                text += f' Such as: "{asked}"'
        elif not guess.out_of_scope and not any(_present(entities, k) for k in _KINDS):
            # no entity at all: names of the KG spelt like the question's words
            for run, spelt in self.entities.spelled_like(question, entities):
                offered = [
                    AnswerItem(iri, label, self.entities.node_type[iri], {"spelt_like": run})
                    for label, iri in spelt
                ]
                names = "; ".join(f"{i.label} ({compress(i.iri)})" for i in offered)
                text += f" '{run}' is no name of the KG; did you mean {names}?"
                items.extend(offered)
                suggested += len(offered)
                asked = _question_for(
                    guess.intent, [*entities, *(self._as_entity(i) for i in offered[:1])]
                )
                if asked is not None and asked not in suggestions:
                    suggestions.append(asked)
        elif DISEASE in _needs(guess.intent) and not guess.out_of_scope:
            for e in _present(entities, GENE):
                # a disease named by its gene ("What are the features of NF1?")
                named, total = self.diseases_of_gene(e)
                if named:
                    text += (
                        f" '{e.text}' names the gene {e.label} ({e.curie}), not a disease; "
                        f"the diseases it is linked to{_offered(named, total)}."
                    )
                    items.extend(named)
                    suggested += total
                    asked = None
                    one = self.one_disease_of_gene(e)
                    if one is not None:  # the gene names one disease (of OMIM): ask of it
                        instead = [x for x in entities if x is not e]
                        asked = _question_for(guess.intent, [*instead, self._as_entity(one)])
                    if asked is not None:
                        suggestions.append(asked)
                        text += f' Did you mean: "{asked}"?'
                    else:
                        text += " Ask again with one of these names."
            for e in entities:
                if e.type != TERM or e.qualifier:
                    continue
                named, total = self.diseases_named_after(e.label)
                if named:
                    text += (
                        f" '{e.text}' reads as the phenotype {e.label} ({e.curie}); diseases "
                        f"named after it{_offered(named, total)}. Ask again with one of these "
                        "names."
                    )
                    items.extend(named)
                    suggested += total
        needs = _needs(guess.intent)
        wants_term = (TERM in needs and not _terms(entities)) or (ANY in needs and not entities)
        if wants_term and not guess.out_of_scope:
            # a finding the ontology names only with a qualifier ("Is lactate a feature of
            # Leigh syndrome?": Increased circulating lactate concentration, Increased CSF
            # lactate ...)
            offered, total, run = self.terms_named_with(question, entities)
            if offered:
                text += (
                    f" '{run}' is no name of a term; terms named with it{_offered(offered, total)}."
                )
                items.extend(offered)
                suggested += total
                asked = self._asked_with(guess.intent, entities, offered)
                if asked is not None and asked not in suggestions:
                    suggestions.append(asked)
                    text += f' Did you mean: "{asked}"?'
        if facts:
            text += " The closest facts in the KG are listed."
        elif not entities:
            text += " No entity of the KG was recognised in the question."
        return Answer(
            question,
            "unknown",
            guess.confidence,
            False,
            text,
            items=items,
            total=suggested,
            facts=facts,
            suggestions=suggestions,
        )

    def _asked_with(
        self, intent: Intent, entities: list[Entity], offered: list[AnswerItem]
    ) -> str | None:
        """The question asked again with the first offered term that the question, so
        written, is read with (a term's label may hold a shorter name the linker reads
        first: "Chaotic multifocal atrial tachycardia"); None when none is."""
        for item in offered:
            asked = _question_for(intent, [*entities, self._as_entity(item)])
            if asked is not None and item.iri in {e.iri for e in self.entities.link(asked)}:
                return asked
        return None

    def terms_named_with(
        self, question: str, entities: list[Entity], limit: int = 5
    ) -> tuple[list[AnswerItem], int, str]:
        """Phenotype terms whose names hold the first run of a question's words that no
        entity covers and that some term's name holds (:meth:`QuestionEntityLinker.
        terms_named_with`): the first ``limit``, those annotated to a disease of the
        question (or below such an annotation's term) first, how many there are, and the
        run (all empty when none)."""
        runs = self.entities.unlinked_names(question, entities, known_words=True)
        for run in [r for r in runs if len(r) >= MIN_NAMED_WITH_CHARS][:MAX_NAMED_WITH_RUNS]:
            found = self.entities.terms_named_with(run)
            if not found:
                continue
            # the terms of the question's diseases, and those above them
            hierarchy = self.kg.hierarchy
            covered = {
                t
                for e in _present(entities, DISEASE)
                for a in self.kg.annotations_of(e.iri)
                if a.present and a.phenotype.iri in hierarchy
                for t in hierarchy.ancestors(a.phenotype.iri, include_self=True)
            }
            found.sort(key=lambda pair: pair[1] not in covered)  # stable: then as found
            items = [
                AnswerItem(iri, label, TERM, {"named_with": run}) for label, iri in found[:limit]
            ]
            return items, len(found), run
        return [], 0, ""

    def diseases_named_after(self, name: str, limit: int = 5) -> tuple[list[AnswerItem], int]:
        """Diseases whose label holds ``name`` as whole words, those that open with it first,
        then the shortest (what a question naming "homocystinuria" as a disease may mean),
        and how many there are."""
        found = self.entities.diseases_named_after(name)
        items = [
            AnswerItem(iri, label, DISEASE, {"named_after": name}) for label, iri in found[:limit]
        ]
        return items, len(found)

    def diseases_of_gene(self, gene: Entity, limit: int = 5) -> tuple[list[AnswerItem], int]:
        """The first ``limit`` diseases a gene is linked to (what a question naming a disease
        by its gene may mean), and how many there are."""
        found = self.kg.diseases_of_gene(gene.iri)
        items = [AnswerItem(d.iri, d.label, DISEASE, {"gene": gene.curie}) for d in found[:limit]]
        return items, len(found)

    def one_disease_of_gene(self, gene: Entity) -> AnswerItem | None:
        """The disease a question naming a gene as a disease ("KAT6A syndrome") most likely
        means: the gene's only disease, or its only OMIM disease (not a susceptibility)
        beside other sources' entries (Orphanet's, which often group several); None when it
        is not one."""
        found = self.kg.diseases_of_gene(gene.iri)
        omim = [
            d
            for d in found
            if compress(d.iri).startswith("OMIM:") and "susceptibility" not in d.label.lower()
        ]  # a susceptibility entry ("Glioma susceptibility 1") is no syndrome named by a gene
        one = found if len(found) == 1 else omim if len(omim) == 1 else []
        if not one:
            return None
        return AnswerItem(one[0].iri, one[0].label, DISEASE, {"gene": gene.curie})

    def closest_facts(self, entities: list[Entity]) -> list[CitedFact]:
        """Facts of the KG about the question's entities (annotations first)."""
        facts: list[CitedFact] = []
        for e in entities:
            if e.type == DISEASE:
                facts.extend(lookups.disease_features(self.kg, e).facts[:CLOSEST_FACTS])
            elif e.type == GENE:
                facts.extend(lookups.diseases_of_gene(self.kg, e).facts[:CLOSEST_FACTS])
            else:
                facts.extend(
                    lookups.annotation_fact(a) for a in self.kg.annotations_with(e.iri)[:5]
                )
                facts.extend(lookups.parents(self.kg, e).facts)
        return facts[:CLOSEST_FACTS]

    def answer_dict(self, answer: Answer) -> dict[str, Any]:
        """The JSON form of an answer, nodes labelled and facts with their KG source."""
        return answer.to_dict(self.kg.labels, self._source_of)

    # ---- audit -------------------------------------------------------------------------------
    def _record(self, answer: Answer, top_k: int, limit: int, seconds: float) -> str | None:
        assert self.audit_log is not None
        explanation = self.explanation_of(answer)
        explanation.metadata["seconds"] = round(seconds, 4)
        from kgfuse.replay import recorded_location

        if self._model_fingerprint(answer) is not None:
            # the folder the model was loaded from, whatever the home holds later
            model_dir: str | None = recorded_location(self._diagnosis.model_dir)
        else:
            model_dir = str(self.model_dir) if self.model_dir else None
        config = {
            "kg": recorded_location(self.kg_path),
            "model_dir": model_dir,
            "home": str(self.home) if self.home else None,
            "top_k": top_k,
            "limit": limit,
            "similarity_weight": self.ranking.similarity_weight,
            "shortlist_similarity": self.ranking.shortlist_similarity,
            "lead": self.ranking.lead,
            "pool": self.ranking.pool,
            "shortlist": self.ranking.shortlist,
            "precision": self.precision,
        }
        if answer.used_model and self._diagnosis is not None:
            config.update(self._diagnosis.diagnoser.ranking_settings)  # precision resolved
        return self.audit_log.record(
            explanation, {"question": answer.question}, config=config, kind="ask"
        )

    def explanation_of(self, answer: Answer) -> Explanation:
        """The audit form of an answer (``kgfuse.explanation.Explanation``)."""
        from kgfuse.explanation import Explanation, Mention, RankedAnswer, RetrievedFact

        mentions = [
            Mention(
                e["text"],
                e["start"],
                e["end"],
                e["iri"],
                e["label"],
                "excluded" if e["excluded"] else "present",
                read_from=e.get("read_from", ""),
            )
            for e in answer.entities
        ]
        if answer.read is not None:
            # a differential rests on the findings its linker read in the question (a
            # finding told by its treatment too); the question's other entities (an id, a
            # disease) beside them; an id given is read again from the text the model was
            # given, past the question's end: its entity stands for it
            q = answer.question
            read = [m for m in answer.read if m.end <= len(q) and q[m.start : m.end] == m.text]
            # a term the linker did not read as the patient's (hedged, a relative's) is no
            # finding of the differential: only ids written and other entities are added
            others = [
                m
                for m, e in zip(mentions, answer.entities, strict=True)
                if e["type"] != TERM or written_as_id(e["text"])
            ]
            mentions = sorted(
                read + [m for m in others if not overlaps(m.start, m.end, read)],
                key=lambda m: (m.start, m.end),
            )
        return Explanation(
            kind="ask",
            input_text=answer.question,
            mentions=mentions,
            facts=[RetrievedFact(f, 1.0, source=self._source_of(f)) for f in answer.facts],
            findings=list(answer.rule_findings),
            ranking=[
                RankedAnswer(
                    i.iri,
                    i.label,
                    float(i.detail.get("score", 1.0)),
                    i.detail.get("probability"),
                )
                for i in answer.items
            ],
            warnings=list(answer.warnings),
            kg_fingerprint=self.kg.fingerprint,
            model_fingerprint=self._model_fingerprint(answer),
            metadata={
                "intent": answer.intent,
                "confidence": round(answer.confidence, 6),
                "answered": answer.answered,
                "answer_text": answer.text,
                **self._model_files(answer),
            },
        ).fill_labels(lambda iri: self.kg.labels.get(iri, ""))

    def _model_files(self, answer: Answer) -> dict[str, Any]:
        """``{"model_files": ...}``, the content fingerprint of the model that answered (none
        when no model did)."""
        if not self.records_model_files or self._model_fingerprint(answer) is None:
            return {}
        return {"model_files": self._diagnosis.model_files}

    def _model_fingerprint(self, answer: Answer) -> str | None:
        if answer.used_model and self._diagnosis is not None:
            return str(self._diagnosis.model_fingerprint)
        return None


# ---- slot filling -------------------------------------------------------------------------------
def _why_not(guess: IntentGuess, entities: list[Entity]) -> str | None:
    """Why this reading of a question cannot be answered; None when it can."""
    if guess.out_of_scope and entities:
        return (
            "it asks for something the KG does not hold (it holds the phenotypes annotated "
            "to diseases, the genes linked to them and the ontology's terms, not treatments, "
            "prevalence, prognosis or loci)"
        )
    if guess.confidence < MIN_CONFIDENCE or guess.out_of_scope:
        return "the question matches none of the question types"
    if _slots(guess.intent, entities) is None:
        return _missing(guess.intent)
    return None


def _unsure(guess: IntentGuess) -> bool:
    """Whether the classifier read a question with a confidence that is not to be answered
    as if sure (:data:`SURE_CONFIDENCE`)."""
    return (
        guess.method == "classifier"
        and not guess.out_of_scope
        and (MIN_CONFIDENCE <= guess.confidence < SURE_CONFIDENCE)
    )


def aspects_asked(question: str) -> tuple[str, ...]:
    """The annotation aspects a question on a disease's inheritance and onset asks for: I
    (inheritance), C (onset and course), or both when it names both or neither. Give it
    the question delexicalised: a disease's name may hold such words ("Spastic paraplegia
    11, autosomal recessive")."""
    inheritance, onset = _ASKS_INHERITANCE.search(question), _ASKS_ONSET.search(question)
    if inheritance and not onset:
        return ("I",)
    if onset and not inheritance:
        return ("C",)
    return ("I", "C")


def _as_frequency(found: lookups.Lookup) -> lookups.Lookup:
    """The answer to "how often is X seen in Y?" from the one to "is X a feature of Y?": the
    annotated frequency, without a "Yes"."""
    if found.text.startswith("Yes: "):
        found.text = "As annotated in the KG: " + found.text.removeprefix("Yes: ")
    return found


def _yes_or_no(found: lookups.Lookup) -> lookups.Lookup:
    """The answer to "does gene G cause phenotype X?" from the gene's diseases with X: yes
    when one of them is annotated with it (the annotations cited), else no within the KG."""
    said = "Yes" if found.items else "No"
    found.text = f"{said}: {found.text[:1].lower()}{found.text[1:]}"
    return found


def _no_finding(
    question: str, guess: IntentGuess, read: list[str], why: str = "", *, used_model: bool = False
) -> Answer:
    """The answer to a differential question with no present finding: what was read (how
    the model's linker read it, ``why``, when it says), and that a ranking would be a guess
    (``used_model``: the model ran and found none)."""
    said = f" (read: {'; '.join(read)})" if read else ""
    if why:
        text = (
            f"I cannot answer this: {why.rstrip('.')}. Name at least one finding the patient has."
        )
    else:
        text = (
            f"I cannot answer this: no present finding was recognised in the question{said}, "
            "so a ranking of the diseases would be a guess. Name at least one finding the "
            "patient has."
        )
    warnings = [why] if why else []
    answer = Answer(
        question, Intent.DIAGNOSE.value, guess.confidence, False, text, warnings=warnings
    )
    answer.used_model = used_model
    return answer


#: A heading that asks for a differential ("Differential diagnosis: A, B, C", "DDx - A"):
#: in a note it lists hypotheses, which the linker hedges; in a question it asks for one.
_REQUEST_HEADING = re.compile(
    r"\s*(?:differential(?:\s+diagnos[ie]s)?|ddx)\s*[:\-\u2013\u2014]", re.IGNORECASE
)
#: A request for a person's differential at a question's start ("What is the differential
#: diagnosis of", "Likely diagnosis for"), as the intent patterns read it.
_REQUEST_PHRASE = re.compile(r"\s*" + DIAGNOSIS_REQUEST + r"\b", re.IGNORECASE)


def _without_request_heading(question: str) -> str:
    """``question`` with a differential heading or request at its start blanked out (spaces,
    so that every span of the rest stays where it was): the linker reads "differential
    diagnosis" as a hedge of what follows it."""
    m = _REQUEST_HEADING.match(question) or _REQUEST_PHRASE.match(question)
    return question if m is None else " " * m.end() + question[m.end() :]


def _shared_names(as_named: list[Entity], findings: list[Entity]) -> list[tuple[int, int]]:
    """Spans of the names that :meth:`QuestionEntityLinker.readings` reads as a disease in
    one reading and as a phenotype in the other."""
    terms = {(e.start, e.end) for e in findings if e.type == TERM}
    return [(e.start, e.end) for e in as_named if e.type == DISEASE and (e.start, e.end) in terms]


def _disease_read_from_a_finding(entities: list[Entity], findings: list[Entity]) -> bool:
    """Whether the disease an "is X a feature of Y" reading asks about is a name that the
    phenotype reading reads as a finding (both names then read as phenotypes)."""
    slots = _slots(Intent.IS_FEATURE_OF, entities)
    if slots is None:
        return False
    disease = slots[1]
    return any(
        f.type == TERM and (f.start, f.end) == (disease.start, disease.end) for f in findings
    )


def _offered(named: list[AnswerItem], total: int) -> str:
    """Diseases offered instead of a name: ", N in all" when more than those listed, then
    ": " and each with its CURIE."""
    more = f", {total} in all" if total > len(named) else ""
    return more + ": " + "; ".join(f"{d.label} ({compress(d.iri)})" for d in named)


def _present(entities: list[Entity], kind: str) -> list[Entity]:
    """The entities of a kind not ruled out; of terms, those of :func:`_terms`."""
    return [
        e
        for e in (_terms(entities) if kind == TERM else entities)
        if e.type == kind and not e.excluded
    ]


#: The kinds of entities a question may name.
_KINDS = (TERM, DISEASE, GENE)
#: Qualifier terms that never stand for a phenotype ("frequency", "onset", "inheritance").
_QUALIFIER_ROOTS = frozenset((*QUALIFIER_BRANCHES, *QUALIFIER_ROOTS))


def _terms(entities: list[Entity]) -> list[Entity]:
    """The terms of a question that stand for phenotypes: those that name one, not a
    qualifier of one ("mild hypotonia", "the frequency of arachnodactyly"), or, in a
    question with no such term, the qualifiers other than the bare branch roots ("Which
    diseases have infantile onset?")."""
    terms = [e for e in entities if e.type == TERM]
    return [e for e in terms if not e.qualifier] or [
        e for e in terms if e.iri not in _QUALIFIER_ROOTS
    ]


def _mixed(
    as_named: list[Entity],
    findings: list[Entity],
    fixed: Mapping[tuple[int, int], str | None],
    default: str,
) -> list[Entity]:
    """The phenotype reading with each name of both kinds read as ``fixed`` says (else as
    ``default``): as the disease of ``as_named`` or as the phenotype of ``findings``."""
    as_disease = {
        span
        for span in _shared_names(as_named, findings)
        if (fixed.get(span) or default) == DISEASE
    }
    out = [e for e in findings if (e.start, e.end) not in as_disease]
    out += [e for e in as_named if (e.start, e.end) in as_disease]
    return sorted(out, key=lambda e: e.start)


def _say_left_out(answer: Answer, left_out: list[Entity], intent: Intent) -> None:
    """Name in an answer's text and warnings the entities of the question it did not use."""
    if not left_out:
        return
    names = ", ".join(
        f"{e.label or e.text} ({e.curie}{', ruled out' if e.excluded else ''})" for e in left_out
    )
    answer.text += (
        f" Not used in this answer: {names} (a question {_asking(intent)} cannot take it "
        "here); ask about it on its own."
    )
    answer.warnings += [
        f"{e.label or e.text} ({e.curie}) in the question was not used in the answer"
        for e in left_out
    ]


def _negation(question: str, entities: list[Entity], intent: Intent) -> str | None:
    """The words that negate what the question asks (:func:`negated_relation`). A patient's
    notes deny findings ("not walking"): for a differential only a negation before the
    first entity of a question for diseases counts ("Which diseases do not have ...")."""
    found = negated_relation(question, entities)
    if found is None or intent is not Intent.DIAGNOSE:
        return found
    first = min((e.start for e in entities), default=len(question))
    asks = re.match(r"\s*(?:which|what)\b", question, re.IGNORECASE)
    return found if asks and question.find(found) < first else None


def _inverted(found: lookups.Lookup, term: Entity, negation: str) -> lookups.Lookup:
    """The answer to "is X NOT a feature of Y?" from the one to "is X a feature of Y?": the
    other yes or no where an annotation states it, else a cannot-answer (that X is not
    annotated does not say that Y lacks it)."""
    item = found.items[0]
    rest = found.text.partition(": ")[2]  # the text after its "Yes: " or "No: "
    if not item.detail.get("stated"):
        found.text = (
            f"I cannot answer this: it asks whether {term.label or term.text} ({term.curie}) "
            f"is not so ('{negation}'), and the KG states neither: {rest}"
        )
        found.answered = False
        item.detail["answer"] = "unknown"
        return found
    item.detail["answer"] = "no" if item.detail["answer"] == "yes" else "yes"
    found.text = (
        f"{item.detail['answer'].capitalize()} — asked whether it is not so ('{negation}'): {rest}"
    )
    return found


def _fit_to_entities(
    guess: IntentGuess,
    entities: list[Entity],
    unknown: int = 0,
    listing: bool = False,
    compares: bool = False,
) -> IntentGuess:
    """Correct an intent that the entities contradict: genes of a disease vs of a phenotype;
    several findings (or a ruled-out one) describe a patient to diagnose, unless the
    question asks for the list of diseases with them (``listing``: "Which diseases have A
    but not B?", :func:`_lists_diseases`); one finding alone asks for the diseases that
    have it (``unknown``: findings written as ids the KG lacks, which count as findings
    here); a gene named with a phenotype asked for genes asks for the gene's diseases with
    the phenotype ("Does FBN1 cause ectopia lentis?"); a gene and one disease read as a
    comparison (with no word of one: ``compares``) or as a feature's question ask whether
    the gene is linked to the disease; findings read as asking for a disease's onset, with no
    disease named, describe a patient (or ask for the diseases with one finding)."""
    terms = _terms(entities)
    diseases = _present(entities, DISEASE)
    present = _present(entities, TERM)
    swap = {
        (Intent.GENES_OF_DISEASE, False, True): Intent.GENES_OF_PHENOTYPE,
        (Intent.GENES_OF_PHENOTYPE, True, False): Intent.GENES_OF_DISEASE,
    }
    key = (guess.intent, bool(diseases), bool(terms))
    if key in swap:
        return dataclasses.replace(guess, intent=swap[key])
    if (
        guess.intent in (Intent.IS_FEATURE_OF, *_ONE_ENTITY_INTENTS)
        and diseases
        and present
        and all(e.iri in _FREQUENCY_TERMS for e in present)
    ):
        # a frequency and a disease: the disease's features of that frequency ("What are the
        # very frequent features of X?"), not whether the frequency is one of its features
        return dataclasses.replace(guess, intent=Intent.DISEASE_FEATURES)
    if guess.intent in _ONE_ENTITY_INTENTS and present and diseases:
        # a finding and a disease named together: is the one a feature of the other?
        return dataclasses.replace(guess, intent=Intent.IS_FEATURE_OF)
    if (
        guess.intent in (Intent.GENES_OF_PHENOTYPE, Intent.PHENOTYPES_OF_GENE)
        and present
        and _present(entities, GENE)
    ):
        # a gene and a phenotype: the gene's diseases with it ("Does FBN1 cause X?")
        return dataclasses.replace(guess, intent=Intent.DISEASES_OF_GENE)
    if (
        (
            guess.intent is Intent.IS_FEATURE_OF
            or guess.intent is Intent.DISTINGUISH
            and not compares
        )
        and len(_distinct(diseases)) == 1
        and _present(entities, GENE)
        and not terms
    ):
        # a gene and a disease, where two diseases or a phenotype are needed: whether the
        # gene is linked to the disease ("Is there a link between SCN1A and Dravet syndrome?")
        return dataclasses.replace(guess, intent=Intent.DISEASES_OF_GENE)
    several = len(terms) + unknown > 1 or any(e.excluded for e in terms)
    if guess.intent is Intent.DIAGNOSE and diseases and not terms and not unknown:
        # a disease where findings are needed: its differential, the diseases like it ("What
        # is the differential diagnosis of Marfan syndrome?")
        return dataclasses.replace(guess, intent=Intent.SIMILAR_DISEASES)
    if guess.intent is Intent.INHERITANCE_ONSET and present and not diseases:
        # findings with their onset and no disease: a patient described ("onset of seizures
        # at age 2, ataxia and microcephaly"), or the diseases with one finding
        found = Intent.DIAGNOSE if several else Intent.DISEASES_WITH_FEATURE
        return dataclasses.replace(guess, intent=found)
    if listing and present and not diseases and guess.intent is Intent.DIAGNOSE:
        return dataclasses.replace(guess, intent=Intent.DISEASES_WITH_FEATURE)
    if guess.intent is Intent.DISEASES_WITH_FEATURE and several and not (listing and present):
        return dataclasses.replace(guess, intent=Intent.DIAGNOSE)
    if guess.intent is Intent.DIAGNOSE and len(terms) == 1 and not several and not diseases:
        # one finding: the KG's exact list of diseases with it, not a ranking from one term
        return dataclasses.replace(guess, intent=Intent.DISEASES_WITH_FEATURE)
    return guess


def _lists_diseases(delexicalised: str) -> bool:
    """Whether a question asks for the list of diseases with its findings ("Which diseases
    have ENT_TERM but not ENT_TERM?", "disorders involving both ..."), not for a
    differential of a described patient ("Which diseases explain ...", "a child with ...")."""
    return bool(_LISTS_DISEASES.search(delexicalised)) and not _DESCRIBES_PATIENT.search(
        delexicalised
    )


def _fit_to_shape(
    guess: IntentGuess, delexicalised: str, entities: list[Entity], listing: bool
) -> IntentGuess:
    """Correct an intent that the question's shape contradicts: two things compared ("A vs
    B") ask what distinguishes them; a yes/no question is never answered by the list of
    every disease with a feature (it names a disease the linker may not know: it asks
    whether the feature is one of that disease); a list of the diseases "with" or "having"
    a name, without a word of likeness, is no question for the diseases like it; the
    features of a gene's name ask for those of the disease it names."""
    named = [e for e in entities if e.type in (DISEASE, TERM) and not e.qualifier]
    if (
        not guess.out_of_scope
        and _COMPARES.search(delexicalised)
        and len(named) >= 2
        and _present(entities, DISEASE)
    ):
        return IntentGuess(Intent.DISTINGUISH, 1.0, "pattern")
    if (
        guess.intent is Intent.DISEASES_WITH_FEATURE
        and not listing
        and not _present(entities, GENE)
        and _YES_NO.match(delexicalised)
    ):
        return dataclasses.replace(guess, intent=Intent.IS_FEATURE_OF)
    if guess.intent is Intent.PHENOTYPES_OF_GENE and _FEATURES_OF_A_GENE.search(delexicalised):
        # "What are the features of NF1?" names a disease by its gene: the gene's diseases
        # are offered (as a disease's features need a disease)
        return dataclasses.replace(guess, intent=Intent.DISEASE_FEATURES)
    if (
        guess.intent is Intent.SIMILAR_DISEASES
        and listing
        and not (SIMILAR_WORDS.search(delexicalised) or re.search(r"\blike\b", delexicalised))
    ):
        # "Which diseases have ectopia lentis?" lists the diseases with a feature, whatever
        # the name also names: not those like a disease of that name
        return dataclasses.replace(guess, intent=Intent.DISEASES_WITH_FEATURE)
    return guess


_ONE_ENTITY_INTENTS = (Intent.DISEASE_FEATURES, Intent.DISEASES_WITH_FEATURE, Intent.DEFINITION)
#: The intent of a question read with a phenotype that asks the same of a disease.
_WITH_A_DISEASE = {
    Intent.GENES_OF_PHENOTYPE: Intent.GENES_OF_DISEASE,
    Intent.DISEASES_WITH_FEATURE: Intent.DISEASE_FEATURES,
}


def _slots(intent: Intent, entities: list[Entity]) -> tuple[Entity, ...] | None:
    """The entities an intent works on first, or None when some are missing (the answer
    takes the others too where it can: :func:`_plan`)."""
    if intent is Intent.DIAGNOSE:
        return tuple(_terms(entities)) or None
    plan = _plan(intent, entities)
    return plan.calls[0][1] if plan is not None else None


@dataclasses.dataclass
class _Plan:
    """The lookups that answer a question (each with its arguments after the KG and its
    options), and the entities of the question they leave out."""

    calls: list[tuple[Callable[..., lookups.Lookup], tuple[Entity, ...], dict[str, Any]]]
    left_out: list[Entity]


#: Entity pairs asked "is X a feature of Y?" at most ("Is A or B a feature of C or D?").
MAX_PAIRS = 12


def _plan(intent: Intent, entities: list[Entity]) -> _Plan | None:
    """The lookups for a question of an intent: one per disease, gene or term named where the
    intent takes one ("genes of A and B", per disease), the rest as the intent can take them
    (a gene named with a feature narrows the gene's diseases to those with it; a ruled-out
    name is left out of the answer: "seizures but not ataxia"); the entities none of them
    takes are returned to be named. None when the intent's own entities are missing."""
    terms = _present(entities, TERM)
    diseases = _distinct(_present(entities, DISEASE))
    genes = _present(entities, GENE)
    ruled_out = [e for e in entities if e.excluded and (e.type != TERM or e in _terms(entities))]
    ruled_out_terms = [e for e in ruled_out if e.type == TERM]
    calls: list[tuple[Callable[..., lookups.Lookup], tuple[Entity, ...], dict[str, Any]]] = []
    used: list[Entity] = []
    if intent is Intent.DISEASE_FEATURES:
        # "the very frequent features of X": only those of that frequency
        frequency = [e for e in entities if e.iri in _FREQUENCY_TERMS and not e.excluded]
        options = {"without": ruled_out_terms, "frequency": frequency}
        calls = [(_LOOKUPS[intent], (d,), options) for d in diseases]
        used = [*diseases, *ruled_out_terms, *frequency]
    elif intent is Intent.PHENOTYPES_OF_GENE:
        calls = [(_LOOKUPS[intent], (g,), {}) for g in genes]
        used = list(genes)
    elif intent is Intent.SIMILAR_DISEASES:
        calls = [(_LOOKUPS[intent], (d,), {}) for d in diseases]
        used = list(diseases)
    elif intent is Intent.INHERITANCE_ONSET:
        calls = [(_LOOKUPS[intent], (d,), {}) for d in diseases]
        used = [*diseases, *(e for e in entities if e.qualifier)]  # "the mode of inheritance"
    elif intent is Intent.GENES_OF_DISEASE:
        # "Is FBN1 a gene for Marfan syndrome?": each gene named is looked for in the answer
        without = [e for e in ruled_out if e.type in (GENE, DISEASE)]
        options = {"without": without, "asked": genes}
        calls = [(_LOOKUPS[intent], (d,), options) for d in diseases]
        used = [*diseases, *without, *genes]
    elif intent is Intent.GENES_OF_PHENOTYPE and terms:
        options = {"also": terms[1:], "without": ruled_out_terms}
        calls = [(_LOOKUPS[intent], (terms[0],), options)]
        used = [*terms, *ruled_out_terms]
    elif intent is Intent.DISEASES_WITH_FEATURE and terms and genes:
        # "Which diseases with arachnodactyly are caused by FBN1?"
        calls = [(lookups.diseases_of_gene, (g,), {"having": terms}) for g in genes]
        used = [*genes, *terms]
    elif intent is Intent.DISEASES_WITH_FEATURE and terms:
        # "Which diseases have A and B but not C?": the diseases with each, without C's; "...
        # A as a very frequent feature": its annotations of that frequency
        frequency = [e for e in entities if e.iri in _FREQUENCY_TERMS and e not in terms]
        options = {"also": terms[1:], "without": ruled_out_terms, "frequency": frequency}
        calls = [(_LOOKUPS[intent], (terms[0],), options)]
        used = [*terms, *ruled_out_terms, *frequency]
    elif intent is Intent.DISEASES_OF_GENE:
        options = {"having": terms, "asked": diseases}  # "Does FBN1 cause Marfan syndrome?"
        calls = [(_LOOKUPS[intent], (g,), options) for g in genes]
        used = [*genes, *terms, *diseases]
    elif intent in (Intent.DEFINITION, Intent.SYNONYMS):
        named = [e for e in entities if not e.excluded]
        chosen = [e for e in named if not e.qualifier] or named
        calls = [(_LOOKUPS[intent], (e,), {}) for e in _distinct(chosen)]
        used = chosen
    elif intent in (Intent.PARENTS, Intent.CHILDREN):
        named = [e for e in entities if e.type == TERM and not e.excluded]
        chosen = [e for e in named if not e.qualifier] or named
        calls = [(_LOOKUPS[intent], (e,), {}) for e in _distinct(chosen)]
        used = chosen
    elif intent is Intent.IS_FEATURE_OF:
        asked = terms or ruled_out_terms  # "Does Y have no X?" asks it negated
        diseases = diseases[:MAX_PAIRS]  # whole terms past MAX_PAIRS pairs are named as left out
        asked = _distinct(asked)[: max(1, MAX_PAIRS // max(1, len(diseases)))]
        pairs = [(t, d) for t in asked for d in diseases]
        calls = [(_LOOKUPS[intent], pair, {}) for pair in pairs]
        used = [e for pair in pairs for e in pair]
    elif intent is Intent.DISTINGUISH:
        named = _present(entities, DISEASE)
        distinct = list({e.iri: e for e in named}.values())
        chosen = distinct if len(distinct) >= 2 else named[:2]  # the same disease twice
        calls = [(_LOOKUPS[intent], tuple(chosen), {})] if len(chosen) >= 2 else []
        used = chosen
    if not calls:
        return None
    taken = {(e.start, e.end) for e in used}
    covered = {iri for e in used for iri in e.iris}  # a node named twice, or by a twin's id
    left_out = [
        e
        for e in entities
        if (e.start, e.end) not in taken
        and e.iri not in covered
        and not _context(e, entities, intent)
    ]
    return _Plan(calls, left_out)


def _context(e: Entity, entities: list[Entity], intent: Intent | None = None) -> bool:
    """Whether a qualifier term is context, not a name the answer leaves out: a bare branch
    ("the frequency of ..."), one right before the phenotype it qualifies ("mild
    hypotonia"), or a frequency in a question on whether a phenotype is a feature of a
    disease, whose answer gives the frequency ("Is X excluded in Y?"); "congenital onset and
    arachnodactyly" asks for both."""
    if not e.qualifier:
        return False
    if intent is Intent.IS_FEATURE_OF and e.iri in _FREQUENCY_TERMS:
        return True
    after = [o for o in entities if o.start >= e.end and o.type == TERM and not o.qualifier]
    return e.iri in _QUALIFIER_ROOTS or any(o.start - e.end <= 1 for o in after)


def _distinct(entities: list[Entity]) -> list[Entity]:
    """Entities without repeats: one per node, a same-name twin counting as its node."""
    out: list[Entity] = []
    for e in entities:
        if not any(e.iri in o.iris or o.iri in e.iris for o in out):
            out.append(e)
    return out


#: Runs of a question's unlinked words searched for in the terms' names (each is a scan of
#: every label: a question of hundreds of unknown words is not scanned hundreds of times).
MAX_NAMED_WITH_RUNS = 3
#: The shortest run of words searched for in the terms' names: a fragment ("hypo", "left")
#: names too many terms to mean one.
MIN_NAMED_WITH_CHARS = 5


def _needs(intent: Intent) -> tuple[str, ...]:
    """The entity kinds an intent's slots need (none for an unknown intent)."""
    spec = SPECS.get(intent)
    return spec.needs if spec is not None else ()


def _missing(intent: Intent) -> str:
    spec = SPECS[intent]
    wanted = {
        DISEASE: "a disease",
        GENE: "a gene",
        TERM: "a phenotype or ontology term",
        ANY: "a term, disease or gene",
    }
    needs = " and ".join(wanted[n] for n in spec.needs)
    if intent is Intent.DISTINGUISH:
        needs = "two diseases"
    return f"it asks {_asking(intent)}, which needs {needs} of the KG in the question"


def _asking(intent: Intent) -> str:
    """What a question of an intent asks: "for the genes associated with a disease",
    "whether a phenotype is a feature of a disease"."""
    description = SPECS[intent].description
    return description if description.startswith("whether") else f"for the {description}"


def _question_for(intent: Intent, entities: list[Entity]) -> str | None:
    """A question of an intent about these entities, as it reads surely ("Is Scoliosis a
    feature of Marfan syndrome?"); None when they do not fill its slots."""
    terms = [e.label or e.text for e in _present(entities, TERM)]
    diseases = [e.label or e.text for e in _distinct(_present(entities, DISEASE))]
    genes = [e.label or e.text for e in _present(entities, GENE)]
    named = [e.label or e.text for e in entities if not e.excluded]
    forms: dict[Intent, tuple[list[str], str]] = {
        Intent.DIAGNOSE: (terms, "Which diseases explain {}?"),
        Intent.DISEASE_FEATURES: (diseases, "What are the features of {}?"),
        Intent.DISEASES_WITH_FEATURE: (terms, "Which diseases have {}?"),
        Intent.GENES_OF_DISEASE: (diseases, "Which genes are associated with {}?"),
        Intent.GENES_OF_PHENOTYPE: (terms, "Which genes are associated with {}?"),
        Intent.DISEASES_OF_GENE: (genes, "Which diseases are associated with {}?"),
        Intent.DEFINITION: (named, "What is {}?"),
        Intent.SYNONYMS: (named, "What are the synonyms of {}?"),
        Intent.PARENTS: (terms, "What are the parents of {}?"),
        Intent.CHILDREN: (terms, "What are the subtypes of {}?"),
        Intent.INHERITANCE_ONSET: (diseases, "How is {} inherited, and when does it start?"),
        Intent.SIMILAR_DISEASES: (diseases, "Which diseases are similar to {}?"),
        Intent.PHENOTYPES_OF_GENE: (genes, "Which phenotypes are linked to {}?"),
    }
    if intent is Intent.IS_FEATURE_OF:
        return f"Is {terms[0]} a feature of {diseases[0]}?" if terms and diseases else None
    if intent is Intent.DISTINGUISH:
        if len(diseases) < 2:
            return None
        return f"What distinguishes {diseases[0]} from {diseases[1]}?"
    names, form = forms[intent]
    if not names:
        return None
    return form.format(names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}")


#: Lookups that list the first ``limit`` of their items (``Answer.total`` counts all).
_LISTED = frozenset({Intent.DISEASES_WITH_FEATURE, Intent.PHENOTYPES_OF_GENE})

_LOOKUPS: Mapping[Intent, Callable[..., lookups.Lookup]] = {
    Intent.DISEASE_FEATURES: lookups.disease_features,
    Intent.DISEASES_WITH_FEATURE: lookups.diseases_with_feature,
    Intent.GENES_OF_DISEASE: lookups.genes_of_disease,
    Intent.GENES_OF_PHENOTYPE: lookups.genes_of_phenotype,
    Intent.DISEASES_OF_GENE: lookups.diseases_of_gene,
    Intent.DEFINITION: lookups.definition,
    Intent.SYNONYMS: lookups.synonyms,
    Intent.PARENTS: lookups.parents,
    Intent.CHILDREN: lookups.children,
    Intent.IS_FEATURE_OF: lookups.is_feature_of,
    Intent.DISTINGUISH: lookups.distinguish,
    Intent.INHERITANCE_ONSET: lookups.inheritance_and_onset,
    Intent.SIMILAR_DISEASES: lookups.similar_diseases,
    Intent.PHENOTYPES_OF_GENE: lookups.phenotypes_of_gene,
}


def replay(record: Mapping[str, Any]) -> Explanation:
    """Re-run a recorded ``ask`` decision with its recorded KG (and, when it used one, its
    recorded model), or those ``kgfuse audit verify --kg/--model`` gives when they are the
    recorded ones (``kgfuse audit verify``)."""
    from kgfuse.diagnosis import recorded_precision, recorded_ranking
    from kgfuse.replay import recorded_config, replay_home, replay_kg, replay_model_dir

    config = recorded_config(record)
    home = replay_home(record)
    kg = replay_kg(record, home)
    used_model = bool(record.get("model_fingerprint"))
    service = QAService(
        kg,
        replay_model_dir(record, used=used_model),
        home,
        audit=False,
        # answers recorded before these two were kept were ranked with the service's defaults
        ranking=replace(
            recorded_ranking(config), shortlist=int(config.get("shortlist", DEFAULT_SHORTLIST))
        ),
        precision=recorded_precision(config, before="auto"),
    )
    metadata = (record.get("explanation") or {}).get("metadata") or {}
    service.records_model_files = bool(metadata.get("model_files"))
    answer = service.ask(
        record["input"]["question"],
        top_k=int(config.get("top_k", 10)),
        limit=int(config.get("limit", MAX_ITEMS)),
    )
    return service.explanation_of(answer)
