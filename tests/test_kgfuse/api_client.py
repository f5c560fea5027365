"""A test client of the HTTP API on the mini HPO KG, shared by the API's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The bearer token of the API test clients.
API_TOKEN = "s3cret-token"


@contextmanager
def api_client(home: Path, model: Path, **settings: Any) -> Iterator[Any]:
    """A TestClient of the API on the mini KG with a token (sent by default), a 20 kB body
    limit and ``settings``."""
    from fastapi.testclient import TestClient

    from kgfuse.api import ApiSettings, create_app

    options: dict[str, Any] = {"token": API_TOKEN, "max_body_bytes": 20_000, **settings}
    settings_ = ApiSettings(kg_path=home / "kgs" / "hpo", model_dir=model, home=home, **options)
    app = create_app(settings_)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {API_TOKEN}"
        yield client
