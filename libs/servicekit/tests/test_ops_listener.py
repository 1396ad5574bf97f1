"""The ops listener: /metrics, /ops and /internal on an app of their own, behind a long token."""

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import MetaData

from kasa_servicekit.operations import FailedTokens, Operator
from kasa_servicekit.service import ServiceSpec, create_app, ops_app
from kasa_servicekit.settings import ServiceSettings

TOKEN = "t" * 40


@pytest.fixture
def app(tmp_path, monkeypatch) -> FastAPI:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    monkeypatch.setenv("OPS_TOKEN", TOKEN)
    monkeypatch.setenv("OPS_FAILURES_PER_MINUTE", "3")
    own = APIRouter()

    @own.post("/ops/ledger/reset")
    async def reset(_: Operator) -> dict[str, bool]:
        return {"reset": True}

    @own.get("/api/v1/things")
    async def things() -> list[str]:
        return []

    # A catch-all, like the gateway's pages: it must never see an ops path.
    @own.api_route("/{path:path}", methods=["GET", "POST"])
    async def pages(path: str) -> dict[str, str]:
        return {"page": path}

    spec = ServiceSpec(
        name="ledger",
        version="0",
        settings=ServiceSettings(),
        metadata=MetaData(),
        migrations=tmp_path,
        routers=[own],
    )
    return create_app(spec)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/metrics"),
        ("GET", "/ops/info"),
        ("POST", "/ops/ledger/reset"),
        ("GET", "/internal/archive"),
        ("POST", "/ops/outbox/republish"),
    ],
)
def test_the_public_app_answers_404_for_every_ops_path(app, method, path):
    response = TestClient(app).request(method, path, headers=bearer(TOKEN))

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_public_app_keeps_its_api_and_health(app):
    client = TestClient(app)
    assert client.get("/api/v1/things").status_code == 200
    assert client.get("/health/live").status_code == 200


def test_the_ops_app_serves_the_kits_and_the_services_ops_routes_with_the_token(app):
    ops = TestClient(ops_app(app))

    assert ops.get("/metrics").status_code == 200
    assert ops.get("/ops/info").status_code == 401
    assert ops.get("/ops/info", headers=bearer(TOKEN)).json()["service"] == "ledger"
    assert ops.post("/ops/ledger/reset", headers=bearer(TOKEN)).json() == {"reset": True}
    assert ops.get("/api/v1/things").status_code == 404, "the API stays on the public port"


def test_wrong_tokens_are_throttled_per_address_even_before_the_right_one(app):
    ops = TestClient(ops_app(app))
    for wrong in ("nope", TOKEN[:-1], TOKEN + "x"):
        assert ops.get("/ops/info", headers=bearer(wrong)).status_code == 401

    refused = ops.get("/ops/info", headers=bearer(TOKEN))

    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_without_a_token_the_ops_api_refuses_every_call(app):
    app.state.runtime.settings.ops_token = None
    ops = TestClient(ops_app(app))

    assert ops.get("/ops/info").status_code == 403
    assert ops.get("/ops/info", headers=bearer("")).status_code == 403


def test_a_short_token_is_refused_and_an_empty_one_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    monkeypatch.setenv("OPS_TOKEN", "x" * 31)
    with pytest.raises(ValidationError, match="OPS_TOKEN"):
        ServiceSettings()
    monkeypatch.setenv("OPS_TOKEN", "")
    assert ServiceSettings().ops_token is None


def test_production_needs_an_ops_token(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://ledger:Xy7-long-pass@db/kasa")
    monkeypatch.setenv("KASA_ENV", "production")
    monkeypatch.setenv("AMQP_URL", "amqp://kasa-ledger:s3cret@broker:5672/")
    monkeypatch.delenv("OPS_TOKEN", raising=False)
    with pytest.raises(ValidationError, match="OPS_TOKEN"):
        ServiceSettings()


def test_the_ops_port_defaults_next_to_the_public_one_and_never_equals_it(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///x.db")
    monkeypatch.setenv("PORT", "8102")
    assert ServiceSettings().ops_listener_port == 9102
    monkeypatch.setenv("OPS_PORT", "8102")
    with pytest.raises(ValidationError, match="OPS_PORT"):
        ServiceSettings()


def test_failed_tokens_forget_after_a_minute_and_stay_bounded():
    failed = FailedTokens(per_minute=2)
    failed.failed("10.0.0.1", now=0)
    failed.failed("10.0.0.1", now=1)
    assert failed.blocked_for("10.0.0.1", now=2) == pytest.approx(58)
    assert failed.blocked_for("10.0.0.2", now=2) == 0
    assert failed.blocked_for("10.0.0.1", now=61) == 0

    FailedTokens.MAX_ADDRESSES, limit = 100, FailedTokens.MAX_ADDRESSES
    try:
        many = FailedTokens(per_minute=2)
        for n in range(1000):
            many.failed(f"a{n}", now=0)
        assert len(many._failures) == 100
    finally:
        FailedTokens.MAX_ADDRESSES = limit
