"""The API as a user meets it (review of the web page and `kgfuse ask`): term pages of every
kind of node, security headers, no server path over HTTP, predicate names in audit records,
and the readable `kgfuse ask` output."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from tests.test_kgfuse.api_client import api_client

DIAGNOSIS = (
    "Which diseases explain arachnodactyly and ectopia lentis but no intellectual disability?"
)
FEATURE = "Is arachnodactyly a feature of Marfan syndrome?"
HAS_PHENOTYPE = "http://purl.obolibrary.org/obo/RO_0002200"
#: The page's policy, as the review asked for it.
POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


@pytest.fixture(scope="module")
def client(mini_home: Path, mini_model: Path):
    with api_client(mini_home, mini_model) as c:
        yield c


def _curies(items: list[dict[str, Any]]) -> set[str]:
    return {i["curie"] for i in items}


def test_term_page_of_a_disease_lists_its_features_and_genes(client: TestClient) -> None:
    page = client.get("/terms/OMIM:154700").json()
    assert page["label"] == "Marfan syndrome" and page["type"] == "DISEASE"
    features = page["annotations"]["items"]
    assert page["annotations"]["total"] == len(features) == 7  # the mini hpoa's 7 rows
    by_object = {}
    for f in features:
        assert f["subject"]["curie"] == "OMIM:154700"
        assert f["predicate"]["label"] == "has phenotype"
        assert f["source"].startswith("phenotype.hpoa")
        by_object.setdefault(f["object"]["curie"], []).append(f)
    [not_id] = by_object["HP:0001249"]
    assert not_id["negated"] is True and features[-1] is not_id  # NOT annotations last
    [aortic] = by_object["HP:0002616"]
    assert aortic["onset"]["curie"] == "HP:0003577" and aortic["onset"]["label"]
    assert aortic["evidence"] == "TAS" and aortic["frequency"] == "80%"
    [lens] = by_object["HP:0001083"]
    assert lens["frequency"] == "30/50"
    assert lens["sources"] == [
        {"iri": "https://pubmed.ncbi.nlm.nih.gov/1000001", "curie": "PMID:1000001", "label": ""}
    ]
    assert _curies(page["genes"]["items"]) == {"NCBIGene:2200", "NCBIGene:7048"}
    assert page["genes"]["total"] == 2 and page["diseases"]["total"] == 0


def test_term_page_lists_at_most_limit_items_and_the_total(client: TestClient) -> None:
    page = client.get("/terms/OMIM:154700", params={"limit": 2}).json()
    assert page["annotations"]["total"] == 7 and len(page["annotations"]["items"]) == 2
    assert client.get("/terms/OMIM:154700", params={"limit": 0}).status_code == 422


def test_term_page_of_a_phenotype_counts_its_diseases_and_genes(client: TestClient) -> None:
    page = client.get("/terms/HP:0001083").json()
    assert page["type"] == "TERM" and page["label"] == "Ectopia lentis"
    diseases = page["diseases"]
    assert diseases["total"] == len(diseases["items"]) >= 2
    assert {"OMIM:154700", "ORPHA:394"} <= _curies(diseases["items"])
    assert all(d["detail"]["via"]["curie"] for d in diseases["items"])
    assert {"NCBIGene:2200", "NCBIGene:875"} <= _curies(page["genes"]["items"])
    assert page["annotations"]["total"] == 0


def test_term_page_of_a_gene_lists_its_diseases(client: TestClient) -> None:
    page = client.get("/terms/NCBIGene:2200").json()
    assert page["label"] == "FBN1" and page["type"] == "GENE"
    assert _curies(page["diseases"]["items"]) == {"OMIM:154700"}


def test_term_page_of_an_annotation_node_shows_its_statement(client: TestClient) -> None:
    disease = client.get("/terms/OMIM:154700").json()
    statement = next(
        f["statement"]
        for f in disease["annotations"]["items"]
        if f["object"]["curie"] == "HP:0001083"
    )
    page = client.get("/terms/" + statement["curie"]).json()
    assert page["type"] == "ANNOTATION" and page["iri"] == statement["iri"]
    assert page["label"] == "Marfan syndrome has phenotype Ectopia lentis"
    [fact] = page["annotations"]["items"]
    assert fact["subject"]["curie"] == "OMIM:154700" and fact["object"]["curie"] == "HP:0001083"
    assert fact["frequency"] == "30/50" and fact["evidence"] == "PCS"
    assert [s["curie"] for s in fact["sources"]] == ["PMID:1000001"]


@pytest.mark.parametrize("cited", ["PMID:1000001", "RO:0002200"])
def test_a_curie_the_kg_only_cites_has_no_page(client: TestClient, cited: str) -> None:
    r = client.get("/terms/" + cited)
    assert r.status_code == 404
    assert "only cites it" in r.json()["detail"] and cited in r.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/", "/static/app.js", "/terms/HP:0001166", "/health", "/terms/HP:9999999"]
)
def test_responses_carry_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-security-policy"] == POLICY
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_refusals_and_docs_carry_their_policies(client: TestClient) -> None:
    refused = client.get("/terms/HP:0001166", headers={"Authorization": ""})
    assert refused.status_code == 401
    assert refused.headers["content-security-policy"] == POLICY
    for path in ("/docs", "/redoc"):
        docs = client.get(path, headers={"Authorization": ""})
        assert docs.status_code == 200
        policy = docs.headers["content-security-policy"]  # their inline bootstrap may run
        assert "script-src 'self' 'unsafe-inline'" in policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert docs.headers["x-content-type-options"] == "nosniff"


def test_without_a_model_http_clients_are_not_told_the_servers_paths(
    mini_home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-model-here"
    with api_client(mini_home, missing, audit=False) as client:
        answer = client.post("/ask", json={"question": DIAGNOSIS}).json()
        assert answer["answered"] is False
        assert "this server has no diagnosis model" in answer["text"]
        assert str(tmp_path) not in answer["text"]
        r = client.post("/diagnose", json={"id": "a", "present_hpo": ["HP:0001166"]})
        assert r.status_code == 503
        assert r.json()["detail"] == "this server has no diagnosis model"


def test_audit_records_name_their_predicates(client: TestClient) -> None:
    answer = client.post("/ask", json={"question": FEATURE})
    record = client.get("/audit/" + answer.json()["audit_id"]).json()
    assert record["predicates"][HAS_PHENOTYPE] == "has phenotype"


# ---- kgfuse ask's output ---------------------------------------------------------------------
def _printed(monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]) -> str:
    from kgfuse.commands import ask

    out = io.StringIO()
    monkeypatch.setattr(ask, "console", Console(file=out, width=400, color_system=None))
    ask.print_answer(data)
    return out.getvalue()


def test_ask_prints_rule_finding_status_and_predicate_names(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = client.post("/ask", json={"question": DIAGNOSIS}).json()
    assert data["intent"] == "diagnose" and data["findings"]
    if not data["facts"]:  # the mini model retrieves none: a lookup's fact stands in
        lookup = client.post("/ask", json={"question": FEATURE})
        data["facts"] = lookup.json()["facts"][:1]
    assert data["facts"][0]["predicate"]["iri"] == HAS_PHENOTYPE
    printed = _printed(monkeypatch, data)
    for finding in data["findings"][:10]:
        assert f"{finding['status'].upper()} {finding['message']}" in printed
    assert "facts retrieved for the model" in printed and "supporting facts" not in printed
    # a ranked disease reads as on the web page: rank and probability, no score
    first = data["items"][0]["detail"]
    assert f"rank 1 · probability {100 * first['probability']:.3g}%" in printed
    assert "score" not in printed.split("items", 1)[1].split("facts retrieved")[0]
    assert "has phenotype" in printed and "RO:0002200" not in printed


def test_ask_calls_the_facts_of_an_unanswered_question_the_closest(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = client.post("/ask", json={"question": "What is the prognosis of Marfan syndrome?"})
    data = data.json()
    assert data["answered"] is False and data["facts"]
    printed = _printed(monkeypatch, data)
    assert "closest facts in the KG" in printed and "supporting facts" not in printed


def test_ask_prints_text_with_brackets_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    odd = {"iri": "https://example.org/[red]x", "curie": "ex:[bold]y", "label": "[blink]z"}
    data = {
        "answered": True,
        "intent": "definition",
        "method": "pattern",
        "confidence": 1.0,
        "text": "[green]t",
        "entities": [{**odd, "text": "[i]w"}],
        "items": [{**odd, "type": "TERM", "detail": {"via": "[u]v"}}],
        "total": 1,
        "facts": [
            {
                "subject": odd,
                "predicate": {"iri": HAS_PHENOTYPE, "curie": "RO:0002200", "label": ""},
                "object": odd,
                "negated": False,
                "frequency": "[s]1/2",
                "evidence": "PCS",
                "source": "file",
                "sources": [],
            }
        ],
        "findings": [{"status": "warn", "message": "[dim]m"}],
        "audit_id": None,
    }
    printed = _printed(monkeypatch, data)
    for text in ("[green]t", "[i]w -> ex:[bold]y", "https://example.org/[red]x", "[blink]z"):
        assert text in printed
    assert "[s]1/2" in printed and "WARN [dim]m" in printed and "RO:0002200" in printed


def test_ask_prints_a_ranked_diseases_numbers_short_and_leaves_out_empty_details(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = client.post("/ask", json={"question": DIAGNOSIS}).json()
    assert len(data["items"]) >= 2
    for item in data["items"]:
        item["detail"]["imputed"] = []
    first = data["items"][0]
    first["detail"].update(probability=0.16602122876793146, score=18.761910809373127)
    data["items"][1]["detail"]["imputed"] = ["HP:0001083"]
    printed = " ".join(_printed(monkeypatch, data).split())
    assert "rank 1 · probability 16.6%" in printed and "score" not in printed
    assert "0.16602" not in printed and "18.76" not in printed
    assert printed.count("credited") == 1
    assert "credited from similar diseases: HP:0001083" in printed
