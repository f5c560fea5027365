"""The 200 answers of the HTTP API as its OpenAPI schema declares them (:mod:`kgfuse.api`).

These models document; they do not serialise. The routes return a ``JSONResponse`` of the
dict they build (FastAPI would otherwise walk the whole answer with ``jsonable_encoder``
first, to the same JSON), and list the model as ``responses={200: {"model": ...}}``, so
nothing is validated at run time: the fuzz test (``tests/test_kgfuse/test_api_fuzz.py``) and
``tests/test_kgfuse/test_api_response_schemas.py`` check each real answer against them.

Every field a route always writes is required (a ``None`` it may hold is declared
nullable); a field written only sometimes (a diagnosis' ``audit_id``) is optional and not
nullable. The answers may carry more fields than these (``extra="allow"``): a client must
not rely on their absence. Numbers are finite: a ``JSONResponse`` cannot write NaN or
Infinity, and an audit record stores them as ``null`` (:func:`kgfuse.explanation.jsonable`),
so its figures are nullable.

Where each answer is built:

* ``POST /ask``: :meth:`kgfuse.qa.answers.Answer.to_dict`;
* ``POST /diagnose``: :meth:`kgfuse.diagnosis.DiagnosisService.run` (the ``kgfuse diagnose``
  JSONL contract, :meth:`fusion.pipeline.DiagnosisResult.to_record`);
* ``POST /link``: :func:`encoders.linker.link_records` (the ``kgfuse link`` contract);
* ``GET /terms/{curie}``: ``kgfuse.api._term_json``;
* ``GET /audit/{record_id}``: :meth:`kgfuse.audit.AuditRecord.to_dict` with ``curies`` and
  ``predicates``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


def _absent() -> Any:
    """A field an answer may leave out, and never writes as null: optional in the schema,
    without the ``default: null`` pydantic would declare."""
    return Field(default=None, json_schema_extra=_no_default)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class _Open(BaseModel):
    """A JSON object with these fields, and possibly more."""

    model_config = ConfigDict(extra="allow")


# ---- shared parts -------------------------------------------------------------------------------
class NodeRef(_Open):
    """A node of the KG: its IRI, CURIE and label (``""`` when the KG has none)."""

    iri: str
    curie: str
    label: str


class LiteralObject(_Open):
    """The object of a fact that is a literal (a definition, a synonym)."""

    literal: str


class AnswerFact(_Open):
    """A fact an answer cites, its nodes named, with its provenance
    (:func:`kgfuse.qa.answers.fact_dict`)."""

    statement: NodeRef | None = Field(description="The annotation node; null for a plain triple.")
    subject: NodeRef
    predicate: NodeRef
    object: NodeRef | LiteralObject
    negated: bool
    frequency: str | None = Field(
        description='As the source states it ("124/197", "80%") or the frequency class\'s label.'
    )
    evidence: str | None = Field(description="Evidence code (PCS, TAS, IEA ...).")
    source: str | None = Field(description="The KG source (file and release) it was read from.")
    sources: list[NodeRef] = Field(description="The references it cites (PubMed, OMIM ...).")


class CitedFactRecord(_Open):
    """A fact as rule findings and audit records store it (IRIs only,
    :meth:`kg.rules.engine.CitedFact.to_dict`)."""

    iri: str | None
    subject: str
    predicate: str
    object: str
    sources: list[str]
    evidence: str | None
    frequency: float | None
    frequency_term: str | None
    frequency_text: str | None
    negated: bool
    onset: str | None
    sex: str | None
    object_is_literal: bool


class RuleFinding(_Open):
    """A rule's finding about a candidate (:meth:`kg.rules.engine.Finding.to_dict`)."""

    rule_id: str
    rule_version: str
    kind: str
    status: str
    severity: str
    message: str
    disease: str | None
    patient_term: str | None
    path: list[str]
    cites: list[CitedFactRecord]
    data: dict[str, Any] = Field(description="Machine-readable values (log10_lr, posttest ...).")


# ---- POST /ask ----------------------------------------------------------------------------------
class SameName(_Open):
    iri: str
    curie: str


class QuestionEntity(_Open):
    """An entity linked in the question (:meth:`kgfuse.qa.entities.Entity.to_dict`)."""

    text: str
    start: int
    end: int
    iri: str
    curie: str
    label: str
    type: str
    excluded: bool
    same_name: list[SameName]
    qualifier: bool
    # "treatment": a described patient's finding named by its treatment ("orchidopexy")
    read_from: str | SkipJsonSchema[None] = _absent()


class AnswerItem(NodeRef):
    """One entity of an answer (a disease, gene, term or phenotype)."""

    type: str
    detail: dict[str, Any] = Field(
        description="What the answer says of it: a diagnosis' score, probability and rank ..."
    )


class AskAnswer(_Open):
    """The answer of a question (:meth:`kgfuse.qa.answers.Answer.to_dict`); with
    ``answered`` false, ``text`` says why it cannot answer and ``facts`` holds the closest
    facts found."""

    schema_: Literal["kgfuse-answer/1"] = Field(alias="schema")
    question: str
    intent: str
    confidence: float
    method: str
    answered: bool
    text: str
    entities: list[QuestionEntity]
    items: list[AnswerItem]
    total: int
    facts: list[AnswerFact]
    findings: list[RuleFinding]
    audit_id: str | None
    warnings: list[str]
    suggestions: list[str]


# ---- POST /diagnose -----------------------------------------------------------------------------
class ImputedSource(_Open):
    curie: str
    iri: str
    similarity: float


class ImputedFinding(_Open):
    """A finding the prior credited a disease with through the diseases most like it."""

    curie: str
    iri: str
    log10_lr: float
    from_: list[ImputedSource] = Field(alias="from")


class RankedDisease(_Open):
    """One entry of the differential diagnosis, best first."""

    curie: str
    iri: str
    label: str
    score: float
    probability: float
    prior: float | None
    similarity: float | None
    placed_by: str
    imputed: list[ImputedFinding]
    shortlist_similarity: float | None


class PatientFinding(_Open):
    """A finding of the record (``start`` -1 when it was not read from its text)."""

    curie: str
    iri: str
    excluded: bool
    start: int
    end: int


class CheckedFinding(_Open):
    rule: str
    status: str
    kind: str
    disease: str | None
    message: str


class DiagnosisAnswer(_Open):
    """The output record of the ``kgfuse diagnose`` JSONL contract
    (:meth:`kgfuse.diagnosis.DiagnosisService.run`)."""

    id: str = Field(description="The record's id, as a string.")
    ranking: list[RankedDisease]
    findings: list[PatientFinding]
    onset: str | None = Field(description="The onset weighed, as a CURIE.")
    onset_text: str | None
    warnings: list[str]
    findings_checked: list[CheckedFinding]
    # what the text states of the patient where the record gives no field: written only then
    sex: str | SkipJsonSchema[None] = Field(
        default=None,
        description="MALE or FEMALE, as the text states it (only when read from the text).",
        json_schema_extra=_no_default,
    )
    sex_text: str | SkipJsonSchema[None] = Field(
        default=None, description="The words that state the sex.", json_schema_extra=_no_default
    )
    age: float | SkipJsonSchema[None] = Field(
        default=None,
        description="Age in years, as the text states it (only when read from the text).",
        json_schema_extra=_no_default,
    )
    age_text: str | SkipJsonSchema[None] = Field(
        default=None, description="The words that state the age.", json_schema_extra=_no_default
    )
    # written only when the decision is audited: a string, never null
    audit_id: str | SkipJsonSchema[None] = _absent()


# ---- POST /diagnose: the request (documented; read by kgfuse.diagnosis.parse_record) ----------
class DiagnoseRecord(_Open):
    """One input record of the ``kgfuse diagnose`` contract: ``text``, or ``present_hpo``
    (and ``excluded_hpo``), or a GA4GH phenopacket v2 object (``phenotypicFeatures`` with
    ``excluded`` flags, ``subject`` ...). Only documents: the server reads the record as
    ``kgfuse diagnose`` reads a line, and its checks answer 422 with one sentence."""

    id: str | int | None = Field(
        default=None, description='The record\'s id; absent or null: "text".'
    )
    text: str | None = Field(default=None, description="Clinical text, up to 100,000 characters.")
    present_hpo: list[str] | None = Field(
        default=None, description="HPO ids (CURIEs or IRIs) of the findings present."
    )
    excluded_hpo: list[str] | None = Field(
        default=None, description="HPO ids of the findings ruled out."
    )
    present_labels: list[str] | None = Field(
        default=None,
        description="The names beside present_hpo, in its order: an id the KG does not know "
        "(a newer release) is read by its name.",
    )
    excluded_labels: list[str] | None = Field(
        default=None, description="The names beside excluded_hpo, in its order."
    )
    sex: str | None = Field(
        default=None, description="male, female, other or unknown (any case); else 422."
    )
    age: float | str | None = Field(
        default=None,
        description="Age in years: a number, or an ISO 8601 duration as phenopackets write "
        "ages (P3Y6M); else 422. Outside 0 to 130 it is warned about and not read.",
    )
    onset: str | None = Field(
        default=None,
        description="The disease's onset class, as a CURIE (HP:0003593) or its name "
        "(Infantile onset); one that is none is warned about and not read.",
    )


# ---- GET /health --------------------------------------------------------------------------------
class HealthDiagnoses(_Open):
    in_: Literal["threads", "processes"] = Field(alias="in")
    processes: int | SkipJsonSchema[None] = _absent()
    restarts: int | SkipJsonSchema[None] = _absent()


class HealthAnswer(_Open):
    """Liveness, and where the diagnoses run."""

    status: Literal["ok"]
    kg: str | None = Field(description="The KG's fingerprint (12 digits); null until loaded.")
    ready: bool = Field(description="The KG and the QA service are loaded.")
    diagnoses: HealthDiagnoses


# ---- POST /link ---------------------------------------------------------------------------------
class LinkedMention(_Open):
    """A concept mention of the ``kgfuse link`` contract."""

    start: int
    end: int
    text: str
    curie: str
    iri: str
    label: str
    excluded: bool
    score: float
    uncertain: bool
    family: bool


class LinkAnswer(_Open):
    """``{"id", "mentions"}`` as ``kgfuse link`` writes them."""

    id: str | int = Field(description="The request's id, as given.")
    mentions: list[LinkedMention]


# ---- GET /terms/{curie} -------------------------------------------------------------------------
class TermStatement(AnswerFact):
    """An annotation of a disease's page (or an annotation node's own statement)."""

    present: bool
    onset: NodeRef | None


class TermItem(NodeRef):
    """A disease or gene of a term page; a phenotype's carry ``type`` and ``detail``."""

    type: str | SkipJsonSchema[None] = _absent()
    detail: dict[str, Any] | SkipJsonSchema[None] = _absent()


class TermStatements(_Open):
    total: int
    items: list[TermStatement]


class TermItems(_Open):
    total: int
    items: list[TermItem]


class TermPage(_Open):
    """A node's page: what ``kgfuse kg show`` prints about it, by its kind."""

    iri: str
    curie: str
    label: str
    type: str = Field(description="DISEASE, GENE, TERM, ANNOTATION, OTHER ...")
    definition: str | None
    synonyms: dict[str, list[str]] = Field(description="Synonyms by kind.")
    parents: list[NodeRef]
    children: list[NodeRef]
    types: list[str]
    annotations: TermStatements
    diseases: TermItems
    genes: TermItems


# ---- GET /audit/{record_id} ---------------------------------------------------------------------
class ExplainedMention(_Open):
    text: str
    start: int
    end: int
    iri: str
    label: str
    status: str
    score: float | None
    # "treatment": the span names a treatment done only for the term ("orchidopexy")
    read_from: str | SkipJsonSchema[None] = _absent()


class RetrievedFact(_Open):
    fact: CitedFactRecord
    score: float | None
    attention: float | None
    # stored only when known (a QA answer's facts)
    source: str | SkipJsonSchema[None] = _absent()


class RankedAnswer(_Open):
    iri: str
    label: str
    score: float | None
    probability: float | None


class StoredExplanation(_Open):
    """A decision explained (:meth:`kgfuse.explanation.Explanation.to_dict`)."""

    schema_: Literal["kgfuse-explanation/1"] = Field(alias="schema")
    kind: str
    input_text: str | None
    mentions: list[ExplainedMention]
    facts: list[RetrievedFact]
    findings: list[RuleFinding]
    ranking: list[RankedAnswer]
    warnings: list[str]
    kg_fingerprint: str | None
    model_fingerprint: str | None
    labels: dict[str, str]
    metadata: dict[str, Any]


class AuditRecordAnswer(_Open):
    """A stored decision (:meth:`kgfuse.audit.AuditRecord.to_dict`), with the CURIE of each
    IRI it cites and the name of each predicate."""

    seq: int
    id: str
    kind: str
    created_at: str
    input_hash: str
    input: Any = Field(
        description="The input (the API's: the request's body; the audit library's: any JSON "
        "value); null when it was not stored."
    )
    input_stored: bool
    model_fingerprint: str | None
    kg_fingerprint: str | None
    config_hash: str
    config: dict[str, Any] | None
    versions: dict[str, str]
    explanation: StoredExplanation
    prev_hash: str
    hash: str
    curies: dict[str, str] = Field(description="IRI -> CURIE of every IRI it cites.")
    predicates: dict[str, str] = Field(description="IRI -> name of each predicate it cites.")
