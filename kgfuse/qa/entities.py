"""Find the entities of a question: ontology terms, diseases and genes, each with its IRI.

One dictionary linker (``encoders.linker.ConceptLinker``) runs over every name of the KG's
classes, diseases and genes (for an HPO, with kgfuse's clinical names of its terms and the
treatments that tell a finding, as notes are read: ``encoders.linker.with_clinical_names``;
a treatment's finding counts only in a described patient,
:meth:`QuestionEntityLinker.treatment_readings`), with negation detection (so "... but no
seizures" marks seizures as ruled out). Around it:

* CURIEs and IRIs written in the question (``HP:0001166``) are resolved directly; one that
  the KG does not know, with a prefix of the KG's nodes or as an IRI, is kept as an
  :class:`UnknownId` (the answer names it; the intent is read with it in place);
* a gene symbol only counts when written as a symbol (``FBN1``, not the word "was"); in a
  question written in capitals, only one with a digit or beside the word "gene"; a symbol
  that is also a clinical abbreviation or a capitalised word ("AR", "HR", "FH", "KIT":
  :data:`ABBREVIATION_SYMBOLS`) only beside the word "gene" or a variant;
* an abbreviated mode of inheritance beside a word of inheritance ("AR inheritance",
  "inherited in an AD manner", "XL recessive") is that mode's term, not a gene;
* a name right after "not", "without", "except" ... is ruled out (``excluded``), whatever
  read it ("with or without" rules nothing out); :func:`negated_relation` finds a
  negation of what is asked ("do not have");
* terms under Frequency and Clinical modifier, and the bare "Onset" and "Mode of
  inheritance", are ``qualifier`` terms: context, never a phenotype in place of one;
* names that occur in the question templates themselves ("features", "disease") are not
  entities: they are found by linking the bare templates once;
* diseases known under the same name in several sources (OMIM and Orphanet) are kept
  together, so an answer covers all of them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from encoders.linker import (
    ConceptLinker,
    LinkerConfig,
    Mention,
    index_folder_of,
    with_clinical_names,
)
from encoders.normalize import STOPWORDS
from encoders.procedures import MENTION_SOURCE as TREATMENT_SOURCE
from kg.errors import UnknownTermError
from kg.knowledge_graph import KnowledgeGraph
from kg.lexicon import Lexicon
from kg.namespaces import KGV_DISEASE, KGV_GENE, OWL_CLASS, SKOS, compress
from kgfuse.qa.disease_abbreviations import abbreviated_disease_names
from kgfuse.qa.disease_names import everyday_words, reads_as_a_disease, short_disease_names
from kgfuse.qa.questions import (
    DISEASE,
    GENE,
    OUT_OF_SCOPE_TEMPLATES,
    QUALIFIER_TEMPLATES,
    TERM,
    TRAIN_TEMPLATES,
)

#: The node types a question may name, as what: a thesaurus's SKOS concepts are its terms.
_TYPE_OF_NODE = {OWL_CLASS: TERM, SKOS + "Concept": TERM, KGV_DISEASE: DISEASE, KGV_GENE: GENE}
_CURIE = re.compile(
    r"(?<![\w:/])(?:https?://[^\s<>\"'{}|\\^`]+|[A-Za-z][A-Za-z0-9_.]*:[A-Za-z0-9_]+"
    r"|[A-Za-z]+_[0-9]{3,}\b)"  # the underscore form of an id: HP_0001166, Orphanet_558
)
_TRAILING = ".,;:!?)"
_WORD = re.compile(r"[^\W_]+")
#: Punctuation inside a name that the linker reads as a phrase break.
_NAME_PUNCTUATION = re.compile(r"[,;:()/\[\]]")
_HP = "http://purl.obolibrary.org/obo/HP_"
#: Branches whose terms qualify a phenotype rather than name one: Frequency and Clinical
#: modifier (severity, onset, course ...), every term under them.
QUALIFIER_BRANCHES = (_HP + "0040279", _HP + "0012823")
#: Roots that name no phenotype themselves: Mode of inheritance and Onset (the terms under
#: them, "Autosomal dominant inheritance", are annotated to diseases and may be asked for).
QUALIFIER_ROOTS = (_HP + "0000005", _HP + "0003674")
#: Words right before a name that rule it out ("but not ataxia", "without ectopia lentis").
#: "with or without" (and "with/without") hedges the name after it: 213 names of the KG say
#: so ("Cleft palate with or without cleft lip"); it rules nothing out.
_EXCLUDING = re.compile(
    r"(?:\b(?:no|not|(?<!with or )(?<!with/)without|except|excluding|nor)|\bother\s+than)"
    r"\s+(?:(?:a|an|the|any)\s+)?$",
    re.IGNORECASE,
)
#: Gene symbols that are also clinical abbreviations or capitalised words ("AR" autosomal
#: recessive, "HR" heart rate, "FH" family history, "MET" metabolic equivalents, "BP"
#: blood pressure, "RR" respiratory rate, "WAS" and "SET" words): read as genes only with
#: the word "gene" or a variant beside them (:func:`_gene_context`).
ABBREVIATION_SYMBOLS = frozenset(
    {"AR", "AD", "XL", "HR", "FH", "MET", "BP", "RR", "WAS", "CAT", "SET", "KIT", "REST", "MAX"}
)
#: Words or notation beside a symbol that make it a gene: "the AR gene", "MET variants",
#: "mutations in KIT", "AR c.2395C>G", "KIT p.(Asp816Val)", and a question's causal link
#: ("diseases caused by KIT", "associated with MET": what a question asks of a gene).
_GENE_BEFORE = re.compile(
    r"\b(?:genes?|(?:variants?|mutations?|alterations?|defects?)\s+(?:in|of)"
    r"|(?:caused|explained)\s+by|due\s+to|(?:associated|linked)\s+(?:with|to))\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_GENE_AFTER = re.compile(
    r"[\s:-]*(?:genes?|variants?|mutations?|mutated|mutant|alleles?|deletions?|duplications?"
    r"|[cgp]\.\s*[(\w*?-])",
    re.IGNORECASE,
)
#: Modes of inheritance written as an abbreviation beside a word of inheritance ("AR
#: inheritance", "inherited in an AD manner", "XL recessive"): abbreviation (and the word
#: after it) -> the HPO term.
_INHERITANCE_TERMS = {
    "AR": _HP + "0000007",
    "AD": _HP + "0000006",
    "XL": _HP + "0001417",
    "XLR": _HP + "0001419",
    "XLD": _HP + "0001423",
    "XL recessive": _HP + "0001419",
    "XL dominant": _HP + "0001423",
}
_INHERITANCE_ABBREVIATION = re.compile(
    r"(?<![\w-])(?P<abbr>XL\s+(?:recessive|dominant)|AR|AD|XLR|XLD|XL)(?![\w-])"
    r"(?P<word>\s*[-/]?\s*(?:inheritance|inherited|pattern|trait|transmission|manner|fashion"
    r"|mode|form)\b)?"
)
_INHERITANCE_BEFORE = re.compile(
    r"\b(?:inheritance|inherited|transmission|transmitted)\b[^.;?!]{0,20}$", re.IGNORECASE
)
#: Words that negate a relation ("do not have", "never", "lack", "isn't") unless they rule
#: out the name right after them.
_NEGATION = re.compile(r"\b(?:not|never|cannot|lacks?|lacking|lacked)\b|n[\'\u2019]t\b", re.I)
_DETERMINERS = re.compile(r"\s*(?:(?:a|an|the|any)\s+)?", re.IGNORECASE)


@dataclass(frozen=True)
class Entity:
    """An entity of a question.

    Attributes:
        text, start, end: the span as written.
        iri, curie, label: the linked node.
        type: ``TERM`` (ontology class), ``DISEASE`` or ``GENE``.
        excluded: ruled out in the question ("no seizures").
        same_name: other nodes of the same type and name (Orphanet twin of an OMIM disease).
        qualifier: a term that qualifies a phenotype rather than names one (a frequency, a
            clinical modifier such as "Mild", or the bare "Onset" or "Mode of inheritance";
            :data:`QUALIFIER_BRANCHES`): it never fills a phenotype's slot.
        read_from: ``treatment`` where the span names a treatment done only for the term
            ("orchidopexy": *Cryptorchidism*; a described patient's finding,
            :meth:`QuestionEntityLinker.treatment_readings`), else empty (not written).
    """

    text: str
    start: int
    end: int
    iri: str
    curie: str
    label: str
    type: str
    excluded: bool = False
    same_name: tuple[str, ...] = field(default=())
    qualifier: bool = False
    read_from: str = ""

    @property
    def written_as_id(self) -> bool:
        """Written in the question as a CURIE or IRI ("HP:0001083"), not as a name."""
        return written_as_id(self.text)

    @property
    def iris(self) -> tuple[str, ...]:
        """The node and its same-name twins."""
        return (self.iri, *self.same_name)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "iri": self.iri,
            "curie": self.curie,
            "label": self.label,
            "type": self.type,
            "excluded": self.excluded,
            "same_name": [{"iri": i, "curie": compress(i)} for i in self.same_name],
            "qualifier": self.qualifier,
        }
        if self.read_from:
            out["read_from"] = self.read_from
        return out


@dataclass(frozen=True)
class UnknownId:
    """A CURIE or IRI written in a question that is no node of the KG.

    Attributes:
        text, start, end: the id as written.
        type: the kind of node its prefix names in the KG (``TERM`` for ``HP:``), ``TERM``
            when no node has that prefix (an IRI).
    """

    text: str
    start: int
    end: int
    type: str


class QuestionEntityLinker:
    """Links the entities of questions against one KG (build once, reuse)."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        # a question names findings as a note does ("diseases with SNHL"): an HPO's names
        # as the diagnosis linker reads them; a treatment's finding only where a patient is
        # described (:meth:`treatment_readings`: "what is orchidopexy?" is no question on
        # cryptorchidism)
        lexicon = with_clinical_names(kg.lexicon.filter(_TYPE_OF_NODE))
        self.node_type: dict[str, str] = {}
        by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._disease_names: dict[str, dict[str, list[str]]] = defaultdict(dict)
        #: phenotype names with punctuation ("Flattened, squared-off epiphyses of tubular
        #: bones"), which the linker reads as several phrases, by their first word
        self._punctuated_names: dict[str, dict[str, list[str]]] = defaultdict(dict)
        self._disease_label_pairs: list[tuple[str, str]] = []  # (label, IRI)
        #: words of the phenotype terms' names: words of the ontology's vocabulary, which
        #: name no disease a question may call by a short name ("activity", "fibroblasts")
        self._term_words: set[str] = set()
        for e in lexicon:
            kind = _TYPE_OF_NODE[e.node_type or ""]
            self.node_type.setdefault(e.iri, kind)
            if kind == TERM:
                self._term_words.update(w.casefold() for w in _WORD.findall(e.text))
                if len(e.text) >= 4 and _NAME_PUNCTUATION.search(e.text):
                    name = e.text.casefold()
                    first = _WORD.match(name)
                    if first:
                        self._punctuated_names[first.group(0)].setdefault(name, []).append(e.iri)
            if kind == DISEASE and e.kind == "label":
                by_name[(kind, e.text.casefold())].append(e.iri)
                self._disease_label_pairs.append((e.text, e.iri))
            if kind == DISEASE and len(e.text) >= 4:
                name = e.text.casefold()
                first = _WORD.match(name)
                if first:
                    self._disease_names[first.group(0)].setdefault(name, []).append(e.iri)
        self._twins = {
            iri: tuple(i for i in iris if i != iri)
            for iris in by_name.values()
            if len(iris) > 1
            for iri in iris
        }
        hierarchy = kg.hierarchy
        parents = {
            iri: [hierarchy.terms[p] for p in hierarchy.parents(i)]
            for i, iri in enumerate(hierarchy.terms)
        }
        # structural roots ("All", owl:Thing) and obsolete classes are never what a question
        # is about, unless given by id; the other top-level classes of an ontology (every
        # class of a flat one) are concepts like any
        self._roots = {
            iri
            for i, (iri, ps) in enumerate(parents.items())
            if not ps and (hierarchy.obsolete[i] or _structural(iri, kg.labels.get(iri, "")))
        }
        self.qualifiers = frozenset(
            {q for q in QUALIFIER_ROOTS if q in hierarchy}.union(
                *(hierarchy.descendants(b) for b in QUALIFIER_BRANCHES if b in hierarchy)
            )
        )
        # diseases named short ("Marfan", "Stickler type 1"), as the linker's names only: a
        # name written in full is one of the KG's (_exact_disease_names)
        short = short_disease_names(lexicon, everyday_words())
        self._short_words = frozenset(e.text.casefold() for e in short if " " not in e.text)
        # and by the abbreviations clinicians use ("PKU", "XLA"), read as written in capitals
        abbreviated = abbreviated_disease_names([*lexicon.entries, *short])
        self._abbreviations = {e.text.casefold(): e.text for e in abbreviated}
        self.linker = ConceptLinker(
            Lexicon([*lexicon.entries, *short, *abbreviated], lexicon.obsolete),
            LinkerConfig(define_acronyms=False, include_family=True, allow_gap=False),
            parents=parents,
            index_folder=index_folder_of(kg),
        )
        self.labels = kg.labels
        self.template_words = self._template_words()
        #: the linker's mentions of the last questions (a question is read in two steps:
        #: its names, then, where it asks for no lookup, its treatments)
        self._linked: Callable[[str], tuple[Mention, ...]] = lru_cache(maxsize=64)(
            lambda question: tuple(self._mentions(question))
        )

    @cached_property
    def _names_by_spelling(self) -> dict[str, str]:
        """Each name of a phenotype or disease of 5 characters or more, case-folded, with
        the first IRI that has it (built on first use: only questions no entity was found
        for need it)."""
        names: dict[str, str] = {}
        for e in self.kg.lexicon.filter(_TYPE_OF_NODE):
            kind = self.node_type.get(e.iri)
            usual = e.iri not in self.qualifiers and e.iri not in self._roots
            if len(e.text) >= 5 and kind in (TERM, DISEASE) and usual:
                names.setdefault(e.text.casefold(), e.iri)
        return names

    def spelled_like(
        self, question: str, entities: Sequence[Entity], limit: int = 3
    ) -> list[tuple[str, list[tuple[str, str]]]]:
        """Names of the KG spelt like words of a question that no entity covers (a typo:
        "hypertelorsim", "arachnodactly"): for each run of such words (of 5 characters or
        more, no words of the question templates) that the KG spells alike, the run and up
        to ``limit`` ``(label, IRI)`` (Levenshtein similarity at least
        :data:`MIN_SPELLING_SIMILARITY`, by rapidfuzz), closest first."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        found: list[tuple[str, list[tuple[str, str]]]] = []
        names = self._names_by_spelling
        for run in self.unlinked_names(question, entities, known_words=True):
            if len(run) < 5 or len(run) > MAX_SPELLED_CHARS:
                continue
            matches = process.extract(
                run.casefold(),
                names.keys(),
                scorer=Levenshtein.normalized_similarity,
                score_cutoff=MIN_SPELLING_SIMILARITY,
                limit=limit,
            )
            iris = dict.fromkeys(names[m[0]] for m in matches)  # one per node, closest first
            if iris:
                found.append((run, [(self.labels.get(iri, iri), iri) for iri in iris]))
        return found

    @cached_property
    def disease_labels(self) -> list[tuple[str, str]]:
        """``(label, IRI)`` of every disease, shortest label first (sorted on first use)."""
        return sorted(set(self._disease_label_pairs), key=lambda pair: (len(pair[0]), pair))

    @cached_property
    def term_labels(self) -> list[tuple[str, str]]:
        """``(label, IRI)`` of every phenotype term (no qualifier, no root), shortest label
        first (sorted on first use)."""
        pairs = {
            (label, iri)
            for iri, label in self.labels.items()
            if self.node_type.get(iri) == TERM
            and iri not in self.qualifiers
            and iri not in self._roots
            and label
        }
        return sorted(pairs, key=lambda pair: (len(pair[0]), pair))

    @cached_property
    def annotated_diseases(self) -> dict[str, int]:
        """How many diseases each term is annotated to directly (present annotations only;
        counted on first use)."""
        table = self.kg.annotations
        pairs = np.unique(table.pair_keys()[table.present])  # each (disease, term) once
        _, term = np.divmod(pairs, max(len(table.terms), 1))
        counts = np.bincount(term, minlength=len(table.terms))
        return {iri: int(n) for iri, n in zip(table.terms, counts.tolist(), strict=True) if n}

    def terms_named_with(self, words: str) -> list[tuple[str, str]]:
        """``(label, IRI)`` of the phenotype terms whose label holds ``words`` as whole words
        ("lactate": *Increased circulating lactate concentration*, *Increased CSF lactate*
        ...), those
        annotated to the most diseases first, then the shortest: what a question means by a
        finding the ontology names only with a qualifier."""
        pattern = named_after(words)
        if pattern is None:
            return []
        found = [(label, iri) for label, iri in self.term_labels if pattern.search(label)]
        uses = self.annotated_diseases
        found.sort(key=lambda pair: -uses.get(pair[1], 0))  # stable: then shortest
        return found

    def diseases_named_after(self, name: str) -> list[tuple[str, str]]:
        """``(label, IRI)`` of the diseases whose label holds ``name`` as whole words (a
        hyphen and a space alike: "Ehlers Danlos" names "Ehlers-Danlos syndrome"), those
        that open with it first, then the shortest."""
        pattern = named_after(name)
        if pattern is None:
            return []
        found = [(label, iri) for label, iri in self.disease_labels if pattern.search(label)]
        found.sort(key=lambda pair: not pattern.match(pair[0]))  # stable: then shortest
        return found

    def unlinked_names(
        self, question: str, entities: Sequence[Entity], *, known_words: bool = False
    ) -> list[str]:
        """Runs of words of a question that no entity covers and that are no words of the
        question templates ("Ehlers Danlos" in "What genes are involved in Ehlers Danlos?"):
        what may name a disease the linker does not know by that name; capitalised runs
        first. A run of words that all occur in phenotype terms' names is left out: the
        ontology's own vocabulary, not an eponym ("activity" in a term's name that the
        linker did not find whole), unless ``known_words``."""
        runs: list[list[str]] = []
        last = -1
        for word in re.finditer(r"[^\W_]+(?:-[^\W_]+)*", question):
            text = word.group(0)
            kept = (
                not overlaps(word.start(), word.end(), list(entities))
                and len(text) >= 3
                and not any(c.isdigit() for c in text)
                and text.casefold() not in _question_words()
            )
            if not kept:
                last = -1
                continue
            if last == -1 or question[last : word.start()].strip():  # apart: a new run
                runs.append([])
            runs[-1].append(text)
            last = word.end()
        names = [
            " ".join(run)
            for run in runs
            if known_words
            or not all(
                part.casefold() in self._term_words for word in run for part in _WORD.findall(word)
            )
        ]
        return sorted(names, key=lambda n: not n[:1].isupper())  # stable

    def _template_words(self) -> frozenset[str]:
        """Names that the question templates contain on their own ("features", "disease")."""
        found: set[str] = set()
        for templates in TRAIN_TEMPLATES.values():  # never the held-out ones
            for template in templates:
                bare = re.sub(r"\{\w+\}", " ", template)
                found.update(m.text.casefold() for m in self.linker.link(bare))
        return frozenset(found)

    def link(self, question: str) -> list[Entity]:
        """The entities of a question, in order of position, overlaps resolved; a name
        written in full as a disease's name is read as that disease."""
        return self.readings(question)[0]

    def readings(self, question: str) -> tuple[list[Entity], list[Entity]]:
        """:meth:`link`'s entities, and the same with every full disease name that also
        names a phenotype term read as the phenotype ("macroglossia" is both HP:0000158 and
        OMIM:153630; 264 HPO phenotype labels are also disease names). The linker runs once;
        the two lists are equal when no such name occurs."""
        explicit = self._explicit_ids(question)
        explicit += [
            e for e in self._inheritance_modes(question) if not overlaps(e.start, e.end, explicit)
        ]
        mentions = list(self._linked(question))
        named = self._exact_disease_names(question)
        named += [
            e for e in self._exact_punctuated_names(question) if not overlaps(e.start, e.end, named)
        ]
        findings = {(m.start, m.end) for m in mentions if self.node_type.get(m.iri) == TERM}
        as_named = self._resolve(question, explicit, named, mentions)
        if not any((e.start, e.end) in findings for e in named):
            return as_named, as_named
        kept = [e for e in named if (e.start, e.end) not in findings]
        return as_named, self._resolve(question, explicit, kept, mentions)

    def _resolve(
        self,
        question: str,
        explicit: list[Entity],
        named: list[Entity],
        mentions: list[Mention],
    ) -> list[Entity]:
        """Explicit ids first, then full disease names, then the linker's mentions, each
        kept where it overlaps none kept before; in order of position."""
        entities = list(explicit)
        for e in named:
            if not overlaps(e.start, e.end, entities):
                entities.append(e)
        shouting = _mostly_upper_case(question)
        for m in mentions:
            kind = self.node_type.get(m.iri)
            if kind is None or m.iri in self._roots or m.text.casefold() in self.template_words:
                continue
            if m.source == TREATMENT_SOURCE:
                continue  # a finding told by its treatment: treatment_readings
            if (
                kind == DISEASE
                and m.matched.casefold() in self._short_words
                and not reads_as_a_disease(question, m.start, m.end)
            ):
                continue  # "will it bloom": no Bloom syndrome
            abbreviation = self._abbreviations.get(m.matched.casefold())
            if abbreviation is not None and (
                not _capitals_of(m.text, abbreviation)  # "pku", "Mfs": no abbreviation
                or _bracketed(question, m.start, m.end)  # "Miller Fisher syndrome (MFS)"
            ):
                continue
            if kind == GENE and not _written_as_symbol(m.text, m.label):
                continue
            if (
                kind == GENE
                and m.text in ABBREVIATION_SYMBOLS
                and not _gene_context(question, m.start, m.end)
            ):
                continue
            if kind == GENE and shouting and not _symbol_in_capitals(question, m.start, m.end):
                continue
            if not overlaps(m.start, m.end, entities):
                excluded = m.excluded and not m.family
                entities.append(self._entity(question, m.start, m.end, m.iri, kind, excluded))
        # a name right after "not", "without" ... is ruled out, whatever read it (the linker
        # marks its own mentions; a disease name found in full is not one of them)
        return [
            replace(e, excluded=True)
            if not e.excluded and _EXCLUDING.search(question[: e.start])
            else e
            for e in sorted(entities, key=lambda e: e.start)
        ]

    def treatment_readings(self, question: str) -> list[Entity]:
        """The patient's findings that a question tells only by their treatment ("a boy who
        underwent orchidopexy": *Cryptorchidism*), as the diagnosis reads them: present,
        neither a relative's nor hedged. :meth:`link` leaves them out, for a treatment is
        no name of its finding in a question on the ontology."""
        return [
            replace(self._entity(question, m.start, m.end, m.iri, TERM), read_from="treatment")
            for m in self._linked(question)
            if m.source == TREATMENT_SOURCE
            and not (m.excluded or m.family or m.uncertain)
            and self.node_type.get(m.iri) == TERM
        ]

    def _entity(
        self, question: str, start: int, end: int, iri: str, kind: str, excluded: bool = False
    ) -> Entity:
        return Entity(
            question[start:end],
            start,
            end,
            iri,
            compress(iri),
            self.labels.get(iri) or self._label_of(iri),
            kind,
            excluded,
            self._twins.get(iri, ()),
            kind == TERM and iri in self.qualifiers,
        )

    def _inheritance_modes(self, question: str) -> list[Entity]:
        """Modes of inheritance written as abbreviations beside a word of inheritance ("AR
        inheritance", "inheritance: AD", "XL recessive"), as the KG's term of that mode
        (when it has one); not the gene that the same letters name."""
        out = []
        for match in _INHERITANCE_ABBREVIATION.finditer(question):
            abbreviation = " ".join(match["abbr"].split())
            if not (
                match["word"]
                or " " in abbreviation
                or abbreviation in ("XLR", "XLD")
                or _INHERITANCE_BEFORE.search(question[: match.start()])
            ):
                continue
            iri = _INHERITANCE_TERMS[abbreviation]
            if iri not in self.node_type:
                continue
            end = match.end() if match["word"] else match.end("abbr")
            out.append(self._entity(question, match.start(), end, iri, TERM))
        return out

    def _label_of(self, iri: str) -> str:
        """The label the KG gives a node that its label table lacks (an obsolete class,
        "obsolete Clitoromegaly"), else ""."""
        try:
            return self.kg.term(iri).label or ""
        except (UnknownTermError, ValueError):
            return ""

    def _exact_disease_names(self, question: str) -> list[Entity]:
        """Disease names written in full as the KG has them ("Myopathy, centronuclear,
        X-linked"), case-insensitively, longest first; the linker reads such commas as
        phrase breaks."""
        return self._names_in_full(question, self._disease_names, DISEASE)

    def _exact_punctuated_names(self, question: str) -> list[Entity]:
        """Phenotype names with commas, brackets or slashes written in full as the KG has
        them ("Flattened, squared-off epiphyses of tubular bones"), case-insensitively,
        longest first, where the name ends its phrase: at punctuation or the end, or before
        a word of the questions or one no phenotype name has ("... bones occur in"), not
        before more of a name ("intellectual disability, severe hypotonia" is two)."""
        return self._names_in_full(question, self._punctuated_names, TERM, self._ends_a_name)

    def _names_in_full(
        self,
        question: str,
        names: Mapping[str, Mapping[str, list[str]]],
        kind: str,
        ends_before: Callable[[str], bool] | None = None,
    ) -> list[Entity]:
        """Entities of ``kind`` for the ``names`` (by first word: name -> IRIs) that the
        question writes in full, case-insensitively, longest first, not overlapping; with
        ``ends_before``, a name followed by a word is kept only when it may end before it."""
        text = question.casefold()
        found: list[tuple[int, int, str]] = []
        for word in _WORD.finditer(text):
            for name, iris in names.get(word.group(0), {}).items():
                end = word.start() + len(name)
                if not text.startswith(name, word.start()) or text[end : end + 1].isalnum():
                    continue
                after = _WORD.match(text, end + 1) if text[end : end + 1] == " " else None
                if ends_before is None or after is None or ends_before(after.group(0)):
                    found.append((word.start(), end, iris[0]))
        out: list[Entity] = []
        for start, end, iri in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
            if not overlaps(start, end, out):
                out.append(self._entity(question, start, end, iri, kind))
        return out

    def _ends_a_name(self, word: str) -> bool:
        """Whether a name may end before ``word``: a word of the questions, or no word of
        a phenotype name."""
        return word in _question_words() or word not in self._term_words

    def _mentions(self, text: str, offset: int = 0, depth: int = 0) -> list[Mention]:
        """Linker mentions, but a disease or gene name read across a preposition in another
        word order ("syndrome from Loeys-Dietz") splits the text there; each side is linked
        alone."""
        # a question opening with a modal ("Can FBN1 mutations cause ...?") has its subject
        # after it, not the verb the linker expects there in notes ("she can jump")
        opening = _OPENING_MODAL.match(text) if depth == 0 else None
        masked = " " * opening.end() + text[opening.end() :] if opening else text
        mentions = [replace(m, text=text[m.start : m.end]) for m in self.linker.link(masked)]
        for m in mentions:
            named = self.node_type.get(m.iri) in (DISEASE, GENE)  # terms may read "X of Y"
            split = _crossing_word(m) if named and depth < 3 else None
            if split is not None:
                cut = m.start + split
                return self._mentions(text[:cut], offset, depth + 1) + self._mentions(
                    text[cut:], offset + cut, depth + 1
                )
        return [replace(m, start=m.start + offset, end=m.end + offset) for m in mentions]

    def _explicit_ids(self, question: str) -> list[Entity]:
        return self._ids(question)[0]

    def unknown_ids(self, question: str) -> list[UnknownId]:
        """The CURIEs and IRIs of a question that the KG does not know ("HP:9999999"): those
        with a prefix that the KG's nodes use, and IRIs (a word such as "note:this" is
        none)."""
        return self._ids(question)[1]

    def _ids(self, question: str) -> tuple[list[Entity], list[UnknownId]]:
        """The ids written in a question: those of the KG's nodes, and the unknown ones."""
        known: list[Entity] = []
        unknown: list[UnknownId] = []
        for match in _CURIE.finditer(question):
            text = match.group(0).rstrip(_TRAILING)
            end = match.start() + len(text)
            try:
                iri = self.kg.resolve(self._prefix_cased(text))
            except (UnknownTermError, ValueError):
                kind = self._kind_of_prefix(text)
                if kind is not None:
                    unknown.append(UnknownId(text, match.start(), end, kind))
                continue
            known.append(
                self._entity(question, match.start(), end, iri, self.node_type.get(iri, TERM))
            )
        return known, unknown

    def _kind_of_prefix(self, text: str) -> str | None:
        """The kind of node an unknown id names by its prefix (None: not an id of the KG's
        sources); an IRI with no known prefix counts as a term."""
        prefix = text.split(":", 1)[0].casefold()
        if prefix in ("http", "https"):  # an IRI: by the prefix it compresses to, if any
            return self._prefix_kinds.get(compress(text).split(":", 1)[0].casefold(), TERM)
        return self._prefix_kinds.get(prefix)

    def _prefix_cased(self, text: str) -> str:
        """A CURIE with its prefix written as the KG's nodes write it ("hp:0001166" ->
        "HP:0001166"); an IRI or an unknown prefix as written."""
        prefix, colon, local = text.partition(":")
        if prefix.casefold() in ("http", "https"):
            return text
        return f"{self._prefix_names.get(prefix.casefold(), prefix)}{colon}{local}"

    @cached_property
    def _prefix_names(self) -> dict[str, str]:
        """Lower-cased CURIE prefix -> the prefix as the KG's nodes write it."""
        return {
            compress(i).split(":", 1)[0].casefold(): compress(i).split(":", 1)[0]
            for i in self.node_type
        }

    @cached_property
    def _prefix_kinds(self) -> dict[str, str]:
        """Lower-cased CURIE prefix -> the kind of most of the KG's nodes that use it."""
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for iri, kind in self.node_type.items():
            counts[compress(iri).split(":", 1)[0].casefold()][kind] += 1
        return {prefix: max(kinds, key=kinds.__getitem__) for prefix, kinds in counts.items()}


#: Top-level classes that name no concept of their ontology: HPO's "All", owl:Thing, and
#: roots labelled as such.
STRUCTURAL_ROOTS = frozenset({_HP + "0000001", "http://www.w3.org/2002/07/owl#Thing"})
_STRUCTURAL_LABELS = frozenset({"all", "thing", "root", "top", "entity", "everything"})
_OPENING_MODAL = re.compile(
    r"\s*(?:can|could|may|might|will|would|should|must)\b(?=\s+\S)", re.IGNORECASE
)
#: Words that name no disease in a question beyond those of the templates.
_GENERIC_WORDS = frozenset(
    {"syndrome", "syndromes", "disease", "diseases", "disorder", "disorders", "type", "patients"}
)


def _structural(iri: str, label: str) -> bool:
    """Whether a root class is structural ("All", owl:Thing), not a concept."""
    return iri in STRUCTURAL_ROOTS or label.strip().casefold() in _STRUCTURAL_LABELS


def named_after(name: str) -> re.Pattern[str] | None:
    """A pattern of ``name``'s words as whole words of a label, a hyphen and a space alike
    ("Ehlers Danlos" finds "Ehlers-Danlos syndrome"); None when it has no word."""
    words = _WORD.findall(name)
    if not words:
        return None
    body = r"[\s-]+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


#: The least Levenshtein similarity (1 - edits / length) of a name offered for words of a
#: question the KG has no name for: one or two typos in a long word ("hypertelorsim" and
#: "Hypertelorism" 0.85), not a different word of the same length.
MIN_SPELLING_SIMILARITY = 0.8
#: Runs of words longer than this are not compared with the KG's names (a pasted text).
MAX_SPELLED_CHARS = 80


@lru_cache(maxsize=1)
def _question_words() -> frozenset[str]:
    """The words of every question template (of any intent, in or out of scope), of the
    stop list, and generic words such as "syndrome": words that name no disease."""
    templates = [t for ts in TRAIN_TEMPLATES.values() for t in ts]
    templates += [*OUT_OF_SCOPE_TEMPLATES, *(t for ts in QUALIFIER_TEMPLATES.values() for t in ts)]
    words = {w.casefold() for t in templates for w in _WORD.findall(re.sub(r"\{\w+\}", " ", t))}
    return frozenset(words | set(STOPWORDS) | _GENERIC_WORDS)


def written_as_id(text: str) -> bool:
    """Whether a question's entity is written as a CURIE or IRI ("HP:0001083"), not as a
    name."""
    return bool(_CURIE.fullmatch(text))


def overlaps(start: int, end: int, spans: Iterable[Any]) -> bool:
    """Whether ``start:end`` shares a character with any of ``spans`` (entities, mentions:
    anything with a ``start`` and an ``end``)."""
    return any(start < e.end and e.start < end for e in spans)


def _crossing_word(m: Mention) -> int | None:
    """Offset in the mention of a linking word ("from", "with") that its name lacks."""
    name = {w.casefold() for w in re.findall(r"[^\W_]+", m.matched)}
    for word in re.finditer(r"[^\W_]+", m.text):
        w = word.group(0).casefold()
        possessive = w == "s" and m.text[word.start() - 1 : word.start()] in ("'", "\u2019")
        if word.start() > 0 and w in STOPWORDS and w not in name and not possessive:
            return word.start()  # ("Leigh's syndrome": its "s" links nothing)
    return None


def _bracketed(question: str, start: int, end: int) -> bool:
    """Whether ``question[start:end]`` stands alone in brackets (an abbreviation defined)."""
    return question[:start].rstrip().endswith("(") and question[end:].lstrip().startswith(")")


def _capitals_of(written: str, abbreviation: str) -> bool:
    """Whether ``written`` has the capitals of ``abbreviation``: "PKU" and "VEDS" are written
    so for "PKU" and "vEDS", "pku" and "Pku" are not."""
    capitals = sum(c.isupper() for c in written)
    return written.upper() == abbreviation.upper() and capitals >= sum(
        c.isupper() for c in abbreviation
    )


def _written_as_symbol(text: str, symbol: str) -> bool:
    """A gene symbol as written in a question: exactly, or in another case with a digit."""
    return text == symbol or (text.upper() == symbol.upper() and any(c.isdigit() for c in text))


def _gene_context(question: str, start: int, end: int) -> bool:
    """Whether the symbol at ``start:end`` is said to be a gene: the word "gene" or a variant
    beside it ("the AR gene", "mutations in KIT", "MET c.3028G>C")."""
    return bool(_GENE_BEFORE.search(question[:start]) or _GENE_AFTER.match(question, end))


def _mostly_upper_case(question: str) -> bool:
    """Whether most words of a question are written in capitals ("WHICH DISEASES ...")."""
    words = [w for w in _WORD.findall(question) if any(c.isalpha() for c in w) and len(w) > 1]
    return len(words) >= 3 and sum(w.isupper() for w in words) * 2 > len(words)


def _symbol_in_capitals(question: str, start: int, end: int) -> bool:
    """In a question written in capitals every word looks like a gene symbol ("WAS"): one
    counts only with a digit ("FBN1") or beside the word "gene" ("GENE WAS", "WAS GENE")."""
    if any(c.isdigit() for c in question[start:end]):
        return True
    before = re.search(r"\bgenes?\s+$", question[:start], re.IGNORECASE)
    after = re.match(r"\s+genes?\b", question[end:], re.IGNORECASE)
    return bool(before or after)


def negated_relation(question: str, entities: Sequence[Entity]) -> str | None:
    """The words that negate what a question asks ("do not have", "NOT associated",
    "never", "lack"), or None. A negation that rules out the name right after it ("but not
    ataxia", read as that name excluded), or that is a word of a name, negates no
    relation."""
    starts = {e.start: e for e in entities}
    for m in _NEGATION.finditer(question):
        if any(e.start <= m.start() < e.end for e in entities):
            continue  # a word of a name ("Lack of skin elasticity")
        if re.search(r"\b(?:or|whether)\s+$", question[: m.start()], re.IGNORECASE):
            continue  # "... or not?"
        after = _DETERMINERS.match(question, m.end())
        following = starts.get(after.end() if after else m.end())
        if following is not None and following.excluded:
            continue
        start = question.rfind(" ", 0, m.start()) + 1  # the whole word ("doesn't")
        end = m.end()
        for word in _WORD.finditer(question, m.end()):  # and the next, past an article
            end = word.end()
            if word.group(0).casefold() not in ("a", "an", "the", "any"):
                break
        return question[start:end]
    return None


#: Words that say what the name after them is: "the phenotype ectopia lentis", "the disease
#: ectopia lentis" (a name that is both a phenotype's and a disease's is then read so).
CALLED = {
    **dict.fromkeys(
        ("phenotype", "feature", "finding", "symptom", "sign", "abnormality", "trait"), TERM
    ),
    **dict.fromkeys(("disease", "disorder", "syndrome", "condition"), DISEASE),
}
_WORD_BEFORE = re.compile(r"\b(\w+)\s+$")
_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an)\s+$", re.IGNORECASE)


def called(question: str, start: int) -> str | None:
    """What the word right before ``start`` calls the name there: ``TERM`` after
    "phenotype", "feature", "finding" ..., ``DISEASE`` after "disease", "disorder" ...,
    else None (see :data:`CALLED`)."""
    word = _WORD_BEFORE.search(question[:start])
    return CALLED.get(word.group(1).casefold()) if word else None


def naming_by_id(question: str, start: int, end: int, curie: str) -> str:
    """The question with the name at ``start:end`` replaced by a node's CURIE, which reads
    as that node alone ("Which genes are linked to OMIM:225100?"), a word calling it a
    phenotype or a disease dropped with its article."""
    before = question[:start]
    word = _WORD_BEFORE.search(before)
    if word and word.group(1).casefold() in CALLED:
        before = before[: word.start(1)]
        article = _ARTICLE_BEFORE.search(before)
        before = before[: article.start()] if article else before
    return f"{before}{curie}{question[end:]}"


def _called_from(question: str, e: Entity) -> int:
    """Where the naming of an entity starts: before a word that calls it what it is and its
    article ("the phenotype ectopia lentis" reads as one phenotype, "What is ENT_TERM?"),
    else at its name."""
    word = _WORD_BEFORE.search(question[: e.start])
    if word is None or CALLED.get(word.group(1).casefold()) != e.type:
        return e.start
    article = _ARTICLE_BEFORE.search(question[: word.start(1)])
    return article.start() if article else word.start(1)


def placeholder(kind: str) -> str:
    """The token that stands for an entity of type ``kind`` in a delexicalised question."""
    return f"ENT_{kind}"


def delexicalise(question: str, entities: list[Entity], unknown: Sequence[UnknownId] = ()) -> str:
    """The question with each entity, and each unknown id, replaced by its type's
    placeholder (an unknown id keeps the question's form: "which diseases explain ENT_TERM
    and ENT_TERM?"); a qualifier beside other entities stays as written ("what is the
    frequency of ENT_TERM in ENT_DISEASE?", "mild ENT_TERM")."""
    out = question
    named = [e for e in entities if not e.qualifier] or entities
    spans = [(_called_from(question, e), e.end, e.type) for e in named]
    spans += [(u.start, u.end, u.type) for u in unknown if not overlaps(u.start, u.end, entities)]
    for start, end, kind in sorted(spans, reverse=True):
        out = out[:start] + placeholder(kind) + out[end:]
    return out
