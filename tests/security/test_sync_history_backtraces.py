"""Sync history shows users why a sync failed, never the service's Python backtrace.

The backtrace goes to the log, for operators, and stays on the sync's row; the user's API
(``GET /api/v1/syncs…``), which every member down to a viewer reads, has no such field. Driven
through the integrations app on a migrated SQLite database with Fio out of reach.
"""

import logging
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from kasa_integrations.main import build
from kasa_servicekit.migrations import upgrade
from kasa_servicekit.service import create_app
from kasa_servicekit.testing import TokenIssuer

TOKEN = "Bt7k" * 16  # a well-formed 64-character Fio token


@pytest.fixture
def service(tmp_path, monkeypatch, caplog) -> Iterator[tuple[TestClient, TokenIssuer]]:
    """The real app on SQLite; Fio's address refuses connections; no broker (the sweep
    claims requested syncs)."""
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/integrations.db",
        "AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
        "CREDENTIALS_KEYS": Fernet.generate_key().decode(),
        "FIO_API_BASE_URL": "http://127.0.0.1:1/v1/rest",
        "SYNC_LEASE_SECONDS": "2",
        "SYNC_PICKUP_AFTER_SECONDS": "0.1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = build()
    upgrade(spec.migrations, spec.settings.database_url)
    app = create_app(spec)
    # The service installs its own log handler; keep the test's capture behind it.
    logging.getLogger().addHandler(caplog.handler)
    issuer = TokenIssuer()
    issuer.install(app)
    with TestClient(app) as client:
        yield client, issuer


def failed_sync(client: TestClient, headers: dict[str, str]) -> str:
    configured = client.put(
        "/api/v1/plugins/fio/config",
        json={"settings": {}, "credentials": {"token": TOKEN}},
        headers=headers,
    )
    assert configured.status_code == 200, configured.text
    started = client.post("/api/v1/plugins/fio/syncs", headers=headers)
    assert started.status_code == 202, started.text
    sync_id = str(started.json()["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if client.get(f"/api/v1/syncs/{sync_id}", headers=headers).json()["status"] == "failed":
            return sync_id
        time.sleep(0.05)
    raise AssertionError(f"sync {sync_id} did not fail")


def test_no_member_reads_a_backtrace_and_operators_still_get_it(service, caplog):
    client, issuer = service
    workspace = uuid4()
    sync_id = failed_sync(client, issuer.headers(workspace))

    for role in ("owner", "viewer"):
        headers = issuer.headers(workspace, role=role)
        one = client.get(f"/api/v1/syncs/{sync_id}", headers=headers)
        page = client.get("/api/v1/syncs", headers=headers)
        assert one.status_code == page.status_code == 200
        bodies: list[dict[str, Any]] = [one.json(), *page.json()["items"]]
        for body in bodies:
            assert "error_backtrace" not in body, role
            assert "Traceback" not in str(body) and ".py" not in str(body), role
            # What a user reads still says what went wrong.
            assert body["error_message"].startswith("cannot reach Fio"), body["error_message"]

    schema = client.app.openapi()["components"]["schemas"]["SyncOut"]
    assert "error_backtrace" not in schema["properties"]

    logged = [r for r in caplog.records if sync_id in r.getMessage() and "failed" in r.getMessage()]
    assert logged and "Traceback (most recent call last)" in logged[-1].getMessage()
    assert TOKEN not in caplog.text
