"""The audit app on a migrated SQLite database, and tokens the gateway would have signed."""

import base64
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from kasa_audit.main import build
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.consumers import Subscription, handle_event
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app, ops_app

ISSUER, AUDIENCE = "kasa-gateway", "kasa"
OPS_TOKEN = "operator-token-of-the-component-tests-0123456789"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def token(signing_key) -> Callable[..., str]:
    """``token(workspace_id, role="owner")`` → a bearer token for that workspace."""

    def make(workspace_id: UUID, role: str = "owner") -> str:
        claims = {
            "sub": str(uuid4()),
            "wid": str(workspace_id),
            "role": role,
            "jti": str(uuid4()),
            "sid": str(uuid4()),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": int(time.time()) + 600,
        }
        return jwt.encode(claims, signing_key, algorithm="EdDSA", headers={"kid": "test"})

    return make


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/audit.db"


@pytest.fixture
def client(database_url, signing_key, monkeypatch) -> Iterator[TestClient]:
    """The real audit app (migrated SQLite, no broker reachable, so no consumers run)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    monkeypatch.setenv("OPS_TOKEN", OPS_TOKEN)
    spec = build()
    upgrade(spec.migrations, spec.settings.database_url)
    app = create_app(spec)
    raw = signing_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": "test", "alg": "EdDSA"}
    app.state.verifier = JwksVerifier.with_keys([jwk], ISSUER, AUDIENCE)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def ops(client) -> TestClient:
    """The running app's ops listener, as `kasa` reaches it: with the operator token."""
    return TestClient(ops_app(client.app), headers={"Authorization": f"Bearer {OPS_TOKEN}"})


def envelope(
    event_type: str,
    payload: dict[str, Any],
    *,
    workspace_id: UUID,
    actor: dict[str, Any] | None = None,
    correlation_id: str | None = "sync-9",
    causation_id: UUID | None = None,
    occurred_at: datetime | None = None,
    producer: str | None = None,
) -> bytes:
    """A message body as a producer would publish it."""
    return json.dumps(
        {
            "event_id": str(uuid4()),
            "event_type": event_type,
            "event_version": 1,
            "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
            "producer": producer or event_type.split(".")[0],
            "workspace_id": str(workspace_id),
            "actor": actor or {"type": "plugin", "id": "fio", "name": "Fio"},
            "correlation_id": correlation_id,
            "causation_id": str(causation_id) if causation_id else None,
            "payload": payload,
        }
    ).encode()


@pytest.fixture
def event() -> Callable[..., bytes]:
    return envelope


def audit_all(database_url: str) -> Subscription:
    """The audit service's own subscription, as its composition root declares it."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", database_url)
        env.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
        [subscription] = build().subscriptions
    assert isinstance(subscription, Subscription)
    return subscription


async def deliver(db: Database, subscription: Subscription, *bodies: bytes) -> None:
    """Hand message bodies to the consumer one by one, as the kit does."""
    for body in bodies:
        await handle_event(db, subscription, subscription.parse(body), EventWriter("audit"))


@pytest.fixture
def feed(database_url) -> Callable[..., Any]:
    """``await feed(body, ...)``: deliver message bodies to the audit consumer, in order."""
    subscription = audit_all(database_url)

    async def feed_them(*bodies: bytes) -> None:
        db = Database(database_url)
        try:
            await deliver(db, subscription, *bodies)
        finally:
            await db.dispose()

    return feed_them
