"""The merged API description: every service's public routes, honest about errors and auth."""

import json

import pytest

from kasa_gateway.domain.openapi_merge import REF_PREFIX, merge
from kasa_localstack.testing import free_port

SERVICES = ("INTEGRATIONS", "LEDGER", "INVOICING", "AUDIT")


def service_document(package: str, tmp_path, monkeypatch) -> dict:
    """The OpenAPI document a real service serves."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/{package}.db")
    module = __import__(f"kasa_{package}.main", fromlist=["build"])
    from kasa_servicekit.service import create_app

    return create_app(module.build()).openapi()


@pytest.fixture
def documents(gateway_env, tmp_path, monkeypatch):
    # Building the documents needs no running app: no lifespan, no threads beside this one.
    docs = {"gateway": service_document("gateway", tmp_path, monkeypatch)}
    for service in ("integrations", "ledger", "invoicing", "audit"):
        docs[service] = service_document(service, tmp_path, monkeypatch)
    return docs


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_every_service_route_appears_once_with_its_schemas(documents):
    merged = merge(documents, title="Kasa API", version="1")
    paths = merged["paths"]
    assert "/api/v1/auth/token" in paths and "/api/v1/invitations" in paths
    assert "/api/v1/transactions" in paths and "/api/v1/syncs" in paths
    assert "/api/v1/audit-events" in paths
    for service, document in documents.items():
        for path in document["paths"]:
            if path.startswith(("/api/v1/", "/portal")):
                assert path in paths, f"{service} {path} missing"
    schemas = merged["components"]["schemas"]
    dangling = {r for r in refs(merged) if r[len(REF_PREFIX) :] not in schemas}
    assert not dangling
    json.dumps(merged)  # serialisable as is


def test_errors_are_described_as_problems_and_auth_as_bearer(documents):
    merged = merge(documents, title="Kasa API", version="1")
    listing = merged["paths"]["/api/v1/transactions"]["get"]
    assert listing["security"] == [{"bearerAuth": []}]
    assert "application/problem+json" in listing["responses"]["default"]["content"]
    assert "application/problem+json" in listing["responses"]["422"]["content"]
    assert "security" not in merged["paths"]["/api/v1/auth/token"]["post"]


def test_the_gateway_serves_the_merged_document_and_the_docs_page(make_client):
    closed = {f"{s}_URL": f"http://127.0.0.1:{free_port()}" for s in SERVICES}
    client = make_client(**closed)
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/refresh" in document["paths"]
    assert document["info"]["x-kasa-missing-services"], "upstreams are not running here"
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/docs/start.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    start = client.get("/api/docs/start.js")
    assert start.headers["content-type"].startswith("text/javascript")
    assert "/api/v1/openapi.json" in start.text
