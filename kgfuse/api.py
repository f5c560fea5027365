"""The HTTP API and web page (FastAPI): ``kgfuse serve``.

Routes (OpenAPI at ``/docs``):

* ``POST /ask``: ``{"question", "limit"?}`` -> an answer (``kgfuse.qa.answers``);
* ``POST /diagnose``: one record of the ``kgfuse diagnose`` JSONL contract -> its output record;
* ``POST /link``: ``{"id", "text"}`` -> ``{"id", "mentions": [...]}`` as ``kgfuse link``;
* ``GET /terms/{curie}``: a node's page: label, definition, synonyms, parents, children, and
  by its kind its annotations, diseases and genes;
* ``GET /audit/{id}``: a stored decision; ``GET /health``: liveness, no token needed;
* ``GET /``: the web page (static files of ``kgfuse/web``, no external assets; its icon
  also at ``/favicon.ico``); ``/docs`` and ``/redoc`` serve their scripts from the package
  ``fastapi-offline`` (no CDN). Every error is JSON ``{"detail": ...}``, as the OpenAPI
  schema lists them per route (:class:`ErrorBody`, :class:`ValidationErrorBody`); it declares
  each route's answer too (:mod:`kgfuse.api_models`, documented, not re-validated).

Safety: binds to loopback by default; with a token set (never an empty one), every route
but ``/health``, the page and the API's docs needs ``Authorization: Bearer <token>``,
checked before any body is read; request bodies are checked before any route runs
(:mod:`kgfuse.api_guard`: JSON, at most ``max_body_bytes`` however they are framed,
arriving within 30 s; a method a path is not served with answers 405, the body unread),
over-long texts answer 422; model and KG work runs in worker threads (at most ``workers`` at
once), so the event loop keeps serving; any error answers a JSON message (an unexpected
one, or an audit record that fails its integrity check, a 500 that keeps the connection)
and the server keeps going. GET routes answer HEAD too.

Scale-out: one process is bound by Python's GIL. ``kgfuse serve --model-processes N`` hands
the diagnoses to N processes of their own fed from one queue (:mod:`kgfuse.model_processes`);
``kgfuse serve --processes N`` starts N uvicorn worker processes on one port, each building
its app with :func:`app_from_environment` from the settings in :data:`SETTINGS_ENV`, and the
kernel shares the connections out among them. Processes share the KG store (read-only) and
the audit log (SQLite, hash-chained in ``BEGIN IMMEDIATE`` transactions, so concurrent
writers from several processes keep one valid chain).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from kg.collector import kept_loaded
from kg.errors import (
    EndpointQueryError,
    EndpointUnreachableError,
    NotAnEndpointError,
    UnknownTermError,
)
from kg.remote import is_endpoint
from kgfuse.api_guard import RequestGuard, SecurityHeaders
from kgfuse.api_models import (
    AskAnswer,
    AuditRecordAnswer,
    DiagnoseRecord,
    DiagnosisAnswer,
    HealthAnswer,
    LinkAnswer,
    TermPage,
)
from kgfuse.diagnosis import MAX_TEXT_CHARS, DiagnosisService, RecordError
from kgfuse.explanation import jsonable
from kgfuse.qa.questions import Intent
from kgfuse.qa.service import MAX_QUESTION_CHARS, QAService, QuestionError, Understood

if TYPE_CHECKING:
    from encoders.linker import ConceptLinker
    from kgfuse.model_processes import ModelProcesses

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Largest request body accepted (bytes).
MAX_BODY_BYTES = 1_000_000
#: What an HTTP client is told when the server has no diagnosis model (not its folder).
NO_MODEL = "this server has no diagnosis model"
#: Most diseases a ``POST /diagnose`` ranking may list (``top_k``).
MAX_TOP_K = 1000
#: Items of each list of a term page (features, diseases, genes) unless asked otherwise.
TERM_PAGE_ITEMS = 50


@dataclass(frozen=True)
class ApiSettings:
    """What the app serves and how.

    Attributes:
        kg_path: the KG folder, or a SPARQL endpoint's query URL.
        model_dir: the diagnosis model (default: quickstart's).
        home: kgfuse home (audit database).
        token: bearer token required by every route but /health (None: no token).
        workers: threads for model and KG work: half of them run diagnoses, the others
            lookups (at least one each, so ``1`` gives two), each kind in its own queue, so a
            lookup never waits behind a queue of diagnoses.
        max_body_bytes: largest request body.
        audit: record decisions in the audit log.
        audit_db: the audit database (None: ``<home>/audit.sqlite``); a benchmark's load,
            say, is recorded into a scratch one instead of the home's trail.
        preload: load the KG, linker, intent classifier and model at startup.
        torch_threads: torch's intra-op threads in the server (None: torch's default, one
            per core). Under concurrent load one thread gives more requests/s (each request
            is small; the cores are shared between requests instead); a single client gets
            lower latency from the default.
        precision: the diagnosis model's inference precision (``auto``, ``fp32``, ``bf16``,
            ``int8``).
        model_processes: processes of their own for the diagnoses (the diagnosis questions
            of ``POST /ask`` and the records of ``POST /diagnose``), fed from one queue
            (:mod:`kgfuse.model_processes`); 0: they run in this process's threads.
        allowed_hosts: the host names a request's ``Host`` header may give (None: any);
            ``kgfuse serve`` on loopback gives its own names (against DNS rebinding).
    """

    kg_path: Path | str
    model_dir: Path | None = None
    home: Path | None = None
    token: str | None = None
    workers: int = 4
    max_body_bytes: int = MAX_BODY_BYTES
    audit: bool = True
    audit_db: Path | None = None
    preload: bool = True
    torch_threads: int | None = None
    precision: str = "auto"
    model_processes: int = 0
    allowed_hosts: list[str] | None = None

    def __post_init__(self) -> None:
        from fusion.precision import check_precision

        check_token(self.token)
        if self.torch_threads is not None and self.torch_threads < 1:
            raise ValueError(f"torch_threads must be at least 1, got {self.torch_threads}")
        if self.model_processes < 0:
            raise ValueError(f"model_processes must be 0 or more, got {self.model_processes}")
        check_precision(self.precision)

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("kg_path", "model_dir", "home", "audit_db"):
            if data[key] is not None:
                data[key] = str(data[key])
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ApiSettings:
        """Inverse of :meth:`to_json` (a KG given as a URL stays a string)."""
        data = json.loads(text)
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown API settings {sorted(unknown)}")
        kg_path = data["kg_path"]
        if not str(kg_path).startswith(("http://", "https://")):
            data["kg_path"] = Path(kg_path)
        for key in ("model_dir", "home", "audit_db"):
            if data.get(key) is not None:
                data[key] = Path(data[key])
        return cls(**data)

    def qa_service(self) -> QAService:
        """The question-answering service these settings describe (loaded lazily)."""
        return QAService(
            self.kg_path,
            self.model_dir,
            self.home,
            audit=self.audit,
            precision=self.precision,
            audit_db=self.audit_db,
        )


def check_token(token: str | None) -> None:
    """Refuse a bearer token no client could send: empty or blank (most often a shell
    variable that was not set, which would leave the server open), with spaces around it
    (a client's header is read without them, so it could never match), or with characters
    other than visible ASCII (a browser would send other bytes, httpx none).

    Raises:
        ValueError: naming the problem.
    """
    if token is None:
        return
    if not token.strip():
        raise ValueError("the API token is empty; give a token, or none to serve without one")
    if token != token.strip():
        raise ValueError("the API token starts or ends with whitespace; remove it")
    odd = next((c for c in token if not "!" <= c <= "~"), None)
    if odd is not None:  # browsers send header bytes as Latin-1, httpx refuses non-ASCII
        raise ValueError(
            f"the API token holds {odd!r} (U+{ord(odd):04X}): clients can send only visible "
            "ASCII characters in a header; use letters, digits and -._~+/="
        )


#: Environment variable holding the JSON :class:`ApiSettings` of worker processes.
SETTINGS_ENV = "KGFUSE_SERVE_SETTINGS"


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``kgfuse serve --processes N`` (uvicorn factory).

    Raises:
        RuntimeError: :data:`SETTINGS_ENV` is not set.
    """
    raw = os.environ.get(SETTINGS_ENV)
    if not raw:
        raise RuntimeError(f"{SETTINGS_ENV} is not set: start workers with kgfuse serve")
    return create_app(ApiSettings.from_json(raw))


# ---- request bodies ---------------------------------------------------------------------------
class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt option is an error, not ignored

    question: str = Field(  # an empty one is refused by the question's own check
        max_length=MAX_QUESTION_CHARS,
        examples=["Which genes are associated with Marfan syndrome?"],
    )
    limit: StrictInt = Field(default=50, ge=1, le=1000)  # "5", true and 5.0 are errors


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # null, as data frames write a missing value, is no id: "text", as /diagnose reads it
    id: StrictStr | StrictInt | None = "text"
    # an empty text is refused by the linking's own check, in one sentence as a blank one
    text: str = Field(max_length=MAX_TEXT_CHARS)


# ---- error bodies (OpenAPI) -------------------------------------------------------------------
class ErrorBody(BaseModel):
    """Every refusal and error the app answers: one sentence saying why."""

    model_config = ConfigDict(extra="forbid")

    detail: str = Field(examples=["request body over 1,000,000 bytes"])


class FieldError(BaseModel):
    """One of pydantic's errors for a body of the wrong shape (its input cut short)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None


class ValidationErrorBody(BaseModel):
    """A 422: a list of field errors for a body of the wrong shape (a missing or unknown
    field, a wrong type), or one sentence for a question, record or text the route refuses
    (empty, too long, a bad ``sex``, too many terms)."""

    detail: str | list[FieldError]


def _error(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    return {"model": model, "description": description}


class AnswerResponse(JSONResponse):
    """A route's answer as JSON. Strict JSON has no NaN or Infinity: a non-finite number an
    answer should never hold is written as ``null`` (as the audit record stores it) and
    logged, rather than failing the answer as if the request were wrong (a ``ValueError``
    answers 422)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except ValueError:
            logger.error("a non-finite number in an answer, written as null")
            return super().render(jsonable(content))  # non-finite numbers as None


def _request_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema for a request body that the route reads itself."""
    schema = model.model_json_schema()
    schema["additionalProperties"] = True
    return schema


def _answer(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """A route's 200 as the OpenAPI schema declares it (:mod:`kgfuse.api_models`): declared
    only, never validated or serialised by FastAPI (the route returns a ``JSONResponse``)."""
    return {200: {"model": model, "description": description}}


#: The errors every body route may answer, checked before it runs (:mod:`kgfuse.api_guard`).
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error(
        "The body is not JSON the routes can take (not UTF-8, NaN or Infinity, a number "
        "out of range, an unpaired surrogate escape, nested too deeply), or it is framed "
        "with both Content-Length and Transfer-Encoding."
    ),
    408: _error("The body did not arrive within 30 s."),
    413: _error("The body is over the size limit (1 MB unless set otherwise)."),
    415: _error("The body was not sent as JSON (Content-Type: application/json)."),
}
_INVALID = _error(
    "A body of the wrong shape (a list of field errors), or an input the route refuses "
    "(one sentence).",
    ValidationErrorBody,
)
_INTERNAL = _error("An unexpected error; the server goes on serving.")


class _Services:
    """The services of one app, loaded once (at startup, or on first use)."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._qa: Any = None
        self._linker: Any = None
        #: the processes that run the diagnoses (``settings.model_processes``), once started
        self.model_processes: ModelProcesses | None = None

    @property
    def qa(self) -> QAService:
        with self._lock:
            if self._qa is None:
                self._qa = self.settings.qa_service()
            return self._qa

    @property
    def diagnosis(self) -> DiagnosisService:
        return self.qa.diagnosis

    @property
    def linker(self) -> ConceptLinker:
        kg = self.qa.kg  # outside the lock: qa takes it too
        with self._lock:
            if self._linker is None:
                from kgfuse.resources import default_linker

                self._linker = default_linker(kg)
            return self._linker

    def preload(self, model: bool = True) -> None:
        """Load the KG, the linkers and the intent classifier, and the diagnosis model
        unless ``model`` is False (processes of their own run the diagnoses)."""
        qa = self.qa
        qa.understand("What is the definition of " + next(iter(qa.kg.labels.values()), "x"))
        self.linker.link("warm up")
        if not model:
            return
        try:
            _ = self.diagnosis
        except FileNotFoundError as exc:  # no model trained yet: diagnosis answers 503
            logger.warning("no diagnosis model: %s", exc)


class _Threads:
    """The worker threads of one app: half of ``workers`` for diagnoses, the others for
    lookups (at least one each), each kind with a limit of its own."""

    def __init__(self, workers: int) -> None:
        model_threads = max(1, workers // 2)
        self._lookups = anyio.CapacityLimiter(max(1, workers - model_threads))
        self._diagnoses = anyio.CapacityLimiter(model_threads)

    async def offload(self, fn: Callable[..., T], *args: Any) -> T:
        """Run KG work (lookups, linking, term pages, audit reads) off the event loop."""
        return await anyio.to_thread.run_sync(_answered, fn, *args, limiter=self._lookups)

    async def offload_model(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a diagnosis (the fused model and the rules) off the event loop."""
        return await anyio.to_thread.run_sync(_answered, fn, *args, limiter=self._diagnoses)


@dataclass(frozen=True)
class _Responses:
    """The error responses the OpenAPI schema lists: ``common`` for every guarded route,
    ``posted`` for those that take a body too."""

    common: dict[int | str, dict[str, Any]]
    posted: dict[int | str, dict[str, Any]]

    @classmethod
    def of(cls, settings: ApiSettings) -> _Responses:
        common: dict[int | str, dict[str, Any]] = {422: _INVALID, 500: _INTERNAL}
        if settings.token is not None:
            common[401] = _error("No bearer token, or not this server's.")
        if is_endpoint(settings.kg_path):  # every guarded route reads the KG (_endpoint_failed)
            common[502] = _error(
                "The KG's SPARQL endpoint answered with an error, or is not a SPARQL endpoint."
            )
            common[503] = _error("The KG's SPARQL endpoint does not answer.")
        return cls(common, {**common, **_BODY_ERRORS})

    def diagnosing(self) -> dict[int | str, dict[str, Any]]:
        """``posted`` and the 503 of a server without a diagnosis model."""
        no_model = "No diagnosis model on this server"
        if 503 in self.posted:
            no_model += "; or the KG's SPARQL endpoint does not answer"
        return {**self.posted, 503: _error(no_model + ".")}


#: Documents the bearer scheme in the OpenAPI schema; RequestGuard checks the token, before
#: any body is read.
_GUARDED = [Depends(HTTPBearer(auto_error=False))]


def create_app(settings: ApiSettings) -> FastAPI:
    """The FastAPI app serving ``settings``."""
    if settings.torch_threads is not None:
        import torch

        torch.set_num_threads(settings.torch_threads)
    services = _Services(settings)
    threads = _Threads(settings.workers)
    app = FastAPIOffline(
        title="kgfuse",
        summary="Linked question answering, diagnosis and concept linking over a KG.",
        description='Every error answers JSON `{"detail": ...}` (a 422 for a body of the '
        "wrong shape: a list of field errors), except the 503 that a process past its "
        "connection limit (`kgfuse serve --max-connections`) answers as plain text.",
        version=_version(),
        lifespan=_lifespan(settings, services, threads),
    )
    app.state.services = services
    _add_guards(app, settings)
    _add_error_handlers(app)
    # The routes with KG or model output return a JSONResponse of the dict they build (JSON
    # types only): FastAPI would otherwise walk the whole answer with jsonable_encoder first
    # (~3 ms for a diagnosis answer, more than serialising it), to the same JSON.
    responses = _Responses.of(settings)
    _add_health_route(app, services)
    _add_work_routes(app, services, threads, responses)
    _add_lookup_routes(app, services, threads, responses)
    _add_web_page(app)
    return app


def _lifespan(settings: ApiSettings, services: _Services, threads: _Threads) -> Callable:
    """The app's lifespan: with ``preload``, the services loaded before it serves."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        processes = _model_processes(settings)  # they load beside this process's preload
        try:
            if not settings.preload:
                await _serve_with(services, processes)
                yield
                return
            # What preload loads lives as long as the server: loaded with the collector
            # paused (half the time), then frozen so that its full passes skip it (~2 s each
            # with the GIL held over the ~4 million objects of the HPO KG and a model;
            # kg.collector).
            with kept_loaded() as loaded:
                await threads.offload(services.preload, processes is None)
                loaded()
                await _serve_with(services, processes)
                yield
        finally:
            services.model_processes = None
            if processes is not None:
                processes.close()

    return lifespan


def _model_processes(settings: ApiSettings) -> ModelProcesses | None:
    """The processes for the diagnoses, started (``settings.model_processes``); None when
    none are asked for, or when there is no model (diagnoses then answer 503, as without)."""
    if settings.model_processes == 0:
        return None
    from fusion.model_meta import load_model_meta
    from kgfuse.diagnosis import default_model_dir
    from kgfuse.model_processes import ModelProcesses

    try:
        load_model_meta(settings.model_dir or default_model_dir(settings.home))
    except (FileNotFoundError, ValueError) as exc:
        logger.warning("no diagnosis model, so no model processes: %s", exc)
        return None
    return ModelProcesses(settings, settings.model_processes)


async def _serve_with(services: _Services, processes: ModelProcesses | None) -> None:
    """Wait until every model process has loaded, then hand the diagnoses to them.

    Raises:
        WorkerError: a process could not load (the server does not start).
    """
    if processes is not None:
        await processes.ready()
        services.model_processes = processes


def _add_guards(app: FastAPI, settings: ApiSettings) -> None:
    """The token, body and security-header middleware."""
    app.add_middleware(
        RequestGuard,
        max_bytes=settings.max_body_bytes,
        token=settings.token,
        router=app.router,  # its routes as they are when requests come, all of them added
        hosts=settings.allowed_hosts,
    )
    app.add_middleware(SecurityHeaders)  # outermost: refusals carry the headers too


def _add_error_handlers(app: FastAPI) -> None:
    """Every error as JSON ``{"detail": ...}``, with its status."""
    for error, status in _ERROR_STATUS:
        app.add_exception_handler(error, _handler(status))
    for failure in _ENDPOINT_ERRORS:  # the KG's endpoint failed, not the client's request
        app.add_exception_handler(failure, _endpoint_failed)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        """What a model process answered for an error (:func:`error_answer`), as it is."""
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with pydantic's errors, each offending input cut short (not echoed whole)."""
        errors = [{**e, "input": _clipped(e["input"])} if "input" in e else e for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(_InternalError)  # handled here, the connection stays open
    async def failed(request: Request, exc: _InternalError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=500)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("error serving %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)


def _add_health_route(app: FastAPI, services: _Services) -> None:
    """``GET /health``."""

    @app.get("/health", tags=["service"], responses=_answer(HealthAnswer, "The server is up."))
    async def health() -> dict[str, Any]:
        """Liveness; no token needed. ``diagnoses``: where they run (``threads``, or
        ``processes`` with their number and how often they were started anew)."""
        qa = services._qa
        processes = services.model_processes
        diagnoses: dict[str, Any] = (
            {"in": "threads"}
            if processes is None
            else {
                "in": "processes",
                "processes": processes.processes,
                "restarts": processes.restarts,
            }
        )
        return {
            "status": "ok",
            "kg": qa.kg.fingerprint[:12] if qa else None,
            "ready": qa is not None,
            "diagnoses": diagnoses,
        }


def _add_work_routes(
    app: FastAPI, services: _Services, threads: _Threads, responses: _Responses
) -> None:
    """``POST /ask``, ``/diagnose`` and ``/link``: a question, record or text worked on."""
    offload, offload_model = threads.offload, threads.offload_model
    posted = responses.posted

    @app.post(
        "/ask",
        dependencies=_GUARDED,
        tags=["qa"],
        responses={**_answer(AskAnswer, "The answer, audited."), **posted},
    )
    async def ask(body: AskRequest) -> JSONResponse:
        """Answer a question; every entity is linked to its IRI; the answer is audited."""

        def first() -> tuple[QAService, Understood, dict[str, Any] | None]:
            """Understand the question and answer it, unless it asks for a diagnosis."""
            qa = services.qa
            understood = qa.understand(body.question)
            if understood[1].intent is Intent.DIAGNOSE:
                return qa, understood, None  # answered on a model thread
            return qa, understood, answer_question(qa, body, understood)

        qa, understood, found = await offload(first)
        if found is None:
            processes = services.model_processes
            if processes is not None:
                found = await processes.ask(body, understood)
            else:
                found = await offload_model(answer_question, qa, body, understood)
        return AnswerResponse(found)

    @app.post(
        "/diagnose",
        dependencies=_GUARDED,
        tags=["diagnosis"],
        responses={
            **_answer(DiagnosisAnswer, "The output record of the `kgfuse diagnose` contract."),
            **responses.diagnosing(),
        },
        # the record's fields, documented; the body itself is read as `kgfuse diagnose`
        # reads a line (its own checks and messages), not validated against this schema
        openapi_extra={
            "requestBody": {
                "content": {"application/json": {"schema": _request_schema(DiagnoseRecord)}}
            }
        },
    )
    async def diagnose(
        record: dict[str, Any] = Body(  # noqa: B008
            examples=[{"id": "p1", "text": "Tall boy with arachnodactyly and ectopia lentis."}]
        ),
        top_k: int = Query(
            10, ge=1, le=MAX_TOP_K, description="Diseases in the ranking (as `--top-k`)."
        ),
    ) -> JSONResponse:
        """One record of the ``kgfuse diagnose`` contract: ``{id, text}``, ``{id,
        present_hpo, excluded_hpo}`` (optional ``present_labels`` / ``excluded_labels``:
        the names beside the ids, which read an id the KG does not know) or a phenopacket,
        each with optional ``sex``, ``age`` and ``onset``; answers its output record (``id``
        ``"text"`` for a record without one) with the first ``top_k`` diseases (query
        parameter, default 10). Options such as ``top_k`` are no fields of the record."""

        def run() -> dict[str, Any]:
            try:
                service = services.diagnosis
            except FileNotFoundError as exc:  # its folder is for the server's log only
                logger.warning("POST /diagnose: no diagnosis model: %s", exc)
                raise HTTPException(503, NO_MODEL) from None
            # a record without an id is named as /link and `kgfuse diagnose --text` name it
            return service.run(record, 0, top_k, unnamed="text")[0]

        processes = services.model_processes
        if processes is not None:
            return AnswerResponse(await processes.diagnose(record, top_k))
        return AnswerResponse(await offload_model(run))

    @app.post(
        "/link",
        dependencies=_GUARDED,
        tags=["linking"],
        responses={**_answer(LinkAnswer, "The text's concept mentions."), **posted},
    )
    async def link(body: LinkRequest) -> JSONResponse:
        """Concept mentions of a text, as ``kgfuse link`` writes them."""
        from encoders.linker import link_records

        def run() -> dict[str, Any]:
            given = "text" if body.id is None else body.id
            out = next(link_records([{"id": given, "text": body.text}], services.linker))
            if "error" in out:
                raise RecordError(out["error"])
            return out

        return AnswerResponse(await offload(run))


def _add_lookup_routes(
    app: FastAPI, services: _Services, threads: _Threads, responses: _Responses
) -> None:
    """``GET /terms/{curie}`` and ``GET /audit/{id}``: what the KG and the audit log hold."""
    offload = threads.offload
    common = responses.common

    @app.get(
        "/terms/{curie:path}",
        dependencies=_GUARDED,
        tags=["kg"],
        responses={
            **_answer(TermPage, "The term's page."),
            **common,
            404: _error("The KG has no such term, or only cites it (a reference, a relation)."),
        },
    )
    async def term(
        curie: str = PathParam(examples=["HP:0001166"]),
        limit: int = Query(TERM_PAGE_ITEMS, ge=1, le=1000),
    ) -> JSONResponse:
        """A node of the KG by CURIE or IRI: label, type, definition, synonyms, parents,
        children; a disease's features (``annotations``: frequency, onset, evidence,
        references, source; NOT ones marked ``negated``, those of NOT or frequency 0
        ``present`` false) and ``genes``; a phenotype's ``diseases`` and ``genes`` (it or a
        subtype); a gene's ``diseases``; an annotation node's statement. Each list is
        ``{"total", "items"}``, its first ``limit`` items.
        A CURIE the KG only cites (a PMID, a relation) answers 404."""
        return AnswerResponse(await offload(_term_json, services, curie, limit))

    @app.get(
        "/audit/{record_id}",
        dependencies=_GUARDED,
        tags=["audit"],
        responses={
            **_answer(AuditRecordAnswer, "The stored decision."),
            **common,
            404: _error(
                "No record has that id (the full 32 hexadecimal digits: prefixes are not "
                "accepted), or the audit log is off."
            ),
            500: _error(
                "The stored record fails its integrity check (it was changed after it was "
                "written) or cannot be read; or an unexpected error."
            ),
        },
    )
    async def audit(record_id: str) -> JSONResponse:
        """A stored decision by its full id (32 hexadecimal digits; no prefix, so that ids
        cannot be guessed): input, fingerprints, facts, findings, answer; with the CURIE
        (``curies``) of each IRI it cites and the name of each predicate (``predicates``)."""
        return AnswerResponse(await offload(_audit_json, services, record_id))


def _audit_json(services: _Services, record_id: str) -> dict[str, Any]:
    """The stored decision ``GET /audit/{record_id}`` answers.

    Raises:
        HTTPException: 404, no such record or the log is off; 500, the record fails its
            integrity check.
    """
    from kgfuse.audit import AuditRecordNotFoundError, CorruptRecordError, is_full_id

    log = services.qa.audit_log
    if log is None:
        raise HTTPException(404, "the audit log is off on this server")
    if not is_full_id(record_id.lower()):
        raise HTTPException(404, "no such audit record: give its full id (32 hexadecimal digits)")
    try:
        record = log.get(record_id, exact=True).to_dict()
    except AuditRecordNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except CorruptRecordError as exc:  # tampered or unreadable: the server's fault
        logger.error("GET /audit/%s: %s", record_id, exc)
        raise HTTPException(
            500, f"the server's audit log fails its integrity check: {exc}"
        ) from None
    record["curies"] = _curies(record["explanation"])
    record["predicates"] = _predicate_labels(record["explanation"], services.qa.kg.labels)
    return record


def _add_web_page(app: FastAPI) -> None:
    """The web page (``/``, ``/favicon.ico``, ``/static``) and HEAD for every GET route:
    added last, after every other route."""
    web = resources.files("kgfuse") / "web"

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(web / "index.html"))

    @app.get("/favicon.ico", include_in_schema=False)
    async def icon() -> FileResponse:
        """The page's icon (SVG), for browsers that ask for it here; no token needed."""
        return FileResponse(str(web / "favicon.svg"), media_type="image/svg+xml")

    for route in list(app.routes):  # HEAD too (uptime monitors), out of the OpenAPI schema
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()):
            app.add_api_route(route.path, route.endpoint, methods=["HEAD"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(web)), name="static")


class _InternalError(Exception):
    """An unexpected error in a route's work, answered 500 by a handler of its own:
    Starlette re-raises what reaches its catch-all handler, and the server then drops the
    client's connection."""


#: Failures of the SPARQL endpoint a KG is read from (``kgfuse serve --kg URL``).
_ENDPOINT_ERRORS = (EndpointUnreachableError, EndpointQueryError, NotAnEndpointError)


#: The status each kind of refusal answers (the first that matches).
_ERROR_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (QuestionError, 422),
    (RecordError, 422),
    (UnknownTermError, 404),
    (ValueError, 422),
)


class Refused(Exception):
    """An error that a model process met, as it is answered (:func:`error_answer`)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


def error_answer(exc: Exception) -> tuple[int, str]:
    """The status and message this app's handlers answer ``exc`` with (an error no handler
    expects: 500, naming only its type)."""
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    if isinstance(exc, Refused):
        return exc.status, exc.detail
    if isinstance(exc, _ENDPOINT_ERRORS):
        return _endpoint_answer(exc)
    for error, status in _ERROR_STATUS:
        if isinstance(exc, error):
            return status, _message(exc)
    if isinstance(exc, _InternalError):
        return 500, str(exc)
    return 500, f"internal error: {type(exc).__name__}"


def _endpoint_answer(exc: Exception) -> tuple[int, str]:
    """503 when the KG's endpoint does not answer, 502 when it answers wrongly: the
    endpoint's own message (its URL, which may hold a password) is not told."""
    unreachable = isinstance(exc, EndpointUnreachableError)
    what = "does not answer" if unreachable else "answered with an error"
    return (
        503 if unreachable else 502,
        f"the knowledge graph's SPARQL endpoint {what}; try again later",
    )


async def _endpoint_failed(request: Request, exc: Exception) -> JSONResponse:
    """:func:`_endpoint_answer`; the endpoint's own message stays in the server's log."""
    logger.error("the KG's SPARQL endpoint failed serving %s: %s", request.url.path, exc)
    status, detail = _endpoint_answer(exc)
    return JSONResponse({"detail": detail}, status_code=status)


def _answered(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``; an error no handler expects becomes an :class:`_InternalError`."""
    try:
        return fn(*args)
    except (
        HTTPException,
        QuestionError,
        RecordError,
        UnknownTermError,
        ValueError,
        *_ENDPOINT_ERRORS,
    ):
        raise
    except Exception as exc:
        logger.exception("error in %s", getattr(fn, "__name__", fn))
        raise _InternalError(f"internal error: {type(exc).__name__}") from exc


def _clipped(value: Any, limit: int = 200) -> Any:
    """An input as a 422 quotes it: whole when short, else its start (strings) or a note of
    its size (other values)."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) <= limit:
        return value
    if isinstance(value, str):
        return f"{value[:limit]}... ({len(value):,} characters)"
    return f"({type(value).__name__} of {len(text):,} characters as JSON)"


def answer_question(qa: QAService, body: AskRequest, understood: Understood) -> dict[str, Any]:
    """The answer to an understood question, as ``POST /ask`` answers it."""
    answer = qa.answer_dict(qa.ask(body.question, limit=body.limit, understood=understood))
    if qa.model_error and not answer["answered"]:  # it names the model's folder: not over HTTP
        answer["text"] = answer["text"].replace(qa.model_error, NO_MODEL)
    return answer


def _message(exc: Exception) -> str:
    """An error's message (a KeyError's without the quotes str() gives it)."""
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


def _handler(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": _message(exc)}, status_code=status)

    return handle


def _term_json(services: _Services, curie: str, limit: int = TERM_PAGE_ITEMS) -> dict[str, Any]:
    """A term page: what ``kgfuse kg show`` prints about a node, by its kind: a disease's
    features (annotations with frequency, onset, evidence, references, source) and genes; a
    phenotype's diseases and genes (it or a subtype, counted, the first ``limit`` listed); a
    gene's diseases; an annotation node's own statement.

    Raises:
        UnknownTermError: the KG has no such term.
        HTTPException: 404, the KG only cites it (a reference such as a PMID, a relation
            such as RO:0002200): nothing is said about it, so it has no page.
    """
    from kg.namespaces import KGV_ANNOTATION
    from kg.sparql import IRI
    from kgfuse.qa import lookups
    from kgfuse.qa.answers import fact_dict, node, source_namer
    from kgfuse.qa.entities import Entity, QuestionEntityLinker
    from kgfuse.qa.questions import DISEASE, GENE, TERM

    qa = services.qa
    kg = qa.kg
    iri = kg.resolve(curie)
    info = kg.term(iri)
    label = info.label or kg.labels.get(iri, "")
    said = (info.definition, info.synonyms, info.parents, info.children, info.types)
    if not label and not any(said):
        raise HTTPException(
            404,
            f"{curie} is not a node of the KG with a page: the KG only cites it (as a "
            f"reference or a relation); see {iri}",
        )
    linker: QuestionEntityLinker = qa.entities
    kind = linker.node_type.get(iri, "OTHER")
    labels = kg.labels
    source_of = source_namer(kg.manifest)

    def named(n: Any) -> dict[str, Any]:
        return {"iri": n.iri, "curie": n.curie, "label": n.label}

    def listed(nodes: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
        return {"total": len(nodes) if total is None else total, "items": nodes[:limit]}

    def statement(a: Any) -> dict[str, Any]:
        fact = fact_dict(lookups.annotation_fact(a), labels, source_of)
        onset = node(a.onset, labels.get(a.onset or "", ""))
        return {**fact, "present": a.present, "onset": onset}

    annotations: list[Any] = []
    diseases: dict[str, Any] = listed([])
    genes: dict[str, Any] = listed([])
    if kind == DISEASE:
        # as `kgfuse kg show`: present before absent (NOT, or in none of the patients),
        # the most frequent first, then by label
        annotations = sorted(
            kg.annotations_of(iri),
            key=lambda a: (not a.present, -(a.frequency or 0.0), a.phenotype.label.casefold()),
        )
        genes = listed([named(g) for g in kg.genes_of(iri)])
    elif kind == GENE:
        diseases = listed([named(d) for d in kg.diseases_of_gene(iri)])
    elif KGV_ANNOTATION in info.types:
        kind = "ANNOTATION"
        # the annotation helper's own query, with the node bound (never formatted in)
        annotations = kg._annotations(a=IRI(iri))
        if annotations and not label:  # named by its statement
            a = annotations[0]
            has = (
                "has"
                if a.present
                else "does not have"
                if a.negated
                else "has, in none of its patients,"
            )
            label = f"{a.disease.label} {has} phenotype {a.phenotype.label}"
    elif kind == TERM:
        term = Entity(label, 0, 0, iri, info.curie, label, TERM)
        with_it = lookups.diseases_with_feature(kg, term, limit=limit)
        diseases = {"total": with_it.total, "items": [i.to_dict() for i in with_it.items]}
        linked = lookups.genes_of_phenotype(kg, term)
        genes = listed([i.to_dict() for i in linked.items], linked.total)
    return {
        "iri": info.iri,
        "curie": info.curie,
        "label": label,
        "type": kind,
        "definition": info.definition,
        "synonyms": info.synonyms,
        "parents": [named(p) for p in info.parents],
        "children": [named(c) for c in info.children],
        "types": info.types,
        "annotations": {
            "total": len(annotations),
            "items": [statement(a) for a in annotations[:limit]],
        },
        "diseases": diseases,
        "genes": genes,
    }


def _curies(explanation: dict[str, Any]) -> dict[str, str]:
    """IRI -> CURIE of every node, predicate and source an explanation cites."""
    from kg.namespaces import compress

    iris: set[str] = set(explanation.get("labels", {}))
    for f in explanation.get("facts", []):
        fact = f["fact"]
        iris.update((fact["subject"], fact["predicate"], *fact.get("sources", [])))
        if not fact.get("object_is_literal"):
            iris.add(fact["object"])
    return {iri: compress(iri) for iri in sorted(iris) if iri}


def _predicate_labels(explanation: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
    """IRI -> readable name of each predicate an explanation's facts cite, as answers name
    them (the KG's label, else :data:`kgfuse.qa.answers.PREDICATE_LABELS`)."""
    from kgfuse.qa.answers import PREDICATE_LABELS

    predicates = {f["fact"]["predicate"] for f in explanation.get("facts", [])}
    named = {p: labels.get(p) or PREDICATE_LABELS.get(p, "") for p in sorted(predicates)}
    return {p: name for p, name in named.items() if name}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kgfuse")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"
