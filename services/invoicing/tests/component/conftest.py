"""The invoicing service's real app on a migrated SQLite database, with signed tokens."""

import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kasa_contracts import Envelope, parse_envelope
from kasa_invoicing.main import build
from kasa_servicekit.db import Database
from kasa_servicekit.testing import TokenIssuer, served

SUPPLIER = {
    "name": "Jana Nováková",
    "address": "Dlouhá 1, 110 00 Praha 1",
    "company_id": "12345678",
    "iban": "CZ65 0800 0000 1920 0014 5399",
    "bic": "GIBACZPX",
    "default_currency": "CZK",
    "number_format": "{year}-{seq:04d}",
    "payment_terms_days": 14,
}


class Api:
    """One member of one workspace calling the service."""

    def __init__(self, client: TestClient, headers: dict[str, str], workspace_id: uuid.UUID):
        self.client = client
        self.headers = headers
        self.workspace_id = workspace_id

    def _call(self, method: str, path: str, **kwargs: Any):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self._call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self._call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any):
        return self._call("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any):
        return self._call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self._call("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self._call(method, path, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def setup_work(self, *, currency: str = "CZK", language: str = "cs", rate: str = "1200"):
        """A supplier, a client with a rate and a project: the ids of client and project."""
        self.ok("PUT", "/api/v1/supplier", json=SUPPLIER)
        client = self.ok(
            "POST",
            "/api/v1/clients",
            201,
            json={
                "name": "Acme s.r.o.",
                "email": "billing@acme.example",
                "currency": currency,
                "language": language,
                "hourly_rate": rate,
                "country": "CZ",
            },
        )
        project = self.ok(
            "POST", "/api/v1/projects", 201, json={"client_id": client["id"], "name": "Web"}
        )
        return client["id"], project["id"]

    def add_entry(self, project_id: str, day: str, **fields: Any) -> dict[str, Any]:
        body = {"project_id": project_id, "work_date": day, "description": "work", **fields}
        return self.ok("POST", "/api/v1/work-entries", 201, json=body)


@dataclass
class Service:
    client: TestClient
    issuer: TokenIssuer
    db_path: Path
    url: str

    def member(self, workspace_id: uuid.UUID | None = None, role: str = "owner") -> Api:
        workspace_id = workspace_id or uuid.uuid4()
        return Api(self.client, self.issuer.headers(workspace_id, role=role), workspace_id)

    def events(self, routing_key: str | None = None) -> list[Envelope[Any]]:
        with sqlite3.connect(self.db_path) as conn:
            rows = conn.execute("SELECT body, routing_key FROM outbox ORDER BY id").fetchall()
        return [parse_envelope(body) for body, key in rows if routing_key in (None, key)]

    def database(self) -> Database:
        return Database(self.url)


@pytest.fixture
def service(tmp_path, monkeypatch):
    with served(build, tmp_path, monkeypatch) as app:
        yield Service(app.client, app.issuer, app.db_path, app.url)


@pytest.fixture
def owner(service) -> Api:
    return service.member()
