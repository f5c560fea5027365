"""``GET /audit/{id}`` takes only a full audit id, looked up by the index: a prefix (guessable)
answers 404 naming no other record; the CLI still takes prefixes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kgfuse.audit import AuditLog, AuditRecordNotFoundError
from tests.test_kgfuse.api_client import api_client
from tests.test_kgfuse.test_audit import append


@pytest.fixture(scope="module")
def client(mini_home: Path, mini_model: Path) -> Iterator[TestClient]:
    with api_client(mini_home, mini_model) as c:
        yield c


def _ids_sharing_a_prefix(log: AuditLog) -> list[str]:
    """Append until two ids share their first character (a short, ambiguous prefix)."""
    seen: dict[str, str] = {}
    while True:
        rid = append(log, f"fingers {len(seen)}")
        if rid[0] in seen:
            return [seen[rid[0]], rid]
        seen[rid[0]] = rid


def test_the_api_takes_only_a_full_id(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
    first, second = _ids_sharing_a_prefix(log)
    monkeypatch.setattr(client.app.state.services.qa, "audit_log", log)
    assert client.get(f"/audit/{first}").json()["id"] == first
    assert client.get(f"/audit/{first.upper()}").json()["id"] == first
    for given in (first[:6], first[:12], first[:31], first[0], first + "0", "g" * 32):
        r = client.get(f"/audit/{given}")
        assert r.status_code == 404, (given, r.text)
        detail = r.json()["detail"]
        assert "full id" in detail and first not in detail and second not in detail, detail
    # the CLI's library call still takes a unique prefix, and names an ambiguous one's ids
    assert log.get(first[:12]).id == first
    with pytest.raises(AuditRecordNotFoundError, match="too short|ambiguous"):
        log.get(first[0])
    log.close()


def test_a_full_id_is_looked_up_by_the_index(tmp_path: Path) -> None:
    with AuditLog(tmp_path / "audit.sqlite") as log:
        rid = append(log, "fingers")
        statements: list[str] = []
        log._connection().set_trace_callback(statements.append)
        assert log.get(rid).id == rid and log.get(rid, exact=True).id == rid
        log._connection().set_trace_callback(None)
    lookups = [s for s in statements if "FROM audit_records WHERE" in s and "id" in s]
    assert lookups and not [s for s in lookups if "substr" in s], lookups
    plan = " ".join(
        str(row)
        for row in log._connection().execute(
            "EXPLAIN QUERY PLAN SELECT id FROM audit_records WHERE id = ?", (rid,)
        )
    )
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
