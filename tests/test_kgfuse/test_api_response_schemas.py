"""The 200 answers of the HTTP API against the schemas its OpenAPI document declares for them
(:mod:`kgfuse.api_models`), on the mini HPO KG and the tiny model: a real answer of each kind
(each intent of /ask, each record form of /diagnose, each kind of term page, each kind of
audit record) validates, and the schemas are not vacuous.

The routes return a ``JSONResponse`` of the dict they build, so FastAPI never checks these
answers itself: this test and the fuzz test (``response_schema_conformance``) do.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs  # schemathesis' own validator
import pytest
from fastapi.testclient import TestClient

from kgfuse import api_models
from tests.test_kgfuse.api_client import api_client


@pytest.fixture(scope="module")
def client(mini_home: Path, mini_model: Path) -> Iterator[TestClient]:
    with api_client(mini_home, mini_model) as c:
        yield c


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def declared(openapi: dict[str, Any], method: str, path: str) -> Any:
    """A validator of the 200 answer the schema declares for ``method path``, its $refs
    resolved against the document's components."""
    response = openapi["paths"][path][method.lower()]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    assert schema.get("$ref", "").startswith("#/components/schemas/"), schema  # not `{}`
    return jsonschema_rs.Draft202012Validator(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **schema,
            "components": openapi["components"],
        }
    )


def assert_conforms(validator: Any, answer: Any) -> None:
    errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(answer)]
    assert not errors, errors


#: The model each operation declares.
MODELS = {
    ("POST", "/ask"): api_models.AskAnswer,
    ("POST", "/diagnose"): api_models.DiagnosisAnswer,
    ("POST", "/link"): api_models.LinkAnswer,
    ("GET", "/terms/{curie}"): api_models.TermPage,
    ("GET", "/audit/{record_id}"): api_models.AuditRecordAnswer,
    ("GET", "/health"): api_models.HealthAnswer,
}


def check(
    openapi: dict[str, Any], method: str, path: str, response: Any, expect: int = 200
) -> dict[str, Any]:
    """The JSON of ``response`` (a 200), checked against the declared schema and model."""
    assert response.status_code == expect, response.text
    answer = response.json()
    assert_conforms(declared(openapi, method, path), answer)
    MODELS[method, path].model_validate(answer)
    return answer


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Which genes are associated with Marfan syndrome?", None),
        ("What is the definition of arachnodactyly?", None),
        ("Which diseases have arachnodactyly?", None),
        ("Tall boy with arachnodactyly and ectopia lentis, no scoliosis.", "diagnose"),
        ("What is the treatment of Marfan syndrome?", None),  # not answered
        ("asdf qwerty", None),
    ],
)
def test_ask_answers_conform(
    client: TestClient, openapi: dict[str, Any], question: str, intent: str | None
) -> None:
    answer = check(openapi, "POST", "/ask", client.post("/ask", json={"question": question}))
    if intent is not None:
        assert answer["intent"] == intent and answer["items"] and answer["findings"]


def test_an_answer_with_items_facts_and_entities_conforms(
    client: TestClient, openapi: dict[str, Any]
) -> None:
    r = client.post("/ask", json={"question": "Which genes are associated with Marfan syndrome?"})
    answer = check(openapi, "POST", "/ask", r)
    assert answer["items"] and answer["facts"] and answer["entities"] and answer["audit_id"]


@pytest.mark.parametrize(
    "record",
    [
        {"id": "p1", "text": "Tall boy with arachnodactyly and ectopia lentis."},
        {"id": 7, "present_hpo": ["HP:0001166"], "excluded_hpo": ["HP:0001083"], "sex": "male"},
        {
            "id": "pp",
            "subject": {"id": "s", "sex": "FEMALE"},
            "phenotypicFeatures": [
                {"type": {"id": "HP:0001166", "label": "Arachnodactyly"}},
                {"type": {"id": "HP:0001083"}, "excluded": True},
            ],
        },
        {"id": "w", "present_hpo": ["HP:0001166"], "exluded_hpo": []},  # a warning
    ],
)
def test_diagnose_answers_conform(
    client: TestClient, openapi: dict[str, Any], record: dict[str, Any]
) -> None:
    out = check(openapi, "POST", "/diagnose", client.post("/diagnose", json=record))
    assert out["id"] == str(record["id"]) and out["ranking"] and out["audit_id"]


@pytest.mark.parametrize(
    "body",
    [
        {"id": "a", "text": "Tall, with arachnodactyly; no ectopia lentis."},
        {"id": 7, "text": "possible scoliosis"},
        {"text": "nothing to link here"},  # id defaults to "text"; no mentions
    ],
)
def test_link_answers_conform(
    client: TestClient, openapi: dict[str, Any], body: dict[str, Any]
) -> None:
    out = check(openapi, "POST", "/link", client.post("/link", json=body))
    assert out["id"] == body.get("id", "text")


def test_term_pages_of_every_kind_conform(client: TestClient, openapi: dict[str, Any]) -> None:
    kinds = {}
    disease = check(openapi, "GET", "/terms/{curie}", client.get("/terms/OMIM:154700"))
    assert disease["annotations"]["items"] and disease["genes"]["items"]
    kinds[disease["type"]] = disease
    for curie in ("HP:0001166", "NCBIGene:2200", "HP:0000118", "HP:0000001"):
        page = check(openapi, "GET", "/terms/{curie}", client.get(f"/terms/{curie}?limit=2"))
        kinds[page["type"]] = page
    statement = disease["annotations"]["items"][0]["statement"]
    assert statement is not None
    annotation = check(openapi, "GET", "/terms/{curie}", client.get(f"/terms/{statement['curie']}"))
    assert annotation["type"] == "ANNOTATION" and annotation["annotations"]["items"]
    kinds["ANNOTATION"] = annotation
    assert {"DISEASE", "GENE", "TERM", "ANNOTATION"} <= set(kinds), sorted(kinds)
    assert kinds["TERM"]["diseases"]["items"][0].get("detail") is not None  # a phenotype's


def test_audit_records_of_both_kinds_conform(client: TestClient, openapi: dict[str, Any]) -> None:
    asked = client.post(
        "/ask", json={"question": "Which genes are associated with Marfan syndrome?"}
    )
    diagnosis = client.post("/ask", json={"question": "Tall boy with arachnodactyly."})
    diagnosed = client.post("/diagnose", json={"id": "p", "text": "Arachnodactyly, tall."})
    for r in (asked, diagnosis, diagnosed):
        record = check(
            openapi, "GET", "/audit/{record_id}", client.get(f"/audit/{r.json()['audit_id']}")
        )
        assert record["explanation"]["ranking"] or record["kind"] == "ask"


def test_the_declared_schemas_are_not_vacuous(client: TestClient, openapi: dict[str, Any]) -> None:
    """An answer missing a required field, a field of the wrong type, or a null where the
    answer never writes one fails; a field more is allowed."""
    out = client.post("/diagnose", json={"id": "p1", "present_hpo": ["HP:0001166"]}).json()
    validator = declared(openapi, "POST", "/diagnose")
    assert_conforms(validator, out)

    def broken(change: Any) -> dict[str, Any]:
        copied = copy.deepcopy(out)
        change(copied)
        return copied

    for bad in (
        broken(lambda o: o.pop("ranking")),
        broken(lambda o: o.pop("warnings")),
        broken(lambda o: o["ranking"][0].pop("probability")),
        broken(lambda o: o["ranking"][0].update(score="0.5")),
        broken(lambda o: o["ranking"][0].update(probability=None)),
        broken(lambda o: o.update(audit_id=None)),
        broken(lambda o: o.update(id=7)),
    ):
        assert not validator.is_valid(bad), bad
    assert validator.is_valid(broken(lambda o: o.update(new_field=[1, 2])))
    assert validator.is_valid(broken(lambda o: o.pop("audit_id")))  # audit log off

    link = declared(openapi, "POST", "/link")
    assert not link.is_valid({"id": "a"})
    assert not link.is_valid({"id": None, "mentions": []})
    assert not link.is_valid({"id": "a", "mentions": [{"start": 0, "end": 1, "text": "x"}]})
    term = declared(openapi, "GET", "/terms/{curie}")
    page = client.get("/terms/HP:0001166").json()
    assert not term.is_valid({k: v for k, v in page.items() if k != "parents"})
    audit = declared(openapi, "GET", "/audit/{record_id}")
    assert not audit.is_valid({**page, "seq": 1})
    ask = declared(openapi, "POST", "/ask")
    assert not ask.is_valid({})


def test_every_answer_route_declares_its_200(openapi: dict[str, Any]) -> None:
    for method, path in MODELS:
        declared(openapi, method, path)


def test_the_sex_and_age_a_text_states_are_declared(
    client: TestClient, openapi: dict[str, Any]
) -> None:
    """Written only when read from the text; a client generated from the schema sees them
    (a client developer's review found them undeclared)."""
    record = {"id": "g", "text": "A 3-year-old girl with arachnodactyly and ectopia lentis."}
    out = check(openapi, "POST", "/diagnose", client.post("/diagnose", json=record))
    assert (out["sex"], out["age"]) == ("FEMALE", 3) and out["sex_text"] and out["age_text"]
    properties = openapi["components"]["schemas"]["DiagnosisAnswer"]["properties"]
    assert {"sex", "sex_text", "age", "age_text"} <= properties.keys()
    validator = declared(openapi, "POST", "/diagnose")
    assert not validator.is_valid({**out, "age": "3"}) and not validator.is_valid({**out, "sex": 1})


def test_health_is_declared(client: TestClient, openapi: dict[str, Any]) -> None:
    out = check(openapi, "GET", "/health", client.get("/health"))
    assert out["status"] == "ok" and out["diagnoses"]["in"] in ("threads", "processes")
    assert not declared(openapi, "GET", "/health").is_valid({**out, "ready": "yes"})


def test_the_diagnose_request_documents_the_record_fields(openapi: dict[str, Any]) -> None:
    """The body is read as a line of `kgfuse diagnose` is, and its fields are documented;
    a phenopacket's own fields are allowed beside them."""
    body = openapi["paths"]["/diagnose"]["post"]["requestBody"]["content"]["application/json"]
    schema = body["schema"]
    fields = {"id", "text", "present_hpo", "excluded_hpo", "present_labels", "sex", "age"}
    assert fields <= schema["properties"].keys()
    assert schema["additionalProperties"] is True and not schema.get("required")
    validator = jsonschema_rs.Draft202012Validator(schema)
    assert validator.is_valid({"phenotypicFeatures": [], "subject": {"sex": "MALE"}})
    assert not validator.is_valid({"present_hpo": "HP:0001166"})
