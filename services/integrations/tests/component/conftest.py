"""The integrations app on a migrated SQLite database, with gateway-style tokens.

No broker runs here: events stay in the outbox, and the service's own ``SyncRequested``
events are handed to its subscription in process (through the kit's inbox), so a requested
sync is claimed and run by the app's worker as a broker delivery would make it.
"""

import asyncio
import base64
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from kasa_contracts.events.integrations import SyncRequested
from kasa_integrations.main import build
from kasa_servicekit.auth import JwksVerifier
from kasa_servicekit.consumers import handle_event
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.tables import outbox

ISSUER, AUDIENCE = "kasa-gateway", "kasa"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def token(signing_key) -> Callable[..., dict[str, str]]:
    """``auth(workspace_id, role="owner")`` → Authorization headers for that workspace."""

    def make(workspace_id: UUID, role: str = "owner") -> dict[str, str]:
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
        signed = jwt.encode(claims, signing_key, algorithm="EdDSA", headers={"kid": "test"})
        return {"Authorization": f"Bearer {signed}"}

    return make


# --- the real app ---------------------------------------------------------------------------


@pytest.fixture
def keys() -> list[str]:
    return [Fernet.generate_key().decode()]


@pytest.fixture
def database_path(tmp_path):
    return tmp_path / "integrations.db"


@pytest.fixture
def client(database_path, signing_key, keys, fake_fio, monkeypatch) -> Iterator[TestClient]:
    """The real integrations app on migrated SQLite; no broker, so events stay in the outbox
    (its own sync requests are delivered to its worker in process)."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database_path}")
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    monkeypatch.setenv("CREDENTIALS_KEYS", ",".join(keys))
    monkeypatch.setenv("FIO_API_BASE_URL", fake_fio.url)
    spec = build()
    upgrade(spec.migrations, spec.settings.database_url)
    app = create_app(spec)
    raw = signing_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": "test", "alg": "EdDSA"}
    app.state.verifier = JwksVerifier.with_keys([jwk], ISSUER, AUDIENCE)
    # Tests do not wait 30 s for Fio's rate limit.
    app.state.plugins["fio"].rate_limit_wait_s = 0.05
    with TestClient(app) as test_client:
        stop = threading.Event()
        delivery = test_client.portal.start_task_soon(deliver_sync_requests, app, stop)
        try:
            yield test_client
        finally:
            # Ended between two deliveries, before the app shuts down: cancelling a running
            # portal task from this thread is a no-op, and a delivery cut off inside a handler
            # can keep the loop from closing.
            stop.set()
            delivery.result(timeout=60)


async def deliver_sync_requests(app: FastAPI, stop: threading.Event) -> None:
    """Hand every ``SyncRequested`` the app writes to its own subscription, once each, as the
    broker would: the kit's inbox claim, the real handler, the app's worker."""
    runtime = app.state.runtime
    [subscription] = runtime.spec.subscriptions
    delivered: set[UUID] = set()
    stmt = (
        select(outbox.c.id, outbox.c.body)
        .where(outbox.c.routing_key == SyncRequested.routing_key())
        .order_by(outbox.c.id)
    )
    while not stop.is_set():
        async with runtime.db.sessions() as session:
            rows = (await session.execute(stmt)).all()
        for row in rows:
            if row.id not in delivered:
                delivered.add(row.id)
                envelope = subscription.parse(row.body.encode())
                await handle_event(runtime.db, subscription, envelope, runtime.events)
        await asyncio.sleep(0.02)


def wait_for_sync(client: TestClient, headers: dict[str, str], sync_id: str) -> dict[str, Any]:
    for _ in range(400):
        body = client.get(f"/api/v1/syncs/{sync_id}", headers=headers).json()
        if body["status"] not in ("pending", "running"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"sync {sync_id} did not finish: {body}")


@pytest.fixture
def finished() -> Callable[[TestClient, dict[str, str], str], dict[str, Any]]:
    """``finished(client, headers, sync_id)`` waits for the sync to end and returns it."""
    return wait_for_sync
